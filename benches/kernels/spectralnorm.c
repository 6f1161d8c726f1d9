/* Floating point: spectral norm of the infinite matrix A(i,j) =
 * 1/((i+j)(i+j+1)/2+i+1) truncated to SIZE x SIZE, by ten power iterations
 * of A^T A. Integer-to-double conversion and a divide per element.
 * Checksum: bit pattern of the norm (about 1.2742). */
#include "kernel.h"

#define SIZE 1000

static double u[SIZE], v[SIZE], tmp[SIZE];

static double eval_a(int32_t i, int32_t j) {
  return 1.0 / ((double)((i + j) * (i + j + 1) / 2 + i + 1));
}

static void mul_av(int32_t n, const double *x, double *y) {
  for (int32_t i = 0; i < n; i++) {
    double s = 0;
    for (int32_t j = 0; j < n; j++) s += eval_a(i, j) * x[j];
    y[i] = s;
  }
}

static void mul_atv(int32_t n, const double *x, double *y) {
  for (int32_t i = 0; i < n; i++) {
    double s = 0;
    for (int32_t j = 0; j < n; j++) s += eval_a(j, i) * x[j];
    y[i] = s;
  }
}

static void mul_atav(int32_t n, const double *x, double *y) {
  mul_av(n, x, tmp);
  mul_atv(n, tmp, y);
}

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  for (int32_t i = 0; i < n; i++) u[i] = 1;
  for (int i = 0; i < 10; i++) {
    mul_atav(n, u, v);
    mul_atav(n, v, u);
  }
  double vbv = 0, vv = 0;
  for (int32_t i = 0; i < n; i++) {
    vbv += u[i] * v[i];
    vv += v[i] * v[i];
  }
  return bench_f64_bits(__builtin_sqrt(vbv / vv));
}

BENCH_KERNEL(SIZE, 4608417414571349342)
