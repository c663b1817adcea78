/*
 * raft_fixture.c - in-memory cluster used by the Raft scenario tests and
 * the simulator.  Owns every node, its storage and the message queue.
 * Deterministic: no clock, no randomness of its own.  A failed invariant
 * aborts the test through abort() so that Check reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/raft/raft_fixture.h"

void (*fx_on_abort)(void);

#define FX_ASSERT(c)                                                              \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: fixture assertion failed: %s\n", __FILE__, \
				__LINE__, #c);                                    \
			if (fx_on_abort != NULL)                                  \
				fx_on_abort();                                    \
			abort();                                                  \
		}                                                                 \
	} while (0)

uint64_t fx_hash_entry(uint64_t h, const struct raft_entry *e)
{
	/* FNV-1a over term, index, type and data. */
	const uint64_t p = 1099511628211ULL;
	uint64_t v[3] = { e->term, e->index, (uint64_t)e->type };

	h = h ? h : 14695981039346656037ULL;
	for (int k = 0; k < 3; k++)
		for (int b = 0; b < 8; b++)
			h = (h ^ ((v[k] >> (8 * b)) & 0xff)) * p;
	for (size_t i = 0; i < raft_blob_len(e->data); i++)
		h = (h ^ e->data->bytes[i]) * p;
	return h;
}

static void fill_cfg(struct fx_node *nd, const struct fx_opts *o)
{
	struct raft_config *c = &nd->cfg;

	raft_config_init(c, nd->id, &nd->st);
	c->election_tick = o->election_tick ? o->election_tick : 10;
	c->heartbeat_tick = o->heartbeat_tick ? o->heartbeat_tick : 1;
	c->max_size_per_msg = o->max_size_per_msg ? o->max_size_per_msg : RAFT_NO_LIMIT;
	c->max_inflight_msgs = o->max_inflight ? o->max_inflight : 256;
	c->max_uncommitted_entries_size = o->max_uncommitted;
	c->pre_vote = o->pre_vote;
	c->check_quorum = o->check_quorum;
	c->read_only_option = o->read_only;
	c->rand_seed = o->seed * 1000003ULL + nd->id;
	nd->record_applied = o->record_applied;
}

static void node_start(struct fx_node *nd)
{
	struct raft_hard_state hs;
	struct raft_config c = nd->cfg;
	int rc;

	raft_mem_storage_hard_state(nd->ms, &hs);
	/* Bootstrap peers only while storage holds no configuration. */
	if (raft_mem_storage_first_index(nd->ms) == 1) {
		c.peers = nd->boot_peers;
		c.n_peers = nd->n_boot_peers;
		c.learners = nd->boot_learners;
		c.n_learners = nd->n_boot_learners;
	}
	rc = raft_node_new(&c, &nd->r);
	if (rc != RAFT_OK)
		fprintf(stderr, "raft_node_new(%llu): %s\n", (unsigned long long)nd->id, raft_strerror(rc));
	FX_ASSERT(rc == RAFT_OK);
}

static void node_setup(struct fx_net *net, uint64_t id, const struct fx_opts *o,
		       const uint64_t *voters, size_t nv, const uint64_t *learners, size_t nl)
{
	struct fx_node *nd = &net->nodes[id];

	FX_ASSERT(id >= 1 && id <= FX_MAX_NODES);
	memset(nd, 0, sizeof(*nd));
	nd->id = id;
	nd->present = true;
	nd->ms = raft_mem_storage_new();
	FX_ASSERT(nd->ms != NULL);
	raft_mem_storage_bind(nd->ms, &nd->st);
	fill_cfg(nd, o);
	if (nv > 0)
		memcpy(nd->boot_peers, voters, nv * sizeof(uint64_t));
	nd->n_boot_peers = nv;
	if (nl > 0)
		memcpy(nd->boot_learners, learners, nl * sizeof(uint64_t));
	nd->n_boot_learners = nl;
	for (size_t i = 0; i < nv; i++)
		nd->cs.voters[nd->cs.n_voters++] = voters[i];
	for (size_t i = 0; i < nl; i++)
		nd->cs.learners[nd->cs.n_learners++] = learners[i];
	if (nv + nl > 0) {
		/* Bootstrap as etcd's interaction tests do: a snapshot at index 1
		 * holding the initial configuration.  A member added later starts
		 * empty and learns everything from the leader's snapshot. */
		struct raft_snapshot snap = { 0 };
		struct raft_hard_state hs = { .term = 1, .commit = 1 };
		uint8_t data[16] = { 0 };
		uint64_t one = 1;

		memcpy(data + 8, &one, 8);
		snap.data = raft_blob_new(data, sizeof(data));
		FX_ASSERT(snap.data != NULL);
		snap.metadata.index = 1;
		snap.metadata.term = 1;
		snap.metadata.conf_state = nd->cs;
		FX_ASSERT(raft_mem_storage_apply_snapshot(nd->ms, &snap) == RAFT_OK);
		raft_snapshot_clear(&snap);
		raft_mem_storage_set_hard_state(nd->ms, &hs);
		nd->applied = 1;
	}
	node_start(nd);
}

