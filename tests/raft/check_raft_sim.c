/*
 * check_raft_sim.c - randomized, seeded network simulator for the Raft
 * core.  Each run builds a 3- or 5-node cluster with random options and
 * drives it with a PRNG: ticks, proposals, reads, leader transfers,
 * compactions, message delivery in random order with drops, duplicates
 * and delays, partitions and heals, crashes (also between a step and its
 * persistence) and restarts from persisted state, and single-step
 * membership changes (new learners, promotions, removals, including of the
 * leader).  After every step it checks:
 *   - election safety: at most one leader per term;
 *   - log matching: entries with equal index and term hold the same data
 *     and follow entries of the same term (hence identical prefixes);
 *   - leader completeness: a leader's log holds every committed entry;
 *   - state machine safety: every node applies the same sequence (a rolling
 *     hash per index; snapshots carry the hash);
 *   - ReadIndex: a read returns at least the commit index known when it
 *     was issued.
 * Then it heals everything and checks that the cluster converges: a leader
 * commits a new entry and every member applies the same log.
 * A failure prints the seed and the step, and stops after five seeds.
 *
 * Environment: RAFT_SIM_SEED=<n> replays one seed (verbose);
 * RAFT_SIM_RUNS=<n> sets the number of seeds (default below);
 * RAFT_SIM_FIRST=<n> the first seed; RAFT_SIM_STEPS=<n> steps per run.
 */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/raft/raft_fixture.h"

#define SIM_DEFAULT_RUNS 2000
#define SIM_DEFAULT_STEPS 1500
#define SIM_MAX_READS 4096

struct lm_slot {
	uint64_t index;
	uint64_t term;
	uint64_t ehash;
	uint64_t prev_term;
};

struct applied_rec {
	uint64_t term;
	uint64_t ehash;
	uint64_t rolling;
	bool set;
	uint64_t commit_term; /* lowest term of a leader seen committing it */
};

struct sim {
	uint64_t seed;
	uint64_t rng;
	int n;
	bool verbose;
	struct fx_net net;
	struct raft_message *pool;
	size_t pool_n;
	size_t pool_cap;
	int part[FX_MAX_NODES + 1];
	/* invariants */
	uint64_t *term_leader;
	size_t term_cap;
	struct lm_slot *lm;
	size_t lm_cap;
	size_t lm_n;
	struct applied_rec *applied;
	size_t applied_cap;
	uint64_t max_commit;
	uint64_t lc_cursor[FX_MAX_NODES + 1];
	uint64_t read_min[SIM_MAX_READS];
	uint64_t n_reads;
	uint64_t proposals;
	uint64_t reads_done;
	int w[16];
	int wsum;
	struct fx_opts opts;
	bool removed[FX_MAX_NODES + 1];
	bool remove_pending[FX_MAX_NODES + 1];
	uint64_t conf_changes;
	int step;
	bool failed;
	char why[512];
};

static struct sim *cur; /* for the abort hook */

static void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static void print_seed_on_abort(void)
{
	if (cur != NULL)
		fprintf(stderr, "raft sim: seed %" PRIu64 " aborted at step %d; replay with RAFT_SIM_SEED=%" PRIu64 "\n",
			cur->seed, cur->step, cur->seed);
}

