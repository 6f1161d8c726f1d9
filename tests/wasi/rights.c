/* Descriptor rights and the error codes of misused descriptors, with the
 * raw preview 1 calls. The preopen `/sandbox` is descriptor 3. */
#include "common.h"

#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>

#define PRE 3

int main(void) {
    __wasi_fdstat_t st;
    __wasi_size_t n;
    uint8_t buf[16];
    __wasi_ciovec_t out = {(const uint8_t *)"data", 4};
    __wasi_iovec_t in = {buf, sizeof buf};

    /* A file opened for reading and writing has both rights. */
    int fd = open("/sandbox/r.txt", O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &st), 0);
    CHECK(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
    CHECK_ERRNO(__wasi_fd_write(fd, &out, 1, &n), 0);
    CHECK(n == 4);

    /* Dropping FD_WRITE: writing is ENOTCAPABLE, reading still works. */
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE,
                                            st.fs_rights_inheriting),
                0);
    __wasi_fdstat_t st2;
    CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &st2), 0);
    CHECK(!(st2.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
    printf("write_after_drop=%d\n", __wasi_fd_write(fd, &out, 1, &n));
    errno = 0;
    printf("libc_write_after_drop=%zd errno=%d\n", write(fd, "x", 1), errno);
    printf("pwrite_after_drop=%d\n", __wasi_fd_pwrite(fd, &out, 1, 0, &n));
    CHECK_ERRNO(__wasi_fd_pread(fd, &in, 1, 0, &n), 0);
    CHECK(n == 4 && memcmp(buf, "data", 4) == 0);
    /* Rights cannot come back. */
    printf("regain=%d\n", __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, 0));
    CHECK(close(fd) == 0);

    /* Opened with only FD_WRITE (raw): reading is ENOTCAPABLE; and seeking,
     * which the rights asked for did not include. */
    __wasi_fd_t wfd;
    CHECK_ERRNO(__wasi_path_open(PRE, 0, "r.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &wfd), 0);
    printf("read_without_right=%d\n", __wasi_fd_read(wfd, &in, 1, &n));
    __wasi_filesize_t pos;
    printf("seek_without_right=%d\n", __wasi_fd_seek(wfd, 1, __WASI_WHENCE_SET, &pos));
    printf("tell_without_right=%d\n", __wasi_fd_tell(wfd, &pos));
    CHECK_ERRNO(__wasi_fd_fdstat_get(wfd, &st), 0);
    CHECK(st.fs_rights_base == __WASI_RIGHTS_FD_WRITE);
    CHECK_ERRNO(__wasi_fd_close(wfd), 0);

    /* A directory dropping PATH_OPEN cannot open anything. */
    __wasi_fd_t dfd;
    CHECK_ERRNO(__wasi_fd_fdstat_get(PRE, &st), 0);
    CHECK(st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK_ERRNO(__wasi_path_open(PRE, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base,
                                 st.fs_rights_inheriting, 0, &dfd),
                0);
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(dfd, st.fs_rights_base & ~__WASI_RIGHTS_PATH_OPEN,
                                            st.fs_rights_inheriting),
                0);
    printf("open_without_right=%d\n", __wasi_path_open(dfd, 0, "r.txt", 0, 0, 0, 0, &wfd));
    /* Inheriting rights bound what is opened beneath. */
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(PRE, st.fs_rights_base,
                                            st.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE),
                0);
    CHECK_ERRNO(__wasi_path_open(PRE, 0, "r.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE,
                                 0, 0, &wfd),
                0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(wfd, &st2), 0);
    CHECK(st2.fs_rights_base == __WASI_RIGHTS_FD_READ);
    printf("write_not_inherited=%d\n", __wasi_fd_write(wfd, &out, 1, &n));

    /* Misused descriptors. */
    __wasi_filesize_t off;
    printf("seek_stdout=%d\n", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &off));
    printf("read_dir=%d\n", __wasi_fd_read(PRE, &in, 1, &n));
    printf("write_stdin=%d\n", __wasi_fd_write(0, &out, 1, &n));
    printf("close_bad=%d\n", __wasi_fd_close(1234));
    printf("prestat_stdin=%d\n", __wasi_fd_prestat_get(0, &(__wasi_prestat_t){0}));
    printf("prestat_name_short=%d\n", __wasi_fd_prestat_dir_name(PRE, buf, 3));
    printf("open_file_as_dir=%d\n", __wasi_path_open(wfd, 0, "x", 0, 0, 0, 0, &dfd));
    printf("open_dir_creat=%d\n",
           __wasi_path_open(PRE, 0, "d", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, 0, 0, 0,
                            &dfd));
    printf("seek_whence_bad=%d\n", __wasi_fd_seek(wfd, 0, 7, &off));
    int lfd = open("/sandbox/r.txt", O_RDONLY);
    CHECK(lfd >= 0);
    printf("set_flags_sync=%d\n", __wasi_fd_fdstat_set_flags(lfd, __WASI_FDFLAGS_SYNC));
    CHECK_ERRNO(__wasi_fd_fdstat_set_flags(lfd, __WASI_FDFLAGS_NONBLOCK), 0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(lfd, &st), 0);
    CHECK(st.fs_flags == __WASI_FDFLAGS_NONBLOCK);
    printf("set_flags_readonly_right=%d\n", __wasi_fd_fdstat_set_flags(wfd, 0));
    printf("pread_stdin=%d\n", __wasi_fd_pread(0, &in, 1, 0, &n));

    /* Renumbering moves a descriptor. */
    CHECK_ERRNO(__wasi_fd_renumber(wfd, 40), 0);
    printf("old_after_renumber=%d\n", __wasi_fd_fdstat_get(wfd, &st));
    CHECK_ERRNO(__wasi_fd_fdstat_get(40, &st), 0);
    printf("renumber_bad=%d\n", __wasi_fd_renumber(1234, 41));
    printf("rights ok\n");
    return 0;
}
