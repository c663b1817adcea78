/*
 * store_read.c - the read and maintenance operations of the storage
 * protocol: READ_TXN, EVENTS_SINCE, LEASES, AUTH_STATE, HASH, HASH_KV,
 * COMPACT and DEFRAGMENT, and the db upkeep that runs off the write path.
 *
 * Runs on the IPC event loop, part of struct store (store.c).  Owns the
 * checkpoint worker of the writer db (s->ckpt), the loop's events that
 * serve it and the maintenance steps, and the deferred COMPACT and
 * DEFRAGMENT answers (s->waiters).  Never writes applied state: a
 * compaction step deletes rows no read can see any more, a defragment step
 * moves pages.  Never runs a step inside an APPLY batch.
 *
 * Design notes (STYLE.md 10: checkpoint and defragment off the loop's
 * write path):
 *  1. The writer commits with wal_autocheckpoint off; after each APPLY
 *     commit one DB_CKPT_AUTO is asked of the worker unless one is still
 *     outstanding, so the -wal file stays bounded without any commit
 *     paying for a checkpoint.
 *  2. An applied CompactionRequest only records the compaction point
 *     (mvcc_compact_begin); its rows are deleted by steps of
 *     STORE_COMPACT_STEP rows, each its own short batch, run from a
 *     zero-delay timer: the loop polls its sockets between two steps, so
 *     APPLY requests interleave with them.
 *  3. DEFRAGMENT steps (db_defragment_step) run the same way once no
 *     compaction is pending, then a passive checkpoint of the worker cuts
 *     the file (SQLite truncates the db file to its page count whenever a
 *     checkpoint has copied the whole WAL back); the request is answered
 *     from that checkpoint's completion.  Not a TRUNCATE: the writer keeps
 *     a read transaction open between batches (db.c), so a TRUNCATE would
 *     wait for the next batch, or give up.
 *
 *   defrag: IDLE --DEFRAGMENT--> STEPPING --no free page (or step budget
 *           spent)--> CUTTING --checkpoint done: answer--> IDLE
 *           (waiters that came during CUTTING start STEPPING again)
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "proto/auth.pb-c.h"
#include "storaged/apply_int.h"
#include "storaged/db.h"
#include "storaged/mvcc.h"
#include "storaged/store_int.h"

/* EVENTS_SINCE and LEASES caps when the request names none. */
#define EVENTS_DEFAULT_LIMIT 10000
#define LEASES_DEFAULT_LIMIT 10000

static Cetcd__Storage__Error *mvcc_error(int rc)
{
	enum cetcd_err e = apply_err_from_mvcc(rc);
	return store_error_new(e, cetcd_err_message(e));
}

int store_read_txn(struct store *s, const Cetcd__Storage__ReadTxnRequest *req,
    Cetcd__Storage__ReadTxnResponse *out, char *err, size_t errlen)
{
	Cetcd__Storage__EntryResult r = CETCD__STORAGE__ENTRY_RESULT__INIT;

	if (!req->request) {
		snprintf(err, errlen, "read txn: no request");
		return -1;
	}
	if (apply_read_txn(&s->applier, req->request, &r) != 0) {
		apply_result_clear(&r);
		snprintf(err, errlen, "read txn: the store failed");
		return -1;
	}
	out->error = r.error;
	out->response = r.response_case == CETCD__STORAGE__ENTRY_RESULT__RESPONSE_TXN ? r.txn : NULL;
	r.error = NULL;
	r.txn = NULL;
	r.response_case = 0;
	apply_result_clear(&r);
	return 0;
}

