/*
 * check_gourl.c: unit tests for common/gourl, the Go standard library
 * behaviour etcd's flags expose (url.Parse pieces, URL.String,
 * net.SplitHostPort, strconv.Quote).  The etcd-level cases, captured from
 * etcd 3.4.23, are in check_urls.c.
 */
#include "common/gourl.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void assert_quote(const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	gourl_quote(&b, in, n);
	ck_assert_int_eq(buf_len(&b), strlen(want));
	ck_assert_mem_eq(buf_data(&b), want, strlen(want));
	buf_free(&b);
}

START_TEST(test_quote)
{
	/* As Go's strconv.Quote / fmt %q. */
	assert_quote("", 0, "\"\"");
	assert_quote("abc", 3, "\"abc\"");
	assert_quote("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	assert_quote("\a\b\f\n\r\t\v", 7, "\"\\a\\b\\f\\n\\r\\t\\v\"");
	assert_quote("\x01\x7f\xff", 3, "\"\\x01\\x7f\\xff\"");
	assert_quote("\0", 1, "\"\\x00\"");
	assert_quote("\xc3\xa9\xe2\x82\xac", 5, "\"\xc3\xa9\xe2\x82\xac\"");
	assert_quote("\xc2\x85", 2, "\"\\u0085\"");
	assert_quote("\xed\xa0\x80", 3, "\"\\xed\\xa0\\x80\"");
	assert_quote("\xe2\x82", 2, "\"\\xe2\\x82\"");
}
END_TEST

struct shp_case {
	const char *in, *host, *port;
};

START_TEST(test_split_host_port)
{
	static const struct shp_case ok[] = {
		{ "h:1", "h", "1" },     { "[::1]:2379", "::1", "2379" }, { ":1", "", "1" },
		{ "h:", "h", "" },       { "[]:1", "", "1" },             { "1.2.3.4:x", "1.2.3.4", "x" },
	};
	static const char *const bad[] = { "h", "", "a:b:c", "[::1]", "[::1]x:1", "h]:1", "[a[b]:1", "[::1", "[::1]:1:2" };
	char *h, *p;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(gourl_split_host_port(ok[i].in, &h, &p) == 0, "%s", ok[i].in);
		ck_assert_str_eq(h, ok[i].host);
		ck_assert_str_eq(p, ok[i].port);
		free(h);
		free(p);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(gourl_split_host_port(bad[i], &h, &p) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_pieces)
{
	static const char in[] = "HTTPS://us%41er:pw@[fe80::1%25en0]:2379/p/a?x=1&y#frag";
	struct gourl g;
	struct buf msg;
	char *s;

	gourl_init(&g);
	buf_init(&msg, 1024);
	ck_assert_int_eq(gourl_parse(&g, in, strlen(in), &msg), 0);
	ck_assert_int_eq(buf_len(&msg), 0);
	ck_assert_mem_eq(buf_data(&g.scheme), "https", 5);
	ck_assert_int_eq(buf_len(&g.host), strlen("[fe80::1%en0]:2379"));
	ck_assert_mem_eq(buf_data(&g.host), "[fe80::1%en0]:2379", buf_len(&g.host));
	ck_assert_int_eq(g.user_len, 10);
	ck_assert_mem_eq(g.user, "us%41er:pw", 10);
	ck_assert_int_eq(g.path_len, 4);
	ck_assert_int_eq(g.query_len, 5);
	ck_assert_mem_eq(g.query, "x=1&y", 5);
	ck_assert_int_eq(g.frag_len, 4);
	s = gourl_string(&g);
	ck_assert_str_eq(s, "https://us%41er:pw@[fe80::1%25en0]:2379?x=1&y#frag");
	free(s);
	gourl_free(&g);

	/* Opaque: a scheme and no "//". */
	gourl_init(&g);
	ck_assert_int_eq(gourl_parse(&g, "mailto:x@y", 10, &msg), 0);
	ck_assert_int_eq(buf_len(&g.host), 0);
	ck_assert_int_eq(g.path_len, 3);
	gourl_free(&g);

	/* Errors carry Go's full text. */
	gourl_init(&g);
	/* A digit first means no scheme: then "1http:" is a first path
	 * segment with a colon. */
	ck_assert_int_eq(gourl_parse(&g, "1http://x", 9, &msg), -1);
	ck_assert_mem_eq(buf_data(&msg), "parse \"1http://x\": first path segment in URL cannot contain colon",
			 buf_len(&msg));
	buf_reset(&msg);
	ck_assert_int_eq(gourl_parse(&g, "http://x:1#a%g", 14, &msg), -1);
	ck_assert_int_eq(buf_len(&msg), strlen("parse \"http://x:1#a%g\": invalid URL escape \"%g\""));
	ck_assert_mem_eq(buf_data(&msg), "parse \"http://x:1#a%g\": invalid URL escape \"%g\"", buf_len(&msg));
	gourl_free(&g);
	buf_free(&msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gourl");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_split_host_port);
	tcase_add_test(tc, test_parse_pieces);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
