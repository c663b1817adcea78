/*
 * progress.c - what a leader knows of each member: match/next indexes, the
 * flow-control state (probe / replicate / snapshot), the inflight window,
 * votes, and the quorum arithmetic over the configuration.
 *
 * Owns the member table and each member's inflight ring.  Never sends
 * anything: replication.c decides what to send from this state.  Mirrors
 * etcd's tracker/ and quorum/ packages for a single (non-joint) majority
 * configuration (Raft dissertation 3.5 and 4.1).
 *
 *            +--------------------------------------------------+
 *            |          MsgAppResp rejected / MsgUnreachable    |
 *            v                                                  |
 *   PROBE --(MsgAppResp accepted: maybe_update)--> REPLICATE ---+
 *     ^ |                                              |
 *     | +-(needs compacted entries: become_snapshot)--+|
 *     |                   v                            v
 *     +---(MsgSnapStatus, or match >= pending)--- SNAPSHOT
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

/* ---- inflights: a ring of the last index of each unacknowledged MsgApp --- */

void raft_inflights_add(struct raft_inflights *in, uint64_t idx)
{
	int next;

	if (raft_inflights_full(in))
		return; /* callers check is_paused first; never overwrite */
	next = in->start + in->count;
	if (next >= in->size)
		next -= in->size;
	in->buf[next] = idx;
	in->count++;
}

void raft_inflights_free_le(struct raft_inflights *in, uint64_t to)
{
	int i, idx;

	if (in->count == 0 || to < in->buf[in->start])
		return;
	idx = in->start;
	for (i = 0; i < in->count; i++) {
		if (to < in->buf[idx])
			break;
		if (++idx >= in->size)
			idx -= in->size;
	}
	in->count -= i;
	in->start = idx;
	if (in->count == 0)
		in->start = 0;
}

void raft_inflights_free_first_one(struct raft_inflights *in)
{
	if (in->count > 0)
		raft_inflights_free_le(in, in->buf[in->start]);
}

void raft_inflights_reset(struct raft_inflights *in)
{
	in->count = 0;
	in->start = 0;
}

/* ---- progress --------------------------------------------------------------- */

static void reset_state(struct raft_progress *pr, enum raft_progress_state st)
{
	pr->probe_sent = false;
	pr->pending_snapshot = 0;
	pr->state = st;
	raft_inflights_reset(&pr->ins);
}

void raft_progress_become_probe(struct raft_progress *pr)
{
	/* Coming back from a snapshot, resume after whichever is further: what
	 * the follower acknowledged or the snapshot we sent. */
	if (pr->state == RAFT_PROGRESS_SNAPSHOT) {
		uint64_t pending = pr->pending_snapshot;

		reset_state(pr, RAFT_PROGRESS_PROBE);
		pr->next = raft_max_u64(pr->match + 1, pending + 1);
	} else {
		reset_state(pr, RAFT_PROGRESS_PROBE);
		pr->next = pr->match + 1;
	}
}

void raft_progress_become_replicate(struct raft_progress *pr)
{
	reset_state(pr, RAFT_PROGRESS_REPLICATE);
	pr->next = pr->match + 1;
}

void raft_progress_become_snapshot(struct raft_progress *pr, uint64_t snapi)
{
	reset_state(pr, RAFT_PROGRESS_SNAPSHOT);
	pr->pending_snapshot = snapi;
}

bool raft_progress_maybe_update(struct raft_progress *pr, uint64_t n)
{
	bool updated = false;

	if (pr->match < n) {
		pr->match = n;
		updated = true;
		pr->probe_sent = false;
	}
	if (pr->next < n + 1)
		pr->next = n + 1;
	return updated;
}

/* A MsgApp at index `rejected` was refused; `last` is the follower's last
 * index (the reject hint).  False when the rejection is stale. */
bool raft_progress_maybe_decr_to(struct raft_progress *pr, uint64_t rejected, uint64_t last)
{
	if (pr->state == RAFT_PROGRESS_REPLICATE) {
		if (rejected <= pr->match)
			return false;
		pr->next = pr->match + 1;
		return true;
	}
	if (pr->next - 1 != rejected)
		return false;
	/* Fast backtracking: jump straight to the follower's last index. */
	pr->next = raft_min_u64(rejected, last + 1);
	if (pr->next < 1)
		pr->next = 1;
	pr->probe_sent = false;
	return true;
}

bool raft_progress_is_paused(const struct raft_progress *pr)
{
	switch (pr->state) {
	case RAFT_PROGRESS_PROBE:
		return pr->probe_sent;
	case RAFT_PROGRESS_REPLICATE:
		return raft_inflights_full(&pr->ins);
	case RAFT_PROGRESS_SNAPSHOT:
		return true;
	}
	return true;
}

/* ---- tracker ------------------------------------------------------------------ */

void raft_tracker_init(struct raft_tracker *t, int max_inflight)
{
	memset(t, 0, sizeof(*t));
	t->max_inflight = max_inflight;
}

void raft_tracker_free(struct raft_tracker *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->prs[i].ins.buf);
	t->n = 0;
}

