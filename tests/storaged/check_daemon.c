/*
 * check_daemon.c - the real cetcd-storaged binary: malformed and oversized
 * frames close only their own connection (the process and the other
 * connections go on), SIGTERM answers the batch in hand and exits 0, and a
 * second storaged on the same data dir is refused.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/storaged/storaged_client.h"

static char dir[64], data[128], sock[128], logpath[128];
static pid_t child;
static uint64_t next_id = 1;

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/check_daemon.XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/storaged.log", dir);
	child = sc_start(data, sock, NULL, logpath);
}

static void teardown(void)
{
	char cmd[256];
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static Cetcd__Storage__Envelope *call(struct sc_conn *c, int type, void *body)
{
	Cetcd__Storage__Envelope *a = sc_call(c, type, next_id++, body);
	ck_assert_msg(a != NULL, "no answer to request type %d", type);
	return a;
}

static void bootstrap(struct sc_conn *c)
{
	Cetcd__Storage__BootstrapRequest b = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
	b.node_id = 1;
	b.cluster_id = 2;
	Cetcd__Storage__Envelope *a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST, &b);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_RESPONSE);
	cetcd__storage__envelope__free_unpacked(a, NULL);
}

static Cetcd__Storage__PersistRequest *persist_of(uint64_t index, Raftpb__Entry *e, Raftpb__Entry **one)
{
	static Cetcd__Storage__PersistRequest p;
	raftpb__entry__init(e);
	e->index = index;
	e->term = 1;
	one[0] = e;
	cetcd__storage__persist_request__init(&p);
	p.entries = one;
	p.n_entries = 1;
	return &p;
}

/* The good connection answers, and the process is alive. */
static void still_serving(struct sc_conn *good)
{
	int st;
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;
	Cetcd__Storage__Envelope *a = call(good, CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST, &sr);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_STATUS_RESPONSE);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	ck_assert_int_eq(waitpid(child, &st, WNOHANG), 0);
}

/* bad must be closed by storaged: EOF, no answer. */
static void closed_by_server(struct sc_conn *bad)
{
	Cetcd__Storage__Envelope *a = sc_recv(bad, 10000);
	ck_assert_msg(a == NULL, "a bad frame got an answer of type %d", a ? a->type : 0);
	sc_close(bad);
}

START_TEST(malformed_frames_close_only_their_connection)
{
	struct sc_conn good, bad;
	uint8_t junk[4096];
	uint64_t seed = (uint64_t)time(NULL);

	ck_assert_int_eq(sc_connect(&good, sock), 0);
	bootstrap(&good);

	/* Oversized: a length above the 64 MiB cap. */
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	uint32_t huge = htonl(0xffffffffu);
	ck_assert_int_eq(write(bad.fd, &huge, 4), 4);
	closed_by_server(&bad);
	still_serving(&good);

	/* Not an Envelope, an empty frame, an answer type, a type that does
	 * not match the body, another protocol version. */
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	ck_assert_int_eq(sc_send_frame(&bad, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11), 0);
	closed_by_server(&bad);
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	ck_assert_int_eq(sc_send_frame(&bad, "", 0), 0);
	closed_by_server(&bad);
	Cetcd__Storage__PersistResponse pr = CETCD__STORAGE__PERSIST_RESPONSE__INIT;
	Cetcd__Storage__Envelope e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE, 1, &pr);
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	ck_assert_int_eq(sc_send(&bad, &e), 0);
	closed_by_server(&bad);
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;
	e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST, 1, &sr);
	e.type = CETCD__STORAGE__MSG_TYPE__MSG_HASH_REQUEST;
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	ck_assert_int_eq(sc_send(&bad, &e), 0);
	closed_by_server(&bad);
	e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST, 1, &sr);
	e.version = 2;
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	ck_assert_int_eq(sc_send(&bad, &e), 0);
	closed_by_server(&bad);
	still_serving(&good);

	/* Cut mid-frame: the connection just ends. */
	ck_assert_int_eq(sc_connect(&bad, sock), 0);
	uint32_t len = htonl(100);
	ck_assert_int_eq(write(bad.fd, &len, 4), 4);
	ck_assert_int_eq(write(bad.fd, "0123456789", 10), 10);
	shutdown(bad.fd, SHUT_WR);
	closed_by_server(&bad);

	/* Random garbage frames (seeded). */
	fprintf(stderr, "check_daemon: garbage seed %" PRIu64 "\n", seed);
	srand((unsigned)seed);
	for (int i = 0; i < 30; i++) {
		size_t n = 1 + (size_t)rand() % sizeof(junk);
		for (size_t j = 0; j < n; j++)
			junk[j] = (uint8_t)rand();
		junk[0] = 0x07;	/* field 0, wire type 7: never a valid Envelope */
		ck_assert_int_eq(sc_connect(&bad, sock), 0);
		ck_assert_int_eq(sc_send_frame(&bad, junk, n), 0);
		closed_by_server(&bad);
	}
	still_serving(&good);

	/* A well-formed request that cannot be served gets an ERROR answer and
	 * leaves the connection open: an index gap in PERSIST. */
	Raftpb__Entry ent, *one[1];
	e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, next_id++, persist_of(5, &ent, one));
	ck_assert_int_eq(sc_send(&good, &e), 0);
	Cetcd__Storage__Envelope *a = sc_recv(&good, 10000);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_ERROR);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	a = call(&good, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, persist_of(1, &ent, one));
	ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE);
	ck_assert_uint_eq(a->persist_response->last_index, 1);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	still_serving(&good);
	sc_close(&good);
}
END_TEST