static uint64_t rnd(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_n(struct sim *s, uint64_t n)
{
	return rnd(s) % n;
}

/* ---- invariant bookkeeping -------------------------------------------------- */

static void record_leader(struct sim *s, uint64_t term, uint64_t id)
{
	if (term >= s->term_cap) {
		size_t cap = s->term_cap ? s->term_cap : 64;

		while (cap <= term)
			cap *= 2;
		s->term_leader = realloc(s->term_leader, cap * sizeof(uint64_t));
		ck_assert_ptr_nonnull(s->term_leader);
		memset(s->term_leader + s->term_cap, 0, (cap - s->term_cap) * sizeof(uint64_t));
		s->term_cap = cap;
	}
	if (s->term_leader[term] == 0)
		s->term_leader[term] = id;
	else if (s->term_leader[term] != id)
		sim_fail(s, "two leaders in term %" PRIu64 ": %" PRIu64 " and %" PRIu64, term,
			 s->term_leader[term], id);
}

static uint64_t lm_hash(uint64_t index, uint64_t term)
{
	return (index * 0x9e3779b97f4a7c15ULL) ^ (term * 0xc2b2ae3d27d4eb4fULL);
}

static void lm_grow(struct sim *s);

static void lm_check(struct sim *s, uint64_t index, uint64_t term, uint64_t ehash, uint64_t prev_term)
{
	size_t mask, i;

	if (s->lm_n * 2 >= s->lm_cap)
		lm_grow(s);
	mask = s->lm_cap - 1;
	for (i = lm_hash(index, term) & mask;; i = (i + 1) & mask) {
		struct lm_slot *sl = &s->lm[i];

		if (sl->index == 0) {
			sl->index = index;
			sl->term = term;
			sl->ehash = ehash;
			sl->prev_term = prev_term;
			s->lm_n++;
			return;
		}
		if (sl->index == index && sl->term == term) {
			if (sl->ehash != ehash)
				sim_fail(s, "log matching: entry %" PRIu64 "/%" PRIu64 " differs", term, index);
			else if (sl->prev_term != prev_term)
				sim_fail(s, "log matching: entry %" PRIu64 "/%" PRIu64 " follows term %" PRIu64
					 " and %" PRIu64, term, index, sl->prev_term, prev_term);
			return;
		}
	}
}

static void lm_grow(struct sim *s)
{
	struct lm_slot *old = s->lm;
	size_t oldcap = s->lm_cap;

	s->lm_cap = oldcap ? oldcap * 2 : 1024;
	s->lm = calloc(s->lm_cap, sizeof(*s->lm));
	ck_assert_ptr_nonnull(s->lm);
	s->lm_n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].index != 0)
			lm_check(s, old[i].index, old[i].term, old[i].ehash, old[i].prev_term);
	free(old);
}

static struct applied_rec *applied_at(struct sim *s, uint64_t index)
{
	if (index >= s->applied_cap) {
		size_t cap = s->applied_cap ? s->applied_cap : 256;

		while (cap <= index)
			cap *= 2;
		s->applied = realloc(s->applied, cap * sizeof(*s->applied));
		ck_assert_ptr_nonnull(s->applied);
		memset(s->applied + s->applied_cap, 0, (cap - s->applied_cap) * sizeof(*s->applied));
		s->applied_cap = cap;
	}
	return &s->applied[index];
}

static void on_ready(void *arg, struct fx_node *nd, const struct raft_ready *rd)
{
	struct sim *s = arg;

	for (size_t k = 0; k < rd->n_entries; k++) {
		const struct raft_entry *e = &rd->entries[k];
		uint64_t prev = 0;

		if (k > 0) {
			prev = rd->entries[k - 1].term;
		} else if (!raft_snapshot_is_empty(&rd->snapshot) && rd->snapshot.metadata.index == e->index - 1) {
			prev = rd->snapshot.metadata.term;
		} else if (nd->st.term(nd->st.ctx, e->index - 1, &prev) != RAFT_OK) {
			sim_fail(s, "node %" PRIu64 " appends %" PRIu64 " after a hole", nd->id, e->index);
			return;
		}
		lm_check(s, e->index, e->term, fx_hash_entry(0, e), prev);
	}
	if (rd->hard_state.commit > s->max_commit)
		s->max_commit = rd->hard_state.commit;
	/* Entries a leader commits, with the leader's term (Raft's "committed
	 * in term T", which leader completeness is about). */
	if (raft_node_state(nd->r) == RAFT_STATE_LEADER && rd->hard_state.commit > 0) {
		uint64_t term = raft_node_term(nd->r);

		for (uint64_t i = s->lc_cursor[nd->id] + 1; i <= rd->hard_state.commit; i++) {
			struct applied_rec *a = applied_at(s, i);

			if (a->commit_term == 0 || a->commit_term > term)
				a->commit_term = term;
		}
		if (rd->hard_state.commit > s->lc_cursor[nd->id])
			s->lc_cursor[nd->id] = rd->hard_state.commit;
	}
}

