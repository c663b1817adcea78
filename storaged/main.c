/*
 * main.c (storaged) - cetcd-storaged's entry point: flags, the data dir and
 * its lock, the listening Unix socket, signals.
 *
 * Owns the process and the listening socket.  SIGTERM and SIGINT end the
 * event loop after the work in hand, and the process exits 0.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/flags.h"
#include "common/version.h"
#include "storaged/options.h"
#include "storaged/datadir.h"
#include "storaged/ipc.h"
#include "storaged/store.h"

struct storaged {
	struct storaged_config cfg;
	struct datadir dd;
	struct store store;
	struct ipc_server *ipc;
	struct event_base *base;
	struct evconnlistener *listener;
};

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct storaged *s = arg;

	event_base_loopbreak(s->base);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct storaged *s = arg;

	if (ipc_server_add(s->ipc, fd) != 0)
		fprintf(stderr, "cetcd-storaged: cannot serve a new connection\n");
}

static struct evconnlistener *listen_unix(struct storaged *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(s->cfg.socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "cetcd-storaged: --socket path too long: %s\n", s->cfg.socket);
		return NULL;
	}
	strcpy(sun.sun_path, s->cfg.socket);
	/* The data dir lock is held, so a socket file left here is stale. */
	unlink(s->cfg.socket);
	struct evconnlistener *l = evconnlistener_new_bind(s->base, on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (!l)
		fprintf(stderr, "cetcd-storaged: cannot listen on %s: %s\n", s->cfg.socket, strerror(errno));
	return l;
}

int main(int argc, char **argv)
{
	struct storaged s = { 0 };
	struct flag_set fs = {
		.prog = "cetcd-storaged", .env_prefix = "CETCD_STORAGED",
		.defs = storaged_flag_defs, .ndefs = storaged_flag_count,
	};
	char err[8192];
	struct event *ev_term = NULL, *ev_int = NULL;
	int rc = 1;

	s.dd.lock_fd = -1;
	if (flag_parse(&fs, &s.cfg, argc, argv, stderr) != FLAG_OK)
		return 2;
	if (s.cfg.help) {
		flag_print_help(&fs, stdout);
		return 0;
	}
	if (s.cfg.version) {
		version_print(stdout, "cetcd-storaged");
		return 0;
	}
	if (fs.nargs > 0) {
		fprintf(stderr, "'%s' is not a valid flag\n", fs.args[0]);
		return 2;
	}
	if (!*s.cfg.data_dir || !*s.cfg.socket) {
		fprintf(stderr, "cetcd-storaged: --data-dir and --socket are required\n");
		return 2;
	}
	if (datadir_open(&s.dd, s.cfg.data_dir, s.cfg.wal_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "cetcd-storaged: %s\n", err);
		return 1;
	}

	struct store_options so;
	store_options_init(&so);
	so.snapshot_count = s.cfg.snapshot_count;
	so.max_wals = s.cfg.max_wals > UINT_MAX ? UINT_MAX : (unsigned)s.cfg.max_wals;
	so.max_snapshots = s.cfg.max_snapshots > UINT_MAX ? UINT_MAX : (unsigned)s.cfg.max_snapshots;
	so.quota_bytes = s.cfg.quota_backend_bytes;
	/* etcd's quota.go: <0 disables, 0 is the default, above 8 GiB is
	 * allowed with a warning. */
	if (so.quota_bytes < 0) {
		fprintf(stderr, "cetcd-storaged: disabled backend quota (--quota-backend-bytes %lld)\n",
		    (long long)so.quota_bytes);
	} else if (so.quota_bytes > STORE_MAX_QUOTA_BYTES) {
		fprintf(stderr, "cetcd-storaged: quota exceeds the maximum value: --quota-backend-bytes %lld"
		    " is above %lld bytes; too large a db may suffer long pauses\n",
		    (long long)so.quota_bytes, (long long)STORE_MAX_QUOTA_BYTES);
	}
	if (store_open(&s.store, &s.dd, &so, err, sizeof(err)) != 0) {
		fprintf(stderr, "cetcd-storaged: %s\n", err);
		store_close(&s.store);
		datadir_close(&s.dd);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	s.base = event_base_new();
	if (!s.base)
		goto out;
	s.ipc = ipc_server_new(s.base, &s.store);
	if (!s.ipc)
		goto out;
	ev_term = evsignal_new(s.base, SIGTERM, on_stop_signal, &s);
	ev_int = evsignal_new(s.base, SIGINT, on_stop_signal, &s);
	if (!ev_term || !ev_int || evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL))
		goto out;
	s.listener = listen_unix(&s);
	if (!s.listener)
		goto out;
	event_base_dispatch(s.base);
	/* SIGTERM: the batch in hand is answered (after its fdatasync), then
	 * the process exits 0. */
	ipc_server_drain(s.ipc, 5000);
	rc = 0;
out:
	if (s.listener) {
		evconnlistener_free(s.listener);
		unlink(s.cfg.socket);
	}
	/* What is in hand is answered (after its fdatasync) before exit. */
	ipc_server_free(s.ipc);
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (s.base)
		event_base_free(s.base);
	/* Stops the checkpoint worker (its last request finished), then
	 * closes the db: on SIGTERM as on any exit. */
	store_close(&s.store);
	datadir_close(&s.dd);
	return rc;
}
