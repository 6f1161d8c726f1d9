/* Modules from files and validation that says why: a module serialized
 * into a file is loaded with wasm_module_deserialize_file (the file is
 * mapped, not copied) by a fresh engine and run; a missing file, a file
 * that is not a serialized module and a module of other code-generation
 * settings are refused with errors saying so; wasm_module_validate_checked
 * names the problem of an invalid binary and its offset.
 *
 * Uses the installed headers: wasm.h and the module extensions of
 * wasm-runtime.h. Exits non-zero if anything behaves unexpectedly. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasm-runtime.h"

static const char* const WAT =
    "(module\n"
    "  (func (export \"mul\") (param i32 i32) (result i32)\n"
    "    (i32.mul (local.get 0) (local.get 1))))\n";

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

/* Prints an error's message with `path` replaced by "<file>" (the
   temporary name differs per run), and frees the error. */
static void print_error(const char* what, wasm_error_t* error, const char* path) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  char text[512];
  snprintf(text, sizeof text, "%.*s", (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  char* at = path ? strstr(text, path) : NULL;
  if (at) {
    printf("%s: %.*s<file>%s\n", what, (int)(at - text), text, at + strlen(path));
  } else {
    printf("%s: %s\n", what, text);
  }
}

static void write_file(const char* path, const void* data, size_t size) {
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    printf("cannot write %s\n", path);
    exit(1);
  }
}

int main(void) {
  char path[] = "/tmp/wasm-runtime-modulefile-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);

  /* Compile and serialize into the file. */
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  if (wasm_wat2wasm(WAT, strlen(WAT), &binary)) return 1;
  check(wasm_module_validate_checked(store, &binary) == NULL, "a valid module validates");
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  write_file(path, serialized.data, serialized.size);
  printf("serialized into a file\n");
  wasm_byte_vec_delete(&serialized);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  /* A fresh engine with the same settings loads and runs it. */
  engine = wasm_engine_new();
  wasm_module_t* loaded = NULL;
  wasm_error_t* error = wasm_module_deserialize_file(engine, path, &loaded);
  check(error == NULL && loaded != NULL, "deserialize_file");
  if (error) print_error("deserialize_file", error, path);
  store = wasm_store_new(engine);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, loaded, &imports, NULL);
  wasm_extern_t* mul = wasm_instance_export_get(instance, "mul", 3);
  wasm_val_t args[] = {WASM_I32_VAL(6), WASM_I32_VAL(7)};
  wasm_val_t results[] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(mul), &arg_vec, &result_vec);
  check(trap == NULL && results[0].of.i32 == 42, "the loaded module runs");
  printf("mul(6, 7) = %d\n", results[0].of.i32);
  wasm_extern_delete(mul);
  wasm_instance_delete(instance);
  wasm_module_delete(loaded);

  /* Refusals: an engine that generates other code, */
  wasm_module_t* none = NULL;
  wasm_config_t* fuel_config = wasm_config_new();
  wasm_config_consume_fuel_set(fuel_config, true);
  wasm_engine_t* fuel_engine = wasm_engine_new_with_config(fuel_config);
  error = wasm_module_deserialize_file(fuel_engine, path, &none);
  check(error != NULL && none == NULL, "other code-generation settings are refused");
  if (error) print_error("other settings", error, path);
  wasm_engine_delete(fuel_engine);
  /* files that are missing, hold other bytes or nothing, and no path. */
  error = wasm_module_deserialize_file(engine, "/nonexistent/module.bin", &none);
  check(error != NULL && none == NULL, "a missing file is refused");
  if (error) print_error("missing file", error, NULL);
  write_file(path, "not a module", 12);
  error = wasm_module_deserialize_file(engine, path, &none);
  check(error != NULL && none == NULL, "a file of other bytes is refused");
  if (error) print_error("other bytes", error, path);
  write_file(path, "", 0);
  error = wasm_module_deserialize_file(engine, path, &none);
  check(error != NULL, "an empty file is refused");
  if (error) print_error("empty file", error, path);
  error = wasm_module_deserialize_file(engine, NULL, &none);
  check(error != NULL, "a NULL path is refused");
  if (error) print_error("NULL path", error, NULL);

  /* Validation that says why. */
  binary.data[binary.size - 1] = 0x7f; /* the body's `end` becomes an i32 type byte */
  error = wasm_module_validate_checked(store, &binary);
  check(error != NULL, "a damaged module does not validate");
  if (error) {
    size_t offset = 0;
    check(wasm_error_offset(error, &offset) && offset > 0, "the error has an offset");
    check(wasm_error_kind(error) == WASM_ERROR_KIND_INVALID, "kind INVALID");
    print_error("validate_checked", error, NULL);
  }
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  unlink(path);

  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("done\n");
  return 0;
}