static void on_apply(void *arg, struct fx_node *nd, const struct raft_entry *e)
{
	struct sim *s = arg;
	struct applied_rec *a = applied_at(s, e->index);
	uint64_t eh = fx_hash_entry(0, e);

	if (e->type == RAFT_ENTRY_CONF_CHANGE) {
		struct raft_conf_change cc;

		if (raft_conf_change_decode(e->data->bytes, e->data->len, &cc) == RAFT_OK) {
			/* A removed member is stopped for good, as etcd stops it;
			 * done after this step (the node may be the one applying). */
			if (cc.type == RAFT_CONF_REMOVE_NODE && cc.node_id <= FX_MAX_NODES)
				s->remove_pending[cc.node_id] = true;
			raft_blob_unref(cc.context);
		}
	}

	if (!a->set) {
		a->set = true;
		a->term = e->term;
		a->ehash = eh;
		a->rolling = nd->hash;
		return;
	}
	if (a->term != e->term || a->ehash != eh || a->rolling != nd->hash)
		sim_fail(s, "node %" PRIu64 " applied a different entry at %" PRIu64 " (term %" PRIu64 " vs %" PRIu64 ")",
			 nd->id, e->index, e->term, a->term);
}

static void on_snapshot(void *arg, struct fx_node *nd, const struct raft_snapshot *snap)
{
	struct sim *s = arg;
	uint64_t i = snap->metadata.index;

	if (i <= 1)
		return; /* the bootstrap snapshot */
	if (i >= s->applied_cap || !s->applied[i].set) {
		sim_fail(s, "node %" PRIu64 " installed a snapshot at %" PRIu64 " nobody applied", nd->id, i);
		return;
	}
	if (s->applied[i].rolling != nd->hash || s->applied[i].term != snap->metadata.term)
		sim_fail(s, "node %" PRIu64 " installed a snapshot at %" PRIu64 " with another state", nd->id, i);
}

/* Leader completeness: every entry applied anywhere is in the leader's log. */
static void check_leader_log(struct sim *s, struct fx_node *nd)
{
	uint64_t first = raft_mem_storage_first_index(nd->ms);
	uint64_t last = raft_mem_storage_last_index(nd->ms);

	uint64_t term = raft_node_term(nd->r);

	for (uint64_t i = first; i < s->applied_cap; i++) {
		uint64_t t;

		if (!s->applied[i].set)
			break;
		/* Only entries committed in earlier terms are owed to this leader
		 * (a delayed election can finish after a later term committed). */
		if (s->applied[i].commit_term == 0 || s->applied[i].commit_term >= term)
			continue;
		if (i > last || nd->st.term(nd->st.ctx, i, &t) != RAFT_OK || t != s->applied[i].term) {
			sim_fail(s, "leader %" PRIu64 " of term %" PRIu64 " lacks committed entry %" PRIu64, nd->id,
				 raft_node_term(nd->r), i);
			return;
		}
	}
}

static void stop_removed(struct sim *s)
{
	for (int id = 1; id <= s->n; id++) {
		if (!s->remove_pending[id] || s->removed[id])
			continue;
		s->removed[id] = true;
		if (!fx_node(&s->net, (uint64_t)id)->down)
			fx_node_crash(&s->net, (uint64_t)id);
	}
}

