/*
 * mvcc_compact.c: etcd's compaction of the MVCC store, recorded at once
 * and carried out in bounded steps.
 *
 * Owns: the pending compaction (meta rows compact_rev, compact_bound,
 * compact_cursor) and the deletion of rev and cur rows below it.
 * Never: touches rows at or above the compaction revision, deletes a row
 * of etcd's keep set, or leaves a key's chain broken between two steps.
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 *
 * etcd compacts in two parts: the compaction revision is set at once
 * (kvstore.go updateCompactRev, persisted as scheduledCompactRev), then a
 * background job deletes the revisions in batches of
 * --experimental-compaction-batch-limit with a pause between them
 * (kvstore_compaction.go scheduleCompaction), finishing after a restart
 * (kvstore.go restore).  Same here:
 *
 *   none --mvcc_compact_begin(rev)--> pending(bound, cursor = start)
 *   pending --mvcc_compact_step(limit)--> pending(cursor = last key done)
 *   pending --last step--> none         (meta rows removed)
 *   pending --mvcc_store_open--> steps until none
 *   pending --mvcc_compact_begin(rev2)--> pending(bound2, cursor = start):
 *       compacting every key at the newer bound does all the older one
 *       would have, so the walk simply starts again.
 *
 * A step visits keys in cur in key order from the cursor.  Per key, from
 * the chain head down to its newest row at or below the revision ("keep",
 * invariant 4): older rows are deleted newest first and keep's link is
 * pointed at the first row not yet deleted, so a step that runs out of
 * budget inside a key leaves a whole, shorter chain, and the key is
 * visited again.  Once the chain is done a tombstone keep is deleted, and
 * a key whose head it was leaves cur (etcd drops such keys from its
 * index).  All of a step happens in one db batch (the caller's or its
 * own), together with the new cursor.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* --- compaction ---------------------------------------------------------- */

static const char sql_rev_del[] = "DELETE FROM rev WHERE seq = ?1";
static const char sql_rev_relink[] =
	"UPDATE rev SET prev_seq = ?2 WHERE seq = ?1";
static const char sql_cur_forget[] = "DELETE FROM cur WHERE key = ?1";
static const char sql_cur_chunk_first[] =
	"SELECT key, seq, ver FROM cur ORDER BY key LIMIT ?1";
static const char sql_cur_chunk_after[] =
	"SELECT key, seq, ver FROM cur WHERE key > ?2 ORDER BY key LIMIT ?1";
static const char sql_meta_get[] = "SELECT value FROM meta WHERE name = ?1";
static const char sql_meta_put_blob[] =
	"INSERT OR REPLACE INTO meta(name, value) VALUES (?1, ?2)";
static const char sql_meta_del[] = "DELETE FROM meta WHERE name = ?1";

/* The meta rows of a pending compaction.  Hash (mvcc_hash.c) leaves them
 * out: members reach the same state at different times. */
#define META_BOUND "compact_bound"
#define META_CURSOR "compact_cursor"

int mvcc_compact_load(struct mvcc_store *s)
{
	int64_t bound = 0;

	if (db_meta_get_int(s->db, META_BOUND, &bound) != DB_OK)
		return MVCC_ERR_DB;
	s->compact_pending = bound > 0;
	s->compact_bound = bound;
	return MVCC_OK;
}

