/*
 * check_crc32c.c: unit tests for common/crc32c: standard vectors, Go
 * crc32.Update chaining, hardware and table paths agreeing, and the CRCs of
 * a WAL written by real etcd 3.4 (tests/common/fixtures, see README there).
 */
#include "common/buf.h"
#include "common/crc32c.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

/* The implementations to test: always the table one and the dispatcher,
 * the SSE4.2 one when this CPU has it. */
static crc_fn impls[3];
static int n_impls;

static void setup_impls(void)
{
	n_impls = 0;
	impls[n_impls++] = crc32c_update;
	impls[n_impls++] = crc32c_update_sw;
	if (crc32c_hw_available())
		impls[n_impls++] = crc32c_update_hw;
}

START_TEST(test_check_value)
{
	setup_impls();
	for (int i = 0; i < n_impls; i++) {
		ck_assert_uint_eq(impls[i](0, "123456789", 9), 0xE3069283u);
		ck_assert_uint_eq(impls[i](0, "", 0), 0);
		ck_assert_uint_eq(impls[i](0x12345678, "", 0), 0x12345678);
	}
}
END_TEST

START_TEST(test_rfc3720_vectors)
{
	/* iSCSI (RFC 3720 B.4) test patterns. */
	uint8_t zeros[32], ones[32], inc[32], dec[32];

	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	setup_impls();
	for (int i = 0; i < n_impls; i++) {
		ck_assert_uint_eq(impls[i](0, zeros, 32), 0x8A9136AAu);
		ck_assert_uint_eq(impls[i](0, ones, 32), 0x62A8AB43u);
		ck_assert_uint_eq(impls[i](0, inc, 32), 0x46DD794Eu);
		ck_assert_uint_eq(impls[i](0, dec, 32), 0x113FDB5Cu);
	}
}
END_TEST

START_TEST(test_chaining_and_paths_agree)
{
	/* Every length 0..300 at every alignment 0..7, split at every 17th
	 * point: chained == one shot, and all implementations agree. */
	uint8_t *data = malloc(320);
	uint32_t lcg = 12345;

	for (int i = 0; i < 320; i++) {
		lcg = lcg * 1103515245u + 12345u;
		data[i] = (uint8_t)(lcg >> 16);
	}
	setup_impls();
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 300; len++) {
			uint32_t ref = crc32c_update_sw(0, data + off, len);

			for (int i = 0; i < n_impls; i++) {
				ck_assert_uint_eq(impls[i](0, data + off, len), ref);
				for (size_t cut = 0; cut <= len; cut += 17) {
					uint32_t c = impls[i](0, data + off, cut);

					c = impls[i](c, data + off + cut, len - cut);
					ck_assert_uint_eq(c, ref);
				}
			}
		}
	}
	free(data);
}
END_TEST

static uint8_t *read_fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	uint8_t *p;
	long n;

	snprintf(path, sizeof(path), "%s/tests/common/fixtures/%s", top ? top : CETCD_TOP_SRCDIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Decodes walpb.Record {int64 type = 1; uint32 crc = 2; bytes data = 3}. */
static void decode_record(const uint8_t *p, size_t len, int64_t *type, uint32_t *crc,
			  const uint8_t **data, size_t *data_len)
{
	struct buf_reader r;
	uint64_t key, v;

	*type = 0;
	*crc = 0;
	*data = NULL;
	*data_len = 0;
	buf_reader_init(&r, p, len);
	while (buf_reader_remaining(&r) > 0) {
		ck_assert_int_eq(buf_get_uvarint(&r, &key), 0);
		ck_assert_int_eq(buf_get_uvarint(&r, &v), 0);
		switch (key) {
		case (1 << 3) | 0:
			*type = (int64_t)v;
			break;
		case (2 << 3) | 0:
			*crc = (uint32_t)v;
			break;
		case (3 << 3) | 2:
			*data_len = v;
			ck_assert_int_eq(buf_get_bytes(&r, v, data), 0);
			break;
		default:
			ck_abort_msg("unexpected field key %llu", (unsigned long long)key);
		}
	}
}

START_TEST(test_etcd_wal_chain)
{
	size_t len, nrec = 0;
	uint8_t *wal = read_fixture("etcd-3.4.23-wal-head.bin", &len);
	struct buf_reader r;
	uint32_t chain = 0;

	setup_impls();
	buf_reader_init(&r, wal, len);
	while (buf_reader_remaining(&r) >= 8) {
		uint8_t lf_bytes[8];
		uint64_t lf = 0;
		size_t rec_len, pad;
		const uint8_t *rec, *data;
		size_t data_len;
		int64_t type;
		uint32_t crc;

		/* wal/encoder.go: little-endian length field; the top byte has
		 * 0x80 | padding when the record is padded to 8 bytes. */
		ck_assert_int_eq(buf_get_copy(&r, lf_bytes, 8), 0);
		for (int i = 7; i >= 0; i--)
			lf = lf << 8 | lf_bytes[i];
		rec_len = lf & 0x00ffffffffffffffull;
		pad = (lf >> 63) ? (lf >> 56) & 7 : 0;
		ck_assert_int_eq(buf_get_bytes(&r, rec_len, &rec), 0);
		ck_assert_int_eq(buf_skip(&r, pad), 0);
		decode_record(rec, rec_len, &type, &crc, &data, &data_len);
		if (nrec == 0) {
			/* First record of the first segment: crcType, CRC 0. */
			ck_assert_int_eq(type, 4);
			ck_assert_uint_eq(crc, 0);
		}
		for (int i = 0; i < n_impls; i++)
			ck_assert_uint_eq(impls[i](chain, data, data_len), crc);
		chain = crc;
		nrec++;
	}
	ck_assert_uint_eq(nrec, 17);
	ck_assert_uint_ne(chain, 0);
	free(wal);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	printf("crc32c: SSE4.2 path %s\n", crc32c_hw_available() ? "available and tested" : "not available");
	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_rfc3720_vectors);
	tcase_add_test(tc, test_chaining_and_paths_agree);
	tcase_add_test(tc, test_etcd_wal_chain);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
