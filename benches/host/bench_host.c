/* Benchmark host: one C program, written against the standard wasm.h only,
 * built twice by benches/run.py with the same source and flags:
 *   - against include/wasm.h, linked to our libwasm-runtime;
 *   - against benches/host/wasmtime-abi/wasm.h, linked to the reference
 *     runtime (Wasmtime's C library from its Python wheel).
 * so both runtimes run exactly the same host code.
 *
 * ABI note: our wasm_val_t is 24 bytes (it has a v128 member), the reference
 * one is the standard 16 bytes, hence the two headers. On top of that this
 * host never puts more than one value in a wasm_val_vec_t (every function it
 * calls has at most one parameter and one result), so only element 0 of any
 * wasm_val_t array is ever touched and the stride cannot matter.
 *
 * Each invocation runs one measurement and prints exactly one JSON object on
 * stdout: {"ok": true, ...} or {"ok": false, "error": "..."} (exit status 1).
 * The driver runs every measurement in its own process, so a crash of one
 * runtime on one benchmark loses only that cell.
 *
 * usage:
 *   bench_host exec FILE REPEATS        run a kernel: bench_size(), then
 *                                       run(n) once to warm up and check,
 *                                       then REPEATS timed runs
 * Single-threaded measurements (exec, instantiate, calls) report both wall
 * time and the calling thread's CPU time; compile reports wall time and the
 * whole process's CPU time (compilation may use several threads).
 *   bench_host compile FILE REPEATS     wasm_module_new wall and CPU time
 *                                       (fresh engine each time), executable
 *                                       memory it mapped (the code size), and
 *                                       size of wasm_module_serialize's output
 *   bench_host instantiate FILE COUNT   wasm_instance_new time per instance,
 *                                       each in a fresh store
 *   bench_host instantiate-pooled FILE COUNT
 *                                       the same with the pooling allocator
 *                                       (100 instance/memory/table slots,
 *                                       memories up to 16 MiB, the other
 *                                       limits at their defaults), set
 *                                       through each runtime's own C API:
 *                                       wasm_pooling_allocation_config_*
 *                                       for ours, wasmtime_pooling_* for the
 *                                       reference (weak symbols, like the
 *                                       feature setters below); FILE need
 *                                       not export `check`
 *   bench_host calls FILE COUNT         host->wasm and wasm->host calls
 *   bench_host memory-module FILE       resident memory of a compiled module
 *   bench_host memory-instances FILE COUNT
 *                                       resident memory of COUNT live
 *                                       instances (one store each)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasm.h"

/* The clocks, read_file and the JSON report (fail, print_array). */
#include "bench_common.h"

/* ---- clocks and memory ------------------------------------------------ */

/* CPU time of the whole process, all threads: includes compiler threads. */
static double cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

/* Resident set size in KiB, after handing freed heap pages back to the OS
 * so that memory a runtime has already released does not count. */
static double resident_kib(void) {
  malloc_trim(0);
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) fail("cannot open /proc/self/statm");
  long size = 0, resident = 0;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) fail("cannot parse /proc/self/statm");
  fclose(f);
  return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

/* Bytes of executable memory mapped in the process, in KiB. The growth over
 * wasm_module_new is the machine code the runtime produced (page-rounded),
 * measured the same way for every runtime without asking its API. */
static double executable_kib(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) fail("cannot open /proc/self/maps");
  char line[4096];
  double total = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo = 0, hi = 0;
    char perms[5] = {0};
    if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && perms[2] == 'x') total += (double)(hi - lo);
  }
  fclose(f);
  return total / 1024.0;
}

/* ---- wasm helpers ----------------------------------------------------- */

/* Message of a trap as a malloc'd C string; deletes the trap. */
static char *take_trap_message(wasm_trap_t *trap) {
  wasm_message_t message = {0, NULL};
  wasm_trap_message(trap, &message);
  size_t len = message.size;
  while (len > 0 && message.data[len - 1] == '\0') len--;
  char *text = malloc(len + 1);
  if (!text) fail("out of memory");
  if (len) memcpy(text, message.data, len);
  text[len] = '\0';
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
  return text;
}

