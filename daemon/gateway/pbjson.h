/*
 * pbjson.h - protobuf-c messages to and from JSON, as etcd's gateway
 * (grpc-gateway v1 with jsonpb, OrigName: true, EmitDefaults: false) writes
 * and reads them.
 *
 * Output: proto field names, fields in declaration order, 64-bit integers
 * as strings, bytes as standard base64, enums by name, zero values and empty
 * repeated fields left out, a present but empty message as {}.
 * Input: field names or their lowerCamelCase forms; 64-bit integers as
 * strings or numbers; bytes as standard or URL-safe base64; enums by name or
 * number; null leaves a field unset; unknown fields are ignored, as etcd's
 * gateway ignores them.
 */
#ifndef CETCD_DAEMON_GATEWAY_PBJSON_H
#define CETCD_DAEMON_GATEWAY_PBJSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/buf.h"

/* Appends msg as JSON to out.  Returns 0, or -1 when out's cap is reached. */
int pbjson_encode(const ProtobufCMessage *msg, struct buf *out);

/* Parses JSON text into a new message of type desc.  On success returns the
 * message, allocated with malloc (free it with
 * protobuf_c_message_free_unpacked(msg, NULL)).  On failure returns NULL and
 * writes the reason to err, in the words of Go's encoding/json where it has
 * them. */
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc,
    const char *json, size_t len, char *err, size_t errlen);

/* Base64, standard alphabet with padding.  Returns bytes written to dst,
 * which must hold pbjson_b64_len(n) bytes. */
size_t pbjson_b64_encode(const void *src, size_t n, char *dst);
#define pbjson_b64_len(n) ((((n) + 2) / 3) * 4)

/* Decodes standard or URL-safe base64, padded or not.  Returns the decoded
 * length, or -1 on a bad character or length.  dst holds at least 3*n/4+3. */
long pbjson_b64_decode(const char *src, size_t n, unsigned char *dst);

#endif
