/* Shared memory: one wasm_shared_memory_t used by instances in several
 * stores on several host threads (the threads proposal).
 *
 * - Four threads, each with its own store and instance of one module,
 *   increment one counter in the shared memory 1 000 000 times each with
 *   i32.atomic.rmw.add; the total must be exact.
 * - A producer and a consumer hand 100 items over through one mailbox
 *   cell, blocking with memory.atomic.wait32 and waking each other with
 *   memory.atomic.notify.
 * - A wait with a 100 ms timeout returns "timed-out" (2) after about that.
 * - The memory grows from any thread and never moves.
 *
 * Uses only the installed headers; POSIX threads. Exits non-zero if
 * anything behaves unexpectedly. */
#define _POSIX_C_SOURCE 199309L
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (import \"env\" \"memory\" (memory 1 2 shared))\n"
    "  (func (export \"add_loop\") (param $addr i32) (param $n i32)\n"
    "    (loop $l\n"
    "      (drop (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.atomic.load (local.get 0)))\n"
    "  (func (export \"store\") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))\n"
    "  (func (export \"wait32\") (param i32 i32 i64) (result i32)\n"
    "    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (func (export \"notify\") (param i32 i32) (result i32)\n"
    "    (memory.atomic.notify (local.get 0) (local.get 1)))\n"
    "  (func (export \"size\") (result i32) (memory.size)))\n";

/* Export indices, in the module's order. */
enum { ADD_LOOP, LOAD, STORE, WAIT32, NOTIFY, SIZE, EXPORTS };

enum { COUNTERS = 4, PER_THREAD = 1000000, ITEMS = 100 };
enum { COUNTER_ADDR = 64, MAILBOX_ADDR = 128, IDLE_ADDR = 256 };

static wasm_engine_t* engine;
static const wasm_shared_module_t* shared_module;
static const wasm_shared_memory_t* memory;

/* One thread's store and instance of the module, importing `memory`. */
typedef struct {
  wasm_store_t* store;
  wasm_module_t* module;
  wasm_memory_t* memory;
  wasm_instance_t* instance;
  wasm_extern_vec_t exports;
} user_t;

static int user_open(user_t* u) {
  memset(u, 0, sizeof *u);
  u->store = wasm_store_new(engine);
  u->module = u->store ? wasm_module_obtain(u->store, shared_module) : NULL;
  if (!u->module) return 0;
  wasm_error_t* error = wasm_shared_memory_to_memory(memory, u->store, &u->memory);
  if (error) {
    wasm_error_delete(error);
    return 0;
  }
  wasm_extern_t* imports[1] = {wasm_memory_as_extern(u->memory)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  u->instance = wasm_instance_new(u->store, u->module, &import_vec, NULL);
  if (!u->instance) return 0;
  wasm_instance_exports(u->instance, &u->exports);
  return u->exports.size == EXPORTS;
}

static void user_close(user_t* u) {
  if (u->instance) wasm_extern_vec_delete(&u->exports);
  wasm_instance_delete(u->instance);
  wasm_memory_delete(u->memory);
  wasm_module_delete(u->module);
  wasm_store_delete(u->store);
}

/* Calls export `which` with up to three arguments; its i32 result, or
 * INT32_MIN (and *ok cleared) when it traps. */
static int32_t call(user_t* u, int which, wasm_val_t* args, size_t nargs, int* ok) {
  wasm_val_t results[1] = {WASM_I32_VAL(0)};
  wasm_val_vec_t arg_vec = {nargs, args};
  const wasm_func_t* f = wasm_extern_as_func(u->exports.data[which]);
  wasm_val_vec_t result_vec = {wasm_func_result_arity(f), results};
  wasm_trap_t* trap = wasm_func_call(f, &arg_vec, &result_vec);
  if (trap) {
    wasm_trap_delete(trap);
    *ok = 0;
    return INT32_MIN;
  }
  return results[0].of.i32;
}

static void* counter_main(void* arg) {
  int* ok = (int*)arg;
  user_t u;
  if (!user_open(&u)) {
    *ok = 0;
  } else {
    wasm_val_t args[2] = {WASM_I32_VAL(COUNTER_ADDR), WASM_I32_VAL(PER_THREAD)};
    call(&u, ADD_LOOP, args, 2, ok);
  }
  user_close(&u);
  return NULL;
}

/* The mailbox holds 0 (empty) or the next item (1..ITEMS). */
static void* consumer_main(void* arg) {
  int* ok = (int*)arg;
  int64_t sum = 0;
  user_t u;
  if (!user_open(&u)) *ok = 0;
  for (int taken = 0; *ok && taken < ITEMS;) {
    wasm_val_t at[1] = {WASM_I32_VAL(MAILBOX_ADDR)};
    int32_t item = call(&u, LOAD, at, 1, ok);
    if (item != 0) {
      sum += item;
      ++taken;
      wasm_val_t empty[2] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(0)};
      call(&u, STORE, empty, 2, ok);
      wasm_val_t wake[2] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(1)};
      call(&u, NOTIFY, wake, 2, ok);
    } else {
      wasm_val_t wait[3] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(0), WASM_I64_VAL(-1)};
      call(&u, WAIT32, wait, 3, ok);
    }
  }
  user_close(&u);
  printf("consumer: sum of %d items = %" PRId64 "\n", ITEMS, sum);
  if (sum != (int64_t)ITEMS * (ITEMS + 1) / 2) *ok = 0;
  return NULL;
}

