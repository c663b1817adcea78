/*
 * net: cetcd's client-facing network layer.
 *
 * One struct net_server owns the listeners of --listen-client-urls and
 * every connection accepted on them.  Each connection is routed cmux-style
 * by peeking (MSG_PEEK, nothing consumed) at its first bytes:
 *
 *   "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  -> HTTP/2 (nghttp2), gRPC + HTTP handlers
 *   0x16 (TLS ClientHello)              -> reserved for TLS: logged and closed
 *   anything else                       -> HTTP/1.1 (our own bounded parser)
 *
 * On HTTP/2, requests with content-type application/grpc* go to the gRPC
 * method registry (daemon/net/grpc.h); every other request, on HTTP/1.1 or
 * HTTP/2, goes to the HTTP path registry (daemon/net/http.h).
 *
 * Threading: everything runs on the event_base given to net_server_new;
 * no function here may be called from another thread.  Handlers may answer
 * later, from any event on the same base.
 *
 * Ownership: the server owns its listeners, connections, streams, calls and
 * requests; callers own what they pass in (strings are copied).
 */
#ifndef CETCD_DAEMON_NET_NET_H
#define CETCD_DAEMON_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct net_server;

/* etcd 3.4 embed.DefaultMaxRequestBytes (1.5 MiB). */
#define NET_DEFAULT_MAX_REQUEST_BYTES 1572864u
/* etcd v3rpc grpcOverheadBytes: the gRPC receive limit is
 * --max-request-bytes plus this (etcdserver/api/v3rpc/grpc.go). */
#define NET_GRPC_OVERHEAD_BYTES (512u * 1024u)
/* etcd's --max-concurrent-streams default is "unlimited" (math.MaxUint32);
 * we still bound it, so a connection's memory stays bounded, with a cap
 * far above what clients open in practice. */
#define NET_DEFAULT_MAX_STREAMS 4096u

struct net_config {
	/* --max-request-bytes: the gRPC receive limit is this plus
	 * NET_GRPC_OVERHEAD_BYTES, as in etcd. */
	size_t max_request_bytes;
	/* Largest HTTP request body (HTTP/1.1 and HTTP/2 non-gRPC); 0 means
	 * max_request_bytes * 4 / 3 + NET_GRPC_OVERHEAD_BYTES, room for the
	 * gateway's base64 of a request of the largest size. */
	size_t max_http_body;
	/* --max-concurrent-streams, advertised in SETTINGS; 0 means
	 * NET_DEFAULT_MAX_STREAMS. */
	uint32_t max_concurrent_streams;
	/* Connections open at once over all listeners; at the cap the
	 * listeners stop accepting (clients wait in the backlog).  0: 100000. */
	unsigned max_conns;
	/* A new connection must send enough bytes to be routed within this
	 * time, or it is closed.  0: 10000 ms. */
	unsigned sniff_timeout_ms;
	/* Bytes of partly received request data (gRPC messages not yet
	 * complete, HTTP/2 request bodies) one HTTP/2 connection may hold.
	 * A stream that would exceed it fails with RESOURCE_EXHAUSTED.
	 * 0: 64 MiB. */
	size_t h2_recv_budget;
	/* listen(2) backlog; 0: 1024. */
	int backlog;
};

/* Fills cfg with the defaults above (all "0 means" values resolved). */
void net_config_default(struct net_config *cfg);

/* Creates a server on base with a copy of cfg (NULL: defaults).  Listens on
 * nothing yet.  Returns NULL on allocation failure. */
struct net_server *net_server_new(struct event_base *base, const struct net_config *cfg);

/*
 * Starts listening on each URL of a comma-separated list as given to
 * --listen-client-urls: "http://host:port" (host an IPv4/IPv6 literal, a
 * name resolved once, or empty for all addresses; port 0 picks a free one)
 * and "unix://path" (or "unixs://"; a stale socket file is replaced).
 * "https://" is recognised but refused with -ENOTSUP until TLS lands.
 * Returns 0 or a negative errno; on error nothing of this call stays open
 * and errbuf (if given) says which URL failed and why.
 */
int net_server_listen(struct net_server *s, const char *urls, char *errbuf, size_t errlen);

/* The bound address of the i-th listener, e.g. "http://127.0.0.1:43121"
 * (the real port when 0 was asked for).  NULL past the last listener.
 * The string lives as long as the server. */
const char *net_server_listener_url(const struct net_server *s, size_t i);

/* Stops accepting new connections (existing ones go on).  For a graceful
 * SIGTERM: stop accepting, let calls finish, then net_server_free. */
void net_server_stop_accepting(struct net_server *s);

/* Open connections and in-flight gRPC calls / HTTP requests (for tests,
 * metrics and graceful shutdown). */
size_t net_server_conn_count(const struct net_server *s);
size_t net_server_active_count(const struct net_server *s);

/* The effective configuration (defaults resolved). */
const struct net_config *net_server_config(const struct net_server *s);

/* Closes all listeners and connections.  Every gRPC call and HTTP request
 * still open gets its cancel callback first (so handlers drop their
 * pointers), then all memory is released.  NULL is a no-op. */
void net_server_free(struct net_server *s);

#endif
