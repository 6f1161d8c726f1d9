/*
 * The WASI C API (wasi.h) end to end: configurations with arguments,
 * environment, stdin bytes, custom and file outputs and preopened
 * directories; wasm_store_set_wasi, wasm_linker_define_wasi and
 * wasm_trap_exit_status; and every function given NULL or bad arguments.
 *
 * Run by tests/c_api_wasi.rs under valgrind as
 *   wasi GUEST.wasm DIR
 * where GUEST is tests/cli/guest.c built for wasm32-wasi and DIR a scratch
 * directory holding in.txt ("hello, preopen\n"). Prints one line per
 * check; any surprise prints FAIL and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasi.h>

static const char* dir;

static void fail(const char* what) {
  printf("FAIL: %s\n", what);
  exit(1);
}

#define CHECK(cond)            \
  do {                         \
    if (!(cond)) fail(#cond);  \
  } while (0)

/* Fails with the error's message unless `error` is NULL. */
static void check_ok(wasm_error_t* error, const char* what) {
  if (!error) return;
  wasm_name_t message;
  wasm_error_message(error, &message);
  printf("FAIL: %s: %.*s\n", what, (int)message.size, message.data);
  exit(1);
}

/* Whether `error` is non-NULL and its message contains `part` (deleted). */
static bool error_says(wasm_error_t* error, const char* part) {
  if (!error) return false;
  wasm_name_t message;
  wasm_error_message(error, &message);
  char text[512];
  size_t n = message.size < sizeof text - 1 ? message.size : sizeof text - 1;
  memcpy(text, message.data, n);
  text[n] = '\0';
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  return strstr(text, part) != NULL;
}

/* A custom output stream's capture, and how often it was finalized. */
struct capture {
  char data[4096];
  size_t size;
  int finalized;
};

static ptrdiff_t capture_write(void* env, const unsigned char* bytes, size_t len) {
  struct capture* c = env;
  size_t room = sizeof c->data - 1 - c->size;
  size_t n = len < room ? len : room;
  memcpy(c->data + c->size, bytes, n);
  c->size += n;
  c->data[c->size] = '\0';
  return (ptrdiff_t)len;
}

static void capture_finalize(void* env) { ((struct capture*)env)->finalized++; }

