/* The object API from C, compiled with -Wall -Wextra -Werror -pedantic so
 * the header's signatures (const-ness, ownership) are exercised as C hosts
 * use them: globals, tables, memories, foreign objects as externrefs, host
 * info with finalizers, frames, shared and serialized modules. Prints one
 * line per check; exits non-zero on the first failure. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-runtime.h>

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      printf("FAILED: %s (line %d)\n", #cond, __LINE__);               \
      exit(1);                                                         \
    }                                                                  \
  } while (0)

static const char* const WAT =
    "(module\n"
    "  (global (export \"counter\") (mut i32) (i32.const 0))\n"
    "  (table (export \"refs\") 2 externref)\n"
    "  (memory (export \"mem\") 1 2)\n"
    "  (func (export \"keep\") (param externref) (table.set 0 (i32.const 0) (local.get 0)))\n"
    "  (func (export \"bump\") (result i32)\n"
    "    (global.set 0 (i32.add (global.get 0) (i32.const 1))) (global.get 0))\n"
    "  (func $deep (unreachable))\n"
    "  (func (export \"fail\") (call $deep)))\n";

static int finalized = 0;
static void finalize(void* data) {
  CHECK(data == (void*)&finalized);
  ++finalized;
}

static wasm_extern_t* export_named(const wasm_module_t* module, const wasm_extern_vec_t* exports,
                                   const char* name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  wasm_extern_t* found = NULL;
  for (size_t i = 0; i < types.size; i++) {
    const wasm_name_t* n = wasm_exporttype_name(types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0) found = exports->data[i];
  }
  wasm_exporttype_vec_delete(&types);
  CHECK(found != NULL);
  return found;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  CHECK(wasm_wat2wasm(WAT, strlen(WAT), &binary) == NULL);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module != NULL);

  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &no_imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  /* Globals: wasm bumps, the host reads and writes. */
  wasm_global_t* counter = wasm_extern_as_global(export_named(module, &exports, "counter"));
  wasm_func_t* bump = wasm_extern_as_func(export_named(module, &exports, "bump"));
  wasm_val_t result[1] = {WASM_INIT_VAL};
  wasm_val_vec_t no_args = WASM_EMPTY_VEC;
  wasm_val_vec_t results = WASM_ARRAY_VEC(result);
  CHECK(wasm_func_call(bump, &no_args, &results) == NULL);
  wasm_val_t ten = WASM_I32_VAL(10);
  wasm_global_set(counter, &ten);
  CHECK(wasm_func_call(bump, &no_args, &results) == NULL);
  wasm_val_t value;
  wasm_global_get(counter, &value);
  CHECK(value.kind == WASM_I32 && value.of.i32 == 11 && result[0].of.i32 == 11);
  printf("global: %d\n", value.of.i32);

  /* A foreign object through an externref table keeps identity and host
     info; its finalizer runs once, when the last handle goes. */
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(foreign, &finalized, finalize);
  wasm_val_t arg[1] = {WASM_REF_VAL(wasm_foreign_as_ref(foreign))};
  wasm_val_vec_t args = WASM_ARRAY_VEC(arg);
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(export_named(module, &exports, "keep")), &args,
                       &no_results) == NULL);
  const wasm_table_t* refs = wasm_extern_as_table_const(export_named(module, &exports, "refs"));
  CHECK(wasm_table_size(refs) == 2);
  wasm_ref_t* back = wasm_table_get(refs, 0);
  CHECK(back != NULL && wasm_table_get(refs, 1) == NULL);
  CHECK(wasm_ref_same(back, wasm_foreign_as_ref_const(foreign)));
  CHECK(wasm_ref_get_host_info(back) == (void*)&finalized);
  CHECK(wasm_ref_as_foreign_const(back) != NULL && wasm_ref_as_func_const(back) == NULL);
  wasm_ref_delete(back);
  printf("foreign: same object, host info kept\n");

  /* Memory from the host. */
  wasm_memory_t* mem = wasm_extern_as_memory(export_named(module, &exports, "mem"));
  CHECK(wasm_memory_size(mem) == 1 && wasm_memory_data_size(mem) == MEMORY_PAGE_SIZE);
  wasm_memory_data(mem)[5] = 42;
  CHECK(wasm_memory_grow(mem, 1) && !wasm_memory_grow(mem, 1));
  CHECK(wasm_memory_data(mem)[5] == 42);
  printf("memory: %u pages\n", wasm_memory_size(mem));

  /* A trap's frames, innermost first. */
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(export_named(module, &exports, "fail")), &no_args,
                     &no_results);
  CHECK(trap != NULL);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  CHECK(frames.size == 2);
  CHECK(wasm_frame_func_index(frames.data[0]) == 2 && wasm_frame_func_index(frames.data[1]) == 3);
  CHECK(wasm_instance_same(wasm_frame_instance(frames.data[0]), instance));
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(wasm_frame_module_offset(origin) == wasm_frame_module_offset(frames.data[0]));
  printf("trace: %zu frames\n", frames.size);
  wasm_frame_delete(origin);
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(trap);

  /* The module, shared with another store and serialized. */
  wasm_shared_module_t* shared = wasm_module_share(module);
  wasm_store_t* store2 = wasm_store_new(engine);
  wasm_module_t* obtained = wasm_module_obtain(store2, shared);
  CHECK(obtained != NULL);
  wasm_byte_vec_t serialized;
  wasm_module_serialize(obtained, &serialized);
  wasm_module_t* loaded = wasm_module_deserialize(store2, &serialized);
  CHECK(loaded != NULL);
  wasm_instance_t* instance2 = wasm_instance_new(store2, loaded, &no_imports, NULL);
  CHECK(instance2 != NULL);
  CHECK(serialized.size > 0);
  printf("module: shared, serialized and instantiated again\n");
  wasm_byte_vec_delete(&serialized);
  wasm_instance_delete(instance2);
  wasm_module_delete(loaded);
  wasm_module_delete(obtained);
  wasm_shared_module_delete(shared);
  wasm_store_delete(store2);

  /* Teardown in any order; the finalizer ran exactly once at the end. */
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  CHECK(finalized == 0);
  wasm_store_delete(store);
  CHECK(finalized == 0); /* the foreign handle is still alive */
  wasm_foreign_delete(foreign);
  CHECK(finalized == 1);
  wasm_engine_delete(engine);
  printf("finalized: %d\nok\n", finalized);
  return 0;
}
