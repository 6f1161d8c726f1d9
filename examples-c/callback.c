/* Host functions: a plain callback (wasm_func_new) and closures
 * (wasm_func_new_with_env) whose environment carries state between calls
 * and is released by its finalizer when the store goes away.
 *
 * Uses only the installed headers: wasm.h, plus wasm_wat2wasm from
 * wasm-runtime.h to build the module from text. Exits non-zero if anything
 * behaves unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* `run(a, b)` prints a + b through the host, then adds what the closure
   returns to what `print` returned. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"print\" (func $print (param i32) (result i32)))\n"
    "  (import \"host\" \"next\" (func $next (result i32)))\n"
    "  (func (export \"run\") (param i32 i32) (result i32)\n"
    "    (i32.add\n"
    "      (call $print (i32.add (local.get 0) (local.get 1)))\n"
    "      (call $next))))\n";

/* A callback without environment: prints its argument and returns it. */
static wasm_trap_t* print_callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("callback: print(%" PRId32 ")\n", args->data[0].of.i32);
  results->data[0] = args->data[0];
  return NULL;
}

/* A closure's environment: a counter that advances by a step. */
typedef struct {
  const char* name;
  int32_t value;
  int32_t step;
} counter_t;

static int finalized = 0;

static void counter_finalize(void* env) {
  counter_t* counter = (counter_t*)env;
  printf("finalizer: %s released at %" PRId32 "\n", counter->name, counter->value);
  ++finalized;
  free(counter);
}

/* A closure: returns its counter's next value. */
static wasm_trap_t* next_closure(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  counter_t* counter = (counter_t*)env;
  counter->value += counter->step;
  printf("closure: %s -> %" PRId32 "\n", counter->name, counter->value);
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = counter->value;
  return NULL;
}

static counter_t* counter_new(const char* name, int32_t step) {
  counter_t* counter = (counter_t*)malloc(sizeof(counter_t));
  if (!counter) exit(1);
  counter->name = name;
  counter->value = 0;
  counter->step = step;
  return counter;
}

/* Calls run(a, b) and returns its result; exits on a trap. */
static int32_t call_run(const wasm_func_t* run, int32_t a, int32_t b) {
  wasm_val_t args[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(run, &arg_vec, &result_vec);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    fprintf(stderr, "run trapped: %s\n", message.data);
    exit(1);
  }
  printf("run(%" PRId32 ", %" PRId32 ") = %" PRId32 "\n", a, b, results[0].of.i32);
  return results[0].of.i32;
}

/* Instantiates the module with `print` and the given closure; returns the
   instance (its only export is `run`). */
static wasm_instance_t* instantiate(wasm_store_t* store, const wasm_module_t* module,
                                    wasm_func_t* print, wasm_func_t* next) {
  wasm_extern_t* imports[2] = {wasm_func_as_extern(print), wasm_func_as_extern(next)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) exit(1);
  return instance;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  wasm_error_t* error = wasm_wat2wasm(WAT, strlen(WAT), &binary);
  if (error) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;

  /* The plain callback, typed (i32) -> (i32). */
  wasm_functype_t* print_type =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* print = wasm_func_new(store, print_type, print_callback);
  wasm_functype_delete(print_type);

  /* Two closures of one callback, each with its own environment. */
  wasm_functype_t* next_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* by_one =
      wasm_func_new_with_env(store, next_type, next_closure, counter_new("by_one", 1), counter_finalize);
  wasm_func_t* by_ten =
      wasm_func_new_with_env(store, next_type, next_closure, counter_new("by_ten", 10), counter_finalize);
  wasm_functype_delete(next_type);

  /* Host functions describe themselves like any function. */
  wasm_functype_t* type = wasm_func_type(by_ten);
  printf("closure type: %zu param(s), %zu result(s); arity %zu -> %zu\n",
         wasm_functype_params(type)->size, wasm_functype_results(type)->size,
         wasm_func_param_arity(by_ten), wasm_func_result_arity(by_ten));
  wasm_functype_delete(type);

  /* One instance per closure: the same module sees different state. */
  wasm_instance_t* first = instantiate(store, module, print, by_one);
  wasm_instance_t* second = instantiate(store, module, print, by_ten);
  wasm_extern_vec_t first_exports, second_exports;
  wasm_instance_exports(first, &first_exports);
  wasm_instance_exports(second, &second_exports);
  const wasm_func_t* run_first = wasm_extern_as_func(first_exports.data[0]);
  const wasm_func_t* run_second = wasm_extern_as_func(second_exports.data[0]);

  int ok = call_run(run_first, 1, 2) == 3 + 1 && call_run(run_first, 1, 2) == 3 + 2 &&
           call_run(run_second, 3, 4) == 7 + 10 && call_run(run_first, 0, 0) == 0 + 3;

  /* Host functions are called directly too. */
  wasm_val_t direct_results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t no_args = WASM_EMPTY_VEC;
  wasm_val_vec_t direct_vec = WASM_ARRAY_VEC(direct_results);
  wasm_trap_t* trap = wasm_func_call(by_ten, &no_args, &direct_vec);
  ok = ok && !trap && direct_results[0].of.i32 == 20;

  wasm_extern_vec_delete(&first_exports);
  wasm_extern_vec_delete(&second_exports);
  wasm_instance_delete(first);
  wasm_instance_delete(second);
  wasm_func_delete(print);
  wasm_func_delete(by_one);
  wasm_func_delete(by_ten);
  wasm_module_delete(module);
  printf("before the store is deleted: %d finalizer call(s)\n", finalized);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("after the store is deleted: %d finalizer call(s)\n", finalized);
  return ok && finalized == 2 ? 0 : 1;
}
