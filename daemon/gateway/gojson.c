/*
 * gojson.c - the behaviour of Go 1.19's encoding/json scanner and string
 * handling, so that the gateway rejects a body with the very words etcd
 * 3.4.23 uses.
 *
 * Runs in cetcd on the event loop; pure functions over the caller's bytes,
 * no allocation, no global state.  The scanner below is a state machine fed
 * one byte at a time; its states and the order in which they hand a byte on
 * to each other follow encoding/json/scanner.go, because that order decides
 * which byte a message names (for "1x" the number ends and 'x' is judged by
 * whatever comes after a value).
 *
 *   BEGIN_VALUE --'{'--> BEGIN_STRING_OR_EMPTY --'"'--> IN_STRING --'"'--> END_VALUE
 *        |  '['--> BEGIN_VALUE_OR_EMPTY           END_VALUE --':' (key)--> BEGIN_VALUE
 *        |  '-' 0-9 --> NEG/0/1 -> DOT.. E..      END_VALUE --','--> BEGIN_STRING / BEGIN_VALUE
 *        |  t f n --> literal states              END_VALUE --'}' ']'--> pop -> END_VALUE / END_TOP
 *        +-- anything else: "looking for beginning of value"
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/gateway/gojson.h"

enum st {
	ST_BEGIN_VALUE_OR_EMPTY, ST_BEGIN_VALUE, ST_BEGIN_STRING_OR_EMPTY, ST_BEGIN_STRING,
	ST_END_VALUE, ST_END_TOP,
	ST_IN_STRING, ST_IN_STRING_ESC, ST_ESC_U, ST_ESC_U1, ST_ESC_U12, ST_ESC_U123,
	ST_NEG, ST_1, ST_0, ST_DOT, ST_DOT0, ST_E, ST_ESIGN, ST_E0,
	ST_T, ST_TR, ST_TRU, ST_F, ST_FA, ST_FAL, ST_FALS, ST_N, ST_NU, ST_NUL,
	ST_ERROR,
};

/* What a step reports (Go's scan* results that matter here). */
enum op { OP_CONTINUE, OP_SKIP_SPACE, OP_END_OBJECT, OP_END_ARRAY, OP_END, OP_ERROR };

struct scanner {
	enum st state;
	bool end_top;		/* a whole top-level value has been seen */
	bool failed;		/* err holds the first syntax error */
	bool top_is_key;	/* innermost object expects a key (not a value) */
	size_t depth;
	/* One bit per open level: 1 object, 0 array.  The state of an enclosing
	 * object is always "value" while an inner value is open, so only the
	 * innermost level needs top_is_key. */
	unsigned char kind[GOJSON_MAX_DEPTH / 8 + 1];
	char *err;
	size_t errlen;
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ---------------------------------------------------------------- quoting */

/* Go's strconv.IsPrint for a rune above ASCII.  Exact for U+0080..U+00FF
 * (all a single byte can name); beyond, the format, separator and private
 * use ranges Go escapes, without Unicode's unassigned code points. */
static bool go_is_print(uint32_t r)
{
	if (r < 0x100)
		return r > 0xa0 && r != 0xad;
	if ((r >= 0x600 && r <= 0x605) || r == 0x61c || r == 0x6dd || r == 0x70f || r == 0x180e)
		return false;
	if ((r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
	    (r >= 0x205f && r <= 0x206f) || r == 0x3000)
		return false;
	if ((r >= 0xd800 && r <= 0xf8ff) || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) ||
	    r == 0xfffe || r == 0xffff)
		return false;
	if ((r >= 0xe0000 && r <= 0xe007f) || r >= 0xf0000)
		return false;
	return true;
}

/* Appends rune r as strconv's appendEscapedRune does inside quote q. */
static int put_escaped_rune(struct buf *out, uint32_t r, char q)
{
	char tmp[16];

	if (r == (uint32_t)q || r == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)r;
		return buf_append(out, tmp, 2);
	}
	if (r >= 0x20 && r < 0x7f)
		return buf_put_u8(out, (uint8_t)r);
	if (r >= 0x80 && go_is_print(r)) {
		size_t n;
		if (r < 0x800) {
			tmp[0] = (char)(0xc0 | r >> 6);
			tmp[1] = (char)(0x80 | (r & 0x3f));
			n = 2;
		} else if (r < 0x10000) {
			tmp[0] = (char)(0xe0 | r >> 12);
			tmp[1] = (char)(0x80 | ((r >> 6) & 0x3f));
			tmp[2] = (char)(0x80 | (r & 0x3f));
			n = 3;
		} else {
			tmp[0] = (char)(0xf0 | r >> 18);
			tmp[1] = (char)(0x80 | ((r >> 12) & 0x3f));
			tmp[2] = (char)(0x80 | ((r >> 6) & 0x3f));
			tmp[3] = (char)(0x80 | (r & 0x3f));
			n = 4;
		}
		return buf_append(out, tmp, n);
	}
	switch (r) {
	case '\a': return buf_append(out, "\\a", 2);
	case '\b': return buf_append(out, "\\b", 2);
	case '\f': return buf_append(out, "\\f", 2);
	case '\n': return buf_append(out, "\\n", 2);
	case '\r': return buf_append(out, "\\r", 2);
	case '\t': return buf_append(out, "\\t", 2);
	case '\v': return buf_append(out, "\\v", 2);
	}
	if (r < 0x20 || r == 0x7f)
		return buf_appendf(out, "\\x%02x", r);
	if (r < 0x10000)
		return buf_appendf(out, "\\u%04x", r);
	return buf_appendf(out, "\\U%08x", r);
}

