/*
 * check_raft_scenarios.c - multi-node Raft scenarios over the in-memory
 * fixture: elections, figure 8 of the Raft paper, partitions with and
 * without PreVote, CheckQuorum, leader transfer, ReadIndex across leader
 * changes, learners, snapshots for lagging followers, removing the leader.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/raft/raft_fixture.h"

static uint64_t leader_of(struct fx_net *net)
{
	uint64_t lead = 0;

	for (uint64_t id = 1; id <= FX_MAX_NODES; id++) {
		struct fx_node *nd = &net->nodes[id];

		if (!nd->present || nd->down)
			continue;
		if (raft_node_state(nd->r) == RAFT_STATE_LEADER) {
			ck_assert_uint_eq(lead, 0); /* never two live leaders here */
			lead = id;
		}
	}
	return lead;
}

static void assert_same_applied(struct fx_net *net, uint64_t a, uint64_t b)
{
	ck_assert_uint_eq(fx_node(net, a)->applied, fx_node(net, b)->applied);
	ck_assert_uint_eq(fx_node(net, a)->hash, fx_node(net, b)->hash);
}

START_TEST(test_elect_and_replicate)
{
	struct fx_net net;
	struct fx_opts o = { .record_applied = true };

	fx_net_init(&net, 3, 0, &o);
	fx_net_campaign(&net, 1);
	ck_assert_uint_eq(leader_of(&net), 1);
	ck_assert_uint_eq(raft_node_term(fx_node(&net, 1)->r), 2);
	ck_assert_int_eq(fx_net_propose(&net, 1, "a"), RAFT_OK);
	ck_assert_int_eq(fx_net_propose(&net, 2, "b"), RAFT_OK); /* forwarded */
	for (uint64_t id = 1; id <= 3; id++) {
		struct fx_node *nd = fx_node(&net, id);

		ck_assert_uint_eq(raft_node_committed(nd->r), 4);
		ck_assert_uint_eq(nd->applied, 4);
		ck_assert_uint_eq(nd->applied_log.n, 3);
		ck_assert_mem_eq(nd->applied_log.v[1].data->bytes, "a", 1);
		ck_assert_mem_eq(nd->applied_log.v[2].data->bytes, "b", 1);
	}
	assert_same_applied(&net, 1, 2);
	assert_same_applied(&net, 1, 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_election_by_ticks)
{
	struct fx_net net;
	uint64_t lead = 0;

	fx_net_init(&net, 5, 0, NULL);
	for (int t = 0; t < 100 && lead == 0; t++) {
		for (uint64_t id = 1; id <= 5; id++)
			fx_net_tick(&net, id, 1);
		lead = leader_of(&net);
	}
	ck_assert_uint_ne(lead, 0);
	for (uint64_t id = 1; id <= 5; id++)
		ck_assert_uint_eq(raft_node_lead(fx_node(&net, id)->r), lead);
	fx_net_free(&net);
}
END_TEST

/* Writes log entries 2.. (index 1 is the bootstrap snapshot, term 1) and
 * a hard state into node id's storage, and restarts it. */
static void preload(struct fx_net *net, uint64_t id, const uint64_t *terms, size_t n, uint64_t term, uint64_t vote)
{
	struct fx_node *nd = fx_node(net, id);
	struct raft_entry e[8];
	struct raft_hard_state hs = { .term = term, .vote = vote, .commit = 1 };

	for (size_t i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].index = i + 2;
		e[i].term = terms[i];
	}
	if (n > 0)
		ck_assert_int_eq(raft_mem_storage_append(nd->ms, e, n), RAFT_OK);
	raft_mem_storage_set_hard_state(nd->ms, &hs);
	fx_node_restart(net, id);
}

static bool drop_app_from_1(void *arg, const struct raft_message *m)
{
	(void)arg;
	return m->from == 1 && (m->type == RAFT_MSG_APP || m->type == RAFT_MSG_HEARTBEAT);
}