static wasm_module_t *compile(wasm_store_t *store, const wasm_byte_vec_t *binary, const char *path) {
  wasm_module_t *module = wasm_module_new(store, binary);
  if (!module) fail("wasm_module_new failed for %s", path);
  return module;
}

static void no_imports_expected(const wasm_module_t *module, const char *path) {
  wasm_importtype_vec_t imports = {0, NULL};
  wasm_module_imports(module, &imports);
  size_t count = imports.size;
  wasm_importtype_vec_delete(&imports);
  if (count != 0) fail("%s has %zu imports; this mode expects none", path, count);
}

static wasm_instance_t *instantiate(wasm_store_t *store, const wasm_module_t *module,
                                    const wasm_extern_vec_t *imports) {
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, imports, &trap);
  if (trap) fail("instantiation trapped: %s", take_trap_message(trap));
  if (!instance) fail("wasm_instance_new failed");
  return instance;
}

/* The exports of one instance, kept alive while their functions are used. */
struct exports {
  wasm_exporttype_vec_t types;
  wasm_extern_vec_t externs;
};

static void exports_of(const wasm_module_t *module, const wasm_instance_t *instance,
                       struct exports *out) {
  out->types = (wasm_exporttype_vec_t){0, NULL};
  out->externs = (wasm_extern_vec_t){0, NULL};
  wasm_module_exports(module, &out->types);
  wasm_instance_exports(instance, &out->externs);
  if (out->types.size != out->externs.size)
    fail("module declares %zu exports but the instance has %zu", out->types.size,
         out->externs.size);
}

static void exports_delete(struct exports *e) {
  wasm_extern_vec_delete(&e->externs);
  wasm_exporttype_vec_delete(&e->types);
}

static wasm_func_t *export_func(const struct exports *e, const char *name, size_t params,
                                size_t results) {
  size_t len = strlen(name);
  for (size_t i = 0; i < e->types.size; i++) {
    const wasm_name_t *export_name = wasm_exporttype_name(e->types.data[i]);
    if (export_name->size != len || memcmp(export_name->data, name, len) != 0) continue;
    wasm_func_t *func = wasm_extern_as_func(e->externs.data[i]);
    if (!func) fail("export `%s` is not a function", name);
    if (wasm_func_param_arity(func) != params || wasm_func_result_arity(func) != results)
      fail("export `%s` has %zu params and %zu results, expected %zu and %zu", name,
           wasm_func_param_arity(func), wasm_func_result_arity(func), params, results);
    return func;
  }
  fail("no exported function `%s`", name);
}

/* Calls `func` with at most one argument and one result (see the ABI note
 * at the top); fails the run with the trap message if it traps. */
static void call(const wasm_func_t *func, const char *name, const wasm_val_t *arg,
                 wasm_val_t *result) {
  wasm_val_t arg_copy[1];
  wasm_val_vec_t args = {0, NULL}, results = {0, NULL};
  if (arg) {
    arg_copy[0] = *arg;
    args = (wasm_val_vec_t){1, arg_copy};
  }
  if (result) results = (wasm_val_vec_t){1, result};
  wasm_trap_t *trap = wasm_func_call(func, &args, &results);
  if (trap) fail("`%s` trapped: %s", name, take_trap_message(trap));
}

static wasm_val_t i32_val(int32_t v) {
  wasm_val_t val;
  memset(&val, 0, sizeof val);
  val.kind = WASM_I32;
  val.of.i32 = v;
  return val;
}

static int32_t call_i32(const wasm_func_t *func, const char *name, const wasm_val_t *arg) {
  wasm_val_t result = i32_val(0);
  call(func, name, arg, &result);
  if (result.kind != WASM_I32) fail("`%s` returned kind %d, expected i32", name, result.kind);
  return result.of.i32;
}

static int parse_count(const char *text) {
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (!end || *end || v < 1 || v > 100000000) fail("bad count `%s`", text);
  return (int)v;
}

/* The module file, an engine and a store: what every mode but `compile`
 * starts from (and `session_close` ends with). */
struct session {
  wasm_byte_vec_t binary;
  wasm_engine_t *engine;
  wasm_store_t *store;
};

