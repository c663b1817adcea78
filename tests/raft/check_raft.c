/*
 * check_raft.c - unit tests of one Raft node: how each raftpb message type
 * is handled in each role (follower, pre-candidate, candidate, leader,
 * learner), in the spirit of etcd's raft_test.go / raft_paper_test.go.
 * The node under test talks to nobody: the test steps messages into it and
 * inspects what it wants to send.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft.h"

struct un {
	struct raft_mem_storage *ms;
	struct raft_storage st;
	struct raft_node *r;
	struct raft_message msgs[256];
	size_t n;
	struct raft_read_state reads[16];
	size_t n_reads;
	uint64_t applied;
};

typedef void (*tweak_fn)(struct raft_config *c);

static void tw_prevote(struct raft_config *c) { c->pre_vote = true; }
static void tw_checkquorum(struct raft_config *c) { c->check_quorum = true; }
static void tw_noforward(struct raft_config *c) { c->disable_proposal_forwarding = true; }
static void tw_small_uncommitted(struct raft_config *c) { c->max_uncommitted_entries_size = 10; }
static void tw_lease(struct raft_config *c)
{
	c->check_quorum = true;
	c->read_only_option = RAFT_READ_ONLY_LEASE_BASED;
}

static void un_clear_msgs(struct un *u)
{
	for (size_t i = 0; i < u->n; i++)
		raft_msg_clear(&u->msgs[i]);
	u->n = 0;
}

/* Takes the ready: persists, applies (counting), keeps the messages. */
static size_t un_drain(struct un *u)
{
	struct raft_ready rd;

	un_clear_msgs(u);
	if (!raft_has_ready(u->r))
		return 0;
	ck_assert_int_eq(raft_ready(u->r, &rd), RAFT_OK);
	if (!raft_snapshot_is_empty(&rd.snapshot))
		ck_assert_int_eq(raft_mem_storage_apply_snapshot(u->ms, &rd.snapshot), RAFT_OK);
	ck_assert_int_eq(raft_mem_storage_append(u->ms, rd.entries, rd.n_entries), RAFT_OK);
	if (!raft_hard_state_is_empty(&rd.hard_state))
		raft_mem_storage_set_hard_state(u->ms, &rd.hard_state);
	for (size_t i = 0; i < rd.n_msgs && u->n < 256; i++) {
		u->msgs[u->n++] = rd.msgs[i];
		memset(&rd.msgs[i], 0, sizeof(rd.msgs[i]));
	}
	for (size_t i = 0; i < rd.n_read_states && u->n_reads < 16; i++) {
		u->reads[u->n_reads].index = rd.read_states[i].index;
		u->reads[u->n_reads++].request_ctx = raft_blob_ref(rd.read_states[i].request_ctx);
	}
	if (rd.n_committed_entries > 0)
		u->applied = rd.committed_entries[rd.n_committed_entries - 1].index;
	ck_assert_int_eq(raft_advance(u->r, &rd), RAFT_OK);
	return u->n;
}

/* Node `id` of peers 1..npeers (plus learner ids listed), empty log. */
static void un_init_l(struct un *u, uint64_t id, int npeers, const uint64_t *learners, size_t nl, tweak_fn tw)
{
	uint64_t peers[8];
	struct raft_config c;

	memset(u, 0, sizeof(*u));
	for (int i = 0; i < npeers; i++)
		peers[i] = (uint64_t)i + 1;
	u->ms = raft_mem_storage_new();
	ck_assert_ptr_nonnull(u->ms);
	raft_mem_storage_bind(u->ms, &u->st);
	raft_config_init(&c, id, &u->st);
	c.peers = peers;
	c.n_peers = (size_t)npeers;
	c.learners = learners;
	c.n_learners = nl;
	if (tw != NULL)
		tw(&c);
	ck_assert_int_eq(raft_node_new(&c, &u->r), RAFT_OK);
}

static void un_init(struct un *u, uint64_t id, int npeers, tweak_fn tw)
{
	un_init_l(u, id, npeers, NULL, 0, tw);
}

static void un_free(struct un *u)
{
	un_clear_msgs(u);
	for (size_t i = 0; i < u->n_reads; i++)
		raft_blob_unref(u->reads[i].request_ctx);
	raft_node_free(u->r);
	raft_mem_storage_free(u->ms);
}

static int un_step(struct un *u, struct raft_message m)
{
	int rc = raft_step(u->r, &m);

	un_drain(u);
	return rc;
}

static const struct raft_message *un_find(const struct un *u, enum raft_msg_type t, uint64_t to)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->msgs[i].type == t && (to == 0 || u->msgs[i].to == to))
			return &u->msgs[i];
	return NULL;
}

static size_t un_count(const struct un *u, enum raft_msg_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < u->n; i++)
		n += u->msgs[i].type == t;
	return n;
}

/* Roles.  Node 1 of a 3-node cluster. */
static void make_candidate(struct un *u, tweak_fn tw)
{
	un_init(u, 1, 3, tw);
	ck_assert_int_eq(raft_campaign(u->r), RAFT_OK);
	un_drain(u);
}

static void make_leader(struct un *u, tweak_fn tw)
{
	make_candidate(u, tw);
	if (raft_node_state(u->r) == RAFT_STATE_PRE_CANDIDATE)
		un_step(u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE_RESP, .from = 2, .to = 1,
						  .term = raft_node_term(u->r) + 1 });
	un_step(u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1,
					  .term = raft_node_term(u->r) });
	ck_assert_int_eq(raft_node_state(u->r), RAFT_STATE_LEADER);
}

/* A follower of leader 2 at term 1 that holds entry 1/1. */
static void make_follower(struct un *u, tweak_fn tw)
{
	struct raft_entry e = { .term = 1, .index = 1 };

	un_init(u, 1, 3, tw);
	un_step(u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1,
					  .index = 0, .log_term = 0, .entries = &e, .n_entries = 1,
					  .commit = 1 });
	ck_assert_int_eq(raft_node_state(u->r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_lead(u->r), 2);
	ck_assert_uint_eq(raft_node_committed(u->r), 1);
}

/* Acknowledges everything the leader sent so far, from 2 and 3. */
static void ack_all(struct un *u)
{
	for (int round = 0; round < 8; round++) {
		struct raft_message acks[16];
		size_t n = 0;

		for (size_t i = 0; i < u->n && n < 16; i++) {
			const struct raft_message *m = &u->msgs[i];

			if (m->type == RAFT_MSG_APP)
				acks[n++] = (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = m->to, .to = 1,
								   .term = m->term, .index = m->index + m->n_entries };
		}
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++)
			raft_step(u->r, &acks[i]);
		un_drain(u);
	}
}

/* ---- MsgHup ----------------------------------------------------------------- */

START_TEST(test_hup)
{
	struct un u;

	/* follower -> candidate of term+1, votes requested from 2 and 3 */
	un_init(&u, 1, 3, NULL);
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	un_drain(&u);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_VOTE), 2);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_VOTE, 2)->term, 1);
	/* candidate -> a new election */
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	un_drain(&u);
	ck_assert_uint_eq(raft_node_term(u.r), 2);
	un_free(&u);

	/* with pre_vote: pre-candidate, term unchanged, pre-votes for term+1 */
	un_init(&u, 1, 3, tw_prevote);
	raft_campaign(u.r);
	un_drain(&u);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_PRE_CANDIDATE);
	ck_assert_uint_eq(raft_node_term(u.r), 0);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_PRE_VOTE), 2);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_PRE_VOTE, 3)->term, 1);
	un_free(&u);

	/* leader: ignored */
	make_leader(&u, NULL);
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	ck_assert_uint_eq(un_drain(&u), 0);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	un_free(&u);

	/* single voter: leader at once */
	un_init(&u, 1, 1, NULL);
	raft_campaign(u.r);
	un_drain(&u);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	un_free(&u);
}
END_TEST

START_TEST(test_hup_learner_ignored)
{
	struct un u;
	const uint64_t learners[] = { 4 };

	un_init_l(&u, 4, 3, learners, 1, NULL);
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	for (int i = 0; i < 100; i++)
		raft_tick(u.r);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(un_drain(&u), 0);
	un_free(&u);
}
END_TEST

