/*
 * h2: HTTP/2 connections (h2c, prior knowledge) on nghttp2's server session.
 *
 * Owns per connection: one bufferevent (and the fd), one nghttp2_session,
 * the h2_stream objects and their bounded output queues; hands each
 * stream to grpc.c (content-type application/grpc*) or to the HTTP
 * handlers.  Never blocks; runs on cetcd's event loop.
 *
 * Memory bounds, per connection:
 *  - output: nghttp2 is asked for frames only while the socket's output
 *    buffer is under H2_OUT_HIGH, and reading stops while it is above, so
 *    a client that does not read cannot make us queue without bound;
 *  - per stream: producers are told to pause above the high watermark
 *    (see grpc.h / http.h); DATA is framed from the queue only as flow
 *    control allows;
 *  - input: partially received messages/bodies count against
 *    cfg.h2_recv_budget; streams are capped by SETTINGS_MAX_CONCURRENT_STREAMS
 *    and header blocks by NET_MAX_HEADER_BYTES.
 *
 * nghttp2 callbacks never free the connection: teardown happens only at the
 * top of an event callback (read, write, event, flush).
 */
#include "daemon/net/net_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define H2_OUT_HIGH (64u * 1024u)
#define H2_OUT_LOW (16u * 1024u)
/* Flow-control windows we grant.  Larger than the 64 KiB default so big
 * requests stream at full speed; memory stays capped by the budget. */
#define H2_STREAM_WINDOW (1u << 20)
#define H2_CONN_WINDOW (8u << 20)

struct h2_conn {
	struct net_conn base;
	struct bufferevent *bev;
	nghttp2_session *sess;
	struct event *flush_ev;
	struct h2_stream streams; /* sentinel of the stream list */
	size_t recv_buffered;     /* partial request bytes held, all streams */
	bool closing;             /* session over: free once output drained */
	bool read_paused;
	bool notify_pending;      /* some stream has notify_writable */
};

static void h2_destroy(struct net_conn *nc);

struct net_server *h2_stream_server(const struct h2_stream *st)
{
	return st->conn->base.srv;
}

/* ---- streams ----------------------------------------------------------- */

static struct h2_stream *h2_stream_new(struct h2_conn *c, int32_t id)
{
	struct h2_stream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->conn = c;
	st->id = id;
	buf_init(&st->hdrs, NET_MAX_HEADER_BYTES);
	buf_init(&st->trailers, 4096);
	st->next = &c->streams;
	st->prev = c->streams.prev;
	c->streams.prev->next = st;
	c->streams.prev = st;
	return st;
}

/* Tells the upper layer the stream is gone and frees it. */
static void h2_stream_free(struct h2_stream *st, bool cancelled)
{
	struct h2_conn *c = st->conn;

	if (st->call)
		grpc_stream_closed(st, cancelled);
	if (st->req) {
		net_http_req_cancel(st->req);
		net_http_req_free(st->req);
		st->req = NULL;
	}
	c->recv_buffered -= st->charged;
	st->prev->next = st->next;
	st->next->prev = st->prev;
	if (c->sess)
		nghttp2_session_set_stream_user_data(c->sess, st->id, NULL);
	buf_free(&st->hdrs);
	buf_free(&st->trailers);
	if (st->out)
		evbuffer_free(st->out);
	free(st);
}

int h2_stream_charge(struct h2_stream *st, size_t n)
{
	struct h2_conn *c = st->conn;

	if (n > c->base.srv->cfg.h2_recv_budget - c->recv_buffered)
		return -ENOBUFS;
	c->recv_buffered += n;
	st->charged += n;
	return 0;
}

void h2_stream_uncharge(struct h2_stream *st, size_t n)
{
	if (n > st->charged)
		n = st->charged;
	st->charged -= n;
	st->conn->recv_buffered -= n;
}

void h2_stream_kick(struct h2_stream *st)
{
	event_active(st->conn->flush_ev, EV_WRITE, 1);
}

