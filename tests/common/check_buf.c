/*
 * check_buf.c: unit tests for common/buf (capped growable buffer and
 * checked getters).  Runs in the test process only; no files, no sockets.
 */
#include "common/buf.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_append_and_consume)
{
	struct buf b;
	int i;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(buf_len(&b), 0);
	ck_assert_int_eq(buf_append(&b, "hello", 5), 0);
	ck_assert_int_eq(buf_append_str(&b, " world"), 0);
	ck_assert_int_eq(buf_len(&b), 11);
	ck_assert_mem_eq(buf_data(&b), "hello world", 11);
	buf_consume(&b, 6);
	ck_assert_int_eq(buf_len(&b), 5);
	ck_assert_mem_eq(buf_data(&b), "world", 5);
	/* Grow well past the first allocation; contents stay in order. */
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_put_u8(&b, (uint8_t)i), 0);
	ck_assert_int_eq(buf_len(&b), 10005);
	ck_assert_mem_eq(buf_data(&b), "world", 5);
	for (i = 0; i < 10000; i++)
		ck_assert_uint_eq(buf_data(&b)[5 + i], (uint8_t)i);
	buf_consume(&b, 100000);
	ck_assert_int_eq(buf_len(&b), 0);
	buf_free(&b);
	ck_assert_ptr_null(b.base);
}
END_TEST

START_TEST(test_cap_is_hard)
{
	struct buf b;
	uint8_t chunk[100];

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 1000);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(buf_append(&b, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(buf_len(&b), 1000);
	ck_assert_int_eq(buf_room(&b), 0);
	/* Full: any append fails, the buffer is unchanged. */
	ck_assert_int_eq(buf_append(&b, chunk, 1), -ENOBUFS);
	ck_assert_int_eq(buf_put_u64be(&b, 1), -ENOBUFS);
	ck_assert_int_eq(buf_reserve(&b, 1), -ENOBUFS);
	ck_assert_int_eq(buf_appendf(&b, "%d", 1), -ENOBUFS);
	ck_assert_int_eq(buf_len(&b), 1000);
	ck_assert_uint_le(b.alloc, 1000);
	/* Consuming makes room again without growing the allocation. */
	buf_consume(&b, 300);
	ck_assert_int_eq(buf_append(&b, chunk, 100), 0);
	ck_assert_int_eq(buf_append(&b, chunk, 100), 0);
	ck_assert_int_eq(buf_append(&b, chunk, 100), 0);
	ck_assert_int_eq(buf_append(&b, chunk, 1), -ENOBUFS);
	ck_assert_uint_le(b.alloc, 1000);
	ck_assert_int_eq(buf_len(&b), 1000);
	buf_free(&b);

	/* A single append bigger than the cap fails outright. */
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, chunk, 11), -ENOBUFS);
	ck_assert_int_eq(buf_len(&b), 0);
	ck_assert_int_eq(buf_append(&b, chunk, 10), 0);
	ck_assert_uint_le(b.alloc, 10);
	buf_free(&b);

	/* Huge requests must not overflow the size arithmetic. */
	buf_init(&b, 64);
	ck_assert_int_eq(buf_append(&b, chunk, 1), 0);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), -ENOBUFS);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX - 1), -ENOBUFS);
	buf_free(&b);
}
END_TEST

