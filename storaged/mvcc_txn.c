/*
 * mvcc_txn.c: write transactions of the MVCC store (etcd's TxnWrite):
 * put, delete_range, reads inside a txn, the one-op conveniences.
 *
 * Owns: the rows a txn appends to rev and the cur rows it moves; the
 * txn's events and their memory (the txn arena).
 * Never: gives a txn more than one main revision, or commits a batch it
 * did not open.
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

int mvcc_txn_fail(struct mvcc_txn *t, int err)
{
	if (err == MVCC_ERR_DB || err == MVCC_ERR_NOMEM)
		t->err = err;
	return err;
}

/* --- write txns ---------------------------------------------------------- */

static const char sql_cur_get[] =
	"SELECT seq, create_rev, mod_rev, ver, lease FROM cur WHERE key = ?1";
static const char sql_rev_value[] = "SELECT value FROM rev WHERE seq = ?1";
/* seq left to SQLite: max(seq) + 1 is an append at the end of the b-tree
 * (a cheaper probe than checking an explicit rowid for a clash). */
static const char sql_rev_insert[] =
	"INSERT INTO rev(main, sub, key, create_rev, ver, lease, prev_seq,"
	" value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)";
static const char sql_cur_insert[] =
	"INSERT INTO cur(key, seq, create_rev, mod_rev, ver, lease)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_cur_update[] =
	"UPDATE cur SET seq = ?2, create_rev = ?3, mod_rev = ?4, ver = ?5,"
	" lease = ?6 WHERE key = ?1";
/* A deleted key stays as the dead head of its chain (invariant 2). */
static const char sql_cur_kill[] =
	"UPDATE cur SET seq = ?2, mod_rev = ?3, ver = 0, lease = 0"
	" WHERE key = ?1";

int mvcc_txn_begin(struct mvcc_store *s, struct mvcc_txn **out)
{
	struct mvcc_txn *t = &s->txn;
	int rc;

	*out = NULL;
	if (t->open)
		return MVCC_ERR_STATE;
	if (!db_in_batch(s->db)) {
		if (db_batch_begin(s->db) != DB_OK)
			return MVCC_ERR_DB;
		t->own_batch = true;
	} else {
		t->own_batch = false;
	}
	rc = mvcc_store_sync(s);
	if (rc != MVCC_OK) {
		if (t->own_batch)
			db_batch_rollback(s->db);
		return rc;
	}
	t->main = s->rev + 1;
	t->sub = 0;
	t->open = true;
	t->ended = false;
	t->err = MVCC_OK;
	t->n_events = 0;
	mvcc_arena_reset(&t->arena);
	*out = t;
	return MVCC_OK;
}

int64_t mvcc_txn_revision(const struct mvcc_txn *t)
{
	return t->sub > 0 ? t->main : t->main - 1;
}

