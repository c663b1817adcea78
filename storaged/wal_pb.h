/*
 * wal_pb.h - the few protobuf messages of etcd's WAL and snapshot files,
 * encoded and decoded by hand so that storaged/wal.c and storaged/snap.c do
 * not need protobuf-c and stay byte-compatible with etcd 3.4's files:
 *
 *   walpb.Record   { int64 type = 1; uint32 crc = 2; bytes data = 3; }
 *   walpb.Snapshot { uint64 index = 1; uint64 term = 2; }
 *   snappb.snapshot{ uint32 crc = 1; bytes data = 2; }
 *   raftpb.Entry   { EntryType Type = 1; uint64 Term = 2; uint64 Index = 3;
 *                    bytes Data = 4; }           (read: Term and Index only)
 *   raftpb.HardState { uint64 term = 1; uint64 vote = 2; uint64 commit = 3; }
 *
 * (wal/walpb/record.proto, etcdserver/api/snap/snappb/snap.proto,
 * raft/raftpb/raft.proto.)  Encoders write into a caller buffer sized with
 * the matching _size function; decoders take a bounded span and return -1 on
 * any malformed input, never reading past it.  Unknown fields are skipped as
 * protobuf requires.
 */
#ifndef CETCD_STORAGED_WAL_PB_H
#define CETCD_STORAGED_WAL_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_PB_VARINT_MAX 10

size_t wal_pb_varint_size(uint64_t v);
size_t wal_pb_put_varint(uint8_t *p, uint64_t v);
/* Reads one varint from [*p, end); advances *p.  -1 if truncated/overlong. */
int wal_pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

struct wal_pb_record {
	int64_t type;
	uint32_t crc;
	bool has_data;
	const uint8_t *data;	/* points into the decoded buffer */
	size_t len;
};

/* has_data false leaves field 3 out, as etcd's encoder does for the
 * crc record (nil Data). */
size_t wal_pb_record_size(int64_t type, uint32_t crc, bool has_data, size_t len);
size_t wal_pb_record_encode(uint8_t *out, int64_t type, uint32_t crc,
    bool has_data, const void *data, size_t len);
int wal_pb_record_decode(const uint8_t *buf, size_t len, struct wal_pb_record *rec);

/* walpb.Snapshot; gogoproto non-nullable fields are always written. */
size_t wal_pb_snapshot_encode(uint8_t *out, uint64_t index, uint64_t term);
int wal_pb_snapshot_decode(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *term);

/* snappb.snapshot */
size_t wal_pb_snapfile_size(uint32_t crc, size_t len);
size_t wal_pb_snapfile_encode(uint8_t *out, uint32_t crc, const void *data,
    size_t len);
int wal_pb_snapfile_decode(const uint8_t *buf, size_t len, uint32_t *crc,
    const uint8_t **data, size_t *data_len);

/* raftpb.Entry: Term and Index (0 when absent). */
int wal_pb_entry_ids(const uint8_t *buf, size_t len, uint64_t *index,
    uint64_t *term);
/* A complete raftpb.Entry, for tests, benchmarks and tools; size first. */
size_t wal_pb_entry_size(size_t data_len);
size_t wal_pb_entry_encode(uint8_t *out, int type, uint64_t term,
    uint64_t index, const void *data, size_t data_len);

/* raftpb.HardState: commit (0 when absent). */
int wal_pb_hardstate_commit(const uint8_t *buf, size_t len, uint64_t *commit);

#endif
