/*
 * Traps on a fiber are the traps of the main stack (issue 17). The same
 * module runs on two engines with max_wasm_stack = 256 KiB: one with
 * async_support (async_stack_size = 1 MiB; every call a
 * wasm_func_call_async future) and one without (wasm_func_call). For each
 * trap the message, the code (wasm_trap_code) and the frames
 * (wasm_trap_trace: function index, name and offset) must be the same:
 *
 *   - `unreachable`, at the top and two calls deep (frames boom, a, nested);
 *   - a store past the end of memory (a fault in the guard region that
 *     the signal handler turns into a trap on the fiber);
 *   - infinite recursion: WASM_TRAP_CODE_STACK_OVERFLOW at about the same
 *     depth as on the main stack (so max_wasm_stack, not the 1 MiB fiber,
 *     is the limit), three times in a row, with a successful async call
 *     after each: the process and the engine keep running;
 *   - an async host function returning a trap at once, and one returning
 *     it from its continuation two polls later (the sync engine's import
 *     is a plain host function returning the same trap).
 *
 * And the refusals: with async on, wasm_func_call returns a trap naming
 * async support, wasm_linker_instantiate and wasm_instance_new_checked
 * return errors naming it; without it, wasm_func_call_async,
 * wasm_linker_instantiate_async, wasm_store_fuel_async_yield_interval and
 * wasm_store_epoch_deadline_async_yield_and_update fail with an error, an
 * epoch callback answering WASM_UPDATE_DEADLINE_YIELD stops wasm with an
 * INTERRUPT trap saying why, and an async host function called by a sync
 * call traps; with async on but no consume_fuel, the fuel yield interval
 * is refused naming consume_fuel.
 *
 * Run by tests/c_api_async.rs under valgrind's memcheck. Prints one line
 * per check (compared with async_traps.expected); any surprise prints FAIL
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <wasm-runtime.h>

#include "async_common.h"

static wasm_engine_t* make_engine(bool async, bool fuel, bool epochs) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_max_wasm_stack_set(config, 256 * 1024);
  if (async) {
    wasm_config_async_support_set(config, true);
    wasm_config_async_stack_size_set(config, 1024 * 1024);
  }
  wasm_config_consume_fuel_set(config, fuel);
  wasm_config_epoch_interruption_set(config, epochs);
  wasm_engine_t* engine = NULL;
  check_ok("engine", wasm_engine_try_new(config, &engine));
  return engine;
}

/* A description of a trap: message | code | frames. malloc'd. */
static char* describe(wasm_trap_t* trap) {
  size_t cap = 4096, len = 0;
  char* out = malloc(cap);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  len += (size_t)snprintf(out + len, cap - len, "%.*s | ", (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_code_t code;
  if (wasm_trap_code(trap, &code))
    len += (size_t)snprintf(out + len, cap - len, "code %u |", (unsigned)code);
  else
    len += (size_t)snprintf(out + len, cap - len, "no code |");
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  for (size_t i = 0; i < frames.size && len < cap - 128; i++) {
    const wasm_name_t* name = wasm_frame_func_name(frames.data[i]);
    len += (size_t)snprintf(out + len, cap - len, " %u:%.*s+%zu",
                            wasm_frame_func_index(frames.data[i]), name ? (int)name->size : 1,
                            name ? name->data : "?", wasm_frame_func_offset(frames.data[i]));
  }
  wasm_frame_vec_delete(&frames);
  return out;
}

/* The names of the trap's frames, innermost first, space-separated. */
static void print_frame_names(const char* what, wasm_trap_t* trap) {
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  printf("%s: frames", what);
  for (size_t i = 0; i < frames.size; i++) {
    const wasm_name_t* name = wasm_frame_func_name(frames.data[i]);
    printf(" %.*s", name ? (int)name->size : 1, name ? name->data : "?");
  }
  printf("\n");
  wasm_frame_vec_delete(&frames);
}

static const char* code_name(wasm_trap_t* trap) {
  wasm_trap_code_t code;
  if (!wasm_trap_code(trap, &code)) return "no code";
  switch (code) {
    case WASM_TRAP_CODE_STACK_OVERFLOW: return "STACK_OVERFLOW";
    case WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED: return "UNREACHABLE_CODE_REACHED";
    case WASM_TRAP_CODE_INTERRUPT: return "INTERRUPT";
    case WASM_TRAP_CODE_OUT_OF_FUEL: return "OUT_OF_FUEL";
    case WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS: return "MEMORY_OUT_OF_BOUNDS";
    default: return "another code";
  }
}

/* ---- host functions ------------------------------------------------------ */

static wasm_trap_t* new_refusal(wasm_store_t* store) {
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "the host refused");
  wasm_trap_t* trap = wasm_trap_new(store, &message);
  wasm_byte_vec_delete(&message);
  return trap;
}

/* Sync engine: host.fail and host.fail_later both return the trap. */
static wasm_trap_t* sync_fail(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                              wasm_val_vec_t* results) {
  (void)env;
  (void)args;
  (void)results;
  return new_refusal(wasm_caller_store(caller));
}

/* Async engine: host.fail returns the trap at once. */
static void async_fail(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                       wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                       wasm_async_continuation_t* continuation_ret) {
  (void)env;
  (void)args;
  (void)results;
  (void)continuation_ret;
  *trap_ret = new_refusal(wasm_caller_store(caller));
}

typedef struct {
  wasm_trap_t** trap_ret;
  wasm_trap_t* trap;
  int polls;
  int* finalized;
} later_t;

static bool fail_later_poll(void* env) {
  later_t* l = env;
  if (++l->polls < 3) return false;
  *l->trap_ret = l->trap;
  l->trap = NULL;
  return true;
}

static void later_finalize(void* env) {
  later_t* l = env;
  (*l->finalized)++;
  if (l->trap) wasm_trap_delete(l->trap);
  free(l);
}

static int later_finalized;

/* Async engine: host.fail_later returns the trap from its continuation,
 * at its third poll. The trap is made now, while the caller's store is
 * at hand. */
static void async_fail_later(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                             wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                             wasm_async_continuation_t* continuation_ret) {
  (void)env;
  (void)args;
  (void)results;
  later_t* l = calloc(1, sizeof *l);
  l->trap_ret = trap_ret;
  l->trap = new_refusal(wasm_caller_store(caller));
  l->finalized = &later_finalized;
  continuation_ret->callback = fail_later_poll;
  continuation_ret->env = l;
  continuation_ret->finalizer = later_finalize;
}

static const char* module_wat =
    "(module\n"
    "  (import \"host\" \"fail\" (func $fail))\n"
    "  (import \"host\" \"fail_later\" (func $fail_later))\n"
    "  (memory 1)\n"
    "  (global $depth (export \"depth\") (mut i32) (i32.const 0))\n"
    "  (func $boom (export \"boom\") unreachable)\n"
    "  (func $a call $boom)\n"
    "  (func $oob (export \"oob\") (i32.store (i32.const 65536) (i32.const 1)))\n"
    "  (func $nested (export \"nested\") call $a)\n"
    "  (func $deep (export \"deep\") (param i32) (result i32)\n"
    "    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))\n"
    "    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))\n"
    "  (func $inner call $fail)\n"
    "  (func $host_trap (export \"host_trap\") call $inner)\n"
    "  (func $inner_later call $fail_later)\n"
    "  (func $host_trap_later (export \"host_trap_later\") call $inner_later)\n"
    "  (func $answer (export \"answer\") (result i32) i32.const 42))\n";

/* One engine's setup: its store, instance and exports by name. */
typedef struct {
  bool async;
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  wasm_linker_t* linker;
  wasm_instance_t* instance;
  wasm_extern_vec_t exports;
} side_t;

static wasm_extern_t* export_named(side_t* s, const char* name) {
  wasm_extern_t* e = wasm_instance_export_get(s->instance, name, strlen(name));
  if (!e) fail(name);
  return e;
}

static void setup(side_t* s, bool async) {
  memset(s, 0, sizeof *s);
  s->async = async;
  s->engine = make_engine(async, false, false);
  s->store = wasm_store_new(s->engine);
  s->module = compile(s->store, module_wat);
  s->linker = wasm_linker_new(s->engine);
  wasm_functype_t* ty = wasm_functype_new_0_0();
  if (async) {
    check_ok("define fail",
             wasm_linker_define_async_func(s->linker, "host", 4, "fail", 4, ty, async_fail, NULL,
                                           NULL));
    check_ok("define fail_later",
             wasm_linker_define_async_func(s->linker, "host", 4, "fail_later", 10, ty,
                                           async_fail_later, NULL, NULL));
    check_ok("instantiate async",
             instantiate_async(s->linker, s->store, s->module, &s->instance));
  } else {
    check_ok("define fail", wasm_linker_define_func(s->linker, "host", 4, "fail", 4, ty,
                                                    sync_fail, NULL, NULL));
    check_ok("define fail_later", wasm_linker_define_func(s->linker, "host", 4, "fail_later", 10,
                                                          ty, sync_fail, NULL, NULL));
    wasm_trap_t* trap = NULL;
    check_ok("instantiate",
             wasm_linker_instantiate(s->linker, s->store, s->module, &s->instance, &trap));
    CHECK(!trap);
  }
  wasm_functype_delete(ty);
  CHECK(s->instance);
}

static void teardown(side_t* s) {
  wasm_instance_delete(s->instance);
  wasm_linker_delete(s->linker);
  wasm_module_delete(s->module);
  wasm_store_delete(s->store);
  wasm_engine_delete(s->engine);
}

/* Calls export `name` with `nargs` i32 args (0 or 1) and `nresults` i32
 * results on side `s`: returns the trap (NULL on success) and counts the
 * polls that came back pending in *pending. */
static wasm_trap_t* call(side_t* s, const char* name, size_t nargs, size_t nresults,
                         int32_t* result, int* pending) {
  wasm_extern_t* e = export_named(s, name);
  wasm_func_t* func = wasm_extern_as_func(e);
  CHECK(func);
  wasm_val_t args[1] = {WASM_I32_VAL(0)};
  wasm_val_t results[1] = {WASM_I32_VAL(-1)};
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {nresults, results};
  wasm_trap_t* trap = NULL;
  if (pending) *pending = 0;
  if (s->async) {
    wasm_error_t* error = NULL;
    wasm_call_future_t* f = wasm_func_call_async(func, &arg_vec, &result_vec, &trap, &error);
    CHECK(f);
    while (!wasm_call_future_poll(f)) {
      if (pending) ++*pending;
    }
    wasm_call_future_delete(f);
    check_ok(name, error);
  } else {
    trap = wasm_func_call(func, &arg_vec, &result_vec);
  }
  wasm_extern_delete(e);
  if (result) *result = results[0].of.i32;
  return trap;
}

static int32_t depth_of(side_t* s) {
  wasm_extern_t* e = export_named(s, "depth");
  wasm_val_t v = WASM_I32_VAL(0);
  wasm_global_get(wasm_extern_as_global(e), &v);
  wasm_extern_delete(e);
  return v.of.i32;
}

static void reset_depth(side_t* s) {
  wasm_extern_t* e = export_named(s, "depth");
  wasm_val_t v = WASM_I32_VAL(0);
  wasm_global_set(wasm_extern_as_global(e), &v);
  wasm_extern_delete(e);
}

/* Calls `name` on both sides and prints whether the traps agree. */
static void compare(side_t* fiber, side_t* main_stack, const char* name) {
  int pending = 0;
  wasm_trap_t* a = call(fiber, name, 0, 0, NULL, &pending);
  wasm_trap_t* b = call(main_stack, name, 0, 0, NULL, NULL);
  if (!a || !b) {
    printf("%s: %s\n", name, !a ? "no trap on the fiber" : "no trap on the main stack");
    exit(1);
  }
  char* da = describe(a);
  char* db = describe(b);
  printf("%s: %s, same as on the main stack: %s\n", name, code_name(a),
         strcmp(da, db) == 0 ? "yes" : "no");
  if (strcmp(da, db) != 0) printf("  fiber: %s\n  main:  %s\n", da, db);
  print_frame_names(name, a);
  if (pending) printf("%s: %d polls pending first\n", name, pending);
  free(da);
  free(db);
  wasm_trap_delete(a);
  wasm_trap_delete(b);
}

static void traps_match(void) {
  side_t fiber, main_stack;
  setup(&fiber, true);
  setup(&main_stack, false);

  compare(&fiber, &main_stack, "boom");
  compare(&fiber, &main_stack, "nested");
  compare(&fiber, &main_stack, "oob");
  compare(&fiber, &main_stack, "host_trap");
  compare(&fiber, &main_stack, "host_trap_later");
  printf("host_trap_later: continuation finalized %d time(s)\n", later_finalized);

  /* Stack overflow: the same depth, code and frames' top as the main
   * stack, and the engine goes on. */
  reset_depth(&main_stack);
  wasm_trap_t* b = call(&main_stack, "deep", 1, 1, NULL, NULL);
  CHECK(b);
  int32_t main_depth = depth_of(&main_stack);
  char* db = describe(b);
  int rounds_ok = 0;
  for (int round = 0; round < 3; round++) {
    reset_depth(&fiber);
    wasm_trap_t* a = call(&fiber, "deep", 1, 1, NULL, NULL);
    CHECK(a);
    int32_t depth = depth_of(&fiber);
    wasm_trap_code_t code = 0xff;
    bool overflow = wasm_trap_code(a, &code) && code == WASM_TRAP_CODE_STACK_OVERFLOW;
    /* Within 10% of the main stack's depth. */
    int32_t diff = depth > main_depth ? depth - main_depth : main_depth - depth;
    bool depth_ok = diff * 10 <= main_depth;
    /* The innermost frames are the same (the outermost may be cut off at
     * the same count in both). */
    char* da = describe(a);
    bool same_message = strncmp(da, db, (size_t)(strchr(db, '|') - db)) == 0;
    if (round == 0) {
      printf("deep: %s on the fiber, %s on the main stack\n", code_name(a), code_name(b));
      printf("deep: depth close to the main stack's: %s\n", depth_ok ? "yes" : "no");
      if (!depth_ok) printf("  (fiber %d calls, main stack %d)\n", depth, main_depth);
      printf("deep: same message: %s\n", same_message ? "yes" : "no");
      fprintf(stderr, "stack-overflow-depth: fiber %d calls, main stack %d calls\n", depth,
              main_depth);
    }
    wasm_trap_delete(a);
    free(da);
    int32_t answer = 0;
    wasm_trap_t* after = call(&fiber, "answer", 0, 1, &answer, NULL);
    if (overflow && depth_ok && same_message && !after && answer == 42) rounds_ok++;
    if (after) wasm_trap_delete(after);
  }
  printf("deep: overflow then a good async call, %d of 3 rounds\n", rounds_ok);
  free(db);
  wasm_trap_delete(b);

  /* Refusals with async on. */
  wasm_extern_t* e = export_named(&fiber, "answer");
  wasm_val_t results[1] = {WASM_I32_VAL(-1)};
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t result_vec = {1, results};
  wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(e), &args, &result_vec);
  char* text = NULL;
  if (trap) {
    text = trap_text(trap);
    wasm_trap_delete(trap);
  }
  printf("sync call with async on: %s\n",
         !trap                  ? "no trap"
         : strstr(text, "async") ? "trap naming async support"
                                 : "trap not naming it");
  if (text && !strstr(text, "async")) printf("  (%s)\n", text);
  free(text);
  printf("sync call with async on: results untouched: %s\n", results[0].of.i32 == -1 ? "yes" : "no");
  wasm_extern_delete(e);

  wasm_instance_t* instance = NULL;
  trap = NULL;
  expect_error("wasm_linker_instantiate with async on",
               wasm_linker_instantiate(fiber.linker, fiber.store, fiber.module, &instance, &trap),
               "async");
  CHECK(!instance && !trap);
  wasm_module_t* plain = compile(fiber.store, "(module (func (export \"f\")))");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  expect_error("wasm_instance_new_checked with async on",
               wasm_instance_new_checked(fiber.store, plain, &none, &instance, &trap), "async");
  CHECK(!instance && !trap);
  wasm_module_delete(plain);
  expect_error("fuel yield interval without consume_fuel",
               wasm_store_fuel_async_yield_interval(fiber.store, 10000), "consume_fuel");

  teardown(&fiber);
  teardown(&main_stack);
}

