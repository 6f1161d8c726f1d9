/*
 * `wasm-runtime run`: one store with the WASI context the options
 * describe, the module instantiated through a linker that defines WASI,
 * then the command's `_start` (or, with --invoke, the named export after a
 * reactor's `_initialize`).
 *
 * How it ends is the reference's: a `proc_exit(n)` is exit status n,
 * returning from `_start` is 0, a trap is reported with its backtrace and
 * exits 134, anything else that fails (reading, compiling, linking) is
 * reported and exits 1.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Everything a run holds, released together. */
struct run {
  const struct cli_options* options;
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  wasm_linker_t* linker;
  wasm_instance_t* instance;
};

static void run_release(struct run* run) {
  if (run->instance) wasm_instance_delete(run->instance);
  if (run->linker) wasm_linker_delete(run->linker);
  if (run->module) wasm_module_delete(run->module);
  if (run->store) wasm_store_delete(run->store);
  if (run->engine) wasm_engine_delete(run->engine);
}

/* The name the program sees as argv[0]: FILE without its directories, so
   the host's layout does not leak into the sandbox. */
static const char* program_name(const char* file) {
  const char* slash = strrchr(file, '/');
  return slash && slash[1] != '\0' ? slash + 1 : file;
}

/* The WASI configuration the options describe, or NULL (reported). */
static wasi_config_t* wasi_config_from(const struct cli_options* options) {
  wasi_config_t* wasi = wasi_config_new();
  size_t argc = (size_t)options->guest_argc + 1;
  const char** argv = calloc(argc, sizeof *argv);
  const char** names = calloc(options->env_count + 1, sizeof *names);
  const char** values = calloc(options->env_count + 1, sizeof *values);
  char** owned = calloc(options->env_count + 1, sizeof *owned);
  bool ok = argv && names && values && owned;
  if (!ok) cli_error("out of memory");

  if (ok) {
    argv[0] = program_name(options->file);
    for (int i = 0; i < options->guest_argc; i++) argv[i + 1] = options->guest_argv[i];
    ok = wasi_config_set_argv(wasi, argc, argv);
    if (!ok) cli_error("cannot set the program's arguments");
  }

  /* --env NAME=VALUE sets; --env NAME passes this process's NAME on (and
     nothing when it is unset), as in the reference. */
  size_t envc = 0;
  for (size_t i = 0; ok && i < options->env_count; i++) {
    const char* spec = options->envs[i];
    const char* equals = strchr(spec, '=');
    if (equals) {
      size_t len = (size_t)(equals - spec);
      owned[i] = malloc(len + 1);
      if (!owned[i]) {
        cli_error("out of memory");
        ok = false;
        break;
      }
      memcpy(owned[i], spec, len);
      owned[i][len] = '\0';
      names[envc] = owned[i];
      values[envc] = equals + 1;
      envc++;
    } else if (getenv(spec)) {
      names[envc] = spec;
      values[envc] = getenv(spec);
      envc++;
    }
  }
  if (ok && !wasi_config_set_env(wasi, envc, names, values)) {
    cli_error("cannot set the program's environment");
    ok = false;
  }

  wasi_config_inherit_stdin(wasi);
  wasi_config_inherit_stdout(wasi);
  wasi_config_inherit_stderr(wasi);
  for (size_t i = 0; ok && i < options->dir_count; i++) {
    const struct cli_dir* dir = &options->dirs[i];
    ok = wasi_config_preopen_dir(wasi, dir->host, dir->guest,
                                 WASMTIME_WASI_DIR_PERMS_READ | WASMTIME_WASI_DIR_PERMS_WRITE,
                                 WASMTIME_WASI_FILE_PERMS_READ | WASMTIME_WASI_FILE_PERMS_WRITE);
    if (!ok) cli_error("cannot open the directory `%s` for --dir", dir->host);
  }

  for (size_t i = 0; owned && i < options->env_count; i++) free(owned[i]);
  free(owned);
  free(values);
  free(names);
  free(argv);
  if (!ok) {
    wasi_config_delete(wasi);
    return NULL;
  }
  return wasi;
}

/* Whether the module imports anything of WASI preview 1: only then does
   the store need a WASI context (a plain module runs without one). */
static bool imports_wasi(const wasm_module_t* module) {
  static const char wasi[] = "wasi_snapshot_preview1";
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  bool found = false;
  for (size_t i = 0; i < imports.size && !found; i++) {
    const wasm_name_t* name = wasm_importtype_module(imports.data[i]);
    found = name->size == sizeof wasi - 1 && memcmp(name->data, wasi, name->size) == 0;
  }
  wasm_importtype_vec_delete(&imports);
  return found;
}

/* The exit status for a trap that ended `what` (consumed), after writing
   its coredump when --coredump-on-trap asks for one. */
static int trap_status(wasm_trap_t* trap, const char* what, const struct cli_options* options) {
  int status = 0;
  if (wasm_trap_exit_status(trap, &status)) {
    wasm_trap_delete(trap);
    return status;
  }
  wasm_byte_vec_t dump;
  if (options->coredump_file && wasm_trap_coredump(trap, &dump)) {
    if (cli_write_file(options->coredump_file, &dump)) {
      fprintf(stderr, "Wasm coredump generated in %s\n", options->coredump_file);
    }
    wasm_byte_vec_delete(&dump);
  }
  cli_error_trap(trap, "failed to run %s of `%s`", what, options->file);
  return CLI_EXIT_TRAP;
}

