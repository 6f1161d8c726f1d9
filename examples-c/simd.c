/* v128 values across the C API: SIMD arguments and results through
 * wasm_func_call, a host function taking and returning v128 (called from
 * wasm), a mutable v128 global read and written from both sides, the
 * v128 value type in reflection, and the option refusal when SIMD is off.
 *
 * A v128 is `of.v128`, its 16 bytes in little-endian lane order (what
 * `v128.const` writes to memory). Exits non-zero if anything behaves
 * unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* `dot4` is the f32x4 dot product of two vectors (a horizontal sum of the
   lane products); `scale` calls the host's `mix` on its argument and the
   global, then stores the result in the global. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"mix\" (func $mix (param v128 v128) (result v128)))\n"
    "  (global $acc (export \"acc\") (mut v128) (v128.const i32x4 1 2 3 4))\n"
    "  (func (export \"dot4\") (param v128 v128) (result f32)\n"
    "    (local $p v128)\n"
    "    (local.set $p (f32x4.mul (local.get 0) (local.get 1)))\n"
    "    (local.set $p (f32x4.add (local.get $p)\n"
    "      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p) (local.get $p))))\n"
    "    (f32.add (f32x4.extract_lane 0 (local.get $p)) (f32x4.extract_lane 1 (local.get $p))))\n"
    "  (func (export \"scale\") (param v128) (result v128)\n"
    "    (global.set $acc (call $mix (local.get 0) (global.get $acc)))\n"
    "    (i32x4.mul (global.get $acc) (i32x4.splat (i32.const 2)))))\n";

static void fail(const char* what) {
  fprintf(stderr, "simd: %s\n", what);
  exit(1);
}

static wasm_val_t v128_of_i32x4(int32_t a, int32_t b, int32_t c, int32_t d) {
  wasm_val_t v;
  int32_t lanes[4] = {a, b, c, d};
  v.kind = WASM_V128;
  memcpy(v.of.v128, lanes, sizeof lanes); /* little-endian host */
  return v;
}

static wasm_val_t v128_of_f32x4(float a, float b, float c, float d) {
  wasm_val_t v;
  float lanes[4] = {a, b, c, d};
  v.kind = WASM_V128;
  memcpy(v.of.v128, lanes, sizeof lanes);
  return v;
}

static void i32x4_of(const wasm_val_t* v, int32_t out[4]) {
  if (v->kind != WASM_V128) fail("expected a v128 value");
  memcpy(out, v->of.v128, 4 * sizeof(int32_t));
}

static void print_i32x4(const char* label, const wasm_val_t* v) {
  int32_t lanes[4];
  i32x4_of(v, lanes);
  printf("%s = i32x4 %" PRId32 " %" PRId32 " %" PRId32 " %" PRId32 "\n", label, lanes[0], lanes[1],
         lanes[2], lanes[3]);
}

/* The host function: lane-wise a * 10 + b, reading and writing v128s. */
static wasm_trap_t* mix_callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  int32_t a[4], b[4];
  i32x4_of(&args->data[0], a);
  i32x4_of(&args->data[1], b);
  printf("host: mix called with two v128 arguments\n");
  results->data[0] = v128_of_i32x4(a[0] * 10 + b[0], a[1] * 10 + b[1], a[2] * 10 + b[2],
                                   a[3] * 10 + b[3]);
  return NULL;
}

static void call(const wasm_func_t* f, wasm_val_t* args, size_t nargs, wasm_val_t* results,
                 size_t nresults) {
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {nresults, results};
  wasm_trap_t* trap = wasm_func_call(f, &arg_vec, &result_vec);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    fprintf(stderr, "trap: %.*s\n", (int)message.size, message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    exit(1);
  }
}

/* With SIMD off, the same module is refused with an error naming the
   option. */
