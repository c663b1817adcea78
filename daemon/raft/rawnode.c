/*
 * rawnode.c - the public entry points of the Raft core (etcd's RawNode):
 * turning calls into messages, producing ready batches and taking them
 * back with raft_advance, and reporting status.
 *
 * Owns the bookkeeping of what the caller was last told (soft and hard
 * state).  Never performs I/O.  A ready batch owns copies (with blob
 * references) of what it reports, so the node may keep stepping while the
 * caller persists it.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

static bool is_local_msg(enum raft_msg_type t)
{
	return t == RAFT_MSG_HUP || t == RAFT_MSG_BEAT || t == RAFT_MSG_UNREACHABLE ||
	       t == RAFT_MSG_SNAP_STATUS || t == RAFT_MSG_CHECK_QUORUM;
}

static bool is_response_msg(enum raft_msg_type t)
{
	return t == RAFT_MSG_APP_RESP || t == RAFT_MSG_VOTE_RESP || t == RAFT_MSG_HEARTBEAT_RESP ||
	       t == RAFT_MSG_UNREACHABLE || t == RAFT_MSG_PRE_VOTE_RESP;
}

int raft_tick(struct raft_node *n)
{
	if (n->err)
		return n->err;
	raft_tick_internal(n);
	return n->err;
}

int raft_campaign(struct raft_node *n)
{
	struct raft_message m = { .type = RAFT_MSG_HUP };

	return raft_step_internal(n, &m);
}

static int propose_entries(struct raft_node *n, struct raft_entry *es, size_t count)
{
	struct raft_message m = {
		.type = RAFT_MSG_PROP,
		.from = n->id,
		.entries = es,
		.n_entries = count,
	};

	return raft_step_internal(n, &m);
}

int raft_propose(struct raft_node *n, const void *data, size_t len)
{
	struct raft_entry e = { .type = RAFT_ENTRY_NORMAL };
	int rc;

	if (n->err)
		return n->err;
	if (len > 0) {
		e.data = raft_blob_new(data, len);
		if (e.data == NULL)
			return RAFT_ENOMEM;
	}
	rc = propose_entries(n, &e, 1);
	raft_blob_unref(e.data);
	return rc;
}

int raft_propose_batch(struct raft_node *n, struct raft_blob *const *data, size_t count)
{
	struct raft_entry stack[32];
	struct raft_entry *es = stack;
	int rc;

	if (n->err)
		return n->err;
	if (count == 0)
		return RAFT_OK;
	if (count > sizeof(stack) / sizeof(stack[0])) {
		es = calloc(count, sizeof(*es));
		if (es == NULL)
			return RAFT_ENOMEM;
	} else {
		memset(stack, 0, sizeof(stack));
	}
	/* The entries borrow the caller's references for the call. */
	for (size_t i = 0; i < count; i++)
		es[i].data = data[i];
	rc = propose_entries(n, es, count);
	if (es != stack)
		free(es);
	return rc;
}

int raft_propose_conf_change(struct raft_node *n, const struct raft_conf_change *cc)
{
	struct raft_entry e = { .type = RAFT_ENTRY_CONF_CHANGE };
	int rc;

	if (n->err)
		return n->err;
	e.data = raft_conf_change_encode(cc);
	if (e.data == NULL)
		return RAFT_ENOMEM;
	rc = propose_entries(n, &e, 1);
	raft_blob_unref(e.data);
	return rc;
}

int raft_apply_conf_change(struct raft_node *n, const struct raft_conf_change *cc, struct raft_conf_state *cs)
{
	int rc;

	if (n->err)
		return n->err;
	rc = raft_apply_conf_change_internal(n, cc);
	if (cs != NULL)
		raft_tracker_conf_state(&n->prs, cs);
	return rc;
}

int raft_step(struct raft_node *n, const struct raft_message *m)
{
	if (n->err)
		return n->err;
	/* Local messages come only from the node's own calls. */
	if (is_local_msg(m->type))
		return RAFT_ESTEPLOCALMSG;
	if (is_response_msg(m->type) && raft_tracker_get(&n->prs, m->from) == NULL)
		return RAFT_ESTEPPEERNOTFOUND;
	return raft_step_internal(n, m);
}

int raft_read_index(struct raft_node *n, const void *ctx, size_t len)
{
	struct raft_entry e = { .type = RAFT_ENTRY_NORMAL };
	struct raft_message m = { .type = RAFT_MSG_READ_INDEX, .entries = &e, .n_entries = 1 };
	int rc;

	if (n->err)
		return n->err;
	if (len > 0) {
		e.data = raft_blob_new(ctx, len);
		if (e.data == NULL)
			return RAFT_ENOMEM;
	}
	rc = raft_step_internal(n, &m);
	raft_blob_unref(e.data);
	return rc;
}

int raft_transfer_leader(struct raft_node *n, uint64_t transferee)
{
	struct raft_message m = { .type = RAFT_MSG_TRANSFER_LEADER, .from = transferee };

	return raft_step_internal(n, &m);
}

int raft_report_unreachable(struct raft_node *n, uint64_t id)
{
	struct raft_message m = { .type = RAFT_MSG_UNREACHABLE, .from = id };

	return raft_step_internal(n, &m);
}

int raft_report_snapshot(struct raft_node *n, uint64_t id, enum raft_snapshot_status status)
{
	struct raft_message m = {
		.type = RAFT_MSG_SNAP_STATUS,
		.from = id,
		.reject = status == RAFT_SNAPSHOT_FAILURE,
	};

	return raft_step_internal(n, &m);
}

