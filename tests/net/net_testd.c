/*
 * net_testd: a small server on daemon/net/ for the black-box tests and the
 * benchmark.  Not installed.  Owns one event loop and one net_server; it
 * registers test handlers (below), prints "LISTEN <url>" for each listener
 * and "READY" on stdout, and exits 0 on SIGTERM/SIGINT after freeing
 * everything (so ASan's leak check at exit covers the whole layer).
 *
 *   HTTP  GET  /test/hello          "hello\n"
 *         POST /test/echo           the body back
 *         GET  /test/slow           "slow\n" after 200 ms (asynchronous)
 *         GET  /test/stream?n=N     N JSON lines, one per 10 ms (chunked)
 *         GET  /test/stats          {"conns":..,"active":..,"cancels":..}
 *         *    /test/prefix/...     the path back (prefix route)
 *   gRPC  /test.Echo/Unary          echo
 *         /test.Echo/Never          never answers (needs a deadline)
 *         /test.Echo/Delay          echo after 100 ms
 *         /test.Echo/Big            request "N": one message of N bytes
 *         /test.Echo/ServerStream   request "N:S": N messages of S bytes,
 *                                   with back-pressure (on_writable)
 *         /test.Echo/Bidi           echo each message, finish on half-close
 *         /test.Echo/Fail           INVALID_ARGUMENT with the request as message
 *         grpc.health.v1.Health     as etcd
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "daemon/net/grpc.h"
#include "daemon/net/health.h"
#include "daemon/net/http.h"
#include "daemon/net/net.h"

static struct event_base *base;
static struct net_server *srv;
static unsigned long cancels;

/* ---- HTTP ------------------------------------------------------------- */

static void h_hello(struct net_http_req *req, void *arg)
{
	(void)arg;
	net_http_respond(req, 200, "text/plain; charset=utf-8", "hello\n", 6);
}

static void h_echo(struct net_http_req *req, void *arg)
{
	size_t len;
	const uint8_t *body = net_http_req_body(req, &len);

	(void)arg;
	net_http_respond(req, 200, "application/octet-stream", body, len);
}

static void h_prefix(struct net_http_req *req, void *arg)
{
	const char *p = net_http_req_path(req);

	(void)arg;
	net_http_respond(req, 200, "text/plain", p, strlen(p));
}

static void h_stats(struct net_http_req *req, void *arg)
{
	char out[256];
	int n;

	(void)arg;
	n = snprintf(out, sizeof(out), "{\"conns\":%zu,\"active\":%zu,\"cancels\":%lu}\n",
		     net_server_conn_count(srv), net_server_active_count(srv), cancels);
	net_http_respond(req, 200, "application/json", out, (size_t)n);
}

/* An asynchronous HTTP answer: a timer per request, dropped on cancel. */
struct slow_http {
	struct net_http_req *req;
	struct event *ev;
	int left; /* stream: lines still to send; -1 for /test/slow */
	int n;
};

static void slow_http_free(struct slow_http *sh)
{
	event_free(sh->ev);
	free(sh);
}

static void slow_http_cancel(struct net_http_req *req, void *user)
{
	(void)req;
	cancels++;
	slow_http_free(user);
}

static void slow_http_tick(evutil_socket_t fd, short what, void *arg)
{
	struct slow_http *sh = arg;
	struct timeval tv = { 0, 10000 };
	char line[64];
	int n;

	(void)fd;
	(void)what;
	if (sh->left < 0) {
		net_http_respond(sh->req, 200, "text/plain", "slow\n", 5);
		slow_http_free(sh);
		return;
	}
	if (sh->left == 0) {
		net_http_stream_end(sh->req);
		slow_http_free(sh);
		return;
	}
	n = snprintf(line, sizeof(line), "{\"result\":{\"n\":\"%d\"}}\n", sh->n++);
	net_http_stream_write(sh->req, line, (size_t)n);
	sh->left--;
	event_add(sh->ev, &tv);
}

