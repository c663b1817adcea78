/*
 * main.c (daemon) - cetcd's entry point: flags, the data dir, and the
 * cetcd-storaged child.
 *
 * Owns the process: signals, the event loop, the child's lifetime.  Never
 * touches files inside the data dir beyond creating it; storaged owns them.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/flags.h"
#include "common/log.h"
#include "common/urls.h"
#include "common/version.h"
#include "daemon/autocompact.h"
#include "daemon/config_main.h"
#include "daemon/endpoints.h"
#include "daemon/kv.h"
#include "daemon/maint.h"
#include "daemon/metrics.h"
#include "daemon/net/health.h"
#include "daemon/net/net.h"
#include "daemon/options.h"
#include "daemon/server.h"
#include "daemon/service.h"
#include "daemon/storaged_proc.h"

struct cetcd {
	struct cetcd_config cfg;
	struct event_base *base;
	struct storaged_proc storaged;
	struct server *server;
	struct net_server *clients;	/* --listen-client-urls */
	struct net_server *peers;	/* --listen-peer-urls */
	struct net_server *metrics;	/* --listen-metrics-urls, or NULL */
	struct autocompact *compactor;	/* NULL when auto compaction is off */
	char *peer_urls, *client_urls;	/* sorted, as etcd prints them */
	struct event *restart_ev;	/* restarts storaged after it died */
	int restart_ms;			/* backoff: 100 ms doubling to 5 s */
	time_t storaged_started;
	int exit_code;
};

/* The sorted, canonical form of a URL list flag (validated at parse). */
static char *canonical_urls(const char *list)
{
	struct url_list l;
	char err[256];
	char *out;

	if (urls_parse_list(list, &l, err, sizeof(err)) != 0)
		return NULL;
	out = urls_list_string(&l);
	urls_list_free(&l);
	return out;
}

static int start_serving(struct cetcd *c)
{
	struct cetcd_config *cfg = &c->cfg;
	struct net_config nc;
	char err[512];
	const char *sock = *cfg->storaged_socket ? cfg->storaged_socket : c->storaged.socket;

	c->peer_urls = canonical_urls(cfg->initial_advertise_peer_urls);
	c->client_urls = canonical_urls(cfg->advertise_client_urls);
	if (!c->peer_urls || !c->client_urls)
		return -1;
	struct server_config sc = {
		.name = cfg->name,
		.initial_cluster_token = cfg->initial_cluster_token,
		.peer_urls = c->peer_urls,
		.client_urls = c->client_urls,
		.heartbeat_ms = (unsigned)cfg->heartbeat_interval,
		.election_ms = (unsigned)cfg->election_timeout,
		.storaged_socket = sock,
		.max_request_bytes = (size_t)cfg->max_request_bytes,
	};
	c->server = server_new(c->base, &sc);
	if (!c->server) {
		fprintf(stderr, "cetcd: cannot start the server\n");
		return -1;
	}
	struct maint_member self = { cfg->name, c->peer_urls, c->client_urls };
	maint_set_member(&self);
	kv_max_txn_ops = (int)cfg->max_txn_ops;

	net_config_default(&nc);
	nc.max_request_bytes = cfg->max_request_bytes;
	c->clients = net_server_new(c->base, &nc);
	c->peers = net_server_new(c->base, &nc);
	if (!c->clients || !c->peers)
		return -1;
	if (net_server_listen(c->clients, cfg->listen_client_urls, err, sizeof(err)) != 0) {
		fprintf(stderr, "cetcd: cannot listen on %s: %s\n", cfg->listen_client_urls, err);
		return -1;
	}
	if (net_server_listen(c->peers, cfg->listen_peer_urls, err, sizeof(err)) != 0) {
		fprintf(stderr, "cetcd: cannot listen on %s: %s\n", cfg->listen_peer_urls, err);
		return -1;
	}
	if (net_health_register(c->clients) != 0 ||
	    svc_register(c->clients, c->server, kv_methods, kv_method_count) != 0 ||
	    svc_register(c->clients, c->server, maint_methods, maint_method_count) != 0 ||
	    endpoints_register(c->clients, c->server) != 0 ||
	    endpoints_register(c->peers, c->server) != 0 ||
	    metrics_register(c->clients, c->server) != 0) {
		fprintf(stderr, "cetcd: cannot register the services\n");
		return -1;
	}
	metrics_attach(c->server);
	metrics_set_quota(cfg->quota_backend_bytes);
	if (cfg->listen_metrics_urls && *cfg->listen_metrics_urls &&
	    !(c->metrics = metrics_listen(c->base, &nc, cfg->listen_metrics_urls, c->server,
	    err, sizeof(err)))) {
		fprintf(stderr, "cetcd: cannot listen on %s: %s\n", cfg->listen_metrics_urls, err);
		return -1;
	}
	if (autocompact_start(c->base, c->server, cfg->auto_compaction_mode,
	    cfg->auto_compaction_retention, &c->compactor, err, sizeof(err)) != 0) {
		fprintf(stderr, "cetcd: %s\n", err);
		return -1;
	}
	return 0;
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cetcd *c = arg;

	fprintf(stderr, "cetcd: received %s, shutting down\n",
	    sig == SIGINT ? "interrupt" : "terminated");
	event_base_loopbreak(c->base);
}

static int start_storaged(struct cetcd *c);

/* Supervision: a storaged that dies is started again, after a backoff that
 * grows while it keeps dying young.  Meanwhile the server answers "request
 * timed out" and reloads its state once the new storaged is up. */
