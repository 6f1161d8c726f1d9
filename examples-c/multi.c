/* Multi-value: a host function and wasm functions returning several
 * values of mixed types, called from wasm and from the host.
 *
 * Uses only the installed headers: wasm.h, plus wasm_wat2wasm from
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* `roundtrip` passes its four values through the host's `reverse` twice
   (so they come back in order); `swap` is a pure-wasm block with two
   results. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"reverse\"\n"
    "    (func $reverse (param i32 i64 f32 f64) (result f64 f32 i64 i32)))\n"
    "  (func $reverse_back (param f64 f32 i64 i32) (result i32 i64 f32 f64)\n"
    "    (local.get 3) (local.get 2) (local.get 1) (local.get 0))\n"
    "  (func (export \"roundtrip\") (param i32 i64 f32 f64) (result i32 i64 f32 f64)\n"
    "    (call $reverse_back\n"
    "      (call $reverse (local.get 0) (local.get 1) (local.get 2) (local.get 3))))\n"
    "  (func (export \"swap\") (param i32 i32) (result i32 i32)\n"
    "    (block (result i32 i32) (local.get 1) (local.get 0))))\n";

static int host_calls = 0;

/* (i32 i64 f32 f64) -> (f64 f32 i64 i32): the arguments in reverse. */
static wasm_trap_t* reverse(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  ++host_calls;
  printf("host: reverse(%" PRId32 ", %" PRId64 ", %g, %g)\n", args->data[0].of.i32,
         args->data[1].of.i64, args->data[2].of.f32, args->data[3].of.f64);
  for (size_t i = 0; i < 4; ++i) results->data[i] = args->data[3 - i];
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

  /* The host function's type, built from vectors. */
  wasm_valtype_t* param_types[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                                    wasm_valtype_new_f32(), wasm_valtype_new_f64()};
  wasm_valtype_t* result_types[4] = {wasm_valtype_new_f64(), wasm_valtype_new_f32(),
                                     wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 4, param_types);
  wasm_valtype_vec_new(&results, 4, result_types);
  wasm_functype_t* reverse_type = wasm_functype_new(&params, &results);
  wasm_func_t* reverse_func = wasm_func_new(store, reverse_type, reverse);
  wasm_functype_delete(reverse_type);

  wasm_extern_t* imports[1] = {wasm_func_as_extern(reverse_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* roundtrip = wasm_extern_as_func(exports.data[0]);
  const wasm_func_t* swap = wasm_extern_as_func(exports.data[1]);
  printf("roundtrip: %zu params, %zu results\n", wasm_func_param_arity(roundtrip),
         wasm_func_result_arity(roundtrip));

  /* Four values in, four out, through wasm and the host. */
  wasm_val_t args[4] = {WASM_I32_VAL(1), WASM_I64_VAL(-INT64_C(2199023255552)), WASM_F32_VAL(3.5f),
                        WASM_F64_VAL(-4.25)};
  wasm_val_t out[4] = {WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t out_vec = WASM_ARRAY_VEC(out);
  wasm_trap_t* trap = wasm_func_call(roundtrip, &arg_vec, &out_vec);
  if (trap) return 1;
  printf("roundtrip = %" PRId32 ", %" PRId64 ", %g, %g\n", out[0].of.i32, out[1].of.i64,
         out[2].of.f32, out[3].of.f64);
  int ok = out[0].kind == WASM_I32 && out[1].kind == WASM_I64 && out[2].kind == WASM_F32 &&
           out[3].kind == WASM_F64 && out[1].of.i64 == args[1].of.i64;

  /* The host function called directly returns its four results too. */
  trap = wasm_func_call(reverse_func, &arg_vec, &out_vec);
  if (trap) return 1;
  printf("reverse = %g, %g, %" PRId64 ", %" PRId32 "\n", out[0].of.f64, out[1].of.f32,
         out[2].of.i64, out[3].of.i32);

  /* Two results from a wasm block. */
  wasm_val_t swap_args[2] = {WASM_I32_VAL(10), WASM_I32_VAL(20)};
  wasm_val_t swapped[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t swap_arg_vec = WASM_ARRAY_VEC(swap_args);
  wasm_val_vec_t swapped_vec = WASM_ARRAY_VEC(swapped);
  trap = wasm_func_call(swap, &swap_arg_vec, &swapped_vec);
  if (trap) return 1;
  printf("swap(10, 20) = %" PRId32 ", %" PRId32 "\n", swapped[0].of.i32, swapped[1].of.i32);

  /* Too little room for the results is a trap, not an overflow. */
  wasm_val_vec_t short_vec = {1, swapped};
  trap = wasm_func_call(swap, &swap_arg_vec, &short_vec);
  printf("swap with room for one result: %s\n", trap ? "trap" : "no trap");
  ok = ok && trap;
  wasm_trap_delete(trap);

  printf("host calls: %d\n", host_calls);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(reverse_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return ok && host_calls == 2 ? 0 : 1;
}
