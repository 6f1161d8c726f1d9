/* Native driver of one kernel: the same measurement loop as the wasm host
 * (host/bench_host.c, "exec" mode), printing the same JSON line: wall and
 * thread CPU time of each run.
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

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
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
  double *times = calloc((size_t)repeats, sizeof *times);
  double *cpu_times = calloc((size_t)repeats, sizeof *cpu_times);
  if (!times || !cpu_times) {
    printf("{\"ok\": false, \"error\": \"out of memory\"}\n");
    return 1;
  }
  for (int i = 0; i < repeats; i++) {
    double t0 = clock_seconds(CLOCK_MONOTONIC), c0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    int32_t status = run(n);
    times[i] = clock_seconds(CLOCK_MONOTONIC) - t0;
    cpu_times[i] = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    if (status != 0) {
      printf("{\"ok\": false, \"error\": \"wrong result on repeat %d: checksum %lld\"}\n", i,
             (long long)last_checksum());
      return 1;
    }
  }
  printf("{\"ok\": true, \"checksum\": %lld, \"times\": [", (long long)last_checksum());
  for (int i = 0; i < repeats; i++) printf("%s%.9g", i ? ", " : "", times[i]);
  printf("], \"cpu_times\": [");
  for (int i = 0; i < repeats; i++) printf("%s%.9g", i ? ", " : "", cpu_times[i]);
  printf("]}\n");
  free(times);
  free(cpu_times);
  return 0;
}
