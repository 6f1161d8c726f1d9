/* Error kinds and offsets from C: an invalid module with its byte offset,
 * an unsupported proposal, a link error, a configuration error, and NULL
 * arguments, through wasm_error_kind and wasm_error_offset. Compiled with
 * -Wall -Wextra -Werror -pedantic. Prints one line per check; exits
 * non-zero on the first failure. */

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

/* Whether the error's message starts with `prefix`. */
static int message_starts_with(const wasm_error_t* error, const char* prefix) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  int ok = message.size >= strlen(prefix) && memcmp(message.data, prefix, strlen(prefix)) == 0;
  wasm_byte_vec_delete(&message);
  return ok;
}

/* Whether the error's message contains `part`. */
static int message_contains(const wasm_error_t* error, const char* part) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  int ok = 0;
  size_t n = strlen(part);
  for (size_t i = 0; !ok && i + n <= message.size; i++) ok = memcmp(message.data + i, part, n) == 0;
  wasm_byte_vec_delete(&message);
  return ok;
}

/* Compiles `size` bytes; returns the error (NULL when the module compiled). */
static wasm_error_t* compile(wasm_store_t* store, const char* bytes, size_t size) {
  wasm_byte_vec_t binary;
  wasm_byte_vec_new(&binary, size, bytes);
  wasm_module_t* module = NULL;
  wasm_error_t* error = wasm_module_new_checked(store, &binary, &module);
  wasm_byte_vec_delete(&binary);
  if (module != NULL) wasm_module_delete(module);
  return error;
}

/* Compiles the text module `wat`; returns the error. */
static wasm_error_t* compile_wat(wasm_store_t* store, const char* wat) {
  wasm_byte_vec_t binary;
  CHECK(wasm_wat2wasm(wat, strlen(wat), &binary) == NULL);
  wasm_error_t* error = compile(store, binary.data, binary.size);
  wasm_byte_vec_delete(&binary);
  return error;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  size_t offset = 0;

  /* (module (func (result i32) i64.const 1)): the type mismatch is at the
     body's `end`, byte 26. */
  static const char mismatch[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                  0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01,
                                  0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x01, 0x0b};
  wasm_error_t* error = compile(store, mismatch, sizeof mismatch);
  CHECK(error != NULL);
  CHECK(wasm_error_kind(error) == WASM_ERROR_KIND_INVALID);
  CHECK(wasm_error_offset(error, &offset) && offset == 26);
  CHECK(message_starts_with(error, "invalid module: type mismatch"));
  CHECK(!wasm_error_offset(error, NULL));
  wasm_error_delete(error);
  printf("invalid: offset %zu\n", offset);

  /* A typed reference compiles with function references on, and the
     default configuration, which has them off, names the option. */
  wasm_config_t* typed_config = wasm_config_new();
  wasm_config_wasm_function_references_set(typed_config, true);
  wasm_engine_t* typed_engine = wasm_engine_new_with_config(typed_config);
  wasm_store_t* typed_store = wasm_store_new(typed_engine);
  const char* typed = "(module (type $t (func)) (func (param (ref $t)) local.get 0 call_ref $t))";
  error = compile_wat(typed_store, typed);
  CHECK(error == NULL);
  wasm_store_delete(typed_store);
  wasm_engine_delete(typed_engine);
  error = compile_wat(store, typed);
  CHECK(error != NULL);
  CHECK(wasm_error_kind(error) == WASM_ERROR_KIND_UNSUPPORTED);
  CHECK(wasm_error_offset(error, &offset));
  CHECK(message_contains(error, "wasm_config_wasm_function_references_set"));
  wasm_error_delete(error);
  printf("typed references: compiled, or refused naming the option\n");

  /* A missing import: a link error, without an offset. */
  wasm_byte_vec_t binary;
  const char* importer = "(module (import \"env\" \"f\" (func)))";
  CHECK(wasm_wat2wasm(importer, strlen(importer), &binary) == NULL);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module != NULL);
  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  error = wasm_instance_new_checked(store, module, &no_imports, &instance, &trap);
  CHECK(error != NULL && instance == NULL && trap == NULL);
  CHECK(wasm_error_kind(error) == WASM_ERROR_KIND_LINK);
  offset = 7;
  CHECK(!wasm_error_offset(error, &offset) && offset == 7);
  wasm_error_delete(error);
  wasm_module_delete(module);
  printf("link: no offset\n");

  /* A configuration the engine refuses. */
  wasm_config_t* config = wasm_config_new();
  wasm_config_max_wasm_stack_set(config, 0);
  wasm_engine_t* refused = NULL;
  error = wasm_engine_try_new(config, &refused);
  CHECK(error != NULL && refused == NULL);
  CHECK(wasm_error_kind(error) == WASM_ERROR_KIND_CONFIG);
  CHECK(!wasm_error_offset(error, &offset));
  CHECK(message_starts_with(error, "max_wasm_stack: "));
  wasm_error_delete(error);
  printf("config: named\n");

  /* A host's own error has no kind; NULL is never a crash. */
  error = wasm_error_new("refused by the host");
  CHECK(wasm_error_kind(error) == WASM_ERROR_KIND_OTHER);
  CHECK(!wasm_error_offset(error, &offset));
  wasm_error_delete(error);
  CHECK(wasm_error_kind(NULL) == WASM_ERROR_KIND_OTHER);
  CHECK(!wasm_error_offset(NULL, &offset));
  CHECK(!wasm_error_offset(NULL, NULL));
  printf("null: other, no offset\n");

  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("ok\n");
  return 0;
}
