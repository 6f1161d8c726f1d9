/* Floating point: dense double-precision matrix multiply C = A x B of
 * SIZE x SIZE matrices (i-k-j loop order, row-major), three rounds with the
 * product fed back as the next A. Multiply-add streams over rows.
 * Checksum: bit pattern of the sum of the last product's elements. */
#include "kernel.h"

#define SIZE 384

static double a[SIZE * SIZE], b[SIZE * SIZE], c[SIZE * SIZE];

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  uint32_t state = 0x2545f491u;
  for (int32_t i = 0; i < n * n; i++) {
    a[i] = (double)(bench_rand(&state) % 1000) / 1000.0 - 0.5;
    b[i] = (double)(bench_rand(&state) % 1000) / 1000.0 - 0.5;
  }
  for (int round = 0; round < 3; round++) {
    for (int32_t i = 0; i < n * n; i++) c[i] = 0;
    for (int32_t i = 0; i < n; i++)
      for (int32_t k = 0; k < n; k++) {
        double aik = a[i * n + k];
        for (int32_t j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
      }
    for (int32_t i = 0; i < n * n; i++) a[i] = c[i] * (1.0 / 16.0);
  }
  double sum = 0;
  for (int32_t i = 0; i < n * n; i++) sum += c[i];
  return bench_f64_bits(sum);
}

BENCH_KERNEL(SIZE, 4635505215591582234)
