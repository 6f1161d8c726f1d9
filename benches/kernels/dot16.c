/* SIMD: dot products of 16-bit integer vectors (fixed-point filters, audio
 * mixing, quantised neural-network layers): a 64K-element vector against
 * ROUNDS windows of another, each window one element further along.
 *
 * With wasm SIMD (-msimd128) eight products at a time with
 * `i32x4.dot_i16x8_s` (wasm_simd128.h intrinsics), 32-bit accumulators
 * emptied into 64 bits every 512 elements; otherwise plain C, which the
 * native -O3 builds vectorise themselves. Inputs lie in [-1024, 1023], so no
 * 32-bit partial sum can overflow and every build gets the same sums.
 * Checksum: FNV mix of the dot products. */
#include "kernel.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define SIZE 65536
#define ROUNDS 4000

static int16_t x[SIZE] __attribute__((aligned(16)));
static int16_t y[SIZE + ROUNDS] __attribute__((aligned(16)));

static int64_t dot(const int16_t *a, const int16_t *b, int32_t n) {
#ifdef __wasm_simd128__
  int64_t total = 0;
  for (int32_t base = 0; base < n; base += 512) {
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = wasm_i32x4_splat(0);
    int32_t end = base + 512 < n ? base + 512 : n;
    for (int32_t i = base; i < end; i += 16) {
      acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
      acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i + 8),
                                                       wasm_v128_load(b + i + 8)));
    }
    v128_t acc = wasm_i32x4_add(acc0, acc1);
    total += (int64_t)wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
             wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
  }
  return total;
#else
  int64_t total = 0;
  for (int32_t base = 0; base < n; base += 512) {
    int32_t acc = 0;
    int32_t end = base + 512 < n ? base + 512 : n;
    for (int32_t i = base; i < end; i++) acc += (int32_t)a[i] * b[i];
    total += acc;
  }
  return total;
#endif
}

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  n &= ~15;
  uint32_t state = 0x7f4a7c15u;
  for (int32_t i = 0; i < n; i++) x[i] = (int16_t)((int32_t)(bench_rand(&state) % 2048) - 1024);
  for (int32_t i = 0; i < n + ROUNDS; i++)
    y[i] = (int16_t)((int32_t)(bench_rand(&state) % 2048) - 1024);
  uint64_t h = 0xcbf29ce484222325ull;
  for (int round = 0; round < ROUNDS; round++) h = bench_mix(h, (uint64_t)dot(x, y + round, n));
  return (int64_t)h;
}

BENCH_KERNEL(SIZE, 5573037553078539135LL)