START_TEST(test_hup_blocked_by_unapplied_conf_change)
{
	struct un u;
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_NODE, .node_id = 4 };
	struct raft_entry e = { .term = 1, .index = 1, .type = RAFT_ENTRY_CONF_CHANGE };

	un_init(&u, 1, 3, NULL);
	e.data = raft_conf_change_encode(&cc);
	/* committed but not yet applied: no ready taken */
	raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1,
					       .entries = &e, .n_entries = 1, .commit = 1 });
	raft_blob_unref(e.data);
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	un_drain(&u); /* applies it */
	ck_assert_int_eq(raft_campaign(u.r), RAFT_OK);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	un_free(&u);
}
END_TEST

START_TEST(test_election_timeout_randomized)
{
	/* Timeouts fall in [election, 2*election) and differ across seeds. */
	bool seen[20] = { false };
	int distinct = 0;

	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct un u;
		struct raft_config c;
		uint64_t peers[] = { 1, 2, 3 };
		int ticks = 0;

		memset(&u, 0, sizeof(u));
		u.ms = raft_mem_storage_new();
		raft_mem_storage_bind(u.ms, &u.st);
		raft_config_init(&c, 1, &u.st);
		c.peers = peers;
		c.n_peers = 3;
		c.rand_seed = seed;
		ck_assert_int_eq(raft_node_new(&c, &u.r), RAFT_OK);
		while (raft_node_state(u.r) == RAFT_STATE_FOLLOWER && ticks < 100) {
			raft_tick(u.r);
			ticks++;
		}
		ck_assert_int_ge(ticks, 10);
		ck_assert_int_lt(ticks, 20);
		if (!seen[ticks]) {
			seen[ticks] = true;
			distinct++;
		}
		un_free(&u);
	}
	ck_assert_int_ge(distinct, 5);
}
END_TEST

/* ---- MsgBeat / MsgCheckQuorum / local types ---------------------------------- */

START_TEST(test_beat)
{
	struct un u;

	make_leader(&u, NULL);
	ack_all(&u);
	for (int i = 0; i < 1; i++)
		raft_tick(u.r); /* heartbeat_tick 1: MsgBeat */
	un_drain(&u);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_HEARTBEAT), 2);
	/* heartbeats carry min(match, committed) */
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_HEARTBEAT, 2)->commit, 1);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_HEARTBEAT, 2)->term, 1);
	/* raft_step refuses local message types */
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_BEAT }), RAFT_ESTEPLOCALMSG);
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_HUP }), RAFT_ESTEPLOCALMSG);
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_CHECK_QUORUM }),
			 RAFT_ESTEPLOCALMSG);
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_UNREACHABLE, .from = 2 }),
			 RAFT_ESTEPLOCALMSG);
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_SNAP_STATUS, .from = 2 }),
			 RAFT_ESTEPLOCALMSG);
	un_free(&u);

	/* followers never send heartbeats */
	make_follower(&u, NULL);
	for (int i = 0; i < 5; i++)
		raft_tick(u.r);
	un_drain(&u);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_HEARTBEAT), 0);
	un_free(&u);
}
END_TEST

START_TEST(test_heartbeat_commit_is_min_of_match)
{
	struct un u;

	make_leader(&u, NULL);
	/* only 2 acknowledges: commit 1, match(3) = 0 */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1 });
	ck_assert_uint_eq(raft_node_committed(u.r), 1);
	raft_tick(u.r);
	un_drain(&u);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_HEARTBEAT, 2)->commit, 1);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_HEARTBEAT, 3)->commit, 0);
	un_free(&u);
}
END_TEST

START_TEST(test_check_quorum)
{
	struct un u;

	/* leader hearing from nobody steps down after an election timeout */
	make_leader(&u, tw_checkquorum);
	for (int i = 0; i < 10; i++)
		raft_tick(u.r);
	un_drain(&u);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 1); /* same term */
	un_free(&u);

	/* ...but stays while a quorum answers */
	make_leader(&u, tw_checkquorum);
	for (int i = 0; i < 30; i++) {
		raft_tick(u.r);
		un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = 1 });
	}
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	un_free(&u);
}
END_TEST

/* ---- MsgProp -------------------------------------------------------------------- */

START_TEST(test_prop)
{
	struct un u;
	const struct raft_message *m;

	/* leader appends and replicates */
	make_leader(&u, NULL);
	ack_all(&u);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_OK);
	un_drain(&u);
	m = un_find(&u, RAFT_MSG_APP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_entries, 1);
	ck_assert_uint_eq(m->entries[0].index, 2);
	ck_assert_uint_eq(m->entries[0].term, 1);
	ck_assert_mem_eq(m->entries[0].data->bytes, "abc", 3);
	un_free(&u);

	/* follower forwards to its leader */
	make_follower(&u, NULL);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_OK);
	un_drain(&u);
	m = un_find(&u, RAFT_MSG_PROP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->from, 1);
	ck_assert_uint_eq(m->term, 0);
	un_free(&u);

	/* ...unless forwarding is disabled */
	make_follower(&u, tw_noforward);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_EPROPOSALDROPPED);
	un_free(&u);

	/* follower without leader, candidate, pre-candidate: dropped */
	un_init(&u, 1, 3, NULL);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_EPROPOSALDROPPED);
	un_free(&u);
	make_candidate(&u, NULL);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_EPROPOSALDROPPED);
	un_free(&u);
	make_candidate(&u, tw_prevote);
	ck_assert_int_eq(raft_propose(u.r, "abc", 3), RAFT_EPROPOSALDROPPED);
	un_free(&u);
}
END_TEST

START_TEST(test_prop_batch_and_from_peer)
{
	struct un u;
	struct raft_blob *b[3];
	struct raft_entry e = { 0 };

	make_leader(&u, NULL);
	ack_all(&u);
	for (int i = 0; i < 3; i++)
		b[i] = raft_blob_new("x", 1);
	ck_assert_int_eq(raft_propose_batch(u.r, b, 3), RAFT_OK);
	for (int i = 0; i < 3; i++)
		raft_blob_unref(b[i]);
	un_drain(&u);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP, 3)->n_entries, 3);
	/* a MsgProp forwarded by follower 2 */
	e.data = raft_blob_new("y", 1);
	ck_assert_int_eq(un_step(&u, (struct raft_message){ .type = RAFT_MSG_PROP, .from = 2, .to = 1,
							    .entries = &e, .n_entries = 1 }), RAFT_OK);
	raft_blob_unref(e.data);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP, 2)->entries[0].index, 5);
	/* a large batch (heap paths) */
	{
		struct raft_blob *many[40];

		for (int i = 0; i < 40; i++)
			many[i] = raft_blob_new("z", 1);
		ck_assert_int_eq(raft_propose_batch(u.r, many, 40), RAFT_OK);
		for (int i = 0; i < 40; i++)
			raft_blob_unref(many[i]);
		un_drain(&u);
		ck_assert_uint_eq(raft_mem_storage_last_index(u.ms), 45);
	}
	un_free(&u);
}
END_TEST

/* ---- MsgApp ---------------------------------------------------------------------- */

START_TEST(test_app_follower)
{
	struct un u;
	struct raft_entry e[2] = { { .term = 1, .index = 2 }, { .term = 1, .index = 3 } };
	const struct raft_message *m;

	make_follower(&u, NULL);
	/* accepted */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 1,
					   .log_term = 1, .entries = e, .n_entries = 2, .commit = 2 });
	m = un_find(&u, RAFT_MSG_APP_RESP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert(!m->reject);
	ck_assert_uint_eq(m->index, 3);
	ck_assert_uint_eq(raft_node_committed(u.r), 2);
	/* mismatch: rejected with our last index as hint */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 7,
					   .log_term = 1, .commit = 2 });
	m = un_find(&u, RAFT_MSG_APP_RESP, 2);
	ck_assert(m->reject);
	ck_assert_uint_eq(m->index, 7);
	ck_assert_uint_eq(m->reject_hint, 3);
	/* stale: below commit, answered with the commit index */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 1,
					   .log_term = 1, .commit = 1 });
	m = un_find(&u, RAFT_MSG_APP_RESP, 2);
	ck_assert(!m->reject);
	ck_assert_uint_eq(m->index, 2);
	un_free(&u);
}
END_TEST

