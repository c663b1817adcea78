/*
 * bench_persist.c - PERSIST and APPLY through the real cetcd-storaged and
 * its Unix socket, as cetcd drives it: pipelined requests, answers in
 * order, PERSISTs acknowledged after their (group-committed) fdatasync.
 *
 *   BENCH ipc_persist_entries_per_sec_b1|_b16|_b256   entries/s with 8
 *         PERSISTs of 1, 16 or 256 entries (256-byte puts) in flight
 *   BENCH ipc_persist_acks_per_sec_b1                 PERSIST answers/s
 *   BENCH ipc_apply_puts_per_sec                      256-byte puts/s
 *         applied in APPLY batches of 1,000
 *
 * The WAL alone is measured by bench_wal; the difference is the IPC's cost.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/storaged/storaged_client.h"

#define WINDOW 8
#define SECONDS 2.0

static char dir[64], data[128], sock[128];
static uint64_t next_id = 1;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_persist: %s\n", what);
	exit(1);
}

/* n entries from index on, each a put of a 256-byte value. */
static Raftpb__Entry **entries(uint64_t index, size_t n)
{
	static uint8_t value[256];
	Raftpb__Entry **v = calloc(n, sizeof(*v));

	memset(value, 'v', sizeof(value));
	for (size_t i = 0; i < n; i++) {
		Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
		Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
		char k[32];
		snprintf(k, sizeof(k), "key%016" PRIx64, index + i);
		p.key = (ProtobufCBinaryData){ strlen(k), (uint8_t *)k };
		p.value = (ProtobufCBinaryData){ sizeof(value), value };
		r.put = &p;
		r.id = index + i;
		v[i] = malloc(sizeof(*v[i]));
		raftpb__entry__init(v[i]);
		v[i]->index = index + i;
		v[i]->term = 1;
		v[i]->has_data = 1;
		v[i]->data.len = protobuf_c_message_get_packed_size(&r.base);
		v[i]->data.data = malloc(v[i]->data.len);
		protobuf_c_message_pack(&r.base, v[i]->data.data);
	}
	return v;
}

static void entries_free(Raftpb__Entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i]->data.data);
		free(v[i]);
	}
	free(v);
}

static pid_t start(struct sc_conn *c)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[256];

	snprintf(dir, sizeof(dir), "%s/bench_persist.XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(cmd, sizeof(cmd), "%s/log", dir);
	pid_t pid = sc_start(data, sock, NULL, cmd);
	if (sc_connect(c, sock))
		die("connect");
	Cetcd__Storage__BootstrapRequest b = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
	b.node_id = 1;
	b.cluster_id = 1;
	Cetcd__Storage__Envelope *a = sc_call(c, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST, next_id++, &b);
	if (!a || a->type != CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_RESPONSE)
		die("bootstrap failed");
	cetcd__storage__envelope__free_unpacked(a, NULL);
	return pid;
}

static void stop(pid_t pid, struct sc_conn *c)
{
	char cmd[128];
	sc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_persist: cannot remove %s\n", dir);
}

static void send_persist(struct sc_conn *c, uint64_t index, size_t n)
{
	Raftpb__Entry **v = entries(index, n);
	Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
	Cetcd__Storage__PersistRequest p = CETCD__STORAGE__PERSIST_REQUEST__INIT;
	hs.term = 1;
	hs.commit = index + n - 1;
	p.entries = v;
	p.n_entries = n;
	p.hard_state = &hs;
	Cetcd__Storage__Envelope e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, next_id++, &p);
	if (sc_send(c, &e))
		die("send");
	entries_free(v, n);
}

static void bench_persist(size_t batch)
{
	struct sc_conn c;
	pid_t pid = start(&c);
	uint64_t index = 1, acked = 0, answers = 0;
	int inflight = 0;
	double t0 = now(), t;

	while ((t = now()) - t0 < SECONDS || inflight) {
		while (inflight < WINDOW && t - t0 < SECONDS) {
			send_persist(&c, index, batch);
			index += batch;
			inflight++;
		}
		Cetcd__Storage__Envelope *a = sc_recv(&c, 30000);
		if (!a || a->type != CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE)
			die("PERSIST failed");
		acked = a->persist_response->last_index;
		answers++;
		inflight--;
		cetcd__storage__envelope__free_unpacked(a, NULL);
	}
	t = now() - t0;
	printf("BENCH ipc_persist_entries_per_sec_b%zu %.0f\n", batch, acked / t);
	if (batch == 1)
		printf("BENCH ipc_persist_acks_per_sec_b1 %.0f\n", answers / t);
	fflush(stdout);
	stop(pid, &c);
}

static void bench_apply(void)
{
	enum { BATCH = 1000, BATCHES = 100 };
	struct sc_conn c;
	pid_t pid = start(&c);
	Raftpb__Entry **all[BATCHES];
	double busy = 0;

	/* Persisted first (not timed), as APPLY follows PERSIST. */
	for (int b = 0; b < BATCHES; b++) {
		all[b] = entries(1 + (uint64_t)b * BATCH, BATCH);
		send_persist(&c, 1 + (uint64_t)b * BATCH, BATCH);
		Cetcd__Storage__Envelope *a = sc_recv(&c, 30000);
		if (!a || a->type != CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE)
			die("PERSIST failed");
		cetcd__storage__envelope__free_unpacked(a, NULL);
	}
	for (int b = 0; b < BATCHES; b++) {
		Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
		ap.entries = all[b];
		ap.n_entries = BATCH;
		double t0 = now();
		Cetcd__Storage__Envelope *a = sc_call(&c, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, next_id++, &ap);
		busy += now() - t0;
		if (!a || a->type != CETCD__STORAGE__MSG_TYPE__MSG_APPLY_RESPONSE)
			die("APPLY failed");
		cetcd__storage__envelope__free_unpacked(a, NULL);
		entries_free(all[b], BATCH);
	}
	printf("BENCH ipc_apply_puts_per_sec %.0f\n", BATCH * BATCHES / busy);
	fflush(stdout);
	stop(pid, &c);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	bench_persist(1);
	bench_persist(16);
	bench_persist(256);
	bench_apply();
	return 0;
}
