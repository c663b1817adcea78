/*
 * server.c - the etcd server of one member: the Raft node, its ready loop
 * over cetcd-storaged, the wait table of proposals and the ReadIndex
 * barrier of linearizable reads.
 *
 * Runs in cetcd on the main event loop.  Owns the Raft node, its in-memory
 * log (raft_mem_storage, rebuilt from storaged's InitialState), the two
 * storage connections and every waiter.  Holds nothing that is not also
 * durable in storaged: when storaged goes away, the node is dropped, every
 * waiter fails with "request timed out", and the state is read again once
 * storaged is back (ARCHITECTURE.md: "Two processes").
 *
 *   DOWN --storaged up--> LOADING --InitialState (+Bootstrap)--> RUNNING
 *     ^                                                             |
 *     +---------------- storaged lost (server_reset) ---------------+
 *
 * The write path, per Raft Ready (etcd's raftNode loop):
 *   ready --PERSIST(hard state, entries)--> fdatasync'd by storaged
 *         --> log appended in memory --> messages sent --> APPLY(committed)
 *         --> advance; APPLY answers complete the waiters in log order.
 * Only one PERSIST is outstanding at a time; APPLYs are pipelined behind
 * it on the same connection, so storaged applies in log order.
 */
#include "config.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/buf.h"
#include "daemon/raft/raft.h"
#include "daemon/server.h"
#include "daemon/storage_client.h"

#define WAIT_BUCKETS 4096
#define MAX_APPLY_IN_FLIGHT 64

enum server_phase { PHASE_DOWN, PHASE_LOADING, PHASE_RUNNING };

struct waiter {
	struct waiter *hnext;		/* hash chain by id */
	struct waiter *prev, *next;	/* FIFO by deadline */
	uint64_t id;
	uint64_t deadline_ms;
	enum cetcd_err early_err;	/* the error of a waiter failed early */
	server_done_fn *cb;
	void *arg;
};

struct barrier {
	struct barrier *next;
	uint64_t index;			/* read index, once known */
	uint64_t deadline_ms;
	server_read_fn *cb;
	void *arg;
};

struct server {
	struct event_base *base;
	struct server_config cfg;
	struct storage_client *wsc, *rsc;
	struct event *tick_ev;
	struct event *kick_ev;		/* runs drive() from the loop */
	enum server_phase phase;

	uint64_t member_id, cluster_id;
	struct raft_node *node;
	struct raft_mem_storage *ms;
	struct raft_ready rd;		/* the ready being persisted */
	bool persisting;
	unsigned applies_in_flight;
	uint64_t applied_index, commit_index;
	int64_t revision;
	uint64_t leader, term;

	/* Proposals waiting for their entry to be applied. */
	struct waiter *buckets[WAIT_BUCKETS];
	struct waiter *fifo_head, *fifo_tail;
	size_t n_waiters;
	uint64_t id_prefix, id_counter;

	/* Linearizable reads: those not yet in a ReadIndex round, the round in
	 * flight, and those waiting for the applied index to reach theirs. */
	struct barrier *read_new, *read_round, *read_wait;
	uint64_t read_round_ctx;
	bool read_round_open;

