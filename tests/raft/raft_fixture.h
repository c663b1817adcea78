/*
 * raft_fixture.h - a deterministic in-memory cluster for the Raft tests:
 * nodes over raft_mem_storage, a toy state machine (a rolling hash of the
 * applied entries, so snapshots can be checked), and a FIFO network with
 * cuts, per-type drops and an interception hook.
 */
#ifndef CETCD_TESTS_RAFT_FIXTURE_H
#define CETCD_TESTS_RAFT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/raft/raft.h"

#define FX_MAX_NODES 8

struct fx_read {
	uint64_t index;
	struct raft_blob *ctx;
};

struct fx_node {
	uint64_t id;
	bool present;   /* slot in use */
	bool down;      /* crashed: messages to it are lost */
	struct raft_mem_storage *ms;
	struct raft_storage st;
	struct raft_node *r;
	struct raft_config cfg; /* template used for (re)starts */
	uint64_t boot_peers[FX_MAX_NODES];
	size_t n_boot_peers;
	uint64_t boot_learners[FX_MAX_NODES];
	size_t n_boot_learners;
	/* the state machine */
	uint64_t applied;
	uint64_t hash;
	struct raft_conf_state cs;
	struct raft_entries applied_log; /* when record_applied */
	bool record_applied;
	struct fx_read reads[64];
	size_t n_reads;
	uint64_t snapshots_applied;
};

struct fx_msgq {
	struct raft_message *v;
	size_t head;
	size_t n;
	size_t cap;
};

/* Callbacks the simulator uses to check invariants as things happen. */
struct fx_observer {
	void *arg;
	/* rd about to be persisted by nd (entries, snapshot, hard state). */
	void (*on_ready)(void *arg, struct fx_node *nd, const struct raft_ready *rd);
	/* nd just applied e (its state hash already includes e). */
	void (*on_apply)(void *arg, struct fx_node *nd, const struct raft_entry *e);
	/* nd installed a snapshot (its hash and applied index now from it). */
	void (*on_snapshot)(void *arg, struct fx_node *nd, const struct raft_snapshot *s);
};

/* Returns true to drop m. */
typedef bool (*fx_hook_fn)(void *arg, const struct raft_message *m);

struct fx_net {
	struct fx_node nodes[FX_MAX_NODES + 1]; /* by id, 1..FX_MAX_NODES */
	struct fx_msgq q;
	bool cut[FX_MAX_NODES + 1][FX_MAX_NODES + 1];
	bool ignore[RAFT_MSG_TYPE_COUNT];
	fx_hook_fn hook;
	void *hook_arg;
	struct fx_observer obs;
	uint64_t delivered;
};

/* Options applied to every node's config. */
struct fx_opts {
	bool pre_vote;
	bool check_quorum;
	int election_tick;  /* 0 = 10 */
	int heartbeat_tick; /* 0 = 1 */
	uint64_t max_size_per_msg;   /* 0 = RAFT_NO_LIMIT */
	int max_inflight;            /* 0 = 256 */
	uint64_t max_uncommitted;
	enum raft_read_only_option read_only;
	uint64_t seed;
	bool record_applied;
};

/* n voters with ids 1..n (plus learners ids n+1..n+n_learners). */
void fx_net_init(struct fx_net *net, int n, int n_learners, const struct fx_opts *o);
void fx_net_free(struct fx_net *net);
struct fx_node *fx_node(struct fx_net *net, uint64_t id);
/* Adds an empty node (for conf changes) that learns the config from the log. */
void fx_node_add_empty(struct fx_net *net, uint64_t id, const struct fx_opts *o);

/* Processes the ready of node id: persist, apply, queue its messages. */
void fx_node_process_ready(struct fx_net *net, uint64_t id);
/* Pulls the ready of node id but returns its messages (moved) in *msgs
 * instead of queueing them (for table tests). */
size_t fx_node_take_msgs(struct fx_net *net, uint64_t id, struct raft_message **msgs);
/* Crash (down) and restart from storage. */
void fx_node_crash(struct fx_net *net, uint64_t id);
void fx_node_restart(struct fx_net *net, uint64_t id);
/* Snapshot at the applied index and compact the log up to it. */
void fx_node_compact(struct fx_net *net, uint64_t id, uint64_t keep);

/* Steps m into its recipient (if reachable), processes readies, and
 * delivers everything that follows until the network is quiet. */
void fx_net_send(struct fx_net *net, const struct raft_message *m);
void fx_net_stabilize(struct fx_net *net);
/* Helpers around stabilize. */
void fx_net_campaign(struct fx_net *net, uint64_t id);
int fx_net_propose(struct fx_net *net, uint64_t id, const char *data);
void fx_net_tick(struct fx_net *net, uint64_t id, int ticks);
void fx_net_cut(struct fx_net *net, uint64_t a, uint64_t b);
void fx_net_isolate(struct fx_net *net, uint64_t id);
void fx_net_recover(struct fx_net *net);

/* Called (if set) before a fixture assertion aborts: the simulator prints
 * its seed there. */
extern void (*fx_on_abort)(void);

uint64_t fx_hash_entry(uint64_t h, const struct raft_entry *e);

#endif
