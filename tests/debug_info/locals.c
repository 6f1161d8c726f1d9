/* The guest tests/debug_info.rs reads variables of with gdb, compiled with
   -g at -O0 and at -O1: its line numbers are part of the test (the
   printf in report is line 9, the call in mix line 15). Nothing is
   inlined or folded away: the arguments come from argc. */
#include <stdio.h>

__attribute__((noinline)) void report(long long product, double scaled) {
  /* The breakpoint: */
  printf("%lld %g\n", product, scaled);
}

__attribute__((noinline)) long long mix(int count, long long factor, double ratio) {
  long long product = count * factor;
  double scaled = product * ratio;
  report(product, scaled);
  long long rounded = (long long)scaled;
  return rounded + product + count;
}

int main(int argc, char **argv) {
  int count = argc + 6;
  long long total = mix(count, argc * 1000LL, argc * 0.5);
  printf("total = %lld\n", total);
  return 0;
}
