/*
 * snapshot_rpc.c - Maintenance.Snapshot over gRPC (a server stream) and
 * over the JSON gateway (a chunked stream of {"result": ...} lines).
 *
 * Runs in cetcd on the event loop.  Each call owns one struct snap_stream
 * from its start until both the client side is over (finished or
 * cancelled) and no DB_STREAM request to storaged is in flight; whichever
 * ends last frees it.  The db copy is pulled from storaged on the read
 * connection one chunk at a time, and the next chunk is asked for only
 * once the transport took the previous one (on_writable), so a slow client
 * holds at most one chunk plus the transport's queue.
 *
 * As etcd 3.4's maintenanceServer.Snapshot: messages of at most 32 KiB
 * with remaining_bytes = what is left after them, then one more message
 * with the SHA-256 of everything sent and remaining_bytes 0.  etcdctl's
 * `snapshot save` checks that the total size is 32 past a multiple of 512
 * (storaged's SQLite copy is whole pages), and restores check the digest.
 *
 *   start --DB_STREAM id 0--> asking --chunk--> sending
 *   sending --send() returns 0--> blocked --on_writable--> sending
 *   sending --chunk all sent, more left--> asking
 *   sending --last chunk sent: digest, finish--> gone
 *   any --client cancels--> gone (storaged told to close the copy)
 *   gone + nothing asked of storaged --> freed (stream_release)
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "common/errors.h"
#include "daemon/gateway/gwroute.h"
#include "daemon/gateway/pbjson.h"
#include "daemon/service.h"
#include "daemon/metrics.h"
#include "daemon/net/grpc.h"
#include "daemon/net/http.h"
#include "daemon/server.h"
#include "daemon/snapshot_rpc.h"
#include "daemon/storage_client.h"
#include "proto/rpc.pb-c.h"

/* etcd's snapshotSendBufferSize. */
#define SNAP_MSG_BYTES ((size_t)32 * 1024)
/* Asked of storaged per DB_STREAM request. */
#define SNAP_CHUNK_BYTES ((uint32_t)1 << 20)
#define SNAP_DIGEST_BYTES 32

struct snap_binding {
	struct server *srv;
	int metric;
};

struct snap_stream {
	struct server *srv;
	int metric;
	bool http;
	union {
		struct net_grpc_call *call;
		struct net_http_req *req;
	} t;
	bool gone;		/* the client side is over (cancelled or finished) */
	bool asking;		/* a DB_STREAM request is in flight */
	bool blocked;		/* waiting for on_writable */
	bool http_begun;
	bool storage_done;	/* storaged closed its side of the copy */
	uint64_t stream_id;
	uint8_t *chunk;		/* the current chunk from storaged */
	size_t chunk_len, chunk_off;
	uint64_t after;		/* bytes of the db after the current chunk */
	EVP_MD_CTX *sha;
};

static struct snap_binding bindings[SNAPSHOT_RPC_MAX_SERVERS];
static size_t n_bindings;

static void stream_free(struct snap_stream *st)
{
	free(st->chunk);
	EVP_MD_CTX_free(st->sha);
	free(st);
}

/* Frees st once neither side needs it any more. */
static void stream_release(struct snap_stream *st)
{
	if (st->gone && !st->asking)
		stream_free(st);
}

/* Asks storaged to drop a copy we no longer read; the answer is not
 * awaited by anyone. */
static void on_close_answer(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
}

static void stream_abandon(struct snap_stream *st)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__DbStreamRequest r = CETCD__STORAGE__DB_STREAM_REQUEST__INIT;

	if (!st->stream_id || st->storage_done)
		return;
	r.stream_id = st->stream_id;
	r.close = 1;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_REQUEST;
	env.db_stream_request = &r;
	storage_client_call(server_reader(st->srv), &env, on_close_answer, NULL);
	st->storage_done = true;
}