static void schedule_storaged_restart(struct cetcd *c)
{
	struct timeval tv = { c->restart_ms / 1000, (c->restart_ms % 1000) * 1000 };

	evtimer_add(c->restart_ev, &tv);
	c->restart_ms = c->restart_ms * 2 > 5000 ? 5000 : c->restart_ms * 2;
}

static void on_restart_storaged(evutil_socket_t fd, short what, void *arg)
{
	struct cetcd *c = arg;

	if (start_storaged(c) != 0)
		schedule_storaged_restart(c);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct cetcd *c = arg;
	int status;

	if (c->storaged.pid > 0 && waitpid(c->storaged.pid, &status, WNOHANG) == c->storaged.pid) {
		fprintf(stderr, "cetcd: cetcd-storaged (pid %ld) exited with status %d; restarting it\n",
		    (long)c->storaged.pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		c->storaged.pid = 0;
		if (time(NULL) - c->storaged_started > 30)
			c->restart_ms = 100;
		schedule_storaged_restart(c);
	}
}

static int start_storaged(struct cetcd *c)
{
	struct cetcd_config *cfg = &c->cfg;
	char max_wals[32], max_snaps[32], quota[32];

	if (storaged_proc_locate(&c->storaged, cfg->storaged_path) != 0) {
		fprintf(stderr, "cetcd: cannot find the cetcd-storaged program (tried %s); "
		    "use --storaged-path\n", c->storaged.path);
		return -1;
	}
	if (snprintf(c->storaged.socket, sizeof(c->storaged.socket), "%s/storaged.sock",
	    cfg->data_dir) >= (int)sizeof(c->storaged.socket)) {
		fprintf(stderr, "cetcd: --data-dir %s is too long for a Unix socket path\n", cfg->data_dir);
		return -1;
	}
	snprintf(max_wals, sizeof(max_wals), "%llu", (unsigned long long)cfg->max_wals);
	snprintf(max_snaps, sizeof(max_snaps), "%llu", (unsigned long long)cfg->max_snapshots);
	/* storaged applies the writes, so it is the one to enforce the quota. */
	snprintf(quota, sizeof(quota), "%lld", (long long)cfg->quota_backend_bytes);
	char *argv[] = {
		c->storaged.path,
		"--data-dir", (char *)cfg->data_dir,
		"--wal-dir", (char *)cfg->wal_dir,
		"--socket", c->storaged.socket,
		"--max-wals", max_wals,
		"--max-snapshots", max_snaps,
		"--quota-backend-bytes", quota,
		"--log-level", (char *)cfg->log_level,
		NULL,
	};
	if (storaged_proc_start(&c->storaged, argv) != 0) {
		fprintf(stderr, "cetcd: cannot start %s: %s\n", c->storaged.path, strerror(errno));
		return -1;
	}
	c->storaged_started = time(NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct cetcd c = { 0 };
	char data_dir[4096];
	struct event *ev_term = NULL, *ev_int = NULL, *ev_chld = NULL;
	int rc;

	/* Flags, environment or --config-file, logging and etcd's checks. */
	rc = config_main_load(&c.cfg, argc, argv, data_dir, sizeof(data_dir));
	if (rc != CONFIG_MAIN_CONTINUE)
		return rc;
	if (mkdir(c.cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create the data dir", LOG_STR("data-dir", c.cfg.data_dir),
		    LOG_ERRNO(errno));
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	c.base = event_base_new();
	if (!c.base) {
		log_error("cannot create the event loop");
		return 1;
	}
	ev_term = evsignal_new(c.base, SIGTERM, on_stop_signal, &c);
	ev_int = evsignal_new(c.base, SIGINT, on_stop_signal, &c);
	ev_chld = evsignal_new(c.base, SIGCHLD, on_sigchld, &c);
	c.restart_ev = evtimer_new(c.base, on_restart_storaged, &c);
	c.restart_ms = 100;
	if (!ev_term || !ev_int || !ev_chld || !c.restart_ev || evsignal_add(ev_term, NULL) ||
	    evsignal_add(ev_int, NULL) || evsignal_add(ev_chld, NULL)) {
		log_error("cannot install signal handlers");
		c.exit_code = 1;
		goto out;
	}
	if (!*c.cfg.storaged_socket && start_storaged(&c) != 0) {
		c.exit_code = 1;
		goto out;
	}
	if (start_serving(&c) != 0) {
		c.exit_code = 1;
		goto out;
	}
	fprintf(stderr, "cetcd: member %s serving clients on %s, data dir %s\n",
	    c.cfg.name, c.cfg.listen_client_urls, c.cfg.data_dir);
	event_base_dispatch(c.base);
out:
	/* Stop taking requests, fail what waits, then stop storaged. */
	if (c.clients)
		net_server_stop_accepting(c.clients);
	if (c.peers)
		net_server_stop_accepting(c.peers);
	if (c.metrics)
		net_server_stop_accepting(c.metrics);
	autocompact_free(c.compactor);
	server_free(c.server);
	if (c.clients)
		net_server_free(c.clients);
	if (c.peers)
		net_server_free(c.peers);
	if (c.metrics)
		net_server_free(c.metrics);
	svc_free_all();
	if (c.storaged.pid > 0)
		storaged_proc_stop(&c.storaged, 10000);
	free(c.peer_urls);
	free(c.client_urls);
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (ev_chld)
		event_free(ev_chld);
	if (c.restart_ev)
		event_free(c.restart_ev);
	event_base_free(c.base);
	return c.exit_code;
}