static ssize_t h2_data_read_cb(nghttp2_session *sess, int32_t id, uint8_t *dst, size_t length,
			       uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct h2_stream *st = src->ptr;
	size_t have = st->out ? evbuffer_get_length(st->out) : 0, n;

	(void)user;
	if (have == 0 && !st->out_eof) {
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	n = have < length ? have : length;
	if (n > 0)
		evbuffer_remove(st->out, dst, n);
	if (st->out_eof && have == n) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (buf_len(&st->trailers) > 0) {
			nghttp2_nv nv[8];
			const char *name, *value;
			size_t off = 0, k = 0;

			while (k < 8 && (off = net_hdrs_next(&st->trailers, off, &name, &value)) != 0) {
				nv[k].name = (uint8_t *)name;
				nv[k].namelen = strlen(name);
				nv[k].value = (uint8_t *)value;
				nv[k].valuelen = strlen(value);
				nv[k].flags = NGHTTP2_NV_FLAG_NONE;
				k++;
			}
			if (nghttp2_submit_trailer(sess, id, nv, k) == 0)
				*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
		}
	}
	if (st->above_high && have - n <= NET_GRPC_SEND_LOW) {
		st->above_high = false;
		st->notify_writable = true;
		st->conn->notify_pending = true;
	}
	return (ssize_t)n;
}

int h2_stream_submit_headers(struct h2_stream *st, const nghttp2_nv *nv, size_t n, bool has_body)
{
	nghttp2_data_provider prd;
	int rc;

	prd.source.ptr = st;
	prd.read_callback = h2_data_read_cb;
	rc = nghttp2_submit_response(st->conn->sess, st->id, nv, n, has_body ? &prd : NULL);
	if (rc != 0)
		return -EPROTO;
	st->resp_submitted = true;
	if (!has_body)
		st->out_eof = true;
	h2_stream_kick(st);
	return 0;
}

int h2_stream_write(struct h2_stream *st, const void *data, size_t len, size_t high)
{
	if (st->out_eof)
		return -EPIPE;
	if (st->out == NULL && (st->out = evbuffer_new()) == NULL)
		return -ENOMEM;
	if (evbuffer_add(st->out, data, len) != 0)
		return -ENOMEM;
	if (st->deferred) {
		st->deferred = false;
		nghttp2_session_resume_data(st->conn->sess, st->id);
	}
	h2_stream_kick(st);
	if (evbuffer_get_length(st->out) > high) {
		st->above_high = true;
		return 0;
	}
	return 1;
}

int h2_stream_end(struct h2_stream *st, const nghttp2_nv *trailers, size_t n)
{
	size_t i;
	int rc;

	if (st->out_eof)
		return -EPIPE;
	for (i = 0; i < n; i++) {
		rc = buf_append(&st->trailers, trailers[i].name, trailers[i].namelen);
		if (rc == 0)
			rc = buf_put_u8(&st->trailers, 0);
		if (rc == 0)
			rc = buf_append(&st->trailers, trailers[i].value, trailers[i].valuelen);
		if (rc == 0)
			rc = buf_put_u8(&st->trailers, 0);
		if (rc != 0)
			return rc;
	}
	st->out_eof = true;
	if (st->deferred) {
		st->deferred = false;
		nghttp2_session_resume_data(st->conn->sess, st->id);
	}
	h2_stream_kick(st);
	return 0;
}

void h2_stream_reset(struct h2_stream *st, uint32_t error_code)
{
	nghttp2_submit_rst_stream(st->conn->sess, NGHTTP2_FLAG_NONE, st->id, error_code);
	h2_stream_kick(st);
}

/* ---- HTTP (non-gRPC) requests over HTTP/2 --------------------------------- */

