/*
 * pbjson.c - protobuf-c messages to JSON in the shape of etcd's grpc-gateway.
 *
 * Runs in cetcd, on the event loop.  Walks protobuf-c descriptors, so one
 * piece of code serves every message of every service.  Encoding writes
 * straight into a capped struct buf (no intermediate tree: the gateway's hot
 * path).  Decoding is in pbjson_decode.c.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/gateway/pbjson.h"
#include "daemon/gateway/pbjson_int.h"

/* ---------------------------------------------------------------- base64 */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pbjson_b64_encode(const void *src, size_t n, char *dst)
{
	const unsigned char *s = src;
	size_t o = 0, i = 0;

	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		dst[o++] = b64_std[v >> 18];
		dst[o++] = b64_std[(v >> 12) & 63];
		dst[o++] = b64_std[(v >> 6) & 63];
		dst[o++] = b64_std[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		dst[o++] = b64_std[v >> 18];
		dst[o++] = b64_std[(v >> 12) & 63];
		dst[o++] = i + 1 < n ? b64_std[(v >> 6) & 63] : '=';
		dst[o++] = '=';
	}
	return o;
}

/* ---------------------------------------------------------------- encode */

static int put_str(struct buf *out, const char *s)
{
	return buf_append(out, s, strlen(s));
}

/* Go's encoding/json string escaping: HTML-safe, invalid UTF-8 as U+FFFD. */
int pbjson_put_string(struct buf *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (buf_put_u8(out, '"'))
		return -1;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char esc[8];
		const char *e = NULL;
		size_t elen = 0;

		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
				if (buf_put_u8(out, c))
					return -1;
				i++;
				continue;
			}
			switch (c) {
			case '"': e = "\\\""; break;
			case '\\': e = "\\\\"; break;
			case '\n': e = "\\n"; break;
			case '\r': e = "\\r"; break;
			case '\t': e = "\\t"; break;
			default:
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				e = esc;
			}
			if (put_str(out, e))
				return -1;
			i++;
			continue;
		}
		/* Multi-byte UTF-8: validate, pass through, or replace. */
		uint32_t cp = 0;
		if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			elen = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			elen = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			elen = 4, cp = c & 0x07;
		int ok = elen > 0 && i + elen <= n;
		for (size_t k = 1; ok && k < elen; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				ok = 0;
			else
				cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (ok && ((elen == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (elen == 4 && (cp < 0x10000 || cp > 0x10ffff))))
			ok = 0;
		if (!ok) {
			if (put_str(out, "\\ufffd"))
				return -1;
			i++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029) {
			if (put_str(out, cp == 0x2028 ? "\\u2028" : "\\u2029"))
				return -1;
		} else if (buf_append(out, s + i, elen)) {
			return -1;
		}
		i += elen;
	}
	return buf_put_u8(out, '"');
}

static int enc_message(const ProtobufCMessage *m, struct buf *out);

static int enc_value(const ProtobufCFieldDescriptor *f, const void *p, struct buf *out)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return buf_appendf(out, "%" PRId32, *(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return buf_appendf(out, "%" PRIu32, *(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return buf_appendf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return buf_appendf(out, "\"%" PRIu64 "\"", *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return buf_appendf(out, "%.9g", (double)*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return buf_appendf(out, "%.17g", *(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return put_str(out, *(const protobuf_c_boolean *)p ? "true" : "false");
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev =
		    protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		if (ev)
			return buf_appendf(out, "\"%s\"", ev->name);
		return buf_appendf(out, "%d", v);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return pbjson_put_string(out, (const unsigned char *)(s ? s : ""), s ? strlen(s) : 0);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		size_t need = pbjson_b64_len(b->len) + 2;
		if (buf_reserve(out, need))
			return -1;
		char *t = (char *)buf_tail(out);
		t[0] = '"';
		size_t n = pbjson_b64_encode(b->data, b->len, t + 1);
		t[n + 1] = '"';
		buf_commit(out, n + 2);
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		if (!sub)
			return put_str(out, "null");
		return enc_message(sub, out);
	}
	}
	return -1;
}

size_t pbjson_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* jsonpb leaves out a proto3 field holding its type's zero value. */
static int is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage *const *)p == NULL;
	default: {
		static const unsigned char zero[16];
		return memcmp(p, zero, pbjson_elem_size(f)) == 0;
	}
	}
}

static int field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *p = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return 1;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
			return *(void *const *)p != NULL;
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	default:
		return !is_zero(f, p);
	}
}

static int enc_message(const ProtobufCMessage *m, struct buf *out)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	int first = 1;

	if (buf_put_u8(out, '{'))
		return -1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!field_present(m, f))
			continue;
		if ((!first && buf_put_u8(out, ',')) || buf_appendf(out, "\"%s\":", f->name))
			return -1;
		first = 0;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)(base + f->offset);
			size_t sz = pbjson_elem_size(f);
			if (buf_put_u8(out, '['))
				return -1;
			for (size_t k = 0; k < n; k++)
				if ((k && buf_put_u8(out, ',')) || enc_value(f, arr + k * sz, out))
					return -1;
			if (buf_put_u8(out, ']'))
				return -1;
		} else if (enc_value(f, base + f->offset, out)) {
			return -1;
		}
	}
	return buf_put_u8(out, '}');
}

int pbjson_encode(const ProtobufCMessage *msg, struct buf *out)
{
	return enc_message(msg, out);
}
