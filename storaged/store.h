/*
 * store.h - the state cetcd-storaged keeps for one data dir: the WAL, the
 * Raft log since the last snapshot, the SQLite db with the MVCC store, and
 * the operations of the IPC protocol (proto/storage.proto) on them.
 *
 * Single-threaded: only the IPC server's event loop calls these.
 */
#ifndef CETCD_STORAGED_STORE_H
#define CETCD_STORAGED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/storage.pb-c.h"
#include "storaged/apply.h"
#include "storaged/datadir.h"

struct wal;
struct db;
struct db_ckpt;
struct snap;
struct mvcc_store;
struct store_stream;
struct store_waiter;
struct event_base;
struct event;

/* etcd's defaults (etcdserver/config.go, embed/config.go, quota.go). */
#define STORE_DEFAULT_SNAPSHOT_COUNT 100000
#define STORE_DEFAULT_QUOTA_BYTES ((int64_t)2 << 30)
#define STORE_MAX_QUOTA_BYTES ((int64_t)8 << 30)
/* Entries kept in memory below a snapshot for slow followers (etcd's
 * snapshotCatchUpEntries), at most --snapshot-count of them. */
#define STORE_CATCH_UP_ENTRIES 5000

struct store_options {
	int64_t quota_bytes;		/* 0: STORE_DEFAULT_QUOTA_BYTES; <0: none */
	uint64_t snapshot_count;	/* 0: STORE_DEFAULT_SNAPSHOT_COUNT */
	unsigned max_wals;		/* 0 = keep all */
	unsigned max_snapshots;		/* 0 = keep all */
	/* Size of SQLite's -wal file above which the checkpoint worker
	 * truncates it after a passive checkpoint; 0 = db.h's default. */
	int64_t wal_limit_bytes;
};

/* Hands over the answer to a request that store_compact() or
 * store_defragment() deferred (they returned 1): body is a heap
 * CompactResponse or DefragmentResponse, now owned by the callee; token is
 * what the request passed in. */
typedef void store_answer_fn(void *arg, void *token, ProtobufCMessage *body);

struct store {
	const struct datadir *dd;
	struct store_options opts;
	struct wal *wal;		/* NULL until bootstrapped */
	struct snap *snap;		/* member/snap */
	struct db *db;
	struct mvcc_store *mvcc;
	struct applier applier;
	uint64_t node_id, cluster_id;
	/* The Raft log in memory: entries after log_index (whose term is
	 * log_term), as raftpb.Entry messages.  log_index is the newest
	 * snapshot's index, or up to STORE_CATCH_UP_ENTRIES below it. */
	Raftpb__Entry **ents;
	size_t n_ents, cap_ents;
	uint64_t log_index, log_term;
	/* The newest snapshot (0, 0 and NULL: none). */
	uint64_t snap_index, snap_term;
	Raftpb__ConfState *snap_conf;
	Raftpb__HardState hard_state;
	bool has_hard_state;
	bool unsynced;			/* saved to the WAL, not yet fdatasync'd */
	bool failed;			/* sticky: an I/O error; every write fails */
	/* DB_STREAM copies and INSTALL_SNAPSHOT uploads in progress. */
	struct store_stream *streams;
	uint64_t next_stream_id;
	/* store_read.c: SQLite checkpoints off the commit path, and the
	 * compaction and defragment steps run between requests.  base is
	 * NULL until store_loop_attach(): maintenance then runs inline. */
	struct db_ckpt *ckpt;
	bool ckpt_auto_busy;		/* one DB_CKPT_AUTO outstanding */
	struct event_base *base;
	struct event *ckpt_ev, *maint_ev;
	store_answer_fn *answer_fn;
	void *answer_arg;
	struct store_waiter *waiters;	/* deferred COMPACT/DEFRAGMENT */
	int defrag_phase;		/* enum in store_read.c */
	int64_t defrag_steps_left;
	bool maint_paused;		/* a step failed: wait for the next batch */
};

void store_options_init(struct store_options *o);

/* Opens the db and, if one exists, the WAL from the newest valid snapshot
 * on (replaying it into memory).  opts may be NULL (defaults).  Returns 0
 * or -1 with the reason in err. */
int store_open(struct store *s, const struct datadir *dd, const struct store_options *opts,
    char *err, size_t errlen);
void store_close(struct store *s);

/* Each fills the answer `out` (initialised by the caller) and returns 0, or
 * returns -1 with a message in err when the request could not be served at
 * all.  Answers are malloc'd inside out: free them with
 * protobuf_c_message_free_unpacked on a heap copy, or store_answer_clear(). */
int store_initial_state(struct store *s, const Cetcd__Storage__InitialStateRequest *req,
    Cetcd__Storage__InitialStateResponse *out, char *err, size_t errlen);
