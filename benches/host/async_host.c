/* Async benchmark host: what async calls cost, built by benches/run.py once
 * per runtime from this one source:
 *   - against include/ (wasm.h and wasm-runtime.h), linked to our
 *     libwasm-runtime: wasm_func_call_async, wasm_call_future_poll/delete,
 *     wasm_linker_define_async_func, wasm_linker_instantiate_async,
 *     wasm_store_fuel_async_yield_interval;
 *   - with -DBENCH_REFERENCE against benches/host/wasmtime-abi/ (wasm.h,
 *     wasmtime-wasi.h and wasmtime-async.h), linked to the reference
 *     runtime's C library: the wasmtime_* equivalents of each.
 * The two builds differ only in the small runtime layer below, which maps
 * each step to the runtime's API; the modules are benches/wasmgen.py's
 * async_calls_module and async_suspend_module.
 *
 * usage (BATCHES timed batches, each sized by an untimed first run, which
 * also warms up, to take at least SECONDS of the calling thread's CPU time):
 *   async_host calls FILE BATCHES SECONDS
 *       FILE exports f: [i32] -> [i32], the identity. Two engines: the
 *       default one, calling f(i) synchronously (wasm_func_call, or
 *       wasmtime_func_call for the reference), and one with async support
 *       (the reference needs no setting), calling f(i) asynchronously: start
 *       the call, poll it to completion, delete the future, per call. The
 *       batches alternate between the two. Checked: every call returns i,
 *       and no async call suspends.
 *   async_host suspend FILE BATCHES SECONDS
 *       FILE imports host.suspend: [i32] -> [i32], defined as an async host
 *       function whose continuation reports not done at its first poll and
 *       done at its second (writing x ^ SUSPEND_MASK), and exports
 *       suspend_loop(n), which calls it with 0..n-1 and sums the results.
 *       A batch is one async call of suspend_loop(n): n suspend/resume
 *       round trips. Checked: the sum, n host calls, n polls of the future
 *       that return false (each host call suspends exactly once) and n
 *       continuation finalizers.
 *   async_host fuel FILE BATCHES SECONDS INTERVAL
 *       FILE exports spin(n), a loop summing 0..n-1. An engine with async
 *       support and fuel; batches alternate between an async call of
 *       spin(n) with fuel yields off and the same call yielding every
 *       INTERVAL units of fuel (the batch sized by the latter). Reported
 *       per batch pair: the extra time divided by the yields (polls that
 *       returned false). Checked: the sum,
 *       no yield without the interval, at least one with it, and the same
 *       number of yields in every batch.
 * Each invocation prints one JSON object on stdout: {"ok": true, ...} with
 * wall and thread CPU times, or {"ok": false, "error": "..."} (exit 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_REFERENCE
#include "wasmtime-async.h"
#else
#include "wasm-runtime.h"
#include "wasm.h"
#endif

/* The clocks, read_file and the JSON report (fail, print_array). */
#include "bench_common.h"

/* host.suspend(x) returns x ^ SUSPEND_MASK. */
#define SUSPEND_MASK 0x5A5A
#define MAX_BATCHES 50
/* The largest operation count of a batch (the guest's counts are i32). */
#define MAX_COUNT 1000000000

/* Fails the run with a trap's message. */
__attribute__((noreturn)) static void fail_trap(const char *what, wasm_trap_t *trap) {
  wasm_message_t message = {0, NULL};
  wasm_trap_message(trap, &message);
  fail("%s trapped: %.*s", what, (int)message.size, message.data);
}

/* ---- host.suspend: the state of its one call in progress ---------------- */

static struct {
  long calls;      /* host.suspend calls */
  long finalized;  /* continuations finalized */
  int polls;       /* polls of the current call's continuation */
  int32_t value;   /* the result it writes when done */
  void *results;   /* where: the runtime's result array */
} suspension;

static void write_i32_result(void *results, int32_t value);

static bool suspend_continuation(void *env) {
  (void)env;
  if (suspension.polls++ == 0) return false;
  write_i32_result(suspension.results, suspension.value);
  return true;
}

