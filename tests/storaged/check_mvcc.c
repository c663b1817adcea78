/*
 * check_mvcc.c: unit tests of storaged/mvcc.c against etcd 3.4's rules:
 * revisions and versions, tombstones, txns, Put/DeleteRange options, every
 * Range option (table-driven), compaction, HashKV/Hash, events since a
 * revision, leases, reopen, and batch rollback; compaction in steps
 * interleaved with writes and reads, resumed after a close.  Temp dir per
 * test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storaged/db.h"
#include "storaged/mvcc.h"

static char dir[256];

struct fx {
	char path[300];
	struct db *db;
	struct mvcc_store *s;
};
static struct fx A, B;

static void fx_open(struct fx *f)
{
	char err[256];

	ck_assert_msg(db_open(f->path, NULL, &f->db, err, sizeof(err)) == DB_OK,
		      "db_open: %s", err);
	ck_assert_int_eq(mvcc_store_open(f->db, &f->s), MVCC_OK);
}

static void fx_close(struct fx *f)
{
	mvcc_store_close(f->s);
	db_close(f->db);
	f->s = NULL;
	f->db = NULL;
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_mvcc.XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(A.path, sizeof(A.path), "%s/a.db", dir);
	snprintf(B.path, sizeof(B.path), "%s/b.db", dir);
	fx_open(&A);
}

static void teardown(void)
{
	char p[400];
	const char *sfx[] = { "", "-wal", "-shm" };

	if (A.s)
		fx_close(&A);
	if (B.s)
		fx_close(&B);
	for (int f = 0; f < 2; f++)
		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", f ? B.path : A.path,
				 sfx[i]);
			unlink(p);
		}
	rmdir(dir);
}

/* --- helpers -------------------------------------------------------------- */

#define U(s) ((const uint8_t *)(s))

static int64_t put_l(struct mvcc_store *s, const char *k, const char *v,
		     int64_t lease)
{
	struct mvcc_put_req r = {
		.key = U(k), .key_len = strlen(k),
		.value = U(v), .value_len = strlen(v), .lease = lease,
	};
	struct mvcc_put_result res;

	ck_assert_int_eq(mvcc_put(s, &r, &res), MVCC_OK);
	return res.revision;
}

static int64_t put(struct mvcc_store *s, const char *k, const char *v)
{
	return put_l(s, k, v, 0);
}

/* end NULL = the one key; "\\0" is spelled "" + explicit flag */
static int64_t del(struct mvcc_store *s, const char *k, const char *end,
		   size_t end_len)
{
	struct mvcc_delete_req r = {
		.key = U(k), .key_len = strlen(k),
		.range_end = U(end), .range_end_len = end_len,
	};
	int64_t n;

	ck_assert_int_eq(mvcc_delete_range(s, &r, &n), MVCC_OK);
	return n;
}

/* Reads one key at rev into kv; returns false if absent.  The value is
 * copied into val (NUL-terminated). */
static bool get_at(struct mvcc_store *s, const char *k, int64_t rev,
		   struct mvcc_kv *kv, char *val, size_t val_len)
{
	struct mvcc_range_req r = { .key = U(k), .key_len = strlen(k),
				    .revision = rev };
	struct mvcc_range_result res;
	bool found;

	ck_assert_int_eq(mvcc_range(s, &r, &res), MVCC_OK);
	found = res.n_kvs == 1;
	ck_assert_int_eq(res.count, found);
	if (found) {
		*kv = res.kvs[0];
		if (val) {
			snprintf(val, val_len, "%.*s", (int)kv->value_len,
				 kv->value ? (const char *)kv->value : "");
		}
		kv->key = NULL;
		kv->value = NULL;
	}
	mvcc_range_result_free(&res);
	return found;
}

static int mvcc_memcmp_kv(const struct mvcc_kv *x, const struct mvcc_kv *y)
{
	if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len))
		return 1;
	if (x->create_revision != y->create_revision ||
	    x->mod_revision != y->mod_revision || x->version != y->version ||
	    x->lease != y->lease || x->value_len != y->value_len)
		return 1;
	return x->value_len && memcmp(x->value, y->value, x->value_len);
}

static void kvs_keys(const struct mvcc_kv *kvs, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 2 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%.*s", i ? "," : "",
				      (int)kvs[i].key_len,
				      (const char *)kvs[i].key);
}

/* Revisions 2..10 of the fixture used by several tests:
 *   2 a=1  3 b=2  4 c=3  5 a=11  6 del b  7 d=4  8 b=22  9 e=0  10 a=111 */
static void fixture(struct mvcc_store *s)
{
	ck_assert_int_eq(put(s, "a", "1"), 2);
	ck_assert_int_eq(put(s, "b", "2"), 3);
	ck_assert_int_eq(put(s, "c", "3"), 4);
	ck_assert_int_eq(put(s, "a", "11"), 5);
	ck_assert_int_eq(del(s, "b", NULL, 0), 1);
	ck_assert_int_eq(put(s, "d", "4"), 7);
	ck_assert_int_eq(put(s, "b", "22"), 8);
	ck_assert_int_eq(put(s, "e", "0"), 9);
	ck_assert_int_eq(put(s, "a", "111"), 10);
	ck_assert_int_eq(mvcc_current_revision(s), 10);
}

/* --- revisions, versions, tombstones --------------------------------------- */

