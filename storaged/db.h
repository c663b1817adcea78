/*
 * db.h: cetcd-storaged's one SQLite database (the "backend" of etcd).
 *
 * Every byte of applied state lives in this file: the revisioned key space
 * (tables rev and cur, used through mvcc.h), leases, members, alarms, auth,
 * the cluster version and the applied index.  It changes only inside a
 * batch: db_batch_begin() ... db_batch_commit(), one SQLite transaction per
 * Apply batch, so that the applied index and the effects of the entries up
 * to it are committed together (etcd's consistent index, etcdserver/
 * server.go applyAll).  Outside a batch the connection only reads.
 *
 * Durability is not SQLite's job: the Raft WAL is.  The db runs with
 * journal_mode=WAL and synchronous=NORMAL: a commit is atomic but may be
 * lost on power failure; entries after the stored applied index are then
 * applied again from the Raft WAL.
 *
 * Threads: a struct db is one SQLite connection and must be used by one
 * thread at a time.  Readers on other threads open their own struct db
 * with read_only set (WAL mode lets them read beside the writer).
 *
 * Ownership: functions returning memory say so; everything else returned is
 * owned by the struct db.
 */
#ifndef CETCD_STORAGED_DB_H
#define CETCD_STORAGED_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Version of the schema created by db_open(); kept in PRAGMA user_version.
 * A db with a newer version is refused rather than misread. */
#define DB_SCHEMA_VERSION 1

/* Result codes: 0 on success, negative on error (never an SQLite code). */
enum db_err {
	DB_OK = 0,
	DB_ERR_SQLITE = -1,	/* SQLite failed; see db_errmsg() */
	DB_ERR_NOMEM = -2,
	DB_ERR_SCHEMA = -3,	/* schema version newer than this binary */
	DB_ERR_NOT_FOUND = -4,
	DB_ERR_STATE = -5,	/* misuse: batch already open / not open, read-only */
	DB_ERR_CANCELED = -6,	/* a queued request dropped by a stop */
	DB_ERR_BUSY = -7,	/* could not finish for readers/the writer */
	DB_ERR_IO = -8,		/* a file operation failed (errno in the message) */
};

struct db;

struct db_options {
	bool read_only;		/* a reader connection: no schema, no batches */
	int64_t cache_kib;	/* SQLite page cache; 0 = 64 MiB */
	int64_t mmap_bytes;	/* PRAGMA mmap_size; 0 = 256 MiB, <0 = off */
	int wal_autocheckpoint;	/* pages; 0 = SQLite's default (1000), <0 = off */
};

/* Opens (creating if needed, mode 0600) the db at path.  opts may be NULL.
 * On error returns a negative code and writes a message into err. */
int db_open(const char *path, const struct db_options *opts, struct db **out,
	    char *err, size_t err_len);
void db_close(struct db *db);

/* The connection, for modules that run their own SQL (mvcc.c). */
sqlite3 *db_sqlite(struct db *db);
const char *db_errmsg(struct db *db);

/* A prepared statement for sql, cached per connection and keyed by the
 * address of sql: pass a string literal (or another string that outlives
 * the db).  The statement comes back reset; the caller must sqlite3_reset()
 * it when done (db_stmt_done) so it does not pin a read snapshot.  NULL on
 * error (db_errmsg says why). */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
static inline void db_stmt_done(sqlite3_stmt *st) { sqlite3_reset(st); }

/*
 * Batches.  One batch = one SQLite write transaction (BEGIN IMMEDIATE).
 *   db_batch_begin     -> open; error if one is already open
 *   db_batch_commit    -> COMMIT; on failure the batch is rolled back
 *   db_batch_rollback  -> ROLLBACK; bumps db_generation() so that caches
 *                         above (mvcc's current revision) reload
 */
int db_batch_begin(struct db *db);
int db_batch_commit(struct db *db);
void db_batch_rollback(struct db *db);
bool db_in_batch(const struct db *db);
bool db_read_only(const struct db *db);
/* Changes whenever state visible through this connection may have changed
 * other than by this connection's own committed writes (rollback). */
uint64_t db_generation(const struct db *db);

/* A consistent read snapshot over several statements on a reader
 * connection; bumps db_generation() since another connection may have
 * written.  No-ops on the writer (its db changes only by its own hand),
 * inside a batch, and when nested. */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);

/* Runs a statement with no result rows (DDL, PRAGMA); for tools/tests. */
int db_exec(struct db *db, const char *sql);

/*
 * Meta: small named values.  Setters need an open batch.
 */
struct db_applied {
	uint64_t index;		/* last Raft entry whose effects are in the db */
	uint64_t term;		/* its term */
};
int db_applied_get(struct db *db, struct db_applied *out);
int db_applied_set(struct db *db, const struct db_applied *a);
/* etcd's consistent_index (meta bucket); equals the applied index in
 * cetcd but is kept apart because etcd reports and hashes it apart. */
