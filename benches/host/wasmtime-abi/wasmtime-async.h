/* Declarations of the part of the reference runtime's async C API
 * (Wasmtime's wasmtime/async.h, with what it needs from wasmtime/val.h,
 * config.h and store.h) that benches/host/async_host.c calls, written for
 * the library the benchmarks load (`_libwasmtime.so` of the `wasmtime` 50.x
 * wheel). Stores, modules, instances, linkers and synchronous calls come
 * from wasmtime-wasi.h beside this file. Where 50.x differs from older
 * headers:
 *   - there is no wasmtime_config_async_support_set: async calls stopped
 *     needing a configuration knob (bytecodealliance/wasmtime#12371), and
 *     the wheel's library does not export the setter (declared weak here,
 *     so the host calls it only where a library still has it);
 *   - wasmtime_val_t is 32 bytes: its union holds the 24-byte GC references
 *     (anyref, externref, exnref) of a library built with GC, which the
 *     wheel's is (it exports wasmtime_anyref_*). The host only ever reads
 *     or writes element 0 of a value array, so the stride cannot matter.
 */
#ifndef BENCH_WASMTIME_ASYNC_H
#define BENCH_WASMTIME_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmtime-wasi.h"

/* ---- values (wasmtime/val.h) ------------------------------------------- */

typedef uint8_t wasmtime_valkind_t;
#define WASMTIME_I32 0

/* Only i32 is used; `ref` gives the union its 50.x size and alignment
 * (the GC references: a store id, two private u32s and a pointer). */
typedef union wasmtime_valunion {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  uint8_t v128[16];
  struct {
    uint64_t store_id;
    uint32_t __private1;
    uint32_t __private2;
    void *__private3;
  } ref;
} wasmtime_valunion_t;

struct wasmtime_val {
  wasmtime_valkind_t kind;
  wasmtime_valunion_t of;
};

_Static_assert(sizeof(wasmtime_val_t) == 32, "wasmtime_val_t of Wasmtime 50.x is 32 bytes");

/* ---- configuration and fuel (wasmtime/config.h, wasmtime/store.h) ------ */

void wasmtime_config_consume_fuel_set(wasm_config_t *config, bool enable);
/* Gone in 50.x (see above); weak, so NULL there. */
void wasmtime_config_async_support_set(wasm_config_t *config, bool enable) __attribute__((weak));
wasmtime_error_t *wasmtime_context_set_fuel(wasmtime_context_t *context, uint64_t fuel);

/* ---- async (wasmtime/async.h) ------------------------------------------ */

typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasmtime_call_future wasmtime_call_future_t;

/* Yield every `interval` units of fuel consumed; 0 stops yielding. */
wasmtime_error_t *wasmtime_context_fuel_async_yield_interval(wasmtime_context_t *context,
                                                             uint64_t interval);

typedef bool (*wasmtime_func_async_continuation_callback_t)(void *env);

typedef struct wasmtime_async_continuation_t {
  wasmtime_func_async_continuation_callback_t callback;
  void *env;
  void (*finalizer)(void *);
} wasmtime_async_continuation_t;

typedef void (*wasmtime_func_async_callback_t)(void *env, wasmtime_caller_t *caller,
                                               const wasmtime_val_t *args, size_t nargs,
                                               wasmtime_val_t *results, size_t nresults,
                                               wasm_trap_t **trap_ret,
                                               wasmtime_async_continuation_t *continuation_ret);

/* True when the call is done; false when it suspended. */
bool wasmtime_call_future_poll(wasmtime_call_future_t *future);
void wasmtime_call_future_delete(wasmtime_call_future_t *future);

wasmtime_call_future_t *wasmtime_func_call_async(wasmtime_context_t *context,
                                                 const wasmtime_func_t *func,
                                                 const wasmtime_val_t *args, size_t nargs,
                                                 wasmtime_val_t *results, size_t nresults,
                                                 wasm_trap_t **trap_ret,
                                                 wasmtime_error_t **error_ret);

wasmtime_error_t *wasmtime_linker_define_async_func(wasmtime_linker_t *linker, const char *module,
                                                    size_t module_len, const char *name,
                                                    size_t name_len, const wasm_functype_t *ty,
                                                    wasmtime_func_async_callback_t cb, void *data,
                                                    void (*finalizer)(void *));

wasmtime_call_future_t *wasmtime_linker_instantiate_async(const wasmtime_linker_t *linker,
                                                          wasmtime_context_t *store,
                                                          const wasmtime_module_t *module,
                                                          wasmtime_instance_t *instance,
                                                          wasm_trap_t **trap_ret,
                                                          wasmtime_error_t **error_ret);

#endif
