/* Linear memory: an exported memory read and written by the host through
 * wasm_memory_data and by wasm through loads and stores; out-of-bounds
 * accesses trap; growth from both sides up to the maximum; and a memory
 * made by the host and imported by a second instance.
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
    "  (memory (export \"memory\") 2 3)\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_s (local.get 0)))\n"
    "  (func (export \"store\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
    "  (data (i32.const 0x1000) \"\\01\\02\\03\\04\"))\n";

/* A module that only imports a memory and reads from it. */
static const char* const IMPORTER_WAT =
    "(module\n"
    "  (import \"host\" \"memory\" (memory 1))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_u (local.get 0))))\n";

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

static wasm_module_t* compile(wasm_store_t* store, const char* wat) {
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(wat, strlen(wat), &binary)) exit(1);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) exit(1);
  return module;
}

/* Calls `func` with up to two i32 arguments; returns the i32 result (0 if
   none), or prints the trap and returns -1000. */
static int32_t call(const wasm_func_t* func, size_t nargs, int32_t a, int32_t b) {
  wasm_val_t args[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {wasm_func_result_arity(func), results};
  wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("  trap: %s\n", message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return -1000;
  }
  return result_vec.size ? results[0].of.i32 : 0;
}

static void print_memory(const char* what, const wasm_memory_t* memory) {
  wasm_memorytype_t* type = wasm_memory_type(memory);
  const wasm_limits_t* limits = wasm_memorytype_limits(type);
  printf("%s: %" PRIu32 " page(s), %zu bytes, limits %" PRIu32 "..%" PRIu32 "\n", what,
         wasm_memory_size(memory), wasm_memory_data_size(memory), limits->min, limits->max);
  wasm_memorytype_delete(type);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, WAT);
  wasm_instance_t* instance = wasm_instance_new(store, module, NULL, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_memory_t* memory = wasm_extern_as_memory(exports.data[0]);
  const wasm_func_t* size = wasm_extern_as_func(exports.data[1]);
  const wasm_func_t* load = wasm_extern_as_func(exports.data[2]);
  const wasm_func_t* store_byte = wasm_extern_as_func(exports.data[3]);
  const wasm_func_t* grow = wasm_extern_as_func(exports.data[4]);
  if (!memory || !size || !load || !store_byte || !grow) return 1;

  print_memory("exported memory", memory);
  printf("memory.size = %" PRId32 "\n", call(size, 0, 0, 0));

  /* The data segment, seen by the host and by wasm. */
  byte_t* data = wasm_memory_data(memory);
  printf("host reads 0x1000..0x1003: %d %d %d %d\n", data[0x1000], data[0x1001], data[0x1002],
         data[0x1003]);
  printf("wasm reads 0x1002: %" PRId32 "\n", call(load, 1, 0x1002, 0));

  /* The host writes, wasm reads; wasm writes, the host reads. */
  data[0x2000] = 42;
  printf("host wrote 42 at 0x2000; wasm reads %" PRId32 "\n", call(load, 1, 0x2000, 0));
  call(store_byte, 2, 0x2001, -7);
  printf("wasm wrote -7 at 0x2001; host reads %d\n", wasm_memory_data(memory)[0x2001]);

  /* The last byte is in bounds, the next one traps. */
  printf("load at 0x1ffff: %" PRId32 "\n", call(load, 1, 0x1ffff, 0));
  printf("load at 0x20000:\n");
  check(call(load, 1, 0x20000, 0) == -1000, "load past the end traps");
  printf("store at 0x20000:\n");
  check(call(store_byte, 2, 0x20000, 1) == -1000, "store past the end traps");

  /* Growth from the host, then from wasm, up to the maximum of 3 pages. */
  printf("host grows by 1: %s\n", wasm_memory_grow(memory, 1) ? "ok" : "refused");
  print_memory("after growth", memory);
  printf("load at 0x20000 now: %" PRId32 "\n", call(load, 1, 0x20000, 0));
  printf("host grows by 1 more: %s\n", wasm_memory_grow(memory, 1) ? "ok" : "refused");
  printf("wasm grows by 1: %" PRId32 "\n", call(grow, 1, 1, 0));
  printf("wasm grows by 0: %" PRId32 "\n", call(grow, 1, 0, 0));
  printf("host grows by 0: %s\n", wasm_memory_grow(memory, 0) ? "ok" : "refused");
  check(wasm_memory_size(memory) == 3, "still 3 pages");

  /* A memory made by the host, imported by another instance. */
  wasm_limits_t limits = {1, 2};
  wasm_memorytype_t* type = wasm_memorytype_new(&limits);
  wasm_memory_t* host_memory = wasm_memory_new(store, type);
  wasm_memorytype_delete(type);
  if (!host_memory) return 1;
  print_memory("host memory", host_memory);
  wasm_memory_data(host_memory)[5] = (byte_t)200;
  wasm_module_t* importer = compile(store, IMPORTER_WAT);
  wasm_extern_t* imports[1] = {wasm_memory_as_extern(host_memory)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* importer_instance = wasm_instance_new(store, importer, &import_vec, NULL);
  if (!importer_instance) return 1;
  wasm_extern_vec_t importer_exports;
  wasm_instance_exports(importer_instance, &importer_exports);
  printf("the importer reads the host's byte 5: %" PRId32 "\n",
         call(wasm_extern_as_func(importer_exports.data[0]), 1, 5, 0));
  printf("host memory grows by 2: %s\n", wasm_memory_grow(host_memory, 2) ? "ok" : "refused");

  wasm_extern_vec_delete(&importer_exports);
  wasm_instance_delete(importer_instance);
  wasm_module_delete(importer);
  wasm_memory_delete(host_memory);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures == 0 ? 0 : 1;
}
