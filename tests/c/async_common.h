/*
 * What the async programs (tests/c/async_*.c, issue 17) share:
 *
 *   - failing loudly: fail, CHECK, check_ok and fail_error for a
 *     wasm_error_t, fail_trap for a trap; each prints one FAIL line on
 *     stdout and exits 1;
 *   - compile: a module from WAT text;
 *   - poll_to_end: a future polled until it is done, within a limit;
 *   - instantiate_async: an instance through wasm_linker_instantiate_async,
 *     the future polled to the end;
 *   - trap_text, error_text: a trap's or an error's message as a malloc'd
 *     C string; expect_error: whether an error names an option.
 *
 * Each program includes it after its own #includes (and feature macros);
 * tests/c_api_async.rs compiles each program alone, and the compiler finds
 * this file next to it. The functions are static inline, so that a program
 * not using one of them compiles without an unused-function warning under
 * the test's -Wall -Werror.
 */
#ifndef ASYNC_COMMON_H
#define ASYNC_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-runtime.h>

static inline void fail(const char* what) {
  printf("FAIL: %s\n", what);
  exit(1);
}

#define CHECK(cond)           \
  do {                        \
    if (!(cond)) fail(#cond); \
  } while (0)

static inline void fail_error(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("FAIL: %s: %.*s\n", what, (int)message.size, message.data);
  exit(1);
}

/* Fails unless `error` is NULL. */
static inline void check_ok(const char* what, wasm_error_t* error) {
  if (error) fail_error(what, error);
}

static inline void fail_trap(const char* what, wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("FAIL: %s: trap: %.*s\n", what, (int)message.size, message.data);
  exit(1);
}

static inline wasm_module_t* compile(wasm_store_t* store, const char* text) {
  wasm_byte_vec_t binary;
  check_ok("wat2wasm", wasm_wat2wasm(text, strlen(text), &binary));
  wasm_module_t* module = NULL;
  wasm_error_t* error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  check_ok("compile", error);
  return module;
}

/* Polls `future` until it is done; returns how many polls came back
 * pending, and fails with `what` when that passes `limit`. */
static inline int poll_to_end(wasm_call_future_t* future, int limit, const char* what) {
  int polls = 0;
  while (!wasm_call_future_poll(future)) {
    if (++polls > limit) fail(what);
  }
  return polls;
}

/* Instantiates `module` with `linker`'s definitions into *out, polling the
 * wasm_linker_instantiate_async future to the end (the programs' modules
 * have no start function that suspends, so that takes one poll). Returns
 * the future's error, with no instance made; fails on a trap. */
static inline wasm_error_t* instantiate_async(wasm_linker_t* linker, wasm_store_t* store,
                                              wasm_module_t* module, wasm_instance_t** out) {
  wasm_trap_t* trap = NULL;
  wasm_error_t* error = NULL;
  *out = NULL;
  wasm_call_future_t* future =
      wasm_linker_instantiate_async(linker, store, module, out, &trap, &error);
  CHECK(future);
  poll_to_end(future, 100, "instantiation does not finish");
  wasm_call_future_delete(future);
  CHECK(!trap);
  return error;
}

/* The bytes of `message` (deleted) as a malloc'd, NUL-terminated string. */
static inline char* take_text(wasm_byte_vec_t* message) {
  char* text = malloc(message->size + 1);
  memcpy(text, message->data, message->size);
  text[message->size] = 0;
  wasm_byte_vec_delete(message);
  return text;
}

/* The trap's message as a malloc'd string (the trap is kept). */
static inline char* trap_text(wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  return take_text(&message);
}

/* The error's message (consumed) as a malloc'd string; NULL for NULL. */
static inline char* error_text(wasm_error_t* error) {
  if (!error) return NULL;
  wasm_name_t message;
  wasm_error_message(error, &message);
  char* text = take_text(&message);
  wasm_error_delete(error);
  return text;
}

/* Prints whether `error` (consumed) is an error mentioning `word`. */
static inline void expect_error(const char* what, wasm_error_t* error, const char* word) {
  char* text = error_text(error);
  printf("%s: %s\n", what,
         !text                  ? "no error"
         : strstr(text, word)   ? "error naming the option"
                                : "error not naming it");
  if (text && !strstr(text, word)) printf("  (%s)\n", text);
  free(text);
}

#endif
