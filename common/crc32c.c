/*
 * crc32c.c: CRC-32C with Go crc32.Update semantics (see crc32c.h).
 *
 * Owns: the slicing-by-8 tables and the choice of implementation, both set
 * once under pthread_once and read-only afterwards.
 * Never: allocates, blocks, or keeps state between calls.
 *
 * Two implementations give identical results:
 *   hw  the SSE4.2 crc32 instruction (x86-64), 8 bytes per instruction;
 *   sw  slicing-by-8 (8 tables of 256 entries), portable.
 */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define CRC32C_HAVE_X86 1
#else
#define CRC32C_HAVE_X86 0
#endif

/* Castagnoli polynomial, bit-reflected (as Go's crc32.Castagnoli). */
#define CRC32C_POLY 0x82F63B78u

static uint32_t crc32c_table[8][256];
static bool crc32c_use_hw;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	uint32_t crc;
	int i, j, k;

	for (i = 0; i < 256; i++) {
		crc = (uint32_t)i;
		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ (CRC32C_POLY & (0u - (crc & 1)));
		crc32c_table[0][i] = crc;
	}
	/* table[k][i] is the CRC of byte i followed by k zero bytes. */
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc32c_table[k][i] = (crc32c_table[k - 1][i] >> 8) ^
					     crc32c_table[0][crc32c_table[k - 1][i] & 0xff];
#if CRC32C_HAVE_X86
	__builtin_cpu_init();
	crc32c_use_hw = __builtin_cpu_supports("sse4.2");
#endif
}

bool crc32c_hw_available(void)
{
	pthread_once(&crc32c_once, crc32c_init);
	return crc32c_use_hw;
}

uint32_t crc32c_update_sw(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c, lo, hi;

	pthread_once(&crc32c_once, crc32c_init);
	c = ~crc;
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = crc32c_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
		len--;
	}
	while (len >= 8) {
		/* Little-endian assembly, byte by byte: no alignment or
		 * endianness assumptions. */
		lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		c = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		    crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		    crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
		    crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		c = crc32c_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
		len--;
	}
	return ~c;
}

#if CRC32C_HAVE_X86
__attribute__((target("sse4.2")))
uint32_t crc32c_update_hw(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = ~crc;

	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = _mm_crc32_u8(c, *p++);
		len--;
	}
#if defined(__x86_64__)
	{
		uint64_t c64 = c, w;

		while (len >= 8) {
			memcpy(&w, p, 8);
			c64 = _mm_crc32_u64(c64, w);
			p += 8;
			len -= 8;
		}
		c = (uint32_t)c64;
	}
#endif
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		c = _mm_crc32_u32(c, w);
		p += 4;
		len -= 4;
	}
	while (len > 0) {
		c = _mm_crc32_u8(c, *p++);
		len--;
	}
	return ~c;
}
#else
uint32_t crc32c_update_hw(uint32_t crc, const void *data, size_t len)
{
	return crc32c_update_sw(crc, data, len);
}
#endif

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	if (crc32c_use_hw)
		return crc32c_update_hw(crc, data, len);
	return crc32c_update_sw(crc, data, len);
}
