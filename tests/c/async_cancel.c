/*
 * Async calls give control back and can be cancelled (issue 17):
 *
 *   1. fuel: an infinite loop `(loop br 0)` with consume_fuel, a large
 *      fuel tank and wasm_store_fuel_async_yield_interval(10 000) returns
 *      from every poll (false) with 10 000 more units spent each time; it
 *      is cancelled by wasm_call_future_delete, and the store then runs
 *      another call. With a small tank, the yields stop at an OUT_OF_FUEL
 *      trap.
 *   2. epochs, wasm_store_epoch_deadline_async_yield_and_update(store, 1):
 *      the loop yields once per wasm_engine_increment_epoch; cancelled.
 *   3. epochs, the callback form answering WASM_UPDATE_DEADLINE_YIELD: one
 *      callback per yield; cancelled, and in a second call the callback's
 *      error ends the loop with an INTERRUPT trap carrying its message.
 *      The callback's finalizer runs once.
 *   4. a call suspended inside an async host function whose continuation
 *      never finishes: cancelling it runs the continuation's finalizer
 *      exactly once, polls it no more, writes no results, and the wasm
 *      after the host call never runs; the same for an instantiation
 *      suspended in its start function, and for a future never polled.
 *
 * Run by tests/c_api_async.rs under valgrind's memcheck: every env the
 * program hands over is malloc'd and freed only by its finalizer, so a
 * finalizer that never runs is a definite leak. Prints one line per check
 * (compared with async_cancel.expected); any surprise prints FAIL and
 * exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wasm-runtime.h>

#include "async_common.h"

/* Polls that must each come back pending. */
#define YIELDS 50
#define INTERVAL 10000

static wasm_engine_t* engine_with(bool fuel, bool epochs) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_async_support_set(config, true);
  wasm_config_consume_fuel_set(config, fuel);
  wasm_config_epoch_interruption_set(config, epochs);
  wasm_engine_t* engine = NULL;
  check_ok("engine", wasm_engine_try_new(config, &engine));
  return engine;
}

/* Instantiates a module without imports (an empty linker's instantiate_async). */
static wasm_instance_t* instantiate(wasm_engine_t* engine, wasm_store_t* store,
                                    wasm_module_t* module) {
  wasm_linker_t* linker = wasm_linker_new(engine);
  wasm_instance_t* instance = NULL;
  wasm_error_t* error = instantiate_async(linker, store, module, &instance);
  wasm_linker_delete(linker);
  check_ok("instantiate", error);
  CHECK(instance);
  return instance;
}

static wasm_func_t* export_func(wasm_extern_vec_t* exports, size_t i) {
  CHECK(i < exports->size);
  wasm_func_t* f = wasm_extern_as_func(exports->data[i]);
  CHECK(f);
  return f;
}

static uint64_t fuel_of(wasm_store_t* store) {
  uint64_t fuel = 0;
  check_ok("get fuel", wasm_store_get_fuel(store, &fuel));
  return fuel;
}

/* Calls `func` (no arguments, `nresults` i32 results) to the end and
 * returns result 0; fails on a trap or error. */
static int32_t call_to_end(wasm_func_t* func, size_t nresults) {
  wasm_val_t results[1] = {WASM_I32_VAL(-1)};
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t result_vec = {nresults, results};
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  wasm_call_future_t* future = wasm_func_call_async(func, &args, &result_vec, &trap, &error);
  CHECK(future);
  poll_to_end(future, 1000, "call does not finish");
  wasm_call_future_delete(future);
  check_ok("call", error);
  if (trap) fail_trap("call", trap);
  return nresults ? results[0].of.i32 : 0;
}

static const char* spin_wat =
    "(module\n"
    "  (func (export \"spin\") (loop br 0))\n"
    "  (func (export \"answer\") (result i32) i32.const 42))\n";

/* ---- 1. fuel ----------------------------------------------------------- */

