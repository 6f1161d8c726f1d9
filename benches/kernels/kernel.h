/* Shared interface of the benchmark kernels.
 *
 * Every kernel is one C file, compiled twice from the same source: to wasm32
 * (clang --target=wasm32, no libc, linked by wasm-ld) and natively (clang -O2,
 * linked with native_main.c) for the native column. So a kernel may use only
 * freestanding C: <stdint.h>, <stddef.h>, compiler builtins, static arrays.
 *
 * A kernel exports three functions, each with at most one parameter and at
 * most one result (the host relies on that, see host/bench_host.c):
 *
 *   int32_t bench_size(void)     the workload parameter the kernel is tuned for;
 *   int32_t run(int32_t n)       does the work for parameter n and checks the
 *                                answer itself: returns 0 when the result
 *                                equals the known-good value, 1 otherwise;
 *   int64_t last_checksum(void)  the value the last run computed (for the
 *                                error message when a result is wrong).
 *
 * The host asks bench_size() and passes the answer back to run(), so the
 * size is opaque to the optimiser in both builds: neither clang nor any
 * wasm compiler can fold the computation to a constant. Results are
 * integers or bit patterns of doubles, computed with explicit-width types
 * so wasm32 (4-byte pointers, 4-byte long) and x86-64 agree bit for bit;
 * floating point is built with -ffp-contract=off so no build fuses a
 * multiply-add the other does not.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
#define BENCH_EXPORT(name) __attribute__((export_name(#name)))
#else
#define BENCH_EXPORT(name) __attribute__((visibility("default")))
#endif

/* Defines the three exports from the kernel's SIZE, EXPECTED checksum and a
 * `static int64_t compute(int32_t n)` that the kernel file provides. */
#define BENCH_KERNEL(SIZE, EXPECTED)                                           \
  static int64_t compute(int32_t n);                                           \
  static int64_t bench_last_checksum;                                          \
  BENCH_EXPORT(bench_size) int32_t bench_size(void) { return (SIZE); }         \
  BENCH_EXPORT(last_checksum) int64_t last_checksum(void) {                    \
    return bench_last_checksum;                                                \
  }                                                                            \
  BENCH_EXPORT(run) int32_t run(int32_t n) {                                   \
    bench_last_checksum = compute(n);                                          \
    return (n == (SIZE) && bench_last_checksum == (int64_t)(EXPECTED)) ? 0 : 1;\
  }

/* Small deterministic generator (xorshift32) used to make inputs. */
static inline uint32_t bench_rand(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* Bit pattern of a double, so floating-point results compare exactly. */
static inline int64_t bench_f64_bits(double d) {
  int64_t bits;
  __builtin_memcpy(&bits, &d, sizeof bits);
  return bits;
}

/* FNV-1a style mixing of a 64-bit value into a running hash. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x100000001b3ull;
  return h;
}

#endif
