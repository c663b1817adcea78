/*
 * check_db.c: unit tests of storaged/db.c: open and pragmas, schema
 * versioning, meta values, batches (commit and rollback), plain tables,
 * the checkpoint worker (FIFO completions on the caller's thread, a WAL
 * that stays bounded while writes go on), defragment.
 * Each test works in its own temp dir.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storaged/db.h"

static char dir[256];
static char path[300];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_db.XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db", dir);
}

static void teardown(void)
{
	char p[400];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

static struct db *open_db(void)
{
	struct db *db;
	char err[256];
	int rc = db_open(path, NULL, &db, err, sizeof(err));

	ck_assert_msg(rc == DB_OK, "db_open: %s", err);
	return db;
}

static int64_t pragma(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

START_TEST(test_open_pragmas)
{
	struct db *db = open_db();
	sqlite3_stmt *st;
	struct stat sb;

	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(db),
					    "PRAGMA journal_mode", -1, &st,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	ck_assert_int_eq(pragma(db, "PRAGMA synchronous"), 1); /* NORMAL */
	ck_assert_int_eq(pragma(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_gt(db_size_bytes(db), 0);
	ck_assert_int_le(db_size_in_use_bytes(db), db_size_bytes(db));
	db_close(db);
}
END_TEST

START_TEST(test_schema_newer_refused)
{
	struct db *db = open_db();
	char err[256] = "";

	ck_assert_int_eq(db_exec(db, "PRAGMA user_version = 99"), DB_OK);
	db_close(db);
	ck_assert_int_eq(db_open(path, NULL, &db, err, sizeof(err)),
			 DB_ERR_SCHEMA);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

START_TEST(test_meta_and_batches)
{
	struct db *db = open_db();
	struct db_applied a = { 0 };
	char ver[32];
	uint64_t ci;
	bool on;

	/* setters need a batch */
	a.index = 5;
	ck_assert_int_eq(db_applied_set(db, &a), DB_ERR_STATE);
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	ck_assert_int_eq(db_batch_begin(db), DB_ERR_STATE);
	a.index = 42;
	a.term = 3;
	ck_assert_int_eq(db_applied_set(db, &a), DB_OK);
	ck_assert_int_eq(db_consistent_index_set(db, 42), DB_OK);
	ck_assert_int_eq(db_cluster_version_set(db, "3.4.0"), DB_OK);
	ck_assert_int_eq(db_auth_enabled_set(db, true), DB_OK);
	ck_assert_int_eq(db_auth_revision_set(db, 7), DB_OK);
	ck_assert_int_eq(db_batch_commit(db), DB_OK);
	ck_assert(!db_in_batch(db));

	/* a rolled back batch leaves nothing and bumps the generation */
	uint64_t gen = db_generation(db);
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	a.index = 99;
	ck_assert_int_eq(db_applied_set(db, &a), DB_OK);
	db_batch_rollback(db);
	ck_assert_uint_ne(db_generation(db), gen);
	db_close(db);

	db = open_db();
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(db_applied_get(db, &a), DB_OK);
	ck_assert_uint_eq(a.index, 42);
	ck_assert_uint_eq(a.term, 3);
	ck_assert_int_eq(db_consistent_index_get(db, &ci), DB_OK);
	ck_assert_uint_eq(ci, 42);
	ck_assert_int_eq(db_cluster_version_get(db, ver, sizeof(ver)), DB_OK);
	ck_assert_str_eq(ver, "3.4.0");
	ck_assert_int_eq(db_auth_enabled_get(db, &on), DB_OK);
	ck_assert(on);
	ck_assert_int_eq(db_auth_revision_get(db, &ci), DB_OK);
	ck_assert_uint_eq(ci, 7);
	db_close(db);
}
END_TEST

struct walk { int n; uint64_t ids[8]; };

static int walk_fn(void *arg, const void *k, size_t kl, const void *v,
		   size_t vl)
{
	struct walk *w = arg;

	ck_assert_uint_eq(kl, 8);
	(void)v;
	(void)vl;
	w->ids[w->n++] = db_u64_from_key(k);
	return 0;
}

START_TEST(test_tables)
{
	struct db *db = open_db();
	uint8_t k[8];
	void *v;
	size_t vl;
	struct walk w = { 0 };
	const uint64_t ids[] = { 0x300, 0x10, 0xffffffffffffffffull };

	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	for (int i = 0; i < 3; i++) {
		db_u64_key(ids[i], k);
		ck_assert_int_eq(db_table_put(db, DB_T_MEMBERS, k, 8, "m", 1),
				 DB_OK);
	}
	ck_assert_int_eq(db_table_put(db, DB_T_AUTH_USERS, "root", 4, "", 0),
			 DB_OK);
	ck_assert_int_eq(db_batch_commit(db), DB_OK);

	/* ids walk in numeric order thanks to the big-endian keys */
	ck_assert_int_eq(db_table_each(db, DB_T_MEMBERS, walk_fn, &w), DB_OK);
	ck_assert_int_eq(w.n, 3);
	ck_assert_uint_eq(w.ids[0], 0x10);
	ck_assert_uint_eq(w.ids[1], 0x300);
	ck_assert_uint_eq(w.ids[2], 0xffffffffffffffffull);

	db_u64_key(0x10, k);
	ck_assert_int_eq(db_table_get(db, DB_T_MEMBERS, k, 8, &v, &vl), DB_OK);
	ck_assert_uint_eq(vl, 1);
	ck_assert_int_eq(memcmp(v, "m", 1), 0);
	free(v);
	ck_assert_int_eq(db_table_get(db, DB_T_AUTH_USERS, "root", 4, &v, &vl),
			 DB_OK);
	ck_assert_uint_eq(vl, 0);
	ck_assert_int_eq(db_table_get(db, DB_T_AUTH_ROLES, "root", 4, &v, &vl),
			 DB_ERR_NOT_FOUND);
	ck_assert_int_eq(db_table_delete(db, DB_T_MEMBERS, k, 8), DB_ERR_STATE);
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	ck_assert_int_eq(db_table_delete(db, DB_T_MEMBERS, k, 8), DB_OK);
	ck_assert_int_eq(db_table_delete(db, DB_T_MEMBERS, k, 8),
			 DB_ERR_NOT_FOUND);
	uint8_t ak[12];
	db_alarm_key(7, 1, ak);
	ck_assert_int_eq(db_table_put(db, DB_T_ALARMS, ak, 12, NULL, 0), DB_OK);
	ck_assert_int_eq(db_batch_commit(db), DB_OK);
	ck_assert_int_eq(db_table_get(db, DB_T_MEMBERS, k, 8, &v, &vl),
			 DB_ERR_NOT_FOUND);
	ck_assert_int_eq(db_table_get(db, DB_T_ALARMS, ak, 12, &v, &vl), DB_OK);
	db_close(db);
}
END_TEST

START_TEST(test_reader_connection)
{
	struct db *w = open_db(), *r;
	struct db_options ro = { .read_only = true };
	struct db_applied a = { .index = 9, .term = 1 };
	char err[256];

	ck_assert_int_eq(db_open(path, &ro, &r, err, sizeof(err)), DB_OK);
	ck_assert_int_eq(db_batch_begin(r), DB_ERR_STATE);
	ck_assert_int_eq(db_batch_begin(w), DB_OK);
	ck_assert_int_eq(db_applied_set(w, &a), DB_OK);
	/* the reader sees only committed state */
	struct db_applied got;
	ck_assert_int_eq(db_applied_get(r, &got), DB_OK);
	ck_assert_uint_eq(got.index, 0);
	ck_assert_int_eq(db_batch_commit(w), DB_OK);
	ck_assert_int_eq(db_applied_get(r, &got), DB_OK);
	ck_assert_uint_eq(got.index, 9);
	ck_assert_int_eq(db_checkpoint(w, false), DB_OK);
	db_close(r);
	db_close(w);
}
END_TEST

/* --- checkpoint worker ----------------------------------------------------- */

struct ckpt_log {
	int n;			/* callbacks run */
	int order[64];		/* their tags, in the order they ran */
	int rc[64];
	bool truncated;
	int64_t max_wal_after;
};

struct ckpt_tag {
	struct ckpt_log *log;
	int tag;
};

static void ckpt_cb(void *arg, const struct db_ckpt_result *r)
{
	struct ckpt_tag *t = arg;
	struct ckpt_log *l = t->log;

	if (l->n < 64) {
		l->order[l->n] = t->tag;
		l->rc[l->n] = r->rc;
	}
	l->n++;
	if (r->truncated)
		l->truncated = true;
	if (r->wal_bytes > l->max_wal_after)
		l->max_wal_after = r->wal_bytes;
}

/* What an event loop does: wait until the fd is readable, dispatch. */
static void ckpt_wait_dispatch(struct db_ckpt *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = db_ckpt_fd(c), .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) == 1)
		db_ckpt_dispatch(c);
}

