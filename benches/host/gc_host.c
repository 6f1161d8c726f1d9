/* GC benchmark host: allocation throughput and collection pauses of wasm GC
 * structs, built by benches/run.py once per runtime from this one source:
 *   - against include/ (wasm.h and wasm-runtime.h), linked to our
 *     libwasm-runtime: wasm_config_wasm_function_references_set,
 *     wasm_config_wasm_gc_set, wasm_config_collector_set (auto, the
 *     mark-sweep collector), wasm_wat2wasm, wasm_store_gc;
 *   - with -DBENCH_REFERENCE against benches/host/wasmtime-abi/ (wasm.h,
 *     wasmtime-wasi.h, wasmtime-async.h and wasmtime-gc.h), linked to the
 *     reference runtime's C library: wasmtime_config_wasm_function_
 *     references_set, wasmtime_config_wasm_gc_set,
 *     wasmtime_config_collector_set(DRC) where its library has it (50.x
 *     does not; its default is DRC), wasmtime_wat2wasm, wasmtime_context_gc.
 * The two builds differ only in the small runtime layer below. The module is
 * benches/gc/binary_trees.wat (see its header comment), read as text and
 * translated by the runtime's own wat2wasm.
 *
 * usage:
 *   gc_host trees FILE.wat DEPTH RUNS
 *       One instance; RUNS calls of binary_trees(DEPTH), each timed (wall
 *       and the calling thread's CPU time). Checked: every call returns the
 *       node count computed here, which is also the number of struct.new it
 *       executes (the "allocations" reported). Also reports the resident
 *       size before the runs and the peak over them (VmHWM, reset before
 *       the first run where the kernel allows it: peak_rss_reset).
 *   gc_host pause FILE.wat DEPTH SAMPLES
 *       One instance. live: keep(DEPTH) (a tree held in a global), one
 *       untimed collection, then SAMPLES timed full collections with the
 *       tree live. cleared: SAMPLES times keep(DEPTH), one untimed
 *       collection, then clear() (the global set to null) and the first
 *       full collection after it, timed together (clear() itself takes a
 *       few microseconds in both runtimes: the collection is what frees the
 *       dead tree). empty: SAMPLES timed full collections after that,
 *       nothing held. Each interval comes with the same pair of clock reads
 *       with nothing between (timer, timer_cpu), for the harness to take
 *       off. Checked: keep's and kept_check's
 *       counts (the held tree intact after the collections) and
 *       kept_check() == 0 after clear().
 * Each invocation prints one JSON object on stdout: {"ok": true, ...} with
 * times in seconds, or {"ok": false, "error": "..."} (exit 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_REFERENCE
#include "wasmtime-gc.h"
#else
#include "wasm-runtime.h"
#include "wasm.h"
#endif

/* The clocks, read_file and the JSON report (fail, print_array). */
#include "bench_common.h"

#define MAX_SAMPLES 200
#define MIN_DEPTH 4

/* Fails the run with a trap's message. */
__attribute__((noreturn)) static void fail_trap(const char *what, wasm_trap_t *trap) {
  wasm_message_t message = {0, NULL};
  wasm_trap_message(trap, &message);
  fail("%s trapped: %.*s", what, (int)message.size, message.data);
}

/* What a call returns: nothing, an i32 or an i64. */
enum result_kind { RESULT_NONE, RESULT_I32, RESULT_I64 };

/* ---- the runtime layer -------------------------------------------------- */

#ifdef BENCH_REFERENCE

static void check(wasmtime_error_t *error, const char *what) {
  if (!error) return;
  wasm_name_t message;
  wasmtime_error_message(error, &message);
  fail("%s: %.*s", what, (int)message.size, message.data);
}

struct runtime {
  wasm_engine_t *engine;
  wasmtime_store_t *store;
  wasmtime_context_t *context;
  wasmtime_module_t *module;
  wasmtime_linker_t *linker;
  wasmtime_instance_t instance;
};