	uint64_t leader_changes, committed, applied_count, failed;
	struct server_observer obs;	/* write-path durations, for metrics */
	uint64_t persist_sent_ns;
	unsigned election_ticks;
	uint64_t load_last;		/* loading: the log's last index */
	bool has_snapshot;		/* loading: the configuration comes with it */
	bool expire_now;		/* a waiter was failed early (deadline 0) */
	bool stopping;			/* server_free: failures are expected */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* etcd's request timeout: 5 s plus two election timeouts. */
static uint64_t request_timeout_ms(const struct server *s)
{
	return 5000 + 2 * (uint64_t)s->cfg.election_ms;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void kick(struct server *s)
{
	event_active(s->kick_ev, EV_TIMEOUT, 0);
}

/* ---------------------------------------------------------------- ids */

/* etcd's membership.NewMember: sha1 of the sorted peer URLs and the cluster
 * token, first 8 bytes big-endian. */
static uint64_t sha1_id(const void *data, size_t len)
{
	unsigned char h[SHA_DIGEST_LENGTH];
	uint64_t id = 0;

	SHA1(data, len, h);
	for (int i = 0; i < 8; i++)
		id = id << 8 | h[i];
	return id;
}

static uint64_t member_id_of(const char *peer_urls, const char *token)
{
	char buf[4096];
	size_t n = 0;

	/* peer_urls is already sorted and comma-separated; etcd concatenates
	 * them without separators. */
	for (const char *p = peer_urls; *p && n < sizeof(buf) - 1; p++)
		if (*p != ',')
			buf[n++] = *p;
	for (const char *p = token; *p && n < sizeof(buf) - 1; p++)
		buf[n++] = *p;
	return sha1_id(buf, n);
}

/* etcd's RaftCluster.genID over the sorted member IDs. */
static uint64_t cluster_id_of(const uint64_t *ids, size_t n)
{
	uint8_t b[8 * 16];
	size_t len = 0;

	for (size_t i = 0; i < n && i < 16; i++)
		for (int k = 7; k >= 0; k--)
			b[len++] = (uint8_t)(ids[i] >> (8 * k));
	return sha1_id(b, len);
}

/* etcd's idutil.Generator: low 16 bits of the member ID, then a 40-bit
 * millisecond timestamp and an 8-bit counter, incremented as one. */
static uint64_t next_request_id(struct server *s)
{
	return s->id_prefix | (++s->id_counter & ((1ULL << 48) - 1));
}

/* ---------------------------------------------------------------- waiters */

static void waiter_unlink(struct server *s, struct waiter *w)
{
	struct waiter **pp = &s->buckets[w->id % WAIT_BUCKETS];

	while (*pp && *pp != w)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = w->hnext;
	if (w->prev)
		w->prev->next = w->next;
	else
		s->fifo_head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		s->fifo_tail = w->prev;
	s->n_waiters--;
}

static struct waiter *waiter_find(struct server *s, uint64_t id)
{
	for (struct waiter *w = s->buckets[id % WAIT_BUCKETS]; w; w = w->hnext)
		if (w->id == id)
			return w;
	return NULL;
}

static void waiter_finish(struct server *s, struct waiter *w, enum cetcd_err err,
    Cetcd__Storage__EntryResult *res)
{
	waiter_unlink(s, w);
	if (err != CETCD_OK)
		s->failed++;
	w->cb(w->arg, err, res);
	free(w);
}

static void fail_all(struct server *s, enum cetcd_err err)
{
	while (s->fifo_head)
		waiter_finish(s, s->fifo_head, err, NULL);
	struct barrier *lists[] = { s->read_new, s->read_round, s->read_wait };
	s->read_new = s->read_round = s->read_wait = NULL;
	s->read_round_open = false;
	for (int i = 0; i < 3; i++)
		while (lists[i]) {
			struct barrier *b = lists[i];
			lists[i] = b->next;
			b->cb(b->arg, err);
			free(b);
		}
}

/* ---------------------------------------------------------------- conversion */

static int entry_to_pb(const struct raft_entry *e, Raftpb__Entry *pb)
{
	raftpb__entry__init(pb);
	pb->term = e->term;
	pb->index = e->index;
	pb->type = (Raftpb__EntryType)e->type;
	if (e->data && e->data->len) {
		pb->has_data = 1;
		pb->data.data = (uint8_t *)e->data->bytes;
		pb->data.len = e->data->len;
	}
	return 0;
}

static int entry_from_pb(const Raftpb__Entry *pb, struct raft_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->term = pb->term;
	e->index = pb->index;
	e->type = (enum raft_entry_type)pb->type;
	if (pb->has_data && pb->data.len) {
		e->data = raft_blob_new(pb->data.data, pb->data.len);
		if (!e->data)
			return -1;
	}
	return 0;
}

/* The request ID of an InternalRaftRequest, read straight from its bytes:
 * header (field 100) -> ID (field 1), else the top-level ID (field 1). */
static uint64_t entry_request_id(const struct raft_entry *e)
{
	struct buf_reader r;
	uint64_t key, v, top = 0;

	if (!e->data)
		return 0;
	buf_reader_init(&r, e->data->bytes, e->data->len);
	while (buf_reader_remaining(&r) && buf_get_uvarint(&r, &key) == 0) {
		unsigned wt = key & 7;
		uint64_t field = key >> 3;
		if (wt == 0) {
			if (buf_get_uvarint(&r, &v))
				return 0;
			if (field == 1)
				top = v;
		} else if (wt == 2) {
			const uint8_t *p;
			if (buf_get_uvarint(&r, &v) || buf_get_bytes(&r, (size_t)v, &p))
				return 0;
			if (field == 100) {
				struct buf_reader h;
				buf_reader_init(&h, p, (size_t)v);
				while (buf_reader_remaining(&h) && buf_get_uvarint(&h, &key) == 0) {
					if ((key & 7) != 0)
						break;
					if (buf_get_uvarint(&h, &v))
						break;
					if ((key >> 3) == 1)
						return v;
				}
			}
		} else if (wt == 1) {
			if (buf_skip(&r, 8))
				return 0;
		} else if (wt == 5) {
			if (buf_skip(&r, 4))
				return 0;
		} else {
			return 0;
		}
	}
	return top;
}

/* ---------------------------------------------------------------- reads */

static void reads_release(struct server *s)
{
	struct barrier **pp = &s->read_wait;

	while (*pp) {
		struct barrier *b = *pp;
		if (b->index <= s->applied_index) {
			*pp = b->next;
			b->cb(b->arg, CETCD_OK);
			free(b);
		} else {
			pp = &b->next;
		}
	}
}

/* Starts a ReadIndex round for every barrier that is not in one. */
static void reads_start_round(struct server *s)
{
	uint8_t ctx[8];

	if (s->read_round_open || !s->read_new || s->phase != PHASE_RUNNING || !s->leader)
		return;
	s->read_round_ctx++;
	for (int i = 0; i < 8; i++)
		ctx[i] = (uint8_t)(s->read_round_ctx >> (56 - 8 * i));
	if (raft_read_index(s->node, ctx, sizeof(ctx)) != RAFT_OK)
		return;
	s->read_round = s->read_new;
	s->read_new = NULL;
	s->read_round_open = true;
	kick(s);
}

static void reads_on_state(struct server *s, const struct raft_read_state *rs)
{
	uint64_t ctx = 0;

	if (!s->read_round_open || !rs->request_ctx || rs->request_ctx->len != 8)
		return;
	for (int i = 0; i < 8; i++)
		ctx = ctx << 8 | rs->request_ctx->bytes[i];
	if (ctx != s->read_round_ctx)
		return;
	while (s->read_round) {
		struct barrier *b = s->read_round;
		s->read_round = b->next;
		b->index = rs->index;
		b->next = s->read_wait;
		s->read_wait = b;
	}
	s->read_round_open = false;
	reads_release(s);
	reads_start_round(s);
}

void server_read_barrier(struct server *s, server_read_fn *cb, void *arg)
{
	struct barrier *b = calloc(1, sizeof(*b));

	if (!b) {
		cb(arg, CETCD_E_NO_MEMORY);
		return;
	}
	b->cb = cb;
	b->arg = arg;
	b->deadline_ms = now_ms() + request_timeout_ms(s);
	b->next = s->read_new;
	s->read_new = b;
	reads_start_round(s);
}

/* ---------------------------------------------------------------- apply */

/* An APPLY in flight: the request ID of each of its entries, in order
 * (ApplyResponse.results has one result per entry, in the same order). */
struct apply_batch {
	struct server *s;
	uint64_t sent_ns;
	size_t n;
	uint64_t ids[];
};

static void on_apply(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct apply_batch *ab = arg;
	struct server *s = ab->s;

	s->applies_in_flight--;
	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_APPLY_RESPONSE) {
		/* storaged lost or failed: the reset reloads from what it has. */
		free(ab);
		return;
	}
	if (s->obs.apply)
		s->obs.apply(s->obs.arg, (double)(now_ns() - ab->sent_ns) / 1e9);
	Cetcd__Storage__ApplyResponse *r = ans->apply_response;
	for (size_t i = 0; i < r->n_results && i < ab->n; i++) {
		struct waiter *w = ab->ids[i] ? waiter_find(s, ab->ids[i]) : NULL;
		s->applied_count++;
		if (w && !r->results[i]->skipped)
			waiter_finish(s, w, CETCD_OK, r->results[i]);
	}
	if (r->applied_index > s->applied_index)
		s->applied_index = r->applied_index;
	if (r->revision)
		s->revision = r->revision;
	free(ab);
	reads_release(s);
	kick(s);
}

static int send_apply(struct server *s, const struct raft_entry *ents, size_t n)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__ApplyRequest ar = CETCD__STORAGE__APPLY_REQUEST__INIT;
	Raftpb__Entry *pbs = calloc(n, sizeof(*pbs));
	Raftpb__Entry **ptrs = calloc(n, sizeof(*ptrs));
	struct apply_batch *ab = calloc(1, sizeof(*ab) + n * sizeof(uint64_t));

