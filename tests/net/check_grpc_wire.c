/*
 * check_grpc_wire: unit tests of daemon/net/grpc_wire (message framing,
 * grpc-timeout, grpc-message percent-encoding) and daemon/net/sniff.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/net/grpc_wire.h"
#include "daemon/net/sniff.h"

static size_t frame(uint8_t *out, uint8_t flag, const char *msg, size_t len)
{
	grpc_wire_prefix(out, (uint32_t)len);
	out[0] = flag;
	memcpy(out + 5, msg, len);
	return len + 5;
}

START_TEST(test_parser_whole_and_two_in_one)
{
	struct grpc_wire_parser p;
	uint8_t in[64];
	const uint8_t *msg;
	size_t n = 0, used, mlen;

	grpc_wire_parser_init(&p, 100);
	n += frame(in + n, 0, "hello", 5);
	n += frame(in + n, 0, "", 0);
	n += frame(in + n, 0, "xyz", 3);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, n, &used, &msg, &mlen), GRPC_WIRE_MESSAGE);
	ck_assert_uint_eq(used, 10);
	ck_assert_uint_eq(mlen, 5);
	ck_assert(memcmp(msg, "hello", 5) == 0);
	ck_assert(msg == in + 5); /* whole in the input: no copy */
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in + 10, n - 10, &used, &msg, &mlen),
			 GRPC_WIRE_MESSAGE);
	ck_assert_uint_eq(used, 5);
	ck_assert_uint_eq(mlen, 0);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in + 15, n - 15, &used, &msg, &mlen),
			 GRPC_WIRE_MESSAGE);
	ck_assert_uint_eq(mlen, 3);
	ck_assert(grpc_wire_parser_idle(&p));
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, 0, &used, &msg, &mlen), GRPC_WIRE_NEED_MORE);
	grpc_wire_parser_free(&p);
}
END_TEST

/* Every split point, and byte by byte: the same messages come out. */
START_TEST(test_parser_split)
{
	struct grpc_wire_parser p;
	uint8_t in[64];
	const uint8_t *msg;
	size_t n = 0, used, mlen, split, pos, got;
	char seen[64];

	n += frame(in + n, 0, "abcdefghij", 10);
	n += frame(in + n, 0, "KLM", 3);
	for (split = 1; split <= n; split++) {
		grpc_wire_parser_init(&p, 100);
		got = 0;
		seen[0] = '\0';
		for (pos = 0; pos < n;) {
			size_t chunk = n - pos < split ? n - pos : split;
			size_t off = 0;
			while (off < chunk) {
				enum grpc_wire_result r =
					grpc_wire_parser_feed(&p, in + pos + off, chunk - off, &used, &msg, &mlen);
				off += used;
				if (r == GRPC_WIRE_MESSAGE) {
					strncat(seen, (const char *)msg, mlen);
					strcat(seen, "|");
					got++;
				} else {
					ck_assert_int_eq(r, GRPC_WIRE_NEED_MORE);
					ck_assert_uint_eq(off, chunk);
				}
			}
			pos += chunk;
			if (pos < n && split < 15 && pos < 15)
				ck_assert_uint_le(grpc_wire_parser_buffered(&p), 10);
		}
		ck_assert_uint_eq(got, 2);
		ck_assert_str_eq(seen, "abcdefghij|KLM|");
		ck_assert(grpc_wire_parser_idle(&p));
		grpc_wire_parser_free(&p);
	}
}
END_TEST

START_TEST(test_parser_truncated_not_idle)
{
	struct grpc_wire_parser p;
	uint8_t in[16];
	const uint8_t *msg;
	size_t n, used, mlen;

	grpc_wire_parser_init(&p, 100);
	n = frame(in, 0, "abcdef", 6);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, 3, &used, &msg, &mlen), GRPC_WIRE_NEED_MORE);
	ck_assert(!grpc_wire_parser_idle(&p));
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in + 3, 4, &used, &msg, &mlen), GRPC_WIRE_NEED_MORE);
	ck_assert_uint_eq(grpc_wire_parser_buffered(&p), 2);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in + 7, n - 7, &used, &msg, &mlen),
			 GRPC_WIRE_MESSAGE);
	ck_assert(memcmp(msg, "abcdef", 6) == 0);
	grpc_wire_parser_free(&p);
}
END_TEST

START_TEST(test_parser_oversized)
{
	struct grpc_wire_parser p;
	uint8_t in[5];
	const uint8_t *msg;
	size_t used, mlen;

	grpc_wire_parser_init(&p, 2097152);
	grpc_wire_prefix(in, 3145728);
	/* Rejected on the prefix alone, before any body byte is buffered. */
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, 5, &used, &msg, &mlen), GRPC_WIRE_TOO_LARGE);
	ck_assert_uint_eq(p.msg_len, 3145728);
	ck_assert_uint_eq(grpc_wire_parser_buffered(&p), 0);
	/* Sticky. */
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, 5, &used, &msg, &mlen), GRPC_WIRE_TOO_LARGE);
	grpc_wire_parser_free(&p);

	/* Exactly the limit is fine. */
	grpc_wire_parser_init(&p, 4);
	grpc_wire_prefix(in, 4);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, 5, &used, &msg, &mlen), GRPC_WIRE_NEED_MORE);
	grpc_wire_parser_free(&p);
}
END_TEST

