/*
 * service.h - etcd's unary RPCs, served the same way over gRPC and over the
 * JSON gateway.
 *
 * A method is written once against struct svc_ctx: it gets the decoded
 * request and answers later with svc_reply() or svc_fail().  The gRPC
 * adapter decodes protobuf and frames the answer; the gateway adapter
 * decodes JSON (daemon/gateway/pbjson) and writes JSON, with etcd's
 * gateway error body and HTTP status.  Errors come from common/errors.h,
 * so no error text is typed twice.
 */
#ifndef CETCD_DAEMON_SERVICE_H
#define CETCD_DAEMON_SERVICE_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

#include "common/errors.h"

struct net_server;
struct server;
struct svc_ctx;

typedef void svc_handler_fn(struct svc_ctx *ctx, const ProtobufCMessage *req);

struct svc_method {
	const char *grpc_path;		/* "/etcdserverpb.KV/Range" */
	const char *gateway_path;	/* "/v3/kv/range", or NULL */
	const ProtobufCMessageDescriptor *request;
	svc_handler_fn *handler;
};

/* Registers each method on both transports of ns.  /v3beta/ aliases are
 * added for gateway paths, as etcd 3.4 serves both. */
int svc_register(struct net_server *ns, struct server *srv, const struct svc_method *m, size_t n);

struct net_http_req;
/* Answers an HTTP request with grpc-gateway v1's error body
 * {"error": msg, "message": msg, "code": n} and the code's HTTP status. */
void svc_http_error(struct net_http_req *req, enum grpc_code code, const char *msg);

/* Frees what svc_register() allocated, after the net server is freed. */
void svc_free_all(void);

/* The etcd server the call runs against. */
struct server *svc_server(const struct svc_ctx *ctx);

/* Answers the call with resp (not kept) and frees ctx. */
void svc_reply(struct svc_ctx *ctx, const ProtobufCMessage *resp);
/* Fails the call with one of etcd's errors and frees ctx. */
void svc_fail(struct svc_ctx *ctx, enum cetcd_err err);
/* Fails with a gRPC code and a message of its own (for texts that are not
 * etcd errors, e.g. grpc-go's) and frees ctx. */
void svc_fail_status(struct svc_ctx *ctx, enum grpc_code code, const char *msg);

/* The client went away; the handler still answers (and the answer is
 * dropped), so that the ctx is freed in one place. */
bool svc_cancelled(const struct svc_ctx *ctx);

#endif
