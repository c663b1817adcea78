/*
 * check_autocompact.c - etcd 3.4's auto compaction settings and schedule:
 * parseCompactionRetention and time.ParseDuration as Go reads them, and
 * the periodic window of v3compactor/periodic.go driven by a fake clock
 * (the cases of etcd's periodic_test.go: 1h, 24h, sub-hour, and a failed
 * compaction retried after one sampling interval).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/autocompact.h"

#define SEC INT64_C(1000000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

static int64_t dur(const char *s)
{
	int64_t ns = -12345;
	char err[256];

	ck_assert_msg(autocompact_parse_duration(s, &ns, err, sizeof(err)) == 0, "%s: %s", s, err);
	return ns;
}

static const char *dur_err(const char *s)
{
	static char err[256];
	int64_t ns;

	ck_assert_int_eq(autocompact_parse_duration(s, &ns, err, sizeof(err)), -1);
	return err;
}

START_TEST(go_durations)
{
	ck_assert_int_eq(dur("0"), 0);
	ck_assert_int_eq(dur("1h"), HOUR);
	ck_assert_int_eq(dur("30m"), 30 * MIN);
	ck_assert_int_eq(dur("1h30m"), 90 * MIN);
	ck_assert_int_eq(dur("1.5h"), 90 * MIN);
	ck_assert_int_eq(dur(".5s"), SEC / 2);
	ck_assert_int_eq(dur("5.s"), 5 * SEC);
	ck_assert_int_eq(dur("100ms"), 100 * INT64_C(1000000));
	ck_assert_int_eq(dur("3us"), 3000);
	ck_assert_int_eq(dur("3\xc2\xb5s"), 3000);
	ck_assert_int_eq(dur("7ns"), 7);
	ck_assert_int_eq(dur("+2s"), 2 * SEC);
	ck_assert_int_eq(dur("-2s"), -2 * SEC);
	ck_assert_int_eq(dur("2562047h"), 2562047 * HOUR);
	/* Go's messages. */
	ck_assert_str_eq(dur_err(""), "time: invalid duration \"\"");
	ck_assert_str_eq(dur_err("abc"), "time: invalid duration \"abc\"");
	ck_assert_str_eq(dur_err("."), "time: invalid duration \".\"");
	ck_assert_str_eq(dur_err("1"), "time: missing unit in duration \"1\"");
	ck_assert_str_eq(dur_err("1x"), "time: unknown unit \"x\" in duration \"1x\"");
	ck_assert_str_eq(dur_err("1h2"), "time: missing unit in duration \"1h2\"");
	ck_assert_str_eq(dur_err("9999999999h"), "time: invalid duration \"9999999999h\"");
}
END_TEST

