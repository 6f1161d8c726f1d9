/* Threads: one engine and one compiled module shared by several threads.
 * The module is compiled once, handed out as a wasm_shared_module_t, and
 * each thread obtains it into its own store (stores are used by one thread
 * at a time), instantiates it with its own host function and runs it.
 *
 * Uses only the installed headers: wasm.h, plus wasm_wat2wasm from
 * wasm-runtime.h; POSIX threads. Exits non-zero if anything behaves
 * unexpectedly. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* `run(n)` sums 1..n, reporting each partial sum to the host. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"report\" (func $report (param i32)))\n"
    "  (func (export \"run\") (param $n i32) (result i32)\n"
    "    (local $i i32) (local $sum i32)\n"
    "    (block $done\n"
    "      (loop $next\n"
    "        (br_if $done (i32.gt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))\n"
    "                               (local.get $n)))\n"
    "        (local.set $sum (i32.add (local.get $sum) (local.get $i)))\n"
    "        (call $report (local.get $sum))\n"
    "        (br $next)))\n"
    "    (local.get $sum)))\n";

enum { THREADS = 8, ROUNDS = 20 };

typedef struct {
  wasm_engine_t* engine;
  const wasm_shared_module_t* shared;
  int index;
  int32_t result; /* run()'s result in the last round */
  int reports;    /* host calls, all rounds */
  int failed;
} job_t;

/* The host function: counts the reports of its own thread's job. */
static wasm_trap_t* report(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  ++((job_t*)env)->reports;
  return NULL;
}

static void* thread_main(void* arg) {
  job_t* job = (job_t*)arg;
  for (int round = 0; round < ROUNDS; ++round) {
    wasm_store_t* store = wasm_store_new(job->engine);
    wasm_module_t* module = wasm_module_obtain(store, job->shared);
    if (!store || !module) {
      job->failed = 1;
      return NULL;
    }
    wasm_functype_t* report_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_func_t* report_func = wasm_func_new_with_env(store, report_type, report, job, NULL);
    wasm_functype_delete(report_type);
    wasm_extern_t* imports[1] = {wasm_func_as_extern(report_func)};
    wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
    wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
    if (!instance) {
      job->failed = 1;
      return NULL;
    }
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_val_t args[1] = {WASM_I32_VAL(10 * (job->index + 1))};
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
    wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
    wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(exports.data[0]), &arg_vec, &result_vec);
    if (trap) {
      job->failed = 1;
      wasm_trap_delete(trap);
    }
    job->result = results[0].of.i32;
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_func_delete(report_func);
    wasm_module_delete(module);
    wasm_store_delete(store);
  }
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_shared_module_t* shared = wasm_module_share(module);
  /* The shared module stands alone: the original can go. */
  wasm_module_delete(module);
  wasm_store_delete(store);
  if (!shared) return 1;

  pthread_t threads[THREADS];
  job_t jobs[THREADS];
  for (int i = 0; i < THREADS; ++i) {
    jobs[i] = (job_t){engine, shared, i, 0, 0, 0};
    if (pthread_create(&threads[i], NULL, thread_main, &jobs[i]) != 0) return 1;
  }
  int ok = 1;
  for (int i = 0; i < THREADS; ++i) {
    pthread_join(threads[i], NULL);
    int32_t n = 10 * (i + 1);
    int right = !jobs[i].failed && jobs[i].result == n * (n + 1) / 2 &&
                jobs[i].reports == ROUNDS * n;
    printf("thread %d: run(%" PRId32 ") = %" PRId32 ", %d host calls in %d rounds%s\n", i, n,
           jobs[i].result, jobs[i].reports, ROUNDS, right ? "" : " (WRONG)");
    ok = ok && right;
  }

  wasm_shared_module_delete(shared);
  wasm_engine_delete(engine);
  printf("%s\n", ok ? "all threads agree" : "FAILED");
  return ok ? 0 : 1;
}