static void suspend_finalizer(void *env) {
  (void)env;
  suspension.finalized++;
}

/* What host.suspend does with its argument, for either runtime's callback. */
static void suspend_start(int32_t arg, void *results) {
  suspension.calls++;
  suspension.polls = 0;
  suspension.value = arg ^ SUSPEND_MASK;
  suspension.results = results;
}

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
  bool async;
};

typedef struct rt_func {
  wasmtime_func_t func;
} rt_func_t;

static void write_i32_result(void *results, int32_t value) {
  wasmtime_val_t *vals = results;
  vals[0].kind = WASMTIME_I32;
  vals[0].of.i32 = value;
}

static void host_suspend(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                         size_t nargs, wasmtime_val_t *results, size_t nresults,
                         wasm_trap_t **trap_ret, wasmtime_async_continuation_t *continuation_ret) {
  (void)env;
  (void)caller;
  (void)trap_ret;
  if (nargs != 1 || nresults != 1 || args[0].kind != WASMTIME_I32) fail("host.suspend called oddly");
  suspend_start(args[0].of.i32, results);
  continuation_ret->callback = suspend_continuation;
  continuation_ret->env = NULL;
  continuation_ret->finalizer = suspend_finalizer;
}

static void rt_open(struct runtime *rt, const wasm_byte_vec_t *binary, bool async, bool fuel) {
  rt->async = async;
  if (async || fuel) {
    wasm_config_t *config = wasm_config_new();
    if (!config) fail("wasm_config_new failed");
    if (async && wasmtime_config_async_support_set) wasmtime_config_async_support_set(config, true);
    if (fuel) wasmtime_config_consume_fuel_set(config, true);
    rt->engine = wasm_engine_new_with_config(config);
  } else {
    rt->engine = wasm_engine_new();
  }
  if (!rt->engine) fail("no engine");
  rt->store = wasmtime_store_new(rt->engine, NULL, NULL);
  rt->context = wasmtime_store_context(rt->store);
  if (fuel) check(wasmtime_context_set_fuel(rt->context, UINT64_C(1) << 62), "setting fuel");
  check(wasmtime_module_new(rt->engine, (const uint8_t *)binary->data, binary->size, &rt->module),
        "compiling");
  rt->linker = wasmtime_linker_new(rt->engine);
}

static void rt_define_suspend(struct runtime *rt, const wasm_functype_t *type) {
  check(wasmtime_linker_define_async_func(rt->linker, "host", 4, "suspend", 7, type, host_suspend,
                                          NULL, NULL),
        "defining host.suspend");
}

static void rt_instantiate(struct runtime *rt) {
  wasm_trap_t *trap = NULL;
  if (!rt->async) {
    check(wasmtime_linker_instantiate(rt->linker, rt->context, rt->module, &rt->instance, &trap),
          "instantiating");
  } else {
    wasmtime_error_t *error = NULL;
    wasmtime_call_future_t *future = wasmtime_linker_instantiate_async(
        rt->linker, rt->context, rt->module, &rt->instance, &trap, &error);
    if (!future) fail("wasmtime_linker_instantiate_async returned no future");
    while (!wasmtime_call_future_poll(future)) {
    }
    wasmtime_call_future_delete(future);
    check(error, "instantiating asynchronously");
  }
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

static int32_t rt_call_sync(struct runtime *rt, const rt_func_t *f, int32_t arg) {
  wasmtime_val_t args[1], results[1];
  args[0].kind = WASMTIME_I32;
  args[0].of.i32 = arg;
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = 0;
  wasm_trap_t *trap = NULL;
  check(wasmtime_func_call(rt->context, &f->func, args, 1, results, 1, &trap), "calling");
  if (trap) fail_trap("the call", trap);
  if (results[0].kind != WASMTIME_I32) fail("the call returned kind %d", results[0].kind);
  return results[0].of.i32;
}

/* Calls f(arg) asynchronously, polling it to completion; adds the polls
 * that returned false (suspensions) to *pending. */
static int32_t rt_call_async(struct runtime *rt, const rt_func_t *f, int32_t arg, long *pending) {
  wasmtime_val_t args[1], results[1];
  args[0].kind = WASMTIME_I32;
  args[0].of.i32 = arg;
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = 0;
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error = NULL;
  wasmtime_call_future_t *future =
      wasmtime_func_call_async(rt->context, &f->func, args, 1, results, 1, &trap, &error);
  if (!future) fail("wasmtime_func_call_async returned no future");
  while (!wasmtime_call_future_poll(future)) ++*pending;
  wasmtime_call_future_delete(future);
  check(error, "calling asynchronously");
  if (trap) fail_trap("the async call", trap);
  if (results[0].kind != WASMTIME_I32) fail("the async call returned kind %d", results[0].kind);
  return results[0].of.i32;
}

static void rt_fuel_yield_interval(struct runtime *rt, uint64_t interval) {
  check(wasmtime_context_fuel_async_yield_interval(rt->context, interval),
        "setting the fuel yield interval");
}

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
  bool async;
};

