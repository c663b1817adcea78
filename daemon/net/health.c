/*
 * health: the gRPC health service (grpc.health.v1, proto/health.proto).
 *
 * etcd 3.4 (v3rpc/grpc.go) registers grpc-go's health server and marks the
 * service "" SERVING; nothing ever changes it.  So: Check("") answers
 * SERVING, any other name NOT_FOUND "unknown service" (grpc-go
 * health/server.go); Watch sends the status once (SERVICE_UNKNOWN for an
 * unknown name) and then holds the stream until the client goes away.
 * The messages are one enum field: hand-encoded, no generated code needed.
 * Owns nothing beyond the calls it holds; runs on cetcd's event loop.
 */
#include "daemon/net/health.h"

#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/net/grpc.h"

/* HealthCheckResponse.ServingStatus values. */
enum { HEALTH_SERVING = 1, HEALTH_SERVICE_UNKNOWN = 3 };

/* Reads HealthCheckRequest.service (field 1, string); unknown fields are
 * skipped as protobuf requires.  Returns 0 or -1 on a malformed message. */
static int health_parse(const uint8_t *msg, size_t len, const uint8_t **svc, size_t *svc_len)
{
	struct buf_reader r;
	uint64_t tag, v;
	const uint8_t *p;

	*svc = NULL;
	*svc_len = 0;
	buf_reader_init(&r, msg, len);
	while (buf_reader_remaining(&r) > 0) {
		if (buf_get_uvarint(&r, &tag) != 0 || (tag >> 3) == 0)
			return -1;
		switch (tag & 7) {
		case 0:
			if (buf_get_uvarint(&r, &v) != 0)
				return -1;
			break;
		case 1:
			if (buf_skip(&r, 8) != 0)
				return -1;
			break;
		case 2:
			if (buf_get_uvarint(&r, &v) != 0 || v > buf_reader_remaining(&r) ||
			    buf_get_bytes(&r, (size_t)v, &p) != 0)
				return -1;
			if ((tag >> 3) == 1) {
				*svc = p;
				*svc_len = (size_t)v;
			}
			break;
		case 5:
			if (buf_skip(&r, 4) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static void health_check(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const uint8_t serving[] = { 0x08, HEALTH_SERVING };
	const uint8_t *svc;
	size_t svc_len;

	(void)arg;
	if (health_parse(msg, len, &svc, &svc_len) != 0) {
		net_grpc_call_finish(call, GRPC_STATUS_INTERNAL,
				     "grpc: error unmarshalling request: unexpected EOF");
		return;
	}
	if (svc_len != 0) {
		net_grpc_call_finish(call, GRPC_STATUS_NOT_FOUND, "unknown service");
		return;
	}
	net_grpc_call_reply(call, serving, sizeof(serving));
}

static void health_watch_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	/* Nothing held: the call just goes away. */
	(void)call;
	(void)user;
	(void)why;
}

static void health_watch(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cb = { .on_cancel = health_watch_cancel };
	uint8_t status[2] = { 0x08, HEALTH_SERVING };
	const uint8_t *svc;
	size_t svc_len;

	(void)arg;
	if (health_parse(msg, len, &svc, &svc_len) != 0) {
		net_grpc_call_finish(call, GRPC_STATUS_INTERNAL,
				     "grpc: error unmarshalling request: unexpected EOF");
		return;
	}
	if (svc_len != 0)
		status[1] = HEALTH_SERVICE_UNKNOWN;
	net_grpc_call_set_callbacks(call, &cb, NULL);
	net_grpc_call_send(call, status, sizeof(status));
}

int net_health_register(struct net_server *s)
{
	static const struct net_grpc_method check = {
		.path = "/grpc.health.v1.Health/Check",
		.kind = NET_GRPC_UNARY,
		.start = health_check,
	};
	static const struct net_grpc_method watch = {
		.path = "/grpc.health.v1.Health/Watch",
		.kind = NET_GRPC_SERVER_STREAM,
		.start = health_watch,
	};
	int rc = net_grpc_register(s, &check);

	if (rc == 0)
		rc = net_grpc_register(s, &watch);
	return rc;
}
