/*
 * Reading FILE and making a module of it. What it is comes from its first
 * bytes, not its name: `\0asm` is a binary module, `\0wrcode` one this
 * library serialized (`wasm-runtime compile`); anything else is text when
 * it starts like text (or is named .wat), else handed to the binary
 * decoder, whose message says what is wrong with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_read_file(const char* path, wasm_byte_vec_t* out) {
  FILE* file = fopen(path, "rb");
  if (!file) {
    cli_error("cannot read `%s`: %s", path, strerror(errno));
    return false;
  }
  size_t size = 0, capacity = 1 << 16;
  char* data = malloc(capacity);
  while (data) {
    size += fread(data + size, 1, capacity - size, file);
    if (size < capacity) break;
    char* bigger = capacity <= SIZE_MAX / 2 ? realloc(data, capacity * 2) : NULL;
    if (!bigger) {
      free(data);
      data = NULL;
      break;
    }
    data = bigger;
    capacity *= 2;
  }
  bool failed = !data || ferror(file);
  int read_errno = errno;
  fclose(file);
  if (failed) {
    cli_error("cannot read `%s`: %s", path, data ? strerror(read_errno) : "out of memory");
    free(data);
    return false;
  }
  wasm_byte_vec_new(out, size, data);
  free(data);
  return true;
}

bool cli_write_file(const char* path, const wasm_byte_vec_t* bytes) {
  FILE* file = fopen(path, "wb");
  if (!file) {
    cli_error("cannot write `%s`: %s", path, strerror(errno));
    return false;
  }
  bool ok = fwrite(bytes->data, 1, bytes->size, file) == bytes->size;
  int write_errno = errno;
  ok = fclose(file) == 0 && ok;
  if (!ok) {
    cli_error("cannot write `%s`: %s", path, strerror(write_errno ? write_errno : errno));
    remove(path);
  }
  return ok;
}

static bool starts_with(const wasm_byte_vec_t* bytes, const char* prefix, size_t len) {
  return bytes->size >= len && memcmp(bytes->data, prefix, len) == 0;
}

static bool ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Text modules start with a comment or `(` after optional white space. */
static bool looks_like_text(const wasm_byte_vec_t* bytes) {
  for (size_t i = 0; i < bytes->size; i++) {
    char c = bytes->data[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '(' || c == ';';
  }
  return false;
}

/* Whether the file at `path` starts with `prefix` (false when it cannot be
   read: reading it again reports why). */
static bool file_starts_with(const char* path, const char* prefix, size_t len) {
  FILE* file = fopen(path, "rb");
  if (!file) return false;
  char head[16];
  bool match = len <= sizeof head && fread(head, 1, len, file) == len && memcmp(head, prefix, len) == 0;
  fclose(file);
  return match;
}

/* A precompiled module is mapped from its file rather than read: its code
   pages are the file's, so loading costs no copy of the machine code. */
static wasm_module_t* load_precompiled(wasm_engine_t* engine, const struct cli_options* options) {
  if (strcmp(options->command, "compile") == 0) {
    cli_error("`%s` is a precompiled module already", options->file);
    return NULL;
  }
  if (!options->allow_precompiled) {
    /* Its machine code runs as it is: the reference asks for consent too. */
    cli_error(
        "`%s` is a precompiled module, whose machine code runs unchecked; "
        "pass --allow-precompiled to run it if you trust where it came from",
        options->file);
    return NULL;
  }
  wasm_module_t* module = NULL;
  wasm_error_t* error = wasm_module_deserialize_file(engine, options->file, &module);
  if (error) {
    cli_error_wasm(error, "cannot load the precompiled module `%s`", options->file);
    return NULL;
  }
  return module;
}

wasm_module_t* cli_load_module(wasm_engine_t* engine, wasm_store_t* store,
                               const struct cli_options* options) {
  if (file_starts_with(options->file, "\0wrcode", 7)) return load_precompiled(engine, options);

  wasm_byte_vec_t bytes;
  if (!cli_read_file(options->file, &bytes)) return NULL;
  wasm_module_t* module = NULL;
  if (!starts_with(&bytes, "\0asm", 4) && (looks_like_text(&bytes) || ends_with(options->file, ".wat"))) {
    wasm_byte_vec_t binary;
    wasm_error_t* error = wasm_wat2wasm(bytes.data, bytes.size, &binary);
    wasm_byte_vec_delete(&bytes);
    if (error) {
      cli_error_wasm(error, "cannot parse `%s` as WebAssembly text", options->file);
      return NULL;
    }
    bytes = binary;
  }
  wasm_error_t* error = wasm_module_new_checked(store, &bytes, &module);
  wasm_byte_vec_delete(&bytes);
  if (error) {
    cli_error_wasm(error, "cannot compile `%s`", options->file);
    return NULL;
  }
  return module;
}
