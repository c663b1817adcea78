/*
 * check_ipc.c - the storage protocol end to end, in process: a client on a
 * socketpair drives the IPC server through bootstrap, persist, apply,
 * reads and restart, and bad frames close only their own connection.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "proto/storage.pb-c.h"
#include "storaged/datadir.h"
#include "storaged/db.h"
#include "storaged/ipc.h"
#include "storaged/mvcc.h"
#include "storaged/store.h"

static char dir[64];
static struct datadir dd;
static struct store st;
static struct event_base *base;
static struct ipc_server *srv;
static struct store_options opts;
static uint64_t next_index = 1, next_req = 100;

static void start(void)
{
	char err[512];
	ck_assert_int_eq(datadir_open(&dd, dir, NULL, err, sizeof(err)), 0);
	ck_assert_msg(store_open(&st, &dd, &opts, err, sizeof(err)) == 0, "%s", err);
	base = event_base_new();
	srv = ipc_server_new(base, &st);
	ck_assert_ptr_nonnull(srv);
}

static void stop(void)
{
	ipc_server_free(srv);
	event_base_free(base);
	store_close(&st);
	datadir_close(&dd);
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	store_options_init(&opts);
	next_index = 1;
	strcpy(dir, "/tmp/check_ipc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	start();
}

static void teardown(void)
{
	char cmd[128];
	stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int connect_client(void)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(ipc_server_add(srv, sv[0]), 0);
	return sv[1];
}

/* One pass of the server's loop, as event_base_dispatch() makes them: a
 * plain EVLOOP_NONBLOCK would go on while any callback is active, e.g.
 * through every maintenance step in a row. */
static void loop_once(void)
{
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Writes all of p, running the server's loop while the socket is full:
 * a frame bigger than the socket buffer would block both ends otherwise. */
static void send_all(int fd, const uint8_t *p, size_t n)
{
	for (int i = 0; n > 0 && i < 100000; i++) {
		ssize_t w = send(fd, p, n, MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		loop_once();
	}
	ck_assert_msg(n == 0, "cannot send a frame");
}

static void send_raw(int fd, const void *p, size_t n)
{
	uint32_t be = htonl((uint32_t)n);
	send_all(fd, (const uint8_t *)&be, 4);
	send_all(fd, p, n);
}

static void send_env(int fd, Cetcd__Storage__Envelope *e)
{
	uint8_t buf[65536];
	size_t n = protobuf_c_message_pack(&e->base, buf);
	send_raw(fd, buf, n);
}

/* Runs the loop until fd has a whole frame, and decodes it (NULL on EOF). */
static Cetcd__Storage__Envelope *recv_env(int fd)
{
	/* Pipelined answers may arrive in one read: keep what follows. */
	static uint8_t buf[16 << 20];
	static size_t have;
	static int have_fd = -1;
	if (have_fd != fd)
		have = 0;
	have_fd = fd;
	for (int i = 0; i < 2000; i++) {
		if (have >= 4) {
			uint32_t len;
			memcpy(&len, buf, 4);
			len = ntohl(len);
			if (have >= 4 + len) {
				Cetcd__Storage__Envelope *e = cetcd__storage__envelope__unpack(NULL, len, buf + 4);
				memmove(buf, buf + 4 + len, have - 4 - len);
				have -= 4 + len;
				return e;
			}
		}
		loop_once();
		ssize_t r = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (r == 0)
			return NULL;
		if (r > 0) {
			have += (size_t)r;
			continue;
		}
		usleep(1000);
	}
	ck_abort_msg("no answer");
	return NULL;
}

static Cetcd__Storage__Envelope env(int type, uint64_t id)
{
	Cetcd__Storage__Envelope e = CETCD__STORAGE__ENVELOPE__INIT;
	e.version = 1;
	e.type = type;
	e.request_id = id;
	e.body_case = type;
	return e;
}

/* A raftpb.Entry carrying an InternalRaftRequest{put: {key, value}}. */
static Raftpb__Entry *put_entry(uint64_t index, const char *k, const char *v, uint8_t *buf)
{
	static Raftpb__Entry e;
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	p.key = (ProtobufCBinaryData){ strlen(k), (uint8_t *)k };
	p.value = (ProtobufCBinaryData){ strlen(v), (uint8_t *)v };
	r.put = &p;
	r.id = index;
	raftpb__entry__init(&e);
	e.index = index;
	e.term = 1;
	e.has_data = 1;
	e.data.len = protobuf_c_message_pack(&r.base, buf);
	e.data.data = buf;
	return &e;
}

static void bootstrap(int fd)
{
	Cetcd__Storage__BootstrapRequest b = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
	Cetcd__Storage__Envelope e = env(CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST, 1);
	b.node_id = 7;
	b.cluster_id = 9;
	e.bootstrap_request = &b;
	send_env(fd, &e);
	Cetcd__Storage__Envelope *a = recv_env(fd);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_RESPONSE);
	ck_assert_uint_eq(a->request_id, 1);
	cetcd__storage__envelope__free_unpacked(a, NULL);
}

START_TEST(write_path_and_restart)
{
	int fd = connect_client();
	uint8_t b1[256], b2[256];

	bootstrap(fd);
	/* Two PERSISTs pipelined: both answered, in order. */
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	hs.term = 1;
	hs.commit = 2;
	hs.vote = 7;
	Raftpb__Entry e1 = *put_entry(1, "foo", "bar", b1);
	Raftpb__Entry e2 = *put_entry(2, "foo", "baz", b2);
	Raftpb__Entry *one[] = { &e1 }, *two[] = { &e2 };
	Cetcd__Storage__PersistRequest p1 = CETCD__STORAGE__PERSIST_REQUEST__INIT, p2 = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	p1.entries = one;
	p1.n_entries = 1;
	p2.entries = two;
	p2.n_entries = 1;
	p2.hard_state = &hs;
	Cetcd__Storage__Envelope m1 = env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, 10);
	Cetcd__Storage__Envelope m2 = env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, 11);
	m1.persist_request = &p1;
	m2.persist_request = &p2;
	send_env(fd, &m1);
	send_env(fd, &m2);
	for (uint64_t id = 10; id <= 11; id++) {
		Cetcd__Storage__Envelope *a = recv_env(fd);
		ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE);
		ck_assert_uint_eq(a->request_id, id);
		ck_assert_uint_eq(a->persist_response->last_index, id - 9);
		cetcd__storage__envelope__free_unpacked(a, NULL);
	}

	/* APPLY both: one revision each; the second entry replays nothing twice. */
	Raftpb__Entry *both[] = { &e1, &e2 };
	Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
	ap.entries = both;
	ap.n_entries = 2;
	Cetcd__Storage__Envelope m3 = env(CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, 12);
	m3.apply_request = &ap;
	send_env(fd, &m3);
	Cetcd__Storage__Envelope *a = recv_env(fd);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_RESPONSE);
	ck_assert_uint_eq(a->apply_response->n_results, 2);
	ck_assert_int_eq(a->apply_response->results[1]->put->header->revision, 3);
	ck_assert_uint_eq(a->apply_response->results[1]->n_events, 1);
	ck_assert_uint_eq(a->apply_response->applied_index, 2);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	/* Applying the same entries again (a replay) skips them. */
	send_env(fd, &m3);
	a = recv_env(fd);
	ck_assert(a->apply_response->results[0]->skipped);
	ck_assert(a->apply_response->results[1]->skipped);
	ck_assert_int_eq(a->apply_response->revision, 3);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	close(fd);

	/* A restart keeps the log, the hard state and the applied state. */
	stop();
	start();
	fd = connect_client();
	Cetcd__Storage__InitialStateRequest is = CETCD__STORAGE__INITIAL_STATE_REQUEST__INIT;
	Cetcd__Storage__Envelope m4 = env(CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST, 13);
	m4.initial_state_request = &is;
	send_env(fd, &m4);
	a = recv_env(fd);
	Cetcd__Storage__InitialStateResponse *r = a->initial_state_response;
	ck_assert(!r->fresh);
	ck_assert_uint_eq(r->node_id, 7);
	ck_assert_uint_eq(r->cluster_id, 9);
	ck_assert_uint_eq(r->hard_state->commit, 2);
	ck_assert_uint_eq(r->hard_state->vote, 7);
	ck_assert_uint_eq(r->last_index, 2);
	ck_assert_uint_eq(r->n_entries, 2);
	ck_assert_uint_eq(r->applied_index, 2);
	ck_assert_int_eq(r->revision, 3);
	cetcd__storage__envelope__free_unpacked(a, NULL);

	/* A read sees the applied value. */
	Etcdserverpb__RangeRequest rq = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Cetcd__Storage__ReadRangeRequest rr = CETCD__STORAGE__READ_RANGE_REQUEST__INIT;
	rq.key = (ProtobufCBinaryData){ 3, (uint8_t *)"foo" };
	rr.request = &rq;
	Cetcd__Storage__Envelope m5 = env(CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST, 14);
	m5.read_range_request = &rr;
	send_env(fd, &m5);
	a = recv_env(fd);
	ck_assert_ptr_null(a->read_range_response->error);
	ck_assert_uint_eq(a->read_range_response->response->n_kvs, 1);
	ck_assert(memcmp(a->read_range_response->response->kvs[0]->value.data, "baz", 3) == 0);
	ck_assert_int_eq(a->read_range_response->response->kvs[0]->version, 2);
	cetcd__storage__envelope__free_unpacked(a, NULL);

	/* Raft's storage interface: Entries and Term. */
	Cetcd__Storage__EntriesRequest er = CETCD__STORAGE__ENTRIES_REQUEST__INIT;
	er.lo = 1;
	er.hi = 3;
	Cetcd__Storage__Envelope m6 = env(CETCD__STORAGE__MSG_TYPE__MSG_ENTRIES_REQUEST, 15);
	m6.entries_request = &er;
	send_env(fd, &m6);
	a = recv_env(fd);
	ck_assert_uint_eq(a->entries_response->n_entries, 2);
	ck_assert_uint_eq(a->entries_response->entries[1]->index, 2);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	er.hi = 9;
	send_env(fd, &m6);
	a = recv_env(fd);
	ck_assert_ptr_nonnull(a->entries_response->error);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	close(fd);
}
END_TEST