typedef struct rt_func {
  wasmtime_func_t func;
} rt_func_t;

static const char *collector_name(void) {
  return wasmtime_config_collector_set ? "drc (set)" : "default (drc)";
}

static void rt_open(struct runtime *rt, const wasm_byte_vec_t *text) {
  wasm_config_t *config = wasm_config_new();
  if (!config) fail("wasm_config_new failed");
  wasmtime_config_wasm_reference_types_set(config, true);
  wasmtime_config_wasm_function_references_set(config, true);
  wasmtime_config_wasm_gc_set(config, true);
  if (wasmtime_config_collector_set) wasmtime_config_collector_set(config, WASMTIME_COLLECTOR_DRC);
  rt->engine = wasm_engine_new_with_config(config);
  if (!rt->engine) fail("no engine");
  wasm_byte_vec_t binary;
  check(wasmtime_wat2wasm(text->data, text->size, &binary), "wasmtime_wat2wasm");
  rt->store = wasmtime_store_new(rt->engine, NULL, NULL);
  rt->context = wasmtime_store_context(rt->store);
  check(wasmtime_module_new(rt->engine, (const uint8_t *)binary.data, binary.size, &rt->module),
        "compiling");
  wasm_byte_vec_delete(&binary);
  rt->linker = wasmtime_linker_new(rt->engine);
  wasm_trap_t *trap = NULL;
  check(wasmtime_linker_instantiate(rt->linker, rt->context, rt->module, &rt->instance, &trap),
        "instantiating");
  if (trap) fail_trap("instantiation", trap);
}

static rt_func_t rt_func(struct runtime *rt, const char *name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(rt->context, &rt->instance, name, strlen(name), &item) ||
      item.kind != WASMTIME_EXTERN_FUNC)
    fail("no exported function `%s`", name);
  return (rt_func_t){item.of.func};
}

static void rt_func_delete(rt_func_t *f) { (void)f; }

/* Calls f with no argument or the one i32 `*arg`; returns its result. */
static int64_t rt_call(struct runtime *rt, const rt_func_t *f, const char *name,
                       const int32_t *arg, enum result_kind kind) {
  wasmtime_val_t args[1], results[1];
  memset(args, 0, sizeof args);
  memset(results, 0, sizeof results);
  if (arg) {
    args[0].kind = WASMTIME_I32;
    args[0].of.i32 = *arg;
  }
  wasm_trap_t *trap = NULL;
  check(wasmtime_func_call(rt->context, &f->func, args, arg ? 1 : 0, results,
                           kind == RESULT_NONE ? 0 : 1, &trap),
        name);
  if (trap) fail_trap(name, trap);
  if (kind == RESULT_I32) {
    if (results[0].kind != WASMTIME_I32) fail("%s returned kind %d", name, results[0].kind);
    return results[0].of.i32;
  }
  if (kind == RESULT_I64) {
    if (results[0].kind != WASMTIME_I64) fail("%s returned kind %d", name, results[0].kind);
    return results[0].of.i64;
  }
  return 0;
}

static void rt_gc(struct runtime *rt) { check(wasmtime_context_gc(rt->context), "collecting"); }

static void rt_close(struct runtime *rt) {
  wasmtime_linker_delete(rt->linker);
  wasmtime_store_delete(rt->store);
  wasmtime_module_delete(rt->module);
  wasm_engine_delete(rt->engine);
}

#else /* ours */

static void check(wasm_error_t *error, const char *what) {
  if (!error) return;
  wasm_name_t message;
  wasm_error_message(error, &message);
  fail("%s: %.*s", what, (int)message.size, message.data);
}

struct runtime {
  wasm_engine_t *engine;
  wasm_store_t *store;
  wasm_module_t *module;
  wasm_linker_t *linker;
  wasm_instance_t *instance;
};

typedef struct rt_func {
  wasm_extern_t *ext;
  wasm_func_t *func;
} rt_func_t;

