/*
 * flags.c - table-driven command-line and environment parsing.
 *
 * Owns nothing after flag_parse() returns: values are stored into the
 * caller's config struct and strings point at argv, environ or the static
 * defaults.  Never exits the process; the caller decides what an error means.
 * Runs in both cetcd and cetcd-storaged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/flags.h"

static const struct flag_def *flag_find(const struct flag_set *fs,
    const char *name, size_t len, size_t *idx)
{
	for (size_t i = 0; i < fs->ndefs; i++) {
		const struct flag_def *d = &fs->defs[i];
		if (d->type == FLAG_SECTION)
			continue;
		if (strlen(d->name) == len && memcmp(d->name, name, len) == 0) {
			*idx = i;
			return d;
		}
	}
	return NULL;
}

static int parse_bool(const char *s, bool *out)
{
	/* The spellings Go's strconv.ParseBool accepts. */
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int flag_set_value(const struct flag_def *d, void *cfg, const char *text)
{
	char *p = (char *)cfg + d->offset;
	char *end;

	switch (d->type) {
	case FLAG_STRING:
		*(const char **)p = text;
		return 0;
	case FLAG_BOOL:
		return parse_bool(text, (bool *)p);
	case FLAG_UINT64: {
		if (*text == '\0' || *text == '-')
			return -1;
		errno = 0;
		unsigned long long v = strtoull(text, &end, 0);
		if (errno || *end)
			return -1;
		*(uint64_t *)p = v;
		return 0;
	}
	case FLAG_INT64: {
		if (*text == '\0')
			return -1;
		errno = 0;
		long long v = strtoll(text, &end, 0);
		if (errno || *end)
			return -1;
		*(int64_t *)p = v;
		return 0;
	}
	case FLAG_SECTION:
		break;
	}
	return -1;
}

static void flag_usage(const struct flag_set *fs, FILE *err)
{
	fprintf(err, "Usage:\n\n  %s [flags]\n\n", fs->prog);
	fprintf(err, "Run '%s --help' for the list of flags.\n", fs->prog);
}

/* etcd's SetFlagsFromEnv: ETCD_<NAME> for every flag not set by argv. */
static int flag_from_env(struct flag_set *fs, void *cfg, FILE *err)
{
	char key[128];

	if (!fs->env_prefix)
		return 0;
	for (size_t i = 0; i < fs->ndefs; i++) {
		const struct flag_def *d = &fs->defs[i];
		if (d->type == FLAG_SECTION || fs->set[i])
			continue;
		int n = snprintf(key, sizeof(key), "%s_", fs->env_prefix);
		for (const char *c = d->name; *c && n < (int)sizeof(key) - 1; c++)
			key[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
		key[n] = '\0';
		const char *v = getenv(key);
		if (!v)
			continue;
		char why[256] = "parse error";
		if ((d->check && d->check(v, why, sizeof(why)) != 0) ||
		    flag_set_value(d, cfg, v) != 0) {
			fprintf(err, "invalid value %s for %s: %s\n", v, key, why);
			return FLAG_EUSAGE;
		}
		fs->set[i] = true;
	}
	return 0;
}

int flag_parse(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err)
{
	size_t idx;
	int i;

	if (fs->ndefs > FLAG_MAX)
		return FLAG_EUSAGE;
	memset(fs->set, 0, sizeof(fs->set));
	for (size_t k = 0; k < fs->ndefs; k++) {
		const struct flag_def *d = &fs->defs[k];
		if (d->type != FLAG_SECTION && flag_set_value(d, cfg, d->def) != 0) {
			fprintf(err, "bad default for --%s\n", d->name);
			return FLAG_EUSAGE;
		}
	}

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		const char *name = a + 1 + (a[1] == '-');
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *d = flag_find(fs, name, len, &idx);
		if (!d && len == 1 && name[0] == 'h')
			d = flag_find(fs, "help", 4, &idx);
		if (!d) {
			fprintf(err, "flag provided but not defined: -%.*s\n", (int)len, name);
			flag_usage(fs, err);
			return FLAG_EUSAGE;
		}
		const char *val = eq ? eq + 1 : NULL;
		if (!val && d->type == FLAG_BOOL)
			val = "true";
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(err, "flag needs an argument: -%s\n", d->name);
				flag_usage(fs, err);
				return FLAG_EUSAGE;
			}
			val = argv[++i];
		}
		char why[256] = "parse error";
		if ((d->check && d->check(val, why, sizeof(why)) != 0) ||
		    flag_set_value(d, cfg, val) != 0) {
			fprintf(err, "invalid value \"%s\" for flag -%s: %s\n", val, d->name, why);
			flag_usage(fs, err);
			return FLAG_EUSAGE;
		}
		fs->set[idx] = true;
	}
	fs->args = argv + i;
	fs->nargs = argc - i;
	return flag_from_env(fs, cfg, err);
}

bool flag_is_set(const struct flag_set *fs, const char *name)
{
	size_t idx;

	if (!flag_find(fs, name, strlen(name), &idx))
		return false;
	return fs->set[idx];
}

void flag_print_help(const struct flag_set *fs, FILE *out)
{
	fprintf(out, "Usage:\n\n  %s [flags]\n\n", fs->prog);
	for (size_t i = 0; i < fs->ndefs; i++) {
		const struct flag_def *d = &fs->defs[i];
		if (d->type == FLAG_SECTION) {
			fprintf(out, "%s%s:\n", i ? "\n" : "", d->name);
			continue;
		}
		fprintf(out, "  --%s '%s'\n    %s\n", d->name, d->def, d->help);
	}
}