int store_events_since(struct store *s, const Cetcd__Storage__EventsSinceRequest *req,
    Cetcd__Storage__EventsSinceResponse *out, char *err, size_t errlen)
{
	struct mvcc_event_list l = { 0 };
	int rc;

	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);
	rc = mvcc_events_since(s->mvcc, req->key.data, req->key.len, req->range_end.data,
	    req->range_end.len, req->start_revision, req->limit ? req->limit : EVENTS_DEFAULT_LIMIT,
	    req->prev_kv, &l);
	if (rc != MVCC_OK) {
		if (apply_store_failed(rc)) {
			snprintf(err, errlen, "events since: %s", mvcc_strerror(rc));
			return -1;
		}
		out->error = mvcc_error(rc);
		return out->error ? 0 : -1;
	}
	out->next_revision = l.next_rev;
	if (l.n && !(out->events = calloc(l.n, sizeof(*out->events))))
		goto nomem;
	for (size_t i = 0; i < l.n; i++) {
		if (!(out->events[i] = apply_event_to_pb(&l.events[i])))
			goto nomem;
		out->n_events = i + 1;
	}
	mvcc_event_list_free(&l);
	return 0;
nomem:
	mvcc_event_list_free(&l);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int lease_keys(struct store *s, int64_t id, Cetcd__Storage__LeaseInfo *li)
{
	struct mvcc_range_result rr = { 0 };
	int rc = mvcc_lease_keys(s->mvcc, id, &rr);

	if (rc != MVCC_OK)
		return -1;
	if (rr.n_kvs && !(li->keys = calloc(rr.n_kvs, sizeof(*li->keys))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < rr.n_kvs; i++) {
		if (apply_bytes_dup(&li->keys[i], rr.kvs[i].key, rr.kvs[i].key_len))
			rc = -1;
		else
			li->n_keys = i + 1;
	}
	mvcc_range_result_free(&rr);
	return rc;
}

int store_leases(struct store *s, const Cetcd__Storage__LeasesRequest *req,
    Cetcd__Storage__LeasesResponse *out, char *err, size_t errlen)
{
	struct mvcc_lease *v = NULL;
	size_t n = 0, first = 0, limit = req->limit ? req->limit : LEASES_DEFAULT_LIMIT;
	int rc = mvcc_lease_list(s->mvcc, &v, &n);

	if (rc != MVCC_OK) {
		snprintf(err, errlen, "leases: %s", mvcc_strerror(rc));
		return -1;
	}
	while (first < n && v[first].id <= req->after_id)
		first++;
	size_t take = n - first < limit ? n - first : limit;
	out->more = first + take < n;
	if (take && !(out->leases = calloc(take, sizeof(*out->leases))))
		goto nomem;
	for (size_t i = 0; i < take; i++) {
		const struct mvcc_lease *l = &v[first + i];
		Cetcd__Storage__LeaseInfo *li = NEW(Cetcd__Storage__LeaseInfo, cetcd__storage__lease_info__init);
		if (!li)
			goto nomem;
		out->leases[i] = li;
		out->n_leases = i + 1;
		li->id = l->id;
		li->ttl = l->ttl;
		li->remaining_ttl = l->remaining_ttl;
		if (req->keys && lease_keys(s, l->id, li))
			goto nomem;
	}
	free(v);
	return 0;
nomem:
	free(v);
	snprintf(err, errlen, "leases: out of memory or store failure");
	return -1;
}

struct pb_list {
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage **v;
	size_t n, cap;
	int oom;
};

static int pb_collect(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct pb_list *l = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(l->d, NULL, val_len, val);

	if (!m)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v) {
			protobuf_c_message_free_unpacked(m, NULL);
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	return 0;
}

static int table_messages(struct store *s, enum db_table t, const ProtobufCMessageDescriptor *d,
    void *out_v, size_t *out_n)
{
	struct pb_list l = { .d = d };
	int rc = db_table_each(s->db, t, pb_collect, &l);

	*(ProtobufCMessage ***)out_v = l.v;
	*out_n = l.n;
	return rc != 0 || l.oom ? -1 : 0;
}

int store_auth_state(struct store *s, Cetcd__Storage__AuthStateResponse *out,
    char *err, size_t errlen)
{
	bool on = false;

	if (db_auth_enabled_get(s->db, &on) != DB_OK || db_auth_revision_get(s->db, &out->revision) != DB_OK ||
	    table_messages(s, DB_T_AUTH_USERS, &authpb__user__descriptor, &out->users, &out->n_users) ||
	    table_messages(s, DB_T_AUTH_ROLES, &authpb__role__descriptor, &out->roles, &out->n_roles)) {
		snprintf(err, errlen, "auth state: %s", db_errmsg(s->db));
		return -1;
	}
	out->enabled = on;
	return 0;
}

int store_hash(struct store *s, Cetcd__Storage__HashResponse *out, char *err, size_t errlen)
{
	int rc = mvcc_hash(s->mvcc, &out->hash, &out->revision);

	if (rc != MVCC_OK) {
		snprintf(err, errlen, "hash: %s", mvcc_strerror(rc));
		return -1;
	}
	return 0;
}

int store_hash_kv(struct store *s, const Cetcd__Storage__HashKVRequest *req,
    Cetcd__Storage__HashKVResponse *out, char *err, size_t errlen)
{
	struct mvcc_hash_kv h = { 0 };
	int rc = mvcc_hash_kv(s->mvcc, req->revision, &h);

	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);
	if (rc != MVCC_OK) {
		if (apply_store_failed(rc)) {
			snprintf(err, errlen, "hash kv: %s", mvcc_strerror(rc));
			return -1;
		}
		out->error = mvcc_error(rc);
		return out->error ? 0 : -1;
	}
	out->hash = h.hash;
	out->revision = h.revision;
	out->compact_revision = h.compact_revision;
	return 0;
}

