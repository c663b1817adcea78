/*
 * grpc_wire: the byte-level pieces of gRPC over HTTP/2 that need no I/O:
 * the length-prefixed message parser, grpc-timeout parsing, grpc-message
 * percent-encoding and the status code names.
 *
 * Reference: gRPC's PROTOCOL-HTTP2.md ("Length-Prefixed-Message",
 * "Timeout", "Status-Message"); error texts follow grpc-go 1.26 (the
 * version etcd 3.4 vendors), so clients see what etcd would send.
 *
 * Pure functions and one small state machine; no allocation except the
 * parser's partial-message buffer, which never exceeds max_msg bytes.
 */
#ifndef CETCD_DAEMON_NET_GRPC_WIRE_H
#define CETCD_DAEMON_NET_GRPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* gRPC status codes (google.golang.org/grpc/codes). */
enum grpc_status {
	GRPC_STATUS_OK = 0,
	GRPC_STATUS_CANCELLED = 1,
	GRPC_STATUS_UNKNOWN = 2,
	GRPC_STATUS_INVALID_ARGUMENT = 3,
	GRPC_STATUS_DEADLINE_EXCEEDED = 4,
	GRPC_STATUS_NOT_FOUND = 5,
	GRPC_STATUS_ALREADY_EXISTS = 6,
	GRPC_STATUS_PERMISSION_DENIED = 7,
	GRPC_STATUS_RESOURCE_EXHAUSTED = 8,
	GRPC_STATUS_FAILED_PRECONDITION = 9,
	GRPC_STATUS_ABORTED = 10,
	GRPC_STATUS_OUT_OF_RANGE = 11,
	GRPC_STATUS_UNIMPLEMENTED = 12,
	GRPC_STATUS_INTERNAL = 13,
	GRPC_STATUS_UNAVAILABLE = 14,
	GRPC_STATUS_DATA_LOSS = 15,
	GRPC_STATUS_UNAUTHENTICATED = 16,
};

/* "OK", "Canceled", ... as grpc-go's codes.Code.String(); "Code(N)" is
 * not produced: unknown values give "Unknown". Static storage. */
const char *grpc_status_name(int code);

/* The 5-byte message prefix: 1 flag byte, 4-byte big-endian length. */
#define GRPC_WIRE_PREFIX 5

enum grpc_wire_result {
	GRPC_WIRE_NEED_MORE = 0,  /* all input consumed, no complete message */
	GRPC_WIRE_MESSAGE = 1,    /* *msg / *msg_len hold one message */
	GRPC_WIRE_TOO_LARGE = -1, /* prefix announced more than max_msg bytes */
	GRPC_WIRE_COMPRESSED = -2,/* compressed flag set (we hold no decompressor) */
	GRPC_WIRE_BAD_FLAG = -3,  /* flag byte other than 0 or 1 */
	GRPC_WIRE_NOMEM = -4,
};

/*
 * Incremental parser of a stream of length-prefixed messages, fed the
 * DATA payloads of one HTTP/2 stream in whatever pieces they arrive.
 * After an error the parser stays in it (sticky): the caller ends the call.
 */
struct grpc_wire_parser {
	uint8_t prefix[GRPC_WIRE_PREFIX];
	size_t prefix_len;  /* bytes of prefix[] filled so far */
	uint32_t msg_len;   /* length announced by the current prefix */
	uint8_t flag;       /* flag byte of the current prefix */
	bool in_body;       /* prefix complete, collecting the body */
	int error;          /* sticky grpc_wire_result < 0, or 0 */
	size_t max_msg;     /* largest message accepted */
	struct buf partial; /* body bytes collected across feeds; cap max_msg */
};

void grpc_wire_parser_init(struct grpc_wire_parser *p, size_t max_msg);
void grpc_wire_parser_free(struct grpc_wire_parser *p);

/*
 * Consumes bytes from data[0..len) until one message is complete or the
 * input is used up; *consumed says how many bytes were taken.  Call again
 * with the rest after GRPC_WIRE_MESSAGE.  A returned message points either
 * into data (when it arrived whole, no copy) or into the parser's buffer;
 * either way it is valid only until the next call on the parser or until
 * data is released.  On GRPC_WIRE_TOO_LARGE, p->msg_len is the announced
 * size (for grpc-go's "(N vs. M)" text).
 */
enum grpc_wire_result grpc_wire_parser_feed(struct grpc_wire_parser *p, const uint8_t *data,
					    size_t len, size_t *consumed, const uint8_t **msg,
					    size_t *msg_len);
/* Bytes the parser currently holds for a partly received message (these
 * count against the connection's receive budget). */
static inline size_t grpc_wire_parser_buffered(const struct grpc_wire_parser *p)
{
	return buf_len(&p->partial);
}
/* True if the input stopped exactly on a message boundary (so a half-close
 * now is clean; otherwise the client cut a message short). */
static inline bool grpc_wire_parser_idle(const struct grpc_wire_parser *p)
{
	return p->prefix_len == 0 && !p->in_body;
}

/* Writes the 5-byte prefix for an uncompressed message of len bytes. */
void grpc_wire_prefix(uint8_t out[GRPC_WIRE_PREFIX], uint32_t len);

/*
 * Parses a grpc-timeout header value: 1 to 8 ASCII digits and a unit
 * H M S m u n.  Stores nanoseconds (clamped to INT64_MAX) in *ns.
 * Returns 0, or -1 with grpc-go's explanation written to err (NUL-terminated,
 * at most errlen bytes), e.g. `transport: timeout unit is not recognized: "5x"`.
 */
int grpc_wire_parse_timeout(const char *s, size_t len, int64_t *ns, char *err, size_t errlen);

/*
 * Percent-encodes a grpc-message value as grpc-go does: printable ASCII
 * except '%' passes through; every other byte of valid UTF-8 becomes %XX;
 * each byte that is not valid UTF-8 becomes the encoding of U+FFFD
 * (%EF%BF%BD).  Writes a NUL-terminated string into out (outlen bytes)
 * and returns its length, or the length needed if it did not fit (in
 * which case out holds a truncated, still terminated prefix).
 */
size_t grpc_wire_percent_encode(const char *msg, size_t len, char *out, size_t outlen);
/* Decodes %XX sequences (the client side; used by tests).  Returns the
 * decoded length; out must hold len + 1 bytes. */
size_t grpc_wire_percent_decode(const char *msg, size_t len, char *out);

#endif
