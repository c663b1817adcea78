/*
 * replication.c - moving the log from the leader to the others: MsgApp,
 * MsgSnap and MsgHeartbeat on the way out, their handling on followers,
 * and MsgAppResp back on the leader (flow control, fast backtracking,
 * commit by counting).
 *
 * Owns nothing; queues messages in the node's outbox.  Never performs I/O.
 * Mirrors etcd raft.go (Raft dissertation 3.5 log replication, 3.6 safety,
 * 5 log compaction and snapshots).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

static bool is_vote_type(enum raft_msg_type t)
{
	return t == RAFT_MSG_VOTE || t == RAFT_MSG_VOTE_RESP ||
	       t == RAFT_MSG_PRE_VOTE || t == RAFT_MSG_PRE_VOTE_RESP;
}

void raft_send(struct raft_node *r, struct raft_message *m)
{
	m->from = r->id;
	if (is_vote_type(m->type)) {
		/* Vote traffic carries the term of the campaign, set by caller. */
		if (m->term == 0) {
			raft_msg_clear(m);
			raft_fail(r, RAFT_ECORRUPT);
			return;
		}
	} else if (m->type != RAFT_MSG_PROP && m->type != RAFT_MSG_READ_INDEX) {
		/* Proposals and read requests are forwarded as local messages
		 * (term 0): the leader takes them whatever its term. */
		m->term = r->term;
	}
	if (raft_msgs_push(&r->msgs, m) != RAFT_OK)
		raft_fail(r, RAFT_ENOMEM);
}

static bool send_snapshot(struct raft_node *r, struct raft_progress *pr, struct raft_message *m)
{
	struct raft_snapshot *snap;
	int rc;

	snap = calloc(1, sizeof(*snap));
	if (snap == NULL) {
		raft_fail(r, RAFT_ENOMEM);
		return false;
	}
	rc = raft_log_snapshot(&r->log, snap);
	if (rc == RAFT_ESNAPTEMPUNAVAIL) {
		free(snap);
		return false; /* storage is making one; retry on a later heartbeat */
	}
	if (rc != RAFT_OK || raft_snapshot_is_empty(snap)) {
		raft_snapshot_clear(snap);
		free(snap);
		raft_fail(r, rc != RAFT_OK ? RAFT_ESTORAGE : RAFT_ECORRUPT);
		return false;
	}
	m->type = RAFT_MSG_SNAP;
	m->snapshot = snap;
	/* Pause replication until the follower reports the outcome. */
	raft_progress_become_snapshot(pr, snap->metadata.index);
	raft_send(r, m);
	return true;
}

/* Sends what `to` is missing if its progress allows; a probe (possibly
 * empty) when send_if_empty.  True when a message was queued. */
bool raft_maybe_send_append(struct raft_node *r, uint64_t to, bool send_if_empty)
{
	struct raft_progress *pr = raft_tracker_get(&r->prs, to);
	struct raft_message m = { .to = to };
	struct raft_entries ents = { 0 };
	uint64_t term;
	int rc_term, rc_ents;

	if (pr == NULL || raft_progress_is_paused(pr))
		return false;
	term = raft_log_term(&r->log, pr->next - 1, &rc_term);
	rc_ents = raft_log_entries(&r->log, pr->next, r->max_msg_size, &ents);
	if (r->err) {
		raft_entries_free(&ents);
		return false;
	}
	if (ents.n == 0 && !send_if_empty) {
		raft_entries_free(&ents);
		return false;
	}
	if (rc_term != RAFT_OK || rc_ents != RAFT_OK) {
		/* The entries it needs are compacted: send a snapshot, but only
		 * to a peer that answers, as snapshots are expensive. */
		raft_entries_free(&ents);
		if (!pr->recent_active)
			return false;
		return send_snapshot(r, pr, &m) && !r->err;
	}
	m.type = RAFT_MSG_APP;
	m.index = pr->next - 1;
	m.log_term = term;
	m.entries = ents.v; /* the message takes the array */
	m.n_entries = ents.n;
	m.commit = r->log.committed;
	if (ents.n > 0) {
		switch (pr->state) {
		case RAFT_PROGRESS_REPLICATE: {
			uint64_t last = ents.v[ents.n - 1].index;

			/* Pipeline: assume delivery, bounded by the inflight window. */
			pr->next = last + 1;
			raft_inflights_add(&pr->ins, last);
			break;
		}
		case RAFT_PROGRESS_PROBE:
			/* One probe at a time until it is answered. */
			pr->probe_sent = true;
			break;
		case RAFT_PROGRESS_SNAPSHOT:
			raft_fail(r, RAFT_ECORRUPT);
			break;
		}
	}
	raft_send(r, &m);
	return true;
}

