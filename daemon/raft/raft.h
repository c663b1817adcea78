/*
 * raft.h - public API of cetcd's pure Raft state machine (daemon/raft/).
 *
 * The library is a deterministic state machine in the style of etcd's raft
 * package (go.etcd.io/etcd/raft, v3.4): events go in (raft_step, raft_tick,
 * raft_propose, ...), and one batch of work comes out (raft_ready) that the
 * caller persists, sends and applies before calling raft_advance.  It never
 * performs I/O, reads a clock, starts a thread or prints; randomness comes
 * from a PRNG seeded through the config, so runs replay exactly.
 *
 * The plain C types below mirror raftpb (raft.proto of etcd 3.4) field by
 * field, with identical enum values, so that the daemon converts them to and
 * from protobuf-c at the network edge.  That conversion lives outside this
 * directory: the core never links protobuf-c.
 *
 * Ownership, in one paragraph:
 *  - Byte strings (entry data, message context, snapshot data) are
 *    struct raft_blob: immutable and reference counted, so an entry moves
 *    from a proposal to the log, to messages, to storage and to the
 *    committed list without being copied.  Whoever holds a pointer to a
 *    blob holds one reference and drops it with raft_blob_unref().
 *  - A struct raft_entry / raft_message / raft_snapshot that the library
 *    hands out owns its blobs and arrays; release it with raft_entry_clear(),
 *    raft_msg_clear(), raft_snapshot_clear().
 *  - Everything the library is given (raft_step's message, conf changes,
 *    storage answers copied in) stays owned by the caller: the library takes
 *    its own references to what it keeps.
 *  - A struct raft_ready is filled by raft_ready() and owned by the caller
 *    until raft_advance() (which releases everything still in it) or
 *    raft_ready_clear() (which releases it without advancing).  Its contents
 *    stay valid even if the caller steps more messages before advancing.
 *    To keep a message beyond raft_advance(), move it out: copy the struct
 *    and zero the slot (memset) in rd->msgs, then raft_msg_clear() it later.
 *
 * Typical use (the daemon's event loop; see tests/bench/bench_raft.c):
 *
 *     raft_node_new(&cfg, &n);
 *     on timer:        raft_tick(n);
 *     on peer message: convert protobuf -> struct raft_message; raft_step(n, &m);
 *     on client write: raft_propose(n, data, len);
 *     while (raft_has_ready(n)) {
 *             raft_ready(n, &rd);
 *             persist rd.snapshot, rd.entries, rd.hard_state (fsync if
 *                     rd.must_sync); a leader may send rd.msgs first;
 *             send rd.msgs (report failures: raft_report_unreachable,
 *                     and raft_report_snapshot for MsgSnap);
 *             apply rd.committed_entries (raft_apply_conf_change for
 *                     RAFT_ENTRY_CONF_CHANGE), answer rd.read_states;
 *             raft_advance(n, &rd);    (before the next raft_ready)
 *     }
 *
 * Errors are negative RAFT_E* codes (raft_strerror names them).  The errors
 * RAFT_ENOMEM, RAFT_ESTORAGE and RAFT_ECORRUPT are sticky: once a node hits
 * one, every later call returns it; the caller must free the node and build
 * a new one from its storage (which is always consistent, since the node
 * never writes anything itself).
 */
#ifndef CETCD_DAEMON_RAFT_RAFT_H
#define CETCD_DAEMON_RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Node id 0 means "nobody" (etcd's raft.None). */
#define RAFT_NONE 0

/* Upper bound on the members (voters + learners) of one configuration; a
 * bounded table keeps the core free of hash maps.  etcd clusters have a
 * handful of members. */
#define RAFT_MAX_MEMBERS 32

/* "no limit" for sizes (etcd's noLimit). */
#define RAFT_NO_LIMIT UINT64_MAX