static int64_t parse_ok(const char *mode, const char *ret, enum autocompact_mode want)
{
	enum autocompact_mode m;
	int64_t v = -1;
	char err[256];

	ck_assert_msg(autocompact_parse(mode, ret, &m, &v, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(m, want);
	return v;
}

static const char *parse_err(const char *mode, const char *ret)
{
	static char err[256];
	enum autocompact_mode m;
	int64_t v;

	ck_assert_int_eq(autocompact_parse(mode, ret, &m, &v, err, sizeof(err)), -1);
	return err;
}

START_TEST(retention_as_etcd)
{
	/* A plain number: hours when periodic, revisions when revision. */
	ck_assert_int_eq(parse_ok("periodic", "1", AUTOCOMPACT_PERIODIC), HOUR);
	ck_assert_int_eq(parse_ok("periodic", "12", AUTOCOMPACT_PERIODIC), 12 * HOUR);
	ck_assert_int_eq(parse_ok("revision", "1000", AUTOCOMPACT_REVISION), 1000);
	ck_assert_int_eq(parse_ok("periodic", "30m", AUTOCOMPACT_PERIODIC), 30 * MIN);
	ck_assert_int_eq(parse_ok("periodic", "0", AUTOCOMPACT_PERIODIC), 0);
	ck_assert_int_eq(parse_ok("periodic", "", AUTOCOMPACT_PERIODIC), 0);
	ck_assert_int_eq(parse_ok("", "2h", AUTOCOMPACT_PERIODIC), 2 * HOUR);
	/* etcd turns a duration into a revision count in revision mode. */
	ck_assert_int_eq(parse_ok("revision", "1s", AUTOCOMPACT_REVISION), SEC);
	ck_assert_str_eq(parse_err("weekly", "1"), "unknown auto-compaction-mode \"weekly\"");
	ck_assert_str_eq(parse_err("periodic", "1x"),
	    "error parsing CompactionRetention: time: unknown unit \"x\" in duration \"1x\"");
	ck_assert_str_eq(parse_err("periodic", "-5"),
	    "error parsing CompactionRetention: time: missing unit in duration \"-5\"");
	ck_assert_str_eq(parse_err("revision", "abc"),
	    "error parsing CompactionRetention: time: invalid duration \"abc\"");
}
END_TEST

/* A store whose revision is one more for every second that passed. */
static int64_t rev_at(uint64_t t)
{
	return 1 + (int64_t)(t / SEC);
}

/* Runs the periodic schedule from t=0 to end, compacting successfully
 * except at the times in fail[]; records when and to what it compacted. */
struct run {
	size_t n;
	uint64_t at[64];
	int64_t rev[64];
};

static void simulate(int64_t period, uint64_t end, const uint64_t *fail, size_t nfail, struct run *r)
{
	struct autocompact_periodic p;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(autocompact_periodic_init(&p, period, 0), 0);
	autocompact_periodic_sample(&p, rev_at(0));
	for (uint64_t t = (uint64_t)p.retry_ns; t <= end; t += (uint64_t)p.retry_ns) {
		int64_t rev;
		if (autocompact_periodic_due(&p, t, &rev)) {
			bool ok = true;
			for (size_t i = 0; i < nfail; i++)
				if (fail[i] == t)
					ok = false;
			if (ok && r->n < 64) {
				r->at[r->n] = t;
				r->rev[r->n] = rev;
				r->n++;
			}
			autocompact_periodic_done(&p, t, ok);
		}
		autocompact_periodic_sample(&p, rev_at(t));
	}
	autocompact_periodic_clear(&p);
}

START_TEST(periodic_one_hour)
{
	struct run r;

	simulate(HOUR, 3 * HOUR, NULL, 0, &r);
	/* Samples every 6 minutes; the first compaction an hour in, to the
	 * revision of the start; then hourly, to the oldest of the 11 latest
	 * samples. */
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.at[0], HOUR);
	ck_assert_int_eq(r.rev[0], rev_at(0));
	ck_assert_uint_eq(r.at[1], 2 * HOUR);
	ck_assert_int_eq(r.rev[1], rev_at(HOUR - 6 * MIN));
	ck_assert_uint_eq(r.at[2], 3 * HOUR);
	ck_assert_int_eq(r.rev[2], rev_at(2 * HOUR - 6 * MIN));
}
END_TEST

START_TEST(periodic_one_day)
{
	struct run r;

	/* 24h keeps 241 samples, 6 minutes apart, and compacts hourly once
	 * the first day has passed. */
	simulate(24 * HOUR, 27 * HOUR, NULL, 0, &r);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_uint_eq(r.at[0], 24 * HOUR);
	ck_assert_int_eq(r.rev[0], rev_at(0));
	ck_assert_uint_eq(r.at[1], 25 * HOUR);
	ck_assert_int_eq(r.rev[1], rev_at(HOUR - 6 * MIN));
	ck_assert_uint_eq(r.at[3], 27 * HOUR);
}
END_TEST

START_TEST(periodic_sub_hour)
{
	struct run r;

	/* 10s: sample every second, compact every 10s. */
	simulate(10 * SEC, 30 * SEC, NULL, 0, &r);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.at[0], 10 * SEC);
	ck_assert_int_eq(r.rev[0], rev_at(0));
	ck_assert_uint_eq(r.at[1], 20 * SEC);
	ck_assert_int_eq(r.rev[1], rev_at(9 * SEC));
	ck_assert_uint_eq(r.at[2], 30 * SEC);
}
END_TEST

START_TEST(periodic_retry_after_failure)
{
	struct run r;
	uint64_t fail[] = { HOUR };

	/* A failed compaction is retried one sampling interval later, with
	 * the window moved on. */
	simulate(HOUR, HOUR + 6 * MIN, fail, 1, &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.at[0], HOUR + 6 * MIN);
	ck_assert_int_eq(r.rev[0], rev_at(0));
}
END_TEST

START_TEST(periodic_window_bounded)
{
	struct autocompact_periodic p;

	ck_assert_int_eq(autocompact_periodic_init(&p, HOUR, 0), 0);
	ck_assert_uint_eq(p.cap, 11);
	for (int i = 0; i < 1000; i++)
		autocompact_periodic_sample(&p, i);
	ck_assert_uint_eq(p.n, 11);
	ck_assert_int_eq(p.revs[p.head], 989);
	autocompact_periodic_clear(&p);
	/* A tiny retention does not make the timer spin. */
	ck_assert_int_eq(autocompact_periodic_init(&p, 5, 0), 0);
	ck_assert_int_ge(p.retry_ns, 1000000);
	autocompact_periodic_clear(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("autocompact");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, go_durations);
	tcase_add_test(tc, retention_as_etcd);
	tcase_add_test(tc, periodic_one_hour);
	tcase_add_test(tc, periodic_one_day);
	tcase_add_test(tc, periodic_sub_hour);
	tcase_add_test(tc, periodic_retry_after_failure);
	tcase_add_test(tc, periodic_window_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
