/*
 * check_log.c: unit tests for common/log: etcd/zap JSON line layout, string
 * escaping (compared with what etcd 3.4.23 itself printed), levels, field
 * types, the plain format, truncation of huge lines, whole lines from many
 * threads, and the panic / fatal exits.  Output goes to a temp file.
 */
#include "common/log.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int out_fd = -1;
static char out_path[4096];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct log_config cfg = { .level = LOG_INFO, .format = LOG_FORMAT_JSON };

	snprintf(out_path, sizeof(out_path), "%s/check_log.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	out_fd = mkstemp(out_path);
	ck_assert_int_ge(out_fd, 0);
	unlink(out_path);
	cfg.fd = out_fd;
	log_configure(&cfg);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void teardown(void)
{
	struct log_config cfg = { .level = LOG_INFO, .format = LOG_FORMAT_JSON, .fd = 2 };

	log_configure(&cfg);
	close(out_fd);
	out_fd = -1;
}

static void set_format(enum log_format fmt, enum log_level lvl)
{
	struct log_config cfg = { .level = lvl, .format = fmt, .fd = out_fd };

	log_configure(&cfg);
}

/* Everything written since the last call, NUL-terminated; caller frees. */
static char *take_output(size_t *len_out)
{
	struct stat st;
	char *p;
	ssize_t n;

	ck_assert_int_eq(fstat(out_fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	n = pread(out_fd, p, (size_t)st.st_size, 0);
	ck_assert_int_eq(n, st.st_size);
	p[n] = '\0';
	ck_assert_int_eq(ftruncate(out_fd, 0), 0);
	lseek(out_fd, 0, SEEK_SET);
	if (len_out)
		*len_out = (size_t)n;
	return p;
}

static json_t *parse_line(const char *line)
{
	json_error_t err;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

	ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, line);
	return j;
}

static void assert_matches(const char *s, const char *re)
{
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&rx, s, 0, NULL, 0) == 0, "'%s' does not match /%s/", s, re);
	regfree(&rx);
}

START_TEST(test_json_layout)
{
	static const char *const urls[] = { "http://127.0.0.1:2380", "http://10.0.0.1:2380" };
	char *out;
	json_t *j;
	int line;

	line = __LINE__ + 1;
	log_info("configuring peer listeners", LOG_STRV("listen-peer-urls", urls, 2), LOG_U64("n", 42),
		 LOG_I64("neg", -7), LOG_BOOL("ok", true), LOG_X64("local-member-id", 0xbdae9bbc11dd390dull));
	out = take_output(NULL);
	/* Key order as etcd's zap: level, ts, caller, msg, then fields. */
	assert_matches(out, "^\\{\"level\":\"info\",\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
			    "[0-9]{2}\\.[0-9]{3}Z\",\"caller\":\"common/check_log\\.c:[0-9]+\",\"msg\":"
			    "\"configuring peer listeners\",\"listen-peer-urls\":\\[\"http://127\\.0\\.0\\.1:2380\","
			    "\"http://10\\.0\\.0\\.1:2380\"\\],\"n\":42,\"neg\":-7,\"ok\":true,"
			    "\"local-member-id\":\"bdae9bbc11dd390d\"\\}\n$");
	j = parse_line(out);
	{
		char caller[64];

		snprintf(caller, sizeof(caller), "common/check_log.c:%d", line);
		ck_assert_str_eq(json_string_value(json_object_get(j, "caller")), caller);
	}
	json_decref(j);
	free(out);

	/* No fields at all is valid too. */
	log_warn("simple token is not cryptographically signed");
	out = take_output(NULL);
	assert_matches(out, "^\\{\"level\":\"warn\",\"ts\":\"[^\"]+\",\"caller\":\"[^\"]+\",\"msg\":"
			    "\"simple token is not cryptographically signed\"\\}\n$");
	free(out);
}
END_TEST

