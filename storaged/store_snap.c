/*
 * store_snap.c - Raft snapshots, the db stream and snapshot installs of
 * cetcd-storaged.
 *
 * Runs on the IPC event loop, part of struct store (store.c).  Owns the
 * snapshot files (through snap.h), the temp files of streams in progress
 * (member/snap/db.stream.N.tmp, unlinked as soon as opened, and
 * member/snap/db.install.N.tmp) and their fds.  Never writes the key space.
 *
 * A snapshot is taken, as etcd's raftNode does, in this order:
 *
 *   1. checkpoint the SQLite WAL into the db file (synced): the applied
 *      state at the snapshot's index no longer depends on the Raft WAL;
 *   2. snap_save: member/snap/<term>-<index>.snap, durable;
 *   3. wal_save_snapshot: the marker (synced), which makes it "valid";
 *   4. wal_release_to + snapshot purge (--max-wals, --max-snapshots);
 *   5. the in-memory log keeps at most STORE_CATCH_UP_ENTRIES below it.
 *
 * A crash between any two steps leaves the previous valid snapshot in use.
 *
 * Streams (one struct store_stream each, owned by one IPC connection):
 *
 *   DB_STREAM:      id 0 --VACUUM INTO tmp, open, unlink--> OPEN
 *                   OPEN --chunk--> OPEN --last chunk / close--> freed
 *   INSTALL:        id 0 --create tmp--> RECEIVING --chunk--> RECEIVING
 *                   RECEIVING --done: fsync, check, swap db--> freed
 *   either          --connection closed--> freed (tmp unlinked)
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc.h"
#include "storaged/snap.h"
#include "storaged/store_int.h"
#include "storaged/wal.h"

/* DB_STREAM chunk when the client names none, and the most it may ask. */
#define STREAM_DEFAULT_CHUNK ((size_t)1 << 20)
#define STREAM_MAX_CHUNK ((size_t)16 << 20)

enum stream_kind { STREAM_DB_COPY, STREAM_INSTALL };

struct store_stream {
	struct store_stream *next;
	uint64_t id;
	const void *owner;
	enum stream_kind kind;
	int fd;
	uint64_t remaining;	/* DB_COPY: bytes not yet sent */
	char path[4200];	/* INSTALL: the temp file */
};

/* ---------------------------------------------------------------- conf state */

/* Kept in db's meta table beside the applied index; db.h has no blob
 * setter, so through its statement cache (db_stmt) on the same row
 * format. */
static const char sql_conf_get[] = "SELECT value FROM meta WHERE name = 'raft_conf_state'";
static const char sql_conf_set[] =
	"INSERT INTO meta(name, value) VALUES('raft_conf_state', ?1)"
	" ON CONFLICT(name) DO UPDATE SET value = excluded.value";

