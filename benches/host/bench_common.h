/* What the benchmark hosts share (bench_host.c, async_host.c, wasi_host.c):
 *   - clocks: now() (monotonic wall time) and thread_cpu_now(), in seconds;
 *   - read_file_bytes: a module file into a wasm_byte_vec_t;
 *   - the JSON report on stdout, for the hosts whose stdout is their
 *     report (bench_host and async_host): print_json_string, print_array,
 *     fail ({"ok": false, "error": ...} and exit 1) and read_file (which
 *     fails that way). wasi_host's stdout is the WASI program's, so it
 *     reports on stderr and uses only the clocks and read_file_bytes.
 *
 * Every host is built twice by benches/run.py, once against include/ and
 * once against host/wasmtime-abi/ (bench_host.c as it is, the others with
 * -DBENCH_REFERENCE): this header uses only the standard wasm.h, which
 * both folders have, and #include "bench_common.h" finds it next to the
 * host in both builds. A host defines its feature-test macro
 * (clock_gettime is POSIX) before its first #include.
 *
 * The functions are static inline, so that a host not using one of them
 * builds without an unused-function warning.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm.h"

/* ---- clocks ----------------------------------------------------------- */

static inline double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

/* CPU time of the calling thread, user and system. Wasm runs on the thread
 * that calls it (async calls' fibers included), so for execution, calls and
 * instantiation this is the time the work took without the time other
 * processes had the core: on a shared machine it is much steadier than wall
 * time, and equal to it when idle. */
static inline double thread_cpu_now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

/* ---- files ------------------------------------------------------------ */

/* Reads the file at `path` into `out`; NULL, or what went wrong ("cannot
 * open", "cannot seek", "cannot size" or "cannot read"), for the host to
 * report with the path. */
static inline const char *read_file_bytes(const char *path, wasm_byte_vec_t *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return "cannot open";
  const char *problem = NULL;
  long size = 0;
  if (fseek(f, 0, SEEK_END) != 0) {
    problem = "cannot seek";
  } else if ((size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    problem = "cannot size";
  } else {
    wasm_byte_vec_new_uninitialized(out, (size_t)size);
    if (size > 0 && fread(out->data, 1, (size_t)size, f) != (size_t)size) {
      wasm_byte_vec_delete(out);
      problem = "cannot read";
    }
  }
  fclose(f);
  return problem;
}

/* ---- the JSON report on stdout ---------------------------------------- */

static inline void print_json_string(const char *s, size_t len) {
  putchar('"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c == '\n')
      printf("\\n");
    else if (c < 0x20 || c >= 0x7f)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

/* Prints {"ok": false, "error": ...} and exits with status 1. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void fail(const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  printf("{\"ok\": false, \"error\": ");
  print_json_string(message, strlen(message));
  printf("}\n");
  fflush(stdout);
  exit(1);
}

/* Prints `, "key": [v0, v1, ...]`, a member of the report being printed. */
static inline void print_array(const char *key, const double *values, int count) {
  printf(", \"%s\": [", key);
  for (int i = 0; i < count; i++) printf("%s%.9g", i ? ", " : "", values[i]);
  printf("]");
}

/* read_file_bytes, failing the run on a problem. */
static inline void read_file(const char *path, wasm_byte_vec_t *out) {
  const char *problem = read_file_bytes(path, out);
  if (problem) fail("%s %s", problem, path);
}

#endif