	if (!pbs || !ptrs || !ab) {
		free(pbs);
		free(ptrs);
		free(ab);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		entry_to_pb(&ents[i], &pbs[i]);
		ptrs[i] = &pbs[i];
		ab->ids[i] = ents[i].type == RAFT_ENTRY_NORMAL ? entry_request_id(&ents[i]) : 0;
	}
	ab->n = n;
	ar.entries = ptrs;
	ar.n_entries = n;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_APPLY_REQUEST;
	env.apply_request = &ar;
	ab->s = s;
	ab->sent_ns = now_ns();
	s->applies_in_flight++;
	s->committed += n;
	storage_client_call(s->wsc, &env, on_apply, ab);
	free(pbs);
	free(ptrs);
	return 0;
}

/* ---------------------------------------------------------------- ready loop */

static void server_reset(struct server *s, const char *why);

static void finish_ready(struct server *s)
{
	struct raft_ready *rd = &s->rd;

	/* Peers get their messages here once the peer transport exists; a
	 * single member sends none that matter. */
	if (rd->n_committed_entries) {
		s->commit_index = rd->committed_entries[rd->n_committed_entries - 1].index;
		if (send_apply(s, rd->committed_entries, rd->n_committed_entries) != 0) {
			server_reset(s, "out of memory");
			return;
		}
		/* Configuration changes are applied to Raft here; the member
		 * table itself is kept by storaged. */
		for (size_t i = 0; i < rd->n_committed_entries; i++) {
			const struct raft_entry *e = &rd->committed_entries[i];
			if (e->type == RAFT_ENTRY_CONF_CHANGE) {
				struct raft_conf_change cc;
				if (e->data && raft_conf_change_decode(e->data->bytes, e->data->len, &cc) == 0)
					raft_apply_conf_change(s->node, &cc, NULL);
			}
		}
	}
	raft_advance(s->node, rd);
	memset(rd, 0, sizeof(*rd));
}

