/*
 * db.c: the SQLite database of cetcd-storaged: open, pragmas, schema,
 * meta values, plain state tables and the batch (write transaction) boundary.
 *
 * Owns: one sqlite3 connection and its cache of prepared statements.
 * Never: touches the Raft WAL or snapshots, interprets keys or revisions
 * (mvcc.c does), or commits outside db_batch_commit().
 * Runs in: cetcd-storaged, on the thread that opened it.
 *
 * Schema (version DB_SCHEMA_VERSION, in PRAGMA user_version):
 *   meta(name, value)            applied index/term, consistent index,
 *                                cluster version, compaction, auth flags
 *   rev(seq, main, sub, key, create_rev, ver, lease, prev_seq, value)
 *                                every kept revision of every key, in
 *                                revision order (seq grows with (main, sub));
 *                                ver = 0 marks a tombstone; prev_seq links
 *                                to the key's previous row (0 = none), so a
 *                                key's history is a chain, newest first
 *   cur(key, seq, create_rev, mod_rev, ver, lease)
 *                                every key, pointing at its newest rev row:
 *                                a current read is one lookup here and one
 *                                in rev, never a scan of history; ver = 0
 *                                for a deleted key, kept as the head of its
 *                                chain until compaction passes the delete
 *   cur_lease on cur(lease)      keys attached to each lease
 *   lease(id, ttl, remaining_ttl)
 *   members, members_removed, alarms, auth_users, auth_roles (k, v)
 *
 * Made with 16 KiB pages and auto_vacuum = INCREMENTAL (db_pragmas).
 * Checkpoints: db_checkpoint.c (the worker); defragment: db_defrag.c.
 */
#include "storaged/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct db_stmt_slot {
	const char *sql;	/* identity of the statement: the address */
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *conn;
	char *path;
	struct db_ckpt *ckpt;	/* checkpoint worker attached, if any */
	bool read_only;
	bool in_batch;
	bool idle_read;		/* writer: read txn held between batches */
	int read_depth;
	uint64_t generation;
	struct db_stmt_slot *slots;	/* open addressing, power of two */
	size_t n_slots;
	size_t n_used;
};

/*
 * No index on rev besides seq: each put appends one rev row and touches
 * one cur row, the least a revisioned store with O(1) current reads can
 * do.  Column order in rev puts value last: SQLite stores small integers
 * (0 and 1 cost no bytes in the record body) before the big blob, and a
 * read of the metadata never pulls overflow pages.  cur is WITHOUT ROWID
 * because its rows are small and always found by key.
 */
