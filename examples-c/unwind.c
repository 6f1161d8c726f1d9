/* native_unwind_info: a host function called by wasm calls backtrace()
 * (glibc's <execinfo.h>, which walks the stack with the system unwinder).
 * With unwind info on (the default) the walk goes through the wasm frames
 * and reaches the host frames below them (main's caller, here); with it off
 * the runtime registers nothing and the walk stops in wasm.
 *
 * Uses only the installed headers. Exits non-zero if anything behaves
 * unexpectedly. */
#include <execinfo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"probe\" (func $probe))\n"
    "  (func $inner (call $probe))\n"
    "  (func (export \"run\") (call $inner)))\n";

#define MAX_FRAMES 128

/* What the probe saw. */
typedef struct {
  void* frames[MAX_FRAMES];
  int count;
} stack_t_;

static void fail(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  fprintf(stderr, "%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  exit(1);
}

static wasm_trap_t* probe(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  stack_t_* seen = (stack_t_*)env;
  seen->count = backtrace(seen->frames, MAX_FRAMES);
  return NULL;
}

/* Runs the module on an engine with unwind info on or off; returns whether
   backtrace() inside the host function found the frames below this
   function (those of its callers, taken here first). */
static __attribute__((noinline)) bool run(bool unwind_info) {
  stack_t_ below;
  below.count = backtrace(below.frames, MAX_FRAMES);

  wasm_config_t* config = wasm_config_new();
  wasm_config_native_unwind_info_set(config, unwind_info);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  if (!engine || !store) exit(1);
  wasm_byte_vec_t binary;
  wasm_error_t* error = wasm_wat2wasm(WAT, strlen(WAT), &binary);
  if (error) fail("wat2wasm", error);
  wasm_module_t* module = NULL;
  error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  if (error) fail("compile", error);

  stack_t_ inside = {{0}, 0};
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, probe, &inside, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* imports[1] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  if (!instance) exit(1);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  if (wasm_func_call(wasm_extern_as_func(exports.data[0]), &none, &no_results)) exit(1);

  /* The frames below this function (all but the first) end both stacks. */
  int tail = below.count - 1;
  bool reached = tail > 0 && inside.count >= tail &&
                 memcmp(inside.frames + inside.count - tail, below.frames + 1,
                        (size_t)tail * sizeof(void*)) == 0;

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(host);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return reached;
}

int main(void) {
  bool on = run(true);
  bool off = run(false);
  printf("unwind info on: backtrace() from the host reaches the frames below wasm: %s\n",
         on ? "yes" : "no");
  printf("unwind info off: backtrace() from the host reaches the frames below wasm: %s\n",
         off ? "yes" : "no");
  return on && !off ? 0 : 1;
}