static struct mvcc_event *txn_event(struct mvcc_txn *t)
{
	if (t->n_events == t->cap_events) {
		size_t n = t->cap_events ? t->cap_events * 2 : 16;
		struct mvcc_event *e = realloc(t->events, n * sizeof(*e));
		if (!e)
			return NULL;
		t->events = e;
		t->cap_events = n;
	}
	struct mvcc_event *e = &t->events[t->n_events++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* The value of a rev row into the txn arena. */
static int rev_value(struct mvcc_txn *t, int64_t seq, struct mvcc_kv *kv)
{
	sqlite3_stmt *st = db_stmt(t->s->db, sql_rev_value);
	bool oom = false;
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		kv->value_len = (size_t)sqlite3_column_bytes(st, 0);
		kv->value = mvcc_arena_dup(&t->arena, sqlite3_column_blob(st, 0),
				      kv->value_len, &oom);
	}
	db_stmt_done(st);
	if (rc != SQLITE_ROW)
		return MVCC_ERR_DB;
	return oom ? MVCC_ERR_NOMEM : MVCC_OK;
}

/* Keeps the writer's mirror of cur in step with a cur row just written.
 * Out of memory only costs speed: puts go back to reading cur. */
static void index_note(struct mvcc_store *s, const uint8_t *key, size_t len,
		       int64_t seq, int64_t create_rev, int64_t ver)
{
	if (s->index.ready &&
	    mvcc_index_set(&s->index, key, len, seq, create_rev, ver) != MVCC_OK)
		mvcc_index_clear(&s->index);
}

static int rev_insert(struct mvcc_txn *t, const uint8_t *key, size_t key_len,
		      int64_t create, int64_t ver, int64_t lease,
		      const uint8_t *value, size_t value_len, int64_t prev_seq,
		      int64_t *seq)
{
	sqlite3_stmt *st = db_stmt(t->s->db, sql_rev_insert);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, t->main);
	sqlite3_bind_int64(st, 2, t->sub);
	sqlite3_bind_blob64(st, 3, key, key_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, create);
	sqlite3_bind_int64(st, 5, ver);
	sqlite3_bind_int64(st, 6, lease);
	sqlite3_bind_int64(st, 8, prev_seq);
	if (ver == 0)
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_blob64(st, 7, value_len ? (const void *)value : "",
				    value_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return MVCC_ERR_DB;
	*seq = sqlite3_last_insert_rowid(db_sqlite(t->s->db));
	t->sub++;
	return MVCC_OK;
}

/* etcd applierV3backend.Put + storeTxnWrite.put. */
int mvcc_txn_put(struct mvcc_txn *t, const struct mvcc_put_req *req,
		 struct mvcc_put_result *res)
{
	struct mvcc_store *s = t->s;
	struct mvcc_kv prev = { 0 };
	sqlite3_stmt *st;
	int64_t prev_seq = 0, lease = req->lease, seq;
	const uint8_t *value = req->value;
	size_t value_len = req->value_len;
	bool row, exists, need_prev, oom = false;
	int rc;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	if (t->err)
		return t->err;
	if (req->key_len == 0)
		return MVCC_ERR_INVALID;

	/* Where the key stands: the writer's mirror of cur has what a plain
	 * put needs (chain head, create_rev, version); anything that returns
	 * or keeps the previous kv reads the whole cur row. */
	struct mvcc_index_ent *e = NULL;
	bool full = req->ignore_value || req->ignore_lease || req->prev_kv ||
		s->events_prev_kv || !s->index.ready;
	if (!full) {
		e = mvcc_index_get(&s->index, req->key, req->key_len);
		row = e != NULL;
		exists = row && e->ver > 0;
		if (row)
			prev_seq = e->seq;
		if (exists) {
			prev.create_revision = e->create_rev;
			prev.version = e->ver;
		}
	} else {
		st = db_stmt(s->db, sql_cur_get);
		if (!st)
			return mvcc_txn_fail(t, MVCC_ERR_DB);
		sqlite3_bind_blob64(st, 1, req->key, req->key_len,
				    SQLITE_STATIC);
		rc = sqlite3_step(st);
		row = rc == SQLITE_ROW;		/* a chain to extend */
		exists = row && sqlite3_column_int64(st, 3) > 0;	/* live */
		if (row)
			prev_seq = sqlite3_column_int64(st, 0);
		if (exists) {
			prev.key = req->key;
			prev.key_len = req->key_len;
			prev.create_revision = sqlite3_column_int64(st, 1);
			prev.mod_revision = sqlite3_column_int64(st, 2);
			prev.version = sqlite3_column_int64(st, 3);
			prev.lease = sqlite3_column_int64(st, 4);
		}
		db_stmt_done(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return mvcc_txn_fail(t, MVCC_ERR_DB);
	}

	/* ignore_value / ignore_lease expect a previous kv (apply.go Put). */
	if ((req->ignore_value || req->ignore_lease) && !exists)
		return MVCC_ERR_KEY_NOT_FOUND;
	if (req->ignore_lease)
		lease = prev.lease;
	else if (lease != 0) {
		bool ok;
		rc = mvcc_lease_exists(s, lease, &ok);
		if (rc != MVCC_OK)
			return mvcc_txn_fail(t, rc);
		if (!ok)
			return MVCC_ERR_LEASE_NOT_FOUND;
	}
	need_prev = exists && (req->prev_kv || s->events_prev_kv ||
			       req->ignore_value);
	if (need_prev) {
		prev.key = mvcc_arena_dup(&t->arena, req->key, req->key_len, &oom);
		if (oom)
			return mvcc_txn_fail(t, MVCC_ERR_NOMEM);
		rc = rev_value(t, prev_seq, &prev);
		if (rc != MVCC_OK)
			return mvcc_txn_fail(t, rc);
	}
	if (req->ignore_value) {
		value = prev.value;
		value_len = prev.value_len;
	}

	struct mvcc_kv kv = {
		.key = req->key, .key_len = req->key_len,
		.create_revision = exists ? prev.create_revision : t->main,
		.mod_revision = t->main,
		.version = exists ? prev.version + 1 : 1,
		.value = value, .value_len = value_len,
		.lease = lease,
	};
	rc = rev_insert(t, kv.key, kv.key_len, kv.create_revision, kv.version,
			kv.lease, kv.value, kv.value_len, prev_seq, &seq);
	if (rc != MVCC_OK)
		return mvcc_txn_fail(t, rc);
	st = db_stmt(s->db, row ? sql_cur_update : sql_cur_insert);
	if (!st)
		return mvcc_txn_fail(t, MVCC_ERR_DB);
	sqlite3_bind_blob64(st, 1, kv.key, kv.key_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, kv.create_revision);
	sqlite3_bind_int64(st, 4, kv.mod_revision);
	sqlite3_bind_int64(st, 5, kv.version);
	sqlite3_bind_int64(st, 6, kv.lease);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return mvcc_txn_fail(t, MVCC_ERR_DB);
	index_note(s, kv.key, kv.key_len, seq, kv.create_revision, kv.version);

	struct mvcc_event *ev = txn_event(t);
	if (!ev || !mvcc_kv_copy(&t->arena, &ev->kv, &kv))
		return mvcc_txn_fail(t, MVCC_ERR_NOMEM);
	ev->type = MVCC_EVENT_PUT;
	if (need_prev && (req->prev_kv || s->events_prev_kv)) {
		ev->has_prev_kv = true;
		ev->prev_kv = prev;
	}
	if (res) {
		res->revision = t->main;
		if (req->prev_kv && exists) {
			res->has_prev_kv = true;
			res->prev_kv = prev;
		}
	}
	return MVCC_OK;
}

/* etcd applierV3backend.DeleteRange + storeTxnWrite.deleteRange. */
int mvcc_txn_delete_range(struct mvcc_txn *t, const struct mvcc_delete_req *req,
			  struct mvcc_delete_result *res)
{
	struct mvcc_store *s = t->s;
	enum mvcc_range_kind k = mvcc_range_kind(req->range_end_len, req->range_end);
	bool with_prev = req->prev_kv || s->events_prev_kv;
	struct mvcc_range_src src;
	struct mvcc_kv *victims = NULL;
	int64_t *heads = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	if (t->err)
		return t->err;
	if (req->key_len == 0)
		return MVCC_ERR_INVALID;

