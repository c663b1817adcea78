/*
 * store_int.h - what store.c, store_read.c and store_snap.c share; not for
 * use outside storaged/store*.c.
 */
#ifndef CETCD_STORAGED_STORE_INT_H
#define CETCD_STORAGED_STORE_INT_H

#include <stdlib.h>

#include "common/errors.h"
#include "storaged/store.h"

#define NEW(type, init) ({ type *_p = malloc(sizeof(type)); if (_p) init(_p); _p; })

/* An Error message for an answer; NULL when out of memory. */
Cetcd__Storage__Error *store_error_new(enum cetcd_err code, const char *msg);

/* A heap copy of any message (pack + unpack); NULL when out of memory. */
void *store_msg_copy(const ProtobufCMessage *m);

/* Drops the in-memory entries at and below index, keeping the rest. */
void store_log_compact_to(struct store *s, uint64_t index);
/* Drops every in-memory entry; the log then starts after (index, term). */
void store_log_reset(struct store *s, uint64_t index, uint64_t term);

/* The Raft configuration APPLY stored last (a heap message, or NULL when
 * none was ever stored).  0 or -1. */
int store_conf_state_get(struct store *s, Raftpb__ConfState **out);
/* Stores cs; inside a db batch.  0 or -1. */
int store_conf_state_set(struct store *s, const Raftpb__ConfState *cs);

/* Writes the snapshot file and the WAL marker for (index, term), then
 * releases WAL segments and old snapshot files (etcd's saveSnap +
 * ReleaseLockTo).  The db must already hold the state at index, durably. */
int store_snapshot_save(struct store *s, const Raftpb__Snapshot *snap, char *err, size_t errlen);

/* Deletes temp files of db streams a crash interrupted. */
void store_remove_stream_leftovers(struct store *s);

/* After the db file was replaced or reopened: applier and caches. */
void store_applier_reset(struct store *s);

/* store_read.c: the checkpoint worker of s->db.  Start it right after
 * db_open() and stop it right before db_close() (db.h: it must not
 * outlive the writer).  0 or -1. */
int store_ckpt_start(struct store *s, char *err, size_t errlen);
void store_ckpt_stop(struct store *s);
/* A full (TRUNCATE) checkpoint on the writer, once the worker is idle:
 * the writer's would fail with SQLITE_BUSY beside the worker's. */
int store_db_checkpoint(struct store *s);

/* store.c: opens s->db at s->dd->db for writing, checkpoints left to the
 * worker, which it starts; store_db_close() stops it, then closes. */
int store_db_open(struct store *s, char *err, size_t errlen);
void store_db_close(struct store *s);
/* After each commit of the writer outside maintenance (APPLY): asks the
 * worker for a DB_CKPT_AUTO unless one is outstanding, and schedules the
 * compaction steps an applied compaction left. */
void store_after_commit(struct store *s);

#endif
