/*
 * snap.h - Raft snapshot files in member/snap, as etcd 3.4's snapshotter
 * (etcdserver/api/snap/snapshotter.go) names and encodes them:
 *
 *   <dir>/%016x-%016x.snap  (term, index)
 *   contents: snappb.snapshot { uint32 crc = 1; bytes data = 2; }
 *             with crc = CRC-32C of data, data = an encoded raftpb.Snapshot
 *
 * Unlike etcd, a file is written under <name>.tmp, fsynced, renamed and the
 * directory fsynced, so a crash never leaves a half-written .snap behind.
 * Loading takes the newest valid file; an unreadable one (empty, malformed,
 * CRC mismatch) is renamed to <name>.broken and the next older one tried.
 *
 * One thread at a time per struct snap.  Errors are returned as codes with
 * a message in *err (may be NULL); nothing exits or aborts.
 */
#ifndef CETCD_STORAGED_SNAP_H
#define CETCD_STORAGED_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storaged/wal.h"	/* struct wal_snapshot, struct wal_io */

#define SNAP_DEFAULT_MAX_SNAPSHOTS 5

enum snap_status {
	SNAP_OK = 0,
	SNAP_EIO = -1,		/* a system call failed; sys_errno says which */
	SNAP_ENOMEM = -2,
	SNAP_EINVAL = -3,	/* e.g. an empty snapshot */
	SNAP_ENOSNAP = -4,	/* no (matching) valid snapshot file */
};

struct snap_error {
	int code;		/* enum snap_status */
	int sys_errno;
	char msg[512];
};

struct snap_options {
	unsigned max_snapshots;	/* .snap files kept by snap_purge; 0 = all */
	bool no_sync;		/* tests only */
	const struct wal_io *io;	/* NULL = wal_io_default */
};

/* A loaded snapshot; data is malloc'd, freed by snap_file_free. */
struct snap_file {
	uint64_t term;
	uint64_t index;
	uint8_t *data;		/* the raftpb.Snapshot bytes */
	size_t len;
};

struct snap;

/* max_snapshots 5, fsync on, real syscalls. */
void snap_options_init(struct snap_options *o);

/* Opens the snapshot directory, creating it 0700 if missing (its parent
 * must exist), and deletes our own leftover <name>.snap.tmp files.
 * opts may be NULL. */
int snap_open(const char *dir, const struct snap_options *opts,
    struct snap **out, struct snap_error *err);

void snap_close(struct snap *s);

/* Writes the snapshot (term, index) with data = an encoded raftpb.Snapshot,
 * atomically and durably, then purges down to max_snapshots.  An empty
 * snapshot is refused (SNAP_EINVAL), as etcd skips it.  Returns SNAP_OK once
 * the file is durable even if the purge failed (the purge error is lost:
 * call snap_purge to see it). */
int snap_save(struct snap *s, uint64_t term, uint64_t index, const void *data,
    size_t len, struct snap_error *err);

/* Loads the newest valid snapshot; when allowed is not NULL, the newest
 * whose (term, index) is one of allowed[0..n_allowed) (etcd's
 * LoadNewestAvailable with wal_valid_snapshots' answer).  Broken files met
 * on the way are renamed to .broken.  SNAP_ENOSNAP if none qualifies. */
int snap_load(struct snap *s, const struct wal_snapshot *allowed,
    size_t n_allowed, struct snap_file *out, struct snap_error *err);

void snap_file_free(struct snap_file *f);

/* Deletes the oldest .snap files while more than max_snapshots remain
 * (etcd's purgeFile on the "snap" suffix), then fsyncs the directory. */
int snap_purge(struct snap *s, struct snap_error *err);

const char *snap_strerror(int code);

#endif
