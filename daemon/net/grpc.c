/*
 * grpc: gRPC calls on HTTP/2 streams.
 *
 * Owns struct net_grpc_call (one per gRPC stream): its message parser, its
 * deadline timer and its status; and the method registry lookups.  Turns
 * DATA into whole messages for handlers and handler answers into HEADERS /
 * DATA / trailers through h2.c.  Never blocks, never touches sockets
 * itself; runs on cetcd's event loop.  Error codes and texts are grpc-go's
 * (server.go handleStream / processUnaryRPC, rpc_util.go recvMsg), the
 * receive limit etcd's (v3rpc/grpc.go: --max-request-bytes + 512 KiB).
 *
 * Call states (flags):  opened ──first msg / stream open──> started
 *   started ──finish()──> finished            (handler done, pointer dropped)
 *   started ──RST / deadline / close──> cancelled (on_cancel, then the layer
 *                                                  answers if it still can)
 *   opened ──bad method / bad headers──> finished by the layer (no handler)
 * The call is freed when its stream closes (grpc_stream_closed).
 */
#include "daemon/net/net_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

struct net_grpc_call {
	struct h2_stream *st;
	const struct net_grpc_method_ent *m; /* NULL if unknown */
	struct grpc_wire_parser parser;
	struct net_grpc_callbacks cb;
	void *user;
	struct event *deadline_ev;
	int64_t deadline_ns;  /* CLOCK_MONOTONIC, or -1 */
	bool started;         /* the handler has the call (counts in n_active) */
	bool finished;        /* status written */
	bool cancelled;       /* on_cancel given */
	bool headers_sent;
	bool got_message;     /* unary / server-stream: the request is in */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- registry ------------------------------------------------------------ */

int net_grpc_register(struct net_server *s, const struct net_grpc_method *m)
{
	struct net_grpc_method_ent *e;
	const char *slash;
	size_t i;

	if (m->path == NULL || m->path[0] != '/' || m->start == NULL)
		return -EINVAL;
	slash = strrchr(m->path, '/');
	if (slash == m->path || slash[1] == '\0')
		return -EINVAL;
	for (i = 0; i < s->n_methods; i++)
		if (strcmp(s->methods[i].path, m->path) == 0)
			return -EEXIST;
	e = realloc(s->methods, (s->n_methods + 1) * sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	s->methods = e;
	e = &s->methods[s->n_methods];
	e->path = strdup(m->path);
	if (e->path == NULL)
		return -ENOMEM;
	e->svc_len = (size_t)(slash - m->path);
	e->kind = m->kind;
	e->start = m->start;
	e->arg = m->arg;
	s->n_methods++;
	return 0;
}

/* Finds path; sets *svc_known when only the method is unknown. */
static const struct net_grpc_method_ent *method_find(const struct net_server *s, const char *path,
						     size_t svc_len, bool *svc_known)
{
	size_t i;

	*svc_known = false;
	for (i = 0; i < s->n_methods; i++) {
		const struct net_grpc_method_ent *e = &s->methods[i];
		if (strcmp(e->path, path) == 0)
			return e;
		if (e->svc_len == svc_len && strncmp(e->path, path, svc_len) == 0)
			*svc_known = true;
	}
	return NULL;
}

/* ---- writing status and messages ---------------------------------------- */

static void call_release_active(struct net_grpc_call *call)
{
	if (call->started && !call->finished && !call->cancelled)
		h2_stream_server(call->st)->n_active--;
}

static void nv_set(nghttp2_nv *nv, const char *name, const char *value)
{
	nv->name = (uint8_t *)name;
	nv->namelen = strlen(name);
	nv->value = (uint8_t *)value;
	nv->valuelen = strlen(value);
	nv->flags = NGHTTP2_NV_FLAG_NONE;
}

/* Writes the status: trailers after the messages, or a Trailers-Only
 * response (one HEADERS frame) if nothing was sent. */
static void call_write_status(struct net_grpc_call *call, enum grpc_status code, const char *msg)
{
	nghttp2_nv nv[4];
	char codebuf[12], *enc = NULL;
	size_t k = 0, need, mlen = msg ? strlen(msg) : 0;

	call->finished = true;
	if (call->deadline_ev)
		event_del(call->deadline_ev);
	snprintf(codebuf, sizeof(codebuf), "%d", (int)code);
	if (!call->headers_sent) {
		nv_set(&nv[k++], ":status", "200");
		nv_set(&nv[k++], "content-type", "application/grpc");
	}
	nv_set(&nv[k++], "grpc-status", codebuf);
	if (mlen > 0) {
		need = grpc_wire_percent_encode(msg, mlen, NULL, 0);
		enc = malloc(need + 1);
		if (enc) {
			grpc_wire_percent_encode(msg, mlen, enc, need + 1);
			nv_set(&nv[k++], "grpc-message", enc);
		}
	}
	if (!call->headers_sent) {
		call->headers_sent = true;
		h2_stream_submit_headers(call->st, nv, k, false);
	} else {
		h2_stream_end(call->st, nv, k);
	}
	free(enc);
}

/* The layer ends the call (error, deadline): the handler, if it has the
 * call, is told first. */
static void call_abort(struct net_grpc_call *call, enum grpc_status code, const char *msg)
{
	if (call->finished)
		return;
	if (call->started && !call->cancelled) {
		h2_stream_server(call->st)->n_active--;
		call->cancelled = true;
		if (call->cb.on_cancel)
			call->cb.on_cancel(call, call->user, code);
	}
	call_write_status(call, code, msg);
}

void net_grpc_call_finish(struct net_grpc_call *call, enum grpc_status code, const char *message)
{
	if (call->cancelled || call->finished)
		return;
	call_release_active(call);
	call_write_status(call, code, message);
}

int net_grpc_call_send(struct net_grpc_call *call, const uint8_t *msg, size_t len)
{
	uint8_t prefix[GRPC_WIRE_PREFIX];
	nghttp2_nv nv[2];
	int rc;

	if (call->cancelled)
		return -ECANCELED;
	if (call->finished)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	if (!call->headers_sent) {
		nv_set(&nv[0], ":status", "200");
		nv_set(&nv[1], "content-type", "application/grpc");
		rc = h2_stream_submit_headers(call->st, nv, 2, true);
		if (rc != 0)
			return rc;
		call->headers_sent = true;
	}
	grpc_wire_prefix(prefix, (uint32_t)len);
	rc = h2_stream_write(call->st, prefix, sizeof(prefix), SIZE_MAX);
	if (rc >= 0 && len > 0)
		rc = h2_stream_write(call->st, msg, len, NET_GRPC_SEND_HIGH);
	return rc;
}

void net_grpc_call_reply(struct net_grpc_call *call, const uint8_t *msg, size_t len)
{
	int rc = net_grpc_call_send(call, msg, len);

	if (rc < 0 && !call->cancelled && !call->finished)
		net_grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "cetcd: cannot queue response");
	else
		net_grpc_call_finish(call, GRPC_STATUS_OK, NULL);
}

void net_grpc_call_set_callbacks(struct net_grpc_call *call, const struct net_grpc_callbacks *cb,
				 void *user)
{
	if (cb)
		call->cb = *cb;
	else
		memset(&call->cb, 0, sizeof(call->cb));
	call->user = user;
}

const char *net_grpc_call_path(const struct net_grpc_call *call)
{
	return call->m ? call->m->path : "";
}

const char *net_grpc_call_header(const struct net_grpc_call *call, const char *name)
{
	if (name[0] == ':')
		return NULL;
	return net_hdrs_get(&call->st->hdrs, name);
}

int64_t net_grpc_call_remaining_ns(const struct net_grpc_call *call)
{
	int64_t left;

	if (call->deadline_ns < 0)
		return -1;
	left = call->deadline_ns - mono_ns();
	return left > 0 ? left : 0;
}

/* ---- driven by h2.c ---------------------------------------------------------- */

static void call_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	/* grpc-go cancels the handler's context; the text is Go's
	 * context.DeadlineExceeded. */
	call_abort(arg, GRPC_STATUS_DEADLINE_EXCEEDED, "context deadline exceeded");
	h2_stream_kick(((struct net_grpc_call *)arg)->st);
}

