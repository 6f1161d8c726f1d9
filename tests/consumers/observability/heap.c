/*
 * The guest of observability.c's wmemcheck check: a WASI command built by
 * tests/observability_package.rs with `clang --target=wasm32-wasi -O2`
 * (wasi-libc's malloc, which wmemcheck finds by name). argv[1] picks the
 * mode: "clean" works the heap correctly; "use-after-free",
 * "heap-overflow" and "double-free" print the address of the block they
 * misuse ("block=0x...", flushed) and then commit the bug. Every mode that
 * is not stopped ends by printing "survived".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bugs go through helpers the optimizer keeps, so they happen as
 * written. */
__attribute__((noinline)) static int read_int(volatile int *p) { return *p; }
__attribute__((noinline)) static void write_byte(volatile char *p, char c) { *p = c; }
__attribute__((noinline)) static void release(void *p) { free(p); }

struct node {
  struct node *next;
  int value;
};

/* Correct heap use: a list, a growing buffer, calloc'd and freed blocks. */
static unsigned long clean(void) {
  unsigned long sum = 0;
  struct node *head = NULL;
  for (int i = 0; i < 200; i++) {
    struct node *n = malloc(sizeof *n);
    if (!n) exit(1);
    n->value = i;
    n->next = head;
    head = n;
  }
  while (head) {
    struct node *n = head;
    head = n->next;
    sum += (unsigned long)n->value;
    free(n);
  }
  char *text = NULL;
  size_t len = 0;
  for (int i = 0; i < 100; i++) {
    char piece[16];
    int m = snprintf(piece, sizeof piece, "%d,", i);
    char *grown = realloc(text, len + (size_t)m + 1);
    if (!grown) exit(1);
    text = grown;
    memcpy(text + len, piece, (size_t)m + 1);
    len += (size_t)m;
  }
  sum += strlen(text);
  free(text);
  unsigned char *zeros = calloc(300, 1);
  if (!zeros) exit(1);
  for (int i = 0; i < 300; i++) sum += zeros[i];
  free(zeros);
  return sum;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "clean";
  if (strcmp(mode, "clean") == 0) {
    printf("clean sum=%lu\n", clean());
  } else if (strcmp(mode, "use-after-free") == 0) {
    int *p = malloc(4 * sizeof(int));
    for (int i = 0; i < 4; i++) p[i] = i;
    printf("block=%p\n", (void *)p);
    fflush(stdout); /* before the trap */
    release(p);
    printf("read %d\n", read_int(p + 1)); /* 4 bytes at block + 4, freed */
  } else if (strcmp(mode, "heap-overflow") == 0) {
    char *p = malloc(16);
    memset(p, 'a', 16);
    printf("block=%p\n", (void *)p);
    fflush(stdout); /* before the trap */
    write_byte(p + 16, 'b'); /* one past the end of the block */
    release(p);
  } else if (strcmp(mode, "double-free") == 0) {
    char *p = malloc(32);
    strcpy(p, "freed twice");
    printf("block=%p\n", (void *)p);
    fflush(stdout); /* before the trap */
    release(p);
    release(p);
  } else {
    printf("unknown mode %s\n", mode);
    return 2;
  }
  printf("survived\n");
  return 0;
}
