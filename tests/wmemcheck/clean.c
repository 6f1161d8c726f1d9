/* A correct program that works the heap hard: malloc, calloc, realloc
 * and free churn over many block sizes, aligned allocations, strings,
 * a linked list, qsort and printf. Its output is the same with and
 * without wmemcheck. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 97

struct node {
    struct node *next;
    char *name;
    int value;
};

static uint32_t seed = 12345;
static uint32_t next_random(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void) {
    unsigned char *slots[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    unsigned long checksum = 0;

    for (int round = 0; round < 20000; round++) {
        uint32_t r = next_random();
        int i = r % SLOTS;
        size_t n = 1 + (next_random() % 700);
        switch ((r >> 8) % 5) {
        case 0:
            free(slots[i]);
            slots[i] = malloc(n);
            memset(slots[i], i, n);
            sizes[i] = n;
            break;
        case 1: {
            unsigned char *grown = realloc(slots[i], n);
            if (!grown)
                return 1;
            if (n > sizes[i])
                memset(grown + sizes[i], i, n - sizes[i]);
            slots[i] = grown;
            sizes[i] = n;
            break;
        }
        case 2:
            free(slots[i]);
            slots[i] = calloc(n, 1);
            for (size_t k = 0; k < n; k++)
                checksum += slots[i][k];
            memset(slots[i], i, n);
            sizes[i] = n;
            break;
        case 3:
            if (slots[i]) {
                for (size_t k = 0; k < sizes[i]; k++)
                    checksum += slots[i][k];
            }
            break;
        default:
            free(slots[i]);
            slots[i] = NULL;
            sizes[i] = 0;
            break;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        free(slots[i]);
    printf("churn checksum=%lu\n", checksum);

    /* Strings: duplication, growth by realloc, formatting. */
    char *text = strdup("wasm");
    size_t len = strlen(text);
    for (int i = 0; i < 200; i++) {
        char piece[32];
        int m = snprintf(piece, sizeof piece, "-%d", i * i);
        text = realloc(text, len + m + 1);
        memcpy(text + len, piece, m + 1);
        len += m;
    }
    printf("text length=%zu end=%s\n", strlen(text), text + len - 12);
    char *copy = malloc(len + 1);
    strcpy(copy, text);
    printf("copy equal=%d\n", strcmp(copy, text) == 0);
    free(copy);
    free(text);

    /* A linked list of named nodes. */
    struct node *head = NULL;
    for (int i = 0; i < 500; i++) {
        struct node *n = malloc(sizeof *n);
        char name[24];
        snprintf(name, sizeof name, "node%d", i);
        n->name = strdup(name);
        n->value = i * 3;
        n->next = head;
        head = n;
    }
    long total = 0;
    size_t name_bytes = 0;
    while (head) {
        struct node *n = head;
        head = n->next;
        total += n->value;
        name_bytes += strlen(n->name);
        free(n->name);
        free(n);
    }
    printf("list total=%ld names=%zu\n", total, name_bytes);

    /* Aligned blocks. */
    void *aligned = NULL;
    if (posix_memalign(&aligned, 64, 1000) != 0)
        return 1;
    memset(aligned, 7, 1000);
    int *ints = aligned_alloc(32, 256 * sizeof(int));
    for (int i = 0; i < 256; i++)
        ints[i] = (int)(next_random() % 1000);
    qsort(ints, 256, sizeof(int), compare_ints);
    printf("aligned %d %d sorted min=%d max=%d\n",
           (int)((uintptr_t)aligned % 64), (int)((uintptr_t)ints % 32), ints[0], ints[255]);
    free(ints);
    free(aligned);

    double mean = (double)checksum / 20000.0;
    printf("mean=%.3f done\n", mean);
    return 0;
}
