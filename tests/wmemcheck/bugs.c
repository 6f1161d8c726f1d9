/* Heap bugs for wmemcheck, one per mode (argv[1]): each prints the
 * address of the block it misuses ("block=0x...", and "global=0x..." for
 * the non-heap pointer) before the bug, then commits it. Without a checker
 * every mode runs to the end and prints "survived". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Accesses through helpers the optimizer keeps: the bug must happen as
 * written. */
__attribute__((noinline)) static int read_int(volatile int *p) { return *p; }
__attribute__((noinline)) static void write_byte(volatile char *p, char c) { *p = c; }
__attribute__((noinline)) static void release(void *p) { free(p); }

static char global_buffer[32];

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "none";
    if (strcmp(mode, "use-after-free") == 0) {
        int *p = malloc(4 * sizeof(int));
        for (int i = 0; i < 4; i++)
            p[i] = i * 7;
        printf("block=%p\n", (void *)p);
        fflush(stdout);
        release(p);
        int v = read_int(p + 1); /* 4 bytes at block + 4, freed */
        printf("read %d\n", v);
    } else if (strcmp(mode, "heap-overflow") == 0) {
        char *p = malloc(16);
        memset(p, 'a', 16);
        printf("block=%p\n", (void *)p);
        fflush(stdout);
        write_byte(p + 16, 'b'); /* one past the end of the block */
        release(p);
    } else if (strcmp(mode, "double-free") == 0) {
        char *p = malloc(32);
        strcpy(p, "freed twice");
        printf("block=%p\n", (void *)p);
        fflush(stdout);
        release(p);
        release(p);
    } else if (strcmp(mode, "non-heap-free") == 0) {
        char *volatile q = global_buffer;
        printf("global=%p\n", (void *)q);
        fflush(stdout);
        release(q);
    } else if (strcmp(mode, "interior-free") == 0) {
        char *p = malloc(32);
        printf("block=%p\n", (void *)p);
        fflush(stdout);
        release(p + 8);
    } else if (strcmp(mode, "none") != 0) {
        printf("unknown mode %s\n", mode);
        return 2;
    }
    printf("survived\n");
    return 0;
}