START_TEST(test_parser_flags)
{
	struct grpc_wire_parser p;
	uint8_t in[16];
	const uint8_t *msg;
	size_t used, mlen, n;

	grpc_wire_parser_init(&p, 100);
	n = frame(in, 1, "zz", 2);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, n, &used, &msg, &mlen), GRPC_WIRE_COMPRESSED);
	grpc_wire_parser_free(&p);
	grpc_wire_parser_init(&p, 100);
	n = frame(in, 7, "zz", 2);
	ck_assert_int_eq(grpc_wire_parser_feed(&p, in, n, &used, &msg, &mlen), GRPC_WIRE_BAD_FLAG);
	ck_assert_uint_eq(p.flag, 7);
	grpc_wire_parser_free(&p);
}
END_TEST

static int64_t tmo(const char *s, int *rc, char *err)
{
	int64_t ns = -7;

	*rc = grpc_wire_parse_timeout(s, strlen(s), &ns, err, 128);
	return ns;
}

START_TEST(test_timeout)
{
	char err[128];
	int rc;

	ck_assert_int_eq(tmo("1H", &rc, err), 3600LL * 1000000000LL);
	ck_assert_int_eq(tmo("2M", &rc, err), 120LL * 1000000000LL);
	ck_assert_int_eq(tmo("3S", &rc, err), 3000000000LL);
	ck_assert_int_eq(tmo("250m", &rc, err), 250000000LL);
	ck_assert_int_eq(tmo("7u", &rc, err), 7000);
	ck_assert_int_eq(tmo("99999999n", &rc, err), 99999999);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tmo("0S", &rc, err), 0);
	/* 8 digits of hours overflow int64 ns: clamped as grpc-go does. */
	ck_assert_int_eq(tmo("99999999H", &rc, err), INT64_MAX);
	ck_assert_int_eq(rc, 0);

	tmo("S", &rc, err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err, "transport: timeout string is too short: \"S\"");
	tmo("123456789S", &rc, err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err, "transport: timeout string is too long: \"123456789S\"");
	tmo("5x", &rc, err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err, "transport: timeout unit is not recognized: \"5x\"");
	tmo("1a5S", &rc, err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err, "strconv.ParseInt: parsing \"1a5\": invalid syntax");
}
END_TEST

static const char *penc(const char *s, size_t len)
{
	static char out[256];

	grpc_wire_percent_encode(s, len, out, sizeof(out));
	return out;
}

START_TEST(test_percent)
{
	char out[256], dec[256];
	size_t n;

	ck_assert_str_eq(penc("plain text ~!", 13), "plain text ~!");
	ck_assert_str_eq(penc("100%", 4), "100%25");
	ck_assert_str_eq(penc("a\nb\tc", 5), "a%0Ab%09c");
	/* Valid UTF-8 (é = C3 A9): each byte encoded. */
	ck_assert_str_eq(penc("caf\xc3\xa9", 5), "caf%C3%A9");
	/* Invalid bytes become U+FFFD, as grpc-go writes them. */
	ck_assert_str_eq(penc("x\xff y", 4), "x%EF%BF%BD y");
	ck_assert_str_eq(penc("\xc3", 1), "%EF%BF%BD");
	ck_assert_str_eq(penc("\xed\xa0\x80", 3), "%EF%BF%BD%EF%BF%BD%EF%BF%BD"); /* surrogate */
	ck_assert_str_eq(penc("", 0), "");

	/* The length needed is returned even when it does not fit. */
	n = grpc_wire_percent_encode("%%%%", 4, out, 5);
	ck_assert_uint_eq(n, 12);
	ck_assert_uint_eq(strlen(out), 4);

	n = grpc_wire_percent_decode("a%0Ab%25%C3%A9%", 15, dec);
	ck_assert_uint_eq(n, 7);
	ck_assert(memcmp(dec, "a\nb%\xc3\xa9%", 7) == 0);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(grpc_status_name(GRPC_STATUS_OK), "OK");
	ck_assert_str_eq(grpc_status_name(GRPC_STATUS_RESOURCE_EXHAUSTED), "ResourceExhausted");
	ck_assert_str_eq(grpc_status_name(GRPC_STATUS_UNAUTHENTICATED), "Unauthenticated");
	ck_assert_str_eq(grpc_status_name(99), "Unknown");
}
END_TEST

START_TEST(test_sniff)
{
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	size_t i;

	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"", 0), NET_SNIFF_MORE);
	for (i = 1; i < 24; i++)
		ck_assert_int_eq(net_sniff_classify((const uint8_t *)pre, i), NET_SNIFF_MORE);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)pre, 24), NET_SNIFF_H2);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"GET / HTTP/1.1\r\n", 16), NET_SNIFF_H1);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"POST", 4), NET_SNIFF_H1);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"P", 1), NET_SNIFF_MORE);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"PRI * HTTP/2.0\r\n\r\nXX", 20),
			 NET_SNIFF_H1);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"\x16\x03\x01", 3), NET_SNIFF_TLS);
	ck_assert_int_eq(net_sniff_classify((const uint8_t *)"\x00\xff", 2), NET_SNIFF_H1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grpc_wire");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parser_whole_and_two_in_one);
	tcase_add_test(tc, test_parser_split);
	tcase_add_test(tc, test_parser_truncated_not_idle);
	tcase_add_test(tc, test_parser_oversized);
	tcase_add_test(tc, test_parser_flags);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_percent);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_sniff);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