START_TEST(test_revisions_versions)
{
	struct mvcc_store *s = A.s;
	struct mvcc_kv kv;
	char v[32];

	ck_assert_int_eq(mvcc_current_revision(s), 1);	/* etcd starts at 1 */
	ck_assert_int_eq(mvcc_compact_revision(s), -1);
	ck_assert(!get_at(s, "a", 0, &kv, v, sizeof(v)));

	ck_assert_int_eq(put(s, "a", "v1"), 2);
	ck_assert(get_at(s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.create_revision, 2);
	ck_assert_int_eq(kv.mod_revision, 2);
	ck_assert_int_eq(kv.version, 1);
	ck_assert_str_eq(v, "v1");

	ck_assert_int_eq(put(s, "a", "v2"), 3);
	ck_assert(get_at(s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.create_revision, 2);
	ck_assert_int_eq(kv.mod_revision, 3);
	ck_assert_int_eq(kv.version, 2);
	ck_assert_str_eq(v, "v2");

	/* a delete ends the generation ... */
	ck_assert_int_eq(del(s, "a", NULL, 0), 1);
	ck_assert_int_eq(mvcc_current_revision(s), 4);
	ck_assert(!get_at(s, "a", 0, &kv, v, sizeof(v)));
	/* ... deleting nothing is no write */
	ck_assert_int_eq(del(s, "a", NULL, 0), 0);
	ck_assert_int_eq(mvcc_current_revision(s), 4);
	/* ... and the next put starts a new one */
	ck_assert_int_eq(put(s, "a", "v3"), 5);
	ck_assert(get_at(s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.create_revision, 5);
	ck_assert_int_eq(kv.mod_revision, 5);
	ck_assert_int_eq(kv.version, 1);

	/* history stays readable */
	ck_assert(get_at(s, "a", 3, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "v2");
	ck_assert_int_eq(kv.version, 2);
	ck_assert(get_at(s, "a", 2, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "v1");
	ck_assert(!get_at(s, "a", 4, &kv, v, sizeof(v)));
	ck_assert(!get_at(s, "a", 1, &kv, v, sizeof(v)));

	/* empty key is refused */
	struct mvcc_put_req r = { .key = U(""), .key_len = 0 };
	ck_assert_int_eq(mvcc_put(s, &r, NULL), MVCC_ERR_INVALID);
	ck_assert_int_eq(mvcc_current_revision(s), 5);
}
END_TEST

static int64_t rev_rows(struct fx *f, const char *where, char *out, size_t len)
{
	char sql[256];
	sqlite3_stmt *st;
	int64_t n = 0;
	size_t o = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT main, sub, key, ver FROM rev %s ORDER BY seq", where);
	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(f->db), sql, -1, &st,
					    NULL), SQLITE_OK);
	if (out)
		out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out && o + 1 < len)
			o += (size_t)snprintf(out + o, len - o, "%s%lld.%lld:%s%s",
					      n ? " " : "",
					      (long long)sqlite3_column_int64(st, 0),
					      (long long)sqlite3_column_int64(st, 1),
					      (const char *)sqlite3_column_text(st, 2),
					      sqlite3_column_int64(st, 3) ? "" : "!");
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

START_TEST(test_txn_one_revision)
{
	struct mvcc_store *s = A.s;
	struct mvcc_txn *t;
	struct mvcc_put_result pr;
	struct mvcc_delete_result dr;
	struct mvcc_range_result rr;
	const struct mvcc_event *ev;
	size_t n;
	int64_t rev;
	char rows[256];

	put(s, "z", "old");	/* rev 2 */
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_revision(t), 2);
	struct mvcc_put_req p1 = { .key = U("x"), .key_len = 1,
				   .value = U("1"), .value_len = 1 };
	struct mvcc_put_req p2 = { .key = U("y"), .key_len = 1,
				   .value = U("2"), .value_len = 1 };
	struct mvcc_put_req p3 = { .key = U("x"), .key_len = 1,
				   .value = U("3"), .value_len = 1,
				   .prev_kv = true };
	ck_assert_int_eq(mvcc_txn_put(t, &p1, &pr), MVCC_OK);
	ck_assert_int_eq(pr.revision, 3);
	ck_assert_int_eq(mvcc_txn_revision(t), 3);
	ck_assert_int_eq(mvcc_txn_put(t, &p2, &pr), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_put(t, &p3, &pr), MVCC_OK);
	/* prev_kv inside the txn is the txn's own earlier write */
	ck_assert(pr.has_prev_kv);
	ck_assert_int_eq(pr.prev_kv.version, 1);
	ck_assert_int_eq(pr.prev_kv.value[0], '1');
	struct mvcc_delete_req d1 = { .key = U("z"), .key_len = 1,
				      .prev_kv = true };
	ck_assert_int_eq(mvcc_txn_delete_range(t, &d1, &dr), MVCC_OK);
	ck_assert_int_eq(dr.deleted, 1);
	ck_assert_int_eq(dr.revision, 3);
	ck_assert_uint_eq(dr.n_prev_kvs, 1);
	ck_assert_int_eq(dr.prev_kvs[0].mod_revision, 2);

	/* reads in the txn see its writes, at the txn's revision */
	struct mvcc_range_req q = { .key = U("x"), .key_len = 1 };
	ck_assert_int_eq(mvcc_txn_range(t, &q, &rr), MVCC_OK);
	ck_assert_int_eq(rr.revision, 3);
	ck_assert_uint_eq(rr.n_kvs, 1);
	ck_assert_int_eq(rr.kvs[0].version, 2);
	ck_assert_int_eq(rr.kvs[0].create_revision, 3);
	ck_assert_int_eq(rr.kvs[0].value[0], '3');
	mvcc_range_result_free(&rr);
	/* and an explicit older revision does not */
	q.revision = 2;
	ck_assert_int_eq(mvcc_txn_range(t, &q, &rr), MVCC_OK);
	ck_assert_uint_eq(rr.n_kvs, 0);
	mvcc_range_result_free(&rr);
	q.key = U("z");
	ck_assert_int_eq(mvcc_txn_range(t, &q, &rr), MVCC_OK);
	ck_assert_uint_eq(rr.n_kvs, 1);
	mvcc_range_result_free(&rr);
	q.revision = 4;
	ck_assert_int_eq(mvcc_txn_range(t, &q, &rr), MVCC_ERR_FUTURE_REV);
	/* outside reads are refused while the txn is open */
	ck_assert_int_eq(mvcc_range(s, &q, &rr), MVCC_ERR_STATE);

	ck_assert_int_eq(mvcc_txn_end(t, &rev), MVCC_OK);
	ck_assert_int_eq(rev, 3);
	ev = mvcc_txn_events(t, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(ev[0].type, MVCC_EVENT_PUT);
	ck_assert_int_eq(ev[2].kv.version, 2);
	ck_assert(ev[2].has_prev_kv);
	ck_assert(!ev[0].has_prev_kv);
	ck_assert_int_eq(ev[3].type, MVCC_EVENT_DELETE);
	ck_assert_int_eq(ev[3].kv.mod_revision, 3);
	ck_assert(ev[3].has_prev_kv);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ev[i].kv.mod_revision, 3);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_current_revision(s), 3);

	/* one main revision, sub-revisions 0.. in write order */
	rev_rows(&A, "", rows, sizeof(rows));
	ck_assert_str_eq(rows, "2.0:z 3.0:x 3.1:y 3.2:x 3.3:z!");

	/* a txn that only reads or deletes nothing does not bump */
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	q.revision = 0;
	ck_assert_int_eq(mvcc_txn_range(t, &q, &rr), MVCC_OK);
	mvcc_range_result_free(&rr);
	struct mvcc_delete_req d2 = { .key = U("nope"), .key_len = 4 };
	ck_assert_int_eq(mvcc_txn_delete_range(t, &d2, &dr), MVCC_OK);
	ck_assert_int_eq(dr.deleted, 0);
	ck_assert_int_eq(dr.revision, 3);
	ck_assert_int_eq(mvcc_txn_end(t, &rev), MVCC_OK);
	ck_assert_int_eq(rev, 3);
	mvcc_txn_events(t, &n);
	ck_assert_uint_eq(n, 0);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_current_revision(s), 3);
}
END_TEST

