/* Globals: host-made globals imported by wasm, globals exported by wasm,
 * read and written from both sides; their types; and what happens when a
 * host writes an immutable global or gives a value of the wrong kind.
 *
 * Uses only the installed headers: wasm.h, plus wasm_wat2wasm from
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (global $const_f32 (import \"host\" \"const f32\") f32)\n"
    "  (global $var_i64 (import \"host\" \"var i64\") (mut i64))\n"
    "  (global (export \"const i32\") i32 (i32.const 7))\n"
    "  (global $var_f64 (export \"var f64\") (mut f64) (f64.const 1.5))\n"
    "  (func (export \"get const f32\") (result f32) (global.get $const_f32))\n"
    "  (func (export \"get var i64\") (result i64) (global.get $var_i64))\n"
    "  (func (export \"set var i64\") (param i64) (global.set $var_i64 (local.get 0)))\n"
    "  (func (export \"get var f64\") (result f64) (global.get $var_f64))\n"
    "  (func (export \"set var f64\") (param f64) (global.set $var_f64 (local.get 0))))\n";

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

static wasm_extern_t* export_named(const wasm_module_t* module, const wasm_extern_vec_t* exports,
                                   const char* name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  wasm_extern_t* found = NULL;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_name_t* export_name = wasm_exporttype_name(types.data[i]);
    if (export_name->size == strlen(name) && memcmp(export_name->data, name, export_name->size) == 0)
      found = exports->data[i];
  }
  wasm_exporttype_vec_delete(&types);
  if (!found) {
    printf("no export %s\n", name);
    exit(1);
  }
  return found;
}

/* Calls a function of at most one parameter and one result. */
static wasm_val_t call(const wasm_func_t* func, const wasm_val_t* arg) {
  wasm_val_t args[1];
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {0, args};
  wasm_val_vec_t result_vec = {wasm_func_result_arity(func), results};
  if (arg) {
    args[0] = *arg;
    arg_vec.size = 1;
  }
  wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec);
  if (trap) {
    printf("unexpected trap\n");
    exit(1);
  }
  return results[0];
}

static const char* kind_name(wasm_valkind_t kind) {
  switch (kind) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    default: return "ref";
  }
}

static void print_type(const char* name, const wasm_global_t* global) {
  wasm_globaltype_t* type = wasm_global_type(global);
  printf("%s: %s %s\n", name,
         wasm_globaltype_mutability(type) == WASM_VAR ? "mutable" : "immutable",
         kind_name(wasm_valtype_kind(wasm_globaltype_content(type))));
  wasm_globaltype_delete(type);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;

  /* Host globals for the two imports. */
  wasm_globaltype_t* const_f32_type = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST);
  wasm_globaltype_t* var_i64_type = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  wasm_val_t f32_init = WASM_F32_VAL(2.25f);
  wasm_val_t i64_init = WASM_I64_VAL(100);
  wasm_global_t* const_f32 = wasm_global_new(store, const_f32_type, &f32_init);
  wasm_global_t* var_i64 = wasm_global_new(store, var_i64_type, &i64_init);
  wasm_globaltype_delete(const_f32_type);
  wasm_globaltype_delete(var_i64_type);
  if (!const_f32 || !var_i64) return 1;

  wasm_extern_t* imports[2] = {wasm_global_as_extern(const_f32), wasm_global_as_extern(var_i64)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  wasm_global_t* const_i32 = wasm_extern_as_global(export_named(module, &exports, "const i32"));
  wasm_global_t* var_f64 = wasm_extern_as_global(export_named(module, &exports, "var f64"));
  const wasm_func_t* get_const_f32 = wasm_extern_as_func(export_named(module, &exports, "get const f32"));
  const wasm_func_t* get_var_i64 = wasm_extern_as_func(export_named(module, &exports, "get var i64"));
  const wasm_func_t* set_var_i64 = wasm_extern_as_func(export_named(module, &exports, "set var i64"));
  const wasm_func_t* get_var_f64 = wasm_extern_as_func(export_named(module, &exports, "get var f64"));
  const wasm_func_t* set_var_f64 = wasm_extern_as_func(export_named(module, &exports, "set var f64"));

  print_type("host const f32", const_f32);
  print_type("host var i64", var_i64);
  print_type("exported const i32", const_i32);
  print_type("exported var f64", var_f64);
  check(wasm_extern_kind(export_named(module, &exports, "var f64")) == WASM_EXTERN_GLOBAL,
        "exported global's extern kind");

  /* Initial values, seen from the host and from wasm. */
  wasm_val_t val;
  wasm_global_get(const_f32, &val);
  printf("const f32 = %g (wasm reads %g)\n", val.of.f32, call(get_const_f32, NULL).of.f32);
  wasm_global_get(var_i64, &val);
  printf("var i64 = %" PRId64 " (wasm reads %" PRId64 ")\n", val.of.i64, call(get_var_i64, NULL).of.i64);
  wasm_global_get(const_i32, &val);
  printf("const i32 = %" PRId32 "\n", val.of.i32);
  wasm_global_get(var_f64, &val);
  printf("var f64 = %g (wasm reads %g)\n", val.of.f64, call(get_var_f64, NULL).of.f64);

  /* The host writes, wasm reads. */
  wasm_val_t i64_new = WASM_I64_VAL(-5);
  wasm_global_set(var_i64, &i64_new);
  wasm_val_t f64_new = WASM_F64_VAL(0.125);
  wasm_global_set(var_f64, &f64_new);
  printf("after host writes: wasm reads var i64 = %" PRId64 ", var f64 = %g\n",
         call(get_var_i64, NULL).of.i64, call(get_var_f64, NULL).of.f64);

  /* Wasm writes, the host reads. */
  wasm_val_t i64_arg = WASM_I64_VAL(INT64_C(1) << 40);
  call(set_var_i64, &i64_arg);
  wasm_val_t f64_arg = WASM_F64_VAL(-3.5);
  call(set_var_f64, &f64_arg);
  wasm_global_get(var_i64, &val);
  printf("after wasm writes: host reads var i64 = %" PRId64, val.of.i64);
  wasm_global_get(var_f64, &val);
  printf(", var f64 = %g\n", val.of.f64);

  /* Refused writes leave the value unchanged. */
  wasm_val_t i32_new = WASM_I32_VAL(8);
  wasm_global_set(const_i32, &i32_new);
  wasm_global_get(const_i32, &val);
  printf("writing the immutable const i32: still %" PRId32 "\n", val.of.i32);
  wasm_global_set(var_f64, &i32_new);
  wasm_global_get(var_f64, &val);
  printf("writing an i32 into var f64: still %g\n", val.of.f64);
  check(val.kind == WASM_F64, "refused write keeps the kind");

  /* A global of the wrong kind for its type is not created. */
  wasm_globaltype_t* i32_type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_global_t* wrong = wasm_global_new(store, i32_type, &f64_new);
  wasm_globaltype_delete(i32_type);
  printf("an i32 global from an f64 value: %s\n", wrong ? "created" : "refused");
  check(wrong == NULL, "global of the wrong kind");

  /* Exports are the same objects each time they are fetched. */
  wasm_extern_vec_t again;
  wasm_instance_exports(instance, &again);
  check(wasm_global_same(var_f64, wasm_extern_as_global(export_named(module, &again, "var f64"))),
        "an export fetched twice is the same global");
  wasm_extern_vec_delete(&again);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_global_delete(const_f32);
  wasm_global_delete(var_i64);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures == 0 ? 0 : 1;
}
