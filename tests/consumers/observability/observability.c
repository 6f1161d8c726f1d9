/*
 * The observability options from C, on the installed package's headers and
 * library: one check per run, `observability CHECK ARGS...`, each printing
 * what it saw (tests/observability_package.rs asserts on those lines) and
 * "FAIL: ..." for whatever it can tell is wrong by itself; exits 1 after a
 * failure, else 0.
 *
 *   profile none|jitdump|vtune|perfmap
 *       the module of PROBE_WAT, compiled and deserialized, run on an engine
 *       with that profiler; the profiler's output (/tmp/perf-<pid>.map,
 *       ./jit-<pid>.dump, or the log of the VTune collector stand-in named
 *       by WASM_RUNTIME_VTUNE_LOG) read back as entries, checked against
 *       the code that ran (every return address backtrace() finds in wasm
 *       code lies in the entry of its function);
 *   unwind on|off          native_unwind_info: backtrace() from a host
 *                          function called by wasm;
 *   debug on|off GUEST     debug_info: the GDB JIT interface's list of
 *                          registered object files; runs run(5) (gdb sets
 *                          its breakpoint in guest.c meanwhile);
 *   details on|off GUEST   wasm_backtrace_details: the frames of run(0)'s
 *                          trap and their wasm_frame_source;
 *   coredump on|off GUEST OUT
 *                          coredump_on_trap: run(0)'s trap's coredump,
 *                          written to OUT and its sections listed;
 *   wmemcheck on|off HEAP MODE
 *                          wmemcheck: the WASI command HEAP (heap.c) run
 *                          with argument MODE.
 *
 * GUEST is guest.c compiled to wasm32 (run(b) returns 100 / b + 1).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi.h"
#include "wasm-runtime.h"

/* Exported (the program links with -rdynamic) so that backtrace_symbols
   and dladdr name them in the unwind check, and gdb's backtrace shows them
   below the wasm frames. */
int32_t call_guest_run(const wasm_instance_t* instance, int32_t arg, wasm_trap_t** trap);
void unwind_check(bool unwind_info);

/* ---- reporting ---- */

static int failures = 0;

static void fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  printf("FAIL: ");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  ++failures;
}

static void die(const char* format, ...) {
  va_list args;
  va_start(args, format);
  printf("FAIL: ");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  exit(1);
}

static void die_error(const char* what, wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  die("%s: %.*s", what, (int)message.size, message.data);
}

static bool parse_on_off(const char* text) {
  if (strcmp(text, "on") == 0) return true;
  if (strcmp(text, "off") == 0) return false;
  die("expected on or off, not `%s`", text);
  return false;
}

/* ---- setup ---- */

static wasm_engine_t* engine_new(wasm_config_t* config) {
  wasm_engine_t* engine = NULL;
  wasm_error_t* error = wasm_engine_try_new(config, &engine);
  if (error) die_error("wasm_engine_try_new", error);
  return engine;
}

static void read_file(const char* path, wasm_byte_vec_t* out) {
  FILE* file = fopen(path, "rb");
  if (!file) die("cannot open %s", path);
  if (fseek(file, 0, SEEK_END) != 0) die("cannot seek %s", path);
  long size = ftell(file);
  if (size < 0 || fseek(file, 0, SEEK_SET) != 0) die("cannot size %s", path);
  wasm_byte_vec_new_uninitialized(out, (size_t)size);
  if (size > 0 && fread(out->data, 1, (size_t)size, file) != (size_t)size) {
    die("cannot read %s", path);
  }
  fclose(file);
}

static bool file_exists(const char* path) { return access(path, F_OK) == 0; }

static wasm_module_t* compile(wasm_store_t* store, const wasm_byte_vec_t* binary) {
  wasm_module_t* module = NULL;
  wasm_error_t* error = wasm_module_new_checked(store, binary, &module);
  if (error) die_error("wasm_module_new_checked", error);
  return module;
}

static wasm_module_t* compile_file(wasm_store_t* store, const char* path) {
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  wasm_module_t* module = compile(store, &binary);
  wasm_byte_vec_delete(&binary);
  return module;
}

static wasm_instance_t* instantiate(wasm_store_t* store, const wasm_module_t* module,
                                    wasm_extern_t** imports, size_t count) {
  wasm_extern_vec_t import_vec = {count, imports};
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  if (!instance) die("wasm_instance_new failed%s", trap ? " with a trap" : "");
  return instance;
}

/* The instance's function export `name` (its extern in *handle, which the
   caller frees). */
static wasm_func_t* export_func(const wasm_instance_t* instance, const char* name,
                                wasm_extern_t** handle) {
  *handle = wasm_instance_export_get(instance, name, strlen(name));
  wasm_func_t* func = *handle ? wasm_extern_as_func(*handle) : NULL;
  if (!func) die("no function export `%s`", name);
  return func;
}