START_TEST(test_put_options)
{
	struct mvcc_store *s = A.s;
	struct mvcc_txn *t;
	struct mvcc_put_result pr;
	struct mvcc_kv kv;
	char v[32];

	ck_assert_int_eq(mvcc_lease_grant(s, 7, 60), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	/* ignore_value / ignore_lease need an existing key */
	struct mvcc_put_req iv = { .key = U("k"), .key_len = 1,
				   .ignore_value = true };
	ck_assert_int_eq(mvcc_txn_put(t, &iv, &pr), MVCC_ERR_KEY_NOT_FOUND);
	struct mvcc_put_req il = { .key = U("k"), .key_len = 1,
				   .value = U("x"), .value_len = 1,
				   .ignore_lease = true };
	ck_assert_int_eq(mvcc_txn_put(t, &il, &pr), MVCC_ERR_KEY_NOT_FOUND);
	/* a lease that does not exist */
	struct mvcc_put_req nl = { .key = U("k"), .key_len = 1,
				   .value = U("x"), .value_len = 1,
				   .lease = 99 };
	ck_assert_int_eq(mvcc_txn_put(t, &nl, &pr), MVCC_ERR_LEASE_NOT_FOUND);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_current_revision(s), 1);	/* nothing written */
	ck_assert_str_eq(mvcc_strerror(MVCC_ERR_KEY_NOT_FOUND),
			 "etcdserver: key not found");

	ck_assert_int_eq(put_l(s, "k", "first", 7), 2);
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	iv.prev_kv = true;
	ck_assert_int_eq(mvcc_txn_put(t, &iv, &pr), MVCC_OK);
	ck_assert(pr.has_prev_kv);
	ck_assert_int_eq(pr.prev_kv.mod_revision, 2);
	ck_assert_int_eq(pr.prev_kv.lease, 7);
	ck_assert_uint_eq(pr.prev_kv.value_len, 5);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert(get_at(s, "k", 0, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "first");		/* value kept */
	ck_assert_int_eq(kv.version, 2);
	ck_assert_int_eq(kv.lease, 0);		/* lease not kept: req had 0 */

	ck_assert_int_eq(put_l(s, "k", "second", 7), 4);
	il.value = U("third");
	il.value_len = 5;
	ck_assert_int_eq(mvcc_put(s, &il, NULL), MVCC_OK);
	ck_assert(get_at(s, "k", 0, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "third");
	ck_assert_int_eq(kv.lease, 7);		/* lease kept */
	ck_assert_int_eq(kv.version, 4);
	ck_assert_int_eq(kv.mod_revision, 5);

	/* prev_kv on a new key: none */
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	struct mvcc_put_req nk = { .key = U("new"), .key_len = 3,
				   .value = U(""), .value_len = 0,
				   .prev_kv = true };
	ck_assert_int_eq(mvcc_txn_put(t, &nk, &pr), MVCC_OK);
	ck_assert(!pr.has_prev_kv);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert(get_at(s, "new", 0, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "");		/* an empty value is a value */
}
END_TEST

START_TEST(test_delete_range)
{
	struct mvcc_store *s = A.s;
	struct mvcc_txn *t;
	struct mvcc_delete_result dr;
	struct mvcc_kv kv;
	char keys[128];

	fixture(s);
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	struct mvcc_delete_req d = { .key = U("b"), .key_len = 1,
				     .range_end = U("d"), .range_end_len = 1,
				     .prev_kv = true };
	ck_assert_int_eq(mvcc_txn_delete_range(t, &d, &dr), MVCC_OK);
	ck_assert_int_eq(dr.deleted, 2);
	ck_assert_int_eq(dr.revision, 11);
	kvs_keys(dr.prev_kvs, dr.n_prev_kvs, keys, sizeof(keys));
	ck_assert_str_eq(keys, "b,c");
	ck_assert_int_eq(dr.prev_kvs[0].mod_revision, 8);
	ck_assert_int_eq(dr.prev_kvs[0].value[1], '2');
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert(!get_at(s, "b", 0, &kv, NULL, 0));
	ck_assert(!get_at(s, "c", 0, &kv, NULL, 0));
	/* "\0" as range_end: every key >= key */
	ck_assert_int_eq(del(s, "d", "\0", 1), 2);
	ck_assert_int_eq(mvcc_current_revision(s), 12);
	ck_assert(get_at(s, "a", 0, &kv, NULL, 0));
	ck_assert(!get_at(s, "e", 0, &kv, NULL, 0));
	/* "\0" "\0": everything */
	struct mvcc_delete_req all = { .key = U("\0"), .key_len = 1,
				       .range_end = U("\0"), .range_end_len = 1 };
	int64_t n;
	ck_assert_int_eq(mvcc_delete_range(s, &all, &n), MVCC_OK);
	ck_assert_int_eq(n, 1);
	ck_assert(!get_at(s, "a", 0, &kv, NULL, 0));
	ck_assert_int_eq(mvcc_current_revision(s), 13);
}
END_TEST

/* --- Range: table-driven ----------------------------------------------------- */

struct range_case {
	const char *name;
	const char *key, *end;
	size_t end_len;		/* 0 = one key; "\0" needs 1 */
	int64_t rev, limit;
	enum mvcc_sort_order order;
	enum mvcc_sort_target target;
	bool keys_only, count_only;
	int64_t min_mod, max_mod, min_create, max_create;
	int err;
	const char *keys;	/* expected keys in order */
	int64_t count;
	bool more;
};

#define ALL "\0", 1
static const struct range_case range_cases[] = {
	{ "one key", "a", "", 0, .keys = "a", .count = 1 },
	{ "missing key", "zz", "", 0, .keys = "", .count = 0 },
	{ "deleted at rev", "b", "", 0, .rev = 6, .keys = "", .count = 0 },
	{ "old generation", "b", "", 0, .rev = 5, .keys = "b", .count = 1 },
	{ "span", "a", "c", 1, .keys = "a,b", .count = 2 },
	{ "span end <= key", "c", "a", 1, .keys = "", .count = 0 },
	{ "from key", "b", ALL, .keys = "b,c,d,e", .count = 4 },
	{ "everything", "\0", ALL, .keys = "a,b,c,d,e", .count = 5 },
	{ "prefix", "a", "b", 1, .keys = "a", .count = 1 },
	{ "limit more", "a", ALL, .limit = 2, .keys = "a,b", .count = 5,
	  .more = true },
	{ "limit exact", "a", ALL, .limit = 5, .keys = "a,b,c,d,e",
	  .count = 5 },
	{ "limit over", "a", ALL, .limit = 9, .keys = "a,b,c,d,e",
	  .count = 5 },
	{ "limit span", "a", "c", 1, .limit = 2, .keys = "a,b", .count = 2 },
	{ "rev 4", "\0", ALL, .rev = 4, .keys = "a,b,c", .count = 3 },
	{ "rev 7", "\0", ALL, .rev = 7, .keys = "a,c,d", .count = 3 },
	{ "rev 7 limit", "\0", ALL, .rev = 7, .limit = 1, .keys = "a",
	  .count = 3, .more = true },
	{ "rev 1 empty", "\0", ALL, .rev = 1, .keys = "", .count = 0 },
	{ "future", "a", "", 0, .rev = 11, .err = MVCC_ERR_FUTURE_REV },
	{ "mod desc", "\0", ALL, .order = MVCC_SORT_DESCEND,
	  .target = MVCC_SORT_MOD, .keys = "a,e,b,d,c", .count = 5 },
	{ "version default asc", "\0", ALL, .target = MVCC_SORT_VERSION,
	  .keys = "b,c,d,e,a", .count = 5 },
	{ "version desc", "\0", ALL, .order = MVCC_SORT_DESCEND,
	  .target = MVCC_SORT_VERSION, .keys = "a,b,c,d,e", .count = 5 },
	{ "create asc", "\0", ALL, .order = MVCC_SORT_ASCEND,
	  .target = MVCC_SORT_CREATE, .keys = "a,c,d,b,e", .count = 5 },
	{ "value asc", "\0", ALL, .order = MVCC_SORT_ASCEND,
	  .target = MVCC_SORT_VALUE, .keys = "e,a,b,c,d", .count = 5 },
	{ "value asc keys_only", "\0", ALL, .order = MVCC_SORT_ASCEND,
	  .target = MVCC_SORT_VALUE, .keys_only = true, .keys = "e,a,b,c,d",
	  .count = 5 },
	{ "key desc limit", "\0", ALL, .order = MVCC_SORT_DESCEND,
	  .target = MVCC_SORT_KEY, .limit = 2, .keys = "e,d", .count = 5,
	  .more = true },
	{ "key asc", "\0", ALL, .order = MVCC_SORT_ASCEND, .keys = "a,b,c,d,e",
	  .count = 5 },
	{ "min mod", "\0", ALL, .min_mod = 8, .keys = "a,b,e", .count = 5 },
	{ "max mod", "\0", ALL, .max_mod = 7, .keys = "c,d", .count = 5 },
	{ "create window", "\0", ALL, .min_create = 7, .max_create = 8,
	  .keys = "b,d", .count = 5 },
	{ "filter limit", "\0", ALL, .min_mod = 8, .limit = 1, .keys = "a",
	  .count = 5, .more = true },
	{ "filter at rev", "\0", ALL, .rev = 5, .max_create = 3,
	  .keys = "a,b", .count = 3 },
	{ "keys only", "a", "c", 1, .keys_only = true, .keys = "a,b",
	  .count = 2 },
	{ "count only", "\0", ALL, .count_only = true, .keys = "", .count = 5 },
	{ "count only limit", "\0", ALL, .count_only = true, .limit = 1,
	  .keys = "", .count = 5 },
	{ "count only old", "\0", ALL, .count_only = true, .rev = 4,
	  .keys = "", .count = 3 },
};

START_TEST(test_range_table)
{
	struct mvcc_store *s = A.s;
	char keys[128];

	fixture(s);
	for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]);
	     i++) {
		const struct range_case *c = &range_cases[i];
		struct mvcc_range_req r = {
			.key = U(c->key), .key_len = c->key[0] ? strlen(c->key) : 1,
			.range_end = U(c->end), .range_end_len = c->end_len,
			.revision = c->rev, .limit = c->limit,
			.sort_order = c->order, .sort_target = c->target,
			.keys_only = c->keys_only, .count_only = c->count_only,
			.min_mod_revision = c->min_mod,
			.max_mod_revision = c->max_mod,
			.min_create_revision = c->min_create,
			.max_create_revision = c->max_create,
		};
		struct mvcc_range_result res;
		int rc = mvcc_range(s, &r, &res);

		ck_assert_msg(rc == c->err, "%s: rc %d", c->name, rc);
		if (rc != MVCC_OK)
			continue;
		kvs_keys(res.kvs, res.n_kvs, keys, sizeof(keys));
		ck_assert_msg(strcmp(keys, c->keys) == 0, "%s: keys %s want %s",
			      c->name, keys, c->keys);
		ck_assert_msg(res.count == c->count, "%s: count %lld", c->name,
			      (long long)res.count);
		ck_assert_msg(res.more == c->more, "%s: more", c->name);
		ck_assert_msg(res.revision == 10, "%s: header rev", c->name);
		for (size_t j = 0; j < res.n_kvs; j++) {
			ck_assert_msg(c->keys_only == (res.kvs[j].value == NULL),
				      "%s: keys_only", c->name);
			ck_assert(res.kvs[j].version >= 1);
		}
		mvcc_range_result_free(&res);
	}
}
END_TEST

