/*
 * The main example: a WASI program in plain C, run by the `wasm-runtime`
 * command. It greets each of its arguments, with the greeting the
 * environment variable GREETING gives (or "Hello"), and says who it is
 * (argv[0], which the command sets to the module's file name).
 *
 *   wasm-runtime run --env GREETING=Hi examples-wasi/hello.wasm world
 *
 * Built for wasm32-wasi by the CMake project when clang and wasi-libc are
 * installed; examples-wasi/hello.wasm is the same program checked in for
 * when they are not (rebuild it with the command in examples-wasi/README.md).
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const char* greeting = getenv("GREETING");
  if (!greeting) greeting = "Hello";
  printf("%s from %s, a WASI program!\n", greeting, argc > 0 ? argv[0] : "WebAssembly");
  for (int i = 1; i < argc; i++) printf("%s, %s!\n", greeting, argv[i]);
  return 0;
}