/*
 * Figure 8 of the Raft paper: index 2 of term 2 sits on a majority (S1, S2,
 * S3) when S1 leads in term 4, yet it is not committed by counting; S5
 * (last term 3) may still win and overwrite it.  Once S1's own term-4
 * entry is on a majority, index 2 commits with it.
 */
static void figure8_setup(struct fx_net *net)
{
	static const uint64_t s123[] = { 2 }, s5[] = { 3 };

	fx_net_init(net, 5, 0, NULL);
	preload(net, 1, s123, 1, 3, 0);
	preload(net, 2, s123, 1, 3, 0);
	preload(net, 3, s123, 1, 3, 0);
	preload(net, 4, NULL, 0, 3, 0);
	preload(net, 5, s5, 1, 3, 5);
}

START_TEST(test_figure8_no_commit_by_counting_old_terms)
{
	struct fx_net net;
	struct fx_node *s1;
	struct raft_message resp = { .type = RAFT_MSG_APP_RESP, .term = 4 };

	figure8_setup(&net);
	s1 = fx_node(&net, 1);
	net.hook = drop_app_from_1;
	fx_net_campaign(&net, 1);
	ck_assert_int_eq(raft_node_state(s1->r), RAFT_STATE_LEADER);
	ck_assert_uint_eq(raft_node_term(s1->r), 4);
	/* S2 and S3 acknowledge index 2 (term 2): a majority holds it. */
	resp.index = 2;
	resp.from = 2;
	resp.to = 1;
	ck_assert_int_eq(raft_step(s1->r, &resp), RAFT_OK);
	resp.from = 3;
	ck_assert_int_eq(raft_step(s1->r, &resp), RAFT_OK);
	ck_assert_uint_eq(raft_node_committed(s1->r), 1);
	/* One ack of the term-4 entry is not a majority (S1, S2 only). */
	resp.index = 3;
	resp.from = 2;
	ck_assert_int_eq(raft_step(s1->r, &resp), RAFT_OK);
	ck_assert_uint_eq(raft_node_committed(s1->r), 1);
	/* The second one commits 3, and 2 with it (figure 8 (e)). */
	resp.from = 3;
	ck_assert_int_eq(raft_step(s1->r, &resp), RAFT_OK);
	ck_assert_uint_eq(raft_node_committed(s1->r), 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_figure8_overwrite_uncommitted)
{
	struct fx_net net;

	figure8_setup(&net);
	net.hook = drop_app_from_1;
	fx_net_campaign(&net, 1);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 1)->r), RAFT_STATE_LEADER);
	/* (d): S1 crashes before its term-4 entry spreads; S5 wins with votes
	 * of S2, S3, S4 (its last term 3 beats their 2) and overwrites 2. */
	fx_node_crash(&net, 1);
	net.hook = NULL;
	fx_net_campaign(&net, 5);
	ck_assert_uint_eq(leader_of(&net), 5);
	ck_assert_int_eq(fx_net_propose(&net, 5, "x"), RAFT_OK);
	fx_node_restart(&net, 1);
	fx_net_tick(&net, 5, 1); /* heartbeat brings S1 back */
	for (uint64_t id = 1; id <= 5; id++) {
		struct fx_node *nd = fx_node(&net, id);
		uint64_t t;

		ck_assert_uint_eq(nd->applied, 4);
		ck_assert_int_eq(nd->st.term(nd->st.ctx, 2, &t), RAFT_OK);
		ck_assert_uint_eq(t, 3);
		assert_same_applied(&net, 5, id);
	}
	fx_net_free(&net);
}
END_TEST

static void tick_all(struct fx_net *net, int ticks)
{
	for (int t = 0; t < ticks; t++)
		for (uint64_t id = 1; id <= FX_MAX_NODES; id++)
			if (net->nodes[id].present && !net->nodes[id].down)
				fx_net_tick(net, id, 1);
}

