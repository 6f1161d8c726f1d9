/* Arguments, environment and the standard streams. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    const char *names[] = {"GREETING", "EMPTY", "MISSING"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        printf("%s=%s\n", names[i], v ? v : "(unset)");
    }
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("environ count=%d\n", n);

    char buf[7];
    size_t total = 0;
    ssize_t r;
    printf("stdin:");
    while ((r = read(0, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)r, stdout);
        total += (size_t)r;
    }
    printf("\nstdin bytes=%zu read result=%zd\n", total, r);
    fflush(stdout);
    fprintf(stderr, "to stderr\n");
    return 0;
}
