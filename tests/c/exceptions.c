/* Exception handling from C: tag types and tags (reflection, imports and
 * exports, identity, host info), uncaught wasm exceptions reaching the
 * host as UNCAUGHT_EXCEPTION traps with their tag and payload, host
 * functions throwing into wasm (caught by try_table, or not), exnref values
 * through calls and host functions, and every refusal: NULL arguments,
 * payloads that do not fit, tags of the wrong type as imports. Compiled
 * with -Wall -Wextra -Werror -pedantic; prints one line per check group and
 * exits non-zero on the first failure. */

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
    "  (import \"host\" \"tag\" (tag $t (param i32)))\n"
    "  (import \"host\" \"throw\" (func $throw (param i32)))\n"
    "  (import \"host\" \"pass\" (func $pass (param exnref) (result exnref)))\n"
    "  (import \"host\" \"rethrow\" (func $rethrow (param exnref)))\n"
    "  (tag $pair (export \"pair\") (param i32 f64))\n"
    "  (export \"t\" (tag $t))\n"
    "  (func (export \"throw_t\") (param i32) (throw $t (local.get 0)))\n"
    "  (func (export \"throw_pair\") (param i32 f64)\n"
    "    (throw $pair (local.get 0) (local.get 1)))\n"
    "  (func (export \"call_host_caught\") (param i32) (result i32)\n"
    "    (block $h (result i32)\n"
    "      (try_table (catch $t $h) (call $throw (local.get 0)))\n"
    "      (return (i32.const -1)))\n"
    "    (i32.const 1) (i32.add))\n"
    "  (func (export \"call_host_uncaught\") (param i32) (call $throw (local.get 0)))\n"
    "  (func (export \"catch_exn\") (param i32) (result exnref)\n"
    "    (block $h (result exnref)\n"
    "      (try_table (catch_all_ref $h) (throw $t (local.get 0)))\n"
    "      (unreachable)))\n"
    "  (func (export \"identity\") (param exnref) (result exnref) (local.get 0))\n"
    "  (func (export \"via_host\") (param exnref) (result exnref) (call $pass (local.get 0)))\n"
    "  (func (export \"unpack\") (param exnref) (result i32)\n"
    "    (block $h (result i32)\n"
    "      (try_table (catch $t $h) (throw_ref (local.get 0)))\n"
    "      (unreachable)))\n"
    "  (func (export \"host_rethrow\") (param exnref) (result i32)\n"
    "    (block $h (result i32)\n"
    "      (try_table (catch $t $h) (call $rethrow (local.get 0)))\n"
    "      (return (i32.const -1))))\n"
    "  (func (export \"throw_ref\") (param exnref) (throw_ref (local.get 0)))\n"
    "  (func (export \"is_null\") (param exnref) (result i32) (ref.is_null (local.get 0))))\n";

/* Typed exception references need function references for `(ref exn)`. */
static const char* const TYPED_WAT =
    "(module (func (export \"typed\") (param (ref exn) nullexnref exnref)))\n";

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

static int name_is(const wasm_name_t* name, const char* text) {
  return name->size == strlen(text) && memcmp(name->data, text, name->size) == 0;
}

/* The valtype kinds of a tag type's payload, as "i32 f64". */
static void param_kinds(const wasm_tagtype_t* ty, wasm_valkind_t* kinds, size_t* n) {
  const wasm_valtype_vec_t* params = wasm_tagtype_params(ty);
  CHECK(params != NULL);
  *n = params->size;
  for (size_t i = 0; i < params->size; i++) kinds[i] = wasm_valtype_kind(params->data[i]);
}

static wasm_tagtype_t* tagtype_of(const wasm_valkind_t* kinds, size_t n) {
  wasm_valtype_vec_t params;
  wasm_valtype_vec_new_uninitialized(&params, n);
  for (size_t i = 0; i < n; i++) params.data[i] = wasm_valtype_new(kinds[i]);
  wasm_tagtype_t* ty = wasm_tagtype_new(&params);
  CHECK(ty != NULL);
  CHECK(params.size == 0); /* consumed */
  return ty;
}

static wasm_tag_t* host_tag; /* (param i32), imported by the module as host.tag */
static int thrown = 0;

/* host.throw: throws host.tag with the argument as payload. */
static wasm_trap_t* host_throw(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  const wasm_tag_t* tag = env;
  ++thrown;
  wasm_val_t payload[1] = {WASM_I32_VAL(args->data[0].of.i32)};
  wasm_val_vec_t payload_vec = WASM_ARRAY_VEC(payload);
  wasm_trap_t* trap = wasm_trap_new_exception(tag, &payload_vec);
  CHECK(trap != NULL);
  return trap;
}