START_TEST(test_partition_rejoin_without_prevote)
{
	struct fx_net net;
	uint64_t term;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	term = raft_node_term(fx_node(&net, 1)->r);
	fx_net_isolate(&net, 3);
	ck_assert_int_eq(fx_net_propose(&net, 1, "during"), RAFT_OK);
	fx_net_tick(&net, 3, 40); /* several elections, alone */
	ck_assert_uint_gt(raft_node_term(fx_node(&net, 3)->r), term + 1);
	fx_net_recover(&net);
	/* Its vote requests of a higher term depose the leader although its
	 * log is behind: the disruption PreVote exists to avoid. */
	fx_net_tick(&net, 3, 40);
	ck_assert_uint_gt(raft_node_term(fx_node(&net, 1)->r), term + 1);
	tick_all(&net, 50);
	ck_assert_uint_ne(leader_of(&net), 0);
	ck_assert_uint_ne(leader_of(&net), 3); /* its log is behind */
	fx_net_free(&net);
}
END_TEST

START_TEST(test_partition_rejoin_with_prevote)
{
	struct fx_net net;
	struct fx_opts o = { .pre_vote = true };
	uint64_t term;

	fx_net_init(&net, 3, 0, &o);
	fx_net_campaign(&net, 1);
	term = raft_node_term(fx_node(&net, 1)->r);
	fx_net_isolate(&net, 3);
	ck_assert_int_eq(fx_net_propose(&net, 1, "during"), RAFT_OK);
	fx_net_tick(&net, 3, 40);
	/* Pre-votes never move the term. */
	ck_assert_uint_eq(raft_node_term(fx_node(&net, 3)->r), term);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 3)->r), RAFT_STATE_PRE_CANDIDATE);
	fx_net_recover(&net);
	fx_net_tick(&net, 1, 1); /* a heartbeat */
	ck_assert_uint_eq(leader_of(&net), 1);
	ck_assert_uint_eq(raft_node_term(fx_node(&net, 1)->r), term);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 3)->r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(raft_node_lead(fx_node(&net, 3)->r), 1);
	assert_same_applied(&net, 1, 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_check_quorum_minority_leader_steps_down)
{
	struct fx_net net;
	struct fx_opts o = { .check_quorum = true };

	fx_net_init(&net, 3, 0, &o);
	fx_net_campaign(&net, 1);
	fx_net_isolate(&net, 1);
	/* Two election timeouts: the first check sees the initial activity. */
	fx_net_tick(&net, 1, 20);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 1)->r), RAFT_STATE_FOLLOWER);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_check_quorum_lease_ignores_votes)
{
	struct fx_net net;
	struct fx_opts o = { .check_quorum = true };
	uint64_t term;

	fx_net_init(&net, 3, 0, &o);
	fx_net_campaign(&net, 1);
	term = raft_node_term(fx_node(&net, 1)->r);
	/* Node 3 campaigns at once; 2 just heard from the leader and 1 is the
	 * leader: both ignore it, terms stay. */
	raft_campaign(fx_node(&net, 3)->r);
	fx_net_stabilize(&net);
	ck_assert_uint_eq(leader_of(&net), 1);
	ck_assert_uint_eq(raft_node_term(fx_node(&net, 2)->r), term);
	ck_assert_uint_eq(raft_node_term(fx_node(&net, 1)->r), term);
	/* The stuck candidate is freed by the leader's next heartbeat: its
	 * MsgAppResp of the higher term makes the leader step down, then a new
	 * election settles everyone on one term. */
	fx_net_tick(&net, 1, 1);
	tick_all(&net, 40);
	ck_assert_uint_ne(leader_of(&net), 0);
	for (uint64_t id = 1; id <= 3; id++)
		ck_assert_uint_eq(raft_node_term(fx_node(&net, id)->r), raft_node_term(fx_node(&net, 3)->r));
	fx_net_free(&net);
}
END_TEST