static const char *collector_name(void) { return "auto (mark-sweep)"; }

static void rt_open(struct runtime *rt, const wasm_byte_vec_t *text) {
  wasm_config_t *config = wasm_config_new();
  if (!config) fail("wasm_config_new failed");
  wasm_config_wasm_reference_types_set(config, true);
  wasm_config_wasm_function_references_set(config, true);
  wasm_config_wasm_gc_set(config, true);
  wasm_config_collector_set(config, WASM_COLLECTOR_AUTO);
  rt->engine = wasm_engine_new_with_config(config);
  if (!rt->engine) fail("no engine");
  wasm_byte_vec_t binary;
  check(wasm_wat2wasm(text->data, text->size, &binary), "wasm_wat2wasm");
  rt->store = wasm_store_new(rt->engine);
  if (!rt->store) fail("no store");
  check(wasm_module_new_checked(rt->store, &binary, &rt->module), "compiling");
  wasm_byte_vec_delete(&binary);
  rt->linker = wasm_linker_new(rt->engine);
  if (!rt->linker) fail("no linker");
  wasm_trap_t *trap = NULL;
  check(wasm_linker_instantiate(rt->linker, rt->store, rt->module, &rt->instance, &trap),
        "instantiating");
  if (trap) fail_trap("instantiation", trap);
  if (!rt->instance) fail("no instance");
}

static rt_func_t rt_func(struct runtime *rt, const char *name) {
  rt_func_t f;
  f.ext = wasm_instance_export_get(rt->instance, name, strlen(name));
  f.func = f.ext ? wasm_extern_as_func(f.ext) : NULL;
  if (!f.func) fail("no exported function `%s`", name);
  return f;
}

static void rt_func_delete(rt_func_t *f) { wasm_extern_delete(f->ext); }

/* Calls f with no argument or the one i32 `*arg`; returns its result. */
static int64_t rt_call(struct runtime *rt, const rt_func_t *f, const char *name,
                       const int32_t *arg, enum result_kind kind) {
  (void)rt;
  wasm_val_t arg_val[1], result_val[1];
  memset(arg_val, 0, sizeof arg_val);
  memset(result_val, 0, sizeof result_val);
  if (arg) {
    arg_val[0].kind = WASM_I32;
    arg_val[0].of.i32 = *arg;
  }
  wasm_val_vec_t args = {arg ? 1 : 0, arg_val};
  wasm_val_vec_t results = {kind == RESULT_NONE ? 0 : 1, result_val};
  wasm_trap_t *trap = wasm_func_call(f->func, &args, &results);
  if (trap) fail_trap(name, trap);
  if (kind == RESULT_I32) {
    if (result_val[0].kind != WASM_I32) fail("%s returned kind %d", name, result_val[0].kind);
    return result_val[0].of.i32;
  }
  if (kind == RESULT_I64) {
    if (result_val[0].kind != WASM_I64) fail("%s returned kind %d", name, result_val[0].kind);
    return result_val[0].of.i64;
  }
  return 0;
}

static void rt_gc(struct runtime *rt) { wasm_store_gc(rt->store); }

static void rt_close(struct runtime *rt) {
  wasm_instance_delete(rt->instance);
  wasm_linker_delete(rt->linker);
  wasm_module_delete(rt->module);
  wasm_store_delete(rt->store);
  wasm_engine_delete(rt->engine);
}

#endif

/* ---- what the module computes ------------------------------------------- */

/* The nodes of a complete tree of depth d (depth 0: one node). */
static int64_t tree_nodes(int d) { return ((int64_t)1 << (d + 1)) - 1; }

/* The max_depth binary_trees(n) uses. */
static int max_depth(int n) { return n > MIN_DEPTH + 2 ? n : MIN_DEPTH + 2; }

/* What binary_trees(n) returns: the nodes it checks, which are the nodes it
 * allocates (one struct.new each): the stretch tree, the long-lived tree,
 * and 2^(max - d + 4) trees of each depth d = 4, 6, ..., max. */