START_TEST(bad_frames_close_only_their_connection)
{
	int good = connect_client();
	int bad = connect_client();

	send_raw(bad, "\xff\xff\xff\xff garbage", 13);
	ck_assert_ptr_null(recv_env(bad));
	close(bad);

	/* A valid envelope whose type is not a request. */
	bad = connect_client();
	Cetcd__Storage__Envelope e = env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE, 1);
	Cetcd__Storage__PersistResponse pr = CETCD__STORAGE__PERSIST_RESPONSE__INIT;
	e.persist_response = &pr;
	send_env(bad, &e);
	ck_assert_ptr_null(recv_env(bad));
	close(bad);

	/* An oversized frame. */
	bad = connect_client();
	uint32_t huge = htonl((uint32_t)IPC_MAX_FRAME + 1);
	ck_assert_int_eq(write(bad, &huge, 4), 4);
	ck_assert_ptr_null(recv_env(bad));
	close(bad);

	/* A request that cannot be served at all: an ERROR answer. */
	Cetcd__Storage__Envelope h = env(CETCD__STORAGE__MSG_TYPE__MSG_READ_TXN_REQUEST, 5);
	Cetcd__Storage__ReadTxnRequest hr = CETCD__STORAGE__READ_TXN_REQUEST__INIT;
	h.read_txn_request = &hr;
	send_env(good, &h);
	Cetcd__Storage__Envelope *a = recv_env(good);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_ERROR);
	ck_assert_uint_eq(a->request_id, 5);
	cetcd__storage__envelope__free_unpacked(a, NULL);

	/* The good connection still works, and persisting before bootstrap
	 * is an error, not an acknowledgement. */
	Cetcd__Storage__Envelope s = env(CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST, 6);
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;
	s.status_request = &sr;
	send_env(good, &s);
	a = recv_env(good);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_STATUS_RESPONSE);
	ck_assert_int_gt(a->status_response->db_size, 0);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	Cetcd__Storage__Envelope p = env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, 7);
	Cetcd__Storage__PersistRequest preq = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	p.persist_request = &preq;
	send_env(good, &p);
	a = recv_env(good);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_ERROR);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	close(good);
}
END_TEST


/* ---- helpers for the operations beyond the write path ---- */

