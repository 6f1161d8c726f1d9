/*
 * Where async calls' stacks come from (issue 17):
 *
 *   1. with_host_stack: a wasm_stack_creator_t whose stacks are mmap'd
 *      here with a PROT_NONE guard page below them (mprotect). Each async
 *      call (and async instantiation) asks it for one stack of
 *      async_stack_size bytes, runs on it (a host function called by the
 *      wasm finds its own frame inside that stack) and frees it when the
 *      call ends, also when it is cancelled; concurrent calls have
 *      distinct stacks. The creator's env is finalized once, with the
 *      engine. A creator returning a stack smaller than asked, or an
 *      error, fails the call with an error naming with_host_stack (the
 *      small stack is freed too); a creator without async support is
 *      refused at engine creation, naming the option.
 *   2. pooling with total_stacks = 2: two suspended calls (in different
 *      stores) hold both stacks, so a third call and an async
 *      instantiation fail at once with an error naming total_stacks;
 *      after one call finishes, and after the other is cancelled, new
 *      calls work.
 *
 * Run by tests/c_api_async.rs under valgrind's memcheck. Prints one line
 * per check (compared with async_stacks.expected); any surprise prints
 * FAIL and exits 1.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wasm-runtime.h>

#include "async_common.h"

#define STACK_SIZE (256 * 1024)

/* ---- the stack creator ---------------------------------------------------- */

typedef struct {
  int created;
  int freed;
  int live;
  int max_live;
  size_t asked;        /* the size of the last request */
  int bad_requests;    /* requests not for STACK_SIZE */
  int shrink;          /* hand out half of what is asked */
  int refuse;          /* return an error */
  int env_finalized;
  /* The stacks alive now, for the host function to look itself up. */
  uint8_t* lows[8];
  uint8_t* highs[8];
} creator_stats_t;

static creator_stats_t stats;

typedef struct {
  uint8_t* base; /* guard page, then the usable bytes */
  size_t total;
  size_t usable;
  int slot;
} host_stack_t;

static uint8_t* get_stack_memory(void* env, size_t* len) {
  host_stack_t* s = env;
  *len = s->usable;
  return s->base + s->total;
}

static void free_stack(void* env) {
  host_stack_t* s = env;
  stats.freed++;
  stats.live--;
  if (s->slot >= 0) stats.lows[s->slot] = stats.highs[s->slot] = NULL;
  munmap(s->base, s->total);
  free(s);
}

static wasm_error_t* new_stack(void* env, size_t size, bool zeroed, wasm_stack_memory_t* out) {
  (void)zeroed; /* fresh anonymous mappings are zeroed anyway */
  creator_stats_t* st = env;
  st->asked = size;
  if (size != STACK_SIZE) st->bad_requests++;
  if (st->refuse) return wasm_error_new("no stacks today");
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t usable = st->shrink ? size / 2 : size;
  usable = (usable + page - 1) / page * page;
  size_t total = usable + page;
  void* base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return wasm_error_new("mmap failed");
  if (mprotect(base, page, PROT_NONE) != 0) {
    munmap(base, total);
    return wasm_error_new("mprotect failed");
  }
  host_stack_t* s = malloc(sizeof *s);
  s->base = base;
  s->total = total;
  s->usable = usable;
  s->slot = -1;
  for (int i = 0; i < 8; i++) {
    if (!st->lows[i]) {
      st->lows[i] = (uint8_t*)base + page;
      st->highs[i] = (uint8_t*)base + total;
      s->slot = i;
      break;
    }
  }
  st->created++;
  st->live++;
  if (st->live > st->max_live) st->max_live = st->live;
  out->env = s;
  out->get_stack_memory = get_stack_memory;
  out->finalizer = free_stack;
  return NULL;
}

static void creator_finalize(void* env) {
  ((creator_stats_t*)env)->env_finalized++;
}

/* Host function: which live creator stack holds this frame (-1: none). */
static int frames_on_creator_stack, frames_elsewhere;
static wasm_trap_t* where_am_i(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                               wasm_val_vec_t* results) {
  (void)env;
  (void)caller;
  (void)args;
  volatile uint8_t probe = 0;
  uint8_t* here = (uint8_t*)&probe;
  int found = -1;
  for (int i = 0; i < 8; i++) {
    if (stats.lows[i] && here >= stats.lows[i] && here < stats.highs[i]) found = i;
  }
  if (found >= 0)
    frames_on_creator_stack++;
  else
    frames_elsewhere++;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = found;
  return NULL;
}

