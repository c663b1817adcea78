/*
 * ipc.c - serves proto/storage.proto to cetcd.
 *
 * Runs in cetcd-storaged on its event loop.  Owns the client connections
 * and their queues of answers.  Each frame is one Envelope; its type must
 * equal the case of its body and have a row in the dispatch table, or the
 * connection is closed as a protocol error (an unexpected message is never
 * silently ignored).  Requests are handled as they arrive; answers are
 * queued and sent, in request order, from one deferred flush per loop
 * iteration that first fdatasyncs the WAL once for every PERSIST before it:
 *
 *   frames in --> handle --> queue answer --(loop idle)--> flush:
 *                                           store_sync(), then send all
 *
 * so a burst of PERSISTs costs one fsync (group commit), and no PERSIST is
 * acknowledged before its entries are durable.
 *
 * COMPACT and DEFRAGMENT may be answered later, when the store's steps
 * between requests are done (store.h): their answer holds its place in
 * the queue, waiting, and the answers behind it wait for it, while the
 * requests behind it are handled as usual.
 *
 * Streams (DB_STREAM, INSTALL_SNAPSHOT) and waiting answers belong to the
 * connection that opened them: the store drops them when it closes.  On SIGTERM,
 * ipc_server_drain() stops reading, flushes (one fdatasync) and waits for
 * the answers to be written, so the batch in hand is answered before exit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/frame.h"
#include "proto/storage.pb-c.h"
#include "storaged/ipc.h"
#include "storaged/store.h"

struct answer {
	struct answer *next;
	uint8_t *data;
	size_t len;
	uint64_t request_id;
	int type;		/* the answer's MsgType */
	int needs_sync;		/* a PERSIST answer: only after fdatasync */
	int waiting;		/* deferred by the store: no data yet */
};

struct ipc_conn {
	struct ipc_server *srv;
	struct frame_conn *fc;
	struct answer *head, *tail;
	struct ipc_conn *next;
	int dead;
};

struct ipc_server {
	struct event_base *base;
	struct store *store;
	struct ipc_conn *conns;
	struct event *flush_ev;
	int flush_pending;
};

/* owner: the connection, for requests that keep per-connection state
 * (streams, deferred answers); token: the answer, for a deferred one.
 * Returns 0 (ans filled), 1 (the store answers later) or -1. */
typedef int handler_fn(struct store *s, const void *owner, void *token,
    const Cetcd__Storage__Envelope *req, Cetcd__Storage__Envelope *ans, char *err, size_t errlen);

#define NEW(type, init) ({ type *_p = malloc(sizeof(type)); if (_p) init(_p); _p; })

/* Each handler allocates its answer body into ans. */
#define HANDLER(name, Req, field, Resp, init, ans_field, ans_case, call) \
	static int name(struct store *s, const void *owner, void *token, \
	    const Cetcd__Storage__Envelope *req, Cetcd__Storage__Envelope *ans, char *err, \
	    size_t errlen) \
	{ \
		Resp *out = NEW(Resp, init); \
		if (!out) { \
			snprintf(err, errlen, "out of memory"); \
			return -1; \
		} \
		ans->body_case = ans_case; \
		ans->ans_field = out; \
		const Req *r = req->field; \
		(void)r; \
		(void)token; \
		return call; \
	}

HANDLER(h_initial_state, Cetcd__Storage__InitialStateRequest, initial_state_request,
    Cetcd__Storage__InitialStateResponse, cetcd__storage__initial_state_response__init,
    initial_state_response, CETCD__STORAGE__ENVELOPE__BODY_INITIAL_STATE_RESPONSE,
    store_initial_state(s, r, out, err, errlen))
HANDLER(h_bootstrap, Cetcd__Storage__BootstrapRequest, bootstrap_request,
    Cetcd__Storage__BootstrapResponse, cetcd__storage__bootstrap_response__init,
    bootstrap_response, CETCD__STORAGE__ENVELOPE__BODY_BOOTSTRAP_RESPONSE,
    store_bootstrap(s, r, err, errlen))
