/*
 * metrics.h - cetcd's Prometheus metrics: GET /metrics in the text
 * exposition format 0.0.4, with etcd 3.4's metric names, types, help texts
 * and labels, on the client listeners and on --listen-metrics-urls.
 *
 * The registry is process-wide and of fixed size: two histograms, a few
 * gauges read from the server at scrape time, and gRPC counters for a fixed
 * table of methods by status code (go-grpc-prometheus's series, which etcd
 * pre-registers for every method of its gRPC server).  Nothing here grows
 * with traffic.  All functions run on the event loop thread.
 */
#ifndef CETCD_DAEMON_METRICS_H
#define CETCD_DAEMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/server.h"

struct buf;
struct event_base;
struct net_config;
struct net_server;

/* ---------------------------------------------------------------- histograms */

#define METRICS_MAX_BUCKETS 16

/* A Prometheus histogram: a value v lands in the first bucket whose upper
 * bound is >= v (client_golang's sort.SearchFloat64s), or in +Inf. */
struct metrics_histogram {
	size_t n;				/* finite upper bounds */
	double bounds[METRICS_MAX_BUCKETS];
	uint64_t counts[METRICS_MAX_BUCKETS + 1];	/* per bucket; [n] is +Inf */
	uint64_t count;
	double sum;
};

/* prometheus.ExponentialBuckets(start, factor, n); n is capped at
 * METRICS_MAX_BUCKETS. */
void metrics_histogram_init_exponential(struct metrics_histogram *h, double start,
    double factor, size_t n);
void metrics_histogram_observe(struct metrics_histogram *h, double v);

/* ---------------------------------------------------------------- rendering */

/* v as Go's strconv.FormatFloat(v, 'g', -1, 64), which client_golang uses
 * for every sample value ("20480", "2.147483648e+09", "+Inf").  Returns the
 * length written (out is always NUL-terminated; 32 bytes are enough). */
size_t metrics_format_float(char *out, size_t len, double v);

/* What a scrape reads from outside the registry. */
struct metrics_values {
	struct server_status st;
	bool have_db;			/* storaged answered a Status */
	int64_t db_size, db_size_in_use;
	int64_t quota_backend_bytes;	/* as configured; 0: etcd's default */
};

/* Appends the whole exposition (families sorted by name, as client_golang
 * writes them).  Returns 0 or a negative errno from buf (-ENOBUFS). */
int metrics_render(struct buf *b, const struct metrics_values *v);

/* ---------------------------------------------------------------- hooks */

/* The index of a gRPC method ("/etcdserverpb.KV/Range") in the fixed
 * table, or -1 if it is not one of etcd's: such calls are not counted. */
int metrics_grpc_method(const char *path);
/* A call started (and, for unary and server-streaming methods, its one
 * request message was received). */
void metrics_grpc_started(int method);
/* A call ended with a gRPC status code (0..16); a unary call that ends OK
 * has sent its one response message. */
void metrics_grpc_handled(int method, int code);
/* Stream messages, for streaming methods. */
void metrics_grpc_msg_received(int method);
void metrics_grpc_msg_sent(int method);

/* Write-path durations, in seconds. */
void metrics_observe_wal_fsync(double seconds);
void metrics_observe_backend_commit(double seconds);

/* Clears every counter and histogram (tests). */
void metrics_reset(void);

/* ---------------------------------------------------------------- serving */

/* Feeds the server's write-path durations into the histograms. */
void metrics_attach(struct server *srv);
void metrics_set_quota(int64_t quota_backend_bytes);

/* Registers GET /metrics on ns.  Returns 0 or -1. */
int metrics_register(struct net_server *ns, struct server *srv);
/* Registers GET /health on ns, as etcd answers it on the metrics listener
 * (which serves only /metrics and /health).  Returns 0 or -1. */
int metrics_register_health(struct net_server *ns, struct server *srv);

/* The --listen-metrics-urls server: a net server of its own on urls with
 * only /metrics and /health.  NULL on failure, with the reason in err. */
struct net_server *metrics_listen(struct event_base *base, const struct net_config *nc,
    const char *urls, struct server *srv, char *err, size_t errlen);

#endif
