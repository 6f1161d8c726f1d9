/* Exit statuses: `return N` from main, `exit N`, `proc_exit N`. */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    if (argc < 3)
        return 99;
    int n = atoi(argv[2]);
    if (!strcmp(argv[1], "return"))
        return n;
    if (!strcmp(argv[1], "exit"))
        exit(n);
    if (!strcmp(argv[1], "proc_exit"))
        __wasi_proc_exit((__wasi_exitcode_t)n);
    return 98;
}
