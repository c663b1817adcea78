/*
 * mvcc_range.c: key ranges and etcd's Range over the MVCC store, at the
 * current revision (table cur only) and at old ones (chain walks).
 *
 * Owns: nothing beyond each result's memory (arena + kv array).
 * Never: writes; scans history for a read at the current revision.
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* --- key ranges ---------------------------------------------------------- */

/* etcd's mkGteRange: range_end "\0" means every key >= key. */
enum mvcc_range_kind mvcc_range_kind(size_t end_len, const uint8_t *end)
{
	if (end_len == 0)
		return RANGE_ONE;
	if (end_len == 1 && end[0] == 0)
		return RANGE_FROM;
	return RANGE_SPAN;
}

void mvcc_bind_range(sqlite3_stmt *st, int first, enum mvcc_range_kind k,
		       const uint8_t *key, size_t key_len, const uint8_t *end,
		       size_t end_len)
{
	sqlite3_bind_blob64(st, first, key_len ? (const void *)key : "",
			    key_len, SQLITE_STATIC);
	if (k == RANGE_SPAN)
		sqlite3_bind_blob64(st, first + 1, end, end_len, SQLITE_STATIC);
}

int64_t mvcc_memcmp_len(const uint8_t *a, size_t al, const uint8_t *b,
			  size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return (int64_t)al - (int64_t)bl;
}

bool mvcc_in_range(enum mvcc_range_kind k, const uint8_t *key, size_t key_len,
		     const uint8_t *kk, size_t kl, const uint8_t *end,
		     size_t end_len)
{
	int64_t c = mvcc_memcmp_len(kk, kl, key, key_len);

	switch (k) {
	case RANGE_ONE: return c == 0;
	case RANGE_FROM: return c >= 0;
	case RANGE_SPAN: return c >= 0 &&
		mvcc_memcmp_len(kk, kl, end, end_len) < 0;
	}
	return false;
}

/*
 * Statements over cur, three shapes each (one key, [key, end), >= key).
 * CROSS JOIN keeps cur as the outer loop: the planner must not walk rev.
 */
#define CUR_COLS_V \
	"c.key, c.create_rev, c.mod_rev, c.ver, c.lease, r.value, c.seq"
#define CUR_COLS_K "c.key, c.create_rev, c.mod_rev, c.ver, c.lease, NULL, c.seq"
#define CUR_FROM_V " FROM cur c CROSS JOIN rev r ON r.seq = c.seq WHERE "
#define CUR_FROM_K " FROM cur c WHERE "
#define W_ONE "c.key = ?1 AND c.ver > 0"
#define W_SPAN "c.key >= ?1 AND c.key < ?2 AND c.ver > 0 ORDER BY c.key"
#define W_FROM "c.key >= ?1 AND c.ver > 0 ORDER BY c.key"

static const char *const sql_cur_rows[2][3] = {
	{ "SELECT " CUR_COLS_K CUR_FROM_K W_ONE,
	  "SELECT " CUR_COLS_K CUR_FROM_K W_SPAN,
	  "SELECT " CUR_COLS_K CUR_FROM_K W_FROM },
	{ "SELECT " CUR_COLS_V CUR_FROM_V W_ONE,
	  "SELECT " CUR_COLS_V CUR_FROM_V W_SPAN,
	  "SELECT " CUR_COLS_V CUR_FROM_V W_FROM },
};
static const char *const sql_cur_count[3] = {
	"SELECT count(*) FROM cur c WHERE " W_ONE,
	"SELECT count(*) FROM cur c WHERE c.key >= ?1 AND c.key < ?2"
	" AND c.ver > 0",
	"SELECT count(*) FROM cur c WHERE c.key >= ?1 AND c.ver > 0",
};
/* Reads at an old revision start from every key in cur, dead or alive. */
static const char *const sql_cur_heads[3] = {
	"SELECT c.key, c.seq FROM cur c WHERE c.key = ?1",
	"SELECT c.key, c.seq FROM cur c WHERE c.key >= ?1 AND c.key < ?2"
	" ORDER BY c.key",
	"SELECT c.key, c.seq FROM cur c WHERE c.key >= ?1 ORDER BY c.key",
};
int mvcc_src_open(struct mvcc_range_src *src, struct mvcc_store *s,
		    enum mvcc_range_kind k, const struct mvcc_range_req *req,
		    int64_t at_rev, bool current, bool want_value)
{
	memset(src, 0, sizeof(*src));
	src->s = s;
	src->want_value = want_value;
	src->old = !current;
	if (current) {
		src->st = db_stmt(s->db, sql_cur_rows[want_value][k]);
		if (!src->st)
			return MVCC_ERR_DB;
		mvcc_bind_range(src->st, 1, k, req->key, req->key_len,
			   req->range_end, req->range_end_len);
		return MVCC_OK;
	}
	int rc = mvcc_seq_bound(s, at_rev + 1, &src->bound);
	if (rc != MVCC_OK)
		return rc;
	src->st = db_stmt(s->db, sql_cur_heads[k]);
	src->row = db_stmt(s->db, mvcc_sql_rev_row);
	if (!src->st || !src->row)
		return MVCC_ERR_DB;
	mvcc_bind_range(src->st, 1, k, req->key, req->key_len, req->range_end,
		   req->range_end_len);
	return MVCC_OK;
}