/* Calls the guest's run(arg): its result, or 0 with the trap in *trap. */
int32_t call_guest_run(const wasm_instance_t* instance, int32_t arg, wasm_trap_t** trap) {
  wasm_extern_t* handle = NULL;
  wasm_func_t* run = export_func(instance, "run", &handle);
  wasm_val_t args[1] = {WASM_I32_VAL(arg)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  *trap = wasm_func_call(run, &arg_vec, &result_vec);
  wasm_extern_delete(handle);
  return *trap ? 0 : results[0].of.i32;
}

/* The first line of a trap's message (the message may go on with the
   backtrace), into `out`. */
static void trap_first_line(const wasm_trap_t* trap, char* out, size_t size) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  size_t len = message.size;
  if (len > 0 && message.data[len - 1] == '\0') --len;
  const char* newline = memchr(message.data, '\n', len);
  if (newline) len = (size_t)(newline - message.data);
  snprintf(out, size, "%.*s", (int)len, message.data);
  wasm_byte_vec_delete(&message);
}

/* ---- the module the profile and unwind checks run ---- */

/* run() calls $inner, which calls the host's probe: wasm frames between
   host frames. */
static const char* const PROBE_WAT =
    "(module $observed\n"
    "  (import \"host\" \"probe\" (func $probe))\n"
    "  (func $inner (result i32)\n"
    "    call $probe\n"
    "    i32.const 7)\n"
    "  (func $outer (export \"run\") (result i32)\n"
    "    call $inner\n"
    "    i32.const 1\n"
    "    i32.add)\n"
    "  (func (export \"triple\") (param i64) (result i64)\n"
    "    local.get 0\n"
    "    i64.const 3\n"
    "    i64.mul))\n";

/* The names profilers must give the module's defined functions. */
static const char* const PROBE_FUNCS[] = {"inner", "outer", "wasm-function[3]"};
#define PROBE_FUNC_COUNT (sizeof PROBE_FUNCS / sizeof *PROBE_FUNCS)

#define MAX_FRAMES 128

/* A stack backtrace() found. */
typedef struct {
  void* frames[MAX_FRAMES];
  int count;
} stack_trace;

static wasm_trap_t* probe(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  stack_trace* seen = env;
  seen->count = backtrace(seen->frames, MAX_FRAMES);
  return NULL;
}

static void probe_wasm(wasm_byte_vec_t* binary) {
  wasm_error_t* error = wasm_wat2wasm(PROBE_WAT, strlen(PROBE_WAT), binary);
  if (error) die_error("wasm_wat2wasm", error);
}

/* Instantiates `module` with the probe recording into `seen`, calls
   run() and checks its result (8). */
static void run_probe_module(wasm_store_t* store, const wasm_module_t* module,
                             stack_trace* seen) {
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, probe, seen, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* imports[1] = {wasm_func_as_extern(host)};
  wasm_instance_t* instance = instantiate(store, module, imports, 1);
  wasm_extern_t* handle = NULL;
  wasm_func_t* run = export_func(instance, "run", &handle);
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t no_args = WASM_EMPTY_VEC;
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(run, &no_args, &result_vec);
  if (trap) die("run() trapped");
  if (results[0].of.i32 != 8) fail("run() returned %" PRId32 ", not 8", results[0].of.i32);
  wasm_extern_delete(handle);
  wasm_instance_delete(instance);
  wasm_func_delete(host);
}

/* Whether `pc` is in no loaded ELF object: generated code. */
static bool is_generated_code(void* pc) {
  Dl_info info;
  return dladdr(pc, &info) == 0;
}

/* ---- profile ---- */

typedef struct {
  uintptr_t start;
  size_t size;
  char name[256];
} entry;

#define MAX_ENTRIES 256

typedef struct {
  entry items[MAX_ENTRIES];
  size_t count;
} entry_list;

static void add_entry(entry_list* list, uintptr_t start, size_t size, const char* name,
                      size_t name_len) {
  if (list->count == MAX_ENTRIES) die("more than %d profiler entries", MAX_ENTRIES);
  entry* e = &list->items[list->count++];
  e->start = start;
  e->size = size;
  if (name_len >= sizeof e->name) name_len = sizeof e->name - 1;
  memcpy(e->name, name, name_len);
  e->name[name_len] = '\0';
}

static void perf_map_path(char* out, size_t size) {
  snprintf(out, size, "/tmp/perf-%ld.map", (long)getpid());
}

static void jitdump_path(char* out, size_t size) {
  snprintf(out, size, "jit-%ld.dump", (long)getpid());
}

