/* Traps are values, not crashes: infinite recursion, an out-of-bounds
 * store and a host function's trap each come back from wasm_func_call as
 * a trap, and the same process then runs another module correctly. The
 * host function's trap carries the wasm frames below the host call (its
 * origin is the wasm function that called the import), unless
 * wasm_backtrace is off. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-runtime.h>

static wasm_module_t* compile(wasm_store_t* store, const char* text) {
  wasm_byte_vec_t binary;
  wasm_error_t* error = wasm_wat2wasm(text, strlen(text), &binary);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    fprintf(stderr, "wat2wasm: %.*s\n", (int)message.size, message.data);
    exit(1);
  }
  wasm_module_t* module = NULL;
  error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  if (error) {
    wasm_name_t message;
    wasm_error_message(error, &message);
    fprintf(stderr, "compile: %.*s\n", (int)message.size, message.data);
    exit(1);
  }
  return module;
}

static wasm_instance_t* instantiate(wasm_store_t* store, const char* text,
                                    wasm_extern_t* const* imports, size_t nimports) {
  wasm_module_t* module = compile(store, text);
  wasm_extern_vec_t import_vec = {nimports, (wasm_extern_t**)imports};
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  wasm_module_delete(module);
  if (!instance) {
    fprintf(stderr, "instantiation failed\n");
    exit(1);
  }
  return instance;
}

/* The first export, which every module here makes a function. */
static wasm_func_t* first_func(wasm_instance_t* instance, wasm_extern_vec_t* exports) {
  wasm_instance_exports(instance, exports);
  if (exports->size == 0) exit(1);
  return wasm_extern_as_func(exports->data[0]);
}

/* Calls `func` expecting a trap; prints its message. */
static int expect_trap(const char* what, wasm_func_t* func, wasm_val_t* args, size_t nargs,
                       size_t nresults) {
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t result_vec = {nresults, results};
  wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec);
  if (!trap) {
    printf("%s: no trap!\n", what);
    return 1;
  }
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("%s: trap: %s\n", what, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
  return 0;
}

/* Calls `func` expecting a trap; prints its message and its frames, and
 * whether the origin frame's instance is `caller`. */
static int expect_trap_with_frames(const char* what, wasm_func_t* func,
                                   const wasm_instance_t* caller) {
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(func, &none, &no_results);
  if (!trap) {
    printf("%s: no trap!\n", what);
    return 1;
  }
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("%s: trap: %s\n", what, message.data);
  wasm_byte_vec_delete(&message);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  printf("%s: %zu frames\n", what, frames.size);
  for (size_t i = 0; i < frames.size; i++) {
    printf("%s:   frame %zu: func %u, module offset %zu, function offset %zu\n", what, i,
           wasm_frame_func_index(frames.data[i]), wasm_frame_module_offset(frames.data[i]),
           wasm_frame_func_offset(frames.data[i]));
  }
  wasm_frame_vec_delete(&frames);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  if (origin) {
    printf("%s: origin: func %u, module offset %zu, %s instance\n", what,
           wasm_frame_func_index(origin), wasm_frame_module_offset(origin),
           wasm_instance_same(wasm_frame_instance(origin), caller) ? "the caller's"
                                                                   : "another");
    wasm_frame_delete(origin);
  } else {
    printf("%s: no origin\n", what);
  }
  wasm_trap_delete(trap);
  return 0;
}

static wasm_trap_t* host_fails(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "the host refused");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_byte_vec_delete(&message);
  return trap;
}

