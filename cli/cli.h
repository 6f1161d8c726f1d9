/*
 * The `wasm-runtime` command: what its source files share.
 *
 * The command is written against the installed public headers only
 * (wasm.h, wasm-runtime.h, wasi.h), like any host of the library: it is
 * the proof that the C API is enough to run WASI programs.
 */
#ifndef WASM_RUNTIME_CLI_H
#define WASM_RUNTIME_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <wasi.h>

/* Exit statuses besides the program's own (`proc_exit`): the reference
   runtime's, so scripts see the same codes. A trap is 128 + SIGABRT, as if
   the program had aborted. */
enum {
  CLI_EXIT_FAILURE = 1,
  CLI_EXIT_USAGE = 2,
  CLI_EXIT_TRAP = 134
};

/* A `--dir HOST[::GUEST]` option. */
struct cli_dir {
  char* host;  /* owned */
  char* guest; /* owned */
};

/* A `--wasm FEATURE[=y|n]` setting (the feature by cli_feature_index). */
struct cli_feature {
  int index;
  bool enable;
};

/* Everything the command line says; strings borrow argv unless noted. */
struct cli_options {
  const char* command; /* "run" or "compile" */
  const char* file;
  /* run: the program's arguments after FILE */
  int guest_argc;
  char** guest_argv;
  struct cli_dir* dirs;
  size_t dir_count;
  const char** envs; /* NAME or NAME=VALUE */
  size_t env_count;
  const char* invoke;
  bool has_fuel;
  uint64_t fuel;
  bool has_max_memory;
  int64_t max_memory;
  bool allow_precompiled;
  const char* coredump_file; /* --coredump-on-trap FILE, or NULL */
  /* run and compile: code generation */
  struct cli_feature* features;
  size_t feature_count;
  bool has_opt_level;
  wasm_opt_level_t opt_level;
  bool has_profile;
  wasm_profiling_strategy_t profile;
  bool debug_info; /* -D debug-info */
  /* compile */
  const char* output;
};

/* wasm-runtime.c */
void cli_print_usage(FILE* to);

/* options.c: parses argv[first..] for `command`; on a usage error prints
   it and returns false. Free with cli_options_free either way. */
bool cli_parse_options(int argc, char** argv, int first, const char* command,
                       struct cli_options* out);
void cli_options_free(struct cli_options* options);

/* report.c: messages on stderr, `Error: ...` as the reference prints
   them. cli_error_wasm also prints and deletes `error` (may be NULL). */
void cli_error(const char* format, ...);
void cli_error_wasm(wasm_error_t* error, const char* format, ...);
/* Prints a trap that is not a program exit, and deletes it. */
void cli_error_trap(wasm_trap_t* trap, const char* format, ...);

/* features.c: the index of the feature named by `len` bytes at `name`,
   or -1; and the settings (in command-line order) applied to `config`. */
int cli_feature_index(const char* name, size_t len);
void cli_features_apply(wasm_config_t* config, const struct cli_feature* settings, size_t count);

/* engine.c: the engine the options describe, or NULL (reported). */
wasm_engine_t* cli_engine_new(const struct cli_options* options);

/* load.c: reads a whole file into `out` (owned by the caller); false
   (reported) on failure. */
bool cli_read_file(const char* path, wasm_byte_vec_t* out);
/* Writes `bytes` to the file at `path` (created or truncated); false
   (reported, the partial file removed) on failure. */
bool cli_write_file(const char* path, const wasm_byte_vec_t* bytes);
/* The module FILE holds (binary, text or precompiled), or NULL (reported). */
wasm_module_t* cli_load_module(wasm_engine_t* engine, wasm_store_t* store,
                               const struct cli_options* options);

/* values.c: a command-line argument as a value of `kind`, or false
   (reported) when it is not one. */
bool cli_parse_value(const char* text, wasm_valkind_t kind, const char* func,
                     wasm_val_t* out);
/* Prints a result the way the reference does, with a newline. */
void cli_print_value(const wasm_val_t* value);

/* run.c and compile.c: the commands; each returns the exit status. */
int cli_run(const struct cli_options* options);
int cli_compile(const struct cli_options* options);

#endif