static void put_rows(struct db *db, int batch, int rows, size_t len)
{
	static uint8_t v[4096];
	uint8_t k[8];

	ck_assert_uint_le(len, sizeof(v));
	memset(v, 'a' + batch % 26, len);
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	for (int i = 0; i < rows; i++) {
		db_u64_key((uint64_t)(batch % 50) * 1000 + (uint64_t)i, k);
		ck_assert_int_eq(db_table_put(db, DB_T_MEMBERS, k, 8, v, len),
				 DB_OK);
	}
	ck_assert_int_eq(db_batch_commit(db), DB_OK);
}

START_TEST(test_ckpt_worker_bounds_wal)
{
	struct db_options o = { .wal_autocheckpoint = -1 };
	struct ckpt_log log = { 0 };
	struct ckpt_tag tag = { &log, 0 };
	struct db *db;
	struct db_ckpt *c;
	char err[256];
	int64_t max_wal = 0, written = 0;
	const int64_t limit = 1 << 20;

	ck_assert_int_eq(db_open(path, &o, &db, err, sizeof(err)), DB_OK);
	ck_assert_msg(db_ckpt_start(db, limit, &c, err, sizeof(err)) == DB_OK,
		      "%s", err);
	/* The writer never pauses for the worker: one AUTO outstanding at a
	 * time, completions picked up between batches as a loop would. */
	for (int b = 0; b < 300; b++) {
		put_rows(db, b, 50, 2000);
		written += 50 * 2000;
		if (db_ckpt_outstanding(c) == 0)
			ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_AUTO,
							 ckpt_cb, &tag), DB_OK);
		/* A loaded machine may starve the worker; like the storaged
		 * loop, stop writing while the WAL is over twice the limit and
		 * a checkpoint is in flight, so the bound does not depend on
		 * scheduling. */
		ckpt_wait_dispatch(c, 0);
		while (db_ckpt_outstanding(c) && db_wal_bytes(path) > 2 * limit)
			ckpt_wait_dispatch(c, 1000);
		int64_t w = db_wal_bytes(path);
		if (w > max_wal)
			max_wal = w;
	}
	while (db_ckpt_outstanding(c))
		ckpt_wait_dispatch(c, 1000);
	ck_assert_int_gt(log.n, 0);
	for (int i = 0; i < log.n && i < 64; i++)
		ck_assert_msg(log.rc[i] == DB_OK || log.rc[i] == DB_ERR_BUSY,
			      "checkpoint %d: rc %d", i, log.rc[i]);
	/* ~15 MB went through the WAL; it never held more than a few
	 * limits' worth (the truncate lands at the writer's next batch). */
	ck_assert_int_gt(written, 10 * limit);
	ck_assert_msg(max_wal < 4 * limit, "WAL grew to %lld bytes",
		      (long long)max_wal);

	/* TRUNCATE empties the WAL; the data is in the db file. */
	struct ckpt_log log2 = { 0 };
	struct ckpt_tag t2[3] = { { &log2, 1 }, { &log2, 2 }, { &log2, 3 } };
	ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_PASSIVE, ckpt_cb, &t2[0]),
			 DB_OK);
	ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_TRUNCATE, ckpt_cb, &t2[1]),
			 DB_OK);
	ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_PASSIVE, ckpt_cb, &t2[2]),
			 DB_OK);
	while (db_ckpt_outstanding(c)) {
		/* the writer's read txn between batches holds TRUNCATE up
		 * until its next batch: give it one */
		put_rows(db, 7, 1, 10);
		ckpt_wait_dispatch(c, 50);
	}
	ck_assert_int_eq(log2.n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(log2.order[i], i + 1);	/* FIFO */
		ck_assert_int_eq(log2.rc[i], DB_OK);
	}
	void *v;
	size_t vl;
	uint8_t k[8];
	db_u64_key(299 % 50 * 1000 + 49, k);
	ck_assert_int_eq(db_table_get(db, DB_T_MEMBERS, k, 8, &v, &vl), DB_OK);
	ck_assert_uint_eq(vl, 2000);
	ck_assert_int_eq(((uint8_t *)v)[0], 'a' + 299 % 26);
	free(v);

	/* A stop cancels what has not run, and still calls back. */
	struct ckpt_log log3 = { 0 };
	struct ckpt_tag t3 = { &log3, 9 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_PASSIVE, ckpt_cb,
						 &t3), DB_OK);
	db_ckpt_stop(c);
	ck_assert_int_eq(log3.n, 5);
	for (int i = 0; i < 5; i++)
		ck_assert(log3.rc[i] == DB_OK || log3.rc[i] == DB_ERR_CANCELED);
	db_close(db);
}
END_TEST

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reader on an old snapshot holds a TRUNCATE up: it gives up soon, and
 * the writer is not kept waiting for the reader. */