/* grpc-gateway's answer when a stream fails before or while sending
 * (handleForwardResponseStreamError): the status only if nothing was
 * written yet, then {"error": {...}}. */
static void http_stream_error(struct snap_stream *st, enum grpc_code code, const char *msg)
{
	struct buf b;
	int status = grpc_code_http_status(code);

	buf_init(&b, 12 * strlen(msg) + 256);
	buf_appendf(&b, "{\"error\":{\"grpc_code\":%d,\"http_code\":%d,\"message\":", (int)code, status);
	pbjson_put_string(&b, (const unsigned char *)msg, strlen(msg));
	buf_appendf(&b, ",\"http_status\":\"%s\"}}\n", net_http_status_text(status));
	if (!st->http_begun)
		net_http_stream_begin(st->t.req, status, "application/json");
	net_http_stream_write(st->t.req, buf_data(&b), buf_len(&b));
	net_http_stream_end(st->t.req);
	buf_free(&b);
}

/* Ends the client side with code (GRPC_OK: success) and abandons the copy
 * if storaged still holds it. */
static void stream_finish(struct snap_stream *st, enum grpc_code code, const char *msg)
{
	metrics_grpc_handled(st->metric, (int)code);
	if (st->http) {
		if (code == GRPC_OK)
			net_http_stream_end(st->t.req);
		else
			http_stream_error(st, code, msg);
	} else {
		net_grpc_call_finish(st->t.call, (enum grpc_status)code, code == GRPC_OK ? NULL : msg);
	}
	st->gone = true;
	stream_abandon(st);
	stream_release(st);
}

/* Sends one SnapshotResponse.  Returns 1 (more may follow), 0 (queued, wait
 * for on_writable) or -1 (the client side failed: st is finished). */