START_TEST(test_json_ts_zone)
{
	char *out;
	time_t before, after;

	/* etcd 3.4.23 under TZ=Asia/Kolkata printed "2026-11-25T08:35:31.240+0530". */
	/* POSIX TZ strings (no tzdata needed); POSIX offsets are west-positive. */
	setenv("TZ", "IST-5:30", 1);
	tzset();
	log_info("x");
	out = take_output(NULL);
	assert_matches(out, "\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}\\+0530\"");
	free(out);
	setenv("TZ", "NST+3:30", 1);
	tzset();
	log_info("x");
	out = take_output(NULL);
	assert_matches(out, "\"ts\":\"[^\"]+\\.[0-9]{3}-0330\"");
	free(out);

	/* The timestamp is the current time (date part, in UTC). */
	setenv("TZ", "UTC", 1);
	tzset();
	before = time(NULL);
	log_info("x");
	after = time(NULL);
	out = take_output(NULL);
	{
		char d1[32], d2[32];
		struct tm tm;

		strftime(d1, sizeof(d1), "\"ts\":\"%Y-%m-%dT", gmtime_r(&before, &tm));
		strftime(d2, sizeof(d2), "\"ts\":\"%Y-%m-%dT", gmtime_r(&after, &tm));
		ck_assert(strstr(out, d1) || strstr(out, d2));
	}
	free(out);
}
END_TEST

START_TEST(test_json_escaping_like_etcd)
{
	/* etcd 3.4.23 with --data-dir "<tmp>/d\x01\x1f\x7f\xff" logged
	 * "data-dir":"<tmp>/d\u0001\u001f<DEL>\ufffd". */
	static const char in1[] = "d\x01\x1f\x7f\xff";
	static const char want1[] = "\"data-dir\":\"d\\u0001\\u001f\x7f\\ufffd\"}";
	/* and with "d\x01\x1f\x7f\xff\xed\xa0\x80\xc0\x80\xe2\x82\"q\\\t\xc3\xa9<&>\xf4\x90\x80\x80z":
	 * a surrogate, an overlong, a cut sequence and a code point above
	 * U+10FFFF each become one \ufffd per byte; <&> are not escaped. */
	static const char in2[] = "d\x01\x1f\x7f\xff\xed\xa0\x80\xc0\x80\xe2\x82\"q\\\t\xc3\xa9<&>\xf4\x90\x80\x80z";
	static const char want2[] = "\"data-dir\":\"d\\u0001\\u001f\x7f\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
				    "\\ufffd\\ufffd\\ufffd\\\"q\\\\\\t\xc3\xa9<&>\\ufffd\\ufffd\\ufffd\\ufffdz\"}";
	char *out;

	log_info("m", LOG_STR("data-dir", in1));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, want1) != NULL, "got %s", out);
	free(out);
	log_info("m", LOG_STR("data-dir", in2));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, want2) != NULL, "got %s", out);
	free(out);
	/* Valid multi-byte UTF-8 of every length passes through. */
	log_info("m", LOG_STR("k", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\n\r"));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, "\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\\n\\r\"") != NULL,
		      "got %s", out);
	free(out);
}
END_TEST

START_TEST(test_json_any_bytes_is_valid_json)
{
	/* Every byte value, in the key, the message and as a bytes field
	 * (embedded NULs included): the line must parse and round-trip. */
	uint8_t all[256];
	char key[256], msg[256];
	json_t *j, *v;
	char *out;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (int i = 0; i < 255; i++)
		key[i] = msg[i] = (char)(i + 1);
	key[255] = msg[255] = '\0';
	log_error(msg, LOG_BYTES("raw", all, sizeof(all)), LOG_STR(key, "v"), LOG_BYTES("empty", NULL, 5));
	out = take_output(NULL);
	j = parse_line(out);
	v = json_object_get(j, "raw");
	ck_assert_ptr_nonnull(v);
	/* Bytes 0..127 survive exactly, in order (NUL as \u0000). */
	ck_assert_uint_ge(json_string_length(v), 128);
	ck_assert_mem_eq(json_string_value(v), all, 128);
	ck_assert_str_eq(json_string_value(json_object_get(j, "empty")), "");
	ck_assert_str_eq(json_string_value(json_object_get(j, "level")), "error");
	ck_assert_int_eq(json_object_size(j), 7);
	json_decref(j);
	free(out);
}
END_TEST

