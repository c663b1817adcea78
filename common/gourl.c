/*
 * gourl.c: Go's net/url.Parse, URL.String, net.SplitHostPort and
 * strconv.Quote, reproduced for etcd's flag values (see gourl.h).
 * Runs at start-up in both programs.
 *
 * Owns: nothing global.  Never: resolves or touches the network.
 *
 * url.Parse (Go 1.19), step by step:
 *   1. a control byte (< 0x20 or 0x7f) before the fragment: "net/url:
 *      invalid control character in URL";
 *   2. cut the fragment at the first '#', then the scheme: a letter, then
 *      letters/digits/+-. up to ':' ("missing protocol scheme" when ':'
 *      comes first); then the query at the first '?';
 *   3. with a scheme and no leading '/', the rest is opaque (no host);
 *      without a scheme, a ':' in the first path segment is an error;
 *   4. "//authority": user info up to the last '@', then the host with an
 *      optional ":digits" port (or "[v6]:port"), %-escapes checked;
 *   5. what remains is the path, %-escapes checked; then the fragment's.
 * Errors are "parse <quoted URL>: <reason>", the URL quoted without its
 * fragment (with it, for an error in the fragment).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "common/gourl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest string we build. */
#define GOURL_STR_MAX (1 << 20)

enum esc_mode { ESC_PATH, ESC_HOST, ESC_ZONE, ESC_USER, ESC_FRAGMENT };

/* strconv.Quote: printable ASCII and well-formed multi-byte UTF-8
 * verbatim (Go also escapes the few non-printable runes above U+00FF; we
 * do not), the rest escaped.  The buf's cap may cut a long quote. */
void gourl_quote(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;

	buf_put_u8(b, '"');
	while (i < n) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			buf_put_u8(b, '\\');
			buf_put_u8(b, c);
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			buf_put_u8(b, c);
			i++;
			continue;
		}
		if (c < 0x80) {
			const char *e = NULL;

			switch (c) {
			case '\a': e = "\\a"; break;
			case '\b': e = "\\b"; break;
			case '\f': e = "\\f"; break;
			case '\n': e = "\\n"; break;
			case '\r': e = "\\r"; break;
			case '\t': e = "\\t"; break;
			case '\v': e = "\\v"; break;
			}
			if (e)
				buf_append_str(b, e);
			else
				buf_appendf(b, "\\x%c%c", hex[c >> 4], hex[c & 15]);
			i++;
			continue;
		}
		/* Multi-byte: verbatim when well-formed (U+0080-U+009F and
		 * U+00AD are not printable for Go: \u escapes). */
		k = 0;
		if (c >= 0xc2 && c <= 0xdf && i + 1 < n && (p[i + 1] & 0xc0) == 0x80)
			k = 2;
		else if (c >= 0xe0 && c <= 0xef && i + 2 < n && (p[i + 1] & 0xc0) == 0x80 &&
			 (p[i + 2] & 0xc0) == 0x80 && !(c == 0xe0 && p[i + 1] < 0xa0) &&
			 !(c == 0xed && p[i + 1] > 0x9f))
			k = 3;
		else if (c >= 0xf0 && c <= 0xf4 && i + 3 < n && (p[i + 1] & 0xc0) == 0x80 &&
			 (p[i + 2] & 0xc0) == 0x80 && (p[i + 3] & 0xc0) == 0x80 &&
			 !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] > 0x8f))
			k = 4;
		if (k == 2 && c == 0xc2 && (p[i + 1] < 0xa0 || p[i + 1] == 0xad)) {
			buf_appendf(b, "\\u00%02x", p[i + 1]);
		} else if (k > 0) {
			buf_append(b, p + i, k);
		} else {
			buf_appendf(b, "\\x%c%c", hex[c >> 4], hex[c & 15]);
			k = 1;
		}
		i += k;
	}
	buf_put_u8(b, '"');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Go's shouldEscape for the modes we need. */
