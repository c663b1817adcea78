/*
 * http: the HTTP handler API of cetcd's network layer, the same for
 * HTTP/1.1 connections and for non-gRPC requests on HTTP/2 (h2c).
 *
 * A handler is registered for a method and a path (exact, or a prefix such
 * as "/v3/").  It is called once the whole request body has arrived (the
 * body is bounded by net_config.max_http_body: larger ones are answered
 * 413 without calling any handler).  It may answer at once or later from
 * any event on the server's event loop, e.g. after a Raft commit:
 *
 *   static void put_handler(struct net_http_req *req, void *arg)
 *   {
 *           size_t len;
 *           const uint8_t *body = net_http_req_body(req, &len);
 *           net_http_req_set_callbacks(req, on_cancel, NULL, ctx);
 *           ... propose; later: net_http_respond(req, 200, "application/json", out, n);
 *   }
 *
 * Streaming responses (the gateway's /v3/watch, lease keep-alive) use
 * net_http_stream_begin / _write / _end: chunked encoding on HTTP/1.1,
 * DATA frames on HTTP/2.
 *
 * Lifetime and ownership of struct net_http_req:
 *  - owned by the network layer; valid from the handler call until the
 *    handler ends the response (net_http_respond or net_http_stream_end),
 *    or until its on_cancel callback has returned, whichever comes first.
 *    After that the pointer must not be used.
 *  - on_cancel is called when the client goes away (connection closed,
 *    RST_STREAM) or the server shuts down.  A handler that answers
 *    asynchronously MUST set on_cancel and forget the request in it.
 *    Inside on_cancel, respond/stream calls are accepted and ignored.
 *  - Strings and the body returned by the getters point into the request
 *    and live as long as it does.
 *  - Data passed to respond/write is copied; the caller keeps ownership.
 */
#ifndef CETCD_DAEMON_NET_HTTP_H
#define CETCD_DAEMON_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_server;
struct net_http_req;

typedef void net_http_handler_fn(struct net_http_req *req, void *arg);

/* Route flags. */
#define NET_HTTP_PREFIX 0x1 /* path is a prefix ("/v3/"), not an exact path */

/*
 * Registers handler for requests whose method equals method (NULL: any
 * method) and whose path (without the query) equals path, or starts with
 * it with NET_HTTP_PREFIX.  Exact routes win over prefixes; among
 * prefixes the longest wins.  Unmatched requests get Go's
 * "404 page not found".  Strings are copied.  Returns 0 or -ENOMEM.
 */
int net_http_route(struct net_server *s, const char *method, const char *path, unsigned flags,
		   net_http_handler_fn *handler, void *arg);

/* Request accessors.  Strings are NUL-terminated. */
const char *net_http_req_method(const struct net_http_req *req);
/* The path without the query ("/v3/kv/put"). */
const char *net_http_req_path(const struct net_http_req *req);
/* The raw query after '?', or "" if none. */
const char *net_http_req_query(const struct net_http_req *req);
/* The value of the first header named name (case-insensitive), or NULL. */
const char *net_http_req_header(const struct net_http_req *req, const char *name);
/* The body (possibly empty, never NULL). */
const uint8_t *net_http_req_body(const struct net_http_req *req, size_t *len);
/* 1 for HTTP/1.x, 2 for HTTP/2. */
int net_http_req_version(const struct net_http_req *req);

struct net_http_callbacks {
	/* The client went away or the server is closing; the request dies
	 * when this returns. */
	void (*on_cancel)(struct net_http_req *req, void *user);
	/* A streaming response's queued output fell below the low
	 * watermark: the producer may write again (see net_http_stream_write). */
	void (*on_writable)(struct net_http_req *req, void *user);
};
/* Sets the callbacks (copied) and the user pointer given to them. */
void net_http_req_set_callbacks(struct net_http_req *req, const struct net_http_callbacks *cb,
				void *user);

/* Adds a response header (before respond / stream_begin).  Copied.
 * Returns 0, -EINVAL (already answered, or bad characters) or -ENOBUFS. */
int net_http_add_header(struct net_http_req *req, const char *name, const char *value);

/* Answers with a whole body and ends the request (Content-Length is set;
 * content_type may be NULL).  Returns 0 or a negative errno; the request
 * is finished either way. */
int net_http_respond(struct net_http_req *req, int status, const char *content_type,
		     const void *body, size_t len);

/* Starts a streaming response of unknown length. */
int net_http_stream_begin(struct net_http_req *req, int status, const char *content_type);
/*
 * Queues data (copied).  Returns 1 if the data was queued and more may be
 * written, 0 if it was queued but the output queue is now above its high
 * watermark (NET_HTTP_STREAM_HIGH): the producer should wait for
 * on_writable before writing again; a negative errno if the request is
 * gone or cancelled (nothing queued).
 */
int net_http_stream_write(struct net_http_req *req, const void *data, size_t len);
/* Ends the streaming response; the request is finished. */
int net_http_stream_end(struct net_http_req *req);

#define NET_HTTP_STREAM_HIGH (256u * 1024u)
#define NET_HTTP_STREAM_LOW (64u * 1024u)

/* The reason phrase of a status code ("Not Found"), as Go's
 * http.StatusText; "" if unknown.  Static storage. */
const char *net_http_status_text(int status);

#endif
