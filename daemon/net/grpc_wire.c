/*
 * grpc_wire: gRPC message framing, grpc-timeout and grpc-message encoding.
 *
 * Owns nothing but the parser's partial-message buffer (bounded by the
 * parser's max_msg).  Never does I/O, never logs; runs on the event loop
 * of cetcd but could run anywhere.  Texts and limits are grpc-go's
 * (rpc_util.go recvMsg/checkRecvPayload, http_util.go decodeTimeout and
 * encodeGrpcMessage), so that clients of cetcd see what etcd 3.4 sends.
 */
#include "daemon/net/grpc_wire.h"

#include "common/errors.h"

#include <stdio.h>
#include <string.h>

/* The codes are gRPC's, the same as common/errors.h's enum grpc_code: one
 * table of names serves both. */
const char *grpc_status_name(int code)
{
	return code < 0 ? "Unknown" : grpc_code_name((enum grpc_code)code);
}

void grpc_wire_parser_init(struct grpc_wire_parser *p, size_t max_msg)
{
	memset(p, 0, sizeof(*p));
	p->max_msg = max_msg;
	buf_init(&p->partial, max_msg);
}

void grpc_wire_parser_free(struct grpc_wire_parser *p)
{
	buf_free(&p->partial);
}

void grpc_wire_prefix(uint8_t out[GRPC_WIRE_PREFIX], uint32_t len)
{
	out[0] = 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

/* Checks a complete prefix, as grpc-go does before reading the body: the
 * size limit first (recvMsg), then the flag (checkRecvPayload). */
static enum grpc_wire_result parser_check_prefix(struct grpc_wire_parser *p)
{
	p->flag = p->prefix[0];
	p->msg_len = ((uint32_t)p->prefix[1] << 24) | ((uint32_t)p->prefix[2] << 16) |
		     ((uint32_t)p->prefix[3] << 8) | (uint32_t)p->prefix[4];
	if ((size_t)p->msg_len > p->max_msg)
		return GRPC_WIRE_TOO_LARGE;
	if (p->flag == 1)
		return GRPC_WIRE_COMPRESSED;
	if (p->flag != 0)
		return GRPC_WIRE_BAD_FLAG;
	return GRPC_WIRE_NEED_MORE;
}

enum grpc_wire_result grpc_wire_parser_feed(struct grpc_wire_parser *p, const uint8_t *data,
					    size_t len, size_t *consumed, const uint8_t **msg,
					    size_t *msg_len)
{
	size_t pos = 0, n, want;
	enum grpc_wire_result r;

	*consumed = 0;
	*msg = NULL;
	*msg_len = 0;
	if (p->error)
		return (enum grpc_wire_result)p->error;
	for (;;) {
		if (!p->in_body) {
			n = GRPC_WIRE_PREFIX - p->prefix_len;
			if (n > len - pos)
				n = len - pos;
			memcpy(p->prefix + p->prefix_len, data + pos, n);
			p->prefix_len += n;
			pos += n;
			if (p->prefix_len < GRPC_WIRE_PREFIX) {
				*consumed = pos;
				return GRPC_WIRE_NEED_MORE;
			}
			r = parser_check_prefix(p);
			if (r != GRPC_WIRE_NEED_MORE) {
				p->error = r;
				*consumed = pos;
				return r;
			}
			p->in_body = true;
			buf_reset(&p->partial);
		}
		want = p->msg_len - buf_len(&p->partial);
		if (buf_len(&p->partial) == 0 && len - pos >= want) {
			/* The whole body is in this piece: hand it out in place. */
			*msg = data + pos;
			*msg_len = want;
			pos += want;
			break;
		}
		n = want < len - pos ? want : len - pos;
		if (n > 0 && buf_append(&p->partial, data + pos, n) != 0) {
			p->error = GRPC_WIRE_NOMEM;
			*consumed = pos;
			return GRPC_WIRE_NOMEM;
		}
		pos += n;
		if (buf_len(&p->partial) < p->msg_len) {
			*consumed = pos;
			return GRPC_WIRE_NEED_MORE;
		}
		*msg = buf_data(&p->partial);
		*msg_len = buf_len(&p->partial);
		break;
	}
	/* Ready for the next prefix; the partial buffer keeps its bytes (and
	 * *msg stays valid) until the next feed resets it. */
	p->in_body = false;
	p->prefix_len = 0;
	*consumed = pos;
	if (*msg == NULL)
		*msg = (const uint8_t *)"";
	return GRPC_WIRE_MESSAGE;
}

int grpc_wire_parse_timeout(const char *s, size_t len, int64_t *ns, char *err, size_t errlen)
{
	/* Nanoseconds per unit; the spec allows at most 8 digits. */
	int64_t unit, v = 0;
	size_t i;

	if (len < 2) {
		snprintf(err, errlen, "transport: timeout string is too short: \"%.*s\"", (int)len, s);
		return -1;
	}
	if (len > 9) {
		snprintf(err, errlen, "transport: timeout string is too long: \"%.*s\"", (int)len, s);
		return -1;
	}
	switch (s[len - 1]) {
	case 'H': unit = 3600LL * 1000000000LL; break;
	case 'M': unit = 60LL * 1000000000LL; break;
	case 'S': unit = 1000000000LL; break;
	case 'm': unit = 1000000LL; break;
	case 'u': unit = 1000LL; break;
	case 'n': unit = 1; break;
	default:
		snprintf(err, errlen, "transport: timeout unit is not recognized: \"%.*s\"", (int)len, s);
		return -1;
	}
	for (i = 0; i + 1 < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			snprintf(err, errlen, "strconv.ParseInt: parsing \"%.*s\": invalid syntax",
				 (int)(len - 1), s);
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	/* 8 digits of hours exceed int64 nanoseconds: clamp as grpc-go does. */
	if (v > INT64_MAX / unit)
		*ns = INT64_MAX;
	else
		*ns = v * unit;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid; the
 * same acceptance as Go's utf8.DecodeRune (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_valid_len(const uint8_t *s, size_t len)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

size_t grpc_wire_percent_encode(const char *msg, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	static const uint8_t repl[] = { 0xEF, 0xBF, 0xBD };
	const uint8_t *s = (const uint8_t *)msg;
	size_t i = 0, o = 0, n, k;

#define PUT(ch)                               \
	do {                                  \
		if (o + 1 < outlen)           \
			out[o] = (char)(ch);  \
		o++;                          \
	} while (0)
#define PUT_PCT(b)                     \
	do {                           \
		PUT('%');              \
		PUT(hex[(b) >> 4]);    \
		PUT(hex[(b) & 0xF]);   \
	} while (0)

	while (i < len) {
		if (s[i] >= ' ' && s[i] <= '~' && s[i] != '%') {
			PUT(s[i]);
			i++;
			continue;
		}
		n = utf8_valid_len(s + i, len - i);
		if (n == 0) {
			for (k = 0; k < 3; k++)
				PUT_PCT(repl[k]);
			i++;
			continue;
		}
		for (k = 0; k < n; k++)
			PUT_PCT(s[i + k]);
		i += n;
	}
#undef PUT
#undef PUT_PCT
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t grpc_wire_percent_decode(const char *msg, size_t len, char *out)
{
	size_t i = 0, o = 0;
	int h, l;

	while (i < len) {
		if (msg[i] == '%' && i + 2 < len && (h = hexval(msg[i + 1])) >= 0 &&
		    (l = hexval(msg[i + 2])) >= 0) {
			out[o++] = (char)(h << 4 | l);
			i += 3;
			continue;
		}
		out[o++] = msg[i++];
	}
	out[o] = '\0';
	return o;
}