/* host.pass: hands the exnref back (a new handle: results are owned). */
static wasm_trap_t* host_pass(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  CHECK(args->data[0].kind == WASM_EXNREF);
  results->data[0].kind = WASM_EXNREF;
  results->data[0].of.ref = args->data[0].of.ref ? wasm_ref_copy(args->data[0].of.ref) : NULL;
  return NULL;
}

/* host.rethrow: rethrows the exception it is given. */
static wasm_trap_t* host_rethrow(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  CHECK(args->data[0].kind == WASM_EXNREF && args->data[0].of.ref != NULL);
  wasm_trap_t* trap = wasm_trap_new_exnref(args->data[0].of.ref);
  CHECK(trap != NULL);
  return trap;
}

static wasm_extern_t* export_named(const wasm_module_t* module, const wasm_extern_vec_t* exports,
                                   const char* name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  CHECK(types.size == exports->size);
  wasm_extern_t* found = NULL;
  for (size_t i = 0; i < types.size; i++) {
    if (name_is(wasm_exporttype_name(types.data[i]), name)) found = exports->data[i];
  }
  wasm_exporttype_vec_delete(&types);
  CHECK(found != NULL);
  return found;
}

/* Calls `func`; returns its trap (owned) or NULL. */
static wasm_trap_t* call(const wasm_func_t* func, wasm_val_t* args, size_t nargs,
                         wasm_val_t* results, size_t nresults) {
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = {nresults, results};
  return wasm_func_call(func, &arg_vec, &result_vec);
}

/* Checks that `trap` is an uncaught exception of `tag` with the one i32
   payload `value`; frees the trap. */
static void expect_uncaught_i32(wasm_trap_t* trap, const wasm_tag_t* tag, int32_t value) {
  CHECK(trap != NULL);
  wasm_trap_code_t code = 0;
  CHECK(wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_UNCAUGHT_EXCEPTION);
  wasm_tag_t* got = NULL;
  wasm_val_vec_t payload;
  CHECK(wasm_trap_exception(trap, &got, &payload));
  CHECK(wasm_tag_same(got, tag));
  CHECK(payload.size == 1 && payload.data[0].kind == WASM_I32 && payload.data[0].of.i32 == value);
  wasm_val_vec_delete(&payload);
  wasm_tag_delete(got);
  wasm_trap_delete(trap);
}

