__attribute__((noinline)) int divide(int a, int b) {
  return a / b; /* line 2: the trap */
}

__attribute__((export_name("run"))) int run(int b) {
  int q = divide(100, b); /* line 6: the call */
  return q + 1;
}

/*
 * The guest of observability.c's debug_info, wasm_backtrace_details and
 * coredump_on_trap checks, compiled by tests/observability_package.rs with
 * `clang --target=wasm32 -O1 -nostdlib -g` (and once without -g): run(0)
 * divides by zero in divide(), line 2, called from line 6; run(5) returns
 * 21 (gdb stops at line 2 on the way). This comment stays below the code
 * so those lines do not move.
 */
