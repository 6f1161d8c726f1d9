/* GC references from C: the value and type kinds of the any hierarchy,
 * i31s made and read by the host, struct fields and array elements read
 * and written through wasm_ref_t handles and checked back through wasm,
 * GC references as arguments, results, host function arguments and
 * results, globals and table elements, the conversions to and from
 * externref at the boundary, identity and host info, handles held across
 * wasm_store_gc, and every refusal: NULL arguments, values of the wrong
 * type or kind, indices out of range, immutable fields, references of
 * another store. Compiled with -Wall -Wextra -Werror -pedantic; prints one
 * line per check group (errors and traps with their messages) and exits
 * non-zero on the first failure. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-runtime.h>

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      printf("FAILED: %s (line %d)\n", #cond, __LINE__);               \
      exit(1);                                                         \
    }                                                                  \
  } while (0)

static const char* const WAT =
    "(module\n"
    "  (type $point (struct (field (mut i32)) (field (mut i64)) (field i8) (field (mut anyref))))\n"
    "  (type $ints (array (mut i32)))\n"
    "  (type $bytes (array (mut i8)))\n"
    "  (type $frozen (array i32))\n"
    "  (import \"host\" \"bump\" (func $bump (param anyref) (result i31ref)))\n"
    "  (import \"host\" \"keep\" (func $keep (param anyref)))\n"
    "  (global $g (export \"g\") (mut anyref) (ref.null any))\n"
    "  (table $t (export \"t\") 2 anyref)\n"
    "  (func (export \"make_point\") (param i32 i64) (result (ref $point))\n"
    "    (struct.new $point (local.get 0) (local.get 1) (i32.const -1) (ref.null any)))\n"
    "  (func (export \"point_x\") (param (ref null $point)) (result i32)\n"
    "    (struct.get $point 0 (local.get 0)))\n"
    "  (func (export \"point_y\") (param structref) (result i64)\n"
    "    (struct.get $point 1 (ref.cast (ref $point) (local.get 0))))\n"
    "  (func (export \"point_tag_s\") (param (ref $point)) (result i32)\n"
    "    (struct.get_s $point 2 (local.get 0)))\n"
    "  (func (export \"point_next\") (param (ref $point)) (result anyref)\n"
    "    (struct.get $point 3 (local.get 0)))\n"
    "  (func (export \"make_ints\") (param i32 i32) (result (ref $ints))\n"
    "    (array.new $ints (local.get 1) (local.get 0)))\n"
    "  (func (export \"ints_sum\") (param arrayref) (result i32)\n"
    "    (local $a (ref null $ints)) (local $i i32) (local $s i32)\n"
    "    (local.set $a (ref.cast (ref $ints) (local.get 0)))\n"
    "    (block $done (loop $next\n"
    "      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $a))))\n"
    "      (local.set $s (i32.add (local.get $s) (array.get $ints (local.get $a) (local.get $i))))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $next)))\n"
    "    (local.get $s))\n"
    "  (func (export \"make_bytes\") (result (ref $bytes))\n"
    "    (array.new_fixed $bytes 3 (i32.const 1) (i32.const 200) (i32.const -1)))\n"
    "  (func (export \"bytes_get_s\") (param (ref $bytes) i32) (result i32)\n"
    "    (array.get_s $bytes (local.get 0) (local.get 1)))\n"
    "  (func (export \"make_frozen\") (result (ref $frozen))\n"
    "    (array.new_fixed $frozen 2 (i32.const 7) (i32.const 8)))\n"
    "  (func (export \"make_i31\") (param i32) (result i31ref) (ref.i31 (local.get 0)))\n"
    "  (func (export \"i31_s\") (param i31ref) (result i32) (i31.get_s (local.get 0)))\n"
    "  (func (export \"i31_u\") (param i31ref) (result i32) (i31.get_u (local.get 0)))\n"
    "  (func (export \"identity\") (param anyref) (result anyref) (local.get 0))\n"
    "  (func (export \"eq\") (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1)))\n"
    "  (func (export \"kind\") (param anyref) (result i32)\n"
    "    (if (ref.is_null (local.get 0)) (then (return (i32.const 0))))\n"
    "    (if (ref.test (ref i31) (local.get 0)) (then (return (i32.const 1))))\n"
    "    (if (ref.test (ref $point) (local.get 0)) (then (return (i32.const 2))))\n"
    "    (if (ref.test (ref array) (local.get 0)) (then (return (i32.const 3))))\n"
    "    (i32.const 4))\n"
    "  (func (export \"nulls\") (result nullref structref) (ref.null none) (ref.null struct))\n"
    "  (func (export \"to_extern\") (param anyref) (result externref)\n"
    "    (extern.convert_any (local.get 0)))\n"
    "  (func (export \"to_any\") (param externref) (result anyref)\n"
    "    (any.convert_extern (local.get 0)))\n"
    "  (func (export \"get_g\") (result anyref) (global.get $g))\n"
    "  (func (export \"table_get\") (param i32) (result anyref) (table.get $t (local.get 0)))\n"
    "  (func (export \"bump_twice\") (param anyref) (result i32)\n"
    "    (drop (call $bump (local.get 0)))\n"
    "    (i31.get_s (call $bump (local.get 0))))\n"
    "  (func (export \"keep_new\") (param i32)\n"
    "    (call $keep (array.new $ints (i32.const 1000) (local.get 0))))\n"
    "  (func (export \"park_in_global\") (param i32)\n"
    "    (global.set $g (struct.new $point (local.get 0) (i64.const 0) (i32.const 0) (ref.null any)))))\n";

/* ------------------------------------------------------------------ */
/* Helpers */