/* Async host function: waits until *env is non-zero. */
static bool wait_poll(void* env) { return *(int*)env != 0; }
static void host_wait(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                      wasm_val_vec_t* results, wasm_trap_t** trap_ret,
                      wasm_async_continuation_t* continuation_ret) {
  (void)caller;
  (void)args;
  (void)results;
  (void)trap_ret;
  continuation_ret->callback = wait_poll;
  continuation_ret->env = env;
  continuation_ret->finalizer = NULL;
}

static const char* module_wat =
    "(module\n"
    "  (import \"host\" \"where\" (func $where (result i32)))\n"
    "  (import \"host\" \"wait\" (func $wait))\n"
    "  (func (export \"where\") (result i32) (call $where))\n"
    "  (func (export \"wait_then_where\") (result i32) (call $wait) (call $where)))\n";

static int release_flag;

static wasm_linker_t* make_linker(wasm_engine_t* engine) {
  wasm_linker_t* linker = wasm_linker_new(engine);
  wasm_valtype_t* i32 = wasm_valtype_new_i32();
  wasm_functype_t* where_ty = wasm_functype_new_0_1(i32);
  check_ok("define where",
           wasm_linker_define_func(linker, "host", 4, "where", 5, where_ty, where_am_i, NULL, NULL));
  wasm_functype_delete(where_ty);
  wasm_functype_t* wait_ty = wasm_functype_new_0_0();
  check_ok("define wait", wasm_linker_define_async_func(linker, "host", 4, "wait", 4, wait_ty,
                                                        host_wait, &release_flag, NULL));
  wasm_functype_delete(wait_ty);
  return linker;
}

/* A call in progress, with its out-parameters. */
typedef struct {
  wasm_call_future_t* future;
  wasm_val_t results[1];
  wasm_val_vec_t result_vec;
  wasm_val_vec_t args;
  wasm_trap_t* trap;
  wasm_error_t* error;
  bool done;
} call_t;

static wasm_func_t* export_func(wasm_instance_t* instance, const char* name, wasm_extern_t** keep) {
  *keep = wasm_instance_export_get(instance, name, strlen(name));
  CHECK(*keep);
  return wasm_extern_as_func(*keep);
}

static void start(call_t* c, wasm_func_t* f) {
  memset(c, 0, sizeof *c);
  c->results[0].kind = WASM_I32;
  c->results[0].of.i32 = -99;
  c->result_vec.size = 1;
  c->result_vec.data = c->results;
  c->future = wasm_func_call_async(f, &c->args, &c->result_vec, &c->trap, &c->error);
  CHECK(c->future);
  c->done = wasm_call_future_poll(c->future);
}

static void finish(call_t* c) {
  int polls = 0;
  while (!c->done) {
    if (++polls > 1000) fail("a call does not finish");
    c->done = wasm_call_future_poll(c->future);
  }
}

static void end(call_t* c) {
  wasm_call_future_delete(c->future);
  c->future = NULL;
  if (c->trap) fail_trap("call", c->trap);
}

/* ---- 1. with_host_stack --------------------------------------------------- */

static wasm_engine_t* creator_engine(bool async) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_async_support_set(config, async);
  wasm_config_max_wasm_stack_set(config, 64 * 1024);
  wasm_config_async_stack_size_set(config, STACK_SIZE);
  wasm_stack_creator_t creator = {&stats, new_stack, creator_finalize};
  wasm_config_with_host_stack_set(config, &creator);
  wasm_engine_t* engine = NULL;
  wasm_error_t* error = wasm_engine_try_new(config, &engine);
  if (!async) {
    expect_error("host stacks without async support", error, "with_host_stack");
    CHECK(!engine);
    return NULL;
  }
  check_ok("engine", error);
  return engine;
}