static void reflection(wasm_store_t* store, const wasm_module_t* module) {
  /* A tag type made by the host. */
  wasm_valkind_t want[2] = {WASM_I32, WASM_F64};
  wasm_tagtype_t* ty = tagtype_of(want, 2);
  wasm_valkind_t kinds[4];
  size_t n = 0;
  param_kinds(ty, kinds, &n);
  CHECK(n == 2 && kinds[0] == WASM_I32 && kinds[1] == WASM_F64);
  wasm_externtype_t* ext = wasm_tagtype_as_externtype(ty);
  CHECK(wasm_externtype_kind(ext) == WASM_EXTERN_TAG);
  CHECK(wasm_externtype_as_tagtype(ext) == ty);
  CHECK(wasm_externtype_as_tagtype_const(wasm_tagtype_as_externtype_const(ty)) == ty);
  CHECK(wasm_externtype_as_functype(ext) == NULL && wasm_externtype_as_globaltype(ext) == NULL);
  wasm_tagtype_t* copy = wasm_tagtype_copy(ty);
  param_kinds(copy, kinds, &n);
  CHECK(n == 2 && kinds[1] == WASM_F64);
  wasm_externtype_delete(wasm_tagtype_as_externtype(copy)); /* freed through either name */
  /* An empty payload. */
  wasm_valtype_vec_t none = WASM_EMPTY_VEC;
  wasm_tagtype_t* empty = wasm_tagtype_new(&none);
  CHECK(empty && wasm_tagtype_params(empty)->size == 0);
  wasm_tagtype_delete(empty);

  /* A tag of that type: its type, extern and reference views. */
  wasm_tag_t* tag = wasm_tag_new(store, ty);
  wasm_tagtype_delete(ty);
  CHECK(tag != NULL);
  wasm_tagtype_t* tag_ty = wasm_tag_type(tag);
  param_kinds(tag_ty, kinds, &n);
  CHECK(n == 2 && kinds[0] == WASM_I32 && kinds[1] == WASM_F64);
  wasm_tagtype_delete(tag_ty);
  wasm_extern_t* as_ext = wasm_tag_as_extern(tag);
  CHECK(wasm_extern_kind(as_ext) == WASM_EXTERN_TAG);
  CHECK(wasm_extern_as_tag(as_ext) == tag && wasm_extern_as_func(as_ext) == NULL);
  CHECK(wasm_extern_as_tag_const(wasm_tag_as_extern_const(tag)) == tag);
  wasm_externtype_t* ext_ty = wasm_extern_type(as_ext);
  CHECK(wasm_externtype_kind(ext_ty) == WASM_EXTERN_TAG);
  CHECK(wasm_tagtype_params(wasm_externtype_as_tagtype_const(ext_ty))->size == 2);
  wasm_externtype_delete(ext_ty);
  CHECK(wasm_ref_as_tag(wasm_tag_as_ref(tag)) == tag);
  CHECK(wasm_ref_as_tag_const(wasm_tag_as_ref_const(tag)) == tag);
  CHECK(wasm_ref_as_func(wasm_tag_as_ref(tag)) == NULL);
  wasm_tag_t* tag2 = wasm_tag_copy(tag);
  CHECK(wasm_tag_same(tag, tag2));
  wasm_tag_set_host_info(tag, (void*)"tag info");
  CHECK(strcmp((const char*)wasm_tag_get_host_info(tag2), "tag info") == 0);
  wasm_tag_delete(tag2);
  wasm_tagtype_t* same_ty = wasm_tag_type(tag);
  wasm_tag_t* other = wasm_tag_new(store, same_ty);
  wasm_tagtype_delete(same_ty);
  CHECK(!wasm_tag_same(tag, other)); /* same type, distinct tags */
  wasm_tag_delete(other);
  wasm_tag_delete(tag);

  /* The module's imports and exports. */
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 4);
  const wasm_externtype_t* import_ty = wasm_importtype_type(imports.data[0]);
  CHECK(name_is(wasm_importtype_name(imports.data[0]), "tag"));
  CHECK(wasm_externtype_kind(import_ty) == WASM_EXTERN_TAG);
  param_kinds(wasm_externtype_as_tagtype_const(import_ty), kinds, &n);
  CHECK(n == 1 && kinds[0] == WASM_I32);
  CHECK(wasm_externtype_kind(wasm_importtype_type(imports.data[1])) == WASM_EXTERN_FUNC);
  /* host.pass: (param exnref) (result exnref). */
  const wasm_functype_t* pass_ty =
      wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[2]));
  const wasm_valtype_t* exn = wasm_functype_params(pass_ty)->data[0];
  CHECK(wasm_valtype_kind(exn) == WASM_EXNREF);
  CHECK(wasm_valtype_heap_kind(exn) == WASM_HEAP_EXN && wasm_valtype_is_nullable(exn));
  CHECK(wasm_valkind_is_ref(wasm_valtype_kind(exn)));
  CHECK(wasm_valtype_kind(wasm_functype_results(pass_ty)->data[0]) == WASM_EXNREF);
  wasm_importtype_vec_delete(&imports);

  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  int tags = 0;
  for (size_t i = 0; i < exports.size; i++) {
    const wasm_externtype_t* t = wasm_exporttype_type(exports.data[i]);
    if (name_is(wasm_exporttype_name(exports.data[i]), "pair")) {
      CHECK(wasm_externtype_kind(t) == WASM_EXTERN_TAG);
      param_kinds(wasm_externtype_as_tagtype_const(t), kinds, &n);
      CHECK(n == 2 && kinds[0] == WASM_I32 && kinds[1] == WASM_F64);
      ++tags;
    } else if (name_is(wasm_exporttype_name(exports.data[i]), "t")) {
      CHECK(wasm_externtype_kind(t) == WASM_EXTERN_TAG);
      param_kinds(wasm_externtype_as_tagtype_const(t), kinds, &n);
      CHECK(n == 1 && kinds[0] == WASM_I32);
      ++tags;
    } else {
      CHECK(wasm_externtype_kind(t) == WASM_EXTERN_FUNC);
    }
  }
  CHECK(tags == 2);
  wasm_exporttype_vec_delete(&exports);

  /* Reference types of the exn hierarchy made by the host. */
  wasm_valtype_t* exnref = wasm_valtype_new(WASM_EXNREF);
  CHECK(wasm_valtype_kind(exnref) == WASM_EXNREF && wasm_valtype_heap_kind(exnref) == WASM_HEAP_EXN);
  wasm_valtype_delete(exnref);
  wasm_valtype_t* ref_exn = wasm_valtype_new_ref(false, WASM_HEAP_EXN);
  CHECK(wasm_valtype_kind(ref_exn) == WASM_TYPEDREF && !wasm_valtype_is_nullable(ref_exn));
  CHECK(wasm_valtype_heap_kind(ref_exn) == WASM_HEAP_EXN);
  wasm_valtype_delete(ref_exn);
  wasm_valtype_t* noexn = wasm_valtype_new_ref(true, WASM_HEAP_NOEXN);
  CHECK(wasm_valtype_kind(noexn) == WASM_TYPEDREF && wasm_valtype_heap_kind(noexn) == WASM_HEAP_NOEXN);
  wasm_valtype_delete(noexn);

  /* Typed exception references in a module (function references on). */
  wasm_config_t* config = wasm_config_new();
  wasm_config_wasm_function_references_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* typed_store = wasm_store_new(engine);
  wasm_module_t* typed = compile(typed_store, TYPED_WAT);
  wasm_exporttype_vec_t typed_exports;
  wasm_module_exports(typed, &typed_exports);
  const wasm_valtype_vec_t* params =
      wasm_functype_params(wasm_externtype_as_functype_const(wasm_exporttype_type(typed_exports.data[0])));
  CHECK(params->size == 3);
  CHECK(wasm_valtype_kind(params->data[0]) == WASM_TYPEDREF);
  CHECK(wasm_valtype_heap_kind(params->data[0]) == WASM_HEAP_EXN);
  CHECK(!wasm_valtype_is_nullable(params->data[0]));
  CHECK(wasm_valtype_kind(params->data[1]) == WASM_TYPEDREF);
  CHECK(wasm_valtype_heap_kind(params->data[1]) == WASM_HEAP_NOEXN);
  CHECK(wasm_valtype_is_nullable(params->data[1]));
  CHECK(wasm_valtype_kind(params->data[2]) == WASM_EXNREF);
  CHECK(wasm_valtype_functype(params->data[0]) == NULL);
  wasm_exporttype_vec_delete(&typed_exports);
  wasm_module_delete(typed);
  wasm_store_delete(typed_store);
  wasm_engine_delete(engine);

  printf("reflection: tag types, tags, imports, exports and exnref types ok\n");
}

