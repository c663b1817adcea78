/*
 * net_int.h: structures shared by the modules of daemon/net/ and nothing
 * else.  Not for other areas: they use net.h, http.h and grpc.h.
 *
 * Object graph (all owned top-down, freed bottom-up):
 *
 *   net_server ─┬─ net_listener*          (evconnlistener each)
 *               ├─ routes[], grpc methods[]
 *               └─ net_conn list ─┬─ sniff_conn   (MSG_PEEK until routed)
 *                                 ├─ h1_conn ── net_http_req (one at a time)
 *                                 └─ h2_conn ── h2_stream* ─┬─ net_http_req
 *                                                           └─ net_grpc_call
 */
#ifndef CETCD_DAEMON_NET_NET_INT_H
#define CETCD_DAEMON_NET_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <nghttp2/nghttp2.h>

#include "common/buf.h"
#include "daemon/net/grpc.h"
#include "daemon/net/grpc_wire.h"
#include "daemon/net/http.h"
#include "daemon/net/net.h"

/* Largest request head (request line + headers) on HTTP/1.1, and largest
 * header block we keep for one HTTP/2 stream.  Go's default is 1 MiB; a
 * smaller cap keeps per-connection memory low and etcd clients send a
 * handful of short headers. */
#define NET_MAX_HEADER_BYTES (64u * 1024u)

/* ---- connections ---------------------------------------------------- */

enum net_conn_kind { NET_CONN_SNIFF, NET_CONN_H1, NET_CONN_H2 };

struct net_conn {
	struct net_server *srv;
	struct net_conn *prev, *next; /* in srv->conns */
	enum net_conn_kind kind;
	/* Cancels what is in flight and frees the connection (and its fd). */
	void (*destroy)(struct net_conn *c);
};

/* ---- server ----------------------------------------------------------- */

struct net_route {
	char *method; /* NULL: any */
	char *path;
	unsigned flags;
	net_http_handler_fn *handler;
	void *arg;
};

struct net_grpc_method_ent {
	char *path;       /* "/svc/Method" */
	size_t svc_len;   /* length of "/svc" */
	enum net_grpc_kind kind;
	void (*start)(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len);
	void *arg;
};

struct net_listener;

struct net_server {
	struct event_base *base;
	struct net_config cfg;
	size_t grpc_max_recv;         /* max_request_bytes + NET_GRPC_OVERHEAD_BYTES */
	struct net_listener *listeners;
	size_t n_listeners;
	struct net_conn conns;        /* sentinel of a circular list */
	size_t n_conns;
	size_t n_active;              /* calls + requests handed to handlers */
	bool paused;                  /* listeners disabled by the conn cap */
	bool stopped;                 /* net_server_stop_accepting */
	struct net_route *routes;
	size_t n_routes;
	struct net_grpc_method_ent *methods;
	size_t n_methods;
};

void net_conn_link(struct net_server *s, struct net_conn *c, enum net_conn_kind kind,
		   void (*destroy)(struct net_conn *c));
/* Unlinks and updates the count (resumes accepting below the cap); the
 * caller frees the memory. */
void net_conn_unlink(struct net_conn *c);

/* Routed connections take over the fd (nothing consumed from it). */
int h1_conn_start(struct net_server *s, int fd);
int h2_conn_start(struct net_server *s, int fd);

/* ---- HTTP requests (http_req.c), shared by HTTP/1.1 and HTTP/2 -------- */

struct net_http_backend {
	/* Writes the response head.  content_length < 0: streaming. */
	int (*begin)(struct net_http_req *req, int status, const char *ctype, int64_t content_length);
	/* Queues body bytes; 1 / 0 (above watermark) / negative errno. */
	int (*write)(struct net_http_req *req, const void *data, size_t len);
	/* The response is complete: the backend frees req (now or later). */
	void (*end)(struct net_http_req *req);
};

struct net_http_req {
	struct net_server *srv;
	const struct net_http_backend *be;
	void *be_ctx;            /* struct h1_conn * or struct h2_stream * */
	int version;             /* 1 or 2 */
	bool http10;             /* HTTP/1.0 request */
	/* Request head: "name\0value\0" pairs, names lowercase; pseudo
	 * headers ":method", ":path" (raw target) first. */
	struct buf hdrs;
	const char *method, *path, *query; /* into pathbuf / hdrs, set by net_http_req_ready */
	char *pathbuf;           /* path and query, split, NUL-terminated */
	struct buf body;         /* cap: cfg.max_http_body */
	struct buf resp_hdrs;    /* "name\0value\0" pairs added by the handler */
	struct net_http_callbacks cb;
	void *user;
	bool dispatched;         /* handler called (counts in n_active) */
	bool answered;           /* head written */
	bool streaming;
	bool finished;           /* end() called */
	bool cancelled;
};