void raft_send_append(struct raft_node *r, uint64_t to)
{
	raft_maybe_send_append(r, to, true);
}

void raft_bcast_append(struct raft_node *r)
{
	for (size_t i = 0; i < r->prs.n && !r->err; i++) {
		uint64_t id = r->prs.prs[i].id;

		if (id != r->id)
			raft_send_append(r, id);
	}
}

static void send_heartbeat(struct raft_node *r, const struct raft_progress *pr, const struct raft_blob *ctx)
{
	/* Never tell a follower to commit beyond what it is known to hold:
	 * its log may still end with entries of an old leader. */
	struct raft_message m = {
		.type = RAFT_MSG_HEARTBEAT,
		.to = pr->id,
		.commit = raft_min_u64(pr->match, r->log.committed),
		.context = raft_blob_ref((struct raft_blob *)ctx),
	};

	raft_send(r, &m);
}

void raft_bcast_heartbeat_with_ctx(struct raft_node *r, const struct raft_blob *ctx)
{
	for (size_t i = 0; i < r->prs.n; i++) {
		if (r->prs.prs[i].id != r->id)
			send_heartbeat(r, &r->prs.prs[i], ctx);
	}
}

void raft_bcast_heartbeat(struct raft_node *r)
{
	raft_bcast_heartbeat_with_ctx(r, raft_read_only_last_pending_ctx(&r->ro));
}

void raft_send_timeout_now(struct raft_node *r, uint64_t to)
{
	struct raft_message m = { .type = RAFT_MSG_TIMEOUT_NOW, .to = to };

	raft_send(r, &m);
}

/* Dissertation 3.6.2: the leader commits only entries of its own term by
 * counting replicas; older ones commit with them. */
bool raft_maybe_commit(struct raft_node *r)
{
	return raft_log_maybe_commit(&r->log, raft_tracker_committed(&r->prs), r->term);
}

static bool increase_uncommitted_size(struct raft_node *r, const struct raft_entry *es, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += raft_payload_size(&es[i]);
	/* Always admit when nothing is outstanding, so that one oversized
	 * proposal cannot block forever (etcd), and always admit empty entries
	 * (the new leader's entry; etcd 3.5 does the same). */
	if (r->uncommitted_size > 0 && s > 0 && r->uncommitted_size + s > r->max_uncommitted_size)
		return false;
	r->uncommitted_size += s;
	return true;
}

void raft_reduce_uncommitted_size(struct raft_node *r, const struct raft_entry *es, size_t n)
{
	uint64_t s = 0;

	if (r->uncommitted_size == 0)
		return; /* follower, or a leader with nothing pending */
	for (size_t i = 0; i < n; i++)
		s += raft_payload_size(&es[i]);
	r->uncommitted_size = s > r->uncommitted_size ? 0 : r->uncommitted_size - s;
}

bool raft_append_entry(struct raft_node *r, struct raft_entry *es, size_t n)
{
	uint64_t li = raft_log_last_index(&r->log);
	struct raft_progress *self;

	for (size_t i = 0; i < n; i++) {
		es[i].term = r->term;
		es[i].index = li + 1 + i;
	}
	if (!increase_uncommitted_size(r, es, n))
		return false;
	li = raft_log_append(&r->log, es, n);
	self = raft_tracker_get(&r->prs, r->id);
	if (self != NULL)
		raft_progress_maybe_update(self, li);
	/* A single-voter cluster commits right away. */
	raft_maybe_commit(r);
	return true;
}

void raft_handle_append_entries(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = { .type = RAFT_MSG_APP_RESP, .to = m->from };
	uint64_t lastnew;
	bool ok;

	if (m->index < r->log.committed) {
		/* Stale append: tell the leader where we are. */
		resp.index = r->log.committed;
		raft_send(r, &resp);
		return;
	}
	lastnew = raft_log_maybe_append(&r->log, m->index, m->log_term, m->commit,
					 m->entries, m->n_entries, &ok);
	if (ok) {
		resp.index = lastnew;
	} else {
		/* Reject with a hint: our last index lets the leader skip back
		 * over everything we certainly lack in one round trip. */
		resp.index = m->index;
		resp.reject = true;
		resp.reject_hint = raft_log_last_index(&r->log);
	}
	raft_send(r, &resp);
}