static Cetcd__Storage__Envelope *call(int fd, int type, void *body)
{
	Cetcd__Storage__Envelope e = env(type, next_req++);
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&cetcd__storage__envelope__descriptor, (unsigned)type);
	*(void **)((char *)&e + f->offset) = body;
	uint8_t *buf = malloc(protobuf_c_message_get_packed_size(&e.base) + 1);
	size_t n = protobuf_c_message_pack(&e.base, buf);
	send_raw(fd, buf, n);
	free(buf);
	Cetcd__Storage__Envelope *a = recv_env(fd);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg((int)a->type == type + 1, "answer type %d to %d: %s", a->type, type,
	    a->type == CETCD__STORAGE__MSG_TYPE__MSG_ERROR ? a->error->message : "");
	return a;
}

#define FREE(a) cetcd__storage__envelope__free_unpacked((a), NULL)

/* Persists and applies one entry (data = req packed, or a conf change);
 * returns the APPLY answer (free with FREE). */
static Cetcd__Storage__Envelope *commit_entry(int fd, int type, const ProtobufCMessage *req,
    Raftpb__ConfState *cs)
{
	Raftpb__Entry e = RAFTPB__ENTRY__INIT, *one[] = { &e };
	e.index = next_index++;
	e.term = 1;
	e.type = type;
	e.has_data = 1;
	e.data.len = protobuf_c_message_get_packed_size(req);
	e.data.data = malloc(e.data.len + 1);
	protobuf_c_message_pack(req, e.data.data);
	Cetcd__Storage__PersistRequest p = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	hs.term = 1;
	hs.commit = e.index;	/* one member: committed once persisted */
	p.entries = one;
	p.n_entries = 1;
	p.hard_state = &hs;
	FREE(call(fd, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, &p));
	Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
	ap.entries = one;
	ap.n_entries = 1;
	ap.conf_state = cs;
	Cetcd__Storage__Envelope *a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, &ap);
	free(e.data.data);
	ck_assert_uint_eq(a->apply_response->n_results, 1);
	return a;
}

static Cetcd__Storage__Envelope *commit(int fd, Etcdserverpb__InternalRaftRequest *r)
{
	return commit_entry(fd, RAFTPB__ENTRY_TYPE__EntryNormal, &r->base, NULL);
}

static Cetcd__Storage__EntryResult *result(Cetcd__Storage__Envelope *a)
{
	return a->apply_response->results[0];
}

static Cetcd__Storage__Envelope *put_kv(int fd, const char *k, const char *v, size_t vlen, int64_t lease)
{
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	p.key = (ProtobufCBinaryData){ strlen(k), (uint8_t *)k };
	p.value = (ProtobufCBinaryData){ vlen, (uint8_t *)v };
	p.lease = lease;
	r.put = &p;
	return commit(fd, &r);
}

static Cetcd__Storage__Envelope *alarm_req(int fd, int action, uint64_t member, int type)
{
	Etcdserverpb__AlarmRequest ar = ETCDSERVERPB__ALARM_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	ar.action = action;
	ar.memberid = member;
	ar.alarm = type;
	r.alarm = &ar;
	return commit(fd, &r);
}

static Cetcd__Storage__Envelope *status(int fd)
{
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;
	return call(fd, CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST, &sr);
}

static Cetcd__Storage__Envelope *initial_state(int fd)
{
	Cetcd__Storage__InitialStateRequest is = CETCD__STORAGE__INITIAL_STATE_REQUEST__INIT;
	return call(fd, CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST, &is);
}

static int64_t range_count(int fd, const char *k, const char *end)
{
	Etcdserverpb__RangeRequest rq = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Cetcd__Storage__ReadRangeRequest rr = CETCD__STORAGE__READ_RANGE_REQUEST__INIT;
	rq.key = (ProtobufCBinaryData){ strlen(k), (uint8_t *)k };
	rq.range_end = (ProtobufCBinaryData){ strlen(end), (uint8_t *)end };
	rr.request = &rq;
	Cetcd__Storage__Envelope *a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST, &rr);
	ck_assert_ptr_null(a->read_range_response->error);
	int64_t n = a->read_range_response->response->count;
	FREE(a);
	return n;
}