START_TEST(test_reserve_commit)
{
	struct buf b;

	buf_init(&b, 4096);
	ck_assert_int_eq(buf_reserve(&b, 300), 0);
	memset(buf_tail(&b), 'a', 300);
	buf_commit(&b, 120);
	ck_assert_int_eq(buf_len(&b), 120);
	buf_consume(&b, 100);
	/* Compaction on reserve keeps the live bytes. */
	ck_assert_int_eq(buf_reserve(&b, 4096 - 20), 0);
	ck_assert_int_eq(buf_len(&b), 20);
	ck_assert_int_eq(buf_data(&b)[0], 'a');
	ck_assert_int_eq(buf_data(&b)[19], 'a');
	buf_reset(&b);
	ck_assert_int_eq(buf_len(&b), 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_appendf)
{
	struct buf b;

	buf_init(&b, 16);
	ck_assert_int_eq(buf_appendf(&b, "%s=%d", "abc", 42), 0);
	ck_assert_int_eq(buf_len(&b), 6);
	ck_assert_mem_eq(buf_data(&b), "abc=42", 6);
	/* Exactly filling the cap works (no room for a terminator needed). */
	ck_assert_int_eq(buf_appendf(&b, "%010d", 7), 0);
	ck_assert_int_eq(buf_len(&b), 16);
	ck_assert_mem_eq(buf_data(&b), "abc=420000000007", 16);
	ck_assert_int_eq(buf_appendf(&b, "%s", ""), 0);
	ck_assert_int_eq(buf_appendf(&b, "x"), -ENOBUFS);
	buf_free(&b);
}
END_TEST

START_TEST(test_big_endian_roundtrip)
{
	struct buf b;
	struct buf_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	static const uint8_t expect[] = { 0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
					  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

	buf_init(&b, 64);
	ck_assert_int_eq(buf_put_u8(&b, 0xab), 0);
	ck_assert_int_eq(buf_put_u16be(&b, 0x1234), 0);
	ck_assert_int_eq(buf_put_u32be(&b, 0xdeadbeef), 0);
	ck_assert_int_eq(buf_put_u64be(&b, 0x0102030405060708ull), 0);
	ck_assert_int_eq(buf_len(&b), sizeof(expect));
	ck_assert_mem_eq(buf_data(&b), expect, sizeof(expect));

	buf_reader_init(&r, buf_data(&b), buf_len(&b));
	ck_assert_int_eq(buf_get_u8(&r, &u8), 0);
	ck_assert_uint_eq(u8, 0xab);
	ck_assert_int_eq(buf_get_u16be(&r, &u16), 0);
	ck_assert_uint_eq(u16, 0x1234);
	ck_assert_int_eq(buf_get_u32be(&r, &u32), 0);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert_int_eq(buf_get_u64be(&r, &u64), 0);
	ck_assert_uint_eq(u64, 0x0102030405060708ull);
	ck_assert_int_eq(buf_reader_remaining(&r), 0);
	ck_assert_int_eq(buf_get_u8(&r, &u8), -ENODATA);
	buf_free(&b);
}
END_TEST

START_TEST(test_getters_never_overrun)
{
	/* Each getter on every too-short prefix fails and leaves pos alone;
	 * the data is copied to an exact-size heap block so ASan catches any
	 * read past the end. */
	static const uint8_t src[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct buf_reader r;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *p;
	uint8_t dst[8];

	for (size_t n = 0; n < 8; n++) {
		uint8_t *heap = malloc(n ? n : 1);

		memcpy(heap, src, n);
		buf_reader_init(&r, heap, n);
		if (n < 2)
			ck_assert_int_eq(buf_get_u16be(&r, &u16), -ENODATA);
		if (n < 4)
			ck_assert_int_eq(buf_get_u32be(&r, &u32), -ENODATA);
		ck_assert_int_eq(buf_get_u64be(&r, &u64), -ENODATA);
		ck_assert_int_eq(buf_get_bytes(&r, n + 1, &p), -ENODATA);
		ck_assert_int_eq(buf_get_copy(&r, dst, n + 1), -ENODATA);
		ck_assert_int_eq(buf_skip(&r, n + 1), -ENODATA);
		ck_assert_int_eq(buf_skip(&r, SIZE_MAX), -ENODATA);
		ck_assert_int_eq(r.pos, 0);
		ck_assert_int_eq(buf_get_bytes(&r, n, &p), 0);
		ck_assert_int_eq(buf_reader_remaining(&r), 0);
		free(heap);
	}
	/* A NULL reader is an empty reader. */
	buf_reader_init(&r, NULL, 5);
	ck_assert_int_eq(buf_reader_remaining(&r), 0);
}
END_TEST

START_TEST(test_varints)
{
	static const uint64_t uvals[] = { 0, 1, 127, 128, 300, 16383, 16384, (1ull << 32) - 1,
					  1ull << 32, (1ull << 63) - 1, 1ull << 63, UINT64_MAX };
	static const int64_t svals[] = { 0, -1, 1, -64, 64, INT64_MIN, INT64_MAX, -123456789 };
	struct buf b;
	struct buf_reader r;
	uint64_t u;
	int64_t s;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < sizeof(uvals) / sizeof(uvals[0]); i++)
		ck_assert_int_eq(buf_put_uvarint(&b, uvals[i]), 0);
	for (i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
		ck_assert_int_eq(buf_put_varint(&b, svals[i]), 0);
	buf_reader_init(&r, buf_data(&b), buf_len(&b));
	for (i = 0; i < sizeof(uvals) / sizeof(uvals[0]); i++) {
		ck_assert_int_eq(buf_get_uvarint(&r, &u), 0);
		ck_assert_uint_eq(u, uvals[i]);
	}
	for (i = 0; i < sizeof(svals) / sizeof(svals[0]); i++) {
		ck_assert_int_eq(buf_get_varint(&r, &s), 0);
		ck_assert_int_eq(s, svals[i]);
	}
	ck_assert_int_eq(buf_reader_remaining(&r), 0);
	buf_free(&b);

	/* Known encodings: 300 = ac 02 (protobuf docs); UINT64_MAX = 9 x ff, 01;
	 * zig-zag -1 = 01. */
	buf_init(&b, 64);
	buf_put_uvarint(&b, 300);
	ck_assert_int_eq(buf_len(&b), 2);
	ck_assert_mem_eq(buf_data(&b), "\xac\x02", 2);
	buf_reset(&b);
	buf_put_uvarint(&b, UINT64_MAX);
	ck_assert_int_eq(buf_len(&b), 10);
	ck_assert_mem_eq(buf_data(&b), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	buf_reset(&b);
	buf_put_varint(&b, -1);
	ck_assert_mem_eq(buf_data(&b), "\x01", 1);
	buf_free(&b);
}
END_TEST

START_TEST(test_varint_malformed)
{
	struct buf_reader r;
	uint64_t u = 42;

	/* Truncated inside the varint. */
	buf_reader_init(&r, "\x80\x80", 2);
	ck_assert_int_eq(buf_get_uvarint(&r, &u), -ENODATA);
	ck_assert_int_eq(r.pos, 0);
	ck_assert_uint_eq(u, 42);
	buf_reader_init(&r, "", 0);
	ck_assert_int_eq(buf_get_uvarint(&r, &u), -ENODATA);
	/* 10th byte > 1 overflows 64 bits (Go binary.Uvarint rejects it). */
	buf_reader_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	ck_assert_int_eq(buf_get_uvarint(&r, &u), -EOVERFLOW);
	ck_assert_int_eq(r.pos, 0);
	/* 11 bytes of continuation. */
	buf_reader_init(&r, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
	ck_assert_int_eq(buf_get_uvarint(&r, &u), -EOVERFLOW);
	/* Non-minimal but in range is accepted, as Go does. */
	buf_reader_init(&r, "\x81\x80\x00", 3);
	ck_assert_int_eq(buf_get_uvarint(&r, &u), 0);
	ck_assert_uint_eq(u, 1);
	ck_assert_int_eq(r.pos, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_append_and_consume);
	tcase_add_test(tc, test_cap_is_hard);
	tcase_add_test(tc, test_reserve_commit);
	tcase_add_test(tc, test_appendf);
	tcase_add_test(tc, test_big_endian_roundtrip);
	tcase_add_test(tc, test_getters_never_overrun);
	tcase_add_test(tc, test_varints);
	tcase_add_test(tc, test_varint_malformed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
