/*
 * step.c - what each role does with each message once raft.c has settled
 * the term: one switch per role, as etcd's stepLeader / stepCandidate /
 * stepFollower.
 *
 * Owns nothing.  Never performs I/O; replies are queued with raft_send().
 * Message types a role does not expect are ignored, as in etcd.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

/* Forwards a copy of m to the leader (proposals, reads, transfers). */
static void forward_to_leader(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message fwd;

	if (raft_msg_copy(&fwd, m) != RAFT_OK) {
		raft_fail(r, RAFT_ENOMEM);
		return;
	}
	fwd.to = r->lead;
	fwd.term = 0;
	raft_send(r, &fwd);
}

static void leader_check_quorum(struct raft_node *r)
{
	struct raft_progress *self = raft_tracker_get(&r->prs, r->id);

	if (self != NULL)
		self->recent_active = true;
	/* Dissertation 6.2: a leader that did not hear from a quorum within an
	 * election timeout may be deposed already; step down. */
	if (!raft_tracker_quorum_active(&r->prs))
		raft_become_follower(r, r->term, RAFT_NONE);
	for (size_t i = 0; i < r->prs.n; i++) {
		if (r->prs.prs[i].id != r->id)
			r->prs.prs[i].recent_active = false;
	}
}

static int leader_propose(struct raft_node *r, const struct raft_message *m)
{
	struct raft_entry stack[16];
	struct raft_entry *es = stack;
	uint64_t old_pending = r->pending_conf_index;
	int rc = RAFT_OK;

	if (m->n_entries == 0)
		return RAFT_EINVAL;
	/* A leader removed from the configuration accepts nothing new. */
	if (raft_tracker_get(&r->prs, r->id) == NULL)
		return RAFT_EPROPOSALDROPPED;
	/* Dissertation 3.10: no new entries while leadership moves away. */
	if (r->lead_transferee != RAFT_NONE)
		return RAFT_EPROPOSALDROPPED;
	if (m->n_entries > sizeof(stack) / sizeof(stack[0])) {
		es = malloc(m->n_entries * sizeof(*es));
		if (es == NULL)
			return RAFT_ENOMEM;
	}
	/* es borrows the message's data references: the log takes its own. */
	for (size_t i = 0; i < m->n_entries; i++) {
		es[i] = m->entries[i];
		if (es[i].type == RAFT_ENTRY_NORMAL)
			continue;
		/* Single-step changes: one at a time.  A second one while the
		 * previous is not applied becomes an empty normal entry (etcd). */
		if (r->pending_conf_index > r->log.applied) {
			es[i].type = RAFT_ENTRY_NORMAL;
			es[i].data = NULL;
		} else {
			r->pending_conf_index = raft_log_last_index(&r->log) + i + 1;
		}
	}
	if (!raft_append_entry(r, es, m->n_entries)) {
		/* Nothing was appended: no conf change is pending because of it. */
		r->pending_conf_index = old_pending;
		rc = RAFT_EPROPOSALDROPPED;
	} else {
		raft_bcast_append(r);
	}
	if (es != stack)
		free(es);
	return rc;
}

static void leader_transfer(struct raft_node *r, struct raft_progress *pr, const struct raft_message *m)
{
	uint64_t transferee = m->from;

	if (pr->is_learner)
		return; /* a learner cannot lead */
	if (r->lead_transferee != RAFT_NONE) {
		if (r->lead_transferee == transferee)
			return; /* already under way */
		r->lead_transferee = RAFT_NONE;
	}
	if (transferee == r->id)
		return;
	/* The transfer must finish within one election timeout (tick). */
	r->election_elapsed = 0;
	r->lead_transferee = transferee;
	if (pr->match == raft_log_last_index(&r->log))
		raft_send_timeout_now(r, transferee);
	else
		raft_send_append(r, transferee); /* catch it up first */
}