START_TEST(test_transfer_to_up_to_date)
{
	struct fx_net net;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	raft_transfer_leader(fx_node(&net, 1)->r, 2);
	fx_net_stabilize(&net);
	ck_assert_uint_eq(leader_of(&net), 2);
	ck_assert_uint_eq(raft_node_lead(fx_node(&net, 1)->r), 2);
	ck_assert_int_eq(fx_net_propose(&net, 2, "y"), RAFT_OK);
	assert_same_applied(&net, 1, 2);
	assert_same_applied(&net, 1, 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_transfer_to_lagging)
{
	struct fx_net net;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	fx_net_isolate(&net, 3);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	fx_net_recover(&net);
	/* The transfer first catches 3 up, then sends MsgTimeoutNow. */
	raft_transfer_leader(fx_node(&net, 1)->r, 3);
	fx_net_stabilize(&net);
	ck_assert_uint_eq(leader_of(&net), 3);
	assert_same_applied(&net, 1, 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_transfer_times_out)
{
	struct fx_net net;
	struct raft_status st;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	fx_net_isolate(&net, 3);
	ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	raft_transfer_leader(fx_node(&net, 1)->r, 3);
	fx_net_stabilize(&net);
	raft_status(fx_node(&net, 1)->r, &st);
	ck_assert_uint_eq(st.lead_transferee, 3);
	/* Proposals are refused while leadership moves. */
	ck_assert_int_eq(fx_net_propose(&net, 1, "y"), RAFT_EPROPOSALDROPPED);
	fx_net_tick(&net, 1, 10); /* one election timeout */
	raft_status(fx_node(&net, 1)->r, &st);
	ck_assert_uint_eq(st.lead_transferee, 0);
	ck_assert_uint_eq(leader_of(&net), 1);
	ck_assert_int_eq(fx_net_propose(&net, 1, "y"), RAFT_OK);
	fx_net_free(&net);
}
END_TEST

static bool has_read(struct fx_node *nd, const char *ctx, uint64_t *index)
{
	for (size_t i = 0; i < nd->n_reads; i++) {
		if (raft_blob_len(nd->reads[i].ctx) == strlen(ctx) &&
		    memcmp(nd->reads[i].ctx->bytes, ctx, strlen(ctx)) == 0) {
			*index = nd->reads[i].index;
			return true;
		}
	}
	return false;
}

START_TEST(test_read_index_across_leader_change)
{
	struct fx_net net;
	uint64_t idx;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	ck_assert_int_eq(raft_read_index(fx_node(&net, 1)->r, "r1", 2), RAFT_OK);
	fx_net_stabilize(&net);
	ck_assert(has_read(fx_node(&net, 1), "r1", &idx));
	ck_assert_uint_eq(idx, 3);
	/* From a follower: forwarded to the leader and answered back. */
	ck_assert_int_eq(raft_read_index(fx_node(&net, 3)->r, "r2", 2), RAFT_OK);
	fx_net_stabilize(&net);
	ck_assert(has_read(fx_node(&net, 3), "r2", &idx));
	ck_assert_uint_eq(idx, 3);

	/* New leader 2.  Its first read must wait for its term's entry. */
	fx_net_isolate(&net, 1);
	net.ignore[RAFT_MSG_APP] = true; /* hold back the new term's entry */
	fx_net_campaign(&net, 2);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 2)->r), RAFT_STATE_LEADER);
	ck_assert_int_eq(raft_read_index(fx_node(&net, 2)->r, "r3", 2), RAFT_OK);
	fx_net_stabilize(&net);
	ck_assert(!has_read(fx_node(&net, 2), "r3", &idx));
	net.ignore[RAFT_MSG_APP] = false;
	fx_net_tick(&net, 2, 1); /* heartbeat -> append of the empty entry */
	ck_assert(has_read(fx_node(&net, 2), "r3", &idx));
	ck_assert_uint_eq(idx, 4); /* includes the new leader's entry */
	/* The old leader, cut off, cannot serve reads. */
	ck_assert_int_eq(raft_read_index(fx_node(&net, 1)->r, "r4", 2), RAFT_OK);
	fx_net_stabilize(&net);
	fx_net_tick(&net, 1, 3);
	ck_assert(!has_read(fx_node(&net, 1), "r4", &idx));
	fx_net_free(&net);
}
END_TEST