static void simd_off_is_refused(const wasm_byte_vec_t* binary) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_wasm_relaxed_simd_set(config, false);
  wasm_config_wasm_simd_set(config, false);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  if (!engine) fail("engine without SIMD");
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = NULL;
  wasm_error_t* error = wasm_module_new_checked(store, binary, &module);
  if (!error || module) fail("a SIMD module compiled with wasm_simd off");
  wasm_name_t message;
  wasm_error_message(error, &message);
  int names_option = strstr(message.data, "wasm_config_wasm_simd_set") != NULL;
  printf("with wasm_simd off: refused, naming the option: %s\n", names_option ? "yes" : "no");
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  if (!names_option) fail("the refusal does not name wasm_config_wasm_simd_set");
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) fail("wat2wasm");
  wasm_module_t* module = wasm_module_new(store, &binary);
  if (!module) fail("module");

  /* Reflection: the import's parameter types are v128. */
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  const wasm_functype_t* mix_ty = wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[0]));
  const wasm_valtype_vec_t* params = wasm_functype_params(mix_ty);
  int all_v128 = params->size == 2;
  for (size_t i = 0; i < params->size; ++i) all_v128 &= wasm_valtype_kind(params->data[i]) == WASM_V128;
  printf("import mix: %zu v128 parameter(s)\n", all_v128 ? params->size : (size_t)0);
  wasm_importtype_vec_delete(&imports);
  if (!all_v128) fail("reflected import type");

  /* The host function, typed (v128, v128) -> (v128). */
  wasm_functype_t* type = wasm_functype_new_2_1(wasm_valtype_new_v128(), wasm_valtype_new_v128(),
                                                wasm_valtype_new_v128());
  wasm_func_t* mix = wasm_func_new(store, type, mix_callback);
  wasm_functype_delete(type);
  wasm_extern_t* externs[1] = {wasm_func_as_extern(mix)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) fail("instance");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_global_t* acc = wasm_extern_as_global(exports.data[0]);
  const wasm_func_t* dot4 = wasm_extern_as_func(exports.data[1]);
  const wasm_func_t* scale = wasm_extern_as_func(exports.data[2]);
  if (!acc || !dot4 || !scale) fail("exports");

  /* v128 arguments, a scalar result. */
  wasm_val_t args[2] = {v128_of_f32x4(1, 2, 3, 4), v128_of_f32x4(5, 6, 7, 8)};
  wasm_val_t result = WASM_INIT_VAL;
  call(dot4, args, 2, &result, 1);
  printf("dot4([1 2 3 4], [5 6 7 8]) = %g\n", result.of.f32);
  if (result.kind != WASM_F32 || result.of.f32 != 70.0f) fail("dot4");

  /* A v128 argument and result, through the host function and the global. */
  wasm_val_t arg = v128_of_i32x4(1, -1, 100, 7);
  wasm_val_t out = WASM_INIT_VAL;
  call(scale, &arg, 1, &out, 1);
  print_i32x4("scale([1 -1 100 7])", &out);
  int32_t lanes[4];
  i32x4_of(&out, lanes);
  if (lanes[0] != 22 || lanes[1] != -16 || lanes[2] != 2006 || lanes[3] != 148) fail("scale result");

  /* The global, read and written by the host. */
  wasm_val_t global_value;
  wasm_global_get(acc, &global_value);
  print_i32x4("global acc", &global_value);
  i32x4_of(&global_value, lanes);
  if (lanes[0] != 11 || lanes[3] != 74) fail("global after scale");
  wasm_val_t reset = v128_of_i32x4(0, 0, 0, -5);
  wasm_global_set(acc, &reset);
  call(scale, &arg, 1, &out, 1);
  print_i32x4("after setting acc, scale([1 -1 100 7])", &out);
  i32x4_of(&out, lanes);
  if (lanes[0] != 20 || lanes[1] != -20 || lanes[2] != 2000 || lanes[3] != 130) fail("scale after set");

  simd_off_is_refused(&binary);

  wasm_byte_vec_delete(&binary);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(mix);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("done\n");
  return 0;
}