static bool soft_equal(const struct raft_soft_state *a, const struct raft_soft_state *b)
{
	return a->lead == b->lead && a->raft_state == b->raft_state;
}

static bool hard_equal(const struct raft_hard_state *a, const struct raft_hard_state *b)
{
	return a->term == b->term && a->vote == b->vote && a->commit == b->commit;
}

bool raft_has_ready(const struct raft_node *cn)
{
	struct raft_node *n = (struct raft_node *)cn; /* log lookups cache nothing */
	struct raft_soft_state ss = raft_node_soft_state(n);
	struct raft_hard_state hs = raft_node_hard_state(n);

	if (n->err)
		return false;
	if (!soft_equal(&ss, &n->prev_soft))
		return true;
	if (!raft_hard_state_is_empty(&hs) && !hard_equal(&hs, &n->prev_hard))
		return true;
	if (n->log.u_snap != NULL && !raft_snapshot_is_empty(n->log.u_snap))
		return true;
	if (n->msgs.n > 0 || n->log.u_n > 0 || raft_log_has_next_ents(&n->log))
		return true;
	return n->read_states.n > 0;
}

int raft_ready(struct raft_node *n, struct raft_ready *rd)
{
	struct raft_entries ents = { 0 }, committed = { 0 };
	struct raft_soft_state ss;
	struct raft_hard_state hs;

	memset(rd, 0, sizeof(*rd));
	if (n->err)
		return n->err;
	if (raft_log_unstable_entries(&n->log, &ents) != RAFT_OK ||
	    raft_log_next_ents(&n->log, &committed) != RAFT_OK) {
		raft_entries_free(&ents);
		raft_entries_free(&committed);
		return n->err ? n->err : RAFT_ENOMEM;
	}
	rd->entries = ents.v;
	rd->n_entries = ents.n;
	rd->committed_entries = committed.v;
	rd->n_committed_entries = committed.n;
	ss = raft_node_soft_state(n);
	if (!soft_equal(&ss, &n->prev_soft)) {
		rd->has_soft_state = true;
		rd->soft_state = ss;
		n->prev_soft = ss;
	}
	hs = raft_node_hard_state(n);
	if (!hard_equal(&hs, &n->prev_hard))
		rd->hard_state = hs;
	if (n->log.u_snap != NULL)
		raft_snapshot_copy(&rd->snapshot, n->log.u_snap);
	/* Messages and read states move to the batch. */
	rd->read_states = n->read_states.v;
	rd->n_read_states = n->read_states.n;
	memset(&n->read_states, 0, sizeof(n->read_states));
	rd->msgs = n->msgs.v;
	rd->n_msgs = n->msgs.n;
	memset(&n->msgs, 0, sizeof(n->msgs));
	/* etcd MustSync: term, vote and entries are what a vote or an
	 * acknowledgement promised; a commit index can be recomputed. */
	rd->must_sync = rd->n_entries != 0 || hs.vote != n->prev_hard.vote || hs.term != n->prev_hard.term;
	return RAFT_OK;
}

int raft_advance(struct raft_node *n, struct raft_ready *rd)
{
	uint64_t applied = 0;

	if (n->err) {
		raft_ready_clear(rd);
		return n->err;
	}
	if (!raft_hard_state_is_empty(&rd->hard_state))
		n->prev_hard = rd->hard_state;
	if (rd->n_committed_entries > 0)
		applied = rd->committed_entries[rd->n_committed_entries - 1].index;
	else if (rd->snapshot.metadata.index > 0)
		applied = rd->snapshot.metadata.index;
	if (applied > 0)
		raft_log_applied_to(&n->log, applied);
	raft_reduce_uncommitted_size(n, rd->committed_entries, rd->n_committed_entries);
	if (rd->n_entries > 0) {
		const struct raft_entry *e = &rd->entries[rd->n_entries - 1];

		raft_log_stable_to(&n->log, e->index, e->term);
	}
	if (!raft_snapshot_is_empty(&rd->snapshot))
		raft_log_stable_snap_to(&n->log, rd->snapshot.metadata.index);
	raft_ready_clear(rd);
	return n->err;
}

void raft_status(const struct raft_node *cn, struct raft_status *st)
{
	struct raft_node *n = (struct raft_node *)cn;

	memset(st, 0, sizeof(*st));
	st->id = n->id;
	st->hard_state = raft_node_hard_state(n);
	st->soft_state = raft_node_soft_state(n);
	st->applied = n->log.applied;
	st->lead_transferee = n->lead_transferee;
	raft_tracker_conf_state(&n->prs, &st->conf_state);
	if (n->state != RAFT_STATE_LEADER)
		return;
	for (size_t i = 0; i < n->prs.n; i++) {
		const struct raft_progress *pr = &n->prs.prs[i];
		struct raft_progress_status *ps = &st->progress[st->n_progress++];

		ps->id = pr->id;
		ps->match = pr->match;
		ps->next = pr->next;
		ps->state = pr->state;
		ps->pending_snapshot = pr->pending_snapshot;
		ps->recent_active = pr->recent_active;
		ps->probe_sent = pr->probe_sent;
		ps->is_learner = pr->is_learner;
		ps->paused = raft_progress_is_paused(pr);
		ps->inflight = pr->ins.count;
	}
}

uint64_t raft_node_id(const struct raft_node *n) { return n->id; }
uint64_t raft_node_term(const struct raft_node *n) { return n->term; }
uint64_t raft_node_lead(const struct raft_node *n) { return n->lead; }
enum raft_state raft_node_state(const struct raft_node *n) { return n->state; }
uint64_t raft_node_committed(const struct raft_node *n) { return n->log.committed; }
int raft_node_error(const struct raft_node *n) { return n->err; }
