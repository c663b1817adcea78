/*
 * gojson.h - what Go's encoding/json says about JSON text, byte for byte.
 *
 * etcd 3.4's gateway (grpc-gateway v1) reads a request body with
 * json.Decoder, then hands the pieces to jsonpb, which calls json.Unmarshal
 * again on each field.  Clients see Go's texts ("unexpected EOF", "invalid
 * character 'g' looking for beginning of value", ...), so cetcd reproduces
 * the behaviour of Go 1.19's scanner (the Go etcd 3.4.23 is built with):
 * the same states, the same nesting limit (10000), the same quoting of the
 * offending byte.  Also here: Go's string unquoting, strconv.Quote and the
 * helpers to walk text that has already been checked.
 *
 * Nothing here allocates but through the caller's struct buf; error texts
 * go to a caller's array.
 */
#ifndef CETCD_DAEMON_GATEWAY_GOJSON_H
#define CETCD_DAEMON_GATEWAY_GOJSON_H

#include <stddef.h>

#include "common/buf.h"

/* Go's maxNestingDepth: one more '[' or '{' is a syntax error. */
#define GOJSON_MAX_DEPTH 10000

enum gojson_result {
	GOJSON_OK = 0,
	GOJSON_EMPTY = 1,	/* json.Decoder's io.EOF: nothing but white space */
	GOJSON_ERROR = -1,	/* err holds Go's text */
};

/*
 * json.Decoder.Decode's view of a body: finds the first JSON value of
 * s[0..n) and sets [*start, *end) to it (leading white space skipped).
 * What follows the value is not looked at, as the decoder does not read it.
 * Returns GOJSON_OK, GOJSON_EMPTY, or GOJSON_ERROR with the syntax error
 * or "unexpected EOF" (the body ends inside the value) in err.
 */
int gojson_decode_first(const char *s, size_t n, size_t *start, size_t *end,
    char *err, size_t errlen);

/*
 * json.Unmarshal's view (its checkValid): s[0..n) must be exactly one value
 * with optional white space around it.  Returns GOJSON_OK or GOJSON_ERROR
 * with Go's text in err ("unexpected end of JSON input", "invalid character
 * 'a' after top-level value", ...).
 */
int gojson_check_valid(const char *s, size_t n, char *err, size_t errlen);

/* Go's quoteChar: how a syntax error names byte c ('g', '\'', '"', '\x01',
 * '\u0080', 'é').  Writes a NUL-terminated text of at most 12 bytes. */
void gojson_quote_char(unsigned char c, char out[16]);

/* strconv.Quote of the bytes s[0..n) (what Go's %q prints), appended to out.
 * Returns 0 or a negative errno from buf. */
int gojson_quote(const char *s, size_t n, struct buf *out);

/* ---- walking text that gojson_check_valid or gojson_decode_first accepted */

/* Index of the first byte at or after i that is not JSON white space. */
size_t gojson_skip_space(const char *s, size_t n, size_t i);

/* Index just past the value that starts at s[i] (a valid value). */
size_t gojson_value_end(const char *s, size_t n, size_t i);

/*
 * Go's unquoteBytes: s[0..n) is a valid JSON string literal, quotes
 * included.  Writes its contents to dst (which holds at least 3 * n bytes:
 * each invalid UTF-8 byte becomes U+FFFD, as in Go) and returns their length.
 */
size_t gojson_unquote(const char *s, size_t n, char *dst);

#endif
