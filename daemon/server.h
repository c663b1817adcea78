/*
 * server.h - cetcd's etcd server: one Raft node over cetcd-storaged.
 *
 * Proposals become Raft entries (etcdserverpb.InternalRaftRequest); once
 * persisted by storaged they are applied there, and the result of each
 * entry reaches the proposer's callback.  Linearizable reads wait on a
 * ReadIndex barrier.  Everything runs on the caller's event loop.
 */
#ifndef CETCD_DAEMON_SERVER_H
#define CETCD_DAEMON_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/errors.h"
#include "proto/raft_internal.pb-c.h"
#include "proto/storage.pb-c.h"

struct event_base;
struct storage_client;
struct server;

struct server_config {
	const char *name;
	const char *initial_cluster_token;
	/* Sorted peer URLs of this member, comma-separated, as etcd hashes them
	 * into the member ID; and the client URLs it advertises. */
	const char *peer_urls;
	const char *client_urls;
	unsigned heartbeat_ms;
	unsigned election_ms;
	const char *storaged_socket;
	/* --max-request-bytes: a larger serialized request fails with etcd's
	 * "request is too large" (v3_server.go); 0 = etcd's 1.5 MiB. */
	size_t max_request_bytes;
};

/* The server starts when storaged is reachable: it reads the initial
 * state, bootstraps a new member if the WAL is fresh, then runs Raft. */
struct server *server_new(struct event_base *base, const struct server_config *cfg);
void server_free(struct server *s);

/* The result of a proposal: err is CETCD_OK and res the entry's result
 * (owned by the server; valid during the callback: take what you keep), or
 * err says why the proposal failed (res NULL). */
typedef void server_done_fn(void *arg, enum cetcd_err err, Cetcd__Storage__EntryResult *res);

/* Proposes req (its header ID is set here).  cb runs exactly once, never
 * from inside this call.  Requests time out as etcd's do. */
void server_propose(struct server *s, Etcdserverpb__InternalRaftRequest *req,
    server_done_fn *cb, void *arg);

/* Runs cb once a linearizable read may be served: the member has applied
 * everything committed before this call (Raft ReadIndex).  cb may run with
 * an error (no leader, timeout). */
typedef void server_read_fn(void *arg, enum cetcd_err err);
void server_read_barrier(struct server *s, server_read_fn *cb, void *arg);

/* Sends a storage request on the read connection (reads never queue behind
 * the write path's requests on cetcd's side). */
struct storage_client *server_reader(struct server *s);

/* Fills cluster_id, member_id, raft_term, and revision when it is 0. */
void server_fill_header(struct server *s, Etcdserverpb__ResponseHeader *h);

struct server_status {
	bool ready;		/* storaged reachable and the state loaded */
	uint64_t member_id, cluster_id, leader, term;
	uint64_t commit_index, applied_index;
	int64_t revision;
	uint64_t leader_changes, proposals_committed, proposals_applied,
		 proposals_pending, proposals_failed;
};
void server_status(const struct server *s, struct server_status *st);

/* Durations of the write path, for metrics (daemon/metrics.c): a PERSIST
 * round trip to storaged (its WAL write and fdatasync, as cetcd sees it)
 * and an APPLY round trip (its SQLite transaction).  Copied; NULL members
 * are not called.  Calls run on the loop right after the answer. */
struct server_observer {
	void (*persist)(void *arg, double seconds);
	void (*apply)(void *arg, double seconds);
	void *arg;
};
void server_set_observer(struct server *s, const struct server_observer *o);

#endif
