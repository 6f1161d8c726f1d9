/* Native driver of one kernel: the same measurement loop as the wasm host
 * (host/bench_host.c, "exec" mode), printing the same JSON line.
 *
 * usage: <kernel>-native <repeats>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int32_t bench_size(void);
int32_t run(int32_t n);
int64_t last_checksum(void);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int repeats = argc > 1 ? atoi(argv[1]) : 5;
  if (repeats < 1) repeats = 1;
  int32_t n = bench_size();
  /* Warm-up run: also the correctness check. */
  if (run(n) != 0) {
    printf("{\"ok\": false, \"error\": \"wrong result: checksum %lld\"}\n",
           (long long)last_checksum());
    return 1;
  }
  printf("{\"ok\": true, \"checksum\": %lld, \"times\": [", (long long)last_checksum());
  for (int i = 0; i < repeats; i++) {
    double t0 = now();
    int32_t status = run(n);
    double t1 = now();
    if (status != 0) {
      printf("]}\n{\"ok\": false, \"error\": \"wrong result on repeat %d: checksum %lld\"}\n",
             i, (long long)last_checksum());
      return 1;
    }
    printf("%s%.9f", i ? ", " : "", t1 - t0);
  }
  printf("]}\n");
  return 0;
}
