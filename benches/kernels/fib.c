/* Calls: naive recursive Fibonacci, fib(SIZE). Nothing but direct calls,
 * a compare and an add: measures call/return and prologue cost (including
 * any stack-limit check the runtime inserts). */
#include "kernel.h"

#define SIZE 37

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int64_t compute(int32_t n) { return (int64_t)fib((uint32_t)n); }

BENCH_KERNEL(SIZE, 24157817)