START_TEST(test_app_conflict_truncates)
{
	struct un u;
	struct raft_entry e1[2] = { { .term = 1, .index = 2 }, { .term = 1, .index = 3 } };
	struct raft_entry e2 = { .term = 2, .index = 3 };
	uint64_t t;

	make_follower(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 1,
					   .log_term = 1, .entries = e1, .n_entries = 2, .commit = 1 });
	/* new leader 3 at term 2 overwrites uncommitted index 3 */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 3, .to = 1, .term = 2, .index = 2,
					   .log_term = 1, .entries = &e2, .n_entries = 1, .commit = 1 });
	ck_assert_uint_eq(raft_node_lead(u.r), 3);
	ck_assert_int_eq(u.st.term(u.st.ctx, 3, &t), RAFT_OK);
	ck_assert_uint_eq(t, 2);
	ck_assert_uint_eq(raft_mem_storage_last_index(u.ms), 3);
	un_free(&u);
}
END_TEST

START_TEST(test_app_other_roles)
{
	struct un u;

	/* candidate: an append of its term means someone won: follow it */
	make_candidate(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_lead(u.r), 2);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP_RESP, 2));
	un_free(&u);

	/* pre-candidate likewise */
	make_candidate(&u, tw_prevote);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	un_free(&u);

	/* leader: an append of a higher term deposes it */
	make_leader(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 5 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 5);
	ck_assert_uint_eq(raft_node_lead(u.r), 2);
	un_free(&u);

	/* lower term: ignored, or answered to free a stale leader (check_quorum) */
	make_leader(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 5 });
	ck_assert_uint_eq(un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 3, .to = 1, .term = 1 }),
			  RAFT_OK);
	ck_assert_uint_eq(u.n, 0);
	un_free(&u);
	make_follower(&u, tw_checkquorum);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT, .from = 3, .to = 1, .term = 4 });
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP_RESP, 2));
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP_RESP, 2)->term, 4);
	un_free(&u);
}
END_TEST

/* ---- MsgAppResp ------------------------------------------------------------------- */

START_TEST(test_app_resp_leader)
{
	struct un u;
	struct raft_status st;

	make_leader(&u, NULL);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_PROBE);
	/* accept: probe -> replicate, commit by quorum */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1 });
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(st.progress[1].match, 1);
	ck_assert_uint_eq(raft_node_committed(u.r), 1);
	/* the commit is broadcast */
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP, 2)->commit, 1);
	un_free(&u);
}
END_TEST

START_TEST(test_app_resp_reject_backtracks)
{
	struct un u;
	struct raft_status st;
	const struct raft_message *m;

	make_leader(&u, NULL);
	/* 3 probes with one MsgApp in flight, paused until it answers; its
	 * rejection unpauses it and the append is sent again. */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 3, .to = 1, .term = 1, .index = 0,
					   .reject = true, .reject_hint = 0 });
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_PROBE);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP, 3));
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP, 3)->index, 0);
	ack_all(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1 });
	for (int i = 0; i < 5; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	ack_all(&u);
	for (int i = 0; i < 5; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(st.progress[1].match, 6);
	ck_assert_uint_eq(st.progress[1].next, 12);
	/* 2 rejects 11 with hint 3 (it lost entries?): back to probe from match */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 11,
					   .reject = true, .reject_hint = 6 });
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_PROBE);
	m = un_find(&u, RAFT_MSG_APP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->index, 6);
	/* a stale rejection (at or below match) changes nothing */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1,
					   .reject = true, .reject_hint = 0 });
	ck_assert_ptr_null(un_find(&u, RAFT_MSG_APP, 2));
	un_free(&u);
}
END_TEST

START_TEST(test_app_resp_inflight_window)
{
	struct un u;
	struct raft_status st;
	struct raft_config c;
	uint64_t peers[] = { 1, 2, 3 };

	memset(&u, 0, sizeof(u));
	u.ms = raft_mem_storage_new();
	raft_mem_storage_bind(u.ms, &u.st);
	raft_config_init(&c, 1, &u.st);
	c.peers = peers;
	c.n_peers = 3;
	c.max_inflight_msgs = 2;
	c.max_size_per_msg = 0; /* one entry per message */
	ck_assert_int_eq(raft_node_new(&c, &u.r), RAFT_OK);
	raft_campaign(u.r);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	ack_all(&u);
	for (int i = 0; i < 5; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	/* two MsgApp in flight to each follower, then paused */
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_APP), 4);
	raft_status(u.r, &st);
	ck_assert(st.progress[1].paused);
	ck_assert_int_eq(st.progress[1].inflight, 2);
	/* an ack frees the window and the next entries flow */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 3 });
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_APP), 2); /* entries 4 and 5 to node 2 */
	ck_assert_uint_eq(u.msgs[0].to, 2);
	ck_assert_uint_eq(u.msgs[1].to, 2);
	/* a heartbeat response frees one slot of a full window */
	raft_status(u.r, &st);
	ck_assert(st.progress[2].paused);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP, 3));
	un_free(&u);
}
END_TEST

START_TEST(test_app_resp_unknown_peer)
{
	struct un u;

	make_leader(&u, NULL);
	ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 9, .to = 1,
							      .term = 1, .index = 1 }),
			 RAFT_ESTEPPEERNOTFOUND);
	un_free(&u);
	/* followers ignore responses */
	make_follower(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 3, .to = 1, .term = 1, .index = 1 });
	ck_assert_uint_eq(u.n, 0);
	un_free(&u);
}
END_TEST

/* ---- MsgVote / MsgVoteResp ----------------------------------------------------------- */

START_TEST(test_vote)
{
	struct un u;
	const struct raft_message *m;

	/* fresh follower grants a vote to an up-to-date candidate */
	un_init(&u, 1, 3, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 1 });
	m = un_find(&u, RAFT_MSG_VOTE_RESP, 2);
	ck_assert(!m->reject);
	ck_assert_uint_eq(m->term, 1);
	/* a second candidate of the same term is refused */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 1 });
	ck_assert(un_find(&u, RAFT_MSG_VOTE_RESP, 3)->reject);
	/* the same candidate again is granted (duplicate request) */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 1 });
	ck_assert(!un_find(&u, RAFT_MSG_VOTE_RESP, 2)->reject);
	un_free(&u);

	/* a candidate whose log is behind is refused, whatever its term */
	make_follower(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 5, .index = 0,
					   .log_term = 0 });
	m = un_find(&u, RAFT_MSG_VOTE_RESP, 3);
	ck_assert(m->reject);
	ck_assert_uint_eq(raft_node_term(u.r), 5); /* but the term moves */
	un_free(&u);

	/* candidate and leader refuse others in their term, follow higher terms */
	make_candidate(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 1 });
	ck_assert(un_find(&u, RAFT_MSG_VOTE_RESP, 2)->reject);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 2 });
	ck_assert(!un_find(&u, RAFT_MSG_VOTE_RESP, 2)->reject);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	un_free(&u);
	make_leader(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 1 });
	ck_assert(un_find(&u, RAFT_MSG_VOTE_RESP, 2)->reject);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 3, .index = 1,
					   .log_term = 1 });
	ck_assert(!un_find(&u, RAFT_MSG_VOTE_RESP, 2)->reject);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	un_free(&u);
}
END_TEST

START_TEST(test_vote_lease)
{
	struct un u;

	/* with check_quorum, a follower that heard from its leader within the
	 * election timeout ignores votes: no answer, no term change */
	make_follower(&u, tw_checkquorum);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 2, .index = 1,
					   .log_term = 1 });
	ck_assert_uint_eq(u.n, 0);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	/* ...unless the vote comes from a leader transfer */
	{
		struct raft_blob *ctx = raft_blob_new("CampaignTransfer", 16);

		un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 2, .index = 1,
						   .log_term = 1, .context = ctx });
		raft_blob_unref(ctx);
	}
	ck_assert(!un_find(&u, RAFT_MSG_VOTE_RESP, 3)->reject);
	un_free(&u);
	/* after the lease expires, votes are considered */
	make_follower(&u, tw_checkquorum);
	for (int i = 0; i < 10; i++)
		raft_tick(u.r);
	un_drain(&u);
	if (raft_node_state(u.r) == RAFT_STATE_FOLLOWER) {
		un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 2, .index = 1,
						   .log_term = 1 });
		ck_assert(!un_find(&u, RAFT_MSG_VOTE_RESP, 3)->reject);
	}
	un_free(&u);
}
END_TEST