void gojson_quote_char(unsigned char c, char out[16])
{
	static const char ctl[] = "abtnvfr";

	/* quoteChar's two special cases differ from strconv.Quote. */
	if (c == '\'')
		snprintf(out, 16, "'\\''");
	else if (c == '"')
		snprintf(out, 16, "'\"'");
	else if (c == '\\')
		snprintf(out, 16, "'\\\\'");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, 16, "'%c'", c);
	else if (c >= '\a' && c <= '\r')
		snprintf(out, 16, "'\\%c'", ctl[c - '\a']);
	else if (c < 0x20 || c == 0x7f)
		snprintf(out, 16, "'\\x%02x'", c);
	else if (!go_is_print(c))
		/* string(c) in Go is the rune U+00cc, not the byte. */
		snprintf(out, 16, "'\\u%04x'", c);
	else
		snprintf(out, 16, "'%c%c'", 0xc0 | c >> 6, 0x80 | (c & 0x3f));
}

/* Go's utf8.DecodeRune: returns the length of the valid sequence at s
 * (1..4) and sets *r, or 0 for an invalid or truncated one. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, *r = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, *r = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, *r = c & 0x07;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	*r = *r << 6 | (s[1] & 0x3f);
	for (size_t k = 2; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*r = *r << 6 | (s[k] & 0x3f);
	}
	return len;
}

int gojson_quote(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc = buf_put_u8(out, '"');

	for (size_t i = 0; i < n && rc == 0;) {
		uint32_t r;
		size_t len = utf8_decode(u + i, n - i, &r);
		if (len == 0) {
			rc = buf_appendf(out, "\\x%02x", u[i]);
			i++;
			continue;
		}
		rc = put_escaped_rune(out, r, '"');
		i += len;
	}
	return rc ? rc : buf_put_u8(out, '"');
}

/* ---------------------------------------------------------------- scanner */

static void sc_reset(struct scanner *s, char *err, size_t errlen)
{
	s->state = ST_BEGIN_VALUE;
	s->end_top = false;
	s->failed = false;
	s->top_is_key = false;
	s->depth = 0;
	s->err = err;
	s->errlen = errlen;
	if (errlen)
		err[0] = '\0';
}

static enum op sc_error(struct scanner *s, unsigned char c, const char *context)
{
	char q[16];

	s->state = ST_ERROR;
	if (!s->failed) {
		gojson_quote_char(c, q);
		snprintf(s->err, s->errlen, "invalid character %s %s", q, context);
		s->failed = true;
	}
	return OP_ERROR;
}

/* Go appends the level first and then checks the limit, so the 10001st
 * opening bracket is the one named. */
static enum op sc_push(struct scanner *s, unsigned char c, bool object)
{
	if (s->depth >= GOJSON_MAX_DEPTH)
		return sc_error(s, c, "exceeded max depth");
	if (object)
		s->kind[s->depth / 8] |= (unsigned char)(1u << (s->depth % 8));
	else
		s->kind[s->depth / 8] &= (unsigned char)~(1u << (s->depth % 8));
	s->depth++;
	s->top_is_key = object;
	return OP_CONTINUE;
}

static bool sc_top_is_object(const struct scanner *s)
{
	size_t d = s->depth - 1;

	return (s->kind[d / 8] >> (d % 8)) & 1;
}

