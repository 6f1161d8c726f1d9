/* Reflection: every import and export of a module with its full type
 * (functions' parameters and results, globals' content and mutability,
 * tables' element type and limits, memories' limits), read through the
 * module and through an instance's exports.
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
    "  (import \"env\" \"log\" (func (param i32 f64)))\n"
    "  (import \"env\" \"counter\" (global (mut i64)))\n"
    "  (import \"env\" \"funcs\" (table 1 funcref))\n"
    "  (import \"env\" \"heap\" (memory 1 4))\n"
    "  (func (export \"pair\") (param i64) (result i32 f32) (i32.const 0) (f32.const 0))\n"
    "  (func (export \"nothing\"))\n"
    "  (global (export \"pi\") f64 (f64.const 3.14159))\n"
    "  (global (export \"handle\") (mut externref) (ref.null extern))\n"
    "  (table (export \"refs\") 2 8 externref)\n"
    "  (memory (export \"scratch\") 0))\n";

static const char* kind_name(wasm_valkind_t kind) {
  switch (kind) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_EXTERNREF: return "externref";
    case WASM_FUNCREF: return "funcref";
    default: return "?";
  }
}

static void print_valtypes(const wasm_valtype_vec_t* types) {
  printf("(");
  for (size_t i = 0; i < types->size; ++i)
    printf("%s%s", i ? " " : "", kind_name(wasm_valtype_kind(types->data[i])));
  printf(")");
}

static void print_limits(const wasm_limits_t* limits) {
  if (limits->max == wasm_limits_max_default)
    printf("%" PRIu32 "..", limits->min);
  else
    printf("%" PRIu32 "..%" PRIu32, limits->min, limits->max);
}

/* Prints an extern type the way the text format writes it. */
static void print_externtype(const wasm_externtype_t* type) {
  switch (wasm_externtype_kind(type)) {
    case WASM_EXTERN_FUNC: {
      const wasm_functype_t* func = wasm_externtype_as_functype_const(type);
      printf("func ");
      print_valtypes(wasm_functype_params(func));
      printf(" -> ");
      print_valtypes(wasm_functype_results(func));
      break;
    }
    case WASM_EXTERN_GLOBAL: {
      const wasm_globaltype_t* global = wasm_externtype_as_globaltype_const(type);
      printf("global %s %s", wasm_globaltype_mutability(global) == WASM_VAR ? "var" : "const",
             kind_name(wasm_valtype_kind(wasm_globaltype_content(global))));
      break;
    }
    case WASM_EXTERN_TABLE: {
      const wasm_tabletype_t* table = wasm_externtype_as_tabletype_const(type);
      printf("table %s ", kind_name(wasm_valtype_kind(wasm_tabletype_element(table))));
      print_limits(wasm_tabletype_limits(table));
      break;
    }
    case WASM_EXTERN_MEMORY: {
      const wasm_memorytype_t* memory = wasm_externtype_as_memorytype_const(type);
      printf("memory ");
      print_limits(wasm_memorytype_limits(memory));
      break;
    }
    default:
      printf("unknown kind");
  }
  printf("\n");
}

/* Host imports matching the module's import types: each made from the
   type the module reports. */
static wasm_trap_t* ignore(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
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

  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  printf("%zu imports:\n", imports.size);
  for (size_t i = 0; i < imports.size; ++i) {
    const wasm_name_t* module_name = wasm_importtype_module(imports.data[i]);
    const wasm_name_t* name = wasm_importtype_name(imports.data[i]);
    printf("  %.*s.%.*s: ", (int)module_name->size, module_name->data, (int)name->size, name->data);
    print_externtype(wasm_importtype_type(imports.data[i]));
  }

  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  printf("%zu exports:\n", exports.size);
  for (size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(exports.data[i]);
    printf("  %.*s: ", (int)name->size, name->data);
    print_externtype(wasm_exporttype_type(exports.data[i]));
  }

  /* Build the imports from the reported types. */
  wasm_extern_t* externs[4];
  for (size_t i = 0; i < imports.size && i < 4; ++i) {
    const wasm_externtype_t* type = wasm_importtype_type(imports.data[i]);
    switch (wasm_externtype_kind(type)) {
      case WASM_EXTERN_FUNC:
        externs[i] = wasm_func_as_extern(
            wasm_func_new(store, wasm_externtype_as_functype_const(type), ignore));
        break;
      case WASM_EXTERN_GLOBAL: {
        wasm_val_t zero = WASM_I64_VAL(0);
        externs[i] = wasm_global_as_extern(
            wasm_global_new(store, wasm_externtype_as_globaltype_const(type), &zero));
        break;
      }
      case WASM_EXTERN_TABLE:
        externs[i] = wasm_table_as_extern(
            wasm_table_new(store, wasm_externtype_as_tabletype_const(type), NULL));
        break;
      default:
        externs[i] =
            wasm_memory_as_extern(wasm_memory_new(store, wasm_externtype_as_memorytype_const(type)));
    }
    if (!externs[i]) return 1;
  }
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) return 1;

  /* The instance's exports have the types the module announced. */
  wasm_extern_vec_t instance_exports;
  wasm_instance_exports(instance, &instance_exports);
  printf("instance exports:\n");
  int ok = instance_exports.size == exports.size;
  for (size_t i = 0; i < instance_exports.size; ++i) {
    wasm_externtype_t* type = wasm_extern_type(instance_exports.data[i]);
    printf("  #%zu: ", i);
    print_externtype(type);
    ok = ok && wasm_externtype_kind(type) == wasm_extern_kind(instance_exports.data[i]);
    wasm_externtype_delete(type);
  }

  /* Types copy and convert like any value. */
  wasm_exporttype_t* pair = wasm_exporttype_copy(exports.data[0]);
  wasm_functype_t* pair_type =
      wasm_functype_copy(wasm_externtype_as_functype_const(wasm_exporttype_type(pair)));
  printf("copied export %.*s: ", (int)wasm_exporttype_name(pair)->size,
         wasm_exporttype_name(pair)->data);
  print_externtype(wasm_functype_as_externtype(pair_type));
  wasm_functype_delete(pair_type);
  wasm_exporttype_delete(pair);

  wasm_extern_vec_delete(&instance_exports);
  wasm_instance_delete(instance);
  for (size_t i = 0; i < 4; ++i) wasm_extern_delete(externs[i]);
  wasm_exporttype_vec_delete(&exports);
  wasm_importtype_vec_delete(&imports);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return ok ? 0 : 1;
}