START_TEST(test_vote_resp)
{
	struct un u;

	/* quorum of grants: leader, appends an empty entry and replicates */
	make_candidate(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	ck_assert_uint_eq(raft_mem_storage_last_index(u.ms), 1);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_APP), 2);
	un_free(&u);
	/* quorum of rejections: back to follower in the same term */
	make_candidate(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1, .reject = true });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 3, .to = 1, .term = 1, .reject = true });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	un_free(&u);
	/* a duplicate grant does not count twice (5 nodes) */
	un_init(&u, 1, 5, NULL);
	raft_campaign(u.r);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	un_free(&u);
	/* followers and leaders ignore vote responses */
	make_leader(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	un_free(&u);
}
END_TEST

/* ---- MsgPreVote / MsgPreVoteResp ------------------------------------------------------ */

START_TEST(test_pre_vote)
{
	struct un u;
	const struct raft_message *m;

	/* a follower grants a pre-vote for a future term without changing
	 * its own term or vote */
	make_follower(&u, tw_prevote);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE, .from = 3, .to = 1, .term = 2, .index = 1,
					   .log_term = 1 });
	m = un_find(&u, RAFT_MSG_PRE_VOTE_RESP, 3);
	ck_assert(!m->reject);
	ck_assert_uint_eq(m->term, 2);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	ck_assert_uint_eq(raft_node_lead(u.r), 2);
	/* a pre-vote from a shorter log is refused */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE, .from = 3, .to = 1, .term = 2, .index = 0,
					   .log_term = 0 });
	ck_assert(un_find(&u, RAFT_MSG_PRE_VOTE_RESP, 3)->reject);
	/* a pre-vote of an older term is refused with our term */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 3 });
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE, .from = 3, .to = 1, .term = 2, .index = 5,
					   .log_term = 5 });
	m = un_find(&u, RAFT_MSG_PRE_VOTE_RESP, 3);
	ck_assert(m->reject);
	ck_assert_uint_eq(m->term, 3);
	un_free(&u);
}
END_TEST

START_TEST(test_pre_vote_resp)
{
	struct un u;

	make_candidate(&u, tw_prevote);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_PRE_CANDIDATE);
	/* a quorum of pre-votes starts the real election */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_VOTE), 2);
	un_free(&u);
	/* a rejection of a higher term makes it a follower of that term */
	make_candidate(&u, tw_prevote);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE_RESP, .from = 2, .to = 1, .term = 4,
					   .reject = true });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 4);
	un_free(&u);
	/* a quorum of rejections: back to follower, term unchanged */
	make_candidate(&u, tw_prevote);
	/* (rejecting nodes answer with their own term, 0 here) */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE_RESP, .from = 2, .to = 1, .term = 0,
					   .reject = true });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_PRE_CANDIDATE);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_PRE_VOTE_RESP, .from = 3, .to = 1, .term = 0,
					   .reject = true });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_term(u.r), 0);
	un_free(&u);
}
END_TEST

/* ---- MsgSnap / MsgSnapStatus ----------------------------------------------------------- */

static struct raft_snapshot *new_snap(uint64_t index, uint64_t term)
{
	struct raft_snapshot *s = calloc(1, sizeof(*s));

	s->metadata.index = index;
	s->metadata.term = term;
	s->metadata.conf_state.n_voters = 3;
	s->metadata.conf_state.voters[0] = 1;
	s->metadata.conf_state.voters[1] = 2;
	s->metadata.conf_state.voters[2] = 3;
	s->data = raft_blob_new("state", 5);
	return s;
}

START_TEST(test_snap_follower)
{
	struct un u;
	struct raft_snapshot *s = new_snap(11, 11);
	struct raft_message m = { .type = RAFT_MSG_SNAP, .from = 2, .to = 1, .term = 11, .snapshot = s };

	make_follower(&u, NULL);
	ck_assert_int_eq(raft_step(u.r, &m), RAFT_OK);
	{
		struct raft_ready rd;

		ck_assert_int_eq(raft_ready(u.r, &rd), RAFT_OK);
		ck_assert_uint_eq(rd.snapshot.metadata.index, 11);
		ck_assert_uint_eq(rd.hard_state.commit, 11);
		ck_assert_uint_eq(rd.n_msgs, 1);
		ck_assert_int_eq(rd.msgs[0].type, RAFT_MSG_APP_RESP);
		ck_assert_uint_eq(rd.msgs[0].index, 11);
		raft_mem_storage_apply_snapshot(u.ms, &rd.snapshot);
		ck_assert_int_eq(raft_advance(u.r, &rd), RAFT_OK);
	}
	/* stepping it again: nothing new, answered with the commit index */
	un_step(&u, m);
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_APP_RESP, 2)->index, 11);
	raft_msg_clear(&m);
	un_free(&u);
}
END_TEST

START_TEST(test_snap_candidate_and_not_member)
{
	struct un u;
	struct raft_snapshot *s = new_snap(11, 11);
	struct raft_message m = { .type = RAFT_MSG_SNAP, .from = 2, .to = 1, .term = 1, .snapshot = s };

	make_candidate(&u, NULL);
	un_step(&u, m);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_committed(u.r), 11);
	un_free(&u);
	/* a snapshot of a configuration we are not in is ignored */
	s->metadata.conf_state.voters[0] = 7;
	make_follower(&u, NULL);
	m.term = 1;
	un_step(&u, m);
	ck_assert_uint_eq(raft_node_committed(u.r), 1);
	raft_msg_clear(&m);
	un_free(&u);
}
END_TEST

START_TEST(test_leader_sends_snapshot_and_snap_status)
{
	struct un u;
	struct raft_status st;
	struct raft_conf_state cs = { .n_voters = 3, .voters = { 1, 2, 3 } };

	make_leader(&u, NULL);
	for (int i = 0; i < 5; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 6 });
	un_drain(&u);
	ck_assert_uint_eq(u.applied, 6);
	ck_assert_int_eq(raft_mem_storage_create_snapshot(u.ms, 6, &cs, NULL), RAFT_OK);
	ck_assert_int_eq(raft_mem_storage_compact(u.ms, 6), RAFT_OK);
	/* 3 needs entry 1: compacted, so a snapshot goes out */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_SNAP, 3));
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_SNAP, 3)->snapshot->metadata.index, 6);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_SNAPSHOT);
	ck_assert_uint_eq(st.progress[2].pending_snapshot, 6);
	/* failure: probe again from the old match, paused until a response */
	raft_report_snapshot(u.r, 3, RAFT_SNAPSHOT_FAILURE);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_PROBE);
	ck_assert_uint_eq(st.progress[2].next, 1);
	ck_assert(st.progress[2].paused);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_SNAP, 3));
	/* success: probe after the snapshot */
	raft_report_snapshot(u.r, 3, RAFT_SNAPSHOT_FINISH);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_PROBE);
	ck_assert_uint_eq(st.progress[2].next, 7);
	/* MsgSnapStatus outside the snapshot state is ignored */
	raft_report_snapshot(u.r, 2, RAFT_SNAPSHOT_FAILURE);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_REPLICATE);
	un_free(&u);
}
END_TEST

START_TEST(test_snapshot_resumes_on_app_resp)
{
	struct un u;
	struct raft_status st;
	struct raft_conf_state cs = { .n_voters = 3, .voters = { 1, 2, 3 } };

	make_leader(&u, NULL);
	for (int i = 0; i < 3; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 4 });
	un_drain(&u);
	raft_mem_storage_create_snapshot(u.ms, 4, &cs, NULL);
	raft_mem_storage_compact(u.ms, 4);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	/* the follower's MsgAppResp for the snapshot index resumes replication */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 3, .to = 1, .term = 1, .index = 4 });
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_REPLICATE);
	ck_assert_uint_eq(st.progress[2].match, 4);
	un_free(&u);
}
END_TEST

/* ---- MsgHeartbeat / MsgHeartbeatResp ---------------------------------------------------- */

START_TEST(test_heartbeat_follower)
{
	struct un u;
	struct raft_entry e[2] = { { .term = 1, .index = 2 }, { .term = 1, .index = 3 } };
	struct raft_blob *ctx = raft_blob_new("ctx", 3);
	const struct raft_message *m;

	make_follower(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 1,
					   .log_term = 1, .entries = e, .n_entries = 2, .commit = 1 });
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1, .commit = 3,
					   .context = ctx });
	ck_assert_uint_eq(raft_node_committed(u.r), 3);
	m = un_find(&u, RAFT_MSG_HEARTBEAT_RESP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert(raft_blob_equal(m->context, ctx));
	/* a heartbeat never lowers the commit index */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1, .commit = 1 });
	ck_assert_uint_eq(raft_node_committed(u.r), 3);
	raft_blob_unref(ctx);
	un_free(&u);
	/* a candidate receiving a heartbeat of its term follows the sender */
	make_candidate(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT, .from = 3, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_lead(u.r), 3);
	un_free(&u);
}
END_TEST

