/*
 * check_flags.c - the flag table parser: Go flag syntax as etcd accepts it,
 * the ETCD_* environment, and etcd's error texts.
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
		.defs = defs, .ndefs = sizeof(defs) / sizeof(defs[0]) };
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

int main(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, forms);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, help_lists_every_flag);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