static void fuel_yields(void) {
  wasm_engine_t* engine = engine_with(true, false);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, spin_wat);
  check_ok("set fuel", wasm_store_set_fuel(store, 1000000000000ull));
  wasm_instance_t* instance = instantiate(engine, store, module);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  check_ok("yield interval", wasm_store_fuel_async_yield_interval(store, INTERVAL));

  const uint64_t tank = fuel_of(store);
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  wasm_call_future_t* future =
      wasm_func_call_async(export_func(&exports, 0), &args, &results, &trap, &error);
  CHECK(future);
  int pending = 0, steady = 1;
  uint64_t last = tank;
  for (int i = 1; i <= YIELDS; i++) {
    if (wasm_call_future_poll(future)) break;
    pending++;
    /* Each poll runs one interval's worth (and a few units past it, for
     * the loop iteration in which the interval ran out). */
    uint64_t left = fuel_of(store);
    uint64_t spent = tank - left;
    if (last - left < INTERVAL || spent < (uint64_t)i * INTERVAL ||
        spent >= (uint64_t)(i + 1) * INTERVAL)
      steady = 0;
    last = left;
  }
  printf("fuel: %d of %d polls pending\n", pending, YIELDS);
  printf("fuel: each poll spent one interval: %s\n", steady ? "yes" : "no");
  CHECK(!trap && !error);
  wasm_call_future_delete(future);
  printf("fuel: cancelled, outputs untouched: %s\n", !trap && !error ? "yes" : "no");
  printf("fuel: no fuel spent after the cancel: %s\n", fuel_of(store) == last ? "yes" : "no");
  printf("fuel: the store runs another call: %d\n", call_to_end(export_func(&exports, 1), 1));

  /* A small tank: two yields, then running out traps as without yields. */
  check_ok("set fuel", wasm_store_set_fuel(store, 2 * INTERVAL + INTERVAL / 2));
  future = wasm_func_call_async(export_func(&exports, 0), &args, &results, &trap, &error);
  CHECK(future);
  int polls = poll_to_end(future, 10, "a small tank does not run out");
  wasm_call_future_delete(future);
  CHECK(!error);
  wasm_trap_code_t code = 0xff;
  printf("fuel: small tank: %d pending polls, then %s\n", polls,
         trap && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_OUT_OF_FUEL
             ? "OUT_OF_FUEL"
             : "something else");
  wasm_trap_delete(trap);
  trap = NULL;

  /* 0 stops yielding: with a tank of 3 intervals, one poll runs it dry. */
  check_ok("yield interval 0", wasm_store_fuel_async_yield_interval(store, 0));
  check_ok("set fuel", wasm_store_set_fuel(store, 3 * INTERVAL));
  future = wasm_func_call_async(export_func(&exports, 0), &args, &results, &trap, &error);
  bool one_poll = wasm_call_future_poll(future);
  if (!one_poll) {
    while (!wasm_call_future_poll(future)) {
    }
  }
  wasm_call_future_delete(future);
  printf("fuel: interval 0: %s\n",
         one_poll && trap && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_OUT_OF_FUEL
             ? "no yields, then OUT_OF_FUEL"
             : "yielded");
  wasm_trap_delete(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- 2. and 3. epochs ---------------------------------------------------- */

typedef struct {
  int calls;
  int stop_after;
  int* finalized;
} epoch_env_t;

static wasm_error_t* on_deadline(wasm_store_t* store, void* env, uint64_t* delta,
                                 wasm_update_deadline_kind_t* kind) {
  (void)store;
  epoch_env_t* e = env;
  e->calls++;
  if (e->stop_after && e->calls > e->stop_after) return wasm_error_new("enough spinning");
  *delta = 1;
  *kind = WASM_UPDATE_DEADLINE_YIELD;
  return NULL;
}

static void epoch_env_finalize(void* env) {
  epoch_env_t* e = env;
  (*e->finalized)++;
  free(e);
}

/* Starts spin, then YIELDS times: increments the epoch and polls, which
 * must come back pending. Returns the pending polls; the future is left
 * suspended in *out. */
static int spin_with_epochs(wasm_engine_t* engine, wasm_func_t* spin,
                            wasm_call_future_t** out, wasm_trap_t** trap,
                            wasm_error_t** error) {
  static wasm_val_vec_t args = WASM_EMPTY_VEC;
  static wasm_val_vec_t results = WASM_EMPTY_VEC;
  wasm_call_future_t* future = wasm_func_call_async(spin, &args, &results, trap, error);
  CHECK(future);
  int pending = 0;
  for (int i = 0; i < YIELDS; i++) {
    wasm_engine_increment_epoch(engine);
    if (wasm_call_future_poll(future)) break;
    pending++;
  }
  *out = future;
  return pending;
}

static void epoch_yields(void) {
  wasm_engine_t* engine = engine_with(false, true);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, spin_wat);
  wasm_instance_t* instance = instantiate(engine, store, module);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* spin = export_func(&exports, 0);

  /* 2. yield and update by 1 tick. */
  wasm_store_set_epoch_deadline(store, 1);
  check_ok("epoch yield", wasm_store_epoch_deadline_async_yield_and_update(store, 1));
  wasm_call_future_t* future = NULL;
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  int pending = spin_with_epochs(engine, spin, &future, &trap, &error);
  printf("epoch: %d of %d polls pending\n", pending, YIELDS);
  wasm_call_future_delete(future);
  printf("epoch: cancelled, outputs untouched: %s\n", !trap && !error ? "yes" : "no");
  printf("epoch: the store runs another call: %d\n", call_to_end(export_func(&exports, 1), 1));

  /* 3. the callback form. */
  int finalized = 0;
  epoch_env_t* env = calloc(1, sizeof *env);
  env->finalized = &finalized;
  wasm_store_set_epoch_deadline(store, 1);
  wasm_store_epoch_deadline_callback(store, on_deadline, env, epoch_env_finalize);
  pending = spin_with_epochs(engine, spin, &future, &trap, &error);
  printf("epoch callback: %d of %d polls pending\n", pending, YIELDS);
  printf("epoch callback: one call per yield: %s\n", env->calls == pending ? "yes" : "no");
  wasm_call_future_delete(future);
  printf("epoch callback: cancelled, outputs untouched: %s\n", !trap && !error ? "yes" : "no");

  /* The callback ends the next call with an error after 3 yields. */
  env->calls = 0;
  env->stop_after = 3;
  wasm_store_set_epoch_deadline(store, 1);
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t results = WASM_EMPTY_VEC;
  future = wasm_func_call_async(spin, &args, &results, &trap, &error);
  int polls = 0;
  bool done = false;
  while (!done && polls < YIELDS) {
    wasm_engine_increment_epoch(engine);
    done = wasm_call_future_poll(future);
    if (!done) polls++;
  }
  wasm_call_future_delete(future);
  wasm_trap_code_t code = 0xff;
  char* text = trap ? trap_text(trap) : NULL;
  printf("epoch callback: error after %d yields: %s\n", polls,
         trap && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_INTERRUPT ? "INTERRUPT"
                                                                                 : "no interrupt");
  printf("epoch callback: the trap carries the message: %s\n",
         text && strstr(text, "enough spinning") ? "yes" : "no");
  free(text);
  wasm_trap_delete(trap);
  CHECK(!error);

  /* Replacing the callback finalizes it, once. */
  wasm_store_epoch_deadline_trap(store);
  printf("epoch callback: finalized %d time(s) when replaced\n", finalized);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("epoch callback: finalized %d time(s) in all\n", finalized);
}