static void check_nodes(struct sim *s)
{
	stop_removed(s);
	for (int id = 1; id <= s->n; id++) {
		struct fx_node *nd = fx_node(&s->net, (uint64_t)id);
		uint64_t term;

		if (nd->down)
			continue;
		if (raft_node_error(nd->r) != RAFT_OK) {
			sim_fail(s, "node %d failed: %s", id, raft_strerror(raft_node_error(nd->r)));
			return;
		}
		if (raft_node_committed(nd->r) > s->max_commit)
			s->max_commit = raft_node_committed(nd->r);
		if (raft_node_state(nd->r) != RAFT_STATE_LEADER)
			continue;
		term = raft_node_term(nd->r);
		if (term < s->term_cap && s->term_leader[term] == (uint64_t)id)
			continue; /* already checked for this term */
		record_leader(s, term, (uint64_t)id);
		check_leader_log(s, nd);
	}
	for (int id = 1; id <= s->n; id++) {
		struct fx_node *nd = fx_node(&s->net, (uint64_t)id);

		for (size_t i = 0; i < nd->n_reads; i++) {
			uint64_t k;

			if (raft_blob_len(nd->reads[i].ctx) != 8) {
				sim_fail(s, "read state with a bad context");
				continue;
			}
			memcpy(&k, nd->reads[i].ctx->bytes, 8);
			if (k < SIM_MAX_READS && nd->reads[i].index < s->read_min[k])
				sim_fail(s, "read %" PRIu64 " answered index %" PRIu64 " < commit %" PRIu64 " at issue",
					 k, nd->reads[i].index, s->read_min[k]);
			s->reads_done++;
			raft_blob_unref(nd->reads[i].ctx);
		}
		nd->n_reads = 0;
	}
}

/* ---- network ------------------------------------------------------------------ */

static void pool_push(struct sim *s, struct raft_message *m)
{
	if (s->pool_n == s->pool_cap) {
		s->pool_cap = s->pool_cap ? s->pool_cap * 2 : 64;
		s->pool = realloc(s->pool, s->pool_cap * sizeof(*s->pool));
		ck_assert_ptr_nonnull(s->pool);
	}
	s->pool[s->pool_n++] = *m;
	memset(m, 0, sizeof(*m));
}

static void process(struct sim *s, uint64_t id)
{
	struct raft_message *msgs;
	size_t n;

	if (fx_node(&s->net, id)->down)
		return;
	n = fx_node_take_msgs(&s->net, id, &msgs);
	for (size_t i = 0; i < n; i++)
		pool_push(s, &msgs[i]);
	free(msgs);
}

static void process_all(struct sim *s)
{
	for (int id = 1; id <= s->n; id++)
		process(s, (uint64_t)id);
}

static bool reachable(struct sim *s, const struct raft_message *m)
{
	if (m->to < 1 || m->to > (uint64_t)s->n || m->from < 1 || m->from > (uint64_t)s->n)
		return false;
	if (fx_node(&s->net, m->to)->down)
		return false;
	return s->part[m->from] == s->part[m->to];
}

static void report_lost(struct sim *s, const struct raft_message *m, bool lost)
{
	struct fx_node *from;

	if (m->from < 1 || m->from > (uint64_t)s->n)
		return;
	from = fx_node(&s->net, m->from);
	if (from->down)
		return;
	if (m->type == RAFT_MSG_SNAP)
		raft_report_snapshot(from->r, m->to, lost ? RAFT_SNAPSHOT_FAILURE : RAFT_SNAPSHOT_FINISH);
	else if (lost && rnd_n(s, 4) == 0)
		raft_report_unreachable(from->r, m->to);
	process(s, m->from);
}

/* Nodes not removed, and how many of them are down. */
static int live_limit(struct sim *s)
{
	int n = 0;

	for (int id = 1; id <= s->n; id++)
		n += !s->removed[id];
	return n - 1;
}

static int down_count(struct sim *s)
{
	int d = 0;

	for (int id = 1; id <= s->n; id++)
		d += fx_node(&s->net, (uint64_t)id)->down && !s->removed[id];
	return d;
}