static void null_arguments(wasm_store_t* store) {
  CHECK(wasm_tagtype_new(NULL) == NULL);
  wasm_valtype_vec_t holey;
  wasm_valtype_vec_new_uninitialized(&holey, 1);
  holey.data[0] = NULL;
  CHECK(wasm_tagtype_new(&holey) == NULL);
  CHECK(holey.size == 0); /* consumed anyway */
  CHECK(wasm_tagtype_copy(NULL) == NULL);
  wasm_tagtype_delete(NULL);
  CHECK(wasm_tagtype_params(NULL) == NULL);
  CHECK(wasm_tagtype_as_externtype(NULL) == NULL);
  CHECK(wasm_tagtype_as_externtype_const(NULL) == NULL);
  CHECK(wasm_externtype_as_tagtype(NULL) == NULL);
  CHECK(wasm_externtype_as_tagtype_const(NULL) == NULL);
  wasm_tagtype_t* ty = wasm_tag_type(host_tag);
  CHECK(wasm_tag_new(NULL, ty) == NULL);
  CHECK(wasm_tag_new(store, NULL) == NULL);
  wasm_tagtype_delete(ty);
  CHECK(wasm_tag_type(NULL) == NULL);
  wasm_tag_delete(NULL);
  CHECK(wasm_tag_copy(NULL) == NULL);
  CHECK(!wasm_tag_same(NULL, host_tag) && !wasm_tag_same(host_tag, NULL));
  CHECK(wasm_tag_get_host_info(NULL) == NULL);
  wasm_tag_set_host_info(NULL, NULL);
  wasm_tag_set_host_info_with_finalizer(NULL, NULL, NULL);
  CHECK(wasm_tag_as_extern(NULL) == NULL && wasm_tag_as_extern_const(NULL) == NULL);
  CHECK(wasm_extern_as_tag(NULL) == NULL && wasm_extern_as_tag_const(NULL) == NULL);
  CHECK(wasm_tag_as_ref(NULL) == NULL && wasm_tag_as_ref_const(NULL) == NULL);
  CHECK(wasm_ref_as_tag(NULL) == NULL && wasm_ref_as_tag_const(NULL) == NULL);

  wasm_val_vec_t empty = WASM_EMPTY_VEC;
  CHECK(wasm_trap_new_exception(NULL, &empty) == NULL);
  CHECK(wasm_trap_new_exception(host_tag, NULL) == NULL);
  wasm_trap_t* out = NULL;
  print_error("null tag", wasm_trap_new_exception_checked(NULL, &empty, &out));
  print_error("null payload", wasm_trap_new_exception_checked(host_tag, NULL, &out));
  print_error("null out", wasm_trap_new_exception_checked(host_tag, &empty, NULL));
  CHECK(out == NULL);
  CHECK(wasm_exnref_new(NULL, &empty) == NULL && wasm_exnref_new(host_tag, NULL) == NULL);
  CHECK(wasm_trap_new_exnref(NULL) == NULL);

  /* wasm_trap_exception and wasm_ref_exception write nothing on refusal. */
  wasm_tag_t* tag_out = (wasm_tag_t*)&out; /* a marker that must stay */
  wasm_val_vec_t payload_out = {7, NULL};
  CHECK(!wasm_trap_exception(NULL, &tag_out, &payload_out));
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "not an exception");
  wasm_trap_t* plain = wasm_trap_new(store, &message);
  wasm_byte_vec_delete(&message);
  CHECK(!wasm_trap_exception(plain, &tag_out, &payload_out));
  CHECK(!wasm_trap_exception(plain, NULL, &payload_out));
  CHECK(!wasm_trap_exception(plain, &tag_out, NULL));
  CHECK(!wasm_ref_exception(NULL, &tag_out, &payload_out));
  CHECK(!wasm_ref_exception(wasm_trap_as_ref(plain), &tag_out, &payload_out));
  CHECK(wasm_trap_new_exnref(wasm_trap_as_ref(plain)) == NULL);
  CHECK(tag_out == (wasm_tag_t*)&out && payload_out.size == 7 && payload_out.data == NULL);
  wasm_trap_delete(plain);
  /* A code alone makes no exception. */
  CHECK(wasm_trap_new_code(store, WASM_TRAP_CODE_UNCAUGHT_EXCEPTION) == NULL);
  printf("null arguments: refused, nothing written\n");
}

