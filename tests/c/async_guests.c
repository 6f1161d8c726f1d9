/*
 * Many guests at once on one thread (issue 17): one engine with
 * async_support, one module, and for each of N guests (10 000 by default,
 * argv[1] otherwise) a store and an instance. Every guest sleeps in the
 * async host function host.sleep(ticks), which registers the guest with a
 * toy event loop (a tick counter and a timer wheel) and hands back a
 * continuation that reports done once the loop's counter reaches the
 * guest's wake time, writing the ticks slept as the result.
 *
 *   - Instantiation is async too: the module's start function sleeps one
 *     tick (so every wasm_linker_instantiate_async future suspends) and
 *     stores 1000 * (ticks slept) in a global.
 *   - run(x, ticks) returns 2*x + sleep(ticks) + that global. The ticks are
 *     pseudo-random per guest (fixed seed), 0..MAX_TICKS-1; a sleep of 0
 *     ticks writes its result at once and gives no continuation.
 *
 * Checked: every guest finishes with 2*x + ticks + 1000 (computed here,
 * not by wasm); every guest with ticks > 0 was suspended at the same time
 * (all futures exist and were polled once before the loop ticks); the loop
 * finished the calls in max(ticks) ticks (sequential sleeping would take
 * their sum); the event loop polls a future only when its timer fired, and
 * such a poll either finishes it or it sleeps again (never a spurious
 * pending); every continuation's finalizer ran once; only one thread.
 *
 * Run by tests/c_api_async.rs natively with 10 000 guests, and under
 * valgrind's memcheck with 200. Prints its checks on stdout (compared with
 * async_guests.expected) and its figures on stderr:
 *   rss-per-suspended-guest: <bytes>   (VmRSS growth from before the call
 *                                       futures to all of them suspended)
 * Any surprise prints FAIL and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <wasm-runtime.h>

#include "async_common.h"

#define MAX_TICKS 64
/* Timer wheel slots: more than any sleep, so a sleep started at tick t
 * lands in a slot the loop will not drain before t + ticks. */
#define WHEEL (MAX_TICKS + 1)

typedef struct guest {
  wasm_store_t* store;
  wasm_instance_t* instance;
  wasm_extern_vec_t exports;
  wasm_call_future_t* future;
  wasm_trap_t* trap;
  wasm_error_t* error;
  wasm_val_t args[2];
  wasm_val_t results[1];
  wasm_val_vec_t arg_vec;
  wasm_val_vec_t result_vec;
  int32_t x;
  int32_t ticks;
  /* The sleep in progress. */
  uint64_t slept_from;
  uint64_t wake_at;
  wasm_val_vec_t* sleep_results;
  /* Set by host.sleep when it registers a timer, cleared by the loop. */
  int registered;
  int done;
  struct guest* next_in_slot;
} guest_t;

/* The toy event loop. */
static uint64_t now;
static guest_t* wheel[WHEEL];
static long sleeps_started, continuations_made, continuations_finalized;
static long continuation_polls, spurious_pendings;

static void timer_add(guest_t* g, uint64_t wake_at) {
  size_t slot = (size_t)(wake_at % WHEEL);
  g->wake_at = wake_at;
  g->next_in_slot = wheel[slot];
  wheel[slot] = g;
  g->registered = 1;
}

static bool sleep_continuation(void* env) {
  guest_t* g = env;
  continuation_polls++;
  if (now < g->wake_at) return false;
  g->sleep_results->data[0].kind = WASM_I32;
  g->sleep_results->data[0].of.i32 = (int32_t)(now - g->slept_from);
  return true;
}

static void sleep_finalizer(void* env) {
  (void)env;
  continuations_finalized++;
}

/* host.sleep(ticks) -> ticks slept. */
static void host_sleep(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                       wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                       wasm_async_continuation_t* continuation_ret) {
  (void)env;
  (void)trap_ret;
  guest_t* g = wasm_store_get_data(wasm_caller_store(caller));
  if (!g || args->size != 1 || results->size != 1) fail("host.sleep called oddly");
  sleeps_started++;
  int32_t ticks = args->data[0].of.i32;
  if (ticks <= 0) {
    /* Nothing to wait for: the result now, no continuation. */
    results->data[0].kind = WASM_I32;
    results->data[0].of.i32 = 0;
    return;
  }
  if (ticks >= MAX_TICKS) fail("host.sleep: too many ticks");
  g->slept_from = now;
  g->sleep_results = results;
  timer_add(g, now + (uint64_t)ticks);
  continuations_made++;
  continuation_ret->callback = sleep_continuation;
  continuation_ret->env = g;
  continuation_ret->finalizer = sleep_finalizer;
}

