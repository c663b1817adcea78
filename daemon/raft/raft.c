/*
 * raft.c - node life cycle, roles, terms, timers and elections: creating a
 * node from its storage, the role transitions, the logical clock, and the
 * first stage of every step (term checks, MsgHup, MsgVote/MsgPreVote).
 *
 * Owns the node struct and its PRNG.  Never reads a clock or performs I/O:
 * time arrives as raft_tick(), randomness from the seeded PRNG.  Mirrors
 * etcd raft.go (Raft dissertation 3.4 leader election, 9.6 PreVote, 6.2
 * CheckQuorum leases, 3.10 leadership transfer).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

/* Context of a MsgVote sent because of MsgTimeoutNow (etcd's
 * campaignTransfer): voters then ignore their leader lease. */
static const char campaign_transfer[] = "CampaignTransfer";

void raft_fail(struct raft_node *r, int rc)
{
	if (r->err == 0)
		r->err = rc;
}

/* splitmix64: small, fast, and good enough to spread election timeouts. */
static uint64_t rng_next(struct raft_node *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Raft 3.4: a timeout drawn from [election, 2*election) so that split
 * votes resolve. */
void raft_reset_randomized_election_timeout(struct raft_node *r)
{
	r->randomized_election_timeout = r->election_timeout +
		(int)(rng_next(r) % (uint64_t)r->election_timeout);
}

struct raft_hard_state raft_node_hard_state(const struct raft_node *r)
{
	struct raft_hard_state hs = { r->term, r->vote, r->log.committed };

	return hs;
}

struct raft_soft_state raft_node_soft_state(const struct raft_node *r)
{
	struct raft_soft_state ss = { r->lead, r->state };

	return ss;
}

bool raft_promotable(const struct raft_node *r)
{
	struct raft_progress *pr = raft_tracker_get((struct raft_tracker *)&r->prs, r->id);

	return pr != NULL && !pr->is_learner;
}

static void abort_leader_transfer(struct raft_node *r)
{
	r->lead_transferee = RAFT_NONE;
}

static void free_pending_read_index(struct raft_node *r)
{
	for (size_t i = 0; i < r->pending_read_index.n; i++)
		raft_msg_clear(&r->pending_read_index.v[i]);
	r->pending_read_index.n = 0;
}

/* etcd reset(): a new term forgets the vote; every role change forgets the
 * leader, the timers, the votes, the flow-control state and reads. */
static void reset(struct raft_node *r, uint64_t term)
{
	uint64_t last = raft_log_last_index(&r->log);

	if (r->term != term) {
		r->term = term;
		r->vote = RAFT_NONE;
	}
	r->lead = RAFT_NONE;
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	raft_reset_randomized_election_timeout(r);
	abort_leader_transfer(r);
	raft_tracker_reset_votes(&r->prs);
	for (size_t i = 0; i < r->prs.n; i++) {
		struct raft_progress *pr = &r->prs.prs[i];

		pr->match = pr->id == r->id ? last : 0;
		pr->next = last + 1;
		pr->state = RAFT_PROGRESS_PROBE;
		pr->pending_snapshot = 0;
		pr->recent_active = false;
		pr->probe_sent = false;
		raft_inflights_reset(&pr->ins);
	}
	r->pending_conf_index = 0;
	r->uncommitted_size = 0;
	raft_read_only_reset(&r->ro);
	/* etcd 3.4 keeps pendingReadIndexMessages across terms but they can only
	 * be answered by the leader of the term they arrived in; drop them. */
	free_pending_read_index(r);
}

void raft_become_follower(struct raft_node *r, uint64_t term, uint64_t lead)
{
	reset(r, term);
	r->lead = lead;
	r->state = RAFT_STATE_FOLLOWER;
}

void raft_become_candidate(struct raft_node *r)
{
	if (r->state == RAFT_STATE_LEADER) {
		raft_fail(r, RAFT_ECORRUPT);
		return;
	}
	reset(r, r->term + 1);
	r->vote = r->id;
	r->state = RAFT_STATE_CANDIDATE;
}

/* PreVote (dissertation 9.6): neither the term nor the vote change, so a
 * node that cannot win disturbs nobody. */
void raft_become_pre_candidate(struct raft_node *r)
{
	if (r->state == RAFT_STATE_LEADER) {
		raft_fail(r, RAFT_ECORRUPT);
		return;
	}
	raft_tracker_reset_votes(&r->prs);
	r->lead = RAFT_NONE;
	r->state = RAFT_STATE_PRE_CANDIDATE;
}

void raft_become_leader(struct raft_node *r)
{
	struct raft_progress *pr;
	struct raft_entry empty = { 0 };

	if (r->state == RAFT_STATE_FOLLOWER) {
		raft_fail(r, RAFT_ECORRUPT);
		return;
	}
	reset(r, r->term);
	r->lead = r->id;
	r->state = RAFT_STATE_LEADER;
	pr = raft_tracker_get(&r->prs, r->id);
	if (pr != NULL)
		raft_progress_become_replicate(pr);
	/* Conservatively treat every uncommitted entry as a possible conf
	 * change: no new one until the log up to here is applied. */
	r->pending_conf_index = raft_log_last_index(&r->log);
	/* Dissertation 6.4: commit an entry of the new term at once, so that
	 * earlier entries commit and ReadIndex can be served. */
	if (!raft_append_entry(r, &empty, 1))
		raft_fail(r, RAFT_ECORRUPT);
	raft_reduce_uncommitted_size(r, &empty, 1);
}

enum campaign_type { CAMPAIGN_PRE_ELECTION, CAMPAIGN_ELECTION, CAMPAIGN_TRANSFER };

static enum raft_msg_type vote_resp_type(enum raft_msg_type t)
{
	return t == RAFT_MSG_VOTE ? RAFT_MSG_VOTE_RESP : RAFT_MSG_PRE_VOTE_RESP;
}

static enum raft_vote_result poll(struct raft_node *r, uint64_t id, bool granted)
{
	raft_tracker_record_vote(&r->prs, id, granted);
	return raft_tracker_tally(&r->prs, NULL, NULL);
}

static void campaign(struct raft_node *r, enum campaign_type t)
{
	enum raft_msg_type vote_msg;
	uint64_t term, last_index, last_term;

	if (t == CAMPAIGN_PRE_ELECTION) {
		raft_become_pre_candidate(r);
		vote_msg = RAFT_MSG_PRE_VOTE;
		/* Ask as if for the next term, without moving to it. */
		term = r->term + 1;
	} else {
		raft_become_candidate(r);
		vote_msg = RAFT_MSG_VOTE;
		term = r->term;
	}
	if (r->err)
		return;
	if (poll(r, r->id, true) == RAFT_VOTE_WON) {
		/* A single-voter configuration wins at once. */
		if (t == CAMPAIGN_PRE_ELECTION)
			campaign(r, CAMPAIGN_ELECTION);
		else
			raft_become_leader(r);
		return;
	}
	last_index = raft_log_last_index(&r->log);
	last_term = raft_log_last_term(&r->log);
	for (size_t i = 0; i < r->prs.n; i++) {
		const struct raft_progress *pr = &r->prs.prs[i];
		struct raft_message m = { 0 };

		if (pr->is_learner || pr->id == r->id)
			continue;
		m.type = vote_msg;
		m.to = pr->id;
		m.term = term;
		m.index = last_index;
		m.log_term = last_term;
		if (t == CAMPAIGN_TRANSFER) {
			m.context = raft_blob_new(campaign_transfer, sizeof(campaign_transfer) - 1);
			if (m.context == NULL) {
				raft_fail(r, RAFT_ENOMEM);
				return;
			}
		}
		raft_send(r, &m);
	}
}

void raft_campaign_transfer(struct raft_node *r)
{
	campaign(r, CAMPAIGN_TRANSFER);
}

static bool is_transfer_ctx(const struct raft_blob *ctx)
{
	return ctx != NULL && ctx->len == sizeof(campaign_transfer) - 1 &&
	       memcmp(ctx->bytes, campaign_transfer, ctx->len) == 0;
}

/* A node with unapplied conf changes must not campaign: it could win
 * with a configuration it does not know yet (etcd MsgHup handling). */
static bool has_unapplied_conf_change(struct raft_node *r)
{
	bool found = false;

	if (r->log.committed <= r->log.applied)
		return false;
	raft_entries_reset(&r->scratch);
	if (raft_log_slice(&r->log, r->log.applied + 1, r->log.committed + 1, RAFT_NO_LIMIT, &r->scratch) != RAFT_OK)
		return false;
	for (size_t i = 0; i < r->scratch.n; i++) {
		if (r->scratch.v[i].type != RAFT_ENTRY_NORMAL)
			found = true;
	}
	raft_entries_reset(&r->scratch);
	return found;
}

static void handle_hup(struct raft_node *r)
{
	if (r->state == RAFT_STATE_LEADER)
		return;
	if (!raft_promotable(r))
		return; /* learners and removed nodes never campaign */
	if (has_unapplied_conf_change(r))
		return;
	campaign(r, r->pre_vote ? CAMPAIGN_PRE_ELECTION : CAMPAIGN_ELECTION);
}

static void handle_vote(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = { 0 };
	/* We may grant when we already voted for this candidate, when we
	 * have neither voted nor seen a leader this term, or for a PreVote of a
	 * future term (a pre-vote never binds us). */
	bool can_vote = r->vote == m->from ||
		(r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
		(m->type == RAFT_MSG_PRE_VOTE && m->term > r->term);

	resp.to = m->from;
	resp.type = vote_resp_type(m->type);
	if (can_vote && raft_log_is_up_to_date(&r->log, m->index, m->log_term)) {
		/* Answer with the term of the request: a granted pre-vote must
		 * not look like a message from our (lower) term. */
		resp.term = m->term;
		raft_send(r, &resp);
		if (m->type == RAFT_MSG_VOTE) {
			r->election_elapsed = 0;
			r->vote = m->from;
		}
	} else {
		resp.term = r->term;
		resp.reject = true;
		raft_send(r, &resp);
	}
}

int raft_step_internal(struct raft_node *r, const struct raft_message *m)
{
	int rc = RAFT_OK;

	if (r->err)
		return r->err;
	if (m->term == 0) {
		/* local message */
	} else if (m->term > r->term) {
		if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PRE_VOTE) {
			bool force = is_transfer_ctx(m->context);
			bool in_lease = r->check_quorum && r->lead != RAFT_NONE &&
				r->election_elapsed < r->election_timeout;

			/* Dissertation 4.2.3: within the minimum election timeout of
			 * hearing from a leader, ignore votes: neither the term nor the
			 * vote change. */
			if (!force && in_lease)
				return RAFT_OK;
		}
		if (m->type == RAFT_MSG_PRE_VOTE) {
			/* never move our term for a pre-vote */
		} else if (m->type == RAFT_MSG_PRE_VOTE_RESP && !m->reject) {
			/* our own pre-vote of term+1 granted: counted below */
		} else if (m->type == RAFT_MSG_APP || m->type == RAFT_MSG_HEARTBEAT || m->type == RAFT_MSG_SNAP) {
			raft_become_follower(r, m->term, m->from);
		} else {
			raft_become_follower(r, m->term, RAFT_NONE);
		}
	} else if (m->term < r->term) {
		if ((r->check_quorum || r->pre_vote) &&
		    (m->type == RAFT_MSG_HEARTBEAT || m->type == RAFT_MSG_APP)) {
			/* A leader of an older term (maybe cut off by our own term
			 * inflation while partitioned): an empty MsgAppResp carries our
			 * term to it so that it steps down, since with check_quorum/
			 * pre_vote our vote requests may never reach it. */
			struct raft_message resp = { .type = RAFT_MSG_APP_RESP, .to = m->from };

			raft_send(r, &resp);
		} else if (m->type == RAFT_MSG_PRE_VOTE) {
			/* Reject so the pre-candidate learns the term and does not wait
			 * forever (it could hold a higher term with a shorter log). */
			struct raft_message resp = { .type = RAFT_MSG_PRE_VOTE_RESP, .to = m->from,
						     .term = r->term, .reject = true };

			raft_send(r, &resp);
		}
		return RAFT_OK;
	}

	switch (m->type) {
	case RAFT_MSG_HUP:
		handle_hup(r);
		break;
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PRE_VOTE:
		handle_vote(r, m);
		break;
	default:
		switch (r->state) {
		case RAFT_STATE_LEADER:
			rc = raft_step_leader(r, m);
			break;
		case RAFT_STATE_CANDIDATE:
		case RAFT_STATE_PRE_CANDIDATE:
			rc = raft_step_candidate(r, m);
			break;
		case RAFT_STATE_FOLLOWER:
			rc = raft_step_follower(r, m);
			break;
		}
	}
	if (r->err)
		return r->err;
	return rc;
}

/* Candidates count votes here (etcd stepCandidate's vote branch). */
void raft_candidate_poll(struct raft_node *r, const struct raft_message *m)
{
	switch (poll(r, m->from, !m->reject)) {
	case RAFT_VOTE_WON:
		if (r->state == RAFT_STATE_PRE_CANDIDATE) {
			campaign(r, CAMPAIGN_ELECTION);
		} else {
			raft_become_leader(r);
			raft_bcast_append(r);
		}
		break;
	case RAFT_VOTE_LOST:
		/* Stay at this term; a later MsgApp or election decides. */
		raft_become_follower(r, r->term, RAFT_NONE);
		break;
	case RAFT_VOTE_PENDING:
		break;
	}
}

static void step_local(struct raft_node *r, enum raft_msg_type t)
{
	struct raft_message m = { .type = t, .from = r->id };

	raft_step_internal(r, &m);
}

static void tick_election(struct raft_node *r)
{
	r->election_elapsed++;
	if (raft_promotable(r) && r->election_elapsed >= r->randomized_election_timeout) {
		r->election_elapsed = 0;
		step_local(r, RAFT_MSG_HUP);
	}
}

static void tick_heartbeat(struct raft_node *r)
{
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	if (r->election_elapsed >= r->election_timeout) {
		r->election_elapsed = 0;
		if (r->check_quorum)
			step_local(r, RAFT_MSG_CHECK_QUORUM);
		/* Dissertation 3.10: a transfer that did not finish within an
		 * election timeout is abandoned and proposals flow again. */
		if (r->state == RAFT_STATE_LEADER && r->lead_transferee != RAFT_NONE)
			abort_leader_transfer(r);
	}
	if (r->state != RAFT_STATE_LEADER)
		return;
	if (r->heartbeat_elapsed >= r->heartbeat_timeout) {
		r->heartbeat_elapsed = 0;
		step_local(r, RAFT_MSG_BEAT);
	}
}

void raft_tick_internal(struct raft_node *r)
{
	if (r->state == RAFT_STATE_LEADER)
		tick_heartbeat(r);
	else
		tick_election(r);
}

void raft_config_init(struct raft_config *cfg, uint64_t id, const struct raft_storage *st)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->id = id;
	cfg->election_tick = 10;
	cfg->heartbeat_tick = 1;
	if (st != NULL)
		cfg->storage = *st;
	cfg->max_size_per_msg = 1024 * 1024;
	cfg->max_inflight_msgs = 256;
	cfg->rand_seed = id;
}

