/* Declarations of the part of the reference runtime's own C API (Wasmtime's
 * wasmtime/ headers and wasi.h) that benches/host/wasi_host.c calls, written for
 * the library the benchmarks load (`_libwasmtime.so` of the `wasmtime` 50.x
 * wheel). Parameter and result types follow that version's headers; where
 * the API changed across versions the 50.x form is the one here:
 *   - wasi_config_preopen_dir takes one `bool fs_mutable` (older versions
 *     took directory and file permission masks);
 *   - wasmtime_context_set_wasi returns a wasmtime_error_t* (older: void);
 *   - wasmtime_func_call takes the function by pointer (older: by value);
 *   - a WASI exit (proc_exit) is reported as an error whose status
 *     wasmtime_error_exit_status reads, not as a trap.
 * Only what the host uses is declared, over the standard subset in wasm.h
 * beside this file, so the host cannot silently depend on anything else.
 */
#ifndef BENCH_WASMTIME_WASI_H
#define BENCH_WASMTIME_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

/* ---- errors (wasmtime/error.h) ----------------------------------------- */

typedef struct wasmtime_error wasmtime_error_t;

void wasmtime_error_delete(wasmtime_error_t *error);
void wasmtime_error_message(const wasmtime_error_t *error, wasm_name_t *message);
/* True (storing the status) when `error` is a WASI exit. */
bool wasmtime_error_exit_status(const wasmtime_error_t *error, int *status);

/* ---- stores (wasmtime/store.h) ----------------------------------------- */

typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;

wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
void wasmtime_store_delete(wasmtime_store_t *store);

/* ---- modules (wasmtime/module.h) --------------------------------------- */

typedef struct wasmtime_module wasmtime_module_t;

wasmtime_error_t *wasmtime_module_new(wasm_engine_t *engine, const uint8_t *wasm, size_t wasm_len,
                                      wasmtime_module_t **ret);
void wasmtime_module_delete(wasmtime_module_t *module);
wasmtime_error_t *wasmtime_module_serialize(wasmtime_module_t *module, wasm_byte_vec_t *ret);
wasmtime_error_t *wasmtime_module_deserialize_file(wasm_engine_t *engine, const char *path,
                                                   wasmtime_module_t **ret);

/* ---- instances and externs (wasmtime/instance.h, wasmtime/extern.h) ---- */

typedef struct wasmtime_instance {
  uint64_t store_id;
  size_t __private;
} wasmtime_instance_t;

typedef struct wasmtime_func {
  uint64_t store_id;
  void *__private;
} wasmtime_func_t;

/* Tables, memories and tags: a store id and two private indices. */
typedef struct wasmtime_extern_indexed {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_extern_indexed_t;

typedef uint8_t wasmtime_extern_kind_t;
#define WASMTIME_EXTERN_FUNC 0

/* Only `func` is read; the other members give the union its 50.x size
 * (24 bytes, the global's) and alignment, which wasmtime_extern_t's
 * layout, written by wasmtime_instance_export_get, depends on. */
typedef union wasmtime_extern_union {
  wasmtime_func_t func;
  struct {
    uint64_t store_id;
    uint32_t __private1;
    uint32_t __private2;
    uint32_t __private3;
  } global;
  wasmtime_extern_indexed_t table;
  wasmtime_extern_indexed_t memory;
  void *sharedmemory;
  wasmtime_extern_indexed_t tag;
} wasmtime_extern_union_t;

typedef struct wasmtime_extern {
  wasmtime_extern_kind_t kind;
  wasmtime_extern_union_t of;
} wasmtime_extern_t;

bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance,
                                  const char *name, size_t name_len, wasmtime_extern_t *item);
void wasmtime_extern_delete(wasmtime_extern_t *item);

/* ---- calls (wasmtime/func.h); the host passes no values ---------------- */

typedef struct wasmtime_val wasmtime_val_t;

wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
                                     const wasmtime_val_t *args, size_t nargs,
                                     wasmtime_val_t *results, size_t nresults, wasm_trap_t **trap);

/* ---- linkers (wasmtime/linker.h) --------------------------------------- */

typedef struct wasmtime_linker wasmtime_linker_t;

wasmtime_linker_t *wasmtime_linker_new(wasm_engine_t *engine);
void wasmtime_linker_delete(wasmtime_linker_t *linker);
wasmtime_error_t *wasmtime_linker_define_wasi(wasmtime_linker_t *linker);
wasmtime_error_t *wasmtime_linker_instantiate(const wasmtime_linker_t *linker,
                                              wasmtime_context_t *store,
                                              const wasmtime_module_t *module,
                                              wasmtime_instance_t *instance, wasm_trap_t **trap);

/* ---- WASI (wasi.h) ----------------------------------------------------- */

typedef struct wasi_config_t wasi_config_t;

wasi_config_t *wasi_config_new(void);
void wasi_config_delete(wasi_config_t *config);
bool wasi_config_set_argv(wasi_config_t *config, size_t argc, const char *argv[]);
void wasi_config_inherit_stdin(wasi_config_t *config);
void wasi_config_inherit_stdout(wasi_config_t *config);
void wasi_config_inherit_stderr(wasi_config_t *config);
bool wasi_config_preopen_dir(wasi_config_t *config, const char *host_path, const char *guest_path,
                             bool fs_mutable);
/* Consumes `wasi`. */
wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *context, wasi_config_t *wasi);

#endif