static bool should_escape(uint8_t c, enum esc_mode mode)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return false;
	if (mode == ESC_HOST || mode == ESC_ZONE) {
		if (c && strchr("!$&'()*+,;=:[]<>\"", c))
			return false;
	}
	if (c == '-' || c == '_' || c == '.' || c == '~')
		return false;
	if (c && strchr("$&+,/:;=?@", c)) {
		switch (mode) {
		case ESC_PATH:
			return c == '?';
		case ESC_USER:
			return c == '@' || c == '/' || c == '?' || c == ':';
		case ESC_FRAGMENT:
			return false;
		default:
			break;
		}
	}
	if (mode == ESC_FRAGMENT && c && strchr("!()*", c))
		return false;
	return true;
}

/*
 * Go's unescape: checks the %-escapes of s[0..n) for the given part of the
 * URL and appends the decoded bytes to out.  On error writes the net/url
 * error text (without the "parse ..." prefix) to msg.
 */
static int unescape(const char *s, size_t n, enum esc_mode mode, struct buf *out, struct buf *msg)
{
	size_t i;

	for (i = 0; i < n;) {
		if (s[i] == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
				size_t k = n - i > 3 ? 3 : n - i;

				buf_append_str(msg, "invalid URL escape ");
				gourl_quote(msg, s + i, k);
				return -1;
			}
			/* RFC 3986 3.2.2: in a host, %-escapes only for non-ASCII
			 * bytes, except %25 (RFC 6874 zone separator). */
			if (mode == ESC_HOST && unhex(s[i + 1]) < 8 && strncmp(s + i, "%25", 3) != 0) {
				buf_append_str(msg, "invalid URL escape ");
				gourl_quote(msg, s + i, 3);
				return -1;
			}
			if (mode == ESC_ZONE) {
				uint8_t v = (uint8_t)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));

				if (strncmp(s + i, "%25", 3) != 0 && v != ' ' && should_escape(v, ESC_HOST)) {
					buf_append_str(msg, "invalid URL escape ");
					gourl_quote(msg, s + i, 3);
					return -1;
				}
			}
			buf_put_u8(out, (uint8_t)(unhex(s[i + 1]) << 4 | unhex(s[i + 2])));
			i += 3;
			continue;
		}
		if ((mode == ESC_HOST || mode == ESC_ZONE) && (uint8_t)s[i] < 0x80 &&
		    should_escape((uint8_t)s[i], mode)) {
			buf_append_str(msg, "invalid character ");
			gourl_quote(msg, s + i, 1);
			buf_append_str(msg, " in host name");
			return -1;
		}
		buf_put_u8(out, (uint8_t)s[i]);
		i++;
	}
	return 0;
}

static bool valid_optional_port(const char *p, size_t n)
{
	if (n == 0)
		return true;
	if (p[0] != ':')
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* Go's parseHost: validates the port syntax and unescapes; out gets the
 * host as URL.Host holds it. */
static int parse_host(const char *h, size_t n, struct buf *out, struct buf *msg)
{
	const char *rb, *colon, *zone;
	size_t i;

	if (n > 0 && h[0] == '[') {
		rb = NULL;
		for (i = n; i > 0; i--) {
			if (h[i - 1] == ']') {
				rb = h + i - 1;
				break;
			}
		}
		if (rb == NULL) {
			buf_append_str(msg, "missing ']' in host");
			return -1;
		}
		if (!valid_optional_port(rb + 1, (size_t)(h + n - rb - 1))) {
			buf_append_str(msg, "invalid port ");
			gourl_quote(msg, rb + 1, (size_t)(h + n - rb - 1));
			buf_append_str(msg, " after host");
			return -1;
		}
		zone = memmem(h, (size_t)(rb - h), "%25", 3);
		if (zone != NULL) {
			if (unescape(h, (size_t)(zone - h), ESC_HOST, out, msg) < 0 ||
			    unescape(zone, (size_t)(rb - zone), ESC_ZONE, out, msg) < 0 ||
			    unescape(rb, (size_t)(h + n - rb), ESC_HOST, out, msg) < 0)
				return -1;
			return 0;
		}
	} else {
		colon = NULL;
		for (i = n; i > 0; i--) {
			if (h[i - 1] == ':') {
				colon = h + i - 1;
				break;
			}
		}
		if (colon && !valid_optional_port(colon, (size_t)(h + n - colon))) {
			buf_append_str(msg, "invalid port ");
			gourl_quote(msg, colon, (size_t)(h + n - colon));
			buf_append_str(msg, " after host");
			return -1;
		}
	}
	return unescape(h, n, ESC_HOST, out, msg);
}

static bool valid_userinfo(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("-._:~!$&'()*+,;=%@", c))
			return false;
	}
	return true;
}