static const char db_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS rev(seq INTEGER PRIMARY KEY,"
	" main INTEGER NOT NULL, sub INTEGER NOT NULL, key BLOB NOT NULL,"
	" create_rev INTEGER NOT NULL, ver INTEGER NOT NULL,"
	" lease INTEGER NOT NULL, prev_seq INTEGER NOT NULL, value BLOB);"
	"CREATE TABLE IF NOT EXISTS cur(key BLOB PRIMARY KEY,"
	" seq INTEGER NOT NULL, create_rev INTEGER NOT NULL,"
	" mod_rev INTEGER NOT NULL, ver INTEGER NOT NULL,"
	" lease INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS cur_lease ON cur(lease) WHERE lease != 0;"
	"CREATE TABLE IF NOT EXISTS lease(id INTEGER PRIMARY KEY,"
	" ttl INTEGER NOT NULL, remaining_ttl INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS members(k BLOB PRIMARY KEY, v BLOB)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS members_removed(k BLOB PRIMARY KEY, v BLOB)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS alarms(k BLOB PRIMARY KEY, v BLOB)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS auth_users(k BLOB PRIMARY KEY, v BLOB)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS auth_roles(k BLOB PRIMARY KEY, v BLOB)"
	" WITHOUT ROWID;";

static void db_seterr(char *err, size_t len, const char *what, const char *why)
{
	if (err && len)
		snprintf(err, len, "%s: %s", what, why);
}

static int db_sql(struct db *db, const char *sql)
{
	return sqlite3_exec(db->conn, sql, NULL, NULL, NULL) == SQLITE_OK ?
		DB_OK : DB_ERR_SQLITE;
}

static void db_idle_read_begin(struct db *db);
static void db_idle_read_end(struct db *db);

int db_exec(struct db *db, const char *sql)
{
	bool idle = db->idle_read;
	int rc;

	db_idle_read_end(db);
	rc = db_sql(db, sql);
	if (idle)
		db_idle_read_begin(db);
	return rc;
}

/*
 * Between batches the writer keeps a read transaction open.  Each
 * autocommit statement would otherwise take and drop SQLite's shared
 * locks (fcntl calls and a WAL read mark), which costs more than the
 * b-tree lookup of a point read.  Nothing is missed: this connection is
 * the only writer, and it ends the read txn before every batch.
 */
static void db_idle_read_begin(struct db *db)
{
	if (db->read_only || db->idle_read || db->in_batch)
		return;
	if (db_sql(db, "BEGIN") == DB_OK)
		db->idle_read = true;
}

static void db_idle_read_end(struct db *db)
{
	if (!db->idle_read)
		return;
	db->idle_read = false;
	db_sql(db, "COMMIT");
}

static int db_user_version(struct db *db, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = DB_ERR_SQLITE;

	if (sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*out = sqlite3_column_int(st, 0);
	rc = DB_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Creates the schema on a new db, refuses a newer one.  Later versions add
 * their migrations here, each in the same transaction as its version bump. */
static int db_schema(struct db *db, char *err, size_t err_len)
{
	char sql[64];
	int ver = 0;

	if (db_user_version(db, &ver) != DB_OK) {
		db_seterr(err, err_len, "read schema version", db_errmsg(db));
		return DB_ERR_SQLITE;
	}
	if (ver > DB_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "%d > %d", ver, DB_SCHEMA_VERSION);
		db_seterr(err, err_len, "db schema is newer than this cetcd", sql);
		return DB_ERR_SCHEMA;
	}
	if (ver == DB_SCHEMA_VERSION)
		return DB_OK;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;",
		 DB_SCHEMA_VERSION);
	if (db_sql(db, "BEGIN IMMEDIATE") != DB_OK)
		goto fail;
	if (db_sql(db, db_schema_sql) != DB_OK || db_sql(db, sql) != DB_OK) {
		db_seterr(err, err_len, "create schema", db_errmsg(db));
		db_sql(db, "ROLLBACK");
		return DB_ERR_SQLITE;
	}
	if (db_sql(db, "COMMIT") != DB_OK)
		goto fail;
	return DB_OK;
fail:
	db_seterr(err, err_len, "create schema", db_errmsg(db));
	return DB_ERR_SQLITE;
}

static int db_pragmas(struct db *db, const struct db_options *o, char *err,
		      size_t err_len)
{
	char sql[256];
	int64_t cache = o->cache_kib > 0 ? o->cache_kib : 64 * 1024;
	int64_t mmap = o->mmap_bytes == 0 ? 256ll << 20 :
		(o->mmap_bytes < 0 ? 0 : o->mmap_bytes);

	/* page_size only matters before the first table exists.  16 KiB
	 * rather than 4: a put costs 4.5% fewer instructions (shallower
	 * b-trees) and a commit a quarter of the WAL frames (two write()s
	 * each); a point read is no slower.  Old dbs keep their size. */
	snprintf(sql, sizeof(sql),
		 "PRAGMA page_size = 16384; PRAGMA cache_size = -%lld;"
		 " PRAGMA mmap_size = %lld; PRAGMA temp_store = MEMORY;"
		 " PRAGMA foreign_keys = OFF;",
		 (long long)cache, (long long)mmap);
	if (db_sql(db, sql) != DB_OK)
		goto fail;
	if (o->read_only)
		return DB_OK;
	/* Like page_size, only a new db takes it: the pointer maps that let
	 * db_defragment_step() give pages back a few at a time
	 * (db_defrag.c).  An old db keeps what it has. */
	if (db_sql(db, "PRAGMA auto_vacuum = INCREMENTAL;") != DB_OK)
		goto fail;
	if (db_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
	    != DB_OK)
		goto fail;
	if (o->wal_autocheckpoint != 0) {
		snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d;",
			 o->wal_autocheckpoint < 0 ? 0 : o->wal_autocheckpoint);
		if (db_sql(db, sql) != DB_OK)
			goto fail;
	}
	return DB_OK;
fail:
	db_seterr(err, err_len, "set pragmas", db_errmsg(db));
	return DB_ERR_SQLITE;
}