/* The function export `name` of the instance, or NULL (not reported:
   callers decide whether a missing one is an error). */
static wasm_func_t* export_func(const struct run* run, const char* name, wasm_extern_t** handle) {
  *handle = wasm_instance_export_get(run->instance, name, strlen(name));
  return *handle ? wasm_extern_as_func(*handle) : NULL;
}

/* Calls `func` with `args` (text, parsed by its parameter types) and, when
   `print`, prints its results. Returns the exit status. */
static int call(const struct run* run, wasm_func_t* func, const char* name, int argc,
                char** argv, bool print) {
  wasm_functype_t* type = wasm_func_type(func);
  const wasm_valtype_vec_t* params = wasm_functype_params(type);
  const wasm_valtype_vec_t* result_types = wasm_functype_results(type);
  int status = 0;
  if ((size_t)argc != params->size) {
    cli_error("`%s` takes %zu argument%s, %d given", name, params->size,
              params->size == 1 ? "" : "s", argc);
    wasm_functype_delete(type);
    return CLI_EXIT_FAILURE;
  }

  wasm_val_vec_t args, results;
  wasm_val_vec_new_uninitialized(&args, params->size);
  wasm_val_vec_new_uninitialized(&results, result_types->size);
  for (size_t i = 0; i < params->size && status == 0; i++) {
    if (!cli_parse_value(argv[i], wasm_valtype_kind(params->data[i]), name, &args.data[i])) {
      status = CLI_EXIT_FAILURE;
    }
  }
  if (status == 0) {
    /* The program writes to the same streams: keep the order. */
    fflush(stdout);
    wasm_trap_t* trap = wasm_func_call(func, &args, &results);
    if (trap) {
      char what[256];
      snprintf(what, sizeof what, strchr(name, ' ') ? "%s" : "`%s`", name);
      status = trap_status(trap, what, run->options);
    } else if (print) {
      for (size_t i = 0; i < results.size; i++) cli_print_value(&results.data[i]);
    }
  }
  wasm_val_vec_delete(&results);
  wasm_val_vec_delete(&args);
  wasm_functype_delete(type);
  return status;
}

/* After instantiation: a reactor's `_initialize`, then --invoke's function
   or the command's default function (export "" or `_start`; a module with
   neither has nothing more to run). */
static int run_instance(struct run* run) {
  const struct cli_options* options = run->options;
  wasm_extern_t* handle = NULL;
  int status = 0;

  wasm_func_t* init = export_func(run, "_initialize", &handle);
  if (init) status = call(run, init, "_initialize", 0, NULL, false);
  if (handle) wasm_extern_delete(handle);
  if (status != 0) return status;

  if (options->invoke) {
    wasm_func_t* func = export_func(run, options->invoke, &handle);
    if (func) {
      status = call(run, func, options->invoke, options->guest_argc, options->guest_argv, true);
    } else {
      cli_error("`%s` has no function export `%s`", options->file, options->invoke);
      status = CLI_EXIT_FAILURE;
    }
    if (handle) wasm_extern_delete(handle);
    return status;
  }

  const char* name = "";
  wasm_func_t* start = export_func(run, name, &handle);
  if (!start) {
    if (handle) wasm_extern_delete(handle);
    name = "_start";
    start = export_func(run, name, &handle);
  }
  if (start) status = call(run, start, *name ? name : "the default export", 0, NULL, false);
  if (handle) wasm_extern_delete(handle);
  return status;
}

int cli_run(const struct cli_options* options) {
  struct run run = {options, NULL, NULL, NULL, NULL, NULL};
  int status = CLI_EXIT_FAILURE;
  wasm_error_t* error = NULL;
  wasi_config_t* wasi = NULL;

  run.engine = cli_engine_new(options);
  if (!run.engine) goto done;
  run.store = wasm_store_new(run.engine);
  if (options->has_max_memory) wasm_store_limiter(run.store, options->max_memory, -1, -1, -1, -1);
  if (options->has_fuel && (error = wasm_store_set_fuel(run.store, options->fuel))) {
    cli_error_wasm(error, "cannot set the fuel");
    goto done;
  }
  run.module = cli_load_module(run.engine, run.store, options);
  if (!run.module) goto done;

  /* The configuration is made either way, so a bad --dir is reported
     for every module. */
  wasi = wasi_config_from(options);
  if (!wasi) goto done;
  run.linker = wasm_linker_new(run.engine);
  if (imports_wasi(run.module)) {
    error = wasm_store_set_wasi(run.store, wasi);
    if (!error) error = wasm_linker_define_wasi(run.linker);
    if (error) {
      cli_error_wasm(error, "cannot set up WASI for `%s`", options->file);
      goto done;
    }
  } else {
    wasi_config_delete(wasi);
  }

  wasm_trap_t* trap = NULL;
  error = wasm_linker_instantiate(run.linker, run.store, run.module, &run.instance, &trap);
  if (error) {
    cli_error_wasm(error, "cannot instantiate `%s`", options->file);
    goto done;
  }
  if (trap) {
    status = trap_status(trap, "the start function", options);
    goto done;
  }
  status = run_instance(&run);

done:
  run_release(&run);
  return status;
}