/* Delivers pool message k (possibly dropping or duplicating it). */
static void deliver(struct sim *s, size_t k, bool reliable)
{
	struct raft_message m = s->pool[k];
	bool dup = false, lost;

	s->pool[k] = s->pool[--s->pool_n];
	lost = !reachable(s, &m) || (!reliable && rnd_n(s, 100) < 5);
	if (!lost) {
		int rc;

		if (!reliable && rnd_n(s, 100) < 4)
			dup = true;
		rc = raft_step(fx_node(&s->net, m.to)->r, &m);
		s->net.delivered++;
		if (rc != RAFT_OK && rc != RAFT_EPROPOSALDROPPED && rc != RAFT_ESTEPPEERNOTFOUND)
			sim_fail(s, "step %s to %" PRIu64 ": %s", raft_msg_type_name(m.type), m.to, raft_strerror(rc));
		if (!reliable && rnd_n(s, 1000) < 3 && down_count(s) < live_limit(s))
			fx_node_crash(&s->net, m.to); /* before persisting: the step is lost */
		else
			process(s, m.to);
	}
	if (m.type == RAFT_MSG_SNAP || lost)
		report_lost(s, &m, lost);
	if (dup)
		pool_push(s, &m); /* deliver it again later */
	else
		raft_msg_clear(&m);
}

/* Older messages are likelier to go first, but any may overtake. */
static void deliver_random(struct sim *s)
{
	size_t k;

	if (s->pool_n == 0)
		return;
	if (rnd_n(s, 2) == 0)
		k = (size_t)rnd_n(s, s->pool_n < 4 ? s->pool_n : 4);
	else
		k = (size_t)rnd_n(s, s->pool_n);
	deliver(s, k, false);
}

/* ---- actions ------------------------------------------------------------------- */

static uint64_t random_live(struct sim *s)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t id = 1 + rnd_n(s, (uint64_t)s->n);

		if (!fx_node(&s->net, id)->down)
			return id;
	}
	return 0;
}

static void act_propose(struct sim *s)
{
	uint64_t id = random_live(s);
	struct raft_blob *b[3];
	int cnt = 1 + (int)rnd_n(s, 3);
	char buf[64];

	if (id == 0)
		return;
	for (int i = 0; i < cnt; i++) {
		int len = snprintf(buf, sizeof(buf), "s%" PRIu64 "-p%" PRIu64, s->seed, s->proposals++);

		b[i] = raft_blob_new(buf, (size_t)len);
		ck_assert_ptr_nonnull(b[i]);
	}
	raft_propose_batch(fx_node(&s->net, id)->r, b, (size_t)cnt);
	for (int i = 0; i < cnt; i++)
		raft_blob_unref(b[i]);
	process(s, id);
}

static void act_read(struct sim *s)
{
	uint64_t id = random_live(s), k = s->n_reads;

	if (id == 0 || k >= SIM_MAX_READS)
		return;
	s->read_min[k] = s->max_commit;
	s->n_reads++;
	raft_read_index(fx_node(&s->net, id)->r, &k, sizeof(k));
	process(s, id);
}

static void act_partition(struct sim *s)
{
	if (rnd_n(s, 3) == 0) {
		memset(s->part, 0, sizeof(s->part));
		return;
	}
	for (int id = 1; id <= s->n; id++)
		s->part[id] = (int)rnd_n(s, 2);
}

static void act_crash(struct sim *s)
{
	uint64_t id = random_live(s);

	if (id == 0 || down_count(s) >= live_limit(s))
		return;
	fx_node_crash(&s->net, id);
}

static void act_restart(struct sim *s)
{
	for (int id = 1; id <= s->n; id++) {
		if (fx_node(&s->net, (uint64_t)id)->down && !s->removed[id]) {
			fx_node_restart(&s->net, (uint64_t)id);
			process(s, (uint64_t)id);
			return;
		}
	}
}

