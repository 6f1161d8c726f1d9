/* A start function that traps: wasm_instance_new returns NULL and hands
 * the trap back through its out-parameter, with its message and the wasm
 * frames it went through (function index, offset in the function and in
 * the module), innermost first.
 *
 * Uses only the installed headers: wasm.h, plus wasm_wat2wasm from
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* The start function ($start, index 2) calls $helper (index 1) twice; the
   second time, $helper divides by zero. Function 0 is an import. The
   module offsets printed are those of the `i32.div_u` (0x39) and of the
   second `call $helper` (0x44) in the binary wasm_wat2wasm makes. */
static const char* const WAT =
    "(module\n"
    "  (import \"host\" \"note\" (func $note (param i32)))\n"
    "  (func $helper (param i32)\n"
    "    (call $note (local.get 0))\n"
    "    (drop (i32.div_u (i32.const 12) (i32.sub (i32.const 3) (local.get 0)))))\n"
    "  (func $start\n"
    "    (call $helper (i32.const 1))\n"
    "    (call $helper (i32.const 3)))\n"
    "  (start $start))\n";

static wasm_trap_t* note(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  printf("host: start function reached step %" PRId32 "\n", args->data[0].of.i32);
  return NULL;
}

static void print_frame(const char* what, const wasm_frame_t* frame) {
  printf("%s: func %" PRIu32 ", func offset 0x%zx, module offset 0x%zx\n", what,
         wasm_frame_func_index(frame), wasm_frame_func_offset(frame),
         wasm_frame_module_offset(frame));
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;

  wasm_functype_t* note_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* note_func = wasm_func_new(store, note_type, note);
  wasm_functype_delete(note_type);
  wasm_extern_t* imports[1] = {wasm_func_as_extern(note_func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);

  printf("instantiating...\n");
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  printf("instance: %s, trap: %s\n", instance ? "created" : "none", trap ? "yes" : "no");
  if (instance || !trap) return 1;

  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("trap message: %s\n", message.data);
  wasm_byte_vec_delete(&message);

  wasm_frame_t* origin = wasm_trap_origin(trap);
  if (!origin) return 1;
  print_frame("origin", origin);
  wasm_frame_t* origin_copy = wasm_frame_copy(origin);
  int ok = wasm_frame_func_index(origin_copy) == wasm_frame_func_index(origin) &&
           wasm_frame_module_offset(origin_copy) == wasm_frame_module_offset(origin);
  wasm_frame_delete(origin_copy);
  wasm_frame_delete(origin);

  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  printf("trace: %zu frame(s)\n", trace.size);
  for (size_t i = 0; i < trace.size; ++i) {
    char what[32];
    snprintf(what, sizeof what, "  #%zu", i);
    print_frame(what, trace.data[i]);
  }
  ok = ok && trace.size == 2 && wasm_frame_func_index(trace.data[0]) == 1 &&
       wasm_frame_func_index(trace.data[1]) == 2;
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);

  /* The store stays usable: a second attempt runs the start function
     again, and it traps again. */
  wasm_trap_t* second = NULL;
  instance = wasm_instance_new(store, module, &import_vec, &second);
  printf("second attempt: %s\n", second ? "trapped again" : "no trap");
  ok = ok && second && !instance;
  wasm_trap_delete(second);

  wasm_func_delete(note_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return ok ? 0 : 1;
}
