/* Integer: LZ77-style compression (greedy matching through a hash of the
 * next four bytes, LZ4-like token format) of a 1 MiB text-like input, then
 * decompression and a byte-for-byte comparison, SIZE times over inputs that
 * differ per round. Branchy byte loads and stores, hash-table lookups.
 * Checksum: total compressed size, -1 when a round trip fails. */
#include "kernel.h"

#define SIZE 10
#define INPUT_BYTES (1 << 20)
#define HASH_BITS 14
#define MIN_MATCH 4
#define MAX_OFFSET 65535

static uint8_t input[INPUT_BYTES];
static uint8_t packed[INPUT_BYTES + INPUT_BYTES / 8 + 64];
static uint8_t unpacked[INPUT_BYTES];
static uint32_t table[1 << HASH_BITS];

static const char *const words[16] = {
    "the ",   "wasm ",   "module ", "runtime ", "compiles ", "fast ",
    "code ",  "memory ", "table ",  "function ", "and ",     "of ",
    "calls ", "a ",      "to ",     "instance "};

static void make_input(uint32_t seed) {
  uint32_t state = seed, pos = 0;
  while (pos < INPUT_BYTES) {
    uint32_t r = bench_rand(&state);
    if ((r & 31) == 0) { /* some incompressible noise */
      input[pos++] = (uint8_t)(r >> 8);
      continue;
    }
    const char *w = words[(r >> 5) & 15];
    while (*w && pos < INPUT_BYTES) input[pos++] = (uint8_t)*w++;
  }
}

static uint32_t read32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t hash4(uint32_t v) { return (v * 2654435761u) >> (32 - HASH_BITS); }

static uint8_t *put_length(uint8_t *out, uint32_t extra) {
  while (extra >= 255) {
    *out++ = 255;
    extra -= 255;
  }
  *out++ = (uint8_t)extra;
  return out;
}

/* Sequence: token (literal count high nibble, match length - 4 low nibble),
 * extra literal-count bytes, literals, 2-byte offset, extra length bytes.
 * The last sequence has literals only. */
static uint32_t compress(const uint8_t *src, uint32_t len, uint8_t *dst) {
  for (uint32_t i = 0; i < (1u << HASH_BITS); i++) table[i] = 0xffffffffu;
  uint8_t *out = dst;
  uint32_t anchor = 0, pos = 0;
  while (pos + MIN_MATCH + 8 <= len) {
    uint32_t h = hash4(read32(src + pos));
    uint32_t cand = table[h];
    table[h] = pos;
    if (cand == 0xffffffffu || pos - cand > MAX_OFFSET || read32(src + cand) != read32(src + pos)) {
      pos++;
      continue;
    }
    uint32_t match = MIN_MATCH;
    while (pos + match < len - 8 && src[cand + match] == src[pos + match]) match++;
    uint32_t lits = pos - anchor, mlen = match - MIN_MATCH;
    *out++ = (uint8_t)((lits < 15 ? lits : 15) << 4 | (mlen < 15 ? mlen : 15));
    if (lits >= 15) out = put_length(out, lits - 15);
    for (uint32_t i = 0; i < lits; i++) *out++ = src[anchor + i];
    uint32_t offset = pos - cand;
    *out++ = (uint8_t)offset;
    *out++ = (uint8_t)(offset >> 8);
    if (mlen >= 15) out = put_length(out, mlen - 15);
    pos += match;
    anchor = pos;
  }
  uint32_t lits = len - anchor;
  *out++ = (uint8_t)((lits < 15 ? lits : 15) << 4);
  if (lits >= 15) out = put_length(out, lits - 15);
  for (uint32_t i = 0; i < lits; i++) *out++ = src[anchor + i];
  return (uint32_t)(out - dst);
}

static uint32_t decompress(const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t cap) {
  const uint8_t *in = src, *end = src + len;
  uint32_t pos = 0;
  while (in < end) {
    uint8_t token = *in++;
    uint32_t lits = token >> 4;
    if (lits == 15) {
      uint8_t b;
      do { b = *in++; lits += b; } while (b == 255);
    }
    if (pos + lits > cap) return 0xffffffffu;
    for (uint32_t i = 0; i < lits; i++) dst[pos++] = *in++;
    if (in >= end) break;
    uint32_t offset = (uint32_t)in[0] | (uint32_t)in[1] << 8;
    in += 2;
    uint32_t mlen = token & 15;
    if (mlen == 15) {
      uint8_t b;
      do { b = *in++; mlen += b; } while (b == 255);
    }
    mlen += MIN_MATCH;
    if (offset == 0 || offset > pos || pos + mlen > cap) return 0xffffffffu;
    for (uint32_t i = 0; i < mlen; i++, pos++) dst[pos] = dst[pos - offset];
  }
  return pos;
}

static int64_t compute(int32_t n) {
  int64_t total = 0;
  for (int32_t round = 0; round < n; round++) {
    make_input(0xabcdef01u + (uint32_t)round * 7919u);
    uint32_t size = compress(input, INPUT_BYTES, packed);
    if (decompress(packed, size, unpacked, INPUT_BYTES) != INPUT_BYTES) return -1;
    for (uint32_t i = 0; i < INPUT_BYTES; i++)
      if (unpacked[i] != input[i]) return -1;
    total += size;
  }
  return total;
}

BENCH_KERNEL(SIZE, 4578944)