HANDLER(h_persist, Cetcd__Storage__PersistRequest, persist_request,
    Cetcd__Storage__PersistResponse, cetcd__storage__persist_response__init,
    persist_response, CETCD__STORAGE__ENVELOPE__BODY_PERSIST_RESPONSE,
    store_persist(s, r, out, err, errlen))
HANDLER(h_apply, Cetcd__Storage__ApplyRequest, apply_request,
    Cetcd__Storage__ApplyResponse, cetcd__storage__apply_response__init,
    apply_response, CETCD__STORAGE__ENVELOPE__BODY_APPLY_RESPONSE,
    store_apply(s, r, out, err, errlen))
HANDLER(h_entries, Cetcd__Storage__EntriesRequest, entries_request,
    Cetcd__Storage__EntriesResponse, cetcd__storage__entries_response__init,
    entries_response, CETCD__STORAGE__ENVELOPE__BODY_ENTRIES_RESPONSE,
    store_entries(s, r, out, err, errlen))
HANDLER(h_term, Cetcd__Storage__TermRequest, term_request,
    Cetcd__Storage__TermResponse, cetcd__storage__term_response__init,
    term_response, CETCD__STORAGE__ENVELOPE__BODY_TERM_RESPONSE,
    store_term(s, r, out, err, errlen))
HANDLER(h_read_range, Cetcd__Storage__ReadRangeRequest, read_range_request,
    Cetcd__Storage__ReadRangeResponse, cetcd__storage__read_range_response__init,
    read_range_response, CETCD__STORAGE__ENVELOPE__BODY_READ_RANGE_RESPONSE,
    store_read_range(s, r, out, err, errlen))
HANDLER(h_status, Cetcd__Storage__StatusRequest, status_request,
    Cetcd__Storage__StatusResponse, cetcd__storage__status_response__init,
    status_response, CETCD__STORAGE__ENVELOPE__BODY_STATUS_RESPONSE,
    store_status(s, out, err, errlen))

HANDLER(h_read_txn, Cetcd__Storage__ReadTxnRequest, read_txn_request,
    Cetcd__Storage__ReadTxnResponse, cetcd__storage__read_txn_response__init,
    read_txn_response, CETCD__STORAGE__ENVELOPE__BODY_READ_TXN_RESPONSE,
    store_read_txn(s, r, out, err, errlen))
HANDLER(h_events_since, Cetcd__Storage__EventsSinceRequest, events_since_request,
    Cetcd__Storage__EventsSinceResponse, cetcd__storage__events_since_response__init,
    events_since_response, CETCD__STORAGE__ENVELOPE__BODY_EVENTS_SINCE_RESPONSE,
    store_events_since(s, r, out, err, errlen))
HANDLER(h_leases, Cetcd__Storage__LeasesRequest, leases_request,
    Cetcd__Storage__LeasesResponse, cetcd__storage__leases_response__init,
    leases_response, CETCD__STORAGE__ENVELOPE__BODY_LEASES_RESPONSE,
    store_leases(s, r, out, err, errlen))
HANDLER(h_auth_state, Cetcd__Storage__AuthStateRequest, auth_state_request,
    Cetcd__Storage__AuthStateResponse, cetcd__storage__auth_state_response__init,
    auth_state_response, CETCD__STORAGE__ENVELOPE__BODY_AUTH_STATE_RESPONSE,
    store_auth_state(s, out, err, errlen))
HANDLER(h_compact, Cetcd__Storage__CompactRequest, compact_request,
    Cetcd__Storage__CompactResponse, cetcd__storage__compact_response__init,
    compact_response, CETCD__STORAGE__ENVELOPE__BODY_COMPACT_RESPONSE,
    store_compact(s, owner, token, r, out, err, errlen))