/* Result codes. */
enum raft_rc {
	RAFT_OK = 0,
	RAFT_EPROPOSALDROPPED = -1,  /* no leader, transfer in progress, limit hit */
	RAFT_ECOMPACTED = -2,        /* storage: index compacted away */
	RAFT_EUNAVAILABLE = -3,      /* storage: entry not (yet) available */
	RAFT_ESNAPOUTOFDATE = -4,    /* storage: snapshot older than current */
	RAFT_ESNAPTEMPUNAVAIL = -5,  /* storage: snapshot temporarily unavailable */
	RAFT_ESTEPLOCALMSG = -6,     /* raft_step given a local message type */
	RAFT_ESTEPPEERNOTFOUND = -7, /* response from a peer not in the config */
	RAFT_EINVAL = -8,            /* invalid argument or config */
	RAFT_ENOMEM = -9,            /* sticky: allocation failed */
	RAFT_ESTORAGE = -10,         /* sticky: storage returned an unexpected error */
	RAFT_ECORRUPT = -11,         /* sticky: log invariant violated (commit lost...) */
	RAFT_ECONFCHANGE = -12,      /* conf change refused (e.g. removes all voters) */
	RAFT_ETOOMANYMEMBERS = -13,  /* more than RAFT_MAX_MEMBERS members */
};
const char *raft_strerror(int rc);

/* raftpb.MessageType: numeric values are raftpb's. */
enum raft_msg_type {
	RAFT_MSG_HUP = 0,
	RAFT_MSG_BEAT = 1,
	RAFT_MSG_PROP = 2,
	RAFT_MSG_APP = 3,
	RAFT_MSG_APP_RESP = 4,
	RAFT_MSG_VOTE = 5,
	RAFT_MSG_VOTE_RESP = 6,
	RAFT_MSG_SNAP = 7,
	RAFT_MSG_HEARTBEAT = 8,
	RAFT_MSG_HEARTBEAT_RESP = 9,
	RAFT_MSG_UNREACHABLE = 10,
	RAFT_MSG_SNAP_STATUS = 11,
	RAFT_MSG_CHECK_QUORUM = 12,
	RAFT_MSG_TRANSFER_LEADER = 13,
	RAFT_MSG_TIMEOUT_NOW = 14,
	RAFT_MSG_READ_INDEX = 15,
	RAFT_MSG_READ_INDEX_RESP = 16,
	RAFT_MSG_PRE_VOTE = 17,
	RAFT_MSG_PRE_VOTE_RESP = 18,
};
#define RAFT_MSG_TYPE_COUNT 19
/* "MsgHup", ... as etcd prints them; "MsgUnknown" when out of range. */
const char *raft_msg_type_name(int type);

/* raftpb.EntryType */
enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0,
	RAFT_ENTRY_CONF_CHANGE = 1,
	RAFT_ENTRY_CONF_CHANGE_V2 = 2, /* carried, never produced or applied here */
};

/* raftpb.ConfChangeType */
enum raft_conf_change_type {
	RAFT_CONF_ADD_NODE = 0,         /* add a voter, or promote a learner */
	RAFT_CONF_REMOVE_NODE = 1,
	RAFT_CONF_UPDATE_NODE = 2,      /* no effect on the configuration */
	RAFT_CONF_ADD_LEARNER_NODE = 3,
};

/* raft.StateType: etcd's order. */
enum raft_state {
	RAFT_STATE_FOLLOWER = 0,
	RAFT_STATE_CANDIDATE = 1,
	RAFT_STATE_LEADER = 2,
	RAFT_STATE_PRE_CANDIDATE = 3,
};
const char *raft_state_name(enum raft_state s);

/* tracker.StateType */
enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 0,
	RAFT_PROGRESS_REPLICATE = 1,
	RAFT_PROGRESS_SNAPSHOT = 2,
};

enum raft_read_only_option {
	RAFT_READ_ONLY_SAFE = 0,        /* ReadIndex confirmed by a heartbeat quorum */
	RAFT_READ_ONLY_LEASE_BASED = 1, /* trusts the leader lease (needs check_quorum) */
};