static void on_persist(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct server *s = arg;
	struct raft_ready *rd = &s->rd;

	s->persisting = false;
	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_PERSIST_RESPONSE) {
		raft_ready_clear(rd);
		memset(rd, 0, sizeof(*rd));
		server_reset(s, ans && ans->error ? ans->error->message : (err ? err : "persist failed"));
		return;
	}
	if (s->obs.persist)
		s->obs.persist(s->obs.arg, (double)(now_ns() - s->persist_sent_ns) / 1e9);
	if (rd->n_entries)
		raft_mem_storage_append(s->ms, rd->entries, rd->n_entries);
	if (!raft_hard_state_is_empty(&rd->hard_state))
		raft_mem_storage_set_hard_state(s->ms, &rd->hard_state);
	finish_ready(s);
	kick(s);
}

static int send_persist(struct server *s)
{
	struct raft_ready *rd = &s->rd;
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__PersistRequest pr = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	Raftpb__Entry *pbs = NULL, **ptrs = NULL;

	if (rd->n_entries) {
		pbs = calloc(rd->n_entries, sizeof(*pbs));
		ptrs = calloc(rd->n_entries, sizeof(*ptrs));
		if (!pbs || !ptrs) {
			free(pbs);
			free(ptrs);
			return -1;
		}
		for (size_t i = 0; i < rd->n_entries; i++) {
			entry_to_pb(&rd->entries[i], &pbs[i]);
			ptrs[i] = &pbs[i];
		}
		pr.entries = ptrs;
		pr.n_entries = rd->n_entries;
	}
	if (!raft_hard_state_is_empty(&rd->hard_state)) {
		hs.term = rd->hard_state.term;
		hs.vote = rd->hard_state.vote;
		hs.commit = rd->hard_state.commit;
		pr.hard_state = &hs;
	}
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_PERSIST_REQUEST;
	env.persist_request = &pr;
	s->persisting = true;
	s->persist_sent_ns = now_ns();
	storage_client_call(s->wsc, &env, on_persist, s);
	free(pbs);
	free(ptrs);
	return 0;
}

