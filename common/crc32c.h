/*
 * crc32c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of etcd's WAL records and of cetcd-storaged's on-disk formats.
 *
 * crc32c_update(crc, data, len) is exactly Go's
 * crc32.Update(crc, crc32.MakeTable(crc32.Castagnoli), data): it takes a
 * finished CRC (not the raw register), inverts it, folds in the bytes and
 * inverts again.  Hence:
 *   crc32c_update(0, "123456789", 9) == 0xE3069283        (the check value)
 *   crc32c_update(crc32c_update(0, a), b) == crc32c_update(0, a || b)
 * etcd's WAL encoder chains records this way: each record's CRC is
 * crc32.Update(previous record's CRC, castagnoli, record data), starting
 * from 0 in a new WAL and from the CRC saved in the crcType record at the
 * head of each later segment (wal/encoder.go, wal/decoder.go).  Passing the
 * previous value to crc32c_update reproduces those CRCs bit for bit.
 *
 * Thread-safe; the first call picks the implementation once (SSE4.2 crc32
 * instruction when the CPU has it, slicing-by-8 tables otherwise).
 */
#ifndef CETCD_COMMON_CRC32C_H
#define CETCD_COMMON_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);

/* For tests and benchmarks: the two implementations behind crc32c_update.
 * crc32c_update_hw may be called only when crc32c_hw_available(). */
bool crc32c_hw_available(void);
uint32_t crc32c_update_sw(uint32_t crc, const void *data, size_t len);
uint32_t crc32c_update_hw(uint32_t crc, const void *data, size_t len);

#endif
