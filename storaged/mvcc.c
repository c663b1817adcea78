/*
 * mvcc.c: etcd 3.4's revisioned key-value store on SQLite (see mvcc.h):
 * the store object, its cached revisions, the row and chain helpers every
 * other mvcc_*.c file uses, and result arenas.  Design notes (numbered
 * invariants) are in mvcc_int.h.
 *
 * Owns: the store's cached revisions and next seq, the one write txn
 * object's memory.
 * Never: commits a batch it did not open, or reads history to answer a
 * read at the current revision.
 * Runs in: cetcd-storaged, on the thread of its struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* --- arena: the memory behind results ---------------------------------- */

void *mvcc_arena_alloc(struct mvcc_arena *a, size_t n)
{
	struct mvcc_chunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		/* Small first (most results are one key), doubling after. */
		size_t cap = c ? c->cap * 2 : MVCC_CHUNK_FIRST;
		if (cap > MVCC_CHUNK_MAX)
			cap = MVCC_CHUNK_MAX;
		if (cap < n)
			cap = n;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

const uint8_t *mvcc_arena_dup(struct mvcc_arena *a, const void *p, size_t n,
				bool *oom)
{
	uint8_t *d;

	if (n == 0)
		return (const uint8_t *)"";
	d = mvcc_arena_alloc(a, n);
	if (!d) {
		*oom = true;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

/* Keeps one chunk for reuse: the txn arena is reset once per txn. */
void mvcc_arena_reset(struct mvcc_arena *a)
{
	struct mvcc_chunk *c = a->head, *keep = NULL;

	while (c) {
		struct mvcc_chunk *next = c->next;
		if (!keep && c->cap == MVCC_CHUNK_FIRST) {
			keep = c;
			keep->next = NULL;
			keep->used = 0;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = keep;
}

void mvcc_arena_free(struct mvcc_arena *a)
{
	struct mvcc_chunk *c = a->head;

	while (c) {
		struct mvcc_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

const char *mvcc_strerror(int err)
{
	switch (err) {
	case MVCC_OK: return "ok";
	case MVCC_ERR_FUTURE_REV:
		return "mvcc: required revision is a future revision";
	case MVCC_ERR_COMPACTED:
		return "mvcc: required revision has been compacted";
	case MVCC_ERR_KEY_NOT_FOUND: return "etcdserver: key not found";
	case MVCC_ERR_LEASE_NOT_FOUND: return "lease not found";
	case MVCC_ERR_LEASE_EXISTS: return "lease already exists";
	case MVCC_ERR_INVALID: return "mvcc: invalid argument";
	case MVCC_ERR_NOMEM: return "mvcc: out of memory";
	case MVCC_ERR_DB: return "mvcc: database error";
	case MVCC_ERR_STATE: return "mvcc: invalid state";
	default: return "mvcc: unknown error";
	}
}

static const char sql_last_main[] =
	"SELECT main FROM rev ORDER BY seq DESC LIMIT 1";
static const char sql_seq_minmax[] = "SELECT min(seq), max(seq) FROM rev";
static const char sql_seq_from[] =
	"SELECT seq, main FROM rev WHERE seq >= ?1 ORDER BY seq LIMIT 1";

/* Reloads the cached revisions (invariant 6). */
int mvcc_store_load(struct mvcc_store *s)
{
	sqlite3_stmt *st;
	int64_t c = -1, last = 0;
	int rc;

	if (db_meta_get_int(s->db, "compact_rev", &c) != DB_OK)
		return MVCC_ERR_DB;
	st = db_stmt(s->db, sql_last_main);
	if (!st)
		return MVCC_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		last = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return MVCC_ERR_DB;
	/* meta stores compact_rev + 1 so that "missing" (0) means never. */
	s->compact_rev = c - 1;
	rc = mvcc_compact_load(s);
	if (rc != MVCC_OK)
		return rc;
	s->rev = 1;
	if (s->compact_rev > s->rev)
		s->rev = s->compact_rev;
	if (last > s->rev)
		s->rev = last;
	/* The writer's mirror of cur is only rebuilt when the db moved under
	 * it (open, rollback); readers keep none. */
	if (!db_read_only(s->db)) {
		rc = mvcc_index_load(s);
		if (rc != MVCC_OK)
			return rc;
	}
	s->db_gen = db_generation(s->db);
	return MVCC_OK;
}

/* Called at every entry point: a rollback (or another connection's commit,
 * for readers) may have moved the db under our caches. */
int mvcc_store_sync(struct mvcc_store *s)
{
	if (s->db_gen == db_generation(s->db))
		return MVCC_OK;
	return mvcc_store_load(s);
}

int mvcc_store_open(struct db *db, struct mvcc_store **out)
{
	struct mvcc_store *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return MVCC_ERR_NOMEM;
	s->db = db;
	s->txn.s = s;
	rc = mvcc_store_load(s);
	/* A reader cannot finish a compaction; it reads as if it were done
	 * (invariant 5). */
	if (rc == MVCC_OK && s->compact_pending && !db_read_only(db) &&
	    !db_in_batch(db))
		rc = mvcc_compact_finish(s);
	if (rc != MVCC_OK) {
		mvcc_index_clear(&s->index);
		free(s);
		return rc;
	}
	*out = s;
	return MVCC_OK;
}

void mvcc_store_close(struct mvcc_store *s)
{
	if (!s)
		return;
	if (s->txn.open && s->txn.own_batch)
		db_batch_rollback(s->db);
	mvcc_index_clear(&s->index);
	free(s->txn.events);
	mvcc_arena_free(&s->txn.arena);
	free(s);
}

struct db *mvcc_store_db(struct mvcc_store *s) { return s->db; }

int64_t mvcc_current_revision(struct mvcc_store *s)
{
	mvcc_store_sync(s);
	return s->rev;
}

int64_t mvcc_compact_revision(struct mvcc_store *s)
{
	mvcc_store_sync(s);
	return s->compact_rev;
}

void mvcc_set_events_prev_kv(struct mvcc_store *s, bool on)
{
	s->events_prev_kv = on;
}

/*
 * mvcc_seq_bound(R): a seq B such that the rows with seq < B are exactly the
 * rows with main < R (invariant 1).  Binary search over seq; compaction
 * leaves gaps, which the "first row at or after mid" step skips.
 */
int mvcc_seq_bound(struct mvcc_store *s, int64_t r, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_seq_minmax);
	int64_t lo, hi;
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_stmt_done(st);
		return MVCC_ERR_DB;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		db_stmt_done(st);
		*out = 1;
		return MVCC_OK;
	}
	lo = sqlite3_column_int64(st, 0);
	hi = sqlite3_column_int64(st, 1) + 1;
	db_stmt_done(st);
	/* The common case: every row is below R.  Rows of the open txn are
	 * at its main revision, above s->rev until it ends. */
	int64_t top = s->rev;
	if (s->txn.open && !s->txn.ended && s->txn.sub > 0)
		top = s->txn.main;
	if (r > top) {
		*out = hi;
		return MVCC_OK;
	}
	st = db_stmt(s->db, sql_seq_from);
	if (!st)
		return MVCC_ERR_DB;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		sqlite3_bind_int64(st, 1, mid);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			db_stmt_done(st);
			return MVCC_ERR_DB;
		}
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t main = sqlite3_column_int64(st, 1);
		db_stmt_done(st);
		if (main >= r)
			hi = mid;
		else
			lo = seq + 1;
	}
	*out = lo;
	return MVCC_OK;
}

/* --- revisions and rows --------------------------------------------------- */

static const char sql_rev_prev[] = "SELECT prev_seq FROM rev WHERE seq = ?1";
const char mvcc_sql_rev_row[] =
	"SELECT main, create_rev, ver, lease, value, prev_seq FROM rev"
	" WHERE seq = ?1";
/*
 * etcd's compaction (kvstore_compaction.go with key_index.go compact), per
 * key: walk the chain from cur to the newest row at or below rev; keep it
 * unless it is a tombstone; delete every older row; then forget the keys
 * whose delete is at or below rev.  Rows above rev are never touched.
 */
const char mvcc_sql_cur_all[] = "SELECT seq FROM cur";
static const char sql_rev_verprev[] =
	"SELECT ver, prev_seq FROM rev WHERE seq = ?1";

/*
 * Walks a key's chain from seq (a row at or above the bound, or its
 * newest) down to its newest row below bound (invariant 4).  *out is 0
 * when the key has no such row; it may name a compacted row, which then
 * reads as absent.
 */
int mvcc_chain_below(struct mvcc_store *s, int64_t seq, int64_t bound,
		       int64_t *out)
{
	sqlite3_stmt *st = NULL;

	while (seq >= bound && seq != 0) {
		int rc;
		if (!st && !(st = db_stmt(s->db, sql_rev_prev)))
			return MVCC_ERR_DB;
		sqlite3_bind_int64(st, 1, seq);
		rc = sqlite3_step(st);
		seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return MVCC_ERR_DB;
	}
	*out = seq;
	return MVCC_OK;
}

/* ver and prev_seq of row seq; *found false if it is gone. */
int mvcc_rev_verprev(struct mvcc_store *s, int64_t seq, bool *found,
		       int64_t *ver, int64_t *prev)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_rev_verprev);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (*found) {
		*ver = sqlite3_column_int64(st, 0);
		*prev = sqlite3_column_int64(st, 1);
	}
	db_stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

int mvcc_rev_exec_seq(struct mvcc_store *s, const char *sql, int64_t seq)
{
	sqlite3_stmt *st = db_stmt(s->db, sql);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

void mvcc_row_kv(sqlite3_stmt *st, struct mvcc_kv *kv)
{
	kv->key = sqlite3_column_blob(st, 3);
	kv->key_len = (size_t)sqlite3_column_bytes(st, 3);
	kv->version = sqlite3_column_int64(st, 5);
	if (kv->version == 0) {
		/* a tombstone marshals as KeyValue{Key} only */
		kv->create_revision = kv->mod_revision = kv->lease = 0;
		kv->value = NULL;
		kv->value_len = 0;
		return;
	}
	kv->create_revision = sqlite3_column_int64(st, 4);
	kv->mod_revision = sqlite3_column_int64(st, 1);
	kv->lease = sqlite3_column_int64(st, 6);
	kv->value = sqlite3_column_blob(st, 7);
	kv->value_len = (size_t)sqlite3_column_bytes(st, 7);
}

bool mvcc_kv_copy(struct mvcc_arena *a, struct mvcc_kv *dst,
		    const struct mvcc_kv *src)
{
	bool oom = false;

	*dst = *src;
	dst->key = mvcc_arena_dup(a, src->key, src->key_len, &oom);
	dst->value = src->value ? mvcc_arena_dup(a, src->value, src->value_len, &oom)
		: NULL;
	return !oom;
}

/* --- batches opened on the caller's behalf ------------------------------- */

/* Runs inside the open batch, or in one of its own. */
int mvcc_auto_batch_begin(struct mvcc_store *s, bool *own)
{
	*own = false;
	if (s->txn.open && !s->txn.ended)
		return MVCC_ERR_STATE;
	if (!db_in_batch(s->db)) {
		if (db_batch_begin(s->db) != DB_OK)
			return MVCC_ERR_DB;
		*own = true;
	}
	return mvcc_store_sync(s);
}

int mvcc_auto_batch_end(struct mvcc_store *s, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc == MVCC_OK && db_batch_commit(s->db) != DB_OK)
		rc = MVCC_ERR_DB;
	else if (rc != MVCC_OK)
		db_batch_rollback(s->db);
	if (rc != MVCC_OK)
		mvcc_store_load(s);
	s->db_gen = db_generation(s->db);
	return rc;
}
