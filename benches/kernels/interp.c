/* Integer: a stack-machine bytecode interpreter (switch dispatch) running a
 * loop of SIZE iterations of a small program:
 *   acc = ((acc + i*i % 7) * 31) ^ i
 * About 20 bytecodes per iteration: indirect branches, small loads and
 * stores to the operand stack. Checksum: the final accumulator. */
#include "kernel.h"

#define SIZE 3000000

enum op {
  OP_PUSH, /* imm */
  OP_LOAD, /* register */
  OP_STORE, /* register */
  OP_ADD, OP_MUL, OP_MOD, OP_XOR, OP_LT,
  OP_JZ, /* target */
  OP_JMP, /* target */
  OP_HALT,
};

/* Registers: r0 = i, r1 = acc, r2 = n. Writable so the optimiser cannot
 * specialise the interpreter for this program. */
static int32_t program[] = {
    /* 0 */ OP_LOAD, 0, OP_LOAD, 2, OP_LT, OP_JZ, 38,
    /* 7 */ OP_LOAD, 1, OP_LOAD, 0, OP_LOAD, 0, OP_MUL, OP_PUSH, 7, OP_MOD,
    /* 17 */ OP_ADD, OP_PUSH, 31, OP_MUL, OP_LOAD, 0, OP_XOR, OP_STORE, 1,
    /* 26 */ OP_LOAD, 0, OP_PUSH, 1, OP_ADD, OP_STORE, 0, OP_JMP, 0,
    /* 35 */ OP_HALT, OP_HALT, OP_HALT,
    /* 38 */ OP_LOAD, 1, OP_HALT,
};

static uint32_t execute(const int32_t *code, uint32_t *regs) {
  uint32_t stack[64];
  int32_t sp = 0;
  int32_t pc = 0;
  for (;;) {
    switch (code[pc++]) {
    case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
    case OP_LOAD: stack[sp++] = regs[code[pc++]]; break;
    case OP_STORE: regs[code[pc++]] = stack[--sp]; break;
    case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case OP_MOD: sp--; stack[sp - 1] %= stack[sp]; break;
    case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
    case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
    case OP_JZ: {
      int32_t target = code[pc++];
      if (stack[--sp] == 0) pc = target;
      break;
    }
    case OP_JMP: pc = code[pc]; break;
    case OP_HALT: return sp > 0 ? stack[sp - 1] : 0;
    default: return 0xdeadbeefu;
    }
  }
}

static int64_t compute(int32_t n) {
  uint32_t regs[3] = {0, 0, (uint32_t)n};
  return (int64_t)execute(program, regs);
}

BENCH_KERNEL(SIZE, 847970310)