START_TEST(test_range_values_at_revs)
{
	struct mvcc_store *s = A.s;
	struct mvcc_kv kv;
	char v[32];
	/* key, rev, found, value, create, mod, version */
	static const struct {
		const char *k; int64_t rev; bool found; const char *v;
		int64_t c, m, ver;
	} cases[] = {
		{ "a", 2, true, "1", 2, 2, 1 },
		{ "a", 4, true, "1", 2, 2, 1 },
		{ "a", 5, true, "11", 2, 5, 2 },
		{ "a", 0, true, "111", 2, 10, 3 },
		{ "b", 3, true, "2", 3, 3, 1 },
		{ "b", 6, false, NULL, 0, 0, 0 },
		{ "b", 7, false, NULL, 0, 0, 0 },
		{ "b", 8, true, "22", 8, 8, 1 },
		{ "e", 8, false, NULL, 0, 0, 0 },
		{ "e", 9, true, "0", 9, 9, 1 },
	};

	fixture(s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool f = get_at(s, cases[i].k, cases[i].rev, &kv, v, sizeof(v));
		ck_assert_msg(f == cases[i].found, "case %zu", i);
		if (!f)
			continue;
		ck_assert_str_eq(v, cases[i].v);
		ck_assert_int_eq(kv.create_revision, cases[i].c);
		ck_assert_int_eq(kv.mod_revision, cases[i].m);
		ck_assert_int_eq(kv.version, cases[i].ver);
	}
}
END_TEST

/* --- compaction ---------------------------------------------------------------- */