/* ---- Maintenance: checkpoints, compaction and defragment steps ---- */

/* Rows deleted per compaction step: etcd's default batch of compaction
 * deletes (mvcc/kvstore.go defaultCompactBatchLimit, 1000). */
#define STORE_COMPACT_STEP 1000

enum store_wait_kind { STORE_WAIT_COMPACT, STORE_WAIT_DEFRAG };
enum { DEFRAG_IDLE, DEFRAG_STEPPING, DEFRAG_CUTTING };

struct store_waiter {
	struct store_waiter *next;
	enum store_wait_kind kind;
	const void *owner;
	void *token;
	int64_t size_before;	/* DEFRAGMENT: the db when it was asked */
	bool cutting;		/* DEFRAGMENT: answered by the cut in flight */
};

static void ckpt_auto_done(void *arg, const struct db_ckpt_result *r)
{
	struct store *s = arg;

	s->ckpt_auto_busy = false;
	/* BUSY: a reader held a snapshot; the next AUTO tries again. */
	if (r->rc != DB_OK && r->rc != DB_ERR_BUSY && r->rc != DB_ERR_CANCELED)
		fprintf(stderr, "cetcd-storaged: checkpoint of the db failed (%d); the next one retries\n",
		    r->rc);
}

static void on_ckpt_fd(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)what;
	if (s->ckpt)
		db_ckpt_dispatch(s->ckpt);
}

static int ckpt_watch(struct store *s)
{
	if (!s->base || !s->ckpt)
		return 0;
	s->ckpt_ev = event_new(s->base, db_ckpt_fd(s->ckpt), EV_READ | EV_PERSIST, on_ckpt_fd, s);
	return s->ckpt_ev && event_add(s->ckpt_ev, NULL) == 0 ? 0 : -1;
}

static void ckpt_unwatch(struct store *s)
{
	if (s->ckpt_ev)
		event_free(s->ckpt_ev);
	s->ckpt_ev = NULL;
}

int store_ckpt_start(struct store *s, char *err, size_t errlen)
{
	if (db_ckpt_start(s->db, s->opts.wal_limit_bytes, &s->ckpt, err, errlen) != DB_OK) {
		s->ckpt = NULL;
		return -1;
	}
	if (ckpt_watch(s)) {
		snprintf(err, errlen, "cannot watch the checkpoint worker");
		return -1;
	}
	return 0;
}

void store_ckpt_stop(struct store *s)
{
	struct db_ckpt *c = s->ckpt;

	ckpt_unwatch(s);
	/* Callbacks run from the stop (cancelled ones too): s->ckpt is
	 * still set for them, and must not be asked for more. */
	if (c)
		db_ckpt_stop(c);
	s->ckpt = NULL;
	s->ckpt_auto_busy = false;
}

