/*
 * check_flags.c - the flag table parser: Go flag syntax and number
 * parsing as etcd accepts them, the ETCD_* environment with etcd's reports
 * (used, unrecognized, conflicting), and etcd's error texts.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/flags.h"

struct cfg {
	const char *name;
	bool on;
	uint64_t count;
	int64_t delta;
	const char *state;
	uint32_t streams;
	bool help;
};

static int check_state(const char *v, char *why, size_t n)
{
	if (strcmp(v, "new") == 0 || strcmp(v, "existing") == 0)
		return 0;
	snprintf(why, n, "invalid value");
	return -1;
}

static const struct flag_def defs[] = {
	{ "Section", FLAG_SECTION, NULL, 0, NULL, NULL },
	{ "name", FLAG_STRING, "default", offsetof(struct cfg, name), "Name.", NULL },
	{ "on", FLAG_BOOL, "false", offsetof(struct cfg, on), "On.", NULL },
	{ "snapshot-count", FLAG_UINT64, "100000", offsetof(struct cfg, count), "Count.", NULL },
	{ "delta", FLAG_INT64, "0", offsetof(struct cfg, delta), "Delta.", NULL },
	{ "initial-cluster-state", FLAG_STRING, "new", offsetof(struct cfg, state), "State.", check_state },
	{ "max-concurrent-streams", FLAG_UINT32, "4294967295", offsetof(struct cfg, streams), "Streams.", NULL },
	{ "help", FLAG_BOOL, "false", offsetof(struct cfg, help), "Help.", NULL },
};

static struct flag_set fs;
static struct cfg cfg;
static char errbuf[4096];

static int parse(int argc, char **argv)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	memset(&cfg, 0, sizeof(cfg));
	memset(errbuf, 0, sizeof(errbuf));
	fs = (struct flag_set){ .prog = "prog", .env_prefix = "CETCDTEST",
		.usage = "USAGE\n", .defs = defs, .ndefs = sizeof(defs) / sizeof(defs[0]) };
	int rc = flag_parse(&fs, &cfg, argc, argv, err);
	fclose(err);
	return rc;
}

#define ARGV(...) (char *[]){ "prog", __VA_ARGS__, NULL }
#define ARGC(...) ((int)(sizeof((char *[]){ "prog", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(...) parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

START_TEST(defaults)
{
	char *argv[] = { "prog", NULL };
	ck_assert_int_eq(parse(1, argv), FLAG_OK);
	ck_assert_str_eq(cfg.name, "default");
	ck_assert(!cfg.on);
	ck_assert_uint_eq(cfg.count, 100000);
	ck_assert(!flag_is_set(&fs, "name"));
}
END_TEST

START_TEST(forms)
{
	ck_assert_int_eq(PARSE("--name=a", "-snapshot-count", "7", "--on", "--delta=-3"), FLAG_OK);
	ck_assert_str_eq(cfg.name, "a");
	ck_assert_uint_eq(cfg.count, 7);
	ck_assert(cfg.on);
	ck_assert_int_eq(cfg.delta, -3);
	ck_assert(flag_is_set(&fs, "name"));
	ck_assert(!flag_is_set(&fs, "initial-cluster-state"));
	ck_assert_int_eq(PARSE("--on=false", "--name", "b"), FLAG_OK);
	ck_assert(!cfg.on);
	ck_assert_str_eq(cfg.name, "b");
	/* A bool never swallows the next argument. */
	char *bool_argv[] = { "prog", "--on", "false", NULL };
	ck_assert_int_eq(parse(3, bool_argv), FLAG_OK);
	ck_assert(cfg.on);
	ck_assert_int_eq(fs.nargs, 1);
	ck_assert_str_eq(fs.args[0], "false");
	ck_assert_int_eq(PARSE("-h"), FLAG_OK);
	ck_assert(flag_is_set(&fs, "help"));
	ck_assert(cfg.help);
}
END_TEST

START_TEST(errors)
{
	ck_assert_int_eq(PARSE("--nope"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "flag provided but not defined: -nope\n"));
	ck_assert_int_eq(PARSE("--name"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "flag needs an argument: -name\n"));
	ck_assert_int_eq(PARSE("--snapshot-count=x"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "invalid value \"x\" for flag -snapshot-count: parse error\n"));
	ck_assert_int_eq(PARSE("--snapshot-count=-1"), FLAG_EUSAGE);
	ck_assert_int_eq(PARSE("--snapshot-count=99999999999999999999999"), FLAG_EUSAGE);
	ck_assert_int_eq(PARSE("--on=maybe"), FLAG_EUSAGE);
	ck_assert_int_eq(PARSE("--initial-cluster-state=foo"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "invalid value \"foo\" for flag -initial-cluster-state: invalid value\n"));
}
END_TEST

