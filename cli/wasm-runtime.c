/*
 * wasm-runtime: runs WebAssembly programs (WASI commands and reactors,
 * binary or text) and compiles them ahead of time, with the conventions of
 * the reference runtime's command line. This file picks the command; the
 * others do one job each (options.c, engine.c, load.c, run.c, compile.c,
 * values.c, report.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_print_usage(FILE* to) {
  fputs(
      "wasm-runtime " WASM_RUNTIME_VERSION
      ": runs WebAssembly programs, and compiles them ahead of time\n"
      "\n"
      "Usage:\n"
      "  wasm-runtime [run] [OPTIONS] FILE [ARGS...]\n"
      "  wasm-runtime compile [OPTIONS] FILE [-o OUT.cwasm]\n"
      "  wasm-runtime --version | --help\n"
      "\n"
      "FILE is a WebAssembly binary (.wasm), text (.wat), or a module\n"
      "precompiled by `wasm-runtime compile` (.cwasm). The program sees\n"
      "FILE's name and ARGS as its arguments and this process's standard\n"
      "streams; nothing else unless an option grants it.\n"
      "\n"
      "Options of run:\n"
      "  --dir HOST[::GUEST]     give the program the host directory HOST as\n"
      "                          GUEST (default: HOST), to read and write\n"
      "  --env NAME[=VALUE]      set an environment variable of the program;\n"
      "                          without VALUE, this process's value of NAME\n"
      "  --invoke FUNC           call the export FUNC with ARGS (parsed by its\n"
      "                          parameter types) instead of the command's\n"
      "                          `_start`, and print each result on a line\n"
      "  --fuel N                run with N units of fuel; running out traps\n"
      "  --max-memory BYTES      limit every linear memory to BYTES\n"
      "  --allow-precompiled     allow FILE to be a precompiled module (its\n"
      "                          machine code runs unchecked: trust it)\n"
      "  --coredump-on-trap FILE  on a trap, write a wasm coredump of the\n"
      "                          program's state to FILE\n"
      "\n"
      "Options of run and compile:\n"
      "  -W, --wasm FEATURE[=y|n]  enable (y, the default) or disable a\n"
      "                          proposal; a comma-separated list is fine:\n"
      "                          bulk-memory, component-model,\n"
      "                          custom-page-sizes, exceptions, extended-const,\n"
      "                          function-references, gc, memory64,\n"
      "                          multi-memory, multi-value, nan-canonicalization,\n"
      "                          reference-types, relaxed-simd,\n"
      "                          relaxed-simd-deterministic, simd, tail-call,\n"
      "                          threads, wide-arithmetic\n"
      "  -O, --opt-level 0|1|2|s  Cranelift's optimization level (default 2)\n"
      "  --profile perfmap|jitdump|vtune  report compiled code to a profiler\n"
      "  -D, --debug debug-info[=y|n]  describe compiled code, with the\n"
      "                          module's DWARF, to native debuggers (gdb)\n"
      "\n"
      "Options of compile:\n"
      "  -o, --output OUT        where to write (default: FILE with .cwasm)\n"
      "\n"
      "Options are repeatable; `--name value` and `--name=value` are the same.\n"
      "Options of run come before FILE: what follows FILE is the program's.\n"
      "\n"
      "Exit status: the program's `proc_exit` status (0 when it returns);\n"
      "134 when it traps; 1 for any other failure; 2 for usage errors.\n",
      to);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    cli_print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char* first = argv[1];
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
    cli_print_usage(stdout);
    return 0;
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    printf("wasm-runtime %s\n", WASM_RUNTIME_VERSION);
    return 0;
  }

  /* `wasm-runtime FILE ...` and `wasm-runtime --dir . FILE` are `run`, as
     in the reference. */
  const char* command = "run";
  int next = 1;
  if (strcmp(first, "run") == 0 || strcmp(first, "compile") == 0) {
    command = first;
    next = 2;
  }

  struct cli_options options;
  int status = CLI_EXIT_USAGE;
  if (cli_parse_options(argc, argv, next, command, &options)) {
    status = strcmp(command, "run") == 0 ? cli_run(&options) : cli_compile(&options);
  }
  cli_options_free(&options);
  return status;
}
