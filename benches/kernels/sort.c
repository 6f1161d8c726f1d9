/* Integer: quicksort of SIZE pseudo-random 32-bit keys (median of three,
 * insertion sort below 16 elements, recursion on the smaller side).
 * Checksum: order verified, then a hash of every 1024th key. */
#include "kernel.h"

#define SIZE (1 << 20)
static uint32_t keys[SIZE];

static void insertion_sort(uint32_t *a, int32_t lo, int32_t hi) {
  for (int32_t i = lo + 1; i <= hi; i++) {
    uint32_t v = a[i];
    int32_t j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(uint32_t *a, int32_t i, int32_t j) {
  uint32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quick_sort(uint32_t *a, int32_t lo, int32_t hi) {
  while (hi - lo >= 16) {
    int32_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    uint32_t pivot = a[mid];
    int32_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quick_sort(a, lo, j);
      lo = i;
    } else {
      quick_sort(a, i, hi);
      hi = j;
    }
  }
  insertion_sort(a, lo, hi);
}

static int64_t compute(int32_t n) {
  if (n > SIZE) n = SIZE;
  uint32_t state = 0x9e3779b9u;
  for (int32_t i = 0; i < n; i++) keys[i] = bench_rand(&state);
  quick_sort(keys, 0, n - 1);
  uint64_t h = 0;
  for (int32_t i = 1; i < n; i++)
    if (keys[i - 1] > keys[i]) return -1;
  for (int32_t i = 0; i < n; i += 1024) h = bench_mix(h, keys[i]);
  return (int64_t)h;
}

BENCH_KERNEL(SIZE, 9207924383931360058)
