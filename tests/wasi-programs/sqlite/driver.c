/* A small sqlite3 front end for the WASI tests (tests/wasi_sqlite.rs): the
 * amalgamation ships no shell, so this is ours.
 *
 *   driver DATABASE SCRIPT
 *
 * opens (or creates) DATABASE, then runs the SQL statements of the file
 * SCRIPT one at a time (prepare, step until done), printing every result
 * row on stdout as its columns' text separated by `|` (NULL as an empty
 * field), as the sqlite3 shell's default list mode does. The first failing
 * statement is reported on stderr with its line in SCRIPT and sqlite's
 * message, and ends the program with status 1; so does a failure to open
 * either file or to close the database. Exit status 0 means every
 * statement ran and the database closed cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

/* The whole of `path`, NUL-terminated; NULL (with errno set) on failure. */
static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t size = 0, capacity = 4096;
  char *text = malloc(capacity);
  while (text) {
    size_t got = fread(text + size, 1, capacity - size - 1, f);
    size += got;
    if (got == 0) break;
    if (capacity - size - 1 == 0) {
      char *bigger = realloc(text, capacity * 2);
      if (!bigger) {
        free(text);
        text = NULL;
        break;
      }
      text = bigger;
      capacity *= 2;
    }
  }
  int failed = ferror(f);
  fclose(f);
  if (!text || failed) {
    free(text);
    return NULL;
  }
  text[size] = '\0';
  return text;
}

/* The 1-based line of `at` in `text`. */
static int line_of(const char *text, const char *at) {
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  return line;
}

static void print_row(sqlite3_stmt *stmt) {
  int columns = sqlite3_column_count(stmt);
  for (int i = 0; i < columns; i++) {
    const unsigned char *value = sqlite3_column_text(stmt, i);
    if (i) putchar('|');
    if (value) fputs((const char *)value, stdout);
  }
  putchar('\n');
}

/* `p` past white space and `--` comments: where a statement begins. */
static const char *skip_blank(const char *p) {
  for (;;) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (p[0] != '-' || p[1] != '-') return p;
    while (*p && *p != '\n') p++;
  }
}

/* Runs every statement of `script`; 0 when all succeeded, else 1 after
 * saying which failed. */
static int run_script(sqlite3 *db, const char *script, const char *script_path) {
  const char *next = script;
  while (*next) {
    const char *start = skip_blank(next);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, start, -1, &stmt, &next);
    if (rc != SQLITE_OK) {
      /* A syntax error knows its offset; other errors name the statement. */
      int offset = sqlite3_error_offset(db);
      const char *at = offset >= 0 ? start + offset : start;
      fprintf(stderr, "%s:%d: error: %s\n", script_path, line_of(script, at), sqlite3_errmsg(db));
      return 1;
    }
    if (!stmt) continue; /* only white space or comments were left */
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) print_row(stmt);
    if (rc != SQLITE_DONE) {
      fprintf(stderr, "%s:%d: error: %s\n", script_path, line_of(script, start),
              sqlite3_errmsg(db));
      sqlite3_finalize(stmt);
      return 1;
    }
    sqlite3_finalize(stmt);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DATABASE SCRIPT\n", argc > 0 ? argv[0] : "driver");
    return 2;
  }
  const char *db_path = argv[1], *script_path = argv[2];
  char *script = read_file(script_path);
  if (!script) {
    perror(script_path);
    return 1;
  }
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "%s: cannot open: %s\n", db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    free(script);
    return 1;
  }
  int status = run_script(db, script, script_path);
  free(script);
  if (fflush(stdout) != 0) {
    perror("stdout");
    status = 1;
  }
  rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "%s: close: %s\n", db_path, sqlite3_errstr(rc));
    status = 1;
  }
  return status;
}