/* Proposals beyond each runtime's defaults, for the variant kernels
 * (wasm64 builds, shared memories): BENCH_WASM_FEATURES=memory64,threads
 * turns them on through each runtime's own config setter. The setters are
 * not in wasm.h, so they are weak: the linked runtime provides its own,
 * the other's stay NULL. */
extern void wasm_config_wasm_memory64_set(wasm_config_t *, _Bool) __attribute__((weak));
extern void wasm_config_wasm_threads_set(wasm_config_t *, _Bool) __attribute__((weak));
extern void wasmtime_config_wasm_memory64_set(wasm_config_t *, _Bool) __attribute__((weak));
extern void wasmtime_config_wasm_threads_set(wasm_config_t *, _Bool) __attribute__((weak));
extern void wasm_config_wasm_exceptions_set(wasm_config_t *, _Bool) __attribute__((weak));
extern void wasmtime_config_wasm_exceptions_set(wasm_config_t *, _Bool) __attribute__((weak));
/* The reference's exceptions build on its GC types. */
extern void wasmtime_config_wasm_function_references_set(wasm_config_t *, _Bool)
    __attribute__((weak));
extern void wasmtime_config_wasm_gc_set(wasm_config_t *, _Bool) __attribute__((weak));
/* The reference also gates instantiating shared memories separately. */
extern void wasmtime_config_shared_memory_set(wasm_config_t *, _Bool) __attribute__((weak));

static void enable_feature(wasm_config_t *config, const char *name) {
  void (*ours)(wasm_config_t *, _Bool) = NULL, (*reference)(wasm_config_t *, _Bool) = NULL;
  if (!strcmp(name, "memory64")) {
    ours = wasm_config_wasm_memory64_set;
    reference = wasmtime_config_wasm_memory64_set;
  } else if (!strcmp(name, "threads")) {
    ours = wasm_config_wasm_threads_set;
    reference = wasmtime_config_wasm_threads_set;
    if (!ours && wasmtime_config_shared_memory_set) wasmtime_config_shared_memory_set(config, 1);
  } else if (!strcmp(name, "exceptions")) {
    ours = wasm_config_wasm_exceptions_set;
    reference = wasmtime_config_wasm_exceptions_set;
    if (!ours && wasmtime_config_wasm_function_references_set)
      wasmtime_config_wasm_function_references_set(config, 1);
    if (!ours && wasmtime_config_wasm_gc_set) wasmtime_config_wasm_gc_set(config, 1);
  } else {
    fail("BENCH_WASM_FEATURES: unknown feature %s", name);
  }
  if (ours) {
    ours(config, 1);
  } else if (reference) {
    reference(config, 1);
  } else {
    fail("BENCH_WASM_FEATURES: the runtime has no setter for %s", name);
  }
}

/* The pooling allocator, through each runtime's own C API (not in wasm.h,
 * hence weak: the linked runtime provides its own set, the other's stay
 * NULL). Both take an opaque config object; `void *` stands for either. */
extern void *wasm_pooling_allocation_config_new(void) __attribute__((weak));
extern void wasm_pooling_allocation_config_delete(void *) __attribute__((weak));
extern void wasm_pooling_allocation_config_total_core_instances_set(void *, uint32_t)
    __attribute__((weak));
extern void wasm_pooling_allocation_config_total_memories_set(void *, uint32_t)
    __attribute__((weak));
extern void wasm_pooling_allocation_config_total_tables_set(void *, uint32_t)
    __attribute__((weak));
extern void wasm_pooling_allocation_config_max_memory_size_set(void *, size_t)
    __attribute__((weak));
extern void wasm_config_allocation_strategy_set(wasm_config_t *, const void *)
    __attribute__((weak));
extern void *wasmtime_pooling_allocation_config_new(void) __attribute__((weak));
extern void wasmtime_pooling_allocation_config_delete(void *) __attribute__((weak));
extern void wasmtime_pooling_allocation_config_total_core_instances_set(void *, uint32_t)
    __attribute__((weak));
extern void wasmtime_pooling_allocation_config_total_memories_set(void *, uint32_t)
    __attribute__((weak));
extern void wasmtime_pooling_allocation_config_total_tables_set(void *, uint32_t)
    __attribute__((weak));
extern void wasmtime_pooling_allocation_config_max_memory_size_set(void *, size_t)
    __attribute__((weak));
