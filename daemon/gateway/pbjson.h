/*
 * pbjson.h - protobuf-c messages to and from JSON, as etcd's gateway
 * (grpc-gateway v1 with jsonpb, OrigName: true, EmitDefaults: false) writes
 * and reads them.
 *
 * Output: proto field names, fields in declaration order, 64-bit integers
 * as strings, bytes as standard base64, enums by name, zero values and empty
 * repeated fields left out, a present but empty message as {}.
 * Input: as grpc-gateway v1 reads it (json.Decoder, then jsonpb with
 * AllowUnknownFields): the first JSON value of the body, trailing bytes
 * ignored; field names or their lowerCamelCase forms (the latter wins);
 * integers as numbers or quoted; bytes as standard padded base64 or an
 * array of numbers; enums by name or number; null leaves a field unset;
 * unknown fields ignored.  Every rejection carries the text etcd gives.
 */
#ifndef CETCD_DAEMON_GATEWAY_PBJSON_H
#define CETCD_DAEMON_GATEWAY_PBJSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/buf.h"

/* Appends msg as JSON to out.  Returns 0, or -1 when out's cap is reached. */
int pbjson_encode(const ProtobufCMessage *msg, struct buf *out);

/* Parses a request body into a new message of type desc.  On success returns
 * the message, allocated with malloc (free it with
 * protobuf_c_message_free_unpacked(msg, NULL)); an empty or white-space body
 * gives an empty message.  On failure returns NULL and writes etcd's text
 * (Go's encoding/json, jsonpb or encoding/base64 words) to err; etcd answers
 * each of them with gRPC InvalidArgument. */
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc,
    const char *json, size_t len, char *err, size_t errlen);

/* Base64, standard alphabet with padding.  Returns bytes written to dst,
 * which must hold pbjson_b64_len(n) bytes. */
size_t pbjson_b64_encode(const void *src, size_t n, char *dst);
#define pbjson_b64_len(n) ((((n) + 2) / 3) * 4)

/* Decodes base64 as Go's base64.StdEncoding does (padding required, '\r'
 * and '\n' skipped).  Returns the decoded length, or -1 and, if bad is not
 * NULL, the offset Go reports ("illegal base64 data at input byte N").
 * dst holds at least 3*n/4+3 bytes. */
long pbjson_b64_decode(const char *src, size_t n, unsigned char *dst, size_t *bad);

/* Appends s[0..n) as a JSON string the way Go's encoding/json writes it
 * (HTML-safe: <, >, & escaped; invalid UTF-8 as \ufffd; U+2028/9 escaped).
 * Returns 0, or -1 when out's cap is reached. */
int pbjson_put_string(struct buf *out, const unsigned char *s, size_t n);

#endif
