/* Attempts to leave the preopen (descriptor 3, `/sandbox`), each made with
 * the raw preview 1 call so the exact error code shows; the host checks
 * that nothing outside was touched. Host layout:
 *   root/outside.txt                  "secret"
 *   root/sandbox/inside.txt           "inside"
 *   root/sandbox/sub/                 (empty directory)
 *   root/sandbox/evil_link -> /etc/passwd
 *   root/sandbox/up_link   -> ../outside.txt
 */
#include "common.h"

#include <fcntl.h>
#include <wasi/api.h>

#define PRE 3
#define READ_RIGHTS (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)

static __wasi_errno_t open_read(const char *path, __wasi_lookupflags_t flags, __wasi_fd_t *fd) {
    return __wasi_path_open(PRE, flags, path, 0, READ_RIGHTS, 0, 0, fd);
}

static void report(const char *what, __wasi_errno_t e) { printf("%s=%d\n", what, (int)e); }

int main(void) {
    __wasi_fd_t fd;
    const __wasi_lookupflags_t follow = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;

    /* The preopen is what the host said. */
    __wasi_prestat_t pre;
    CHECK_ERRNO(__wasi_fd_prestat_get(PRE, &pre), 0);
    char name[16] = {0};
    CHECK(pre.u.dir.pr_name_len == 8);
    CHECK_ERRNO(__wasi_fd_prestat_dir_name(PRE, (uint8_t *)name, sizeof name), 0);
    CHECK(strcmp(name, "/sandbox") == 0);

    /* The control: a file inside opens. */
    CHECK_ERRNO(open_read("inside.txt", 0, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);

    report("dotdot", open_read("../outside.txt", follow, &fd));
    report("dotdot_inner", open_read("sub/../../outside.txt", follow, &fd));
    report("absolute", open_read("/etc/passwd", follow, &fd));
    report("symlink_absolute", open_read("evil_link", follow, &fd));
    report("symlink_relative_out", open_read("up_link", follow, &fd));
    report("symlink_nofollow", open_read("evil_link", 0, &fd));
    __wasi_filestat_t st;
    report("stat_symlink_out", __wasi_path_filestat_get(PRE, follow, "evil_link", &st));
    report("stat_dotdot", __wasi_path_filestat_get(PRE, 0, "..", &st));
    uint8_t buf[64];
    __wasi_size_t used;
    report("readlink_absolute", __wasi_path_readlink(PRE, "evil_link", buf, sizeof buf, &used));
    report("symlink_create_absolute", __wasi_path_symlink("/etc/passwd", PRE, "abs_link"));
    report("hardlink_from_outside", __wasi_path_link(PRE, 0, "../outside.txt", PRE, "hard_in"));
    report("hardlink_to_outside", __wasi_path_link(PRE, 0, "inside.txt", PRE, "../hard_out"));
    report("rename_out", __wasi_path_rename(PRE, "inside.txt", PRE, "../moved.txt"));
    report("rename_in", __wasi_path_rename(PRE, "../outside.txt", PRE, "stolen.txt"));
    report("mkdir_out", __wasi_path_create_directory(PRE, "../newdir"));
    report("unlink_out", __wasi_path_unlink_file(PRE, "../outside.txt"));
    report("rmdir_out", __wasi_path_remove_directory(PRE, "../sandbox"));
    report("create_out", __wasi_path_open(PRE, 0, "../created.txt", __WASI_OFLAGS_CREAT,
                                          __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
    report("create_via_symlink", __wasi_path_open(PRE, follow, "up_link", __WASI_OFLAGS_TRUNC,
                                                  __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));

    /* Through wasi-libc: an absolute path that no preopen holds never
     * reaches the host (libc answers ENOTCAPABLE itself). */
    errno = 0;
    int lfd = open("/etc/passwd", O_RDONLY);
    printf("libc_absolute=%d errno=%d\n", lfd, errno);

    /* A symlink whose relative target stays inside works. */
    CHECK_ERRNO(__wasi_path_symlink("inside.txt", PRE, "ok_link"), 0);
    CHECK_ERRNO(open_read("ok_link", follow, &fd), 0);
    CHECK_ERRNO(__wasi_fd_read(fd, &(__wasi_iovec_t){buf, 6}, 1, &used), 0);
    CHECK(used == 6 && memcmp(buf, "inside", 6) == 0);
    printf("sandbox ok\n");
    return 0;
}
