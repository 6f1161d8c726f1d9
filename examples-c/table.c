/* Tables: an exported funcref table filled by an element segment, read and
 * written by the host (functions from wasm and from the host), called
 * through by wasm with call_indirect; null entries, signature mismatches
 * and out-of-range indices trap; growth from both sides; and a table made
 * by the host.
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
    "  (type $binary (func (param i32 i32) (result i32)))\n"
    "  (table (export \"table\") 3 5 funcref)\n"
    "  (func $add (export \"add\") (type $binary) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func $sub (type $binary) (i32.sub (local.get 0) (local.get 1)))\n"
    "  (func $nullary (result i32) (i32.const 0))\n"
    "  (elem (i32.const 0) $add $sub)\n"
    "  (elem declare func $nullary)\n"
    "  (func (export \"apply\") (param i32 i32 i32) (result i32)\n"
    "    (call_indirect (type $binary) (local.get 1) (local.get 2) (local.get 0)))\n"
    "  (func (export \"size\") (result i32) (table.size))\n"
    "  (func (export \"grow\") (param i32) (result i32) (table.grow (ref.func $nullary) (local.get 0))))\n";

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

/* Host function for the table: multiplies. */
static wasm_trap_t* multiply(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * args->data[1].of.i32;
  return NULL;
}

/* Calls `func` with up to three i32 arguments; returns the i32 result, or
   prints the trap and returns -1000. */
static int32_t call(const wasm_func_t* func, size_t nargs, int32_t a, int32_t b, int32_t c) {
  wasm_val_t args[3] = {WASM_I32_VAL(a), WASM_I32_VAL(b), WASM_I32_VAL(c)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("  trap: %s\n", message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return -1000;
  }
  return results[0].of.i32;
}

static void print_table(const char* what, const wasm_table_t* table) {
  wasm_tabletype_t* type = wasm_table_type(table);
  const wasm_limits_t* limits = wasm_tabletype_limits(type);
  printf("%s: %" PRIu32 " element(s) of %s, limits %" PRIu32 "..%" PRIu32 "\n", what,
         wasm_table_size(table),
         wasm_valtype_kind(wasm_tabletype_element(type)) == WASM_FUNCREF ? "funcref" : "externref",
         limits->min, limits->max);
  wasm_tabletype_delete(type);
}

/* Prints which entries of the table are set. */
static void print_entries(const wasm_table_t* table) {
  printf("entries:");
  for (wasm_table_size_t i = 0; i < wasm_table_size(table); ++i) {
    wasm_ref_t* entry = wasm_table_get(table, i);
    if (!entry) {
      printf(" null");
      continue;
    }
    wasm_func_t* func = wasm_ref_as_func(entry);
    printf(" func/%zu", func ? wasm_func_param_arity(func) : (size_t)99);
    wasm_ref_delete(entry);
  }
  printf("\n");
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_instance_t* instance = wasm_instance_new(store, module, NULL, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_table_t* table = wasm_extern_as_table(exports.data[0]);
  wasm_func_t* add = wasm_extern_as_func(exports.data[1]);
  const wasm_func_t* apply = wasm_extern_as_func(exports.data[2]);
  const wasm_func_t* size = wasm_extern_as_func(exports.data[3]);
  const wasm_func_t* grow = wasm_extern_as_func(exports.data[4]);
  if (!table || !add || !apply || !size || !grow) return 1;

  print_table("exported table", table);
  print_entries(table);
  printf("apply(0, 7, 5) = %" PRId32 "\n", call(apply, 3, 0, 7, 5));
  printf("apply(1, 7, 5) = %" PRId32 "\n", call(apply, 3, 1, 7, 5));
  printf("apply(2, 7, 5):\n");
  check(call(apply, 3, 2, 7, 5) == -1000, "null entry traps");
  printf("apply(3, 7, 5):\n");
  check(call(apply, 3, 3, 7, 5) == -1000, "index past the end traps");

  /* A table entry is the same function as the export. */
  wasm_ref_t* first = wasm_table_get(table, 0);
  check(first && wasm_func_same(wasm_ref_as_func(first), add), "table[0] is the export add");
  wasm_ref_delete(first);

  /* The host puts its own function into the table, wasm calls it. */
  wasm_functype_t* binary_type = wasm_functype_new_2_1(
      wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* host_multiply = wasm_func_new(store, binary_type, multiply);
  wasm_functype_delete(binary_type);
  printf("set table[2] = host multiply: %s\n",
         wasm_table_set(table, 2, wasm_func_as_ref(host_multiply)) ? "ok" : "refused");
  printf("apply(2, 7, 5) = %" PRId32 "\n", call(apply, 3, 2, 7, 5));
  printf("set table[3]: %s\n",
         wasm_table_set(table, 3, wasm_func_as_ref(host_multiply)) ? "ok" : "refused");
  printf("set table[1] = null: %s\n", wasm_table_set(table, 1, NULL) ? "ok" : "refused");
  print_entries(table);

  /* Growth: by the host (with an initial value), then by wasm (with a
     function of another type, which call_indirect refuses). */
  printf("host grows by 1 with add: %s\n",
         wasm_table_grow(table, 1, wasm_func_as_ref(add)) ? "ok" : "refused");
  printf("wasm grows by 1: old size %" PRId32 "\n", call(grow, 1, 1, 0, 0));
  printf("wasm grows by 1 more: %" PRId32 "\n", call(grow, 1, 1, 0, 0));
  printf("host grows by 1 more: %s\n", wasm_table_grow(table, 1, NULL) ? "ok" : "refused");
  printf("table.size = %" PRId32 "\n", call(size, 0, 0, 0, 0));
  print_table("after growth", table);
  print_entries(table);
  printf("apply(3, 7, 5) = %" PRId32 "\n", call(apply, 3, 3, 7, 5));
  printf("apply(4, 7, 5):\n");
  check(call(apply, 3, 4, 7, 5) == -1000, "signature mismatch traps");

  /* A table made by the host. */
  wasm_limits_t limits = {2, 10};
  wasm_tabletype_t* type = wasm_tabletype_new(wasm_valtype_new_funcref(), &limits);
  wasm_table_t* host_table = wasm_table_new(store, type, wasm_func_as_ref(host_multiply));
  wasm_tabletype_delete(type);
  if (!host_table) return 1;
  print_table("host table", host_table);
  print_entries(host_table);
  printf("host table grows by 8: %s\n", wasm_table_grow(host_table, 8, NULL) ? "ok" : "refused");
  printf("host table grows by 1: %s\n", wasm_table_grow(host_table, 1, NULL) ? "ok" : "refused");
  check(wasm_table_size(host_table) == 10, "host table size");

  wasm_table_delete(host_table);
  wasm_func_delete(host_multiply);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures == 0 ? 0 : 1;
}