void raft_handle_heartbeat(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = {
		.type = RAFT_MSG_HEARTBEAT_RESP,
		.to = m->from,
		.context = raft_blob_ref(m->context),
	};

	raft_log_commit_to(&r->log, m->commit);
	raft_send(r, &resp);
}

static bool conf_state_has(const struct raft_conf_state *cs, uint64_t id)
{
	for (uint32_t i = 0; i < cs->n_voters; i++)
		if (cs->voters[i] == id)
			return true;
	for (uint32_t i = 0; i < cs->n_learners; i++)
		if (cs->learners[i] == id)
			return true;
	for (uint32_t i = 0; i < cs->n_voters_outgoing; i++)
		if (cs->voters_outgoing[i] == id)
			return true;
	for (uint32_t i = 0; i < cs->n_learners_next; i++)
		if (cs->learners_next[i] == id)
			return true;
	return false;
}

/* Installs snapshot s if it brings something new (etcd restore()). */
static bool restore(struct raft_node *r, const struct raft_snapshot *s)
{
	struct raft_progress *self;

	if (s->metadata.index <= r->log.committed)
		return false;
	if (r->state != RAFT_STATE_FOLLOWER) {
		/* Cannot happen: only followers receive MsgSnap.  Be defensive as
		 * etcd is: move to a new term so no two leaders share one. */
		raft_become_follower(r, r->term + 1, RAFT_NONE);
		return false;
	}
	if (!conf_state_has(&s->metadata.conf_state, r->id))
		return false; /* a snapshot of a config we are not in */
	if (raft_log_match_term(&r->log, s->metadata.index, s->metadata.term)) {
		/* We have the entries: just commit up to the snapshot. */
		raft_log_commit_to(&r->log, s->metadata.index);
		return false;
	}
	if (raft_log_restore(&r->log, s) != RAFT_OK)
		return false;
	if (raft_restore_conf_state(r, &s->metadata.conf_state) != RAFT_OK) {
		raft_fail(r, RAFT_ECORRUPT);
		return false;
	}
	self = raft_tracker_get(&r->prs, r->id);
	if (self != NULL)
		raft_progress_maybe_update(self, self->next - 1);
	return true;
}

void raft_handle_snapshot(struct raft_node *r, const struct raft_message *m)
{
	struct raft_message resp = { .type = RAFT_MSG_APP_RESP, .to = m->from };

	if (m->snapshot == NULL)
		return;
	if (restore(r, m->snapshot))
		resp.index = raft_log_last_index(&r->log);
	else
		resp.index = r->log.committed;
	raft_send(r, &resp);
}

void raft_leader_handle_app_resp(struct raft_node *r, struct raft_progress *pr, const struct raft_message *m)
{
	bool old_paused;
	uint64_t from = m->from;

	pr->recent_active = true;
	if (m->reject) {
		if (raft_progress_maybe_decr_to(pr, m->index, m->reject_hint)) {
			if (pr->state == RAFT_PROGRESS_REPLICATE)
				raft_progress_become_probe(pr);
			raft_send_append(r, from);
		}
		return;
	}
	old_paused = raft_progress_is_paused(pr);
	if (!raft_progress_maybe_update(pr, m->index))
		return;
	switch (pr->state) {
	case RAFT_PROGRESS_PROBE:
		raft_progress_become_replicate(pr);
		break;
	case RAFT_PROGRESS_SNAPSHOT:
		if (pr->match >= pr->pending_snapshot) {
			/* The follower caught up (snapshot applied or entries
			 * arrived): resume normal replication. */
			raft_progress_become_probe(pr);
			raft_progress_become_replicate(pr);
		}
		break;
	case RAFT_PROGRESS_REPLICATE:
		raft_inflights_free_le(&pr->ins, m->index);
		break;
	}
	if (raft_maybe_commit(r)) {
		raft_release_pending_read_index(r);
		raft_bcast_append(r);
	} else if (old_paused) {
		/* It was paused: it may be missing the newest commit index. */
		raft_send_append(r, from);
	}
	/* Fill the window now that acknowledgements made room. */
	pr = raft_tracker_get(&r->prs, from);
	while (pr != NULL && !r->err && raft_maybe_send_append(r, from, false))
		;
	/* Dissertation 3.10: once the transferee is current, tell it to go. */
	if (pr != NULL && from == r->lead_transferee && pr->match == raft_log_last_index(&r->log))
		raft_send_timeout_now(r, from);
}