START_TEST(test_ckpt_truncate_gives_up_for_reader)
{
	struct db_options o = { .wal_autocheckpoint = -1 };
	struct db_options ro = { .read_only = true };
	struct ckpt_log log = { 0 };
	struct ckpt_tag tag = { &log, 1 };
	struct db *db, *r;
	struct db_ckpt *c;
	struct db_applied a;
	char err[256];
	double worst = 0;

	ck_assert_int_eq(db_open(path, &o, &db, err, sizeof(err)), DB_OK);
	put_rows(db, 0, 20, 1000);
	ck_assert_int_eq(db_open(path, &ro, &r, err, sizeof(err)), DB_OK);
	ck_assert_int_eq(db_read_begin(r), DB_OK);
	ck_assert_int_eq(db_applied_get(r, &a), DB_OK);	/* snapshot taken */
	put_rows(db, 1, 20, 1000);
	ck_assert_int_eq(db_ckpt_start(db, 0, &c, err, sizeof(err)), DB_OK);
	ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_TRUNCATE, ckpt_cb, &tag),
			 DB_OK);
	while (db_ckpt_outstanding(c)) {
		double t0 = mono_now();
		put_rows(db, 2, 1, 10);
		if (mono_now() - t0 > worst)
			worst = mono_now() - t0;
		ckpt_wait_dispatch(c, 10);
	}
	ck_assert_int_eq(log.n, 1);
	ck_assert_int_eq(log.rc[0], DB_ERR_BUSY);
	ck_assert_msg(worst < 1.5, "writer waited %.3f s", worst);
	db_read_end(r);
	db_close(r);
	/* with the reader gone it succeeds */
	ck_assert_int_eq(db_ckpt_request(c, DB_CKPT_TRUNCATE, ckpt_cb, &tag),
			 DB_OK);
	while (db_ckpt_outstanding(c)) {
		put_rows(db, 3, 1, 10);
		ckpt_wait_dispatch(c, 10);
	}
	ck_assert_int_eq(log.rc[1], DB_OK);
	db_close(db);		/* stops the worker first */
}
END_TEST