typedef struct rt_func {
  wasm_extern_t *ext;
  wasm_func_t *func;
} rt_func_t;

static void write_i32_result(void *results, int32_t value) {
  wasm_val_vec_t *vals = results;
  vals->data[0].kind = WASM_I32;
  vals->data[0].of.i32 = value;
}

static void host_suspend(void *env, wasm_caller_t *caller, const wasm_val_vec_t *args,
                         wasm_val_vec_t *results, wasm_trap_t **trap_ret,
                         wasm_async_continuation_t *continuation_ret) {
  (void)env;
  (void)caller;
  (void)trap_ret;
  if (args->size != 1 || results->size != 1 || args->data[0].kind != WASM_I32)
    fail("host.suspend called oddly");
  suspend_start(args->data[0].of.i32, results);
  continuation_ret->callback = suspend_continuation;
  continuation_ret->env = NULL;
  continuation_ret->finalizer = suspend_finalizer;
}

static void rt_open(struct runtime *rt, const wasm_byte_vec_t *binary, bool async, bool fuel) {
  rt->async = async;
  if (async || fuel) {
    wasm_config_t *config = wasm_config_new();
    if (!config) fail("wasm_config_new failed");
    if (async) wasm_config_async_support_set(config, true);
    if (fuel) wasm_config_consume_fuel_set(config, true);
    rt->engine = wasm_engine_new_with_config(config);
  } else {
    rt->engine = wasm_engine_new();
  }
  if (!rt->engine) fail("no engine");
  rt->store = wasm_store_new(rt->engine);
  if (!rt->store) fail("no store");
  if (fuel) check(wasm_store_set_fuel(rt->store, UINT64_C(1) << 62), "setting fuel");
  check(wasm_module_new_checked(rt->store, binary, &rt->module), "compiling");
  rt->linker = wasm_linker_new(rt->engine);
  if (!rt->linker) fail("no linker");
}

static void rt_define_suspend(struct runtime *rt, const wasm_functype_t *type) {
  check(wasm_linker_define_async_func(rt->linker, "host", 4, "suspend", 7, type, host_suspend, NULL,
                                      NULL),
        "defining host.suspend");
}