/*
 * SQLite's memory statistics take a global mutex around every malloc and
 * free (two of each per statement step): 7% of a put's instructions.
 * cetcd never asks for the statistics.  This must run before SQLite
 * initialises; if someone initialised it first, the call fails harmlessly.
 */
static void db_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_open(const char *path, const struct db_options *opts, struct db **out,
	    char *err, size_t err_len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const struct db_options defaults;
	const struct db_options *o = opts ? opts : &defaults;
	struct db *db = NULL;
	int flags, rc, fd;

	*out = NULL;
	pthread_once(&once, db_global_config);
	db = calloc(1, sizeof(*db));
	if (!db) {
		db_seterr(err, err_len, path, "out of memory");
		return DB_ERR_NOMEM;
	}
	db->read_only = o->read_only;
	db->path = strdup(path);
	db->n_slots = 64;
	db->slots = calloc(db->n_slots, sizeof(*db->slots));
	if (!db->slots || !db->path) {
		rc = DB_ERR_NOMEM;
		db_seterr(err, err_len, path, "out of memory");
		goto err_free;
	}
	/* Create the file ourselves so that it is 0600 whatever the umask
	 * (the -wal and -shm files take their mode from it). */
	if (!o->read_only) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = DB_ERR_SQLITE;
			db_seterr(err, err_len, path, strerror(errno));
			goto err_free;
		}
		close(fd);
	}
	flags = (o->read_only ? SQLITE_OPEN_READONLY :
		 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
		rc = DB_ERR_SQLITE;
		db_seterr(err, err_len, path,
			  db->conn ? sqlite3_errmsg(db->conn) : "cannot open");
		goto err_close;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	/* A reader may meet a checkpoint or the writer's lock briefly. */
	sqlite3_busy_timeout(db->conn, 5000);
	rc = db_pragmas(db, o, err, err_len);
	if (rc != DB_OK)
		goto err_close;
	if (!o->read_only) {
		rc = db_schema(db, err, err_len);
		if (rc != DB_OK)
			goto err_close;
	}
	db_idle_read_begin(db);
	*out = db;
	return DB_OK;
err_close:
	sqlite3_close(db->conn);
err_free:
	free(db->slots);
	free(db->path);
	free(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	/* A worker must not outlive its writer (db.h says stop it first);
	 * stopping it here beats a dangling pointer. */
	if (db->ckpt)
		db_ckpt_stop(db->ckpt);
	if (db->in_batch)
		db_batch_rollback(db);
	db_idle_read_end(db);
	for (size_t i = 0; i < db->n_slots; i++)
		sqlite3_finalize(db->slots[i].st);
	sqlite3_close(db->conn);
	free(db->slots);
	free(db->path);
	free(db);
}

const char *db_path_of(const struct db *db) { return db->path; }
struct db_ckpt *db_ckpt_of(const struct db *db) { return db->ckpt; }
void db_ckpt_attach(struct db *db, struct db_ckpt *c) { db->ckpt = c; }

sqlite3 *db_sqlite(struct db *db) { return db->conn; }
const char *db_errmsg(struct db *db) { return sqlite3_errmsg(db->conn); }

static size_t db_slot_hash(const char *sql, size_t n)
{
	uintptr_t p = (uintptr_t)sql;

	p ^= p >> 17;
	p *= 0x9E3779B97F4A7C15ull;
	return (size_t)(p >> 20) & (n - 1);
}

static int db_slots_grow(struct db *db)
{
	size_t n = db->n_slots * 2;
	struct db_stmt_slot *s = calloc(n, sizeof(*s));

	if (!s)
		return DB_ERR_NOMEM;
	for (size_t i = 0; i < db->n_slots; i++) {
		if (!db->slots[i].sql)
			continue;
		size_t h = db_slot_hash(db->slots[i].sql, n);
		while (s[h].sql)
			h = (h + 1) & (n - 1);
		s[h] = db->slots[i];
	}
	free(db->slots);
	db->slots = s;
	db->n_slots = n;
	return DB_OK;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
	size_t h = db_slot_hash(sql, db->n_slots);

	while (db->slots[h].sql) {
		if (db->slots[h].sql == sql)
			return db->slots[h].st;
		h = (h + 1) & (db->n_slots - 1);
	}
	if ((db->n_used + 1) * 2 > db->n_slots) {
		if (db_slots_grow(db) != DB_OK)
			return NULL;
		return db_stmt(db, sql);
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st, NULL) != SQLITE_OK)
		return NULL;
	db->slots[h].sql = sql;
	db->slots[h].st = st;
	db->n_used++;
	return st;
}