/* 1 = a row, 0 = end, <0 = error.  The row's pointers are valid until the
 * next call. */
int mvcc_src_next(struct mvcc_range_src *src, struct mvcc_kv *kv)
{
	for (;;) {
		int rc = sqlite3_step(src->st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return MVCC_ERR_DB;
		kv->key = sqlite3_column_blob(src->st, 0);
		kv->key_len = (size_t)sqlite3_column_bytes(src->st, 0);
		if (!src->old) {
			kv->create_revision = sqlite3_column_int64(src->st, 1);
			kv->mod_revision = sqlite3_column_int64(src->st, 2);
			kv->version = sqlite3_column_int64(src->st, 3);
			kv->lease = sqlite3_column_int64(src->st, 4);
			kv->value = NULL;
			kv->value_len = 0;
			if (src->want_value) {
				kv->value = sqlite3_column_blob(src->st, 5);
				kv->value_len =
					(size_t)sqlite3_column_bytes(src->st, 5);
			}
			src->seq = sqlite3_column_int64(src->st, 6);
			return 1;
		}
		int64_t seq;
		rc = mvcc_chain_below(src->s, sqlite3_column_int64(src->st, 1),
				 src->bound, &seq);
		if (rc != MVCC_OK)
			return rc;
		if (seq == 0)
			continue;	/* created after the revision */
		sqlite3_reset(src->row);
		sqlite3_bind_int64(src->row, 1, seq);
		rc = sqlite3_step(src->row);
		if (rc == SQLITE_DONE)
			continue;	/* compacted: nothing live (invariant 5) */
		if (rc != SQLITE_ROW)
			return MVCC_ERR_DB;
		if (sqlite3_column_int64(src->row, 2) == 0)
			continue;	/* a tombstone: not live at the revision */
		src->seq = seq;
		kv->mod_revision = sqlite3_column_int64(src->row, 0);
		kv->create_revision = sqlite3_column_int64(src->row, 1);
		kv->version = sqlite3_column_int64(src->row, 2);
		kv->lease = sqlite3_column_int64(src->row, 3);
		kv->value = NULL;
		kv->value_len = 0;
		if (src->want_value) {
			kv->value = sqlite3_column_blob(src->row, 4);
			kv->value_len = (size_t)sqlite3_column_bytes(src->row, 4);
		}
		return 1;
	}
}

void mvcc_src_close(struct mvcc_range_src *src)
{
	if (src->st)
		db_stmt_done(src->st);
	if (src->row)
		db_stmt_done(src->row);
}
/* --- range --------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* Sort by the target; ties by key ascending in both orders, which is what
 * etcd's sort.Sort gives for small answers and a total order for all. */
struct sort_spec {
	enum mvcc_sort_target target;
	bool desc;
};

static int kv_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mvcc_kv *a = pa, *b = pb;
	const struct sort_spec *sp = arg;
	enum mvcc_sort_target tgt = sp->target;
	bool desc = sp->desc;
	int64_t c = 0;

	switch (tgt) {
	case MVCC_SORT_KEY: break;
	case MVCC_SORT_VERSION: c = cmp_i64(a->version, b->version); break;
	case MVCC_SORT_CREATE:
		c = cmp_i64(a->create_revision, b->create_revision); break;
	case MVCC_SORT_MOD: c = cmp_i64(a->mod_revision, b->mod_revision); break;
	case MVCC_SORT_VALUE:
		c = mvcc_memcmp_len(a->value ? a->value : (const uint8_t *)"",
			       a->value_len,
			       b->value ? b->value : (const uint8_t *)"",
			       b->value_len);
		break;
	}
	if (c == 0) {
		c = mvcc_memcmp_len(a->key, a->key_len, b->key, b->key_len);
		if (tgt == MVCC_SORT_KEY && desc)
			c = -c;
		return c < 0 ? -1 : c > 0;
	}
	if (desc)
		c = -c;
	return c < 0 ? -1 : 1;
}

static bool kv_filtered(const struct mvcc_range_req *r, const struct mvcc_kv *kv)
{
	/* etcd prunes after reading (apply.go Range): bounds are inclusive. */
	if (r->max_mod_revision && kv->mod_revision > r->max_mod_revision)
		return true;
	if (r->min_mod_revision && kv->mod_revision < r->min_mod_revision)
		return true;
	if (r->max_create_revision &&
	    kv->create_revision > r->max_create_revision)
		return true;
	if (r->min_create_revision &&
	    kv->create_revision < r->min_create_revision)
		return true;
	return false;
}

static int count_cur(struct mvcc_store *s, enum mvcc_range_kind k,
		     const struct mvcc_range_req *req, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_cur_count[k]);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	mvcc_bind_range(st, 1, k, req->key, req->key_len, req->range_end,
		   req->range_end_len);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	return rc == SQLITE_ROW ? MVCC_OK : MVCC_ERR_DB;
}