/* Polls `g`'s future once; true when it finished. A pending future must
 * have registered a timer during the poll. */
static bool poll_guest(guest_t* g) {
  g->registered = 0;
  if (wasm_call_future_poll(g->future)) {
    g->done = 1;
    return true;
  }
  if (!g->registered) spurious_pendings++;
  return false;
}

/* Polls every guest once, so that all of them start and suspend
 * together; returns how many are pending. */
static int first_round(guest_t* guests, int n) {
  int pending = 0;
  for (int i = 0; i < n; i++) {
    if (!poll_guest(&guests[i])) pending++;
  }
  return pending;
}

/* Ticks the loop, polling the guests whose timers fire, until `pending`
 * guests have finished; returns the ticks that took. */
static uint64_t drain(int pending) {
  uint64_t start = now;
  while (pending > 0) {
    if (now - start > 10 * MAX_TICKS) fail("the event loop does not drain");
    now++;
    size_t slot = (size_t)(now % WHEEL);
    guest_t* due = wheel[slot];
    wheel[slot] = NULL;
    while (due) {
      guest_t* g = due;
      due = g->next_in_slot;
      if (g->wake_at != now) fail("a timer fired in the wrong tick");
      if (poll_guest(g)) pending--;
    }
  }
  return now - start;
}

/* The number after `key` (e.g. "VmRSS:") in /proc/self/status; -1 if
 * there is none. */
static long proc_status(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  size_t len = strlen(key);
  long value = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, len) == 0) value = strtol(line + len, NULL, 10);
  }
  fclose(f);
  return value;
}

/* Resident memory in KiB. */
static long rss_kib(void) { return proc_status("VmRSS:"); }

static int thread_count(void) { return (int)proc_status("Threads:"); }

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 16) & 0x7fff;
}

static const char* guest_wat =
    "(module\n"
    "  (import \"host\" \"sleep\" (func $sleep (param i32) (result i32)))\n"
    "  (global $base (mut i32) (i32.const 0))\n"
    "  (func $init\n"
    "    (global.set $base (i32.mul (call $sleep (i32.const 1)) (i32.const 1000))))\n"
    "  (start $init)\n"
    "  (func (export \"run\") (param $x i32) (param $ticks i32) (result i32)\n"
    "    (i32.add\n"
    "      (i32.add (i32.mul (local.get $x) (i32.const 2))\n"
    "               (call $sleep (local.get $ticks)))\n"
    "      (global.get $base))))\n";

