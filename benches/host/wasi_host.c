/* WASI start-up host: runs a WASI command the way a command-line runner
 * does, built by benches/run.py once per runtime from this one source:
 *   - against include/wasm.h, wasm-runtime.h and wasi.h, linked to our
 *     libwasm-runtime (WASI through wasm_store_set_wasi and
 *     wasm_linker_define_wasi);
 *   - with -DBENCH_REFERENCE against benches/host/wasmtime-abi/ (wasm.h and
 *     wasmtime-wasi.h), linked to the reference runtime's C library (WASI
 *     through wasmtime_context_set_wasi and wasmtime_linker_define_wasi).
 * Each runtime runs in its default configuration. The two builds differ
 * only in the small layer below that maps each step to the runtime's API.
 *
 * usage:
 *   wasi_host run [--precompiled] [--dir HOST::GUEST]... FILE [ARGS...]
 *       reads FILE and compiles it (or, with --precompiled, loads FILE as
 *       this runtime's serialized module from `compile`), gives the program
 *       the host's stdin, stdout and stderr, argv FILE ARGS... and each
 *       --dir HOST directory as GUEST (readable and writable), instantiates
 *       it through a linker with WASI defined, calls its `_start`, cleans
 *       up, and exits with the program's exit status (1 after a trap or an
 *       error of the host, which it reports on stderr). With
 *       WASI_HOST_TIMES=PATH in the environment it also writes the phases'
 *       wall times in seconds to PATH as one JSON object: "load" (read and
 *       compile, or deserialize), "setup" (WASI context and linker),
 *       "instantiate", "run" (`_start`) and "teardown".
 *   wasi_host compile FILE OUT
 *       compiles FILE and writes this runtime's serialized module to OUT.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_REFERENCE
#include "wasmtime-wasi.h"
#else
#include "wasi.h"
#include "wasm-runtime.h"
#include "wasm.h"
#endif

/* now() and read_file_bytes (the JSON report there is not for this host:
 * its stdout is the program's). */
#include "bench_common.h"

#define MAX_DIRS 8

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("wasi_host: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void read_or_die(const char *path, wasm_byte_vec_t *out) {
  const char *problem = read_file_bytes(path, out);
  if (problem) die("%s %s", problem, path);
}

static void write_file(const char *path, const wasm_byte_vec_t *bytes) {
  FILE *f = fopen(path, "wb");
  if (!f) die("cannot create %s", path);
  if (bytes->size && fwrite(bytes->data, 1, bytes->size, f) != bytes->size) die("cannot write %s", path);
  if (fclose(f) != 0) die("cannot write %s", path);
}

struct dir {
  char *host;
  const char *guest;
};

/* ---- the runtime layer -------------------------------------------------- */

#ifdef BENCH_REFERENCE

