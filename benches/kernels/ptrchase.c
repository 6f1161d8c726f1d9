/* Memory: pointer chasing through a linked list of 2^20 nodes laid out in a
 * random cyclic order (Sattolo's shuffle), SIZE steps. Every load depends on
 * the previous one, so this measures load latency and the cost of address
 * translation and bounds checks on dependent loads. Links are 32-bit node
 * indices rather than pointers so the working set (8 MiB) is the same in the
 * wasm32 and the native build. Checksum: sum of the visited node values. */
#include "kernel.h"

#define SIZE 2000000
#define NODES (1 << 20)

struct node {
  uint32_t next;
  uint32_t value;
};

static struct node nodes[NODES];
static uint32_t order[NODES];

static int64_t compute(int32_t n) {
  uint32_t state = 0xc0ffee11u;
  for (uint32_t i = 0; i < NODES; i++) order[i] = i;
  for (uint32_t i = NODES - 1; i > 0; i--) { /* Sattolo: one single cycle */
    uint32_t j = bench_rand(&state) % i;
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (uint32_t i = 0; i < NODES; i++) {
    nodes[order[i]].next = order[(i + 1) % NODES];
    nodes[order[i]].value = i * 2654435761u;
  }
  uint64_t sum = 0;
  uint32_t p = 0;
  for (int32_t step = 0; step < n; step++) {
    sum += nodes[p].value;
    p = nodes[p].next;
  }
  return (int64_t)sum;
}

BENCH_KERNEL(SIZE, 4294959682138432)
