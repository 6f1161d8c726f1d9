/* Exceptions (the exception-handling proposal) across the host boundary.
 *
 * The host defines a tag, `(tag (param i32))`, and gives it to the module
 * as an import. Then:
 *   1. wasm throws it with payload 42 and nothing in wasm catches it: the
 *      call returns a trap with code WASM_TRAP_CODE_UNCAUGHT_EXCEPTION, and
 *      wasm_trap_exception hands the host the tag (the host's own tag,
 *      wasm_tag_same says) and the payload;
 *   2. wasm calls a host function that throws the tag with payload 7
 *      (returning the trap wasm_trap_new_exception makes); a try_table in
 *      the calling wasm function catches it and returns the payload + 1.
 *
 * Uses only the installed headers: wasm.h, plus the tag and exception
 * extensions and wasm_wat2wasm from wasm-runtime.h. Exits non-zero if
 * anything behaves unexpectedly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"error\" (tag $error (param i32)))\n"
    "  (import \"host\" \"fail\" (func $fail (param i32)))\n"
    "  ;; Throws $error and leaves catching it to the host.\n"
    "  (func (export \"throw\") (param i32)\n"
    "    (throw $error (local.get 0)))\n"
    "  ;; Calls the host, which throws; catches $error and returns its\n"
    "  ;; payload + 1 (or -1 if the host did not throw).\n"
    "  (func (export \"call_host\") (param i32) (result i32)\n"
    "    (block $caught (result i32)\n"
    "      (try_table (catch $error $caught)\n"
    "        (call $fail (local.get 0)))\n"
    "      (return (i32.const -1)))\n"
    "    (i32.add (i32.const 1))))\n";

static void fail(const char* what) {
  printf("unexpected: %s\n", what);
  exit(1);
}

/* host.fail: throws the tag (its environment) with the argument as payload. */
static wasm_trap_t* host_fail(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  const wasm_tag_t* tag = env;
  printf("host: throwing the tag with payload %d\n", args->data[0].of.i32);
  wasm_val_t payload[1] = {WASM_I32_VAL(args->data[0].of.i32)};
  wasm_val_vec_t payload_vec = WASM_ARRAY_VEC(payload);
  wasm_trap_t* exception = NULL;
  wasm_error_t* error = wasm_trap_new_exception_checked(tag, &payload_vec, &exception);
  if (error) fail("the payload does not fit the tag");
  return exception;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) fail("wat2wasm");
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) fail("compiling the module");

  /* The tag: a payload of one i32. */
  wasm_valtype_vec_t params;
  wasm_valtype_t* i32 = wasm_valtype_new_i32();
  wasm_valtype_vec_new(&params, 1, &i32);
  wasm_tagtype_t* tag_type = wasm_tagtype_new(&params);
  wasm_tag_t* tag = wasm_tag_new(store, tag_type);
  wasm_tagtype_delete(tag_type);
  if (!tag) fail("creating the tag");

  wasm_functype_t* fail_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* fail_func = wasm_func_new_with_env(store, fail_type, host_fail, tag, NULL);
  wasm_functype_delete(fail_type);

  wasm_extern_t* imports[2] = {wasm_tag_as_extern(tag), wasm_func_as_extern(fail_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) fail("instantiating the module");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* throw_func = wasm_extern_as_func(exports.data[0]);
  wasm_func_t* call_host = wasm_extern_as_func(exports.data[1]);

  /* 1. wasm throws; the host catches. */
  wasm_val_t args[1] = {WASM_I32_VAL(42)};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(throw_func, &arg_vec, &no_results);
  if (!trap) fail("throw returned normally");
  wasm_trap_code_t code;
  if (!wasm_trap_code(trap, &code) || code != WASM_TRAP_CODE_UNCAUGHT_EXCEPTION)
    fail("not an uncaught exception");
  wasm_tag_t* thrown_tag = NULL;
  wasm_val_vec_t payload;
  if (!wasm_trap_exception(trap, &thrown_tag, &payload)) fail("no exception in the trap");
  printf("wasm threw: trap code UNCAUGHT_EXCEPTION\n");
  printf("  tag: %s\n", wasm_tag_same(thrown_tag, tag) ? "the host's tag" : "another tag");
  if (payload.size != 1 || payload.data[0].kind != WASM_I32) fail("payload shape");
  printf("  payload: %d\n", payload.data[0].of.i32);
  wasm_val_vec_delete(&payload);
  wasm_tag_delete(thrown_tag);
  wasm_trap_delete(trap);

  /* 2. The host throws; wasm catches. */
  args[0] = (wasm_val_t)WASM_I32_VAL(7);
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  trap = wasm_func_call(call_host, &arg_vec, &result_vec);
  if (trap) fail("call_host trapped");
  printf("wasm caught the host's exception and returned %d\n", results[0].of.i32);
  if (results[0].of.i32 != 8) fail("call_host's result");

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(fail_func);
  wasm_tag_delete(tag);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("done\n");
  return 0;
}
