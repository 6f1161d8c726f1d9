/* Host references: host objects (wasm_foreign_t) and host functions pass
 * through wasm as `externref` values — as call arguments and results, in
 * globals and in tables, from wasm and from the host — and come back as
 * the same objects, with their host info.
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
    "  (import \"host\" \"touch\" (func $touch (param externref) (result externref)))\n"
    "  (global $slot (export \"slot\") (mut externref) (ref.null extern))\n"
    "  (table $refs (export \"refs\") 4 externref)\n"
    "  (func (export \"identity\") (param externref) (result externref) (local.get 0))\n"
    "  (func (export \"via_host\") (param externref) (result externref)\n"
    "    (call $touch (local.get 0)))\n"
    "  (func (export \"global_set\") (param externref) (global.set $slot (local.get 0)))\n"
    "  (func (export \"global_get\") (result externref) (global.get $slot))\n"
    "  (func (export \"table_set\") (param i32 externref)\n"
    "    (table.set $refs (local.get 0) (local.get 1)))\n"
    "  (func (export \"table_get\") (param i32) (result externref)\n"
    "    (table.get $refs (local.get 0)))\n"
    "  (func (export \"is_null\") (param externref) (result i32) (ref.is_null (local.get 0))))\n";

enum { SLOT, REFS, IDENTITY, VIA_HOST, GLOBAL_SET, GLOBAL_GET, TABLE_SET, TABLE_GET, IS_NULL };

static int failures = 0;

static void check(int ok, const char* what) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) ++failures;
}

/* The host function: prints the name in the reference's host info and
   hands the reference back (a new handle, as results are owned by the
   runtime). */
static wasm_trap_t* touch(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_ref_t* ref = args->data[0].of.ref;
  const char* name = ref ? (const char*)wasm_ref_get_host_info(ref) : NULL;
  printf("host: touched %s\n", ref ? (name ? name : "a reference without host info") : "null");
  results->data[0].kind = WASM_EXTERNREF;
  results->data[0].of.ref = ref ? wasm_ref_copy(ref) : NULL;
  return NULL;
}

/* Calls `func` with an optional i32 and an optional reference; returns the
   reference result (owned), or NULL. Exits on a trap. */
static wasm_ref_t* call(const wasm_func_t* func, const int32_t* index, wasm_ref_t* ref,
                        int with_ref, int32_t* i32_result) {
  wasm_val_t args[2];
  size_t nargs = 0;
  if (index) {
    args[nargs].kind = WASM_I32;
    args[nargs++].of.i32 = *index;
  }
  if (with_ref) {
    args[nargs].kind = WASM_EXTERNREF;
    args[nargs++].of.ref = ref;
  }
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {wasm_func_result_arity(func), results};
  wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec);
  if (trap) {
    printf("unexpected trap\n");
    exit(1);
  }
  if (result_vec.size == 0) return NULL;
  if (i32_result) *i32_result = results[0].of.i32;
  return results[0].kind == WASM_EXTERNREF ? results[0].of.ref : NULL;
}

