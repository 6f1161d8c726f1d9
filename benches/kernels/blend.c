/* SIMD: RGBA alpha blending (compositing a 512x512 image over another,
 * the inner loop of every 2D renderer). Each channel becomes
 * (s * a + d * (255 - a)) / 255, rounded, with `a` the source pixel's
 * alpha; ROUNDS passes blend a source window that moves by four pixels per
 * pass over the accumulating destination.
 *
 * With wasm SIMD (-msimd128) four pixels are blended at a time with
 * wasm_simd128.h intrinsics (alpha spread by a shuffle, 16-bit lanes, the
 * division by 255 as (t + (t >> 8)) >> 8 on t + 128, which is exact here);
 * otherwise plain C with the same arithmetic, which the native -O3 builds
 * vectorise themselves. Every build gets the same bytes.
 * Checksum: FNV mix of the destination image, 8 bytes at a time. */
#include "kernel.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define PIXELS (512 * 512)
#define ROUNDS 160

static uint8_t src[(PIXELS + 4 * ROUNDS) * 4] __attribute__((aligned(16)));
static uint8_t dst[PIXELS * 4] __attribute__((aligned(16)));

static void blend(uint8_t *restrict d, const uint8_t *restrict s, int32_t pixels) {
#ifdef __wasm_simd128__
  const v128_t full = wasm_i16x8_splat(255), half = wasm_i16x8_splat(128);
  for (int32_t i = 0; i < pixels * 4; i += 16) {
    v128_t sv = wasm_v128_load(s + i), dv = wasm_v128_load(d + i);
    v128_t alpha = wasm_i8x16_shuffle(sv, sv, 3, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15, 15);
    v128_t out[2];
    for (int h = 0; h < 2; h++) {
      v128_t s16 = h ? wasm_u16x8_extend_high_u8x16(sv) : wasm_u16x8_extend_low_u8x16(sv);
      v128_t d16 = h ? wasm_u16x8_extend_high_u8x16(dv) : wasm_u16x8_extend_low_u8x16(dv);
      v128_t a16 = h ? wasm_u16x8_extend_high_u8x16(alpha) : wasm_u16x8_extend_low_u8x16(alpha);
      v128_t t = wasm_i16x8_add(wasm_i16x8_mul(s16, a16),
                                wasm_i16x8_mul(d16, wasm_i16x8_sub(full, a16)));
      t = wasm_i16x8_add(t, half);
      out[h] = wasm_u16x8_shr(wasm_i16x8_add(t, wasm_u16x8_shr(t, 8)), 8);
    }
    wasm_v128_store(d + i, wasm_u8x16_narrow_i16x8(out[0], out[1]));
  }
#else
  for (int32_t p = 0; p < pixels; p++) {
    uint32_t a = s[4 * p + 3];
    for (int ch = 0; ch < 4; ch++) {
      uint32_t t = (uint32_t)s[4 * p + ch] * a + (uint32_t)d[4 * p + ch] * (255 - a) + 128;
      d[4 * p + ch] = (uint8_t)((t + (t >> 8)) >> 8);
    }
  }
#endif
}

static int64_t compute(int32_t n) {
  if (n > PIXELS) n = PIXELS;
  n &= ~3;
  uint32_t state = 0x2545f491u;
  for (int32_t i = 0; i < (n + 4 * ROUNDS) * 4; i += 4) {
    uint32_t r = bench_rand(&state);
    __builtin_memcpy(src + i, &r, 4);
  }
  for (int32_t i = 0; i < n * 4; i += 4) {
    uint32_t r = bench_rand(&state);
    __builtin_memcpy(dst + i, &r, 4);
  }
  for (int round = 0; round < ROUNDS; round++) blend(dst, src + 16 * round, n);
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t i = 0; i < n * 4; i += 8) {
    uint64_t v;
    __builtin_memcpy(&v, dst + i, 8);
    h = bench_mix(h, v);
  }
  return (int64_t)h;
}

BENCH_KERNEL(PIXELS, 1301895158033375957LL)