void fx_net_init(struct fx_net *net, int n, int n_learners, const struct fx_opts *o)
{
	uint64_t voters[FX_MAX_NODES], learners[FX_MAX_NODES];
	struct fx_opts def = { 0 };

	if (o == NULL)
		o = &def;
	memset(net, 0, sizeof(*net));
	FX_ASSERT(n + n_learners <= FX_MAX_NODES);
	for (int i = 0; i < n; i++)
		voters[i] = (uint64_t)i + 1;
	for (int i = 0; i < n_learners; i++)
		learners[i] = (uint64_t)(n + i) + 1;
	for (int i = 0; i < n + n_learners; i++)
		node_setup(net, (uint64_t)i + 1, o, voters, (size_t)n, learners, (size_t)n_learners);
}

void fx_node_add_empty(struct fx_net *net, uint64_t id, const struct fx_opts *o)
{
	struct fx_opts def = { 0 };

	node_setup(net, id, o ? o : &def, NULL, 0, NULL, 0);
}

static void free_reads(struct fx_node *nd)
{
	for (size_t i = 0; i < nd->n_reads; i++)
		raft_blob_unref(nd->reads[i].ctx);
	nd->n_reads = 0;
}

void fx_net_free(struct fx_net *net)
{
	for (uint64_t id = 1; id <= FX_MAX_NODES; id++) {
		struct fx_node *nd = &net->nodes[id];

		if (!nd->present)
			continue;
		raft_node_free(nd->r);
		raft_mem_storage_free(nd->ms);
		raft_entries_free(&nd->applied_log);
		free_reads(nd);
	}
	for (size_t i = 0; i < net->q.n; i++)
		raft_msg_clear(&net->q.v[(net->q.head + i) % net->q.cap]);
	free(net->q.v);
	memset(net, 0, sizeof(*net));
}

struct fx_node *fx_node(struct fx_net *net, uint64_t id)
{
	FX_ASSERT(id >= 1 && id <= FX_MAX_NODES && net->nodes[id].present);
	return &net->nodes[id];
}

static void q_push(struct fx_msgq *q, struct raft_message *m)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct raft_message *v = calloc(cap, sizeof(*v));

		FX_ASSERT(v != NULL);
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n) % q->cap] = *m;
	q->n++;
	memset(m, 0, sizeof(*m));
}

static bool q_pop(struct fx_msgq *q, struct raft_message *m)
{
	if (q->n == 0)
		return false;
	*m = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return true;
}

static void apply_entry(struct fx_net *net, struct fx_node *nd, const struct raft_entry *e)
{
	if (e->index <= nd->applied)
		return; /* re-delivered after a restart from a snapshot */
	FX_ASSERT(e->index == nd->applied + 1);
	nd->hash = fx_hash_entry(nd->hash, e);
	nd->applied = e->index;
	if (nd->record_applied)
		FX_ASSERT(raft_entries_push(&nd->applied_log, e) == RAFT_OK);
	if (e->type == RAFT_ENTRY_CONF_CHANGE) {
		struct raft_conf_change cc;

		FX_ASSERT(raft_conf_change_decode(e->data->bytes, e->data->len, &cc) == RAFT_OK);
		/* A refused change leaves the configuration as it was. */
		raft_apply_conf_change(nd->r, &cc, &nd->cs);
		raft_blob_unref(cc.context);
	}
	if (net->obs.on_apply != NULL)
		net->obs.on_apply(net->obs.arg, nd, e);
}