START_TEST(test_compaction)
{
	struct mvcc_store *s = A.s;
	struct mvcc_range_result res;
	struct mvcc_kv kv;
	char rows[256], v[32], keys[64];

	fixture(s);
	ck_assert_int_eq(mvcc_compact(s, 11), MVCC_ERR_FUTURE_REV);
	ck_assert_int_eq(mvcc_compact(s, 6), MVCC_OK);
	ck_assert_int_eq(mvcc_compact_revision(s), 6);
	/* kept: a@5 (newest <= 6), c@4; b's history and tombstone at 6 go;
	 * everything above 6 stays */
	rev_rows(&A, "", rows, sizeof(rows));
	ck_assert_str_eq(rows, "4.0:c 5.0:a 7.0:d 8.0:b 9.0:e 10.0:a");
	ck_assert_int_eq(mvcc_compact(s, 6), MVCC_ERR_COMPACTED);
	ck_assert_int_eq(mvcc_compact(s, 5), MVCC_ERR_COMPACTED);

	/* reads at >= 6 answer as before, below 6 are compacted */
	struct mvcc_range_req r = { .key = U("\0"), .key_len = 1,
				    .range_end = U("\0"), .range_end_len = 1,
				    .revision = 6 };
	ck_assert_int_eq(mvcc_range(s, &r, &res), MVCC_OK);
	kvs_keys(res.kvs, res.n_kvs, keys, sizeof(keys));
	ck_assert_str_eq(keys, "a,c");
	ck_assert_int_eq(res.kvs[0].mod_revision, 5);
	mvcc_range_result_free(&res);
	r.revision = 7;
	ck_assert_int_eq(mvcc_range(s, &r, &res), MVCC_OK);
	kvs_keys(res.kvs, res.n_kvs, keys, sizeof(keys));
	ck_assert_str_eq(keys, "a,c,d");
	mvcc_range_result_free(&res);
	r.revision = 5;
	ck_assert_int_eq(mvcc_range(s, &r, &res), MVCC_ERR_COMPACTED);
	ck_assert_str_eq(mvcc_strerror(MVCC_ERR_COMPACTED),
			 "mvcc: required revision has been compacted");
	ck_assert(get_at(s, "a", 6, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "11");
	ck_assert(get_at(s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "111");

	/* compact to the current revision: one row per live key */
	ck_assert_int_eq(mvcc_compact(s, 10), MVCC_OK);
	rev_rows(&A, "", rows, sizeof(rows));
	ck_assert_str_eq(rows, "4.0:c 7.0:d 8.0:b 9.0:e 10.0:a");
	ck_assert_int_eq(put(s, "c", "33"), 11);
	ck_assert(get_at(s, "c", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.version, 2);	/* version survives compaction */
	ck_assert_int_eq(kv.create_revision, 4);
}
END_TEST

START_TEST(test_compaction_all_deleted)
{
	struct mvcc_store *s = A.s;

	put(s, "a", "1");
	del(s, "a", NULL, 0);
	ck_assert_int_eq(mvcc_compact(s, 3), MVCC_OK);
	ck_assert_int_eq(rev_rows(&A, "", NULL, 0), 0);
	/* the revision stays though no row remembers it (etcd restore) */
	ck_assert_int_eq(mvcc_current_revision(s), 3);
	fx_close(&A);
	fx_open(&A);
	ck_assert_int_eq(mvcc_current_revision(A.s), 3);
	ck_assert_int_eq(mvcc_compact_revision(A.s), 3);
	ck_assert_int_eq(put(A.s, "a", "2"), 4);
}
END_TEST

/* --- hashes ---------------------------------------------------------------------- */

/* A seeded random workload applied identically to any store. */
static void workload(struct mvcc_store *s, unsigned seed, int n)
{
	char k[16], v[32];

	mvcc_lease_grant(s, 100, 30);
	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned op = (seed >> 16) % 10;
		snprintf(k, sizeof(k), "k%02u", (seed >> 8) % 20);
		snprintf(v, sizeof(v), "v%d", i);
		if (op < 6) {
			put_l(s, k, v, op == 0 ? 100 : 0);
		} else if (op < 8) {
			struct mvcc_delete_req d = { .key = U(k), .key_len = 3 };
			mvcc_delete_range(s, &d, NULL);
		} else {
			/* a multi-write txn */
			struct mvcc_txn *t;
			ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
			struct mvcc_put_req p = { .key = U(k), .key_len = 3,
						  .value = U(v),
						  .value_len = strlen(v) };
			ck_assert_int_eq(mvcc_txn_put(t, &p, NULL), MVCC_OK);
			k[1] = 'x';
			p.key = U(k);
			ck_assert_int_eq(mvcc_txn_put(t, &p, NULL), MVCC_OK);
			ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
			mvcc_txn_free(t);
		}
	}
}

START_TEST(test_hash_equal_and_different)
{
	struct mvcc_hash_kv ha, hb;
	uint32_t wa, wb;

	fx_open(&B);
	/* the same ops, applied in differently sized batches */
	ck_assert_int_eq(db_batch_begin(A.db), DB_OK);
	workload(A.s, 42, 300);
	ck_assert_int_eq(db_batch_commit(A.db), DB_OK);
	workload(B.s, 42, 300);
	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, 0, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	ck_assert_int_eq(ha.revision, hb.revision);
	ck_assert_int_eq(ha.compact_revision, -1);
	ck_assert_int_eq(mvcc_hash(A.s, &wa, NULL), MVCC_OK);
	ck_assert_int_eq(mvcc_hash(B.s, &wb, NULL), MVCC_OK);
	ck_assert_uint_eq(wa, wb);
	/* at an older revision too */
	int64_t mid = ha.revision / 2;
	ck_assert_int_eq(mvcc_hash_kv(A.s, mid, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, mid, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	/* after the same compaction */
	ck_assert_int_eq(mvcc_compact(A.s, mid), MVCC_OK);
	ck_assert_int_eq(mvcc_compact(B.s, mid), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, 0, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	ck_assert_int_eq(ha.compact_revision, mid);
	ck_assert_int_eq(mvcc_hash_kv(A.s, mid, &ha), MVCC_ERR_COMPACTED);
	ck_assert_int_eq(mvcc_hash_kv(A.s, ha.revision + 1, &ha),
			 MVCC_ERR_FUTURE_REV);
	/* one differing op */
	put(A.s, "k00", "x");
	put(B.s, "k00", "y");
	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, 0, &hb), MVCC_OK);
	ck_assert_uint_ne(ha.hash, hb.hash);
	ck_assert_int_eq(mvcc_hash(A.s, &wa, NULL), MVCC_OK);
	ck_assert_int_eq(mvcc_hash(B.s, &wb, NULL), MVCC_OK);
	ck_assert_uint_ne(wa, wb);
	/* but the hash up to the common revision still agrees */
	ck_assert_int_eq(mvcc_hash_kv(A.s, ha.revision - 1, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, hb.revision - 1, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	/* state outside the key space counts in Hash, not in HashKV */
	ck_assert_int_eq(mvcc_hash(A.s, &wa, NULL), MVCC_OK);
	mvcc_lease_grant(A.s, 5, 5);
	ck_assert_int_eq(mvcc_hash(A.s, &wb, NULL), MVCC_OK);
	ck_assert_uint_ne(wa, wb);
}
END_TEST

/*
 * HashKV matches etcd 3.4 byte for byte.  Golden values from a real etcd
 * 3.4 ("etcdctl endpoint hashkv") fed the same requests: put foo bar;
 * put foo baz; lease grant ID 12345 (gateway /v3/lease/grant); put k2 v
 * --lease=3039; del foo; put foo again; then "etcdctl compact 4".
 */
START_TEST(test_hash_kv_golden)
{
	struct mvcc_store *s = A.s;
	struct mvcc_hash_kv h;

	ck_assert_int_eq(mvcc_hash_kv(s, 0, &h), MVCC_OK);
	ck_assert_uint_eq(h.hash, 1084519789u);	/* empty: crc32c("key") */
	ck_assert_int_eq(h.revision, 1);
	put(s, "foo", "bar");
	put(s, "foo", "baz");
	ck_assert_int_eq(mvcc_lease_grant(s, 12345, 60), MVCC_OK);
	put_l(s, "k2", "v", 12345);
	del(s, "foo", NULL, 0);
	put(s, "foo", "again");
	ck_assert_int_eq(mvcc_hash_kv(s, 0, &h), MVCC_OK);
	ck_assert_uint_eq(h.hash, 1983575115u);
	ck_assert_int_eq(h.revision, 6);
	ck_assert_int_eq(mvcc_compact(s, 4), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(s, 0, &h), MVCC_OK);
	ck_assert_uint_eq(h.hash, 3924091214u);
	ck_assert_int_eq(h.compact_revision, 4);
	ck_assert_int_eq(mvcc_hash_kv(s, 5, &h), MVCC_OK);
	ck_assert_uint_eq(h.hash, 2532924729u);
}
END_TEST

/* --- events since ----------------------------------------------------------------- */

static void ev_str(const struct mvcc_event_list *l, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && o + 1 < len; i++) {
		const struct mvcc_event *e = &l->events[i];
		o += (size_t)snprintf(buf + o, len - o, "%s%c%.*s@%lld",
				      i ? " " : "",
				      e->type == MVCC_EVENT_PUT ? '+' : '-',
				      (int)e->kv.key_len,
				      (const char *)e->kv.key,
				      (long long)e->kv.mod_revision);
	}
}

START_TEST(test_events_since)
{
	struct mvcc_store *s = A.s;
	struct mvcc_event_list l;
	char buf[256];

	fixture(s);
	ck_assert_int_eq(mvcc_events_since(s, U("\0"), 1, U("\0"), 1, 1, 0,
					   false, &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@2 +b@3 +c@4 +a@5 -b@6 +d@7 +b@8 +e@9 +a@10");
	ck_assert_int_eq(l.next_rev, 11);
	mvcc_event_list_free(&l);

	ck_assert_int_eq(mvcc_events_since(s, U("a"), 1, U("c"), 1, 5, 0,
					   true, &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@5 -b@6 +b@8 +a@10");
	ck_assert(l.events[0].has_prev_kv);
	ck_assert_int_eq(l.events[0].prev_kv.mod_revision, 2);
	ck_assert_int_eq(l.events[0].prev_kv.value[0], '1');
	ck_assert(l.events[1].has_prev_kv);		/* the deleted kv */
	ck_assert_int_eq(l.events[1].prev_kv.mod_revision, 3);
	ck_assert(!l.events[2].has_prev_kv);	/* new generation */
	ck_assert_int_eq(l.events[2].kv.create_revision, 8);
	mvcc_event_list_free(&l);

	ck_assert_int_eq(mvcc_events_since(s, U("a"), 1, NULL, 0, 3, 2, false,
					   &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@5 +a@10");
	ck_assert_int_eq(l.next_rev, 11);
	mvcc_event_list_free(&l);

	/* a limit stops at a revision boundary */
	ck_assert_int_eq(mvcc_events_since(s, U("\0"), 1, U("\0"), 1, 2, 3,
					   false, &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@2 +b@3 +c@4");
	ck_assert_int_eq(l.next_rev, 5);
	mvcc_event_list_free(&l);
	struct mvcc_txn *t;
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	for (int i = 0; i < 3; i++) {
		char k[2] = { (char)('p' + i), 0 };
		struct mvcc_put_req p = { .key = U(k), .key_len = 1,
					  .value = U("v"), .value_len = 1 };
		ck_assert_int_eq(mvcc_txn_put(t, &p, NULL), MVCC_OK);
	}
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_events_since(s, U("\0"), 1, U("\0"), 1, 10, 2,
					   false, &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@10 +p@11 +q@11 +r@11");
	ck_assert_int_eq(l.next_rev, 12);
	mvcc_event_list_free(&l);

	/* caught up; and behind a compaction */
	ck_assert_int_eq(mvcc_events_since(s, U("a"), 1, NULL, 0, 12, 0, false,
					   &l), MVCC_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(l.next_rev, 12);
	mvcc_event_list_free(&l);
	ck_assert_int_eq(mvcc_compact(s, 6), MVCC_OK);
	ck_assert_int_eq(mvcc_events_since(s, U("a"), 1, NULL, 0, 5, 0, false,
					   &l), MVCC_ERR_COMPACTED);
	ck_assert_int_eq(mvcc_events_since(s, U("a"), 1, NULL, 0, 6, 0, false,
					   &l), MVCC_OK);
	ev_str(&l, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+a@10");
	mvcc_event_list_free(&l);
}
END_TEST

/* --- leases ----------------------------------------------------------------------- */

START_TEST(test_leases)
{
	struct mvcc_store *s = A.s;
	struct mvcc_range_result keys;
	struct mvcc_lease l, *all;
	struct mvcc_txn *t;
	const struct mvcc_event *ev;
	size_t n;
	char buf[64];

	ck_assert_int_eq(mvcc_lease_grant(s, 1, 10), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_grant(s, 1, 10), MVCC_ERR_LEASE_EXISTS);
	ck_assert_int_eq(mvcc_lease_grant(s, 0, 10), MVCC_ERR_INVALID);
	ck_assert_int_eq(mvcc_lease_grant(s, 2, 20), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_checkpoint(s, 2, 15), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_checkpoint(s, 3, 15),
			 MVCC_ERR_LEASE_NOT_FOUND);
	ck_assert_int_eq(mvcc_lease_get(s, 2, &l), MVCC_OK);
	ck_assert_int_eq(l.ttl, 20);
	ck_assert_int_eq(l.remaining_ttl, 15);
	ck_assert_int_eq(mvcc_lease_get(s, 3, &l), MVCC_ERR_LEASE_NOT_FOUND);
	ck_assert_int_eq(mvcc_lease_list(s, &all, &n), MVCC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(all[0].id, 1);
	free(all);
	ck_assert_int_eq(mvcc_current_revision(s), 1);	/* no revision */

	put_l(s, "k3", "v", 1);
	put_l(s, "k1", "v", 1);
	put_l(s, "k2", "v", 1);
	put(s, "k4", "v");
	ck_assert_int_eq(mvcc_lease_keys(s, 1, &keys), MVCC_OK);
	kvs_keys(keys.kvs, keys.n_kvs, buf, sizeof(buf));
	ck_assert_str_eq(buf, "k1,k2,k3");
	mvcc_range_result_free(&keys);
	/* re-put with another lease detaches; delete detaches */
	put_l(s, "k2", "v", 2);
	del(s, "k3", NULL, 0);
	ck_assert_int_eq(mvcc_lease_keys(s, 1, &keys), MVCC_OK);
	kvs_keys(keys.kvs, keys.n_kvs, buf, sizeof(buf));
	ck_assert_str_eq(buf, "k1");
	mvcc_range_result_free(&keys);
	put_l(s, "k4", "v", 1);
	ck_assert_int_eq(mvcc_current_revision(s), 8);

	/* revoke: attached keys deleted in one revision */
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_revoke(t, 1), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	ev = mvcc_txn_events(t, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ev[0].type, MVCC_EVENT_DELETE);
	ck_assert_int_eq(ev[0].kv.key[1], '1');
	ck_assert_int_eq(ev[1].kv.key[1], '4');
	ck_assert_int_eq(ev[1].kv.mod_revision, 9);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_current_revision(s), 9);
	ck_assert_int_eq(mvcc_lease_get(s, 1, &l), MVCC_ERR_LEASE_NOT_FOUND);
	struct mvcc_kv kv;
	ck_assert(!get_at(s, "k1", 0, &kv, NULL, 0));
	ck_assert(get_at(s, "k2", 0, &kv, NULL, 0));
	ck_assert_int_eq(kv.lease, 2);

	/* revoking an unknown lease, or one with no keys (no revision) */
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_revoke(t, 1), MVCC_ERR_LEASE_NOT_FOUND);
	ck_assert_int_eq(mvcc_lease_grant(s, 3, 1), MVCC_ERR_STATE);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_lease_grant(s, 3, 1), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_begin(s, &t), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_revoke(t, 3), MVCC_OK);
	ck_assert_int_eq(mvcc_txn_end(t, NULL), MVCC_OK);
	mvcc_txn_free(t);
	ck_assert_int_eq(mvcc_current_revision(s), 9);
	ck_assert_int_eq(mvcc_lease_get(s, 3, &l), MVCC_ERR_LEASE_NOT_FOUND);
}
END_TEST

/* --- durability of state ------------------------------------------------------------ */

START_TEST(test_reopen_keeps_everything)
{
	struct mvcc_kv kv;
	struct mvcc_hash_kv h1, h2;
	struct mvcc_lease l;
	uint32_t w1, w2;
	char v[32];

	fixture(A.s);
	ck_assert_int_eq(mvcc_lease_grant(A.s, 9, 90), MVCC_OK);
	put_l(A.s, "leased", "x", 9);
	ck_assert_int_eq(mvcc_compact(A.s, 5), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &h1), MVCC_OK);
	ck_assert_int_eq(mvcc_hash(A.s, &w1, NULL), MVCC_OK);
	fx_close(&A);

	fx_open(&A);
	ck_assert_int_eq(mvcc_current_revision(A.s), 11);
	ck_assert_int_eq(mvcc_compact_revision(A.s), 5);
	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &h2), MVCC_OK);
	ck_assert_uint_eq(h1.hash, h2.hash);
	ck_assert_int_eq(mvcc_hash(A.s, &w2, NULL), MVCC_OK);
	ck_assert_uint_eq(w1, w2);
	ck_assert(get_at(A.s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "111");
	ck_assert_int_eq(kv.version, 3);
	ck_assert(get_at(A.s, "a", 5, &kv, v, sizeof(v)));
	ck_assert_str_eq(v, "11");
	ck_assert_int_eq(mvcc_lease_get(A.s, 9, &l), MVCC_OK);
	ck_assert_int_eq(l.ttl, 90);
	ck_assert(get_at(A.s, "leased", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.lease, 9);
	ck_assert_int_eq(put(A.s, "a", "x"), 12);
	ck_assert(get_at(A.s, "a", 0, &kv, v, sizeof(v)));
	ck_assert_int_eq(kv.version, 4);
}
END_TEST

START_TEST(test_batch_rollback)
{
	struct mvcc_store *s = A.s;
	struct db_applied a = { .index = 5, .term = 1 };
	struct mvcc_kv kv;

	put(s, "keep", "1");				/* rev 2 */
	ck_assert_int_eq(db_batch_begin(A.db), DB_OK);
	ck_assert_int_eq(put(s, "gone", "1"), 3);
	ck_assert_int_eq(put(s, "keep", "2"), 4);
	ck_assert_int_eq(mvcc_compact(s, 3), MVCC_OK);
	ck_assert_int_eq(mvcc_lease_grant(s, 4, 4), MVCC_OK);
	ck_assert_int_eq(db_applied_set(A.db, &a), DB_OK);
	ck_assert_int_eq(mvcc_current_revision(s), 4);
	db_batch_rollback(A.db);
	/* the store forgets the batch: revisions, data, compaction */
	ck_assert_int_eq(mvcc_current_revision(s), 2);
	ck_assert_int_eq(mvcc_compact_revision(s), -1);
	ck_assert(!get_at(s, "gone", 0, &kv, NULL, 0));
	ck_assert(get_at(s, "keep", 0, &kv, NULL, 0));
	ck_assert_int_eq(kv.version, 1);
	struct mvcc_lease l;
	ck_assert_int_eq(mvcc_lease_get(s, 4, &l), MVCC_ERR_LEASE_NOT_FOUND);
	ck_assert_int_eq(db_applied_get(A.db, &a), DB_OK);
	ck_assert_uint_eq(a.index, 0);
	ck_assert_int_eq(put(s, "gone", "again"), 3);

	/* many txns in one committed batch: consecutive revisions */
	ck_assert_int_eq(db_batch_begin(A.db), DB_OK);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(put(s, "n", "v"), 4 + i);
	a.index = 60;
	ck_assert_int_eq(db_applied_set(A.db, &a), DB_OK);
	ck_assert_int_eq(db_batch_commit(A.db), DB_OK);
	ck_assert(get_at(s, "n", 0, &kv, NULL, 0));
	ck_assert_int_eq(kv.version, 50);
}
END_TEST

START_TEST(test_reader_store)
{
	struct db *rdb;
	struct mvcc_store *rs;
	struct db_options ro = { .read_only = true };
	struct mvcc_kv kv;
	char err[128];

	put(A.s, "a", "1");
	ck_assert_int_eq(db_open(A.path, &ro, &rdb, err, sizeof(err)), DB_OK);
	ck_assert_int_eq(mvcc_store_open(rdb, &rs), MVCC_OK);
	ck_assert(get_at(rs, "a", 0, &kv, NULL, 0));
	/* the reader follows the writer's commits */
	put(A.s, "a", "2");
	ck_assert(get_at(rs, "a", 0, &kv, NULL, 0));
	ck_assert_int_eq(kv.version, 2);
	ck_assert_int_eq(mvcc_current_revision(rs), 3);
	mvcc_store_close(rs);
	db_close(rdb);
}
END_TEST

/* --- compaction in steps --------------------------------------------------- */

/* A deterministic mix of puts, deletes and range deletes over 40 keys. */
static void mixed_ops(struct mvcc_store *s, unsigned seed, int n)
{
	char k[16], e[16], v[48];

	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = (seed >> 8) % 100, key = (seed >> 16) % 40;
		snprintf(k, sizeof(k), "k%02u", key);
		if (r < 70) {
			snprintf(v, sizeof(v), "v%u.%d", seed % 9973, i);
			put(s, k, v);
		} else if (r < 90) {
			del(s, k, NULL, 0);
		} else {
			snprintf(e, sizeof(e), "k%02u", key + 3);
			del(s, k, e, strlen(e));
		}
	}
}

/* Both dbs hold the same rows for sql, column by column. */
static void same_rows(const char *sql)
{
	sqlite3_stmt *a, *b;
	int ra, rb, n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(A.db), sql, -1, &a, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(B.db), sql, -1, &b, NULL),
			 SQLITE_OK);
	for (;;) {
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
		ck_assert_int_eq(ra, rb);
		if (ra != SQLITE_ROW)
			break;
		for (int c = 0; c < sqlite3_column_count(a); c++) {
			int la = sqlite3_column_bytes(a, c);
			ck_assert_int_eq(sqlite3_column_type(a, c),
					 sqlite3_column_type(b, c));
			ck_assert_msg(la == sqlite3_column_bytes(b, c) && (la == 0 ||
				      memcmp(sqlite3_column_blob(a, c),
					     sqlite3_column_blob(b, c),
					     (size_t)la) == 0),
				      "%s: row %d (seq %lld) column %d: %s != %s",
				      sql, n, (long long)sqlite3_column_int64(a, 0),
				      c, sqlite3_column_text(a, c),
				      sqlite3_column_text(b, c));
		}
		n++;
	}
	ck_assert_int_eq(ra, SQLITE_DONE);
	sqlite3_finalize(a);
	sqlite3_finalize(b);
}

/* Every key at rev reads the same from A and B. */
static void same_reads(int64_t rev)
{
	struct mvcc_range_req r = { .key = U("\0"), .key_len = 1,
				    .range_end = U("\0"), .range_end_len = 1,
				    .revision = rev };
	struct mvcc_range_result ra, rb;

	ck_assert_int_eq(mvcc_range(A.s, &r, &ra), MVCC_OK);
	ck_assert_int_eq(mvcc_range(B.s, &r, &rb), MVCC_OK);
	ck_assert_uint_eq(ra.n_kvs, rb.n_kvs);
	ck_assert_int_eq(ra.revision, rb.revision);
	for (size_t i = 0; i < ra.n_kvs; i++) {
		const struct mvcc_kv *x = &ra.kvs[i], *y = &rb.kvs[i];
		ck_assert_int_eq(mvcc_memcmp_kv(x, y), 0);
	}
	mvcc_range_result_free(&ra);
	mvcc_range_result_free(&rb);
}

static void same_hashes(int64_t c)
{
	struct mvcc_hash_kv ha, hb;
	uint32_t xa, xb;

	ck_assert_int_eq(mvcc_hash_kv(A.s, 0, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, 0, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	ck_assert_int_eq(ha.compact_revision, hb.compact_revision);
	ck_assert_int_eq(mvcc_hash_kv(A.s, c + 1, &ha), MVCC_OK);
	ck_assert_int_eq(mvcc_hash_kv(B.s, c + 1, &hb), MVCC_OK);
	ck_assert_uint_eq(ha.hash, hb.hash);
	ck_assert_int_eq(mvcc_hash(A.s, &xa, NULL), MVCC_OK);
	ck_assert_int_eq(mvcc_hash(B.s, &xb, NULL), MVCC_OK);
	ck_assert_uint_eq(xa, xb);
}

/* prev_seq as reads see it: a link to a row compaction removed means
 * "nothing older" whatever its number (a put between steps may link to a
 * tombstone that a one-shot compaction had already removed). */
static const char dump_rev[] =
	"SELECT r.seq, r.main, r.sub, r.key, r.create_rev, r.ver, r.lease,"
	" CASE WHEN p.seq IS NULL THEN 0 ELSE r.prev_seq END, r.value"
	" FROM rev r LEFT JOIN rev p ON p.seq = r.prev_seq ORDER BY r.seq";
static const char dump_cur[] = "SELECT * FROM cur ORDER BY key";

START_TEST(test_compact_steps_interleaved)
{
	struct mvcc_range_result res;
	int64_t c, before, after;
	int steps = 0;
	bool done = false;

	fx_open(&B);
	mixed_ops(A.s, 1, 600);
	mixed_ops(B.s, 1, 600);
	c = mvcc_current_revision(A.s) - 150;
	ck_assert_int_eq(mvcc_compact(A.s, c), MVCC_OK);
	ck_assert_int_eq(mvcc_compact_begin(B.s, c), MVCC_OK);
	ck_assert(mvcc_compact_pending(B.s));
	ck_assert(!mvcc_compact_pending(A.s));
	/* the compaction point holds at once */
	ck_assert_int_eq(mvcc_compact_revision(B.s), c);
	struct mvcc_range_req r = { .key = U("k00"), .key_len = 3,
				    .revision = c - 1 };
	ck_assert_int_eq(mvcc_range(B.s, &r, &res), MVCC_ERR_COMPACTED);
	ck_assert_int_eq(mvcc_compact_begin(B.s, c), MVCC_ERR_COMPACTED);
	same_hashes(c);

	while (!done) {
		before = rev_rows(&B, "", NULL, 0);
		ck_assert_int_eq(mvcc_compact_step(B.s, 3, &done), MVCC_OK);
		after = rev_rows(&B, "", NULL, 0);
		/* a step is bounded: 3 rows, +1 for a key's tombstone */
		ck_assert_int_le(before - after, 4);
		steps++;
		/* writes and reads go on between steps */
		mixed_ops(A.s, 100u + (unsigned)steps, 2);
		mixed_ops(B.s, 100u + (unsigned)steps, 2);
		if (steps % 8 == 0) {
			same_reads(c);
			same_reads(c + 7);
			same_reads(0);
			same_hashes(c);
		}
		ck_assert_int_lt(steps, 10000);
	}
	ck_assert_int_gt(steps, 20);
	ck_assert(!mvcc_compact_pending(B.s));
	same_rows(dump_rev);
	same_rows(dump_cur);
	same_hashes(c);
	ck_assert_int_eq(mvcc_compact_step(B.s, 3, &done), MVCC_OK);
	ck_assert(done);
}
END_TEST

START_TEST(test_compact_resume_after_close)
{
	int64_t c1, c2;
	bool done;

	fx_open(&B);
	mixed_ops(A.s, 2, 500);
	mixed_ops(B.s, 2, 500);
	c1 = mvcc_current_revision(A.s) - 200;
	c2 = c1 + 100;
	ck_assert_int_eq(mvcc_compact(A.s, c1), MVCC_OK);
	ck_assert_int_eq(mvcc_compact(A.s, c2), MVCC_OK);

	/* steps, then a crash in the middle of one (its batch never
	 * commits), then a close */
	ck_assert_int_eq(mvcc_compact_begin(B.s, c1), MVCC_OK);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(mvcc_compact_step(B.s, 2, &done), MVCC_OK);
		ck_assert(!done);
	}
	/* a newer compaction takes over from the pending one */
	ck_assert_int_eq(mvcc_compact_begin(B.s, c2), MVCC_OK);
	ck_assert_int_eq(mvcc_compact_step(B.s, 5, &done), MVCC_OK);
	ck_assert_int_eq(db_batch_begin(B.db), DB_OK);
	ck_assert_int_eq(mvcc_compact_step(B.s, 5, &done), MVCC_OK);
	fx_close(&B);		/* rolls the open batch back */

	/* open finishes it */
	fx_open(&B);
	ck_assert(!mvcc_compact_pending(B.s));
	ck_assert_int_eq(mvcc_compact_revision(B.s), c2);
	same_rows(dump_rev);
	same_rows(dump_cur);
	same_hashes(c2);
	same_reads(c2);
	same_reads(0);
	/* and the writer's mirror of cur is right: puts agree */
	mixed_ops(A.s, 3, 200);
	mixed_ops(B.s, 3, 200);
	same_rows(dump_rev);
	same_rows(dump_cur);
}
END_TEST

/* Deletes + compaction + defragment: the db file shrinks, reads agree. */
START_TEST(test_defragment_after_compaction)
{
	static char v[3000];
	char k[16], got[3001];
	struct mvcc_kv kv;
	struct stat sb;
	off_t before;
	int64_t rev;

	memset(v, 'z', sizeof(v) - 1);
	for (int i = 0; i < 400; i++) {
		snprintf(k, sizeof(k), "big%03d", i);
		put(A.s, k, v);
	}
	for (int i = 0; i < 400; i++) {
		if (i % 10 == 0)
			continue;
		snprintf(k, sizeof(k), "big%03d", i);
		del(A.s, k, NULL, 0);
	}
	rev = mvcc_current_revision(A.s);
	ck_assert_int_eq(db_checkpoint(A.db, false), DB_OK);
	ck_assert_int_eq(stat(A.path, &sb), 0);
	before = sb.st_size;
	ck_assert_int_eq(mvcc_compact(A.s, rev), MVCC_OK);
	ck_assert_int_gt(db_free_pages(A.db), 0);
	ck_assert_int_eq(db_defragment(A.db), DB_OK);
	ck_assert_int_eq(stat(A.path, &sb), 0);
	ck_assert_msg(sb.st_size < before / 4, "%lld -> %lld",
		      (long long)before, (long long)sb.st_size);
	for (int i = 0; i < 400; i += 10) {
		snprintf(k, sizeof(k), "big%03d", i);
		ck_assert(get_at(A.s, k, 0, &kv, got, sizeof(got)));
		ck_assert_str_eq(got, v);
	}
	ck_assert_int_eq(mvcc_current_revision(A.s), rev);
	ck_assert_int_eq(put(A.s, "after", "1"), rev + 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mvcc");
	TCase *tc = tcase_create("mvcc");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	/* the step-by-step compaction tests do a few thousand small batches:
	 * seconds under the sanitizers on a busy machine */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_revisions_versions);
	tcase_add_test(tc, test_txn_one_revision);
	tcase_add_test(tc, test_put_options);
	tcase_add_test(tc, test_delete_range);
	tcase_add_test(tc, test_range_table);
	tcase_add_test(tc, test_range_values_at_revs);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_compaction_all_deleted);
	tcase_add_test(tc, test_hash_equal_and_different);
	tcase_add_test(tc, test_hash_kv_golden);
	tcase_add_test(tc, test_events_since);
	tcase_add_test(tc, test_leases);
	tcase_add_test(tc, test_reopen_keeps_everything);
	tcase_add_test(tc, test_batch_rollback);
	tcase_add_test(tc, test_reader_store);
	tcase_add_test(tc, test_compact_steps_interleaved);
	tcase_add_test(tc, test_compact_resume_after_close);
	tcase_add_test(tc, test_defragment_after_compaction);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