START_TEST(test_learner_catch_up_and_promotion)
{
	struct fx_net net;
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 4 };

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	fx_node_add_empty(&net, 4, NULL);
	ck_assert_int_eq(raft_propose_conf_change(fx_node(&net, 1)->r, &cc), RAFT_OK);
	fx_net_stabilize(&net);
	/* The leader's newest snapshot must include 4 for 4 to accept it. */
	fx_node_compact(&net, 1, 0);
	fx_net_tick(&net, 1, 1);
	assert_same_applied(&net, 1, 4);
	ck_assert_uint_eq(fx_node(&net, 4)->cs.n_learners, 1);
	/* A learner never campaigns. */
	fx_net_tick(&net, 4, 50);
	ck_assert_int_eq(raft_node_state(fx_node(&net, 4)->r), RAFT_STATE_FOLLOWER);
	ck_assert_uint_eq(leader_of(&net), 1);
	/* Nor does it count for the quorum: 1 + learner cannot commit. */
	fx_net_isolate(&net, 2);
	fx_net_isolate(&net, 3);
	ck_assert_int_eq(fx_net_propose(&net, 1, "y"), RAFT_OK);
	ck_assert_uint_lt(raft_node_committed(fx_node(&net, 1)->r), raft_node_committed(fx_node(&net, 1)->r) + 1);
	ck_assert_uint_eq(fx_node(&net, 1)->applied, fx_node(&net, 2)->applied);
	fx_net_recover(&net);
	fx_net_tick(&net, 1, 1);
	/* Promotion. */
	cc.type = RAFT_CONF_ADD_NODE;
	ck_assert_int_eq(raft_propose_conf_change(fx_node(&net, 1)->r, &cc), RAFT_OK);
	fx_net_stabilize(&net);
	fx_net_tick(&net, 1, 1);
	ck_assert_uint_eq(fx_node(&net, 4)->cs.n_voters, 4);
	ck_assert_uint_eq(fx_node(&net, 4)->cs.n_learners, 0);
	/* Now 4 can lead. */
	raft_transfer_leader(fx_node(&net, 1)->r, 4);
	fx_net_stabilize(&net);
	ck_assert_uint_eq(leader_of(&net), 4);
	assert_same_applied(&net, 1, 4);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_snapshot_for_lagging_follower)
{
	struct fx_net net;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	fx_net_isolate(&net, 3);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(fx_net_propose(&net, 1, "x"), RAFT_OK);
	fx_node_compact(&net, 1, 0);
	fx_node_compact(&net, 2, 0);
	fx_net_recover(&net);
	fx_net_tick(&net, 1, 1);
	ck_assert_uint_eq(fx_node(&net, 3)->snapshots_applied, 1);
	assert_same_applied(&net, 1, 3);
	/* Replication resumes normally after the snapshot. */
	ck_assert_int_eq(fx_net_propose(&net, 1, "after"), RAFT_OK);
	assert_same_applied(&net, 1, 3);
	{
		struct raft_status st;

		raft_status(fx_node(&net, 1)->r, &st);
		ck_assert_int_eq(st.progress[2].state, RAFT_PROGRESS_REPLICATE);
	}
	fx_net_free(&net);
}
END_TEST