/* The reference's C API calls its strategy setter this (config.h). */
extern void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const void *)
    __attribute__((weak));

#define POOL_SLOTS 100
#define POOL_MAX_MEMORY (16u << 20)

static void enable_pooling(wasm_config_t *config) {
  if (wasm_pooling_allocation_config_new && wasm_config_allocation_strategy_set) {
    void *pool = wasm_pooling_allocation_config_new();
    wasm_pooling_allocation_config_total_core_instances_set(pool, POOL_SLOTS);
    wasm_pooling_allocation_config_total_memories_set(pool, POOL_SLOTS);
    wasm_pooling_allocation_config_total_tables_set(pool, POOL_SLOTS);
    wasm_pooling_allocation_config_max_memory_size_set(pool, POOL_MAX_MEMORY);
    wasm_config_allocation_strategy_set(config, pool);
    wasm_pooling_allocation_config_delete(pool);
  } else if (wasmtime_pooling_allocation_config_new && wasmtime_pooling_allocation_strategy_set) {
    void *pool = wasmtime_pooling_allocation_config_new();
    wasmtime_pooling_allocation_config_total_core_instances_set(pool, POOL_SLOTS);
    wasmtime_pooling_allocation_config_total_memories_set(pool, POOL_SLOTS);
    wasmtime_pooling_allocation_config_total_tables_set(pool, POOL_SLOTS);
    wasmtime_pooling_allocation_config_max_memory_size_set(pool, POOL_MAX_MEMORY);
    wasmtime_pooling_allocation_strategy_set(config, pool);
    wasmtime_pooling_allocation_config_delete(pool);
  } else {
    fail("the runtime has no pooling allocator setters");
  }
}

/* Set by instantiate-pooled before the engine is made. */
static int use_pooling;

static wasm_engine_t *new_engine(void) {
  const char *features = getenv("BENCH_WASM_FEATURES");
  if ((!features || !*features) && !use_pooling) return wasm_engine_new();
  wasm_config_t *config = wasm_config_new();
  if (!config) fail("wasm_config_new failed");
  if (use_pooling) enable_pooling(config);
  char list[256];
  snprintf(list, sizeof list, "%s", features ? features : "");
  for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) enable_feature(config, name);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  if (!engine && use_pooling) fail("the engine with the pooling allocator was refused");
  return engine;
}

static void session_open(struct session *se, const char *path) {
  read_file(path, &se->binary);
  se->engine = new_engine();
  if (!se->engine) fail("wasm_engine_new failed");
  se->store = wasm_store_new(se->engine);
  if (!se->store) fail("wasm_store_new failed");
}

static void session_close(struct session *se) {
  wasm_store_delete(se->store);
  wasm_engine_delete(se->engine);
  wasm_byte_vec_delete(&se->binary);
}

/* ---- modes ------------------------------------------------------------ */

static void mode_exec(const char *path, int repeats) {
  struct session se;
  session_open(&se, path);
  wasm_store_t *store = se.store;
  double t0 = now();
  wasm_module_t *module = compile(store, &se.binary, path);
  double compile_s = now() - t0;
  no_imports_expected(module, path);
  wasm_extern_vec_t imports = {0, NULL};
  wasm_instance_t *instance = instantiate(store, module, &imports);
  struct exports e;
  exports_of(module, instance, &e);
  wasm_func_t *size_fn = export_func(&e, "bench_size", 0, 1);
  wasm_func_t *run_fn = export_func(&e, "run", 1, 1);
  wasm_func_t *checksum_fn = export_func(&e, "last_checksum", 0, 1);

  wasm_val_t n = i32_val(call_i32(size_fn, "bench_size", NULL));
  double *times = calloc((size_t)repeats, sizeof *times);
  double *cpu_times = calloc((size_t)repeats, sizeof *cpu_times);
  if (!times || !cpu_times) fail("out of memory");
  for (int i = -1; i < repeats; i++) { /* i == -1: warm-up and check */
    double start = now(), cpu_start = thread_cpu_now();
    int32_t status = call_i32(run_fn, "run", &n);
    double elapsed = now() - start, cpu_elapsed = thread_cpu_now() - cpu_start;
    if (status != 0) {
      wasm_val_t checksum;
      memset(&checksum, 0, sizeof checksum);
      call(checksum_fn, "last_checksum", NULL, &checksum);
      fail("wrong result (checksum %lld)", (long long)checksum.of.i64);
    }
    if (i >= 0) {
      times[i] = elapsed;
      cpu_times[i] = cpu_elapsed;
    }
  }
  wasm_val_t checksum;
  memset(&checksum, 0, sizeof checksum);
  call(checksum_fn, "last_checksum", NULL, &checksum);
  printf("{\"ok\": true, \"checksum\": %lld, \"compile_s\": %.9g", (long long)checksum.of.i64,
         compile_s);
  print_array("times", times, repeats);
  print_array("cpu_times", cpu_times, repeats);
  printf("}\n");
  free(times);
  free(cpu_times);
  exports_delete(&e);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  session_close(&se);
}