START_TEST(test_heartbeat_resp_leader)
{
	struct un u;

	make_leader(&u, NULL);
	ack_all(&u);
	raft_propose(u.r, "x", 1);
	un_drain(&u);
	/* a lagging follower's heartbeat response triggers an append */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP, 2));
	un_free(&u);
}
END_TEST

/* ---- MsgUnreachable ----------------------------------------------------------------------- */

START_TEST(test_unreachable)
{
	struct un u;
	struct raft_status st;

	make_leader(&u, NULL);
	ack_all(&u);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_REPLICATE);
	raft_report_unreachable(u.r, 2);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[1].state, RAFT_PROGRESS_PROBE);
	ck_assert_uint_eq(st.progress[1].next, st.progress[1].match + 1);
	/* in probe it changes nothing; on a follower it is ignored */
	raft_report_unreachable(u.r, 2);
	un_free(&u);
	make_follower(&u, NULL);
	ck_assert_int_eq(raft_report_unreachable(u.r, 2), RAFT_OK);
	ck_assert_uint_eq(un_drain(&u), 0);
	un_free(&u);
}
END_TEST

/* ---- MsgTransferLeader / MsgTimeoutNow --------------------------------------------------- */

START_TEST(test_transfer_leader)
{
	struct un u;
	struct raft_status st;

	/* up to date: MsgTimeoutNow at once */
	make_leader(&u, NULL);
	ack_all(&u);
	raft_transfer_leader(u.r, 2);
	un_drain(&u);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_TIMEOUT_NOW, 2));
	ck_assert_int_eq(raft_propose(u.r, "x", 1), RAFT_EPROPOSALDROPPED);
	/* same transferee again: ignored; to self: ignored */
	raft_transfer_leader(u.r, 2);
	ck_assert_uint_eq(un_drain(&u), 0);
	un_free(&u);

	/* lagging: catch up first, then MsgTimeoutNow on its MsgAppResp */
	make_leader(&u, NULL);
	ack_all(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 3, .to = 1, .term = 1, .index = 0,
					   .reject = true });
	raft_report_unreachable(u.r, 3);
	raft_propose(u.r, "x", 1);
	un_drain(&u);
	raft_transfer_leader(u.r, 3);
	un_drain(&u);
	ck_assert_ptr_null(un_find(&u, RAFT_MSG_TIMEOUT_NOW, 3));
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 3, .to = 1, .term = 1, .index = 2 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_TIMEOUT_NOW, 3));
	raft_status(u.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 3);
	/* a transfer to another node aborts the first */
	raft_transfer_leader(u.r, 2);
	raft_status(u.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 2);
	un_free(&u);

	/* follower forwards to the leader; without leader drops */
	make_follower(&u, NULL);
	raft_transfer_leader(u.r, 3);
	un_drain(&u);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_TRANSFER_LEADER, 2));
	ck_assert_uint_eq(un_find(&u, RAFT_MSG_TRANSFER_LEADER, 2)->from, 1);
	un_free(&u);
	un_init(&u, 1, 3, NULL);
	raft_transfer_leader(u.r, 3);
	ck_assert_uint_eq(un_drain(&u), 0);
	un_free(&u);
}
END_TEST

START_TEST(test_transfer_to_learner_ignored)
{
	struct un u;
	const uint64_t learners[] = { 4 };
	struct raft_status st;

	un_init_l(&u, 1, 3, learners, 1, NULL);
	raft_campaign(u.r);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	raft_transfer_leader(u.r, 4);
	raft_status(u.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 0);
	un_free(&u);
}
END_TEST

START_TEST(test_timeout_now)
{
	struct un u;
	const struct raft_message *m;

	/* follower: campaigns at once, skipping pre-vote, marked as transfer */
	make_follower(&u, tw_prevote);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_TIMEOUT_NOW, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_CANDIDATE);
	ck_assert_uint_eq(raft_node_term(u.r), 2);
	m = un_find(&u, RAFT_MSG_VOTE, 3);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(raft_blob_len(m->context), 16);
	ck_assert_mem_eq(m->context->bytes, "CampaignTransfer", 16);
	/* candidate: ignored */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_TIMEOUT_NOW, .from = 2, .to = 1, .term = 2 });
	ck_assert_uint_eq(raft_node_term(u.r), 2);
	un_free(&u);
	/* leader: ignored */
	make_leader(&u, NULL);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_TIMEOUT_NOW, .from = 2, .to = 1, .term = 1 });
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_LEADER);
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	un_free(&u);
	/* learner: ignored */
	{
		const uint64_t learners[] = { 4 };

		un_init_l(&u, 4, 3, learners, 1, NULL);
		un_step(&u, (struct raft_message){ .type = RAFT_MSG_TIMEOUT_NOW, .from = 2, .to = 4, .term = 1 });
		ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
		un_free(&u);
	}
}
END_TEST

/* ---- MsgReadIndex / MsgReadIndexResp ---------------------------------------------------------- */

START_TEST(test_read_index_leader_safe)
{
	struct un u;
	const struct raft_message *hb;

	make_leader(&u, NULL);
	/* before an entry of its term commits: held back */
	raft_read_index(u.r, "a", 1);
	un_drain(&u);
	ck_assert_uint_eq(u.n_reads, 0);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_HEARTBEAT), 0);
	/* the commit releases it: a heartbeat round carrying the context */
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1 });
	hb = un_find(&u, RAFT_MSG_HEARTBEAT, 2);
	ck_assert_ptr_nonnull(hb);
	ck_assert_uint_eq(raft_blob_len(hb->context), 1);
	ck_assert_uint_eq(u.n_reads, 0);
	/* one ack (plus ours) is a quorum: answered with the commit index */
	{
		struct raft_blob *ctx = raft_blob_new("a", 1);

		un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1,
						   .context = ctx });
		raft_blob_unref(ctx);
	}
	ck_assert_uint_eq(u.n_reads, 1);
	ck_assert_uint_eq(u.reads[0].index, 1);
	ck_assert_mem_eq(u.reads[0].request_ctx->bytes, "a", 1);
	un_free(&u);
}
END_TEST

START_TEST(test_read_index_forwarded)
{
	struct un u;
	struct raft_entry e = { .data = NULL };
	const struct raft_message *m;

	/* leader answers a follower's MsgReadIndex with MsgReadIndexResp */
	make_leader(&u, NULL);
	ack_all(&u);
	e.data = raft_blob_new("b", 1);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_READ_INDEX, .from = 2, .to = 1, .entries = &e,
					   .n_entries = 1 });
	{
		struct raft_message ack = { .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1,
					    .context = e.data };

		raft_step(u.r, &ack);
		un_drain(&u);
	}
	m = un_find(&u, RAFT_MSG_READ_INDEX_RESP, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->index, 1);
	ck_assert_uint_eq(m->n_entries, 1);
	ck_assert(raft_blob_equal(m->entries[0].data, e.data));
	un_free(&u);

	/* follower forwards its own read, and turns the answer into a read state */
	make_follower(&u, NULL);
	raft_read_index(u.r, "b", 1);
	un_drain(&u);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_READ_INDEX, 2));
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_READ_INDEX_RESP, .from = 2, .to = 1, .term = 1,
					   .index = 1, .entries = &e, .n_entries = 1 });
	ck_assert_uint_eq(u.n_reads, 1);
	ck_assert_uint_eq(u.reads[0].index, 1);
	un_free(&u);

	/* without a leader the request is dropped */
	un_init(&u, 1, 3, NULL);
	raft_read_index(u.r, "b", 1);
	ck_assert_uint_eq(un_drain(&u), 0);
	un_free(&u);
	raft_blob_unref(e.data);
}
END_TEST

START_TEST(test_read_index_lease_and_single)
{
	struct un u;

	/* lease based: no heartbeat round */
	make_leader(&u, tw_lease);
	ack_all(&u);
	raft_read_index(u.r, "c", 1);
	un_drain(&u);
	ck_assert_uint_eq(u.n_reads, 1);
	ck_assert_uint_eq(un_count(&u, RAFT_MSG_HEARTBEAT), 0);
	un_free(&u);
	/* a single-voter leader answers at once */
	un_init(&u, 1, 1, NULL);
	raft_campaign(u.r);
	un_drain(&u);
	raft_read_index(u.r, "d", 1);
	un_drain(&u);
	ck_assert_uint_eq(u.n_reads, 1);
	ck_assert_uint_eq(u.reads[0].index, 1);
	un_free(&u);
}
END_TEST

