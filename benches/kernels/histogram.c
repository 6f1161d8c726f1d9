/* Atomics: a histogram of SIZE pseudo-random keys over 4096 buckets, each
 * update a read-modify-write of one 32-bit counter, then a weighted sum of
 * the counters read back. Built twice for wasm: plainly (`+=` and loads on
 * an ordinary memory) and with BENCH_ATOMIC (-matomics, a shared memory:
 * every update an i32.atomic.rmw.add, every read an i32.atomic.load), so
 * the ratio of the two is the cost of atomics over plain accesses on the
 * same work. Single-threaded: the atomics are never contended. Checksum:
 * sum of bucket * count. */
#include "kernel.h"

#define SIZE 4000000
#define BUCKETS 4096

static uint32_t counts[BUCKETS];

#ifdef BENCH_ATOMIC
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#else
#define ADD(p, v) (*(p) += (v))
#define LOAD(p) (*(p))
#define STORE(p, v) (*(p) = (v))
#endif

static int64_t compute(int32_t n) {
  for (uint32_t b = 0; b < BUCKETS; b++) STORE(&counts[b], 0u);
  uint32_t state = 0x2545f491u;
  for (int32_t i = 0; i < n; i++) {
    uint32_t key = bench_rand(&state);
    ADD(&counts[key % BUCKETS], 1u + (key >> 28));
  }
  int64_t sum = 0;
  for (uint32_t b = 0; b < BUCKETS; b++) sum += (int64_t)b * LOAD(&counts[b]);
  return sum;
}

BENCH_KERNEL(SIZE, 69623517084)
