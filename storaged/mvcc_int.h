/*
 * mvcc_int.h: what the files of the MVCC store share and nobody else sees
 * (storaged/mvcc*.c only; the public API is mvcc.h).
 *
 *   mvcc.c          store, revisions, rows, arenas, batches on demand
 *   mvcc_txn.c      write txns: put, delete_range, txn reads
 *   mvcc_range.c    key ranges and Range (current and old revisions)
 *   mvcc_compact.c  compaction (begin + resumable steps)
 *   mvcc_hash.c     HashKV and Hash
 *   mvcc_events.c   events since a revision (watch replay)
 *   mvcc_lease.c    lease rows and revoke
 *
 * Design notes (numbered invariants, relied on in every file):
 *  1. rev.seq grows with (main, sub): rows are appended in revision order,
 *     so "revisions below R" is "seq below seq_bound(R)", found by a binary
 *     search over seq (no index on main is needed or kept).  SQLite
 *     picks seq (max + 1: an append, cheaper than an explicit rowid).
 *  2. cur has one row per key that has rows in rev, pointing (seq) at the
 *     key's newest rev row; ver > 0 iff the key is live now.  Reads at
 *     the current revision use cur only: one b-tree lookup per key plus
 *     one rowid lookup for the value.
 *  3. A tombstone is a rev row with ver = 0 (a live row has ver >= 1).
 *  4. rev.prev_seq chains each key's rows newest first, across
 *     generations (a put after a delete links to the tombstone).  A read
 *     at an old revision walks the chain from cur down to the first row
 *     below the revision, as etcd walks its in-memory keyIndex
 *     (key_index.go get): no index by key on rev is kept, which halves
 *     the b-tree work of a put.  A link may point at a compacted row:
 *     that means "nothing older", only ever below the compaction.
 *  5. Below the compaction revision C only rows that were, at C, the
 *     newest row of a live key remain (etcd's keep set, kvstore_compaction.go).
 *     While a compaction is pending (mvcc_compact.c), C is already the
 *     new point for reads, and rows outside the keep set may still exist
 *     below it; they are never visible: reads below C fail, reads at or
 *     above C walk chains only down to the newest row at or below C.
 *  6. The current revision is max(1, C, main of the last rev row), so it
 *     needs no meta row of its own: a txn costs no extra write.
 */
#ifndef CETCD_STORAGED_MVCC_INT_H
#define CETCD_STORAGED_MVCC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "storaged/mvcc.h"

/* --- arena: the memory behind results (mvcc.c) --------------------------- */