int main(void) {
  int failures = 0;
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  /* 1. Infinite recursion: a stack overflow trap. */
  wasm_instance_t* rec = instantiate(
      store, "(module (func $f (export \"f\") (param i32) (result i32)"
             "  local.get 0 i32.const 1 i32.add call $f))", NULL, 0);
  wasm_extern_vec_t rec_exports;
  wasm_val_t arg = WASM_I32_VAL(0);
  failures += expect_trap("recursion", first_func(rec, &rec_exports), &arg, 1, 1);

  /* 2. A store past the end of memory. */
  wasm_instance_t* oob = instantiate(
      store, "(module (func (export \"poke\") i32.const 65536 i32.const 1 i32.store)"
             "  (memory 1))", NULL, 0);
  wasm_extern_vec_t oob_exports;
  failures += expect_trap("out of bounds", first_func(oob, &oob_exports), NULL, 0, 0);

  /* 3. A host function returning a trap, called from wasm by $inner,
   * called by run: frames $inner (func 1) at its `call $fail` (module
   * offset 47), run (func 2) at its `call $inner` (52). */
  const char* calls_host_wat =
      "(module (import \"env\" \"fail\" (func $fail))"
      "  (func $inner call $fail)"
      "  (func (export \"run\") call $inner))";
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, host_fails, store, NULL);
  wasm_extern_t* host_import[1] = {wasm_func_as_extern(host)};
  wasm_instance_t* calls_host = instantiate(store, calls_host_wat, host_import, 1);
  wasm_extern_vec_t host_exports;
  failures += expect_trap_with_frames("host", first_func(calls_host, &host_exports), calls_host);

  /* 3b. The same without wasm_backtrace: the trap has no frames. */
  wasm_config_t* quiet_config = wasm_config_new();
  wasm_config_wasm_backtrace_set(quiet_config, false);
  wasm_engine_t* quiet_engine = wasm_engine_new_with_config(quiet_config);
  wasm_store_t* quiet_store = wasm_store_new(quiet_engine);
  wasm_func_t* quiet_host =
      wasm_func_new_with_env(quiet_store, type, host_fails, quiet_store, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* quiet_import[1] = {wasm_func_as_extern(quiet_host)};
  wasm_instance_t* quiet = instantiate(quiet_store, calls_host_wat, quiet_import, 1);
  wasm_extern_vec_t quiet_exports;
  failures += expect_trap_with_frames("host, no backtrace", first_func(quiet, &quiet_exports),
                                      quiet);
  wasm_extern_vec_delete(&quiet_exports);
  wasm_instance_delete(quiet);
  wasm_func_delete(quiet_host);
  wasm_store_delete(quiet_store);
  wasm_engine_delete(quiet_engine);

  /* 4. The process is fine: another module runs normally, in a new store. */
  wasm_store_t* store2 = wasm_store_new(engine);
  wasm_instance_t* fac = instantiate(
      store2, "(module (func $fac (export \"fac\") (param i64) (result i64)"
              "  local.get 0 i64.eqz if (result i64) i64.const 1 else"
              "  local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul end))",
      NULL, 0);
  wasm_extern_vec_t fac_exports;
  wasm_val_t fac_args[1] = {WASM_I64_VAL(20)};
  wasm_val_t fac_results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t fac_arg_vec = WASM_ARRAY_VEC(fac_args);
  wasm_val_vec_t fac_result_vec = WASM_ARRAY_VEC(fac_results);
  wasm_trap_t* trap = wasm_func_call(first_func(fac, &fac_exports), &fac_arg_vec, &fac_result_vec);
  if (trap || fac_results[0].kind != WASM_I64) {
    printf("fac: failed\n");
    failures++;
  } else {
    printf("fac(20) = %lld\n", (long long)fac_results[0].of.i64);
  }
  wasm_store_delete(store2);
  wasm_extern_vec_delete(&fac_exports);
  wasm_instance_delete(fac);

  wasm_extern_vec_delete(&rec_exports);
  wasm_extern_vec_delete(&oob_exports);
  wasm_extern_vec_delete(&host_exports);
  wasm_instance_delete(rec);
  wasm_instance_delete(oob);
  wasm_instance_delete(calls_host);
  wasm_func_delete(host);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf(failures ? "FAILED\n" : "ok\n");
  return failures ? 1 : 0;
}