static void check(wasmtime_error_t *error, const char *what) {
  if (!error) return;
  wasm_name_t message;
  wasmtime_error_message(error, &message);
  fprintf(stderr, "wasi_host: %s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasmtime_error_delete(error);
  exit(1);
}

struct runtime {
  wasm_engine_t *engine;
  wasmtime_store_t *store;
  wasmtime_context_t *context;
  wasmtime_module_t *module;
  wasmtime_linker_t *linker;
  wasmtime_instance_t instance;
};

static void rt_init(struct runtime *rt) {
  rt->engine = wasm_engine_new();
  if (!rt->engine) die("no engine");
  rt->store = wasmtime_store_new(rt->engine, NULL, NULL);
  rt->context = wasmtime_store_context(rt->store);
}

static void rt_compile(struct runtime *rt, const wasm_byte_vec_t *wasm) {
  check(wasmtime_module_new(rt->engine, (const uint8_t *)wasm->data, wasm->size, &rt->module),
        "compiling");
}

static void rt_load_precompiled(struct runtime *rt, const char *path) {
  check(wasmtime_module_deserialize_file(rt->engine, path, &rt->module), "deserializing");
}

static void rt_serialize(struct runtime *rt, wasm_byte_vec_t *out) {
  check(wasmtime_module_serialize(rt->module, out), "serializing");
}

static void rt_setup_wasi(struct runtime *rt, int argc, const char **argv, const struct dir *dirs,
                          int ndirs) {
  wasi_config_t *config = wasi_config_new();
  if (!wasi_config_set_argv(config, (size_t)argc, argv)) die("wasi_config_set_argv failed");
  wasi_config_inherit_stdin(config);
  wasi_config_inherit_stdout(config);
  wasi_config_inherit_stderr(config);
  for (int i = 0; i < ndirs; i++)
    if (!wasi_config_preopen_dir(config, dirs[i].host, dirs[i].guest, true))
      die("cannot preopen %s", dirs[i].host);
  check(wasmtime_context_set_wasi(rt->context, config), "setting up WASI");
  rt->linker = wasmtime_linker_new(rt->engine);
  check(wasmtime_linker_define_wasi(rt->linker), "defining WASI");
}

static void rt_instantiate(struct runtime *rt) {
  wasm_trap_t *trap = NULL;
  check(wasmtime_linker_instantiate(rt->linker, rt->context, rt->module, &rt->instance, &trap),
        "instantiating");
  if (trap) die("the start function trapped");
}

/* Runs `_start`; returns the program's exit status. */
static int rt_run(struct runtime *rt) {
  wasmtime_extern_t start;
  if (!wasmtime_instance_export_get(rt->context, &rt->instance, "_start", 6, &start) ||
      start.kind != WASMTIME_EXTERN_FUNC)
    die("the module exports no _start function");
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error = wasmtime_func_call(rt->context, &start.of.func, NULL, 0, NULL, 0, &trap);
  wasmtime_extern_delete(&start);
  int status = 0;
  if (error) {
    if (!wasmtime_error_exit_status(error, &status)) check(error, "running _start");
    wasmtime_error_delete(error);
  } else if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    fprintf(stderr, "wasi_host: trap: %.*s\n", (int)message.size, message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    status = 1;
  }
  return status;
}

static void rt_teardown(struct runtime *rt) {
  if (rt->linker) wasmtime_linker_delete(rt->linker);
  wasmtime_store_delete(rt->store);
  wasmtime_module_delete(rt->module);
  wasm_engine_delete(rt->engine);
}

#else /* ours */

static void check(wasm_error_t *error, const char *what) {
  if (!error) return;
  wasm_name_t message;
  wasm_error_message(error, &message);
  fprintf(stderr, "wasi_host: %s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  exit(1);
}

struct runtime {
  wasm_engine_t *engine;
  wasm_store_t *store;
  wasm_module_t *module;
  wasm_linker_t *linker;
  wasm_instance_t *instance;
};

static void rt_init(struct runtime *rt) {
  rt->engine = wasm_engine_new();
  if (!rt->engine) die("no engine");
  rt->store = wasm_store_new(rt->engine);
  if (!rt->store) die("no store");
}

static void rt_compile(struct runtime *rt, const wasm_byte_vec_t *wasm) {
  check(wasm_module_new_checked(rt->store, wasm, &rt->module), "compiling");
}

static void rt_load_precompiled(struct runtime *rt, const char *path) {
  check(wasm_module_deserialize_file(rt->engine, path, &rt->module), "deserializing");
}

static void rt_serialize(struct runtime *rt, wasm_byte_vec_t *out) {
  wasm_module_serialize(rt->module, out);
  if (out->size == 0) die("the module cannot be serialized");
}

static void rt_setup_wasi(struct runtime *rt, int argc, const char **argv, const struct dir *dirs,
                          int ndirs) {
  wasi_config_t *config = wasi_config_new();
  if (!wasi_config_set_argv(config, (size_t)argc, argv)) die("wasi_config_set_argv failed");
  wasi_config_inherit_stdin(config);
  wasi_config_inherit_stdout(config);
  wasi_config_inherit_stderr(config);
  for (int i = 0; i < ndirs; i++)
    if (!wasi_config_preopen_dir(config, dirs[i].host, dirs[i].guest,
                                 WASMTIME_WASI_DIR_PERMS_READ | WASMTIME_WASI_DIR_PERMS_WRITE,
                                 WASMTIME_WASI_FILE_PERMS_READ | WASMTIME_WASI_FILE_PERMS_WRITE))
      die("cannot preopen %s", dirs[i].host);
  check(wasm_store_set_wasi(rt->store, config), "setting up WASI");
  rt->linker = wasm_linker_new(rt->engine);
  check(wasm_linker_define_wasi(rt->linker), "defining WASI");
}

static void rt_instantiate(struct runtime *rt) {
  wasm_trap_t *trap = NULL;
  check(wasm_linker_instantiate(rt->linker, rt->store, rt->module, &rt->instance, &trap),
        "instantiating");
  if (trap) die("the start function trapped");
}

static int rt_run(struct runtime *rt) {
  wasm_extern_t *start = wasm_instance_export_get(rt->instance, "_start", 6);
  wasm_func_t *func = start ? wasm_extern_as_func(start) : NULL;
  if (!func) die("the module exports no _start function");
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  wasm_trap_t *trap = wasm_func_call(func, &args, &results);
  wasm_extern_delete(start);
  int status = 0;
  if (trap) {
    if (!wasm_trap_exit_status(trap, &status)) {
      wasm_message_t message;
      wasm_trap_message(trap, &message);
      fprintf(stderr, "wasi_host: trap: %.*s\n", (int)message.size, message.data);
      wasm_byte_vec_delete(&message);
      status = 1;
    }
    wasm_trap_delete(trap);
  }
  return status;
}

static void rt_teardown(struct runtime *rt) {
  wasm_instance_delete(rt->instance);
  if (rt->linker) wasm_linker_delete(rt->linker);
  wasm_module_delete(rt->module);
  wasm_store_delete(rt->store);
  wasm_engine_delete(rt->engine);
}

#endif

/* ---- commands ----------------------------------------------------------- */

static int cmd_compile(const char *in, const char *out) {
  struct runtime rt = {0};
  rt_init(&rt);
  wasm_byte_vec_t wasm, serialized;
  read_or_die(in, &wasm);
  rt_compile(&rt, &wasm);
  wasm_byte_vec_delete(&wasm);
  rt_serialize(&rt, &serialized);
  write_file(out, &serialized);
  wasm_byte_vec_delete(&serialized);
  rt_teardown(&rt);
  return 0;
}

static int cmd_run(int argc, char **argv) {
  bool precompiled = false;
  struct dir dirs[MAX_DIRS];
  int ndirs = 0, i = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--precompiled") == 0) {
      precompiled = true;
    } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      if (ndirs == MAX_DIRS) die("more than %d --dir", MAX_DIRS);
      char *spec = argv[++i], *sep = strstr(spec, "::");
      if (!sep) die("--dir wants HOST::GUEST, not %s", spec);
      *sep = '\0';
      dirs[ndirs].host = spec;
      dirs[ndirs].guest = sep + 2;
      ndirs++;
    } else {
      die("unknown option %s", argv[i]);
    }
  }
  if (i == argc) die("run: no FILE");
  const char *file = argv[i];
  const char **guest_argv = (const char **)&argv[i];
  int guest_argc = argc - i;

  double t0 = now();
  struct runtime rt = {0};
  rt_init(&rt);
  if (precompiled) {
    rt_load_precompiled(&rt, file);
  } else {
    wasm_byte_vec_t wasm;
    read_or_die(file, &wasm);
    rt_compile(&rt, &wasm);
    wasm_byte_vec_delete(&wasm);
  }
  double t1 = now();
  rt_setup_wasi(&rt, guest_argc, guest_argv, dirs, ndirs);
  double t2 = now();
  rt_instantiate(&rt);
  double t3 = now();
  int status = rt_run(&rt);
  double t4 = now();
  rt_teardown(&rt);
  double t5 = now();

  const char *times = getenv("WASI_HOST_TIMES");
  if (times && *times) {
    FILE *f = fopen(times, "w");
    if (!f) die("cannot create %s", times);
    fprintf(f,
            "{\"load\": %.9g, \"setup\": %.9g, \"instantiate\": %.9g, \"run\": %.9g, "
            "\"teardown\": %.9g}\n",
            t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4);
    fclose(f);
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (argc == 4 && strcmp(argv[1], "compile") == 0) return cmd_compile(argv[2], argv[3]);
  fprintf(stderr,
          "usage: %s run [--precompiled] [--dir HOST::GUEST]... FILE [ARGS...]\n"
          "       %s compile FILE OUT\n",
          argv[0], argv[0]);
  return 2;
}