static void drive(struct server *s)
{
	while (s->phase == PHASE_RUNNING && !s->persisting &&
	    s->applies_in_flight < MAX_APPLY_IN_FLIGHT && raft_has_ready(s->node)) {
		if (raft_ready(s->node, &s->rd) != RAFT_OK) {
			server_reset(s, "raft failed");
			return;
		}
		struct raft_ready *rd = &s->rd;
		if (rd->has_soft_state) {
			if (rd->soft_state.lead != s->leader && rd->soft_state.lead)
				s->leader_changes++;
			s->leader = rd->soft_state.lead;
		}
		s->term = raft_node_term(s->node);
		for (size_t i = 0; i < rd->n_read_states; i++)
			reads_on_state(s, &rd->read_states[i]);
		if (rd->n_entries || !raft_hard_state_is_empty(&rd->hard_state)) {
			if (send_persist(s) != 0)
				server_reset(s, "out of memory");
			return;
		}
		finish_ready(s);
	}
	reads_start_round(s);
}

static void sweep_timeouts(struct server *s)
{
	uint64_t now = now_ms();

	/* Deadlines grow along the FIFO, except for waiters failed early
	 * (deadline 0), which only a full pass finds. */
	if (s->expire_now) {
		s->expire_now = false;
		for (struct waiter *w = s->fifo_head, *next; w; w = next) {
			next = w->next;
			if (w->deadline_ms == 0)
				waiter_finish(s, w, w->early_err ? w->early_err : CETCD_E_TIMEOUT, NULL);
		}
	}
	while (s->fifo_head && s->fifo_head->deadline_ms <= now)
		waiter_finish(s, s->fifo_head, CETCD_E_TIMEOUT, NULL);
	struct barrier **lists[] = { &s->read_new, &s->read_round, &s->read_wait };
	for (int i = 0; i < 3; i++) {
		struct barrier **pp = lists[i];
		while (*pp) {
			struct barrier *b = *pp;
			if (b->deadline_ms <= now) {
				*pp = b->next;
				b->cb(b->arg, CETCD_E_TIMEOUT);
				free(b);
			} else {
				pp = &b->next;
			}
		}
	}
	if (!s->read_round && s->read_round_open)
		s->read_round_open = false;
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	if (s->expire_now)
		sweep_timeouts(s);
	drive(s);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	if (s->phase == PHASE_RUNNING)
		raft_tick(s->node);
	sweep_timeouts(s);
	drive(s);
}

/* ---------------------------------------------------------------- proposals */