/* Persist, apply, then hand out messages: the order a real server uses
 * (a follower must not acknowledge what it has not persisted). */
static size_t process(struct fx_net *net, uint64_t id, struct raft_message **out, bool queue)
{
	struct fx_node *nd = fx_node(net, id);
	struct raft_ready rd;
	size_t nmsgs = 0;

	if (nd->down || !raft_has_ready(nd->r)) {
		if (out)
			*out = NULL;
		return 0;
	}
	FX_ASSERT(raft_ready(nd->r, &rd) == RAFT_OK);
	if (net->obs.on_ready != NULL)
		net->obs.on_ready(net->obs.arg, nd, &rd);
	if (!raft_snapshot_is_empty(&rd.snapshot)) {
		const struct raft_blob *d = rd.snapshot.data;

		FX_ASSERT(raft_mem_storage_apply_snapshot(nd->ms, &rd.snapshot) == RAFT_OK);
		FX_ASSERT(d != NULL && d->len == 16);
		memcpy(&nd->hash, d->bytes, 8);
		memcpy(&nd->applied, d->bytes + 8, 8);
		FX_ASSERT(nd->applied == rd.snapshot.metadata.index);
		nd->cs = rd.snapshot.metadata.conf_state;
		nd->snapshots_applied++;
		if (net->obs.on_snapshot != NULL)
			net->obs.on_snapshot(net->obs.arg, nd, &rd.snapshot);
	}
	FX_ASSERT(raft_mem_storage_append(nd->ms, rd.entries, rd.n_entries) == RAFT_OK);
	if (!raft_hard_state_is_empty(&rd.hard_state))
		raft_mem_storage_set_hard_state(nd->ms, &rd.hard_state);
	for (size_t i = 0; i < rd.n_committed_entries; i++)
		apply_entry(net, nd, &rd.committed_entries[i]);
	for (size_t i = 0; i < rd.n_read_states; i++) {
		if (nd->n_reads < sizeof(nd->reads) / sizeof(nd->reads[0])) {
			nd->reads[nd->n_reads].index = rd.read_states[i].index;
			nd->reads[nd->n_reads].ctx = raft_blob_ref(rd.read_states[i].request_ctx);
			nd->n_reads++;
		}
	}
	if (queue) {
		for (size_t i = 0; i < rd.n_msgs; i++)
			q_push(&net->q, &rd.msgs[i]);
	} else if (out != NULL) {
		*out = rd.msgs;
		nmsgs = rd.n_msgs;
		rd.msgs = NULL;
		rd.n_msgs = 0;
	}
	FX_ASSERT(raft_advance(nd->r, &rd) == RAFT_OK);
	return nmsgs;
}

void fx_node_process_ready(struct fx_net *net, uint64_t id)
{
	process(net, id, NULL, true);
}

size_t fx_node_take_msgs(struct fx_net *net, uint64_t id, struct raft_message **msgs)
{
	return process(net, id, msgs, false);
}

void fx_node_crash(struct fx_net *net, uint64_t id)
{
	struct fx_node *nd = fx_node(net, id);

	raft_node_free(nd->r);
	nd->r = NULL;
	nd->down = true;
}

void fx_node_restart(struct fx_net *net, uint64_t id)
{
	struct fx_node *nd = fx_node(net, id);
	struct raft_snapshot snap;

	if (nd->r != NULL)
		raft_node_free(nd->r);
	/* The state machine restarts from the last snapshot (it is not
	 * durable on its own); entries after it are applied again. */
	nd->st.snapshot(nd->st.ctx, &snap);
	if (snap.metadata.index > 0) {
		memcpy(&nd->hash, snap.data->bytes, 8);
		nd->applied = snap.metadata.index;
		nd->cs = snap.metadata.conf_state;
	} else {
		nd->hash = 0;
		nd->applied = 0;
		memset(&nd->cs, 0, sizeof(nd->cs));
		for (size_t i = 0; i < nd->n_boot_peers; i++)
			nd->cs.voters[nd->cs.n_voters++] = nd->boot_peers[i];
		for (size_t i = 0; i < nd->n_boot_learners; i++)
			nd->cs.learners[nd->cs.n_learners++] = nd->boot_learners[i];
	}
	raft_snapshot_clear(&snap);
	raft_entries_reset(&nd->applied_log);
	nd->down = false;
	node_start(nd);
}

