/*
 * check_urls.c: unit tests for common/urls.  The expected messages and
 * canonical forms were captured from etcd 3.4.23 itself, e.g.
 *   etcd --listen-client-urls '<input>' ...  ->  invalid value "<input>" for
 *   flag -listen-client-urls: <message>
 * or, for accepted input, the "listen-client-urls" array of its
 * "configuring client listeners" log line (sorted, as etcd sorts).
 */
#include "common/urls.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct list_case {
	const char *in;
	const char *want; /* the error, or the accepted list joined with ',' */
	int ok;
};

static const struct list_case list_cases[] = {
	{ "foo", "URL scheme must be http, https, unix, or unixs: foo", 0 },
	{ "http://127.0.0.1", "URL address does not have the form \"host:port\": http://127.0.0.1", 0 },
	{ "ftp://1.2.3.4:5", "URL scheme must be http, https, unix, or unixs: ftp://1.2.3.4:5", 0 },
	{ "http://localhost:2379/x", "URL must not contain a path: http://localhost:2379/x", 0 },
	{ "http://a:b:c", "parse \"http://a:b:c\": invalid port \":c\" after host", 0 },
	{ ",", "URL scheme must be http, https, unix, or unixs: ", 0 },
	{ "http://127.0.0.1:2379,", "URL scheme must be http, https, unix, or unixs: ", 0 },
	{ "", "URL scheme must be http, https, unix, or unixs: ", 0 },
	{ "http://", "URL address does not have the form \"host:port\": http://", 0 },
	{ ":foo", "parse \":foo\": missing protocol scheme", 0 },
	{ "http:127.0.0.1:2379", "URL address does not have the form \"host:port\": http:127.0.0.1:2379", 0 },
	{ "127.0.0.1:2379", "parse \"127.0.0.1:2379\": first path segment in URL cannot contain colon", 0 },
	{ "localhost:2379", "URL scheme must be http, https, unix, or unixs: localhost:2379", 0 },
	{ "//127.0.0.1:2379", "URL scheme must be http, https, unix, or unixs: //127.0.0.1:2379", 0 },
	{ "http://[::1]", "URL address does not have the form \"host:port\": http://[::1]", 0 },
	{ "http://[::1:2379", "parse \"http://[::1:2379\": missing ']' in host", 0 },
	{ "http://[::1]x:2379", "parse \"http://[::1]x:2379\": invalid port \"x:2379\" after host", 0 },
	{ "http://1.2.3.4:2379/", "URL must not contain a path: http://1.2.3.4:2379/", 0 },
	{ "http://127.0.0.1:2379/?q", "URL must not contain a path: http://127.0.0.1:2379/?q", 0 },
	{ "http://a b:1", "parse \"http://a b:1\": invalid character \" \" in host name", 0 },
	{ "http://u{@h:1", "parse \"http://u{@h:1\": net/url: invalid userinfo", 0 },
	{ "http://a:1:2", "URL address does not have the form \"host:port\": http://a:1:2", 0 },
	{ "http://[::1]:2379:1", "parse \"http://[::1]:2379:1\": invalid port \":2379:1\" after host", 0 },
	{ "https://h\x01:1", "parse \"https://h\\x01:1\": net/url: invalid control character in URL", 0 },
	{ "http://%zz:1", "parse \"http://%zz:1\": invalid URL escape \"%zz\"", 0 },
	{ "http://a%20b:1", "parse \"http://a%20b:1\": invalid URL escape \"%20\"", 0 },
	{ "http://%41:1", "parse \"http://%41:1\": invalid URL escape \"%41\"", 0 },
	{ "http://h:1#%zz", "parse \"http://h:1#%zz\": invalid URL escape \"%zz\"", 0 },
	{ "http://u%zz@h:1", "parse \"http://u%zz@h:1\": invalid URL escape \"%zz\"", 0 },
	{ "http://h:1/%zz", "parse \"http://h:1/%zz\": invalid URL escape \"%zz\"", 0 },
	{ "http://[fe80::1%eth0]:2379", "parse \"http://[fe80::1%eth0]:2379\": invalid URL escape \"%et\"", 0 },
	{ "http://h%:1", "parse \"http://h%:1\": invalid URL escape \"%:1\"", 0 },
	{ "http://h%4:1", "parse \"http://h%4:1\": invalid URL escape \"%4:\"", 0 },
	/* The first bad element decides, whatever follows. */
	{ "http://127.0.0.1:1,foo,ftp://x:1", "URL scheme must be http, https, unix, or unixs: foo", 0 },

	{ "HTTP://127.0.0.1:23455", "http://127.0.0.1:23455", 1 },
	{ "http://[::1]:23456,http://127.0.0.1:23457", "http://127.0.0.1:23457,http://[::1]:23456", 1 },
	{ " http://127.0.0.1:23458 , http://127.0.0.1:23459 ", "http://127.0.0.1:23458,http://127.0.0.1:23459", 1 },
	{ "http://127.0.0.1:23460?x=1", "http://127.0.0.1:23460?x=1", 1 },
	{ "http://127.0.0.1:23461?", "http://127.0.0.1:23461?", 1 },
	{ "http://127.0.0.1:23462#frag", "http://127.0.0.1:23462#frag", 1 },
	{ "http://127.0.0.1:2379#a%20b", "http://127.0.0.1:2379#a%20b", 1 },
	{ "http://u:p@127.0.0.1:23463", "http://u:p@127.0.0.1:23463", 1 },
	{ "http://127.0.0.1:", "http://127.0.0.1:", 1 },
	{ "unix://localhost:23465", "unix://localhost:23465", 1 },
	{ "unixs://x.sock:1", "unixs://x.sock:1", 1 },
	/* Seen in etcd's "expected IP in URL for binding (...)" messages. */
	{ "http://a%c3%a9:1", "http://a%C3%A9:1", 1 },
	{ "http://\xc3\xa9.com:1", "http://%C3%A9.com:1", 1 },
	{ "http://[fe80::1%25eth0]:2379", "http://[fe80::1%25eth0]:2379", 1 },
	{ "http://:23464", "http://:23464", 1 },
	{ "https://b:1,http://a:2,https://a:1", "http://a:2,https://a:1,https://b:1", 1 },
};