void server_propose(struct server *s, Etcdserverpb__InternalRaftRequest *req,
    server_done_fn *cb, void *arg)
{
	Etcdserverpb__RequestHeader hdr = ETCDSERVERPB__REQUEST_HEADER__INIT;
	struct waiter *w = calloc(1, sizeof(*w));
	uint8_t stackbuf[1024], *buf = stackbuf;
	int rc;

	if (!w) {
		cb(arg, CETCD_E_NO_MEMORY, NULL);
		return;
	}
	w->id = next_request_id(s);
	w->cb = cb;
	w->arg = arg;
	w->deadline_ms = now_ms() + request_timeout_ms(s);
	w->prev = s->fifo_tail;
	if (s->fifo_tail)
		s->fifo_tail->next = w;
	else
		s->fifo_head = w;
	s->fifo_tail = w;
	w->hnext = s->buckets[w->id % WAIT_BUCKETS];
	s->buckets[w->id % WAIT_BUCKETS] = w;
	s->n_waiters++;

	if (s->phase != PHASE_RUNNING) {
		/* etcd answers "request timed out" while its backend is
		 * unavailable; answered from the loop, as promised. */
		w->deadline_ms = 0;
		s->expire_now = true;
		kick(s);
		return;
	}
	hdr.id = w->id;
	req->header = &hdr;
	size_t len = protobuf_c_message_get_packed_size(&req->base);
	if (len > sizeof(stackbuf) && !(buf = malloc(len))) {
		req->header = NULL;
		w->deadline_ms = 0;
		s->expire_now = true;
		kick(s);
		return;
	}
	protobuf_c_message_pack(&req->base, buf);
	req->header = NULL;
	if (len > (s->cfg.max_request_bytes ? s->cfg.max_request_bytes : 1572864)) {
		if (buf != stackbuf)
			free(buf);
		w->deadline_ms = 0;
		w->early_err = CETCD_E_REQUEST_TOO_LARGE;
		s->expire_now = true;
		kick(s);
		return;
	}
	rc = raft_propose(s->node, buf, len);
	if (buf != stackbuf)
		free(buf);
	if (rc != RAFT_OK) {
		/* No leader yet (or a transfer): etcd waits and times out; we
		 * let the sweep fail it after the request timeout. */
		return;
	}
	kick(s);
}

/* ---------------------------------------------------------------- start-up */

static void on_initial_state(void *arg, Cetcd__Storage__Envelope *ans, const char *err);

static void request_initial_state(struct server *s)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__InitialStateRequest is = CETCD__STORAGE__INITIAL_STATE_REQUEST__INIT;

	env.type = CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_INITIAL_STATE_REQUEST;
	env.initial_state_request = &is;
	s->phase = PHASE_LOADING;
	storage_client_call(s->wsc, &env, on_initial_state, s);
}

static void on_bootstrap(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct server *s = arg;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_BOOTSTRAP_RESPONSE) {
		fprintf(stderr, "cetcd: bootstrap failed: %s\n",
		    ans && ans->error ? ans->error->message : (err ? err : "no answer"));
		s->phase = PHASE_DOWN;
		return;
	}
	request_initial_state(s);
}

static void bootstrap(struct server *s)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__BootstrapRequest br = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
	Etcdserverpb__Member m = ETCDSERVERPB__MEMBER__INIT;
	Etcdserverpb__Member *ms[] = { &m };
	char *peer = (char *)s->cfg.peer_urls, *client = (char *)s->cfg.client_urls;

	br.node_id = s->member_id;
	br.cluster_id = s->cluster_id;
	m.id = s->member_id;
	m.name = (char *)s->cfg.name;
	m.peerurls = &peer;
	m.n_peerurls = 1;
	m.clienturls = &client;
	m.n_clienturls = 1;
	br.members = ms;
	br.n_members = 1;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_BOOTSTRAP_REQUEST;
	env.bootstrap_request = &br;
	storage_client_call(s->wsc, &env, on_bootstrap, s);
}

/* Loading: the in-memory log is filled from InitialState, then from as
 * many ENTRIES answers as the rest of the log needs, before the node starts. */
static int load_entries(struct server *s, Raftpb__Entry **ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e;
		if (entry_from_pb(ents[i], &e) != 0)
			return -1;
		int r = raft_mem_storage_append(s->ms, &e, 1);
		raft_entry_clear(&e);
		if (r != RAFT_OK)
			return -1;
	}
	return 0;
}

