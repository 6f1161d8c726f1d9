/* Files and directories inside the preopen `/sandbox` (descriptor 3):
 * create, read, write, seek, tell, pread/pwrite, append, truncate, stat,
 * set times, readdir (through libc and raw, with cookies and truncated
 * entries), rename, unlink, mkdir/rmdir, symlinks, readlink, hard links.
 * The host checks the results on disk afterwards. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static void write_all(int fd, const char *s) {
    size_t n = strlen(s);
    CHECK(write(fd, s, n) == (ssize_t)n);
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_dir_sorted(const char *path, char *out, size_t out_len) {
    DIR *d = opendir(path);
    CHECK(d != NULL);
    char *names[32];
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        CHECK(n < 32);
        names[n++] = strdup(ent->d_name);
    }
    CHECK(closedir(d) == 0);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(out, names[i], out_len - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, " ", out_len - strlen(out) - 1);
        free(names[i]);
    }
}

int main(void) {
    char buf[256];

    /* A file the host made. */
    int fd = open("/sandbox/input.txt", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    CHECK(n == 20);
    buf[n] = 0;
    CHECK(strcmp(buf, "hello from the host\n") == 0);
    CHECK(read(fd, buf, sizeof buf) == 0);
    CHECK(close(fd) == 0);
    printf("read input ok\n");

    /* Create, write, tell, seek. */
    fd = open("/sandbox/out.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    write_all(fd, "0123456789");
    CHECK(lseek(fd, 0, SEEK_CUR) == 10);
    CHECK(lseek(fd, 2, SEEK_SET) == 2);
    write_all(fd, "ab");
    CHECK(lseek(fd, 0, SEEK_CUR) == 4);
    CHECK(lseek(fd, -1, SEEK_END) == 9);
    CHECK(lseek(fd, -100, SEEK_CUR) == -1 && errno == EINVAL);
    CHECK(close(fd) == 0);

    /* pread/pwrite leave the position alone. */
    fd = open("/sandbox/out.txt", O_RDWR);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "XY", 2, 5) == 2);
    CHECK(pread(fd, buf, 4, 4) == 4);
    CHECK(memcmp(buf, "4XY7", 4) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0);
    CHECK(read(fd, buf, 3) == 3 && memcmp(buf, "01a", 3) == 0);
    CHECK(close(fd) == 0);

    /* Append mode. */
    fd = open("/sandbox/out.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    write_all(fd, "!");
    CHECK(fcntl(fd, F_GETFL) & O_APPEND);
    CHECK(close(fd) == 0);
    printf("write ok\n");

    /* stat and fstat. */
    struct stat st;
    CHECK(stat("/sandbox/out.txt", &st) == 0);
    CHECK(S_ISREG(st.st_mode) && st.st_size == 11 && st.st_nlink == 1);
    CHECK(stat("/sandbox", &st) == 0 && S_ISDIR(st.st_mode));
    fd = open("/sandbox/out.txt", O_RDONLY);
    struct stat fst;
    CHECK(fstat(fd, &fst) == 0 && fst.st_size == 11);
    CHECK(stat("/sandbox/out.txt", &st) == 0 && st.st_ino == fst.st_ino);
    CHECK(close(fd) == 0);
    CHECK(stat("/sandbox/nope", &st) == -1 && errno == ENOENT);
    printf("stat ok\n");

    /* Truncate and set times. */
    fd = open("/sandbox/trunc.txt", O_CREAT | O_RDWR, 0644);
    write_all(fd, "0123456789");
    CHECK(ftruncate(fd, 4) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 4);
    struct timespec ts[2] = {{1000000000, 5}, {1100000000, 7}};
    CHECK(futimens(fd, ts) == 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK(st.st_mtim.tv_sec == 1100000000 && st.st_mtim.tv_nsec == 7);
    CHECK(st.st_atim.tv_sec == 1000000000);
    CHECK(close(fd) == 0);
    struct timespec ts2[2] = {{1200000000, 0}, {1300000000, 0}};
    CHECK(utimensat(AT_FDCWD, "/sandbox/trunc.txt", ts2, 0) == 0);
    CHECK(stat("/sandbox/trunc.txt", &st) == 0 && st.st_mtim.tv_sec == 1300000000);
    printf("truncate and times ok\n");

    /* Directories. */
    CHECK(mkdir("/sandbox/dir", 0755) == 0);
    CHECK(mkdir("/sandbox/dir", 0755) == -1 && errno == EEXIST);
    const char *files[] = {"/sandbox/dir/a", "/sandbox/dir/b", "/sandbox/dir/c"};
    for (int i = 0; i < 3; i++) {
        fd = open(files[i], O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        write_all(fd, "x");
        CHECK(close(fd) == 0);
    }
    read_dir_sorted("/sandbox/dir", buf, sizeof buf);
    printf("readdir: %s\n", buf);

    /* Raw fd_readdir: cookies, `.` and `..` first, a cut-off entry. */
    int dfd = open("/sandbox/dir", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    uint8_t raw[64];
    __wasi_size_t used;
    CHECK_ERRNO(__wasi_fd_readdir(dfd, raw, sizeof raw, 0, &used), 0);
    CHECK(used == sizeof raw); /* 5 entries do not fit in 64 bytes */
    __wasi_dirent_t ent;
    memcpy(&ent, raw, sizeof ent);
    CHECK(ent.d_next == 1 && ent.d_namlen == 1 && ent.d_type == __WASI_FILETYPE_DIRECTORY);
    CHECK(raw[24] == '.');
    memcpy(&ent, raw + 25, sizeof ent);
    CHECK(ent.d_next == 2 && ent.d_namlen == 2 && memcmp(raw + 49, "..", 2) == 0);
    /* From cookie 2 on: the three files, each `dirent` + 1 name byte. */
    uint8_t big[256];
    CHECK_ERRNO(__wasi_fd_readdir(dfd, big, sizeof big, 2, &used), 0);
    CHECK(used == 3 * 25);
    for (int i = 0; i < 3; i++) {
        memcpy(&ent, big + 25 * i, sizeof ent);
        CHECK(ent.d_next == (uint64_t)(3 + i) && ent.d_namlen == 1);
        CHECK(ent.d_type == __WASI_FILETYPE_REGULAR_FILE && ent.d_ino != 0);
    }
    CHECK_ERRNO(__wasi_fd_readdir(dfd, big, sizeof big, 5, &used), 0);
    CHECK(used == 0);
    /* A buffer ending inside the second entry's header. */
    CHECK_ERRNO(__wasi_fd_readdir(dfd, big, 30, 0, &used), 0);
    CHECK(used == 30);
    CHECK(close(dfd) == 0);
    printf("raw readdir ok\n");

    /* Rename, unlink, rmdir. */
    CHECK(rename("/sandbox/dir/a", "/sandbox/dir/renamed") == 0);
    CHECK(access("/sandbox/dir/a", F_OK) == -1 && errno == ENOENT);
    CHECK(unlink("/sandbox/dir/b") == 0);
    CHECK(unlink("/sandbox/dir/b") == -1 && errno == ENOENT);
    CHECK(rmdir("/sandbox/dir") == -1 && errno == ENOTEMPTY);
    CHECK(mkdir("/sandbox/empty", 0755) == 0);
    CHECK(rmdir("/sandbox/empty") == 0);
    CHECK(unlink("/sandbox/dir") == -1 && errno == EISDIR);
    printf("rename and remove ok\n");

    /* Symlinks inside the sandbox, readlink, hard links. */
    CHECK(symlink("out.txt", "/sandbox/link") == 0);
    char target[64];
    ssize_t tl = readlink("/sandbox/link", target, sizeof target);
    CHECK(tl == 7 && memcmp(target, "out.txt", 7) == 0);
    CHECK(readlink("/sandbox/link", target, 3) == 3 && memcmp(target, "out", 3) == 0);
    CHECK(lstat("/sandbox/link", &st) == 0 && S_ISLNK(st.st_mode));
    fd = open("/sandbox/link", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, 4) == 4 && memcmp(buf, "01ab", 4) == 0);
    CHECK(close(fd) == 0);
    CHECK(open("/sandbox/link", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP);
    CHECK(symlink("dir", "/sandbox/dirlink") == 0);
    CHECK(stat("/sandbox/dirlink/c", &st) == 0 && S_ISREG(st.st_mode));
    CHECK(link("/sandbox/out.txt", "/sandbox/hard.txt") == 0);
    CHECK(stat("/sandbox/out.txt", &st) == 0 && st.st_nlink == 2);
    CHECK(unlink("/sandbox/dirlink") == 0);
    printf("links ok\n");

    /* Errors of the calls themselves. */
    CHECK(open("/sandbox/out.txt", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR);
    CHECK(open("/sandbox/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0);
    CHECK(open("/sandbox/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
    CHECK(open("/sandbox/dir", O_WRONLY) == -1 && errno == EISDIR);
    printf("fs ok\n");
    return 0;
}
