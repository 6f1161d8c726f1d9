/* Engine configuration: build a config with a few options, create an
 * engine from it, and show that a contradictory config is refused by
 * wasm_engine_try_new with a message naming the option at fault.
 *
 * Uses only the installed headers: wasm.h (standard) and wasm-runtime.h
 * (extensions). Exits non-zero if anything behaves unexpectedly. */
#include <stdio.h>
#include <stdlib.h>

#include "wasm-runtime.h"

/* Prints an extension error and frees it. */
static void print_error(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
}

int main(void) {
  wasm_engine_t* engine = NULL;
  wasm_error_t* error;
  wasm_config_t* config;

  /* A valid configuration: fuel metering, epoch interruption, a 1 MiB wasm
     stack and single-threaded compilation. */
  config = wasm_config_new();
  wasm_config_consume_fuel_set(config, true);
  wasm_config_epoch_interruption_set(config, true);
  wasm_config_max_wasm_stack_set(config, 1024 * 1024);
  wasm_config_parallel_compilation_set(config, false);
  error = wasm_engine_try_new(config, &engine); /* consumes config */
  if (error != NULL) {
    print_error("unexpected error", error);
    return EXIT_FAILURE;
  }
  printf("engine created with fuel, epochs and a 1 MiB wasm stack\n");
  wasm_engine_increment_epoch(engine);
  wasm_engine_delete(engine);

  /* An invalid one: reference types need bulk memory. The engine is not
     created and the error says which option is at fault. */
  engine = NULL;
  config = wasm_config_new();
  wasm_config_wasm_bulk_memory_set(config, false);
  wasm_config_wasm_threads_set(config, false);
  wasm_config_wasm_reference_types_set(config, true);
  error = wasm_engine_try_new(config, &engine);
  if (error == NULL || engine != NULL) {
    printf("a config with reference types but no bulk memory was accepted\n");
    return EXIT_FAILURE;
  }
  print_error("invalid config refused", error);

  /* The standard constructor with the default configuration. */
  engine = wasm_engine_new();
  if (engine == NULL) {
    printf("wasm_engine_new failed\n");
    return EXIT_FAILURE;
  }
  printf("default engine created\n");
  wasm_engine_delete(engine);
  return EXIT_SUCCESS;
}
