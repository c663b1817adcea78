/*
 * check_crash.c - kills the real cetcd-storaged with SIGKILL at random
 * moments while it is driven with pipelined PERSIST and APPLY batches, and
 * checks after every restart that
 *
 *   - every PERSIST that was acknowledged is in INITIAL_STATE's log (entry
 *     for entry: the bytes are a function of the index), and
 *   - the store equals a replay of the log up to its applied index (every
 *     key's value, version and mod revision, and the revision).
 *
 * --snapshot-count is small so that snapshots, WAL markers and restarts
 * from a snapshot are part of the run.  Seeded: CRASH_SEED=n replays a run;
 * CRASH_ROUNDS=n sets the number of kills (default 50); CRASH_LOG=path
 * keeps storaged's stderr.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/storaged/storaged_client.h"

#define NKEYS 37
#define WINDOW 4		/* PERSISTs in flight */
#define MAX_BATCH 16

static uint64_t rng;
static pid_t child;	/* killed if a check fails with it running */
static char dir[64], data[128], sock[128], logpath[128];

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The entry at index: a put of key k<index % NKEYS> = v<index>. */
static void key_of(uint64_t index, char *k)
{
	sprintf(k, "k%02u", (unsigned)(index % NKEYS));
}

static Raftpb__Entry *entry_new(uint64_t index)
{
	Raftpb__Entry *e = malloc(sizeof(*e));
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	char k[16], v[32];

	key_of(index, k);
	snprintf(v, sizeof(v), "v%" PRIu64, index);
	p.key = (ProtobufCBinaryData){ strlen(k), (uint8_t *)k };
	p.value = (ProtobufCBinaryData){ strlen(v), (uint8_t *)v };
	r.put = &p;
	r.id = index;
	raftpb__entry__init(e);
	e->index = index;
	e->term = 1;
	e->has_data = 1;
	e->data.len = protobuf_c_message_get_packed_size(&r.base);
	e->data.data = malloc(e->data.len);
	protobuf_c_message_pack(&r.base, e->data.data);
	return e;
}

static void entries_free(Raftpb__Entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i]->data.data);
		free(v[i]);
	}
	free(v);
}

static void check_entry(const Raftpb__Entry *got, uint64_t index)
{
	Raftpb__Entry *want = entry_new(index);
	ck_assert_uint_eq(got->index, index);
	ck_assert_uint_eq(got->term, 1);
	ck_assert_uint_eq(got->data.len, want->data.len);
	ck_assert_msg(memcmp(got->data.data, want->data.data, want->data.len) == 0,
	    "entry %" PRIu64 " has other bytes than were persisted", index);
	free(want->data.data);
	free(want);
}

static uint64_t next_id = 1;
static int from_snapshot;	/* restarts that began at a snapshot */

static Cetcd__Storage__Envelope *call(struct sc_conn *c, int type, void *body)
{
	Cetcd__Storage__Envelope *a = sc_call(c, type, next_id++, body);
	ck_assert_msg(a != NULL, "no answer to request type %d", type);
	ck_assert_msg((int)a->type == type + 1, "answer of type %d to request type %d: %s", a->type, type,
	    a->error ? a->error->message : "");
	return a;
}

/* Applies entries lo..hi (synchronously). */
static void apply_range(struct sc_conn *c, uint64_t lo, uint64_t hi)
{
	while (lo <= hi) {
		size_t n = hi - lo + 1 > 256 ? 256 : (size_t)(hi - lo + 1);
		Raftpb__Entry **v = calloc(n, sizeof(*v));
		for (size_t i = 0; i < n; i++)
			v[i] = entry_new(lo + i);
		Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
		ap.entries = v;
		ap.n_entries = n;
		Cetcd__Storage__Envelope *a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, &ap);
		ck_assert_uint_eq(a->apply_response->applied_index, lo + n - 1);
		cetcd__storage__envelope__free_unpacked(a, NULL);
		entries_free(v, n);
		lo += n;
	}
}

/* After a restart: the log holds every acknowledged entry, and the store
 * is the replay of entries 1..applied.  Returns the last index; brings the
 * store up to it (as the daemon re-applies committed entries). */
