/* Clocks, randomness, sleeping with poll_oneoff, and the process calls
 * that answer with an error code. */
#include "common.h"

#include <time.h>
#include <wasi/api.h>

/* wasi-libc's header no longer declares proc_raise; the import is still
 * part of preview 1. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

static __wasi_timestamp_t now(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    CHECK_ERRNO(__wasi_clock_time_get(id, 1, &t), 0);
    return t;
}

/* Polls the subscriptions; the number of events. */
static __wasi_size_t poll(const __wasi_subscription_t *subs, __wasi_event_t *events, int n) {
    __wasi_size_t got = 0;
    CHECK_ERRNO(__wasi_poll_oneoff(subs, events, (__wasi_size_t)n, &got), 0);
    return got;
}

int main(void) {
    __wasi_timestamp_t res = 0;
    CHECK_ERRNO(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0);
    CHECK(res > 0);
    CHECK_ERRNO(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res), 0);
    CHECK(res > 0);
    printf("clock_bad=%d\n", __wasi_clock_time_get(17, 0, &res));

    __wasi_timestamp_t m0 = now(__WASI_CLOCKID_MONOTONIC);
    __wasi_timestamp_t m1 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(m1 >= m0);
    printf("realtime_s=%llu\n", (unsigned long long)(now(__WASI_CLOCKID_REALTIME) / 1000000000));
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 3000000; i++)
        spin += i;
    CHECK(spin > 0);
    CHECK(now(__WASI_CLOCKID_PROCESS_CPUTIME_ID) > 0);
    CHECK(now(__WASI_CLOCKID_THREAD_CPUTIME_ID) > 0);

    /* Randomness. */
    uint8_t a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_ERRNO(__wasi_random_get(a, sizeof a), 0);
    CHECK_ERRNO(__wasi_random_get(b, sizeof b), 0);
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    CHECK(zeros < 8);
    CHECK(memcmp(a, b, sizeof a) != 0);
    printf("random=");
    for (size_t i = 0; i < 8; i++)
        printf("%02x", a[i]);
    printf("\n");

    /* A relative sleep of 50 ms. */
    __wasi_subscription_t sub;
    __wasi_event_t ev[2];
    memset(&sub, 0, sizeof sub);
    sub.userdata = 0x1234;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 50 * 1000000ull;
    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(poll(&sub, ev, 1) == 1);
    __wasi_timestamp_t slept = now(__WASI_CLOCKID_MONOTONIC) - t0;
    CHECK(ev[0].userdata == 0x1234 && ev[0].error == 0 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
    printf("relative_sleep_ms=%llu\n", (unsigned long long)(slept / 1000000));

    /* An absolute deadline 30 ms ahead. */
    sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    sub.u.u.clock.timeout = t0 + 30 * 1000000ull;
    CHECK(poll(&sub, ev, 1) == 1);
    printf("absolute_sleep_ms=%llu\n",
           (unsigned long long)((now(__WASI_CLOCKID_MONOTONIC) - t0) / 1000000));

    /* An absolute realtime deadline 20 ms ahead. */
    sub.u.u.clock.id = __WASI_CLOCKID_REALTIME;
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    sub.u.u.clock.timeout = now(__WASI_CLOCKID_REALTIME) + 20 * 1000000ull;
    CHECK(poll(&sub, ev, 1) == 1);
    printf("realtime_sleep_ms=%llu\n",
           (unsigned long long)((now(__WASI_CLOCKID_MONOTONIC) - t0) / 1000000));

    /* A readable stdin (empty bytes) beats a 10 s timeout. */
    __wasi_subscription_t two[2];
    memset(two, 0, sizeof two);
    two[0].userdata = 1;
    two[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    two[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    two[0].u.u.clock.timeout = 10 * 1000000000ull;
    two[1].userdata = 2;
    two[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    two[1].u.u.fd_read.file_descriptor = 0;
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    CHECK(poll(two, ev, 2) == 1);
    CHECK(ev[0].userdata == 2 && ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].error == 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 5 * 1000000000ull);
    printf("stdin_ready_hangup=%d\n", ev[0].fd_readwrite.flags);

    /* libc's nanosleep is poll_oneoff too. */
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    struct timespec ts = {0, 20 * 1000000};
    CHECK(nanosleep(&ts, NULL) == 0);
    CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 20 * 1000000ull);

    __wasi_size_t got;
    printf("poll_none=%d\n", __wasi_poll_oneoff(&sub, ev, 0, &got));
    two[1].u.u.fd_read.file_descriptor = 77;
    printf("poll_badf=%d\n", __wasi_poll_oneoff(two, ev, 2, &got));
    printf("raise=%d\n", raw_proc_raise(15 /* SIGTERM */));
    printf("yield=%d\n", __wasi_sched_yield());
    printf("clocks ok\n");
    return 0;
}