START_TEST(sigterm_answers_the_batch_in_hand)
{
	struct sc_conn c;
	enum { N = 400 };
	int st;
	Raftpb__Entry ent, *one[1];
	uint64_t first_id, acked = 0;

	ck_assert_int_eq(sc_connect(&c, sock), 0);
	bootstrap(&c);
	first_id = next_id;
	for (uint64_t i = 1; i <= N; i++) {
		Cetcd__Storage__Envelope e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, next_id++,
		    persist_of(i, &ent, one));
		/* After the signal the process may be gone already. */
		if (sc_send(&c, &e) != 0) {
			ck_assert_uint_gt(i, N / 2);
			break;
		}
		if (i == N / 2)
			kill(child, SIGTERM);
	}
	/* Every answer that comes is a success, in order, then EOF. */
	for (;;) {
		Cetcd__Storage__Envelope *a = sc_recv(&c, 20000);
		if (!a)
			break;
		ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE);
		ck_assert_uint_eq(a->request_id, first_id + acked);
		acked++;
		ck_assert_uint_eq(a->persist_response->last_index, acked);
		cetcd__storage__envelope__free_unpacked(a, NULL);
	}
	sc_close(&c);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	child = 0;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	ck_assert_int_ne(access(sock, F_OK), 0);
	fprintf(stderr, "check_daemon: %" PRIu64 " of %d PERSISTs answered before the stop\n", acked, N);

	/* What was acknowledged is there after a restart. */
	child = sc_start(data, sock, NULL, logpath);
	ck_assert_int_eq(sc_connect(&c, sock), 0);
	Cetcd__Storage__InitialStateRequest isr = CETCD__STORAGE__INITIAL_STATE_REQUEST__INIT;
	Cetcd__Storage__Envelope *a = call(&c, CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST, &isr);
	ck_assert(!a->initial_state_response->fresh);
	ck_assert_uint_ge(a->initial_state_response->last_index, acked);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	sc_close(&c);
}
END_TEST

START_TEST(second_storaged_on_the_data_dir_is_refused)
{
	char sock2[160], log2[160], buf[4096] = "";
	int st;

	snprintf(sock2, sizeof(sock2), "%s/sock2", dir);
	snprintf(log2, sizeof(log2), "%s/second.log", dir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log2, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execl(sc_binary(), sc_binary(), "--data-dir", data, "--socket", sock2, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	FILE *f = fopen(log2, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_msg(strstr(buf, "lock") != NULL, "no clear error: %s", buf);
	struct sc_conn c;
	ck_assert_int_eq(sc_connect(&c, sock), 0);
	still_serving(&c);
	sc_close(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("real binary");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, malformed_frames_close_only_their_connection);
	tcase_add_test(tc, sigterm_answers_the_batch_in_hand);
	tcase_add_test(tc, second_storaged_on_the_data_dir_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