int db_batch_begin(struct db *db)
{
	if (db->read_only || db->in_batch || db->read_depth)
		return DB_ERR_STATE;
	db_idle_read_end(db);
	/* With no read txn of ours left, a TRUNCATE checkpoint can finish. */
	if (db->ckpt)
		db_ckpt_gate(db->ckpt);
	/* IMMEDIATE takes the write lock now, so a batch never fails half way
	 * for want of it. */
	if (db_sql(db, "BEGIN IMMEDIATE") != DB_OK) {
		db_idle_read_begin(db);
		return DB_ERR_SQLITE;
	}
	db->in_batch = true;
	return DB_OK;
}

int db_batch_commit(struct db *db)
{
	if (!db->in_batch)
		return DB_ERR_STATE;
	if (db_sql(db, "COMMIT") != DB_OK) {
		db_batch_rollback(db);
		return DB_ERR_SQLITE;
	}
	db->in_batch = false;
	db_idle_read_begin(db);
	return DB_OK;
}

void db_batch_rollback(struct db *db)
{
	if (!db->in_batch)
		return;
	/* Statements still stepping would keep the rollback from releasing
	 * their snapshot; cached ones are always reset by their users, but be
	 * safe about a caller that bailed out mid-walk. */
	for (size_t i = 0; i < db->n_slots; i++)
		if (db->slots[i].st)
			sqlite3_reset(db->slots[i].st);
	if (sqlite3_get_autocommit(db->conn) == 0)
		db_sql(db, "ROLLBACK");
	db->in_batch = false;
	db->generation++;
	db_idle_read_begin(db);
}

bool db_in_batch(const struct db *db) { return db->in_batch; }
bool db_read_only(const struct db *db) { return db->read_only; }
uint64_t db_generation(const struct db *db) { return db->generation; }

int db_read_begin(struct db *db)
{
	/* The writer's view only changes by its own hand: no snapshot needed,
	 * and its caches stay valid. */
	if (!db->read_only || db->in_batch || db->read_depth++ > 0)
		return DB_OK;
	if (db_sql(db, "BEGIN") != DB_OK) {
		db->read_depth = 0;
		return DB_ERR_SQLITE;
	}
	/* Another connection may have written since our last look. */
	db->generation++;
	return DB_OK;
}

void db_read_end(struct db *db)
{
	if (!db->read_only || db->in_batch || db->read_depth == 0)
		return;
	if (--db->read_depth == 0)
		db_sql(db, "COMMIT");
}

/* --- meta -------------------------------------------------------------- */

static const char db_meta_get_sql[] = "SELECT value FROM meta WHERE name = ?1";
static const char db_meta_put_sql[] =
	"INSERT OR REPLACE INTO meta(name, value) VALUES (?1, ?2)";

int db_meta_get_int(struct db *db, const char *name, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(db, db_meta_get_sql);
	int rc;

	*out = 0;
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : DB_ERR_SQLITE;
}

