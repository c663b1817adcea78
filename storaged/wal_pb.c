/*
 * wal_pb.c - hand-rolled protobuf for the WAL and snapshot file messages
 * (see wal_pb.h for the schemas).
 *
 * Pure functions: no allocation, no I/O, no global state.  Every decoder
 * checks each length against the span it was given, because its input comes
 * from disk and may be torn or corrupt.
 */
#include <string.h>

#include "storaged/wal_pb.h"

/* Wire types (protobuf encoding spec). */
enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

#define PB_TAG(field, wt) ((uint64_t)(field) << 3 | (wt))

size_t wal_pb_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t wal_pb_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int wal_pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;
	unsigned shift = 0;

	while (q < end && shift < 64) {
		uint8_t b = *q++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*p = q;
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* Skips the value of a field of wire type wt; -1 if it does not fit. */
static int pb_skip(const uint8_t **p, const uint8_t *end, unsigned wt)
{
	uint64_t v;

	switch (wt) {
	case PB_VARINT:
		return wal_pb_get_varint(p, end, &v);
	case PB_FIXED64:
		if (end - *p < 8)
			return -1;
		*p += 8;
		return 0;
	case PB_FIXED32:
		if (end - *p < 4)
			return -1;
		*p += 4;
		return 0;
	case PB_LEN:
		if (wal_pb_get_varint(p, end, &v) != 0 || v > (uint64_t)(end - *p))
			return -1;
		*p += v;
		return 0;
	default:		/* groups are not used by these messages */
		return -1;
	}
}

/* Reads a tag; field number 0 is invalid in protobuf, which is also what a
 * run of zero bytes decodes to, so zeroed (torn) data fails here. */
static int pb_tag(const uint8_t **p, const uint8_t *end, uint64_t *field,
    unsigned *wt)
{
	uint64_t t;

	if (wal_pb_get_varint(p, end, &t) != 0 || (t >> 3) == 0 ||
	    (t >> 3) > 0x1fffffff)
		return -1;
	*field = t >> 3;
	*wt = (unsigned)(t & 7);
	return 0;
}

size_t wal_pb_record_size(int64_t type, uint32_t crc, bool has_data, size_t len)
{
	size_t n = 1 + wal_pb_varint_size((uint64_t)type) + 1 +
	    wal_pb_varint_size(crc);

	if (has_data)
		n += 1 + wal_pb_varint_size(len) + len;
	return n;
}

size_t wal_pb_record_encode(uint8_t *out, int64_t type, uint32_t crc,
    bool has_data, const void *data, size_t len)
{
	size_t n = 0;

	out[n++] = PB_TAG(1, PB_VARINT);
	n += wal_pb_put_varint(out + n, (uint64_t)type);
	out[n++] = PB_TAG(2, PB_VARINT);
	n += wal_pb_put_varint(out + n, crc);
	if (has_data) {
		out[n++] = PB_TAG(3, PB_LEN);
		n += wal_pb_put_varint(out + n, len);
		if (len)
			memcpy(out + n, data, len);
		n += len;
	}
	return n;
}

int wal_pb_record_decode(const uint8_t *buf, size_t len, struct wal_pb_record *rec)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t field, v;
	unsigned wt;

	memset(rec, 0, sizeof(*rec));
	while (p < end) {
		if (pb_tag(&p, end, &field, &wt) != 0)
			return -1;
		if (field == 1 && wt == PB_VARINT) {
			if (wal_pb_get_varint(&p, end, &v) != 0)
				return -1;
			rec->type = (int64_t)v;
		} else if (field == 2 && wt == PB_VARINT) {
			if (wal_pb_get_varint(&p, end, &v) != 0 || v > UINT32_MAX)
				return -1;
			rec->crc = (uint32_t)v;
		} else if (field == 3 && wt == PB_LEN) {
			if (wal_pb_get_varint(&p, end, &v) != 0 ||
			    v > (uint64_t)(end - p))
				return -1;
			rec->has_data = true;
			rec->data = p;
			rec->len = (size_t)v;
			p += v;
		} else if (pb_skip(&p, end, wt) != 0) {
			return -1;
		}
	}
	return 0;
}

size_t wal_pb_snapshot_encode(uint8_t *out, uint64_t index, uint64_t term)
{
	size_t n = 0;

	out[n++] = PB_TAG(1, PB_VARINT);
	n += wal_pb_put_varint(out + n, index);
	out[n++] = PB_TAG(2, PB_VARINT);
	n += wal_pb_put_varint(out + n, term);
	return n;
}

