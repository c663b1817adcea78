/*
 * flags.c - table-driven command-line and environment parsing, with Go's
 * flag package and etcd's pkg/flags behaviour and texts.
 *
 * Owns nothing after a parse returns: values are stored into the caller's
 * config struct and strings point at argv, environ or the static defaults.
 * Never exits the process and never logs; the caller decides what an error
 * means and how to say it.  Runs in both cetcd and cetcd-storaged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/flags.h"

extern char **environ;

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

const struct flag_def *flag_lookup(const struct flag_set *fs, const char *name)
{
	size_t idx;

	return flag_find(fs, name, strlen(name), &idx);
}

char *flag_go_quote(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	char tmp[8];

	if (outlen == 0)
		return out;
#define PUT(str) do { \
		size_t l_ = strlen(str); \
		if (n + l_ + 2 > outlen) \
			goto done; \
		memcpy(out + n, (str), l_); \
		n += l_; \
	} while (0)
	PUT("\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': PUT("\\\""); break;
		case '\\': PUT("\\\\"); break;
		case '\n': PUT("\\n"); break;
		case '\t': PUT("\\t"); break;
		case '\r': PUT("\\r"); break;
		case '\a': PUT("\\a"); break;
		case '\b': PUT("\\b"); break;
		case '\f': PUT("\\f"); break;
		case '\v': PUT("\\v"); break;
		default:
			/* Printable ASCII and UTF-8 go verbatim (Go keeps
			 * printable runes); other control bytes as \xNN. */
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
				PUT(tmp);
			} else {
				tmp[0] = (char)*p;
				tmp[1] = '\0';
				PUT(tmp);
			}
		}
	}
	PUT("\"");
#undef PUT
done:
	out[n] = '\0';
	return out;
}

static int lower(int c)
{
	return c | ('x' - 'X');
}

/* Go's strconv underscoreOK: '_' only between digits (or after a base
 * prefix). */