START_TEST(reads_leases_and_hashes)
{
	int fd = connect_client();
	bootstrap(fd);

	/* A lease, a key on it, and a plain key. */
	Etcdserverpb__LeaseGrantRequest lg = ETCDSERVERPB__LEASE_GRANT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	lg.id = 42;
	lg.ttl = 60;
	r.lease_grant = &lg;
	Cetcd__Storage__Envelope *a = commit(fd, &r);
	ck_assert_int_eq(result(a)->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_LEASE_GRANT);
	ck_assert_int_eq(result(a)->lease_grant->id, 42);
	ck_assert_int_eq(result(a)->lease_grant->ttl, 60);
	FREE(a);
	a = commit(fd, &r);	/* again: lease already exists */
	ck_assert_str_eq(result(a)->error->message, "etcdserver: lease already exists");
	FREE(a);
	FREE(put_kv(fd, "leased", "x", 1, 42));
	FREE(put_kv(fd, "foo", "bar", 3, 0));

	/* READ_TXN: compares and a range at the current revision. */
	Etcdserverpb__Compare cmp = ETCDSERVERPB__COMPARE__INIT, *cmps[] = { &cmp };
	cmp.key = (ProtobufCBinaryData){ 3, (uint8_t *)"foo" };
	cmp.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__VALUE;
	cmp.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE;
	cmp.value = (ProtobufCBinaryData){ 3, (uint8_t *)"bar" };
	Etcdserverpb__RangeRequest rq = ETCDSERVERPB__RANGE_REQUEST__INIT;
	rq.key = (ProtobufCBinaryData){ 3, (uint8_t *)"foo" };
	Etcdserverpb__RequestOp op = ETCDSERVERPB__REQUEST_OP__INIT, *ops[] = { &op };
	op.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE;
	op.request_range = &rq;
	Etcdserverpb__TxnRequest txn = ETCDSERVERPB__TXN_REQUEST__INIT;
	txn.compare = cmps;
	txn.n_compare = 1;
	txn.success = ops;
	txn.n_success = 1;
	Cetcd__Storage__ReadTxnRequest rt = CETCD__STORAGE__READ_TXN_REQUEST__INIT;
	rt.request = &txn;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_READ_TXN_REQUEST, &rt);
	ck_assert_ptr_null(a->read_txn_response->error);
	ck_assert(a->read_txn_response->response->succeeded);
	ck_assert_int_eq(a->read_txn_response->response->header->revision, 3);
	ck_assert_uint_eq(a->read_txn_response->response->responses[0]->response_range->n_kvs, 1);
	FREE(a);
	/* A txn that writes is refused, and nothing changes. */
	Etcdserverpb__PutRequest pp = ETCDSERVERPB__PUT_REQUEST__INIT;
	pp.key = (ProtobufCBinaryData){ 3, (uint8_t *)"foo" };
	op.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT;
	op.request_put = &pp;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_READ_TXN_REQUEST, &rt);
	ck_assert_ptr_nonnull(a->read_txn_response->error);
	FREE(a);

	/* EVENTS_SINCE: both puts, with their revisions. */
	Cetcd__Storage__EventsSinceRequest es = CETCD__STORAGE__EVENTS_SINCE_REQUEST__INIT;
	es.key = (ProtobufCBinaryData){ 1, (uint8_t *)"\0" };
	es.range_end = (ProtobufCBinaryData){ 1, (uint8_t *)"\0" };
	es.start_revision = 1;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_EVENTS_SINCE_REQUEST, &es);
	ck_assert_ptr_null(a->events_since_response->error);
	ck_assert_uint_eq(a->events_since_response->n_events, 2);
	ck_assert_int_eq(a->events_since_response->events[1]->kv->mod_revision, 3);
	ck_assert_int_eq(a->events_since_response->next_revision, 4);
	ck_assert_int_eq(a->events_since_response->revision, 3);
	FREE(a);

	/* LEASES with keys; a checkpoint is kept. */
	Etcdserverpb__LeaseCheckpoint cp = ETCDSERVERPB__LEASE_CHECKPOINT__INIT, *cps[] = { &cp };
	Etcdserverpb__LeaseCheckpointRequest lc = ETCDSERVERPB__LEASE_CHECKPOINT_REQUEST__INIT;
	cp.id = 42;
	cp.remaining_ttl = 33;
	lc.checkpoints = cps;
	lc.n_checkpoints = 1;
	Etcdserverpb__InternalRaftRequest r2 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	r2.lease_checkpoint = &lc;
	a = commit(fd, &r2);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	Cetcd__Storage__LeasesRequest lr = CETCD__STORAGE__LEASES_REQUEST__INIT;
	lr.keys = 1;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_LEASES_REQUEST, &lr);
	ck_assert_uint_eq(a->leases_response->n_leases, 1);
	ck_assert_int_eq(a->leases_response->leases[0]->id, 42);
	ck_assert_int_eq(a->leases_response->leases[0]->remaining_ttl, 33);
	ck_assert_uint_eq(a->leases_response->leases[0]->n_keys, 1);
	ck_assert(!a->leases_response->more);
	FREE(a);

	/* HASH_KV is stable; revoking the lease deletes its key (an event)
	 * and changes it. */
	Cetcd__Storage__HashKVRequest hk = CETCD__STORAGE__HASH_KVREQUEST__INIT;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST, &hk);
	uint32_t h1 = a->hash_kv_response->hash;
	ck_assert_int_eq(a->hash_kv_response->revision, 3);
	FREE(a);
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST, &hk);
	ck_assert_uint_eq(a->hash_kv_response->hash, h1);
	FREE(a);
	Etcdserverpb__LeaseRevokeRequest rv = ETCDSERVERPB__LEASE_REVOKE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r3 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	rv.id = 42;
	r3.lease_revoke = &rv;
	a = commit(fd, &r3);
	ck_assert_int_eq(result(a)->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_LEASE_REVOKE);
	ck_assert_uint_eq(result(a)->n_events, 1);
	ck_assert_int_eq(result(a)->events[0]->type, MVCCPB__EVENT__EVENT_TYPE__DELETE);
	FREE(a);
	a = commit(fd, &r3);
	ck_assert_str_eq(result(a)->error->message, "etcdserver: requested lease not found");
	FREE(a);
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST, &hk);
	ck_assert_uint_ne(a->hash_kv_response->hash, h1);
	FREE(a);
	hk.revision = 3;	/* the old revision still hashes the same */
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST, &hk);
	ck_assert_uint_eq(a->hash_kv_response->hash, h1);
	FREE(a);
	Cetcd__Storage__HashRequest hr = CETCD__STORAGE__HASH_REQUEST__INIT;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_REQUEST, &hr);
	ck_assert_int_eq(a->hash_response->revision, 4);
	FREE(a);

	/* Compaction (applied), then COMPACT, events below it are gone. */
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r4 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	cr.revision = 4;
	r4.compaction = &cr;
	FREE(commit(fd, &r4));
	Cetcd__Storage__CompactRequest cq = CETCD__STORAGE__COMPACT_REQUEST__INIT;
	cq.revision = 4;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST, &cq);
	ck_assert_ptr_null(a->compact_response->error);
	FREE(a);
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_EVENTS_SINCE_REQUEST, &es);
	ck_assert_str_eq(a->events_since_response->error->message,
	    "etcdserver: mvcc: required revision has been compacted");
	ck_assert_int_eq(a->events_since_response->compact_revision, 4);
	FREE(a);
	hk.revision = 2;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST, &hk);
	ck_assert_ptr_nonnull(a->hash_kv_response->error);
	FREE(a);

	/* AUTH_STATE of a store without auth. */
	Cetcd__Storage__AuthStateRequest as = CETCD__STORAGE__AUTH_STATE_REQUEST__INIT;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_AUTH_STATE_REQUEST, &as);
	ck_assert(!a->auth_state_response->enabled);
	ck_assert_uint_eq(a->auth_state_response->n_users, 0);
	FREE(a);
	close(fd);
}
END_TEST

