/* Memory64: a memory with 64-bit addresses, grown past 4 GiB of address
 * space (reserved, committed only where touched), written and read at an
 * address above 4 GiB, from wasm and from the host.
 *
 * Uses only the installed headers. Exits non-zero if anything behaves
 * unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (memory (export \"memory\") i64 1)\n"
    "  (func (export \"store\") (param i64 i64) (i64.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"load\") (param i64) (result i64) (i64.load (local.get 0)))\n"
    "  (func (export \"size\") (result i64) (memory.size))\n"
    "  (func (export \"grow\") (param i64) (result i64) (memory.grow (local.get 0))))\n";

enum { MEMORY, STORE, LOAD, SIZE, GROW, EXPORTS };

static const uint64_t GIB = 1ull << 30;
static const uint64_t PAGE = 1ull << 16;

/* Calls export `which`; stores its i64 result in *result (if any) and
 * returns whether it ran without a trap. */
static int call(const wasm_extern_vec_t* exports, int which, wasm_val_t* args, size_t nargs,
                int64_t* result, wasm_trap_t** trap_out) {
  wasm_val_t results[1] = {WASM_I64_VAL(0)};
  const wasm_func_t* f = wasm_extern_as_func(exports->data[which]);
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {wasm_func_result_arity(f), results};
  wasm_trap_t* trap = wasm_func_call(f, &arg_vec, &result_vec);
  if (trap) {
    if (trap_out) {
      *trap_out = trap;
    } else {
      wasm_trap_delete(trap);
    }
    return 0;
  }
  if (result) *result = results[0].of.i64;
  return 1;
}

int main(void) {
  int ok = 1;
  wasm_config_t* config = wasm_config_new();
  wasm_config_wasm_memory64_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &no_imports, NULL);
  if (!instance) return 1;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  if (exports.size != EXPORTS) return 1;
  wasm_memory_t* memory = wasm_extern_as_memory(exports.data[MEMORY]);

  /* Its type says 64-bit, 64 KiB pages. */
  wasm_memorytype_t* type = wasm_memory_type(memory);
  uint64_t max = 0;
  printf("type: 64-bit %d, shared %d, page size 2^%d, minimum %" PRIu64 ", maximum %s\n",
         wasm_memorytype_is64(type), wasm_memorytype_isshared(type),
         wasm_memorytype_page_size_log2(type), wasm_memorytype_min64(type),
         wasm_memorytype_max64(type, &max) ? "set" : "none");
  ok = ok && wasm_memorytype_is64(type) && !wasm_memorytype_isshared(type) &&
       wasm_memorytype_page_size_log2(type) == 16 && wasm_memorytype_min64(type) == 1;
  wasm_memorytype_delete(type);

  /* Grow to 4 GiB + 1 page from wasm, then by one more page from the host. */
  int64_t old = -1;
  wasm_val_t grow_args[1] = {WASM_I64_VAL((int64_t)(4 * GIB / PAGE))};
  ok = ok && call(&exports, GROW, grow_args, 1, &old, NULL);
  uint64_t previous = 0;
  wasm_error_t* error = wasm_memory_grow64(memory, 1, &previous);
  int64_t pages = 0;
  ok = ok && !error && call(&exports, SIZE, NULL, 0, &pages, NULL);
  printf("grown from %" PRId64 " page to %" PRId64 " pages (%" PRIu64 " bytes)\n", old, pages,
         (uint64_t)wasm_memory_data_size(memory));
  ok = ok && old == 1 && previous == 4 * GIB / PAGE + 1 &&
       (uint64_t)pages == 4 * GIB / PAGE + 2 && wasm_memory_size64(memory) == (uint64_t)pages &&
       wasm_memory_data_size(memory) == (size_t)pages * PAGE;

  /* Above 4 GiB: wasm writes, the host reads, and the other way round. */
  const uint64_t high = 4 * GIB + 8 * 12345;
  const int64_t value = 0x1122334455667788;
  wasm_val_t store_args[2] = {WASM_I64_VAL((int64_t)high), WASM_I64_VAL(value)};
  ok = ok && call(&exports, STORE, store_args, 2, NULL, NULL);
  byte_t* data = wasm_memory_data(memory);
  int64_t seen;
  memcpy(&seen, data + high, sizeof seen);
  const int64_t back = 0x0102030405060708;
  memcpy(data + high + 8, &back, sizeof back);
  wasm_val_t load_args[1] = {WASM_I64_VAL((int64_t)(high + 8))};
  int64_t loaded = 0;
  ok = ok && call(&exports, LOAD, load_args, 1, &loaded, NULL);
  printf("at 4 GiB + %" PRIu64 ": the host reads %#" PRIx64 ", wasm reads %#" PRIx64 "\n",
         high - 4 * GIB, (uint64_t)seen, (uint64_t)loaded);
  ok = ok && seen == value && loaded == back;

  /* Past the end, and at an address no 32-bit memory has: traps. */
  const int64_t past[2] = {(int64_t)(wasm_memory_data_size(memory) - 4), -8};
  for (int i = 0; i < 2; ++i) {
    wasm_val_t args[1] = {WASM_I64_VAL(past[i])};
    wasm_trap_t* trap = NULL;
    int ran = call(&exports, LOAD, args, 1, NULL, &trap);
    wasm_trap_code_t code = 0;
    int right = !ran && trap && wasm_trap_code(trap, &code) &&
                code == WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS;
    printf("load at %#" PRIx64 ": %s\n", (uint64_t)past[i],
           right ? "out of bounds memory access" : "WRONG");
    ok = ok && right;
    wasm_trap_delete(trap);
  }

  /* A host-made 64-bit type: limits past 32 bits are kept exactly. */
  wasm_memorytype_t* big = wasm_memorytype_new64(1, true, 1ull << 40, true, false, 16);
  ok = ok && big && wasm_memorytype_max64(big, &max) && max == 1ull << 40;
  wasm_memorytype_delete(big);
  wasm_memorytype_t* bad = NULL;
  error = wasm_memorytype_new64_checked(1, true, 1ull << 40, false, false, 16, &bad);
  printf("a 32-bit type of 2^40 pages: %s\n", error && !bad ? "refused" : "ACCEPTED");
  ok = ok && error && !bad;
  wasm_error_delete(error);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("%s\n", ok ? "memory64 works" : "FAILED");
  return ok ? 0 : 1;
}