	/* Collect first: cur must not change under the walk. */
	struct mvcc_range_req rr = {
		.key = req->key, .key_len = req->key_len,
		.range_end = req->range_end, .range_end_len = req->range_end_len,
	};
	rc = mvcc_src_open(&src, s, k, &rr, 0, true, with_prev);
	if (rc != MVCC_OK)
		return mvcc_txn_fail(t, rc);
	for (;;) {
		struct mvcc_kv kv;
		rc = mvcc_src_next(&src, &kv);
		if (rc == 0)
			break;
		if (rc < 0)
			goto err_src;
		if (n == cap) {
			/* The arena owns the array: it lives as long as the
			 * txn, as the result's prev_kvs must. */
			size_t ncap = cap ? cap * 2 : 8;
			struct mvcc_kv *v = mvcc_arena_alloc(&t->arena,
							ncap * sizeof(*v));
			int64_t *h = mvcc_arena_alloc(&t->arena, ncap * sizeof(*h));
			if (!v || !h) {
				rc = MVCC_ERR_NOMEM;
				goto err_src;
			}
			if (n) {
				memcpy(v, victims, n * sizeof(*v));
				memcpy(h, heads, n * sizeof(*h));
			}
			victims = v;
			heads = h;
			cap = ncap;
		}
		if (!mvcc_kv_copy(&t->arena, &victims[n], &kv)) {
			rc = MVCC_ERR_NOMEM;
			goto err_src;
		}
		heads[n] = src.seq;
		n++;
	}
	mvcc_src_close(&src);

