/*
 * `wasm-runtime compile FILE [-o OUT]`: compiles FILE (binary or text)
 * with the engine the options describe and writes the serialized module,
 * which `run --allow-precompiled` loads without compiling again. OUT
 * defaults to FILE with its extension replaced by `.cwasm`, as in the
 * reference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* FILE with `.cwasm` for its extension (malloc'd), or NULL. */
static char* default_output(const char* file) {
  const char* slash = strrchr(file, '/');
  const char* dot = strrchr(file, '.');
  size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - file) : strlen(file);
  char* out = malloc(stem + sizeof ".cwasm");
  if (out) {
    memcpy(out, file, stem);
    memcpy(out + stem, ".cwasm", sizeof ".cwasm");
  }
  return out;
}


int cli_compile(const struct cli_options* options) {
  int status = CLI_EXIT_FAILURE;
  char* fallback = options->output ? NULL : default_output(options->file);
  const char* output = options->output ? options->output : fallback;
  wasm_engine_t* engine = cli_engine_new(options);
  wasm_store_t* store = engine ? wasm_store_new(engine) : NULL;
  wasm_module_t* module = NULL;
  if (!output) {
    cli_error("out of memory");
  } else if (store && (module = cli_load_module(engine, store, options))) {
    wasm_byte_vec_t serialized;
    wasm_module_serialize(module, &serialized);
    if (cli_write_file(output, &serialized)) status = 0;
    wasm_byte_vec_delete(&serialized);
  }
  if (module) wasm_module_delete(module);
  if (store) wasm_store_delete(store);
  if (engine) wasm_engine_delete(engine);
  free(fallback);
  return status;
}
