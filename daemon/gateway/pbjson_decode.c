/*
 * pbjson_decode.c - gateway request bodies to protobuf-c messages, with
 * etcd 3.4's acceptance rules and error texts.
 *
 * Runs in cetcd on the event loop.  Checks the body with gojson (Go's
 * scanner), then walks the checked text as jsonpb walks it and fills a
 * malloc'd message that protobuf_c_message_free_unpacked(msg, NULL) frees
 * whole, also on error.  Never reads past the body; nesting is bounded
 * (PBJSON_MAX_NESTING) so the event loop's stack is.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "daemon/gateway/gojson.h"
#include "daemon/gateway/pbjson.h"
#include "daemon/gateway/pbjson_int.h"

/*
 * Decoding follows what etcd 3.4's gateway does with a body, step by step,
 * because each step has its own error texts:
 *  1. json.Decoder reads the first JSON value (gojson_decode_first); a
 *     body of white space is an empty request.
 *  2. jsonpb (golang/protobuf 1.3, AllowUnknownFields) unmarshals that
 *     value into map[string]json.RawMessage: keys are unescaped, the last
 *     of a repeated key wins, unknown keys are ignored.
 *  3. It walks the Go struct's fields in declaration order (the first
 *     failing field in that order is the one reported, wherever it sits in
 *     the body), taking the lowerCamelCase key over the proto name when both
 *     are there; then the oneof members.
 *  4. Each value goes through json.Unmarshal into the field's Go type, with
 *     jsonpb's own rules first: null leaves a field unset, enums may be
 *     names, and numbers may be quoted (the quotes are simply cut off, so
 *     "12a" fails as the JSON text 12a would).
 * protobuf-c lists a message's fields by number; for etcd's protos that is
 * also their declaration order.
 */

/* Messages nested deeper than this are refused before they exhaust the
 * event loop's stack (Go's goroutine stacks just grow).  Only TxnRequest
 * nests in etcd's requests, two messages a level, and etcd refuses a txn
 * nested deeper than --max-txn-ops (128 by default) levels with "too many
 * operations", so that is the answer here too. */
#define PBJSON_MAX_NESTING 2000

struct dec {
	char *err;
	size_t errlen;
	unsigned depth;
};

/* One key of an object: the unescaped key and the raw value text. */
struct member {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

static int nomem(struct dec *d)
{
	snprintf(d->err, d->errlen, "out of memory");
	return -1;
}

static const char *json_kind(char c)
{
	switch (c) {
	case '{': return "object";
	case '[': return "array";
	case '"': return "string";
	case 't': case 'f': return "bool";
	case 'n': return "null";
	}
	return "number";
}

/* encoding/json's UnmarshalTypeError, as jsonpb's callers see it. */
static int type_error(struct dec *d, const char *what, const char *go_type)
{
	snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go value of type %s", what, go_type);
	return -1;
}

/* The Go name of an enum type, as protoc-gen-go names it and as jsonpb
 * registers it: package, then the nested names joined by '_'
 * ("etcdserverpb.RangeRequest_SortOrder"). */
static void go_enum_name(const ProtobufCEnumDescriptor *ed, char *out, size_t outlen)
{
	const char *name = ed->name;
	size_t plen = ed->package_name ? strlen(ed->package_name) : 0, skip = 0;

	snprintf(out, outlen, "%s", name);
	if (plen && strncmp(name, ed->package_name, plen) == 0 && name[plen] == '.')
		skip = plen + 1;
	for (char *p = out + (skip < strlen(out) ? skip : strlen(out)); *p; p++)
		if (*p == '.')
			*p = '_';
}

static const char *go_type(const ProtobufCFieldDescriptor *f, char *tmp, size_t tmplen)
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
	case PROTOBUF_C_TYPE_STRING: return "string";
	case PROTOBUF_C_TYPE_BYTES: return "[]uint8";
	case PROTOBUF_C_TYPE_ENUM:
		go_enum_name(f->descriptor, tmp, tmplen);
		return tmp;
	case PROTOBUF_C_TYPE_MESSAGE:
		/* jsonpb unmarshals a message through a map first. */
		return "map[string]json.RawMessage";
	}
	return "interface {}";
}

