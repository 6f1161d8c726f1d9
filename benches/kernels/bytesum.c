/* SIMD: byte statistics of a 1 MiB buffer (the inner loop of checksums,
 * image histograms and entropy estimates): the sum of the bytes and the sum
 * of their squares, over ROUNDS passes, each pass first xor-ing the buffer
 * with a byte that changes per round.
 *
 * With wasm SIMD (-msimd128) the passes work on 16 bytes at a time with
 * wasm_simd128.h intrinsics (extending multiplies and pairwise widening
 * additions into 32-bit lanes); otherwise plain C, which the native -O3
 * builds vectorise themselves. Integer sums: every build gets the same.
 * Checksum: FNV mix of each round's two sums. */
#include "kernel.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define SIZE (1 << 20)
#define ROUNDS 300

static uint8_t buf[SIZE] __attribute__((aligned(16)));

/* Xors every byte with `x`; returns the sums of the bytes and of their
   squares. */
static void pass(int32_t n, uint8_t x, uint64_t *sum, uint64_t *squares) {
#ifdef __wasm_simd128__
  v128_t key = wasm_i8x16_splat((int8_t)x);
  uint64_t s = 0, q = 0;
  /* 32-bit lanes, emptied every 4096 bytes: a chunk adds at most
     4096 * 255 * 255 < 2^28 to a lane. */
  for (int32_t base = 0; base < n; base += 4096) {
    v128_t vs = wasm_i32x4_splat(0), vq = wasm_i32x4_splat(0);
    int32_t end = base + 4096 < n ? base + 4096 : n;
    for (int32_t i = base; i < end; i += 16) {
      v128_t v = wasm_v128_xor(wasm_v128_load(buf + i), key);
      wasm_v128_store(buf + i, v);
      vs = wasm_i32x4_add(vs, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(v)));
      v128_t lo = wasm_u16x8_extmul_low_u8x16(v, v), hi = wasm_u16x8_extmul_high_u8x16(v, v);
      vq = wasm_i32x4_add(vq, wasm_u32x4_extadd_pairwise_u16x8(lo));
      vq = wasm_i32x4_add(vq, wasm_u32x4_extadd_pairwise_u16x8(hi));
    }
    s += (uint64_t)wasm_u32x4_extract_lane(vs, 0) + wasm_u32x4_extract_lane(vs, 1) +
         wasm_u32x4_extract_lane(vs, 2) + wasm_u32x4_extract_lane(vs, 3);
    q += (uint64_t)wasm_u32x4_extract_lane(vq, 0) + wasm_u32x4_extract_lane(vq, 1) +
         wasm_u32x4_extract_lane(vq, 2) + wasm_u32x4_extract_lane(vq, 3);
  }
  *sum = s;
  *squares = q;
#else
  /* 32-bit sums per 4096-byte chunk, as above; 64 bits across chunks. */
  uint64_t s64 = 0, q64 = 0;
  for (int32_t base = 0; base < n; base += 4096) {
    uint32_t s = 0, q = 0;
    int32_t end = base + 4096 < n ? base + 4096 : n;
    for (int32_t i = base; i < end; i++) {
      uint8_t v = buf[i] ^ x;
      buf[i] = v;
      s += v;
      q += (uint32_t)v * v;
    }
    s64 += s;
    q64 += q;
  }
  *sum = s64;
  *squares = q64;
#endif
}

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  n &= ~15;
  uint32_t state = 0x9e3779b9u;
  for (int32_t i = 0; i < n; i += 4) {
    uint32_t r = bench_rand(&state);
    __builtin_memcpy(buf + i, &r, 4);
  }
  uint64_t h = 0xcbf29ce484222325ull;
  for (int round = 0; round < ROUNDS; round++) {
    uint64_t sum, squares;
    pass(n, (uint8_t)(round * 37 + 11), &sum, &squares);
    h = bench_mix(bench_mix(h, sum), squares);
  }
  return (int64_t)h;
}

BENCH_KERNEL(SIZE, 1811510573315508353LL)