static void path_in_dir(char* out, size_t size, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

/* The whole file at `path` (at most 4 KiB), or "" if it cannot be read. */
static const char* file_text(const char* path) {
  static char text[4096];
  text[0] = '\0';
  FILE* file = fopen(path, "rb");
  if (!file) return text;
  size_t n = fread(text, 1, sizeof text - 1, file);
  text[n] = '\0';
  fclose(file);
  return text;
}

/* A configuration with `argc` arguments and custom stdout and stderr. */
static wasi_config_t* config_with(size_t argc, const char** argv, struct capture* out,
                                  struct capture* err) {
  wasi_config_t* config = wasi_config_new();
  CHECK(config != NULL);
  CHECK(wasi_config_set_argv(config, argc, argv));
  if (out) wasi_config_set_stdout_custom(config, capture_write, out, capture_finalize);
  if (err) wasi_config_set_stderr_custom(config, capture_write, err, capture_finalize);
  return config;
}

/* Runs the guest's `_start` in a fresh store given `wasi` (consumed; NULL:
   no WASI context); returns its trap, NULL when it returned. */
static wasm_trap_t* run_guest(wasm_engine_t* engine, const wasm_module_t* module,
                              wasi_config_t* wasi) {
  wasm_store_t* store = wasm_store_new(engine);
  if (wasi) check_ok(wasm_store_set_wasi(store, wasi), "wasm_store_set_wasi");
  wasm_linker_t* linker = wasm_linker_new(engine);
  check_ok(wasm_linker_define_wasi(linker), "wasm_linker_define_wasi");
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  check_ok(wasm_linker_instantiate(linker, store, module, &instance, &trap),
           "wasm_linker_instantiate");
  if (!trap) {
    wasm_extern_t* start = wasm_instance_export_get(instance, "_start", 6);
    CHECK(start != NULL && wasm_extern_as_func(start) != NULL);
    wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
    trap = wasm_func_call(wasm_extern_as_func(start), &args, &results);
    wasm_extern_delete(start);
    wasm_instance_delete(instance);
  }
  wasm_linker_delete(linker);
  wasm_store_delete(store);
  return trap;
}

/* The exit status of a run that must end in proc_exit (trap consumed). */
static int exit_status(wasm_trap_t* trap) {
  int status = -1;
  CHECK(trap != NULL);
  CHECK(wasm_trap_exit_status(trap, &status));
  wasm_trap_delete(trap);
  return status;
}

static void arguments_and_output(wasm_engine_t* engine, const wasm_module_t* module) {
  struct capture out = {{0}, 0, 0};
  const char* argv[] = {"guest", "args", "x y"};
  CHECK(run_guest(engine, module, config_with(3, argv, &out, NULL)) == NULL);
  CHECK(strcmp(out.data, "argc=3\nargv[0]=guest\nargv[1]=args\nargv[2]=x y\n") == 0);
  CHECK(out.finalized == 1);
  puts("argv and a custom stdout: ok");

  /* A program's stderr, and its own exit status. */
  struct capture err = {{0}, 0, 0};
  const char* bad[] = {"guest", "frobnicate"};
  CHECK(exit_status(run_guest(engine, module, config_with(2, bad, NULL, &err))) == 2);
  CHECK(strcmp(err.data, "guest: unknown mode frobnicate\n") == 0);
  CHECK(err.finalized == 1);
  puts("a custom stderr: ok");
}

static void environment(wasm_engine_t* engine, const wasm_module_t* module) {
  struct capture out = {{0}, 0, 0};
  const char* argv[] = {"guest", "env", "GREETING", "EMPTY", "PATH"};
  wasi_config_t* config = config_with(5, argv, &out, NULL);
  const char* names[] = {"GREETING", "EMPTY"};
  const char* values[] = {"hello world", ""};
  CHECK(wasi_config_set_env(config, 2, names, values));
  CHECK(run_guest(engine, module, config) == NULL);
  CHECK(strcmp(out.data, "GREETING=hello world\nEMPTY=\nPATH unset\n") == 0);
  puts("environment: ok");
}

static void stdin_bytes(wasm_engine_t* engine, const wasm_module_t* module) {
  struct capture out = {{0}, 0, 0};
  const char* argv[] = {"guest", "cat"};
  wasi_config_t* config = config_with(2, argv, &out, NULL);
  wasm_byte_vec_t input;
  wasm_byte_vec_new(&input, 21, "piped\ninto the guest\n");
  wasi_config_set_stdin_bytes(config, &input);
  CHECK(input.size == 0); /* consumed */
  CHECK(run_guest(engine, module, config) == NULL);
  CHECK(strcmp(out.data, "piped\ninto the guest\n") == 0);
  puts("stdin bytes: ok");
}

static void preopened_directories(wasm_engine_t* engine, const wasm_module_t* module) {
  char in[1024], out_path[1024];
  path_in_dir(in, sizeof in, "in.txt");
  path_in_dir(out_path, sizeof out_path, "out.txt");

  struct capture out = {{0}, 0, 0};
  const char* argv[] = {"guest", "copy", "/data/in.txt", "/data/out.txt"};
  wasi_config_t* config = config_with(4, argv, &out, NULL);
  CHECK(wasi_config_preopen_dir(config, dir, "/data",
                                WASMTIME_WASI_DIR_PERMS_READ | WASMTIME_WASI_DIR_PERMS_WRITE,
                                WASMTIME_WASI_FILE_PERMS_READ | WASMTIME_WASI_FILE_PERMS_WRITE));
  CHECK(run_guest(engine, module, config) == NULL);
  CHECK(strcmp(out.data, "copied /data/in.txt to /data/out.txt\n") == 0);
  CHECK(strcmp(file_text(out_path), "HELLO, PREOPEN\n") == 0);
  puts("a preopened directory: ok");

  /* Read-only: the copy cannot create its file. */
  char ro_path[1024];
  path_in_dir(ro_path, sizeof ro_path, "ro.txt");
  struct capture err = {{0}, 0, 0};
  const char* ro_argv[] = {"guest", "copy", "/data/in.txt", "/data/ro.txt"};
  config = config_with(4, ro_argv, NULL, &err);
  CHECK(wasi_config_preopen_dir(config, dir, "/data", WASMTIME_WASI_DIR_PERMS_READ,
                                WASMTIME_WASI_FILE_PERMS_READ));
  CHECK(exit_status(run_guest(engine, module, config)) == 1);
  CHECK(strstr(err.data, "/data/ro.txt") != NULL);
  FILE* created = fopen(ro_path, "rb");
  CHECK(created == NULL);
  puts("a read-only preopen refuses writes: ok");

  /* Nothing is visible without a preopen. */
  err.size = 0;
  err.data[0] = '\0';
  CHECK(exit_status(run_guest(engine, module, config_with(4, argv, NULL, &err))) == 1);
  CHECK(strstr(err.data, "/data/in.txt") != NULL);
  puts("no preopen, no files: ok");
}

static void output_files(wasm_engine_t* engine, const wasm_module_t* module) {
  char out_path[1024], err_path[1024];
  path_in_dir(out_path, sizeof out_path, "stdout.txt");
  path_in_dir(err_path, sizeof err_path, "stderr.txt");
  const char* argv[] = {"guest", "nonsense"};
  wasi_config_t* config = config_with(2, argv, NULL, NULL);
  CHECK(wasi_config_set_stdout_file(config, out_path));
  CHECK(wasi_config_set_stderr_file(config, err_path));
  CHECK(exit_status(run_guest(engine, module, config)) == 2);
  CHECK(strcmp(file_text(out_path), "") == 0);
  CHECK(strcmp(file_text(err_path), "guest: unknown mode nonsense\n") == 0);

  const char* args_argv[] = {"guest", "args"};
  config = config_with(2, args_argv, NULL, NULL);
  CHECK(wasi_config_set_stdout_file(config, out_path));
  CHECK(run_guest(engine, module, config) == NULL);
  CHECK(strcmp(file_text(out_path), "argc=2\nargv[0]=guest\nargv[1]=args\n") == 0);

  /* Standard input from a file. */
  char in[1024];
  path_in_dir(in, sizeof in, "in.txt");
  struct capture out = {{0}, 0, 0};
  const char* cat[] = {"guest", "cat"};
  config = config_with(2, cat, &out, NULL);
  CHECK(wasi_config_set_stdin_file(config, in));
  CHECK(run_guest(engine, module, config) == NULL);
  CHECK(strcmp(out.data, "hello, preopen\n") == 0);
  puts("stdin, stdout and stderr files: ok");
}

static void exits_and_traps(wasm_engine_t* engine, const wasm_module_t* module) {
  const char* argv[] = {"guest", "exit", "7"};
  wasm_trap_t* trap = run_guest(engine, module, config_with(3, argv, NULL, NULL));
  int status = -1;
  CHECK(trap != NULL && wasm_trap_exit_status(trap, &status) && status == 7);
  CHECK(!wasm_trap_exit_status(trap, NULL));
  wasm_trap_delete(trap);
  const char* zero[] = {"guest", "exit", "0"};
  CHECK(exit_status(run_guest(engine, module, config_with(3, zero, NULL, NULL))) == 0);
  printf("exit status: %d\n", status);

  /* A trap is not an exit. */
  const char* crash[] = {"guest", "trap"};
  trap = run_guest(engine, module, config_with(2, crash, NULL, NULL));
  status = -1;
  wasm_trap_code_t code = 0;
  CHECK(trap != NULL && !wasm_trap_exit_status(trap, &status) && status == -1);
  CHECK(wasm_trap_code(trap, &code) && code == WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED);
  wasm_trap_delete(trap);

  /* WASI functions in a store without a context trap, as no exit. */
  trap = run_guest(engine, module, NULL);
  CHECK(trap != NULL && !wasm_trap_exit_status(trap, &status));
  wasm_trap_delete(trap);
  puts("traps are not exits: ok");
}

/* Everything given NULL or what it must refuse: false or an error, no
   crash, no leak (valgrind checks the consumed arguments were freed). */
static void refusals(wasm_engine_t* engine) {
  char in[1024], missing[1024], nowhere[1024];
  path_in_dir(in, sizeof in, "in.txt");
  path_in_dir(missing, sizeof missing, "missing");
  path_in_dir(nowhere, sizeof nowhere, "missing/out.txt");
  struct capture unused = {{0}, 0, 0};

  wasi_config_delete(NULL);
  wasi_config_inherit_argv(NULL);
  wasi_config_inherit_env(NULL);
  wasi_config_inherit_stdin(NULL);
  wasi_config_inherit_stdout(NULL);
  wasi_config_inherit_stderr(NULL);
  wasi_config_inherit_network(NULL);
  const char* one[] = {"one"};
  CHECK(!wasi_config_set_argv(NULL, 1, one));
  CHECK(!wasi_config_set_env(NULL, 1, one, one));
  CHECK(!wasi_config_set_stdin_file(NULL, in));
  CHECK(!wasi_config_set_stdout_file(NULL, in));
  CHECK(!wasi_config_set_stderr_file(NULL, in));
  CHECK(!wasi_config_preopen_dir(NULL, dir, "/d", 1, 1));
  CHECK(!wasi_config_preopen_socket(NULL, 3, "127.0.0.1:0"));
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new(&bytes, 3, "abc");
  wasi_config_set_stdin_bytes(NULL, &bytes); /* still consumed */
  CHECK(bytes.size == 0);
  wasi_config_set_stdout_custom(NULL, capture_write, &unused, capture_finalize);
  CHECK(unused.finalized == 1); /* finalized at once */
  wasi_config_set_stderr_custom(NULL, capture_write, &unused, capture_finalize);
  CHECK(unused.finalized == 2);

  wasi_config_t* config = wasi_config_new();
  const char* with_null[] = {"a", NULL};
  CHECK(!wasi_config_set_argv(config, 2, NULL));
  CHECK(!wasi_config_set_argv(config, 2, with_null));
  CHECK(wasi_config_set_argv(config, 0, NULL));
  const char* bad_names[] = {"A=B"};
  const char* empty_name[] = {""};
  CHECK(!wasi_config_set_env(config, 1, one, NULL));
  CHECK(!wasi_config_set_env(config, 1, NULL, one));
  CHECK(!wasi_config_set_env(config, 1, bad_names, one));
  CHECK(!wasi_config_set_env(config, 1, empty_name, one));
  CHECK(!wasi_config_set_stdin_file(config, NULL));
  CHECK(!wasi_config_set_stdin_file(config, missing));
  CHECK(!wasi_config_set_stdout_file(config, NULL));
  CHECK(!wasi_config_set_stdout_file(config, nowhere));
  CHECK(!wasi_config_set_stderr_file(config, nowhere));
  wasi_config_set_stdin_bytes(config, NULL);
  wasi_config_set_stdout_custom(config, NULL, &unused, capture_finalize);
  CHECK(unused.finalized == 3);
  CHECK(!wasi_config_preopen_dir(config, NULL, "/d", 1, 1));
  CHECK(!wasi_config_preopen_dir(config, dir, NULL, 1, 1));
  CHECK(!wasi_config_preopen_dir(config, missing, "/d", 1, 1));
  CHECK(!wasi_config_preopen_dir(config, in, "/d", 1, 1)); /* a file */
  CHECK(!wasi_config_preopen_dir(config, dir, "/d", 4, 1)); /* unknown bits */
  CHECK(!wasi_config_preopen_dir(config, dir, "/d", 1, 8));
  CHECK(!wasi_config_preopen_socket(config, 3, NULL));
  CHECK(!wasi_config_preopen_socket(config, 1, "127.0.0.1:0")); /* stdout's */
  CHECK(!wasi_config_preopen_socket(config, 3, "not an address"));
  CHECK(wasi_config_preopen_socket(config, 3, "127.0.0.1:0"));
  CHECK(!wasi_config_preopen_socket(config, 3, "127.0.0.1:0")); /* taken */
  wasi_config_inherit_network(config);
  /* A custom stream the configuration owns is finalized with it. */
  wasi_config_set_stdout_custom(config, capture_write, &unused, capture_finalize);
  CHECK(unused.finalized == 3);
  CHECK(error_says(wasm_store_set_wasi(NULL, config), "NULL")); /* consumed */
  CHECK(unused.finalized == 4);

  wasm_store_t* store = wasm_store_new(engine);
  CHECK(error_says(wasm_store_set_wasi(store, NULL), "NULL"));
  CHECK(error_says(wasm_linker_define_wasi(NULL), "NULL"));
  int status = 5;
  CHECK(!wasm_trap_exit_status(NULL, &status) && status == 5);
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "not an exit");
  wasm_trap_t* trap = wasm_trap_new(store, &message);
  wasm_byte_vec_delete(&message);
  CHECK(!wasm_trap_exit_status(trap, &status) && status == 5);
  wasm_trap_delete(trap);

  /* A second context replaces the first, whose streams go with it. */
  struct capture first = {{0}, 0, 0}, second = {{0}, 0, 0};
  wasi_config_t* a = wasi_config_new();
  wasi_config_set_stdout_custom(a, capture_write, &first, capture_finalize);
  check_ok(wasm_store_set_wasi(store, a), "first wasm_store_set_wasi");
  wasi_config_t* b = wasi_config_new();
  wasi_config_set_stdout_custom(b, capture_write, &second, capture_finalize);
  check_ok(wasm_store_set_wasi(store, b), "second wasm_store_set_wasi");
  CHECK(first.finalized == 1 && second.finalized == 0);
  wasm_store_delete(store);
  CHECK(second.finalized == 1);

  /* Defining WASI twice is refused unless shadowing is allowed. */
  wasm_linker_t* linker = wasm_linker_new(engine);
  check_ok(wasm_linker_define_wasi(linker), "wasm_linker_define_wasi");
  wasm_error_t* twice = wasm_linker_define_wasi(linker);
  CHECK(twice != NULL);
  wasm_error_delete(twice);
  wasm_linker_allow_shadowing(linker, true);
  check_ok(wasm_linker_define_wasi(linker), "wasm_linker_define_wasi with shadowing");
  wasm_linker_delete(linker);
  puts("null and bad arguments: ok");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fputs("usage: wasi GUEST.wasm DIR\n", stderr);
    return 2;
  }
  dir = argv[2];
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  FILE* file = fopen(argv[1], "rb");
  if (!file) fail("cannot open the guest");
  static char buffer[1 << 20];
  size_t size = fread(buffer, 1, sizeof buffer, file);
  fclose(file);
  wasm_byte_vec_t binary;
  wasm_byte_vec_new(&binary, size, buffer);
  wasm_module_t* module = NULL;
  check_ok(wasm_module_new_checked(store, &binary, &module), "compiling the guest");
  wasm_byte_vec_delete(&binary);
  wasm_store_delete(store);

  arguments_and_output(engine, module);
  environment(engine, module);
  stdin_bytes(engine, module);
  preopened_directories(engine, module);
  output_files(engine, module);
  exits_and_traps(engine, module);
  refusals(engine);

  wasm_module_delete(module);
  wasm_engine_delete(engine);
  return 0;
}