static void mode_compile(const char *path, int repeats) {
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  double *wall = calloc((size_t)repeats, sizeof *wall);
  double *cpu = calloc((size_t)repeats, sizeof *cpu);
  if (!wall || !cpu) fail("out of memory");
  size_t serialized = 0;
  double code_kib = 0;
  for (int i = 0; i < repeats; i++) {
    /* A fresh engine each time, so no run can reuse an earlier one's work. */
    wasm_engine_t *engine = wasm_engine_new();
    if (!engine) fail("wasm_engine_new failed");
    wasm_store_t *store = wasm_store_new(engine);
    if (!store) fail("wasm_store_new failed");
    double exec_before = executable_kib();
    double c0 = cpu_now(), t0 = now();
    wasm_module_t *module = compile(store, &binary, path);
    wall[i] = now() - t0;
    cpu[i] = cpu_now() - c0;
    if (i == 0) {
      code_kib = executable_kib() - exec_before;
      wasm_byte_vec_t bytes = {0, NULL};
      wasm_module_serialize(module, &bytes);
      serialized = bytes.size;
      wasm_byte_vec_delete(&bytes);
    }
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
  }
  printf("{\"ok\": true, \"wasm_bytes\": %zu, \"code_bytes\": %.0f, \"serialized_bytes\": %zu",
         binary.size, code_kib * 1024.0, serialized);
  print_array("wall", wall, repeats);
  print_array("cpu", cpu, repeats);
  printf("}\n");
  free(wall);
  free(cpu);
  wasm_byte_vec_delete(&binary);
}

/* The synthetic modules built by run.py export `check: [] -> [i32]`, which
 * returns 1 when the data segment and the table were initialised right. */
static void check_instance(const wasm_module_t *module, const wasm_instance_t *instance) {
  struct exports e;
  exports_of(module, instance, &e);
  wasm_func_t *check = export_func(&e, "check", 0, 1);
  int32_t ok = call_i32(check, "check", NULL);
  exports_delete(&e);
  if (ok != 1) fail("instance check failed: data segment or table not initialised right");
}

/* Whether `module` exports a function `check` (the synthetic modules with
 * data do; the empty one does not). */
static int has_check_export(const wasm_module_t *module) {
  wasm_exporttype_vec_t exports = {0, NULL};
  wasm_module_exports(module, &exports);
  int found = 0;
  for (size_t i = 0; i < exports.size; i++) {
    const wasm_name_t *name = wasm_exporttype_name(exports.data[i]);
    if (name->size == 5 && !memcmp(name->data, "check", 5)) found = 1;
  }
  wasm_exporttype_vec_delete(&exports);
  return found;
}

