/* Shared by the WASI test guests: a check that reports where it failed. */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s)\n",        \
                    __FILE__, __LINE__, #cond, errno, strerror(errno));        \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Checks that a raw __wasi_* call returned `want`. */
#define CHECK_ERRNO(call, want)                                                \
    do {                                                                       \
        int got_ = (int)(call);                                                \
        if (got_ != (want)) {                                                  \
            fprintf(stderr, "%s:%d: %s returned errno %d, expected %d\n",      \
                    __FILE__, __LINE__, #call, got_, (int)(want));             \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

#endif
