/* Calls: SIZE indirect calls through a table of eight small functions in a
 * fixed rotation (compiles to call_indirect, so each call pays the table
 * bounds and signature checks). The rotation is predictable on purpose: a
 * random target would measure branch mispredictions, not the runtime.
 *
 * Observed on AMD EPYC (Zen): the native build (clang -O2, no frame
 * pointers, so each target is just `lea; ret`) runs about twice as slow as
 * the wasm one, and as fast as wasm when built with -fno-omit-frame-pointer.
 * A return that closely follows its call is slow on that core; the wasm
 * runtimes keep frame pointers, so their callees never look like that. The
 * native column uses plain -O2 anyway: it is what native code is built with. */
#include "kernel.h"

#define SIZE 15000000

typedef uint32_t (*step_fn)(uint32_t);

__attribute__((noinline)) static uint32_t step0(uint32_t x) { return x + 0x9e3779b9u; }
__attribute__((noinline)) static uint32_t step1(uint32_t x) { return x ^ (x >> 7); }
__attribute__((noinline)) static uint32_t step2(uint32_t x) { return x * 0x85ebca6bu; }
__attribute__((noinline)) static uint32_t step3(uint32_t x) { return (x << 5) | (x >> 27); }
__attribute__((noinline)) static uint32_t step4(uint32_t x) { return x - 0x7f4a7c15u; }
__attribute__((noinline)) static uint32_t step5(uint32_t x) { return x ^ (x << 9); }
__attribute__((noinline)) static uint32_t step6(uint32_t x) { return x * 0xc2b2ae35u + 1; }
__attribute__((noinline)) static uint32_t step7(uint32_t x) { return ~x + (x >> 3); }

static step_fn steps[8] = {step0, step1, step2, step3, step4, step5, step6, step7};
/* Read through a volatile pointer so the optimiser cannot see which
 * functions the table holds and turn the calls into direct ones. */
static step_fn *volatile table_ref = steps;

static int64_t compute(int32_t n) {
  step_fn *table = table_ref;
  uint32_t x = 12345;
  /* Not unrolled, in either build: one call site cycling through eight
   * targets, rather than whatever number of sites each build's unroller
   * picks (which changes how well the branch predictor does). */
#pragma clang loop unroll(disable)
  for (int32_t i = 0; i < n; i++) x = table[i & 7](x) + (uint32_t)i;
  return (int64_t)x;
}

BENCH_KERNEL(SIZE, 1407257862)