static int db_meta_put(struct db *db, const char *name, int64_t iv,
		       const char *tv)
{
	sqlite3_stmt *st;
	int rc;

	if (!db->in_batch)
		return DB_ERR_STATE;
	st = db_stmt(db, db_meta_put_sql);
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (tv)
		sqlite3_bind_text(st, 2, tv, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, iv);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return rc == SQLITE_DONE ? DB_OK : DB_ERR_SQLITE;
}

int db_meta_set_int(struct db *db, const char *name, int64_t v)
{
	return db_meta_put(db, name, v, NULL);
}

int db_applied_get(struct db *db, struct db_applied *out)
{
	int64_t i, t;
	int rc = db_meta_get_int(db, "applied_index", &i);

	if (rc == DB_OK)
		rc = db_meta_get_int(db, "applied_term", &t);
	out->index = rc == DB_OK ? (uint64_t)i : 0;
	out->term = rc == DB_OK ? (uint64_t)t : 0;
	return rc;
}

int db_applied_set(struct db *db, const struct db_applied *a)
{
	int rc = db_meta_set_int(db, "applied_index", (int64_t)a->index);

	return rc == DB_OK ? db_meta_set_int(db, "applied_term",
					     (int64_t)a->term) : rc;
}

int db_consistent_index_get(struct db *db, uint64_t *out)
{
	int64_t v;
	int rc = db_meta_get_int(db, "consistent_index", &v);

	*out = (uint64_t)v;
	return rc;
}

int db_consistent_index_set(struct db *db, uint64_t index)
{
	return db_meta_set_int(db, "consistent_index", (int64_t)index);
}

int db_cluster_version_get(struct db *db, char *buf, size_t len)
{
	sqlite3_stmt *st = db_stmt(db, db_meta_get_sql);
	int rc;

	if (len)
		buf[0] = '\0';
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_text(st, 1, "cluster_version", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && len) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, len, "%s", t ? (const char *)t : "");
	}
	db_stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : DB_ERR_SQLITE;
}

int db_cluster_version_set(struct db *db, const char *version)
{
	return db_meta_put(db, "cluster_version", 0, version);
}

int db_auth_enabled_get(struct db *db, bool *out)
{
	int64_t v;
	int rc = db_meta_get_int(db, "auth_enabled", &v);

	*out = v != 0;
	return rc;
}

int db_auth_enabled_set(struct db *db, bool on)
{
	return db_meta_set_int(db, "auth_enabled", on);
}

int db_auth_revision_get(struct db *db, uint64_t *out)
{
	int64_t v;
	int rc = db_meta_get_int(db, "auth_revision", &v);

	*out = (uint64_t)v;
	return rc;
}

int db_auth_revision_set(struct db *db, uint64_t rev)
{
	return db_meta_set_int(db, "auth_revision", (int64_t)rev);
}

/* --- plain tables -------------------------------------------------------- */

/* One statement text per table and operation, so each is cached once. */
#define DB_TABLE_SQL(name)                                                   \
	{ "INSERT OR REPLACE INTO " name "(k, v) VALUES (?1, ?2)",           \
	  "SELECT v FROM " name " WHERE k = ?1",                             \
	  "DELETE FROM " name " WHERE k = ?1",                               \
	  "SELECT k, v FROM " name " ORDER BY k" }
static const char *const db_table_sql[DB_T_COUNT][4] = {
	[DB_T_MEMBERS] = DB_TABLE_SQL("members"),
	[DB_T_MEMBERS_REMOVED] = DB_TABLE_SQL("members_removed"),
	[DB_T_ALARMS] = DB_TABLE_SQL("alarms"),
	[DB_T_AUTH_USERS] = DB_TABLE_SQL("auth_users"),
	[DB_T_AUTH_ROLES] = DB_TABLE_SQL("auth_roles"),
};

