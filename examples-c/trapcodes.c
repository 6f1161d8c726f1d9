/* Trap codes by number, as the reference numbers them: every trap the
 * spec testsuite produces in this build (plus the interrupt and
 * out-of-fuel traps; null references need function-references, which
 * this build does not compile yet),
 * raised by wasm and checked against its WASM_TRAP_CODE_* value; a coded
 * trap raised by a host function (wasm_trap_new_code) that reaches the
 * caller with its code; frames named from the name section; and the
 * backtrace wasm_trap_message appends.
 *
 * Uses the installed headers: wasm.h and the trap extensions of
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module $traps\n"
    "  (import \"host\" \"overflow\" (func $host_overflow))\n"
    "  (type $v (func))\n"
    "  (type $i (func (result i32)))\n"
    "  (memory 1)\n"
    "  (table $t 2 funcref)\n"
    "  (elem (table $t) (i32.const 0) func $returns_i32)\n"
    "  (func $returns_i32 (result i32) (i32.const 1))\n"
    "  (func $recurse (export \"stack_overflow\") (call $recurse))\n"
    "  (func (export \"memory_out_of_bounds\") (drop (i32.load (i32.const 65536))))\n"
    "  (func (export \"table_out_of_bounds\") (drop (table.get $t (i32.const 5))))\n"
    "  (func (export \"undefined_element\") (call_indirect (type $v) (i32.const 7)))\n"
    "  (func (export \"uninitialized_element\") (call_indirect (type $v) (i32.const 1)))\n"
    "  (func (export \"bad_signature\") (call_indirect (type $v) (i32.const 0)))\n"
    "  (func (export \"integer_overflow\")\n"
    "    (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))\n"
    "  (func (export \"division_by_zero\") (drop (i32.div_u (i32.const 1) (i32.const 0))))\n"
    "  (func (export \"bad_conversion\") (drop (i32.trunc_f32_s (f32.const nan))))\n"
    "  (func $inner (unreachable))\n"
    "  (func $outer (export \"unreachable\") (call $inner))\n"
    "  (func (export \"spin\") (loop $l (br $l)))\n"
    "  (func $calls_host (export \"host_overflow\") (call $host_overflow)))\n";

struct expectation {
  const char* export_name;
  wasm_trap_code_t code;
};

static const struct expectation EXPECTED[] = {
    {"stack_overflow", WASM_TRAP_CODE_STACK_OVERFLOW},
    {"memory_out_of_bounds", WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS},
    {"table_out_of_bounds", WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS},
    {"undefined_element", WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS},
    {"uninitialized_element", WASM_TRAP_CODE_INDIRECT_CALL_TO_NULL},
    {"bad_signature", WASM_TRAP_CODE_BAD_SIGNATURE},
    {"integer_overflow", WASM_TRAP_CODE_INTEGER_OVERFLOW},
    {"division_by_zero", WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO},
    {"bad_conversion", WASM_TRAP_CODE_BAD_CONVERSION_TO_INTEGER},
    {"unreachable", WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED},
    {"spin", WASM_TRAP_CODE_INTERRUPT},
    {"host_overflow", WASM_TRAP_CODE_INTEGER_OVERFLOW},
};

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

static wasm_module_t* compile(wasm_store_t* store, const char* wat) {
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(wat, strlen(wat), &binary)) exit(1);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) exit(1);
  return module;
}

static wasm_trap_t* raise_overflow(void* env, const wasm_val_vec_t* args,
                                   wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  return wasm_trap_new_code(env, WASM_TRAP_CODE_INTEGER_OVERFLOW);
}

static wasm_trap_t* call(const wasm_instance_t* instance, const char* name) {
  wasm_extern_t* ext = wasm_instance_export_get(instance, name, strlen(name));
  if (!ext) {
    printf("no export %s\n", name);
    exit(1);
  }
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(ext), &none, &no_results);
  wasm_extern_delete(ext);
  return trap;
}

static void print_name(const char* label, const wasm_name_t* name) {
  if (name)
    printf(" %s=%.*s", label, (int)name->size, name->data);
  else
    printf(" %s=(none)", label);
}

int main(void) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_epoch_interruption_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile(store, WAT);

  wasm_functype_t* void_type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, void_type, raise_overflow, store, NULL);
  wasm_extern_t* import_list[] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(import_list);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  check(instance != NULL, "instantiate");

  for (size_t i = 0; i < sizeof EXPECTED / sizeof EXPECTED[0]; ++i) {
    /* The spinner meets its (already passed) deadline at once; the others
       have time enough. */
    bool spins = strcmp(EXPECTED[i].export_name, "spin") == 0;
    wasm_store_set_epoch_deadline(store, spins ? 0 : 1000000);
    wasm_trap_t* trap = call(instance, EXPECTED[i].export_name);
    if (!trap) {
      printf("%s: no trap\n", EXPECTED[i].export_name);
      ++failures;
      continue;
    }
    wasm_trap_code_t code = 255;
    bool has_code = wasm_trap_code(trap, &code);
    printf("%-22s code %2d", EXPECTED[i].export_name, has_code ? (int)code : -1);
    check(has_code && code == EXPECTED[i].code, EXPECTED[i].export_name);
    wasm_frame_t* origin = wasm_trap_origin(trap);
    check(origin != NULL, "every wasm trap has an origin frame");
    if (origin) {
      print_name("module", wasm_frame_module_name(origin));
      print_name("func", wasm_frame_func_name(origin));
      wasm_frame_delete(origin);
    }
    printf("\n");
    wasm_trap_delete(trap);
  }

  /* The full message: the spec's text, then the backtrace with names. */
  wasm_store_set_epoch_deadline(store, 1000000);
  wasm_trap_t* trap = call(instance, "unreachable");
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("message of the unreachable trap:\n%s\n", message.data);
  check(strstr(message.data, "traps!inner") != NULL, "the backtrace names the function");
  wasm_byte_vec_delete(&message);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  check(frames.size == 2, "two frames");
  if (frames.size == 2) {
    check(wasm_frame_func_name(frames.data[1]) != NULL, "the outer frame is named");
  }
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(trap);

  /* A host trap made with a message has no code; an unknown code gives
     no trap. */
  wasm_message_t text;
  wasm_name_new_from_string_nt(&text, "plain");
  wasm_trap_t* plain = wasm_trap_new(store, &text);
  wasm_byte_vec_delete(&text);
  wasm_trap_code_t code = 255;
  check(!wasm_trap_code(plain, &code) && code == 255, "a message trap has no code");
  wasm_trap_delete(plain);
  check(wasm_trap_new_code(store, 200) == NULL, "an unknown code makes no trap");
  check(wasm_trap_new_code(NULL, WASM_TRAP_CODE_INTERRUPT) == NULL, "a NULL store makes no trap");
  wasm_trap_t* coded = wasm_trap_new_code(store, WASM_TRAP_CODE_OUT_OF_FUEL);
  check(coded && wasm_trap_code(coded, &code) && code == WASM_TRAP_CODE_OUT_OF_FUEL,
        "a coded trap keeps its code");
  wasm_trap_delete(coded);

  wasm_instance_delete(instance);
  wasm_func_delete(host);
  wasm_functype_delete(void_type);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  /* Out of fuel, in an engine that counts it. */
  config = wasm_config_new();
  wasm_config_consume_fuel_set(config, true);
  engine = wasm_engine_new_with_config(config);
  store = wasm_store_new(engine);
  module = compile(store, "(module (func (export \"spin\") (loop $l (br $l))))");
  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  instance = wasm_instance_new(store, module, &no_imports, NULL);
  wasm_error_t* error = wasm_store_set_fuel(store, 1000);
  check(error == NULL, "set fuel");
  trap = call(instance, "spin");
  check(trap && wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_OUT_OF_FUEL,
        "out of fuel");
  printf("%-22s code %2d\n", "out_of_fuel", trap ? (int)code : -1);
  wasm_trap_delete(trap);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("done\n");
  return 0;
}
