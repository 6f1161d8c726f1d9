/* Host info and finalizers: many instances, functions and foreign objects
 * carry host info with a finalizer; each finalizer runs exactly once.
 * Foreign objects and modules are finalized when their last handle goes;
 * store objects (instances, functions, ...) when their store goes. Two
 * stores show that one store's objects do not wait for the other's.
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
    "  (global $id (mut i32) (i32.const 0))\n"
    "  (func (export \"set_id\") (param i32) (global.set $id (local.get 0)))\n"
    "  (func (export \"get_id\") (result i32) (global.get $id)))\n";

enum { INSTANCES = 200 };

/* Finalizer calls per kind of object, and a check that each info is
   finalized once. */
static int finalized_instances = 0;
static int finalized_foreigns = 0;
static int finalized_modules = 0;
static int finalized_twice = 0;

typedef struct {
  int* counter;
  int finalized;
  int id;
} info_t;

static info_t* info_new(int* counter, int id) {
  info_t* info = (info_t*)malloc(sizeof(info_t));
  if (!info) exit(1);
  info->counter = counter;
  info->finalized = 0;
  info->id = id;
  return info;
}

static void finalize(void* data) {
  info_t* info = (info_t*)data;
  if (info->finalized++) ++finalized_twice;
  ++*info->counter;
  free(info);
}

static void report(const char* when) {
  printf("%s: %d instance, %d foreign, %d module finalizer call(s)\n", when, finalized_instances,
         finalized_foreigns, finalized_modules);
}

/* Instantiates `count` instances in `store`, each with host info naming it
   and its id written into the instance's global; checks and deletes them. */
static int run_instances(wasm_store_t* store, const wasm_module_t* module, int first, int count) {
  int ok = 1;
  for (int i = first; i < first + count; ++i) {
    wasm_instance_t* instance = wasm_instance_new(store, module, NULL, NULL);
    if (!instance) exit(1);
    wasm_instance_set_host_info_with_finalizer(instance, info_new(&finalized_instances, i), finalize);

    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_val_t args[1] = {WASM_I32_VAL(i)};
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
    wasm_val_vec_t no_vals = WASM_EMPTY_VEC;
    wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
    if (wasm_func_call(wasm_extern_as_func(exports.data[0]), &arg_vec, &no_vals) ||
        wasm_func_call(wasm_extern_as_func(exports.data[1]), &no_vals, &result_vec))
      exit(1);
    const info_t* info = (const info_t*)wasm_instance_get_host_info(instance);
    ok = ok && results[0].of.i32 == i && info && info->id == i;
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
  }
  return ok;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* first_store = wasm_store_new(engine);
  wasm_store_t* second_store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(first_store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_module_set_host_info_with_finalizer(module, info_new(&finalized_modules, -1), finalize);

  /* Instances in two stores, all deleted right away: their host info lives
     until their store goes. */
  int ok = run_instances(first_store, module, 0, INSTANCES / 2);
  ok = run_instances(second_store, module, INSTANCES / 2, INSTANCES / 2) && ok;
  printf("%d instances created and deleted\n", INSTANCES);
  report("stores alive");

  /* Foreign objects go with their last handle: a copy keeps one alive, and
     replacing host info finalizes the old info at once. */
  wasm_foreign_t* foreigns[10];
  for (int i = 0; i < 10; ++i) {
    foreigns[i] = wasm_foreign_new(first_store);
    wasm_foreign_set_host_info_with_finalizer(foreigns[i], info_new(&finalized_foreigns, i), finalize);
  }
  wasm_foreign_set_host_info_with_finalizer(foreigns[0], info_new(&finalized_foreigns, 100), finalize);
  report("foreign 0's host info replaced");
  wasm_foreign_t* kept = wasm_foreign_copy(foreigns[9]);
  for (int i = 0; i < 10; ++i) wasm_foreign_delete(foreigns[i]);
  report("10 foreign handles deleted, one copy kept");
  const info_t* kept_info = (const info_t*)wasm_foreign_get_host_info(kept);
  ok = ok && kept_info && kept_info->id == 9;
  wasm_foreign_delete(kept);
  report("copy deleted");

  /* The module goes with its last handle, even though its instances
     still live in both stores. */
  wasm_module_delete(module);
  report("module deleted");

  wasm_store_delete(first_store);
  report("first store deleted");
  wasm_store_delete(second_store);
  report("second store deleted");
  wasm_engine_delete(engine);

  ok = ok && finalized_instances == INSTANCES && finalized_foreigns == 11 &&
       finalized_modules == 1 && finalized_twice == 0;
  printf("%s\n", ok ? "every finalizer ran exactly once" : "FAILED");
  return ok ? 0 : 1;
}
