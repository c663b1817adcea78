/*
 * check_gojson.c - Go's encoding/json texts, byte for byte.  Every expected
 * message below was printed by etcd 3.4.23's gateway (Go 1.19) for the same
 * body: the decoder table with the input as the whole request body, the
 * Unmarshal table with the input quoted as a number field ({"limit":"..."}).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/gateway/gojson.h"

struct scan_case {
	const char *in;
	int rc;
	const char *msg;	/* error text, or for GOJSON_OK the value found */
};

/* json.Decoder: the first value of a body. */
static const struct scan_case decoder_cases[] = {
	{ "", GOJSON_EMPTY, "" },
	{ " \t\r\n", GOJSON_EMPTY, "" },
	{ "{}", GOJSON_OK, "{}" },
	{ "  {\"key\":\"Zm9v\"} trailing garbage", GOJSON_OK, "{\"key\":\"Zm9v\"}" },
	{ "{\"a\" :1 , \"b\"  :  [ ] ,\"c\":{ } }", GOJSON_OK, "{\"a\" :1 , \"b\"  :  [ ] ,\"c\":{ } }" },
	{ "null", GOJSON_OK, "null" },
	{ "5", GOJSON_OK, "5" },
	{ "5x", GOJSON_OK, "5" },
	{ "-0.5e+7 ", GOJSON_OK, "-0.5e+7" },
	{ "\"x\"y", GOJSON_OK, "\"x\"" },
	{ "[]]", GOJSON_OK, "[]" },
	{ "{", GOJSON_ERROR, "unexpected EOF" },
	{ "{\"key\"", GOJSON_ERROR, "unexpected EOF" },
	{ "{\"key\":", GOJSON_ERROR, "unexpected EOF" },
	{ "{\"key\":\"Zm9v\"", GOJSON_ERROR, "unexpected EOF" },
	{ "{\"key\":\"Zm9v\",", GOJSON_ERROR, "unexpected EOF" },
	{ "{\"a\":\"\\u", GOJSON_ERROR, "unexpected EOF" },
	{ "\"str", GOJSON_ERROR, "unexpected EOF" },
	{ "\"\xff", GOJSON_ERROR, "unexpected EOF" },
	{ "-", GOJSON_ERROR, "unexpected EOF" },
	{ "tru", GOJSON_ERROR, "unexpected EOF" },
	{ "g", GOJSON_ERROR, "invalid character 'g' looking for beginning of value" },
	{ "\n\r\t x", GOJSON_ERROR, "invalid character 'x' looking for beginning of value" },
	{ "<html>", GOJSON_ERROR, "invalid character '<' looking for beginning of value" },
	{ "&", GOJSON_ERROR, "invalid character '&' looking for beginning of value" },
	{ "\\", GOJSON_ERROR, "invalid character '\\\\' looking for beginning of value" },
	{ "\b", GOJSON_ERROR, "invalid character '\\b' looking for beginning of value" },
	{ "\033", GOJSON_ERROR, "invalid character '\\x1b' looking for beginning of value" },
	{ "\xc3\xa9", GOJSON_ERROR, "invalid character '\xc3\x83' looking for beginning of value" },
	{ "\xc2\xa0", GOJSON_ERROR, "invalid character '\xc3\x82' looking for beginning of value" },
	{ "\xe2", GOJSON_ERROR, "invalid character '\xc3\xa2' looking for beginning of value" },
	{ "{key:1}", GOJSON_ERROR, "invalid character 'k' looking for beginning of object key string" },
	{ "{'key':1}", GOJSON_ERROR, "invalid character '\\'' looking for beginning of object key string" },
	{ "{\"key\":\"Zm9v\",}", GOJSON_ERROR, "invalid character '}' looking for beginning of object key string" },
	{ "{\"key\" \"Zm9v\"}", GOJSON_ERROR, "invalid character '\"' after object key" },
	{ "{\"key\":\"Zm9v\" \"x\"}", GOJSON_ERROR, "invalid character '\"' after object key:value pair" },
	{ "{\"a\":01}", GOJSON_ERROR, "invalid character '1' after object key:value pair" },
	{ "[1 2]", GOJSON_ERROR, "invalid character '2' after array element" },
	{ "{\"a\":[1,]}", GOJSON_ERROR, "invalid character ']' looking for beginning of value" },
	{ "{\"a\":tru}", GOJSON_ERROR, "invalid character '}' in literal true (expecting 'e')" },
	{ "{\"a\":tx}", GOJSON_ERROR, "invalid character 'x' in literal true (expecting 'r')" },
	{ "{\"a\":tr}", GOJSON_ERROR, "invalid character '}' in literal true (expecting 'u')" },
	{ "{\"a\":fals]", GOJSON_ERROR, "invalid character ']' in literal false (expecting 'e')" },
	{ "{\"a\":fx}", GOJSON_ERROR, "invalid character 'x' in literal false (expecting 'a')" },
	{ "{\"a\":fa}", GOJSON_ERROR, "invalid character '}' in literal false (expecting 'l')" },
	{ "{\"a\":fal}", GOJSON_ERROR, "invalid character '}' in literal false (expecting 's')" },
	{ "{\"a\":nul}", GOJSON_ERROR, "invalid character '}' in literal null (expecting 'l')" },
	{ "{\"a\":nil}", GOJSON_ERROR, "invalid character 'i' in literal null (expecting 'u')" },
	{ "{\"a\":-}", GOJSON_ERROR, "invalid character '}' in numeric literal" },
	{ "{\"a\":-x}", GOJSON_ERROR, "invalid character 'x' in numeric literal" },
	{ "{\"a\":1.}", GOJSON_ERROR, "invalid character '}' after decimal point in numeric literal" },
	{ "{\"a\":1.e5}", GOJSON_ERROR, "invalid character 'e' after decimal point in numeric literal" },
	{ "{\"a\":1e}", GOJSON_ERROR, "invalid character '}' in exponent of numeric literal" },
	{ "{\"a\":1e+}", GOJSON_ERROR, "invalid character '}' in exponent of numeric literal" },
	{ "{\"a\":.5}", GOJSON_ERROR, "invalid character '.' looking for beginning of value" },
	{ "{\"a\":+1}", GOJSON_ERROR, "invalid character '+' looking for beginning of value" },
	{ "{\"a\":\"\\x\"}", GOJSON_ERROR, "invalid character 'x' in string escape code" },
	{ "{\"a\":\"\\u12g4\"}", GOJSON_ERROR, "invalid character 'g' in \\u hexadecimal character escape" },
	{ "{\"a\":\"\x01\"}", GOJSON_ERROR, "invalid character '\\x01' in string literal" },
	{ "{\"a\":\"\t\"}", GOJSON_ERROR, "invalid character '\\t' in string literal" },
	{ "{\"a\":\x7f}", GOJSON_ERROR, "invalid character '\\x7f' looking for beginning of value" },
};