	for (size_t i = 0; i < n; i++) {
		int64_t seq;
		sqlite3_stmt *st;

		/* etcd's tombstone: a KeyValue with only the key (invariant 3). */
		rc = rev_insert(t, victims[i].key, victims[i].key_len, 0, 0, 0,
				NULL, 0, heads[i], &seq);
		if (rc != MVCC_OK)
			return mvcc_txn_fail(t, rc);
		st = db_stmt(s->db, sql_cur_kill);
		if (!st)
			return mvcc_txn_fail(t, MVCC_ERR_DB);
		sqlite3_bind_blob64(st, 1, victims[i].key, victims[i].key_len,
				    SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		sqlite3_bind_int64(st, 3, t->main);
		rc = sqlite3_step(st);
		db_stmt_done(st);
		if (rc != SQLITE_DONE)
			return mvcc_txn_fail(t, MVCC_ERR_DB);
		index_note(s, victims[i].key, victims[i].key_len, seq,
			   victims[i].create_revision, 0);
		struct mvcc_event *ev = txn_event(t);
		if (!ev)
			return mvcc_txn_fail(t, MVCC_ERR_NOMEM);
		ev->type = MVCC_EVENT_DELETE;
		ev->kv.key = victims[i].key;
		ev->kv.key_len = victims[i].key_len;
		ev->kv.mod_revision = t->main;
		if (with_prev) {
			ev->has_prev_kv = true;
			ev->prev_kv = victims[i];
		}
	}
	if (res) {
		res->deleted = (int64_t)n;
		res->revision = mvcc_txn_revision(t);
		if (req->prev_kv) {
			res->prev_kvs = victims;
			res->n_prev_kvs = n;
		}
	}
	return MVCC_OK;
err_src:
	mvcc_src_close(&src);
	return mvcc_txn_fail(t, rc);
}

int mvcc_txn_range(struct mvcc_txn *t, const struct mvcc_range_req *req,
		   struct mvcc_range_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	if (t->err)
		return t->err;
	return mvcc_range_at(t->s, mvcc_txn_revision(t), req, res);
}

int mvcc_txn_end(struct mvcc_txn *t, int64_t *rev)
{
	struct mvcc_store *s = t->s;
	int rc = t->err;

	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	t->ended = true;
	if (rc == MVCC_OK && t->sub > 0)
		s->rev = t->main;
	if (t->own_batch) {
		if (rc != MVCC_OK) {
			db_batch_rollback(s->db);
		} else if (db_batch_commit(s->db) != DB_OK) {
			rc = MVCC_ERR_DB;
		}
		/* Our caches now match what is committed (or rolled back). */
		s->db_gen = db_generation(s->db);
		if (rc != MVCC_OK)
			mvcc_store_load(s);
	}
	if (rev)
		*rev = s->rev;
	return rc;
}

const struct mvcc_event *mvcc_txn_events(const struct mvcc_txn *t, size_t *n)
{
	*n = t->n_events;
	return t->events;
}

void mvcc_txn_free(struct mvcc_txn *t)
{
	if (!t)
		return;
	if (t->open && !t->ended)
		mvcc_txn_end(t, NULL);
	t->open = false;
	t->n_events = 0;
	mvcc_arena_reset(&t->arena);
}

int mvcc_put(struct mvcc_store *s, const struct mvcc_put_req *req,
	     struct mvcc_put_result *res)
{
	struct mvcc_txn *t;
	int rc = mvcc_txn_begin(s, &t);

	if (rc != MVCC_OK)
		return rc;
	rc = mvcc_txn_put(t, req, NULL);
	int erc = mvcc_txn_end(t, NULL);
	if (rc == MVCC_OK)
		rc = erc;
	/* prev_kv would point into the txn arena, reset below: give only
	 * the revision here. */
	if (res) {
		memset(res, 0, sizeof(*res));
		res->revision = s->rev;
	}
	mvcc_txn_free(t);
	return rc;
}

int mvcc_delete_range(struct mvcc_store *s, const struct mvcc_delete_req *req,
		      int64_t *deleted)
{
	struct mvcc_delete_result dr;
	struct mvcc_delete_req r = *req;
	struct mvcc_txn *t;
	int rc = mvcc_txn_begin(s, &t);

	if (rc != MVCC_OK)
		return rc;
	r.prev_kv = false;
	rc = mvcc_txn_delete_range(t, &r, &dr);
	int erc = mvcc_txn_end(t, NULL);
	if (rc == MVCC_OK)
		rc = erc;
	if (deleted)
		*deleted = rc == MVCC_OK ? dr.deleted : 0;
	mvcc_txn_free(t);
	return rc;
}
