/* A C host of wasm-runtime, built by tests/package.rs with the flags from
 * `pkg-config --cflags --libs wasm-runtime`. Prints what it observed; the
 * test checks the output. */
#include <stdio.h>

#include "wasm-runtime.h"

int main(void) {
  wasm_engine_t* engine;
  wasm_engine_t* refused = NULL;
  wasm_error_t* error;
  wasm_name_t message;

  printf("wasm-runtime %s\n", WASM_RUNTIME_VERSION);
  engine = wasm_engine_new_with_config(wasm_config_new());
  if (engine == NULL) {
    printf("wasm_engine_new_with_config failed\n");
    return 1;
  }
  printf("engine: ok\n");
  wasm_engine_delete(engine);

  /* A NULL config is refused with an error, not a crash. */
  error = wasm_engine_try_new(NULL, &refused);
  if (error == NULL || refused != NULL) {
    printf("wasm_engine_try_new accepted a NULL config\n");
    return 1;
  }
  wasm_error_message(error, &message);
  printf("error: %.*s\n", (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  return 0;
}
