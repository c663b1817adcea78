/*
 * wal.h - cetcd-storaged's write-ahead log: Raft entries, hard state and
 * snapshot markers, made durable before anything is acknowledged.
 *
 * On disk it is etcd 3.4's WAL (wal/doc.go), byte for byte: a directory of
 * segment files named %016x-%016x.wal (sequence, index of the first entry
 * the segment may hold), preallocated to the segment size; each a stream of
 * frames
 *
 *   uint64 LE length word: low 56 bits = record bytes, top byte = 0x80|pad
 *                          when the record is followed by pad (1..7) zero
 *                          bytes, so that every length word is 8-aligned and
 *                          never torn
 *   walpb.Record { type, crc, data }
 *
 * where crc is CRC-32C chained over the data of every record since the
 * start of the WAL, and each segment opens with a crc record carrying the
 * chain value, then metadata, then the last hard state.  Record data:
 *   metadata  opaque bytes given to wal_create (etcd: etcdserverpb.Metadata)
 *   entry     an encoded raftpb.Entry (the caller encodes it)
 *   state     an encoded raftpb.HardState
 *   snapshot  walpb.Snapshot {index, term}
 *
 * Usage, one thread at a time per struct wal (it has no lock):
 *
 *   wal_exists(dir) ? wal_open(dir, snap_index, snap_term, ...)
 *                   : wal_create(dir, metadata, ...);
 *   for each Raft Ready batch (or several, for group commit):
 *       wal_save(w, entries, n, hard_state, len)   -- buffers, no I/O
 *   wal_sync(w)        -- one write + one fdatasync for all of them;
 *                         only now are they durable (acknowledge here)
 *   after a snapshot file is saved (snap_save first, as etcd does):
 *       wal_save_snapshot(w, index, term); wal_release_to(w, index)
 *   wal_close(w)
 *
 * Errors: every function returns WAL_OK (0) or a negative enum wal_status
 * and, when err is not NULL, fills it with a message naming the file and,
 * for corruption, the byte offset of the bad record.  Nothing exits or
 * aborts.  After a failed write, fdatasync, or segment cut the WAL is
 * unusable (sticky WAL_EFAILED): on Linux a failed fsync may have dropped
 * the dirty pages, so retrying could report success for lost data.  Close
 * it and reopen it; everything a successful wal_sync covered is still there.
 */
#ifndef CETCD_STORAGED_WAL_H
#define CETCD_STORAGED_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storaged/wal_io.h"

#define WAL_DEFAULT_SEGMENT_SIZE ((uint64_t)64 << 20)
#define WAL_DEFAULT_MAX_WALS 5
/* etcd's maxWALEntrySizeLimit (wal/decoder.go): a longer record is refused
 * when read, so it is refused when written too. */
#define WAL_MAX_RECORD_BYTES ((uint64_t)10 << 20)

/* Record types, numbered as etcd's (wal/wal.go). */
enum wal_record_type {
	WAL_REC_METADATA = 1,
	WAL_REC_ENTRY = 2,
	WAL_REC_STATE = 3,
	WAL_REC_CRC = 4,
	WAL_REC_SNAPSHOT = 5,
};

enum wal_status {
	WAL_OK = 0,
	WAL_EIO = -1,		/* a system call failed; sys_errno says which */
	WAL_ENOMEM = -2,
	WAL_EINVAL = -3,	/* bad argument (index gap, ids, size limit) */
	WAL_ENOENT = -4,	/* no WAL, or no segment at/before the snapshot */
	WAL_EEXIST = -5,	/* wal_create where a WAL already is */
	WAL_ELOCKED = -6,	/* another struct wal has this directory open */
	WAL_ECORRUPT = -7,	/* bad record; file and offset in the message */
	WAL_ESNAPNOTFOUND = -8,	/* no marker for the snapshot opened at */
	WAL_ESNAPMISMATCH = -9,	/* marker at that index has another term */
	WAL_EFAILED = -10,	/* an earlier I/O failure: close and reopen */
};

struct wal_error {
	int code;		/* enum wal_status */
	int sys_errno;		/* errno of the failed call, or 0 */
	int64_t offset;		/* WAL_ECORRUPT: offset of the bad record, else -1 */
	char file[64];		/* WAL_ECORRUPT: segment file name, else "" */
	char msg[512];		/* full message, e.g. "wal: crc mismatch in
				 * /d/member/wal/0000000000000000-0000000000000000.wal
				 * at offset 4096" */
};

struct wal_options {
	uint64_t segment_size;	/* preallocated and cut size; default 64 MiB */
	unsigned max_wals;	/* segments kept by wal_release_to; 0 = all */
	bool no_sync;		/* skip fdatasync (tests only; not durable) */
	const struct wal_io *io;	/* NULL = wal_io_default */
};

/* One Raft entry.  data is the entry encoded as raftpb.Entry, and its Index
 * and Term fields must equal index and term (wal_save checks; wal_open reads
 * them back from the bytes, as etcd does). */
struct wal_entry {
	uint64_t index;
	uint64_t term;
	const uint8_t *data;
	size_t len;
};