HANDLER(h_defragment, Cetcd__Storage__DefragmentRequest, defragment_request,
    Cetcd__Storage__DefragmentResponse, cetcd__storage__defragment_response__init,
    defragment_response, CETCD__STORAGE__ENVELOPE__BODY_DEFRAGMENT_RESPONSE,
    store_defragment(s, owner, token, out, err, errlen))
HANDLER(h_hash, Cetcd__Storage__HashRequest, hash_request,
    Cetcd__Storage__HashResponse, cetcd__storage__hash_response__init,
    hash_response, CETCD__STORAGE__ENVELOPE__BODY_HASH_RESPONSE,
    store_hash(s, out, err, errlen))
HANDLER(h_hash_kv, Cetcd__Storage__HashKVRequest, hash_kv_request,
    Cetcd__Storage__HashKVResponse, cetcd__storage__hash_kvresponse__init,
    hash_kv_response, CETCD__STORAGE__ENVELOPE__BODY_HASH_KV_RESPONSE,
    store_hash_kv(s, r, out, err, errlen))
HANDLER(h_create_snapshot, Cetcd__Storage__CreateSnapshotRequest, create_snapshot_request,
    Cetcd__Storage__CreateSnapshotResponse, cetcd__storage__create_snapshot_response__init,
    create_snapshot_response, CETCD__STORAGE__ENVELOPE__BODY_CREATE_SNAPSHOT_RESPONSE,
    store_create_snapshot(s, r, out, err, errlen))
HANDLER(h_install_snapshot, Cetcd__Storage__InstallSnapshotRequest, install_snapshot_request,
    Cetcd__Storage__InstallSnapshotResponse, cetcd__storage__install_snapshot_response__init,
    install_snapshot_response, CETCD__STORAGE__ENVELOPE__BODY_INSTALL_SNAPSHOT_RESPONSE,
    store_install_snapshot(s, owner, r, out, err, errlen))
HANDLER(h_db_stream, Cetcd__Storage__DbStreamRequest, db_stream_request,
    Cetcd__Storage__DbStreamResponse, cetcd__storage__db_stream_response__init,
    db_stream_response, CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_RESPONSE,
    store_db_stream(s, owner, r, out, err, errlen))

static const struct dispatch {
	handler_fn *fn;
	int needs_sync;
} dispatch[] = {
	[CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST] = { h_initial_state, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST] = { h_bootstrap, 1 },
	[CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST] = { h_persist, 1 },
	[CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST] = { h_apply, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_ENTRIES_REQUEST] = { h_entries, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_TERM_REQUEST] = { h_term, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST] = { h_read_range, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST] = { h_status, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_CREATE_SNAPSHOT_REQUEST] = { h_create_snapshot, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_INSTALL_SNAPSHOT_REQUEST] = { h_install_snapshot, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST] = { h_db_stream, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_READ_TXN_REQUEST] = { h_read_txn, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_EVENTS_SINCE_REQUEST] = { h_events_since, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_LEASES_REQUEST] = { h_leases, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_AUTH_STATE_REQUEST] = { h_auth_state, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST] = { h_compact, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST] = { h_defragment, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_HASH_REQUEST] = { h_hash, 0 },
	[CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST] = { h_hash_kv, 0 },
};

static int pack_envelope(Cetcd__Storage__Envelope *env, struct answer *a)
{
	a->len = protobuf_c_message_get_packed_size(&env->base);
	a->data = malloc(a->len ? a->len : 1);
	if (!a->data)
		return -1;
	protobuf_c_message_pack(&env->base, a->data);
	return 0;
}

/* An ERROR answer to request_id. */
static int pack_error(uint64_t request_id, const char *msg, struct answer *a)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__Error e = CETCD__STORAGE__ERROR__INIT;

	env.version = CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_ERROR;
	env.request_id = request_id;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_ERROR;
	env.error = &e;
	e.code = CETCD_E_INTERNAL;
	e.message = (char *)msg;
	free(a->data);
	a->data = NULL;
	return pack_envelope(&env, a);
}