static void sc_pop(struct scanner *s)
{
	s->depth--;
	/* The enclosing object, if any, was waiting for this value. */
	s->top_is_key = false;
	if (s->depth == 0) {
		s->state = ST_END_TOP;
		s->end_top = true;
	} else {
		s->state = ST_END_VALUE;
	}
}

/* Feeds one byte.  A state that does not own the byte hands it on with
 * `continue`, as Go's state functions call each other. */
static enum op sc_step(struct scanner *s, unsigned char c)
{
	for (;;) {
		switch (s->state) {
		case ST_BEGIN_VALUE_OR_EMPTY:
			if (is_space(c))
				return OP_SKIP_SPACE;
			s->state = c == ']' ? ST_END_VALUE : ST_BEGIN_VALUE;
			continue;
		case ST_BEGIN_VALUE:
			if (is_space(c))
				return OP_SKIP_SPACE;
			switch (c) {
			case '{':
				s->state = ST_BEGIN_STRING_OR_EMPTY;
				return sc_push(s, c, true);
			case '[':
				s->state = ST_BEGIN_VALUE_OR_EMPTY;
				return sc_push(s, c, false);
			case '"': s->state = ST_IN_STRING; return OP_CONTINUE;
			case '-': s->state = ST_NEG; return OP_CONTINUE;
			case '0': s->state = ST_0; return OP_CONTINUE;
			case 't': s->state = ST_T; return OP_CONTINUE;
			case 'f': s->state = ST_F; return OP_CONTINUE;
			case 'n': s->state = ST_N; return OP_CONTINUE;
			}
			if (c >= '1' && c <= '9') {
				s->state = ST_1;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "looking for beginning of value");
		case ST_BEGIN_STRING_OR_EMPTY:
			if (is_space(c))
				return OP_SKIP_SPACE;
			if (c == '}') {
				s->top_is_key = false;
				s->state = ST_END_VALUE;
			} else {
				s->state = ST_BEGIN_STRING;
			}
			continue;
		case ST_BEGIN_STRING:
			if (is_space(c))
				return OP_SKIP_SPACE;
			if (c == '"') {
				s->state = ST_IN_STRING;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "looking for beginning of object key string");
		case ST_END_VALUE:
			if (s->depth == 0) {
				s->state = ST_END_TOP;
				s->end_top = true;
				continue;
			}
			if (is_space(c))
				return OP_SKIP_SPACE;
			if (sc_top_is_object(s) && s->top_is_key) {
				if (c == ':') {
					s->top_is_key = false;
					s->state = ST_BEGIN_VALUE;
					return OP_CONTINUE;
				}
				return sc_error(s, c, "after object key");
			}
			if (sc_top_is_object(s)) {
				if (c == ',') {
					s->top_is_key = true;
					s->state = ST_BEGIN_STRING;
					return OP_CONTINUE;
				}
				if (c == '}') {
					sc_pop(s);
					return OP_END_OBJECT;
				}
				return sc_error(s, c, "after object key:value pair");
			}
			if (c == ',') {
				s->state = ST_BEGIN_VALUE;
				return OP_CONTINUE;
			}
			if (c == ']') {
				sc_pop(s);
				return OP_END_ARRAY;
			}
			return sc_error(s, c, "after array element");
		case ST_END_TOP:
			/* The value ended before c; a stray byte is only an error
			 * for json.Unmarshal, which looks at the rest. */
			if (!is_space(c))
				sc_error(s, c, "after top-level value");
			return OP_END;
		case ST_IN_STRING:
			if (c == '"') {
				s->state = ST_END_VALUE;
				return OP_CONTINUE;
			}
			if (c == '\\') {
				s->state = ST_IN_STRING_ESC;
				return OP_CONTINUE;
			}
			if (c < 0x20)
				return sc_error(s, c, "in string literal");
			return OP_CONTINUE;
		case ST_IN_STRING_ESC:
			switch (c) {
			case 'b': case 'f': case 'n': case 'r': case 't':
			case '\\': case '/': case '"':
				s->state = ST_IN_STRING;
				return OP_CONTINUE;
			case 'u':
				s->state = ST_ESC_U;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "in string escape code");
		case ST_ESC_U:
		case ST_ESC_U1:
		case ST_ESC_U12:
		case ST_ESC_U123:
			if (!is_hex(c))
				return sc_error(s, c, "in \\u hexadecimal character escape");
			s->state = s->state == ST_ESC_U123 ? ST_IN_STRING : s->state + 1;
			return OP_CONTINUE;
		case ST_NEG:
			if (c == '0') {
				s->state = ST_0;
				return OP_CONTINUE;
			}
			if (c >= '1' && c <= '9') {
				s->state = ST_1;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "in numeric literal");
		case ST_1:
			if (c >= '0' && c <= '9')
				return OP_CONTINUE;
			s->state = ST_0;
			continue;
		case ST_0:
			if (c == '.') {
				s->state = ST_DOT;
				return OP_CONTINUE;
			}
			if (c == 'e' || c == 'E') {
				s->state = ST_E;
				return OP_CONTINUE;
			}
			s->state = ST_END_VALUE;
			continue;
		case ST_DOT:
			if (c >= '0' && c <= '9') {
				s->state = ST_DOT0;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "after decimal point in numeric literal");
		case ST_DOT0:
			if (c >= '0' && c <= '9')
				return OP_CONTINUE;
			if (c == 'e' || c == 'E') {
				s->state = ST_E;
				return OP_CONTINUE;
			}
			s->state = ST_END_VALUE;
			continue;
		case ST_E:
			s->state = ST_ESIGN;
			if (c == '+' || c == '-')
				return OP_CONTINUE;
			continue;
		case ST_ESIGN:
			if (c >= '0' && c <= '9') {
				s->state = ST_E0;
				return OP_CONTINUE;
			}
			return sc_error(s, c, "in exponent of numeric literal");
		case ST_E0:
			if (c >= '0' && c <= '9')
				return OP_CONTINUE;
			s->state = ST_END_VALUE;
			continue;
		case ST_T:
			if (c != 'r')
				return sc_error(s, c, "in literal true (expecting 'r')");
			s->state = ST_TR;
			return OP_CONTINUE;
		case ST_TR:
			if (c != 'u')
				return sc_error(s, c, "in literal true (expecting 'u')");
			s->state = ST_TRU;
			return OP_CONTINUE;
		case ST_TRU:
			if (c != 'e')
				return sc_error(s, c, "in literal true (expecting 'e')");
			s->state = ST_END_VALUE;
			return OP_CONTINUE;
		case ST_F:
			if (c != 'a')
				return sc_error(s, c, "in literal false (expecting 'a')");
			s->state = ST_FA;
			return OP_CONTINUE;
		case ST_FA:
			if (c != 'l')
				return sc_error(s, c, "in literal false (expecting 'l')");
			s->state = ST_FAL;
			return OP_CONTINUE;
		case ST_FAL:
			if (c != 's')
				return sc_error(s, c, "in literal false (expecting 's')");
			s->state = ST_FALS;
			return OP_CONTINUE;
		case ST_FALS:
			if (c != 'e')
				return sc_error(s, c, "in literal false (expecting 'e')");
			s->state = ST_END_VALUE;
			return OP_CONTINUE;
		case ST_N:
			if (c != 'u')
				return sc_error(s, c, "in literal null (expecting 'u')");
			s->state = ST_NU;
			return OP_CONTINUE;
		case ST_NU:
			if (c != 'l')
				return sc_error(s, c, "in literal null (expecting 'l')");
			s->state = ST_NUL;
			return OP_CONTINUE;
		case ST_NUL:
			if (c != 'l')
				return sc_error(s, c, "in literal null (expecting 'l')");
			s->state = ST_END_VALUE;
			return OP_CONTINUE;
		case ST_ERROR:
			return OP_ERROR;
		}
		return OP_ERROR;
	}
}