/* json.Unmarshal's checkValid: the whole text is one value. */
static const struct scan_case unmarshal_cases[] = {
	{ "12", GOJSON_OK, NULL },
	{ " 12 ", GOJSON_OK, NULL },
	{ "null", GOJSON_OK, NULL },
	{ "", GOJSON_ERROR, "unexpected end of JSON input" },
	{ "{", GOJSON_ERROR, "unexpected end of JSON input" },
	{ "\\\"12", GOJSON_ERROR, "invalid character '\\\\' looking for beginning of value" },
	{ "abc", GOJSON_ERROR, "invalid character 'a' looking for beginning of value" },
	{ "12a", GOJSON_ERROR, "invalid character 'a' after top-level value" },
	{ "12 a", GOJSON_ERROR, "invalid character 'a' after top-level value" },
	{ "tru", GOJSON_ERROR, "invalid character ' ' in literal true (expecting 'e')" },
	{ "-", GOJSON_ERROR, "invalid character ' ' in numeric literal" },
	{ "1.", GOJSON_ERROR, "invalid character ' ' after decimal point in numeric literal" },
};

static char *window(const char *s, size_t a, size_t b)
{
	static char out[256];

	memcpy(out, s + a, b - a);
	out[b - a] = '\0';
	return out;
}

START_TEST(decoder_table)
{
	const struct scan_case *c = &decoder_cases[_i];
	char err[256] = "";
	size_t a = 0, b = 0;
	int rc = gojson_decode_first(c->in, strlen(c->in), &a, &b, err, sizeof(err));

	ck_assert_msg(rc == c->rc, "[%s]: rc %d, want %d (%s)", c->in, rc, c->rc, err);
	if (rc == GOJSON_OK)
		ck_assert_str_eq(window(c->in, a, b), c->msg);
	else if (rc == GOJSON_ERROR)
		ck_assert_str_eq(err, c->msg);
}
END_TEST

START_TEST(unmarshal_table)
{
	const struct scan_case *c = &unmarshal_cases[_i];
	char err[256] = "";
	int rc = gojson_check_valid(c->in, strlen(c->in), err, sizeof(err));

	ck_assert_msg(rc == c->rc, "[%s]: rc %d, want %d (%s)", c->in, rc, c->rc, err);
	if (rc == GOJSON_ERROR)
		ck_assert_str_eq(err, c->msg);
}
END_TEST

