/*
 * Values of `--invoke`: arguments parsed from the command line by their
 * parameter types, results printed one per line the way the reference
 * prints them (integers signed in decimal, floats as the shortest decimal
 * that reads back to the same value, never with an exponent; v128 in hex;
 * references as `<funcref>` and the like; GC references as `<i31 N>`,
 * `<struct of N fields>`, `<array of N elements>`).
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char* kind_name(wasm_valkind_t kind) {
  switch (kind) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_V128: return "v128";
    case WASM_FUNCREF: return "funcref";
    case WASM_EXTERNREF: return "externref";
    case WASM_EXNREF: return "exnref";
    case WASM_ANYREF: return "anyref";
    case WASM_EQREF: return "eqref";
    case WASM_I31REF: return "i31ref";
    case WASM_STRUCTREF: return "structref";
    case WASM_ARRAYREF: return "arrayref";
    case WASM_NULLREF: return "nullref";
    default: return "reference";
  }
}

/* An integer of `bits` bits: signed decimal, or (as a bit pattern)
   unsigned decimal or 0x hex up to the unsigned maximum. */
static bool parse_integer(const char* text, int bits, uint64_t* out) {
  const char* digits = text;
  bool negative = *digits == '-';
  if (*digits == '-' || *digits == '+') digits++;
  int base = 10;
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits += 2;
  }
  bool digit_first = (*digits >= '0' && *digits <= '9') ||
                     (base == 16 && ((*digits >= 'a' && *digits <= 'f') || (*digits >= 'A' && *digits <= 'F')));
  if (!digit_first) return false;
  errno = 0;
  char* end = NULL;
  uintmax_t magnitude = strtoumax(digits, &end, base);
  if (errno != 0 || *end != '\0') return false;
  uint64_t unsigned_max = bits == 32 ? UINT32_MAX : UINT64_MAX;
  uint64_t negative_max = bits == 32 ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT64_MAX + 1;
  if (negative ? magnitude > negative_max : magnitude > unsigned_max) return false;
  *out = negative ? (uint64_t)0 - (uint64_t)magnitude : (uint64_t)magnitude;
  return true;
}

/* A float as strtod reads it (decimal, hex, `inf`, `nan`), whole. */
static bool parse_float(const char* text, double* out) {
  if (*text == '\0') return false;
  char* end = NULL;
  *out = strtod(text, &end);
  return *end == '\0';
}

/* A v128 as one unsigned 128-bit number in 0x hex, least significant byte
   first in memory (lane order). */
static bool parse_v128(const char* text, uint8_t out[16]) {
  if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || text[2] == '\0') return false;
  const char* digits = text + 2;
  size_t len = strlen(digits);
  if (len > 32) return false;
  memset(out, 0, 16);
  for (size_t i = 0; i < len; i++) {
    char c = digits[len - 1 - i];
    int value = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
    if (value < 0) return false;
    out[i / 2] |= (uint8_t)(value << (4 * (i % 2)));
  }
  return true;
}

bool cli_parse_value(const char* text, wasm_valkind_t kind, const char* func, wasm_val_t* out) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  uint64_t bits = 0;
  double number = 0;
  bool ok = false;
  switch (kind) {
    case WASM_I32:
      ok = parse_integer(text, 32, &bits);
      out->of.i32 = (int32_t)(uint32_t)bits;
      break;
    case WASM_I64:
      ok = parse_integer(text, 64, &bits);
      out->of.i64 = (int64_t)bits;
      break;
    case WASM_F32:
      ok = parse_float(text, &number);
      out->of.f32 = (float)number;
      break;
    case WASM_F64:
      ok = parse_float(text, &number);
      out->of.f64 = number;
      break;
    case WASM_V128:
      ok = parse_v128(text, out->of.v128);
      break;
    default:
      cli_error("cannot pass a %s argument to `%s` from the command line", kind_name(kind), func);
      return false;
  }
  if (!ok) {
    cli_error("invalid argument `%s` for `%s`: expected a%s %s", text, func,
              kind == WASM_I32 || kind == WASM_I64 ? "n" : "", kind_name(kind));
  }
  return ok;
}

/* Writes `value` as the shortest decimal of at most `max_digits`
   significant digits that reads back to it (as a float when `single`),
   positionally: 1e21 is 1000000000000000000000 and 1e-7 is 0.0000001. */
static void print_float(double value, int max_digits, bool single) {
  if (isnan(value)) {
    puts("NaN");
    return;
  }
  if (isinf(value)) {
    puts(value < 0 ? "-inf" : "inf");
    return;
  }
  char buffer[64];
  for (int digits = 1; digits <= max_digits; digits++) {
    snprintf(buffer, sizeof buffer, "%.*e", digits - 1, value);
    double back = strtod(buffer, NULL);
    if (single ? (float)back == (float)value : back == value) break;
  }
  /* buffer: [-]D[.DDD]e(+|-)XX */
  const char* p = buffer;
  if (*p == '-') {
    putchar('-');
    p++;
  }
  char mantissa[32];
  size_t count = 0;
  for (; *p != 'e'; p++) {
    if (*p != '.' && count < sizeof mantissa) mantissa[count++] = *p;
  }
  long exponent = strtol(p + 1, NULL, 10);
  if (exponent < 0) {
    fputs("0.", stdout);
    for (long i = -1; i > exponent; i--) putchar('0');
    fwrite(mantissa, 1, count, stdout);
  } else {
    size_t integer_digits = (size_t)exponent + 1;
    for (size_t i = 0; i < integer_digits; i++) putchar(i < count ? mantissa[i] : '0');
    if (count > integer_digits) {
      putchar('.');
      fwrite(mantissa + integer_digits, 1, count - integer_digits, stdout);
    }
  }
  putchar('\n');
}

static void print_v128(const uint8_t bytes[16]) {
  int top = 15;
  while (top > 0 && bytes[top] == 0) top--;
  printf("0x%x", (unsigned)bytes[top]);
  for (int i = top - 1; i >= 0; i--) printf("%02x", bytes[i]);
  putchar('\n');
}

void cli_print_value(const wasm_val_t* value) {
  switch (value->kind) {
    case WASM_I32: printf("%" PRId32 "\n", value->of.i32); break;
    case WASM_I64: printf("%" PRId64 "\n", value->of.i64); break;
    case WASM_F32: print_float(value->of.f32, 9, true); break;
    case WASM_F64: print_float(value->of.f64, 17, false); break;
    case WASM_V128: print_v128(value->of.v128); break;
    default: {
      /* GC references say what they are: an i31's value, a struct's field
         count, an array's length. */
      const wasm_ref_t* ref = value->of.ref;
      int32_t i31 = 0;
      size_t fields = 0;
      uint32_t length = 0;
      if (ref && wasm_ref_i31_get_s(ref, &i31)) {
        printf("<i31 %" PRId32 ">\n", i31);
      } else if (ref && wasm_ref_struct_field_count(ref, &fields)) {
        printf("<struct of %zu fields>\n", fields);
      } else if (ref && wasm_ref_array_len(ref, &length)) {
        printf("<array of %" PRIu32 " elements>\n", length);
      } else {
        printf(ref ? "<%s>\n" : "<null %s>\n", kind_name(value->kind));
      }
      break;
    }
  }
}
