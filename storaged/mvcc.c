/*
 * mvcc.c: etcd 3.4's revisioned key-value store on SQLite (see mvcc.h).
 *
 * Owns: the store's cached revisions, the one write txn object and its
 * memory; the rows of tables rev and cur (schema in db.c).
 * Never: commits a batch it did not open, or reads history to answer a
 * read at the current revision.
 * Runs in: cetcd-storaged, on the thread of its struct db.
 *
 * Design notes (numbered invariants, relied on below):
 *  1. rev.seq grows with (main, sub): rows are appended in revision order,
 *     so "revisions below R" is "seq below seq_bound(R)", found by a binary
 *     search over seq (no index on main is needed or kept).
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
 *  6. The current revision is max(1, C, main of the last rev row), so it
 *     needs no meta row of its own: a txn costs no extra write.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/crc32c.h"
#include "storaged/db.h"

/* --- arena: the memory behind results ---------------------------------- */

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

static void *arena_alloc(struct mvcc_arena *a, size_t n)
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

static const uint8_t *arena_dup(struct mvcc_arena *a, const void *p, size_t n,
				bool *oom)
{
	uint8_t *d;

	if (n == 0)
		return (const uint8_t *)"";
	d = arena_alloc(a, n);
	if (!d) {
		*oom = true;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

/* Keeps one chunk for reuse: the txn arena is reset once per txn. */
static void arena_reset(struct mvcc_arena *a)
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

static void arena_free(struct mvcc_arena *a)
{
	struct mvcc_chunk *c = a->head;

	while (c) {
		struct mvcc_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* --- store and txn ------------------------------------------------------ */

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
	uint64_t db_gen;	/* db_generation() the caches match */
	bool events_prev_kv;
	struct mvcc_txn txn;
};

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
static int store_load(struct mvcc_store *s)
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
	s->rev = 1;
	if (s->compact_rev > s->rev)
		s->rev = s->compact_rev;
	if (last > s->rev)
		s->rev = last;
	s->db_gen = db_generation(s->db);
	return MVCC_OK;
}

/* Called at every entry point: a rollback (or another connection's commit,
 * for readers) may have moved the db under our caches. */
static int store_sync(struct mvcc_store *s)
{
	if (s->db_gen == db_generation(s->db))
		return MVCC_OK;
	return store_load(s);
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
	rc = store_load(s);
	if (rc != MVCC_OK) {
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
	free(s->txn.events);
	arena_free(&s->txn.arena);
	free(s);
}

struct db *mvcc_store_db(struct mvcc_store *s) { return s->db; }

int64_t mvcc_current_revision(struct mvcc_store *s)
{
	store_sync(s);
	return s->rev;
}

int64_t mvcc_compact_revision(struct mvcc_store *s)
{
	store_sync(s);
	return s->compact_rev;
}

void mvcc_set_events_prev_kv(struct mvcc_store *s, bool on)
{
	s->events_prev_kv = on;
}

/*
 * seq_bound(R): a seq B such that the rows with seq < B are exactly the
 * rows with main < R (invariant 1).  Binary search over seq; compaction
 * leaves gaps, which the "first row at or after mid" step skips.
 */
static int seq_bound(struct mvcc_store *s, int64_t r, int64_t *out)
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

/* --- key ranges ---------------------------------------------------------- */

enum range_kind { RANGE_ONE, RANGE_SPAN, RANGE_FROM };

/* etcd's mkGteRange: range_end "\0" means every key >= key. */
static enum range_kind range_kind(size_t end_len, const uint8_t *end)
{
	if (end_len == 0)
		return RANGE_ONE;
	if (end_len == 1 && end[0] == 0)
		return RANGE_FROM;
	return RANGE_SPAN;
}

static void bind_range(sqlite3_stmt *st, int first, enum range_kind k,
		       const uint8_t *key, size_t key_len, const uint8_t *end,
		       size_t end_len)
{
	sqlite3_bind_blob64(st, first, key_len ? (const void *)key : "",
			    key_len, SQLITE_STATIC);
	if (k == RANGE_SPAN)
		sqlite3_bind_blob64(st, first + 1, end, end_len, SQLITE_STATIC);
}

static int64_t memcmp_len(const uint8_t *a, size_t al, const uint8_t *b,
			  size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return (int64_t)al - (int64_t)bl;
}

static bool in_range(enum range_kind k, const uint8_t *key, size_t key_len,
		     const uint8_t *kk, size_t kl, const uint8_t *end,
		     size_t end_len)
{
	int64_t c = memcmp_len(kk, kl, key, key_len);

	switch (k) {
	case RANGE_ONE: return c == 0;
	case RANGE_FROM: return c >= 0;
	case RANGE_SPAN: return c >= 0 &&
		memcmp_len(kk, kl, end, end_len) < 0;
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
static const char sql_rev_row[] =
	"SELECT main, create_rev, ver, lease, value, prev_seq FROM rev"
	" WHERE seq = ?1";
static const char sql_rev_prev[] = "SELECT prev_seq FROM rev WHERE seq = ?1";

/*
 * Walks a key's chain from seq (a row at or above the bound, or its
 * newest) down to its newest row below bound (invariant 4).  *out is 0
 * when the key has no such row; it may name a compacted row, which then
 * reads as absent.
 */
static int chain_below(struct mvcc_store *s, int64_t seq, int64_t bound,
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

/* One row of a range, pointing into SQLite or the arena. */
struct mvcc_row {
	struct mvcc_kv kv;
};

/*
 * A source of rows in key order: the cur table (current revision) or the
 * newest-row-per-key walk over rev (old revision).
 */
struct range_src {
	struct mvcc_store *s;
	sqlite3_stmt *st;	/* cur rows: live ones, or all (old) */
	sqlite3_stmt *row;	/* old: row by seq */
	int64_t bound;		/* old: rows below it are visible */
	int64_t seq;		/* the rev row of the last row returned */
	bool old;
	bool want_value;
};

static int src_open(struct range_src *src, struct mvcc_store *s,
		    enum range_kind k, const struct mvcc_range_req *req,
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
		bind_range(src->st, 1, k, req->key, req->key_len,
			   req->range_end, req->range_end_len);
		return MVCC_OK;
	}
	int rc = seq_bound(s, at_rev + 1, &src->bound);
	if (rc != MVCC_OK)
		return rc;
	src->st = db_stmt(s->db, sql_cur_heads[k]);
	src->row = db_stmt(s->db, sql_rev_row);
	if (!src->st || !src->row)
		return MVCC_ERR_DB;
	bind_range(src->st, 1, k, req->key, req->key_len, req->range_end,
		   req->range_end_len);
	return MVCC_OK;
}

/* 1 = a row, 0 = end, <0 = error.  The row's pointers are valid until the
 * next call. */
static int src_next(struct range_src *src, struct mvcc_kv *kv)
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
		rc = chain_below(src->s, sqlite3_column_int64(src->st, 1),
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

static void src_close(struct range_src *src)
{
	if (src->st)
		db_stmt_done(src->st);
	if (src->row)
		db_stmt_done(src->row);
}

/* --- range --------------------------------------------------------------- */

static bool kv_copy(struct mvcc_arena *a, struct mvcc_kv *dst,
		    const struct mvcc_kv *src)
{
	bool oom = false;

	*dst = *src;
	dst->key = arena_dup(a, src->key, src->key_len, &oom);
	dst->value = src->value ? arena_dup(a, src->value, src->value_len, &oom)
		: NULL;
	return !oom;
}

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
		c = memcmp_len(a->value ? a->value : (const uint8_t *)"",
			       a->value_len,
			       b->value ? b->value : (const uint8_t *)"",
			       b->value_len);
		break;
	}
	if (c == 0) {
		c = memcmp_len(a->key, a->key_len, b->key, b->key_len);
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

static int count_cur(struct mvcc_store *s, enum range_kind k,
		     const struct mvcc_range_req *req, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_cur_count[k]);
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	bind_range(st, 1, k, req->key, req->key_len, req->range_end,
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
static int range_at(struct mvcc_store *s, int64_t cur_rev,
		    const struct mvcc_range_req *req,
		    struct mvcc_range_result *res)
{
	struct range_src src;
	enum range_kind k = range_kind(req->range_end_len, req->range_end);
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
	rc = src_open(&src, s, k, req, at, current, want_value &&
		      !req->count_only);
	if (rc != MVCC_OK)
		goto err;
	for (;;) {
		struct mvcc_kv kv;
		rc = src_next(&src, &kv);
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
			src_close(&src);
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
		if (!kv_copy(res->arena, &res->kvs[res->n_kvs], &kv)) {
			rc = MVCC_ERR_NOMEM;
			goto err_src;
		}
		res->n_kvs++;
	}
	src_close(&src);
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
	src_close(&src);
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
		arena_free(res->arena);
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
	rc = store_sync(s);
	if (rc == MVCC_OK)
		rc = range_at(s, s->rev, req, res);
	db_read_end(s->db);
	return rc;
}

/* --- write txns ---------------------------------------------------------- */

static const char sql_cur_get[] =
	"SELECT seq, create_rev, mod_rev, ver, lease FROM cur WHERE key = ?1";
static const char sql_rev_value[] = "SELECT value FROM rev WHERE seq = ?1";
static const char sql_rev_insert[] =
	"INSERT INTO rev(main, sub, key, create_rev, ver, lease, prev_seq, value)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)";
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
static const char sql_lease_exists[] = "SELECT 1 FROM lease WHERE id = ?1";

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
	rc = store_sync(s);
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
	arena_reset(&t->arena);
	*out = t;
	return MVCC_OK;
}

int64_t mvcc_txn_revision(const struct mvcc_txn *t)
{
	return t->sub > 0 ? t->main : t->main - 1;
}

static int txn_fail(struct mvcc_txn *t, int err)
{
	if (err == MVCC_ERR_DB || err == MVCC_ERR_NOMEM)
		t->err = err;
	return err;
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
		kv->value = arena_dup(&t->arena, sqlite3_column_blob(st, 0),
				      kv->value_len, &oom);
	}
	db_stmt_done(st);
	if (rc != SQLITE_ROW)
		return MVCC_ERR_DB;
	return oom ? MVCC_ERR_NOMEM : MVCC_OK;
}

static int lease_exists(struct mvcc_store *s, int64_t id, bool *out)
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

	st = db_stmt(s->db, sql_cur_get);
	if (!st)
		return txn_fail(t, MVCC_ERR_DB);
	sqlite3_bind_blob64(st, 1, req->key, req->key_len, SQLITE_STATIC);
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
		return txn_fail(t, MVCC_ERR_DB);

	/* ignore_value / ignore_lease expect a previous kv (apply.go Put). */
	if ((req->ignore_value || req->ignore_lease) && !exists)
		return MVCC_ERR_KEY_NOT_FOUND;
	if (req->ignore_lease)
		lease = prev.lease;
	else if (lease != 0) {
		bool ok;
		rc = lease_exists(s, lease, &ok);
		if (rc != MVCC_OK)
			return txn_fail(t, rc);
		if (!ok)
			return MVCC_ERR_LEASE_NOT_FOUND;
	}
	need_prev = exists && (req->prev_kv || s->events_prev_kv ||
			       req->ignore_value);
	if (need_prev) {
		prev.key = arena_dup(&t->arena, req->key, req->key_len, &oom);
		if (oom)
			return txn_fail(t, MVCC_ERR_NOMEM);
		rc = rev_value(t, prev_seq, &prev);
		if (rc != MVCC_OK)
			return txn_fail(t, rc);
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
		return txn_fail(t, rc);
	st = db_stmt(s->db, row ? sql_cur_update : sql_cur_insert);
	if (!st)
		return txn_fail(t, MVCC_ERR_DB);
	sqlite3_bind_blob64(st, 1, kv.key, kv.key_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, kv.create_revision);
	sqlite3_bind_int64(st, 4, kv.mod_revision);
	sqlite3_bind_int64(st, 5, kv.version);
	sqlite3_bind_int64(st, 6, kv.lease);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return txn_fail(t, MVCC_ERR_DB);

	struct mvcc_event *ev = txn_event(t);
	if (!ev || !kv_copy(&t->arena, &ev->kv, &kv))
		return txn_fail(t, MVCC_ERR_NOMEM);
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
	enum range_kind k = range_kind(req->range_end_len, req->range_end);
	bool with_prev = req->prev_kv || s->events_prev_kv;
	struct range_src src;
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
	rc = src_open(&src, s, k, &rr, 0, true, with_prev);
	if (rc != MVCC_OK)
		return txn_fail(t, rc);
	for (;;) {
		struct mvcc_kv kv;
		rc = src_next(&src, &kv);
		if (rc == 0)
			break;
		if (rc < 0)
			goto err_src;
		if (n == cap) {
			/* The arena owns the array: it lives as long as the
			 * txn, as the result's prev_kvs must. */
			size_t ncap = cap ? cap * 2 : 8;
			struct mvcc_kv *v = arena_alloc(&t->arena,
							ncap * sizeof(*v));
			int64_t *h = arena_alloc(&t->arena, ncap * sizeof(*h));
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
		if (!kv_copy(&t->arena, &victims[n], &kv)) {
			rc = MVCC_ERR_NOMEM;
			goto err_src;
		}
		heads[n] = src.seq;
		n++;
	}
	src_close(&src);

	for (size_t i = 0; i < n; i++) {
		int64_t seq;
		sqlite3_stmt *st;

		/* etcd's tombstone: a KeyValue with only the key (invariant 3). */
		rc = rev_insert(t, victims[i].key, victims[i].key_len, 0, 0, 0,
				NULL, 0, heads[i], &seq);
		if (rc != MVCC_OK)
			return txn_fail(t, rc);
		st = db_stmt(s->db, sql_cur_kill);
		if (!st)
			return txn_fail(t, MVCC_ERR_DB);
		sqlite3_bind_blob64(st, 1, victims[i].key, victims[i].key_len,
				    SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		sqlite3_bind_int64(st, 3, t->main);
		rc = sqlite3_step(st);
		db_stmt_done(st);
		if (rc != SQLITE_DONE)
			return txn_fail(t, MVCC_ERR_DB);
		struct mvcc_event *ev = txn_event(t);
		if (!ev)
			return txn_fail(t, MVCC_ERR_NOMEM);
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
	src_close(&src);
	return txn_fail(t, rc);
}

int mvcc_txn_range(struct mvcc_txn *t, const struct mvcc_range_req *req,
		   struct mvcc_range_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!t->open || t->ended)
		return MVCC_ERR_STATE;
	if (t->err)
		return t->err;
	return range_at(t->s, mvcc_txn_revision(t), req, res);
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
			store_load(s);
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
	arena_reset(&t->arena);
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

/* --- batches opened on the caller's behalf ------------------------------- */

/* Runs inside the open batch, or in one of its own. */
static int auto_batch_begin(struct mvcc_store *s, bool *own)
{
	*own = false;
	if (s->txn.open && !s->txn.ended)
		return MVCC_ERR_STATE;
	if (!db_in_batch(s->db)) {
		if (db_batch_begin(s->db) != DB_OK)
			return MVCC_ERR_DB;
		*own = true;
	}
	return store_sync(s);
}

static int auto_batch_end(struct mvcc_store *s, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc == MVCC_OK && db_batch_commit(s->db) != DB_OK)
		rc = MVCC_ERR_DB;
	else if (rc != MVCC_OK)
		db_batch_rollback(s->db);
	if (rc != MVCC_OK)
		store_load(s);
	s->db_gen = db_generation(s->db);
	return rc;
}

/* --- compaction ---------------------------------------------------------- */

/*
 * etcd's compaction (kvstore_compaction.go with key_index.go compact), per
 * key: walk the chain from cur to the newest row at or below rev; keep it
 * unless it is a tombstone; delete every older row; then forget the keys
 * whose delete is at or below rev.  Rows above rev are never touched.
 */
static const char sql_cur_all[] = "SELECT seq FROM cur";
static const char sql_rev_del[] = "DELETE FROM rev WHERE seq = ?1";
static const char sql_rev_unlink[] =
	"UPDATE rev SET prev_seq = 0 WHERE seq = ?1";
static const char sql_cur_forget[] =
	"DELETE FROM cur WHERE ver = 0 AND seq < ?1";
static const char sql_rev_verprev[] =
	"SELECT ver, prev_seq FROM rev WHERE seq = ?1";

/* ver and prev_seq of row seq; *found false if it is gone. */
static int rev_verprev(struct mvcc_store *s, int64_t seq, bool *found,
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

static int rev_exec_seq(struct mvcc_store *s, const char *sql, int64_t seq)
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

static int compact_key(struct mvcc_store *s, int64_t head, int64_t bound)
{
	int64_t keep, ver, prev, next;
	bool found;
	int rc = chain_below(s, head, bound, &keep);

	if (rc != MVCC_OK || keep == 0)
		return rc;
	rc = rev_verprev(s, keep, &found, &ver, &prev);
	if (rc != MVCC_OK || !found)
		return rc;
	if (ver == 0)
		rc = rev_exec_seq(s, sql_rev_del, keep);
	else if (prev != 0)
		rc = rev_exec_seq(s, sql_rev_unlink, keep);
	/* everything older goes; a missing link ends what an earlier
	 * compaction already cut */
	while (rc == MVCC_OK && prev != 0) {
		rc = rev_verprev(s, prev, &found, &ver, &next);
		if (rc != MVCC_OK || !found)
			break;
		rc = rev_exec_seq(s, sql_rev_del, prev);
		prev = next;
	}
	return rc;
}

int mvcc_compact(struct mvcc_store *s, int64_t rev)
{
	sqlite3_stmt *st;
	int64_t bound;
	bool own;
	int rc = auto_batch_begin(s, &own), r;

	if (rc != MVCC_OK)
		return auto_batch_end(s, own, rc);
	/* etcd updateCompactRev: the order of the checks is etcd's. */
	if (rev <= s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	if (rev > s->rev) {
		rc = MVCC_ERR_FUTURE_REV;
		goto out;
	}
	rc = seq_bound(s, rev + 1, &bound);
	if (rc != MVCC_OK)
		goto out;
	/* The walk changes rev only, never cur, so the cur cursor is safe. */
	st = db_stmt(s->db, sql_cur_all);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = compact_key(s, sqlite3_column_int64(st, 0), bound);
		if (rc != MVCC_OK)
			break;
	}
	db_stmt_done(st);
	if (rc == MVCC_OK && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
	if (rc == MVCC_OK)
		rc = rev_exec_seq(s, sql_cur_forget, bound);
	if (rc != MVCC_OK)
		goto out;
	if (db_meta_set_int(s->db, "compact_rev", rev + 1) != DB_OK) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	s->compact_rev = rev;
out:
	return auto_batch_end(s, own, rc);
}

/* --- hashes -------------------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* etcd's revision key: main and sub big-endian, '_' between, 't' after a
 * tombstone (mvcc/revision.go, kvstore_txn.go delete). */
static size_t rev_bytes(uint8_t out[18], int64_t main, int64_t sub, bool tomb)
{
	db_u64_key((uint64_t)main, out);
	out[8] = '_';
	db_u64_key((uint64_t)sub, out + 9);
	if (tomb)
		out[17] = 't';
	return tomb ? 18 : 17;
}

/* crc of a marshaled mvccpb.KeyValue, as gogoproto writes it: fields in
 * number order, zero values left out. */
static uint32_t crc_kv(uint32_t crc, const struct mvcc_kv *kv)
{
	uint8_t hdr[16];
	size_t n;

	if (kv->key_len) {
		hdr[0] = 0x0a;
		n = 1 + put_varint(hdr + 1, kv->key_len);
		crc = crc32c_update(crc, hdr, n);
		crc = crc32c_update(crc, kv->key, kv->key_len);
	}
	static const uint8_t tags[3] = { 0x10, 0x18, 0x20 };
	const int64_t ints[3] = { kv->create_revision, kv->mod_revision,
				  kv->version };
	for (int i = 0; i < 3; i++) {
		if (!ints[i])
			continue;
		hdr[0] = tags[i];
		n = 1 + put_varint(hdr + 1, (uint64_t)ints[i]);
		crc = crc32c_update(crc, hdr, n);
	}
	if (kv->value_len) {
		hdr[0] = 0x2a;
		n = 1 + put_varint(hdr + 1, kv->value_len);
		crc = crc32c_update(crc, hdr, n);
		crc = crc32c_update(crc, kv->value, kv->value_len);
	}
	if (kv->lease) {
		hdr[0] = 0x30;
		n = 1 + put_varint(hdr + 1, (uint64_t)kv->lease);
		crc = crc32c_update(crc, hdr, n);
	}
	return crc;
}

static const char sql_rev_walk[] =
	"SELECT seq, main, sub, key, create_rev, ver, lease, value FROM rev"
	" WHERE seq < ?1 ORDER BY seq";
static const char sql_cur_head[] = "SELECT seq FROM cur WHERE key = ?1";

/* Is row seq of key the key's newest row below bound (etcd's keep set
 * membership, for rows below the compaction)? */
static int is_newest(struct mvcc_store *s, const struct mvcc_kv *kv,
		     int64_t seq, int64_t bound, bool *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_cur_head);
	int64_t head = 0, got;
	int rc;

	*out = false;
	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_blob64(st, 1, kv->key, kv->key_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		head = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	rc = chain_below(s, head, bound, &got);
	*out = rc == MVCC_OK && got == seq;
	return rc;
}

/* Is any key live at the revision just below bound? */
static int any_live(struct mvcc_store *s, int64_t bound, bool *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_cur_all);
	int rc = MVCC_OK, r;

	*out = false;
	if (!st)
		return MVCC_ERR_DB;
	while (!*out && (r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq, ver, prev;
		bool found;
		rc = chain_below(s, sqlite3_column_int64(st, 0), bound, &seq);
		if (rc == MVCC_OK && seq)
			rc = rev_verprev(s, seq, &found, &ver, &prev);
		if (rc != MVCC_OK)
			break;
		*out = seq && found && ver > 0;
	}
	db_stmt_done(st);
	return rc;
}

static void row_kv(sqlite3_stmt *st, struct mvcc_kv *kv)
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

/* Folds rows with seq < bound into crc; filter as etcd's HashByRev. */
static int hash_revs(struct mvcc_store *s, int64_t bound, bool filter,
		     uint32_t *crc)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_rev_walk);
	uint8_t rb[18];
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, bound);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mvcc_kv kv;
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t main = sqlite3_column_int64(st, 1);

		row_kv(st, &kv);
		if (filter && main <= s->compact_rev) {
			/* Below the compaction only the keep set counts:
			 * each live key's newest row at the hashed rev. */
			bool keep;
			if (kv.version == 0)
				continue;
			if (is_newest(s, &kv, seq, bound, &keep) != MVCC_OK) {
				rc = SQLITE_ERROR;
				break;
			}
			if (!keep)
				continue;
		}
		size_t n = rev_bytes(rb, main, sqlite3_column_int64(st, 2),
				     kv.version == 0);
		*crc = crc32c_update(*crc, rb, n);
		*crc = crc_kv(*crc, &kv);
	}
	db_stmt_done(st);
	return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

int mvcc_hash_kv(struct mvcc_store *s, int64_t rev, struct mvcc_hash_kv *out)
{
	int64_t bound;
	bool live = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	out->revision = s->rev;
	out->compact_revision = s->compact_rev;
	/* kvstore.go HashByRev: the checks and their order are etcd's. */
	if (rev > 0 && rev <= s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	if (rev > 0 && rev > s->rev) {
		rc = MVCC_ERR_FUTURE_REV;
		goto out;
	}
	if (rev == 0)
		rev = s->rev;
	rc = seq_bound(s, rev + 1, &bound);
	if (rc != MVCC_OK)
		goto out;
	/* etcd filters below the compaction only when its keep set is not
	 * empty, i.e. when some key is live at rev. */
	rc = any_live(s, bound, &live);
	if (rc != MVCC_OK)
		goto out;
	out->hash = crc32c_update(0, "key", 3);
	rc = hash_revs(s, bound, live, &out->hash);
out:
	db_read_end(s->db);
	return rc;
}

static const char sql_hash_lease[] =
	"SELECT id, ttl, remaining_ttl FROM lease ORDER BY id";
static const char sql_hash_meta[] =
	"SELECT name, CAST(value AS TEXT) FROM meta WHERE name NOT IN"
	" ('applied_index', 'applied_term', 'consistent_index') ORDER BY name";

static int hash_blob_row(void *arg, const void *k, size_t kl, const void *v,
			 size_t vl)
{
	uint32_t *crc = arg;

	*crc = crc32c_update(*crc, k, kl);
	*crc = crc32c_update(*crc, v, vl);
	return 0;
}

int mvcc_hash(struct mvcc_store *s, uint32_t *hash, int64_t *revision)
{
	static const char *const names[DB_T_COUNT] = {
		"members", "members_removed", "alarms", "auth_users",
		"auth_roles",
	};
	uint32_t crc = 0;
	sqlite3_stmt *st;
	int rc, r;

	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	crc = crc32c_update(crc, "key", 3);
	rc = hash_revs(s, INT64_MAX, false, &crc);
	if (rc != MVCC_OK)
		goto out;
	crc = crc32c_update(crc, "lease", 5);
	st = db_stmt(s->db, sql_hash_lease);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t b[24];
		for (int i = 0; i < 3; i++)
			db_u64_key((uint64_t)sqlite3_column_int64(st, i),
				   b + 8 * i);
		crc = crc32c_update(crc, b, sizeof(b));
	}
	db_stmt_done(st);
	if (r != SQLITE_DONE) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	for (int t = 0; t < DB_T_COUNT; t++) {
		crc = crc32c_update(crc, names[t], strlen(names[t]));
		if (db_table_each(s->db, (enum db_table)t, hash_blob_row,
				  &crc) != DB_OK) {
			rc = MVCC_ERR_DB;
			goto out;
		}
	}
	crc = crc32c_update(crc, "meta", 4);
	st = db_stmt(s->db, sql_hash_meta);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < 2; i++)
			crc = crc32c_update(crc, sqlite3_column_text(st, i),
					    (size_t)sqlite3_column_bytes(st, i));
	db_stmt_done(st);
	if (r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
out:
	db_read_end(s->db);
	*hash = crc;
	if (revision)
		*revision = s->rev;
	return rc;
}

/* --- events since a revision --------------------------------------------- */

/* Like etcd's watcher sync (watchable_store.go), a scan of the revisions
 * since the start, filtered by key. */
#define EV_COLS "SELECT seq, main, sub, key, create_rev, ver, lease, value," \
	" prev_seq FROM rev WHERE seq >= ?1 AND "
static const char *const sql_events[3] = {
	EV_COLS "key = ?2 ORDER BY seq",
	EV_COLS "key >= ?2 AND key < ?3 ORDER BY seq",
	EV_COLS "key >= ?2 ORDER BY seq",
};

/* The key's kv before the event's revision: a watcher's prev_kv, which etcd
 * reads as a Range at mod_revision - 1.  Follows the chain past earlier
 * writes of the same txn. */
static int event_prev(struct mvcc_store *s, struct mvcc_arena *a,
		      struct mvcc_event *ev, int64_t prev, int64_t main)
{
	sqlite3_stmt *st = NULL;
	bool oom = false;
	int rc = SQLITE_DONE;

	if (main - 1 < s->compact_rev)
		return MVCC_OK;
	while (prev != 0) {
		if (!st && !(st = db_stmt(s->db, sql_rev_row)))
			return MVCC_ERR_DB;
		sqlite3_bind_int64(st, 1, prev);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW || sqlite3_column_int64(st, 0) < main)
			break;
		prev = sqlite3_column_int64(st, 5);
		sqlite3_reset(st);
		rc = SQLITE_DONE;
	}
	if (!st)
		return MVCC_OK;
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 2) > 0) {
		struct mvcc_kv *p = &ev->prev_kv;
		p->key = ev->kv.key;
		p->key_len = ev->kv.key_len;
		p->mod_revision = sqlite3_column_int64(st, 0);
		p->create_revision = sqlite3_column_int64(st, 1);
		p->version = sqlite3_column_int64(st, 2);
		p->lease = sqlite3_column_int64(st, 3);
		p->value_len = (size_t)sqlite3_column_bytes(st, 4);
		p->value = arena_dup(a, sqlite3_column_blob(st, 4),
				     p->value_len, &oom);
		ev->has_prev_kv = true;
	}
	db_stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return MVCC_ERR_DB;
	return oom ? MVCC_ERR_NOMEM : MVCC_OK;
}

int mvcc_events_since(struct mvcc_store *s, const uint8_t *key, size_t key_len,
		      const uint8_t *range_end, size_t range_end_len,
		      int64_t since_rev, size_t limit, bool with_prev_kv,
		      struct mvcc_event_list *out)
{
	enum range_kind k = range_kind(range_end_len, range_end);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int64_t bound, last_main = 0;
	int rc, r;

	memset(out, 0, sizeof(*out));
	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	if (since_rev < 1)
		since_rev = 1;
	/* watchable_store.go: a watcher behind the compaction is told so. */
	if (since_rev < s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	out->next_rev = since_rev > s->rev ? since_rev : s->rev + 1;
	if (since_rev > s->rev)
		goto out;
	out->arena = calloc(1, sizeof(*out->arena));
	if (!out->arena) {
		rc = MVCC_ERR_NOMEM;
		goto out;
	}
	rc = seq_bound(s, since_rev, &bound);
	if (rc != MVCC_OK)
		goto out;
	st = db_stmt(s->db, sql_events[k]);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, bound);
	bind_range(st, 2, k, key, key_len, range_end, range_end_len);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct mvcc_kv kv;
		int64_t main = sqlite3_column_int64(st, 1);

		if (limit && out->n >= limit && main != last_main) {
			out->next_rev = main;
			break;
		}
		row_kv(st, &kv);
		if (!in_range(k, key, key_len, kv.key, kv.key_len, range_end,
			      range_end_len))
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mvcc_event *e = realloc(out->events,
						       ncap * sizeof(*e));
			if (!e) {
				rc = MVCC_ERR_NOMEM;
				break;
			}
			out->events = e;
			cap = ncap;
		}
		struct mvcc_event *ev = &out->events[out->n];
		memset(ev, 0, sizeof(*ev));
		if (kv.version == 0) {
			ev->type = MVCC_EVENT_DELETE;
			kv.mod_revision = main;
		} else {
			ev->type = MVCC_EVENT_PUT;
		}
		if (!kv_copy(out->arena, &ev->kv, &kv)) {
			rc = MVCC_ERR_NOMEM;
			break;
		}
		out->n++;
		last_main = main;
		if (with_prev_kv) {
			rc = event_prev(s, out->arena, ev,
					sqlite3_column_int64(st, 8), main);
			if (rc != MVCC_OK)
				break;
		}
	}
	db_stmt_done(st);
	if (rc == MVCC_OK && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
out:
	db_read_end(s->db);
	if (rc != MVCC_OK)
		mvcc_event_list_free(out);
	return rc;
}

void mvcc_event_list_free(struct mvcc_event_list *l)
{
	if (!l)
		return;
	free(l->events);
	if (l->arena) {
		arena_free(l->arena);
		free(l->arena);
	}
	l->events = NULL;
	l->arena = NULL;
	l->n = 0;
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
	rc = auto_batch_begin(s, &own);
	if (rc != MVCC_OK)
		return auto_batch_end(s, own, rc);
	rc = lease_exists(s, id, &ok);
	if (rc == MVCC_OK && ok)
		rc = MVCC_ERR_LEASE_EXISTS;
	if (rc != MVCC_OK)
		return auto_batch_end(s, own, rc);
	st = db_stmt(s->db, sql_lease_insert);
	if (!st)
		return auto_batch_end(s, own, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ttl);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	return auto_batch_end(s, own, rc);
}

int mvcc_lease_checkpoint(struct mvcc_store *s, int64_t id,
			  int64_t remaining_ttl)
{
	sqlite3_stmt *st;
	bool own;
	int rc = auto_batch_begin(s, &own);

	if (rc != MVCC_OK)
		return auto_batch_end(s, own, rc);
	st = db_stmt(s->db, sql_lease_ckpt);
	if (!st)
		return auto_batch_end(s, own, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, remaining_ttl);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	if (rc == MVCC_OK && sqlite3_changes(db_sqlite(s->db)) == 0)
		rc = MVCC_ERR_LEASE_NOT_FOUND;
	return auto_batch_end(s, own, rc);
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
		kv.key = arena_dup(res->arena, sqlite3_column_blob(st, 0),
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
	rc = lease_exists(s, id, &ok);
	if (rc != MVCC_OK)
		return txn_fail(t, rc);
	if (!ok)
		return MVCC_ERR_LEASE_NOT_FOUND;
	rc = mvcc_lease_keys(s, id, &keys);
	if (rc != MVCC_OK)
		return txn_fail(t, rc);
	for (size_t i = 0; i < keys.n_kvs && rc == MVCC_OK; i++) {
		struct mvcc_delete_req dr = {
			.key = keys.kvs[i].key, .key_len = keys.kvs[i].key_len,
		};
		rc = mvcc_txn_delete_range(t, &dr, NULL);
	}
	mvcc_range_result_free(&keys);
	if (rc != MVCC_OK)
		return txn_fail(t, rc);
	st = db_stmt(s->db, sql_lease_delete);
	if (!st)
		return txn_fail(t, MVCC_ERR_DB);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	db_stmt_done(st);
	return rc == MVCC_OK ? MVCC_OK : txn_fail(t, rc);
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