static int64_t binary_trees_nodes(int n) {
  int max = max_depth(n);
  int64_t total = tree_nodes(max + 1) + tree_nodes(max);
  for (int d = MIN_DEPTH; d <= max; d += 2)
    total += ((int64_t)1 << (max - d + MIN_DEPTH)) * tree_nodes(d);
  return total;
}

static int parse_int(const char *text, int lo, int hi, const char *what) {
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (!end || *end || v < lo || v > hi) fail("bad %s `%s` (%d..%d)", what, text, lo, hi);
  return (int)v;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), -1 if unknown.
 * Not getrusage's ru_maxrss: Linux carries that over exec from the parent
 * (here the Python harness), so it may not be this process's at all. */
static long status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, len) && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return value;
}

/* Resets the peak resident size (VmHWM) to the current one; false if the
 * kernel does not allow it (Linux 4.0 and later do). */
static bool reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

/* ---- modes ---------------------------------------------------------------- */

static void mode_trees(const char *path, int depth, int runs) {
  wasm_byte_vec_t text;
  read_file(path, &text);
  struct runtime rt = {0};
  rt_open(&rt, &text);
  wasm_byte_vec_delete(&text);
  rt_func_t run = rt_func(&rt, "binary_trees");
  int64_t expected = binary_trees_nodes(depth);
  /* The resident size before the runs (the runtime, the compiled and
   * instantiated module), and from there the peak over the runs. */
  long rss_before = status_kib("VmRSS");
  bool peak_reset = reset_peak_rss();
  double wall[MAX_SAMPLES], cpu[MAX_SAMPLES];
  for (int i = 0; i < runs; i++) {
    double t0 = now(), c0 = thread_cpu_now();
    int64_t nodes = rt_call(&rt, &run, "binary_trees", &depth, RESULT_I64);
    cpu[i] = thread_cpu_now() - c0;
    wall[i] = now() - t0;
    if (nodes != expected)
      fail("binary_trees(%d) returned %lld nodes, expected %lld (run %d)", depth,
           (long long)nodes, (long long)expected, i + 1);
  }
  printf("{\"ok\": true, \"collector\": \"%s\", \"depth\": %d, \"max_depth\": %d, "
         "\"nodes\": %lld, \"allocations\": %lld, \"rss_kib_before\": %ld, "
         "\"peak_rss_kib\": %ld, \"peak_rss_reset\": %s",
         collector_name(), depth, max_depth(depth), (long long)expected, (long long)expected,
         rss_before, status_kib("VmHWM"), peak_reset ? "true" : "false");
  print_array("times", wall, runs);
  print_array("cpu_times", cpu, runs);
  printf("}\n");
  rt_func_delete(&run);
  rt_close(&rt);
}

/* The time of the clock reads around an interval, with nothing between. */
static void clock_pair(double *wall, double *cpu) {
  double e0 = now(), ec0 = thread_cpu_now();
  double e1 = now(), ec1 = thread_cpu_now();
  *wall = e1 - e0;
  *cpu = ec1 - ec0;
}

