/*
 * db_checkpoint.c: the checkpoint worker of cetcd-storaged (API in db.h).
 *
 * Owns: one thread, one SQLite connection of its own (never the writer's),
 * an eventfd, and two FIFOs of requests (queued, finished) under a mutex.
 * Never: runs a caller's callback (only db_ckpt_dispatch/stop do, on the
 * caller's thread), holds a read transaction between requests (it would
 * keep SQLite from rewinding the WAL), or writes anything but checkpoints.
 * Runs in: cetcd-storaged; the worker thread plus calls from one owner
 * thread.
 *
 *   queued --(worker runs it)--> finished --(dispatch: callback)--> freed
 *      \----------------------(stop: DB_ERR_CANCELED)------------/
 */
#include "storaged/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define DB_CKPT_DEFAULT_LIMIT (64ll << 20)

struct db_ckpt_req {
	struct db_ckpt_req *next;
	db_ckpt_done_fn fn;
	void *arg;
	struct db_ckpt_result res;
};

struct db_ckpt_fifo {
	struct db_ckpt_req *head, *tail;
};

struct db_ckpt {
	struct db *writer;	/* only for its gate (db_ckpt_gate) */
	char *path;		/* the db file; the WAL is path + "-wal" */
	int64_t wal_limit;
	sqlite3 *conn;		/* the worker's own */
	int efd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db_ckpt_fifo queued;	/* under mu */
	struct db_ckpt_fifo finished;	/* under mu */
	int outstanding;		/* owner thread only */
	bool stopping;			/* under mu */
	bool started;
	/* A TRUNCATE in progress wants the writer out of the way: the
	 * writer's db_batch_begin() waits on gate_cv while it is set. */
	bool want_writer;		/* under mu */
	pthread_cond_t gate_cv;
};

/*
 * How long the worker keeps trying for the locks a TRUNCATE needs, and
 * the writer's longest wait at its gate (a safety net: the worker lowers
 * the gate when it returns).  Short, because while a TRUNCATE holds the
 * write lock the writer waits whatever we do, and a reader of an old
 * snapshot (a snapshot being streamed) can hold a TRUNCATE up for as long
 * as it reads: better to give up (DB_ERR_BUSY) and let the next AUTO try.
 */
#define DB_CKPT_BUSY_MS 250
#define DB_CKPT_GATE_MS 500

static void fifo_push(struct db_ckpt_fifo *f, struct db_ckpt_req *r)
{
	r->next = NULL;
	if (f->tail)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
}

static struct db_ckpt_req *fifo_pop(struct db_ckpt_fifo *f)
{
	struct db_ckpt_req *r = f->head;

	if (r) {
		f->head = r->next;
		if (!f->head)
			f->tail = NULL;
	}
	return r;
}

