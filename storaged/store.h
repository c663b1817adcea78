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
struct mvcc_store;

struct store {
	const struct datadir *dd;
	struct wal *wal;		/* NULL until bootstrapped */
	struct db *db;
	struct mvcc_store *mvcc;
	struct applier applier;
	uint64_t node_id, cluster_id;
	/* The Raft log after the snapshot, as raftpb.Entry messages. */
	Raftpb__Entry **ents;
	size_t n_ents, cap_ents;
	uint64_t snap_index, snap_term;
	Raftpb__HardState hard_state;
	bool has_hard_state;
	bool unsynced;			/* saved to the WAL, not yet fdatasync'd */
	bool failed;			/* sticky: an I/O error; every write fails */
};

/* Opens the db and, if one exists, the WAL (replaying it into memory).
 * Returns 0 or -1 with the reason in err. */
int store_open(struct store *s, const struct datadir *dd, char *err, size_t errlen);
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

uint64_t store_last_index(const struct store *s);

#endif