static bool underscore_ok(const char *s)
{
	char saw = '^';
	size_t i = 0, len;
	bool hex = false;

	if (*s == '-' || *s == '+')
		s++;
	len = strlen(s);
	if (len >= 2 && s[0] == '0' &&
	    (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < len; i++) {
		if ((s[i] >= '0' && s[i] <= '9') ||
		    (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

int flag_parse_go_uint(const char *s0, int bits, uint64_t *out)
{
	const char *s = s0;
	unsigned base = 10;
	uint64_t n = 0, cutoff, maxv;
	bool underscores = false;

	*out = 0;
	if (*s == '\0')
		return FLAG_NUM_SYNTAX;
	if (s[0] == '0') {
		size_t len = strlen(s);
		if (len >= 3 && lower(s[1]) == 'b') {
			base = 2;
			s += 2;
		} else if (len >= 3 && lower(s[1]) == 'o') {
			base = 8;
			s += 2;
		} else if (len >= 3 && lower(s[1]) == 'x') {
			base = 16;
			s += 2;
		} else {
			base = 8;
			s += 1;
		}
	}
	cutoff = UINT64_MAX / base + 1;
	maxv = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	for (; *s; s++) {
		unsigned d;
		int c = (unsigned char)*s;
		if (c == '_') {
			underscores = true;
			continue;
		} else if (c >= '0' && c <= '9') {
			d = (unsigned)(c - '0');
		} else if (lower(c) >= 'a' && lower(c) <= 'z') {
			d = (unsigned)(lower(c) - 'a' + 10);
		} else {
			return FLAG_NUM_SYNTAX;
		}
		if (d >= base)
			return FLAG_NUM_SYNTAX;
		if (n >= cutoff) {
			*out = maxv;
			return FLAG_NUM_RANGE;
		}
		n *= base;
		uint64_t n1 = n + d;
		if (n1 < n || n1 > maxv) {
			*out = maxv;
			return FLAG_NUM_RANGE;
		}
		n = n1;
	}
	if (underscores && !underscore_ok(s0))
		return FLAG_NUM_SYNTAX;
	*out = n;
	return 0;
}

int flag_parse_go_int(const char *s, int bits, int64_t *out)
{
	bool neg = false;
	uint64_t un, cutoff = UINT64_C(1) << (bits - 1);
	int rc;

	*out = 0;
	if (*s == '\0')
		return FLAG_NUM_SYNTAX;
	if (*s == '+') {
		s++;
	} else if (*s == '-') {
		neg = true;
		s++;
	}
	rc = flag_parse_go_uint(s, 64, &un);
	if (rc == FLAG_NUM_SYNTAX)
		return rc;
	if (!neg && (rc == FLAG_NUM_RANGE || un >= cutoff)) {
		*out = (int64_t)(cutoff - 1);
		return FLAG_NUM_RANGE;
	}
	if (neg && (rc == FLAG_NUM_RANGE || un > cutoff)) {
		*out = cutoff == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)cutoff;
		return FLAG_NUM_RANGE;
	}
	*out = neg ? (int64_t)(0 - un) : (int64_t)un;
	return 0;
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

/* Go's flag package reduces strconv errors to these two texts for its own
 * types; etcd's Uint32Value passes strconv's error through. */
static int num_why(int rc, const struct flag_def *d, const char *text, char *why, size_t n)
{
	char q[256];

	if (rc == 0)
		return 0;
	if (d->type == FLAG_UINT32)
		snprintf(why, n, "strconv.ParseUint: parsing %s: %s",
		    flag_go_quote(text, q, sizeof(q)),
		    rc == FLAG_NUM_RANGE ? "value out of range" : "invalid syntax");
	else
		snprintf(why, n, "%s", rc == FLAG_NUM_RANGE ? "value out of range" : "parse error");
	return -1;
}

int flag_set_value_why(const struct flag_def *d, void *cfg, const char *text, char *why,
    size_t whylen)
{
	char *p = (char *)cfg + d->offset;
	int rc;

	if (d->check && d->check(text, why, whylen) != 0)
		return -1;
	switch (d->type) {
	case FLAG_STRING:
		*(const char **)p = text;
		return 0;
	case FLAG_BOOL:
		if (parse_bool(text, (bool *)p) != 0) {
			snprintf(why, whylen, "parse error");
			return -1;
		}
		return 0;
	case FLAG_UINT64: {
		uint64_t v;
		rc = flag_parse_go_uint(text, 64, &v);
		if (rc == 0)
			*(uint64_t *)p = v;
		return num_why(rc, d, text, why, whylen);
	}
	case FLAG_UINT32: {
		uint64_t v;
		rc = flag_parse_go_uint(text, 32, &v);
		if (rc == 0)
			*(uint32_t *)p = (uint32_t)v;
		return num_why(rc, d, text, why, whylen);
	}
	case FLAG_INT64: {
		int64_t v;
		rc = flag_parse_go_int(text, 64, &v);
		if (rc == 0)
			*(int64_t *)p = v;
		return num_why(rc, d, text, why, whylen);
	}
	case FLAG_SECTION:
		break;
	}
	snprintf(why, whylen, "parse error");
	return -1;
}

int flag_set_value(const struct flag_def *d, void *cfg, const char *text)
{
	struct flag_def plain = *d;
	char why[256];

	plain.check = NULL;
	return flag_set_value_why(&plain, cfg, text, why, sizeof(why));
}

void flag_print_usage(const struct flag_set *fs, FILE *out)
{
	if (fs->usage) {
		fputs(fs->usage, out);
		return;
	}
	fprintf(out, "Usage:\n\n  %s [flags]\n\n", fs->prog);
	fprintf(out, "Run '%s --help' for the list of flags.\n", fs->prog);
}

/* Go's FlagSet.failf: the error line, then the usage. */
static int flag_fail(const struct flag_set *fs, FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int flag_fail(const struct flag_set *fs, FILE *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	flag_print_usage(fs, err);
	return FLAG_EUSAGE;
}

static void env_key(const struct flag_set *fs, const char *name, char *key, size_t len)
{
	int n = snprintf(key, len, "%s_", fs->env_prefix);

	if (n < 0 || (size_t)n >= len)
		n = 0;
	for (const char *c = name; *c && (size_t)n < len - 1; c++)
		key[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
	key[n] = '\0';
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct flag_set *fs = arg;

	return strcmp(fs->defs[*(const size_t *)a].name, fs->defs[*(const size_t *)b].name);
}

int flag_parse_env(struct flag_set *fs, void *cfg, flag_env_report_fn *report, void *arg,
    char *why, size_t whylen)
{
	char key[128], reason[256], q[512];
	size_t order[FLAG_MAX], n = 0;
	bool used[FLAG_MAX] = { false };
	int rc = FLAG_OK;

	if (!fs->env_prefix)
		return FLAG_OK;
	/* Go's VisitAll walks the flags sorted by name; the "used" reports
	 * come in that order. */
	for (size_t i = 0; i < fs->ndefs; i++)
		if (fs->defs[i].type != FLAG_SECTION && strcmp(fs->defs[i].name, "help") != 0)
			order[n++] = i;
	qsort_r(order, n, sizeof(order[0]), by_name, fs);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		const struct flag_def *d = &fs->defs[i];
		if (fs->on_cmdline[i])
			continue;
		env_key(fs, d->name, key, sizeof(key));
		const char *v = getenv(key);
		if (!v || !*v)
			continue;
		used[i] = true;
		if (flag_set_value_why(d, cfg, v, reason, sizeof(reason)) != 0) {
			snprintf(why, whylen, "invalid value %s for %s: %s",
			    flag_go_quote(v, q, sizeof(q)), key, reason);
			rc = FLAG_EUSAGE;
			continue;
		}
		fs->set[i] = true;
		if (report)
			report(arg, FLAG_ENV_USED, key, v);
	}

	/* etcd's verifyEnv: walk the environment in its order. */
	size_t plen = strlen(fs->env_prefix);
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t klen = eq ? (size_t)(eq - *e) : strlen(*e);
		bool is_used = false, shadowed = false;
		for (size_t i = 0; i < fs->ndefs; i++) {
			if (fs->defs[i].type == FLAG_SECTION)
				continue;
			env_key(fs, fs->defs[i].name, key, sizeof(key));
			if (strlen(key) != klen || memcmp(key, *e, klen) != 0)
				continue;
			if (used[i])
				is_used = true;
			else if (fs->on_cmdline[i])
				shadowed = true;
		}
		if (is_used)
			continue;
		if (shadowed && report) {
			snprintf(key, sizeof(key), "%.*s", (int)klen, *e);
			report(arg, FLAG_ENV_CONFLICT, key, eq ? eq + 1 : "");
			return FLAG_ECONFLICT;
		}
		if (strncmp(*e, fs->env_prefix, plen) == 0 && (*e)[plen] == '_' && report)
			report(arg, FLAG_ENV_UNRECOGNIZED, *e, eq ? eq + 1 : "");
	}
	return rc;
}

int flag_parse_args(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err)
{
	char q[512], why[256];
	size_t idx;
	int i;

	if (fs->ndefs > FLAG_MAX)
		return FLAG_EUSAGE;
	memset(fs->set, 0, sizeof(fs->set));
	memset(fs->on_cmdline, 0, sizeof(fs->on_cmdline));
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
		if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
			return flag_fail(fs, err, "bad flag syntax: %s", a);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *d = flag_find(fs, name, len, &idx);
		bool is_help = (len == 1 && name[0] == 'h') || (len == 4 && memcmp(name, "help", 4) == 0);
		if (is_help) {
			/* Go answers -h and -help with ErrHelp whatever the
			 * value, as etcd defines neither. */
			d = flag_find(fs, "help", 4, &idx);
			if (d) {
				flag_set_value(d, cfg, "true");
				fs->set[idx] = fs->on_cmdline[idx] = true;
				continue;
			}
		}
		if (!d)
			return flag_fail(fs, err, "flag provided but not defined: -%.*s", (int)len, name);
		const char *val = eq ? eq + 1 : NULL;
		if (d->type == FLAG_BOOL) {
			if (!val)
				val = "true";
			if (flag_set_value_why(d, cfg, val, why, sizeof(why)) != 0)
				return flag_fail(fs, err, "invalid boolean value %s for -%s: %s",
				    flag_go_quote(val, q, sizeof(q)), d->name, why);
		} else {
			if (!val) {
				if (i + 1 >= argc)
					return flag_fail(fs, err, "flag needs an argument: -%s", d->name);
				val = argv[++i];
			}
			if (flag_set_value_why(d, cfg, val, why, sizeof(why)) != 0)
				return flag_fail(fs, err, "invalid value %s for flag -%s: %s",
				    flag_go_quote(val, q, sizeof(q)), d->name, why);
		}
		fs->set[idx] = fs->on_cmdline[idx] = true;
	}
	fs->args = argv + i;
	fs->nargs = argc - i;
	return FLAG_OK;
}

int flag_parse(struct flag_set *fs, void *cfg, int argc, char **argv, FILE *err)
{
	char why[512];
	int rc = flag_parse_args(fs, cfg, argc, argv, err);

	if (rc != FLAG_OK)
		return rc;
	rc = flag_parse_env(fs, cfg, NULL, NULL, why, sizeof(why));
	if (rc == FLAG_EUSAGE)
		fprintf(err, "%s\n", why);
	return rc == FLAG_OK ? FLAG_OK : FLAG_EUSAGE;
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