START_TEST(environment)
{
	setenv("CETCDTEST_NAME", "fromenv", 1);
	setenv("CETCDTEST_SNAPSHOT_COUNT", "5", 1);
	ck_assert_int_eq(PARSE("--snapshot-count=9"), FLAG_OK);
	ck_assert_str_eq(cfg.name, "fromenv");
	ck_assert(flag_is_set(&fs, "name"));
	/* The command line wins over the environment. */
	ck_assert_uint_eq(cfg.count, 9);
	setenv("CETCDTEST_INITIAL_CLUSTER_STATE", "bogus", 1);
	ck_assert_int_eq(PARSE("--on"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "CETCDTEST_INITIAL_CLUSTER_STATE"));
	unsetenv("CETCDTEST_NAME");
	unsetenv("CETCDTEST_SNAPSHOT_COUNT");
	unsetenv("CETCDTEST_INITIAL_CLUSTER_STATE");
}
END_TEST

START_TEST(help_lists_every_flag)
{
	char out[4096] = { 0 };
	char *argv[] = { "prog", NULL };
	ck_assert_int_eq(parse(1, argv), FLAG_OK);
	FILE *f = fmemopen(out, sizeof(out), "w");
	flag_print_help(&fs, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "Section:\n"));
	ck_assert_ptr_nonnull(strstr(out, "  --snapshot-count '100000'\n    Count.\n"));
	ck_assert_ptr_nonnull(strstr(out, "  --initial-cluster-state 'new'\n"));
}
END_TEST

