/*
 * pbjson.c - protobuf-c <-> JSON in the shape of etcd's grpc-gateway.
 *
 * Runs in cetcd, on the event loop.  Walks protobuf-c descriptors, so one
 * piece of code serves every message of every service.  Encoding writes
 * straight into a capped struct buf (no intermediate tree: the gateway's hot
 * path); decoding parses with jansson, then fills a malloc'd message that
 * protobuf_c_message_free_unpacked(msg, NULL) frees whole, also on error.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/gateway/pbjson.h"

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

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long pbjson_b64_decode(const char *src, size_t n, unsigned char *dst)
{
	uint32_t acc = 0;
	int bits = 0;
	long o = 0;

	while (n > 0 && src[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)src[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* ---------------------------------------------------------------- encode */

static int put_str(struct buf *out, const char *s)
{
	return buf_append(out, s, strlen(s));
}

/* Go's encoding/json string escaping: HTML-safe, invalid UTF-8 as U+FFFD. */
static int put_json_string(struct buf *out, const unsigned char *s, size_t n)
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
		return put_json_string(out, (const unsigned char *)(s ? s : ""), s ? strlen(s) : 0);
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

static size_t elem_size(const ProtobufCFieldDescriptor *f)
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
		return memcmp(p, zero, elem_size(f)) == 0;
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
			size_t sz = elem_size(f);
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

/* ---------------------------------------------------------------- decode */

struct dec {
	char *err;
	size_t errlen;
};

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "null";
	}
	return "value";
}

static const char *go_type(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		return "int32";
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		return "uint32";
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		return "int64";
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		return "uint64";
	case PROTOBUF_C_TYPE_FLOAT: return "float32";
	case PROTOBUF_C_TYPE_DOUBLE: return "float64";
	case PROTOBUF_C_TYPE_BOOL: return "bool";
	case PROTOBUF_C_TYPE_ENUM: return f->descriptor ? ((const ProtobufCEnumDescriptor *)f->descriptor)->name : "enum";
	case PROTOBUF_C_TYPE_STRING: return "string";
	case PROTOBUF_C_TYPE_BYTES: return "[]uint8";
	case PROTOBUF_C_TYPE_MESSAGE: return f->descriptor ? ((const ProtobufCMessageDescriptor *)f->descriptor)->name : "message";
	}
	return "value";
}

static int type_error(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *v)
{
	snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go value of type %s",
	    json_kind(v), go_type(f));
	return -1;
}

/* lowerCamelCase of a proto field name, as protoc computes json_name. */
static int camel_eq(const char *proto_name, const char *key)
{
	int up = 0;

	for (const char *p = proto_name; *p; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		char c = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
		if (*key++ != c)
			return 0;
	}
	return *key == '\0';
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md, const char *key)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(md, key);

	if (f)
		return f;
	for (unsigned i = 0; i < md->n_fields; i++)
		if (camel_eq(md->fields[i].name, key))
			return &md->fields[i];
	return NULL;
}

static int parse_i64(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (!*s)
			return -1;
		errno = 0;
		long long x = strtoll(s, &end, 10);
		if (errno || *end)
			return -1;
		*out = x;
		return 0;
	}
	return -1;
}

static int parse_u64(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -1;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (!*s || *s == '-')
			return -1;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 10);
		if (errno || *end)
			return -1;
		*out = x;
		return 0;
	}
	return -1;
}

static ProtobufCMessage *dec_message(const ProtobufCMessageDescriptor *md, const json_t *obj, struct dec *d);

/* Frees what a singular field holds, so a repeated key or oneof member
 * does not leak the earlier value. */
static void free_singular(const ProtobufCFieldDescriptor *f, void *p)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		char **s = p;
		if (*s && *s != (char *)f->default_value && *s != protobuf_c_empty_string)
			free(*s);
		*s = NULL;
	} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
		ProtobufCBinaryData *b = p;
		const ProtobufCBinaryData *def = f->default_value;
		if (b->data && (!def || b->data != def->data))
			free(b->data);
		b->data = NULL;
		b->len = 0;
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage **m = p;
		if (*m)
			protobuf_c_message_free_unpacked(*m, NULL);
		*m = NULL;
	}
}