/* `/tmp/perf-<pid>.map`: "START SIZE name" lines, hexadecimal. */
static void read_perf_map(entry_list* list) {
  char path[64];
  perf_map_path(path, sizeof path);
  FILE* file = fopen(path, "r");
  if (!file) die("no perf map %s", path);
  char line[512];
  while (fgets(line, sizeof line, file)) {
    uintptr_t start;
    size_t size;
    int name_at = 0;
    if (sscanf(line, "%" SCNxPTR " %zx %n", &start, &size, &name_at) != 2 || name_at == 0) {
      die("malformed perf map line: %s", line);
    }
    size_t len = strcspn(line + name_at, "\n");
    add_entry(list, start, size, line + name_at, len);
  }
  fclose(file);
  printf("perf map: %s, %zu lines\n", path, list->count);
}

/* Little-endian fields of the jitdump file. */
typedef struct {
  const unsigned char* at;
  size_t left;
} reader;

static const unsigned char* take(reader* r, size_t n) {
  if (r->left < n) die("the jitdump file is truncated");
  const unsigned char* at = r->at;
  r->at += n;
  r->left -= n;
  return at;
}

static uint64_t take_le(reader* r, size_t n) {
  const unsigned char* bytes = take(r, n);
  uint64_t value = 0;
  for (size_t i = n; i-- > 0;) value = value << 8 | bytes[i];
  return value;
}

/* `./jit-<pid>.dump`: the header, then code-load records whose code bytes
   must be the running code's. */
static void read_jitdump(entry_list* list) {
  char path[64];
  jitdump_path(path, sizeof path);
  wasm_byte_vec_t bytes;
  read_file(path, &bytes);
  reader r = {(const unsigned char*)bytes.data, bytes.size};
  uint32_t magic = (uint32_t)take_le(&r, 4);
  uint32_t version = (uint32_t)take_le(&r, 4);
  uint32_t header_size = (uint32_t)take_le(&r, 4);
  uint32_t machine = (uint32_t)take_le(&r, 4);
  take_le(&r, 4); /* pad */
  uint32_t pid = (uint32_t)take_le(&r, 4);
  uint64_t timestamp = take_le(&r, 8);
  uint64_t flags = take_le(&r, 8);
  printf("jitdump header: magic 0x%08" PRIx32 " version %" PRIu32 " size %" PRIu32
         " machine %" PRIu32 " pid-matches %s flags %" PRIu64 "\n",
         magic, version, header_size, machine, pid == (uint32_t)getpid() ? "yes" : "no", flags);
  if (magic != 0x4A695444) fail("jitdump magic 0x%08" PRIx32, magic);
  if (header_size != 40) fail("jitdump header size %" PRIu32, header_size);
  if (pid != (uint32_t)getpid()) fail("jitdump pid %" PRIu32, pid);
#if defined(__x86_64__)
  if (machine != EM_X86_64) fail("jitdump machine %" PRIu32, machine);
#elif defined(__aarch64__)
  if (machine != EM_AARCH64) fail("jitdump machine %" PRIu32, machine);
#endif
  size_t records = 0, code_matches = 0;
  uint64_t last_time = timestamp;
  while (r.left > 0) {
    size_t record_left = r.left;
    uint32_t id = (uint32_t)take_le(&r, 4);
    uint32_t total = (uint32_t)take_le(&r, 4);
    uint64_t time = take_le(&r, 8);
    if (id != 0) {
      fail("jitdump record of kind %" PRIu32 " (only code loads expected)", id);
      if (total < 16) die("jitdump record size %" PRIu32, total);
      take(&r, total - 16);
      continue;
    }
    if (time < last_time) fail("jitdump timestamps go backwards");
    last_time = time;
    uint32_t record_pid = (uint32_t)take_le(&r, 4);
    take_le(&r, 4); /* tid */
    uint64_t vma = take_le(&r, 8);
    uint64_t addr = take_le(&r, 8);
    uint64_t size = take_le(&r, 8);
    uint64_t index = take_le(&r, 8);
    const char* name = (const char*)r.at;
    size_t name_len = strnlen(name, r.left);
    if (name_len == r.left) die("jitdump name without NUL");
    take(&r, name_len + 1);
    const unsigned char* code = take(&r, (size_t)size);
    if (record_pid != pid) fail("code-load record of pid %" PRIu32, record_pid);
    if (vma != addr) fail("%s: vma 0x%" PRIx64 " != code address 0x%" PRIx64, name, vma, addr);
    if (index != records) fail("%s: code index %" PRIu64 " (expected %zu)", name, index, records);
    if (record_left - r.left != total) fail("%s: record size %" PRIu32, name, total);
    /* The modules are alive: the code is still mapped where it ran. */
    if (memcmp(code, (const void*)(uintptr_t)addr, (size_t)size) == 0) {
      ++code_matches;
    } else {
      fail("%s: the record's code bytes differ from the code at 0x%" PRIx64, name, addr);
    }
    add_entry(list, (uintptr_t)addr, (size_t)size, name, name_len);
    ++records;
  }
  printf("jitdump: %zu code-load records, %zu with the running code's bytes\n", records,
         code_matches);
  wasm_byte_vec_delete(&bytes);

  /* perf finds the file through an executable mapping of it. */
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[1024];
  bool mapped = false;
  char suffix[80];
  snprintf(suffix, sizeof suffix, "/%s\n", path);
  while (maps && fgets(line, sizeof line, maps)) {
    size_t len = strlen(line), slen = strlen(suffix);
    if (len >= slen && strcmp(line + len - slen, suffix) == 0) {
      char perms[8] = "";
      if (sscanf(line, "%*s %7s", perms) == 1 && strncmp(perms, "r-x", 3) == 0) mapped = true;
    }
  }
  if (maps) fclose(maps);
  printf("jitdump mapped r-x: %s\n", mapped ? "yes" : "no");
}