struct mvcc_chunk {
	struct mvcc_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct mvcc_arena {
	struct mvcc_chunk *head;
};

#define MVCC_CHUNK_FIRST 1024
#define MVCC_CHUNK_MAX (64 * 1024)

void *mvcc_arena_alloc(struct mvcc_arena *a, size_t n);
/* n == 0 gives "" (not NULL); on failure sets *oom and returns NULL. */
const uint8_t *mvcc_arena_dup(struct mvcc_arena *a, const void *p, size_t n,
			      bool *oom);
void mvcc_arena_reset(struct mvcc_arena *a);
void mvcc_arena_free(struct mvcc_arena *a);

/* --- the writer's mirror of cur (mvcc_index.c) ---------------------------- */

struct mvcc_index_ent {
	uint64_t hash;
	int64_t seq, create_rev, ver;	/* as in the key's cur row */
	size_t key_len;
	uint8_t key[];
};

struct mvcc_index {
	struct mvcc_index_ent **slots;	/* open addressing, power of two */
	size_t cap, used, tombs;
	bool ready;		/* holds every cur row; else read cur */
};

struct mvcc_index_ent *mvcc_index_get(struct mvcc_index *ix,
				      const uint8_t *key, size_t len);
/* Inserts or updates; MVCC_ERR_NOMEM leaves the entry unchanged. */
int mvcc_index_set(struct mvcc_index *ix, const uint8_t *key, size_t len,
		   int64_t seq, int64_t create_rev, int64_t ver);
void mvcc_index_del(struct mvcc_index *ix, const uint8_t *key, size_t len);
void mvcc_index_clear(struct mvcc_index *ix);
/* Rebuilds from cur (writer stores only); out of memory leaves it not
 * ready rather than failing. */
int mvcc_index_load(struct mvcc_store *s);

/* --- store and txn ------------------------------------------------------- */

struct mvcc_txn {
	struct mvcc_store *s;
	int64_t main;		/* the revision this txn writes at */
	int64_t sub;		/* next sub-revision = writes so far */
	bool own_batch;
	bool open;
	bool ended;
	int err;		/* sticky failure */
	struct mvcc_event *events;
	size_t n_events, cap_events;
	struct mvcc_arena arena;
};

struct mvcc_store {
	struct db *db;
	int64_t rev;		/* current revision */
	int64_t compact_rev;	/* -1 until the first compaction */
	/* A compaction recorded but not finished (mvcc_compact.c): rows
	 * below seq compact_bound still to delete; the cursor is in meta. */
	bool compact_pending;
	int64_t compact_bound;
	uint64_t db_gen;	/* db_generation() the caches match */
	bool events_prev_kv;
	struct mvcc_index index;	/* writer only */
	struct mvcc_txn txn;
};

/* Reloads the cached revisions (invariant 6) / only if the db moved under
 * them (rollback, or another connection's commit for readers). */
int mvcc_store_load(struct mvcc_store *s);
int mvcc_store_sync(struct mvcc_store *s);

/* Runs inside the open batch, or in one of its own; end with the result
 * code, which it returns (rolling its own batch back on failure). */
int mvcc_auto_batch_begin(struct mvcc_store *s, bool *own);
int mvcc_auto_batch_end(struct mvcc_store *s, bool own, int rc);

/* Records a DB/NOMEM failure as the txn's sticky error; returns err. */
int mvcc_txn_fail(struct mvcc_txn *t, int err);

/* --- revisions and rows (mvcc.c) ------------------------------------------ */

extern const char mvcc_sql_rev_row[];	/* main, create_rev, ver, lease,
					 * value, prev_seq by seq */
extern const char mvcc_sql_cur_all[];	/* seq of every cur row */

/* seq_bound(R): rows with seq < *out are exactly those with main < R. */
int mvcc_seq_bound(struct mvcc_store *s, int64_t r, int64_t *out);
/* Newest row of a key's chain below bound, from seq down (invariant 4);
 * 0 if none. */
int mvcc_chain_below(struct mvcc_store *s, int64_t seq, int64_t bound,
		     int64_t *out);
/* ver and prev_seq of row seq; *found false if it is gone. */
int mvcc_rev_verprev(struct mvcc_store *s, int64_t seq, bool *found,
		     int64_t *ver, int64_t *prev);
/* Runs sql (no rows) with ?1 bound to seq. */
int mvcc_rev_exec_seq(struct mvcc_store *s, const char *sql, int64_t seq);
/* A kv from a row of "seq, main, sub, key, create_rev, ver, lease, value"
 * (a tombstone gives only the key); pointers into the statement. */
void mvcc_row_kv(sqlite3_stmt *st, struct mvcc_kv *kv);
/* *dst = *src with key and value copied into a; false on OOM. */
bool mvcc_kv_copy(struct mvcc_arena *a, struct mvcc_kv *dst,
		  const struct mvcc_kv *src);

/* --- key ranges (mvcc_range.c) -------------------------------------------- */

enum mvcc_range_kind { RANGE_ONE, RANGE_SPAN, RANGE_FROM };

enum mvcc_range_kind mvcc_range_kind(size_t end_len, const uint8_t *end);
/* Binds key (and end for a span) from parameter first on. */
void mvcc_bind_range(sqlite3_stmt *st, int first, enum mvcc_range_kind k,
		     const uint8_t *key, size_t key_len, const uint8_t *end,
		     size_t end_len);
int64_t mvcc_memcmp_len(const uint8_t *a, size_t al, const uint8_t *b,
			size_t bl);
bool mvcc_in_range(enum mvcc_range_kind k, const uint8_t *key, size_t key_len,
		   const uint8_t *kk, size_t kl, const uint8_t *end,
		   size_t end_len);

/*
 * A source of rows in key order: the cur table (current revision) or the
 * newest-row-per-key walk over rev (old revision).
 */
struct mvcc_range_src {
	struct mvcc_store *s;
	sqlite3_stmt *st;	/* cur rows: live ones, or all (old) */
	sqlite3_stmt *row;	/* old: row by seq */
	int64_t bound;		/* old: rows below it are visible */
	int64_t seq;		/* the rev row of the last row returned */
	bool old;
	bool want_value;
};
int mvcc_src_open(struct mvcc_range_src *src, struct mvcc_store *s,
		  enum mvcc_range_kind k, const struct mvcc_range_req *req,
		  int64_t at_rev, bool current, bool want_value);
/* 1 = a row, 0 = end, <0 = error; pointers valid until the next call. */
int mvcc_src_next(struct mvcc_range_src *src, struct mvcc_kv *kv);
void mvcc_src_close(struct mvcc_range_src *src);

/* Range as seen at cur_rev (the txn's revision inside one). */
int mvcc_range_at(struct mvcc_store *s, int64_t cur_rev,
		  const struct mvcc_range_req *req,
		  struct mvcc_range_result *res);

/* --- leases (mvcc_lease.c) ------------------------------------------------- */

int mvcc_lease_exists(struct mvcc_store *s, int64_t id, bool *out);

/* --- compaction (mvcc_compact.c) -------------------------------------------- */

/* Reloads a pending compaction's state from meta (mvcc_store_load). */
int mvcc_compact_load(struct mvcc_store *s);
/* Runs a pending compaction to its end, a batch per step (store open). */
int mvcc_compact_finish(struct mvcc_store *s);

#endif