START_TEST(quota_alarm_and_defragment)
{
	static char big[16384];
	int fd = connect_client();
	bootstrap(fd);

	memset(big, 'x', sizeof(big));
	Cetcd__Storage__Envelope *a = status(fd);
	int64_t base_size = a->status_response->db_size;
	FREE(a);
	/* Reopen with a quota a few hundred KiB above the empty db. */
	close(fd);
	stop();
	opts.quota_bytes = base_size + (400 << 10);
	start();
	fd = connect_client();
	a = initial_state(fd);
	next_index = a->initial_state_response->last_index + 1;
	FREE(a);

	int i, failed_at = -1;
	for (i = 0; i < 200 && failed_at < 0; i++) {
		a = put_kv(fd, "big", big, sizeof(big), 0);
		if (result(a)->error) {
			ck_assert_str_eq(result(a)->error->message, "etcdserver: mvcc: database space exceeded");
			failed_at = i;
		}
		FREE(a);
	}
	ck_assert_int_gt(failed_at, 5);
	/* NOSPACE is raised for this member and shows in STATUS. */
	a = status(fd);
	ck_assert_uint_eq(a->status_response->n_alarms, 1);
	ck_assert_uint_eq(a->status_response->alarms[0]->memberid, 7);
	ck_assert_int_eq(a->status_response->alarms[0]->alarm, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	FREE(a);
	/* Small puts fail too (the applier is capped), reads and deletes work. */
	a = put_kv(fd, "small", "1", 1, 0);
	ck_assert_ptr_nonnull(result(a)->error);
	FREE(a);
	ck_assert_int_eq(range_count(fd, "big", ""), 1);
	Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	d.key = (ProtobufCBinaryData){ 3, (uint8_t *)"big" };
	r.delete_range = &d;
	a = commit(fd, &r);
	ck_assert_ptr_null(result(a)->error);
	int64_t rev = a->apply_response->revision;
	FREE(a);
	/* It survives a restart. */
	close(fd);
	stop();
	start();
	fd = connect_client();
	a = initial_state(fd);
	ck_assert_uint_eq(a->initial_state_response->n_alarms, 1);
	FREE(a);
	a = put_kv(fd, "small", "1", 1, 0);
	ck_assert_ptr_nonnull(result(a)->error);
	FREE(a);
	/* Compact, defragment: the file shrinks; disarm: puts work again. */
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r2 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	cr.revision = rev;
	r2.compaction = &cr;
	a = commit(fd, &r2);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	Cetcd__Storage__DefragmentRequest dr = CETCD__STORAGE__DEFRAGMENT_REQUEST__INIT;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST, &dr);
	ck_assert_ptr_null(a->defragment_response->error);
	ck_assert_int_lt(a->defragment_response->db_size_after, a->defragment_response->db_size_before);
	ck_assert_int_lt(a->defragment_response->db_size_after, opts.quota_bytes);
	FREE(a);
	a = alarm_req(fd, ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__GET, 0, ETCDSERVERPB__ALARM_TYPE__NONE);
	ck_assert_uint_eq(result(a)->alarm->n_alarms, 1);
	FREE(a);
	a = alarm_req(fd, ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE, 7, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(result(a)->alarm->n_alarms, 1);
	FREE(a);
	a = put_kv(fd, "small", "1", 1, 0);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	a = status(fd);
	ck_assert_uint_eq(a->status_response->n_alarms, 0);
	FREE(a);
	/* An alarm raised through APPLY caps the applier the same way. */
	a = alarm_req(fd, ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__ACTIVATE, 9, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(result(a)->alarm->n_alarms, 1);
	FREE(a);
	a = put_kv(fd, "small", "2", 1, 0);
	ck_assert_ptr_nonnull(result(a)->error);
	FREE(a);
	a = alarm_req(fd, ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE, 9, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	FREE(a);
	a = put_kv(fd, "small", "2", 1, 0);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	close(fd);
}
END_TEST

static const char *member_json =
    "{\"id\":18446744073709551615,\"peerURLs\":[\"http://10.0.0.2:2380\"],\"isLearner\":false}";

static Cetcd__Storage__Envelope *conf_change(int fd, int type, uint64_t id, const char *ctx)
{
	Raftpb__ConfChange cc = RAFTPB__CONF_CHANGE__INIT;
	Raftpb__ConfState cs = RAFTPB__CONF_STATE__INIT;
	uint64_t voters[] = { 7, id };
	cc.type = type;
	cc.node_id = id;
	cc.id = 1;
	if (ctx) {
		cc.has_context = 1;
		cc.context = (ProtobufCBinaryData){ strlen(ctx), (uint8_t *)ctx };
	}
	cs.voters = voters;
	cs.n_voters = 2;
	return commit_entry(fd, RAFTPB__ENTRY_TYPE__EntryConfChange, &cc.base, &cs);
}

START_TEST(membership_changes)
{
	int fd = connect_client();
	Cetcd__Storage__BootstrapRequest b = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
	Etcdserverpb__Member m = ETCDSERVERPB__MEMBER__INIT, *ms[] = { &m };
	char *purls[] = { "http://10.0.0.1:2380" };
	m.id = 7;
	m.name = "one";
	m.peerurls = purls;
	m.n_peerurls = 1;
	b.node_id = 7;
	b.cluster_id = 9;
	b.members = ms;
	b.n_members = 1;
	FREE(call(fd, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST, &b));

	uint64_t id = 1234567;
	Cetcd__Storage__Envelope *a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddNode, id, member_json);
	ck_assert_ptr_null(result(a)->error);
	ck_assert_int_eq(result(a)->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_CONF_CHANGE);
	ck_assert_uint_eq(result(a)->conf_change->n_members, 2);
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddNode, id, member_json);
	ck_assert_str_eq(result(a)->error->message, "etcdserver: member ID already exist");
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddNode, 99, member_json);
	ck_assert_str_eq(result(a)->error->message, "etcdserver: Peer URLs already exists");
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeUpdateNode, id,
	    "{\"peerURLs\":[\"http://10.0.0.3:2380\"]}");
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeRemoveNode, id, NULL);
	ck_assert_uint_eq(result(a)->conf_change->n_members, 1);
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeRemoveNode, id, NULL);
	ck_assert_str_eq(result(a)->error->message, "etcdserver: member not found");
	FREE(a);
	/* A learner, then its promotion. */
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddLearnerNode, 55,
	    "{\"peerURLs\":[\"http://10.0.0.5:2380\"],\"isLearner\":true}");
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	a = conf_change(fd, RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddNode, 55,
	    "{\"peerURLs\":[\"http://10.0.0.5:2380\"],\"isPromote\":true}");
	ck_assert_ptr_null(result(a)->error);
	FREE(a);

	/* After a restart: members and the configuration APPLY stored. */
	close(fd);
	stop();
	start();
	fd = connect_client();
	a = initial_state(fd);
	Cetcd__Storage__InitialStateResponse *is = a->initial_state_response;
	ck_assert_uint_eq(is->n_members, 2);
	ck_assert_str_eq(is->members[0]->name, "one");
	ck_assert_uint_eq(is->members[1]->id, 55);
	ck_assert(!is->members[1]->islearner);
	ck_assert_ptr_nonnull(is->conf_state);
	ck_assert_uint_eq(is->conf_state->n_voters, 2);
	ck_assert_uint_eq(is->conf_state->voters[1], 55);
	FREE(a);
	close(fd);
}
END_TEST