static int stream_send(struct snap_stream *st, const uint8_t *blob, size_t len, uint64_t remaining)
{
	Etcdserverpb__SnapshotResponse resp = ETCDSERVERPB__SNAPSHOT_RESPONSE__INIT;
	uint8_t packed[SNAP_MSG_BYTES + 64];
	int rc;

	resp.remaining_bytes = remaining;
	resp.blob.data = (uint8_t *)blob;
	resp.blob.len = len;
	if (!st->http) {
		size_t n = protobuf_c_message_pack(&resp.base, packed);
		rc = net_grpc_call_send(st->t.call, packed, n);
	} else {
		struct buf b;
		buf_init(&b, 2 * SNAP_MSG_BYTES + 256);
		/* grpc-gateway's stream framing: each message wrapped in
		 * {"result": ...} and followed by a newline. */
		if (buf_append_str(&b, "{\"result\":") != 0 || pbjson_encode(&resp.base, &b) != 0 ||
		    buf_append_str(&b, "}\n") != 0) {
			buf_free(&b);
			stream_finish(st, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
			return -1;
		}
		if (!st->http_begun) {
			net_http_stream_begin(st->t.req, 200, "application/json");
			st->http_begun = true;
		}
		rc = net_http_stream_write(st->t.req, buf_data(&b), buf_len(&b));
		buf_free(&b);
	}
	if (rc < 0) {
		/* The transport refused: the client is going away and on_cancel
		 * follows, or the queue could not grow. */
		stream_finish(st, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
		return -1;
	}
	metrics_grpc_msg_sent(st->metric);
	return rc > 0 ? 1 : 0;
}

static void stream_ask(struct snap_stream *st);

/* Sends what the current chunk holds, as far as the transport takes it;
 * then asks for the next chunk, or ends with the digest. */
static void stream_pump(struct snap_stream *st)
{
	while (!st->gone && !st->blocked && !st->asking) {
		if (st->chunk_off < st->chunk_len) {
			size_t n = st->chunk_len - st->chunk_off;
			if (n > SNAP_MSG_BYTES)
				n = SNAP_MSG_BYTES;
			const uint8_t *p = st->chunk + st->chunk_off;
			uint64_t left = st->after + (st->chunk_len - st->chunk_off - n);
			EVP_DigestUpdate(st->sha, p, n);
			st->chunk_off += n;
			int rc = stream_send(st, p, n, left);
			if (rc < 0)
				return;
			if (rc == 0)
				st->blocked = true;
			continue;
		}
		if (!st->storage_done) {
			stream_ask(st);
			return;
		}
		uint8_t digest[EVP_MAX_MD_SIZE];
		unsigned dlen = 0;
		EVP_DigestFinal_ex(st->sha, digest, &dlen);
		if (stream_send(st, digest, dlen, 0) < 0)
			return;
		stream_finish(st, GRPC_OK, NULL);
		return;
	}
}

static void on_chunk(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct snap_stream *st = arg;

	st->asking = false;
	if (st->gone) {
		if (ans && ans->body_case == CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_RESPONSE &&
		    !ans->db_stream_response->error) {
			st->stream_id = ans->db_stream_response->stream_id;
			st->storage_done = ans->db_stream_response->done;
		}
		stream_abandon(st);
		stream_release(st);
		return;
	}
	if (!ans) {
		/* storaged is away: etcd's answer when its backend does not. */
		st->storage_done = true;
		stream_finish(st, cetcd_err_grpc_code(CETCD_E_TIMEOUT), cetcd_err_message(CETCD_E_TIMEOUT));
		return;
	}
	if (ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_RESPONSE ||
	    ans->db_stream_response->error) {
		const Cetcd__Storage__Error *e = ans->body_case == CETCD__STORAGE__ENVELOPE__BODY_ERROR ?
		    ans->error : ans->body_case == CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_RESPONSE ?
		    ans->db_stream_response->error : NULL;
		st->storage_done = true;
		stream_finish(st, GRPC_UNKNOWN, e && e->message ? e->message : "snapshot: storage error");
		return;
	}
	Cetcd__Storage__DbStreamResponse *r = ans->db_stream_response;
	free(st->chunk);
	st->chunk = NULL;
	st->chunk_len = st->chunk_off = 0;
	if (r->chunk.len) {
		if (!(st->chunk = malloc(r->chunk.len))) {
			st->stream_id = r->stream_id;
			st->storage_done = r->done;
			stream_finish(st, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
			return;
		}
		memcpy(st->chunk, r->chunk.data, r->chunk.len);
		st->chunk_len = r->chunk.len;
	}
	st->stream_id = r->stream_id;
	st->after = r->remaining_bytes;
	st->storage_done = r->done;
	stream_pump(st);
}

static void stream_ask(struct snap_stream *st)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__DbStreamRequest r = CETCD__STORAGE__DB_STREAM_REQUEST__INIT;

	r.stream_id = st->stream_id;
	r.max_chunk = SNAP_CHUNK_BYTES;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_DB_STREAM_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_DB_STREAM_REQUEST;
	env.db_stream_request = &r;
	st->asking = true;
	/* The callback runs even when the call cannot be sent. */
	storage_client_call(server_reader(st->srv), &env, on_chunk, st);
}

static struct snap_stream *stream_new(const struct snap_binding *b)
{
	struct snap_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->srv = b->srv;
	st->metric = b->metric;
	if (!(st->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(st->sha, EVP_sha256(), NULL) != 1) {
		stream_free(st);
		return NULL;
	}
	return st;
}

/* ---------------------------------------------------------------- gRPC */

static void grpc_on_writable(struct net_grpc_call *call, void *user)
{
	struct snap_stream *st = user;

	st->blocked = false;
	stream_pump(st);
}

static void grpc_on_cancel(struct net_grpc_call *call, void *user, enum grpc_status why)
{
	struct snap_stream *st = user;

	metrics_grpc_handled(st->metric, (int)why);
	st->gone = true;
	st->t.call = NULL;
	stream_abandon(st);
	stream_release(st);
}

static void grpc_start(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len)
{
	static const struct net_grpc_callbacks cbs = {
		.on_writable = grpc_on_writable,
		.on_cancel = grpc_on_cancel,
	};
	const struct snap_binding *b = arg;
	Etcdserverpb__SnapshotRequest *req = etcdserverpb__snapshot_request__unpack(NULL, len, msg);
	struct snap_stream *st;

	if (!req) {
		net_grpc_call_finish(call, GRPC_STATUS_INTERNAL,
		    "grpc: error unmarshalling request: unexpected EOF");
		return;
	}
	etcdserverpb__snapshot_request__free_unpacked(req, NULL);
	metrics_grpc_started(b->metric);
	if (!(st = stream_new(b))) {
		metrics_grpc_handled(b->metric, GRPC_RESOURCE_EXHAUSTED);
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
		return;
	}
	st->t.call = call;
	net_grpc_call_set_callbacks(call, &cbs, st);
	stream_ask(st);
}

/* ---------------------------------------------------------------- gateway */

static void http_on_writable(struct net_http_req *req, void *user)
{
	struct snap_stream *st = user;

	st->blocked = false;
	stream_pump(st);
}

static void http_on_cancel(struct net_http_req *req, void *user)
{
	struct snap_stream *st = user;

	metrics_grpc_handled(st->metric, GRPC_CANCELED);
	st->gone = true;
	st->t.req = NULL;
	stream_abandon(st);
	stream_release(st);
}

static void http_start(struct net_http_req *hreq, void *arg)
{
	static const struct net_http_callbacks cbs = {
		.on_cancel = http_on_cancel,
		.on_writable = http_on_writable,
	};
	const struct snap_binding *b = arg;
	char err[4096];
	size_t len;
	const uint8_t *body = net_http_req_body(hreq, &len);
	ProtobufCMessage *req;
	struct snap_stream *st;

	if (!gwroute_check_method(hreq))
		return;
	req = pbjson_decode(&etcdserverpb__snapshot_request__descriptor, (const char *)body, len,
	    err, sizeof(err));
	if (!req) {
		svc_http_error(hreq, GRPC_INVALID_ARGUMENT, err);
		return;
	}
	protobuf_c_message_free_unpacked(req, NULL);
	metrics_grpc_started(b->metric);
	if (!(st = stream_new(b))) {
		metrics_grpc_handled(b->metric, GRPC_RESOURCE_EXHAUSTED);
		svc_http_error(hreq, GRPC_RESOURCE_EXHAUSTED, cetcd_err_message(CETCD_E_NO_MEMORY));
		return;
	}
	st->http = true;
	st->t.req = hreq;
	net_http_req_set_callbacks(hreq, &cbs, st);
	stream_ask(st);
}

int snapshot_rpc_register(struct net_server *ns, struct server *srv, const char *grpc_path,
    const char *gateway_path)
{
	struct snap_binding *b;

	if (n_bindings == SNAPSHOT_RPC_MAX_SERVERS)
		return -1;
	b = &bindings[n_bindings++];
	b->srv = srv;
	b->metric = metrics_grpc_method(grpc_path);
	struct net_grpc_method gm = { grpc_path, NET_GRPC_SERVER_STREAM, grpc_start, b };
	if (net_grpc_register(ns, &gm) != 0)
		return -1;
	if (gateway_path) {
		char beta[128];
		/* Any method: gwroute_check_method() answers the others. */
		if (net_http_route(ns, NULL, gateway_path, 0, http_start, b) != 0)
			return -1;
		if (strncmp(gateway_path, "/v3/", 4) == 0) {
			snprintf(beta, sizeof(beta), "/v3beta/%s", gateway_path + 4);
			if (net_http_route(ns, NULL, beta, 0, http_start, b) != 0)
				return -1;
		}
	}
	return 0;
}