enum raft_snapshot_status {
	RAFT_SNAPSHOT_FINISH = 1,
	RAFT_SNAPSHOT_FAILURE = 2,
};

/* ---- reference-counted byte strings ---------------------------------- */

struct raft_blob {
	uint32_t refs; /* not atomic: a blob belongs to one thread at a time */
	uint32_t pad_;
	size_t len;
	uint8_t bytes[];
};

/* New blob holding a copy of data[0..len); NULL on out of memory.  A blob
 * of length 0 is legal, but the API prefers a NULL blob for "no bytes". */
struct raft_blob *raft_blob_new(const void *data, size_t len);
/* Takes one more reference; returns b (NULL-safe). */
struct raft_blob *raft_blob_ref(struct raft_blob *b);
/* Drops one reference, freeing at zero (NULL-safe). */
void raft_blob_unref(struct raft_blob *b);
/* True when both hold the same bytes (NULL equals the empty string). */
bool raft_blob_equal(const struct raft_blob *a, const struct raft_blob *b);
static inline size_t raft_blob_len(const struct raft_blob *b) { return b ? b->len : 0; }

/* ---- raftpb mirrors -------------------------------------------------- */

struct raft_entry {
	uint64_t term;
	uint64_t index;
	enum raft_entry_type type;
	struct raft_blob *data; /* one reference owned by the entry; NULL = empty */
};
/* Drops the entry's reference to its data and zeroes it. */
void raft_entry_clear(struct raft_entry *e);
/* dst = src with a new reference on the data (dst is overwritten). */
void raft_entry_copy(struct raft_entry *dst, const struct raft_entry *src);
/* Encoded size of the entry as a raftpb.Entry (etcd's Entry.Size()), used
 * for max_size_per_msg limits. */
uint64_t raft_entry_size(const struct raft_entry *e);

struct raft_hard_state {
	uint64_t term;
	uint64_t vote;
	uint64_t commit;
};
static inline bool raft_hard_state_is_empty(const struct raft_hard_state *hs)
{
	return hs->term == 0 && hs->vote == 0 && hs->commit == 0;
}

struct raft_conf_state {
	uint64_t voters[RAFT_MAX_MEMBERS];
	uint32_t n_voters;
	uint64_t learners[RAFT_MAX_MEMBERS];
	uint32_t n_learners;
	/* Joint-consensus fields of raftpb.ConfState: carried for fidelity, always
	 * empty here since only single-step changes are supported. */
	uint64_t voters_outgoing[RAFT_MAX_MEMBERS];
	uint32_t n_voters_outgoing;
	uint64_t learners_next[RAFT_MAX_MEMBERS];
	uint32_t n_learners_next;
	bool auto_leave;
};

struct raft_snapshot_metadata {
	struct raft_conf_state conf_state;
	uint64_t index;
	uint64_t term;
};

struct raft_snapshot {
	struct raft_blob *data; /* owned reference; NULL = empty */
	struct raft_snapshot_metadata metadata;
};
static inline bool raft_snapshot_is_empty(const struct raft_snapshot *s)
{
	return s == NULL || s->metadata.index == 0;
}
void raft_snapshot_clear(struct raft_snapshot *s);
void raft_snapshot_copy(struct raft_snapshot *dst, const struct raft_snapshot *src);

/* raftpb.ConfChange (the V1 form: one change). */
struct raft_conf_change {
	uint64_t id;
	enum raft_conf_change_type type;
	uint64_t node_id;
	struct raft_blob *context; /* borrowed when passed in; owned when decoded */
};
/* Encodes cc in raftpb.ConfChange protobuf wire format into a new blob (the
 * data of an EntryConfChange entry).  NULL on out of memory. */
struct raft_blob *raft_conf_change_encode(const struct raft_conf_change *cc);
/* Decodes protobuf bytes; cc->context is a new blob the caller unrefs.
 * RAFT_EINVAL on malformed input. */
