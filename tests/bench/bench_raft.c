/*
 * bench_raft.c - throughput of the Raft core alone: a 3-node in-memory
 * cluster on one thread commits 1,000,000 proposals of 256 bytes,
 * proposed in batches, with each node persisting to raft_mem_storage,
 * applying, and compacting its log as a server would.
 *
 * Prints `BENCH raft_commit_per_sec <N>`: proposals committed and applied
 * (on every node) per second of CPU time of this single-threaded process,
 * i.e. on one core; CPU time rather than wall time keeps the figure stable
 * on a machine shared with other work.  The wall-clock rate goes to stderr.
 * BENCH_RAFT_TOTAL and BENCH_RAFT_BATCH override the defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/raft/raft.h"

#define NODES 3
#define PAYLOAD 256

struct bnode {
	struct raft_mem_storage *ms;
	struct raft_storage st;
	struct raft_node *r;
	uint64_t applied;
	uint64_t applied_payload; /* entries with data */
};

struct queue {
	struct raft_message *v;
	size_t n;
	size_t cap;
};

static struct bnode nodes[NODES + 1];
static struct queue q[2]; /* double buffer: deliver one while filling the other */

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_raft: %s: %s\n", what, raft_strerror(rc));
	exit(1);
}

static void q_push(struct queue *qu, struct raft_message *m)
{
	if (qu->n == qu->cap) {
		qu->cap = qu->cap ? qu->cap * 2 : 64;
		qu->v = realloc(qu->v, qu->cap * sizeof(*qu->v));
		if (qu->v == NULL)
			die("queue", RAFT_ENOMEM);
	}
	qu->v[qu->n++] = *m;
	memset(m, 0, sizeof(*m));
}

static void process(int id, struct queue *out)
{
	struct bnode *b = &nodes[id];
	struct raft_ready rd;
	int rc;

	if (!raft_has_ready(b->r))
		return;
	rc = raft_ready(b->r, &rd);
	if (rc != RAFT_OK)
		die("ready", rc);
	if (!raft_snapshot_is_empty(&rd.snapshot))
		raft_mem_storage_apply_snapshot(b->ms, &rd.snapshot);
	rc = raft_mem_storage_append(b->ms, rd.entries, rd.n_entries);
	if (rc != RAFT_OK)
		die("append", rc);
	if (!raft_hard_state_is_empty(&rd.hard_state))
		raft_mem_storage_set_hard_state(b->ms, &rd.hard_state);
	for (size_t i = 0; i < rd.n_msgs; i++)
		q_push(out, &rd.msgs[i]);
	for (size_t i = 0; i < rd.n_committed_entries; i++) {
		const struct raft_entry *e = &rd.committed_entries[i];

		/* "apply": touch the payload as a state machine would */
		if (e->data != NULL && e->data->len > 0 && e->data->bytes[0] != 0xff)
			b->applied_payload++;
		b->applied = e->index;
	}
	rc = raft_advance(b->r, &rd);
	if (rc != RAFT_OK)
		die("advance", rc);
	/* Keep memory flat as a server does: snapshot and compact often,
	 * keeping the last 4096 entries for slow followers. */
	if (b->applied >= raft_mem_storage_first_index(b->ms) + 8192) {
		raft_mem_storage_create_snapshot(b->ms, b->applied, NULL, NULL);
		raft_mem_storage_compact(b->ms, b->applied - 4096);
	}
}

/* Delivers messages until the cluster is quiet. */
static void stabilize(void)
{
	int cur = 0;

	for (int id = 1; id <= NODES; id++)
		process(id, &q[cur]);
	while (q[cur].n > 0) {
		struct queue *in = &q[cur], *out = &q[cur ^ 1];

		for (size_t i = 0; i < in->n; i++) {
			struct raft_message *m = &in->v[i];
			int rc = raft_step(nodes[m->to].r, m);

			if (rc != RAFT_OK)
				die("step", rc);
			raft_msg_clear(m);
		}
		in->n = 0;
		for (int id = 1; id <= NODES; id++)
			process(id, out);
		cur ^= 1;
	}
}

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const uint64_t peers[NODES] = { 1, 2, 3 };
	const char *e1 = getenv("BENCH_RAFT_TOTAL"), *e2 = getenv("BENCH_RAFT_BATCH");
	uint64_t total = e1 ? strtoull(e1, NULL, 10) : 1000000;
	size_t batch = e2 ? strtoul(e2, NULL, 10) : 1024;
	struct raft_blob **blobs;
	uint8_t payload[PAYLOAD];
	uint64_t proposed = 0;
	double t0, t1, c0, c1;
	int rc;

	memset(payload, 'x', sizeof(payload));
	blobs = calloc(batch, sizeof(*blobs));
	if (blobs == NULL)
		die("calloc", RAFT_ENOMEM);
	for (int id = 1; id <= NODES; id++) {
		struct raft_config cfg;

		nodes[id].ms = raft_mem_storage_new();
		if (nodes[id].ms == NULL)
			die("storage", RAFT_ENOMEM);
		raft_mem_storage_bind(nodes[id].ms, &nodes[id].st);
		raft_config_init(&cfg, (uint64_t)id, &nodes[id].st);
		cfg.peers = peers;
		cfg.n_peers = NODES;
		cfg.max_size_per_msg = 1024 * 1024;
		cfg.max_committed_size_per_ready = 4 * 1024 * 1024;
		cfg.max_inflight_msgs = 256;
		rc = raft_node_new(&cfg, &nodes[id].r);
		if (rc != RAFT_OK)
			die("node", rc);
	}
	rc = raft_campaign(nodes[1].r);
	if (rc != RAFT_OK)
		die("campaign", rc);
	stabilize();
	if (raft_node_state(nodes[1].r) != RAFT_STATE_LEADER)
		die("no leader", RAFT_EINVAL);

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	while (nodes[1].applied_payload < total) {
		size_t n = batch;

		if (proposed < total) {
			if (n > total - proposed)
				n = (size_t)(total - proposed);
			for (size_t i = 0; i < n; i++) {
				payload[0] = (uint8_t)(proposed + i);
				if (payload[0] == 0xff)
					payload[0] = 0;
				blobs[i] = raft_blob_new(payload, sizeof(payload));
				if (blobs[i] == NULL)
					die("blob", RAFT_ENOMEM);
			}
			rc = raft_propose_batch(nodes[1].r, blobs, n);
			for (size_t i = 0; i < n; i++)
				raft_blob_unref(blobs[i]);
			if (rc != RAFT_OK)
				die("propose", rc);
			proposed += n;
		}
		stabilize();
	}
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (int id = 2; id <= NODES; id++) {
		if (nodes[id].applied_payload != total) {
			fprintf(stderr, "bench_raft: node %d applied %llu of %llu\n", id,
				(unsigned long long)nodes[id].applied_payload, (unsigned long long)total);
			return 1;
		}
	}
	printf("BENCH raft_commit_per_sec %.0f\n", (double)total / (c1 - c0));
	fflush(stdout);
	fprintf(stderr, "bench_raft: %llu proposals of %d bytes, batch %zu: %.3f s CPU, %.3f s wall "
		"(%.0f/s wall clock)\n", (unsigned long long)total, PAYLOAD, batch, c1 - c0, t1 - t0,
		(double)total / (t1 - t0));
	for (int id = 1; id <= NODES; id++) {
		raft_node_free(nodes[id].r);
		raft_mem_storage_free(nodes[id].ms);
	}
	free(q[0].v);
	free(q[1].v);
	free(blobs);
	return 0;
}
