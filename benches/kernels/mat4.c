/* SIMD: 4x4 single-precision matrix products over many matrices (the
 * transform kernel of graphics and physics code). Each round multiplies
 * every matrix of A by a matrix of B (B shifted by the round), so the work
 * is COUNT products of 64 multiply-adds per round.
 *
 * With wasm SIMD (-msimd128) each output row is four splat-multiply-adds
 * of f32x4 rows (wasm_simd128.h intrinsics); otherwise plain C, which the
 * native -O3 builds vectorise themselves. Both sum each element's four
 * products in the same order (-ffp-contract=off: no fused multiply-add),
 * so every build computes bit-identical results.
 * Checksum: FNV mix of the bit patterns of the last round's products. */
#include "kernel.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define COUNT 4096
#define ROUNDS 1000

static float a[COUNT * 16], b[COUNT * 16], c[COUNT * 16];

/* c = x * y for row-major 4x4 matrices. */
static void mul4(float *restrict c, const float *restrict x, const float *restrict y) {
#ifdef __wasm_simd128__
  v128_t y0 = wasm_v128_load(y), y1 = wasm_v128_load(y + 4);
  v128_t y2 = wasm_v128_load(y + 8), y3 = wasm_v128_load(y + 12);
  for (int i = 0; i < 4; i++) {
    const float *row = x + 4 * i;
    v128_t r = wasm_f32x4_mul(wasm_f32x4_splat(row[0]), y0);
    r = wasm_f32x4_add(r, wasm_f32x4_mul(wasm_f32x4_splat(row[1]), y1));
    r = wasm_f32x4_add(r, wasm_f32x4_mul(wasm_f32x4_splat(row[2]), y2));
    r = wasm_f32x4_add(r, wasm_f32x4_mul(wasm_f32x4_splat(row[3]), y3));
    wasm_v128_store(c + 4 * i, r);
  }
#else
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      c[4 * i + j] = x[4 * i] * y[j] + x[4 * i + 1] * y[4 + j] + x[4 * i + 2] * y[8 + j] +
                     x[4 * i + 3] * y[12 + j];
#endif
}

static int64_t compute(int32_t n) {
  if (n > COUNT) n = COUNT;
  uint32_t state = 0x1234567u;
  for (int32_t i = 0; i < n * 16; i++) {
    a[i] = (float)(int32_t)(bench_rand(&state) % 2001 - 1000) / 1000.0f;
    b[i] = (float)(int32_t)(bench_rand(&state) % 2001 - 1000) / 1000.0f;
  }
  for (int round = 0; round < ROUNDS; round++)
    for (int32_t m = 0; m < n; m++) mul4(c + 16 * m, a + 16 * m, b + 16 * ((m + round) % n));
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t i = 0; i < n * 16; i++) {
    uint32_t bits;
    __builtin_memcpy(&bits, &c[i], sizeof bits);
    h = bench_mix(h, bits);
  }
  return (int64_t)h;
}

BENCH_KERNEL(COUNT, -5688821518982815957LL)