static void conn_close(struct ipc_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		fprintf(stderr, "cetcd-storaged: closing an IPC connection: %s\n", why);
	c->dead = 1;
	frame_conn_free(c->fc);
	c->fc = NULL;
}

static void schedule_flush(struct ipc_server *srv)
{
	if (!srv->flush_pending) {
		srv->flush_pending = 1;
		event_active(srv->flush_ev, EV_TIMEOUT, 0);
	}
}

static void on_frame(struct frame_conn *fc, const uint8_t *payload, size_t len, void *arg)
{
	struct ipc_conn *c = arg;
	struct ipc_server *srv = c->srv;
	char err[512] = "";

	Cetcd__Storage__Envelope *req = cetcd__storage__envelope__unpack(NULL, len, payload);
	if (!req) {
		conn_close(c, "a frame that is not a storage Envelope");
		return;
	}
	if (req->version != CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT ||
	    (uint32_t)req->type != (uint32_t)req->body_case ||
	    (size_t)req->type >= sizeof(dispatch) / sizeof(dispatch[0]) || !dispatch[req->type].fn) {
		snprintf(err, sizeof(err), "unexpected message (version %u, type %d, body %d)",
		    req->version, (int)req->type, (int)req->body_case);
		cetcd__storage__envelope__free_unpacked(req, NULL);
		conn_close(c, err);
		return;
	}

	struct answer *a = calloc(1, sizeof(*a));
	Cetcd__Storage__Envelope ans = CETCD__STORAGE__ENVELOPE__INIT;
	int rc = -1;
	if (a) {
		ans.version = CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
		ans.type = req->type + 1;
		ans.request_id = req->request_id;
		a->request_id = req->request_id;
		a->type = (int)ans.type;
		a->needs_sync = dispatch[req->type].needs_sync;
		rc = dispatch[req->type].fn(srv->store, c, a, req, &ans, err, sizeof(err));
		if (rc == 1) {
			a->waiting = 1;
			rc = 0;
		} else if (rc == 0) {
			rc = pack_envelope(&ans, a);
		}
		if (rc != 0 && pack_error(req->request_id, *err ? err : "out of memory", a) == 0)
			rc = 0;
		/* The answer's body was malloc'd into ans; free it through a
		 * heap envelope of the same shape. */
		if (ans.body_case) {
			Cetcd__Storage__Envelope *heap = malloc(sizeof(*heap));
			if (heap) {
				*heap = ans;
				cetcd__storage__envelope__free_unpacked(heap, NULL);
			}
		}
	}
	cetcd__storage__envelope__free_unpacked(req, NULL);
	if (rc != 0) {
		if (a)
			free(a->data);
		free(a);
		conn_close(c, "out of memory");
		return;
	}
	if (c->tail)
		c->tail->next = a;
	else
		c->head = a;
	c->tail = a;
	schedule_flush(srv);
}

static void on_close(struct frame_conn *fc, int code, const char *why, void *arg)
{
	struct ipc_conn *c = arg;

	if (code != 0)
		fprintf(stderr, "cetcd-storaged: IPC connection closed: %s\n", why);
	c->dead = 1;
	c->fc = NULL;
	frame_conn_free(fc);
	schedule_flush(c->srv);
}

static void answers_free(struct ipc_conn *c)
{
	while (c->head) {
		struct answer *a = c->head;
		c->head = a->next;
		free(a->data);
		free(a);
	}
	c->tail = NULL;
}