static uint64_t verify(struct sc_conn *c, uint64_t acked, int *fresh)
{
	Cetcd__Storage__InitialStateRequest isr = CETCD__STORAGE__INITIAL_STATE_REQUEST__INIT;
	Cetcd__Storage__Envelope *a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_INITIAL_STATE_REQUEST, &isr);
	Cetcd__Storage__InitialStateResponse *is = a->initial_state_response;

	*fresh = is->fresh;
	if (is->fresh) {
		ck_assert_msg(acked == 0, "the WAL is gone but %" PRIu64 " entries were acknowledged", acked);
		cetcd__storage__envelope__free_unpacked(a, NULL);
		Cetcd__Storage__BootstrapRequest b = CETCD__STORAGE__BOOTSTRAP_REQUEST__INIT;
		b.node_id = 1;
		b.cluster_id = 2;
		a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_BOOTSTRAP_REQUEST, &b);
		cetcd__storage__envelope__free_unpacked(a, NULL);
		return 0;
	}
	uint64_t first = is->first_index, last = is->last_index, applied = is->applied_index;
	ck_assert_msg(last >= acked, "acknowledged entries lost: last index %" PRIu64 " < acked %" PRIu64,
	    last, acked);
	ck_assert_uint_le(applied, last);
	if (is->snapshot) {
		from_snapshot++;
		ck_assert_uint_eq(first, is->snapshot->index + 1);
		ck_assert_uint_le(is->snapshot->index, applied);
	} else {
		ck_assert_uint_eq(first, 1);
	}
	ck_assert_uint_le(first, applied + 1);
	uint64_t at = first;
	for (size_t i = 0; i < is->n_entries; i++, at++)
		check_entry(is->entries[i], at);
	cetcd__storage__envelope__free_unpacked(a, NULL);
	while (at <= last) {
		Cetcd__Storage__EntriesRequest er = CETCD__STORAGE__ENTRIES_REQUEST__INIT;
		er.lo = at;
		er.hi = last + 1;
		a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_ENTRIES_REQUEST, &er);
		ck_assert_ptr_null(a->entries_response->error);
		ck_assert_uint_gt(a->entries_response->n_entries, 0);
		for (size_t i = 0; i < a->entries_response->n_entries; i++, at++)
			check_entry(a->entries_response->entries[i], at);
		cetcd__storage__envelope__free_unpacked(a, NULL);
	}

	/* The model: a replay of 1..applied. */
	uint64_t last_put[NKEYS] = { 0 }, versions[NKEYS] = { 0 };
	for (uint64_t i = 1; i <= applied; i++) {
		last_put[i % NKEYS] = i;
		versions[i % NKEYS]++;
	}
	Etcdserverpb__RangeRequest rq = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Cetcd__Storage__ReadRangeRequest rr = CETCD__STORAGE__READ_RANGE_REQUEST__INIT;
	rq.key = (ProtobufCBinaryData){ 1, (uint8_t *)"k" };
	rq.range_end = (ProtobufCBinaryData){ 1, (uint8_t *)"l" };
	rr.request = &rq;
	a = call(c, CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST, &rr);
	Etcdserverpb__RangeResponse *r = a->read_range_response->response;
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->header->revision, (int64_t)applied + 1);
	size_t live = 0;
	for (int k = 0; k < NKEYS; k++)
		live += last_put[k] != 0;
	ck_assert_uint_eq(r->n_kvs, live);
	for (size_t i = 0; i < r->n_kvs; i++) {
		const Mvccpb__KeyValue *kv = r->kvs[i];
		char v[32], kbuf[8] = "";
		ck_assert_uint_lt(kv->key.len, sizeof(kbuf));
		memcpy(kbuf, kv->key.data, kv->key.len);
		unsigned k = (unsigned)atoi(kbuf + 1);
		ck_assert_uint_lt(k, NKEYS);
		snprintf(v, sizeof(v), "v%" PRIu64, last_put[k]);
		ck_assert_uint_eq(kv->value.len, strlen(v));
		ck_assert(memcmp(kv->value.data, v, kv->value.len) == 0);
		ck_assert_int_eq(kv->mod_revision, (int64_t)last_put[k] + 1);
		ck_assert_int_eq(kv->version, (int64_t)versions[k]);
	}
	cetcd__storage__envelope__free_unpacked(a, NULL);
	if (applied < last)
		apply_range(c, applied + 1, last);
	return last;
}

struct inflight {
	uint64_t id, lo, hi;	/* a PERSIST of lo..hi, or an APPLY (lo 0) */
};

/* Pipelined PERSISTs of random batches; each acknowledged batch is then
 * applied.  Runs until kill_at; returns the acknowledged last index. */