/* Pulls the whole db through DB_STREAM in small chunks. */
static uint8_t *db_pull(int fd, size_t *len, uint64_t *applied)
{
	Cetcd__Storage__DbStreamRequest ds = CETCD__STORAGE__DB_STREAM_REQUEST__INIT;
	uint8_t *buf = NULL;
	*len = 0;
	ds.max_chunk = 8192;
	for (int first = 1;; first = 0) {
		Cetcd__Storage__Envelope *a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST, &ds);
		Cetcd__Storage__DbStreamResponse *r = a->db_stream_response;
		ck_assert_ptr_null(r->error);
		if (first)
			*applied = r->applied_index;
		ck_assert_uint_le(r->chunk.len, 8192);
		buf = realloc(buf, *len + r->chunk.len + 1);
		memcpy(buf + *len, r->chunk.data, r->chunk.len);
		*len += r->chunk.len;
		ds.stream_id = r->stream_id;
		int done = r->done;
		FREE(a);
		if (done)
			break;
	}
	return buf;
}

START_TEST(snapshots_streams_and_installs)
{
	char path[256];
	int fd = connect_client();

	close(fd);
	stop();
	opts.snapshot_count = 10;
	opts.max_snapshots = 2;
	start();
	fd = connect_client();
	bootstrap(fd);
	for (int i = 0; i < 25; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%02d", i);
		FREE(put_kv(fd, k, "v", 1, 0));
	}
	/* Snapshots were taken (applied - snapshot > 10 at 11 and 22). */
	snprintf(path, sizeof(path), "%s/member/snap/%016llx-%016llx.snap", dir, 1ULL, 22ULL);
	ck_assert_msg(access(path, F_OK) == 0, "no %s", path);
	/* An explicit one at the applied index; an older one is refused. */
	Cetcd__Storage__CreateSnapshotRequest cs = CETCD__STORAGE__CREATE_SNAPSHOT_REQUEST__INIT;
	cs.index = 25;
	Cetcd__Storage__Envelope *a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_CREATE_SNAPSHOT_REQUEST, &cs);
	ck_assert_ptr_null(a->create_snapshot_response->error);
	ck_assert_uint_eq(a->create_snapshot_response->metadata->index, 25);
	ck_assert_uint_eq(a->create_snapshot_response->metadata->term, 1);
	FREE(a);
	/* --max-snapshots 2: the one at 11 is gone, 22 and 25 stay. */
	snprintf(path, sizeof(path), "%s/member/snap/%016llx-%016llx.snap", dir, 1ULL, 11ULL);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/member/snap/%016llx-%016llx.snap", dir, 1ULL, 22ULL);
	ck_assert_int_eq(access(path, F_OK), 0);
	cs.index = 20;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_CREATE_SNAPSHOT_REQUEST, &cs);
	ck_assert_ptr_nonnull(a->create_snapshot_response->error);
	FREE(a);
	/* The in-memory log was compacted: below it, ErrCompacted. */
	Cetcd__Storage__EntriesRequest er = CETCD__STORAGE__ENTRIES_REQUEST__INIT;
	er.lo = 1;
	er.hi = 3;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_ENTRIES_REQUEST, &er);
	ck_assert_ptr_nonnull(a->entries_response->error);
	FREE(a);

	/* A restart starts from the newest snapshot. */
	close(fd);
	stop();
	start();
	fd = connect_client();
	a = initial_state(fd);
	Cetcd__Storage__InitialStateResponse *is = a->initial_state_response;
	ck_assert_ptr_nonnull(is->snapshot);
	ck_assert_uint_eq(is->snapshot->index, 25);
	ck_assert_uint_eq(is->first_index, 26);
	ck_assert_uint_eq(is->last_index, 25);
	ck_assert_uint_eq(is->applied_index, 25);
	FREE(a);
	next_index = 26;

	/* DB_STREAM a copy, write more, install the copy back: the store
	 * returns to the copy's state. */
	size_t len;
	uint64_t applied;
	uint8_t *copy = db_pull(fd, &len, &applied);
	ck_assert_uint_eq(applied, 25);
	ck_assert_uint_gt(len, 8192);
	FREE(put_kv(fd, "later", "v", 1, 0));
	ck_assert_int_eq(range_count(fd, "a", "z"), 26);
	/* An abandoned stream is fine. */
	Cetcd__Storage__DbStreamRequest ds = CETCD__STORAGE__DB_STREAM_REQUEST__INIT;
	ds.max_chunk = 100;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST, &ds);
	ds.stream_id = a->db_stream_response->stream_id;
	ds.close = 1;
	FREE(a);
	FREE(call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST, &ds));

	Cetcd__Storage__InstallSnapshotRequest in = CETCD__STORAGE__INSTALL_SNAPSHOT_REQUEST__INIT;
	for (size_t off = 0; off < len; off += 5000) {
		size_t n = len - off < 5000 ? len - off : 5000;
		in.chunk = (ProtobufCBinaryData){ n, copy + off };
		in.done = off + n == len;
		a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_INSTALL_SNAPSHOT_REQUEST, &in);
		ck_assert_ptr_null(a->install_snapshot_response->error);
		in.stream_id = a->install_snapshot_response->stream_id;
		if (in.done) {
			ck_assert_uint_eq(a->install_snapshot_response->applied_index, 25);
			ck_assert_int_eq(a->install_snapshot_response->revision, 26);
		}
		FREE(a);
	}
	free(copy);
	ck_assert_int_eq(range_count(fd, "a", "z"), 25);
	/* Garbage is refused, and the store stays. */
	in.stream_id = 0;
	in.chunk = (ProtobufCBinaryData){ 5, (uint8_t *)"hello" };
	in.done = 1;
	Cetcd__Storage__Envelope e = env(CETCD__STORAGE__MSG_TYPE__MSG_INSTALL_SNAPSHOT_REQUEST, 77);
	e.install_snapshot_request = &in;
	send_env(fd, &e);
	a = recv_env(fd);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_ERROR);
	FREE(a);
	ck_assert_int_eq(range_count(fd, "a", "z"), 25);

	/* PERSIST with the leader's snapshot: the log restarts after it. */
	Raftpb__Snapshot sn = RAFTPB__SNAPSHOT__INIT;
	Raftpb__SnapshotMetadata md = RAFTPB__SNAPSHOT_METADATA__INIT;
	Raftpb__ConfState conf = RAFTPB__CONF_STATE__INIT;
	uint64_t voters[] = { 7 };
	conf.voters = voters;
	conf.n_voters = 1;
	md.index = 40;
	md.term = 2;
	md.conf_state = &conf;
	sn.metadata = &md;
	Cetcd__Storage__PersistRequest p = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	hs.term = 2;
	hs.commit = 40;		/* raft sends the commit with the snapshot */
	p.snapshot = &sn;
	p.hard_state = &hs;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, &p);
	ck_assert_uint_eq(a->persist_response->last_index, 40);
	FREE(a);
	close(fd);
	stop();
	start();
	fd = connect_client();
	a = initial_state(fd);
	is = a->initial_state_response;
	ck_assert_uint_eq(is->snapshot->index, 40);
	ck_assert_uint_eq(is->snapshot->term, 2);
	ck_assert_uint_eq(is->first_index, 41);
	ck_assert_uint_eq(is->conf_state->n_voters, 1);
	FREE(a);
	close(fd);
}
END_TEST