/* strconv.ParseUint/ParseInt with base 0, as Go's flag package calls them. */
START_TEST(go_numbers)
{
	uint64_t u;
	int64_t i;

	ck_assert_int_eq(flag_parse_go_uint("0x10", 64, &u), 0);
	ck_assert_uint_eq(u, 16);
	ck_assert_int_eq(flag_parse_go_uint("0o17", 64, &u), 0);
	ck_assert_uint_eq(u, 15);
	ck_assert_int_eq(flag_parse_go_uint("017", 64, &u), 0);
	ck_assert_uint_eq(u, 15);
	ck_assert_int_eq(flag_parse_go_uint("0b101", 64, &u), 0);
	ck_assert_uint_eq(u, 5);
	ck_assert_int_eq(flag_parse_go_uint("1_000", 64, &u), 0);
	ck_assert_uint_eq(u, 1000);
	ck_assert_int_eq(flag_parse_go_uint("0", 64, &u), 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(flag_parse_go_uint("18446744073709551615", 64, &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(flag_parse_go_uint("18446744073709551616", 64, &u), FLAG_NUM_RANGE);
	ck_assert_int_eq(flag_parse_go_uint("4294967296", 32, &u), FLAG_NUM_RANGE);
	ck_assert_int_eq(flag_parse_go_uint("4294967295", 32, &u), 0);
	/* What strtoull would take and Go refuses. */
	ck_assert_int_eq(flag_parse_go_uint("+5", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint(" 5", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("-1", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("0x", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("08", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("1__0", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("_1", 64, &u), FLAG_NUM_SYNTAX);
	ck_assert_int_eq(flag_parse_go_uint("1_", 64, &u), FLAG_NUM_SYNTAX);
	/* Go stops at the first overflow, before a later bad digit. */
	ck_assert_int_eq(flag_parse_go_uint("99999999999999999999999x", 64, &u), FLAG_NUM_RANGE);

	ck_assert_int_eq(flag_parse_go_int("+5", 64, &i), 0);
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(flag_parse_go_int("-0x10", 64, &i), 0);
	ck_assert_int_eq(i, -16);
	ck_assert_int_eq(flag_parse_go_int("-9223372036854775808", 64, &i), 0);
	ck_assert_int_eq(i, INT64_MIN);
	ck_assert_int_eq(flag_parse_go_int("9223372036854775808", 64, &i), FLAG_NUM_RANGE);
	ck_assert_int_eq(flag_parse_go_int("-9223372036854775809", 64, &i), FLAG_NUM_RANGE);
	ck_assert_int_eq(flag_parse_go_int("--1", 64, &i), FLAG_NUM_SYNTAX);
}
END_TEST

START_TEST(go_error_texts)
{
	ck_assert_int_eq(PARSE("--snapshot-count=99999999999999999999999"), FLAG_EUSAGE);
	ck_assert_str_eq(errbuf, "invalid value \"99999999999999999999999\" for flag -snapshot-count: value out of range\nUSAGE\n");
	ck_assert_int_eq(PARSE("--delta=9223372036854775808"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "for flag -delta: value out of range\n"));
	/* etcd's Uint32Value passes strconv's error through. */
	ck_assert_int_eq(PARSE("--max-concurrent-streams=x"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "invalid value \"x\" for flag -max-concurrent-streams: strconv.ParseUint: parsing \"x\": invalid syntax\n"));
	ck_assert_int_eq(PARSE("--max-concurrent-streams=99999999999"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "strconv.ParseUint: parsing \"99999999999\": value out of range\n"));
	ck_assert_int_eq(PARSE("--max-concurrent-streams=0x10"), FLAG_OK);
	ck_assert_uint_eq(cfg.streams, 16);
	ck_assert_int_eq(PARSE("--on=maybe"), FLAG_EUSAGE);
	ck_assert_str_eq(errbuf, "invalid boolean value \"maybe\" for -on: parse error\nUSAGE\n");
	ck_assert_int_eq(PARSE("---name"), FLAG_EUSAGE);
	ck_assert_str_eq(errbuf, "bad flag syntax: ---name\nUSAGE\n");
	ck_assert_int_eq(PARSE("-=x"), FLAG_EUSAGE);
	ck_assert_str_eq(errbuf, "bad flag syntax: -=x\nUSAGE\n");
	ck_assert_int_eq(PARSE("--name=a\"b\n"), FLAG_OK);
	ck_assert_int_eq(PARSE("--snapshot-count=a\"b\n"), FLAG_EUSAGE);
	ck_assert_str_eq(errbuf, "invalid value \"a\\\"b\\n\" for flag -snapshot-count: parse error\nUSAGE\n");
	/* Go's -h / -help answer help whatever their value. */
	ck_assert_int_eq(PARSE("--help=false"), FLAG_OK);
	ck_assert(cfg.help);
	/* Parsing stops at the first non-flag, and after "--". */
	ck_assert_int_eq(PARSE("--on", "x", "--name=z"), FLAG_OK);
	ck_assert_int_eq(fs.nargs, 2);
	ck_assert_str_eq(cfg.name, "default");
	ck_assert_int_eq(PARSE("--", "--name=z"), FLAG_OK);
	ck_assert_int_eq(fs.nargs, 1);
	ck_assert_int_eq(PARSE("-"), FLAG_OK);
	ck_assert_int_eq(fs.nargs, 1);
}
END_TEST

START_TEST(quote)
{
	char q[64];

	ck_assert_str_eq(flag_go_quote("plain", q, sizeof(q)), "\"plain\"");
	ck_assert_str_eq(flag_go_quote("a\"b\\c\td\x01", q, sizeof(q)), "\"a\\\"b\\\\c\\td\\x01\"");
	ck_assert_str_eq(flag_go_quote("h\xc3\xa9", q, sizeof(q)), "\"h\xc3\xa9\"");
	ck_assert_str_eq(flag_go_quote("0123456789", q, 6), "\"012");
}
END_TEST

struct report_log {
	char text[2048];
};

static void on_report(void *arg, enum flag_env_event ev, const char *key, const char *value)
{
	struct report_log *r = arg;
	static const char *const names[] = { "used", "unrecognized", "conflict" };
	size_t n = strlen(r->text);

	snprintf(r->text + n, sizeof(r->text) - n, "%s %s %s;", names[ev], key, value);
}

static int parse_env(struct report_log *r, int argc, char **argv, char *why, size_t whylen)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	memset(&cfg, 0, sizeof(cfg));
	memset(r, 0, sizeof(*r));
	fs = (struct flag_set){ .prog = "prog", .env_prefix = "CETCDTEST",
		.defs = defs, .ndefs = sizeof(defs) / sizeof(defs[0]) };
	int rc = flag_parse_args(&fs, &cfg, argc, argv, err);
	fclose(err);
	if (rc != FLAG_OK)
		return rc;
	return flag_parse_env(&fs, &cfg, on_report, r, why, whylen);
}

/* etcd's pkg/flags SetFlagsFromEnv and verifyEnv. */
START_TEST(environment_reports)
{
	struct report_log r;
	char why[256] = "";
	char *argv1[] = { "prog", NULL };
	char *argv2[] = { "prog", "--name=cmd", NULL };

	/* Used in flag-name order, whatever the environment's order. */
	setenv("CETCDTEST_SNAPSHOT_COUNT", "5", 1);
	setenv("CETCDTEST_NAME", "fromenv", 1);
	setenv("CETCDTEST_ON", "", 1);		/* empty: not used */
	setenv("CETCDTEST_BOGUS", "1", 1);
	setenv("CETCDTEST_HELP", "1", 1);	/* not a flag for etcd */
	ck_assert_int_eq(parse_env(&r, 1, argv1, why, sizeof(why)), FLAG_OK);
	ck_assert_ptr_nonnull(strstr(r.text, "used CETCDTEST_NAME fromenv;used CETCDTEST_SNAPSHOT_COUNT 5;"));
	ck_assert_ptr_nonnull(strstr(r.text, "unrecognized CETCDTEST_BOGUS=1 1;"));
	ck_assert_ptr_nonnull(strstr(r.text, "unrecognized CETCDTEST_HELP=1 1;"));
	/* etcd counts an empty one as unused, hence "unrecognized". */
	ck_assert_ptr_nonnull(strstr(r.text, "unrecognized CETCDTEST_ON= ;"));
	ck_assert(!cfg.help);
	ck_assert(!cfg.on);
	ck_assert(flag_is_set(&fs, "name"));
	ck_assert(!flag_is_set(&fs, "on"));
	ck_assert_uint_eq(cfg.count, 5);

	/* A flag and its variable: etcd's fatal conflict, even if empty. */
	setenv("CETCDTEST_NAME", "", 1);
	ck_assert_int_eq(parse_env(&r, 2, argv2, why, sizeof(why)), FLAG_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(r.text, "conflict CETCDTEST_NAME ;"));
	/* flag_parse (cetcd-storaged) lets the command line win quietly. */
	ck_assert_int_eq(PARSE("--name=cmd"), FLAG_OK);
	ck_assert_str_eq(cfg.name, "cmd");

	/* A bad value: etcd's text, the last one, after the reports. */
	setenv("CETCDTEST_SNAPSHOT_COUNT", "lots", 1);
	setenv("CETCDTEST_INITIAL_CLUSTER_STATE", "bad", 1);
	ck_assert_int_eq(parse_env(&r, 1, argv1, why, sizeof(why)), FLAG_EUSAGE);
	ck_assert_str_eq(why, "invalid value \"lots\" for CETCDTEST_SNAPSHOT_COUNT: parse error");
	ck_assert_ptr_nonnull(strstr(r.text, "unrecognized CETCDTEST_BOGUS=1 1;"));
	ck_assert_int_eq(PARSE("--on"), FLAG_EUSAGE);
	ck_assert_ptr_nonnull(strstr(errbuf, "invalid value \"lots\" for CETCDTEST_SNAPSHOT_COUNT: parse error\n"));

	unsetenv("CETCDTEST_SNAPSHOT_COUNT");
	unsetenv("CETCDTEST_NAME");
	unsetenv("CETCDTEST_ON");
	unsetenv("CETCDTEST_BOGUS");
	unsetenv("CETCDTEST_HELP");
	unsetenv("CETCDTEST_INITIAL_CLUSTER_STATE");
}
END_TEST

START_TEST(lookup_and_usage)
{
	char out[256] = { 0 };
	char *argv[] = { "prog", NULL };

	ck_assert_int_eq(parse(1, argv), FLAG_OK);
	ck_assert_ptr_nonnull(flag_lookup(&fs, "snapshot-count"));
	ck_assert_ptr_null(flag_lookup(&fs, "Section"));
	ck_assert_ptr_null(flag_lookup(&fs, "nope"));
	FILE *f = fmemopen(out, sizeof(out), "w");
	flag_print_usage(&fs, f);
	fclose(f);
	ck_assert_str_eq(out, "USAGE\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, forms);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, help_lists_every_flag);
	tcase_add_test(tc, go_numbers);
	tcase_add_test(tc, go_error_texts);
	tcase_add_test(tc, quote);
	tcase_add_test(tc, environment_reports);
	tcase_add_test(tc, lookup_and_usage);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
