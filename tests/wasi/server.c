/* Accepts one connection on the preopened listening socket whose number
 * is argv[1], answers "echo: " followed by what it received, and shuts
 * the connection down. */
#include "common.h"

#include <wasi/api.h>

int main(int argc, char **argv) {
    CHECK(argc == 2);
    __wasi_fd_t listener = (__wasi_fd_t)atoi(argv[1]);
    __wasi_fdstat_t st;
    CHECK_ERRNO(__wasi_fd_fdstat_get(listener, &st), 0);
    CHECK(st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);

    /* The connection comes non-blocking, as asked. */
    __wasi_fd_t conn;
    __wasi_errno_t e = __wasi_sock_accept(listener, __WASI_FDFLAGS_NONBLOCK, &conn);
    if (e != 0) {
        printf("accept=%d\n", e);
        return 2;
    }
    CHECK_ERRNO(__wasi_fd_fdstat_get(conn, &st), 0);
    CHECK(st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
    CHECK(st.fs_flags == __WASI_FDFLAGS_NONBLOCK);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
    printf("accept_bad_flags=%d\n", __wasi_sock_accept(listener, __WASI_FDFLAGS_APPEND, &conn));

    /* Wait until the request is there, then read it. */
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = conn;
    __wasi_event_t ev;
    __wasi_size_t nev;
    CHECK_ERRNO(__wasi_poll_oneoff(&sub, &ev, 1, &nev), 0);
    CHECK(nev == 1 && ev.error == 0 && ev.type == __WASI_EVENTTYPE_FD_READ);

    uint8_t buf[64];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_size_t n;
    __wasi_roflags_t roflags;
    CHECK_ERRNO(__wasi_sock_recv(conn, &iov, 1, 0, &n, &roflags), 0);
    CHECK(n > 0 && roflags == 0);

    __wasi_ciovec_t out[2] = {{(const uint8_t *)"echo: ", 6}, {buf, n}};
    __wasi_size_t sent;
    CHECK_ERRNO(__wasi_sock_send(conn, out, 2, 0, &sent), 0);
    CHECK(sent == 6 + n);
    CHECK_ERRNO(__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR), 0);
    printf("not_a_socket=%d\n", __wasi_sock_accept(1, 0, &conn));
    printf("recv_on_file=%d\n", __wasi_sock_recv(1, &iov, 1, 0, &n, &roflags));

    /* A non-blocking listener with nobody connecting: EAGAIN at once. */
    CHECK_ERRNO(__wasi_fd_fdstat_set_flags(listener, __WASI_FDFLAGS_NONBLOCK), 0);
    __wasi_fd_t none;
    printf("accept_nonblocking=%d\n", __wasi_sock_accept(listener, 0, &none));
    CHECK_ERRNO(__wasi_fd_close(conn), 0);
    printf("served %u bytes\n", (unsigned)n);
    return 0;
}
