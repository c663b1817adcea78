/*
 * db_defrag.c: defragment, i.e. give the db's free pages back to the
 * filesystem (etcd's Maintenance.Defragment), in steps short enough that
 * an Apply batch never waits long for one.
 *
 * Owns: nothing beyond the writer's connection for the length of a call.
 * Never: loses or reorders a write; runs while a batch of someone else's
 * is half done (a step inside the caller's batch becomes part of it).
 * Runs in: cetcd-storaged, on the writer's thread.
 *
 * Why not VACUUM, or VACUUM INTO + rename.  etcd rewrites the whole bbolt
 * file and blocks every read and write while it does (etcd issue 9222).
 * SQLite's VACUUM holds the write lock for a full rewrite of the db, then
 * the whole db again through the WAL: writes wait for all of it.  VACUUM
 * INTO a temp file and an atomic rename (fsync the new file, rename, fsync
 * the directory) writes the db only once, but writes must still wait for
 * the whole copy (a write after the copy began would be lost), and every
 * connection (the writer, readers, the checkpoint worker) must then reopen
 * the new file, or go on reading the unlinked old one.
 * Instead new dbs are created with auto_vacuum = INCREMENTAL: SQLite keeps
 * pointer-map pages, so "PRAGMA incremental_vacuum(N)" can move the last N
 * pages of the file into free slots and cut the file.  Each step is one
 * short write transaction; writes run between steps; readers never wait;
 * the file shrinks at the next checkpoint that catches up (SQLite cuts the
 * db file to its new page count there).  The cost: the pointer maps are
 * kept up to date on every commit, and pages are not put back in b-tree
 * order (which VACUUM would do; with an SSD and a page cache that matters
 * little next to never stopping writes).
 * A db made before auto_vacuum was set is converted by one VACUUM, the
 * first time it is defragmented: that once, writes wait for all of it.
 */
#include "storaged/db.h"

#include <stdio.h>

#include <sqlite3.h>

static const char db_auto_vacuum_sql[] = "PRAGMA auto_vacuum";
static const char db_freelist_count_sql[] = "PRAGMA freelist_count";

static int64_t db_int_pragma(struct db *db, const char *sql)
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

int64_t db_free_pages(struct db *db)
{
	return db_int_pragma(db, db_freelist_count_sql);
}

bool db_defrag_incremental(struct db *db)
{
	return db_int_pragma(db, db_auto_vacuum_sql) == 2;	/* INCREMENTAL */
}

int db_defragment_step(struct db *db, int64_t max_pages, bool *done)
{
	char sql[64];
	bool own = false;
	int rc;

	if (done)
		*done = false;
	if (db_read_only(db) || max_pages <= 0)
		return DB_ERR_STATE;
	if (!db_defrag_incremental(db))
		return DB_ERR_STATE;	/* needs db_defragment() once */
	if (!db_in_batch(db)) {
		rc = db_batch_begin(db);
		if (rc != DB_OK)
			return rc;
		own = true;
	}
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)",
		 (long long)max_pages);
	rc = db_exec(db, sql);
	if (!own)
		goto out;
	if (rc == DB_OK)
		rc = db_batch_commit(db);
	else
		db_batch_rollback(db);
out:
	if (rc == DB_OK && done)
		*done = db_free_pages(db) == 0;
	return rc;
}

int db_defragment(struct db *db)
{
	bool done = false;
	int rc;

	if (db_read_only(db) || db_in_batch(db))
		return DB_ERR_STATE;
	if (!db_defrag_incremental(db)) {
		/* Once: the setting takes effect through a full rewrite. */
		rc = db_exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
		if (rc == DB_OK)
			rc = db_exec(db, "VACUUM");
		if (rc != DB_OK)
			return rc;
		done = db_free_pages(db) == 0;
	}
	rc = DB_OK;
	while (rc == DB_OK && !done)
		rc = db_defragment_step(db, DB_DEFRAG_STEP_PAGES, &done);
	/* The file is cut when a checkpoint has copied everything back. */
	if (rc == DB_OK)
		rc = db_checkpoint(db, false);
	return rc;
}
