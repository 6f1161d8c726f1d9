/* Serialization: compile a module once, serialize it (binary and compiled
 * code), deserialize it in another engine and store without compiling
 * again, and run it; deserialized modules keep their imports and exports.
 * Bytes that are not a serialized module are refused.
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
    "  (import \"host\" \"hello\" (func $hello))\n"
    "  (func (export \"run\") (param i32) (result i32)\n"
    "    (call $hello)\n"
    "    (i32.mul (local.get 0) (local.get 0))))\n";

static wasm_trap_t* hello(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  printf("host: hello from the deserialized module\n");
  return NULL;
}

int main(void) {
  /* Compile and serialize in one engine. */
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  printf("binary is valid: %s\n", wasm_module_validate(store, &binary) ? "yes" : "no");
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  printf("serialized: %s\n", serialized.size > 0 ? "non-empty" : "EMPTY");
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  /* Deserialize in a fresh engine with the same settings. */
  engine = wasm_engine_new();
  store = wasm_store_new(engine);
  wasm_module_t* loaded = wasm_module_deserialize(store, &serialized);
  printf("deserialized: %s\n", loaded ? "ok" : "refused");
  if (!loaded) return 1;

  wasm_importtype_vec_t imports;
  wasm_exporttype_vec_t exports;
  wasm_module_imports(loaded, &imports);
  wasm_module_exports(loaded, &exports);
  const wasm_name_t* export_name = wasm_exporttype_name(exports.data[0]);
  printf("%zu import(s), %zu export(s): %.*s\n", imports.size, exports.size,
         (int)export_name->size, export_name->data);
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_delete(&exports);

  wasm_functype_t* hello_type = wasm_functype_new_0_0();
  wasm_func_t* hello_func = wasm_func_new(store, hello_type, hello);
  wasm_functype_delete(hello_type);
  wasm_extern_t* import_list[1] = {wasm_func_as_extern(hello_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(import_list);
  wasm_instance_t* instance = wasm_instance_new(store, loaded, &import_vec, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t instance_exports;
  wasm_instance_exports(instance, &instance_exports);
  wasm_val_t args[1] = {WASM_I32_VAL(12)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  if (wasm_func_call(wasm_extern_as_func(instance_exports.data[0]), &arg_vec, &result_vec))
    return 1;
  printf("run(12) = %" PRId32 "\n", results[0].of.i32);
  int ok = results[0].of.i32 == 144;

  /* A serialized module serializes to the same bytes again. */
  wasm_byte_vec_t again;
  wasm_module_serialize(loaded, &again);
  printf("serializing again gives %s bytes\n",
         again.size == serialized.size && memcmp(again.data, serialized.data, again.size) == 0
             ? "the same"
             : "different");
  wasm_byte_vec_delete(&again);

  /* Damaged or foreign bytes are refused, not run. */
  wasm_byte_vec_t truncated;
  wasm_byte_vec_new(&truncated, serialized.size / 2, serialized.data);
  wasm_module_t* bad = wasm_module_deserialize(store, &truncated);
  printf("deserializing half of it: %s\n", bad ? "accepted" : "refused");
  ok = ok && !bad;
  wasm_byte_vec_delete(&truncated);
  wasm_byte_vec_t garbage;
  wasm_byte_vec_new(&garbage, 13, "not a module!");
  bad = wasm_module_deserialize(store, &garbage);
  printf("deserializing text: %s\n", bad ? "accepted" : "refused");
  ok = ok && !bad;
  wasm_byte_vec_delete(&garbage);

  wasm_extern_vec_delete(&instance_exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello_func);
  wasm_module_delete(loaded);
  wasm_byte_vec_delete(&serialized);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return ok ? 0 : 1;
}
