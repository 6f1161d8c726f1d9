/*
 * The command line of `run` and `compile`, parsed into a cli_options.
 *
 * As in the reference: options of `run` come before FILE and everything
 * after FILE belongs to the program (so its own `--flags` reach it);
 * `compile` takes its options anywhere. `--name value` and `--name=value`
 * are the same, and a usage error (an unknown option, a missing or bad
 * value) exits with status 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What each option takes and which commands have it. */
enum option_id {
  OPT_DIR,
  OPT_ENV,
  OPT_INVOKE,
  OPT_FUEL,
  OPT_MAX_MEMORY,
  OPT_ALLOW_PRECOMPILED,
  OPT_WASM,
  OPT_OPT_LEVEL,
  OPT_PROFILE,
  OPT_DEBUG,
  OPT_COREDUMP,
  OPT_OUTPUT
};

static const struct {
  const char* long_name;
  char short_name; /* 0: none */
  enum option_id id;
  bool takes_value;
  bool run;
  bool compile;
} OPTIONS[] = {
    {"dir", 0, OPT_DIR, true, true, false},
    {"env", 0, OPT_ENV, true, true, false},
    {"invoke", 0, OPT_INVOKE, true, true, false},
    {"fuel", 0, OPT_FUEL, true, true, true},
    {"max-memory", 0, OPT_MAX_MEMORY, true, true, false},
    {"allow-precompiled", 0, OPT_ALLOW_PRECOMPILED, false, true, false},
    {"coredump-on-trap", 0, OPT_COREDUMP, true, true, false},
    {"wasm", 'W', OPT_WASM, true, true, true},
    {"opt-level", 'O', OPT_OPT_LEVEL, true, true, true},
    {"profile", 0, OPT_PROFILE, true, true, true},
    {"debug", 'D', OPT_DEBUG, true, true, true},
    {"output", 'o', OPT_OUTPUT, true, false, true},
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Prints `error: ...` and the pointer to --help; returns false. */
static bool usage_error(const char* format, ...) {
  va_list args;
  va_start(args, format);
  fputs("error: ", stderr);
  vfprintf(stderr, format, args);
  va_end(args);
  fputs("\n\nFor more information, try '--help'.\n", stderr);
  return false;
}

static char* copy_string(const char* s, size_t len) {
  char* copy = malloc(len + 1);
  if (copy) {
    memcpy(copy, s, len);
    copy[len] = '\0';
  }
  return copy;
}

/* A whole decimal number in [0, max]. */
static bool parse_unsigned(const char* text, uint64_t max, uint64_t* out) {
  if (*text < '0' || *text > '9') return false;
  errno = 0;
  char* end = NULL;
  uintmax_t value = strtoumax(text, &end, 10);
  if (errno != 0 || *end != '\0' || value > max) return false;
  *out = (uint64_t)value;
  return true;
}

/* `y`, `yes`, `true` (true) or `n`, `no`, `false` (false), `len` bytes
   at `value`; false when it is none of them. */
static bool parse_switch(const char* value, size_t len, bool* out) {
  if ((len == 1 && *value == 'y') || (len == 3 && strncmp(value, "yes", 3) == 0) ||
      (len == 4 && strncmp(value, "true", 4) == 0)) {
    *out = true;
    return true;
  }
  if ((len == 1 && *value == 'n') || (len == 2 && strncmp(value, "no", 2) == 0) ||
      (len == 5 && strncmp(value, "false", 5) == 0)) {
    *out = false;
    return true;
  }
  return false;
}

/* `-D debug-info[=y|n]`, the reference's spelling (its other debug
   settings are not options of this command). */
static bool parse_debug(const char* value, struct cli_options* out) {
  size_t name_len = strcspn(value, "=");
  if (name_len != 10 || strncmp(value, "debug-info", 10) != 0) {
    return usage_error("unknown debug setting in `-D %s`: expected debug-info[=y|n]", value);
  }
  bool enable = true;
  if (value[name_len] == '=' &&
      !parse_switch(value + name_len + 1, strlen(value + name_len + 1), &enable)) {
    return usage_error("invalid value in `-D %s`: use debug-info=y or debug-info=n", value);
  }
  out->debug_info = enable;
  return true;
}

/* `FEATURE[=y|n]`, or a comma-separated list of them. */
static bool parse_features(const char* list, struct cli_options* out) {
  const char* item = list;
  for (;;) {
    size_t len = strcspn(item, ",");
    size_t name_len = strcspn(item, ",=");
    bool enable = true;
    if (name_len < len) {
      const char* value = item + name_len + 1;
      size_t value_len = len - name_len - 1;
      if (value_len == 1 && (*value == 'y' || *value == 'n')) {
        enable = *value == 'y';
      } else if ((value_len == 3 && strncmp(value, "yes", 3) == 0) ||
                 (value_len == 4 && strncmp(value, "true", 4) == 0)) {
        enable = true;
      } else if ((value_len == 2 && strncmp(value, "no", 2) == 0) ||
                 (value_len == 5 && strncmp(value, "false", 5) == 0)) {
        enable = false;
      } else {
        return usage_error("invalid value in `--wasm %s`: use FEATURE=y or FEATURE=n", list);
      }
    }
    int index = cli_feature_index(item, name_len);
    if (index < 0) {
      return usage_error("unknown WebAssembly feature in `--wasm %s` (see --help)", list);
    }
    out->features[out->feature_count].index = index;
    out->features[out->feature_count].enable = enable;
    out->feature_count++;
    if (item[len] == '\0') return true;
    item += len + 1;
  }
}

static bool parse_dir(const char* value, struct cli_options* out) {
  const char* separator = strstr(value, "::");
  size_t host_len = separator ? (size_t)(separator - value) : strlen(value);
  const char* guest = separator ? separator + 2 : value;
  if (host_len == 0 || *guest == '\0') {
    return usage_error("invalid `--dir %s`: expected HOST or HOST::GUEST", value);
  }
  struct cli_dir* dir = &out->dirs[out->dir_count];
  dir->host = copy_string(value, host_len);
  dir->guest = copy_string(guest, strlen(guest));
  out->dir_count++;
  if (!dir->host || !dir->guest) return usage_error("out of memory at `--dir %s`", value);
  return true;
}

/* Applies one option with its value (NULL for flags). */
static bool apply(enum option_id id, const char* value, struct cli_options* out) {
  uint64_t number = 0;
  switch (id) {
    case OPT_DIR:
      return parse_dir(value, out);
    case OPT_ENV:
      if (*value == '\0' || *value == '=') {
        return usage_error("invalid `--env %s`: expected NAME or NAME=VALUE", value);
      }
      out->envs[out->env_count++] = value;
      return true;
    case OPT_INVOKE:
      out->invoke = value;
      return true;
    case OPT_FUEL:
      if (!parse_unsigned(value, UINT64_MAX, &number)) {
        return usage_error("invalid `--fuel %s`: expected a number of fuel units", value);
      }
      out->has_fuel = true;
      out->fuel = number;
      return true;
    case OPT_MAX_MEMORY:
      if (!parse_unsigned(value, INT64_MAX, &number)) {
        return usage_error("invalid `--max-memory %s`: expected a number of bytes", value);
      }
      out->has_max_memory = true;
      out->max_memory = (int64_t)number;
      return true;
    case OPT_ALLOW_PRECOMPILED:
      out->allow_precompiled = true;
      return true;
    case OPT_WASM:
      return parse_features(value, out);
    case OPT_OPT_LEVEL: {
      /* The reference spells it `-O opt-level=N`; both are accepted. */
      const char* level = strncmp(value, "opt-level=", 10) == 0 ? value + 10 : value;
      if (strcmp(level, "0") == 0) {
        out->opt_level = WASM_OPT_LEVEL_NONE;
      } else if (strcmp(level, "1") == 0 || strcmp(level, "2") == 0) {
        out->opt_level = WASM_OPT_LEVEL_SPEED;
      } else if (strcmp(level, "s") == 0) {
        out->opt_level = WASM_OPT_LEVEL_SPEED_AND_SIZE;
      } else {
        return usage_error("invalid `--opt-level %s`: expected 0, 1, 2 or s", value);
      }
      out->has_opt_level = true;
      return true;
    }
    case OPT_PROFILE:
      if (strcmp(value, "perfmap") == 0) {
        out->profile = WASM_PROFILING_STRATEGY_PERFMAP;
      } else if (strcmp(value, "jitdump") == 0) {
        out->profile = WASM_PROFILING_STRATEGY_JITDUMP;
      } else if (strcmp(value, "vtune") == 0) {
        out->profile = WASM_PROFILING_STRATEGY_VTUNE;
      } else {
        return usage_error("invalid `--profile %s`: expected perfmap, jitdump or vtune", value);
      }
      out->has_profile = true;
      return true;
    case OPT_DEBUG:
      return parse_debug(value, out);
    case OPT_COREDUMP:
      out->coredump_file = value;
      return true;
    case OPT_OUTPUT:
      out->output = value;
      return true;
  }
  return false;
}

/* Handles the option at argv[*i] (which starts with '-'), advancing *i
   past its value. */
static bool parse_option(int argc, char** argv, int* i, const char* command,
                         struct cli_options* out) {
  const char* arg = argv[*i];
  const char* inline_value = NULL;
  size_t which = COUNT(OPTIONS);
  if (arg[1] == '-') {
    const char* name = arg + 2;
    size_t name_len = strcspn(name, "=");
    if (name[name_len] == '=') inline_value = name + name_len + 1;
    for (size_t k = 0; k < COUNT(OPTIONS); k++) {
      if (strlen(OPTIONS[k].long_name) == name_len &&
          strncmp(OPTIONS[k].long_name, name, name_len) == 0) {
        which = k;
      }
    }
  } else {
    for (size_t k = 0; k < COUNT(OPTIONS); k++) {
      if (OPTIONS[k].short_name != 0 && OPTIONS[k].short_name == arg[1]) which = k;
    }
    /* `-Wsimd` as well as `-W simd`. */
    if (which < COUNT(OPTIONS) && arg[2] != '\0') inline_value = arg + 2;
  }
  bool is_run = strcmp(command, "run") == 0;
  if (which == COUNT(OPTIONS) || !(is_run ? OPTIONS[which].run : OPTIONS[which].compile)) {
    if (which == COUNT(OPTIONS)) return usage_error("unknown option `%s`", arg);
    return usage_error("`%s` is not an option of `%s`", arg, command);
  }
  if (!OPTIONS[which].takes_value) {
    if (inline_value) return usage_error("`%s` takes no value", arg);
    return apply(OPTIONS[which].id, NULL, out);
  }
  if (!inline_value) {
    if (*i + 1 >= argc) return usage_error("`%s` needs a value", arg);
    *i += 1;
    inline_value = argv[*i];
  }
  return apply(OPTIONS[which].id, inline_value, out);
}

bool cli_parse_options(int argc, char** argv, int first, const char* command,
                       struct cli_options* out) {
  memset(out, 0, sizeof *out);
  out->command = command;
  /* No option appears more often than there are arguments (a `--wasm`
     list can hold as many features as its characters). */
  size_t slots = (size_t)argc + 1;
  size_t feature_slots = slots;
  for (int i = first; i < argc; i++) feature_slots += strlen(argv[i]);
  out->dirs = calloc(slots, sizeof *out->dirs);
  out->envs = calloc(slots, sizeof *out->envs);
  out->features = calloc(feature_slots, sizeof *out->features);
  if (!out->dirs || !out->envs || !out->features) {
    return usage_error("out of memory");
  }

  bool is_run = strcmp(command, "run") == 0;
  bool options_done = false;
  for (int i = first; i < argc; i++) {
    const char* arg = argv[i];
    if (!options_done && strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (!options_done && arg[0] == '-' && arg[1] != '\0') {
      if (!parse_option(argc, argv, &i, command, out)) return false;
      continue;
    }
    if (out->file) return usage_error("unexpected argument `%s`", arg);
    out->file = arg;
    if (is_run) {
      /* Everything after FILE is the program's. */
      out->guest_argc = argc - i - 1;
      out->guest_argv = argv + i + 1;
      break;
    }
  }
  if (!out->file) return usage_error("no FILE given");
  return true;
}

void cli_options_free(struct cli_options* options) {
  for (size_t i = 0; options->dirs && i < options->dir_count; i++) {
    free(options->dirs[i].host);
    free(options->dirs[i].guest);
  }
  free(options->dirs);
  free(options->envs);
  free(options->features);
  memset(options, 0, sizeof *options);
}