int64_t db_wal_bytes(const char *db_path)
{
	char p[4096];
	struct stat sb;

	if (snprintf(p, sizeof(p), "%s-wal", db_path) >= (int)sizeof(p))
		return 0;
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static int ckpt_run(struct db_ckpt *c, int mode, struct db_ckpt_result *res)
{
	int log = -1, done = -1;
	/* "main", not NULL: with NULL the counts come from the last schema
	 * checkpointed, temp, which has no WAL (-1). */
	int rc = sqlite3_wal_checkpoint_v2(c->conn, "main", mode, &log, &done);

	res->wal_frames = log;
	res->copied_frames = done;
	if (rc == SQLITE_OK)
		return DB_OK;
	/* BUSY: the writer or a reader held on past the busy timeout; what
	 * could be copied was. */
	return (rc & 0xff) == SQLITE_BUSY ? DB_ERR_BUSY : DB_ERR_SQLITE;
}

/*
 * A continuously busy writer starves a TRUNCATE of the write lock: it
 * holds the lock but for microseconds between batches, while SQLite's
 * busy handler sleeps for milliseconds.  So the worker raises the gate,
 * the writer's next db_batch_begin() waits there (having ended its read
 * txn), and the worker gets in at its next short retry.
 */
static int ckpt_truncate(struct db_ckpt *c, struct db_ckpt_result *res)
{
	int rc;

	pthread_mutex_lock(&c->mu);
	c->want_writer = true;
	pthread_mutex_unlock(&c->mu);
	rc = ckpt_run(c, SQLITE_CHECKPOINT_TRUNCATE, res);
	pthread_mutex_lock(&c->mu);
	c->want_writer = false;
	pthread_cond_broadcast(&c->gate_cv);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void db_ckpt_gate(struct db_ckpt *c)
{
	struct timespec until;

	pthread_mutex_lock(&c->mu);
	if (c->want_writer) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += DB_CKPT_GATE_MS / 1000;
		until.tv_nsec += (DB_CKPT_GATE_MS % 1000) * 1000000l;
		if (until.tv_nsec >= 1000000000l) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000l;
		}
		while (c->want_writer &&
		       pthread_cond_timedwait(&c->gate_cv, &c->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->mu);
}

/* Short sleeps: the writer's gaps between batches are short too. */
static int ckpt_busy(void *arg, int n)
{
	(void)arg;
	if (n * 200 >= DB_CKPT_BUSY_MS * 1000)
		return 0;
	usleep(200);
	return 1;
}

static void ckpt_one(struct db_ckpt *c, struct db_ckpt_result *res)
{
	switch (res->mode) {
	case DB_CKPT_PASSIVE:
		res->rc = ckpt_run(c, SQLITE_CHECKPOINT_PASSIVE, res);
		break;
	case DB_CKPT_TRUNCATE:
		res->rc = ckpt_truncate(c, res);
		break;
	case DB_CKPT_AUTO:
		res->rc = ckpt_run(c, SQLITE_CHECKPOINT_PASSIVE, res);
		if (res->rc == DB_OK && db_wal_bytes(c->path) > c->wal_limit) {
			res->truncated = true;
			res->rc = ckpt_truncate(c, res);
		}
		break;
	}
	res->wal_bytes = db_wal_bytes(c->path);
}

static void *ckpt_main(void *arg)
{
	struct db_ckpt *c = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct db_ckpt_req *r;
		while (!c->stopping && !c->queued.head)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stopping)
			break;
		r = fifo_pop(&c->queued);
		pthread_mutex_unlock(&c->mu);
		ckpt_one(c, &r->res);
		pthread_mutex_lock(&c->mu);
		fifo_push(&c->finished, r);
		/* Cannot fail short of a bad fd: the counter only saturates
		 * after 2^64 - 2 posts. */
		if (write(c->efd, &one, sizeof(one)) < 0)
			(void)0;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int ckpt_is_wal(sqlite3 *conn)
{
	sqlite3_stmt *st = NULL;
	int rc = DB_ERR_SQLITE;

	if (sqlite3_prepare_v2(conn, "PRAGMA main.journal_mode", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(st, 0),
			    "wal") == 0)
		rc = DB_OK;
	sqlite3_finalize(st);
	return rc;
}

static void ckpt_free(struct db_ckpt *c)
{
	if (c->conn)
		sqlite3_close(c->conn);
	if (c->efd >= 0)
		close(c->efd);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->gate_cv);
	free(c->path);
	free(c);
}

int db_ckpt_start(struct db *writer, int64_t wal_limit_bytes,
		  struct db_ckpt **out, char *err, size_t err_len)
{
	struct db_ckpt *c = calloc(1, sizeof(*c));
	const char *db_path = db_path_of(writer);
	int rc = DB_ERR_NOMEM;

	*out = NULL;
	if (!c)
		goto err_msg;
	c->efd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->gate_cv, NULL);
	if (db_read_only(writer) || db_ckpt_of(writer)) {
		rc = DB_ERR_STATE;
		if (err && err_len)
			snprintf(err, err_len, "checkpoint worker: not a writer,"
				 " or it has one already");
		goto err_free;
	}
	c->wal_limit = wal_limit_bytes > 0 ? wal_limit_bytes :
		DB_CKPT_DEFAULT_LIMIT;
	c->path = strdup(db_path);
	if (!c->path)
		goto err_free;
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->efd < 0) {
		rc = DB_ERR_IO;
		if (err && err_len)
			snprintf(err, err_len, "eventfd: %s", strerror(errno));
		goto err_free;
	}
	/* A plain connection: no schema work, no read txn kept open, no
	 * checkpoints of its own but those asked for.  SQLite opens the file
	 * lazily: until something reads it, a checkpoint is a silent no-op,
	 * so ask for the journal mode (which also checks it is WAL). */
	if (sqlite3_open_v2(db_path, &c->conn, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->conn, "PRAGMA wal_autocheckpoint = 0", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    ckpt_is_wal(c->conn) != DB_OK) {
		rc = DB_ERR_SQLITE;
		if (err && err_len)
			snprintf(err, err_len, "%s: %s", db_path, c->conn ?
				 sqlite3_errmsg(c->conn) : "cannot open");
		goto err_free;
	}
	/* TRUNCATE waits this long for readers of old snapshots and for the
	 * writer's lock. */
	sqlite3_busy_handler(c->conn, ckpt_busy, NULL);
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		rc = DB_ERR_NOMEM;
		goto err_free;
	}
	c->started = true;
	c->writer = writer;
	db_ckpt_attach(writer, c);
	*out = c;
	return DB_OK;