int main(int argc, char** argv) {
  /* A call that never finishes would hang the test: die loudly instead. */
  alarm(120);
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  if (n <= 0) fail("guest count");
  double t0 = seconds();

  wasm_config_t* config = wasm_config_new();
  wasm_config_async_support_set(config, true);
  wasm_engine_t* engine = NULL;
  check_ok("engine", wasm_engine_try_new(config, &engine));
  wasm_store_t* compile_store = wasm_store_new(engine);
  wasm_module_t* module = compile(compile_store, guest_wat);

  wasm_linker_t* linker = wasm_linker_new(engine);
  wasm_valtype_t* i32_param = wasm_valtype_new_i32();
  wasm_valtype_t* i32_result = wasm_valtype_new_i32();
  wasm_functype_t* sleep_type = wasm_functype_new_1_1(i32_param, i32_result);
  wasm_error_t* error = wasm_linker_define_async_func(linker, "host", 4, "sleep", 5, sleep_type,
                                                      host_sleep, NULL, NULL);
  wasm_functype_delete(sleep_type);
  check_ok("define host.sleep", error);

  guest_t* guests = calloc((size_t)n, sizeof *guests);
  if (!guests) fail("calloc");
  long expected_continuations = 0;
  int32_t max_ticks = 0;
  int expected_suspended = 0;
  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    g->x = i;
    g->ticks = (int32_t)(rng() % MAX_TICKS);
    if (g->ticks > max_ticks) max_ticks = g->ticks;
    if (g->ticks > 0) {
      expected_continuations++;
      expected_suspended++;
    }
  }
  /* Every start function sleeps once too. */
  expected_continuations += n;

  /* Instantiate every guest at once: all start functions suspend in
   * their sleep(1) and finish one tick later. */
  double t1 = seconds();
  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    g->store = wasm_store_new(engine);
    wasm_store_set_data(g->store, g, NULL);
    g->future = wasm_linker_instantiate_async(linker, g->store, module, &g->instance, &g->trap,
                                              &g->error);
    if (!g->future) fail("wasm_linker_instantiate_async returned NULL");
  }
  int suspended = first_round(guests, n);
  uint64_t ticks = drain(suspended);
  printf("instantiations suspended at once: %s\n", suspended == n ? "all" : "not all");
  printf("instantiations took one tick: %s\n", ticks == 1 ? "yes" : "no");
  int instantiated = 0;
  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    check_ok("instantiate", g->error);
    if (g->trap) fail_trap("instantiate", g->trap);
    if (!g->instance) fail("no instance");
    wasm_call_future_delete(g->future);
    g->future = NULL;
    g->done = 0;
    wasm_instance_exports(g->instance, &g->exports);
    if (g->exports.size != 1 || !wasm_extern_as_func(g->exports.data[0])) fail("exports");
    instantiated++;
  }
  printf("instantiated: %s\n", instantiated == n ? "every guest" : "not every guest");
  double t2 = seconds();

  /* Start every call, then run the loop. */
  long rss_before = rss_kib();
  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    g->args[0].kind = WASM_I32;
    g->args[0].of.i32 = g->x;
    g->args[1].kind = WASM_I32;
    g->args[1].of.i32 = g->ticks;
    g->results[0].kind = WASM_I32;
    g->results[0].of.i32 = -1;
    g->arg_vec.size = 2;
    g->arg_vec.data = g->args;
    g->result_vec.size = 1;
    g->result_vec.data = g->results;
    g->future = wasm_func_call_async(wasm_extern_as_func(g->exports.data[0]), &g->arg_vec,
                                     &g->result_vec, &g->trap, &g->error);
    if (!g->future) fail("wasm_func_call_async returned NULL");
  }
  int pending = first_round(guests, n);
  long rss_suspended = rss_kib();
  printf("calls suspended at once: %s\n",
         pending == expected_suspended ? "every sleeper" : "not every sleeper");
  if (pending != expected_suspended)
    printf("  (%d suspended, %d expected)\n", pending, expected_suspended);
  uint64_t call_ticks = drain(pending);
  double t3 = seconds();
  printf("calls took max(ticks) ticks: %s\n", call_ticks == (uint64_t)max_ticks ? "yes" : "no");
  if (call_ticks != (uint64_t)max_ticks)
    printf("  (%llu ticks, max %d)\n", (unsigned long long)call_ticks, max_ticks);

  int right = 0, wrong = 0;
  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    if (!g->done) fail("a guest never finished");
    check_ok("call", g->error);
    if (g->trap) fail_trap("call", g->trap);
    int32_t want = 2 * g->x + g->ticks + 1000;
    if (g->results[0].kind == WASM_I32 && g->results[0].of.i32 == want) {
      right++;
    } else {
      if (wrong < 5)
        printf("  guest %d: got %d, want %d\n", i, g->results[0].of.i32, want);
      wrong++;
    }
  }
  printf("right results: %s\n", right == n ? "every guest" : "not every guest");
  printf("spurious pendings: %ld\n", spurious_pendings);
  printf("sleeps: %s\n", sleeps_started == 2L * n ? "two per guest" : "wrong count");
  printf("continuations finalized: %s\n",
         continuations_finalized == continuations_made &&
                 continuations_made == expected_continuations
             ? "each once"
             : "wrong count");
  if (continuations_finalized != continuations_made || continuations_made != expected_continuations)
    printf("  (%ld made, %ld finalized, %ld expected)\n", continuations_made,
           continuations_finalized, expected_continuations);
  int threads = thread_count();
  printf("threads: %d\n", threads);

  long per_guest =
      pending == expected_suspended && expected_suspended > 0 && rss_before > 0 && rss_suspended > 0
          ? (rss_suspended - rss_before) * 1024 / expected_suspended
          : -1;
  fprintf(stderr, "guests: %d (suspended at once: %d, max ticks %d, continuation polls %ld)\n",
          n, expected_suspended, max_ticks, continuation_polls);
  fprintf(stderr, "rss-before-calls-kib: %ld\n", rss_before);
  fprintf(stderr, "rss-all-suspended-kib: %ld\n", rss_suspended);
  fprintf(stderr, "rss-per-suspended-guest: %ld\n", per_guest);
  fprintf(stderr, "seconds: setup %.3f, instantiate %.3f, calls %.3f\n", t1 - t0, t2 - t1, t3 - t2);

  for (int i = 0; i < n; i++) {
    guest_t* g = &guests[i];
    wasm_call_future_delete(g->future);
    wasm_extern_vec_delete(&g->exports);
    wasm_instance_delete(g->instance);
    wasm_store_delete(g->store);
  }
  free(guests);
  wasm_linker_delete(linker);
  wasm_module_delete(module);
  wasm_store_delete(compile_store);
  wasm_engine_delete(engine);
  if (wrong || spurious_pendings || right != n) return 1;
  return 0;
}
