/* Memory: memcpy/memset-heavy. SIZE rounds, each copying blocks of 16 B to
 * 64 KiB between pseudo-random offsets of two 4 MiB buffers and clearing or
 * filling others (memory.copy / memory.fill in wasm, libc in the native
 * build). About 2 GiB moved in total. Checksum: hash of sampled bytes. */
#include "kernel.h"

#define SIZE 16
#define BUF (4 << 20)

static uint8_t src[BUF], dst[BUF];

static int64_t compute(int32_t n) {
  uint32_t state = 0x1badb002u;
  for (uint32_t i = 0; i < BUF; i += 4) {
    uint32_t r = bench_rand(&state);
    __builtin_memcpy(&src[i], &r, 4);
  }
  uint64_t h = 0;
  for (int32_t round = 0; round < n; round++) {
    uint64_t moved = 0;
    while (moved < (128u << 20)) {
      uint32_t r = bench_rand(&state);
      uint32_t len = 16u << (r & 12); /* 16 B .. 64 KiB */
      uint32_t from = bench_rand(&state) % (BUF - len);
      uint32_t to = bench_rand(&state) % (BUF - len);
      if ((r >> 4 & 7) == 0)
        __builtin_memset(&dst[to], (int)(r >> 8), len);
      else if ((r >> 4 & 7) == 1)
        __builtin_memmove(&dst[to], &dst[from], len);
      else
        __builtin_memcpy(&dst[to], &src[from], len);
      moved += len;
    }
    for (uint32_t i = (uint32_t)round; i < BUF; i += 4093) h = bench_mix(h, dst[i]);
  }
  return (int64_t)h;
}

BENCH_KERNEL(SIZE, 5620409137072089080)
