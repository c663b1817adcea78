/*
 * service.c - the two transports of etcd's unary RPCs: gRPC (daemon/net
 * grpc.h) and the JSON gateway (daemon/net http.h + pbjson).
 *
 * Runs in cetcd on the event loop.  Owns every struct svc_ctx from the
 * request's arrival until svc_reply()/svc_fail(): when the client goes
 * away first, the transport's cancel callback only marks the ctx, and the
 * answer is dropped when it comes.  The request message is freed right
 * after the handler returns: handlers copy what they keep.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/gateway/gwroute.h"
#include "daemon/gateway/pbjson.h"
#include "daemon/metrics.h"
#include "daemon/net/grpc.h"
#include "daemon/net/http.h"
#include "daemon/service.h"
#include "daemon/snapshot_rpc.h"

/* A JSON answer is at most this large (a 1,000-key range of 1.5 MiB values
 * would not fit; etcd's gateway has no cap, but ours must have one). */
#define SVC_MAX_JSON ((size_t)256 << 20)

enum svc_kind { SVC_GRPC, SVC_HTTP };

struct svc_binding {
	const struct svc_method *m;
	struct server *srv;
	int metric;		/* metrics_grpc_method() of m's gRPC path */
};

struct svc_ctx {
	enum svc_kind kind;
	bool gone;
	int metric;
	struct server *srv;
	union {
		struct net_grpc_call *call;
		struct net_http_req *req;
	} t;
};

struct server *svc_server(const struct svc_ctx *ctx)
{
	return ctx->srv;
}

bool svc_cancelled(const struct svc_ctx *ctx)
{
	return ctx->gone;
}

/* grpc-gateway v1's error body: {"error": msg, "message": msg, "code": n},
 * with the HTTP status of the gRPC code. */
void svc_http_error(struct net_http_req *req, enum grpc_code code, const char *msg)
{
	struct buf b;
	size_t n = strlen(msg);

	/* The message is written as Go's encoding/json writes strings
	 * ('<' as \u003c, invalid UTF-8 as \ufffd), since etcd's texts quote
	 * the client's bytes back. */
	buf_init(&b, 12 * n + 64);
	buf_append_str(&b, "{\"error\":");
	pbjson_put_string(&b, (const unsigned char *)msg, n);
	buf_append_str(&b, ",\"message\":");
	pbjson_put_string(&b, (const unsigned char *)msg, n);
	buf_appendf(&b, ",\"code\":%d}", (int)code);
	net_http_respond(req, grpc_code_http_status(code), "application/json", buf_data(&b), buf_len(&b));
	buf_free(&b);
}

void svc_reply(struct svc_ctx *ctx, const ProtobufCMessage *resp)
{
	/* A call whose client went away ends Canceled for grpc-go's
	 * interceptors (etcd's handlers see their context cancelled). */
	metrics_grpc_handled(ctx->metric, ctx->gone ? GRPC_CANCELED : GRPC_OK);
	if (!ctx->gone) {
		if (ctx->kind == SVC_GRPC) {
			size_t len = protobuf_c_message_get_packed_size(resp);
			uint8_t *buf = malloc(len ? len : 1);
			if (!buf) {
				net_grpc_call_finish(ctx->t.call, GRPC_STATUS_RESOURCE_EXHAUSTED,
				    cetcd_err_message(CETCD_E_NO_MEMORY));
			} else {
				protobuf_c_message_pack(resp, buf);
				net_grpc_call_reply(ctx->t.call, buf, len);
				free(buf);
			}
		} else {
			struct buf b;
			buf_init(&b, SVC_MAX_JSON);
			if (pbjson_encode(resp, &b) == 0)
				net_http_respond(ctx->t.req, 200, "application/json", buf_data(&b), buf_len(&b));
			else
				svc_http_error(ctx->t.req, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
			buf_free(&b);
		}
	}
	free(ctx);
}

void svc_fail_status(struct svc_ctx *ctx, enum grpc_code code, const char *msg)
{
	metrics_grpc_handled(ctx->metric, ctx->gone ? GRPC_CANCELED : (int)code);
	if (!ctx->gone) {
		if (ctx->kind == SVC_GRPC)
			net_grpc_call_finish(ctx->t.call, (enum grpc_status)code, msg);
		else
			svc_http_error(ctx->t.req, code, msg);
	}
	free(ctx);
}

void svc_fail(struct svc_ctx *ctx, enum cetcd_err err)
{
	svc_fail_status(ctx, cetcd_err_grpc_code(err), cetcd_err_message(err));
}

/* ---------------------------------------------------------------- gRPC */

static void grpc_on_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	struct svc_ctx *ctx = user;

	ctx->gone = true;
	ctx->t.call = NULL;
}

