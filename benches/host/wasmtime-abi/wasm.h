/* Declarations of the standard WebAssembly C API (wasm.h) used by
 * bench_host.c, with the standard layouts, for building the host against the
 * reference runtime (Wasmtime's C library).
 *
 * Why this file exists: our include/wasm.h extends wasm_val_t with a 16-byte
 * v128 member (24 bytes, `of` at offset 8), while the reference library uses
 * the standard 16-byte wasm_val_t. The host is therefore compiled twice from
 * one source: against include/wasm.h for our library and against this file
 * for the reference. Only the subset the host calls is declared here, so the
 * host cannot silently depend on anything else. Independently of that, the
 * host never passes or reads more than one wasm_val_t per call (element 0 of
 * any array), so even the array stride could not make the two builds differ.
 */
#ifndef BENCH_STD_WASM_H
#define BENCH_STD_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef char byte_t;

typedef struct wasm_byte_vec_t {
  size_t size;
  byte_t *data;
} wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_byte_vec_t wasm_message_t;

void wasm_byte_vec_new_uninitialized(wasm_byte_vec_t *out, size_t size);
void wasm_byte_vec_delete(wasm_byte_vec_t *vec);

typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_store_t wasm_store_t;
typedef struct wasm_module_t wasm_module_t;
typedef struct wasm_instance_t wasm_instance_t;
typedef struct wasm_func_t wasm_func_t;
typedef struct wasm_extern_t wasm_extern_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_ref_t wasm_ref_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasm_externtype_t wasm_externtype_t;
typedef struct wasm_importtype_t wasm_importtype_t;
typedef struct wasm_exporttype_t wasm_exporttype_t;

wasm_config_t *wasm_config_new(void);
wasm_engine_t *wasm_engine_new(void);
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config);
void wasm_engine_delete(wasm_engine_t *engine);
wasm_store_t *wasm_store_new(wasm_engine_t *engine);
void wasm_store_delete(wasm_store_t *store);

typedef uint8_t wasm_valkind_t;
enum wasm_valkind_enum {
  WASM_I32,
  WASM_I64,
  WASM_F32,
  WASM_F64,
  WASM_EXTERNREF = 128,
  WASM_FUNCREF,
};

typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    wasm_ref_t *ref;
  } of;
} wasm_val_t;

typedef struct wasm_val_vec_t {
  size_t size;
  wasm_val_t *data;
} wasm_val_vec_t;

typedef struct wasm_valtype_vec_t {
  size_t size;
  wasm_valtype_t **data;
} wasm_valtype_vec_t;

typedef struct wasm_importtype_vec_t {
  size_t size;
  wasm_importtype_t **data;
} wasm_importtype_vec_t;

typedef struct wasm_exporttype_vec_t {
  size_t size;
  wasm_exporttype_t **data;
} wasm_exporttype_vec_t;

typedef struct wasm_extern_vec_t {
  size_t size;
  wasm_extern_t **data;
} wasm_extern_vec_t;

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind);
void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t size, wasm_valtype_t *const data[]);
void wasm_valtype_vec_new_empty(wasm_valtype_vec_t *out);
wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results);
void wasm_functype_delete(wasm_functype_t *type);

wasm_module_t *wasm_module_new(wasm_store_t *store, const wasm_byte_vec_t *binary);
void wasm_module_delete(wasm_module_t *module);
void wasm_module_serialize(const wasm_module_t *module, wasm_byte_vec_t *out);
void wasm_module_imports(const wasm_module_t *module, wasm_importtype_vec_t *out);
void wasm_module_exports(const wasm_module_t *module, wasm_exporttype_vec_t *out);
void wasm_importtype_vec_delete(wasm_importtype_vec_t *vec);
void wasm_exporttype_vec_delete(wasm_exporttype_vec_t *vec);
const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *type);
const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *type);
const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *type);

typedef wasm_trap_t *(*wasm_func_callback_t)(const wasm_val_vec_t *args, wasm_val_vec_t *results);
wasm_func_t *wasm_func_new(wasm_store_t *store, const wasm_functype_t *type,
                           wasm_func_callback_t callback);
void wasm_func_delete(wasm_func_t *func);
size_t wasm_func_param_arity(const wasm_func_t *func);
size_t wasm_func_result_arity(const wasm_func_t *func);
wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args,
                            wasm_val_vec_t *results);
wasm_extern_t *wasm_func_as_extern(wasm_func_t *func);
wasm_func_t *wasm_extern_as_func(wasm_extern_t *ext);
void wasm_extern_vec_delete(wasm_extern_vec_t *vec);

wasm_instance_t *wasm_instance_new(wasm_store_t *store, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports, wasm_trap_t **trap);
void wasm_instance_delete(wasm_instance_t *instance);
void wasm_instance_exports(const wasm_instance_t *instance, wasm_extern_vec_t *out);

void wasm_trap_message(const wasm_trap_t *trap, wasm_message_t *out);
void wasm_trap_delete(wasm_trap_t *trap);

#endif