/* --- defragment -------------------------------------------------------------- */

static int64_t file_bytes(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static void fill_and_delete(struct db *db, int n, int keep_every)
{
	static uint8_t v[6000];
	uint8_t k[8];

	memset(v, 'x', sizeof(v));
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	for (int i = 0; i < n; i++) {
		db_u64_key((uint64_t)i, k);
		ck_assert_int_eq(db_table_put(db, DB_T_MEMBERS, k, 8, v,
					      sizeof(v)), DB_OK);
	}
	ck_assert_int_eq(db_batch_commit(db), DB_OK);
	ck_assert_int_eq(db_batch_begin(db), DB_OK);
	for (int i = 0; i < n; i++) {
		if (i % keep_every == 0)
			continue;
		db_u64_key((uint64_t)i, k);
		ck_assert_int_eq(db_table_delete(db, DB_T_MEMBERS, k, 8), DB_OK);
	}
	ck_assert_int_eq(db_batch_commit(db), DB_OK);
	ck_assert_int_eq(db_checkpoint(db, false), DB_OK);
}

static void check_kept(struct db *db, int n, int keep_every)
{
	uint8_t k[8];
	void *v;
	size_t vl;

	for (int i = 0; i < n; i++) {
		db_u64_key((uint64_t)i, k);
		int rc = db_table_get(db, DB_T_MEMBERS, k, 8, &v, &vl);
		if (i % keep_every) {
			ck_assert_int_eq(rc, DB_ERR_NOT_FOUND);
			continue;
		}
		ck_assert_int_eq(rc, DB_OK);
		ck_assert_uint_eq(vl, 6000);
		free(v);
	}
}

START_TEST(test_defragment_steps_shrink)
{
	struct db *db = open_db();
	int64_t before, after, free0, steps = 0;
	bool done = false;

	ck_assert(db_defrag_incremental(db));
	fill_and_delete(db, 300, 5);
	before = file_bytes(path);
	free0 = db_free_pages(db);
	ck_assert_int_gt(free0, 50);
	/* deleting returns nothing to the filesystem by itself */
	ck_assert_int_ge(before, db_size_bytes(db));
	while (!done) {
		int64_t f = db_free_pages(db);
		ck_assert_int_eq(db_defragment_step(db, 8, &done), DB_OK);
		ck_assert_int_le(f - db_free_pages(db), 8);
		/* a write between steps */
		fill_and_delete(db, 1, 1);
		steps++;
		ck_assert_int_lt(steps, 10000);
	}
	ck_assert_int_gt(steps, 3);
	ck_assert_int_eq(db_free_pages(db), 0);
	ck_assert_int_eq(db_checkpoint(db, false), DB_OK);
	after = file_bytes(path);
	ck_assert_msg(after < before / 2, "%lld -> %lld", (long long)before,
		      (long long)after);
	check_kept(db, 300, 5);
	db_close(db);
}
END_TEST

/* A db made before auto_vacuum was set: converted once, then shrinks. */
START_TEST(test_defragment_old_db)
{
	struct db *db = open_db();
	int64_t before;
	bool done;

	ck_assert_int_eq(db_exec(db, "PRAGMA auto_vacuum = NONE"), DB_OK);
	ck_assert_int_eq(db_exec(db, "VACUUM"), DB_OK);
	ck_assert(!db_defrag_incremental(db));
	fill_and_delete(db, 200, 4);
	before = file_bytes(path);
	ck_assert_int_eq(db_defragment_step(db, 8, &done), DB_ERR_STATE);
	ck_assert_int_eq(db_defragment(db), DB_OK);
	ck_assert(db_defrag_incremental(db));
	ck_assert_int_eq(db_free_pages(db), 0);
	ck_assert_int_lt(file_bytes(path), before / 2);
	check_kept(db, 200, 4);
	/* and from then on in steps */
	fill_and_delete(db, 200, 4);
	ck_assert_int_gt(db_free_pages(db), 0);
	ck_assert_int_eq(db_defragment(db), DB_OK);
	ck_assert_int_eq(db_free_pages(db), 0);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_pragmas);
	tcase_add_test(tc, test_schema_newer_refused);
	tcase_add_test(tc, test_meta_and_batches);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_reader_connection);
	tcase_add_test(tc, test_ckpt_worker_bounds_wal);
	tcase_add_test(tc, test_ckpt_truncate_gives_up_for_reader);
	tcase_add_test(tc, test_defragment_steps_shrink);
	tcase_add_test(tc, test_defragment_old_db);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
