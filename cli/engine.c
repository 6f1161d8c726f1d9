/*
 * The engine: the code-generation options of the command line turned into
 * `wasm_config_*` calls. `run` and `compile` build it the same way, so a
 * module compiled ahead of time loads into the engine of a `run` with the
 * same options (and is refused, saying why, with others).
 */
#include "cli.h"

wasm_engine_t* cli_engine_new(const struct cli_options* options) {
  wasm_config_t* config = wasm_config_new();
  if (!config) {
    cli_error("cannot allocate an engine configuration");
    return NULL;
  }
  cli_features_apply(config, options->features, options->feature_count);
  if (options->has_opt_level) wasm_config_cranelift_opt_level_set(config, options->opt_level);
  if (options->has_profile) wasm_config_profiler_set(config, options->profile);
  /* Native debuggers (gdb) see the code with its source lines. */
  if (options->debug_info) wasm_config_debug_info_set(config, true);
  /* Fuel is counted by code the compiler adds, so it is an engine option. */
  if (options->has_fuel) wasm_config_consume_fuel_set(config, true);
  if (options->coredump_file) wasm_config_coredump_on_trap_set(config, true);

  wasm_engine_t* engine = NULL;
  wasm_error_t* error = wasm_engine_try_new(config, &engine);
  if (error) {
    cli_error_wasm(error, "cannot create the engine");
    return NULL;
  }
  return engine;
}