/* ---- without async support ------------------------------------------------ */

static wasm_error_t* yield_please(wasm_store_t* store, void* env, uint64_t* delta,
                                  wasm_update_deadline_kind_t* kind) {
  (void)store;
  (*(int*)env)++;
  *delta = 1;
  *kind = WASM_UPDATE_DEADLINE_YIELD;
  return NULL;
}

static void async_never_called(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                               wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                               wasm_async_continuation_t* continuation_ret) {
  (void)caller;
  (void)args;
  (void)results;
  (void)trap_ret;
  (void)continuation_ret;
  (*(int*)env)++;
}

static void without_async(void) {
  wasm_engine_t* engine = make_engine(false, true, true);
  wasm_store_t* store = wasm_store_new(engine);
  expect_error("fuel yield interval without async_support",
               wasm_store_fuel_async_yield_interval(store, 10000), "async_support");
  expect_error("epoch yield without async_support",
               wasm_store_epoch_deadline_async_yield_and_update(store, 1), "async_support");

  wasm_module_t* module = compile(
      store,
      "(module (import \"host\" \"later\" (func $later))"
      "  (func (export \"spin\") (loop br 0))"
      "  (func (export \"calls_async\") call $later))");
  wasm_linker_t* linker = wasm_linker_new(engine);
  int async_calls = 0;
  wasm_functype_t* ty = wasm_functype_new_0_0();
  check_ok("define later", wasm_linker_define_async_func(linker, "host", 4, "later", 5, ty,
                                                         async_never_called, &async_calls, NULL));
  wasm_functype_delete(ty);

  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  wasm_call_future_t* f =
      wasm_linker_instantiate_async(linker, store, module, &instance, &trap, &error);
  CHECK(f);
  bool done = wasm_call_future_poll(f);
  wasm_call_future_delete(f);
  CHECK(done && !instance && !trap);
  expect_error("wasm_linker_instantiate_async without async_support", error, "async");

  check_ok("instantiate", wasm_linker_instantiate(linker, store, module, &instance, &trap));
  CHECK(instance && !trap);
  check_ok("fuel", wasm_store_set_fuel(store, 1000000000ull));
  wasm_extern_t* spin = wasm_instance_export_get(instance, "spin", 4);
  wasm_extern_t* calls_async = wasm_instance_export_get(instance, "calls_async", 11);
  CHECK(spin && calls_async);
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t results = WASM_EMPTY_VEC;

  error = NULL;
  f = wasm_func_call_async(wasm_extern_as_func(spin), &args, &results, &trap, &error);
  CHECK(f);
  done = wasm_call_future_poll(f);
  wasm_call_future_delete(f);
  CHECK(done && !trap);
  expect_error("wasm_func_call_async without async_support", error, "async");

  /* The epoch callback asks to yield where nothing can. */
  int callbacks = 0;
  wasm_store_set_epoch_deadline(store, 1);
  wasm_store_epoch_deadline_callback(store, yield_please, &callbacks, NULL);
  wasm_engine_increment_epoch(engine);
  trap = wasm_func_call(wasm_extern_as_func(spin), &args, &results);
  char* text = trap ? trap_text(trap) : NULL;
  printf("epoch YIELD without async_support: %s, message naming async: %s, callbacks %d\n",
         trap ? code_name(trap) : "no trap", text && strstr(text, "async") ? "yes" : "no",
         callbacks);
  free(text);
  wasm_trap_delete(trap);
  wasm_store_epoch_deadline_trap(store);

  trap = wasm_func_call(wasm_extern_as_func(calls_async), &args, &results);
  text = trap ? trap_text(trap) : NULL;
  printf("async host function in a sync call: %s, callback ran: %s\n",
         !trap                            ? "no trap"
         : strstr(text, "async call")      ? "trap naming async calls"
                                           : "trap not naming them",
         async_calls ? "yes" : "no");
  if (text && !strstr(text, "async call")) printf("  (%s)\n", text);
  free(text);
  wasm_trap_delete(trap);

  wasm_extern_delete(spin);
  wasm_extern_delete(calls_async);
  wasm_instance_delete(instance);
  wasm_linker_delete(linker);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(void) {
  /* A call that never finishes would hang the test: die loudly instead. */
  alarm(120);
  traps_match();
  without_async();
  printf("done\n");
  return 0;
}
