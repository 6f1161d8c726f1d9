/*
 * The WebAssembly features `--wasm` switches, by the reference's names,
 * and how a list of settings becomes `wasm_config_wasm_*_set` calls.
 *
 * A feature some other needs (simd for relaxed-simd, bulk-memory for
 * reference-types and threads, ...) switched off takes those others with
 * it unless the command line sets them too, so `--wasm simd=n` refuses
 * SIMD modules instead of failing to make an engine whose relaxed SIMD
 * (on by default) lacks SIMD. Settings the engine cannot honour are
 * refused by it, naming the option.
 */
#include <string.h>

#include "cli.h"

static const struct {
  const char* name;
  void (*set)(wasm_config_t*, bool);
  const char* requires; /* NULL: nothing */
} FEATURES[] = {
    {"bulk-memory", wasm_config_wasm_bulk_memory_set, NULL},
    {"component-model", wasm_config_wasm_component_model_set, NULL},
    {"custom-page-sizes", wasm_config_wasm_custom_page_sizes_set, NULL},
    {"exceptions", wasm_config_wasm_exceptions_set, NULL},
    {"extended-const", wasm_config_wasm_extended_const_set, NULL},
    {"function-references", wasm_config_wasm_function_references_set, "reference-types"},
    {"gc", wasm_config_wasm_gc_set, "function-references"},
    {"memory64", wasm_config_wasm_memory64_set, NULL},
    {"multi-memory", wasm_config_wasm_multi_memory_set, NULL},
    {"multi-value", wasm_config_wasm_multi_value_set, NULL},
    {"nan-canonicalization", wasm_config_cranelift_nan_canonicalization_set, NULL},
    {"reference-types", wasm_config_wasm_reference_types_set, "bulk-memory"},
    {"relaxed-simd", wasm_config_wasm_relaxed_simd_set, "simd"},
    {"relaxed-simd-deterministic", wasm_config_relaxed_simd_deterministic_set, NULL},
    {"simd", wasm_config_wasm_simd_set, NULL},
    {"tail-call", wasm_config_wasm_tail_call_set, NULL},
    {"threads", wasm_config_wasm_threads_set, "bulk-memory"},
    {"wide-arithmetic", wasm_config_wasm_wide_arithmetic_set, NULL},
};

#define FEATURE_COUNT (sizeof FEATURES / sizeof FEATURES[0])

int cli_feature_index(const char* name, size_t len) {
  for (size_t i = 0; i < FEATURE_COUNT; i++) {
    if (strlen(FEATURES[i].name) == len && strncmp(FEATURES[i].name, name, len) == 0) {
      return (int)i;
    }
  }
  return -1;
}

void cli_features_apply(wasm_config_t* config, const struct cli_feature* settings, size_t count) {
  /* The last setting of a feature wins. */
  bool set[FEATURE_COUNT] = {false};
  bool on[FEATURE_COUNT] = {false};
  for (size_t i = 0; i < count; i++) {
    set[settings[i].index] = true;
    on[settings[i].index] = settings[i].enable;
  }
  bool off[FEATURE_COUNT] = {false};
  for (size_t i = 0; i < FEATURE_COUNT; i++) {
    if (set[i]) FEATURES[i].set(config, on[i]);
    off[i] = set[i] && !on[i];
  }
  /* Dependents follow until nothing changes (chains are short). */
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
      if (set[i] || off[i] || !FEATURES[i].requires) continue;
      int needed = cli_feature_index(FEATURES[i].requires, strlen(FEATURES[i].requires));
      if (needed >= 0 && off[needed]) {
        FEATURES[i].set(config, false);
        off[i] = true;
        changed = true;
      }
    }
  }
}