/* The log of tests/profiling/vtune_collector.c (the collector named by
   INTEL_JIT_PROFILER64): "ADDRESS SIZE LINES OFFSET:LINE... SOURCE|NAME"
   lines; no file when no collector was loaded. */
static void read_vtune_log(entry_list* list) {
  const char* path = getenv("WASM_RUNTIME_VTUNE_LOG");
  if (!path) die("WASM_RUNTIME_VTUNE_LOG is not set");
  FILE* file = fopen(path, "r");
  if (!file) {
    printf("vtune: no collector log\n");
    return;
  }
  char line[4096];
  size_t with_lines = 0;
  while (fgets(line, sizeof line, file)) {
    void* start;
    unsigned size, lines;
    int at = 0;
    if (sscanf(line, "%p %u %u%n", &start, &size, &lines, &at) != 3) {
      die("malformed collector line: %s", line);
    }
    const char* bar = strchr(line, '|');
    if (!bar) die("malformed collector line: %s", line);
    if (lines > 0) ++with_lines;
    add_entry(list, (uintptr_t)start, size, bar + 1, strcspn(bar + 1, "\n"));
  }
  fclose(file);
  printf("vtune: %zu method-load events, %zu with a line table\n", list->count, with_lines);
}

static int compare_entries(const void* a, const void* b) {
  const entry* x = a;
  const entry* y = b;
  return (x->start > y->start) - (x->start < y->start);
}

static const entry* entry_at(const entry_list* list, uintptr_t pc) {
  for (size_t i = 0; i < list->count; i++) {
    const entry* e = &list->items[i];
    if (e->start <= pc && pc < e->start + e->size) return e;
  }
  return NULL;
}

/* Whether [start, start + size) lies in one executable mapping. */
static bool in_executable_mapping(uintptr_t start, size_t size) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) die("cannot read /proc/self/maps");
  char line[1024];
  bool found = false;
  while (!found && fgets(line, sizeof line, maps)) {
    uintptr_t low, high;
    char perms[8];
    if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &low, &high, perms) == 3 &&
        perms[2] == 'x' && low <= start && start + size <= high) {
      found = true;
    }
  }
  fclose(maps);
  return found;
}

/* The entries against the code that ran: every entry listed, each of the
   module's functions once per loaded copy, disjoint ranges in executable
   memory, and every wasm return address of each probe stack inside the
   entry of its function. */
static void check_entries(entry_list* list, const stack_trace* stacks, size_t stack_count,
                          size_t copies) {
  qsort(list->items, list->count, sizeof(entry), compare_entries);
  size_t trampolines = 0, executable = 0, overlaps = 0;
  for (size_t i = 0; i < list->count; i++) {
    const entry* e = &list->items[i];
    printf("entry: %#" PRIxPTR " %zu %s\n", e->start, e->size, e->name);
    if (strncmp(e->name, "trampoline[", 11) == 0) ++trampolines;
    if (e->size == 0) fail("%s has size 0", e->name);
    if (in_executable_mapping(e->start, e->size)) ++executable;
    if (i > 0 && list->items[i - 1].start + list->items[i - 1].size > e->start) {
      fail("%s overlaps %s", list->items[i - 1].name, e->name);
      ++overlaps;
    }
  }
  printf("entries: %zu, trampolines: %zu, overlapping: %zu, in executable memory: %zu\n",
         list->count, trampolines, overlaps, executable);
  if (executable != list->count) fail("entries outside executable memory");
  for (size_t f = 0; f < PROBE_FUNC_COUNT; f++) {
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++) n += strcmp(list->items[i].name, PROBE_FUNCS[f]) == 0;
    printf("function %s: %zu entries\n", PROBE_FUNCS[f], n);
    if (n != copies) fail("%s has %zu entries, not %zu", PROBE_FUNCS[f], n, copies);
  }
  for (size_t s = 0; s < stack_count; s++) {
    const stack_trace* stack = &stacks[s];
    char chain[1024] = "";
    size_t unlisted = 0, generated = 0;
    for (int i = 0; i < stack->count; i++) {
      if (!is_generated_code(stack->frames[i])) continue;
      ++generated;
      /* A return address: the call is the byte before. */
      const entry* e = entry_at(list, (uintptr_t)stack->frames[i] - 1);
      if (!e) {
        ++unlisted;
        continue;
      }
      size_t used = strlen(chain);
      snprintf(chain + used, sizeof chain - used, "%s%s", used ? " < " : "", e->name);
    }
    printf("probe stack %zu: %zu wasm frames, %zu outside every entry: %s\n", s, generated,
           unlisted, chain);
    if (generated == 0 || unlisted > 0) fail("probe stack %zu is not covered", s);
  }
}