err_free:
	ckpt_free(c);
err_msg:
	if (rc == DB_ERR_NOMEM && err && err_len)
		snprintf(err, err_len, "checkpoint worker: out of memory");
	return rc;
}

int db_ckpt_fd(const struct db_ckpt *c) { return c->efd; }
int db_ckpt_outstanding(const struct db_ckpt *c) { return c->outstanding; }

int db_ckpt_request(struct db_ckpt *c, enum db_ckpt_mode mode,
		    db_ckpt_done_fn fn, void *arg)
{
	struct db_ckpt_req *r = calloc(1, sizeof(*r));
	int rc = DB_OK;

	if (!r)
		return DB_ERR_NOMEM;
	r->fn = fn;
	r->arg = arg;
	r->res.mode = mode;
	r->res.wal_frames = r->res.copied_frames = -1;
	pthread_mutex_lock(&c->mu);
	if (c->stopping) {
		rc = DB_ERR_STATE;
	} else {
		fifo_push(&c->queued, r);
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	if (rc != DB_OK) {
		free(r);
		return rc;
	}
	c->outstanding++;
	return DB_OK;
}

/* Runs and frees a list of requests, oldest first. */
static int ckpt_deliver(struct db_ckpt *c, struct db_ckpt_req *r)
{
	int n = 0;

	while (r) {
		struct db_ckpt_req *next = r->next;
		c->outstanding--;
		if (r->fn)
			r->fn(r->arg, &r->res);
		free(r);
		r = next;
		n++;
	}
	return n;
}

int db_ckpt_dispatch(struct db_ckpt *c)
{
	struct db_ckpt_req *done;
	uint64_t v;

	/* Drain first: a completion posted after the swap below leaves the
	 * fd readable for the next round. */
	if (read(c->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&c->mu);
	done = c->finished.head;
	c->finished.head = c->finished.tail = NULL;
	pthread_mutex_unlock(&c->mu);
	return ckpt_deliver(c, done);
}

void db_ckpt_stop(struct db_ckpt *c)
{
	struct db_ckpt_req *r, *done;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->started)
		pthread_join(c->thread, NULL);
	if (c->writer)
		db_ckpt_attach(c->writer, NULL);
	/* The worker is gone: no lock needed from here. */
	done = c->finished.head;
	c->finished.head = c->finished.tail = NULL;
	ckpt_deliver(c, done);
	for (r = c->queued.head; r; r = r->next)
		r->res.rc = DB_ERR_CANCELED;
	done = c->queued.head;
	c->queued.head = c->queued.tail = NULL;
	ckpt_deliver(c, done);
	ckpt_free(c);
}
