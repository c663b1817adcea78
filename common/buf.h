/*
 * buf: a growable byte buffer with a hard size cap, and a read cursor with
 * checked getters.
 *
 * Every byte that arrives from outside the process (clients, peers, the
 * other cetcd process) is held in a struct buf and parsed only through a
 * struct buf_reader, so that no parser can read past the end of what it was
 * given and no peer can make us grow a buffer without bound.
 *
 * Errors are negative errno values:
 *   -ENOBUFS    the operation would take the buffer past its cap_max
 *   -ENOMEM     allocation failed (below the cap)
 *   -ENODATA    a getter needs more bytes than remain in the reader
 *   -EOVERFLOW  a varint is longer than 10 bytes or does not fit 64 bits
 * A failed call leaves the buffer / reader exactly as it was.
 *
 * Not thread-safe: one owner at a time.
 */
#ifndef CETCD_COMMON_BUF_H
#define CETCD_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

/* The longest encoding of a 64-bit varint (protobuf / Go encoding/binary). */
#define BUF_VARINT_MAX 10

struct buf {
	uint8_t *base;  /* allocation, NULL until the first append */
	size_t start;   /* offset of the first live byte in base */
	size_t len;     /* number of live bytes */
	size_t alloc;   /* bytes allocated at base; never above cap_max */
	size_t cap_max; /* hard cap on live bytes and on the allocation */
};

/* Initialises an empty buffer that will never hold more than cap_max bytes.
 * Allocates nothing. */
void buf_init(struct buf *b, size_t cap_max);
/* Releases the memory; the buffer is left empty and may be reused. */
void buf_free(struct buf *b);

/* The live bytes: valid until the next call that modifies the buffer. */
static inline uint8_t *buf_data(const struct buf *b) { return b->base ? b->base + b->start : NULL; }
static inline size_t buf_len(const struct buf *b) { return b->len; }
/* How many more bytes may be appended before the cap is reached. */
static inline size_t buf_room(const struct buf *b) { return b->cap_max - b->len; }

/* Ensures n bytes can be written at buf_tail() without reallocation.
 * Returns 0, -ENOBUFS (len + n > cap_max: nothing changes) or -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Where the next byte goes; valid after a successful buf_reserve. */
static inline uint8_t *buf_tail(const struct buf *b) { return b->base + b->start + b->len; }
/* Declares that n bytes were written at buf_tail(); n must not exceed what
 * was reserved (checked with assert). */
void buf_commit(struct buf *b, size_t n);

/* Appends n bytes (or fails as buf_reserve). */
int buf_append(struct buf *b, const void *data, size_t n);
/* Appends a NUL-free string without its terminator. */
int buf_append_str(struct buf *b, const char *s);
/* Appends printf-formatted text (no terminator).  -ENOBUFS if it would not
 * fit under the cap, in which case nothing is appended. */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16be(struct buf *b, uint16_t v);
int buf_put_u32be(struct buf *b, uint32_t v);
int buf_put_u64be(struct buf *b, uint64_t v);
/* Unsigned LEB128 (protobuf varint, Go binary.PutUvarint). */
int buf_put_uvarint(struct buf *b, uint64_t v);
/* Zig-zag signed varint (Go binary.PutVarint; protobuf sint64). */
int buf_put_varint(struct buf *b, int64_t v);

/* Drops the first n bytes (n > buf_len drops everything). O(1): the space
 * is reclaimed lazily by buf_reserve. */
void buf_consume(struct buf *b, size_t n);
/* Drops everything but keeps the allocation. */
void buf_reset(struct buf *b);
/* Cuts the live bytes back to the first n (n >= buf_len does nothing):
 * undoes appends made since buf_len() was n. */
void buf_truncate(struct buf *b, size_t n);

/*
 * A read cursor over bytes it does not own (a struct buf's data, a frame
 * payload, a file record).  Getters advance the cursor only on success.
 */
struct buf_reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

void buf_reader_init(struct buf_reader *r, const void *data, size_t len);
static inline size_t buf_reader_remaining(const struct buf_reader *r) { return r->len - r->pos; }

int buf_get_u8(struct buf_reader *r, uint8_t *out);
int buf_get_u16be(struct buf_reader *r, uint16_t *out);
int buf_get_u32be(struct buf_reader *r, uint32_t *out);
int buf_get_u64be(struct buf_reader *r, uint64_t *out);
/* Go binary.Uvarint semantics: at most 10 bytes, the 10th at most 1;
 * -ENODATA if the input ends inside the varint, -EOVERFLOW if too long. */
int buf_get_uvarint(struct buf_reader *r, uint64_t *out);
/* Zig-zag decoding of a uvarint (Go binary.Varint). */
int buf_get_varint(struct buf_reader *r, int64_t *out);
/* Points *out at the next n bytes without copying (the pointer is into the
 * reader's data and lives as long as it does). */
int buf_get_bytes(struct buf_reader *r, size_t n, const uint8_t **out);
/* Copies the next n bytes to dst. */
int buf_get_copy(struct buf_reader *r, void *dst, size_t n);
int buf_skip(struct buf_reader *r, size_t n);

#endif