static void call_start(struct net_grpc_call *call, const uint8_t *msg, size_t len)
{
	call->started = true;
	h2_stream_server(call->st)->n_active++;
	call->m->start(call, call->m->arg, msg, len);
}

void grpc_stream_open(struct h2_stream *st)
{
	struct net_server *s = h2_stream_server(st);
	struct net_grpc_call *call = calloc(1, sizeof(*call));
	const char *path, *tmo, *enc, *slash;
	char err[160], text[512];
	bool svc_known;
	int64_t ns;

	if (call == NULL) {
		st->role = H2_ROLE_REFUSED;
		h2_stream_reset(st, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	call->st = st;
	call->deadline_ns = -1;
	grpc_wire_parser_init(&call->parser, s->grpc_max_recv);
	st->call = call;

	tmo = net_hdrs_get(&st->hdrs, "grpc-timeout");
	if (tmo) {
		if (grpc_wire_parse_timeout(tmo, strlen(tmo), &ns, err, sizeof(err)) != 0) {
			snprintf(text, sizeof(text), "transport: malformed time-out: %s", err);
			call_write_status(call, GRPC_STATUS_INTERNAL, text);
			return;
		}
		/* Deadlines beyond a year are as good as none. */
		if (ns < 365LL * 24 * 3600 * 1000000000LL) {
			struct timeval tv = { .tv_sec = ns / 1000000000LL,
					      .tv_usec = (ns % 1000000000LL) / 1000 };
			call->deadline_ns = mono_ns() + ns;
			call->deadline_ev = event_new(s->base, -1, 0, call_deadline_cb, call);
			if (call->deadline_ev == NULL || event_add(call->deadline_ev, &tv) != 0) {
				call_write_status(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "cetcd: out of memory");
				return;
			}
		}
	}

	path = net_hdrs_get(&st->hdrs, ":path");
	if (path == NULL)
		path = "";
	slash = strrchr(path, '/');
	if (path[0] != '/' || slash == NULL || slash == path) {
		/* grpc-go handleStream answers a path without '/' this way. */
		snprintf(text, sizeof(text), "malformed method name: \"%s\"", path);
		call_write_status(call, GRPC_STATUS_RESOURCE_EXHAUSTED, text);
		return;
	}
	call->m = method_find(s, path, (size_t)(slash - path), &svc_known);
	if (call->m == NULL) {
		if (svc_known)
			snprintf(text, sizeof(text), "unknown method %s for service %.*s", slash + 1,
				 (int)(slash - path - 1), path + 1);
		else
			snprintf(text, sizeof(text), "unknown service %.*s", (int)(slash - path - 1),
				 path + 1);
		call_write_status(call, GRPC_STATUS_UNIMPLEMENTED, text);
		return;
	}
	enc = net_hdrs_get(&st->hdrs, "grpc-encoding");
	if (enc && *enc && strcmp(enc, "identity") != 0) {
		snprintf(text, sizeof(text), "grpc: Decompressor is not installed for grpc-encoding \"%s\"",
			 enc);
		call_write_status(call, GRPC_STATUS_UNIMPLEMENTED, text);
		return;
	}
	if (call->m->kind == NET_GRPC_CLIENT_STREAM || call->m->kind == NET_GRPC_BIDI)
		call_start(call, NULL, 0);
}

static void call_deliver(struct net_grpc_call *call, const uint8_t *msg, size_t len)
{
	switch (call->m->kind) {
	case NET_GRPC_UNARY:
	case NET_GRPC_SERVER_STREAM:
		/* Only the first message is read, as grpc-go's unary and
		 * server-streaming paths do; extra ones are dropped. */
		if (!call->got_message) {
			call->got_message = true;
			call_start(call, msg, len);
		}
		break;
	case NET_GRPC_CLIENT_STREAM:
	case NET_GRPC_BIDI:
		if (call->cb.on_message && !call->cancelled)
			call->cb.on_message(call, call->user, msg, len);
		break;
	}
}

void grpc_stream_data(struct h2_stream *st, const uint8_t *data, size_t len)
{
	struct net_grpc_call *call = st->call;
	enum grpc_wire_result r;
	const uint8_t *msg;
	size_t consumed, mlen;
	char text[160];

	if (call->finished || call->m == NULL)
		return; /* answered already: the rest is dropped */
	if (h2_stream_charge(st, len) != 0) {
		call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
			   "cetcd: too much request data buffered on this connection");
		return;
	}
	while (len > 0 && !call->finished) {
		r = grpc_wire_parser_feed(&call->parser, data, len, &consumed, &msg, &mlen);
		data += consumed;
		len -= consumed;
		switch (r) {
		case GRPC_WIRE_MESSAGE:
			call_deliver(call, msg, mlen);
			continue;
		case GRPC_WIRE_NEED_MORE:
			continue;
		case GRPC_WIRE_TOO_LARGE:
			snprintf(text, sizeof(text), "grpc: received message larger than max (%u vs. %zu)",
				 call->parser.msg_len, call->parser.max_msg);
			call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, text);
			break;
		case GRPC_WIRE_COMPRESSED:
			/* No grpc-encoding (we refuse any other at open). */
			call_abort(call, GRPC_STATUS_INTERNAL,
				   "grpc: compressed flag set with identity or empty encoding");
			break;
		case GRPC_WIRE_BAD_FLAG:
			snprintf(text, sizeof(text), "grpc: received unexpected payload format %u",
				 call->parser.flag);
			call_abort(call, GRPC_STATUS_INTERNAL, text);
			break;
		case GRPC_WIRE_NOMEM:
			call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "cetcd: out of memory");
			break;
		}
		break;
	}
	/* Only what the parser still holds stays charged. */
	h2_stream_uncharge(st, st->charged - grpc_wire_parser_buffered(&call->parser));
}