int raft_conf_change_decode(const void *data, size_t len, struct raft_conf_change *cc);

/* raftpb.Message: every field. */
struct raft_message {
	enum raft_msg_type type;
	uint64_t to;
	uint64_t from;
	uint64_t term;
	uint64_t log_term;
	uint64_t index;
	struct raft_entry *entries; /* owned array of n_entries (malloc) */
	size_t n_entries;
	uint64_t commit;
	struct raft_snapshot *snapshot; /* owned (malloc); NULL unless MsgSnap */
	bool reject;
	uint64_t reject_hint;
	struct raft_blob *context; /* owned reference; NULL = empty */
};
/* Releases entries, snapshot and context, and zeroes the message. */
void raft_msg_clear(struct raft_message *m);
/* Deep copy sharing blobs; RAFT_ENOMEM on failure (dst is then zeroed). */
int raft_msg_copy(struct raft_message *dst, const struct raft_message *src);

/* ---- storage interface ------------------------------------------------ */

/* A growable array of entries, each holding a data reference. */
struct raft_entries {
	struct raft_entry *v;
	size_t n;
	size_t cap;
};
/* Appends a copy of e (new data reference).  RAFT_ENOMEM on failure. */
int raft_entries_push(struct raft_entries *es, const struct raft_entry *e);
/* Makes room for `extra` more entries without reallocating. */
int raft_entries_reserve(struct raft_entries *es, size_t extra);
/* Clears every entry and frees the array. */
void raft_entries_free(struct raft_entries *es);
/* Clears every entry, keeps the array for reuse. */
void raft_entries_reset(struct raft_entries *es);

/*
 * What the node reads from stable storage (etcd's raft.Storage).  All
 * indexes are of the log; the storage holds a dummy entry at first_index-1
 * (the snapshot point) whose term is known.  Every function returns RAFT_OK
 * or a negative code; RAFT_ECOMPACTED and RAFT_EUNAVAILABLE are expected
 * answers, anything else makes the node fail with RAFT_ESTORAGE.
 */
struct raft_storage {
	void *ctx;
	/* Saved hard state and the configuration of the last snapshot. */
	int (*initial_state)(void *ctx, struct raft_hard_state *hs, struct raft_conf_state *cs);
	/* Appends (with references) entries [lo, hi) to out, stopping once their
	 * raft_entry_size() sum would exceed max_size, but always at least one. */
	int (*entries)(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_size, struct raft_entries *out);
	/* Term of entry i; i may be first_index-1. */
	int (*term)(void *ctx, uint64_t i, uint64_t *term);
	int (*last_index)(void *ctx, uint64_t *index);
	int (*first_index)(void *ctx, uint64_t *index);
	/* Most recent snapshot; the node releases it with raft_snapshot_clear().
	 * RAFT_ESNAPTEMPUNAVAIL makes the leader retry later. */
	int (*snapshot)(void *ctx, struct raft_snapshot *snap);
};

/* In-memory storage (etcd's MemoryStorage), for tests and benchmarks. */
struct raft_mem_storage;
struct raft_mem_storage *raft_mem_storage_new(void);
void raft_mem_storage_free(struct raft_mem_storage *ms);
/* Fills *st with the vtable over ms. */
void raft_mem_storage_bind(struct raft_mem_storage *ms, struct raft_storage *st);
void raft_mem_storage_set_hard_state(struct raft_mem_storage *ms, const struct raft_hard_state *hs);
/* Appends entries (taking references), truncating any conflicting suffix;
 * entries before first_index are ignored.  RAFT_EINVAL on a gap. */
int raft_mem_storage_append(struct raft_mem_storage *ms, const struct raft_entry *ents, size_t n);
/* Replaces the contents with snap; RAFT_ESNAPOUTOFDATE if not newer. */
int raft_mem_storage_apply_snapshot(struct raft_mem_storage *ms, const struct raft_snapshot *snap);
/* Records a snapshot at applied index i (cs may be NULL to keep the old
 * one; data is referenced).  RAFT_ESNAPOUTOFDATE if not newer. */