int db_consistent_index_get(struct db *db, uint64_t *out);
int db_consistent_index_set(struct db *db, uint64_t index);
/* The cluster version ("3.4.0"); copied into buf, "" if never set. */
int db_cluster_version_get(struct db *db, char *buf, size_t len);
int db_cluster_version_set(struct db *db, const char *version);

/* Generic integer meta values (missing = 0). */
int db_meta_get_int(struct db *db, const char *name, int64_t *out);
int db_meta_set_int(struct db *db, const char *name, int64_t v);

/*
 * Plain key -> blob tables for the state cetcd keeps beside the key space.
 * Values are opaque bytes encoded by the caller (e.g. the etcd protobufs
 * membershippb / authpb / etcdserverpb.AlarmMember), so this layer does not
 * depend on protobuf-c.  Setters and deleters need an open batch.
 */
enum db_table {
	DB_T_MEMBERS,		/* key: member id (db_u64_key), value: member */
	DB_T_MEMBERS_REMOVED,	/* key: member id, value: empty */
	DB_T_ALARMS,		/* key: member id + alarm type (db_alarm_key) */
	DB_T_AUTH_USERS,	/* key: user name, value: authpb.User */
	DB_T_AUTH_ROLES,	/* key: role name, value: authpb.Role */
	DB_T_COUNT
};

int db_table_put(struct db *db, enum db_table t, const void *key,
		 size_t key_len, const void *val, size_t val_len);
/* *val is malloc'd (caller frees; NULL with *val_len 0 for an empty value);
 * DB_ERR_NOT_FOUND if absent. */
int db_table_get(struct db *db, enum db_table t, const void *key,
		 size_t key_len, void **val, size_t *val_len);
/* DB_ERR_NOT_FOUND if absent. */
int db_table_delete(struct db *db, enum db_table t, const void *key,
		    size_t key_len);
/* Calls fn for each row in key order; a non-zero return from fn stops the
 * walk and is returned.  The pointers are valid only during the call. */
typedef int (*db_table_fn)(void *arg, const void *key, size_t key_len,
			   const void *val, size_t val_len);
int db_table_each(struct db *db, enum db_table t, db_table_fn fn, void *arg);

/* Key encodings, so every caller sorts ids the same way (big-endian). */
void db_u64_key(uint64_t id, uint8_t out[8]);
uint64_t db_u64_from_key(const uint8_t key[8]);
void db_alarm_key(uint64_t member_id, int32_t alarm, uint8_t out[12]);

/* Auth flags (etcd's auth bucket: authEnabled, authRevision). */
int db_auth_enabled_get(struct db *db, bool *out);
int db_auth_enabled_set(struct db *db, bool on);
int db_auth_revision_get(struct db *db, uint64_t *out);
int db_auth_revision_set(struct db *db, uint64_t rev);

/*
 * Size and maintenance.
 */
int64_t db_size_bytes(struct db *db);	   /* page_count * page_size */
int64_t db_size_in_use_bytes(struct db *db); /* minus the free pages */
/*
 * Copies the SQLite WAL back into the db file.  passive: copy what can be
 * copied without waiting for anyone (for a background thread on its own
 * connection, while the writer goes on); otherwise wait for the writer
 * and readers, copy everything and truncate the WAL file.
 * A writer that opens with wal_autocheckpoint < 0 leaves all checkpoints
 * to such a thread, so no commit ever pays for one (ARCHITECTURE: fsync
 * and checkpoint off the apply path).
 */
int db_checkpoint(struct db *db, bool passive);

/*
 * Defragment: give free pages back to the filesystem (etcd's
 * Maintenance.Defragment), without stopping writes for long; why not
 * VACUUM or VACUUM INTO is told in db_defrag.c.
 *
 * New dbs are made with auto_vacuum = INCREMENTAL.
 *   db_defragment_step  moves at most max_pages pages from the end of the
 *                       file into free slots and cuts them off: one short
 *                       write transaction (the open batch, or its own).
 *                       *done (may be NULL) when no free page is left.
 *                       DB_ERR_STATE on a db made before auto_vacuum was
 *                       set (convert it with db_defragment once).
 *   db_defragment       all steps, each in its own batch, then a TRUNCATE
 *                       checkpoint, after which the file has shrunk.  On an
 *                       old db, first one VACUUM (writes wait for it).
 * Between steps, Apply batches run as usual: storaged interleaves them
 * on its loop.  Without a final checkpoint, the file shrinks at the next
 * checkpoint that catches up (the worker's).  Needs no open batch.
 */