static void h_slow_or_stream(struct net_http_req *req, void *arg)
{
	static const struct net_http_callbacks cb = { .on_cancel = slow_http_cancel };
	struct slow_http *sh = calloc(1, sizeof(*sh));
	struct timeval tv = { 0, 200000 };
	const char *q = net_http_req_query(req);

	if (sh == NULL) {
		net_http_respond(req, 500, NULL, NULL, 0);
		return;
	}
	sh->req = req;
	sh->ev = evtimer_new(base, slow_http_tick, sh);
	sh->left = -1;
	if (arg != NULL) {
		sh->left = strncmp(q, "n=", 2) == 0 ? atoi(q + 2) : 3;
		tv.tv_usec = 10000;
		net_http_stream_begin(req, 200, "application/json");
	}
	net_http_req_set_callbacks(req, &cb, sh);
	event_add(sh->ev, &tv);
}

/* ---- gRPC ----------------------------------------------------------------- */

static void g_unary(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	net_grpc_call_reply(call, msg, len);
}

static void g_fail(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	char text[256];

	(void)arg;
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, msg, len);
	text[len] = '\0';
	net_grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, text);
}

static void g_never_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	(void)call;
	(void)user;
	(void)why;
	cancels++;
}

static void g_never(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cb = { .on_cancel = g_never_cancel };

	(void)arg;
	(void)msg;
	(void)len;
	net_grpc_call_set_callbacks(call, &cb, NULL);
}

struct delayed {
	struct net_grpc_call *call;
	struct event *ev;
	size_t len;
	uint8_t *msg;
	/* ServerStream */
	long left;
	size_t size;
};

static void delayed_free(struct delayed *d)
{
	if (d->ev)
		event_free(d->ev);
	free(d->msg);
	free(d);
}

static void delayed_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	(void)call;
	(void)why;
	cancels++;
	delayed_free(user);
}

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;

	(void)fd;
	(void)what;
	net_grpc_call_reply(d->call, d->msg, d->len);
	delayed_free(d);
}

