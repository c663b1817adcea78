/*
 * raft_int.h - internal state of the Raft core, shared by the files of
 * daemon/raft/ and by the unit tests of its parts (check_raft_log.c); the
 * rest of cetcd uses only raft.h.
 *
 * Design notes (numbered invariants the code relies on):
 *  1. log: storage holds [first_index-1 (dummy), ..., stable_last]; the
 *     unstable part holds entries [u_offset, u_offset + u_n), and
 *     u_offset <= stable_last + 1.  applied <= committed <= last_index.
 *  2. A leader's own progress has match == last index of its log.
 *  3. Committed entries are never truncated: a MsgApp conflicting below
 *     `committed` sets RAFT_ECORRUPT (etcd panics there).
 *  4. The tracker table is sorted by id, so every broadcast and every
 *     tally visits peers in the same order: the simulator replays exactly.
 *
 * Role transitions (raft.c):
 *
 *     follower --timeout/MsgHup--> pre-candidate --pre-vote quorum--> candidate
 *      ^  ^  |   (pre_vote on)            |                           ^  |
 *      |  |  +--------- (pre_vote off) ---|---------------------------+  | vote
 *      |  +------ lost / higher term -----+-------- lost / higher term --+ quorum
 *      +------------- higher term (or check_quorum step-down) ------- leader
 *   Performed by raft_become_follower, raft_become_pre_candidate,
 *   raft_become_candidate and raft_become_leader; MsgTimeoutNow goes straight
 *   to candidate (campaign of type transfer).
 */
#ifndef CETCD_DAEMON_RAFT_RAFT_INT_H
#define CETCD_DAEMON_RAFT_RAFT_INT_H