static void act_transfer(struct sim *s)
{
	for (int id = 1; id <= s->n; id++) {
		struct fx_node *nd = fx_node(&s->net, (uint64_t)id);

		if (!nd->down && raft_node_state(nd->r) == RAFT_STATE_LEADER) {
			raft_transfer_leader(nd->r, 1 + rnd_n(s, (uint64_t)s->n));
			process(s, (uint64_t)id);
			return;
		}
	}
}

static struct fx_node *live_leader(struct sim *s)
{
	for (int id = 1; id <= s->n; id++) {
		struct fx_node *nd = fx_node(&s->net, (uint64_t)id);

		if (!nd->down && raft_node_state(nd->r) == RAFT_STATE_LEADER)
			return nd;
	}
	return NULL;
}

/* Single-step membership changes: add a learner (a new, empty node),
 * promote a learner, remove a member. */
static void act_conf(struct sim *s)
{
	struct fx_node *lead = live_leader(s);
	struct raft_conf_change cc = { 0 };
	struct raft_status st;
	const struct raft_conf_state *cs = &st.conf_state;

	if (lead == NULL)
		return;
	raft_status(lead->r, &st);
	switch (rnd_n(s, 3)) {
	case 0:
		if (s->n >= FX_MAX_NODES)
			return;
		cc.type = RAFT_CONF_ADD_LEARNER_NODE;
		cc.node_id = (uint64_t)++s->n;
		fx_node_add_empty(&s->net, cc.node_id, &s->opts);
		s->part[cc.node_id] = s->part[lead->id];
		break;
	case 1:
		if (cs->n_learners == 0)
			return;
		cc.type = RAFT_CONF_ADD_NODE;
		cc.node_id = cs->learners[rnd_n(s, cs->n_learners)];
		break;
	default: {
		uint64_t k = rnd_n(s, cs->n_voters + cs->n_learners);

		if (k < cs->n_voters && cs->n_voters <= 3)
			return; /* keep a quorum worth testing */
		cc.type = RAFT_CONF_REMOVE_NODE;
		cc.node_id = k < cs->n_voters ? cs->voters[k] : cs->learners[k - cs->n_voters];
		break;
	}
	}
	cc.id = ++s->conf_changes;
	raft_propose_conf_change(lead->r, &cc);
	process(s, lead->id);
}

static void act_tick(struct sim *s, uint64_t id)
{
	if (id == 0 || fx_node(&s->net, id)->down)
		return;
	raft_tick(fx_node(&s->net, id)->r);
	process(s, id);
}

enum sim_action {
	A_DELIVER, A_TICK_ONE, A_TICK_ALL, A_PROPOSE, A_READ, A_PARTITION, A_HEAL,
	A_CRASH, A_RESTART, A_COMPACT, A_TRANSFER, A_CONF, A_BURST, A_COUNT
};

/* Each run draws its own mix, so some runs are calm and some churn
 * through many leaders. */
static void choose_weights(struct sim *s)
{
	static const int base[A_COUNT][2] = {
		[A_DELIVER] = { 200, 300 }, [A_TICK_ONE] = { 100, 200 }, [A_TICK_ALL] = { 20, 60 },
		[A_PROPOSE] = { 60, 120 }, [A_READ] = { 10, 30 }, [A_PARTITION] = { 5, 30 },
		[A_HEAL] = { 10, 30 }, [A_CRASH] = { 2, 15 }, [A_RESTART] = { 20, 30 },
		[A_COMPACT] = { 10, 30 }, [A_TRANSFER] = { 2, 15 }, [A_CONF] = { 0, 8 },
		[A_BURST] = { 30, 60 },
	};

	s->wsum = 0;
	for (int a = 0; a < A_COUNT; a++) {
		s->w[a] = base[a][0] + (int)rnd_n(s, (uint64_t)(base[a][1] - base[a][0] + 1));
		s->wsum += s->w[a];
	}
}