int db_table_put(struct db *db, enum db_table t, const void *key,
		 size_t key_len, const void *val, size_t val_len)
{
	sqlite3_stmt *st;
	int rc;

	if (t < 0 || t >= DB_T_COUNT || !db->in_batch)
		return DB_ERR_STATE;
	st = db_stmt(db, db_table_sql[t][0]);
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_blob64(st, 1, key, key_len, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 2, val_len ? val : "", val_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return rc == SQLITE_DONE ? DB_OK : DB_ERR_SQLITE;
}

int db_table_get(struct db *db, enum db_table t, const void *key,
		 size_t key_len, void **val, size_t *val_len)
{
	sqlite3_stmt *st;
	int rc, ret = DB_ERR_SQLITE;

	*val = NULL;
	*val_len = 0;
	if (t < 0 || t >= DB_T_COUNT)
		return DB_ERR_STATE;
	st = db_stmt(db, db_table_sql[t][1]);
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_blob64(st, 1, key, key_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = DB_ERR_NOT_FOUND;
	} else if (rc == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		ret = DB_OK;
		if (n) {
			*val = malloc(n);
			if (!*val) {
				ret = DB_ERR_NOMEM;
			} else {
				memcpy(*val, v, n);
				*val_len = n;
			}
		}
	}
	db_stmt_done(st);
	return ret;
}

int db_table_delete(struct db *db, enum db_table t, const void *key,
		    size_t key_len)
{
	sqlite3_stmt *st;
	int rc;

	if (t < 0 || t >= DB_T_COUNT || !db->in_batch)
		return DB_ERR_STATE;
	st = db_stmt(db, db_table_sql[t][2]);
	if (!st)
		return DB_ERR_SQLITE;
	sqlite3_bind_blob64(st, 1, key, key_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return DB_ERR_SQLITE;
	return sqlite3_changes(db->conn) ? DB_OK : DB_ERR_NOT_FOUND;
}

int db_table_each(struct db *db, enum db_table t, db_table_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc, ret = DB_OK;

	if (t < 0 || t >= DB_T_COUNT)
		return DB_ERR_STATE;
	st = db_stmt(db, db_table_sql[t][3]);
	if (!st)
		return DB_ERR_SQLITE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = fn(arg, sqlite3_column_blob(st, 0),
			 (size_t)sqlite3_column_bytes(st, 0),
			 sqlite3_column_blob(st, 1),
			 (size_t)sqlite3_column_bytes(st, 1));
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = DB_ERR_SQLITE;
	db_stmt_done(st);
	return ret;
}

void db_u64_key(uint64_t id, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, id >>= 8)
		out[i] = (uint8_t)id;
}

uint64_t db_u64_from_key(const uint8_t key[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | key[i];
	return v;
}

void db_alarm_key(uint64_t member_id, int32_t alarm, uint8_t out[12])
{
	db_u64_key(member_id, out);
	out[8] = (uint8_t)((uint32_t)alarm >> 24);
	out[9] = (uint8_t)((uint32_t)alarm >> 16);
	out[10] = (uint8_t)((uint32_t)alarm >> 8);
	out[11] = (uint8_t)alarm;
}

/* --- size and maintenance ------------------------------------------------ */

static int64_t db_pragma_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t v = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	return v;
}

static const char db_page_count_sql[] = "PRAGMA page_count";
static const char db_page_size_sql[] = "PRAGMA page_size";
static const char db_freelist_sql[] = "PRAGMA freelist_count";

int64_t db_size_bytes(struct db *db)
{
	return db_pragma_int(db, db_page_count_sql) *
	       db_pragma_int(db, db_page_size_sql);
}

int64_t db_size_in_use_bytes(struct db *db)
{
	return (db_pragma_int(db, db_page_count_sql) -
		db_pragma_int(db, db_freelist_sql)) *
	       db_pragma_int(db, db_page_size_sql);
}

int db_checkpoint(struct db *db, bool passive)
{
	bool idle = db->idle_read;
	int rc;

	if (db->in_batch)
		return DB_ERR_STATE;
	/* Our own read txn would hold the WAL back from a full checkpoint. */
	db_idle_read_end(db);
	rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, passive ?
				       SQLITE_CHECKPOINT_PASSIVE :
				       SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (idle)
		db_idle_read_begin(db);

	return rc == SQLITE_OK ? DB_OK : DB_ERR_SQLITE;
}