struct raft_progress *raft_tracker_get(struct raft_tracker *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->prs[i].id == id)
			return &t->prs[i];
		if (t->prs[i].id > id)
			break;
	}
	return NULL;
}

int raft_tracker_add(struct raft_tracker *t, uint64_t id, bool is_learner, uint64_t next)
{
	struct raft_progress *pr;
	size_t pos = 0;

	if (t->n == RAFT_MAX_MEMBERS)
		return RAFT_ETOOMANYMEMBERS;
	while (pos < t->n && t->prs[pos].id < id)
		pos++;
	memmove(&t->prs[pos + 1], &t->prs[pos], (t->n - pos) * sizeof(t->prs[0]));
	pr = &t->prs[pos];
	memset(pr, 0, sizeof(*pr));
	pr->ins.buf = malloc((size_t)t->max_inflight * sizeof(uint64_t));
	if (pr->ins.buf == NULL) {
		memmove(&t->prs[pos], &t->prs[pos + 1], (t->n - pos) * sizeof(t->prs[0]));
		return RAFT_ENOMEM;
	}
	pr->ins.size = t->max_inflight;
	pr->id = id;
	pr->next = next;
	pr->is_learner = is_learner;
	/* A new member counts as active, or check_quorum could depose the leader
	 * right after adding it (etcd's initProgress). */
	pr->recent_active = true;
	t->n++;
	return RAFT_OK;
}

void raft_tracker_remove(struct raft_tracker *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->prs[i].id == id) {
			free(t->prs[i].ins.buf);
			memmove(&t->prs[i], &t->prs[i + 1], (t->n - i - 1) * sizeof(t->prs[0]));
			t->n--;
			return;
		}
	}
}

size_t raft_tracker_voter_count(const struct raft_tracker *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += !t->prs[i].is_learner;
	return n;
}

uint64_t raft_tracker_committed(const struct raft_tracker *t)
{
	uint64_t m[RAFT_MAX_MEMBERS];
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		uint64_t v;
		size_t j;

		if (t->prs[i].is_learner)
			continue;
		/* insertion sort, descending: tables are tiny */
		v = t->prs[i].match;
		for (j = n; j > 0 && m[j - 1] < v; j--)
			m[j] = m[j - 1];
		m[j] = v;
		n++;
	}
	if (n == 0)
		return UINT64_MAX; /* etcd: an empty config commits everything */
	return m[n / 2];        /* the quorum-th largest: n/2+1 voters have it */
}

void raft_tracker_reset_votes(struct raft_tracker *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->prs[i].vote = RAFT_VOTE_NONE;
}

void raft_tracker_record_vote(struct raft_tracker *t, uint64_t id, bool granted)
{
	struct raft_progress *pr = raft_tracker_get(t, id);

	/* The first answer of a peer counts; duplicates do not flip it. */
	if (pr != NULL && pr->vote == RAFT_VOTE_NONE)
		pr->vote = granted ? RAFT_VOTE_GRANTED : RAFT_VOTE_REJECTED;
}

static enum raft_vote_result vote_result(size_t voters, size_t yes, size_t missing)
{
	size_t q;

	if (voters == 0)
		return RAFT_VOTE_WON;
	q = voters / 2 + 1;
	if (yes >= q)
		return RAFT_VOTE_WON;
	if (yes + missing >= q)
		return RAFT_VOTE_PENDING;
	return RAFT_VOTE_LOST;
}

enum raft_vote_result raft_tracker_tally(const struct raft_tracker *t, int *granted, int *rejected)
{
	size_t voters = 0, yes = 0, no = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct raft_progress *pr = &t->prs[i];

		if (pr->is_learner)
			continue;
		voters++;
		if (pr->vote == RAFT_VOTE_GRANTED)
			yes++;
		else if (pr->vote == RAFT_VOTE_REJECTED)
			no++;
	}
	if (granted != NULL)
		*granted = (int)yes;
	if (rejected != NULL)
		*rejected = (int)no;
	return vote_result(voters, yes, voters - yes - no);
}

bool raft_tracker_quorum_active(const struct raft_tracker *t)
{
	size_t voters = 0, yes = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->prs[i].is_learner)
			continue;
		voters++;
		yes += t->prs[i].recent_active;
	}
	return vote_result(voters, yes, 0) == RAFT_VOTE_WON;
}

enum raft_vote_result raft_tracker_vote_result_of(const struct raft_tracker *t, const uint64_t *ids, size_t n)
{
	size_t voters = 0, yes = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->prs[i].is_learner)
			continue;
		voters++;
		for (size_t k = 0; k < n; k++) {
			if (ids[k] == t->prs[i].id) {
				yes++;
				break;
			}
		}
	}
	return vote_result(voters, yes, voters - yes);
}

void raft_tracker_conf_state(const struct raft_tracker *t, struct raft_conf_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	for (size_t i = 0; i < t->n; i++) {
		if (t->prs[i].is_learner)
			cs->learners[cs->n_learners++] = t->prs[i].id;
		else
			cs->voters[cs->n_voters++] = t->prs[i].id;
	}
}