/* What wal_open read.  All of it is owned by the struct and freed by
 * wal_contents_free; the entries point into one private buffer. */
struct wal_contents {
	uint8_t *metadata;	/* as given to wal_create (may be NULL if 0 bytes) */
	size_t metadata_len;
	uint8_t *hard_state;	/* the last one saved; NULL if none */
	size_t hard_state_len;
	struct wal_entry *entries;	/* every entry after the snapshot, in order */
	size_t n_entries;
	uint8_t *arena_;	/* private */
};

struct wal_snapshot {
	uint64_t index;
	uint64_t term;
};

struct wal;

/* Defaults: 64 MiB segments, max_wals 5, fdatasync on, real syscalls. */
void wal_options_init(struct wal_options *o);

/* True if dir holds at least one segment file. */
bool wal_exists(const char *dir);

/* Creates a new WAL in dir (made 0700 if missing; its parent must exist):
 * the first segment 0000000000000000-0000000000000000.wal holding the crc
 * record, the metadata and the snapshot marker {0, 0}, written to a .tmp
 * name, synced and renamed, as etcd's wal.Create.  WAL_EEXIST if dir
 * already has segments.  opts may be NULL (defaults). */
int wal_create(const char *dir, const void *metadata, size_t metadata_len,
    const struct wal_options *opts, struct wal **out, struct wal_error *err);

/* Opens the WAL in dir for appending, reading every record from the last
 * segment whose first index is <= snap_index (etcd's wal.Open + ReadAll).
 * Fills *contents with the metadata, the last hard state and the entries
 * with index > snap_index; an entry rewritten at index i (a new leader
 * overwrote the log) drops the old entries from i on.  A marker
 * {snap_index, snap_term} must be among the records read (use 0, 0 for a
 * WAL without snapshots), else WAL_ESNAPNOTFOUND / WAL_ESNAPMISMATCH.
 *
 * A torn record at the tail of the last segment (cut short, or containing
 * a 512-byte sector of zeros, as etcd's decoder decides) ends the log: it
 * and everything after it are cut off (zeroed, re-preallocated and synced)
 * and appending goes on from there.  Any other bad record, in any segment,
 * is WAL_ECORRUPT naming the file and byte offset.  On error *out is NULL
 * and *contents is empty. */
int wal_open(const char *dir, uint64_t snap_index, uint64_t snap_term,
    const struct wal_options *opts, struct wal **out,
    struct wal_contents *contents, struct wal_error *err);

void wal_contents_free(struct wal_contents *c);

/* Appends entries (in index order, the first at most last_index + 1, the
 * rest consecutive) and then, if hard_state is not NULL, the hard state.
 * Buffers only; nothing is durable before wal_sync.  All or nothing: on
 * error nothing was appended.  etcd skips empty hard states; so may the
 * caller, by passing NULL. */
int wal_save(struct wal *w, const struct wal_entry *ents, size_t n,
    const void *hard_state, size_t hard_state_len, struct wal_error *err);

/* Writes everything saved since the last sync with one write and makes it
 * durable with one fdatasync (group commit: any number of wal_save calls
 * share it).  Cuts a new segment when the current one has reached the
 * segment size.  WAL_OK means everything saved so far survives a crash;
 * on an error nothing since the last WAL_OK is acknowledged (it may or may
 * not be found at the next open) and the WAL is failed (WAL_EFAILED). */
int wal_sync(struct wal *w, struct wal_error *err);

/* Appends the snapshot marker {index, term} and syncs, as etcd's
 * SaveSnapshot.  Call after the snapshot file itself is durable. */
int wal_save_snapshot(struct wal *w, uint64_t index, uint64_t term,
    struct wal_error *err);

/* Lets go of the segments wholly before the one holding index (etcd's
 * ReleaseLockTo: of the segments from the start, it keeps the last one whose
 * first index is below index), then deletes the oldest let-go segments while
 * more than max_wals segment files remain (etcd's purge loop), fsyncing the
 * directory.  A failure here is reported but does not break the WAL. */
int wal_release_to(struct wal *w, uint64_t index, struct wal_error *err);

/* Syncs anything saved but not synced (unless the WAL has failed), closes
 * the files and frees w.  w is freed even when an error is returned. */
int wal_close(struct wal *w, struct wal_error *err);

/* Index of the last entry saved (or of a later snapshot marker). */
uint64_t wal_last_index(const struct wal *w);

/* Number of segment files the WAL knows of (including let-go ones). */
size_t wal_segment_count(const struct wal *w);

/* The snapshot markers in the WAL in dir whose index is at most the commit
 * index of the last hard state (etcd's ValidSnapshotEntries): the snapshot
 * files that may be loaded at start.  Reads without taking the lock.
 * *out is malloc'd (free it); may be NULL when *n is 0. */
int wal_valid_snapshots(const char *dir, struct wal_snapshot **out, size_t *n,
    struct wal_error *err);

/* Short constant description of a status code. */
const char *wal_strerror(int code);

#endif
