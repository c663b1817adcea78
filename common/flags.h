/*
 * flags.h - the one flag table of a cetcd program.
 *
 * A program describes each flag once (name, type, default, help, where the
 * value goes); that table drives command-line parsing, the ETCD_* environment
 * variables, the YAML configuration file keys (daemon/config_file.c) and
 * --help.  tests/check_manpages.sh checks the man pages against --help, so
 * the documentation cannot drift from the code.
 *
 * Parsing follows Go's flag package as etcd 3.4 uses it: "-f" and "--f" are
 * the same, values come as "--f=v" or "--f v", booleans as "--f" or
 * "--f=true", numbers as strconv.ParseUint/ParseInt with base 0 (0x, 0o, 0b,
 * leading 0, '_' separators), and an error is one of Go's texts:
 *   flag provided but not defined: -f
 *   flag needs an argument: -f
 *   bad flag syntax: ---f
 *   invalid value "x" for flag -f: parse error        (value out of range)
 *   invalid boolean value "x" for -f: parse error
 * followed by the usage; the program then exits with status 2.
 *
 * The environment follows etcd's pkg/flags SetFlagsFromEnv: ETCD_<NAME>
 * (upper case, '-' -> '_') for every flag not on the command line, an empty
 * value counting as unset; see flag_parse_env() for the reports.
 */
#ifndef CETCD_COMMON_FLAGS_H
#define CETCD_COMMON_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flag_type {
	FLAG_STRING,	/* const char *: points into argv, the environment or the default */
	FLAG_BOOL,	/* bool */
	FLAG_UINT64,	/* uint64_t; Go's uint/uint64 flags ("parse error") */
	FLAG_INT64,	/* int64_t; Go's int64 flag */
	FLAG_SECTION,	/* not a flag: a heading in --help */
	FLAG_UINT32,	/* uint32_t; etcd's flags.Uint32Value, whose errors are
			 * strconv's: strconv.ParseUint: parsing "x": invalid syntax */
};

struct flag_def {
	const char *name;	/* without dashes */
	enum flag_type type;
	const char *def;	/* default, as text; shown in --help */
	size_t offset;		/* of the value in the program's config struct */
	const char *help;
	/* Optional check of the text; on failure writes etcd's reason to why
	 * ("invalid value", "URL scheme must be ...") and returns -1. */
	int (*check)(const char *text, char *why, size_t whylen);
};

#define FLAG_MAX 128

struct flag_set {
	const char *prog;		/* program name for messages */
	const char *env_prefix;		/* "ETCD": --data-dir <- ETCD_DATA_DIR */
	const char *usage;		/* printed after a usage error; NULL: a short default */
	const struct flag_def *defs;
	size_t ndefs;
	bool set[FLAG_MAX];		/* given on the command line or environment */
	bool on_cmdline[FLAG_MAX];	/* given on the command line */
	char **args;			/* positional arguments left after the flags */
	int nargs;
};

/* Results of the parse functions. */
enum {
	FLAG_OK = 0,
	FLAG_EUSAGE = -1,	/* bad command line or bad environment value */
	FLAG_ECONFLICT = -2,	/* an ETCD_* variable shadowed by a flag (etcd: fatal) */
};

/* Stores every default into cfg, then parses argv only.  On error prints
 * Go's message and the usage to err and returns FLAG_EUSAGE (etcd exits 2).
 * "-h", "-help" and "--help" (with any value) set the "help" flag if the
 * table has one.  Strings in cfg point into argv or the static defaults. */
int flag_parse_args(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err);

/* What flag_parse_env() reports, in etcd's order: every variable used
 * ("recognized and used environment variable K=V", in flag-name order),
 * then, walking the environment, each unrecognized <PREFIX>_* variable
 * (etcd warns) and the first one shadowed by a command-line flag (etcd:
 * "conflicting environment variable ... is shadowed by ...", fatal). */
enum flag_env_event {
	FLAG_ENV_USED,
	FLAG_ENV_UNRECOGNIZED,	/* key is the whole "K=V" entry, as etcd prints it */
	FLAG_ENV_CONFLICT,
};
typedef void flag_env_report_fn(void *arg, enum flag_env_event ev, const char *key,
    const char *value);

/* etcd's SetFlagsFromEnv, after flag_parse_args().  "help" is not taken
 * from the environment (etcd has no such flag).  Returns FLAG_OK;
 * FLAG_ECONFLICT right after reporting a conflict (conflicts are ignored
 * when report is NULL); or FLAG_EUSAGE with
 * etcd's text in why ("invalid value \"x\" for ETCD_MAX_WALS: parse error",
 * the last such error, as etcd keeps it).  report may be NULL. */
int flag_parse_env(struct flag_set *fs, void *cfg, flag_env_report_fn *report, void *arg,
    char *why, size_t whylen);

/* flag_parse_args() then flag_parse_env(), errors printed to err, reports
 * dropped.  For programs that need nothing finer (cetcd-storaged). */
int flag_parse(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err);

/* True when the named flag was given explicitly (flag or environment). */
bool flag_is_set(const struct flag_set *fs, const char *name);

/* The definition of a flag by name, or NULL. */
const struct flag_def *flag_lookup(const struct flag_set *fs, const char *name);

/* Writes the flag list, as --help shows it, to out. */
void flag_print_help(const struct flag_set *fs, FILE *out);
/* Writes the usage (fs->usage, or a short default) to out. */
void flag_print_usage(const struct flag_set *fs, FILE *out);

/* Parses text as the given type (no check hook); returns 0 or -1. */
int flag_set_value(const struct flag_def *d, void *cfg, const char *text);
/* The same after the check hook, with Go's reason in why on failure
 * ("parse error", "value out of range", "strconv.ParseUint: ...", or the
 * hook's text). */
int flag_set_value_why(const struct flag_def *d, void *cfg, const char *text, char *why,
    size_t whylen);

/* Go's strconv.ParseUint(s, 0, bits) and ParseInt(s, 0, bits): 0, or
 * FLAG_NUM_SYNTAX / FLAG_NUM_RANGE. */
enum { FLAG_NUM_SYNTAX = -1, FLAG_NUM_RANGE = -2 };
int flag_parse_go_uint(const char *s, int bits, uint64_t *out);
int flag_parse_go_int(const char *s, int bits, int64_t *out);

/* Go's strconv.Quote (what %q prints) of s into out; always terminated,
 * cut if out is too small.  Returns out. */
char *flag_go_quote(const char *s, char *out, size_t outlen);

#endif
