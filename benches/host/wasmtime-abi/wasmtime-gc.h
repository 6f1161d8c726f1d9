/* Declarations of the part of the reference runtime's GC-related C API
 * (Wasmtime's wasmtime/config.h, store.h and wat.h) that
 * benches/host/gc_host.c calls, written for the library the benchmarks load
 * (`_libwasmtime.so` of the `wasmtime` 50.x wheel). Stores, modules,
 * instances, linkers and calls come from wasmtime-wasi.h, the value layout
 * (wasmtime_val_t, 32 bytes in 50.x) from wasmtime-async.h, both beside
 * this file. Where 50.x differs from older headers:
 *   - wasmtime_context_gc returns a wasmtime_error_t* (older: void); the
 *     wheel's library returns NULL on success (seen in its code: it can
 *     fail only for stores with component-model concurrency state);
 *   - the wheel's library exports no collector setter
 *     (wasmtime_config_collector_set): it is declared weak here, so the
 *     host calls it only where a library has it. Without it the engine
 *     uses Collector::Auto, which in a build without the `gc-copying`
 *     feature (the wheel's: its library carries the "gc-copying feature
 *     was not enabled" message) is the deferred reference-counting (DRC)
 *     collector.
 */
#ifndef BENCH_WASMTIME_GC_H
#define BENCH_WASMTIME_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmtime-async.h"

/* ---- values (wasmtime/val.h): WASMTIME_I32 is in wasmtime-async.h ------ */

#define WASMTIME_I64 1

/* ---- configuration (wasmtime/config.h) --------------------------------- */

void wasmtime_config_wasm_reference_types_set(wasm_config_t *config, bool enable);
void wasmtime_config_wasm_function_references_set(wasm_config_t *config, bool enable);
void wasmtime_config_wasm_gc_set(wasm_config_t *config, bool enable);

typedef uint8_t wasmtime_collector_t;
#define WASMTIME_COLLECTOR_AUTO 0
#define WASMTIME_COLLECTOR_DRC 1
#define WASMTIME_COLLECTOR_NULL 2
/* Not in the 50.x wheel's library (see above); weak, so NULL there. */
void wasmtime_config_collector_set(wasm_config_t *config, wasmtime_collector_t collector)
    __attribute__((weak));

/* ---- collection (wasmtime/store.h) ------------------------------------- */

/* A full collection of the store's GC heap; NULL on success (50.x). */
wasmtime_error_t *wasmtime_context_gc(wasmtime_context_t *context);

/* ---- text to binary (wasmtime/wat.h) ----------------------------------- */

wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);

#endif