START_TEST(test_list_like_etcd)
{
	const struct list_case *c = &list_cases[_i];
	struct url_list l = { 0 };
	char err[512];
	int rc;

	strcpy(err, "untouched");
	rc = urls_parse_list(c->in, &l, err, sizeof(err));
	if (c->ok) {
		char *s;

		ck_assert_msg(rc == 0, "'%s' rejected: %s", c->in, err);
		s = urls_list_string(&l);
		ck_assert_str_eq(s, c->want);
		free(s);
	} else {
		ck_assert_msg(rc == -1, "'%s' accepted", c->in);
		ck_assert_str_eq(err, c->want);
		ck_assert_ptr_null(l.v);
		ck_assert_int_eq(l.n, 0);
	}
	urls_list_free(&l);
}
END_TEST

START_TEST(test_parts)
{
	struct url u;
	char err[256];

	ck_assert_int_eq(urls_parse_one("https://[::1]:2379", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.scheme, "https");
	ck_assert_str_eq(u.host, "[::1]:2379");
	ck_assert_str_eq(u.hostname, "::1");
	ck_assert_str_eq(u.port, "2379");
	ck_assert_str_eq(u.str, "https://[::1]:2379");
	urls_url_free(&u);
	ck_assert_int_eq(urls_parse_one("  unix://etcd.sock:0\t", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.scheme, "unix");
	ck_assert_str_eq(u.host, "etcd.sock:0");
	ck_assert_str_eq(u.hostname, "etcd.sock");
	urls_url_free(&u);
	ck_assert_int_eq(urls_parse_one("HtTp://LocalHost:80", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.scheme, "http");
	ck_assert_str_eq(u.hostname, "LocalHost");
	urls_url_free(&u);
	ck_assert_int_eq(urls_parse_one("http://x", &u, err, sizeof(err)), -1);
	ck_assert_ptr_null(u.str);
	urls_url_free(&u); /* a zeroed url may be freed */
	/* A tiny error buffer is cut, not overrun. */
	ck_assert_int_eq(urls_parse_one("ftp://x:1", &u, err, 8), -1);
	ck_assert_str_eq(err, "URL sch");
}
END_TEST

START_TEST(test_check_bind_and_host)
{
	struct url_list l;
	char err[256];

	ck_assert_int_eq(urls_parse_list("http://127.0.0.1:1,http://[::1]:2,http://localhost:3,unix://sock:4",
					 &l, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_check_bind(&l, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_check_host(&l, err, sizeof(err)), 0);
	urls_list_free(&l);
	/* Texts seen from etcd 3.4.23 ("failed to verify flags"). */
	ck_assert_int_eq(urls_parse_list("http://a%c3%a9:1", &l, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_check_bind(&l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected IP in URL for binding (http://a%C3%A9:1)");
	urls_list_free(&l);
	ck_assert_int_eq(urls_parse_list("http://:23464", &l, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_check_bind(&l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected IP in URL for binding (http://:23464)");
	ck_assert_int_eq(urls_check_host(&l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unexpected empty host (http://:23464)");
	urls_list_free(&l);
	ck_assert_int_eq(urls_parse_list("http://[fe80::1%25eth0]:2379,http://example.com:1", &l, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_check_bind(&l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected IP in URL for binding (http://[fe80::1%25eth0]:2379)");
	ck_assert_int_eq(urls_check_host(&l, err, sizeof(err)), 0);
	urls_list_free(&l);
}
END_TEST

START_TEST(test_cluster)
{
	struct url_cluster c;
	const struct url_member *m;
	char err[512], *s;

	ck_assert_int_eq(urls_parse_cluster(",,infra1=http://10.0.1.11:2380,infra0=http://10.0.1.10:2380,"
					    "infra1=http://10.0.1.12:2380,,", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.v[0].name, "infra1");
	ck_assert_int_eq(c.v[0].urls.n, 2);
	ck_assert_str_eq(c.v[0].urls.v[0].str, "http://10.0.1.11:2380");
	ck_assert_str_eq(c.v[0].urls.v[1].str, "http://10.0.1.12:2380");
	m = urls_cluster_find(&c, "infra0");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->urls.v[0].hostname, "10.0.1.10");
	ck_assert_ptr_null(urls_cluster_find(&c, "infra2"));
	s = urls_cluster_string(&c);
	ck_assert_str_eq(s, "infra0=http://10.0.1.10:2380,infra1=http://10.0.1.11:2380,infra1=http://10.0.1.12:2380");
	free(s);
	ck_assert_int_eq(urls_cluster_check_local(&c, "infra0", err, sizeof(err)), 0);
	ck_assert_int_eq(urls_cluster_check_local(&c, "default", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "couldn't find local name \"default\" in the initial cluster configuration");
	ck_assert_int_eq(urls_cluster_check_duplicates(&c, err, sizeof(err)), 0);
	urls_cluster_free(&c);

	/* etcd 3.4.23: "initial cluster a=...:24301,b=...:24302,default=...:24301 has duplicate url" */
	ck_assert_int_eq(urls_parse_cluster("b=http://127.0.0.1:24302,default=http://127.0.0.1:24301,"
					    "a=http://127.0.0.1:24301", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_cluster_check_duplicates(&c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "initial cluster a=http://127.0.0.1:24301,b=http://127.0.0.1:24302,"
			      "default=http://127.0.0.1:24301 has duplicate url");
	urls_cluster_free(&c);
	/* The same URL twice under one name is a duplicate too. */
	ck_assert_int_eq(urls_parse_cluster("a=http://h:1,a=http://h:1", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(urls_cluster_check_duplicates(&c, err, sizeof(err)), -1);
	urls_cluster_free(&c);

	/* An empty name is a name (etcd accepts "=http://..."). */
	ck_assert_int_eq(urls_parse_cluster("=http://127.0.0.1:5", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.n, 1);
	ck_assert_str_eq(c.v[0].name, "");
	urls_cluster_free(&c);
	/* Nothing at all: an empty map, as etcd. */
	ck_assert_int_eq(urls_parse_cluster("", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.n, 0);
	s = urls_cluster_string(&c);
	ck_assert_str_eq(s, "");
	free(s);
	urls_cluster_free(&c);
}
END_TEST

START_TEST(test_cluster_errors_like_etcd)
{
	struct url_cluster c;
	char err[512];

	/* etcd: "error setting up initial cluster: <this>" */
	ck_assert_int_eq(urls_parse_cluster("foo", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "URL scheme must be http, https, unix, or unixs: ");
	ck_assert_int_eq(c.n, 0);
	ck_assert_int_eq(urls_parse_cluster("a=foo", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "URL scheme must be http, https, unix, or unixs: foo");
	ck_assert_int_eq(urls_parse_cluster("default=http://127.0.0.1:24301,b", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "URL scheme must be http, https, unix, or unixs: ");
	ck_assert_int_eq(urls_parse_cluster("default=http://127.0.0.1:24301,b=c=http://x:1", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "parse \"c=http://x:1\": first path segment in URL cannot contain colon");
	ck_assert_ptr_null(c.v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("urls");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_list_like_etcd, 0, (int)(sizeof(list_cases) / sizeof(list_cases[0])));
	tcase_add_test(tc, test_parts);
	tcase_add_test(tc, test_check_bind_and_host);
	tcase_add_test(tc, test_cluster);
	tcase_add_test(tc, test_cluster_errors_like_etcd);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