static void payload_mismatch(wasm_store_t* store, const wasm_tag_t* pair) {
  /* host.tag takes one i32. */
  wasm_val_t two[2] = {WASM_I32_VAL(1), WASM_I32_VAL(2)};
  wasm_val_vec_t two_vec = WASM_ARRAY_VEC(two);
  CHECK(wasm_trap_new_exception(host_tag, &two_vec) == NULL);
  CHECK(wasm_exnref_new(host_tag, &two_vec) == NULL);
  wasm_trap_t* out = NULL;
  print_error("too many payload values",
              wasm_trap_new_exception_checked(host_tag, &two_vec, &out));
  wasm_val_t wrong[1] = {WASM_F32_VAL(1.5f)};
  wasm_val_vec_t wrong_vec = WASM_ARRAY_VEC(wrong);
  CHECK(wasm_trap_new_exception(host_tag, &wrong_vec) == NULL);
  print_error("payload of the wrong type",
              wasm_trap_new_exception_checked(host_tag, &wrong_vec, &out));
  /* pair takes i32 f64: swapped and short payloads are refused. */
  wasm_val_t swapped[2] = {WASM_F64_VAL(2.5), WASM_I32_VAL(1)};
  wasm_val_vec_t swapped_vec = WASM_ARRAY_VEC(swapped);
  CHECK(wasm_trap_new_exception(pair, &swapped_vec) == NULL);
  wasm_val_vec_t short_vec = {1, swapped + 1};
  CHECK(wasm_trap_new_exception(pair, &short_vec) == NULL);
  /* A bad value kind byte. */
  wasm_val_t garbage[1] = {WASM_I32_VAL(0)};
  garbage[0].kind = 77;
  wasm_val_vec_t garbage_vec = WASM_ARRAY_VEC(garbage);
  print_error("bad value kind", wasm_trap_new_exception_checked(host_tag, &garbage_vec, &out));
  CHECK(out == NULL);
  /* The right payload works, through the checked form too. */
  wasm_val_t ok[1] = {WASM_I32_VAL(3)};
  wasm_val_vec_t ok_vec = WASM_ARRAY_VEC(ok);
  CHECK(wasm_trap_new_exception_checked(host_tag, &ok_vec, &out) == NULL && out != NULL);
  expect_uncaught_i32(out, host_tag, 3);
  (void)store;
  printf("payload mismatch: refused\n");
}

static void wrong_tag_imports(wasm_store_t* store, const wasm_module_t* module,
                              wasm_extern_t* const* good) {
  /* A tag of type (param i64) where (param i32) is imported. */
  wasm_valkind_t i64[1] = {WASM_I64};
  wasm_tagtype_t* ty = tagtype_of(i64, 1);
  wasm_tag_t* wrong = wasm_tag_new(store, ty);
  wasm_tagtype_delete(ty);
  wasm_extern_t* imports[4] = {wasm_tag_as_extern(wrong), good[1], good[2], good[3]};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  print_error("tag of the wrong type",
              wasm_instance_new_checked(store, module, &import_vec, &instance, &trap));
  CHECK(instance == NULL && trap == NULL);
  CHECK(wasm_instance_new(store, module, &import_vec, &trap) == NULL);
  wasm_trap_delete(trap);
  trap = NULL;
  /* A function where a tag is imported, and a tag where a function is. */
  imports[0] = good[1];
  print_error("function for a tag",
              wasm_instance_new_checked(store, module, &import_vec, &instance, &trap));
  imports[0] = good[0];
  imports[1] = wasm_tag_as_extern(wrong);
  print_error("tag for a function",
              wasm_instance_new_checked(store, module, &import_vec, &instance, &trap));
  CHECK(instance == NULL && trap == NULL);
  wasm_tag_delete(wrong);
  printf("wrong tag imports: refused\n");
}