static int start_node(struct server *s)
{
	struct raft_config rc;
	struct raft_storage st;
	uint64_t peers[1] = { s->member_id };

	raft_mem_storage_bind(s->ms, &st);
	raft_config_init(&rc, s->member_id, &st);
	rc.election_tick = (int)s->election_ticks;
	rc.heartbeat_tick = 1;
	rc.applied = s->applied_index;
	rc.max_size_per_msg = 1 << 20;
	rc.max_inflight_msgs = 512;
	rc.check_quorum = true;
	rc.pre_vote = true;
	rc.max_uncommitted_entries_size = 1 << 30;
	rc.rand_seed = s->member_id ^ (uint64_t)time(NULL);
	/* The configuration: the snapshot's when there is one (the storage
	 * reports it); else this lone member, given again at every start. */
	if (!s->has_snapshot) {
		rc.peers = peers;
		rc.n_peers = 1;
	}
	if (raft_node_new(&rc, &s->node) != RAFT_OK)
		return -1;
	s->phase = PHASE_RUNNING;
	/* A lone voter need not wait out a randomized election timeout. */
	raft_campaign(s->node);
	fprintf(stderr, "cetcd: member %016llx of cluster %016llx started (applied index %llu)\n",
	    (unsigned long long)s->member_id, (unsigned long long)s->cluster_id,
	    (unsigned long long)s->applied_index);
	kick(s);
	return 0;
}

static void load_more(struct server *s);

static void on_entries(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct server *s = arg;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_ENTRIES_RESPONSE ||
	    ans->entries_response->error || ans->entries_response->n_entries == 0 ||
	    load_entries(s, ans->entries_response->entries, ans->entries_response->n_entries) != 0) {
		server_reset(s, "cannot read the log");
		return;
	}
	load_more(s);
}

static void load_more(struct server *s)
{
	uint64_t have = raft_mem_storage_last_index(s->ms);

	if (have >= s->load_last) {
		if (start_node(s) != 0)
			server_reset(s, "cannot start the Raft node");
		return;
	}
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__EntriesRequest er = CETCD__STORAGE__ENTRIES_REQUEST__INIT;
	er.lo = have + 1;
	er.hi = s->load_last + 1;
	er.max_size = 8 << 20;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_ENTRIES_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_ENTRIES_REQUEST;
	env.entries_request = &er;
	storage_client_call(s->wsc, &env, on_entries, s);
}

static void on_initial_state(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct server *s = arg;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_INITIAL_STATE_RESPONSE) {
		fprintf(stderr, "cetcd: cannot read the initial state: %s\n",
		    ans && ans->error ? ans->error->message : (err ? err : "no answer"));
		s->phase = PHASE_DOWN;
		return;
	}
	Cetcd__Storage__InitialStateResponse *is = ans->initial_state_response;
	if (is->fresh) {
		bootstrap(s);
		return;
	}
	if (is->node_id != s->member_id)
		fprintf(stderr, "cetcd: member ID in the WAL (%016llx) differs from the configured one (%016llx); using the WAL's\n",
		    (unsigned long long)is->node_id, (unsigned long long)s->member_id);
	s->member_id = is->node_id;
	s->cluster_id = is->cluster_id;
	s->id_prefix = (s->member_id & 0xffff) << 48;
	s->applied_index = is->applied_index;
	s->revision = is->revision;
	s->load_last = is->last_index;
	s->has_snapshot = false;
	s->ms = raft_mem_storage_new();
	if (!s->ms) {
		server_reset(s, "out of memory");
		return;
	}
	if (is->snapshot && is->snapshot->index) {
		struct raft_snapshot snap;
		memset(&snap, 0, sizeof(snap));
		snap.metadata.index = is->snapshot->index;
		snap.metadata.term = is->snapshot->term;
		const Raftpb__ConfState *cs = is->snapshot->conf_state;
		for (size_t i = 0; cs && i < cs->n_voters && i < RAFT_MAX_MEMBERS; i++)
			snap.metadata.conf_state.voters[snap.metadata.conf_state.n_voters++] = cs->voters[i];
		for (size_t i = 0; cs && i < cs->n_learners && i < RAFT_MAX_MEMBERS; i++)
			snap.metadata.conf_state.learners[snap.metadata.conf_state.n_learners++] = cs->learners[i];
		if (raft_mem_storage_apply_snapshot(s->ms, &snap) != RAFT_OK) {
			server_reset(s, "cannot load the snapshot");
			return;
		}
		s->has_snapshot = snap.metadata.conf_state.n_voters > 0;
	}
	if (is->hard_state) {
		struct raft_hard_state hs = { is->hard_state->term, is->hard_state->vote,
			is->hard_state->commit };
		raft_mem_storage_set_hard_state(s->ms, &hs);
	}
	if (load_entries(s, is->entries, is->n_entries) != 0) {
		server_reset(s, "cannot load the log");
		return;
	}
	load_more(s);
}