/* ---- maintenance off the write path: checkpoints, compaction, defrag ---- */

/* Persists, then applies, n puts of vlen-byte values to keys
 * "<prefix><i % nkeys>" in one PERSIST and one APPLY; returns the
 * revision after them. */
static int64_t put_batch(int fd, const char *prefix, int n, int nkeys, size_t vlen)
{
	Raftpb__Entry *ents = calloc((size_t)n, sizeof(*ents));
	Raftpb__Entry **pp = calloc((size_t)n, sizeof(*pp));
	char *val = malloc(vlen + 1);
	ck_assert(ents && pp && val);
	memset(val, 'v', vlen);
	for (int i = 0; i < n; i++) {
		char key[64];
		Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
		Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
		snprintf(key, sizeof(key), "%s%06d", prefix, i % nkeys);
		p.key = (ProtobufCBinaryData){ strlen(key), (uint8_t *)key };
		p.value = (ProtobufCBinaryData){ vlen, (uint8_t *)val };
		r.put = &p;
		raftpb__entry__init(&ents[i]);
		ents[i].index = next_index++;
		ents[i].term = 1;
		ents[i].has_data = 1;
		ents[i].data.len = protobuf_c_message_get_packed_size(&r.base);
		ents[i].data.data = malloc(ents[i].data.len);
		protobuf_c_message_pack(&r.base, ents[i].data.data);
		pp[i] = &ents[i];
	}
	Cetcd__Storage__PersistRequest pr = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	hs.term = 1;
	hs.commit = ents[n - 1].index;
	pr.entries = pp;
	pr.n_entries = (size_t)n;
	pr.hard_state = &hs;
	FREE(call(fd, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, &pr));
	Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
	ap.entries = pp;
	ap.n_entries = (size_t)n;
	Cetcd__Storage__Envelope *a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, &ap);
	ck_assert_uint_eq(a->apply_response->n_results, (size_t)n);
	for (int i = 0; i < n; i++)
		ck_assert_ptr_null(a->apply_response->results[i]->error);
	int64_t rev = a->apply_response->revision;
	FREE(a);
	for (int i = 0; i < n; i++)
		free(ents[i].data.data);
	free(ents);
	free(pp);
	free(val);
	return rev;
}

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

START_TEST(checkpoints_keep_the_wal_bounded)
{
	/* A small limit, so the worker's TRUNCATE takes part too. */
	stop();
	opts.wal_limit_bytes = 256 << 10;
	start();
	int fd = connect_client();
	bootstrap(fd);
	int64_t max_wal = 0;
	/* 60 batches of 50 x 4 KiB: about 20 MiB through SQLite's WAL. With
	 * no checkpoint (wal_autocheckpoint is off) the file would hold all
	 * of it; with SQLite's own autocheckpoint (1000 pages of 16 KiB) it
	 * would reach 16 MiB. */
	for (int i = 0; i < 60; i++) {
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "w%02d/", i);
		put_batch(fd, prefix, 50, 50, 4096);
		int64_t w = db_wal_bytes(dd.db);
		if (w > max_wal)
			max_wal = w;
	}
	ck_assert_msg(max_wal < (4 << 20), "the -wal file reached %lld bytes", (long long)max_wal);
	/* ...because the data went on into the db file. */
	ck_assert_int_gt(file_size(dd.db), 8 << 20);
	/* SIGTERM's path: the worker stops before the db closes, and the
	 * store reopens on what it left. */
	close(fd);
	stop();
	start();
	fd = connect_client();
	ck_assert_int_eq(range_count(fd, "w", "x"), 3000);
	close(fd);
}
END_TEST

