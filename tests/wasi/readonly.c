/* A preopen with read permissions only (`/ro`, descriptor 3): reading
 * works, every change is refused. Host layout: ro/data.txt "read me". */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define PRE 3

static int libc_errno(int r) { return r < 0 ? errno : 0; }

int main(void) {
    char buf[32];
    int fd = open("/ro/data.txt", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 7 && memcmp(buf, "read me", 7) == 0);
    /* Opened for reading: no write right. */
    __wasi_ciovec_t x = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    printf("write_readonly_fd=%d\n", __wasi_fd_write((__wasi_fd_t)fd, &x, 1, &n));
    errno = 0;
    printf("libc_write_readonly_fd=%zd errno=%d\n", write(fd, "x", 1), errno);
    printf("truncate_readonly_fd=%d\n", libc_errno(ftruncate(fd, 0)));
    CHECK(close(fd) == 0);

    printf("open_write=%d\n", libc_errno(open("/ro/data.txt", O_WRONLY)));
    printf("open_rdwr=%d\n", libc_errno(open("/ro/data.txt", O_RDWR)));
    printf("open_trunc=%d\n", libc_errno(open("/ro/data.txt", O_RDONLY | O_TRUNC)));
    printf("create=%d\n", libc_errno(open("/ro/new.txt", O_CREAT | O_WRONLY, 0644)));
    printf("mkdir=%d\n", libc_errno(mkdir("/ro/newdir", 0755)));
    printf("unlink=%d\n", libc_errno(unlink("/ro/data.txt")));
    printf("rename=%d\n", libc_errno(rename("/ro/data.txt", "/ro/moved.txt")));
    printf("symlink=%d\n", libc_errno(symlink("data.txt", "/ro/link")));
    printf("link=%d\n", libc_errno(link("/ro/data.txt", "/ro/hard")));
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    printf("utimens=%d\n", libc_errno(utimensat(AT_FDCWD, "/ro/data.txt", ts, 0)));
    /* Raw: create with no write right asked for is still a creation. */
    __wasi_fd_t nfd;
    printf("raw_create=%d\n",
           __wasi_path_open(PRE, 0, "raw.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0,
                            &nfd));
    struct stat st;
    CHECK(stat("/ro/data.txt", &st) == 0 && st.st_size == 7);
    printf("readonly ok\n");
    return 0;
}