/* Tags and exceptions of one store are refused by another. */
static void other_store(wasm_engine_t* engine, const wasm_module_t* module,
                        wasm_extern_t* const* imports, wasm_ref_t* exn) {
  wasm_store_t* other = wasm_store_new(engine);
  wasm_extern_vec_t import_vec = {4, (wasm_extern_t**)imports};
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  print_error("imports of another store",
              wasm_instance_new_checked(other, module, &import_vec, &instance, &trap));
  CHECK(instance == NULL && trap == NULL);
  /* An exnref of the first store into a function of the other. */
  wasm_functype_t* ty =
      wasm_functype_new_1_1(wasm_valtype_new(WASM_EXNREF), wasm_valtype_new(WASM_EXNREF));
  wasm_func_t* pass = wasm_func_new(other, ty, host_pass);
  wasm_functype_delete(ty);
  wasm_val_t arg[1];
  arg[0].kind = WASM_EXNREF;
  arg[0].of.ref = exn;
  wasm_val_t result[1] = {WASM_INIT_VAL};
  trap = call(pass, arg, 1, result, 1);
  CHECK(trap != NULL);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("exnref of another store: %s\n", message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
  /* A funcref payload of another store. */
  wasm_valtype_vec_t params;
  wasm_valtype_t* funcref = wasm_valtype_new_funcref();
  wasm_valtype_vec_new(&params, 1, &funcref);
  wasm_tagtype_t* tag_ty = wasm_tagtype_new(&params);
  wasm_tag_t* tag = wasm_tag_new(other, tag_ty);
  wasm_tagtype_delete(tag_ty);
  wasm_val_t payload[1];
  payload[0].kind = WASM_FUNCREF;
  payload[0].of.ref = wasm_func_as_ref(wasm_extern_as_func(imports[1]));
  wasm_val_vec_t payload_vec = WASM_ARRAY_VEC(payload);
  wasm_trap_t* out = NULL;
  print_error("funcref payload of another store",
              wasm_trap_new_exception_checked(tag, &payload_vec, &out));
  CHECK(out == NULL);
  payload[0].of.ref = wasm_func_as_ref(pass);
  CHECK(wasm_trap_new_exception_checked(tag, &payload_vec, &out) == NULL);
  wasm_tag_t* got = NULL;
  wasm_val_vec_t got_payload;
  CHECK(wasm_trap_exception(out, &got, &got_payload));
  CHECK(wasm_tag_same(got, tag) && got_payload.size == 1 && got_payload.data[0].kind == WASM_FUNCREF);
  CHECK(wasm_ref_same(got_payload.data[0].of.ref, wasm_func_as_ref(pass)));
  wasm_val_vec_delete(&got_payload);
  wasm_tag_delete(got);
  wasm_trap_delete(out);
  wasm_tag_delete(tag);
  wasm_func_delete(pass);
  wasm_store_delete(other);
  printf("other store: refused\n");
}

/* An externref payload comes back as the same host object. */
static void externref_payload(wasm_store_t* store) {
  wasm_valtype_vec_t params;
  wasm_valtype_t* externref = wasm_valtype_new_externref();
  wasm_valtype_vec_new(&params, 1, &externref);
  wasm_tagtype_t* ty = wasm_tagtype_new(&params);
  wasm_tag_t* tag = wasm_tag_new(store, ty);
  wasm_tagtype_delete(ty);
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_val_t payload[1];
  payload[0].kind = WASM_EXTERNREF;
  payload[0].of.ref = wasm_foreign_as_ref(foreign);
  wasm_val_vec_t payload_vec = WASM_ARRAY_VEC(payload);
  wasm_trap_t* trap = wasm_trap_new_exception(tag, &payload_vec);
  CHECK(trap != NULL);
  wasm_tag_t* got = NULL;
  wasm_val_vec_t got_payload;
  CHECK(wasm_trap_exception(trap, &got, &got_payload));
  CHECK(got_payload.size == 1 && got_payload.data[0].kind == WASM_EXTERNREF);
  CHECK(wasm_ref_same(got_payload.data[0].of.ref, wasm_foreign_as_ref(foreign)));
  wasm_val_vec_delete(&got_payload);
  wasm_tag_delete(got);
  wasm_trap_delete(trap);
  wasm_foreign_delete(foreign);
  wasm_tag_delete(tag);
  printf("externref payload: the same host object\n");
}

/* The linker takes tags as definitions like any extern. */
static void linker(wasm_engine_t* engine, wasm_store_t* store, const wasm_module_t* module,
                   wasm_extern_t* const* imports) {
  static const char* const names[4] = {"tag", "throw", "pass", "rethrow"};
  wasm_linker_t* l = wasm_linker_new(engine);
  for (size_t i = 0; i < 4; i++) {
    CHECK(wasm_linker_define(l, store, "host", 4, names[i], strlen(names[i]), imports[i]) == NULL);
  }
  wasm_extern_t* defined = wasm_linker_get(l, store, "host", 4, "tag", 3);
  CHECK(defined != NULL && wasm_extern_kind(defined) == WASM_EXTERN_TAG);
  CHECK(wasm_tag_same(wasm_extern_as_tag(defined), host_tag));
  wasm_extern_delete(defined);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  CHECK(wasm_linker_instantiate(l, store, module, &instance, &trap) == NULL && instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t arg[1] = {WASM_I32_VAL(11)};
  trap = call(wasm_extern_as_func(export_named(module, &exports, "throw_t")), arg, 1, NULL, 0);
  expect_uncaught_i32(trap, host_tag, 11);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_linker_delete(l);
  printf("linker: tag defined, instantiated, thrown\n");
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, WAT);

  wasm_valkind_t i32[1] = {WASM_I32};
  wasm_tagtype_t* tag_ty = tagtype_of(i32, 1);
  host_tag = wasm_tag_new(store, tag_ty);
  wasm_tagtype_delete(tag_ty);

  wasm_functype_t* throw_ty = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* throw_fn = wasm_func_new_with_env(store, throw_ty, host_throw, host_tag, NULL);
  wasm_functype_delete(throw_ty);
  wasm_functype_t* pass_ty =
      wasm_functype_new_1_1(wasm_valtype_new(WASM_EXNREF), wasm_valtype_new(WASM_EXNREF));
  wasm_func_t* pass_fn = wasm_func_new(store, pass_ty, host_pass);
  wasm_functype_delete(pass_ty);
  wasm_functype_t* rethrow_ty = wasm_functype_new_1_0(wasm_valtype_new(WASM_EXNREF));
  wasm_func_t* rethrow_fn = wasm_func_new(store, rethrow_ty, host_rethrow);
  wasm_functype_delete(rethrow_ty);

  reflection(store, module);
  null_arguments(store);

  wasm_extern_t* imports[4] = {wasm_tag_as_extern(host_tag), wasm_func_as_extern(throw_fn),
                               wasm_func_as_extern(pass_fn), wasm_func_as_extern(rethrow_fn)};
  wrong_tag_imports(store, module, imports);

  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* start_trap = NULL;
  wasm_error_t* error = wasm_instance_new_checked(store, module, &import_vec, &instance, &start_trap);
  if (error) print_error("FAILED: instantiate", error);
  CHECK(error == NULL && instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  /* Exported tags: the re-exported import is the host's tag. */
  wasm_tag_t* t = wasm_extern_as_tag(export_named(module, &exports, "t"));
  wasm_tag_t* pair = wasm_extern_as_tag(export_named(module, &exports, "pair"));
  CHECK(t != NULL && pair != NULL);
  CHECK(wasm_tag_same(t, host_tag) && !wasm_tag_same(pair, host_tag));
  CHECK(wasm_tag_get_host_info(host_tag) == NULL);
  wasm_tag_set_host_info(host_tag, (void*)"host tag");
  CHECK(strcmp((const char*)wasm_tag_get_host_info(t), "host tag") == 0);
  CHECK(wasm_extern_kind(export_named(module, &exports, "pair")) == WASM_EXTERN_TAG);
  printf("exports: t is the host's tag, pair is the module's\n");

  payload_mismatch(store, pair);

  /* An uncaught exception reaches the host with its tag and payload. */
  wasm_val_t arg[2] = {WASM_I32_VAL(42), WASM_F64_VAL(2.5)};
  wasm_val_t result[1] = {WASM_INIT_VAL};
  wasm_trap_t* trap = call(wasm_extern_as_func(export_named(module, &exports, "throw_t")), arg, 1,
                           NULL, 0);
  CHECK(trap != NULL);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("uncaught: %.*s\n", (int)strcspn(message.data, "\n"), message.data);
  wasm_byte_vec_delete(&message);
  expect_uncaught_i32(trap, host_tag, 42);
  trap = call(wasm_extern_as_func(export_named(module, &exports, "throw_pair")), arg, 2, NULL, 0);
  CHECK(trap != NULL);
  wasm_tag_t* got = NULL;
  wasm_val_vec_t payload;
  CHECK(wasm_trap_exception(trap, &got, &payload));
  CHECK(wasm_tag_same(got, pair) && !wasm_tag_same(got, host_tag));
  CHECK(payload.size == 2 && payload.data[0].kind == WASM_I32 && payload.data[0].of.i32 == 42);
  CHECK(payload.data[1].kind == WASM_F64 && payload.data[1].of.f64 == 2.5);
  wasm_val_vec_delete(&payload);
  wasm_tag_delete(got);
  wasm_trap_delete(trap);
  printf("uncaught: code UNCAUGHT_EXCEPTION, tag and payload (42, 2.5) read\n");

  /* A host function throws; try_table in wasm catches it. */
  arg[0] = (wasm_val_t)WASM_I32_VAL(7);
  trap = call(wasm_extern_as_func(export_named(module, &exports, "call_host_caught")), arg, 1,
              result, 1);
  CHECK(trap == NULL && thrown == 1);
  CHECK(result[0].kind == WASM_I32 && result[0].of.i32 == 8);
  printf("host throw caught by wasm: %d\n", result[0].of.i32);

  /* A host function throws and nothing catches: the host's exception. */
  arg[0] = (wasm_val_t)WASM_I32_VAL(9);
  trap = call(wasm_extern_as_func(export_named(module, &exports, "call_host_uncaught")), arg, 1,
              NULL, 0);
  CHECK(thrown == 2);
  expect_uncaught_i32(trap, host_tag, 9);
  printf("host throw uncaught: payload 9 back at the host\n");

  /* exnref values: caught by wasm, out to the host, back in. */
  wasm_func_t* catch_exn = wasm_extern_as_func(export_named(module, &exports, "catch_exn"));
  arg[0] = (wasm_val_t)WASM_I32_VAL(5);
  CHECK(call(catch_exn, arg, 1, result, 1) == NULL);
  CHECK(result[0].kind == WASM_EXNREF && result[0].of.ref != NULL);
  wasm_ref_t* exn = result[0].of.ref;
  CHECK(wasm_ref_exception(exn, &got, &payload));
  CHECK(wasm_tag_same(got, host_tag) && payload.size == 1 && payload.data[0].of.i32 == 5);
  wasm_val_vec_delete(&payload);
  wasm_tag_delete(got);
  CHECK(wasm_ref_as_tag(exn) == NULL && wasm_ref_as_func(exn) == NULL);

  wasm_val_t exn_arg[1];
  exn_arg[0].kind = WASM_EXNREF;
  exn_arg[0].of.ref = exn;
  wasm_val_t exn_result[1] = {WASM_INIT_VAL};
  CHECK(call(wasm_extern_as_func(export_named(module, &exports, "identity")), exn_arg, 1,
             exn_result, 1) == NULL);
  CHECK(exn_result[0].kind == WASM_EXNREF && wasm_ref_same(exn_result[0].of.ref, exn));
  wasm_val_delete(&exn_result[0]);
  CHECK(call(wasm_extern_as_func(export_named(module, &exports, "via_host")), exn_arg, 1,
             exn_result, 1) == NULL);
  CHECK(exn_result[0].kind == WASM_EXNREF && wasm_ref_same(exn_result[0].of.ref, exn));
  wasm_val_delete(&exn_result[0]);
  CHECK(call(wasm_extern_as_func(export_named(module, &exports, "unpack")), exn_arg, 1, result,
             1) == NULL);
  CHECK(result[0].kind == WASM_I32 && result[0].of.i32 == 5);
  CHECK(call(wasm_extern_as_func(export_named(module, &exports, "host_rethrow")), exn_arg, 1,
             result, 1) == NULL);
  CHECK(result[0].of.i32 == 5);
  trap = call(wasm_extern_as_func(export_named(module, &exports, "throw_ref")), exn_arg, 1, NULL,
              0);
  expect_uncaught_i32(trap, host_tag, 5);
  printf("exnref: out of wasm, identity kept through wasm and the host, rethrown\n");
  other_store(engine, module, imports, exn);
  externref_payload(store);
  linker(engine, store, module, imports);

  /* A host-made exnref, the null exnref, and values that are not exnrefs. */
  wasm_val_t six[1] = {WASM_I32_VAL(6)};
  wasm_val_vec_t six_vec = WASM_ARRAY_VEC(six);
  wasm_ref_t* made = wasm_exnref_new(host_tag, &six_vec);
  CHECK(made != NULL);
  exn_arg[0].of.ref = made;
  CHECK(call(wasm_extern_as_func(export_named(module, &exports, "unpack")), exn_arg, 1, result,
             1) == NULL);
  CHECK(result[0].of.i32 == 6);
  wasm_ref_delete(made);
  wasm_func_t* is_null = wasm_extern_as_func(export_named(module, &exports, "is_null"));
  exn_arg[0].of.ref = NULL;
  CHECK(call(is_null, exn_arg, 1, result, 1) == NULL && result[0].of.i32 == 1);
  exn_arg[0].of.ref = exn;
  CHECK(call(is_null, exn_arg, 1, result, 1) == NULL && result[0].of.i32 == 0);
  exn_arg[0].of.ref = wasm_tag_as_ref(host_tag); /* not an exception */
  trap = call(is_null, exn_arg, 1, result, 1);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);
  exn_arg[0].kind = WASM_EXTERNREF; /* the wrong kind */
  exn_arg[0].of.ref = exn;
  trap = call(is_null, exn_arg, 1, result, 1);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);
  wasm_ref_delete(exn);
  printf("exnref: host-made, null, and refused non-exceptions\n");

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(throw_fn);
  wasm_func_delete(pass_fn);
  wasm_func_delete(rethrow_fn);
  wasm_tag_delete(host_tag);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("ok\n");
  return 0;
}