static void mode_pause(const char *path, int depth, int samples) {
  wasm_byte_vec_t text;
  read_file(path, &text);
  struct runtime rt = {0};
  rt_open(&rt, &text);
  wasm_byte_vec_delete(&text);
  rt_func_t keep = rt_func(&rt, "keep"), kept_check = rt_func(&rt, "kept_check"),
            clear = rt_func(&rt, "clear");
  int64_t expected = tree_nodes(depth);
  static double live[MAX_SAMPLES], live_cpu[MAX_SAMPLES], cleared[MAX_SAMPLES],
      cleared_cpu[MAX_SAMPLES], empty[MAX_SAMPLES], empty_cpu[MAX_SAMPLES],
      timer[3 * MAX_SAMPLES], timer_cpu[3 * MAX_SAMPLES];
  int timers = 0;

  /* live: the tree held in the global across every collection */
  int64_t got = rt_call(&rt, &keep, "keep", &depth, RESULT_I32);
  if (got != expected) fail("keep(%d) counted %lld nodes, expected %lld", depth, (long long)got,
                            (long long)expected);
  rt_gc(&rt);
  for (int i = 0; i < samples; i++) {
    double t0 = now(), c0 = thread_cpu_now();
    rt_gc(&rt);
    double t1 = now(), c1 = thread_cpu_now();
    live[i] = t1 - t0;
    live_cpu[i] = c1 - c0;
    clock_pair(&timer[timers], &timer_cpu[timers]);
    timers++;
  }
  got = rt_call(&rt, &kept_check, "kept_check", NULL, RESULT_I32);
  if (got != expected)
    fail("kept_check() after %d collections counted %lld nodes, expected %lld", samples + 1,
         (long long)got, (long long)expected);

  /* cleared: drop the tree and collect, timed together */
  for (int i = 0; i < samples; i++) {
    got = rt_call(&rt, &keep, "keep", &depth, RESULT_I32);
    if (got != expected) fail("keep(%d) counted %lld nodes, expected %lld", depth,
                              (long long)got, (long long)expected);
    rt_gc(&rt);
    got = rt_call(&rt, &kept_check, "kept_check", NULL, RESULT_I32);
    if (got != expected) fail("kept_check() after a collection counted %lld nodes, expected %lld",
                              (long long)got, (long long)expected);
    double t0 = now(), c0 = thread_cpu_now();
    rt_call(&rt, &clear, "clear", NULL, RESULT_NONE);
    rt_gc(&rt);
    double t1 = now(), c1 = thread_cpu_now();
    cleared[i] = t1 - t0;
    cleared_cpu[i] = c1 - c0;
    clock_pair(&timer[timers], &timer_cpu[timers]);
    timers++;
  }
  got = rt_call(&rt, &kept_check, "kept_check", NULL, RESULT_I32);
  if (got != 0) fail("kept_check() after clear() counted %lld nodes, expected 0", (long long)got);

  /* empty: nothing held */
  for (int i = 0; i < samples; i++) {
    double t0 = now(), c0 = thread_cpu_now();
    rt_gc(&rt);
    double t1 = now(), c1 = thread_cpu_now();
    empty[i] = t1 - t0;
    empty_cpu[i] = c1 - c0;
    clock_pair(&timer[timers], &timer_cpu[timers]);
    timers++;
  }

  printf("{\"ok\": true, \"collector\": \"%s\", \"depth\": %d, \"live_nodes\": %lld, "
         "\"peak_rss_kib\": %ld",
         collector_name(), depth, (long long)expected, status_kib("VmHWM"));
  print_array("live", live, samples);
  print_array("live_cpu", live_cpu, samples);
  print_array("cleared", cleared, samples);
  print_array("cleared_cpu", cleared_cpu, samples);
  print_array("empty", empty, samples);
  print_array("empty_cpu", empty_cpu, samples);
  print_array("timer", timer, timers);
  print_array("timer_cpu", timer_cpu, timers);
  printf("}\n");
  rt_func_delete(&keep);
  rt_func_delete(&kept_check);
  rt_func_delete(&clear);
  rt_close(&rt);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "trees") && argc == 5) {
    mode_trees(argv[2], parse_int(argv[3], 0, 24, "depth"),
               parse_int(argv[4], 1, MAX_SAMPLES, "run count"));
  } else if (!strcmp(mode, "pause") && argc == 5) {
    mode_pause(argv[2], parse_int(argv[3], 0, 24, "depth"),
               parse_int(argv[4], 1, MAX_SAMPLES, "sample count"));
  } else {
    fprintf(stderr,
            "usage: gc_host trees FILE.wat DEPTH RUNS\n"
            "       gc_host pause FILE.wat DEPTH SAMPLES\n");
    return 2;
  }
  fflush(stdout);
  return 0;
}