/* ---- configuration ------------------------------------------------------------------------ */

START_TEST(test_apply_conf_change)
{
	struct un u;
	struct raft_conf_state cs;
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 4 };

	make_leader(&u, NULL);
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 3);
	ck_assert_uint_eq(cs.n_learners, 1);
	cc.type = RAFT_CONF_ADD_NODE; /* promote */
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 4);
	ck_assert_uint_eq(cs.n_learners, 0);
	cc.type = RAFT_CONF_REMOVE_NODE;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 3);
	cc.type = RAFT_CONF_UPDATE_NODE;
	cc.node_id = 2;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 3);
	un_free(&u);
	/* removing the last voter is refused */
	un_init(&u, 1, 1, NULL);
	cc.type = RAFT_CONF_REMOVE_NODE;
	cc.node_id = 1;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_ECONFCHANGE);
	ck_assert_uint_eq(cs.n_voters, 1);
	un_free(&u);
}
END_TEST

START_TEST(test_removing_voter_commits_pending)
{
	struct un u;
	struct raft_conf_change cc = { .type = RAFT_CONF_REMOVE_NODE, .node_id = 3 };

	/* Entry 2 is acknowledged by 1 and 2 only; removing 3 shrinks the
	 * quorum so it commits (etcd TestCommitAfterRemoveNode). */
	make_leader(&u, NULL);
	ack_all(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 1 });
	ck_assert_uint_eq(raft_node_committed(u.r), 1);
	un_free(&u);
	un_init(&u, 1, 2, NULL);
	raft_campaign(u.r);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	raft_propose(u.r, "x", 1);
	un_drain(&u);
	ck_assert_uint_eq(raft_node_committed(u.r), 0);
	cc.node_id = 2;
	raft_apply_conf_change(u.r, &cc, NULL);
	ck_assert_uint_eq(raft_node_committed(u.r), 2);
	un_free(&u);
}
END_TEST

START_TEST(test_restart_from_storage)
{
	struct un u;
	struct raft_config c;
	struct raft_node *r2;

	make_leader(&u, NULL);
	ack_all(&u);
	raft_propose(u.r, "x", 1);
	un_drain(&u);
	ack_all(&u);
	raft_node_free(u.r);
	raft_config_init(&c, 1, &u.st);
	/* the hard state and log come back; peers are not allowed twice... */
	ck_assert_int_eq(raft_node_new(&c, &r2), RAFT_OK);
	u.r = r2;
	ck_assert_uint_eq(raft_node_term(u.r), 1);
	ck_assert_uint_eq(raft_node_committed(u.r), 2);
	ck_assert_int_eq(raft_node_state(u.r), RAFT_STATE_FOLLOWER);
	un_free(&u);
}
END_TEST

START_TEST(test_bad_config)
{
	struct raft_mem_storage *ms = raft_mem_storage_new();
	struct raft_storage st;
	struct raft_config c;
	struct raft_node *r;

	raft_mem_storage_bind(ms, &st);
	raft_config_init(&c, 0, &st);
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	raft_config_init(&c, 1, &st);
	c.election_tick = 1;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	raft_config_init(&c, 1, &st);
	c.read_only_option = RAFT_READ_ONLY_LEASE_BASED;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	raft_config_init(&c, 1, &st);
	c.max_inflight_msgs = 0;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	raft_mem_storage_free(ms);
}
END_TEST

/* ---- every message type in every role ----------------------------------------------------- */

enum role { R_FOLLOWER, R_PRE_CANDIDATE, R_CANDIDATE, R_LEADER };

static void make_role(struct un *u, enum role role)
{
	switch (role) {
	case R_FOLLOWER:
		make_follower(u, NULL); /* term 1, leader 2, log [1@1] */
		break;
	case R_PRE_CANDIDATE:
		make_follower(u, tw_prevote);
		raft_campaign(u->r); /* term stays 1 */
		un_drain(u);
		ck_assert_int_eq(raft_node_state(u->r), RAFT_STATE_PRE_CANDIDATE);
		break;
	case R_CANDIDATE:
		make_candidate(u, NULL); /* term 1, empty log */
		break;
	case R_LEADER:
		make_leader(u, NULL); /* term 1, log [1@1] */
		ack_all(u);
		break;
	}
	ck_assert_uint_eq(raft_node_term(u->r), 1);
}

/* What a peer would send at term 1 (pre-votes: for term 2). */
static struct raft_message peer_msg(enum raft_msg_type t, struct raft_entry *ctx_ent, struct raft_snapshot *snap)
{
	struct raft_message m = { .type = t, .from = 2, .to = 1, .term = 1 };

	switch (t) {
	case RAFT_MSG_PROP:
	case RAFT_MSG_READ_INDEX:
		m.term = 0; /* local to the cluster: no term */
		m.entries = ctx_ent;
		m.n_entries = 1;
		break;
	case RAFT_MSG_APP:
	case RAFT_MSG_APP_RESP:
		m.index = 1;
		m.log_term = 1;
		break;
	case RAFT_MSG_VOTE:
		m.index = 1;
		m.log_term = 1;
		break;
	case RAFT_MSG_PRE_VOTE:
	case RAFT_MSG_PRE_VOTE_RESP:
		m.term = 2;
		m.index = 1;
		m.log_term = 1;
		break;
	case RAFT_MSG_SNAP:
		m.snapshot = snap;
		break;
	case RAFT_MSG_TRANSFER_LEADER:
		m.from = 3;
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		m.index = 1;
		m.entries = ctx_ent;
		m.n_entries = 1;
		break;
	default:
		break;
	}
	return m;
}

#define NONE_SENT (-1)