/* lowerCamelCase of a proto field name, as protoc computes json_name. */
static int camel_eq(const char *proto_name, const char *key, size_t klen)
{
	int up = 0;
	size_t k = 0;

	for (const char *p = proto_name; *p; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		char c = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
		if (k >= klen || key[k++] != c)
			return 0;
	}
	return k == klen;
}

/* jsonpb's consumeField: the value under the camelCase name if there is
 * one, else under the proto name; of a repeated key, the last. */
static const struct member *find_member(const struct member *mem, size_t n,
    const ProtobufCFieldDescriptor *f)
{
	size_t nlen = strlen(f->name);

	for (size_t i = n; i-- > 0;)
		if (camel_eq(f->name, mem[i].key, mem[i].klen))
			return &mem[i];
	for (size_t i = n; i-- > 0;)
		if (mem[i].klen == nlen && memcmp(mem[i].key, f->name, nlen) == 0)
			return &mem[i];
	return NULL;
}

/* Splits a checked JSON object into its members; keys are unescaped into
 * *arena.  Both are malloc'd (free them); NULL on out of memory. */
static struct member *object_members(const char *s, size_t n, size_t *count, char **arena)
{
	size_t i, cnt = 0, kbytes = 0, w = 0, k = 0;
	struct member *mem = NULL;

	for (int pass = 0; pass < 2; pass++) {
		i = gojson_skip_space(s, n, 1);
		while (i < n && s[i] == '"') {
			size_t kend = gojson_value_end(s, n, i);
			size_t v = gojson_skip_space(s, n, gojson_skip_space(s, n, kend) + 1);
			size_t vend = gojson_value_end(s, n, v);
			if (pass == 0) {
				cnt++;
				kbytes += 3 * (kend - i);
			} else {
				mem[k].key = *arena + w;
				mem[k].klen = gojson_unquote(s + i, kend - i, *arena + w);
				w += mem[k].klen;
				mem[k].val = s + v;
				mem[k].vlen = vend - v;
				k++;
			}
			i = gojson_skip_space(s, n, vend);
			if (i < n && s[i] == ',')
				i = gojson_skip_space(s, n, i + 1);
		}
		if (pass == 0) {
			mem = malloc((cnt ? cnt : 1) * sizeof(*mem));
			*arena = malloc(kbytes ? kbytes : 1);
			if (!mem || !*arena) {
				free(mem);
				free(*arena);
				*arena = NULL;
				return NULL;
			}
		}
	}
	*count = cnt;
	return mem;
}

/* The elements of a checked JSON array: calls fn on each in turn, stops
 * at the first failure. */
static int array_each(const char *s, size_t n,
    int (*fn)(const char *v, size_t vlen, size_t idx, void *arg), void *arg)
{
	size_t i = gojson_skip_space(s, n, 1), idx = 0;

	while (i < n && s[i] != ']') {
		size_t vend = gojson_value_end(s, n, i);
		int rc = fn(s + i, vend - i, idx++, arg);
		if (rc)
			return rc;
		i = gojson_skip_space(s, n, vend);
		if (i < n && s[i] == ',')
			i = gojson_skip_space(s, n, i + 1);
	}
	return 0;
}

static int count_one(const char *v, size_t vlen, size_t idx, void *arg)
{
	(void)v, (void)vlen, (void)idx;
	++*(size_t *)arg;
	return 0;
}

/* strconv.ParseInt(s, 10, 64) / ParseUint, then the range of a Go type of
 * `bits` bits.  Only the text of a JSON number reaches here. */