static void mode_instantiate(const char *path, int count) {
  struct session se;
  session_open(&se, path);
  wasm_store_t *compile_store = se.store;
  wasm_module_t *module = compile(compile_store, &se.binary, path);
  no_imports_expected(module, path);
  int checked = has_check_export(module);
  wasm_extern_vec_t imports = {0, NULL};
  double *inst = calloc((size_t)count, sizeof *inst);
  double *teardown = calloc((size_t)count, sizeof *teardown);
  double *inst_cpu = calloc((size_t)count, sizeof *inst_cpu);
  double *teardown_cpu = calloc((size_t)count, sizeof *teardown_cpu);
  /* The same pair of clock reads with nothing between: what each interval
     above pays for the clocks themselves (reading the thread's CPU time is
     a system call), which the harness subtracts. */
  double *timer = calloc((size_t)count, sizeof *timer);
  double *timer_cpu = calloc((size_t)count, sizeof *timer_cpu);
  if (!inst || !teardown || !inst_cpu || !teardown_cpu || !timer || !timer_cpu)
    fail("out of memory");
  for (int i = 0; i < count; i++) {
    wasm_store_t *store = wasm_store_new(se.engine);
    if (!store) fail("wasm_store_new failed");
    double t0 = now(), c0 = thread_cpu_now();
    wasm_instance_t *instance = instantiate(store, module, &imports);
    double t1 = now(), c1 = thread_cpu_now();
    if (checked && (i == 0 || i == count - 1)) check_instance(module, instance);
    double t2 = now(), c2 = thread_cpu_now();
    wasm_instance_delete(instance);
    wasm_store_delete(store);
    double t3 = now(), c3 = thread_cpu_now();
    double e0 = now(), ec0 = thread_cpu_now();
    double e1 = now(), ec1 = thread_cpu_now();
    timer[i] = e1 - e0;
    timer_cpu[i] = ec1 - ec0;
    inst[i] = t1 - t0;
    teardown[i] = t3 - t2;
    inst_cpu[i] = c1 - c0;
    teardown_cpu[i] = c3 - c2;
  }
  printf("{\"ok\": true");
  print_array("instantiate", inst, count);
  print_array("teardown", teardown, count);
  print_array("instantiate_cpu", inst_cpu, count);
  print_array("teardown_cpu", teardown_cpu, count);
  print_array("timer", timer, count);
  print_array("timer_cpu", timer_cpu, count);
  printf("}\n");
  free(timer);
  free(timer_cpu);
  free(inst);
  free(teardown);
  free(inst_cpu);
  free(teardown_cpu);
  wasm_module_delete(module);
  session_close(&se);
}

static long long host_calls;

static wasm_trap_t *host_nop(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  host_calls++;
  return NULL;
}

#define CALL_BATCHES 7

static void mode_calls(const char *path, int count) {
  struct session se;
  session_open(&se, path);
  wasm_store_t *store = se.store;
  wasm_module_t *module = compile(store, &se.binary, path);

  wasm_valtype_vec_t no_params, no_results;
  wasm_valtype_vec_new_empty(&no_params);
  wasm_valtype_vec_new_empty(&no_results);
  wasm_functype_t *nop_type = wasm_functype_new(&no_params, &no_results);
  wasm_func_t *host = wasm_func_new(store, nop_type, host_nop);
  wasm_functype_delete(nop_type);
  if (!host) fail("wasm_func_new failed");
  wasm_extern_t *import_list[1] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t imports = {1, import_list};
  wasm_instance_t *instance = instantiate(store, module, &imports);
  struct exports e;
  exports_of(module, instance, &e);
  wasm_func_t *nop = export_func(&e, "nop", 0, 0);
  wasm_func_t *id = export_func(&e, "id", 1, 1);
  wasm_func_t *call_host = export_func(&e, "call_host", 1, 0);

  double nop_ns[CALL_BATCHES], id_ns[CALL_BATCHES], host_ns[CALL_BATCHES];
  double nop_cpu[CALL_BATCHES], id_cpu[CALL_BATCHES], host_cpu[CALL_BATCHES];
  /* Warm-up, and a check that arguments and results cross correctly. */
  wasm_val_t probe = i32_val(0x5eed);
  if (call_i32(id, "id", &probe) != 0x5eed) fail("`id` returned the wrong value");
  for (int b = 0; b < CALL_BATCHES; b++) {
    double t0 = now(), c0 = thread_cpu_now();
    for (int i = 0; i < count; i++) call(nop, "nop", NULL, NULL);
    double t1 = now(), c1 = thread_cpu_now();
    int32_t sum = 0;
    for (int i = 0; i < count; i++) {
      wasm_val_t arg = i32_val(i);
      sum += call_i32(id, "id", &arg) - i;
    }
    double t2 = now(), c2 = thread_cpu_now();
    if (sum != 0) fail("`id` returned wrong values");
    long long before = host_calls;
    wasm_val_t n = i32_val(count);
    call(call_host, "call_host", &n, NULL);
    double t3 = now(), c3 = thread_cpu_now();
    if (host_calls - before != count)
      fail("host function called %lld times, expected %d", host_calls - before, count);
    nop_ns[b] = (t1 - t0) * 1e9 / count;
    id_ns[b] = (t2 - t1) * 1e9 / count;
    host_ns[b] = (t3 - t2) * 1e9 / count;
    nop_cpu[b] = (c1 - c0) * 1e9 / count;
    id_cpu[b] = (c2 - c1) * 1e9 / count;
    host_cpu[b] = (c3 - c2) * 1e9 / count;
  }
  printf("{\"ok\": true");
  print_array("host_to_wasm_nop_ns", nop_ns, CALL_BATCHES);
  print_array("host_to_wasm_i32_ns", id_ns, CALL_BATCHES);
  print_array("wasm_to_host_ns", host_ns, CALL_BATCHES);
  print_array("host_to_wasm_nop_cpu_ns", nop_cpu, CALL_BATCHES);
  print_array("host_to_wasm_i32_cpu_ns", id_cpu, CALL_BATCHES);
  print_array("wasm_to_host_cpu_ns", host_cpu, CALL_BATCHES);
  printf("}\n");
  exports_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(host);
  wasm_module_delete(module);
  session_close(&se);
}