#define DB_DEFRAG_STEP_PAGES 256
int db_defragment_step(struct db *db, int64_t max_pages, bool *done);
int db_defragment(struct db *db);
/* Pages on the freelist (PRAGMA freelist_count); -1 on error. */
int64_t db_free_pages(struct db *db);
/* The db can be defragmented in steps (auto_vacuum = INCREMENTAL). */
bool db_defrag_incremental(struct db *db);

/* Size of the db's -wal file in bytes (0 if none). */
int64_t db_wal_bytes(const char *db_path);

/*
 * The checkpoint worker: checkpoints off the commit path (STYLE.md 10).
 *
 * The writer opens its struct db with wal_autocheckpoint < 0, so that no
 * commit ever copies the SQLite WAL back into the db file, and starts one
 * worker on the same path.  The worker has its own thread and its own
 * SQLite connection, and runs requests one at a time in FIFO order.  It
 * posts each completion to an eventfd; the caller watches db_ckpt_fd()
 * on its event loop and calls db_ckpt_dispatch() when it is readable,
 * which runs the callbacks of finished requests, in request order, on the
 * caller's thread.  So callbacks never run on the worker.
 *
 * Modes:
 *   DB_CKPT_PASSIVE   copy what can be copied without waiting for anyone;
 *                     never delays the writer or a reader.
 *   DB_CKPT_TRUNCATE  copy everything and truncate the -wal file to zero
 *                     bytes.  The writer's next db_batch_begin() waits at a
 *                     gate while the worker takes the write lock, waits for
 *                     readers of old snapshots and copies the rest: cheap
 *                     right after a passive one.  Without the gate a writer
 *                     that never pauses would starve it (it holds the lock
 *                     all but microseconds at a time).  A reader holding an
 *                     old snapshot makes it give up after 250 ms with
 *                     DB_ERR_BUSY: the writer never waits longer than that.
 *   DB_CKPT_AUTO      PASSIVE, then TRUNCATE only if the -wal file is still
 *                     above wal_limit_bytes: what storaged asks after each
 *                     Apply batch.  SQLite rewinds the WAL by itself when a
 *                     passive checkpoint caught up with everything; the
 *                     truncate bounds the file when it cannot catch up (a
 *                     writer that never pauses).
 *
 *   db_ckpt_start -> request ... (fd readable) -> dispatch ... -> stop
 *
 * db_ckpt_stop() waits for the request in progress, then runs, on the
 * caller's thread, the callback of every request not yet dispatched: the
 * finished ones with their result, the others with DB_ERR_CANCELED.
 * Requests, callbacks and dispatch belong to one thread (the caller's);
 * a callback may queue a new request but must not stop the worker.
 */
enum db_ckpt_mode { DB_CKPT_PASSIVE, DB_CKPT_TRUNCATE, DB_CKPT_AUTO };

struct db_ckpt_result {
	int rc;			/* DB_OK, DB_ERR_BUSY (partly done), ... */
	enum db_ckpt_mode mode;	/* as requested */
	bool truncated;		/* AUTO: it went on to a TRUNCATE */
	int64_t wal_frames;	/* frames in the WAL when it ran, -1 unknown */
	int64_t copied_frames;	/* of those, now in the db file */
	int64_t wal_bytes;	/* size of the -wal file afterwards */
};
typedef void (*db_ckpt_done_fn)(void *arg, const struct db_ckpt_result *r);

struct db_ckpt;

/* A worker for the writer's db (not read-only; one per writer), which
 * must outlive it: db_ckpt_stop() before db_close().  wal_limit_bytes:
 * AUTO's threshold; 0 = 64 MiB.  On error returns a negative code with a
 * message in err. */
int db_ckpt_start(struct db *writer, int64_t wal_limit_bytes,
		  struct db_ckpt **out, char *err, size_t err_len);
/* Readable when finished requests wait for db_ckpt_dispatch(). */
int db_ckpt_fd(const struct db_ckpt *c);
/* Queues a request; fn(arg, result) runs later from dispatch or stop.
 * DB_ERR_NOMEM (fn never runs) or DB_ERR_STATE after a stop began. */
int db_ckpt_request(struct db_ckpt *c, enum db_ckpt_mode mode,
		    db_ckpt_done_fn fn, void *arg);
/* Runs the callbacks of the requests finished so far; returns how many. */
int db_ckpt_dispatch(struct db_ckpt *c);
/* Requests queued or running, not yet dispatched. */
int db_ckpt_outstanding(const struct db_ckpt *c);
void db_ckpt_stop(struct db_ckpt *c);

/* Between db.c and db_checkpoint.c only: the path the db was opened
 * with; the worker attached to a writer; the writer's wait while a
 * TRUNCATE wants it out of the way (called by db_batch_begin). */
const char *db_path_of(const struct db *db);
struct db_ckpt *db_ckpt_of(const struct db *db);
void db_ckpt_attach(struct db *db, struct db_ckpt *c);
void db_ckpt_gate(struct db_ckpt *c);

#endif