int raft_step_leader(struct raft_node *r, const struct raft_message *m)
{
	struct raft_progress *pr;

	switch (m->type) {
	case RAFT_MSG_BEAT:
		raft_bcast_heartbeat(r);
		return RAFT_OK;
	case RAFT_MSG_CHECK_QUORUM:
		leader_check_quorum(r);
		return RAFT_OK;
	case RAFT_MSG_PROP:
		return leader_propose(r, m);
	case RAFT_MSG_READ_INDEX:
		raft_leader_read_index(r, m);
		return RAFT_OK;
	default:
		break;
	}

	/* The rest are about one peer. */
	pr = raft_tracker_get(&r->prs, m->from);
	if (pr == NULL)
		return RAFT_OK;
	switch (m->type) {
	case RAFT_MSG_APP_RESP:
		raft_leader_handle_app_resp(r, pr, m);
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		pr->recent_active = true;
		pr->probe_sent = false;
		/* A full window may be from lost MsgApps: free one slot so that
		 * replication resumes. */
		if (pr->state == RAFT_PROGRESS_REPLICATE && raft_inflights_full(&pr->ins))
			raft_inflights_free_first_one(&pr->ins);
		if (pr->match < raft_log_last_index(&r->log))
			raft_send_append(r, m->from);
		raft_leader_heartbeat_resp_read(r, m);
		break;
	case RAFT_MSG_SNAP_STATUS:
		if (pr->state != RAFT_PROGRESS_SNAPSHOT)
			break;
		/* Success: wait for the MsgAppResp of the snapshot, probing from
		 * its index.  Failure: probe from the old match. */
		if (m->reject)
			pr->pending_snapshot = 0;
		raft_progress_become_probe(pr);
		pr->probe_sent = true;
		break;
	case RAFT_MSG_UNREACHABLE:
		/* Optimistic sends were probably lost: go back to probing. */
		if (pr->state == RAFT_PROGRESS_REPLICATE)
			raft_progress_become_probe(pr);
		break;
	case RAFT_MSG_TRANSFER_LEADER:
		leader_transfer(r, pr, m);
		break;
	default:
		break;
	}
	return RAFT_OK;
}

int raft_step_candidate(struct raft_node *r, const struct raft_message *m)
{
	enum raft_msg_type my_resp = r->state == RAFT_STATE_PRE_CANDIDATE ?
		RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP;

	switch (m->type) {
	case RAFT_MSG_PROP:
		return RAFT_EPROPOSALDROPPED; /* no leader */
	case RAFT_MSG_APP:
		/* m->term == r->term: someone else won this term. */
		raft_become_follower(r, m->term, m->from);
		raft_handle_append_entries(r, m);
		break;
	case RAFT_MSG_HEARTBEAT:
		raft_become_follower(r, m->term, m->from);
		raft_handle_heartbeat(r, m);
		break;
	case RAFT_MSG_SNAP:
		raft_become_follower(r, m->term, m->from);
		raft_handle_snapshot(r, m);
		break;
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_PRE_VOTE_RESP:
		/* Only answers to the current kind of campaign count. */
		if (m->type == my_resp)
			raft_candidate_poll(r, m);
		break;
	default:
		break; /* MsgTimeoutNow etc. are ignored while campaigning */
	}
	return RAFT_OK;
}

int raft_step_follower(struct raft_node *r, const struct raft_message *m)
{
	switch (m->type) {
	case RAFT_MSG_PROP:
		if (r->lead == RAFT_NONE || r->disable_proposal_forwarding)
			return RAFT_EPROPOSALDROPPED;
		forward_to_leader(r, m);
		break;
	case RAFT_MSG_APP:
		r->election_elapsed = 0;
		r->lead = m->from;
		raft_handle_append_entries(r, m);
		break;
	case RAFT_MSG_HEARTBEAT:
		r->election_elapsed = 0;
		r->lead = m->from;
		raft_handle_heartbeat(r, m);
		break;
	case RAFT_MSG_SNAP:
		r->election_elapsed = 0;
		r->lead = m->from;
		raft_handle_snapshot(r, m);
		break;
	case RAFT_MSG_TRANSFER_LEADER:
		if (r->lead != RAFT_NONE)
			forward_to_leader(r, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		/* Dissertation 3.10: the leader says our log is current; start an
		 * election now, skipping PreVote and others' leases. */
		if (raft_promotable(r))
			raft_campaign_transfer(r);
		break;
	case RAFT_MSG_READ_INDEX:
		if (r->lead != RAFT_NONE)
			forward_to_leader(r, m);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		if (m->n_entries != 1)
			break;
		if (raft_read_states_push(&r->read_states, m->index, m->entries[0].data) != RAFT_OK)
			raft_fail(r, RAFT_ENOMEM);
		break;
	default:
		break;
	}
	return RAFT_OK;
}