/* Whether `ref` is `expected` (or both null), then frees `ref`. */
static int same_and_free(wasm_ref_t* ref, const wasm_ref_t* expected) {
  int same = ref == NULL ? expected == NULL : wasm_ref_same(ref, expected);
  wasm_ref_delete(ref);
  return same;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;

  wasm_functype_t* touch_type =
      wasm_functype_new_1_1(wasm_valtype_new_externref(), wasm_valtype_new_externref());
  wasm_func_t* touch_func = wasm_func_new(store, touch_type, touch);
  wasm_functype_delete(touch_type);
  wasm_extern_t* imports[1] = {wasm_func_as_extern(touch_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* f[IS_NULL + 1];
  for (size_t i = IDENTITY; i <= IS_NULL; ++i) f[i] = wasm_extern_as_func(exports.data[i]);
  wasm_global_t* slot = wasm_extern_as_global(exports.data[SLOT]);
  wasm_table_t* refs = wasm_extern_as_table(exports.data[REFS]);

  /* Two host objects with names as host info, and a host function. */
  wasm_foreign_t* apple = wasm_foreign_new(store);
  wasm_foreign_t* pear = wasm_foreign_new(store);
  wasm_foreign_set_host_info(apple, "apple");
  wasm_foreign_set_host_info(pear, "pear");
  wasm_ref_t* apple_ref = wasm_foreign_as_ref(apple);
  wasm_ref_t* pear_ref = wasm_foreign_as_ref(pear);
  wasm_ref_t* func_ref = wasm_func_as_ref(touch_func);

  /* Calls: through wasm, and through wasm and the host. */
  check(same_and_free(call(f[IDENTITY], NULL, apple_ref, 1, NULL), apple_ref),
        "identity(apple) is apple");
  wasm_ref_t* back = call(f[VIA_HOST], NULL, pear_ref, 1, NULL);
  check(back && wasm_foreign_same(wasm_ref_as_foreign(back), pear) &&
            strcmp((const char*)wasm_ref_get_host_info(back), "pear") == 0,
        "via_host(pear) is pear, host info intact");
  wasm_ref_delete(back);
  check(same_and_free(call(f[VIA_HOST], NULL, NULL, 1, NULL), NULL), "via_host(null) is null");
  wasm_ref_t* func_back = call(f[IDENTITY], NULL, func_ref, 1, NULL);
  check(func_back && wasm_ref_as_func(func_back) &&
            wasm_func_same(wasm_ref_as_func(func_back), touch_func),
        "a function passed as externref comes back as that function");
  wasm_ref_delete(func_back);
  int32_t is_null = -1;
  call(f[IS_NULL], NULL, apple_ref, 1, &is_null);
  check(is_null == 0, "ref.is_null(apple) is 0");
  call(f[IS_NULL], NULL, NULL, 1, &is_null);
  check(is_null == 1, "ref.is_null(null) is 1");

  /* Globals: wasm writes, the host reads; the host writes, wasm reads. */
  call(f[GLOBAL_SET], NULL, apple_ref, 1, NULL);
  wasm_val_t val;
  wasm_global_get(slot, &val);
  check(val.kind == WASM_EXTERNREF && same_and_free(val.of.ref, apple_ref),
        "host reads apple from the global wasm wrote");
  wasm_val_t pear_val;
  pear_val.kind = WASM_EXTERNREF;
  pear_val.of.ref = pear_ref;
  wasm_global_set(slot, &pear_val);
  check(same_and_free(call(f[GLOBAL_GET], NULL, NULL, 0, NULL), pear_ref),
        "wasm reads pear from the global the host wrote");

  /* Tables: the same both ways, and null entries. */
  int32_t index = 1;
  call(f[TABLE_SET], &index, pear_ref, 1, NULL);
  check(same_and_free(wasm_table_get(refs, 1), pear_ref), "host reads pear from table[1]");
  check(wasm_table_set(refs, 2, apple_ref), "host writes apple to table[2]");
  index = 2;
  check(same_and_free(call(f[TABLE_GET], &index, NULL, 0, NULL), apple_ref),
        "wasm reads apple from table[2]");
  index = 0;
  check(same_and_free(call(f[TABLE_GET], &index, NULL, 0, NULL), NULL), "table[0] is null");
  check(wasm_table_grow(refs, 2, func_ref) && wasm_table_size(refs) == 6,
        "the table grows with a function as externref");
  index = 5;
  check(same_and_free(call(f[TABLE_GET], &index, NULL, 0, NULL), func_ref),
        "wasm reads the function from table[5]");

  /* References outlive the handles they were made from: delete the
     foreign handles, the table and global still hold the objects. */
  wasm_foreign_delete(apple);
  wasm_foreign_delete(pear);
  wasm_ref_t* held = wasm_table_get(refs, 2);
  check(held && strcmp((const char*)wasm_ref_get_host_info(held), "apple") == 0,
        "apple lives on in the table after its handle is deleted");
  wasm_ref_delete(held);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(touch_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures == 0 ? 0 : 1;
}