START_TEST(compaction_runs_in_steps_between_batches)
{
	int fd = connect_client();
	bootstrap(fd);
	/* 6000 revisions of 300 keys: nearly 6000 rows for the compaction
	 * to delete, 1000 per step. */
	for (int i = 0; i < 12; i++)
		put_batch(fd, "c", 500, 300, 10);
	int64_t rev = mvcc_current_revision(st.mvcc);
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	cr.revision = rev - 1;
	r.compaction = &cr;
	Cetcd__Storage__Envelope *a = commit(fd, &r);
	ck_assert_ptr_null(result(a)->error);
	ck_assert_int_eq(result(a)->compaction->header->revision, rev);
	FREE(a);
	/* The APPLY only set the compaction point: the deletes are left to
	 * steps between batches... */
	ck_assert(mvcc_compact_pending(st.mvcc));
	/* ...yet reads below it fail at once. */
	Etcdserverpb__RangeRequest rq = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Cetcd__Storage__ReadRangeRequest rr = CETCD__STORAGE__READ_RANGE_REQUEST__INIT;
	rq.key = (ProtobufCBinaryData){ 1, (uint8_t *)"c" };
	rq.range_end = (ProtobufCBinaryData){ 1, (uint8_t *)"d" };
	rq.revision = 10;
	rr.request = &rq;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST, &rr);
	ck_assert_ptr_nonnull(a->read_range_response->error);
	ck_assert_str_eq(a->read_range_response->error->message,
	    "etcdserver: mvcc: required revision has been compacted");
	FREE(a);
	/* A batch applies while the compaction is in hand. */
	a = put_kv(fd, "c-during", "1", 1, 0);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	/* COMPACT is answered once the last step ran. */
	Cetcd__Storage__CompactRequest cq = CETCD__STORAGE__COMPACT_REQUEST__INIT;
	cq.revision = rev - 1;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST, &cq);
	ck_assert_ptr_null(a->compact_response->error);
	FREE(a);
	ck_assert(!mvcc_compact_pending(st.mvcc));
	/* What the compaction kept reads as before. */
	ck_assert_int_eq(range_count(fd, "c", "d"), 301);
	rq.revision = rev - 1;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST, &rr);
	ck_assert_ptr_null(a->read_range_response->error);
	ck_assert_int_eq(a->read_range_response->response->count, 300);
	FREE(a);
	/* A COMPACT with nothing pending is answered at once; a future one
	 * fails. */
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST, &cq);
	ck_assert_ptr_null(a->compact_response->error);
	FREE(a);
	cq.revision = rev + 100;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST, &cq);
	ck_assert_ptr_nonnull(a->compact_response->error);
	FREE(a);
	close(fd);
}
END_TEST

START_TEST(defragment_runs_in_steps_between_batches)
{
	int fd = connect_client(), fd2 = connect_client();
	bootstrap(fd);
	/* About 10 MiB of values, then deleted and compacted: some 600 free
	 * pages of 16 KiB, several steps of DB_DEFRAG_STEP_PAGES. */
	for (int i = 0; i < 6; i++)
		put_batch(fd, "d", 100, 600, 16000);
	Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	d.key = (ProtobufCBinaryData){ 1, (uint8_t *)"d" };
	d.range_end = (ProtobufCBinaryData){ 1, (uint8_t *)"e" };
	r.delete_range = &d;
	Cetcd__Storage__Envelope *a = commit(fd, &r);
	int64_t rev = a->apply_response->revision;
	FREE(a);
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r2 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	cr.revision = rev;
	r2.compaction = &cr;
	FREE(commit(fd, &r2));
	int64_t file_before = file_size(dd.db);

	/* DEFRAGMENT on one connection (answered when done), while batches
	 * go on through another. */
	Cetcd__Storage__DefragmentRequest dr = CETCD__STORAGE__DEFRAGMENT_REQUEST__INIT;
	Cetcd__Storage__Envelope e = env(CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST, 555);
	e.defragment_request = &dr;
	send_env(fd2, &e);
	a = put_kv(fd, "after", "1", 1, 0);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	a = recv_env(fd2);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_RESPONSE);
	ck_assert_uint_eq(a->request_id, 555);
	ck_assert_ptr_null(a->defragment_response->error);
	int64_t size_before = a->defragment_response->db_size_before;
	ck_assert_int_lt(a->defragment_response->db_size_after, size_before / 2);
	FREE(a);
	/* The file itself shrank: the final checkpoint cut it. */
	ck_assert_int_ge(file_before, size_before / 2);
	ck_assert_int_lt(file_size(dd.db), size_before / 2);
	ck_assert_int_eq(range_count(fd, "after", ""), 1);
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(defragment_converts_an_old_db)
{
	/* A db made before auto_vacuum = INCREMENTAL: one VACUUM first. */
	stop();
	unlink(dd.db);
	sqlite3 *old = NULL;
	ck_assert_int_eq(sqlite3_open(dd.db, &old), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(old, "PRAGMA journal_mode = WAL; CREATE TABLE legacy(x);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(old);
	start();
	ck_assert(!db_defrag_incremental(st.db));
	int fd = connect_client();
	bootstrap(fd);
	put_batch(fd, "o", 100, 100, 16000);
	Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	d.key = (ProtobufCBinaryData){ 1, (uint8_t *)"o" };
	d.range_end = (ProtobufCBinaryData){ 1, (uint8_t *)"p" };
	r.delete_range = &d;
	Cetcd__Storage__Envelope *a = commit(fd, &r);
	int64_t rev = a->apply_response->revision;
	FREE(a);
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r2 = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	cr.revision = rev;
	r2.compaction = &cr;
	FREE(commit(fd, &r2));
	Cetcd__Storage__CompactRequest cq = CETCD__STORAGE__COMPACT_REQUEST__INIT;
	cq.revision = rev;
	FREE(call(fd, CETCD__STORAGE__MSG_TYPE__MSG_COMPACT_REQUEST, &cq));
	Cetcd__Storage__DefragmentRequest dr = CETCD__STORAGE__DEFRAGMENT_REQUEST__INIT;
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST, &dr);
	ck_assert_ptr_null(a->defragment_response->error);
	ck_assert_int_lt(a->defragment_response->db_size_after, a->defragment_response->db_size_before / 2);
	FREE(a);
	/* Converted: the next defragment goes in steps. */
	ck_assert(db_defrag_incremental(st.db));
	a = call(fd, CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST, &dr);
	ck_assert_ptr_null(a->defragment_response->error);
	FREE(a);
	a = put_kv(fd, "o-after", "1", 1, 0);
	ck_assert_ptr_null(result(a)->error);
	FREE(a);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("storage protocol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, write_path_and_restart);
	tcase_add_test(tc, bad_frames_close_only_their_connection);
	tcase_add_test(tc, reads_leases_and_hashes);
	tcase_add_test(tc, quota_alarm_and_defragment);
	tcase_add_test(tc, membership_changes);
	tcase_add_test(tc, snapshots_streams_and_installs);
	tcase_add_test(tc, checkpoints_keep_the_wal_bounded);
	tcase_add_test(tc, compaction_runs_in_steps_between_batches);
	tcase_add_test(tc, defragment_runs_in_steps_between_batches);
	tcase_add_test(tc, defragment_converts_an_old_db);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