static uint64_t drive(struct sc_conn *c, uint64_t last, uint64_t acked, long kill_at)
{
	struct inflight q[64];
	size_t nq = 0;
	uint64_t next = last + 1;
	int persists = 0;

	while (now_ms() < kill_at) {
		while (persists < WINDOW && nq < 60) {
			size_t n = 1 + rnd() % MAX_BATCH;
			Raftpb__Entry **v = calloc(n, sizeof(*v));
			for (size_t i = 0; i < n; i++)
				v[i] = entry_new(next + i);
			Raftpb__HardState hs = RAFTPB__HARD_STATE__INIT;
			hs.term = 1;
			hs.vote = 1;
			hs.commit = next + n - 1;
			Cetcd__Storage__PersistRequest p = CETCD__STORAGE__PERSIST_REQUEST__INIT;
			p.entries = v;
			p.n_entries = n;
			p.hard_state = &hs;
			Cetcd__Storage__Envelope e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_REQUEST, next_id, &p);
			int rc = sc_send(c, &e);
			entries_free(v, n);
			if (rc)
				return acked;	/* the process died under us */
			q[nq++] = (struct inflight){ next_id++, next, next + n - 1 };
			next += n;
			persists++;
		}
		int wait = (int)(kill_at - now_ms());
		if (wait <= 0)
			break;
		Cetcd__Storage__Envelope *a = sc_recv(c, wait);
		if (!a)
			break;
		ck_assert_uint_gt(nq, 0);
		struct inflight f = q[0];
		memmove(q, q + 1, --nq * sizeof(*q));
		ck_assert_uint_eq(a->request_id, f.id);
		if (f.lo) {
			ck_assert_msg(a->type == CETCD__STORAGE__MSG_TYPE__MSG_PERSIST_RESPONSE,
			    "PERSIST answered with type %d (%s)", a->type, a->error ? a->error->message : "");
			ck_assert_uint_eq(a->persist_response->last_index, f.hi);
			acked = f.hi;
			persists--;
			/* Committed (one member): apply it. */
			size_t n = (size_t)(f.hi - f.lo + 1);
			Raftpb__Entry **v = calloc(n, sizeof(*v));
			for (size_t i = 0; i < n; i++)
				v[i] = entry_new(f.lo + i);
			Cetcd__Storage__ApplyRequest ap = CETCD__STORAGE__APPLY_REQUEST__INIT;
			ap.entries = v;
			ap.n_entries = n;
			Cetcd__Storage__Envelope e = sc_env(CETCD__STORAGE__MSG_TYPE__MSG_APPLY_REQUEST, next_id, &ap);
			int rc = sc_send(c, &e);
			entries_free(v, n);
			cetcd__storage__envelope__free_unpacked(a, NULL);
			if (rc)
				return acked;
			q[nq++] = (struct inflight){ next_id++, 0, 0 };
		} else {
			ck_assert_int_eq(a->type, CETCD__STORAGE__MSG_TYPE__MSG_APPLY_RESPONSE);
			for (size_t i = 0; i < a->apply_response->n_results; i++)
				ck_assert_ptr_null(a->apply_response->results[i]->error);
			cetcd__storage__envelope__free_unpacked(a, NULL);
		}
	}
	return acked;
}

static void kill_wait(pid_t pid)
{
	int st;
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	child = 0;
}

START_TEST(sigkill_at_random_moments)
{
	const char *extra[] = { "--snapshot-count", "40", "--max-snapshots", "2", "--max-wals", "2", NULL };
	const char *s = getenv("CRASH_SEED"), *r = getenv("CRASH_ROUNDS");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	int rounds = r ? atoi(r) : 50;
	uint64_t acked = 0, total = 0;
	long t0 = now_ms();

	rng = seed ? seed : 1;
	fprintf(stderr, "check_crash: seed %" PRIu64 " (CRASH_SEED=%" PRIu64 " replays it), %d rounds, log %s\n",
	    seed, seed, rounds, logpath);
	for (int round = 0; round < rounds; round++) {
		pid_t pid = child = sc_start(data, sock, extra, logpath);
		/* Now and then, kill it while it starts (replaying the WAL). */
		if (rnd() % 8 == 0) {
			usleep((useconds_t)(rnd() % 20000));
			kill_wait(pid);
			continue;
		}
		struct sc_conn c;
		int fresh;
		ck_assert_int_eq(sc_connect(&c, sock), 0);
		uint64_t last = verify(&c, acked, &fresh);
		long kill_at = now_ms() + (long)(rnd() % 250);
		uint64_t before = acked;
		acked = drive(&c, last, acked, kill_at);
		if (acked > before)
			total += acked - before;
		kill_wait(pid);
		sc_close(&c);
	}
	/* A last start: everything checked once more, then a clean stop. */
	pid_t pid = child = sc_start(data, sock, extra, logpath);
	struct sc_conn c;
	int fresh, st;
	ck_assert_int_eq(sc_connect(&c, sock), 0);
	verify(&c, acked, &fresh);
	sc_close(&c);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	child = 0;
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fprintf(stderr, "check_crash: %d kills, %" PRIu64 " entries acknowledged, %d restarts from a"
	    " snapshot, in %.1f s\n", rounds, total, from_snapshot, (now_ms() - t0) / 1000.0);
	ck_assert_int_gt(from_snapshot, 0);
}
END_TEST

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/check_crash.XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	/* CRASH_LOG=path keeps storaged's stderr beyond a passing run. */
	if (getenv("CRASH_LOG") && strlen(getenv("CRASH_LOG")) < sizeof(logpath))
		snprintf(logpath, sizeof(logpath), "%s", getenv("CRASH_LOG"));
	else
		snprintf(logpath, sizeof(logpath), "%s/storaged.log", dir);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("sigkill");
	/* Failed runs keep their data dir for a look: only a pass removes it. */
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, sigkill_at_random_moments);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (!failed)
		teardown();
	else
		fprintf(stderr, "check_crash: data dir kept in %s\n", dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
