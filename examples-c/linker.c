/* The linker and host functions that see their caller: a plugin calls a
 * host `log(ptr, len)` that reads the string from the calling instance's
 * memory; two modules are linked by name (one instance's exports feed the
 * next one's imports); exports are fetched by name; the store carries the
 * host's data, which host functions reach through their caller; link
 * errors name the import and both types; unknown imports can be made
 * traps; command and reactor modules.
 *
 * Uses the installed headers: wasm.h and the linker, caller and store
 * extensions of wasm-runtime.h. Exits non-zero if anything behaves
 * unexpectedly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-runtime.h"

/* A plugin: writes greetings into its memory and logs them through the
   host; imports its `add` from another module by name. */
static const char* const PLUGIN_WAT =
    "(module\n"
    "  (import \"host\" \"log\" (func $log (param i32 i32)))\n"
    "  (import \"math\" \"add\" (func $add (param i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 16) \"hello from the plugin\")\n"
    "  (data (i32.const 64) \"second message\")\n"
    "  (func (export \"run\") (result i32)\n"
    "    (call $log (i32.const 16) (i32.const 21))\n"
    "    (call $log (i32.const 64) (i32.const 14))\n"
    "    (call $add (i32.const 40) (i32.const 2))))\n";

static const char* const MATH_WAT =
    "(module\n"
    "  (func (export \"add\") (param i32 i32) (result i32)\n"
    "    (i32.add (local.get 0) (local.get 1))))\n";

/* Needs a function the linker does not have. */
static const char* const NEEDS_MISSING_WAT =
    "(module\n"
    "  (import \"env\" \"missing\" (func $m (param i32)))\n"
    "  (func (export \"call_missing\") (call $m (i32.const 1)))\n"
    "  (func (export \"fine\") (result i32) (i32.const 7)))\n";

/* Imports `math.add` with the wrong type. */
static const char* const WRONG_TYPE_WAT =
    "(module (import \"math\" \"add\" (func (param i64) (result i64))))\n";

/* Its start function traps. */
static const char* const TRAPPING_START_WAT =
    "(module (func $s (unreachable)) (start $s))\n";

/* A reactor: `_initialize` sets the counter, `next` counts on. */
static const char* const REACTOR_WAT =
    "(module\n"
    "  (global $n (mut i32) (i32.const 0))\n"
    "  (func (export \"_initialize\") (global.set $n (i32.const 100)))\n"
    "  (func (export \"next\") (result i32)\n"
    "    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))\n";

/* A command: every call gets a fresh instance, so the counter restarts. */
static const char* const COMMAND_WAT =
    "(module\n"
    "  (global $n (mut i32) (i32.const 0))\n"
    "  (func (export \"_start\"))\n"
    "  (func (export \"next\") (result i32)\n"
    "    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))\n";

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