/* Go stops at 10000 levels: the 10001st bracket is named. */
START_TEST(nesting_limit)
{
	size_t n = GOJSON_MAX_DEPTH + 1;
	char *s = malloc(2 * n);
	char err[256];
	size_t a, b;

	memset(s, '[', n);
	memset(s + n, ']', n);
	ck_assert_int_eq(gojson_decode_first(s, 2 * n, &a, &b, err, sizeof(err)), GOJSON_ERROR);
	ck_assert_str_eq(err, "invalid character '[' exceeded max depth");
	ck_assert_int_eq(gojson_decode_first(s + 1, 2 * n - 2, &a, &b, err, sizeof(err)), GOJSON_OK);
	ck_assert_uint_eq(b, 2 * n - 2);
	s[n] = '{';
	ck_assert_int_eq(gojson_decode_first(s + 1, 2 * n - 2, &a, &b, err, sizeof(err)), GOJSON_ERROR);
	ck_assert_str_eq(err, "invalid character '{' exceeded max depth");
	free(s);
}
END_TEST

START_TEST(quote_char)
{
	char q[16];
	static const struct { unsigned char c; const char *want; } t[] = {
		{ 'g', "'g'" }, { '\'', "'\\''" }, { '"', "'\"'" }, { '\\', "'\\\\'" },
		{ 0x01, "'\\x01'" }, { '\a', "'\\a'" }, { '\n', "'\\n'" }, { '\v', "'\\v'" },
		{ 0x7f, "'\\x7f'" }, { 0x80, "'\\u0080'" }, { 0x9f, "'\\u009f'" },
		{ 0xa0, "'\\u00a0'" }, { 0xad, "'\\u00ad'" }, { 0xa1, "'\xc2\xa1'" },
		{ 0xc3, "'\xc3\x83'" }, { 0xff, "'\xc3\xbf'" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gojson_quote_char(t[i].c, q);
		ck_assert_str_eq(q, t[i].want);
	}
}
END_TEST

/* strconv.Quote, as jsonpb's %q prints an unknown enum name. */
START_TEST(quote_string)
{
	static const struct { const char *in; const char *want; } t[] = {
		{ "FOO", "\"FOO\"" },
		{ "A\\\"B", "\"A\\\\\\\"B\"" },
		{ "\xff", "\"\\xff\"" },
		{ "\xc3\xa9\xc2\xa0x\xe2\x80\xa8", "\"\xc3\xa9\\u00a0x\\u2028\"" },
		{ "\\u00e9\\t", "\"\\\\u00e9\\\\t\"" },
		{ "\x01\n\x7f", "\"\\x01\\n\\x7f\"" },
		{ "\xf0\x9f\x98\x80\xf0\x9f", "\"\xf0\x9f\x98\x80\\xf0\\x9f\"" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;
		buf_init(&b, 256);
		ck_assert_int_eq(gojson_quote(t[i].in, strlen(t[i].in), &b), 0);
		ck_assert_int_eq(buf_put_u8(&b, 0), 0);
		ck_assert_str_eq((const char *)buf_data(&b), t[i].want);
		buf_free(&b);
	}
}
END_TEST

/* unquoteBytes: escapes, surrogate pairs, and U+FFFD for what is broken. */
START_TEST(unquote)
{
	static const struct { const char *in; const char *want; } t[] = {
		{ "\"\"", "" },
		{ "\"Zm9v\"", "Zm9v" },
		{ "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t" },
		{ "\"\\u0041\\u00e9\\u20ac\"", "A\xc3\xa9\xe2\x82\xac" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
		{ "\"\\ud83dx\"", "\xef\xbf\xbdx" },
		{ "\"\\ude00\\u0041\"", "\xef\xbf\xbd" "A" },
		{ "\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A" },
		{ "\"\xff\xc3\xa9\xed\xa0\x80\"", "\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in);
		char *out = malloc(3 * n + 1);
		out[gojson_unquote(t[i].in, n, out)] = '\0';
		ck_assert_str_eq(out, t[i].want);
		free(out);
	}
}
END_TEST

START_TEST(walk)
{
	const char *s = "{\"a\\\"}\":[1,{\"b\":\"]\"}], \"c\":true}";
	size_t n = strlen(s);

	ck_assert_uint_eq(gojson_value_end(s, n, 0), n);
	ck_assert_uint_eq(gojson_value_end(s, n, 1), 7);
	ck_assert_uint_eq(gojson_value_end(s, n, 8), 21);
	ck_assert_uint_eq(gojson_value_end(s, n, 27), 31);
	ck_assert_uint_eq(gojson_skip_space(s, n, 22), 23);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gojson");
	TCase *tc = tcase_create("go encoding/json");
	tcase_add_loop_test(tc, decoder_table, 0, (int)(sizeof(decoder_cases) / sizeof(decoder_cases[0])));
	tcase_add_loop_test(tc, unmarshal_table, 0, (int)(sizeof(unmarshal_cases) / sizeof(unmarshal_cases[0])));
	tcase_add_test(tc, nesting_limit);
	tcase_add_test(tc, quote_char);
	tcase_add_test(tc, quote_string);
	tcase_add_test(tc, unquote);
	tcase_add_test(tc, walk);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