struct net_http_req *net_http_req_new(struct net_server *s, const struct net_http_backend *be,
				      void *be_ctx, int version);
/* Appends a header pair (name lowercased).  -ENOBUFS past NET_MAX_HEADER_BYTES. */
int net_http_req_add_hdr(struct net_http_req *req, const char *name, size_t nlen,
			 const char *value, size_t vlen);
/* Called once the head is complete: sets method/path/query.  -EINVAL if
 * :method or :path is missing. */
int net_http_req_ready(struct net_http_req *req);
/* Finds the route and calls the handler (or answers 404). */
void net_http_req_dispatch(struct net_http_req *req);
/* The transport lost the request: calls on_cancel if the handler has it
 * and has not finished.  Does not free. */
void net_http_req_cancel(struct net_http_req *req);
void net_http_req_free(struct net_http_req *req);
/* Looks up a "name\0value\0" list. */
const char *net_hdrs_get(const struct buf *hdrs, const char *name);
/* Iterates a "name\0value\0" list: returns the offset of the next pair or
 * 0 at the end; *name / *value point into the buffer. */
size_t net_hdrs_next(const struct buf *hdrs, size_t off, const char **name, const char **value);
/* Answers a plain-text error (Go's http.Error style) and ends the request. */
void net_http_req_error(struct net_http_req *req, int status, const char *text);

/* ---- HTTP/2 streams (h2.c), used by grpc.c and the HTTP/2 backend ------ */

struct h2_conn;

enum h2_role { H2_ROLE_NONE = 0, H2_ROLE_HTTP, H2_ROLE_GRPC, H2_ROLE_REFUSED };

struct h2_stream {
	struct h2_conn *conn;
	struct h2_stream *prev, *next;
	int32_t id;
	enum h2_role role;
	struct buf hdrs;            /* request header block, "name\0value\0" */
	struct evbuffer *out;       /* response body bytes not yet framed */
	struct buf trailers;        /* "name\0value\0" sent after out drains */
	size_t charged;             /* bytes counted in conn->recv_buffered */
	bool remote_closed;         /* END_STREAM received */
	bool resp_submitted;        /* response HEADERS submitted */
	bool out_eof;               /* no more body; send trailers / END_STREAM */
	bool deferred;              /* data provider returned DEFERRED */
	bool above_high;            /* out went above the high watermark */
	bool notify_writable;       /* tell the upper layer it may write */
	struct net_grpc_call *call; /* role GRPC */
	struct net_http_req *req;   /* role HTTP */
};

/* Submits response headers (copied by nghttp2).  With has_body, a data
 * provider reads from st->out; without, END_STREAM is on the HEADERS. */
int h2_stream_submit_headers(struct h2_stream *st, const nghttp2_nv *nv, size_t n, bool has_body);
/* Queues body bytes: 1, 0 (above high watermark) or negative errno. */
int h2_stream_write(struct h2_stream *st, const void *data, size_t len, size_t high);
/* No more body; trailers (may be NULL) go after it. */
int h2_stream_end(struct h2_stream *st, const nghttp2_nv *trailers, size_t n);
void h2_stream_reset(struct h2_stream *st, uint32_t error_code);
/* Charges / releases bytes against the connection's receive budget:
 * -ENOBUFS if the budget would be exceeded. */
int h2_stream_charge(struct h2_stream *st, size_t n);
void h2_stream_uncharge(struct h2_stream *st, size_t n);
/* Asks for the session to be flushed from the event loop soon. */
void h2_stream_kick(struct h2_stream *st);
struct net_server *h2_stream_server(const struct h2_stream *st);

/* ---- gRPC calls (grpc.c), driven by h2.c ------------------------------ */

/* The header block of a gRPC stream is complete: find the method, start
 * the call or answer an error.  Sets st->call. */
void grpc_stream_open(struct h2_stream *st);
void grpc_stream_data(struct h2_stream *st, const uint8_t *data, size_t len);
void grpc_stream_remote_end(struct h2_stream *st);
/* The stream is closing (or the connection): cancels an unfinished call
 * and frees it. */
void grpc_stream_closed(struct h2_stream *st, bool cancelled);
void grpc_stream_writable(struct h2_stream *st);

#endif