static void server_reset(struct server *s, const char *why)
{
	if ((s->phase == PHASE_RUNNING || s->phase == PHASE_LOADING) && !s->stopping)
		fprintf(stderr, "cetcd: storage unavailable (%s); waiting for it\n", why);
	if (s->node) {
		if (s->persisting || s->rd.n_entries || s->rd.n_committed_entries)
			raft_ready_clear(&s->rd);
		memset(&s->rd, 0, sizeof(s->rd));
		raft_node_free(s->node);
		s->node = NULL;
	}
	if (s->ms) {
		raft_mem_storage_free(s->ms);
		s->ms = NULL;
	}
	s->persisting = false;
	s->leader = 0;
	s->phase = PHASE_DOWN;
	fail_all(s, CETCD_E_TIMEOUT);
}

static void on_storage_up(void *arg)
{
	struct server *s = arg;

	if (s->phase == PHASE_DOWN)
		request_initial_state(s);
}

static void on_storage_down(void *arg)
{
	server_reset(arg, "connection lost");
}

struct server *server_new(struct event_base *base, const struct server_config *cfg)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = base;
	s->cfg = *cfg;
	s->member_id = member_id_of(cfg->peer_urls, cfg->initial_cluster_token);
	s->cluster_id = cluster_id_of(&s->member_id, 1);
	s->id_prefix = (s->member_id & 0xffff) << 48;
	s->id_counter = (uint64_t)time(NULL) * 1000 << 8;
	s->election_ticks = cfg->heartbeat_ms ? cfg->election_ms / cfg->heartbeat_ms : 10;
	if (s->election_ticks < 2)
		s->election_ticks = 2;
	s->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, s);
	s->kick_ev = event_new(base, -1, 0, on_kick, s);
	s->wsc = storage_client_new(base, cfg->storaged_socket, on_storage_up, on_storage_down, s);
	s->rsc = storage_client_new(base, cfg->storaged_socket, NULL, NULL, s);
	if (!s->tick_ev || !s->kick_ev || !s->wsc || !s->rsc) {
		server_free(s);
		return NULL;
	}
	struct timeval tv = { cfg->heartbeat_ms / 1000, (cfg->heartbeat_ms % 1000) * 1000 };
	evtimer_add(s->tick_ev, &tv);
	return s;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	s->stopping = true;
	server_reset(s, "shutting down");
	storage_client_free(s->wsc);
	storage_client_free(s->rsc);
	if (s->tick_ev)
		event_free(s->tick_ev);
	if (s->kick_ev)
		event_free(s->kick_ev);
	free(s);
}

struct storage_client *server_reader(struct server *s)
{
	return s->rsc;
}

void server_fill_header(struct server *s, Etcdserverpb__ResponseHeader *h)
{
	h->cluster_id = s->cluster_id;
	h->member_id = s->member_id;
	h->raft_term = s->term;
	if (h->revision == 0)
		h->revision = s->revision;
}

void server_status(const struct server *s, struct server_status *st)
{
	memset(st, 0, sizeof(*st));
	st->ready = s->phase == PHASE_RUNNING;
	st->member_id = s->member_id;
	st->cluster_id = s->cluster_id;
	st->leader = s->leader;
	st->term = s->term;
	st->commit_index = s->commit_index;
	st->applied_index = s->applied_index;
	st->revision = s->revision;
	st->leader_changes = s->leader_changes;
	st->proposals_committed = s->committed;
	st->proposals_applied = s->applied_count;
	st->proposals_pending = s->n_waiters;
	st->proposals_failed = s->failed;
}

void server_set_observer(struct server *s, const struct server_observer *o)
{
	if (o)
		s->obs = *o;
	else
		memset(&s->obs, 0, sizeof(s->obs));
}
