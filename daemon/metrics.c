/*
 * metrics.c - the Prometheus registry of cetcd and its GET /metrics
 * handler (etcd 3.4: etcdserver/metrics.go, wal/metrics.go,
 * mvcc/backend/metrics.go, mvcc/metrics.go and go-grpc-prometheus).
 *
 * Runs in cetcd on the event loop.  Owns one static registry of fixed
 * size (histograms and per-method gRPC counters); gauges are not stored
 * but read from the server and storaged when a scrape comes.  Never blocks:
 * the database sizes come from an asynchronous Status on the read
 * connection, and the last answer stands in while storaged is down.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/buf.h"
#include "daemon/endpoints.h"
#include "daemon/metrics.h"
#include "daemon/net/grpc.h"
#include "daemon/net/http.h"
#include "daemon/net/net.h"
#include "daemon/storage_client.h"

/* A whole exposition is ~110 KB (etcd's 41 methods x 17 codes); this cap
 * leaves room and bounds a scrape's memory. */
#define METRICS_MAX_TEXT ((size_t)1 << 20)

#define N_CODES 17

/* etcd's gRPC methods, sorted by (method, service) as client_golang sorts
 * the series of a family by label value.  "lazy" ones (v3lock, v3election)
 * are registered after grpc_prometheus.Register in etcd's embed/serve.go,
 * so their series only appear once used. */
enum grpc_kind_label { K_UNARY, K_SERVER_STREAM, K_CLIENT_STREAM, K_BIDI };
static const char *const kind_names[] = { "unary", "server_stream", "client_stream", "bidi_stream" };

struct grpc_method_def {
	const char *service, *method;
	enum grpc_kind_label kind;
	bool lazy;
};