static int validate(const struct raft_config *c)
{
	if (c->id == RAFT_NONE || c->heartbeat_tick <= 0 || c->election_tick <= c->heartbeat_tick ||
	    c->max_inflight_msgs <= 0)
		return RAFT_EINVAL;
	if (c->storage.initial_state == NULL || c->storage.entries == NULL || c->storage.term == NULL ||
	    c->storage.last_index == NULL || c->storage.first_index == NULL || c->storage.snapshot == NULL)
		return RAFT_EINVAL;
	/* etcd: lease-based reads are only safe with check_quorum. */
	if (c->read_only_option == RAFT_READ_ONLY_LEASE_BASED && !c->check_quorum)
		return RAFT_EINVAL;
	if (c->n_peers + c->n_learners > RAFT_MAX_MEMBERS)
		return RAFT_ETOOMANYMEMBERS;
	return RAFT_OK;
}

int raft_node_new(const struct raft_config *c, struct raft_node **out)
{
	struct raft_node *r;
	struct raft_hard_state hs;
	struct raft_conf_state *cs = NULL;
	uint64_t max_ready;
	int rc;

	*out = NULL;
	rc = validate(c);
	if (rc != RAFT_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	cs = calloc(1, sizeof(*cs));
	if (r == NULL || cs == NULL) {
		rc = RAFT_ENOMEM;
		goto err_free;
	}
	max_ready = c->max_committed_size_per_ready ? c->max_committed_size_per_ready : c->max_size_per_msg;
	if (max_ready == 0)
		max_ready = RAFT_NO_LIMIT;
	rc = raft_log_init(&r->log, &c->storage, max_ready, &r->err);
	if (rc != RAFT_OK)
		goto err_free;
	r->id = c->id;
	r->lead = RAFT_NONE;
	r->max_msg_size = c->max_size_per_msg;
	r->max_uncommitted_size = c->max_uncommitted_entries_size ? c->max_uncommitted_entries_size : RAFT_NO_LIMIT;
	raft_tracker_init(&r->prs, c->max_inflight_msgs);
	r->election_timeout = c->election_tick;
	r->heartbeat_timeout = c->heartbeat_tick;
	r->check_quorum = c->check_quorum;
	r->pre_vote = c->pre_vote;
	r->disable_proposal_forwarding = c->disable_proposal_forwarding;
	raft_read_only_init(&r->ro, c->read_only_option);
	r->rng = c->rand_seed ^ (c->id * 0x9e3779b97f4a7c15ULL);

	if (c->storage.initial_state(c->storage.ctx, &hs, cs) != RAFT_OK) {
		rc = RAFT_ESTORAGE;
		goto err_node;
	}
	if (c->n_peers > 0 || c->n_learners > 0) {
		if (cs->n_voters > 0 || cs->n_learners > 0) {
			/* etcd: peers are for bootstrap only, never with a stored config */
			rc = RAFT_EINVAL;
			goto err_node;
		}
		cs->n_voters = (uint32_t)c->n_peers;
		if (c->n_peers > 0)
			memcpy(cs->voters, c->peers, c->n_peers * sizeof(uint64_t));
		cs->n_learners = (uint32_t)c->n_learners;
		if (c->n_learners > 0)
			memcpy(cs->learners, c->learners, c->n_learners * sizeof(uint64_t));
	}
	rc = raft_restore_conf_state(r, cs);
	if (rc != RAFT_OK)
		goto err_node;
	if (!raft_hard_state_is_empty(&hs)) {
		if (hs.commit < r->log.committed || hs.commit > raft_log_last_index(&r->log)) {
			rc = RAFT_ECORRUPT;
			goto err_node;
		}
		r->log.committed = hs.commit;
		r->term = hs.term;
		r->vote = hs.vote;
	}
	if (c->applied > 0) {
		if (c->applied > r->log.committed || c->applied < r->log.applied) {
			rc = RAFT_EINVAL;
			goto err_node;
		}
		raft_log_applied_to(&r->log, c->applied);
	}
	raft_become_follower(r, r->term, RAFT_NONE);
	if (r->err) {
		rc = r->err;
		goto err_node;
	}
	r->prev_soft = raft_node_soft_state(r);
	r->prev_hard = raft_node_hard_state(r);
	free(cs);
	*out = r;
	return RAFT_OK;
err_node:
	raft_node_free(r);
	r = NULL;
err_free:
	free(r);
	free(cs);
	return rc;
}

void raft_node_free(struct raft_node *r)
{
	if (r == NULL)
		return;
	raft_log_free(&r->log);
	raft_tracker_free(&r->prs);
	raft_msgs_free(&r->msgs);
	raft_msgs_free(&r->pending_read_index);
	raft_read_only_reset(&r->ro);
	free(r->ro.q);
	raft_read_states_free(&r->read_states);
	raft_entries_free(&r->scratch);
	free(r);
}