#include "daemon/raft/raft.h"

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t raft_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t raft_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Sums of raft_entry_size; keeps at least one entry (etcd's limitSize). */
size_t raft_limit_size(const struct raft_entry *ents, size_t n, uint64_t max_size);
uint64_t raft_payload_size(const struct raft_entry *e);

struct raft_msgs {
	struct raft_message *v;
	size_t n;
	size_t cap;
};
int raft_msgs_push(struct raft_msgs *ms, struct raft_message *m); /* moves m */
void raft_msgs_free(struct raft_msgs *ms);

/* ---- log (log.c) ------------------------------------------------------ */

struct raft_log {
	struct raft_storage st;
	struct raft_snapshot *u_snap; /* unstable snapshot, or NULL */
	struct raft_entry *u_v;       /* unstable entries, array of u_cap */
	size_t u_start;               /* first live slot in u_v */
	size_t u_n;                   /* live entries */
	size_t u_cap;
	uint64_t u_offset;            /* index of u_v[u_start] */
	uint64_t committed;
	uint64_t applied;
	uint64_t max_next_ents_size;
	int *err; /* the node's sticky error */
};

int raft_log_init(struct raft_log *l, const struct raft_storage *st, uint64_t max_next_ents_size, int *err);
void raft_log_free(struct raft_log *l);
uint64_t raft_log_first_index(struct raft_log *l);
uint64_t raft_log_last_index(struct raft_log *l);
/* Term of i; 0 with RAFT_ECOMPACTED/RAFT_EUNAVAILABLE in *rc when unknown. */
uint64_t raft_log_term(struct raft_log *l, uint64_t i, int *rc);
uint64_t raft_log_term_or_zero(struct raft_log *l, uint64_t i);
uint64_t raft_log_last_term(struct raft_log *l);
bool raft_log_match_term(struct raft_log *l, uint64_t i, uint64_t term);
bool raft_log_is_up_to_date(struct raft_log *l, uint64_t lasti, uint64_t term);
/* Appends ents (copies with references); returns the new last index. */
uint64_t raft_log_append(struct raft_log *l, const struct raft_entry *ents, size_t n);
/* Follower append (etcd maybeAppend); *ok false on log mismatch. */
uint64_t raft_log_maybe_append(struct raft_log *l, uint64_t index, uint64_t log_term, uint64_t committed,
			       const struct raft_entry *ents, size_t n, bool *ok);
void raft_log_commit_to(struct raft_log *l, uint64_t tocommit);
bool raft_log_maybe_commit(struct raft_log *l, uint64_t max_index, uint64_t term);
void raft_log_applied_to(struct raft_log *l, uint64_t i);
void raft_log_stable_to(struct raft_log *l, uint64_t i, uint64_t t);
void raft_log_stable_snap_to(struct raft_log *l, uint64_t i);
/* Appends [lo, hi) limited by max_size to out; RAFT_ECOMPACTED if lo is gone. */
int raft_log_slice(struct raft_log *l, uint64_t lo, uint64_t hi, uint64_t max_size, struct raft_entries *out);
/* Entries from i to the end (limited). */
int raft_log_entries(struct raft_log *l, uint64_t i, uint64_t max_size, struct raft_entries *out);
bool raft_log_has_next_ents(struct raft_log *l);
int raft_log_next_ents(struct raft_log *l, struct raft_entries *out);
/* The snapshot to send: unstable one or the storage's. */
int raft_log_snapshot(struct raft_log *l, struct raft_snapshot *out);
int raft_log_restore(struct raft_log *l, const struct raft_snapshot *s);
int raft_log_unstable_entries(struct raft_log *l, struct raft_entries *out);

/* ---- progress, inflights, tracker (progress.c) --------------------------- */

struct raft_inflights {
	uint64_t *buf; /* ring of last indexes of in-flight MsgApps */
	int start;
	int count;
	int size;
};

enum raft_vote { RAFT_VOTE_NONE = 0, RAFT_VOTE_GRANTED = 1, RAFT_VOTE_REJECTED = 2 };
enum raft_vote_result { RAFT_VOTE_PENDING = 0, RAFT_VOTE_LOST = 1, RAFT_VOTE_WON = 2 };

struct raft_progress {
	uint64_t id;
	uint64_t match;
	uint64_t next;
	enum raft_progress_state state;
	uint64_t pending_snapshot;
	bool recent_active;
	bool probe_sent;
	bool is_learner;
	enum raft_vote vote;
	struct raft_inflights ins;
};

struct raft_tracker {
	struct raft_progress prs[RAFT_MAX_MEMBERS]; /* sorted by id */
	size_t n;
	int max_inflight;
};

void raft_inflights_add(struct raft_inflights *in, uint64_t idx);
void raft_inflights_free_le(struct raft_inflights *in, uint64_t to);
void raft_inflights_free_first_one(struct raft_inflights *in);
static inline bool raft_inflights_full(const struct raft_inflights *in) { return in->count == in->size; }
void raft_inflights_reset(struct raft_inflights *in);

void raft_progress_become_probe(struct raft_progress *pr);
void raft_progress_become_replicate(struct raft_progress *pr);
void raft_progress_become_snapshot(struct raft_progress *pr, uint64_t snapi);
bool raft_progress_maybe_update(struct raft_progress *pr, uint64_t n);
bool raft_progress_maybe_decr_to(struct raft_progress *pr, uint64_t rejected, uint64_t last);
bool raft_progress_is_paused(const struct raft_progress *pr);

void raft_tracker_init(struct raft_tracker *t, int max_inflight);
void raft_tracker_free(struct raft_tracker *t);
struct raft_progress *raft_tracker_get(struct raft_tracker *t, uint64_t id);
/* Adds a member with fresh progress; RAFT_ENOMEM / RAFT_ETOOMANYMEMBERS. */
int raft_tracker_add(struct raft_tracker *t, uint64_t id, bool is_learner, uint64_t next);
void raft_tracker_remove(struct raft_tracker *t, uint64_t id);
size_t raft_tracker_voter_count(const struct raft_tracker *t);
/* Largest index acknowledged by a quorum of voters (etcd Committed()). */
uint64_t raft_tracker_committed(const struct raft_tracker *t);
void raft_tracker_reset_votes(struct raft_tracker *t);
void raft_tracker_record_vote(struct raft_tracker *t, uint64_t id, bool granted);
enum raft_vote_result raft_tracker_tally(const struct raft_tracker *t, int *granted, int *rejected);
/* True when a quorum of voters was recently active (the leader counts). */
bool raft_tracker_quorum_active(const struct raft_tracker *t);
/* Result of counting the voters among ids[] as yes votes. */
enum raft_vote_result raft_tracker_vote_result_of(const struct raft_tracker *t, const uint64_t *ids, size_t n);
void raft_tracker_conf_state(const struct raft_tracker *t, struct raft_conf_state *cs);

/* ---- read-only requests (read_only.c) ------------------------------------ */

struct raft_read_index_status {
	struct raft_message req; /* the MsgReadIndex: from + entries[0] = ctx */
	uint64_t index;
	uint64_t acks[RAFT_MAX_MEMBERS];
	size_t n_acks;
};

struct raft_read_only {
	enum raft_read_only_option option;
	struct raft_read_index_status *q; /* FIFO of pending requests */
	size_t n;
	size_t cap;
};

void raft_read_only_init(struct raft_read_only *ro, enum raft_read_only_option opt);
void raft_read_only_reset(struct raft_read_only *ro);
int raft_read_only_add_request(struct raft_read_only *ro, uint64_t index, const struct raft_message *m);
/* Records an ack from id for ctx; returns the status or NULL if unknown. */
struct raft_read_index_status *raft_read_only_recv_ack(struct raft_read_only *ro, uint64_t id,
						       const struct raft_blob *ctx);
/* Pops every request up to and including ctx into *out (count in *n_out,
 * caller frees each req and the array); 0 popped when ctx is unknown. */
int raft_read_only_advance(struct raft_read_only *ro, const struct raft_blob *ctx,
			   struct raft_read_index_status **out, size_t *n_out);
const struct raft_blob *raft_read_only_last_pending_ctx(const struct raft_read_only *ro);

/* ---- node --------------------------------------------------------------- */

struct raft_read_states {
	struct raft_read_state *v;
	size_t n;
	size_t cap;
};

struct raft_node {
	uint64_t id;
	uint64_t term;
	uint64_t vote;
	struct raft_log log;
	struct raft_tracker prs;
	enum raft_state state;
	bool is_learner;
	struct raft_msgs msgs;
	uint64_t lead;
	uint64_t lead_transferee;
	uint64_t pending_conf_index;
	uint64_t uncommitted_size;
	uint64_t max_msg_size;
	uint64_t max_uncommitted_size;
	struct raft_read_only ro;
	struct raft_read_states read_states;
	struct raft_msgs pending_read_index; /* waiting for a commit in our term */
	int election_elapsed;
	int heartbeat_elapsed;
	int heartbeat_timeout;
	int election_timeout;
	int randomized_election_timeout;
	bool check_quorum;
	bool pre_vote;
	bool disable_proposal_forwarding;
	uint64_t rng;
	/* rawnode.c: what the last ready reported */
	struct raft_soft_state prev_soft;
	struct raft_hard_state prev_hard;
	struct raft_entries scratch;
	int err; /* sticky error, 0 when healthy */
};

/* Sets the sticky error (first one wins). */
void raft_fail(struct raft_node *r, int rc);

/* raft.c: roles, terms and the top-level step */
void raft_become_follower(struct raft_node *r, uint64_t term, uint64_t lead);
void raft_become_candidate(struct raft_node *r);
void raft_become_pre_candidate(struct raft_node *r);
void raft_become_leader(struct raft_node *r);
void raft_reset_randomized_election_timeout(struct raft_node *r);
int raft_step_internal(struct raft_node *r, const struct raft_message *m);
/* Counts a vote response on a (pre-)candidate. */
void raft_candidate_poll(struct raft_node *r, const struct raft_message *m);
/* Campaign after MsgTimeoutNow: no pre-vote, leases overridden. */
void raft_campaign_transfer(struct raft_node *r);

/* step.c: one handler per role (etcd stepLeader/Candidate/Follower) */
int raft_step_leader(struct raft_node *r, const struct raft_message *m);
int raft_step_candidate(struct raft_node *r, const struct raft_message *m);
int raft_step_follower(struct raft_node *r, const struct raft_message *m);
void raft_tick_internal(struct raft_node *r);
bool raft_promotable(const struct raft_node *r);
struct raft_hard_state raft_node_hard_state(const struct raft_node *r);
struct raft_soft_state raft_node_soft_state(const struct raft_node *r);

/* replication.c: the log-moving messages */
/* Queues m (moved; m zeroed) after filling from/term as etcd's send(). */
void raft_send(struct raft_node *r, struct raft_message *m);
bool raft_maybe_send_append(struct raft_node *r, uint64_t to, bool send_if_empty);
void raft_send_append(struct raft_node *r, uint64_t to);
void raft_bcast_append(struct raft_node *r);
void raft_bcast_heartbeat(struct raft_node *r);
void raft_bcast_heartbeat_with_ctx(struct raft_node *r, const struct raft_blob *ctx);
bool raft_maybe_commit(struct raft_node *r);
bool raft_append_entry(struct raft_node *r, struct raft_entry *es, size_t n);
void raft_handle_append_entries(struct raft_node *r, const struct raft_message *m);
void raft_handle_heartbeat(struct raft_node *r, const struct raft_message *m);
void raft_handle_snapshot(struct raft_node *r, const struct raft_message *m);
void raft_reduce_uncommitted_size(struct raft_node *r, const struct raft_entry *es, size_t n);
void raft_leader_handle_app_resp(struct raft_node *r, struct raft_progress *pr, const struct raft_message *m);
void raft_send_timeout_now(struct raft_node *r, uint64_t to);

/* read_only.c: ReadIndex on the leader */
void raft_leader_read_index(struct raft_node *r, const struct raft_message *m);
void raft_release_pending_read_index(struct raft_node *r);
void raft_leader_heartbeat_resp_read(struct raft_node *r, const struct raft_message *m);
int raft_read_states_push(struct raft_read_states *rs, uint64_t index, const struct raft_blob *ctx);
void raft_read_states_free(struct raft_read_states *rs);
bool raft_committed_entry_in_current_term(struct raft_node *r);

/* confchange.c */
int raft_apply_conf_change_internal(struct raft_node *r, const struct raft_conf_change *cc);
int raft_restore_conf_state(struct raft_node *r, const struct raft_conf_state *cs);
/* After the configuration changed: commit/broadcast as etcd switchToConfig. */
void raft_after_config_switch(struct raft_node *r);

#endif /* CETCD_DAEMON_RAFT_RAFT_INT_H */