/* Decodes a message made of varint fields 1..3 into vals[0..2] (0 when
 * absent), skipping anything else. */
static int pb_varints3(const uint8_t *buf, size_t len, uint64_t vals[3],
    uint64_t first_field)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t field, v;
	unsigned wt;

	vals[0] = vals[1] = vals[2] = 0;
	while (p < end) {
		if (pb_tag(&p, end, &field, &wt) != 0)
			return -1;
		if (wt == PB_VARINT && field >= first_field &&
		    field < first_field + 3) {
			if (wal_pb_get_varint(&p, end, &v) != 0)
				return -1;
			vals[field - first_field] = v;
		} else if (pb_skip(&p, end, wt) != 0) {
			return -1;
		}
	}
	return 0;
}

int wal_pb_snapshot_decode(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *term)
{
	uint64_t v[3];

	if (pb_varints3(buf, len, v, 1) != 0)
		return -1;
	*index = v[0];
	*term = v[1];
	return 0;
}

size_t wal_pb_snapfile_size(uint32_t crc, size_t len)
{
	return 1 + wal_pb_varint_size(crc) + 1 + wal_pb_varint_size(len) + len;
}

size_t wal_pb_snapfile_encode(uint8_t *out, uint32_t crc, const void *data,
    size_t len)
{
	size_t n = 0;

	out[n++] = PB_TAG(1, PB_VARINT);
	n += wal_pb_put_varint(out + n, crc);
	out[n++] = PB_TAG(2, PB_LEN);
	n += wal_pb_put_varint(out + n, len);
	if (len)
		memcpy(out + n, data, len);
	return n + len;
}

int wal_pb_snapfile_decode(const uint8_t *buf, size_t len, uint32_t *crc,
    const uint8_t **data, size_t *data_len)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t field, v;
	unsigned wt;

	*crc = 0;
	*data = NULL;
	*data_len = 0;
	while (p < end) {
		if (pb_tag(&p, end, &field, &wt) != 0)
			return -1;
		if (field == 1 && wt == PB_VARINT) {
			if (wal_pb_get_varint(&p, end, &v) != 0 || v > UINT32_MAX)
				return -1;
			*crc = (uint32_t)v;
		} else if (field == 2 && wt == PB_LEN) {
			if (wal_pb_get_varint(&p, end, &v) != 0 ||
			    v > (uint64_t)(end - p))
				return -1;
			*data = p;
			*data_len = (size_t)v;
			p += v;
		} else if (pb_skip(&p, end, wt) != 0) {
			return -1;
		}
	}
	return 0;
}

int wal_pb_entry_ids(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *term)
{
	uint64_t v[3];

	/* Type = 1, Term = 2, Index = 3; Data (4) is skipped by length. */
	if (pb_varints3(buf, len, v, 1) != 0)
		return -1;
	*term = v[1];
	*index = v[2];
	return 0;
}

size_t wal_pb_entry_size(size_t data_len)
{
	return 3 * (1 + WAL_PB_VARINT_MAX) + 1 + wal_pb_varint_size(data_len) +
	    data_len;
}

size_t wal_pb_entry_encode(uint8_t *out, int type, uint64_t term,
    uint64_t index, const void *data, size_t data_len)
{
	size_t n = 0;

	/* Field order and presence as etcd's gogoproto marshaller writes them:
	 * the non-nullable scalars always, Data when non-nil. */
	out[n++] = PB_TAG(1, PB_VARINT);
	n += wal_pb_put_varint(out + n, (uint64_t)(int64_t)type);
	out[n++] = PB_TAG(2, PB_VARINT);
	n += wal_pb_put_varint(out + n, term);
	out[n++] = PB_TAG(3, PB_VARINT);
	n += wal_pb_put_varint(out + n, index);
	if (data != NULL) {
		out[n++] = PB_TAG(4, PB_LEN);
		n += wal_pb_put_varint(out + n, data_len);
		if (data_len)
			memcpy(out + n, data, data_len);
		n += data_len;
	}
	return n;
}

int wal_pb_hardstate_commit(const uint8_t *buf, size_t len, uint64_t *commit)
{
	uint64_t v[3];

	if (pb_varints3(buf, len, v, 1) != 0)
		return -1;
	*commit = v[2];
	return 0;
}