START_TEST(test_remove_leader_itself)
{
	struct fx_net net;
	struct raft_conf_change cc = { .type = RAFT_CONF_REMOVE_NODE, .node_id = 1 };
	uint64_t lead;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	ck_assert_int_eq(raft_propose_conf_change(fx_node(&net, 1)->r, &cc), RAFT_OK);
	fx_net_stabilize(&net);
	fx_net_tick(&net, 1, 1);
	for (uint64_t id = 1; id <= 3; id++)
		ck_assert_uint_eq(fx_node(&net, id)->cs.n_voters, 2);
	/* The removed leader accepts no more proposals... */
	ck_assert_int_eq(fx_net_propose(&net, 1, "no"), RAFT_EPROPOSALDROPPED);
	/* ...and once it is gone the others elect a leader among themselves. */
	fx_node_crash(&net, 1);
	tick_all(&net, 40);
	lead = leader_of(&net);
	ck_assert(lead == 2 || lead == 3);
	ck_assert_int_eq(fx_net_propose(&net, lead, "yes"), RAFT_OK);
	assert_same_applied(&net, 2, 3);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_single_pending_conf_change)
{
	struct fx_net net;
	struct raft_conf_change a = { .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 4 };
	struct raft_conf_change b = { .type = RAFT_CONF_ADD_LEARNER_NODE, .node_id = 5 };
	struct fx_node *n1;

	fx_net_init(&net, 3, 0, NULL);
	fx_net_campaign(&net, 1);
	n1 = fx_node(&net, 1);
	fx_node_add_empty(&net, 4, NULL);
	fx_node_add_empty(&net, 5, NULL);
	net.ignore[RAFT_MSG_APP] = true; /* keep the first change pending */
	ck_assert_int_eq(raft_propose_conf_change(n1->r, &a), RAFT_OK);
	ck_assert_int_eq(raft_propose_conf_change(n1->r, &b), RAFT_OK);
	fx_net_stabilize(&net);
	net.ignore[RAFT_MSG_APP] = false;
	fx_net_tick(&net, 1, 1);
	/* The second became an empty entry: only 4 joined. */
	ck_assert_uint_eq(n1->cs.n_learners, 1);
	ck_assert_uint_eq(n1->cs.learners[0], 4);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_proposal_dropped_without_leader)
{
	struct fx_net net;

	fx_net_init(&net, 3, 0, NULL);
	ck_assert_int_eq(raft_propose(fx_node(&net, 2)->r, "x", 1), RAFT_EPROPOSALDROPPED);
	fx_net_free(&net);
}
END_TEST

START_TEST(test_uncommitted_size_limit)
{
	struct fx_net net;
	struct fx_opts o = { .max_uncommitted = 10 };
	struct fx_node *n1;

	fx_net_init(&net, 3, 0, &o);
	fx_net_campaign(&net, 1);
	n1 = fx_node(&net, 1);
	fx_net_isolate(&net, 1);
	ck_assert_int_eq(raft_propose(n1->r, "12345678", 8), RAFT_OK);
	ck_assert_int_eq(raft_propose(n1->r, "12345678", 8), RAFT_EPROPOSALDROPPED);
	fx_net_recover(&net);
	fx_net_tick(&net, 1, 1);
	/* Committed: the budget is free again. */
	ck_assert_int_eq(raft_propose(n1->r, "12345678", 8), RAFT_OK);
	fx_net_stabilize(&net);
	fx_net_free(&net);
}
END_TEST

static Suite *scenarios_suite(void)
{
	Suite *s = suite_create("raft_scenarios");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_elect_and_replicate);
	tcase_add_test(tc, test_election_by_ticks);
	tcase_add_test(tc, test_figure8_no_commit_by_counting_old_terms);
	tcase_add_test(tc, test_figure8_overwrite_uncommitted);
	tcase_add_test(tc, test_partition_rejoin_without_prevote);
	tcase_add_test(tc, test_partition_rejoin_with_prevote);
	tcase_add_test(tc, test_check_quorum_minority_leader_steps_down);
	tcase_add_test(tc, test_check_quorum_lease_ignores_votes);
	tcase_add_test(tc, test_transfer_to_up_to_date);
	tcase_add_test(tc, test_transfer_to_lagging);
	tcase_add_test(tc, test_transfer_times_out);
	tcase_add_test(tc, test_read_index_across_leader_change);
	tcase_add_test(tc, test_learner_catch_up_and_promotion);
	tcase_add_test(tc, test_snapshot_for_lagging_follower);
	tcase_add_test(tc, test_remove_leader_itself);
	tcase_add_test(tc, test_single_pending_conf_change);
	tcase_add_test(tc, test_proposal_dropped_without_leader);
	tcase_add_test(tc, test_uncommitted_size_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenarios_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
