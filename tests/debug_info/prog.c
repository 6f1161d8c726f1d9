/* The guest tests/debug_info.rs debugs with gdb: compiled with -g -O0, its
   line numbers are part of the test (square's body is line 7, the call
   in sum_squares line 14, the call in main line 20). */
#include <stdio.h>

static int square(int x) {
  int result = x * x;
  return result;
}

int sum_squares(int n) {
  int total = 0;
  for (int i = 1; i <= n; i++) {
    total += square(i);
  }
  return total;
}

int main(void) {
  int value = sum_squares(4);
  printf("sum = %d\n", value);
  return 0;
}