static void flush(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_server *srv = arg;
	char err[512] = "";
	int synced = store_sync(srv->store, err, sizeof(err)) == 0;

	srv->flush_pending = 0;
	for (struct ipc_conn **pp = &srv->conns; *pp;) {
		struct ipc_conn *c = *pp;
		while (!c->dead && c->head && !c->head->waiting) {
			struct answer *a = c->head;
			/* Not durable: the PERSIST fails, never a false ack. */
			if (!a->data || (a->needs_sync && !synced && pack_error(a->request_id, err, a) != 0)) {
				conn_close(c, "out of memory");
				break;
			}
			if (frame_conn_send(c->fc, a->data, a->len) != FRAME_OK) {
				conn_close(c, "the client does not read its answers");
				break;
			}
			c->head = a->next;
			if (!c->head)
				c->tail = NULL;
			free(a->data);
			free(a);
		}
		if (c->dead) {
			store_drop_streams(srv->store, c);
			store_drop_waiters(srv->store, c);
			answers_free(c);
			*pp = c->next;
			free(c);
			continue;
		}
		pp = &c->next;
	}
}

/* The store's answer to a deferred request (store_answer_fn): packed in
 * the place the request kept in its connection's queue. */
static void on_deferred_answer(void *arg, void *token, ProtobufCMessage *body)
{
	struct ipc_server *srv = arg;
	struct answer *a = token;
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&cetcd__storage__envelope__descriptor, (unsigned)a->type);
	int rc = -1;

	if (body && f && f->descriptor == body->descriptor) {
		env.version = CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
		env.type = a->type;
		env.request_id = a->request_id;
		env.body_case = a->type;
		*(ProtobufCMessage **)((char *)&env + f->offset) = body;
		rc = pack_envelope(&env, a);
	}
	/* If not even an ERROR fits, a->data stays NULL and the flush
	 * closes the connection rather than leave the request unanswered. */
	if (rc != 0)
		pack_error(a->request_id, "out of memory", a);
	if (body)
		protobuf_c_message_free_unpacked(body, NULL);
	a->waiting = 0;
	schedule_flush(srv);
}

struct ipc_server *ipc_server_new(struct event_base *base, struct store *store)
{
	struct ipc_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->base = base;
	srv->store = store;
	srv->flush_ev = event_new(base, -1, 0, flush, srv);
	if (!srv->flush_ev) {
		free(srv);
		return NULL;
	}
	if (store_loop_attach(store, base, on_deferred_answer, srv) != 0) {
		event_free(srv->flush_ev);
		free(srv);
		return NULL;
	}
	return srv;
}

int ipc_server_add(struct ipc_server *srv, int fd)
{
	struct ipc_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return -1;
	}
	c->srv = srv;
	c->fc = frame_conn_new(srv->base, fd, IPC_MAX_FRAME, IPC_MAX_PENDING, on_frame, on_close, c);
	if (!c->fc) {
		free(c);
		return -1;
	}
	c->next = srv->conns;
	srv->conns = c;
	return 0;
}

static int output_pending(struct ipc_server *srv)
{
	for (struct ipc_conn *c = srv->conns; c; c = c->next)
		if (!c->dead && (c->head || frame_conn_pending(c->fc)))
			return 1;
	return 0;
}

void ipc_server_drain(struct ipc_server *srv, int timeout_ms)
{
	if (!srv)
		return;
	/* Nothing new is taken in; what was read is answered. */
	for (struct ipc_conn *c = srv->conns; c; c = c->next)
		if (!c->dead)
			frame_conn_set_reading(c->fc, false);
	flush(-1, 0, srv);
	for (int waited = 0; waited < timeout_ms && output_pending(srv); waited += 10) {
		struct timeval tv = { 0, 10000 };
		event_base_loopexit(srv->base, &tv);
		event_base_dispatch(srv->base);
	}
}

void ipc_server_free(struct ipc_server *srv)
{
	if (!srv)
		return;
	flush(-1, 0, srv);
	while (srv->conns) {
		struct ipc_conn *c = srv->conns;
		srv->conns = c->next;
		store_drop_streams(srv->store, c);
		store_drop_waiters(srv->store, c);
		conn_close(c, NULL);
		answers_free(c);
		free(c);
	}
	store_loop_detach(srv->store);
	event_free(srv->flush_ev);
	free(srv);
}
