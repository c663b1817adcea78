/*
 * flags.h - the one flag table of a cetcd program.
 *
 * A program describes each flag once (name, type, default, help, where the
 * value goes); that table drives command-line parsing, the ETCD_* environment
 * variables, and --help.  tests/check_manpages.sh checks the man pages
 * against --help, so the documentation cannot drift from the code.
 *
 * Parsing follows Go's flag package as etcd uses it: "-f" and "--f" are the
 * same, values come as "--f=v" or "--f v", booleans as "--f" or "--f=true",
 * an unknown flag is "flag provided but not defined: -f" with exit status 2.
 */
#ifndef CETCD_COMMON_FLAGS_H
#define CETCD_COMMON_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flag_type {
	FLAG_STRING,	/* char *: points into argv, the environment or the default */
	FLAG_BOOL,	/* bool */
	FLAG_UINT64,	/* uint64_t */
	FLAG_INT64,	/* int64_t */
	FLAG_SECTION,	/* not a flag: a heading in --help */
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
	const struct flag_def *defs;
	size_t ndefs;
	bool set[FLAG_MAX];		/* given on the command line or environment */
	char **args;			/* positional arguments left after the flags */
	int nargs;
};

/* Result of flag_parse(): FLAG_OK, or a usage error already printed to err. */
enum {
	FLAG_OK = 0,
	FLAG_EUSAGE = -1,
};

/* Stores every default into cfg, then parses argv (and, for flags not given
 * on the command line, the environment).  On error prints etcd's message and
 * the usage to err and returns FLAG_EUSAGE.  Strings in cfg point into argv,
 * the environment or the static defaults: nothing to free. */
int flag_parse(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err);

/* True when the named flag was given explicitly (flag or environment). */
bool flag_is_set(const struct flag_set *fs, const char *name);

/* Writes the flag list, as --help shows it, to out. */
void flag_print_help(const struct flag_set *fs, FILE *out);

/* Parses text as the given type; returns 0 or -1.  Exposed for tests and
 * for the configuration file reader. */
int flag_set_value(const struct flag_def *d, void *cfg, const char *text);

#endif