static void profile_check(const char* strategy_name) {
  wasm_profiling_strategy_t strategy;
  if (strcmp(strategy_name, "none") == 0) {
    strategy = WASM_PROFILING_STRATEGY_NONE;
  } else if (strcmp(strategy_name, "jitdump") == 0) {
    strategy = WASM_PROFILING_STRATEGY_JITDUMP;
  } else if (strcmp(strategy_name, "vtune") == 0) {
    strategy = WASM_PROFILING_STRATEGY_VTUNE;
  } else if (strcmp(strategy_name, "perfmap") == 0) {
    strategy = WASM_PROFILING_STRATEGY_PERFMAP;
  } else {
    die("unknown profiler %s", strategy_name);
    return;
  }
  printf("profiler: %s (%d), pid %ld\n", strategy_name, (int)strategy, (long)getpid());
  wasm_config_t* config = wasm_config_new();
  wasm_config_profiler_set(config, strategy);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);

  /* Compiled, and loaded again from its serialized form. */
  wasm_byte_vec_t binary, serialized;
  probe_wasm(&binary);
  wasm_module_t* modules[2];
  modules[0] = compile(store, &binary);
  wasm_byte_vec_delete(&binary);
  wasm_module_serialize(modules[0], &serialized);
  modules[1] = wasm_module_deserialize(store, &serialized);
  wasm_byte_vec_delete(&serialized);
  if (!modules[1]) die("wasm_module_deserialize failed");
  stack_trace stacks[2] = {{{0}, 0}, {{0}, 0}};
  for (int i = 0; i < 2; i++) run_probe_module(store, modules[i], &stacks[i]);

  char map[64], dump[64];
  perf_map_path(map, sizeof map);
  jitdump_path(dump, sizeof dump);
  printf("perf map written: %s\n", file_exists(map) ? "yes" : "no");
  printf("jitdump written: %s\n", file_exists(dump) ? "yes" : "no");
  static entry_list list;
  if (strategy == WASM_PROFILING_STRATEGY_PERFMAP) {
    read_perf_map(&list);
  } else if (strategy == WASM_PROFILING_STRATEGY_JITDUMP) {
    read_jitdump(&list);
  } else if (strategy == WASM_PROFILING_STRATEGY_VTUNE) {
    read_vtune_log(&list);
  }
  /* (VTune without a collector: nothing to check, nothing was written.) */
  if (list.count > 0 || strategy == WASM_PROFILING_STRATEGY_PERFMAP ||
      strategy == WASM_PROFILING_STRATEGY_JITDUMP) {
    check_entries(&list, stacks, 2, 2);
  }
  if (file_exists(map) != (strategy == WASM_PROFILING_STRATEGY_PERFMAP)) {
    fail("perf map presence is wrong for %s", strategy_name);
  }
  if (file_exists(dump) != (strategy == WASM_PROFILING_STRATEGY_JITDUMP)) {
    fail("jitdump presence is wrong for %s", strategy_name);
  }

  wasm_module_delete(modules[1]);
  wasm_module_delete(modules[0]);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- native_unwind_info ---- */

/* Runs the probe module; backtrace() inside the host function against the
   stack of this function's callers, taken here first. */
