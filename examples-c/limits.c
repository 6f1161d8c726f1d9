/* Limits for untrusted code: a store limiter that makes `memory.grow` and
 * `table.grow` return -1 past their limits and refuses instances, memories
 * and tables beyond its counts; and an epoch deadline callback that lets
 * wasm continue three times, then stops it with an error (an INTERRUPT
 * trap carrying the callback's message). Asking to yield outside an async
 * call is refused (only wasm_func_call_async calls can yield), and the
 * default (trap at the deadline) comes back with
 * wasm_store_epoch_deadline_trap.
 *
 * Uses the installed headers: wasm.h and the store extensions of
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const GROW_WAT =
    "(module\n"
    "  (memory (export \"memory\") 1)\n"
    "  (table 1 funcref)\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
    "  (func (export \"grow_table\") (param i32) (result i32)\n"
    "    (table.grow (ref.null func) (local.get 0))))\n";

static const char* const BIG_MEMORY_WAT = "(module (memory 3))\n";
static const char* const BIG_TABLE_WAT = "(module (table 20 funcref))\n";
static const char* const EMPTY_WAT = "(module)\n";

/* Spins forever, counting its loop iterations in a global. */
static const char* const SPIN_WAT =
    "(module\n"
    "  (global $n (export \"n\") (mut i32) (i32.const 0))\n"
    "  (func (export \"spin\")\n"
    "    (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l))))\n";

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

static void print_error(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
}