int store_conf_state_get(struct store *s, Raftpb__ConfState **out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_conf_get);
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		*out = raftpb__conf_state__unpack(NULL, n, p);
		rc = *out ? SQLITE_DONE : SQLITE_NOMEM;
	}
	db_stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_conf_state_set(struct store *s, const Raftpb__ConfState *cs)
{
	size_t n = protobuf_c_message_get_packed_size(&cs->base);
	uint8_t *buf = malloc(n ? n : 1);
	sqlite3_stmt *st;
	int rc = -1;

	if (!buf)
		return -1;
	protobuf_c_message_pack(&cs->base, buf);
	st = db_stmt(s->db, sql_conf_set);
	if (st) {
		sqlite3_bind_blob(st, 1, buf, (int)n, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		db_stmt_done(st);
	}
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- snapshots */

int store_snapshot_save(struct store *s, const Raftpb__Snapshot *snap, char *err, size_t errlen)
{
	struct snap_error se = { 0 };
	struct wal_error we = { 0 };
	uint64_t index = snap->metadata->index, term = snap->metadata->term;
	size_t n = protobuf_c_message_get_packed_size(&snap->base);
	uint8_t *buf = malloc(n ? n : 1);
	int rc = -1;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	protobuf_c_message_pack(&snap->base, buf);
	if (!s->wal || s->failed) {
		snprintf(err, errlen, "snapshot: no usable WAL");
		goto out;
	}
	/* The Raft WAL before index may go away: the applied state must be
	 * in the db file itself, not only in SQLite's WAL (synchronous=NORMAL
	 * does not sync commits). */
	if (store_db_checkpoint(s) != DB_OK) {
		snprintf(err, errlen, "snapshot: checkpoint of the db failed: %s", db_errmsg(s->db));
		goto out;
	}
	if (snap_save(s->snap, term, index, buf, n, &se) != SNAP_OK) {
		snprintf(err, errlen, "%s", se.msg);
		goto out;
	}
	if (wal_save_snapshot(s->wal, index, term, &we) != WAL_OK) {
		snprintf(err, errlen, "%s", we.msg);
		s->failed = true;
		goto out;
	}
	/* Everything saved so far went out with the marker's sync. */
	s->unsynced = false;
	s->snap_index = index;
	s->snap_term = term;
	if (wal_release_to(s->wal, index, &we) != WAL_OK)
		fprintf(stderr, "cetcd-storaged: releasing WAL segments: %s\n", we.msg);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* A snapshot at index (applied, in our log) with the stored configuration. */
static int snapshot_at(struct store *s, uint64_t index, uint64_t term, const Raftpb__ConfState *conf,
    const ProtobufCBinaryData *data, char *err, size_t errlen)
{
	Raftpb__Snapshot sn = RAFTPB__SNAPSHOT__INIT;
	Raftpb__SnapshotMetadata md = RAFTPB__SNAPSHOT_METADATA__INIT;
	Raftpb__ConfState empty = RAFTPB__CONF_STATE__INIT, *stored = NULL, *keep = NULL;
	int rc = -1;

	if (!conf) {
		if (store_conf_state_get(s, &stored)) {
			snprintf(err, errlen, "snapshot: cannot read the configuration: %s", db_errmsg(s->db));
			return -1;
		}
		conf = stored ? stored : s->snap_conf ? s->snap_conf : &empty;
	}
	md.index = index;
	md.term = term;
	md.conf_state = (Raftpb__ConfState *)conf;
	sn.metadata = &md;
	if (data && data->len) {
		sn.has_data = 1;
		sn.data = *data;
	}
	if (!(keep = store_msg_copy(&conf->base))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (store_snapshot_save(s, &sn, err, errlen))
		goto out;
	if (s->snap_conf)
		raftpb__conf_state__free_unpacked(s->snap_conf, NULL);
	s->snap_conf = keep;
	keep = NULL;
	/* Memory stays bounded: only the catch-up entries stay below. */
	uint64_t catch_up = s->opts.snapshot_count < STORE_CATCH_UP_ENTRIES
	    ? s->opts.snapshot_count : STORE_CATCH_UP_ENTRIES;
	if (index > catch_up)
		store_log_compact_to(s, index - catch_up);
	rc = 0;
out:
	if (keep)
		raftpb__conf_state__free_unpacked(keep, NULL);
	if (stored)
		raftpb__conf_state__free_unpacked(stored, NULL);
	return rc;
}

int store_maybe_snapshot(struct store *s, char *err, size_t errlen)
{
	struct db_applied ap = { 0 };

	if (!s->wal || s->failed)
		return 0;
	if (db_applied_get(s->db, &ap) != DB_OK) {
		snprintf(err, errlen, "%s", db_errmsg(s->db));
		return -1;
	}
	/* etcd's triggerSnapshot: appliedi - snapi > SnapshotCount. */
	if (ap.index <= s->snap_index || ap.index - s->snap_index <= s->opts.snapshot_count)
		return 0;
	/* Applied entries always come from our log; be safe if not. */
	if (ap.index > store_last_index(s))
		return 0;
	return snapshot_at(s, ap.index, ap.term, NULL, NULL, err, errlen);
}

int store_create_snapshot(struct store *s, const Cetcd__Storage__CreateSnapshotRequest *req,
    Cetcd__Storage__CreateSnapshotResponse *out, char *err, size_t errlen)
{
	struct db_applied ap = { 0 };
	uint64_t term;

	if (db_applied_get(s->db, &ap) != DB_OK) {
		snprintf(err, errlen, "%s", db_errmsg(s->db));
		return -1;
	}
	if (req->index <= s->snap_index) {
		/* raft's ErrSnapOutOfDate. */
		out->error = store_error_new(CETCD_E_INTERNAL, "requested index is older than the existing snapshot");
		return out->error ? 0 : -1;
	}
	if (req->index > ap.index) {
		out->error = store_error_new(CETCD_E_INTERNAL, "snapshot index is beyond the applied index");
		return out->error ? 0 : -1;
	}
	if (req->index == ap.index)
		term = ap.term;
	else if (req->index > s->log_index && req->index <= store_last_index(s))
		term = s->ents[req->index - s->log_index - 1]->term;
	else if (req->index == s->log_index)
		term = s->log_term;
	else {
		out->error = store_error_new(CETCD_E_INTERNAL, "requested index is unavailable due to compaction");
		return out->error ? 0 : -1;
	}
	if (snapshot_at(s, req->index, term, req->conf_state, &req->data, err, errlen))
		return -1;
	out->metadata = NEW(Raftpb__SnapshotMetadata, raftpb__snapshot_metadata__init);
	if (!out->metadata || !(out->metadata->conf_state = store_msg_copy(&s->snap_conf->base))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->metadata->index = s->snap_index;
	out->metadata->term = s->snap_term;
	return 0;
}

/* ---------------------------------------------------------------- streams */

static struct store_stream *stream_find(struct store *s, const void *owner, uint64_t id,
    enum stream_kind kind)
{
	for (struct store_stream *t = s->streams; t; t = t->next)
		if (t->id == id && t->owner == owner && t->kind == kind)
			return t;
	return NULL;
}

static void stream_free(struct store *s, struct store_stream *t)
{
	for (struct store_stream **pp = &s->streams; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	if (t->fd >= 0)
		close(t->fd);
	if (t->kind == STREAM_INSTALL && t->path[0])
		unlink(t->path);
	free(t);
}

void store_drop_streams(struct store *s, const void *owner)
{
	struct store_stream *t = s->streams, *next;

	for (; t; t = next) {
		next = t->next;
		if (!owner || t->owner == owner)
			stream_free(s, t);
	}
}

static struct store_stream *stream_new(struct store *s, const void *owner, enum stream_kind kind)
{
	struct store_stream *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = s->next_stream_id++;
	t->owner = owner;
	t->kind = kind;
	t->fd = -1;
	t->next = s->streams;
	s->streams = t;
	return t;
}

/* Temp files of streams a crash interrupted. */
void store_remove_stream_leftovers(struct store *s)
{
	DIR *d = opendir(s->dd->snap);
	struct dirent *de;
	char path[4400];

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if ((strncmp(de->d_name, "db.stream.", 10) == 0 || strncmp(de->d_name, "db.install.", 11) == 0) &&
		    n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0) {
			snprintf(path, sizeof(path), "%s/%s", s->dd->snap, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* A consistent copy of the db as of now: VACUUM INTO writes a compact,
 * self-contained db file (no SQLite WAL beside it). */
static int db_copy_open(struct store *s, struct store_stream *t, char *err, size_t errlen)
{
	char path[4200];
	struct stat sb;
	int rc;

	snprintf(path, sizeof(path), "%s/db.stream.%llu.tmp", s->dd->snap, (unsigned long long)t->id);
	unlink(path);
	/* Through db_exec: VACUUM needs the connection outside any
	 * transaction, and db.c keeps an idle read one open otherwise. */
	char *sql = sqlite3_mprintf("VACUUM INTO %Q", path);
	rc = sql ? db_exec(s->db, sql) : DB_ERR_NOMEM;
	sqlite3_free(sql);
	if (rc != DB_OK) {
		snprintf(err, errlen, "db stream: copy failed: %s", sqlite3_errmsg(db_sqlite(s->db)));
		unlink(path);
		return -1;
	}
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	/* Nothing to clean up after a crash from here on. */
	unlink(path);
	if (t->fd < 0 || fstat(t->fd, &sb) != 0) {
		snprintf(err, errlen, "db stream: %s: %s", path, strerror(errno));
		return -1;
	}
	t->remaining = (uint64_t)sb.st_size;
	return 0;
}

int store_db_stream(struct store *s, const void *owner, const Cetcd__Storage__DbStreamRequest *req,
    Cetcd__Storage__DbStreamResponse *out, char *err, size_t errlen)
{
	struct store_stream *t;
	size_t want = req->max_chunk ? req->max_chunk : STREAM_DEFAULT_CHUNK;

	if (want > STREAM_MAX_CHUNK)
		want = STREAM_MAX_CHUNK;
	if (req->stream_id == 0) {
		struct db_applied ap = { 0 };
		if (req->close)
			return 0;
		if (db_applied_get(s->db, &ap) != DB_OK) {
			snprintf(err, errlen, "%s", db_errmsg(s->db));
			return -1;
		}
		if (!(t = stream_new(s, owner, STREAM_DB_COPY))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (db_copy_open(s, t, err, errlen)) {
			stream_free(s, t);
			return -1;
		}
		out->revision = mvcc_current_revision(s->mvcc);
		out->applied_index = ap.index;
	} else if (!(t = stream_find(s, owner, req->stream_id, STREAM_DB_COPY))) {
		out->error = store_error_new(CETCD_E_INTERNAL, "db stream: no such stream");
		return out->error ? 0 : -1;
	}
	out->stream_id = t->id;
	if (req->close) {
		stream_free(s, t);
		out->done = 1;
		return 0;
	}
	if (want > t->remaining)
		want = (size_t)t->remaining;
	if (want) {
		out->chunk.data = malloc(want);
		if (!out->chunk.data) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		size_t got = 0;
		while (got < want) {
			ssize_t r = read(t->fd, out->chunk.data + got, want - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				snprintf(err, errlen, "db stream: read: %s", r ? strerror(errno) : "file shrank");
				stream_free(s, t);
				return -1;
			}
			got += (size_t)r;
		}
		out->chunk.len = got;
	}
	t->remaining -= want;
	out->remaining_bytes = t->remaining;
	if (t->remaining == 0) {
		out->done = 1;
		stream_free(s, t);
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The received file must be a db of ours before it replaces the store. */
static int install_check(const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master WHERE name IN ('meta', 'rev', 'cur')",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_column_int(st, 0) == 3;
	if (!ok)
		snprintf(err, errlen, "install snapshot: the received file is not a cetcd-storaged db (%s)",
		    h ? sqlite3_errmsg(h) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(h);
	return ok ? 0 : -1;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Replaces the db file with path and reopens the store on it. */
static int install_swap(struct store *s, const char *path, char *err, size_t errlen)
{
	char side[4300];

	mvcc_store_close(s->mvcc);
	s->mvcc = NULL;
	store_db_close(s);
	/* The old db's SQLite WAL must not be replayed onto the new file. */
	snprintf(side, sizeof(side), "%s-wal", s->dd->db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", s->dd->db);
	unlink(side);
	if (rename(path, s->dd->db) != 0) {
		snprintf(err, errlen, "install snapshot: rename to %s: %s", s->dd->db, strerror(errno));
		goto reopen;
	}
	fsync_dir(s->dd->snap);
reopen:
	if (store_db_open(s, err, errlen) ||
	    mvcc_store_open(s->db, &s->mvcc) != MVCC_OK) {
		/* No store to serve from: only a restart can help. */
		s->failed = true;
		if (!*err)
			snprintf(err, errlen, "install snapshot: cannot reopen the store");
		return -1;
	}
	store_applier_reset(s);
	/* A defragment or compaction in hand goes on with the new db. */
	store_after_commit(s);
	return *err ? -1 : 0;
}

int store_install_snapshot(struct store *s, const void *owner,
    const Cetcd__Storage__InstallSnapshotRequest *req,
    Cetcd__Storage__InstallSnapshotResponse *out, char *err, size_t errlen)
{
	struct store_stream *t;

	if (req->stream_id == 0) {
		if (!(t = stream_new(s, owner, STREAM_INSTALL))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(t->path, sizeof(t->path), "%s/db.install.%llu.tmp", s->dd->snap,
		    (unsigned long long)t->id);
		t->fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (t->fd < 0) {
			snprintf(err, errlen, "install snapshot: %s: %s", t->path, strerror(errno));
			t->path[0] = 0;
			stream_free(s, t);
			return -1;
		}
	} else if (!(t = stream_find(s, owner, req->stream_id, STREAM_INSTALL))) {
		out->error = store_error_new(CETCD_E_INTERNAL, "install snapshot: no such stream");
		return out->error ? 0 : -1;
	}
	out->stream_id = t->id;
	if (req->chunk.len && write_all(t->fd, req->chunk.data, req->chunk.len)) {
		snprintf(err, errlen, "install snapshot: %s: %s", t->path, strerror(errno));
		stream_free(s, t);
		return -1;
	}
	if (!req->done)
		return 0;
	if (fsync(t->fd) != 0) {
		snprintf(err, errlen, "install snapshot: fsync %s: %s", t->path, strerror(errno));
		stream_free(s, t);
		return -1;
	}
	close(t->fd);
	t->fd = -1;
	err[0] = 0;
	if (install_check(t->path, err, errlen) || install_swap(s, t->path, err, errlen)) {
		stream_free(s, t);
		return -1;
	}
	t->path[0] = 0;		/* renamed into place */
	stream_free(s, t);

	struct db_applied ap = { 0 };
	if (db_applied_get(s->db, &ap) != DB_OK) {
		snprintf(err, errlen, "%s", db_errmsg(s->db));
		return -1;
	}
	out->applied_index = ap.index;
	out->revision = mvcc_current_revision(s->mvcc);
	return 0;
}
