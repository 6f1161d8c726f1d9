/* Hello, wasm: compile a module from WebAssembly text, give it a host
 * function, call one of its exports with arguments and print the results.
 *
 * Uses only the installed headers: wasm.h (standard) and wasm-runtime.h
 * (extensions: wasm_wat2wasm, wasm_module_new_checked). Exits non-zero if
 * anything fails. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* The module: imports `host.log_sum`, exports `add_and_log`, which adds its
   two arguments, reports the sum to the host and returns it with its
   square. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"log_sum\" (func $log_sum (param i32)))\n"
    "  (func (export \"add_and_log\") (param $a i32) (param $b i32) (result i32 i64)\n"
    "    (local $sum i32)\n"
    "    (local.set $sum (i32.add (local.get $a) (local.get $b)))\n"
    "    (call $log_sum (local.get $sum))\n"
    "    (local.get $sum)\n"
    "    (i64.mul (i64.extend_i32_s (local.get $sum)) (i64.extend_i32_s (local.get $sum)))))\n";

/* Prints an extension error, frees it and exits. */
static void fail(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  fprintf(stderr, "%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  exit(1);
}

/* The host function: wasm calls it with one i32. `env` counts the calls. */
static wasm_trap_t* log_sum(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  int* calls = (int*)env;
  ++*calls;
  printf("host: wasm computed the sum %" PRId32 "\n", args->data[0].of.i32);
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  if (!engine || !store) return 1;

  /* Text to binary, binary to a compiled module. */
  wasm_byte_vec_t binary;
  wasm_error_t* error = wasm_wat2wasm(WAT, strlen(WAT), &binary);
  if (error) fail("wat2wasm", error);
  wasm_module_t* module = NULL;
  error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  if (error) fail("compile", error);

  /* The host function, typed (i32) -> (). */
  int calls = 0;
  wasm_functype_t* log_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* log_func = wasm_func_new_with_env(store, log_type, log_sum, &calls, NULL);
  wasm_functype_delete(log_type);

  /* Instantiate with the imports in the module's import order. */
  wasm_extern_t* imports[1] = {wasm_func_as_extern(log_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  if (!instance) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    fprintf(stderr, "instantiate: %s\n", message.data);
    return 1;
  }

  /* Call the export with (20, 22); room for its two results. */
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* add_and_log = wasm_extern_as_func(exports.data[0]);
  wasm_val_t args[2] = {WASM_I32_VAL(20), WASM_I32_VAL(22)};
  wasm_val_t results[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  trap = wasm_func_call(add_and_log, &arg_vec, &result_vec);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    fprintf(stderr, "call: %s\n", message.data);
    return 1;
  }
  printf("add_and_log(20, 22) = %" PRId32 ", %" PRId64 "\n", results[0].of.i32,
         results[1].of.i64);
  printf("the host function ran %d time(s)\n", calls);

  /* Everything created is deleted; order does not matter. */
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(log_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return calls == 1 ? 0 : 1;
}
