/*
 * read_only.c - linearizable reads without log writes (ReadIndex, Raft
 * dissertation 6.4): the leader records its commit index for a request,
 * confirms it is still leader through a heartbeat round carrying the
 * request context, then answers with that index.
 *
 * Owns the queue of pending read requests (FIFO, in arrival order) and the
 * node's read states until a ready batch takes them.  Never performs I/O.
 * Mirrors etcd read_only.go and the MsgReadIndex paths of raft.go.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

void raft_read_only_init(struct raft_read_only *ro, enum raft_read_only_option opt)
{
	memset(ro, 0, sizeof(*ro));
	ro->option = opt;
}

void raft_read_only_reset(struct raft_read_only *ro)
{
	for (size_t i = 0; i < ro->n; i++)
		raft_msg_clear(&ro->q[i].req);
	ro->n = 0;
}

static struct raft_read_index_status *find(struct raft_read_only *ro, const struct raft_blob *ctx, size_t *pos)
{
	for (size_t i = 0; i < ro->n; i++) {
		if (raft_blob_equal(ro->q[i].req.entries[0].data, ctx)) {
			if (pos != NULL)
				*pos = i;
			return &ro->q[i];
		}
	}
	return NULL;
}

int raft_read_only_add_request(struct raft_read_only *ro, uint64_t index, const struct raft_message *m)
{
	struct raft_read_index_status *st;

	if (find(ro, m->entries[0].data, NULL) != NULL)
		return RAFT_OK; /* same context already pending */
	if (ro->n == ro->cap) {
		size_t cap = ro->cap ? ro->cap * 2 : 8;
		struct raft_read_index_status *q = realloc(ro->q, cap * sizeof(*q));

		if (q == NULL)
			return RAFT_ENOMEM;
		ro->q = q;
		ro->cap = cap;
	}
	st = &ro->q[ro->n];
	memset(st, 0, sizeof(*st));
	if (raft_msg_copy(&st->req, m) != RAFT_OK)
		return RAFT_ENOMEM;
	st->index = index;
	ro->n++;
	return RAFT_OK;
}

struct raft_read_index_status *raft_read_only_recv_ack(struct raft_read_only *ro, uint64_t id,
						       const struct raft_blob *ctx)
{
	struct raft_read_index_status *st = find(ro, ctx, NULL);

	if (st == NULL)
		return NULL;
	for (size_t i = 0; i < st->n_acks; i++)
		if (st->acks[i] == id)
			return st;
	if (st->n_acks < RAFT_MAX_MEMBERS)
		st->acks[st->n_acks++] = id;
	return st;
}

int raft_read_only_advance(struct raft_read_only *ro, const struct raft_blob *ctx,
			   struct raft_read_index_status **out, size_t *n_out)
{
	size_t pos, cnt;

	*out = NULL;
	*n_out = 0;
	if (find(ro, ctx, &pos) == NULL)
		return RAFT_OK;
	/* A quorum acknowledging a later request confirms every earlier one:
	 * they were all issued by this leader before that heartbeat. */
	cnt = pos + 1;
	*out = malloc(cnt * sizeof(**out));
	if (*out == NULL)
		return RAFT_ENOMEM;
	memcpy(*out, ro->q, cnt * sizeof(**out));
	memmove(ro->q, ro->q + cnt, (ro->n - cnt) * sizeof(*ro->q));
	ro->n -= cnt;
	*n_out = cnt;
	return RAFT_OK;
}

const struct raft_blob *raft_read_only_last_pending_ctx(const struct raft_read_only *ro)
{
	if (ro->n == 0)
		return NULL;
	return ro->q[ro->n - 1].req.entries[0].data;
}

/* ---- read states ---------------------------------------------------------- */

int raft_read_states_push(struct raft_read_states *rs, uint64_t index, const struct raft_blob *ctx)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct raft_read_state *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL)
			return RAFT_ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n].index = index;
	rs->v[rs->n].request_ctx = raft_blob_ref((struct raft_blob *)ctx);
	rs->n++;
	return RAFT_OK;
}