void unwind_check(bool unwind_info) {
  stack_trace below;
  below.count = backtrace(below.frames, MAX_FRAMES);

  wasm_config_t* config = wasm_config_new();
  wasm_config_native_unwind_info_set(config, unwind_info);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  probe_wasm(&binary);
  wasm_module_t* module = compile(store, &binary);
  wasm_byte_vec_delete(&binary);
  stack_trace inside = {{0}, 0};
  run_probe_module(store, module, &inside);

  int wasm_frames = 0;
  for (int i = 0; i < inside.count; i++) {
    Dl_info info;
    if (!dladdr(inside.frames[i], &info)) {
      ++wasm_frames;
      printf("frame %d: [wasm]\n", i);
    } else {
      const char* object = info.dli_fname ? strrchr(info.dli_fname, '/') : NULL;
      printf("frame %d: %s (%s)\n", i, info.dli_sname ? info.dli_sname : "?",
             object ? object + 1 : (info.dli_fname ? info.dli_fname : "?"));
    }
  }
  /* The frames below this function (all but its own) end both stacks. */
  int tail = below.count - 1;
  bool reached = tail > 0 && inside.count >= tail &&
                 memcmp(inside.frames + inside.count - tail, below.frames + 1,
                        (size_t)tail * sizeof(void*)) == 0;
  printf("unwind info %s: %d frames, %d in wasm, reaches the %d frames below: %s\n",
         unwind_info ? "on" : "off", inside.count, wasm_frames, tail, reached ? "yes" : "no");

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- debug_info ---- */

/* GDB's JIT interface (gdb/jit.h, "JIT Interface" in gdb's manual), which
   the library implements: the list of in-memory object files gdb reads. */
struct jit_code_entry {
  struct jit_code_entry* next_entry;
  struct jit_code_entry* prev_entry;
  const char* symfile_addr;
  uint64_t symfile_size;
};

struct jit_descriptor {
  uint32_t version;
  uint32_t action_flag;
  struct jit_code_entry* relevant_entry;
  struct jit_code_entry* first_entry;
};

extern struct jit_descriptor __jit_debug_descriptor;

/* The function symbol `name` of an ELF64 image: its size, or 0 if absent. */
static uint64_t elf_symbol_size(const unsigned char* image, uint64_t size, const char* name) {
  if (size < sizeof(Elf64_Ehdr) || memcmp(image, ELFMAG, SELFMAG) != 0) return 0;
  Elf64_Ehdr header;
  memcpy(&header, image, sizeof header);
  for (unsigned i = 0; i < header.e_shnum; i++) {
    Elf64_Shdr section, strings;
    uint64_t at = header.e_shoff + (uint64_t)i * sizeof section;
    if (at + sizeof section > size) return 0;
    memcpy(&section, image + at, sizeof section);
    if (section.sh_type != SHT_SYMTAB) continue;
    uint64_t strings_at = header.e_shoff + (uint64_t)section.sh_link * sizeof strings;
    if (strings_at + sizeof strings > size) return 0;
    memcpy(&strings, image + strings_at, sizeof strings);
    for (uint64_t s = 0; (s + 1) * sizeof(Elf64_Sym) <= section.sh_size; s++) {
      Elf64_Sym symbol;
      memcpy(&symbol, image + section.sh_offset + s * sizeof symbol, sizeof symbol);
      if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC) continue;
      const char* sname = (const char*)image + strings.sh_offset + symbol.st_name;
      if (strcmp(sname, name) == 0) return symbol.st_size;
    }
  }
  return 0;
}

static size_t registered_objects(void) {
  size_t n = 0;
  for (const struct jit_code_entry* e = __jit_debug_descriptor.first_entry; e; e = e->next_entry) {
    ++n;
  }
  return n;
}

static void debug_check(bool debug_info, const char* guest) {
  printf("registered objects before: %zu\n", registered_objects());
  wasm_config_t* config = wasm_config_new();
  wasm_config_debug_info_set(config, debug_info);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, guest);
  uint64_t divide = 0;
  for (const struct jit_code_entry* e = __jit_debug_descriptor.first_entry; e; e = e->next_entry) {
    uint64_t size = elf_symbol_size((const unsigned char*)e->symfile_addr, e->symfile_size,
                                    "divide");
    if (size) divide = size;
  }
  printf("debug info %s: registered objects: %zu, symbol divide: %s\n", debug_info ? "on" : "off",
         registered_objects(), divide ? "yes" : "no");
  wasm_instance_t* instance = instantiate(store, module, NULL, 0);
  wasm_trap_t* trap = NULL;
  int32_t result = call_guest_run(instance, 5, &trap);
  if (trap) die("run(5) trapped");
  printf("run(5) = %" PRId32 "\n", result);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("registered objects after release: %zu\n", registered_objects());
}

/* ---- wasm_backtrace_details ---- */

/* "FILE:LINE:COLUMN" of the frame, or "none". */
static void frame_source(const wasm_frame_t* frame, char* out, size_t size) {
  wasm_name_t file;
  uint32_t line = 0, column = 0;
  if (wasm_frame_source(frame, &file, &line, &column)) {
    snprintf(out, size, "%.*s:%" PRIu32 ":%" PRIu32, (int)file.size, file.data, line, column);
    wasm_byte_vec_delete(&file);
  } else {
    snprintf(out, size, "none");
  }
}

/* Prints the trap of run(0) and its frames. */
static void print_trap(const wasm_trap_t* trap, bool sources) {
  char message[512];
  trap_first_line(trap, message, sizeof message);
  wasm_trap_code_t code = 0xff;
  bool has_code = wasm_trap_code(trap, &code);
  printf("trap: code %d: %s\n", has_code ? (int)code : -1, message);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  for (size_t i = 0; i < frames.size; i++) {
    const wasm_frame_t* frame = frames.data[i];
    const wasm_name_t* name = wasm_frame_func_name(frame);
    char source[512] = "";
    if (sources) frame_source(frame, source, sizeof source);
    printf("frame %zu: func %" PRIu32 " %.*s offset %zu%s%s\n", i, wasm_frame_func_index(frame),
           name ? (int)name->size : 1, name ? name->data : "?", wasm_frame_func_offset(frame),
           sources ? " source " : "", source);
  }
  wasm_frame_vec_delete(&frames);
}