static const struct grpc_method_def methods[] = {
	{ "etcdserverpb.Maintenance", "Alarm", K_UNARY, false },
	{ "etcdserverpb.Auth", "AuthDisable", K_UNARY, false },
	{ "etcdserverpb.Auth", "AuthEnable", K_UNARY, false },
	{ "etcdserverpb.Auth", "Authenticate", K_UNARY, false },
	{ "v3electionpb.Election", "Campaign", K_UNARY, true },
	{ "grpc.health.v1.Health", "Check", K_UNARY, false },
	{ "etcdserverpb.KV", "Compact", K_UNARY, false },
	{ "etcdserverpb.Maintenance", "Defragment", K_UNARY, false },
	{ "etcdserverpb.KV", "DeleteRange", K_UNARY, false },
	{ "etcdserverpb.Maintenance", "Hash", K_UNARY, false },
	{ "etcdserverpb.Maintenance", "HashKV", K_UNARY, false },
	{ "v3electionpb.Election", "Leader", K_UNARY, true },
	{ "etcdserverpb.Lease", "LeaseGrant", K_UNARY, false },
	{ "etcdserverpb.Lease", "LeaseKeepAlive", K_BIDI, false },
	{ "etcdserverpb.Lease", "LeaseLeases", K_UNARY, false },
	{ "etcdserverpb.Lease", "LeaseRevoke", K_UNARY, false },
	{ "etcdserverpb.Lease", "LeaseTimeToLive", K_UNARY, false },
	{ "v3lockpb.Lock", "Lock", K_UNARY, true },
	{ "etcdserverpb.Cluster", "MemberAdd", K_UNARY, false },
	{ "etcdserverpb.Cluster", "MemberList", K_UNARY, false },
	{ "etcdserverpb.Cluster", "MemberPromote", K_UNARY, false },
	{ "etcdserverpb.Cluster", "MemberRemove", K_UNARY, false },
	{ "etcdserverpb.Cluster", "MemberUpdate", K_UNARY, false },
	{ "etcdserverpb.Maintenance", "MoveLeader", K_UNARY, false },
	{ "v3electionpb.Election", "Observe", K_SERVER_STREAM, true },
	{ "v3electionpb.Election", "Proclaim", K_UNARY, true },
	{ "etcdserverpb.KV", "Put", K_UNARY, false },
	{ "etcdserverpb.KV", "Range", K_UNARY, false },
	{ "v3electionpb.Election", "Resign", K_UNARY, true },
	{ "etcdserverpb.Auth", "RoleAdd", K_UNARY, false },
	{ "etcdserverpb.Auth", "RoleDelete", K_UNARY, false },
	{ "etcdserverpb.Auth", "RoleGet", K_UNARY, false },
	{ "etcdserverpb.Auth", "RoleGrantPermission", K_UNARY, false },
	{ "etcdserverpb.Auth", "RoleList", K_UNARY, false },
	{ "etcdserverpb.Auth", "RoleRevokePermission", K_UNARY, false },
	{ "etcdserverpb.Maintenance", "Snapshot", K_SERVER_STREAM, false },
	{ "etcdserverpb.Maintenance", "Status", K_UNARY, false },
	{ "etcdserverpb.KV", "Txn", K_UNARY, false },
	{ "v3lockpb.Lock", "Unlock", K_UNARY, true },
	{ "etcdserverpb.Auth", "UserAdd", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserChangePassword", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserDelete", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserGet", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserGrantRole", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserList", K_UNARY, false },
	{ "etcdserverpb.Auth", "UserRevokeRole", K_UNARY, false },
	{ "etcdserverpb.Watch", "Watch", K_BIDI, false },
	{ "grpc.health.v1.Health", "Watch", K_SERVER_STREAM, false },
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

/* gRPC codes in the order of their names ("Aborted" < "AlreadyExists" <
 * ... < "Unknown"), the order of grpc_code label values. */
static const int codes_by_name[N_CODES] = { 10, 6, 1, 15, 4, 9, 13, 3, 5, 0, 11, 7, 8, 16, 14, 12, 2 };

/* wal/metrics.go and mvcc/backend/metrics.go: 1 ms .. 8.192 s. */
#define DISK_BUCKET_START 0.001
#define DISK_BUCKET_FACTOR 2.0
#define DISK_BUCKET_COUNT 14

static struct metrics_registry {
	bool init;
	struct metrics_histogram wal_fsync, backend_commit;
	uint64_t started[N_METHODS];
	uint64_t handled[N_METHODS][N_CODES];
	uint64_t msg_received[N_METHODS], msg_sent[N_METHODS];
	/* The last database sizes storaged gave, for scrapes while it is down. */
	bool have_db;
	int64_t db_size, db_size_in_use;
	int64_t quota;
} reg;

static void registry_init(void)
{
	if (reg.init)
		return;
	metrics_histogram_init_exponential(&reg.wal_fsync, DISK_BUCKET_START, DISK_BUCKET_FACTOR,
	    DISK_BUCKET_COUNT);
	metrics_histogram_init_exponential(&reg.backend_commit, DISK_BUCKET_START,
	    DISK_BUCKET_FACTOR, DISK_BUCKET_COUNT);
	reg.init = true;
}

void metrics_reset(void)
{
	int64_t quota = reg.quota;

	memset(&reg, 0, sizeof(reg));
	reg.quota = quota;
	registry_init();
}

/* ---------------------------------------------------------------- histograms */

void metrics_histogram_init_exponential(struct metrics_histogram *h, double start,
    double factor, size_t n)
{
	memset(h, 0, sizeof(*h));
	if (n > METRICS_MAX_BUCKETS)
		n = METRICS_MAX_BUCKETS;
	h->n = n;
	for (size_t i = 0; i < n; i++) {
		h->bounds[i] = start;
		start *= factor;
	}
}

void metrics_histogram_observe(struct metrics_histogram *h, double v)
{
	size_t i = 0;

	/* Upper bounds are inclusive: v == bound counts in that bucket. */
	while (i < h->n && !(v <= h->bounds[i]))
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

void metrics_observe_wal_fsync(double seconds)
{
	registry_init();
	metrics_histogram_observe(&reg.wal_fsync, seconds);
}

void metrics_observe_backend_commit(double seconds)
{
	registry_init();
	metrics_histogram_observe(&reg.backend_commit, seconds);
}

/* ---------------------------------------------------------------- gRPC */

int metrics_grpc_method(const char *path)
{
	const char *slash;
	size_t slen;

	if (!path || path[0] != '/' || !(slash = strchr(path + 1, '/')))
		return -1;
	slen = (size_t)(slash - path - 1);
	for (size_t i = 0; i < N_METHODS; i++)
		if (strlen(methods[i].service) == slen &&
		    memcmp(methods[i].service, path + 1, slen) == 0 &&
		    strcmp(methods[i].method, slash + 1) == 0)
			return (int)i;
	return -1;
}

static bool method_ok(int m)
{
	return m >= 0 && (size_t)m < N_METHODS;
}

void metrics_grpc_started(int m)
{
	if (!method_ok(m))
		return;
	reg.started[m]++;
	/* go-grpc-prometheus counts the request of a unary or server-stream
	 * call as a received message once the handler gets it. */
	if (methods[m].kind == K_UNARY || methods[m].kind == K_SERVER_STREAM)
		reg.msg_received[m]++;
}

void metrics_grpc_handled(int m, int code)
{
	if (!method_ok(m) || code < 0 || code >= N_CODES)
		return;
	reg.handled[m][code]++;
	if (methods[m].kind == K_UNARY && code == 0)
		reg.msg_sent[m]++;
}

void metrics_grpc_msg_received(int m)
{
	if (method_ok(m))
		reg.msg_received[m]++;
}

void metrics_grpc_msg_sent(int m)
{
	if (method_ok(m))
		reg.msg_sent[m]++;
}

/* ---------------------------------------------------------------- text */

size_t metrics_format_float(char *out, size_t len, double v)
{
	char e[40], digits[24];
	int nd = 0, dp, n;
	const char *p;
	char *o = out;
	size_t left = len;

	if (len == 0)
		return 0;
	if (isnan(v))
		return (size_t)snprintf(out, len, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)snprintf(out, len, signbit(v) ? "-0" : "0");
	/* The shortest decimal that reads back as v: Go's shortest digits. */
	for (int prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (strtod(e, NULL) == v)
			break;
	}
	p = e;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	dp = atoi(p + 1) + 1;	/* v = 0.d1d2... x 10^dp */

#define PUT(...) do { n = snprintf(o, left, __VA_ARGS__); \
	if (n < 0 || (size_t)n >= left) { out[len - 1] = '\0'; return len - 1; } \
	o += n; left -= (size_t)n; } while (0)
	if (v < 0)
		PUT("-");
	/* Go's 'g' with shortest digits picks %e when the decimal exponent is
	 * below -4 or at least 6 (its eprec for the shortest form). */
	if (dp - 1 < -4 || dp - 1 >= 6) {
		int x = dp - 1;
		PUT("%c", digits[0]);
		if (nd > 1)
			PUT(".%s", digits + 1);
		PUT("e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (dp <= 0) {
		PUT("0.");
		for (int i = 0; i < -dp; i++)
			PUT("0");
		PUT("%s", digits);
	} else {
		for (int i = 0; i < dp; i++)
			PUT("%c", i < nd ? digits[i] : '0');
		if (nd > dp)
			PUT(".%s", digits + dp);
	}
#undef PUT
	return (size_t)(o - out);
}

static int family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} value; labels is the text between the braces, or NULL. */
static int sample(struct buf *b, const char *name, const char *labels, double v)
{
	char num[40];

	metrics_format_float(num, sizeof(num), v);
	if (labels)
		return buf_appendf(b, "%s{%s} %s\n", name, labels, num);
	return buf_appendf(b, "%s %s\n", name, num);
}

static int gauge(struct buf *b, const char *name, const char *type, const char *help, double v)
{
	return family(b, name, type, help) ? -1 : sample(b, name, NULL, v);
}

static int histogram(struct buf *b, const char *name, const char *help,
    const struct metrics_histogram *h)
{
	char bucket[128], le[64], num[40];
	uint64_t cum = 0;

	if (family(b, name, "histogram", help))
		return -1;
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	for (size_t i = 0; i <= h->n; i++) {
		cum += h->counts[i];
		if (i < h->n)
			metrics_format_float(num, sizeof(num), h->bounds[i]);
		else
			snprintf(num, sizeof(num), "+Inf");
		snprintf(le, sizeof(le), "le=\"%s\"", num);
		if (sample(b, bucket, le, (double)cum))
			return -1;
	}
	metrics_format_float(num, sizeof(num), h->sum);
	if (buf_appendf(b, "%s_sum %s\n", name, num))
		return -1;
	return buf_appendf(b, "%s_count %llu\n", name, (unsigned long long)h->count);
}

/* One family of per-method gRPC counters: by code when codes is true. */
static int grpc_family(struct buf *b, const char *name, const char *help, const uint64_t *per_method,
    bool by_code)
{
	char labels[256];

	if (family(b, name, "counter", help))
		return -1;
	for (int c = 0; c < (by_code ? N_CODES : 1); c++) {
		int code = codes_by_name[c];
		for (size_t m = 0; m < N_METHODS; m++) {
			uint64_t v = by_code ? reg.handled[m][code] : per_method[m];
			if (methods[m].lazy && v == 0)
				continue;
			int n = by_code ?
			    snprintf(labels, sizeof(labels),
				"grpc_code=\"%s\",grpc_method=\"%s\",grpc_service=\"%s\",grpc_type=\"%s\"",
				grpc_status_name(code), methods[m].method, methods[m].service,
				kind_names[methods[m].kind]) :
			    snprintf(labels, sizeof(labels),
				"grpc_method=\"%s\",grpc_service=\"%s\",grpc_type=\"%s\"",
				methods[m].method, methods[m].service, kind_names[methods[m].kind]);
			if (n < 0 || (size_t)n >= sizeof(labels) || sample(b, name, labels, (double)v))
				return -1;
		}
	}
	return 0;
}

/* The process collector of client_golang, from /proc (Linux). */
struct proc_stats {
	bool ok;
	double cpu_seconds, start_time, vsize, rss;
	double open_fds, max_fds, max_vsize;
};

static void proc_read(struct proc_stats *ps)
{
	char buf[1024];
	FILE *f;
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime, stime, start, vsize, rss, btime = 0;
	struct rlimit rl;
	DIR *d;

	memset(ps, 0, sizeof(*ps));
	if (!(f = fopen("/proc/self/stat", "r")))
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: fields restart after its ')'. */
	const char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	    "%*d %*d %*d %*d %*d %*d %llu %llu %llu", &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	if ((f = fopen("/proc/stat", "r"))) {
		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	if (ticks <= 0)
		ticks = 100;
	ps->cpu_seconds = (double)(utime + stime) / (double)ticks;
	ps->start_time = (double)btime + (double)start / (double)ticks;
	ps->vsize = (double)vsize;
	ps->rss = (double)rss * (double)page;
	if ((d = opendir("/proc/self/fd"))) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				ps->open_fds++;
		closedir(d);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur;
	if (getrlimit(RLIMIT_AS, &rl) == 0)
		ps->max_vsize = rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur;
	ps->ok = true;
}

int metrics_render(struct buf *b, const struct metrics_values *v)
{
	const struct server_status *st = &v->st;
	char cv[32], labels[64];
	struct proc_stats ps;
	bool leader = st->ready && st->leader != 0;
	/* etcd's applied/committed "totals" are gauges set to the Raft
	 * indexes (etcdserver/server.go), not counts of this process. */
	uint64_t committed = st->commit_index > st->applied_index ? st->commit_index : st->applied_index;
	/* etcd reports its default quota (2 GiB) when the flag is 0. */
	double quota = v->quota_backend_bytes > 0 ? (double)v->quota_backend_bytes : 2147483648.0;

	registry_init();
	/* etcd_cluster_version's label is major.minor. */
	snprintf(cv, sizeof(cv), "%s", CETCD_CLUSTER_VERSION);
	char *dot = strchr(cv, '.');
	if (dot && (dot = strchr(dot + 1, '.')))
		*dot = '\0';

	snprintf(labels, sizeof(labels), "cluster_version=\"%s\"", cv);
	if (family(b, "etcd_cluster_version", "gauge",
	    "Which version is running. 1 for 'cluster_version' label with current cluster version") ||
	    sample(b, "etcd_cluster_version", labels, 1))
		return -ENOBUFS;
	if (gauge(b, "etcd_debugging_mvcc_current_revision", "gauge",
	    "The current revision of store.", (double)st->revision) ||
	    histogram(b, "etcd_disk_backend_commit_duration_seconds",
	    "The latency distributions of commit called by backend.", &reg.backend_commit) ||
	    histogram(b, "etcd_disk_wal_fsync_duration_seconds",
	    "The latency distributions of fsync called by WAL.", &reg.wal_fsync))
		return -ENOBUFS;
	if (v->have_db &&
	    (gauge(b, "etcd_mvcc_db_total_size_in_bytes", "gauge",
	    "Total size of the underlying database physically allocated in bytes.",
	    (double)v->db_size) ||
	    gauge(b, "etcd_mvcc_db_total_size_in_use_in_bytes", "gauge",
	    "Total size of the underlying database logically in use in bytes.",
	    (double)v->db_size_in_use)))
		return -ENOBUFS;
	if (gauge(b, "etcd_server_has_leader", "gauge",
	    "Whether or not a leader exists. 1 is existence, 0 is not.", leader ? 1 : 0))
		return -ENOBUFS;
	snprintf(labels, sizeof(labels), "server_id=\"%llx\"", (unsigned long long)st->member_id);
	if (family(b, "etcd_server_id", "gauge",
	    "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.") ||
	    sample(b, "etcd_server_id", labels, 1) ||
	    gauge(b, "etcd_server_is_leader", "gauge",
	    "Whether or not this member is a leader. 1 if is, 0 otherwise.",
	    leader && st->leader == st->member_id ? 1 : 0) ||
	    gauge(b, "etcd_server_is_learner", "gauge",
	    "Whether or not this member is a learner. 1 if is, 0 otherwise.", 0) ||
	    gauge(b, "etcd_server_leader_changes_seen_total", "counter",
	    "The number of leader changes seen.", (double)st->leader_changes) ||
	    gauge(b, "etcd_server_proposals_applied_total", "gauge",
	    "The total number of consensus proposals applied.", (double)st->applied_index) ||
	    gauge(b, "etcd_server_proposals_committed_total", "gauge",
	    "The total number of consensus proposals committed.", (double)committed) ||
	    gauge(b, "etcd_server_proposals_failed_total", "counter",
	    "The total number of failed proposals seen.", (double)st->proposals_failed) ||
	    gauge(b, "etcd_server_proposals_pending", "gauge",
	    "The current number of pending proposals to commit.", (double)st->proposals_pending) ||
	    gauge(b, "etcd_server_quota_backend_bytes", "gauge",
	    "Current backend storage quota size in bytes.", quota))
		return -ENOBUFS;
	if (family(b, "etcd_server_version", "gauge",
	    "Which version is running. 1 for 'server_version' label with current version.") ||
	    sample(b, "etcd_server_version", "server_version=\"" CETCD_ETCD_API_VERSION "\"", 1))
		return -ENOBUFS;
	if (grpc_family(b, "grpc_server_handled_total",
	    "Total number of RPCs completed on the server, regardless of success or failure.",
	    NULL, true) ||
	    grpc_family(b, "grpc_server_msg_received_total",
	    "Total number of RPC stream messages received on the server.", reg.msg_received, false) ||
	    grpc_family(b, "grpc_server_msg_sent_total",
	    "Total number of gRPC stream messages sent by the server.", reg.msg_sent, false) ||
	    grpc_family(b, "grpc_server_started_total",
	    "Total number of RPCs started on the server.", reg.started, false))
		return -ENOBUFS;
	proc_read(&ps);
	if (ps.ok &&
	    (gauge(b, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.", ps.cpu_seconds) ||
	    gauge(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.", ps.max_fds) ||
	    gauge(b, "process_open_fds", "gauge", "Number of open file descriptors.", ps.open_fds) ||
	    gauge(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", ps.rss) ||
	    gauge(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.", ps.start_time) ||
	    gauge(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", ps.vsize) ||
	    gauge(b, "process_virtual_memory_max_bytes", "gauge",
	    "Maximum amount of virtual memory available in bytes.", ps.max_vsize)))
		return -ENOBUFS;
	return 0;
}

/* ---------------------------------------------------------------- serving */

static void on_persist_time(void *arg, double seconds)
{
	metrics_observe_wal_fsync(seconds);
}

static void on_apply_time(void *arg, double seconds)
{
	metrics_observe_backend_commit(seconds);
}

void metrics_attach(struct server *srv)
{
	static const struct server_observer obs = {
		.persist = on_persist_time, .apply = on_apply_time, .arg = NULL,
	};

	registry_init();
	server_set_observer(srv, &obs);
}

void metrics_set_quota(int64_t quota_backend_bytes)
{
	reg.quota = quota_backend_bytes;
}

struct scrape {
	struct net_http_req *req;
	struct server *srv;
	bool gone;
};

static void scrape_cancel(struct net_http_req *req, void *user)
{
	struct scrape *sc = user;

	sc->gone = true;
	sc->req = NULL;
}

static void scrape_answer(struct net_http_req *req, struct server *srv)
{
	struct metrics_values v;
	struct buf b;

	memset(&v, 0, sizeof(v));
	server_status(srv, &v.st);
	v.have_db = reg.have_db;
	v.db_size = reg.db_size;
	v.db_size_in_use = reg.db_size_in_use;
	v.quota_backend_bytes = reg.quota;
	buf_init(&b, METRICS_MAX_TEXT);
	if (metrics_render(&b, &v) != 0) {
		static const char msg[] = "cannot render the metrics\n";
		net_http_respond(req, 500, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	} else {
		net_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
		    buf_data(&b), buf_len(&b));
	}
	buf_free(&b);
}

static void on_scrape_status(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct scrape *sc = arg;

	if (ans && ans->body_case == CETCD__STORAGE__ENVELOPE__BODY_STATUS_RESPONSE &&
	    ans->status_response) {
		reg.have_db = true;
		reg.db_size = ans->status_response->db_size;
		reg.db_size_in_use = ans->status_response->db_size_in_use;
	}
	if (!sc->gone)
		scrape_answer(sc->req, sc->srv);
	free(sc);
}

static void h_metrics(struct net_http_req *req, void *arg)
{
	struct server *srv = arg;
	static const struct net_http_callbacks cbs = { .on_cancel = scrape_cancel };
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;
	struct storage_client *rsc = server_reader(srv);
	struct scrape *sc;

	/* The database sizes are storaged's; ask for them, or serve the last
	 * ones while it is away. */
	if (!rsc || !storage_client_is_up(rsc) || !(sc = calloc(1, sizeof(*sc)))) {
		scrape_answer(req, srv);
		return;
	}
	sc->req = req;
	sc->srv = srv;
	net_http_req_set_callbacks(req, &cbs, sc);
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &sr;
	storage_client_call(rsc, &env, on_scrape_status, sc);
}

int metrics_register(struct net_server *ns, struct server *srv)
{
	registry_init();
	return net_http_route(ns, NULL, "/metrics", 0, h_metrics, srv) ? -1 : 0;
}

/* The metrics listener's /health is etcd's, the same handler as on the
 * client listener. */
int metrics_register_health(struct net_server *ns, struct server *srv)
{
	return endpoints_register_health(ns, srv);
}

struct net_server *metrics_listen(struct event_base *base, const struct net_config *nc,
    const char *urls, struct server *srv, char *err, size_t errlen)
{
	struct net_server *ns = net_server_new(base, nc);

	if (!ns) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (net_server_listen(ns, urls, err, errlen) != 0)
		goto fail;
	if (metrics_register(ns, srv) != 0 || metrics_register_health(ns, srv) != 0) {
		snprintf(err, errlen, "cannot register /metrics and /health");
		goto fail;
	}
	return ns;
fail:
	net_server_free(ns);
	return NULL;
}