/*
 * etcd's Range: mvcc.rangeKeys (revision checks, count) followed by
 * applierV3backend.Range (filters, sort, limit, more, keys_only).
 * cur_rev is the revision reads see now (the txn's, inside one).
 */
int mvcc_range_at(struct mvcc_store *s, int64_t cur_rev,
		    const struct mvcc_range_req *req,
		    struct mvcc_range_result *res)
{
	struct mvcc_range_src src;
	enum mvcc_range_kind k = mvcc_range_kind(req->range_end_len, req->range_end);
	enum mvcc_sort_order order = req->sort_order;
	int64_t at = req->revision, total = 0, want;
	size_t cap = 0;
	bool fetch_all, want_value, current;
	int rc;

	memset(res, 0, sizeof(*res));
	res->revision = cur_rev;
	if (at > cur_rev)
		return MVCC_ERR_FUTURE_REV;
	if (at <= 0)
		at = cur_rev;
	if (at < s->compact_rev)
		return MVCC_ERR_COMPACTED;
	if (req->key_len == 0 && k == RANGE_ONE)
		return MVCC_OK;
	current = at == cur_rev;
	if (req->sort_target != MVCC_SORT_KEY && order == MVCC_SORT_NONE)
		order = MVCC_SORT_ASCEND;
	fetch_all = order != MVCC_SORT_NONE || req->min_mod_revision ||
		req->max_mod_revision || req->min_create_revision ||
		req->max_create_revision;
	want = (!fetch_all && req->limit > 0) ? req->limit + 1 : INT64_MAX;
	want_value = !req->keys_only || req->sort_target == MVCC_SORT_VALUE;

	if (req->count_only && current) {
		res->count = 0;
		return count_cur(s, k, req, &res->count);
	}
	res->arena = calloc(1, sizeof(*res->arena));
	if (!res->arena)
		return MVCC_ERR_NOMEM;
	rc = mvcc_src_open(&src, s, k, req, at, current, want_value &&
		      !req->count_only);
	if (rc != MVCC_OK)
		goto err;
	for (;;) {
		struct mvcc_kv kv;
		rc = mvcc_src_next(&src, &kv);
		if (rc == 0)
			break;
		if (rc < 0)
			goto err_src;
		total++;
		if (req->count_only || (int64_t)res->n_kvs >= want) {
			/* Past what we keep: at the current revision count()
			 * the rest without reading values. */
			if (!current || req->count_only)
				continue;
			mvcc_src_close(&src);
			src.st = src.row = NULL;
			rc = count_cur(s, k, req, &total);
			if (rc != MVCC_OK)
				goto err;
			break;
		}
		if (res->n_kvs == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mvcc_kv *n = realloc(res->kvs, ncap * sizeof(*n));
			if (!n) {
				rc = MVCC_ERR_NOMEM;
				goto err_src;
			}
			res->kvs = n;
			cap = ncap;
		}
		if (!mvcc_kv_copy(res->arena, &res->kvs[res->n_kvs], &kv)) {
			rc = MVCC_ERR_NOMEM;
			goto err_src;
		}
		res->n_kvs++;
	}
	mvcc_src_close(&src);
	res->count = total;

	if (fetch_all) {
		size_t j = 0;
		for (size_t i = 0; i < res->n_kvs; i++)
			if (!kv_filtered(req, &res->kvs[i]))
				res->kvs[j++] = res->kvs[i];
		res->n_kvs = j;
		if (order != MVCC_SORT_NONE &&
		    !(order == MVCC_SORT_ASCEND &&
		      req->sort_target == MVCC_SORT_KEY)) {
			struct sort_spec sp = {
				.target = req->sort_target,
				.desc = order == MVCC_SORT_DESCEND,
			};
			qsort_r(res->kvs, res->n_kvs, sizeof(*res->kvs), kv_cmp,
				&sp);
		}
	}
	if (req->limit > 0 && (int64_t)res->n_kvs > req->limit) {
		res->n_kvs = (size_t)req->limit;
		res->more = true;
	}
	if (req->keys_only)
		for (size_t i = 0; i < res->n_kvs; i++) {
			res->kvs[i].value = NULL;
			res->kvs[i].value_len = 0;
		}
	return MVCC_OK;
err_src:
	mvcc_src_close(&src);
err:
	mvcc_range_result_free(res);
	res->revision = cur_rev;
	return rc;
}

void mvcc_range_result_free(struct mvcc_range_result *res)
{
	if (!res)
		return;
	free(res->kvs);
	if (res->arena) {
		mvcc_arena_free(res->arena);
		free(res->arena);
	}
	res->kvs = NULL;
	res->arena = NULL;
	res->n_kvs = 0;
}

int mvcc_range(struct mvcc_store *s, const struct mvcc_range_req *req,
	       struct mvcc_range_result *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = mvcc_store_sync(s);
	if (rc == MVCC_OK)
		rc = mvcc_range_at(s, s->rev, req, res);
	db_read_end(s->db);
	return rc;
}
