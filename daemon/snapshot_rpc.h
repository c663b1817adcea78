/*
 * snapshot_rpc.h - Maintenance.Snapshot: the db, streamed from storaged to
 * a gRPC client (a server stream) or to the JSON gateway
 * (/v3/maintenance/snapshot, one {"result": ...} object per message).
 */
#ifndef CETCD_DAEMON_SNAPSHOT_RPC_H
#define CETCD_DAEMON_SNAPSHOT_RPC_H

struct net_server;
struct server;

/* Registers the gRPC method and, when gateway_path is not NULL, the gateway
 * route (and its /v3beta/ alias) on ns, against srv.  At most
 * SNAPSHOT_RPC_MAX_SERVERS registrations (they are never freed).  Returns 0
 * or -1. */
#define SNAPSHOT_RPC_MAX_SERVERS 4
int snapshot_rpc_register(struct net_server *ns, struct server *srv, const char *grpc_path,
    const char *gateway_path);

#endif