void grpc_stream_remote_end(struct h2_stream *st)
{
	struct net_grpc_call *call = st->call;

	if (call->finished || call->m == NULL)
		return;
	if (!grpc_wire_parser_idle(&call->parser) ||
	    ((call->m->kind == NET_GRPC_UNARY || call->m->kind == NET_GRPC_SERVER_STREAM) &&
	     !call->got_message)) {
		/* grpc-go: io.ErrUnexpectedEOF as codes.Internal. */
		call_abort(call, GRPC_STATUS_INTERNAL, "unexpected EOF");
		return;
	}
	if ((call->m->kind == NET_GRPC_CLIENT_STREAM || call->m->kind == NET_GRPC_BIDI) &&
	    call->cb.on_half_close && !call->cancelled)
		call->cb.on_half_close(call, call->user);
}

void grpc_stream_writable(struct h2_stream *st)
{
	struct net_grpc_call *call = st->call;

	if (!call->finished && !call->cancelled && call->cb.on_writable)
		call->cb.on_writable(call, call->user);
}

void grpc_stream_closed(struct h2_stream *st, bool cancelled)
{
	struct net_grpc_call *call = st->call;

	(void)cancelled;
	if (call->started && !call->finished && !call->cancelled) {
		h2_stream_server(st)->n_active--;
		call->cancelled = true;
		if (call->cb.on_cancel)
			call->cb.on_cancel(call, call->user, GRPC_STATUS_CANCELLED);
	}
	if (call->deadline_ev)
		event_free(call->deadline_ev);
	grpc_wire_parser_free(&call->parser);
	st->call = NULL;
	free(call);
}