void fx_node_compact(struct fx_net *net, uint64_t id, uint64_t keep)
{
	struct fx_node *nd = fx_node(net, id);
	uint8_t data[16];
	struct raft_blob *b;
	int rc;

	if (nd->applied <= keep)
		return;
	memcpy(data, &nd->hash, 8);
	memcpy(data + 8, &nd->applied, 8);
	b = raft_blob_new(data, sizeof(data));
	FX_ASSERT(b != NULL);
	rc = raft_mem_storage_create_snapshot(nd->ms, nd->applied, &nd->cs, b);
	raft_blob_unref(b);
	if (rc == RAFT_ESNAPOUTOFDATE)
		return;
	FX_ASSERT(rc == RAFT_OK);
	rc = raft_mem_storage_compact(nd->ms, nd->applied - keep);
	FX_ASSERT(rc == RAFT_OK || rc == RAFT_ECOMPACTED);
}

static bool dropped(struct fx_net *net, const struct raft_message *m)
{
	if (m->to < 1 || m->to > FX_MAX_NODES || !net->nodes[m->to].present || net->nodes[m->to].down)
		return true;
	if (m->from >= 1 && m->from <= FX_MAX_NODES && net->cut[m->from][m->to])
		return true;
	if (net->ignore[m->type])
		return true;
	return net->hook != NULL && net->hook(net->hook_arg, m);
}

void fx_net_stabilize(struct fx_net *net)
{
	struct raft_message m;

	for (uint64_t id = 1; id <= FX_MAX_NODES; id++)
		if (net->nodes[id].present)
			fx_node_process_ready(net, id);
	while (q_pop(&net->q, &m)) {
		bool lost = dropped(net, &m);

		if (!lost) {
			struct fx_node *nd = fx_node(net, m.to);
			int rc = raft_step(nd->r, &m);

			FX_ASSERT(rc == RAFT_OK || rc == RAFT_EPROPOSALDROPPED || rc == RAFT_ESTEPPEERNOTFOUND);
			net->delivered++;
			fx_node_process_ready(net, m.to);
		}
		/* The transport reports how a snapshot transfer ended. */
		if (m.type == RAFT_MSG_SNAP && m.from >= 1 && m.from <= FX_MAX_NODES &&
		    net->nodes[m.from].present && !net->nodes[m.from].down) {
			raft_report_snapshot(net->nodes[m.from].r, m.to,
					     lost ? RAFT_SNAPSHOT_FAILURE : RAFT_SNAPSHOT_FINISH);
			fx_node_process_ready(net, m.from);
		}
		raft_msg_clear(&m);
	}
}

void fx_net_send(struct fx_net *net, const struct raft_message *m)
{
	struct raft_message c;

	FX_ASSERT(raft_msg_copy(&c, m) == RAFT_OK);
	q_push(&net->q, &c);
	fx_net_stabilize(net);
}

void fx_net_campaign(struct fx_net *net, uint64_t id)
{
	FX_ASSERT(raft_campaign(fx_node(net, id)->r) == RAFT_OK);
	fx_net_stabilize(net);
}

int fx_net_propose(struct fx_net *net, uint64_t id, const char *data)
{
	int rc = raft_propose(fx_node(net, id)->r, data, strlen(data));

	fx_net_stabilize(net);
	return rc;
}

void fx_net_tick(struct fx_net *net, uint64_t id, int ticks)
{
	for (int i = 0; i < ticks; i++) {
		FX_ASSERT(raft_tick(fx_node(net, id)->r) == RAFT_OK);
		fx_net_stabilize(net);
	}
}

void fx_net_cut(struct fx_net *net, uint64_t a, uint64_t b)
{
	net->cut[a][b] = true;
	net->cut[b][a] = true;
}

void fx_net_isolate(struct fx_net *net, uint64_t id)
{
	for (uint64_t o = 1; o <= FX_MAX_NODES; o++)
		if (o != id)
			fx_net_cut(net, id, o);
}

void fx_net_recover(struct fx_net *net)
{
	memset(net->cut, 0, sizeof(net->cut));
	memset(net->ignore, 0, sizeof(net->ignore));
	net->hook = NULL;
}