/* ---- 4. cancelling inside an async host function ------------------------ */

typedef struct {
  int polls;
  int finalized;
  int after_cancel_polls;
  bool cancelled;
} wait_stats_t;

static wait_stats_t stats;

typedef struct {
  wait_stats_t* stats;
} wait_env_t;

static bool wait_forever(void* env) {
  wait_env_t* w = env;
  w->stats->polls++;
  if (w->stats->cancelled) w->stats->after_cancel_polls++;
  return false;
}

static void wait_finalize(void* env) {
  wait_env_t* w = env;
  w->stats->finalized++;
  free(w);
}

/* host.wait() -> i32: never done. Writes a result at once, which a
 * cancelled call must not hand out. */
static void host_wait(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                      wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                      wasm_async_continuation_t* continuation_ret) {
  (void)caller;
  (void)args;
  (void)trap_ret;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = 7;
  wait_env_t* w = malloc(sizeof *w);
  w->stats = env;
  continuation_ret->callback = wait_forever;
  continuation_ret->env = w;
  continuation_ret->finalizer = wait_finalize;
}

static int linker_env_finalized;
static void linker_env_finalize(void* env) {
  (void)env;
  linker_env_finalized++;
}

static const char* waiter_wat =
    "(module\n"
    "  (import \"host\" \"wait\" (func $wait (result i32)))\n"
    "  (global $after (export \"after\") (mut i32) (i32.const 0))\n"
    "  (func (export \"run\") (result i32)\n"
    "    (drop (call $wait))\n"
    "    (global.set $after (i32.const 1))\n"
    "    (i32.const 99)))\n";