static void one_step(struct sim *s)
{
	int r = (int)rnd_n(s, (uint64_t)s->wsum), a = 0;

	while (r >= s->w[a])
		r -= s->w[a++];
	switch ((enum sim_action)a) {
	case A_DELIVER:
		deliver_random(s);
		break;
	case A_TICK_ONE:
		act_tick(s, random_live(s));
		break;
	case A_TICK_ALL:
		for (int id = 1; id <= s->n; id++)
			act_tick(s, (uint64_t)id);
		break;
	case A_PROPOSE:
		act_propose(s);
		break;
	case A_READ:
		act_read(s);
		break;
	case A_PARTITION:
		act_partition(s);
		break;
	case A_HEAL:
		memset(s->part, 0, sizeof(s->part));
		break;
	case A_CRASH:
		act_crash(s);
		break;
	case A_RESTART:
		act_restart(s);
		break;
	case A_COMPACT: {
		uint64_t id = random_live(s);

		if (id != 0)
			fx_node_compact(&s->net, id, rnd_n(s, 4));
		break;
	}
	case A_TRANSFER:
		act_transfer(s);
		break;
	case A_CONF:
		act_conf(s);
		break;
	case A_BURST:
	case A_COUNT:
		for (int i = 0; i < 8 && !s->failed; i++) {
			deliver_random(s);
			check_nodes(s);
		}
		break;
	}
}

/* After healing, the cluster must elect a leader and converge. */
static void check_liveness(struct sim *s)
{
	uint64_t marker = UINT64_MAX;
	struct fx_node *lead = NULL;

	memset(s->part, 0, sizeof(s->part));
	for (int id = 1; id <= s->n; id++)
		if (fx_node(&s->net, (uint64_t)id)->down && !s->removed[id])
			fx_node_restart(&s->net, (uint64_t)id);
	process_all(s);
	for (int round = 0; round < 3000 && !s->failed; round++) {
		struct raft_status st;
		const struct raft_conf_state *cs = &st.conf_state;
		bool converged = true;

		for (int id = 1; id <= s->n; id++)
			act_tick(s, (uint64_t)id);
		while (s->pool_n > 0 && !s->failed)
			deliver(s, 0, true);
		check_nodes(s);
		lead = live_leader(s);
		if (lead == NULL)
			continue;
		/* New members need a snapshot that includes them. */
		if (round % 25 == 24)
			fx_node_compact(&s->net, lead->id, 0);
		if (marker == UINT64_MAX || marker > raft_mem_storage_last_index(lead->ms)) {
			/* a fresh proposal proves the leader can commit */
			if (raft_propose(lead->r, "live", 4) == RAFT_OK)
				marker = raft_mem_storage_last_index(lead->ms) + 1;
			process(s, lead->id);
			continue;
		}
		raft_status(lead->r, &st);
		for (uint32_t i = 0; i < cs->n_voters + cs->n_learners; i++) {
			uint64_t id = i < cs->n_voters ? cs->voters[i] : cs->learners[i - cs->n_voters];
			struct fx_node *nd = fx_node(&s->net, id);

			if (nd->down || nd->applied != lead->applied || nd->applied < marker)
				converged = false;
		}
		if (converged)
			return;
	}
	if (!s->failed)
		sim_fail(s, "no convergence after healing (leader %" PRIu64 ")", lead ? lead->id : 0);
}

static uint64_t count_leaders(struct sim *s)
{
	uint64_t n = 0;

	for (size_t t = 0; t < s->term_cap; t++)
		n += s->term_leader[t] != 0;
	return n;
}

static void sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->pool_n; i++)
		raft_msg_clear(&s->pool[i]);
	free(s->pool);
	free(s->term_leader);
	free(s->lm);
	free(s->applied);
	fx_net_free(&s->net);
}