static void mode_memory_module(const char *path) {
  struct session se;
  session_open(&se, path);
  wasm_store_t *store = se.store;
  double before = resident_kib();
  wasm_module_t *module = compile(store, &se.binary, path);
  double after = resident_kib();
  printf("{\"ok\": true, \"wasm_bytes\": %zu, \"module_kib\": %.1f, \"baseline_kib\": %.1f}\n",
         se.binary.size, after - before, before);
  wasm_module_delete(module);
  session_close(&se);
}

static void mode_memory_instances(const char *path, int count) {
  struct session se;
  session_open(&se, path);
  wasm_store_t *compile_store = se.store;
  wasm_module_t *module = compile(compile_store, &se.binary, path);
  no_imports_expected(module, path);
  wasm_extern_vec_t imports = {0, NULL};
  wasm_store_t **stores = calloc((size_t)count, sizeof *stores);
  wasm_instance_t **instances = calloc((size_t)count, sizeof *instances);
  if (!stores || !instances) fail("out of memory");
  double before = resident_kib();
  for (int i = 0; i < count; i++) {
    stores[i] = wasm_store_new(se.engine);
    if (!stores[i]) fail("wasm_store_new failed");
    instances[i] = instantiate(stores[i], module, &imports);
    check_instance(module, instances[i]);
  }
  double after = resident_kib();
  printf("{\"ok\": true, \"count\": %d, \"instances_kib\": %.1f, \"baseline_kib\": %.1f}\n",
         count, after - before, before);
  for (int i = 0; i < count; i++) {
    wasm_instance_delete(instances[i]);
    wasm_store_delete(stores[i]);
  }
  free(instances);
  free(stores);
  wasm_module_delete(module);
  session_close(&se);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "exec") && argc == 4) {
    mode_exec(argv[2], parse_count(argv[3]));
  } else if (!strcmp(mode, "compile") && argc == 4) {
    mode_compile(argv[2], parse_count(argv[3]));
  } else if (!strcmp(mode, "instantiate") && argc == 4) {
    mode_instantiate(argv[2], parse_count(argv[3]));
  } else if (!strcmp(mode, "instantiate-pooled") && argc == 4) {
    use_pooling = 1;
    mode_instantiate(argv[2], parse_count(argv[3]));
  } else if (!strcmp(mode, "calls") && argc == 4) {
    mode_calls(argv[2], parse_count(argv[3]));
  } else if (!strcmp(mode, "memory-module") && argc == 3) {
    mode_memory_module(argv[2]);
  } else if (!strcmp(mode, "memory-instances") && argc == 4) {
    mode_memory_instances(argv[2], parse_count(argv[3]));
  } else {
    fail("usage: bench_host exec|compile|instantiate|instantiate-pooled|calls|memory-module|"
         "memory-instances "
         "FILE [COUNT]");
  }
  fflush(stdout);
  return 0;
}