START_TEST(test_levels)
{
	enum log_level l;
	char *out;
	size_t len;
	int evaluated = 0;

	ck_assert_int_eq(log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("warn", &l), 0);
	ck_assert_int_eq(l, LOG_WARN);
	ck_assert_int_eq(log_level_parse("fatal", &l), 0);
	ck_assert_int_eq(l, LOG_FATAL);
	ck_assert_int_eq(log_level_parse("WARN", &l), -1);
	ck_assert_int_eq(log_level_parse("warning", &l), -1);
	ck_assert_int_eq(log_level_parse("", &l), -1);
	ck_assert_str_eq(log_level_name(LOG_PANIC), "panic");

	set_format(LOG_FORMAT_JSON, LOG_WARN);
	log_debug("d", LOG_I64("e", ++evaluated));
	log_info("i", LOG_I64("e", ++evaluated));
	log_debugf("%d", ++evaluated);
	/* Arguments of a disabled level are not even evaluated. */
	ck_assert_int_eq(evaluated, 0);
	out = take_output(&len);
	ck_assert_int_eq(len, 0);
	free(out);
	log_warn("w");
	log_error("e");
	out = take_output(NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"level\":\"warn\""));
	ck_assert_ptr_nonnull(strstr(out, "\"level\":\"error\""));
	free(out);
	ck_assert(!log_enabled(LOG_INFO));
	ck_assert(log_enabled(LOG_FATAL));
	set_format(LOG_FORMAT_JSON, LOG_DEBUG);
	log_debug("d");
	out = take_output(NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"level\":\"debug\""));
	free(out);
}
END_TEST

START_TEST(test_field_formats)
{
	char *out;

	/* Durations as Go's time.Duration.String() (zap StringDurationEncoder,
	 * e.g. etcd's "took":"1.335835ms"); floats as strconv 'f', -1. */
	log_info("m", LOG_DUR("a", 0), LOG_DUR("b", 850), LOG_DUR("c", 1500), LOG_DUR("d", 1335835),
		 LOG_DUR("e", 100000000), LOG_DUR("f", 2500000000LL), LOG_DUR("g", 90000000000LL),
		 LOG_DUR("h", 3600000000000LL), LOG_DUR("i", -1500000), LOG_DUR("j", 3723000000001LL));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, "\"a\":\"0s\",\"b\":\"850ns\",\"c\":\"1.5\xc2\xb5s\",\"d\":\"1.335835ms\","
				  "\"e\":\"100ms\",\"f\":\"2.5s\",\"g\":\"1m30s\",\"h\":\"1h0m0s\",\"i\":\"-1.5ms\","
				  "\"j\":\"1h2m3.000000001s\"}") != NULL,
		      "got %s", out);
	free(out);
	log_info("m", LOG_F64("a", 0.0), LOG_F64("b", 1.5), LOG_F64("c", 0.1), LOG_F64("d", 1e21),
		 LOG_F64("e", -0.001), LOG_F64("f", 123456789.125), LOG_F64("g", 0.0 / 0.0),
		 LOG_F64("h", 1.0 / 0.0), LOG_F64("i", -1.0 / 0.0), LOG_F64("j", 1e-7));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, "\"a\":0,\"b\":1.5,\"c\":0.1,\"d\":1000000000000000000000,\"e\":-0.001,"
				  "\"f\":123456789.125,\"g\":\"NaN\",\"h\":\"+Inf\",\"i\":\"-Inf\",\"j\":0.0000001}") != NULL,
		      "got %s", out);
	free(out);
	log_info("m", LOG_STR("null", NULL), LOG_ERRNO(ENOENT), LOG_ERR("boom"), LOG_STRV("none", NULL, 0));
	out = take_output(NULL);
	ck_assert_msg(strstr(out, "\"null\":\"\",\"error\":\"No such file or directory\",\"error\":\"boom\","
				  "\"none\":[]}") != NULL,
		      "got %s", out);
	free(out);
	log_infof("%s became leader at term %d", "8e9e05c52164694d", 2);
	out = take_output(NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"msg\":\"8e9e05c52164694d became leader at term 2\"}\n"));
	free(out);
}
END_TEST

START_TEST(test_plain_format)
{
	static const char *const urls[] = { "http://a:1", "http://b:2" };
	char *out;

	set_format(LOG_FORMAT_PLAIN, LOG_INFO);
	log_warn("slow fdatasync\nsecond", LOG_STR("path", "/var/lib/x"), LOG_STR("why", "a b=\"c\""),
		 LOG_U64("n", 3), LOG_DUR("took", 1500000000), LOG_STRV("urls", urls, 2), LOG_BOOL("b", false));
	out = take_output(NULL);
	assert_matches(out, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6} W \\| "
			    "common/check_log\\.c:[0-9]+: slow fdatasync second path=/var/lib/x "
			    "why=\"a b=\\\\\"c\\\\\"\" n=3 took=1\\.5s urls=\\[http://a:1 http://b:2\\] b=false\n$");
	free(out);
}
END_TEST