static void producer(int* ok) {
  user_t u;
  if (!user_open(&u)) *ok = 0;
  for (int32_t next = 1; *ok && next <= ITEMS;) {
    wasm_val_t at[1] = {WASM_I32_VAL(MAILBOX_ADDR)};
    int32_t held = call(&u, LOAD, at, 1, ok);
    if (held == 0) {
      wasm_val_t put[2] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(next)};
      call(&u, STORE, put, 2, ok);
      wasm_val_t wake[2] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(1)};
      call(&u, NOTIFY, wake, 2, ok);
      ++next;
    } else {
      wasm_val_t wait[3] = {WASM_I32_VAL(MAILBOX_ADDR), WASM_I32_VAL(held), WASM_I64_VAL(-1)};
      call(&u, WAIT32, wait, 3, ok);
    }
  }
  user_close(&u);
}

static double seconds_since(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(void) {
  int ok = 1;
  engine = wasm_engine_new();

  /* A shared type needs the shared flag and a maximum. */
  wasm_memorytype_t* type = wasm_memorytype_new64(1, true, 2, false, true, 16);
  if (!type || !wasm_memorytype_isshared(type) || wasm_memorytype_is64(type)) return 1;
  wasm_memorytype_t* unshared = wasm_memorytype_new64(1, true, 2, false, false, 16);
  wasm_shared_memory_t* refused = NULL;
  wasm_error_t* error = wasm_shared_memory_new(engine, unshared, &refused);
  printf("unshared type: %s\n", error && !refused ? "refused" : "ACCEPTED");
  ok = ok && error && !refused;
  wasm_error_delete(error);
  wasm_memorytype_delete(unshared);
  printf("shared type without maximum: %s\n",
         wasm_memorytype_new64(1, false, 0, false, true, 16) ? "ACCEPTED" : "refused");

  wasm_shared_memory_t* owned = NULL;
  error = wasm_shared_memory_new(engine, type, &owned);
  wasm_memorytype_delete(type);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    fprintf(stderr, "wasm_shared_memory_new: %.*s\n", (int)message.size, message.data);
    return 1;
  }
  memory = owned;
  uint8_t* base = wasm_shared_memory_data(memory);

  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_shared_module_t* shared = wasm_module_share(module);
  wasm_module_delete(module);
  wasm_store_delete(store);
  shared_module = shared;

  /* Four stores, four threads, one counter. */
  pthread_t counters[COUNTERS];
  int counter_ok[COUNTERS];
  for (int i = 0; i < COUNTERS; ++i) {
    counter_ok[i] = 1;
    if (pthread_create(&counters[i], NULL, counter_main, &counter_ok[i]) != 0) return 1;
  }
  for (int i = 0; i < COUNTERS; ++i) {
    pthread_join(counters[i], NULL);
    ok = ok && counter_ok[i];
  }
  int32_t total;
  memcpy(&total, base + COUNTER_ADDR, sizeof total);
  printf("counter after %d threads x %d increments: %" PRId32 "\n", COUNTERS, PER_THREAD, total);
  ok = ok && total == COUNTERS * PER_THREAD;

  /* Producer and consumer. */
  pthread_t consumer;
  int consumer_ok = 1, producer_ok = 1;
  if (pthread_create(&consumer, NULL, consumer_main, &consumer_ok) != 0) return 1;
  producer(&producer_ok);
  pthread_join(consumer, NULL);
  ok = ok && consumer_ok && producer_ok;

  /* A wait that nobody ends: timed out after about its timeout. */
  user_t u;
  if (!user_open(&u)) return 1;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  wasm_val_t wait[3] = {WASM_I32_VAL(IDLE_ADDR), WASM_I32_VAL(0), WASM_I64_VAL(100000000)};
  int32_t timed_out = call(&u, WAIT32, wait, 3, &ok);
  double waited = seconds_since(&start);
  printf("wait with a 100 ms timeout: %" PRId32 " (%s)\n", timed_out,
         waited >= 0.1 && waited < 10.0 ? "after about 100 ms" : "WRONG TIME");
  ok = ok && timed_out == 2 && waited >= 0.1 && waited < 10.0;
  wasm_val_t differs[3] = {WASM_I32_VAL(IDLE_ADDR), WASM_I32_VAL(1), WASM_I64_VAL(-1)};
  int32_t not_equal = call(&u, WAIT32, differs, 3, &ok);
  printf("wait on a value that differs: %" PRId32 "\n", not_equal);
  ok = ok && not_equal == 1;

  /* Growth from the host, seen by wasm; the base stays. */
  uint64_t previous = 0;
  error = wasm_shared_memory_grow(memory, 1, &previous);
  int32_t pages = call(&u, SIZE, NULL, 0, &ok);
  printf("grown from %" PRIu64 " to %" PRId32 " pages (the host sees %" PRIu64 "), base %s\n",
         previous, pages, wasm_shared_memory_size(memory),
         wasm_shared_memory_data(memory) == base ? "unmoved" : "MOVED");
  ok = ok && !error && previous == 1 && pages == 2 && wasm_shared_memory_data(memory) == base &&
       wasm_shared_memory_data_size(memory) == 2 * 65536;
  error = wasm_shared_memory_grow(memory, 1, NULL);
  printf("growing past the maximum: %s\n", error ? "refused" : "ACCEPTED");
  ok = ok && error;
  wasm_error_delete(error);

  /* The store's handle leads back to the shared memory. */
  wasm_shared_memory_t* again = wasm_memory_as_shared(u.memory);
  ok = ok && again && wasm_shared_memory_data(again) == base;
  wasm_shared_memory_delete(again);
  user_close(&u);

  wasm_shared_module_delete(shared);
  wasm_shared_memory_delete(owned);
  wasm_engine_delete(engine);
  printf("%s\n", ok ? "shared memory works" : "FAILED");
  return ok ? 0 : 1;
}