/* Runs one seed; returns true when every check passed. */
static bool sim_run(uint64_t seed, int steps, bool verbose)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct fx_opts o = { 0 };
	bool ok;

	ck_assert_ptr_nonnull(s);
	cur = s;
	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	s->verbose = verbose;
	s->n = (rnd(s) >> 17) & 1 ? 5 : 3;
	o.pre_vote = rnd_n(s, 2);
	o.check_quorum = rnd_n(s, 2);
	o.election_tick = 5 + (int)rnd_n(s, 6);
	o.heartbeat_tick = 1 + (int)rnd_n(s, 2);
	o.max_inflight = 1 + (int)rnd_n(s, 8);
	switch (rnd_n(s, 3)) {
	case 0: o.max_size_per_msg = 1; break; /* one entry per MsgApp */
	case 1: o.max_size_per_msg = 64 + rnd_n(s, 256); break;
	default: o.max_size_per_msg = 0; break; /* no limit */
	}
	o.seed = seed;
	s->opts = o;
	choose_weights(s);
	fx_net_init(&s->net, s->n, 0, &o);
	s->net.obs.arg = s;
	s->net.obs.on_ready = on_ready;
	s->net.obs.on_apply = on_apply;
	s->net.obs.on_snapshot = on_snapshot;
	applied_at(s, 1)->set = true; /* the bootstrap snapshot */
	applied_at(s, 1)->term = 1;
	applied_at(s, 1)->rolling = 0;
	if (verbose)
		fprintf(stderr, "seed %" PRIu64 ": %d nodes pre_vote=%d check_quorum=%d election=%d heartbeat=%d "
			"inflight=%d max_msg=%" PRIu64 "\n", seed, s->n, o.pre_vote, o.check_quorum,
			o.election_tick, o.heartbeat_tick, o.max_inflight, o.max_size_per_msg);
	for (s->step = 0; s->step < steps && !s->failed; s->step++) {
		one_step(s);
		check_nodes(s);
	}
	if (!s->failed)
		check_liveness(s);
	ok = !s->failed;
	if (!ok)
		fprintf(stderr, "raft sim: seed %" PRIu64 " failed at step %d: %s\n"
			"  replay with RAFT_SIM_SEED=%" PRIu64 "\n", seed, s->step, s->why, seed);
	else if (verbose)
		fprintf(stderr, "seed %" PRIu64 ": ok, %" PRIu64 " proposals, max commit %" PRIu64
			", %" PRIu64 " reads answered, %zu terms, %" PRIu64 " messages delivered, "
			"%" PRIu64 " conf changes proposed, %d nodes at the end\n", seed,
			s->proposals, s->max_commit, s->reads_done, s->term_cap ? (size_t)count_leaders(s) : 0,
			s->net.delivered, s->conf_changes, s->n);
	sim_free(s);
	free(s);
	cur = NULL;
	return ok;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : def;
}

START_TEST(test_simulator)
{
	uint64_t steps = env_u64("RAFT_SIM_STEPS", SIM_DEFAULT_STEPS);
	const char *one = getenv("RAFT_SIM_SEED");
	int failures = 0;

	fx_on_abort = print_seed_on_abort;
	if (one != NULL && *one != '\0') {
		ck_assert_msg(sim_run(strtoull(one, NULL, 10), (int)steps, true), "seed failed");
		return;
	}
	uint64_t first = env_u64("RAFT_SIM_FIRST", 1);
	uint64_t runs = env_u64("RAFT_SIM_RUNS", SIM_DEFAULT_RUNS);

	for (uint64_t seed = first; seed < first + runs; seed++)
		if (!sim_run(seed, (int)steps, false) && ++failures >= 5)
			break;
	ck_assert_msg(failures == 0, "%d simulator seeds failed (see above)", failures);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_sim");
	TCase *tc = tcase_create("sim");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 0); /* bounded by RAFT_SIM_RUNS instead */
	tcase_add_test(tc, test_simulator);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