static void g_delay(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cb = { .on_cancel = delayed_cancel };
	struct delayed *d = calloc(1, sizeof(*d));
	struct timeval tv = { 0, 100000 };

	(void)arg;
	if (d == NULL || (d->msg = malloc(len + 1)) == NULL) {
		free(d);
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	memcpy(d->msg, msg, len);
	d->len = len;
	d->call = call;
	d->ev = evtimer_new(base, delayed_fire, d);
	net_grpc_call_set_callbacks(call, &cb, d);
	event_add(d->ev, &tv);
}

static long parse_num(const uint8_t *msg, size_t len, size_t *used)
{
	long v = 0;
	size_t i;

	for (i = 0; i < len && msg[i] >= '0' && msg[i] <= '9' && v < 1000000000L; i++)
		v = v * 10 + (msg[i] - '0');
	*used = i;
	return v;
}

static void g_big(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	size_t used, n = (size_t)parse_num(msg, len, &used);
	uint8_t *out = malloc(n ? n : 1);

	(void)arg;
	if (out == NULL) {
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	memset(out, 'x', n);
	net_grpc_call_reply(call, out, n);
	free(out);
}

/* Sends until the queue is full, then waits for on_writable. */
static void stream_pump(struct net_grpc_call *call, void *user)
{
	struct delayed *d = user;

	while (d->left > 0) {
		int rc;

		d->msg[0] = (uint8_t)('0' + d->left % 10);
		rc = net_grpc_call_send(call, d->msg, d->size);
		d->left--;
		if (rc < 0) {
			net_grpc_call_finish(call, GRPC_STATUS_INTERNAL, "send failed");
			delayed_free(d);
			return;
		}
		if (rc == 0)
			return;
	}
	net_grpc_call_finish(call, GRPC_STATUS_OK, NULL);
	delayed_free(d);
}

static void g_server_stream(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cb = { .on_cancel = delayed_cancel,
						      .on_writable = stream_pump };
	struct delayed *d = calloc(1, sizeof(*d));
	size_t used, used2;

	(void)arg;
	if (d == NULL) {
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	d->left = parse_num(msg, len, &used);
	d->size = used < len ? (size_t)parse_num(msg + used + 1, len - used - 1, &used2) : 10;
	if (d->size == 0)
		d->size = 1;
	d->msg = calloc(1, d->size);
	if (d->msg == NULL) {
		free(d);
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	d->call = call;
	net_grpc_call_set_callbacks(call, &cb, d);
	stream_pump(call, d);
}

static void bidi_msg(struct net_grpc_call *call, void *user, const uint8_t *msg, size_t len)
{
	(void)user;
	net_grpc_call_send(call, msg, len);
}

static void bidi_half_close(struct net_grpc_call *call, void *user)
{
	(void)user;
	net_grpc_call_finish(call, GRPC_STATUS_OK, NULL);
}

static void bidi_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	(void)call;
	(void)user;
	(void)why;
	cancels++;
}

static void g_bidi(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cb = {
		.on_message = bidi_msg, .on_half_close = bidi_half_close, .on_cancel = bidi_cancel
	};

	(void)arg;
	(void)msg;
	(void)len;
	net_grpc_call_set_callbacks(call, &cb, NULL);
}

/* ---- main ------------------------------------------------------------------ */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
	struct net_config cfg;
	struct event *sigterm, *sigint;
	const char *listen = "http://127.0.0.1:0";
	char err[512];
	const char *url;
	size_t i;
	int rc = 1;
	static const struct net_grpc_method methods[] = {
		{ "/test.Echo/Unary", NET_GRPC_UNARY, g_unary, NULL },
		{ "/test.Echo/Never", NET_GRPC_UNARY, g_never, NULL },
		{ "/test.Echo/Delay", NET_GRPC_UNARY, g_delay, NULL },
		{ "/test.Echo/Big", NET_GRPC_UNARY, g_big, NULL },
		{ "/test.Echo/ServerStream", NET_GRPC_SERVER_STREAM, g_server_stream, NULL },
		{ "/test.Echo/Bidi", NET_GRPC_BIDI, g_bidi, NULL },
		{ "/test.Echo/Fail", NET_GRPC_UNARY, g_fail, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	net_config_default(&cfg);
	cfg.max_http_body = 0; /* derived from max_request_bytes */
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		if (v == NULL)
			goto usage;
		if (strcmp(a, "--listen") == 0)
			listen = v;
		else if (strcmp(a, "--max-request-bytes") == 0)
			cfg.max_request_bytes = strtoull(v, NULL, 10);
		else if (strcmp(a, "--sniff-timeout-ms") == 0)
			cfg.sniff_timeout_ms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--max-conns") == 0)
			cfg.max_conns = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--max-streams") == 0)
			cfg.max_concurrent_streams = (uint32_t)strtoul(v, NULL, 10);
		else
			goto usage;
		i++;
	}
	base = event_base_new();
	srv = base ? net_server_new(base, &cfg) : NULL;
	if (srv == NULL) {
		fprintf(stderr, "net_testd: out of memory\n");
		return 1;
	}
	net_http_route(srv, "GET", "/test/hello", 0, h_hello, NULL);
	net_http_route(srv, "POST", "/test/echo", 0, h_echo, NULL);
	net_http_route(srv, "GET", "/test/slow", 0, h_slow_or_stream, NULL);
	net_http_route(srv, "GET", "/test/stream", 0, h_slow_or_stream, (void *)1);
	net_http_route(srv, "GET", "/test/stats", 0, h_stats, NULL);
	net_http_route(srv, NULL, "/test/prefix/", NET_HTTP_PREFIX, h_prefix, NULL);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		net_grpc_register(srv, &methods[i]);
	net_health_register(srv);
	if (net_server_listen(srv, listen, err, sizeof(err)) != 0) {
		fprintf(stderr, "net_testd: %s\n", err);
		goto out;
	}
	for (i = 0; (url = net_server_listener_url(srv, i)) != NULL; i++)
		printf("LISTEN %s\n", url);
	printf("READY\n");
	fflush(stdout);
	sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	rc = 0;
out:
	net_server_free(srv);
	event_base_free(base);
	libevent_global_shutdown();
	return rc;
usage:
	fprintf(stderr, "usage: net_testd [--listen URLS] [--max-request-bytes N] "
			"[--sniff-timeout-ms N] [--max-conns N] [--max-streams N]\n");
	return 2;
}