static int dec_value(const ProtobufCFieldDescriptor *f, const json_t *v, void *p, struct dec *d)
{
	int64_t i;
	uint64_t u;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (parse_i64(v, &i) || i < INT32_MIN || i > INT32_MAX)
			return type_error(d, f, v);
		*(int32_t *)p = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (parse_u64(v, &u) || u > UINT32_MAX)
			return type_error(d, f, v);
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (parse_i64(v, &i))
			return type_error(d, f, v);
		*(int64_t *)p = i;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (parse_u64(v, &u))
			return type_error(d, f, v);
		*(uint64_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		if (!json_is_number(v))
			return type_error(d, f, v);
		double x = json_number_value(v);
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)p = (float)x;
		else
			*(double *)p = x;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return type_error(d, f, v);
		*(protobuf_c_boolean *)p = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = NULL;
		if (json_is_string(v))
			ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_string_value(v));
		else if (json_is_integer(v)) {
			*(int *)p = (int)json_integer_value(v);
			return 0;
		}
		if (!ev) {
			if (json_is_string(v)) {
				snprintf(d->err, d->errlen, "unknown value %s for enum %s",
				    json_string_value(v), go_type(f));
				return -1;
			}
			return type_error(d, f, v);
		}
		*(int *)p = ev->value;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_is_string(v))
			return type_error(d, f, v);
		char *s = malloc(json_string_length(v) + 1);
		if (!s)
			goto nomem;
		memcpy(s, json_string_value(v), json_string_length(v) + 1);
		free_singular(f, p);
		*(char **)p = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		if (!json_is_string(v))
			return type_error(d, f, v);
		size_t n = json_string_length(v);
		unsigned char *b = malloc(n * 3 / 4 + 4);
		if (!b)
			goto nomem;
		long len = pbjson_b64_decode(json_string_value(v), n, b);
		if (len < 0) {
			free(b);
			snprintf(d->err, d->errlen, "illegal base64 data at input byte 0");
			return -1;
		}
		free_singular(f, p);
		((ProtobufCBinaryData *)p)->data = b;
		((ProtobufCBinaryData *)p)->len = (size_t)len;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		if (!json_is_object(v))
			return type_error(d, f, v);
		ProtobufCMessage *sub = dec_message(f->descriptor, v, d);
		if (!sub)
			return -1;
		free_singular(f, p);
		*(ProtobufCMessage **)p = sub;
		return 0;
	}
	}
	return type_error(d, f, v);
nomem:
	snprintf(d->err, d->errlen, "out of memory");
	return -1;
}

static int dec_repeated(const ProtobufCFieldDescriptor *f, const json_t *arr,
    char *base, struct dec *d)
{
	size_t *np = (size_t *)(base + f->quantifier_offset);
	void **ap = (void **)(base + f->offset);
	size_t sz = elem_size(f), n = json_array_size(arr);

	if (*np) {
		/* A key given twice: the last one wins, as in Go. */
		for (size_t k = 0; k < *np; k++)
			free_singular(f, (char *)*ap + k * sz);
		free(*ap);
		*ap = NULL;
		*np = 0;
	}
	if (n == 0)
		return 0;
	char *a = calloc(n, sz);
	if (!a) {
		snprintf(d->err, d->errlen, "out of memory");
		return -1;
	}
	*ap = a;
	for (size_t k = 0; k < n; k++) {
		if (dec_value(f, json_array_get(arr, k), a + k * sz, d))
			return -1;
		*np = k + 1;
	}
	return 0;
}

static ProtobufCMessage *dec_message(const ProtobufCMessageDescriptor *md, const json_t *obj, struct dec *d)
{
	ProtobufCMessage *m = malloc(md->sizeof_message);
	const char *key;
	json_t *v;

	if (!m) {
		snprintf(d->err, d->errlen, "out of memory");
		return NULL;
	}
	protobuf_c_message_init(md, m);
	json_object_foreach((json_t *)obj, key, v) {
		const ProtobufCFieldDescriptor *f = find_field(md, key);
		char *base = (char *)m;
		/* etcd's gateway ignores fields it does not know. */
		if (!f)
			continue;
		if (json_is_null(v))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (!json_is_array(v)) {
				snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go value of type []%s",
				    json_kind(v), go_type(f));
				goto fail;
			}
			if (dec_repeated(f, v, base, d))
				goto fail;
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *c = (uint32_t *)(base + f->quantifier_offset);
			if (*c && *c != f->id) {
				const ProtobufCFieldDescriptor *old =
				    protobuf_c_message_descriptor_get_field(md, *c);
				if (old)
					free_singular(old, base + old->offset);
			}
			*c = f->id;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
		}
		if (dec_value(f, v, base + f->offset, d))
			goto fail;
	}
	return m;
fail:
	protobuf_c_message_free_unpacked(m, NULL);
	return NULL;
}

ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc,
    const char *json, size_t len, char *err, size_t errlen)
{
	struct dec d = { err, errlen };
	json_error_t jerr;
	json_t *root;
	ProtobufCMessage *m = NULL;

	/* grpc-gateway reads an empty body as an empty message. */
	if (len == 0) {
		m = malloc(desc->sizeof_message);
		if (m)
			protobuf_c_message_init(desc, m);
		else
			snprintf(err, errlen, "out of memory");
		return m;
	}
	root = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root))
		snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s",
		    json_kind(root), desc->name);
	else
		m = dec_message(desc, root, &d);
	json_decref(root);
	return m;
}