int raft_mem_storage_create_snapshot(struct raft_mem_storage *ms, uint64_t i,
				     const struct raft_conf_state *cs, struct raft_blob *data);
/* Discards entries before i (i becomes the dummy).  RAFT_ECOMPACTED if
 * already compacted, RAFT_EINVAL past the last index. */
int raft_mem_storage_compact(struct raft_mem_storage *ms, uint64_t i);
/* Accessors used by tests. */
void raft_mem_storage_hard_state(const struct raft_mem_storage *ms, struct raft_hard_state *hs);
uint64_t raft_mem_storage_first_index(const struct raft_mem_storage *ms);
uint64_t raft_mem_storage_last_index(const struct raft_mem_storage *ms);

/* ---- node ------------------------------------------------------------ */

struct raft_config {
	uint64_t id;                 /* non-zero */
	int election_tick;           /* etcd default 10; must exceed heartbeat_tick */
	int heartbeat_tick;          /* etcd default 1 */
	struct raft_storage storage; /* must outlive the node */
	uint64_t applied;            /* last applied index, when restarting */
	uint64_t max_size_per_msg;   /* 0 = one entry per MsgApp */
	uint64_t max_committed_size_per_ready; /* 0 = max_size_per_msg */
	uint64_t max_uncommitted_entries_size; /* 0 = no limit */
	int max_inflight_msgs;       /* > 0 */
	bool check_quorum;
	bool pre_vote;
	enum raft_read_only_option read_only_option;
	bool disable_proposal_forwarding;
	uint64_t rand_seed;          /* seeds the election-timeout PRNG */
	/* Bootstrap only (etcd's newRaft peers/learners): initial members when
	 * the storage holds no configuration.  Borrowed. */
	const uint64_t *peers;
	size_t n_peers;
	const uint64_t *learners;
	size_t n_learners;
};

struct raft_soft_state {
	uint64_t lead;
	enum raft_state raft_state;
};

struct raft_read_state {
	uint64_t index;
	struct raft_blob *request_ctx; /* owned reference */
};

struct raft_ready {
	bool has_soft_state; /* soft_state changed since the last ready */
	struct raft_soft_state soft_state;
	/* Empty (all zero) when unchanged: then nothing to persist. */
	struct raft_hard_state hard_state;
	struct raft_read_state *read_states; /* owned array */
	size_t n_read_states;
	/* Entries to persist before messages that depend on them are sent
	 * (a leader may send its MsgApps in parallel with the write). */
	struct raft_entry *entries; /* owned array */
	size_t n_entries;
	/* Snapshot to persist; empty when metadata.index == 0. */
	struct raft_snapshot snapshot;
	/* Entries to apply, committed and persisted before. */
	struct raft_entry *committed_entries; /* owned array */
	size_t n_committed_entries;
	/* Outbound messages; a message with a MsgSnap carries the snapshot. */
	struct raft_message *msgs; /* owned array; see the header on moving out */
	size_t n_msgs;
	/* hard state or entries must reach the disk with fsync before advance. */
	bool must_sync;
};
void raft_ready_clear(struct raft_ready *rd);

struct raft_progress_status {
	uint64_t id;
	uint64_t match;
	uint64_t next;
	enum raft_progress_state state;
	uint64_t pending_snapshot;
	bool recent_active;
	bool probe_sent;
	bool is_learner;
	bool paused;
	int inflight;
};

struct raft_status {
	uint64_t id;
	struct raft_hard_state hard_state;
	struct raft_soft_state soft_state;
	uint64_t applied;
	uint64_t lead_transferee;
	/* Progress of each member: filled only on the leader. */
	struct raft_progress_status progress[RAFT_MAX_MEMBERS];
	size_t n_progress;
	struct raft_conf_state conf_state;
};

struct raft_node;