/* Prints the trap's code and the first line of its message; frees it. */
static void print_trap(const char* what, wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  const char* newline = strchr(message.data, '\n');
  int len = newline ? (int)(newline - message.data) : (int)strlen(message.data);
  wasm_trap_code_t code = 255;
  bool has_code = wasm_trap_code(trap, &code);
  printf("%s: code %d: %.*s\n", what, has_code ? (int)code : -1, len, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

static wasm_instance_t* instantiate(wasm_store_t* store, wasm_module_t* module,
                                    wasm_error_t** error) {
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  *error = wasm_instance_new_checked(store, module, &imports, &instance, &trap);
  if (trap) wasm_trap_delete(trap);
  return instance;
}

static int32_t call_i32(const wasm_instance_t* instance, const char* name, int32_t arg) {
  wasm_extern_t* ext = wasm_instance_export_get(instance, name, strlen(name));
  wasm_val_t args[1] = {WASM_I32_VAL(arg)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(ext), &arg_vec, &result_vec);
  wasm_extern_delete(ext);
  if (trap) {
    print_trap("  trap", trap);
    return -1000;
  }
  return results[0].of.i32;
}

static void limiter(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  /* Memories of at most two pages, tables of at most 10 elements, two
     instances, two memories, unlimited tables. */
  wasm_store_limiter(store, 2 * 65536, 10, 2, -1, 2);

  wasm_module_t* grow = compile(store, GROW_WAT);
  wasm_error_t* error = NULL;
  wasm_instance_t* instance = instantiate(store, grow, &error);
  check(instance != NULL && error == NULL, "a one-page memory fits");
  int32_t r1 = call_i32(instance, "grow", 1);
  int32_t r2 = call_i32(instance, "grow", 1);
  printf("memory.grow 1 -> %d, again -> %d\n", r1, r2);
  check(r1 == 1 && r2 == -1, "memory.grow returns -1 past the limit");
  wasm_extern_t* mem = wasm_instance_export_get(instance, "memory", 6);
  check(!wasm_memory_grow(wasm_extern_as_memory(mem), 1), "host growth is refused too");
  printf("memory pages: %u\n", (unsigned)wasm_memory_size(wasm_extern_as_memory(mem)));
  wasm_extern_delete(mem);
  int32_t t1 = call_i32(instance, "grow_table", 9);
  int32_t t2 = call_i32(instance, "grow_table", 1);
  printf("table.grow 9 -> %d, 1 more -> %d\n", t1, t2);
  check(t1 == 1 && t2 == -1, "table.grow returns -1 past the limit");

  /* Initial sizes past the limits fail to instantiate. */
  wasm_module_t* big = compile(store, BIG_MEMORY_WAT);
  wasm_instance_t* none = instantiate(store, big, &error);
  check(none == NULL && error != NULL, "a three-page memory is refused");
  if (error) {
    check(wasm_error_kind(error) == WASM_ERROR_KIND_IMPL_LIMIT, "kind IMPL_LIMIT");
    print_error("three-page memory", error);
  }
  wasm_module_t* big_table = compile(store, BIG_TABLE_WAT);
  none = instantiate(store, big_table, &error);
  check(none == NULL && error != NULL, "a 20-element table is refused");
  if (error) print_error("20-element table", error);

  /* Counts: a second memory fits, a third does not; likewise instances. */
  wasm_limits_t limits = {1, 1};
  wasm_memorytype_t* memtype = wasm_memorytype_new(&limits);
  wasm_memory_t* host_memory = wasm_memory_new(store, memtype);
  check(host_memory != NULL, "a second memory fits the count");
  wasm_memory_t* third = NULL;
  error = wasm_memory_new_checked(store, memtype, &third);
  check(error != NULL && third == NULL, "a third memory is refused");
  if (error) print_error("third memory", error);
  wasm_module_t* empty = compile(store, EMPTY_WAT);
  wasm_instance_t* second = instantiate(store, empty, &error);
  check(second != NULL, "a second instance fits");
  none = instantiate(store, empty, &error);
  check(none == NULL && error != NULL, "a third instance is refused");
  if (error) print_error("third instance", error);

  /* Negative values lift the limits. */
  wasm_store_limiter(store, -1, -1, -1, -1, -1);
  wasm_instance_t* third_instance = instantiate(store, empty, &error);
  check(third_instance != NULL && error == NULL, "unlimited again");

  wasm_instance_delete(third_instance);
  wasm_instance_delete(second);
  wasm_module_delete(empty);
  wasm_memory_delete(host_memory);
  wasm_memorytype_delete(memtype);
  wasm_module_delete(big_table);
  wasm_module_delete(big);
  wasm_instance_delete(instance);
  wasm_module_delete(grow);
  wasm_store_delete(store);
}

/* The epoch callback's state. */
struct deadline_state {
  int calls;
  int continues;
};

static wasm_error_t* on_deadline(wasm_store_t* store, void* env, uint64_t* delta,
                                 wasm_update_deadline_kind_t* kind) {
  (void)store;
  struct deadline_state* state = env;
  state->calls += 1;
  if (state->calls <= state->continues) {
    printf("deadline %d: continue\n", state->calls);
    *delta = 0; /* due again at the next check */
    *kind = WASM_UPDATE_DEADLINE_CONTINUE;
    return NULL;
  }
  printf("deadline %d: stop\n", state->calls);
  return wasm_error_new("the guest used up its time slices");
}

static wasm_error_t* yield(wasm_store_t* store, void* env, uint64_t* delta,
                           wasm_update_deadline_kind_t* kind) {
  (void)store;
  (void)env;
  *delta = 1;
  *kind = WASM_UPDATE_DEADLINE_YIELD;
  return NULL;
}

static int finalized = 0;
static void count_finalizer(void* env) {
  (void)env;
  ++finalized;
}

static wasm_trap_t* spin(const wasm_instance_t* instance) {
  wasm_extern_t* ext = wasm_instance_export_get(instance, "spin", 4);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(ext), &none, &no_results);
  wasm_extern_delete(ext);
  return trap;
}

static int32_t iterations(const wasm_instance_t* instance) {
  wasm_extern_t* ext = wasm_instance_export_get(instance, "n", 1);
  wasm_val_t value;
  wasm_global_get(wasm_extern_as_global(ext), &value);
  wasm_extern_delete(ext);
  return value.of.i32;
}

static void epochs(void) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_epoch_interruption_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, SPIN_WAT);
  wasm_error_t* error = NULL;
  wasm_instance_t* instance = instantiate(store, module, &error);
  check(instance != NULL, "instantiate the spinner");

  struct deadline_state state = {0, 3};
  wasm_store_epoch_deadline_callback(store, on_deadline, &state, count_finalizer);
  wasm_store_set_epoch_deadline(store, 0);
  wasm_trap_t* trap = spin(instance);
  check(trap != NULL, "the callback stops wasm");
  wasm_trap_code_t code = 255;
  check(trap && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_INTERRUPT,
        "stopped with an INTERRUPT trap");
  if (trap) print_trap("stopped", trap);
  check(state.calls == 4, "the callback ran four times");
  printf("loop iterations before the stop: %d\n", iterations(instance));

  wasm_store_epoch_deadline_callback(store, yield, NULL, count_finalizer);
  check(finalized == 1, "replacing the callback finalizes the old one");
  wasm_store_set_epoch_deadline(store, 0);
  trap = spin(instance);
  check(trap != NULL, "yield outside an async call is refused");
  if (trap) print_trap("yield", trap);

  wasm_store_epoch_deadline_trap(store);
  check(finalized == 2, "restoring the default finalizes the callback");
  wasm_store_set_epoch_deadline(store, 0);
  trap = spin(instance);
  check(trap != NULL, "the default traps at the deadline");
  if (trap) print_trap("default", trap);

  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  limiter(engine);
  wasm_engine_delete(engine);
  epochs();
  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("done\n");
  return 0;
}
