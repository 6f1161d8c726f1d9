/* Floating point: Mandelbrot set over [-2,1] x [-1.5,1.5] on a SIZE x SIZE
 * grid, at most 200 iterations per point. A tight loop of multiplies, adds
 * and a compare with a data-dependent exit. Checksum: total iteration count
 * times 2^20 plus the number of points inside the set. */
#include "kernel.h"

#define SIZE 800
#define MAX_ITER 200

static int64_t compute(int32_t n) {
  int64_t iterations = 0, inside = 0;
  for (int32_t py = 0; py < n; py++) {
    double ci = -1.5 + 3.0 * py / n;
    for (int32_t px = 0; px < n; px++) {
      double cr = -2.0 + 3.0 * px / n;
      double zr = 0, zi = 0;
      int32_t k = 0;
      while (k < MAX_ITER && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        k++;
      }
      iterations += k;
      inside += k == MAX_ITER;
    }
  }
  return iterations * (1 << 20) + inside;
}

BENCH_KERNEL(SIZE, 25550336927835)