static int h2_http_begin(struct net_http_req *req, int status, const char *ctype, int64_t clen)
{
	struct h2_stream *st = req->be_ctx;
	nghttp2_nv nv[40];
	char sbuf[8], lbuf[24], date[64];
	const char *name, *value;
	size_t k = 0, off = 0;
	struct tm tm;
	time_t now = time(NULL);

#define NV(n, v)                                                                  \
	do {                                                                      \
		nv[k].name = (uint8_t *)(n);                                      \
		nv[k].namelen = strlen(n);                                        \
		nv[k].value = (uint8_t *)(v);                                     \
		nv[k].valuelen = strlen(v);                                       \
		nv[k].flags = NGHTTP2_NV_FLAG_NONE;                               \
		k++;                                                              \
	} while (0)
	snprintf(sbuf, sizeof(sbuf), "%d", status);
	NV(":status", sbuf);
	if (ctype)
		NV("content-type", ctype);
	while (k < 36 && (off = net_hdrs_next(&req->resp_hdrs, off, &name, &value)) != 0)
		NV(name, value);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	NV("date", date);
	if (clen >= 0) {
		snprintf(lbuf, sizeof(lbuf), "%lld", (long long)clen);
		NV("content-length", lbuf);
	}
#undef NV
	return h2_stream_submit_headers(st, nv, k, clen != 0);
}

static int h2_http_write(struct net_http_req *req, const void *data, size_t len)
{
	return h2_stream_write(req->be_ctx, data, len, NET_HTTP_STREAM_HIGH);
}

static void h2_http_end(struct net_http_req *req)
{
	struct h2_stream *st = req->be_ctx;

	if (!st->out_eof)
		h2_stream_end(st, NULL, 0);
	st->req = NULL;
	st->role = H2_ROLE_REFUSED; /* answered: the rest of the request is ignored */
	net_http_req_free(req);
}

static const struct net_http_backend h2_http_backend = {
	.begin = h2_http_begin,
	.write = h2_http_write,
	.end = h2_http_end,
};