static void details_check(bool details, const char* guest) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_wasm_backtrace_details_set(
      config, details ? WASM_BACKTRACE_DETAILS_ENABLE : WASM_BACKTRACE_DETAILS_DISABLE);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, guest);
  wasm_instance_t* instance = instantiate(store, module, NULL, 0);
  wasm_trap_t* trap = NULL;
  call_guest_run(instance, 0, &trap);
  if (!trap) die("run(0) did not trap");
  print_trap(trap, true);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  char source[512];
  frame_source(origin, source, sizeof source);
  printf("origin: %s\n", source);
  wasm_frame_delete(origin);
  wasm_trap_delete(trap);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- coredump_on_trap ---- */

static uint32_t take_leb(reader* r) {
  uint32_t value = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    unsigned char byte = *take(r, 1);
    value |= (uint32_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  die("LEB128 too long");
  return 0;
}

static int64_t take_sleb(reader* r) {
  int64_t value = 0;
  unsigned shift = 0;
  unsigned char byte;
  do {
    if (shift >= 70) die("LEB128 too long");
    byte = *take(r, 1);
    value |= (int64_t)((uint64_t)(byte & 0x7f) << (shift < 64 ? shift : 63));
    shift += 7;
  } while (byte & 0x80);
  if (shift < 64 && (byte & 0x40)) value |= (int64_t)(~(uint64_t)0 << shift);
  return value;
}

/* A coredump value (0x01: missing, else a type byte and the value),
   appended to `out` as " ?", " i32:N", " i64:N", " f32:0xBITS" or
   " f64:0xBITS". */
static void take_value(reader* r, char* out, size_t size) {
  size_t used = strlen(out);
  char* at = out + used;
  size_t room = size - used;
  switch (*take(r, 1)) {
    case 0x01:
      snprintf(at, room, " ?");
      break;
    case 0x7f:
      snprintf(at, room, " i32:%" PRId64, take_sleb(r));
      break;
    case 0x7e:
      snprintf(at, room, " i64:%" PRId64, take_sleb(r));
      break;
    case 0x7d:
      snprintf(at, room, " f32:0x%08" PRIx64, take_le(r, 4));
      break;
    case 0x7c:
      snprintf(at, room, " f64:0x%016" PRIx64, take_le(r, 8));
      break;
    default:
      die("corestack: unknown value kind");
  }
}

/* The dump's sections (custom ones by name) and its corestack frames. */
static void list_coredump(const wasm_byte_vec_t* dump) {
  reader r = {(const unsigned char*)dump->data, dump->size};
  if (memcmp(take(&r, 4), "\0asm", 4) != 0) fail("the coredump has no wasm magic");
  uint32_t version = (uint32_t)take_le(&r, 4);
  printf("coredump: %zu bytes, wasm version %" PRIu32 "\n", dump->size, version);
  while (r.left > 0) {
    unsigned id = *take(&r, 1);
    uint32_t size = take_leb(&r);
    reader section = {take(&r, size), size};
    if (id != 0) {
      printf("section: %u (%" PRIu32 " bytes)\n", id, size);
      continue;
    }
    uint32_t name_len = take_leb(&section);
    const char* name = (const char*)take(&section, name_len);
    printf("section: custom %.*s\n", (int)name_len, name);
    if (name_len != 9 || memcmp(name, "corestack", 9) != 0) continue;
    if (*take(&section, 1) != 0) fail("corestack: unknown thread kind");
    uint32_t thread_len = take_leb(&section);
    printf("corestack thread: %.*s\n", (int)thread_len, (const char*)take(&section, thread_len));
    uint32_t frames = take_leb(&section);
    for (uint32_t i = 0; i < frames; i++) {
      if (*take(&section, 1) != 0) fail("corestack: unknown frame kind");
      uint32_t instance = take_leb(&section);
      uint32_t func = take_leb(&section);
      uint32_t offset = take_leb(&section);
      char locals_text[512] = "", stack_text[512] = "";
      uint32_t locals = take_leb(&section);
      for (uint32_t l = 0; l < locals; l++) take_value(&section, locals_text, sizeof locals_text);
      uint32_t stack = take_leb(&section);
      for (uint32_t s = 0; s < stack; s++) take_value(&section, stack_text, sizeof stack_text);
      printf("corestack frame %" PRIu32 ": instance %" PRIu32 " func %" PRIu32 " offset %" PRIu32
             " locals %" PRIu32 " [%s ] stack %" PRIu32 " [%s ]\n",
             i, instance, func, offset, locals, locals_text, stack, stack_text);
    }
  }
}

static void coredump_check(bool coredump, const char* guest, const char* out) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_coredump_on_trap_set(config, coredump);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, guest);
  wasm_instance_t* instance = instantiate(store, module, NULL, 0);
  wasm_trap_t* trap = NULL;
  call_guest_run(instance, 0, &trap);
  if (!trap) die("run(0) did not trap");
  print_trap(trap, false);
  wasm_byte_vec_t dump;
  if (wasm_trap_coredump(trap, &dump)) {
    FILE* file = fopen(out, "wb");
    if (!file || fwrite(dump.data, 1, dump.size, file) != dump.size || fclose(file) != 0) {
      die("cannot write %s", out);
    }
    list_coredump(&dump);
  } else {
    printf("coredump: none (%zu bytes)\n", dump.size);
    if (dump.size != 0) fail("no coredump, but %zu bytes", dump.size);
  }
  wasm_byte_vec_delete(&dump);
  wasm_trap_delete(trap);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- wmemcheck ---- */