static const struct {
	enum raft_msg_type type;
	struct {
		enum raft_state state; /* role afterwards */
		int sent;              /* first message type sent, or NONE_SENT */
	} want[4];
} matrix[] = {
	/*                          follower                       pre-candidate                                 candidate                                 leader */
	{ RAFT_MSG_PROP, { { RAFT_STATE_FOLLOWER, RAFT_MSG_PROP }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, RAFT_MSG_APP } } },
	{ RAFT_MSG_APP, { { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_APP_RESP, { { RAFT_STATE_FOLLOWER, NONE_SENT }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_VOTE, { { RAFT_STATE_FOLLOWER, RAFT_MSG_VOTE_RESP }, { RAFT_STATE_PRE_CANDIDATE, RAFT_MSG_VOTE_RESP }, { RAFT_STATE_CANDIDATE, RAFT_MSG_VOTE_RESP }, { RAFT_STATE_LEADER, RAFT_MSG_VOTE_RESP } } },
	{ RAFT_MSG_VOTE_RESP, { { RAFT_STATE_FOLLOWER, NONE_SENT }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, RAFT_MSG_APP }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_SNAP, { { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_APP_RESP }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_HEARTBEAT, { { RAFT_STATE_FOLLOWER, RAFT_MSG_HEARTBEAT_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_HEARTBEAT_RESP }, { RAFT_STATE_FOLLOWER, RAFT_MSG_HEARTBEAT_RESP }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_HEARTBEAT_RESP, { { RAFT_STATE_FOLLOWER, NONE_SENT }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_TRANSFER_LEADER, { { RAFT_STATE_FOLLOWER, RAFT_MSG_TRANSFER_LEADER }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, RAFT_MSG_TIMEOUT_NOW } } },
	{ RAFT_MSG_TIMEOUT_NOW, { { RAFT_STATE_CANDIDATE, RAFT_MSG_VOTE }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_READ_INDEX, { { RAFT_STATE_FOLLOWER, RAFT_MSG_READ_INDEX }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, RAFT_MSG_HEARTBEAT } } },
	{ RAFT_MSG_READ_INDEX_RESP, { { RAFT_STATE_FOLLOWER, NONE_SENT }, { RAFT_STATE_PRE_CANDIDATE, NONE_SENT }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, NONE_SENT } } },
	{ RAFT_MSG_PRE_VOTE, { { RAFT_STATE_FOLLOWER, RAFT_MSG_PRE_VOTE_RESP }, { RAFT_STATE_PRE_CANDIDATE, RAFT_MSG_PRE_VOTE_RESP }, { RAFT_STATE_CANDIDATE, RAFT_MSG_PRE_VOTE_RESP }, { RAFT_STATE_LEADER, RAFT_MSG_PRE_VOTE_RESP } } },
	{ RAFT_MSG_PRE_VOTE_RESP, { { RAFT_STATE_FOLLOWER, NONE_SENT }, { RAFT_STATE_CANDIDATE, RAFT_MSG_VOTE }, { RAFT_STATE_CANDIDATE, NONE_SENT }, { RAFT_STATE_LEADER, NONE_SENT } } },
};

START_TEST(test_message_matrix)
{
	static const enum raft_msg_type local[] = { RAFT_MSG_HUP, RAFT_MSG_BEAT, RAFT_MSG_UNREACHABLE,
						    RAFT_MSG_SNAP_STATUS, RAFT_MSG_CHECK_QUORUM };
	enum role role = (enum role)_i;

	for (size_t k = 0; k < sizeof(matrix) / sizeof(matrix[0]); k++) {
		struct un u;
		struct raft_entry ctx = { .data = raft_blob_new("ctx", 3) };
		struct raft_snapshot *snap = new_snap(5, 1);
		struct raft_message m = peer_msg(matrix[k].type, &ctx, snap);
		int rc;

		make_role(&u, role);
		rc = raft_step(u.r, &m);
		ck_assert_msg(rc == RAFT_OK || rc == RAFT_EPROPOSALDROPPED, "%s in role %d: %s",
			      raft_msg_type_name(m.type), role, raft_strerror(rc));
		un_drain(&u);
		ck_assert_int_eq(raft_node_error(u.r), RAFT_OK);
		ck_assert_msg(raft_node_state(u.r) == matrix[k].want[role].state, "%s in role %d: state %s",
			      raft_msg_type_name(m.type), role, raft_state_name(raft_node_state(u.r)));
		if (matrix[k].want[role].sent == NONE_SENT)
			ck_assert_msg(u.n == 0, "%s in role %d: sent %s", raft_msg_type_name(m.type), role,
				      raft_msg_type_name(u.msgs[0].type));
		else
			ck_assert_msg(u.n > 0 && (int)u.msgs[0].type == matrix[k].want[role].sent,
				      "%s in role %d: sent %s", raft_msg_type_name(m.type), role,
				      u.n ? raft_msg_type_name(u.msgs[0].type) : "nothing");
		/* the local types never come from the network */
		for (size_t j = 0; j < sizeof(local) / sizeof(local[0]); j++)
			ck_assert_int_eq(raft_step(u.r, &(struct raft_message){ .type = local[j], .from = 2, .term = 1 }),
					 RAFT_ESTEPLOCALMSG);
		raft_blob_unref(ctx.data);
		raft_snapshot_clear(snap);
		free(snap);
		un_free(&u);
	}
}
END_TEST

/* ---- ready/advance contract, storage failures, membership edge cases ------------------- */

START_TEST(test_step_between_ready_and_advance)
{
	struct un u;
	struct raft_ready rd1, rd2;

	make_leader(&u, NULL);
	ack_all(&u);
	raft_propose(u.r, "a", 1);
	ck_assert_int_eq(raft_ready(u.r, &rd1), RAFT_OK);
	ck_assert_uint_eq(rd1.n_entries, 1);
	/* more work arrives while rd1 is being persisted */
	raft_propose(u.r, "b", 1);
	raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 2 });
	ck_assert_uint_eq(rd1.entries[0].index, 2); /* still valid */
	ck_assert_mem_eq(rd1.entries[0].data->bytes, "a", 1);
	raft_mem_storage_append(u.ms, rd1.entries, rd1.n_entries);
	raft_mem_storage_set_hard_state(u.ms, &rd1.hard_state);
	ck_assert_int_eq(raft_advance(u.r, &rd1), RAFT_OK);
	ck_assert_int_eq(raft_ready(u.r, &rd2), RAFT_OK);
	ck_assert_uint_eq(rd2.n_entries, 1);
	ck_assert_uint_eq(rd2.entries[0].index, 3);
	ck_assert_uint_eq(rd2.n_committed_entries, 1); /* entry 2 */
	ck_assert_uint_eq(rd2.committed_entries[0].index, 2);
	raft_mem_storage_append(u.ms, rd2.entries, rd2.n_entries);
	ck_assert_int_eq(raft_advance(u.r, &rd2), RAFT_OK);
	un_free(&u);
}
END_TEST

START_TEST(test_unstable_replaced_before_advance)
{
	struct un u;
	struct raft_ready rd1;
	struct raft_entry e[2] = { { .term = 1, .index = 2 }, { .term = 1, .index = 3 } };
	struct raft_entry f = { .term = 2, .index = 3 };
	uint64_t t;

	make_follower(&u, NULL);
	raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_APP, .from = 2, .to = 1, .term = 1, .index = 1,
					       .log_term = 1, .entries = e, .n_entries = 2, .commit = 1 });
	ck_assert_int_eq(raft_ready(u.r, &rd1), RAFT_OK);
	/* a new leader replaces 3 before rd1 is persisted */
	raft_step(u.r, &(struct raft_message){ .type = RAFT_MSG_APP, .from = 3, .to = 1, .term = 2, .index = 2,
					       .log_term = 1, .entries = &f, .n_entries = 1, .commit = 1 });
	raft_mem_storage_append(u.ms, rd1.entries, rd1.n_entries);
	ck_assert_int_eq(raft_advance(u.r, &rd1), RAFT_OK);
	/* the replacement is still to be persisted */
	un_drain(&u);
	ck_assert_int_eq(u.st.term(u.st.ctx, 3, &t), RAFT_OK);
	ck_assert_uint_eq(t, 2);
	un_free(&u);
}
END_TEST

/* A storage wrapper whose answers can be made to fail. */
struct faulty {
	struct raft_storage inner;
	int snapshot_rc;
	int term_rc;
};

static int f_initial(void *ctx, struct raft_hard_state *hs, struct raft_conf_state *cs)
{
	struct faulty *f = ctx;

	return f->inner.initial_state(f->inner.ctx, hs, cs);
}

static int f_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max, struct raft_entries *out)
{
	struct faulty *f = ctx;

	return f->inner.entries(f->inner.ctx, lo, hi, max, out);
}

static int f_term(void *ctx, uint64_t i, uint64_t *t)
{
	struct faulty *f = ctx;

	return f->term_rc ? f->term_rc : f->inner.term(f->inner.ctx, i, t);
}

static int f_last(void *ctx, uint64_t *i)
{
	struct faulty *f = ctx;

	return f->inner.last_index(f->inner.ctx, i);
}

static int f_first(void *ctx, uint64_t *i)
{
	struct faulty *f = ctx;

	return f->inner.first_index(f->inner.ctx, i);
}

static int f_snapshot(void *ctx, struct raft_snapshot *s)
{
	struct faulty *f = ctx;

	return f->snapshot_rc ? f->snapshot_rc : f->inner.snapshot(f->inner.ctx, s);
}

static void faulty_bind(struct faulty *f, struct un *u)
{
	f->inner = u->st;
	u->st = (struct raft_storage){ .ctx = f, .initial_state = f_initial, .entries = f_entries,
				       .term = f_term, .last_index = f_last, .first_index = f_first,
				       .snapshot = f_snapshot };
}

