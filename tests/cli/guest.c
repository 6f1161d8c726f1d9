/*
 * A WASI command for tests/cli.rs: argv[1] picks what it does, so one
 * build serves every test.
 *
 *   args            prints argc and each argument
 *   env NAME...     prints NAME=value or NAME unset, for each NAME
 *   copy IN OUT     reads the file IN and writes it upper-cased to OUT
 *   exit N          exits with status N
 *   trap            executes `unreachable` (in a named function)
 *   partial         writes a line without its newline, then returns
 *   cat             copies standard input to standard output
 *   alloc BYTES     tries to allocate BYTES and says whether it could
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void crash_here(void) { __builtin_trap(); }

static int copy_upper(const char* in, const char* out) {
  FILE* source = fopen(in, "rb");
  if (!source) {
    perror(in);
    return 1;
  }
  FILE* target = fopen(out, "wb");
  if (!target) {
    perror(out);
    fclose(source);
    return 1;
  }
  int c;
  while ((c = fgetc(source)) != EOF) fputc(toupper(c), target);
  fclose(source);
  fclose(target);
  printf("copied %s to %s\n", in, out);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "args";
  if (strcmp(mode, "args") == 0) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
  }
  if (strcmp(mode, "env") == 0) {
    for (int i = 2; i < argc; i++) {
      const char* value = getenv(argv[i]);
      if (value) {
        printf("%s=%s\n", argv[i], value);
      } else {
        printf("%s unset\n", argv[i]);
      }
    }
    return 0;
  }
  if (strcmp(mode, "copy") == 0 && argc == 4) return copy_upper(argv[2], argv[3]);
  if (strcmp(mode, "exit") == 0 && argc == 3) exit(atoi(argv[2]));
  if (strcmp(mode, "trap") == 0) {
    crash_here();
    return 0;
  }
  if (strcmp(mode, "partial") == 0) {
    printf("no newline at the end");
    return 0;
  }
  if (strcmp(mode, "cat") == 0) {
    int c;
    while ((c = getchar()) != EOF) putchar(c);
    return 0;
  }
  if (strcmp(mode, "alloc") == 0 && argc == 3) {
    /* Through a volatile object, or the compiler drops the unused
       allocation and takes it to have succeeded. */
    void* volatile block = malloc((size_t)atol(argv[2]));
    puts(block ? "allocated" : "out of memory");
    free(block);
    return 0;
  }
  fprintf(stderr, "guest: unknown mode %s\n", mode);
  return 2;
}
