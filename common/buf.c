/*
 * buf.c: growable byte buffer with a hard cap, and checked big-endian and
 * varint getters over a read cursor.  Used by both cetcd and cetcd-storaged.
 *
 * Owns: the heap block behind each struct buf (nothing global).
 * Never: grows an allocation past cap_max, reads past a reader's end, or
 * changes a buffer or reader when a call fails.
 *
 * Layout of a struct buf:
 *
 *   base                start            start+len            alloc
 *    |<-- consumed ----->|<--- live ------->|<--- free tail ---->|
 *
 * buf_consume only moves `start`; buf_reserve first slides the live bytes
 * back to base when that makes enough room, and reallocates otherwise.
 */
#include "common/buf.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation: small enough for tiny messages, big enough that a
 * typical request does not reallocate several times. */
#define BUF_MIN_ALLOC 256

void buf_init(struct buf *b, size_t cap_max)
{
	b->base = NULL;
	b->start = 0;
	b->len = 0;
	b->alloc = 0;
	b->cap_max = cap_max;
}

void buf_free(struct buf *b)
{
	free(b->base);
	buf_init(b, b->cap_max);
}

void buf_reset(struct buf *b)
{
	b->start = 0;
	b->len = 0;
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len)
		b->len = n;
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, size;
	uint8_t *p;

	if (n > b->cap_max - b->len)
		return -ENOBUFS;
	need = b->len + n;
	if (b->start + need <= b->alloc)
		return 0;
	if (need <= b->alloc) {
		/* Enough room if the consumed prefix is reclaimed. */
		memmove(b->base, b->base + b->start, b->len);
		b->start = 0;
		return 0;
	}
	/* Double, but never above the cap (need <= cap_max here). */
	size = b->alloc ? b->alloc : BUF_MIN_ALLOC;
	while (size < need) {
		if (size > b->cap_max / 2) {
			size = b->cap_max;
			break;
		}
		size *= 2;
	}
	if (size > b->cap_max)
		size = b->cap_max;
	if (b->start > 0) {
		/* Compact first so realloc copies only live bytes. */
		memmove(b->base, b->base + b->start, b->len);
		b->start = 0;
	}
	p = realloc(b->base, size);
	if (p == NULL)
		return -ENOMEM;
	b->base = p;
	b->alloc = size;
	return 0;
}

void buf_commit(struct buf *b, size_t n)
{
	assert(b->start + b->len + n <= b->alloc);
	b->len += n;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = buf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(buf_tail(b), data, n);
	b->len += n;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;
	char *tmp;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = buf_reserve(b, (size_t)n);
	if (rc < 0 || n == 0)
		return rc;
	va_start(ap, fmt);
	if (b->alloc - b->start - b->len > (size_t)n) {
		vsnprintf((char *)buf_tail(b), (size_t)n + 1, fmt, ap);
	} else {
		/* No room for vsnprintf's terminator at the very end of the
		 * allocation (we may be exactly at the cap): go through a copy. */
		tmp = malloc((size_t)n + 1);
		if (tmp == NULL) {
			va_end(ap);
			return -ENOMEM;
		}
		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		memcpy(buf_tail(b), tmp, (size_t)n);
		free(tmp);
	}
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_put_u16be(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_append(b, x, sizeof(x));
}

int buf_put_u32be(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return buf_append(b, x, sizeof(x));
}

int buf_put_u64be(struct buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 7; i >= 0; i--) {
		x[i] = (uint8_t)v;
		v >>= 8;
	}
	return buf_append(b, x, sizeof(x));
}

int buf_put_uvarint(struct buf *b, uint64_t v)
{
	uint8_t x[BUF_VARINT_MAX];
	size_t n = 0;

	while (v >= 0x80) {
		x[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	x[n++] = (uint8_t)v;
	return buf_append(b, x, n);
}

int buf_put_varint(struct buf *b, int64_t v)
{
	uint64_t zz = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	return buf_put_uvarint(b, zz);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->start = 0;
		b->len = 0;
		return;
	}
	b->start += n;
	b->len -= n;
}

void buf_reader_init(struct buf_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->len = data ? len : 0;
	r->pos = 0;
}

int buf_get_u8(struct buf_reader *r, uint8_t *out)
{
	if (buf_reader_remaining(r) < 1)
		return -ENODATA;
	*out = r->p[r->pos++];
	return 0;
}

int buf_get_u16be(struct buf_reader *r, uint16_t *out)
{
	const uint8_t *p;

	if (buf_reader_remaining(r) < 2)
		return -ENODATA;
	p = r->p + r->pos;
	*out = (uint16_t)((uint16_t)p[0] << 8 | p[1]);
	r->pos += 2;
	return 0;
}

int buf_get_u32be(struct buf_reader *r, uint32_t *out)
{
	const uint8_t *p;

	if (buf_reader_remaining(r) < 4)
		return -ENODATA;
	p = r->p + r->pos;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	r->pos += 4;
	return 0;
}

int buf_get_u64be(struct buf_reader *r, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;
	int i;

	if (buf_reader_remaining(r) < 8)
		return -ENODATA;
	p = r->p + r->pos;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*out = v;
	r->pos += 8;
	return 0;
}

int buf_get_uvarint(struct buf_reader *r, uint64_t *out)
{
	uint64_t v = 0;
	size_t i, avail = buf_reader_remaining(r);
	const uint8_t *p = r->p + r->pos;

	for (i = 0; i < BUF_VARINT_MAX; i++) {
		if (i >= avail)
			return -ENODATA;
		/* As Go's binary.Uvarint: the 10th byte may only carry bit 63. */
		if (i == BUF_VARINT_MAX - 1 && p[i] > 1)
			return -EOVERFLOW;
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (p[i] < 0x80) {
			*out = v;
			r->pos += i + 1;
			return 0;
		}
	}
	return -EOVERFLOW;
}

int buf_get_varint(struct buf_reader *r, int64_t *out)
{
	uint64_t u;
	int rc = buf_get_uvarint(r, &u);

	if (rc < 0)
		return rc;
	*out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int buf_get_bytes(struct buf_reader *r, size_t n, const uint8_t **out)
{
	if (buf_reader_remaining(r) < n)
		return -ENODATA;
	*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

int buf_get_copy(struct buf_reader *r, void *dst, size_t n)
{
	if (buf_reader_remaining(r) < n)
		return -ENODATA;
	if (n > 0)
		memcpy(dst, r->p + r->pos, n);
	r->pos += n;
	return 0;
}

int buf_skip(struct buf_reader *r, size_t n)
{
	if (buf_reader_remaining(r) < n)
		return -ENODATA;
	r->pos += n;
	return 0;
}
