/*
 * confchange.c - membership: applying single-step configuration changes
 * (add voter, add learner, promote learner, remove) and rebuilding the
 * member table from a ConfState (start-up, snapshots).
 *
 * Owns nothing beyond the tracker it edits.  Never performs I/O.  Follows
 * etcd's confchange.Simple/Restore for non-joint configurations (Raft
 * dissertation 4.1: one server at a time keeps every two majorities
 * overlapping, so no joint consensus is needed).  The "at most one pending
 * change" rule is enforced when proposing (step.c, pending_conf_index).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

static uint64_t new_next(struct raft_node *r)
{
	return raft_max_u64(raft_log_last_index(&r->log), 1);
}

void raft_after_config_switch(struct raft_node *r)
{
	struct raft_progress *self = raft_tracker_get(&r->prs, r->id);

	r->is_learner = self != NULL && self->is_learner;
	/* A leader that removed or demoted itself keeps leading until the
	 * caller stops it, but counts for nothing (etcd switchToConfig). */
	if ((self == NULL || r->is_learner) && r->state == RAFT_STATE_LEADER)
		return;
	if (r->state != RAFT_STATE_LEADER || raft_tracker_voter_count(&r->prs) == 0)
		return;
	/* A smaller quorum may commit at once; new members need their log. */
	if (raft_maybe_commit(r)) {
		raft_bcast_append(r);
	} else {
		for (size_t i = 0; i < r->prs.n && !r->err; i++) {
			if (r->prs.prs[i].id != r->id)
				raft_maybe_send_append(r, r->prs.prs[i].id, false);
		}
	}
	if (r->lead_transferee != RAFT_NONE && raft_tracker_get(&r->prs, r->lead_transferee) == NULL)
		r->lead_transferee = RAFT_NONE;
}

int raft_apply_conf_change_internal(struct raft_node *r, const struct raft_conf_change *cc)
{
	struct raft_progress *pr;
	size_t voters = raft_tracker_voter_count(&r->prs);
	int rc = RAFT_OK;

	if (cc->node_id == RAFT_NONE)
		return RAFT_OK; /* etcd skips changes of node 0 */
	pr = raft_tracker_get(&r->prs, cc->node_id);
	switch (cc->type) {
	case RAFT_CONF_ADD_NODE:
		if (pr == NULL)
			rc = raft_tracker_add(&r->prs, cc->node_id, false, new_next(r));
		else
			pr->is_learner = false; /* promotion keeps the progress */
		break;
	case RAFT_CONF_ADD_LEARNER_NODE:
		if (pr == NULL) {
			rc = raft_tracker_add(&r->prs, cc->node_id, true, new_next(r));
		} else if (!pr->is_learner) {
			/* Demoting a voter: refuse if it is the last one. */
			if (voters == 1)
				return RAFT_ECONFCHANGE;
			pr->is_learner = true;
		}
		break;
	case RAFT_CONF_REMOVE_NODE:
		if (pr == NULL)
			break;
		if (!pr->is_learner && voters == 1)
			return RAFT_ECONFCHANGE; /* "removed all voters" */
		raft_tracker_remove(&r->prs, cc->node_id);
		break;
	case RAFT_CONF_UPDATE_NODE:
		break;
	default:
		return RAFT_ECONFCHANGE;
	}
	if (rc != RAFT_OK)
		return rc;
	raft_after_config_switch(r);
	return r->err ? r->err : RAFT_OK;
}

int raft_restore_conf_state(struct raft_node *r, const struct raft_conf_state *cs)
{
	uint64_t next = new_next(r);
	int rc;

	if (cs->n_voters_outgoing > 0 || cs->n_learners_next > 0 || cs->auto_leave)
		return RAFT_ECONFCHANGE; /* joint configurations are not supported */
	if (cs->n_voters > RAFT_MAX_MEMBERS || cs->n_learners > RAFT_MAX_MEMBERS ||
	    cs->n_voters + cs->n_learners > RAFT_MAX_MEMBERS)
		return RAFT_ETOOMANYMEMBERS;
	raft_tracker_free(&r->prs);
	for (uint32_t i = 0; i < cs->n_voters; i++) {
		if (raft_tracker_get(&r->prs, cs->voters[i]) != NULL)
			continue;
		rc = raft_tracker_add(&r->prs, cs->voters[i], false, next);
		if (rc != RAFT_OK)
			return rc;
	}
	for (uint32_t i = 0; i < cs->n_learners; i++) {
		struct raft_progress *pr = raft_tracker_get(&r->prs, cs->learners[i]);

		if (pr != NULL)
			return RAFT_ECONFCHANGE; /* both voter and learner */
		rc = raft_tracker_add(&r->prs, cs->learners[i], true, next);
		if (rc != RAFT_OK)
			return rc;
	}
	raft_after_config_switch(r);
	return RAFT_OK;
}