/* Waits for the worker to finish what it was asked: the writer's own
 * db_checkpoint() fails at once with SQLITE_BUSY while another connection
 * checkpoints (sqlite3_wal_checkpoint_v2 does not call the busy handler
 * for that lock). */
static void ckpt_quiesce(struct store *s)
{
	while (s->ckpt && db_ckpt_outstanding(s->ckpt) > 0) {
		struct pollfd p = { .fd = db_ckpt_fd(s->ckpt), .events = POLLIN };
		if (poll(&p, 1, 1000) < 0)
			break;
		db_ckpt_dispatch(s->ckpt);
	}
}

int store_db_checkpoint(struct store *s)
{
	ckpt_quiesce(s);
	return db_checkpoint(s->db, false);
}

static void ckpt_auto(struct store *s)
{
	if (!s->ckpt)
		return;
	/* Without a loop nobody else collects completions; with one it
	 * is a read of a non-blocking eventfd. */
	if (s->ckpt_auto_busy)
		db_ckpt_dispatch(s->ckpt);
	if (!s->ckpt_auto_busy && db_ckpt_request(s->ckpt, DB_CKPT_AUTO, ckpt_auto_done, s) == DB_OK)
		s->ckpt_auto_busy = true;
}

static bool waiter_any(const struct store *s, enum store_wait_kind kind)
{
	for (const struct store_waiter *w = s->waiters; w; w = w->next)
		if (w->kind == kind)
			return true;
	return false;
}

static bool maint_pending(struct store *s)
{
	if (s->maint_paused || !s->mvcc)
		return false;
	return mvcc_compact_pending(s->mvcc) || waiter_any(s, STORE_WAIT_COMPACT) ||
	    s->defrag_phase == DEFRAG_STEPPING;
}

static void maint_kick(struct store *s)
{
	static const struct timeval now = { 0, 0 };

	if (s->maint_ev && maint_pending(s) && !evtimer_pending(s->maint_ev, NULL))
		evtimer_add(s->maint_ev, &now);
}

void store_after_commit(struct store *s)
{
	ckpt_auto(s);
	/* A new batch is a new chance after a failed step. */
	s->maint_paused = false;
	maint_kick(s);
}

static int waiter_add(struct store *s, enum store_wait_kind kind, const void *owner, void *token,
    int64_t size_before)
{
	struct store_waiter *w = calloc(1, sizeof(*w)), **pp = &s->waiters;

	if (!w)
		return -1;
	w->kind = kind;
	w->owner = owner;
	w->token = token;
	w->size_before = size_before;
	while (*pp)
		pp = &(*pp)->next;
	*pp = w;
	return 0;
}

/* Builds w's answer and hands it over; a NULL body tells answer_fn that
 * memory ran out. */
static void waiter_answer(struct store *s, struct store_waiter *w, const char *errmsg)
{
	ProtobufCMessage *body = NULL;
	Cetcd__Storage__Error *e = NULL;

	if (errmsg && !(e = store_error_new(CETCD_E_INTERNAL, errmsg)))
		goto out;
	if (w->kind == STORE_WAIT_COMPACT) {
		Cetcd__Storage__CompactResponse *r = NEW(Cetcd__Storage__CompactResponse,
		    cetcd__storage__compact_response__init);
		if (!r)
			goto out;
		r->error = e;
		body = &r->base;
	} else {
		Cetcd__Storage__DefragmentResponse *r = NEW(Cetcd__Storage__DefragmentResponse,
		    cetcd__storage__defragment_response__init);
		if (!r)
			goto out;
		r->error = e;
		r->db_size_before = w->size_before;
		r->db_size_after = s->db ? db_size_bytes(s->db) : 0;
		body = &r->base;
	}
	e = NULL;
out:
	if (e)
		cetcd__storage__error__free_unpacked(e, NULL);
	if (s->answer_fn)
		s->answer_fn(s->answer_arg, w->token, body);
	else if (body)
		protobuf_c_message_free_unpacked(body, NULL);
	free(w);
}