/* Prints an error's message (prefixed with `what`) and frees it. */
static void print_error(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("%s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
}

/* Prints the first line of a trap's message and frees the trap. */
static void print_trap(const char* what, wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  const char* newline = strchr(message.data, '\n');
  int len = newline ? (int)(newline - message.data) : (int)strlen(message.data);
  printf("%s: %.*s\n", what, len, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

/* The host's state, attached to the store. */
struct host_state {
  int messages;
  size_t bytes;
};

static void free_state(void* data) {
  printf("store data finalized after %d messages\n", ((struct host_state*)data)->messages);
  free(data);
}

/* host.log(ptr, len): reads the string from the caller's exported memory. */
static wasm_trap_t* host_log(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                             wasm_val_vec_t* results) {
  (void)results;
  const char* prefix = env;
  wasm_store_t* store = wasm_caller_store(caller);
  wasm_extern_t* memory_extern = wasm_caller_export_get(caller, "memory", strlen("memory"));
  if (!memory_extern) {
    wasm_message_t message;
    wasm_name_new_from_string_nt(&message, "log: the caller exports no memory");
    wasm_trap_t* trap = wasm_trap_new(store, &message);
    wasm_byte_vec_delete(&message);
    return trap;
  }
  wasm_memory_t* memory = wasm_extern_as_memory(memory_extern);
  uint32_t ptr = (uint32_t)args->data[0].of.i32;
  uint32_t len = (uint32_t)args->data[1].of.i32;
  size_t size = wasm_memory_data_size(memory);
  if ((size_t)ptr + len > size) {
    wasm_extern_delete(memory_extern);
    return wasm_trap_new_code(store, WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS);
  }
  printf("%s%.*s\n", prefix, (int)len, wasm_memory_data(memory) + ptr);
  struct host_state* state = wasm_store_get_data(store);
  state->messages += 1;
  state->bytes += len;
  wasm_extern_delete(memory_extern);
  return NULL;
}

/* Only reports whether it has a calling instance. */
static wasm_trap_t* who_calls(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                              wasm_val_vec_t* results) {
  (void)env;
  (void)args;
  wasm_extern_t* memory = wasm_caller_export_get(caller, "memory", strlen("memory"));
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = memory != NULL;
  wasm_extern_delete(memory);
  return NULL;
}

static int finalized_envs = 0;
static void count_finalizer(void* env) {
  (void)env;
  ++finalized_envs;
}

static int32_t call_i32(const wasm_func_t* func) {
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(func, &args, &result_vec);
  if (trap) {
    print_trap("  trap", trap);
    return -1;
  }
  return results[0].of.i32;
}

static int32_t call_export(const wasm_instance_t* instance, const char* name) {
  wasm_extern_t* ext = wasm_instance_export_get(instance, name, strlen(name));
  if (!ext) {
    printf("no export %s\n", name);
    return -1;
  }
  int32_t result = call_i32(wasm_extern_as_func(ext));
  wasm_extern_delete(ext);
  return result;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  struct host_state* state = calloc(1, sizeof *state);
  wasm_store_set_data(store, state, free_state);
  check(wasm_store_get_data(store) == state, "store data read back");

  wasm_linker_t* linker = wasm_linker_new(engine);

  /* host.log, for every store. */
  wasm_valtype_t* params[] = {wasm_valtype_new_i32(), wasm_valtype_new_i32()};
  wasm_valtype_vec_t param_vec;
  wasm_valtype_vec_new(&param_vec, 2, params);
  wasm_valtype_vec_t no_results = WASM_EMPTY_VEC;
  wasm_functype_t* log_type = wasm_functype_new(&param_vec, &no_results);
  wasm_error_t* error = wasm_linker_define_func(linker, "host", 4, "log", 3, log_type, host_log,
                                                "plugin says: ", count_finalizer);
  check(error == NULL, "define host.log");

  /* Redefining without shadowing is an error; with shadowing it replaces. */
  error = wasm_linker_define_func(linker, "host", 4, "log", 3, log_type, host_log, "again: ",
                                  count_finalizer);
  check(error != NULL, "redefinition refused");
  if (error) print_error("redefining host.log", error);
  check(finalized_envs == 1, "the refused definition's env is finalized at once");

  /* Two modules linked by name: math's instance provides math.add. */
  wasm_module_t* math = compile(store, MATH_WAT);
  wasm_instance_t* math_instance = NULL;
  wasm_trap_t* trap = NULL;
  error = wasm_linker_instantiate(linker, store, math, &math_instance, &trap);
  check(error == NULL && trap == NULL && math_instance != NULL, "instantiate math");
  error = wasm_linker_define_instance(linker, store, "math", 4, math_instance);
  check(error == NULL, "define the math instance");

  wasm_module_t* plugin = compile(store, PLUGIN_WAT);
  wasm_instance_t* plugin_instance = NULL;
  error = wasm_linker_instantiate(linker, store, plugin, &plugin_instance, &trap);
  check(error == NULL && plugin_instance != NULL, "instantiate the plugin by name");
  if (error) print_error("plugin", error);
  int32_t sum = call_export(plugin_instance, "run");
  printf("run() = %d\n", sum);
  check(sum == 42, "the plugin called math.add through the linker");
  check(state->messages == 2 && state->bytes == 35, "log counted in the store data");
  printf("store data: %d messages, %zu bytes\n", state->messages, state->bytes);
  check(wasm_instance_export_get(plugin_instance, "nope", 4) == NULL, "absent export is NULL");

  /* wasm_linker_get gives definitions back as externs. */
  wasm_extern_t* add = wasm_linker_get(linker, store, "math", 4, "add", 3);
  check(add != NULL && wasm_extern_kind(add) == WASM_EXTERN_FUNC, "linker_get math.add");
  wasm_extern_delete(add);
  check(wasm_linker_get(linker, store, "math", 4, "sub", 3) == NULL, "linker_get absent is NULL");

  /* A caller-aware function called by the host has no calling instance. */
  wasm_valtype_vec_t none = WASM_EMPTY_VEC;
  wasm_valtype_t* i32_result[] = {wasm_valtype_new_i32()};
  wasm_valtype_vec_t result_vec;
  wasm_valtype_vec_new(&result_vec, 1, i32_result);
  wasm_functype_t* who_type = wasm_functype_new(&none, &result_vec);
  wasm_func_t* who = wasm_func_new_with_caller(store, who_type, who_calls, NULL, count_finalizer);
  printf("called by the host, the caller has a memory: %d\n", call_i32(who));

  /* Link errors name the import and both types. */
  wasm_module_t* missing = compile(store, NEEDS_MISSING_WAT);
  wasm_instance_t* instance = NULL;
  error = wasm_linker_instantiate(linker, store, missing, &instance, &trap);
  check(error != NULL && instance == NULL, "a missing import is an error");
  if (error) {
    check(wasm_error_kind(error) == WASM_ERROR_KIND_LINK, "missing import: kind LINK");
    print_error("missing import", error);
  }
  wasm_module_t* wrong = compile(store, WRONG_TYPE_WAT);
  error = wasm_linker_instantiate(linker, store, wrong, &instance, &trap);
  check(error != NULL, "a mistyped import is an error");
  if (error) print_error("mistyped import", error);

  /* Unknown imports as traps: the module instantiates and traps only when
     it calls one. */
  error = wasm_linker_define_unknown_imports_as_traps(linker, missing);
  check(error == NULL, "define unknown imports as traps");
  error = wasm_linker_instantiate(linker, store, missing, &instance, &trap);
  check(error == NULL && instance != NULL, "instantiate with trapping stubs");
  printf("fine() = %d\n", call_export(instance, "fine"));
  wasm_extern_t* call_missing = wasm_instance_export_get(instance, "call_missing", 12);
  wasm_val_vec_t empty = WASM_EMPTY_VEC;
  wasm_val_vec_t no_outs = WASM_EMPTY_VEC;
  trap = wasm_func_call(wasm_extern_as_func(call_missing), &empty, &no_outs);
  check(trap != NULL, "calling an unknown import traps");
  if (trap) print_trap("call_missing", trap);
  wasm_extern_delete(call_missing);
  wasm_instance_delete(instance);

  /* A trapping start function comes back as a trap, not an error. */
  wasm_module_t* trapping = compile(store, TRAPPING_START_WAT);
  instance = (wasm_instance_t*)1;
  trap = NULL;
  error = wasm_linker_instantiate(linker, store, trapping, &instance, &trap);
  check(error == NULL && trap != NULL && instance == NULL, "a start trap is a trap");
  if (trap) {
    wasm_trap_code_t code = 255;
    check(wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED,
          "the start trap's code");
    print_trap("trapping start", trap);
  }
  wasm_module_delete(trapping);

  /* A reactor is instantiated once and initialized; a command afresh per
     call. */
  wasm_module_t* reactor = compile(store, REACTOR_WAT);
  error = wasm_linker_module(linker, store, "reactor", 7, reactor);
  check(error == NULL, "define the reactor");
  wasm_extern_t* next = wasm_linker_get(linker, store, "reactor", 7, "next", 4);
  int32_t first = call_i32(wasm_extern_as_func(next));
  int32_t second = call_i32(wasm_extern_as_func(next));
  printf("reactor next: %d %d\n", first, second);
  check(first == 101 && second == 102, "the reactor keeps its state");
  wasm_extern_delete(next);
  wasm_module_t* command = compile(store, COMMAND_WAT);
  error = wasm_linker_module(linker, store, "command", 7, command);
  check(error == NULL, "define the command");
  next = wasm_linker_get(linker, store, "command", 7, "next", 4);
  first = call_i32(wasm_extern_as_func(next));
  second = call_i32(wasm_extern_as_func(next));
  printf("command next: %d %d\n", first, second);
  check(first == 1 && second == 1, "each command call gets a fresh instance");
  wasm_extern_delete(next);
  wasm_func_t* start = NULL;
  error = wasm_linker_get_default(linker, store, "command", 7, &start);
  check(error == NULL && start != NULL, "the command's default is _start");
  wasm_func_delete(start);
  /* A module without "" or _start has a default that does nothing. */
  error = wasm_linker_get_default(linker, store, "math", 4, &start);
  check(error == NULL && start != NULL && wasm_func_param_arity(start) == 0,
        "a no-op default");
  wasm_val_vec_t no_args = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results2 = WASM_EMPTY_VEC;
  check(start && wasm_func_call(start, &no_args, &no_results2) == NULL, "the default runs");
  wasm_func_delete(start);

  /* One linker, another store: its host function serves this store too,
     with this store's data. */
  wasm_store_t* store2 = wasm_store_new(engine);
  struct host_state* state2 = calloc(1, sizeof *state2);
  wasm_store_set_data(store2, state2, free_state);
  wasm_linker_t* linker2 = wasm_linker_new(engine);
  wasm_linker_allow_shadowing(linker2, true);
  error = wasm_linker_define_func(linker2, "host", 4, "log", 3, log_type, host_log, "store 2: ",
                                  count_finalizer);
  check(error == NULL, "define host.log in a second linker");
  error = wasm_linker_define_func(linker2, "host", 4, "log", 3, log_type, host_log,
                                  "store 2 says: ", count_finalizer);
  check(error == NULL, "shadowing replaces the definition");
  wasm_extern_t* add2 = wasm_linker_get(linker, store, "math", 4, "add", 3);
  error = wasm_linker_define(linker2, store2, "math", 4, "add", 3, add2);
  check(error != NULL, "an object of another store is refused");
  if (error) print_error("define with another store's object", error);
  wasm_extern_delete(add2);
  wasm_module_t* math2 = compile(store2, MATH_WAT);
  wasm_instance_t* math2_instance = NULL;
  error = wasm_linker_instantiate(linker2, store2, math2, &math2_instance, &trap);
  check(error == NULL, "instantiate math in store 2");
  wasm_extern_t* add_export = wasm_instance_export_get(math2_instance, "add", 3);
  error = wasm_linker_define(linker2, store2, "math", 4, "add", 3, add_export);
  check(error == NULL, "define math.add of store 2");
  wasm_extern_delete(add_export);
  error = wasm_linker_instantiate(linker2, store2, plugin, &instance, &trap);
  check(error == NULL, "instantiate the plugin in store 2");
  printf("store 2 run() = %d\n", call_export(instance, "run"));
  check(state2->messages == 2 && state->messages == 2, "each store counts its own messages");
  wasm_instance_delete(instance);
  wasm_instance_delete(math2_instance);
  wasm_module_delete(math2);
  wasm_linker_delete(linker2);
  wasm_store_delete(store2);

  wasm_functype_delete(who_type);
  wasm_func_delete(who);
  wasm_module_delete(command);
  wasm_module_delete(reactor);
  wasm_module_delete(wrong);
  wasm_module_delete(missing);
  wasm_instance_delete(plugin_instance);
  wasm_module_delete(plugin);
  wasm_instance_delete(math_instance);
  wasm_module_delete(math);
  wasm_functype_delete(log_type);
  wasm_linker_delete(linker);
  wasm_store_delete(store);
  printf("host function environments finalized: %d\n", finalized_envs);
  check(finalized_envs == 5, "every environment finalized once");
  wasm_engine_delete(engine);
  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("done\n");
  return 0;
}
