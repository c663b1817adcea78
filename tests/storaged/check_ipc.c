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
#include <unistd.h>

#include <event2/event.h>

#include "proto/storage.pb-c.h"
#include "storaged/datadir.h"
#include "storaged/ipc.h"
#include "storaged/store.h"

static char dir[64];
static struct datadir dd;
static struct store st;
static struct event_base *base;
static struct ipc_server *srv;

static void start(void)
{
	char err[512];
	ck_assert_int_eq(datadir_open(&dd, dir, NULL, err, sizeof(err)), 0);
	ck_assert_msg(store_open(&st, &dd, err, sizeof(err)) == 0, "%s", err);
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

static void send_raw(int fd, const void *p, size_t n)
{
	uint32_t be = htonl((uint32_t)n);
	ck_assert_int_eq(write(fd, &be, 4), 4);
	if (n)
		ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
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
	static uint8_t buf[1 << 20];
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
		event_base_loop(base, EVLOOP_NONBLOCK);
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

	/* A request this storaged does not serve yet: an ERROR answer. */
	Cetcd__Storage__Envelope h = env(CETCD__STORAGE__MSG_TYPE__MSG_HASH_REQUEST, 5);
	Cetcd__Storage__HashRequest hr = CETCD__STORAGE__HASH_REQUEST__INIT;
	h.hash_request = &hr;
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

int main(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("storage protocol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, write_path_and_restart);
	tcase_add_test(tc, bad_frames_close_only_their_connection);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