static void h2_http_open(struct h2_stream *st)
{
	struct net_http_req *req;

	st->role = H2_ROLE_HTTP;
	req = net_http_req_new(st->conn->base.srv, &h2_http_backend, st, 2);
	if (req == NULL) {
		st->role = H2_ROLE_REFUSED;
		h2_stream_reset(st, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	/* The header block moves to the request. */
	buf_free(&req->hdrs);
	req->hdrs = st->hdrs;
	buf_init(&st->hdrs, NET_MAX_HEADER_BYTES);
	st->req = req;
	if (net_http_req_ready(req) != 0) {
		net_http_req_error(req, 400, "400 Bad Request");
		return;
	}
}

static void h2_http_data(struct h2_stream *st, const uint8_t *data, size_t len)
{
	struct net_http_req *req = st->req;

	if (buf_append(&req->body, data, len) != 0) {
		net_http_req_error(req, 413, "http: request body too large");
		return;
	}
	if (h2_stream_charge(st, len) != 0)
		net_http_req_error(req, 503, "cetcd: connection receive budget exceeded");
}

/* ---- nghttp2 callbacks ------------------------------------------------- */

static int on_begin_headers(nghttp2_session *sess, const nghttp2_frame *frame, void *user)
{
	struct h2_conn *c = user;
	struct h2_stream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = h2_stream_new(c, frame->hd.stream_id);
	if (st == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	nghttp2_session_set_stream_user_data(sess, frame->hd.stream_id, st);
	return 0;
}

static int on_header(nghttp2_session *sess, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(sess, frame->hd.stream_id);

	(void)flags;
	(void)user;
	if (st == NULL || st->role != H2_ROLE_NONE)
		return 0; /* request trailers: not used by gRPC clients; dropped */
	if (buf_append(&st->hdrs, name, namelen) != 0 || buf_put_u8(&st->hdrs, 0) != 0 ||
	    buf_append(&st->hdrs, value, valuelen) != 0 || buf_put_u8(&st->hdrs, 0) != 0)
		/* Header block over NET_MAX_HEADER_BYTES: reset the stream. */
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	return 0;
}

static void h2_stream_headers_done(struct h2_stream *st)
{
	const char *ct = net_hdrs_get(&st->hdrs, "content-type");

	if (ct && strncmp(ct, "application/grpc", 16) == 0 && (ct[16] == '\0' || ct[16] == '+' || ct[16] == ';')) {
		st->role = H2_ROLE_GRPC;
		grpc_stream_open(st);
	} else {
		h2_http_open(st);
	}
}

static void h2_stream_remote_end(struct h2_stream *st)
{
	st->remote_closed = true;
	if (st->role == H2_ROLE_GRPC && st->call) {
		grpc_stream_remote_end(st);
	} else if (st->role == H2_ROLE_HTTP && st->req && !st->req->dispatched) {
		net_http_req_dispatch(st->req);
	}
}

static int on_frame_recv(nghttp2_session *sess, const nghttp2_frame *frame, void *user)
{
	struct h2_stream *st;

	(void)user;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	st = nghttp2_session_get_stream_user_data(sess, frame->hd.stream_id);
	if (st == NULL)
		return 0;
	if (frame->hd.type == NGHTTP2_HEADERS && st->role == H2_ROLE_NONE &&
	    frame->headers.cat == NGHTTP2_HCAT_REQUEST)
		h2_stream_headers_done(st);
	if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
		h2_stream_remote_end(st);
	return 0;
}

static int on_data_chunk(nghttp2_session *sess, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(sess, id);

	(void)flags;
	(void)user;
	if (st == NULL)
		return 0;
	if (st->role == H2_ROLE_GRPC && st->call)
		grpc_stream_data(st, data, len);
	else if (st->role == H2_ROLE_HTTP && st->req && !st->req->dispatched)
		h2_http_data(st, data, len);
	return 0;
}

static int on_stream_close(nghttp2_session *sess, int32_t id, uint32_t error_code, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(sess, id);

	(void)user;
	if (st)
		h2_stream_free(st, error_code != NGHTTP2_NO_ERROR || !st->out_eof);
	return 0;
}

static int on_frame_send(nghttp2_session *sess, const nghttp2_frame *frame, void *user)
{
	(void)user;
	/* We ended our side while the client is still sending (an early error
	 * such as RESOURCE_EXHAUSTED): ask it to stop, with NO_ERROR, as
	 * grpc-go does and RFC 7540 8.1 allows. */
	if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
	    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    nghttp2_session_get_stream_remote_close(sess, frame->hd.stream_id) == 0)
		nghttp2_submit_rst_stream(sess, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
					  NGHTTP2_NO_ERROR);
	return 0;
}

/* ---- I/O ---------------------------------------------------------------- */

/* Frames what nghttp2 has into the socket buffer, up to H2_OUT_HIGH;
 * returns false if the connection must be destroyed. */
static bool h2_flush(struct h2_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct h2_stream *st, *next;
	const uint8_t *data;
	ssize_t n;

	while (evbuffer_get_length(out) < H2_OUT_HIGH) {
		n = nghttp2_session_mem_send(c->sess, &data);
		if (n < 0) {
			log_debug("HTTP/2 send failed", LOG_STR("error", nghttp2_strerror((int)n)));
			return false;
		}
		if (n == 0)
			break;
		if (evbuffer_add(out, data, (size_t)n) != 0)
			return false;
	}
	if (c->notify_pending) {
		c->notify_pending = false;
		for (st = c->streams.next; st != &c->streams; st = next) {
			next = st->next;
			if (!st->notify_writable)
				continue;
			st->notify_writable = false;
			if (st->call)
				grpc_stream_writable(st);
			else if (st->req && st->req->cb.on_writable)
				st->req->cb.on_writable(st->req, st->req->user);
		}
		if (c->notify_pending)
			event_active(c->flush_ev, EV_WRITE, 1);
	}
	/* Back-pressure: stop reading requests while responses pile up. */
	if (evbuffer_get_length(out) >= H2_OUT_HIGH) {
		if (!c->read_paused) {
			c->read_paused = true;
			bufferevent_disable(c->bev, EV_READ);
		}
	} else if (c->read_paused) {
		c->read_paused = false;
		bufferevent_enable(c->bev, EV_READ);
	}
	if (!nghttp2_session_want_read(c->sess) && !nghttp2_session_want_write(c->sess)) {
		if (evbuffer_get_length(out) == 0)
			return false;
		c->closing = true;
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	}
	return true;
}

static void h2_read_cb(struct bufferevent *bev, void *arg)
{
	struct h2_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	ssize_t n;

	while (evbuffer_get_length(in) > 0 && !c->closing) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = nghttp2_session_mem_recv(c->sess, v.iov_base, v.iov_len);
		if (n < 0) {
			log_debug("HTTP/2 protocol error", LOG_STR("error", nghttp2_strerror((int)n)));
			/* nghttp2 may have queued a GOAWAY: try to send it. */
			h2_flush(c);
			c->closing = true;
			bufferevent_disable(bev, EV_READ);
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
				h2_destroy(&c->base);
			return;
		}
		evbuffer_drain(in, (size_t)n);
	}
	if (!h2_flush(c))
		h2_destroy(&c->base);
}

static void h2_write_cb(struct bufferevent *bev, void *arg)
{
	struct h2_conn *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			h2_destroy(&c->base);
		return;
	}
	if (!h2_flush(c))
		h2_destroy(&c->base);
}