typedef struct {
  char data[8192];
  size_t size;
} output_buffer;

static ptrdiff_t collect_output(void* env, const unsigned char* bytes, size_t len) {
  output_buffer* out = env;
  size_t room = sizeof out->data - 1 - out->size;
  size_t n = len < room ? len : room;
  memcpy(out->data + out->size, bytes, n);
  out->size += n;
  out->data[out->size] = '\0';
  return (ptrdiff_t)len;
}

static void wmemcheck_check(bool wmemcheck, const char* heap, const char* mode) {
  wasm_config_t* config = wasm_config_new();
  wasm_config_wmemcheck_set(config, wmemcheck);
  wasm_engine_t* engine = engine_new(config);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, heap);

  static output_buffer out;
  wasi_config_t* wasi = wasi_config_new();
  const char* argv[2] = {"heap", mode};
  if (!wasi_config_set_argv(wasi, 2, argv)) die("wasi_config_set_argv");
  wasi_config_set_stdout_custom(wasi, collect_output, &out, NULL);
  wasi_config_inherit_stderr(wasi);
  wasm_error_t* error = wasm_store_set_wasi(store, wasi);
  if (error) die_error("wasm_store_set_wasi", error);
  wasm_linker_t* linker = wasm_linker_new(engine);
  error = wasm_linker_define_wasi(linker);
  if (error) die_error("wasm_linker_define_wasi", error);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  error = wasm_linker_instantiate(linker, store, module, &instance, &trap);
  if (error) die_error("wasm_linker_instantiate", error);
  if (trap) die("the guest's start function trapped");

  wasm_extern_t* handle = NULL;
  wasm_func_t* start = export_func(instance, "_start", &handle);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  trap = wasm_func_call(start, &none, &no_results);
  for (const char* line = out.data; *line;) {
    size_t len = strcspn(line, "\n");
    printf("guest: %.*s\n", (int)len, line);
    line += len + (line[len] == '\n');
  }
  int status = 0;
  if (!trap) {
    printf("result: exit 0\n");
  } else if (wasm_trap_exit_status(trap, &status)) {
    printf("result: exit %d\n", status);
  } else {
    char message[512];
    trap_first_line(trap, message, sizeof message);
    wasm_trap_code_t code = 0xff;
    bool has_code = wasm_trap_code(trap, &code);
    printf("result: trap code %d: %s\n", has_code ? (int)code : -1, message);
  }
  if (trap) wasm_trap_delete(trap);
  wasm_extern_delete(handle);
  wasm_instance_delete(instance);
  wasm_linker_delete(linker);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- main ---- */

static void usage(void) {
  die("usage: observability profile none|jitdump|vtune|perfmap | unwind on|off | "
      "debug on|off GUEST | details on|off GUEST | coredump on|off GUEST OUT | "
      "wmemcheck on|off HEAP MODE");
}

int main(int argc, char** argv) {
  /* Lines in order with what gdb and the library print. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) usage();
  const char* check = argv[1];
  if (strcmp(check, "profile") == 0) {
    profile_check(argv[2]);
  } else if (strcmp(check, "unwind") == 0) {
    unwind_check(parse_on_off(argv[2]));
  } else if (strcmp(check, "debug") == 0 && argc == 4) {
    debug_check(parse_on_off(argv[2]), argv[3]);
  } else if (strcmp(check, "details") == 0 && argc == 4) {
    details_check(parse_on_off(argv[2]), argv[3]);
  } else if (strcmp(check, "coredump") == 0 && argc == 5) {
    coredump_check(parse_on_off(argv[2]), argv[3], argv[4]);
  } else if (strcmp(check, "wmemcheck") == 0 && argc == 5) {
    wmemcheck_check(parse_on_off(argv[2]), argv[3], argv[4]);
  } else {
    usage();
  }
  return failures ? 1 : 0;
}