/* Go's net.SplitHostPort. */
int gourl_split_host_port(const char *hp, char **host, char **port)
{
	const char *colon = strrchr(hp, ':'), *end, *h;
	size_t hl, j = 0, k = 0;

	if (colon == NULL)
		return -1;
	if (hp[0] == '[') {
		end = strchr(hp, ']');
		if (end == NULL)
			return -1;
		if (end + 1 != colon)
			return -1; /* missing port, or too many colons */
		h = hp + 1;
		hl = (size_t)(end - hp - 1);
		j = 1;
		k = (size_t)(end - hp + 1);
	} else {
		h = hp;
		hl = (size_t)(colon - hp);
		if (memchr(h, ':', hl))
			return -1;
	}
	if (strchr(hp + j, '['))
		return -1;
	if (strchr(hp + k, ']'))
		return -1;
	*host = strndup(h, hl);
	*port = strdup(colon + 1);
	if (*host == NULL || *port == NULL) {
		free(*host);
		free(*port);
		*host = *port = NULL;
		return -2;
	}
	return 0;
}

static char *buf_to_str(struct buf *b)
{
	char *s = malloc(buf_len(b) + 1);

	if (s == NULL)
		return NULL;
	if (buf_len(b))
		memcpy(s, buf_data(b), buf_len(b));
	s[buf_len(b)] = '\0';
	return s;
}

void gourl_init(struct gourl *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->scheme, GOURL_STR_MAX);
	buf_init(&g->host, GOURL_STR_MAX);
}

void gourl_free(struct gourl *g)
{
	buf_free(&g->scheme);
	buf_free(&g->host);
}

/* "parse <quoted url>: <what>" as Go's url.Error prints. */
static void parse_error(struct buf *msg, const char *in, size_t n, const char *what, size_t what_len)
{
	buf_append_str(msg, "parse ");
	gourl_quote(msg, in, n);
	buf_append_str(msg, ": ");
	buf_append(msg, what, what_len);
}

/* Splits "//authority" (rest starts after the "//") up to the next '/'.
 * Returns the authority's length, or (size_t)-1 with the error in why. */
static size_t authority_parse(struct gourl *g, const char *auth, size_t len, struct buf *why)
{
	const char *end = memchr(auth, '/', len), *at = NULL, *host;
	struct buf dec;
	int bad;

	if (end == NULL)
		end = auth + len;
	for (const char *p = end; p > auth; p--) {
		if (p[-1] == '@') {
			at = p - 1;
			break;
		}
	}
	host = at ? at + 1 : auth;
	/* Go parses the host first, so its errors win over the user info's. */
	if (parse_host(host, (size_t)(end - host), &g->host, why) < 0)
		return (size_t)-1;
	if (at) {
		if (!valid_userinfo(auth, (size_t)(at - auth))) {
			buf_append_str(why, "net/url: invalid userinfo");
			return (size_t)-1;
		}
		buf_init(&dec, GOURL_STR_MAX);
		bad = unescape(auth, (size_t)(at - auth), ESC_USER, &dec, why);
		buf_free(&dec);
		if (bad)
			return (size_t)-1;
		g->user = auth;
		g->user_len = (size_t)(at - auth);
	}
	return (size_t)(end - auth);
}