int store_bootstrap(struct store *s, const Cetcd__Storage__BootstrapRequest *req,
    char *err, size_t errlen);
/* Writes to the WAL without syncing; store_sync() makes it durable. */
int store_persist(struct store *s, const Cetcd__Storage__PersistRequest *req,
    Cetcd__Storage__PersistResponse *out, char *err, size_t errlen);
int store_sync(struct store *s, char *err, size_t errlen);
int store_apply(struct store *s, const Cetcd__Storage__ApplyRequest *req,
    Cetcd__Storage__ApplyResponse *out, char *err, size_t errlen);
int store_entries(struct store *s, const Cetcd__Storage__EntriesRequest *req,
    Cetcd__Storage__EntriesResponse *out, char *err, size_t errlen);
int store_term(struct store *s, const Cetcd__Storage__TermRequest *req,
    Cetcd__Storage__TermResponse *out, char *err, size_t errlen);
int store_read_range(struct store *s, const Cetcd__Storage__ReadRangeRequest *req,
    Cetcd__Storage__ReadRangeResponse *out, char *err, size_t errlen);
int store_status(struct store *s, Cetcd__Storage__StatusResponse *out, char *err, size_t errlen);

/* store_read.c: reads and maintenance. */
int store_read_txn(struct store *s, const Cetcd__Storage__ReadTxnRequest *req,
    Cetcd__Storage__ReadTxnResponse *out, char *err, size_t errlen);
int store_events_since(struct store *s, const Cetcd__Storage__EventsSinceRequest *req,
    Cetcd__Storage__EventsSinceResponse *out, char *err, size_t errlen);
int store_leases(struct store *s, const Cetcd__Storage__LeasesRequest *req,
    Cetcd__Storage__LeasesResponse *out, char *err, size_t errlen);
int store_auth_state(struct store *s, Cetcd__Storage__AuthStateResponse *out,
    char *err, size_t errlen);
int store_hash(struct store *s, Cetcd__Storage__HashResponse *out, char *err, size_t errlen);
int store_hash_kv(struct store *s, const Cetcd__Storage__HashKVRequest *req,
    Cetcd__Storage__HashKVResponse *out, char *err, size_t errlen);

/*
 * store_read.c: maintenance off the write path.
 *
 * The loop: store_loop_attach() watches the checkpoint worker's fd on base
 * and runs compaction and defragment steps from a zero-delay timer, one
 * short batch per loop iteration, so that APPLY requests run between them.
 * answer_fn receives deferred answers.  Detach before freeing base.
 * Without a loop, store_compact/store_defragment finish inline.
 */
int store_loop_attach(struct store *s, struct event_base *base, store_answer_fn *fn, void *arg);
void store_loop_detach(struct store *s);
/* COMPACT (CompactRequest: answered once the applied compaction's rows
 * are all deleted) and DEFRAGMENT.  Return 0 with out filled (answered
 * now), 1 when the answer will go to answer_fn(token) later, or -1 with a
 * message in err.  owner: the connection, for store_drop_waiters(). */
int store_compact(struct store *s, const void *owner, void *token,
    const Cetcd__Storage__CompactRequest *req, Cetcd__Storage__CompactResponse *out,
    char *err, size_t errlen);
int store_defragment(struct store *s, const void *owner, void *token,
    Cetcd__Storage__DefragmentResponse *out, char *err, size_t errlen);
/* Forgets the deferred answers of owner (NULL: all); answer_fn is not
 * called for them. */
void store_drop_waiters(struct store *s, const void *owner);

/* store_snap.c: snapshots and db streams.  owner names the connection a
 * stream belongs to; store_drop_streams(owner) discards its streams when it
 * closes. */
int store_create_snapshot(struct store *s, const Cetcd__Storage__CreateSnapshotRequest *req,
    Cetcd__Storage__CreateSnapshotResponse *out, char *err, size_t errlen);
int store_install_snapshot(struct store *s, const void *owner,
    const Cetcd__Storage__InstallSnapshotRequest *req,
    Cetcd__Storage__InstallSnapshotResponse *out, char *err, size_t errlen);
int store_db_stream(struct store *s, const void *owner, const Cetcd__Storage__DbStreamRequest *req,
    Cetcd__Storage__DbStreamResponse *out, char *err, size_t errlen);
void store_drop_streams(struct store *s, const void *owner);
/* Takes a snapshot at the applied index once --snapshot-count entries were
 * applied since the last one (called after each APPLY).  0 or -1. */
int store_maybe_snapshot(struct store *s, char *err, size_t errlen);

uint64_t store_last_index(const struct store *s);

#endif