static void host_stacks(void) {
  stats = (creator_stats_t){0};
  creator_engine(false);
  printf("host stacks without async support: env finalized %d time(s)\n", stats.env_finalized);

  stats = (creator_stats_t){0};
  wasm_engine_t* engine = creator_engine(true);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, module_wat);
  wasm_linker_t* linker = make_linker(engine);
  wasm_instance_t* instance = NULL;
  check_ok("instantiate", instantiate_async(linker, store, module, &instance));
  printf("instantiation: stacks made %d, freed %d\n", stats.created, stats.freed);
  wasm_extern_t *k1, *k2;
  wasm_func_t* where = export_func(instance, "where", &k1);
  wasm_func_t* wait_then_where = export_func(instance, "wait_then_where", &k2);

  /* Three calls one after the other: a fresh stack each, freed at the end
   * of each call (before its future is deleted). */
  int ran_on_it = 0, freed_at_end = 0;
  for (int i = 0; i < 3; i++) {
    int freed_before = stats.freed;
    call_t c;
    start(&c, where);
    finish(&c);
    if (c.results[0].of.i32 >= 0) ran_on_it++;
    if (stats.freed == freed_before + 1) freed_at_end++;
    end(&c);
  }
  printf("sequential calls: %d of 3 ran on a creator stack, %d of 3 freed when done\n", ran_on_it,
         freed_at_end);

  /* Two concurrent calls: two live stacks; the host function finds each
   * call on its own one. */
  release_flag = 0;
  call_t a, b;
  start(&a, wait_then_where);
  start(&b, wait_then_where);
  printf("concurrent calls: both pending: %s, live stacks %d\n", !a.done && !b.done ? "yes" : "no",
         stats.live);
  release_flag = 1;
  finish(&a);
  finish(&b);
  printf("concurrent calls: on different creator stacks: %s\n",
         a.results[0].of.i32 >= 0 && b.results[0].of.i32 >= 0 &&
                 a.results[0].of.i32 != b.results[0].of.i32
             ? "yes"
             : "no");
  end(&a);
  end(&b);

  /* A cancelled call frees its stack too. */
  release_flag = 0;
  call_t c;
  start(&c, wait_then_where);
  int live_while_pending = stats.live;
  wasm_call_future_delete(c.future);
  printf("cancelled call: live stacks %d while pending, %d after\n", live_while_pending,
         stats.live);

  printf("host function frames: %d on creator stacks, %d elsewhere\n", frames_on_creator_stack,
         frames_elsewhere);
  printf("stacks: asked for async_stack_size each time: %s\n",
         stats.bad_requests == 0 && stats.asked == STACK_SIZE ? "yes" : "no");
  printf("stacks: made %d, freed %d, at most %d at once\n", stats.created, stats.freed,
         stats.max_live);

  /* Too small a stack, then a failing creator. */
  stats.shrink = 1;
  int created = stats.created, freed = stats.freed;
  call_t small;
  start(&small, where);
  printf("too small a stack: call done at once: %s, no trap: %s\n", small.done ? "yes" : "no",
         !small.trap ? "yes" : "no");
  expect_error("too small a stack", small.error, "with_host_stack");
  small.error = NULL;
  end(&small);
  printf("too small a stack: made %d, freed %d\n", stats.created - created, stats.freed - freed);
  stats.shrink = 0;
  stats.refuse = 1;
  call_t refused;
  start(&refused, where);
  CHECK(refused.done && !refused.trap && refused.error);
  {
    char* text = error_text(refused.error);
    refused.error = NULL;
    printf("failing creator: error naming with_host_stack: %s, with the creator's message: %s\n",
           strstr(text, "with_host_stack") ? "yes" : "no",
           strstr(text, "no stacks today") ? "yes" : "no");
    free(text);
  }
  end(&refused);
  stats.refuse = 0;

  /* And the engine still works. */
  call_t again;
  start(&again, where);
  finish(&again);
  printf("after the failures: a call runs on a creator stack: %s\n",
         again.results[0].of.i32 >= 0 ? "yes" : "no");
  end(&again);

  wasm_extern_delete(k1);
  wasm_extern_delete(k2);
  wasm_instance_delete(instance);
  wasm_linker_delete(linker);
  wasm_module_delete(module);
  wasm_store_delete(store);
  printf("before the engine is deleted: env finalized %d time(s), live stacks %d\n",
         stats.env_finalized, stats.live);
  wasm_engine_delete(engine);
  printf("after: env finalized %d time(s), stacks made %d, freed %d\n", stats.env_finalized,
         stats.created, stats.freed);
}