START_TEST(test_truncation)
{
	size_t big = 200 * 1024, len;
	char *s = malloc(big + 1);
	char *out;
	json_t *j;

	memset(s, 'a', big);
	s[big] = '\0';
	/* A huge field is dropped whole; the line says so. */
	log_info("m", LOG_STR("small", "x"), LOG_STR("huge", s), LOG_STR("after", "y"));
	out = take_output(&len);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	j = parse_line(out);
	ck_assert_str_eq(json_string_value(json_object_get(j, "small")), "x");
	ck_assert_ptr_null(json_object_get(j, "huge"));
	ck_assert(json_is_true(json_object_get(j, "log-truncated")));
	json_decref(j);
	free(out);
	/* A huge message is cut but still a valid string; so with escapes. */
	memset(s, '\x01', big);
	log_info(s);
	out = take_output(&len);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	ck_assert_int_eq(out[len - 1], '\n');
	j = parse_line(out);
	ck_assert_uint_gt(json_string_length(json_object_get(j, "msg")), 1000);
	ck_assert(json_is_true(json_object_get(j, "log-truncated")));
	json_decref(j);
	free(out);
	log_infof("%s", s);
	out = take_output(&len);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	json_decref(parse_line(out));
	free(out);
	set_format(LOG_FORMAT_PLAIN, LOG_INFO);
	log_info("m", LOG_STR("huge", s));
	out = take_output(&len);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	ck_assert_ptr_nonnull(strstr(out, " (truncated)\n"));
	free(out);
	free(s);
}
END_TEST

#define N_THREADS 4
#define N_LINES 100

static void *log_thread(void *arg)
{
	char pad[2000];

	/* Lines of a few KB, longer than any stdio buffer: only whole-line
	 * writes keep them apart. */
	memset(pad, 'a' + (int)(intptr_t)arg, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < N_LINES; i++)
		log_info("thread", LOG_I64("t", (intptr_t)arg), LOG_I64("i", i), LOG_STR("pad", pad));
	return NULL;
}

START_TEST(test_threads_whole_lines)
{
	pthread_t th[N_THREADS];
	char *out, *line, *save = NULL;
	int count[N_THREADS] = { 0 }, total = 0;

	for (intptr_t t = 0; t < N_THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, log_thread, (void *)t), 0);
	for (int t = 0; t < N_THREADS; t++)
		pthread_join(th[t], NULL);
	out = take_output(NULL);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = parse_line(line);
		json_int_t t = json_integer_value(json_object_get(j, "t"));
		json_int_t i = json_integer_value(json_object_get(j, "i"));

		ck_assert(t >= 0 && t < N_THREADS);
		/* Each thread's lines arrive in its order. */
		ck_assert_int_eq(i, count[t]);
		ck_assert_int_eq(json_string_value(json_object_get(j, "pad"))[0], 'a' + t);
		count[t]++;
		total++;
		json_decref(j);
	}
	ck_assert_int_eq(total, N_THREADS * N_LINES);
	free(out);
}
END_TEST

START_TEST(test_fatal_exits_1)
{
	/* Written even when the level would drop it, then exit(1). */
	set_format(LOG_FORMAT_JSON, LOG_FATAL);
	log_fatal("cannot lock data dir", LOG_STR("path", "/x"));
}
END_TEST

START_TEST(test_panic_aborts)
{
	log_panic("invariant broken", LOG_U64("index", 7));
}
END_TEST

START_TEST(test_fatal_line_written)
{
	pid_t pid = fork();
	int status;
	char *out;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		log_fatal("cannot lock data dir", LOG_STR("path", "/x"));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	out = take_output(NULL);
	ck_assert_msg(strstr(out, "\"level\":\"fatal\"") && strstr(out, "\"msg\":\"cannot lock data dir\",\"path\":\"/x\"}"),
		      "got %s", out);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_json_layout);
	tcase_add_test(tc, test_json_ts_zone);
	tcase_add_test(tc, test_json_escaping_like_etcd);
	tcase_add_test(tc, test_json_any_bytes_is_valid_json);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_field_formats);
	tcase_add_test(tc, test_plain_format);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_threads_whole_lines);
	tcase_add_test(tc, test_fatal_line_written);
	tcase_add_exit_test(tc, test_fatal_exits_1, 1);
	tcase_add_test_raise_signal(tc, test_panic_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