static int parse_go_int(const char *s, size_t n, int is_signed, int bits, int64_t *iv, uint64_t *uv)
{
	size_t i = 0;
	int neg = 0;
	uint64_t acc = 0, limit;

	if (is_signed && n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (!is_signed) {
		limit = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
		if (acc > limit)
			return -1;
		*uv = acc;
		return 0;
	}
	limit = (UINT64_C(1) << (bits - 1)) - (neg ? 0 : 1);
	if (acc > limit)
		return -1;
	*iv = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

/* json.Unmarshal of text into a Go integer or float; a JSON null leaves the
 * target alone (*set = 0). */
static int unmarshal_number(struct dec *d, const char *s, size_t n, const char *go_type,
    int kind, int bits, int64_t *iv, uint64_t *uv, double *fv, int *set)
{
	char lit[64];

	*set = 0;
	if (gojson_check_valid(s, n, d->err, d->errlen) != GOJSON_OK)
		return -1;
	size_t i = gojson_skip_space(s, n, 0);
	size_t e = gojson_value_end(s, n, i);
	char c = s[i];
	if (c == 'n')
		return 0;
	if (c == '{' || c == '[' || c == '"' || c == 't' || c == 'f')
		return type_error(d, json_kind(c), go_type);
	if (kind == 'f') {
		/* ParseFloat rejects only what is out of range. */
		char *t = e - i < sizeof(lit) ? lit : malloc(e - i + 1);
		if (!t)
			return nomem(d);
		memcpy(t, s + i, e - i);
		t[e - i] = '\0';
		errno = 0;
		double x = bits == 32 ? (double)strtof(t, NULL) : strtod(t, NULL);
		int range = errno == ERANGE && (x > 1 || x < -1);
		if (t != lit)
			free(t);
		if (range)
			goto bad;
		*fv = x;
	} else if (parse_go_int(s + i, e - i, kind == 'i', bits, iv, uv)) {
		goto bad;
	}
	*set = 1;
	return 0;
bad:
	snprintf(d->err, d->errlen, "json: cannot unmarshal number %.*s into Go value of type %s",
	    (int)(e - i > d->errlen ? d->errlen : e - i), s + i, go_type);
	return -1;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Go's base64.StdEncoding.Decode: padding required, '\r' and '\n'
 * skipped anywhere, and the offset of the first bad byte as Go counts it. */
static long go_b64_decode(const unsigned char *src, size_t n, unsigned char *dst, size_t *bad)
{
	size_t si = 0;
	long o = 0;

	while (si < n) {
		unsigned char q[4] = { 0, 0, 0, 0 };
		int j, dlen = 4;
		size_t trailing = 0;

		for (j = 0; j < 4; j++) {
			if (si == n) {
				if (j == 0)
					return o;
				*bad = si - (size_t)j;
				return -1;
			}
			unsigned char in = src[si++];
			int v = b64_value(in);
			if (v >= 0) {
				q[j] = (unsigned char)v;
				continue;
			}
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			if (in != '=' || j < 2) {
				*bad = si - 1;
				return -1;
			}
			if (j == 2) {
				/* "==" expected; the first '=' is consumed. */
				while (si < n && (src[si] == '\n' || src[si] == '\r'))
					si++;
				if (si == n) {
					*bad = n;
					return -1;
				}
				if (src[si] != '=') {
					*bad = si - 1;
					return -1;
				}
				si++;
			}
			while (si < n && (src[si] == '\n' || src[si] == '\r'))
				si++;
			if (si < n)
				trailing = si;
			dlen = j;
			break;
		}
		uint32_t v = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 | q[3];
		dst[o++] = (unsigned char)(v >> 16);
		if (dlen > 2)
			dst[o++] = (unsigned char)(v >> 8);
		if (dlen > 3)
			dst[o++] = (unsigned char)v;
		if (trailing) {
			*bad = trailing;
			return -1;
		}
	}
	return o;
}

long pbjson_b64_decode(const char *src, size_t n, unsigned char *dst, size_t *bad)
{
	size_t where = 0;
	long len = go_b64_decode((const unsigned char *)src, n, dst, &where);

	if (len < 0 && bad)
		*bad = where;
	return len;
}

/* Frees what a singular field holds, so a oneof member replaced by another
 * does not leak. */
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

struct bytes_arr {
	struct dec *d;
	unsigned char *out;
};

/* One element of a JSON array decoded into []byte: a uint8. */
static int byte_elem(const char *v, size_t vlen, size_t idx, void *arg)
{
	struct bytes_arr *a = arg;
	int64_t iv;
	uint64_t uv = 0;
	double fv;
	int set;

	if (unmarshal_number(a->d, v, vlen, "uint8", 'u', 8, &iv, &uv, &fv, &set))
		return -1;
	a->out[idx] = (unsigned char)uv;
	return 0;
}

static int dec_struct(const ProtobufCMessageDescriptor *md, const char *s, size_t n,
    ProtobufCMessage *m, struct dec *d);

/* json.Unmarshal (after jsonpb's own rules) of one value into the storage
 * of one field element.  Returns 1 when the value was a JSON null and the
 * storage was left as it was, 0 when set, -1 on error. */
static int dec_value(const ProtobufCFieldDescriptor *f, const char *s, size_t n, void *p, struct dec *d)
{
	char tname[160];
	const char *gt = go_type(f, tname, sizeof(tname));
	char c = s[0];

	switch (f->type) {
	case PROTOBUF_C_TYPE_ENUM:
		if (c == '"') {
			/* jsonpb looks the name up as written, escapes and all. */
			const ProtobufCEnumValue *ev = NULL;
			char name[128];
			if (n - 2 < sizeof(name)) {
				memcpy(name, s + 1, n - 2);
				name[n - 2] = '\0';
				if (strlen(name) == n - 2)
					ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, name);
			}
			if (!ev) {
				struct buf q;
				buf_init(&q, d->errlen);
				if (gojson_quote(s + 1, n - 2, &q) == 0)
					snprintf(d->err, d->errlen, "unknown value %.*s for enum %s",
					    (int)buf_len(&q), (const char *)buf_data(&q), gt);
				else
					snprintf(d->err, d->errlen, "unknown value for enum %s", gt);
				buf_free(&q);
				return -1;
			}
			*(int *)p = ev->value;
			return 0;
		}
		/* A number: into a Go int32. */
		__attribute__((fallthrough));
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: {
		int64_t iv = 0;
		uint64_t uv = 0;
		double fv = 0;
		int set, kind, bits;
		switch (f->type) {
		case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
			kind = 'u', bits = 32; break;
		case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
			kind = 'u', bits = 64; break;
		case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
			kind = 'i', bits = 64; break;
		case PROTOBUF_C_TYPE_FLOAT:
			kind = 'f', bits = 32; break;
		case PROTOBUF_C_TYPE_DOUBLE:
			kind = 'f', bits = 64; break;
		default:
			kind = 'i', bits = 32; break;
		}
		if (kind == 'f' && c == '"') {
			/* jsonpb's non-finite names. */
			static const struct { const char *text; double v; } nf[] = {
				{ "\"NaN\"", NAN }, { "\"Infinity\"", INFINITY }, { "\"-Infinity\"", -INFINITY },
			};
			for (size_t k = 0; k < sizeof(nf) / sizeof(nf[0]); k++) {
				if (n == strlen(nf[k].text) && memcmp(s, nf[k].text, n) == 0) {
					if (bits == 32)
						*(float *)p = (float)nf[k].v;
					else
						*(double *)p = nf[k].v;
					return 0;
				}
			}
		}
		/* Quoted numbers: jsonpb drops the first and last byte. */
		if (c == '"' && f->type != PROTOBUF_C_TYPE_ENUM) {
			s++;
			n -= 2;
		}
		if (unmarshal_number(d, s, n, gt, kind, bits, &iv, &uv, &fv, &set))
			return -1;
		if (!set)
			return 1;
		if (f->type == PROTOBUF_C_TYPE_ENUM)
			*(int *)p = (int)iv;
		else if (kind == 'f' && bits == 32)
			*(float *)p = (float)fv;
		else if (kind == 'f')
			*(double *)p = fv;
		else if (bits == 32 && kind == 'u')
			*(uint32_t *)p = (uint32_t)uv;
		else if (bits == 32)
			*(int32_t *)p = (int32_t)iv;
		else if (kind == 'u')
			*(uint64_t *)p = uv;
		else
			*(int64_t *)p = iv;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (c == 'n')
			return 1;
		if (c != 't' && c != 'f')
			return type_error(d, json_kind(c), gt);
		*(protobuf_c_boolean *)p = c == 't';
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		if (c == 'n')
			return 1;
		if (c != '"')
			return type_error(d, json_kind(c), gt);
		char *str = malloc(3 * n + 1);
		if (!str)
			return nomem(d);
		str[gojson_unquote(s, n, str)] = '\0';
		free_singular(f, p);
		*(char **)p = str;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *bd = p;
		unsigned char *b;
		long len;
		if (c == 'n')
			return 1;
		if (c == '[') {
			/* encoding/json fills a []byte from an array of numbers. */
			size_t cnt = 0;
			array_each(s, n, count_one, &cnt);
			b = malloc(cnt ? cnt : 1);
			if (!b)
				return nomem(d);
			struct bytes_arr a = { d, b };
			if (array_each(s, n, byte_elem, &a)) {
				free(b);
				return -1;
			}
			len = (long)cnt;
		} else if (c == '"') {
			char *tmp = malloc(3 * n + 1);
			size_t bad = 0;
			if (!tmp)
				return nomem(d);
			size_t tlen = gojson_unquote(s, n, tmp);
			b = malloc(tlen * 3 / 4 + 4);
			if (!b) {
				free(tmp);
				return nomem(d);
			}
			len = go_b64_decode((unsigned char *)tmp, tlen, b, &bad);
			free(tmp);
			if (len < 0) {
				free(b);
				snprintf(d->err, d->errlen, "illegal base64 data at input byte %zu", bad);
				return -1;
			}
		} else {
			return type_error(d, json_kind(c), gt);
		}
		free_singular(f, p);
		bd->data = b;
		bd->len = (size_t)len;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *md = f->descriptor;
		if (c == 'n')
			return 1;
		ProtobufCMessage *sub = malloc(md->sizeof_message);
		if (!sub)
			return nomem(d);
		protobuf_c_message_init(md, sub);
		if (dec_struct(md, s, n, sub, d)) {
			protobuf_c_message_free_unpacked(sub, NULL);
			return -1;
		}
		free_singular(f, p);
		*(ProtobufCMessage **)p = sub;
		return 0;
	}
	}
	return type_error(d, json_kind(c), gt);
}

struct rep {
	const ProtobufCFieldDescriptor *f;
	char *arr;
	size_t *np;
	struct dec *d;
};

static int rep_elem(const char *v, size_t vlen, size_t idx, void *arg)
{
	struct rep *r = arg;
	const ProtobufCFieldDescriptor *f = r->f;
	void *slot = r->arr + idx * pbjson_elem_size(f);
	int rc = dec_value(f, v, vlen, slot, r->d);

	if (rc < 0)
		return -1;
	/* A null element stays Go's zero value.  etcd's gateway drops the
	 * connection on a null message in a list (a nil pointer panics when
	 * the request is sent); an empty message is the closest we can do. */
	if (rc == 1 && f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage *sub = malloc(((const ProtobufCMessageDescriptor *)f->descriptor)->sizeof_message);
		if (!sub)
			return nomem(r->d);
		protobuf_c_message_init(f->descriptor, sub);
		*(ProtobufCMessage **)slot = sub;
	} else if (rc == 1 && f->type == PROTOBUF_C_TYPE_STRING) {
		char *e = calloc(1, 1);
		if (!e)
			return nomem(r->d);
		*(char **)slot = e;
	}
	*r->np = idx + 1;
	return 0;
}

static int dec_repeated(const ProtobufCFieldDescriptor *f, const char *s, size_t n,
    char *base, struct dec *d)
{
	size_t *np = (size_t *)(base + f->quantifier_offset);
	void **ap = (void **)(base + f->offset);
	size_t cnt = 0;

	if (s[0] == 'n')
		return 0;
	if (s[0] != '[')
		return type_error(d, json_kind(s[0]), "[]json.RawMessage");
	array_each(s, n, count_one, &cnt);
	if (cnt == 0)
		return 0;
	*ap = calloc(cnt, pbjson_elem_size(f));
	if (!*ap)
		return nomem(d);
	struct rep r = { f, *ap, np, d };
	return array_each(s, n, rep_elem, &r);
}

static int dec_field(const ProtobufCFieldDescriptor *f, const struct member *v,
    ProtobufCMessage *m, struct dec *d)
{
	char *base = (char *)m;
	int rc;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return dec_repeated(f, v->val, v->vlen, base, d);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *cs = (uint32_t *)(base + f->quantifier_offset);
		/* A null message leaves the oneof unset (Go's wrapper holds a
		 * nil pointer, which marshals to nothing); a null scalar sets
		 * the member to its zero value. */
		if (v->val[0] == 'n' && f->type == PROTOBUF_C_TYPE_MESSAGE)
			return 0;
		if (*cs && *cs != f->id) {
			const ProtobufCFieldDescriptor *old = protobuf_c_message_descriptor_get_field(m->descriptor, *cs);
			if (old)
				free_singular(old, base + old->offset);
		}
		if (*cs != f->id) {
			memset(base + f->offset, 0, pbjson_elem_size(f));
			if (f->type == PROTOBUF_C_TYPE_STRING)
				*(char **)(base + f->offset) = (char *)protobuf_c_empty_string;
		}
		*cs = f->id;
		return dec_value(f, v->val, v->vlen, base + f->offset, d) < 0 ? -1 : 0;
	}
	rc = dec_value(f, v->val, v->vlen, base + f->offset, d);
	if (rc < 0)
		return -1;
	if (rc == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return 0;
}

/* jsonpb's unmarshalValue for a message: s[0..n) is one checked value. */
static int dec_struct(const ProtobufCMessageDescriptor *md, const char *s, size_t n,
    ProtobufCMessage *m, struct dec *d)
{
	struct member *mem;
	char *arena = NULL;
	size_t cnt = 0;
	int rc = 0;

	if (s[0] == 'n')
		return 0;
	if (s[0] != '{')
		return type_error(d, json_kind(s[0]), "map[string]json.RawMessage");
	if (d->depth >= PBJSON_MAX_NESTING) {
		snprintf(d->err, d->errlen, "%s", cetcd_err_message(CETCD_E_TOO_MANY_OPS));
		return -1;
	}
	mem = object_members(s, n, &cnt, &arena);
	if (!mem)
		return nomem(d);
	d->depth++;
	/* Plain fields in order, then the oneof members. */
	for (int oneofs = 0; oneofs < 2 && rc == 0; oneofs++) {
		for (unsigned i = 0; i < md->n_fields && rc == 0; i++) {
			const ProtobufCFieldDescriptor *f = &md->fields[i];
			if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != !oneofs)
				continue;
			const struct member *v = find_member(mem, cnt, f);
			if (v)
				rc = dec_field(f, v, m, d);
		}
	}
	d->depth--;
	free(mem);
	free(arena);
	return rc;
}

ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc,
    const char *json, size_t len, char *err, size_t errlen)
{
	struct dec d = { err, errlen, 0 };
	size_t start, end;
	int rc = gojson_decode_first(json, len, &start, &end, err, errlen);
	ProtobufCMessage *m;

	if (rc == GOJSON_ERROR)
		return NULL;
	m = malloc(desc->sizeof_message);
	if (!m) {
		nomem(&d);
		return NULL;
	}
	protobuf_c_message_init(desc, m);
	/* io.EOF, a body of nothing but white space, is an empty request. */
	if (rc == GOJSON_EMPTY)
		return m;
	if (dec_struct(desc, json + start, end - start, m, &d)) {
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	return m;
}