static const char* waiting_start_wat =
    "(module\n"
    "  (import \"host\" \"wait\" (func $wait (result i32)))\n"
    "  (func $start (drop (call $wait)))\n"
    "  (start $start))\n";

static void cancel_in_host(void) {
  wasm_engine_t* engine = engine_with(false, false);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, waiter_wat);
  wasm_linker_t* linker = wasm_linker_new(engine);
  wasm_valtype_t* i32 = wasm_valtype_new_i32();
  wasm_functype_t* wait_type = wasm_functype_new_0_1(i32);
  check_ok("define host.wait",
           wasm_linker_define_async_func(linker, "host", 4, "wait", 4, wait_type, host_wait,
                                         &stats, linker_env_finalize));

  wasm_instance_t* instance = NULL;
  check_ok("instantiate", instantiate_async(linker, store, module, &instance));
  CHECK(instance);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 2);
  wasm_global_t* after = wasm_extern_as_global(exports.data[0]);
  wasm_func_t* run = export_func(&exports, 1);

  wasm_val_t results[1] = {WASM_I32_VAL(-1)};
  wasm_val_vec_t result_vec = {1, results};
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  wasm_call_future_t* future = wasm_func_call_async(run, &args, &result_vec, &trap, &error);
  int pending = 0;
  for (int i = 0; i < YIELDS; i++) {
    if (wasm_call_future_poll(future)) break;
    pending++;
  }
  printf("host wait: %d of %d polls pending\n", pending, YIELDS);
  /* Once right after the start, then once per later poll. */
  printf("host wait: continuation polled %s\n",
         stats.polls == pending ? "once per poll" : "a different number of times");
  printf("host wait: finalized before the cancel: %d\n", stats.finalized);
  stats.cancelled = true;
  wasm_call_future_delete(future);
  printf("host wait: finalized after the cancel: %d\n", stats.finalized);
  printf("host wait: polled after the cancel: %d\n", stats.after_cancel_polls);
  printf("host wait: outputs untouched: %s\n",
         !trap && !error && results[0].kind == WASM_I32 && results[0].of.i32 == -1 ? "yes"
                                                                                   : "no");
  wasm_val_t value = WASM_I32_VAL(-1);
  wasm_global_get(after, &value);
  printf("host wait: wasm after the host call ran: %s\n", value.of.i32 == 0 ? "no" : "yes");

  /* A future deleted before its first poll: nothing runs. */
  stats = (wait_stats_t){0};
  future = wasm_func_call_async(run, &args, &result_vec, &trap, &error);
  CHECK(future);
  wasm_call_future_delete(future);
  printf("never polled: host called: %s, outputs untouched: %s\n",
         stats.polls == 0 && stats.finalized == 0 ? "no" : "yes",
         !trap && !error && results[0].of.i32 == -1 ? "yes" : "no");

  /* An instantiation suspended in its start function. */
  stats = (wait_stats_t){0};
  wasm_module_t* waiting_start = compile(store, waiting_start_wat);
  wasm_instance_t* unfinished = NULL;
  future = wasm_linker_instantiate_async(linker, store, waiting_start, &unfinished, &trap, &error);
  pending = 0;
  for (int i = 0; i < 5; i++) {
    if (wasm_call_future_poll(future)) break;
    pending++;
  }
  stats.cancelled = true;
  wasm_call_future_delete(future);
  printf("start wait: %d of 5 polls pending, finalized %d, polled after the cancel %d\n", pending,
         stats.finalized, stats.after_cancel_polls);
  printf("start wait: outputs untouched: %s\n", !unfinished && !trap && !error ? "yes" : "no");
  wasm_module_delete(waiting_start);

  /* The store goes on: a later call suspends and is cancelled the same way. */
  stats = (wait_stats_t){0};
  future = wasm_func_call_async(run, &args, &result_vec, &trap, &error);
  bool done = wasm_call_future_poll(future);
  wasm_call_future_delete(future);
  printf("again: pending %s, finalized %d\n", done ? "no" : "yes", stats.finalized);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_linker_delete(linker);
  wasm_functype_delete(wait_type);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("host wait: linker env finalized %d time(s)\n", linker_env_finalized);
}

int main(void) {
  /* A broken yield would spin forever: die loudly instead. */
  alarm(120);
  fuel_yields();
  epoch_yields();
  cancel_in_host();
  printf("done\n");
  return 0;
}