static void grpc_start(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	const struct svc_binding *b = arg;
	static const struct net_grpc_callbacks cbs = { .on_cancel = grpc_on_cancel };
	ProtobufCMessage *req = protobuf_c_message_unpack(b->m->request, NULL, len, msg);

	if (!req) {
		/* grpc-go's answer to bytes that do not decode. */
		net_grpc_call_finish(call, GRPC_STATUS_INTERNAL,
		    "grpc: error unmarshalling request: unexpected EOF");
		return;
	}
	struct svc_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		protobuf_c_message_free_unpacked(req, NULL);
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
		return;
	}
	ctx->kind = SVC_GRPC;
	ctx->srv = b->srv;
	ctx->metric = b->metric;
	metrics_grpc_started(b->metric);
	ctx->t.call = call;
	net_grpc_call_set_callbacks(call, &cbs, ctx);
	b->m->handler(ctx, req);
	protobuf_c_message_free_unpacked(req, NULL);
}

/* ---------------------------------------------------------------- gateway */

static void http_on_cancel(struct net_http_req *req, void *user)
{
	struct svc_ctx *ctx = user;

	ctx->gone = true;
	ctx->t.req = NULL;
}

static void http_start(struct net_http_req *hreq, void *arg)
{
	const struct svc_binding *b = arg;
	static const struct net_http_callbacks cbs = { .on_cancel = http_on_cancel };
	char err[4096];	/* etcd echoes parts of the body: enums, numbers */
	size_t len;
	const uint8_t *body = net_http_req_body(hreq, &len);
	ProtobufCMessage *req;

	/* etcd's gateway paths take POST only; gwroute answers the rest. */
	if (!gwroute_check_method(hreq))
		return;
	req = pbjson_decode(b->m->request, (const char *)body, len, err, sizeof(err));
	if (!req) {
		svc_http_error(hreq, GRPC_INVALID_ARGUMENT, err);
		return;
	}
	struct svc_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		protobuf_c_message_free_unpacked(req, NULL);
		svc_http_error(hreq, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
		return;
	}
	ctx->kind = SVC_HTTP;
	ctx->srv = b->srv;
	/* etcd's gateway is a gRPC client of its own server: its calls are
	 * counted in grpc_server_* too. */
	ctx->metric = b->metric;
	metrics_grpc_started(b->metric);
	ctx->t.req = hreq;
	net_http_req_set_callbacks(hreq, &cbs, ctx);
	b->m->handler(ctx, req);
	protobuf_c_message_free_unpacked(req, NULL);
}

/* Bindings live as long as the net server; svc_free_all() drops them. */
struct svc_bindings {
	struct svc_bindings *next;
	struct svc_binding b[];
};
static struct svc_bindings *all_bindings;

void svc_free_all(void)
{
	while (all_bindings) {
		struct svc_bindings *n = all_bindings->next;
		free(all_bindings);
		all_bindings = n;
	}
}

/* grpc-gateway answers 404 for any path under /v3/ (or /v3beta/) it has no
 * pattern for, with its own body rather than net/http's.  Each table
 * registers them again: the first of equal prefixes wins, and they are the
 * same route. */
static int svc_register_prefixes(struct net_server *ns)
{
	if (net_http_route(ns, NULL, "/v3/", NET_HTTP_PREFIX, gwroute_not_found, NULL) != 0 ||
	    net_http_route(ns, NULL, "/v3beta/", NET_HTTP_PREFIX, gwroute_not_found, NULL) != 0)
		return -1;
	return 0;
}

int svc_register(struct net_server *ns, struct server *srv, const struct svc_method *m, size_t n)
{
	struct svc_bindings *set = calloc(1, sizeof(*set) + n * sizeof(set->b[0]));

	if (!set)
		return -1;
	set->next = all_bindings;
	all_bindings = set;
	if (svc_register_prefixes(ns) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct svc_binding *b = &set->b[i];
		/* A method without a unary handler is Maintenance.Snapshot,
		 * the one server stream of the table: snapshot_rpc serves it. */
		if (!m[i].handler) {
			if (snapshot_rpc_register(ns, srv, m[i].grpc_path, m[i].gateway_path) != 0)
				return -1;
			continue;
		}
		b->m = &m[i];
		b->srv = srv;
		b->metric = metrics_grpc_method(m[i].grpc_path);
		struct net_grpc_method gm = { m[i].grpc_path, NET_GRPC_UNARY, grpc_start, b };
		if (net_grpc_register(ns, &gm) != 0)
			return -1;
		if (m[i].gateway_path) {
			char beta[128];
			/* Any method reaches http_start, whose
			 * gwroute_check_method() gives etcd's 405 to all
			 * but POST. */
			if (net_http_route(ns, NULL, m[i].gateway_path, 0, http_start, b) != 0)
				return -1;
			/* etcd 3.4 serves /v3beta/... beside /v3/... */
			if (strncmp(m[i].gateway_path, "/v3/", 4) == 0) {
				snprintf(beta, sizeof(beta), "/v3beta/%s", m[i].gateway_path + 4);
				if (net_http_route(ns, NULL, beta, 0, http_start, b) != 0)
					return -1;
			}
		}
	}
	return 0;
}