void raft_read_states_free(struct raft_read_states *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		raft_blob_unref(rs->v[i].request_ctx);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* ---- leader side ------------------------------------------------------------ */

bool raft_committed_entry_in_current_term(struct raft_node *r)
{
	return raft_log_term_or_zero(&r->log, r->log.committed) == r->term;
}

/* Answers req with index: a read state when it is ours, else a
 * MsgReadIndexResp to the follower that forwarded it. */
static void respond(struct raft_node *r, const struct raft_message *req, uint64_t index)
{
	struct raft_message resp = { 0 };

	if (req->from == RAFT_NONE || req->from == r->id) {
		if (raft_read_states_push(&r->read_states, index, req->entries[0].data) != RAFT_OK)
			raft_fail(r, RAFT_ENOMEM);
		return;
	}
	if (raft_msg_copy(&resp, req) != RAFT_OK) {
		raft_fail(r, RAFT_ENOMEM);
		return;
	}
	resp.type = RAFT_MSG_READ_INDEX_RESP;
	resp.to = req->from;
	resp.term = 0;
	resp.index = index;
	raft_blob_unref(resp.context);
	resp.context = NULL;
	raft_send(r, &resp);
}

static void serve(struct raft_node *r, const struct raft_message *m)
{
	switch (r->ro.option) {
	case RAFT_READ_ONLY_SAFE:
		if (raft_read_only_add_request(&r->ro, r->log.committed, m) != RAFT_OK) {
			raft_fail(r, RAFT_ENOMEM);
			return;
		}
		raft_read_only_recv_ack(&r->ro, r->id, m->entries[0].data);
		raft_bcast_heartbeat_with_ctx(r, m->entries[0].data);
		break;
	case RAFT_READ_ONLY_LEASE_BASED:
		respond(r, m, r->log.committed);
		break;
	}
}

void raft_leader_read_index(struct raft_node *r, const struct raft_message *m)
{
	if (m->n_entries != 1)
		return;
	if (raft_tracker_voter_count(&r->prs) == 1 && raft_promotable(r)) {
		/* Alone, the commit index is authoritative. */
		respond(r, m, r->log.committed);
		return;
	}
	/* Dissertation 6.4 step 1: until an entry of this term is committed,
	 * our commit index may be behind the previous leader's. */
	if (!raft_committed_entry_in_current_term(r)) {
		struct raft_message keep;

		if (raft_msg_copy(&keep, m) != RAFT_OK || raft_msgs_push(&r->pending_read_index, &keep) != RAFT_OK)
			raft_fail(r, RAFT_ENOMEM);
		return;
	}
	serve(r, m);
}

void raft_release_pending_read_index(struct raft_node *r)
{
	struct raft_msgs pending = r->pending_read_index;

	if (pending.n == 0 || !raft_committed_entry_in_current_term(r))
		return;
	memset(&r->pending_read_index, 0, sizeof(r->pending_read_index));
	for (size_t i = 0; i < pending.n; i++)
		serve(r, &pending.v[i]);
	raft_msgs_free(&pending);
}

void raft_leader_heartbeat_resp_read(struct raft_node *r, const struct raft_message *m)
{
	struct raft_read_index_status *st, *done = NULL;
	size_t n = 0;

	if (r->ro.option != RAFT_READ_ONLY_SAFE || raft_blob_len(m->context) == 0)
		return;
	st = raft_read_only_recv_ack(&r->ro, m->from, m->context);
	if (st == NULL || raft_tracker_vote_result_of(&r->prs, st->acks, st->n_acks) != RAFT_VOTE_WON)
		return;
	if (raft_read_only_advance(&r->ro, m->context, &done, &n) != RAFT_OK) {
		raft_fail(r, RAFT_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		respond(r, &done[i].req, done[i].index);
		raft_msg_clear(&done[i].req);
	}
	free(done);
}