/* Fills cfg with etcd's defaults (election 10, heartbeat 1, 1 MiB messages,
 * 256 inflight, pre_vote and check_quorum off) and the given id/storage. */
void raft_config_init(struct raft_config *cfg, uint64_t id, const struct raft_storage *st);

/* Creates a node from cfg and its storage; RAFT_EINVAL on a bad config,
 * storage errors as RAFT_ESTORAGE. */
int raft_node_new(const struct raft_config *cfg, struct raft_node **out);
void raft_node_free(struct raft_node *n);

/* One logical clock tick (election or heartbeat timing). */
int raft_tick(struct raft_node *n);
/* Starts an election now (MsgHup). */
int raft_campaign(struct raft_node *n);
/* Proposes one entry with a copy of data; RAFT_EPROPOSALDROPPED when there
 * is no leader, a leader transfer is under way, or the uncommitted limit is
 * reached.  Proposals can still be lost silently later: callers retry. */
int raft_propose(struct raft_node *n, const void *data, size_t len);
/* Proposes several entries in one MsgProp (batching).  The node takes its
 * own reference on each blob; the caller keeps (and drops) its own.  A NULL
 * blob is an empty entry.  All accepted or all dropped. */
int raft_propose_batch(struct raft_node *n, struct raft_blob *const *data, size_t count);
/* Proposes a configuration change (EntryConfChange entry). */
int raft_propose_conf_change(struct raft_node *n, const struct raft_conf_change *cc);
/* Applies a committed conf change; fills *cs (may be NULL) with the new
 * configuration.  RAFT_ECONFCHANGE if refused (e.g. removes every voter):
 * the configuration is then unchanged. */
int raft_apply_conf_change(struct raft_node *n, const struct raft_conf_change *cc,
			   struct raft_conf_state *cs);
/* Feeds a message from a peer (not a local type).  m stays the caller's. */
int raft_step(struct raft_node *n, const struct raft_message *m);
/* Asks for a read index (dissertation 6.4); the answer arrives in a later
 * ready as a read state carrying a copy of ctx.  ctx must be non-empty (the
 * leader matches heartbeat acknowledgements by it, as etcd does) and unique
 * per pending request.  There is no answer if leadership changes first:
 * callers time out and retry, as etcd's server does. */
int raft_read_index(struct raft_node *n, const void *ctx, size_t len);
/* Starts moving leadership to transferee (leader only; forwarded otherwise). */
int raft_transfer_leader(struct raft_node *n, uint64_t transferee);
/* The transport could not reach id: its progress drops to probe. */
int raft_report_unreachable(struct raft_node *n, uint64_t id);
/* Outcome of sending a snapshot to id. */
int raft_report_snapshot(struct raft_node *n, uint64_t id, enum raft_snapshot_status status);

bool raft_has_ready(const struct raft_node *n);
/* Fills *rd (overwritten) with the pending batch; see the header comment
 * on ownership.  Call raft_advance(n, rd) once it has been handled and
 * before the next raft_ready (which would otherwise report the same
 * entries again, as etcd's RawNode does).  Stepping, ticking and proposing
 * in between are allowed. */
int raft_ready(struct raft_node *n, struct raft_ready *rd);
/* The batch was persisted and its committed entries applied: releases rd. */
int raft_advance(struct raft_node *n, struct raft_ready *rd);

void raft_status(const struct raft_node *n, struct raft_status *st);
/* Cheap accessors. */
uint64_t raft_node_id(const struct raft_node *n);
uint64_t raft_node_term(const struct raft_node *n);
uint64_t raft_node_lead(const struct raft_node *n);
enum raft_state raft_node_state(const struct raft_node *n);
uint64_t raft_node_committed(const struct raft_node *n);
/* 0 or the sticky error. */
int raft_node_error(const struct raft_node *n);

#ifdef __cplusplus
}
#endif

#endif /* CETCD_DAEMON_RAFT_RAFT_H */
