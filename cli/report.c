/*
 * Failure messages on stderr: `Error: <what failed>: <why>`, where the why
 * is the library's own message (an error's, with its causes, or a trap's,
 * with its wasm backtrace on the following lines).
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

static void print_context(const char* format, va_list args) {
  fflush(stdout);
  fputs("Error: ", stderr);
  vfprintf(stderr, format, args);
}

void cli_error(const char* format, ...) {
  va_list args;
  va_start(args, format);
  print_context(format, args);
  va_end(args);
  fputc('\n', stderr);
}

void cli_error_wasm(wasm_error_t* error, const char* format, ...) {
  va_list args;
  va_start(args, format);
  print_context(format, args);
  va_end(args);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    fprintf(stderr, ": %.*s", (int)message.size, message.data);
    wasm_byte_vec_delete(&message);
    wasm_error_delete(error);
  }
  fputc('\n', stderr);
}

void cli_error_trap(wasm_trap_t* trap, const char* format, ...) {
  va_list args;
  va_start(args, format);
  print_context(format, args);
  va_end(args);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  /* The message includes its terminating NUL. */
  size_t size = message.size > 0 ? message.size - 1 : 0;
  fprintf(stderr, ": %.*s", (int)size, message.data);
  if (size == 0 || message.data[size - 1] != '\n') fputc('\n', stderr);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}
