/*
 * mvcc_lease.c: the leases kept beside the key space (etcd's lessor
 * state that must survive a restart) and revoke.
 *
 * Owns: the rows of table lease.  Key attachment is each key's own
 * cur.lease, so it cannot drift from it.
 * Never: keeps time; expiry is the daemon's business.
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

static const char sql_lease_exists[] = "SELECT 1 FROM lease WHERE id = ?1";

int mvcc_lease_exists(struct mvcc_store *s, int64_t id, bool *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_lease_exists);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	*out = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

/* --- leases -------------------------------------------------------------- */

static const char sql_lease_insert[] =
	"INSERT INTO lease(id, ttl, remaining_ttl) VALUES (?1, ?2, 0)";
static const char sql_lease_ckpt[] =
	"UPDATE lease SET remaining_ttl = ?2 WHERE id = ?1";
static const char sql_lease_delete[] = "DELETE FROM lease WHERE id = ?1";
static const char sql_lease_get[] =
	"SELECT id, ttl, remaining_ttl FROM lease WHERE id = ?1";
static const char sql_lease_list[] =
	"SELECT id, ttl, remaining_ttl FROM lease ORDER BY id";
/* "lease != 0" lets the planner use the partial index cur_lease. */
static const char sql_lease_keys[] =
	"SELECT key FROM cur WHERE lease = ?1 AND lease != 0 ORDER BY key";

int mvcc_lease_grant(struct mvcc_store *s, int64_t id, int64_t ttl)
{
	sqlite3_stmt *st;
	bool own, ok;
	int rc;

	if (id == 0)
		return MVCC_ERR_INVALID;
	rc = mvcc_auto_batch_begin(s, &own);
	if (rc != MVCC_OK)
		return mvcc_auto_batch_end(s, own, rc);
	rc = mvcc_lease_exists(s, id, &ok);
	if (rc == MVCC_OK && ok)
		rc = MVCC_ERR_LEASE_EXISTS;
	if (rc != MVCC_OK)
		return mvcc_auto_batch_end(s, own, rc);
	st = db_stmt(s->db, sql_lease_insert);
	if (!st)
		return mvcc_auto_batch_end(s, own, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ttl);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	return mvcc_auto_batch_end(s, own, rc);
}

int mvcc_lease_checkpoint(struct mvcc_store *s, int64_t id,
			  int64_t remaining_ttl)
{
	sqlite3_stmt *st;
	bool own;
	int rc = mvcc_auto_batch_begin(s, &own);

	if (rc != MVCC_OK)
		return mvcc_auto_batch_end(s, own, rc);
	st = db_stmt(s->db, sql_lease_ckpt);
	if (!st)
		return mvcc_auto_batch_end(s, own, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, remaining_ttl);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	if (rc == MVCC_OK && sqlite3_changes(db_sqlite(s->db)) == 0)
		rc = MVCC_ERR_LEASE_NOT_FOUND;
	return mvcc_auto_batch_end(s, own, rc);
}

int mvcc_lease_keys(struct mvcc_store *s, int64_t id,
		    struct mvcc_range_result *res)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = MVCC_OK, r;

	memset(res, 0, sizeof(*res));
	res->revision = s->rev;
	res->arena = calloc(1, sizeof(*res->arena));
	if (!res->arena)
		return MVCC_ERR_NOMEM;
	st = db_stmt(s->db, sql_lease_keys);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct mvcc_kv kv = { .lease = id };
		bool oom = false;

		if (res->n_kvs == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mvcc_kv *n = realloc(res->kvs, ncap * sizeof(*n));
			if (!n) {
				rc = MVCC_ERR_NOMEM;
				break;
			}
			res->kvs = n;
			cap = ncap;
		}
		kv.key_len = (size_t)sqlite3_column_bytes(st, 0);
		kv.key = mvcc_arena_dup(res->arena, sqlite3_column_blob(st, 0),
				   kv.key_len, &oom);
		if (oom) {
			rc = MVCC_ERR_NOMEM;
			break;
		}
		res->kvs[res->n_kvs++] = kv;
	}
	if (rc == MVCC_OK && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
	db_stmt_done(st);
out:
	if (rc != MVCC_OK)
		mvcc_range_result_free(res);
	res->count = (int64_t)res->n_kvs;
	return rc;
}

/* etcd lessor.Revoke: the attached keys, sorted, deleted in one txn, then
 * the lease itself. */
int mvcc_lease_revoke(struct mvcc_txn *t, int64_t id)
{
	struct mvcc_store *s = t->s;
	struct mvcc_range_result keys;
	sqlite3_stmt *st;
	bool ok;
	int rc;

	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	if (t->err)
		return t->err;
	rc = mvcc_lease_exists(s, id, &ok);
	if (rc != MVCC_OK)
		return mvcc_txn_fail(t, rc);
	if (!ok)
		return MVCC_ERR_LEASE_NOT_FOUND;
	rc = mvcc_lease_keys(s, id, &keys);
	if (rc != MVCC_OK)
		return mvcc_txn_fail(t, rc);
	for (size_t i = 0; i < keys.n_kvs && rc == MVCC_OK; i++) {
		struct mvcc_delete_req dr = {
			.key = keys.kvs[i].key, .key_len = keys.kvs[i].key_len,
		};
		rc = mvcc_txn_delete_range(t, &dr, NULL);
	}
	mvcc_range_result_free(&keys);
	if (rc != MVCC_OK)
		return mvcc_txn_fail(t, rc);
	st = db_stmt(s->db, sql_lease_delete);
	if (!st)
		return mvcc_txn_fail(t, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	return rc == MVCC_OK ? MVCC_OK : mvcc_txn_fail(t, rc);
}

static void lease_row(sqlite3_stmt *st, struct mvcc_lease *l)
{
	l->id = sqlite3_column_int64(st, 0);
	l->ttl = sqlite3_column_int64(st, 1);
	l->remaining_ttl = sqlite3_column_int64(st, 2);
}

int mvcc_lease_get(struct mvcc_store *s, int64_t id, struct mvcc_lease *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_lease_get);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		lease_row(st, out);
	db_stmt_done(st);
	if (rc == SQLITE_DONE)
		return MVCC_ERR_LEASE_NOT_FOUND;
	return rc == SQLITE_ROW ? MVCC_OK : MVCC_ERR_DB;
}

int mvcc_lease_list(struct mvcc_store *s, struct mvcc_lease **out, size_t *n)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_lease_list);
	struct mvcc_lease *v = NULL;
	size_t cap = 0;
	int rc = MVCC_OK, r;

	*out = NULL;
	*n = 0;
	if (!st)
		return MVCC_ERR_DB;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mvcc_lease *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = MVCC_ERR_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		lease_row(st, &v[(*n)++]);
	}
	if (rc == MVCC_OK && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
	db_stmt_done(st);
	if (rc != MVCC_OK) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return MVCC_OK;
}