int gojson_decode_first(const char *s, size_t n, size_t *start, size_t *end,
    char *err, size_t errlen)
{
	struct scanner sc;
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	sc_reset(&sc, err, errlen);
	*start = gojson_skip_space(s, n, 0);
	for (i = 0; i < n; i++) {
		switch (sc_step(&sc, u[i])) {
		case OP_END:
			/* Reported one byte late: the value ended before u[i]. */
			*end = i;
			return GOJSON_OK;
		case OP_END_OBJECT:
		case OP_END_ARRAY:
			/* The decoder does not wait for the byte after a closing
			 * bracket of the top level. */
			if (sc.depth == 0) {
				*end = i + 1;
				return GOJSON_OK;
			}
			break;
		case OP_ERROR:
			return GOJSON_ERROR;
		default:
			break;
		}
	}
	/* End of body: a number or literal may end here; anything else that
	 * started is cut short.  Only white space is io.EOF. */
	if (sc_step(&sc, ' ') == OP_END) {
		*end = n;
		return GOJSON_OK;
	}
	if (*start < n) {
		snprintf(err, errlen, "unexpected EOF");
		return GOJSON_ERROR;
	}
	return GOJSON_EMPTY;
}

int gojson_check_valid(const char *s, size_t n, char *err, size_t errlen)
{
	struct scanner sc;
	const unsigned char *u = (const unsigned char *)s;

	sc_reset(&sc, err, errlen);
	for (size_t i = 0; i < n; i++)
		if (sc_step(&sc, u[i]) == OP_ERROR)
			return GOJSON_ERROR;
	/* Go's scanner.eof(): a stray byte after the value was recorded but
	 * not yet reported; otherwise a final space must end the value, and
	 * the error that space causes ("' ' in numeric literal") wins over
	 * "unexpected end". */
	if (sc.failed)
		return GOJSON_ERROR;
	if (sc.end_top)
		return GOJSON_OK;
	sc_step(&sc, ' ');
	if (sc.end_top)
		return GOJSON_OK;
	if (!sc.failed)
		snprintf(err, errlen, "unexpected end of JSON input");
	return GOJSON_ERROR;
}