static wasm_module_t* compile(wasm_store_t* store, const char* text) {
  wasm_byte_vec_t binary;
  wasm_error_t* error = wasm_wat2wasm(text, strlen(text), &binary);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    printf("FAILED: wat2wasm: %.*s\n", (int)message.size, message.data);
    exit(1);
  }
  wasm_module_t* module = NULL;
  error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    printf("FAILED: compile: %.*s\n", (int)message.size, message.data);
    exit(1);
  }
  return module;
}

/* Prints `what: <message>` for an error and frees both. */
static void print_error(const char* what, wasm_error_t* error) {
  CHECK(error != NULL);
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
}

/* Prints `what: <first line of the message>` for a trap and frees it. */
static void print_trap(const char* what, wasm_trap_t* trap) {
  CHECK(trap != NULL);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  size_t len = strcspn(message.data, "\n");
  printf("%s: %.*s\n", what, (int)len, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

static void expect_no_error(wasm_error_t* error) {
  if (error) print_error("FAILED: unexpected error", error), exit(1);
}

static void expect_no_trap(wasm_trap_t* trap) {
  if (trap) print_trap("FAILED: unexpected trap", trap), exit(1);
}

static int name_is(const wasm_name_t* name, const char* text) {
  return name->size == strlen(text) && memcmp(name->data, text, name->size) == 0;
}

/* An instance's exports, looked up by name (borrowed from the vector). */
typedef struct {
  wasm_extern_vec_t exports;
  wasm_exporttype_vec_t types;
} exports_t;

static wasm_extern_t* export_named(const exports_t* e, const char* name) {
  for (size_t i = 0; i < e->types.size; i++) {
    if (name_is(wasm_exporttype_name(e->types.data[i]), name)) return e->exports.data[i];
  }
  printf("FAILED: no export %s\n", name);
  exit(1);
}

static const wasm_func_t* func_named(const exports_t* e, const char* name) {
  const wasm_func_t* f = wasm_extern_as_func(export_named(e, name));
  CHECK(f != NULL);
  return f;
}

/* Calls `func`; returns its trap (owned) or NULL. */
static wasm_trap_t* call(const wasm_func_t* func, wasm_val_t* args, size_t nargs,
                         wasm_val_t* results, size_t nresults) {
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {nresults, results};
  return wasm_func_call(func, &arg_vec, &result_vec);
}

/* Calls a function of one i32 result with the arguments given; returns it. */
static int32_t call_i32(const wasm_func_t* func, wasm_val_t* args, size_t nargs) {
  wasm_val_t result = WASM_INIT_VAL;
  expect_no_trap(call(func, args, nargs, &result, 1));
  CHECK(result.kind == WASM_I32);
  return result.of.i32;
}

/* Calls a function of one reference result; returns the owned handle. */
static wasm_ref_t* call_ref(const wasm_func_t* func, wasm_val_t* args, size_t nargs,
                            wasm_valkind_t kind) {
  wasm_val_t result = WASM_INIT_VAL;
  expect_no_trap(call(func, args, nargs, &result, 1));
  CHECK(result.kind == kind);
  return result.of.ref;
}

/* A value of kind `kind` borrowing `ref` (not owned: never deleted). */
static wasm_val_t ref_val(wasm_valkind_t kind, wasm_ref_t* ref) {
  wasm_val_t v;
  v.kind = kind;
  v.of.ref = ref;
  return v;
}

static wasm_val_t i32_val(int32_t i) {
  wasm_val_t v = WASM_I32_VAL(i);
  return v;
}

static wasm_val_t i64_val(int64_t i) {
  wasm_val_t v = WASM_I64_VAL(i);
  return v;
}

/* Reads field `index` of `s`, which must be an i32 (or packed) field. */
static int32_t field_i32(const wasm_ref_t* s, size_t index) {
  wasm_val_t v;
  expect_no_error(wasm_ref_struct_get(s, index, &v));
  CHECK(v.kind == WASM_I32);
  return v.of.i32;
}

static int32_t element_i32(const wasm_ref_t* a, uint32_t index) {
  wasm_val_t v;
  expect_no_error(wasm_ref_array_get(a, index, &v));
  CHECK(v.kind == WASM_I32);
  return v.of.i32;
}

static int finalized = 0;
static void finalize(void* data) {
  CHECK(data == &finalized);
  ++finalized;
}

/* ------------------------------------------------------------------ */
/* Host functions */

static wasm_store_t* the_store;

/* host.bump: adds 1 to field 0 of the point it is given and returns the
   new value as an i31 (a new handle: results are owned by the runtime);
   at 100 it returns the point itself, which is no i31ref. */
static wasm_trap_t* host_bump(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  CHECK(args->size == 1 && args->data[0].kind == WASM_ANYREF);
  wasm_ref_t* point = args->data[0].of.ref;
  CHECK(wasm_ref_is_struct(point));
  int32_t x = field_i32(point, 0) + 1;
  wasm_val_t nx = i32_val(x);
  expect_no_error(wasm_ref_struct_set(point, 0, &nx));
  results->data[0].kind = WASM_ANYREF;
  results->data[0].of.ref = x == 100 ? wasm_ref_copy(point) : wasm_ref_new_i31(the_store, (uint32_t)x);
  return NULL;
}

/* host.keep: keeps a new handle of what it is given, beyond the call. */
static wasm_ref_t* kept = NULL;
static wasm_trap_t* host_keep(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  CHECK(args->size == 1 && args->data[0].kind == WASM_ANYREF);
  wasm_ref_delete(kept);
  kept = wasm_ref_copy(args->data[0].of.ref);
  return NULL;
}

static wasm_functype_t* functype(const wasm_valkind_t* params, size_t np,
                                 const wasm_valkind_t* results, size_t nr) {
  wasm_valtype_vec_t p, r;
  wasm_valtype_vec_new_uninitialized(&p, np);
  for (size_t i = 0; i < np; i++) p.data[i] = wasm_valtype_new(params[i]);
  wasm_valtype_vec_new_uninitialized(&r, nr);
  for (size_t i = 0; i < nr; i++) r.data[i] = wasm_valtype_new(results[i]);
  return wasm_functype_new(&p, &r);
}

/* An instance of the module in `store`, with its host functions. */
static wasm_instance_t* instantiate(wasm_store_t* store, const wasm_module_t* module,
                                    exports_t* out) {
  wasm_valkind_t anyref = WASM_ANYREF, i31ref = WASM_I31REF;
  wasm_functype_t* bump_type = functype(&anyref, 1, &i31ref, 1);
  wasm_functype_t* keep_type = functype(&anyref, 1, NULL, 0);
  wasm_func_t* bump = wasm_func_new(store, bump_type, host_bump);
  wasm_func_t* keep = wasm_func_new(store, keep_type, host_keep);
  CHECK(bump && keep);
  wasm_functype_delete(bump_type);
  wasm_functype_delete(keep_type);
  wasm_extern_t* items[2] = {wasm_func_as_extern(bump), wasm_func_as_extern(keep)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  expect_no_error(wasm_instance_new_checked(store, module, &imports, &instance, &trap));
  CHECK(instance != NULL && trap == NULL);
  wasm_func_delete(bump);
  wasm_func_delete(keep);
  wasm_instance_exports(instance, &out->exports);
  wasm_module_exports(module, &out->types);
  CHECK(out->exports.size == out->types.size);
  return instance;
}

static void exports_delete(exports_t* e) {
  wasm_extern_vec_delete(&e->exports);
  wasm_exporttype_vec_delete(&e->types);
}

/* ------------------------------------------------------------------ */
/* Checks */

static wasm_valkind_t param_kind(const exports_t* e, const char* name, size_t i) {
  wasm_functype_t* ty = wasm_func_type(func_named(e, name));
  const wasm_valtype_vec_t* params = wasm_functype_params(ty);
  CHECK(i < params->size);
  wasm_valkind_t kind = wasm_valtype_kind(params->data[i]);
  wasm_functype_delete(ty);
  return kind;
}

static wasm_valtype_t* result_type(const exports_t* e, const char* name, size_t i) {
  wasm_functype_t* ty = wasm_func_type(func_named(e, name));
  const wasm_valtype_vec_t* results = wasm_functype_results(ty);
  CHECK(i < results->size);
  wasm_valtype_t* copy = wasm_valtype_copy(results->data[i]);
  wasm_functype_delete(ty);
  return copy;
}

static void kinds(const exports_t* e) {
  /* Nullable abstract types have kinds of their own. */
  CHECK(param_kind(e, "identity", 0) == WASM_ANYREF);
  CHECK(param_kind(e, "eq", 0) == WASM_EQREF && param_kind(e, "eq", 1) == WASM_EQREF);
  CHECK(param_kind(e, "i31_s", 0) == WASM_I31REF);
  CHECK(param_kind(e, "point_y", 0) == WASM_STRUCTREF);
  CHECK(param_kind(e, "ints_sum", 0) == WASM_ARRAYREF);
  wasm_valtype_t* nullref = result_type(e, "nulls", 0);
  wasm_valtype_t* structref = result_type(e, "nulls", 1);
  CHECK(wasm_valtype_kind(nullref) == WASM_NULLREF);
  CHECK(wasm_valtype_heap_kind(nullref) == WASM_HEAP_NONE && wasm_valtype_is_nullable(nullref));
  CHECK(wasm_valtype_kind(structref) == WASM_STRUCTREF);
  CHECK(wasm_valtype_is_ref(nullref) && !wasm_valtype_is_num(nullref));
  wasm_valtype_delete(nullref);
  wasm_valtype_delete(structref);
  /* Concrete and non-nullable ones are typed references. */
  wasm_valtype_t* point = result_type(e, "make_point", 0);
  CHECK(wasm_valtype_kind(point) == WASM_TYPEDREF && !wasm_valtype_is_nullable(point));
  CHECK(wasm_valtype_heap_kind(point) == WASM_HEAP_CONCRETE_STRUCT);
  CHECK(wasm_valtype_functype(point) == NULL);
  wasm_valtype_delete(point);
  wasm_valtype_t* ints = result_type(e, "make_ints", 0);
  CHECK(wasm_valtype_kind(ints) == WASM_TYPEDREF);
  CHECK(wasm_valtype_heap_kind(ints) == WASM_HEAP_CONCRETE_ARRAY);
  wasm_valtype_delete(ints);
  CHECK(param_kind(e, "point_x", 0) == WASM_TYPEDREF);
  /* The kinds make their types, and the abstract heap kinds the same ones. */
  wasm_valkind_t all[6] = {WASM_ANYREF,     WASM_EQREF,     WASM_I31REF,
                           WASM_STRUCTREF,  WASM_ARRAYREF,  WASM_NULLREF};
  wasm_heapkind_t heaps[6] = {WASM_HEAP_ANY,    WASM_HEAP_EQ,    WASM_HEAP_I31,
                              WASM_HEAP_STRUCT, WASM_HEAP_ARRAY, WASM_HEAP_NONE};
  for (int i = 0; i < 6; i++) {
    wasm_valtype_t* t = wasm_valtype_new(all[i]);
    CHECK(t != NULL && wasm_valtype_kind(t) == all[i]);
    CHECK(wasm_valtype_heap_kind(t) == heaps[i] && wasm_valtype_is_nullable(t));
    wasm_valtype_t* same = wasm_valtype_new_ref(true, heaps[i]);
    CHECK(wasm_valtype_kind(same) == all[i]);
    wasm_valtype_t* non_null = wasm_valtype_new_ref(false, heaps[i]);
    CHECK(wasm_valtype_kind(non_null) == WASM_TYPEDREF);
    wasm_valtype_delete(t);
    wasm_valtype_delete(same);
    wasm_valtype_delete(non_null);
  }
  CHECK(wasm_valtype_new(138) == NULL);
  /* The global and the table are of anyref. */
  wasm_globaltype_t* gt = wasm_global_type(wasm_extern_as_global(export_named(e, "g")));
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_ANYREF);
  wasm_globaltype_delete(gt);
  wasm_tabletype_t* tt = wasm_table_type(wasm_extern_as_table(export_named(e, "t")));
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_ANYREF);
  wasm_tabletype_delete(tt);
  printf("kinds: anyref %d, eqref %d, i31ref %d, structref %d, arrayref %d, nullref %d; "
         "concrete and non-null types are WASM_TYPEDREF\n",
         WASM_ANYREF, WASM_EQREF, WASM_I31REF, WASM_STRUCTREF, WASM_ARRAYREF, WASM_NULLREF);
}

static void i31s(wasm_store_t* store, const exports_t* e) {
  wasm_ref_t* max = wasm_ref_new_i31(store, 0x7fffffff);
  uint32_t u = 0;
  int32_t s = 0;
  CHECK(wasm_ref_is_i31(max) && !wasm_ref_is_struct(max) && !wasm_ref_is_array(max));
  CHECK(wasm_ref_i31_get_u(max, &u) && u == 0x7fffffff);
  CHECK(wasm_ref_i31_get_s(max, &s) && s == -1);
  /* Only the low 31 bits count. */
  wasm_ref_t* five = wasm_ref_new_i31(store, 0x80000005u);
  CHECK(wasm_ref_i31_get_u(five, &u) && u == 5);
  CHECK(wasm_ref_i31_get_s(five, &s) && s == 5);
  /* Through wasm, with the kind WASM_ANYREF or the narrower WASM_I31REF. */
  wasm_val_t arg = ref_val(WASM_ANYREF, max);
  CHECK(call_i32(func_named(e, "i31_s"), &arg, 1) == -1);
  CHECK(call_i32(func_named(e, "i31_u"), &arg, 1) == 0x7fffffff);
  arg = ref_val(WASM_I31REF, five);
  CHECK(call_i32(func_named(e, "i31_s"), &arg, 1) == 5);
  CHECK(call_i32(func_named(e, "kind"), &arg, 1) == 1);
  /* Made by wasm, read by the host. */
  wasm_val_t minus3 = i32_val(-3);
  wasm_ref_t* made = call_ref(func_named(e, "make_i31"), &minus3, 1, WASM_ANYREF);
  CHECK(wasm_ref_is_i31(made));
  CHECK(wasm_ref_i31_get_s(made, &s) && s == -3);
  CHECK(wasm_ref_i31_get_u(made, &u) && u == 0x7ffffffd);
  /* i31s of one value are one reference, for the host and for ref.eq. */
  wasm_ref_t* five_again = wasm_ref_new_i31(store, 5);
  CHECK(wasm_ref_same(five, five_again) && !wasm_ref_same(five, max));
  wasm_val_t pair[2] = {ref_val(WASM_EQREF, five), ref_val(WASM_ANYREF, five_again)};
  CHECK(call_i32(func_named(e, "eq"), pair, 2) == 1);
  pair[1] = ref_val(WASM_ANYREF, made);
  CHECK(call_i32(func_named(e, "eq"), pair, 2) == 0);
  /* Refusals write nothing. */
  u = 17;
  s = 17;
  CHECK(!wasm_ref_is_i31(NULL));
  CHECK(!wasm_ref_i31_get_u(NULL, &u) && !wasm_ref_i31_get_s(NULL, &s));
  CHECK(!wasm_ref_i31_get_u(max, NULL) && !wasm_ref_i31_get_s(max, NULL));
  CHECK(u == 17 && s == 17);
  CHECK(wasm_ref_new_i31(NULL, 1) == NULL);
  wasm_ref_delete(max);
  wasm_ref_delete(five);
  wasm_ref_delete(five_again);
  wasm_ref_delete(made);
  printf("i31: made and read by the host and by wasm (0x7fffffff is -1 signed, "
         "0x80000005 keeps 5), equal values are the same reference\n");
}

static void structs(wasm_store_t* store, wasm_store_t* other, const exports_t* e,
                    const exports_t* other_e) {
  wasm_val_t args[2] = {i32_val(5), i64_val(-7)};
  wasm_ref_t* p = call_ref(func_named(e, "make_point"), args, 2, WASM_ANYREF);
  CHECK(wasm_ref_is_struct(p) && !wasm_ref_is_array(p) && !wasm_ref_is_i31(p));
  size_t count = 0;
  CHECK(wasm_ref_struct_field_count(p, &count) && count == 4);
  /* Read. */
  wasm_val_t v;
  CHECK(field_i32(p, 0) == 5);
  expect_no_error(wasm_ref_struct_get(p, 1, &v));
  CHECK(v.kind == WASM_I64 && v.of.i64 == -7);
  CHECK(field_i32(p, 2) == 255); /* packed i8 -1, zero-extended */
  expect_no_error(wasm_ref_struct_get(p, 3, &v));
  CHECK(v.kind == WASM_ANYREF && v.of.ref == NULL);
  /* Write, and read back through wasm. */
  wasm_val_t arg = ref_val(WASM_ANYREF, p);
  wasm_val_t nv = i32_val(42);
  expect_no_error(wasm_ref_struct_set(p, 0, &nv));
  CHECK(call_i32(func_named(e, "point_x"), &arg, 1) == 42);
  nv = i64_val(INT64_C(1) << 40);
  expect_no_error(wasm_ref_struct_set(p, 1, &nv));
  wasm_val_t y = WASM_INIT_VAL;
  wasm_val_t sarg = ref_val(WASM_STRUCTREF, p);
  expect_no_trap(call(func_named(e, "point_y"), &sarg, 1, &y, 1));
  CHECK(y.kind == WASM_I64 && y.of.i64 == INT64_C(1) << 40);
  CHECK(call_i32(func_named(e, "point_tag_s"), &arg, 1) == -1);
  /* A reference field: an i31, then another struct, read by wasm. */
  wasm_ref_t* seven = wasm_ref_new_i31(store, 7);
  nv = ref_val(WASM_ANYREF, seven);
  expect_no_error(wasm_ref_struct_set(p, 3, &nv));
  wasm_ref_t* next = call_ref(func_named(e, "point_next"), &arg, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(next, seven));
  wasm_ref_delete(next);
  wasm_val_t args2[2] = {i32_val(9), i64_val(9)};
  wasm_ref_t* q = call_ref(func_named(e, "make_point"), args2, 2, WASM_ANYREF);
  nv = ref_val(WASM_STRUCTREF, q);
  expect_no_error(wasm_ref_struct_set(p, 3, &nv));
  expect_no_error(wasm_ref_struct_get(p, 3, &v));
  CHECK(v.kind == WASM_ANYREF && wasm_ref_same(v.of.ref, q) && field_i32(v.of.ref, 0) == 9);
  wasm_val_delete(&v);
  CHECK(v.of.ref == NULL);
  printf("struct: 4 fields read (5, -7, packed 255, null) and written (42, 2^40, i31 7, a "
         "struct), wasm reads what the host wrote\n");

  /* Refusals. */
  nv = i64_val(1);
  print_error("i64 into an i32 field", wasm_ref_struct_set(p, 0, &nv));
  nv = i32_val(1);
  print_error("immutable field", wasm_ref_struct_set(p, 2, &nv));
  print_error("field out of range", wasm_ref_struct_get(p, 4, &v));
  print_error("set out of range", wasm_ref_struct_set(p, 4, &nv));
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  nv = ref_val(WASM_EXTERNREF, wasm_foreign_as_ref(foreign));
  print_error("externref into an anyref field", wasm_ref_struct_set(p, 3, &nv));
  wasm_val_t other_args[2] = {i32_val(1), i64_val(2)};
  wasm_ref_t* alien = call_ref(func_named(other_e, "make_point"), other_args, 2, WASM_ANYREF);
  nv = ref_val(WASM_ANYREF, alien);
  print_error("struct of another store", wasm_ref_struct_set(p, 3, &nv));
  nv = ref_val(WASM_I31REF, q);
  print_error("struct given as an i31ref", wasm_ref_struct_set(p, 3, &nv));
  nv.kind = 99;
  print_error("unknown kind", wasm_ref_struct_set(p, 0, &nv));
  print_error("i31 is no struct", wasm_ref_struct_get(seven, 0, &v));
  print_error("foreign is no struct", wasm_ref_struct_get(wasm_foreign_as_ref(foreign), 0, &v));
  print_error("NULL struct", wasm_ref_struct_get(NULL, 0, &v));
  print_error("NULL out", wasm_ref_struct_get(p, 0, NULL));
  print_error("NULL value", wasm_ref_struct_set(p, 0, NULL));
  count = 77;
  CHECK(!wasm_ref_struct_field_count(seven, &count) && !wasm_ref_struct_field_count(NULL, &count));
  CHECK(!wasm_ref_struct_field_count(p, NULL) && count == 77);
  CHECK(!wasm_ref_is_struct(NULL) && !wasm_ref_is_struct(wasm_foreign_as_ref(foreign)));
  /* Nothing refused was written. */
  CHECK(field_i32(p, 0) == 42 && field_i32(p, 2) == 255);
  expect_no_error(wasm_ref_struct_get(p, 3, &v));
  CHECK(wasm_ref_same(v.of.ref, q));
  wasm_val_delete(&v);
  (void)other;
  wasm_ref_delete(alien);
  wasm_foreign_delete(foreign);
  wasm_ref_delete(seven);
  wasm_ref_delete(q);
  wasm_ref_delete(p);
}

static void arrays(wasm_store_t* store, const exports_t* e) {
  wasm_val_t args[2] = {i32_val(3), i32_val(10)};
  wasm_ref_t* ints = call_ref(func_named(e, "make_ints"), args, 2, WASM_ANYREF);
  CHECK(wasm_ref_is_array(ints) && !wasm_ref_is_struct(ints));
  uint32_t len = 0;
  CHECK(wasm_ref_array_len(ints, &len) && len == 3);
  CHECK(element_i32(ints, 0) == 10 && element_i32(ints, 2) == 10);
  wasm_val_t nv = i32_val(5);
  expect_no_error(wasm_ref_array_set(ints, 1, &nv));
  wasm_val_t arg = ref_val(WASM_ARRAYREF, ints);
  CHECK(call_i32(func_named(e, "ints_sum"), &arg, 1) == 25);
  CHECK(call_i32(func_named(e, "kind"), &arg, 1) == 3);
  /* Packed elements: zero-extended on the way out, truncated on the way in. */
  wasm_ref_t* bytes = call_ref(func_named(e, "make_bytes"), NULL, 0, WASM_ANYREF);
  CHECK(wasm_ref_array_len(bytes, &len) && len == 3);
  CHECK(element_i32(bytes, 0) == 1 && element_i32(bytes, 1) == 200 && element_i32(bytes, 2) == 255);
  nv = i32_val(0x17f);
  expect_no_error(wasm_ref_array_set(bytes, 0, &nv));
  CHECK(element_i32(bytes, 0) == 0x7f);
  nv = i32_val(-128);
  expect_no_error(wasm_ref_array_set(bytes, 2, &nv));
  CHECK(element_i32(bytes, 2) == 128);
  wasm_val_t get_args[2] = {ref_val(WASM_ANYREF, bytes), i32_val(2)};
  CHECK(call_i32(func_named(e, "bytes_get_s"), get_args, 2) == -128);
  printf("array: length 3, elements read and written (sum 25 through wasm), packed i8 "
         "elements zero-extended (200, 255) and truncated (0x17f is 0x7f)\n");

  /* Refusals. */
  wasm_val_t v;
  print_error("element out of range", wasm_ref_array_get(ints, 3, &v));
  nv = i32_val(1);
  print_error("set out of range", wasm_ref_array_set(ints, 3, &nv));
  wasm_val_t f = WASM_F32_VAL(1.5f);
  print_error("f32 into an i32 array", wasm_ref_array_set(ints, 0, &f));
  wasm_ref_t* frozen = call_ref(func_named(e, "make_frozen"), NULL, 0, WASM_ANYREF);
  CHECK(element_i32(frozen, 1) == 8);
  print_error("immutable array", wasm_ref_array_set(frozen, 0, &nv));
  wasm_ref_t* i31 = wasm_ref_new_i31(store, 3);
  print_error("i31 is no array", wasm_ref_array_get(i31, 0, &v));
  print_error("NULL array", wasm_ref_array_set(NULL, 0, &nv));
  print_error("NULL out", wasm_ref_array_get(ints, 0, NULL));
  print_error("NULL value", wasm_ref_array_set(ints, 0, NULL));
  len = 77;
  CHECK(!wasm_ref_array_len(i31, &len) && !wasm_ref_array_len(NULL, &len));
  CHECK(!wasm_ref_array_len(ints, NULL) && len == 77);
  CHECK(!wasm_ref_is_array(NULL) && !wasm_ref_is_array(i31));
  CHECK(element_i32(ints, 0) == 10 && element_i32(frozen, 0) == 7);
  wasm_ref_delete(i31);
  wasm_ref_delete(frozen);
  wasm_ref_delete(bytes);
  wasm_ref_delete(ints);
}

static void calls(wasm_store_t* store, const exports_t* e, const exports_t* other_e) {
  wasm_val_t args[2] = {i32_val(1), i64_val(2)};
  wasm_ref_t* p = call_ref(func_named(e, "make_point"), args, 2, WASM_ANYREF);
  /* Identity through wasm, and host info on the object. */
  wasm_ref_set_host_info_with_finalizer(p, &finalized, finalize);
  wasm_val_t arg = ref_val(WASM_ANYREF, p);
  wasm_ref_t* back = call_ref(func_named(e, "identity"), &arg, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(back, p) && back != p);
  CHECK(wasm_ref_get_host_info(back) == &finalized);
  wasm_ref_t* copy = wasm_ref_copy(back);
  CHECK(wasm_ref_same(copy, p) && wasm_ref_is_struct(copy));
  wasm_ref_delete(copy);
  wasm_ref_delete(back);
  CHECK(call_i32(func_named(e, "kind"), &arg, 1) == 2);
  /* Nulls. */
  wasm_val_t null_arg = ref_val(WASM_ANYREF, NULL);
  CHECK(call_ref(func_named(e, "identity"), &null_arg, 1, WASM_ANYREF) == NULL);
  CHECK(call_i32(func_named(e, "kind"), &null_arg, 1) == 0);
  null_arg.kind = WASM_NULLREF;
  CHECK(call_i32(func_named(e, "kind"), &null_arg, 1) == 0);
  wasm_val_t nulls[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  expect_no_trap(call(func_named(e, "nulls"), NULL, 0, nulls, 2));
  CHECK(nulls[0].kind == WASM_ANYREF && nulls[0].of.ref == NULL);
  CHECK(nulls[1].kind == WASM_ANYREF && nulls[1].of.ref == NULL);
  wasm_val_t null_point = ref_val(WASM_ANYREF, NULL);
  wasm_val_t result = WASM_INIT_VAL;
  wasm_trap_t* trap = call(func_named(e, "point_x"), &null_point, 1, &result, 1);
  wasm_trap_code_t code = 0;
  CHECK(trap != NULL && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_NULL_REFERENCE);
  print_trap("null struct in wasm", trap);
  printf("calls: identity and host info kept through wasm, nulls are WASM_ANYREF values with "
         "NULL refs\n");

  /* Arguments of the wrong type, kind or store. */
  wasm_val_t wrong = ref_val(WASM_ANYREF, p);
  print_trap("struct for an i31ref", call(func_named(e, "i31_s"), &wrong, 1, &result, 1));
  wrong = ref_val(WASM_I31REF, p);
  print_trap("struct given as WASM_I31REF",
             call(func_named(e, "identity"), &wrong, 1, &result, 1));
  wrong = ref_val(WASM_NULLREF, p);
  print_trap("struct given as WASM_NULLREF",
             call(func_named(e, "identity"), &wrong, 1, &result, 1));
  wasm_ref_t* i31 = wasm_ref_new_i31(store, 1);
  wrong = ref_val(WASM_EXTERNREF, i31);
  print_trap("externref for an anyref", call(func_named(e, "identity"), &wrong, 1, &result, 1));
  wrong = ref_val(WASM_ANYREF, i31);
  print_trap("anyref for an externref", call(func_named(e, "to_any"), &wrong, 1, &result, 1));
  wrong = ref_val(WASM_ANYREF, p);
  print_trap("struct of another store",
             call(func_named(other_e, "identity"), &wrong, 1, &result, 1));
  wrong = ref_val(WASM_ANYREF, i31);
  print_trap("i31 of another store",
             call(func_named(other_e, "identity"), &wrong, 1, &result, 1));
  wasm_ref_delete(i31);

  /* Host functions: bump reads and writes the struct and returns i31s. */
  CHECK(call_i32(func_named(e, "bump_twice"), &arg, 1) == 3);
  CHECK(field_i32(p, 0) == 3);
  wasm_val_t nv = i32_val(98);
  expect_no_error(wasm_ref_struct_set(p, 0, &nv));
  print_trap("host result of the wrong type",
             call(func_named(e, "bump_twice"), &arg, 1, &result, 1));
  printf("host functions: get GC references as WASM_ANYREF arguments and return i31s\n");
  wasm_ref_delete(p);
}

static void conversions(wasm_store_t* store, const exports_t* e) {
  wasm_val_t args[2] = {i32_val(4), i64_val(4)};
  wasm_ref_t* p = call_ref(func_named(e, "make_point"), args, 2, WASM_ANYREF);
  /* extern.convert_any of a struct reaches the host as that struct. */
  wasm_val_t arg = ref_val(WASM_ANYREF, p);
  wasm_ref_t* ext = call_ref(func_named(e, "to_extern"), &arg, 1, WASM_EXTERNREF);
  CHECK(wasm_ref_same(ext, p) && wasm_ref_is_struct(ext) && field_i32(ext, 0) == 4);
  /* ... and converts back to it. */
  wasm_val_t ext_arg = ref_val(WASM_EXTERNREF, ext);
  wasm_ref_t* any = call_ref(func_named(e, "to_any"), &ext_arg, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(any, p));
  wasm_ref_delete(any);
  wasm_ref_delete(ext);
  /* A host object converted in by any.convert_extern comes back as itself,
     with its host info, and a host object given for an anyref crosses as
     that conversion. */
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  int info = 0;
  wasm_foreign_set_host_info(foreign, &info);
  wasm_val_t farg = ref_val(WASM_EXTERNREF, wasm_foreign_as_ref(foreign));
  wasm_ref_t* f_any = call_ref(func_named(e, "to_any"), &farg, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(f_any, wasm_foreign_as_ref(foreign)));
  CHECK(wasm_ref_as_foreign(f_any) != NULL && wasm_ref_get_host_info(f_any) == &info);
  CHECK(!wasm_ref_is_struct(f_any) && !wasm_ref_is_i31(f_any));
  wasm_val_t as_any = ref_val(WASM_ANYREF, wasm_foreign_as_ref(foreign));
  CHECK(call_i32(func_named(e, "kind"), &as_any, 1) == 4);
  wasm_ref_t* f_back = call_ref(func_named(e, "identity"), &as_any, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(f_back, f_any));
  wasm_val_t fv = ref_val(WASM_ANYREF, f_any);
  expect_no_error(wasm_ref_struct_set(p, 3, &fv));
  wasm_ref_t* next = call_ref(func_named(e, "point_next"), &arg, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(next, wasm_foreign_as_ref(foreign)));
  /* A host object is no eqref. */
  wasm_val_t pair[2] = {ref_val(WASM_ANYREF, f_any), ref_val(WASM_ANYREF, f_any)};
  wasm_val_t result = WASM_INIT_VAL;
  print_trap("host object for an eqref", call(func_named(e, "eq"), pair, 2, &result, 1));
  wasm_ref_delete(next);
  wasm_ref_delete(f_back);
  wasm_ref_delete(f_any);
  wasm_foreign_delete(foreign);
  wasm_ref_delete(p);
  printf("conversions: extern.convert_any of a struct is the struct, a host object through "
         "any.convert_extern is the same host object\n");
}

static void globals_and_tables(wasm_store_t* store, const exports_t* e) {
  wasm_global_t* g = wasm_extern_as_global(export_named(e, "g"));
  wasm_ref_t* i31 = wasm_ref_new_i31(store, 123);
  wasm_val_t v = ref_val(WASM_I31REF, i31);
  wasm_global_set(g, &v);
  wasm_ref_t* got = call_ref(func_named(e, "get_g"), NULL, 0, WASM_ANYREF);
  uint32_t u = 0;
  CHECK(wasm_ref_i31_get_u(got, &u) && u == 123);
  wasm_ref_delete(got);
  wasm_val_t args[2] = {i32_val(6), i64_val(6)};
  wasm_ref_t* p = call_ref(func_named(e, "make_point"), args, 2, WASM_ANYREF);
  v = ref_val(WASM_ANYREF, p);
  expect_no_error(wasm_global_set_checked(g, &v));
  wasm_val_t out;
  wasm_global_get(g, &out);
  CHECK(out.kind == WASM_ANYREF && wasm_ref_same(out.of.ref, p));
  wasm_val_delete(&out);
  v = ref_val(WASM_EXTERNREF, p);
  print_error("externref into an anyref global", wasm_global_set_checked(g, &v));
  /* A host global of i31ref. */
  wasm_globaltype_t* gt = wasm_globaltype_new(wasm_valtype_new(WASM_I31REF), WASM_VAR);
  v = ref_val(WASM_ANYREF, i31);
  wasm_global_t* hg = wasm_global_new(store, gt, &v);
  CHECK(hg != NULL);
  wasm_global_get(hg, &out);
  CHECK(out.kind == WASM_ANYREF && wasm_ref_same(out.of.ref, i31));
  wasm_val_delete(&out);
  v = ref_val(WASM_ANYREF, p);
  wasm_global_t* refused = NULL;
  print_error("struct into an i31ref global", wasm_global_new_checked(store, gt, &v, &refused));
  CHECK(refused == NULL);
  wasm_globaltype_delete(gt);
  wasm_global_delete(hg);

  /* The module's anyref table. */
  wasm_table_t* t = wasm_extern_as_table(export_named(e, "t"));
  CHECK(wasm_table_set(t, 0, p) && wasm_table_set(t, 1, i31));
  wasm_val_t idx = i32_val(0);
  got = call_ref(func_named(e, "table_get"), &idx, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(got, p));
  wasm_ref_delete(got);
  got = wasm_table_get(t, 1);
  CHECK(wasm_ref_same(got, i31) && wasm_ref_is_i31(got));
  wasm_ref_delete(got);
  CHECK(wasm_table_grow(t, 2, i31) && wasm_table_size(t) == 4);
  idx = i32_val(3);
  got = call_ref(func_named(e, "table_get"), &idx, 1, WASM_ANYREF);
  CHECK(wasm_ref_same(got, i31));
  wasm_ref_delete(got);
  CHECK(wasm_table_set(t, 0, NULL) && wasm_table_get(t, 0) == NULL);
  /* A host table of structrefs. */
  wasm_limits_t limits = {2, 10};
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new(WASM_STRUCTREF), &limits);
  wasm_table_t* ht = wasm_table_new(store, tt, p);
  CHECK(ht != NULL);
  got = wasm_table_get(ht, 1);
  CHECK(wasm_ref_same(got, p));
  wasm_ref_delete(got);
  print_error("i31 into a structref table", wasm_table_set_checked(ht, 0, i31));
  CHECK(!wasm_table_set(ht, 0, i31) && wasm_table_new(store, tt, i31) == NULL);
  wasm_tabletype_delete(tt);
  wasm_table_delete(ht);
  wasm_ref_delete(p);
  wasm_ref_delete(i31);
  printf("globals and tables: i31s and structs set by the host are read by wasm and back\n");
}

static void collection(wasm_store_t* store, const exports_t* e) {
  /* A handle the host keeps is a root: the array wasm made and handed to
     the host alone is still there after a collection. */
  wasm_val_t len = i32_val(64);
  expect_no_trap(call(func_named(e, "keep_new"), &len, 1, NULL, 0));
  CHECK(kept != NULL && wasm_ref_is_array(kept));
  /* What only a global holds stays too. */
  wasm_val_t x = i32_val(31);
  expect_no_trap(call(func_named(e, "park_in_global"), &x, 1, NULL, 0));
  /* Garbage: structs nothing holds. */
  for (int i = 0; i < 1000; i++) {
    wasm_val_t args[2] = {i32_val(i), i64_val(i)};
    wasm_ref_delete(call_ref(func_named(e, "make_point"), args, 2, WASM_ANYREF));
  }
  wasm_store_gc(store);
  wasm_store_gc(NULL);
  uint32_t n = 0;
  CHECK(wasm_ref_array_len(kept, &n) && n == 64);
  CHECK(element_i32(kept, 0) == 1000 && element_i32(kept, 63) == 1000);
  wasm_val_t arg = ref_val(WASM_ANYREF, kept);
  CHECK(call_i32(func_named(e, "ints_sum"), &arg, 1) == 64000);
  wasm_ref_t* parked = call_ref(func_named(e, "get_g"), NULL, 0, WASM_ANYREF);
  CHECK(wasm_ref_is_struct(parked) && field_i32(parked, 0) == 31);
  wasm_ref_delete(parked);
  wasm_ref_delete(kept);
  kept = NULL;
  wasm_store_gc(store);
  printf("wasm_store_gc: handles the host holds and globals keep their objects\n");
}

static int foreign_finalized = 0;
static void count_foreign(void* data) {
  (void)data;
  foreign_finalized++;
}

static void host_values(wasm_store_t* store, const exports_t* e) {
  /* A host object that went through wasm and that nothing reaches any
     more is released by the collection that finds it so: its host info's
     finalizer runs then, not with the store. */
  wasm_foreign_t* f = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(f, NULL, count_foreign);
  wasm_val_t arg = ref_val(WASM_EXTERNREF, wasm_foreign_as_ref(f));
  wasm_ref_delete(call_ref(func_named(e, "to_any"), &arg, 1, WASM_ANYREF));
  wasm_foreign_delete(f);
  CHECK(foreign_finalized == 0);
  wasm_store_gc(store);
  CHECK(foreign_finalized == 1);
  /* One a global holds stays until the global lets go of it. */
  wasm_foreign_t* g = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(g, NULL, count_foreign);
  wasm_global_t* global = wasm_extern_as_global(export_named(e, "g"));
  wasm_val_t held = ref_val(WASM_ANYREF, wasm_foreign_as_ref(g));
  wasm_global_set(global, &held);
  wasm_foreign_delete(g);
  wasm_store_gc(store);
  CHECK(foreign_finalized == 1);
  wasm_val_t none = ref_val(WASM_ANYREF, NULL);
  wasm_global_set(global, &none);
  wasm_store_gc(store);
  CHECK(foreign_finalized == 2);
  printf("host values: released, finalizer run, by the collection that finds them unreachable\n");
}

int main(void) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_wasm_function_references_set(config, true);
  wasm_config_wasm_gc_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_store_t* other = wasm_store_new(engine);
  the_store = store;
  wasm_module_t* module = compile(store, WAT);
  exports_t e, other_e;
  wasm_instance_t* instance = instantiate(store, module, &e);
  wasm_instance_t* other_instance = instantiate(other, module, &other_e);

  kinds(&e);
  i31s(store, &e);
  structs(store, other, &e, &other_e);
  arrays(store, &e);
  calls(store, &e, &other_e);
  conversions(store, &e);
  globals_and_tables(store, &e);
  collection(store, &e);
  host_values(store, &e);

  exports_delete(&other_e);
  exports_delete(&e);
  wasm_instance_delete(other_instance);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  CHECK(finalized == 0);
  wasm_store_delete(other);
  wasm_store_delete(store);
  CHECK(finalized == 1);
  wasm_engine_delete(engine);
  printf("host info: finalized once, with the store\n");
  printf("ok\n");
  return 0;
}