static void h2_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h2_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->closing)
		return;
	if (!h2_flush(c))
		h2_destroy(&c->base);
}

static void h2_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	h2_destroy(&((struct h2_conn *)arg)->base);
}

static void h2_destroy(struct net_conn *nc)
{
	struct h2_conn *c = (struct h2_conn *)nc;

	while (c->streams.next != &c->streams)
		h2_stream_free(c->streams.next, true);
	nghttp2_session_del(c->sess);
	c->sess = NULL;
	event_free(c->flush_ev);
	bufferevent_free(c->bev);
	net_conn_unlink(&c->base);
	free(c);
}

static nghttp2_session_callbacks *h2_callbacks(void)
{
	static nghttp2_session_callbacks *cbs;

	/* Built once and shared by all sessions (nghttp2 copies it). */
	if (cbs == NULL && nghttp2_session_callbacks_new(&cbs) == 0) {
		nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
		nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
	}
	return cbs;
}

static nghttp2_option *h2_options(void)
{
	static nghttp2_option *opt;

	if (opt == NULL && nghttp2_option_new(&opt) == 0) {
		/* Header blocks are bounded by our on_header callback; cap what
		 * HPACK may make us keep, too. */
		nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
		/* grpc-go (etcdctl --endpoints=http://h:p) sends ":authority:
		 * http://h:p", which nghttp2's HTTP checks refuse with a stream
		 * reset while Go's server accepts it.  Without those checks the
		 * pseudo-headers are still verified where they are used
		 * (net_http_req_ready, grpc_stream_open). */
		nghttp2_option_set_no_http_messaging(opt, 1);
	}
	return opt;
}

/* Takes ownership of fd: on failure it is closed. */
int h2_conn_start(struct net_server *s, int fd)
{
	struct h2_conn *c = calloc(1, sizeof(*c));
	nghttp2_settings_entry iv[3];
	nghttp2_session_callbacks *cbs = h2_callbacks();
	nghttp2_option *opt = h2_options();

	if (c == NULL || cbs == NULL || opt == NULL)
		goto nomem;
	c->streams.next = c->streams.prev = &c->streams;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto nomem;
	fd = -1; /* the bufferevent closes it from now on */
	c->flush_ev = event_new(s->base, -1, 0, h2_flush_cb, c);
	if (c->flush_ev == NULL || nghttp2_session_server_new2(&c->sess, cbs, c, opt) != 0)
		goto nomem;
	iv[0].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
	iv[0].value = s->cfg.max_concurrent_streams;
	iv[1].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
	iv[1].value = H2_STREAM_WINDOW;
	iv[2].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
	iv[2].value = NET_MAX_HEADER_BYTES;
	if (nghttp2_submit_settings(c->sess, NGHTTP2_FLAG_NONE, iv, 3) != 0 ||
	    nghttp2_session_set_local_window_size(c->sess, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW) != 0)
		goto nomem;
	net_conn_link(s, &c->base, NET_CONN_H2, h2_destroy);
	bufferevent_setcb(c->bev, h2_read_cb, h2_write_cb, h2_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, H2_OUT_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* Our SETTINGS go out at once, before the client preface is read. */
	if (!h2_flush(c))
		h2_destroy(&c->base);
	return 0;
nomem:
	if (fd >= 0)
		close(fd);
	if (c) {
		if (c->sess)
			nghttp2_session_del(c->sess);
		if (c->flush_ev)
			event_free(c->flush_ev);
		if (c->bev)
			bufferevent_free(c->bev);
		free(c);
	}
	return -ENOMEM;
}
