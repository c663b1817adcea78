/*
 * check_db.c: unit tests of storaged/db.c: open and pragmas, schema
 * versioning, meta values, batches (commit and rollback), plain tables.
 * Each test works in its own temp dir.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
