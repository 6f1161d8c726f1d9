/* Traps: a wasm trap (integer division by zero) and a trap raised by a
 * host function both come back from wasm_func_call as a wasm_trap_t with a
 * message and the wasm frames where it happened (for the host's trap, the
 * frames below the host call: its origin is the `call $check`); the
 * instance stays usable afterwards.
 *
 * Uses only the installed headers. Exits non-zero if anything behaves
 * unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"check\" (func $check (param i32)))\n"
    "  (func (export \"div\") (param i32 i32) (result i32)\n"
    "    (call $check (local.get 1))\n"
    "    (i32.div_s (local.get 0) (local.get 1))))\n";

/* Refuses negative divisors with a trap of its own. */
static wasm_trap_t* check(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  if (args->data[0].of.i32 >= 0) return NULL;
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "negative divisors are not allowed");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_byte_vec_delete(&message);
  return trap;
}

/* Prints where a trap happened: its origin and every wasm frame of its
   trace, innermost first. A trap that never crossed wasm (made by the host
   outside any call from wasm) has no wasm frames. */
static void print_frames(const wasm_trap_t* trap) {
  wasm_frame_t* origin = wasm_trap_origin(trap);
  if (!origin) {
    printf("  no wasm frames\n");
    return;
  }
  printf("  origin: func %" PRIu32 ", offset %zu in the function, %zu in the module\n",
         wasm_frame_func_index(origin), wasm_frame_func_offset(origin),
         wasm_frame_module_offset(origin));
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  for (size_t i = 0; i < trace.size; i++) {
    printf("  frame %zu: func %" PRIu32 ", module offset %zu\n", i,
           wasm_frame_func_index(trace.data[i]), wasm_frame_module_offset(trace.data[i]));
  }
  wasm_frame_vec_delete(&trace);
}

/* Calls div(a, b); prints the quotient or the trap's message. Returns
   whether it trapped. */
static int call_div(wasm_func_t* div, int32_t a, int32_t b) {
  wasm_val_t args[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(div, &arg_vec, &result_vec);
  if (!trap) {
    printf("div(%" PRId32 ", %" PRId32 ") = %" PRId32 "\n", a, b, results[0].of.i32);
    return 0;
  }
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("div(%" PRId32 ", %" PRId32 ") trapped: %s\n", a, b, message.data);
  wasm_byte_vec_delete(&message);
  print_frames(trap);
  wasm_trap_delete(trap);
  return 1;
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

  wasm_functype_t* check_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* check_func = wasm_func_new_with_env(store, check_type, check, store, NULL);
  wasm_functype_delete(check_type);
  wasm_extern_t* imports[1] = {wasm_func_as_extern(check_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* div = wasm_extern_as_func(exports.data[0]);

  int ok = call_div(div, 7, 2) == 0      /* a normal call */
           && call_div(div, 7, 0) == 1   /* a wasm trap */
           && call_div(div, 7, -1) == 1  /* a host trap */
           && call_div(div, 9, 3) == 0;  /* still usable */

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(check_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return ok ? 0 : 1;
}