/* Answers the waiters of kind (only those of the cut in flight when
 * cutting), in the order they came. */
static void waiters_answer(struct store *s, enum store_wait_kind kind, bool cutting, const char *errmsg)
{
	struct store_waiter **pp = &s->waiters, *done = NULL, **tail = &done;

	while (*pp) {
		struct store_waiter *w = *pp;
		if (w->kind != kind || (cutting && !w->cutting)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = NULL;
		*tail = w;
		tail = &w->next;
	}
	/* Unlinked first: answer_fn may not, but could, add waiters. */
	while (done) {
		struct store_waiter *w = done;
		done = w->next;
		waiter_answer(s, w, errmsg);
	}
}

void store_drop_waiters(struct store *s, const void *owner)
{
	struct store_waiter **pp = &s->waiters;

	while (*pp) {
		struct store_waiter *w = *pp;
		if (owner && w->owner != owner) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		free(w);
	}
}

static void defrag_start(struct store *s)
{
	s->defrag_phase = DEFRAG_STEPPING;
	s->defrag_steps_left = -1;	/* counted at the first step */
}

/* Batches between the steps free pages too (deletes, compaction steps):
 * the budget returns what was free when the steps began (after any
 * pending compaction), and some more, then stops rather than chase a
 * busy writer. */
static void defrag_budget(struct store *s)
{
	int64_t free_pages = db_free_pages(s->db);

	s->defrag_steps_left = (free_pages > 0 ? free_pages : 0) / DB_DEFRAG_STEP_PAGES * 2 + 16;
}

static void ckpt_cut_done(void *arg, const struct db_ckpt_result *r)
{
	struct store *s = arg;

	/* Not all copied (a reader of an old snapshot, a batch meanwhile):
	 * the pages are out of the db already, and the file shrinks at a
	 * later checkpoint that catches up. */
	if (r->rc != DB_OK && r->rc != DB_ERR_BUSY && r->rc != DB_ERR_CANCELED)
		fprintf(stderr, "cetcd-storaged: defragment: the final checkpoint failed (%d)\n", r->rc);
	s->defrag_phase = DEFRAG_IDLE;
	waiters_answer(s, STORE_WAIT_DEFRAG, true, NULL);
	if (s->db && waiter_any(s, STORE_WAIT_DEFRAG)) {
		defrag_start(s);
		maint_kick(s);
	}
}

/* The steps are done: SQLite cuts the file at a checkpoint that copies
 * everything back, asked of the worker so the loop does not wait (design
 * note 3). */
static void defrag_cut(struct store *s)
{
	for (struct store_waiter *w = s->waiters; w; w = w->next)
		if (w->kind == STORE_WAIT_DEFRAG)
			w->cutting = true;
	s->defrag_phase = DEFRAG_CUTTING;
	if (s->ckpt && db_ckpt_request(s->ckpt, DB_CKPT_PASSIVE, ckpt_cut_done, s) == DB_OK)
		return;
	struct db_ckpt_result r = { .rc = store_db_checkpoint(s) };
	ckpt_cut_done(s, &r);
}

/* One short batch of maintenance: a compaction step first (a
 * defragment after it returns what it freed), else a defragment step. */
static void maint_step(struct store *s)
{
	bool done = false;
	int rc;

	if (mvcc_compact_pending(s->mvcc)) {
		rc = mvcc_compact_step(s->mvcc, STORE_COMPACT_STEP, &done);
		if (rc != MVCC_OK) {
			fprintf(stderr, "cetcd-storaged: compaction step failed: %s\n", mvcc_strerror(rc));
			s->maint_paused = true;
			waiters_answer(s, STORE_WAIT_COMPACT, false, mvcc_strerror(rc));
			return;
		}
		ckpt_auto(s);
		if (!done)
			return;
	}
	waiters_answer(s, STORE_WAIT_COMPACT, false, NULL);
	if (s->defrag_phase != DEFRAG_STEPPING)
		return;
	if (s->defrag_steps_left < 0)
		defrag_budget(s);
	rc = db_defragment_step(s->db, DB_DEFRAG_STEP_PAGES, &done);
	if (rc != DB_OK) {
		fprintf(stderr, "cetcd-storaged: defragment step failed: %s\n", db_errmsg(s->db));
		s->defrag_phase = DEFRAG_IDLE;
		waiters_answer(s, STORE_WAIT_DEFRAG, false, db_errmsg(s->db));
		return;
	}
	ckpt_auto(s);
	if (done || --s->defrag_steps_left <= 0)
		defrag_cut(s);
}

static void on_maint(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)what;
	if (!s->mvcc)
		return;
	maint_step(s);
	/* Again at the next loop iteration, after the sockets were polled. */
	maint_kick(s);
}