/* ---------------------------------------------------------------- walking */

size_t gojson_skip_space(const char *s, size_t n, size_t i)
{
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	return i;
}

static size_t string_end(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

size_t gojson_value_end(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	if (i >= n)
		return n;
	if (s[i] == '"')
		return string_end(s, n, i);
	if (s[i] != '{' && s[i] != '[') {
		/* Numbers and literals: up to the first byte that cannot be
		 * part of one. */
		while (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '.' ||
		    (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			i++;
		return i;
	}
	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			i = string_end(s, n, i) - 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's getu4: the code unit of "\uXXXX" at s, or -1. */
static long get_u4(const char *s, size_t n)
{
	long r = 0;

	if (n < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (int k = 2; k < 6; k++) {
		int v = hex_val((unsigned char)s[k]);
		if (v < 0)
			return -1;
		r = r << 4 | v;
	}
	return r;
}

static size_t put_utf8(char *dst, uint32_t r)
{
	unsigned char *d = (unsigned char *)dst;

	if (r < 0x80) {
		d[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		d[0] = (unsigned char)(0xc0 | r >> 6);
		d[1] = (unsigned char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		d[0] = (unsigned char)(0xe0 | r >> 12);
		d[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		d[2] = (unsigned char)(0x80 | (r & 0x3f));
		return 3;
	}
	d[0] = (unsigned char)(0xf0 | r >> 18);
	d[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3f));
	d[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
	d[3] = (unsigned char)(0x80 | (r & 0x3f));
	return 4;
}

size_t gojson_unquote(const char *s, size_t n, char *dst)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w = 0, r = 1, end = n > 0 ? n - 1 : 0;

	while (r < end) {
		unsigned char c = u[r];
		if (c != '\\') {
			uint32_t rune;
			size_t len = utf8_decode(u + r, end - r, &rune);
			if (len == 0) {
				/* Invalid UTF-8 is coerced to U+FFFD, a byte at a time. */
				w += put_utf8(dst + w, 0xfffd);
				r++;
			} else {
				memcpy(dst + w, u + r, len);
				w += len;
				r += len;
			}
			continue;
		}
		if (r + 1 >= end)
			break;
		switch (u[r + 1]) {
		case 'b': dst[w++] = '\b'; r += 2; continue;
		case 'f': dst[w++] = '\f'; r += 2; continue;
		case 'n': dst[w++] = '\n'; r += 2; continue;
		case 'r': dst[w++] = '\r'; r += 2; continue;
		case 't': dst[w++] = '\t'; r += 2; continue;
		case 'u': break;
		default: dst[w++] = (char)u[r + 1]; r += 2; continue;
		}
		long cu = get_u4(s + r, end - r);
		if (cu < 0)
			break;
		r += 6;
		if (cu >= 0xd800 && cu < 0xe000) {
			/* A surrogate: only a high one followed by a low one
			 * makes a rune; anything else is U+FFFD and the next
			 * escape stays for the next round. */
			long lo = get_u4(s + r, end - r);
			if (cu < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
				r += 6;
				w += put_utf8(dst + w, 0x10000 + (((uint32_t)cu - 0xd800) << 10) + ((uint32_t)lo - 0xdc00));
				continue;
			}
			cu = 0xfffd;
		}
		w += put_utf8(dst + w, (uint32_t)cu);
	}
	return w;
}
