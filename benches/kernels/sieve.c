/* Integer: sieve of Eratosthenes over the first SIZE integers, four times.
 * Byte-array stores with a stride: exercises bounds-check elimination on
 * simple loops. Checksum: number and sum of the primes, folded per round. */
#include "kernel.h"

#define SIZE 8000000
static uint8_t composite[SIZE + 1];

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  uint64_t folded = 0;
  for (int round = 0; round < 4; round++) {
    for (int32_t i = 0; i <= n; i++) composite[i] = 0;
    int64_t count = 0, sum = 0;
    for (int32_t i = 2; i <= n; i++) {
      if (composite[i]) continue;
      count++;
      sum += i;
      if ((int64_t)i * i <= n)
        for (int32_t j = i * i; j <= n; j += i) composite[j] = 1;
    }
    folded = bench_mix(bench_mix(folded, (uint64_t)count), (uint64_t)sum);
  }
  return (int64_t)folded;
}

BENCH_KERNEL(SIZE, 4793518317738286480)