static void rt_instantiate(struct runtime *rt) {
  wasm_trap_t *trap = NULL;
  if (!rt->async) {
    check(wasm_linker_instantiate(rt->linker, rt->store, rt->module, &rt->instance, &trap),
          "instantiating");
  } else {
    wasm_error_t *error = NULL;
    wasm_call_future_t *future = wasm_linker_instantiate_async(rt->linker, rt->store, rt->module,
                                                               &rt->instance, &trap, &error);
    if (!future) fail("wasm_linker_instantiate_async returned no future");
    while (!wasm_call_future_poll(future)) {
    }
    wasm_call_future_delete(future);
    check(error, "instantiating asynchronously");
  }
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

static int32_t rt_call_sync(struct runtime *rt, const rt_func_t *f, int32_t arg) {
  (void)rt;
  wasm_val_t arg_val[1], result_val[1];
  memset(arg_val, 0, sizeof arg_val);
  memset(result_val, 0, sizeof result_val);
  arg_val[0].kind = WASM_I32;
  arg_val[0].of.i32 = arg;
  wasm_val_vec_t args = {1, arg_val}, results = {1, result_val};
  wasm_trap_t *trap = wasm_func_call(f->func, &args, &results);
  if (trap) fail_trap("the call", trap);
  if (result_val[0].kind != WASM_I32) fail("the call returned kind %d", result_val[0].kind);
  return result_val[0].of.i32;
}

/* Calls f(arg) asynchronously, polling it to completion; adds the polls
 * that returned false (suspensions) to *pending. */
static int32_t rt_call_async(struct runtime *rt, const rt_func_t *f, int32_t arg, long *pending) {
  (void)rt;
  wasm_val_t arg_val[1], result_val[1];
  memset(arg_val, 0, sizeof arg_val);
  memset(result_val, 0, sizeof result_val);
  arg_val[0].kind = WASM_I32;
  arg_val[0].of.i32 = arg;
  wasm_val_vec_t args = {1, arg_val}, results = {1, result_val};
  wasm_trap_t *trap = NULL;
  wasm_error_t *error = NULL;
  wasm_call_future_t *future = wasm_func_call_async(f->func, &args, &results, &trap, &error);
  if (!future) fail("wasm_func_call_async returned no future");
  while (!wasm_call_future_poll(future)) ++*pending;
  wasm_call_future_delete(future);
  check(error, "calling asynchronously");
  if (trap) fail_trap("the async call", trap);
  if (result_val[0].kind != WASM_I32) fail("the async call returned kind %d", result_val[0].kind);
  return result_val[0].of.i32;
}

static void rt_fuel_yield_interval(struct runtime *rt, uint64_t interval) {
  check(wasm_store_fuel_async_yield_interval(rt->store, interval),
        "setting the fuel yield interval");
}

static void rt_close(struct runtime *rt) {
  wasm_instance_delete(rt->instance);
  wasm_linker_delete(rt->linker);
  wasm_module_delete(rt->module);
  wasm_store_delete(rt->store);
  wasm_engine_delete(rt->engine);
}

#endif

/* ---- jobs: what a batch does -------------------------------------------- */

/* One kind of batch: `run(job, n)` does n operations of its kind and checks
 * their results (failing the run on a wrong one). */
struct job {
  void (*run)(struct job *job, int n);
  struct runtime *rt;
  rt_func_t func;
  uint64_t interval; /* fuel: the yield interval, 0 for none */
  long yields;       /* fuel: the last batch's yields */
};

static void run_sync_calls(struct job *job, int n) {
  for (int i = 0; i < n; i++)
    if (rt_call_sync(job->rt, &job->func, i) != i) fail("f(%d) returned the wrong value", i);
}

static void run_async_calls(struct job *job, int n) {
  long pending = 0;
  for (int i = 0; i < n; i++)
    if (rt_call_async(job->rt, &job->func, i, &pending) != i)
      fail("async f(%d) returned the wrong value", i);
  if (pending != 0) fail("async calls of f suspended %ld times", pending);
}

static void run_suspend_loop(struct job *job, int n) {
  uint32_t expected = 0;
  for (int i = 0; i < n; i++) expected += (uint32_t)(i ^ SUSPEND_MASK);
  long calls = suspension.calls, finalized = suspension.finalized, pending = 0;
  int32_t sum = rt_call_async(job->rt, &job->func, n, &pending);
  if ((uint32_t)sum != expected) fail("suspend_loop(%d) returned %d, expected %d", n, sum, (int32_t)expected);
  if (suspension.calls - calls != n)
    fail("host.suspend called %ld times, expected %d", suspension.calls - calls, n);
  if (pending != n) fail("the call suspended %ld times, expected %d", pending, n);
  if (suspension.finalized - finalized != n)
    fail("%ld continuations finalized, expected %d", suspension.finalized - finalized, n);
}

static void run_spin(struct job *job, int n) {
  rt_fuel_yield_interval(job->rt, job->interval);
  long pending = 0;
  int32_t sum = rt_call_async(job->rt, &job->func, n, &pending);
  uint32_t expected = (uint32_t)((uint64_t)n * (uint64_t)(n - 1) / 2);
  if ((uint32_t)sum != expected) fail("spin(%d) returned %d, expected %d", n, sum, (int32_t)expected);
  if (job->interval == 0 && pending != 0) fail("spin yielded %ld times without a yield interval", pending);
  if (job->interval != 0 && pending == 0) fail("spin never yielded with a yield interval");
  job->yields = pending;
}

/* Runs one batch of n; its wall and thread CPU time in seconds. */
static void timed(struct job *job, int n, double *wall, double *cpu) {
  double t0 = now(), c0 = thread_cpu_now();
  job->run(job, n);
  *cpu = thread_cpu_now() - c0;
  *wall = now() - t0;
}

/* The batch size that takes at least `seconds` of CPU time, from untimed
 * runs growing from 1000 (which also warm up and check the job). */
static int size_batch(struct job *job, double seconds) {
  int n = 1000;
  for (;;) {
    double wall, cpu;
    timed(job, n, &wall, &cpu);
    if (cpu >= seconds) return n;
    double factor = cpu > seconds / 20 ? 1.2 * seconds / cpu : 10;
    if ((double)n * factor > MAX_COUNT) {
      if (n == MAX_COUNT) return n;
      n = MAX_COUNT;
    } else {
      n = (int)((double)n * factor) + 1;
    }
  }
}

/* ---- modes ---------------------------------------------------------------- */

static int parse_batches(const char *text) {
  int v = atoi(text);
  if (v < 1 || v > MAX_BATCHES) fail("bad batch count `%s`", text);
  return v;
}

static double parse_seconds(const char *text) {
  double v = atof(text);
  if (!(v > 0 && v <= 60)) fail("bad batch seconds `%s`", text);
  return v;
}

static void mode_calls(const char *path, int batches, double seconds) {
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  struct runtime sync_rt = {0}, async_rt = {0};
  rt_open(&sync_rt, &binary, false, false);
  rt_instantiate(&sync_rt);
  rt_open(&async_rt, &binary, true, false);
  rt_instantiate(&async_rt);
  struct job sync_job = {run_sync_calls, &sync_rt, rt_func(&sync_rt, "f"), 0, 0};
  struct job async_job = {run_async_calls, &async_rt, rt_func(&async_rt, "f"), 0, 0};
  int sync_n = size_batch(&sync_job, seconds), async_n = size_batch(&async_job, seconds);
  double sync_ns[MAX_BATCHES], sync_cpu[MAX_BATCHES], async_ns[MAX_BATCHES], async_cpu[MAX_BATCHES];
  for (int b = 0; b < batches; b++) {
    double wall, cpu;
    timed(&sync_job, sync_n, &wall, &cpu);
    sync_ns[b] = wall * 1e9 / sync_n;
    sync_cpu[b] = cpu * 1e9 / sync_n;
    timed(&async_job, async_n, &wall, &cpu);
    async_ns[b] = wall * 1e9 / async_n;
    async_cpu[b] = cpu * 1e9 / async_n;
  }
  printf("{\"ok\": true, \"sync_calls\": %d, \"async_calls\": %d", sync_n, async_n);
  print_array("sync_ns", sync_ns, batches);
  print_array("sync_cpu_ns", sync_cpu, batches);
  print_array("async_ns", async_ns, batches);
  print_array("async_cpu_ns", async_cpu, batches);
  printf("}\n");
  rt_func_delete(&sync_job.func);
  rt_func_delete(&async_job.func);
  rt_close(&sync_rt);
  rt_close(&async_rt);
  wasm_byte_vec_delete(&binary);
}

static wasm_functype_t *i32_to_i32(void) {
  wasm_valtype_t *param = wasm_valtype_new(WASM_I32), *result = wasm_valtype_new(WASM_I32);
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 1, &param);
  wasm_valtype_vec_new(&results, 1, &result);
  return wasm_functype_new(&params, &results);
}