static int meta_exec(struct mvcc_store *s, const char *sql, const char *name,
		     const void *blob, size_t len)
{
	sqlite3_stmt *st = db_stmt(s->db, sql);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (blob)
		sqlite3_bind_blob64(st, 2, len ? blob : "", len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

static int exec_seq2(struct mvcc_store *s, const char *sql, int64_t a,
		     int64_t b)
{
	sqlite3_stmt *st = db_stmt(s->db, sql);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

/*
 * One key: see the header.  *budget counts rev rows deleted; *complete is
 * false when it ran out before the key was done.  *gone: the key's head
 * was the tombstone deleted here, so its cur row must go too.
 */
static int compact_key(struct mvcc_store *s, int64_t head, int64_t bound,
		       int64_t *budget, bool *complete, bool *gone)
{
	int64_t keep, keep_ver, first, prev, ver, next;
	bool found;
	int rc = mvcc_chain_below(s, head, bound, &keep);

	*complete = true;
	*gone = false;
	if (rc != MVCC_OK || keep == 0)
		return rc;
	rc = mvcc_rev_verprev(s, keep, &found, &keep_ver, &first);
	if (rc != MVCC_OK || !found)
		return rc;
	/* everything older goes; a missing row ends what an earlier
	 * compaction already cut */
	prev = first;
	while (prev != 0) {
		if (*budget <= 0) {
			*complete = false;
			break;
		}
		rc = mvcc_rev_verprev(s, prev, &found, &ver, &next);
		if (rc != MVCC_OK)
			return rc;
		if (!found) {
			prev = 0;
			break;
		}
		rc = mvcc_rev_exec_seq(s, sql_rev_del, prev);
		if (rc != MVCC_OK)
			return rc;
		(*budget)--;
		prev = next;
	}
	if (*complete && keep_ver == 0) {
		/* etcd keeps no tombstone at or below the compaction */
		rc = mvcc_rev_exec_seq(s, sql_rev_del, keep);
		(*budget)--;
		*gone = keep == head;
	} else if (prev != first) {
		rc = exec_seq2(s, sql_rev_relink, keep, prev);
	}
	return rc;
}

/* A copy of one cur row of the chunk being compacted. */
struct compact_key_row {
	uint8_t *key;
	size_t key_len;
	int64_t seq, ver;
};

static void chunk_free(struct compact_key_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].key);
	free(rows);
}

/*
 * Up to limit keys of cur after the cursor (the start when there is none),
 * copied out: the step deletes cur rows, which must not happen under a
 * statement walking cur.
 */
static int chunk_read(struct mvcc_store *s, int64_t limit,
		      struct compact_key_row **out, size_t *n)
{
	sqlite3_stmt *cur = db_stmt(s->db, sql_meta_get), *st;
	struct compact_key_row *rows = NULL;
	size_t cap = 0;
	int rc = MVCC_OK, r;

	*out = NULL;
	*n = 0;
	if (!cur)
		return MVCC_ERR_DB;
	sqlite3_bind_text(cur, 1, META_CURSOR, -1, SQLITE_STATIC);
	r = sqlite3_step(cur);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_stmt_done(cur);
		return MVCC_ERR_DB;
	}
	st = db_stmt(s->db, r == SQLITE_ROW ? sql_cur_chunk_after :
		     sql_cur_chunk_first);
	if (!st) {
		db_stmt_done(cur);
		return MVCC_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, limit);
	if (r == SQLITE_ROW)
		sqlite3_bind_blob64(st, 2, sqlite3_column_blob(cur, 0),
				    (sqlite3_uint64)sqlite3_column_bytes(cur, 0),
				    SQLITE_TRANSIENT);
	db_stmt_done(cur);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct compact_key_row *nr = realloc(rows,
							     ncap * sizeof(*nr));
			if (!nr) {
				rc = MVCC_ERR_NOMEM;
				break;
			}
			rows = nr;
			cap = ncap;
		}
		struct compact_key_row *k = &rows[*n];
		k->key_len = (size_t)sqlite3_column_bytes(st, 0);
		k->key = malloc(k->key_len ? k->key_len : 1);
		if (!k->key) {
			rc = MVCC_ERR_NOMEM;
			break;
		}
		memcpy(k->key, sqlite3_column_blob(st, 0), k->key_len);
		k->seq = sqlite3_column_int64(st, 1);
		k->ver = sqlite3_column_int64(st, 2);
		(*n)++;
	}
	db_stmt_done(st);
	if (rc == MVCC_OK && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
	if (rc != MVCC_OK) {
		chunk_free(rows, *n);
		*n = 0;
		return rc;
	}
	*out = rows;
	return MVCC_OK;
}