START_TEST(test_storage_failures)
{
	struct un u;
	struct faulty f = { 0 };
	struct raft_config c;
	uint64_t peers[] = { 1, 2, 3 };
	struct raft_conf_state cs = { .n_voters = 3, .voters = { 1, 2, 3 } };
	struct raft_status st;

	memset(&u, 0, sizeof(u));
	u.ms = raft_mem_storage_new();
	raft_mem_storage_bind(u.ms, &u.st);
	faulty_bind(&f, &u);
	raft_config_init(&c, 1, &u.st);
	c.peers = peers;
	c.n_peers = 3;
	ck_assert_int_eq(raft_node_new(&c, &u.r), RAFT_OK);
	raft_campaign(u.r);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1 });
	for (int i = 0; i < 3; i++)
		raft_propose(u.r, "x", 1);
	un_drain(&u);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 4 });
	un_drain(&u);
	raft_mem_storage_create_snapshot(u.ms, 4, &cs, NULL);
	raft_mem_storage_compact(u.ms, 4);
	/* snapshot temporarily unavailable: nothing sent, retried later */
	f.snapshot_rc = RAFT_ESNAPTEMPUNAVAIL;
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_ptr_null(un_find(&u, RAFT_MSG_SNAP, 3));
	ck_assert_int_eq(raft_node_error(u.r), RAFT_OK);
	raft_status(u.r, &st);
	ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_PROBE);
	f.snapshot_rc = 0;
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_HEARTBEAT_RESP, .from = 3, .to = 1, .term = 1 });
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_SNAP, 3));
	/* an unexpected storage error is sticky */
	f.term_rc = RAFT_EINVAL;
	raft_propose(u.r, "y", 1);
	un_step(&u, (struct raft_message){ .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 1, .index = 4,
					   .reject = true, .reject_hint = 2 });
	ck_assert_int_eq(raft_node_error(u.r), RAFT_ESTORAGE);
	ck_assert_int_eq(raft_tick(u.r), RAFT_ESTORAGE);
	ck_assert_int_eq(raft_propose(u.r, "z", 1), RAFT_ESTORAGE);
	ck_assert(!raft_has_ready(u.r));
	un_free(&u);
}
END_TEST

START_TEST(test_conf_change_edges)
{
	struct un u;
	struct raft_conf_state cs;
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_NODE, .node_id = 4 };
	struct raft_status st;

	make_leader(&u, NULL);
	ack_all(&u);
	/* a new voter straight away: the quorum grows to 3 of 4 */
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 4);
	un_drain(&u);
	ck_assert_ptr_nonnull(un_find(&u, RAFT_MSG_APP, 4)); /* it gets the log */
	raft_status(u.r, &st);
	ck_assert(st.progress[3].recent_active);
	/* demoting a voter to learner */
	cc.type = RAFT_CONF_ADD_LEARNER_NODE;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	ck_assert_uint_eq(cs.n_voters, 3);
	ck_assert_uint_eq(cs.n_learners, 1);
	/* node 0 is skipped; unknown types are refused */
	cc.node_id = 0;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	cc.node_id = 5;
	cc.type = (enum raft_conf_change_type)9;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_ECONFCHANGE);
	ck_assert_uint_eq(cs.n_voters + cs.n_learners, 4);
	/* transferring to a removed node is abandoned */
	raft_transfer_leader(u.r, 3);
	cc.type = RAFT_CONF_REMOVE_NODE;
	cc.node_id = 3;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_OK);
	raft_status(u.r, &st);
	ck_assert_uint_eq(st.lead_transferee, 0);
	un_free(&u);
	/* demoting the only voter is refused */
	un_init(&u, 1, 1, NULL);
	cc.type = RAFT_CONF_ADD_LEARNER_NODE;
	cc.node_id = 1;
	ck_assert_int_eq(raft_apply_conf_change(u.r, &cc, &cs), RAFT_ECONFCHANGE);
	un_free(&u);
}
END_TEST

START_TEST(test_dropped_conf_change_not_pending)
{
	struct un u;
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 4 };
	struct raft_ready rd;
	bool found = false;

	make_leader(&u, tw_small_uncommitted);
	ack_all(&u);
	ck_assert_int_eq(raft_propose(u.r, "0123456789ab", 12), RAFT_OK);
	/* over the uncommitted budget: dropped, and not left "pending" */
	ck_assert_int_eq(raft_propose_conf_change(u.r, &cc), RAFT_EPROPOSALDROPPED);
	un_drain(&u);
	ack_all(&u);
	ck_assert_uint_eq(u.applied, 2);
	ck_assert_int_eq(raft_propose_conf_change(u.r, &cc), RAFT_OK);
	ck_assert_int_eq(raft_ready(u.r, &rd), RAFT_OK);
	for (size_t i = 0; i < rd.n_entries; i++)
		found |= rd.entries[i].type == RAFT_ENTRY_CONF_CHANGE;
	ck_assert(found);
	raft_mem_storage_append(u.ms, rd.entries, rd.n_entries);
	raft_advance(u.r, &rd);
	un_free(&u);
}
END_TEST

START_TEST(test_node_new_errors)
{
	struct raft_mem_storage *ms = raft_mem_storage_new();
	struct raft_storage st;
	struct raft_config c;
	struct raft_node *r;
	uint64_t peers[] = { 1, 2 };
	struct raft_snapshot snap = { .metadata = { .index = 5, .term = 1,
						    .conf_state = { .n_voters = 1, .voters = { 1 } } } };
	struct raft_hard_state hs = { .term = 1, .commit = 9 };

	raft_mem_storage_bind(ms, &st);
	raft_mem_storage_apply_snapshot(ms, &snap);
	/* peers with a stored configuration */
	raft_config_init(&c, 1, &st);
	c.peers = peers;
	c.n_peers = 2;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	/* a hard state committing beyond the log */
	raft_config_init(&c, 1, &st);
	raft_mem_storage_set_hard_state(ms, &hs);
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_ECORRUPT);
	/* an applied index beyond the commit index */
	hs.commit = 5;
	raft_mem_storage_set_hard_state(ms, &hs);
	c.applied = 6;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_EINVAL);
	/* a joint configuration is not supported */
	c.applied = 5;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_OK);
	raft_node_free(r);
	snap.metadata.index = 6;
	snap.metadata.conf_state.n_voters_outgoing = 1;
	snap.metadata.conf_state.voters_outgoing[0] = 2;
	raft_mem_storage_apply_snapshot(ms, &snap);
	hs.commit = 6;
	raft_mem_storage_set_hard_state(ms, &hs);
	c.applied = 0;
	ck_assert_int_eq(raft_node_new(&c, &r), RAFT_ECONFCHANGE);
	raft_mem_storage_free(ms);
}
END_TEST

static Suite *raft_suite(void)
{
	Suite *s = suite_create("raft");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, test_hup);
	tcase_add_test(tc, test_hup_learner_ignored);
	tcase_add_test(tc, test_hup_blocked_by_unapplied_conf_change);
	tcase_add_test(tc, test_election_timeout_randomized);
	tcase_add_test(tc, test_beat);
	tcase_add_test(tc, test_heartbeat_commit_is_min_of_match);
	tcase_add_test(tc, test_check_quorum);
	tcase_add_test(tc, test_prop);
	tcase_add_test(tc, test_prop_batch_and_from_peer);
	tcase_add_test(tc, test_app_follower);
	tcase_add_test(tc, test_app_conflict_truncates);
	tcase_add_test(tc, test_app_other_roles);
	tcase_add_test(tc, test_app_resp_leader);
	tcase_add_test(tc, test_app_resp_reject_backtracks);
	tcase_add_test(tc, test_app_resp_inflight_window);
	tcase_add_test(tc, test_app_resp_unknown_peer);
	tcase_add_test(tc, test_vote);
	tcase_add_test(tc, test_vote_lease);
	tcase_add_test(tc, test_vote_resp);
	tcase_add_test(tc, test_pre_vote);
	tcase_add_test(tc, test_pre_vote_resp);
	tcase_add_test(tc, test_snap_follower);
	tcase_add_test(tc, test_snap_candidate_and_not_member);
	tcase_add_test(tc, test_leader_sends_snapshot_and_snap_status);
	tcase_add_test(tc, test_snapshot_resumes_on_app_resp);
	tcase_add_test(tc, test_heartbeat_follower);
	tcase_add_test(tc, test_heartbeat_resp_leader);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_transfer_leader);
	tcase_add_test(tc, test_transfer_to_learner_ignored);
	tcase_add_test(tc, test_timeout_now);
	tcase_add_test(tc, test_read_index_leader_safe);
	tcase_add_test(tc, test_read_index_forwarded);
	tcase_add_test(tc, test_read_index_lease_and_single);
	tcase_add_test(tc, test_apply_conf_change);
	tcase_add_test(tc, test_removing_voter_commits_pending);
	tcase_add_test(tc, test_restart_from_storage);
	tcase_add_test(tc, test_bad_config);
	tcase_add_loop_test(tc, test_message_matrix, R_FOLLOWER, R_LEADER + 1);
	tcase_add_test(tc, test_step_between_ready_and_advance);
	tcase_add_test(tc, test_unstable_replaced_before_advance);
	tcase_add_test(tc, test_storage_failures);
	tcase_add_test(tc, test_conf_change_edges);
	tcase_add_test(tc, test_node_new_errors);
	tcase_add_test(tc, test_dropped_conf_change_not_pending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(raft_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