int store_loop_attach(struct store *s, struct event_base *base, store_answer_fn *fn, void *arg)
{
	s->base = base;
	s->answer_fn = fn;
	s->answer_arg = arg;
	s->maint_ev = evtimer_new(base, on_maint, s);
	if (!s->maint_ev || ckpt_watch(s)) {
		store_loop_detach(s);
		return -1;
	}
	maint_kick(s);
	return 0;
}

void store_loop_detach(struct store *s)
{
	store_drop_waiters(s, NULL);
	ckpt_unwatch(s);
	if (s->maint_ev)
		event_free(s->maint_ev);
	s->maint_ev = NULL;
	if (s->defrag_phase == DEFRAG_STEPPING)
		s->defrag_phase = DEFRAG_IDLE;
	s->base = NULL;
	s->answer_fn = NULL;
	s->answer_arg = NULL;
}

/* Without a loop: the whole compaction now, in steps of their own. */
static int compact_finish(struct store *s, char *err, size_t errlen)
{
	bool done = false;

	while (mvcc_compact_pending(s->mvcc) && !done) {
		int rc = mvcc_compact_step(s->mvcc, STORE_COMPACT_STEP, &done);
		if (rc != MVCC_OK) {
			snprintf(err, errlen, "compact: %s", mvcc_strerror(rc));
			return -1;
		}
		ckpt_auto(s);
	}
	return 0;
}

int store_compact(struct store *s, const void *owner, void *token,
    const Cetcd__Storage__CompactRequest *req, Cetcd__Storage__CompactResponse *out,
    char *err, size_t errlen)
{
	if (req->revision > mvcc_current_revision(s->mvcc)) {
		out->error = mvcc_error(MVCC_ERR_FUTURE_REV);
		return out->error ? 0 : -1;
	}
	/* APPLY of the CompactionRequest set the compaction point; its rows
	 * go in steps (etcd's physical compaction: the request waits for the
	 * last batch of deletes). */
	if (!mvcc_compact_pending(s->mvcc))
		return 0;
	if (!s->base)
		return compact_finish(s, err, errlen);
	if (waiter_add(s, STORE_WAIT_COMPACT, owner, token, 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->maint_paused = false;
	maint_kick(s);
	return 1;
}

int store_defragment(struct store *s, const void *owner, void *token,
    Cetcd__Storage__DefragmentResponse *out, char *err, size_t errlen)
{
	out->db_size_before = db_size_bytes(s->db);
	if (!s->base || !db_defrag_incremental(s->db)) {
		/* Inline: no loop to step from, or a db made before
		 * auto_vacuum = INCREMENTAL, which one VACUUM converts (db.h);
		 * writes wait for that one. */
		if (!s->base && compact_finish(s, err, errlen))
			return -1;
		ckpt_quiesce(s);
		if (db_defragment(s->db) != DB_OK) {
			out->error = store_error_new(CETCD_E_INTERNAL, db_errmsg(s->db));
			return out->error ? 0 : -1;
		}
		out->db_size_after = db_size_bytes(s->db);
		return 0;
	}
	if (waiter_add(s, STORE_WAIT_DEFRAG, owner, token, out->db_size_before)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->defrag_phase == DEFRAG_IDLE)
		defrag_start(s);
	s->maint_paused = false;
	maint_kick(s);
	return 1;
}