/* One step in the open batch: see mvcc_compact_step. */
static int compact_step(struct mvcc_store *s, int64_t limit, bool *done)
{
	struct compact_key_row *rows = NULL;
	int64_t budget = limit;
	size_t n = 0, i, last_done = SIZE_MAX;
	bool complete = true;
	int rc;

	*done = !s->compact_pending;
	if (*done)
		return MVCC_OK;
	rc = chunk_read(s, limit, &rows, &n);
	if (rc != MVCC_OK)
		return rc;
	for (i = 0; i < n && budget > 0; i++) {
		int64_t before = budget;
		bool gone;
		rc = compact_key(s, rows[i].seq, s->compact_bound, &budget,
				 &complete, &gone);
		if (rc != MVCC_OK)
			goto out;
		/* A key with nothing to delete costs one, so that a run of
		 * them still ends the step; one with rows to delete got the
		 * whole remaining budget, so every step makes progress. */
		if (budget == before)
			budget--;
		if (!complete)
			break;
		if (gone) {
			/* the key's last generation ended at or below the
			 * compaction: forgotten, as etcd's index does */
			sqlite3_stmt *st = db_stmt(s->db, sql_cur_forget);
			if (!st) {
				rc = MVCC_ERR_DB;
				goto out;
			}
			sqlite3_bind_blob64(st, 1, rows[i].key,
					    rows[i].key_len, SQLITE_STATIC);
			rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK :
				MVCC_ERR_DB;
			db_stmt_done(st);
			if (rc != MVCC_OK)
				goto out;
			mvcc_index_del(&s->index, rows[i].key, rows[i].key_len);
		}
		last_done = i;
	}
	if (complete && i == n && (int64_t)n < limit) {
		/* walked off the end of cur: finished */
		rc = meta_exec(s, sql_meta_del, META_CURSOR, NULL, 0);
		if (rc == MVCC_OK)
			rc = meta_exec(s, sql_meta_del, META_BOUND, NULL, 0);
		if (rc == MVCC_OK) {
			s->compact_pending = false;
			s->compact_bound = 0;
			*done = true;
		}
	} else if (last_done != SIZE_MAX) {
		rc = meta_exec(s, sql_meta_put_blob, META_CURSOR,
			       rows[last_done].key, rows[last_done].key_len);
	}
out:
	chunk_free(rows, n);
	return rc;
}

int mvcc_compact_begin(struct mvcc_store *s, int64_t rev)
{
	int64_t bound;
	bool own;
	int rc = mvcc_auto_batch_begin(s, &own);

	if (rc != MVCC_OK)
		return mvcc_auto_batch_end(s, own, rc);
	/* etcd updateCompactRev: the order of the checks is etcd's. */
	if (rev <= s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	if (rev > s->rev) {
		rc = MVCC_ERR_FUTURE_REV;
		goto out;
	}
	rc = mvcc_seq_bound(s, rev + 1, &bound);
	if (rc != MVCC_OK)
		goto out;
	if (db_meta_set_int(s->db, "compact_rev", rev + 1) != DB_OK ||
	    db_meta_set_int(s->db, META_BOUND, bound) != DB_OK) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	rc = meta_exec(s, sql_meta_del, META_CURSOR, NULL, 0);
	if (rc != MVCC_OK)
		goto out;
	s->compact_rev = rev;
	s->compact_pending = true;
	s->compact_bound = bound;
out:
	return mvcc_auto_batch_end(s, own, rc);
}

int mvcc_compact_step(struct mvcc_store *s, int64_t limit, bool *done)
{
	bool own, d = false;
	int rc;

	if (limit <= 0)
		return MVCC_ERR_INVALID;
	rc = mvcc_auto_batch_begin(s, &own);
	if (rc == MVCC_OK)
		rc = compact_step(s, limit, &d);
	rc = mvcc_auto_batch_end(s, own, rc);
	if (done)
		*done = rc == MVCC_OK && d;
	return rc;
}

bool mvcc_compact_pending(struct mvcc_store *s)
{
	mvcc_store_sync(s);
	return s->compact_pending;
}

/* Rows a step of the one-shot mvcc_compact() and of the finish at open
 * may touch: big, since nothing waits between them. */
#define COMPACT_STEP_ROWS 10000

int mvcc_compact(struct mvcc_store *s, int64_t rev)
{
	bool own, done = false;
	int rc = mvcc_auto_batch_begin(s, &own);

	/* begin and the steps run inside this one batch */
	if (rc == MVCC_OK)
		rc = mvcc_compact_begin(s, rev);
	while (rc == MVCC_OK && !done)
		rc = mvcc_compact_step(s, COMPACT_STEP_ROWS, &done);
	return mvcc_auto_batch_end(s, own, rc);
}

/* A compaction left pending by a crash or a close is finished at open
 * (etcd restore: "resume scheduled compaction"), one batch per step. */
int mvcc_compact_finish(struct mvcc_store *s)
{
	bool done = !s->compact_pending;
	int rc = MVCC_OK;

	while (rc == MVCC_OK && !done)
		rc = mvcc_compact_step(s, COMPACT_STEP_ROWS, &done);
	return rc;
}