/* ---- 2. pooling ------------------------------------------------------------ */

static void pooled_stacks(void) {
  wasm_pooling_allocation_config_t* pooling = wasm_pooling_allocation_config_new();
  wasm_pooling_allocation_config_total_core_instances_set(pooling, 8);
  wasm_pooling_allocation_config_total_memories_set(pooling, 8);
  wasm_pooling_allocation_config_total_tables_set(pooling, 8);
  wasm_pooling_allocation_config_total_stacks_set(pooling, 2);
  wasm_pooling_allocation_config_max_memory_size_set(pooling, 65536);
  wasm_pooling_allocation_config_table_elements_set(pooling, 10);
  wasm_config_t* config = wasm_config_new();
  wasm_config_async_support_set(config, true);
  wasm_config_max_wasm_stack_set(config, 64 * 1024);
  wasm_config_async_stack_size_set(config, STACK_SIZE);
  wasm_config_allocation_strategy_set(config, pooling);
  wasm_pooling_allocation_config_delete(pooling);
  wasm_engine_t* engine = NULL;
  check_ok("pooling engine", wasm_engine_try_new(config, &engine));

  wasm_store_t* stores[3];
  wasm_instance_t* instances[3];
  wasm_extern_t* keep[3];
  wasm_func_t* funcs[3];
  wasm_module_t* module = NULL;
  wasm_linker_t* linker = make_linker(engine);
  for (int i = 0; i < 3; i++) {
    stores[i] = wasm_store_new(engine);
    if (i == 0) module = compile(stores[0], module_wat);
    check_ok("instantiate", instantiate_async(linker, stores[i], module, &instances[i]));
    funcs[i] = export_func(instances[i], "wait_then_where", &keep[i]);
  }

  release_flag = 0;
  call_t a, b, c;
  start(&a, funcs[0]);
  start(&b, funcs[1]);
  printf("pooling: two calls pending: %s\n", !a.done && !b.done ? "yes" : "no");
  start(&c, funcs[2]);
  printf("pooling: third call done at once: %s, no trap: %s\n", c.done ? "yes" : "no",
         !c.trap ? "yes" : "no");
  expect_error("pooling: third call", c.error, "total_stacks");
  c.error = NULL;
  end(&c);
  wasm_store_t* extra_store = wasm_store_new(engine);
  wasm_instance_t* extra = NULL;
  expect_error("pooling: async instantiation meanwhile",
               instantiate_async(linker, extra_store, module, &extra), "total_stacks");
  CHECK(!extra);

  /* One call finishes: a new call gets its stack. */
  release_flag = 1;
  finish(&a);
  printf("pooling: first call finished: %s\n", !a.error && !a.trap ? "yes" : "no");
  end(&a);
  release_flag = 0;
  start(&c, funcs[2]);
  printf("pooling: a new call after it: %s\n", !c.error && !c.done ? "pending" : "failed");
  if (c.error) {
    expect_error("pooling: new call", c.error, "total_stacks");
    c.error = NULL;
  }

  /* Cancelling gives the stack back as well. */
  wasm_call_future_delete(b.future);
  b.future = NULL;
  check_ok("pooling: instantiation after the cancel",
           instantiate_async(linker, extra_store, module, &extra));
  printf("pooling: instantiation after a cancel: %s\n", extra ? "works" : "failed");
  release_flag = 1;
  finish(&c);
  printf("pooling: the new call finished: %s\n", !c.error && !c.trap ? "yes" : "no");
  end(&c);

  wasm_instance_delete(extra);
  wasm_store_delete(extra_store);
  for (int i = 0; i < 3; i++) {
    wasm_extern_delete(keep[i]);
    wasm_instance_delete(instances[i]);
    wasm_store_delete(stores[i]);
  }
  wasm_linker_delete(linker);
  wasm_module_delete(module);
  wasm_engine_delete(engine);
}

int main(void) {
  /* A call that never finishes would hang the test: die loudly instead. */
  alarm(120);
  host_stacks();
  pooled_stacks();
  printf("done\n");
  return 0;
}