static void mode_suspend(const char *path, int batches, double seconds) {
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  struct runtime rt = {0};
  rt_open(&rt, &binary, true, false);
  wasm_functype_t *type = i32_to_i32();
  rt_define_suspend(&rt, type);
  wasm_functype_delete(type);
  rt_instantiate(&rt);
  struct job job = {run_suspend_loop, &rt, rt_func(&rt, "suspend_loop"), 0, 0};
  int n = size_batch(&job, seconds);
  double round_trip_ns[MAX_BATCHES], round_trip_cpu[MAX_BATCHES];
  for (int b = 0; b < batches; b++) {
    double wall, cpu;
    timed(&job, n, &wall, &cpu);
    round_trip_ns[b] = wall * 1e9 / n;
    round_trip_cpu[b] = cpu * 1e9 / n;
  }
  printf("{\"ok\": true, \"round_trips\": %d", n);
  print_array("round_trip_ns", round_trip_ns, batches);
  print_array("round_trip_cpu_ns", round_trip_cpu, batches);
  printf("}\n");
  rt_func_delete(&job.func);
  rt_close(&rt);
  wasm_byte_vec_delete(&binary);
}

static void mode_fuel(const char *path, int batches, double seconds, uint64_t interval) {
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  struct runtime rt = {0};
  rt_open(&rt, &binary, true, true);
  rt_instantiate(&rt);
  struct job plain = {run_spin, &rt, rt_func(&rt, "spin"), 0, 0};
  struct job yielding = {run_spin, &rt, rt_func(&rt, "spin"), interval, 0};
  /* Both run the same spin(n), sized with the yields; one untimed run
   * warms the plain call up. */
  int n = size_batch(&yielding, seconds);
  long yields = yielding.yields;
  plain.run(&plain, n);
  double per_yield_ns[MAX_BATCHES], per_yield_cpu[MAX_BATCHES];
  double plain_s[MAX_BATCHES], yielding_s[MAX_BATCHES];
  for (int b = 0; b < batches; b++) {
    double plain_wall, plain_cpu, wall, cpu;
    timed(&plain, n, &plain_wall, &plain_cpu);
    timed(&yielding, n, &wall, &cpu);
    if (yielding.yields != yields)
      fail("spin(%d) yielded %ld times, earlier %ld", n, yielding.yields, yields);
    per_yield_ns[b] = (wall - plain_wall) * 1e9 / (double)yields;
    per_yield_cpu[b] = (cpu - plain_cpu) * 1e9 / (double)yields;
    plain_s[b] = plain_cpu;
    yielding_s[b] = cpu;
  }
  printf("{\"ok\": true, \"iterations\": %d, \"interval\": %llu, \"yields\": %ld", n,
         (unsigned long long)interval, yields);
  print_array("per_yield_ns", per_yield_ns, batches);
  print_array("per_yield_cpu_ns", per_yield_cpu, batches);
  print_array("plain_cpu_s", plain_s, batches);
  print_array("yielding_cpu_s", yielding_s, batches);
  printf("}\n");
  rt_func_delete(&plain.func);
  rt_func_delete(&yielding.func);
  rt_close(&rt);
  wasm_byte_vec_delete(&binary);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "calls") && argc == 5) {
    mode_calls(argv[2], parse_batches(argv[3]), parse_seconds(argv[4]));
  } else if (!strcmp(mode, "suspend") && argc == 5) {
    mode_suspend(argv[2], parse_batches(argv[3]), parse_seconds(argv[4]));
  } else if (!strcmp(mode, "fuel") && argc == 6) {
    long long interval = atoll(argv[5]);
    if (interval < 1) fail("bad yield interval `%s`", argv[5]);
    mode_fuel(argv[2], parse_batches(argv[3]), parse_seconds(argv[4]), (uint64_t)interval);
  } else {
    fail("usage: async_host calls|suspend FILE BATCHES SECONDS | "
         "async_host fuel FILE BATCHES SECONDS INTERVAL");
  }
  fflush(stdout);
  return 0;
}