int gourl_parse(struct gourl *g, const char *in, size_t n, struct buf *msg)
{
	const char *end = in + n, *rest = in, *p, *q;
	size_t len, rest_len, k;
	struct buf why, scratch;
	int rc = -1;

	buf_init(&why, 1024);
	buf_init(&scratch, GOURL_STR_MAX);
	p = memchr(in, '#', n);
	if (p) {
		g->frag = p + 1;
		g->frag_len = (size_t)(end - g->frag);
		end = p;
	}
	len = (size_t)(end - in); /* errors quote the URL without its fragment */
	for (k = 0; k < len; k++) {
		if ((uint8_t)in[k] < 0x20 || in[k] == 0x7f) {
			buf_append_str(&why, "net/url: invalid control character in URL");
			goto fail;
		}
	}
	/* Scheme: a letter, then letters, digits, "+-.", up to ':'. */
	for (p = in; p < end; p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if (((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') && p > in)
			continue;
		if (c == ':') {
			if (p == in) {
				buf_append_str(&why, "missing protocol scheme");
				goto fail;
			}
			for (const char *s = in; s < p; s++)
				buf_put_u8(&g->scheme, (uint8_t)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s));
			rest = p + 1;
		}
		break;
	}
	rest_len = (size_t)(end - rest);
	/* Query at the first '?' (a lone trailing '?' is Go's ForceQuery). */
	q = memchr(rest, '?', rest_len);
	if (q) {
		g->query = q + 1;
		g->query_len = (size_t)(end - g->query);
		rest_len = (size_t)(q - rest);
	}
	if (rest_len == 0 || rest[0] != '/') {
		if (buf_len(&g->scheme) > 0) {
			/* Opaque ("http:host:port"): no host. */
			g->path_len = rest_len;
			rc = 0;
			goto out;
		}
		p = memchr(rest, '/', rest_len);
		if (memchr(rest, ':', p ? (size_t)(p - rest) : rest_len)) {
			buf_append_str(&why, "first path segment in URL cannot contain colon");
			goto fail;
		}
	}
	if (rest_len >= 2 && rest[0] == '/' && rest[1] == '/' &&
	    (buf_len(&g->scheme) > 0 || !(rest_len >= 3 && rest[2] == '/'))) {
		k = authority_parse(g, rest + 2, rest_len - 2, &why);
		if (k == (size_t)-1)
			goto fail;
		rest += 2 + k;
		rest_len -= 2 + k;
	}
	if (unescape(rest, rest_len, ESC_PATH, &scratch, &why) < 0)
		goto fail;
	g->path_len = rest_len;
	if (g->frag) {
		buf_reset(&scratch);
		if (unescape(g->frag, g->frag_len, ESC_FRAGMENT, &scratch, &why) < 0) {
			len = n; /* Go quotes the whole input for fragment errors */
			goto fail;
		}
	}
	rc = 0;
	goto out;
fail:
	parse_error(msg, in, len, buf_len(&why) ? (const char *)buf_data(&why) : "", buf_len(&why));
out:
	buf_free(&why);
	buf_free(&scratch);
	return rc;
}

/* For a URL with a host:
 * scheme "://" [userinfo "@"] escape(host) ["?" query] ["#" fragment] */
char *gourl_string(const struct gourl *g)
{
	struct buf b;
	char *s;

	buf_init(&b, GOURL_STR_MAX);
	buf_append(&b, buf_data(&g->scheme), buf_len(&g->scheme));
	buf_append_str(&b, "://");
	if (g->user) {
		/* Kept as written (Go re-escapes it; the same for sane input). */
		buf_append(&b, g->user, g->user_len);
		buf_put_u8(&b, '@');
	}
	for (size_t i = 0; i < buf_len(&g->host); i++) {
		uint8_t c = buf_data(&g->host)[i];

		if (should_escape(c, ESC_HOST))
			buf_appendf(&b, "%%%02X", c);
		else
			buf_put_u8(&b, c);
	}
	if (g->query) {
		buf_put_u8(&b, '?');
		buf_append(&b, g->query, g->query_len);
	}
	if (g->frag && g->frag_len > 0) {
		buf_put_u8(&b, '#');
		buf_append(&b, g->frag, g->frag_len);
	}
	s = buf_to_str(&b);
	buf_free(&b);
	return s;
}

