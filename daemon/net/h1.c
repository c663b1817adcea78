/*
 * h1: HTTP/1.1 connections (and HTTP/1.0), our own small bounded parser.
 *
 * Owns one bufferevent (and its fd) per connection and the one request
 * being served on it; pipelined requests wait in the input buffer, which
 * is capped by the read watermark.  Heads are capped at
 * NET_MAX_HEADER_BYTES, bodies (Content-Length or chunked) at
 * cfg.max_http_body.  Never blocks; runs on cetcd's event loop.  Error
 * answers copy Go net/http's bytes, which is what etcd 3.4 sends.
 *
 *   HEAD ──body?──> BODY | CHUNK_SIZE <-> CHUNK_DATA -> CHUNK_END ... TRAILERS
 *     ^                     │ (complete)
 *     │                     v
 *     └──keep-alive──── WAIT (handler answers) ──close──> CLOSING ─drained─> freed
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

enum h1_state {
	H1_HEAD,
	H1_BODY,
	H1_CHUNK_SIZE,
	H1_CHUNK_DATA,
	H1_CHUNK_END,
	H1_TRAILERS,
	H1_WAIT,
};

struct h1_conn {
	struct net_conn base;
	struct bufferevent *bev;
	struct net_http_req *req; /* the request being read or served */
	enum h1_state state;
	uint64_t body_left;       /* of the body or of the current chunk */
	size_t trailer_bytes;
	bool keep_alive;          /* the current request allows another after it */
	bool resp_chunked;
	bool resp_close;          /* close once the response is written */
	bool in_process;          /* inside h1_process: it will pick up the next request */
	bool closing;             /* no more reading; freed once output drains */
	bool above_high;
};

/* Chunk-size lines and trailers are tiny; cap them. */
#define H1_LINE_MAX 4096

static void h1_process(struct h1_conn *c);

static void h1_destroy(struct net_conn *nc)
{
	struct h1_conn *c = (struct h1_conn *)nc;

	if (c->req) {
		net_http_req_cancel(c->req);
		net_http_req_free(c->req);
		c->req = NULL;
	}
	bufferevent_free(c->bev);
	net_conn_unlink(&c->base);
	free(c);
}

/* Stops reading and closes once everything queued has been written. */
static void h1_close_after_write(struct h1_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

/* An error before a request object exists (or instead of it): Go's
 * net/http answers these with a fixed text and closes. */
static void h1_fail_raw(struct h1_conn *c, int status)
{
	const char *text = net_http_status_text(status);

	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			    "Connection: close\r\n\r\n%d %s",
			    status, text, status, text);
	if (c->req) {
		net_http_req_free(c->req);
		c->req = NULL;
	}
	h1_close_after_write(c);
}

/* An error answered through the request (so handler-independent headers
 * apply), then close: used once the head has been parsed. */
static void h1_fail_req(struct h1_conn *c, int status, const char *text)
{
	c->keep_alive = false;
	c->state = H1_WAIT;
	net_http_req_error(c->req, status, text);
}

/* ---- response backend ---------------------------------------------- */

/* Go's textproto.CanonicalMIMEHeaderKey: "x-content-type" -> "X-Content-Type". */
static void canonical_name(const char *in, char *out, size_t outlen)
{
	bool up = true;
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen; i++) {
		char ch = in[i];
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!up && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[i] = ch;
		up = ch == '-';
	}
	out[i] = '\0';
}

static int h1_begin(struct net_http_req *req, int status, const char *ctype, int64_t clen)
{
	struct h1_conn *c = req->be_ctx;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *n, *v;
	char name[256], date[64];
	size_t off = 0;
	struct tm tm;
	time_t now = time(NULL);

	c->resp_chunked = false;
	c->resp_close = !c->keep_alive;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, net_http_status_text(status));
	if (ctype)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	while ((off = net_hdrs_next(&req->resp_hdrs, off, &n, &v)) != 0) {
		canonical_name(n, name, sizeof(name));
		evbuffer_add_printf(out, "%s: %s\r\n", name, v);
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out, "Date: %s\r\n", date);
	if (clen >= 0) {
		evbuffer_add_printf(out, "Content-Length: %lld\r\n", (long long)clen);
	} else if (req->http10) {
		c->resp_close = true; /* no chunked encoding in HTTP/1.0 */
	} else {
		c->resp_chunked = true;
		evbuffer_add(out, "Transfer-Encoding: chunked\r\n", 28);
	}
	if (c->resp_close)
		evbuffer_add(out, "Connection: close\r\n", 19);
	evbuffer_add(out, "\r\n", 2);
	return 0;
}

static int h1_write(struct net_http_req *req, const void *data, size_t len)
{
	struct h1_conn *c = req->be_ctx;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->resp_chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	if (evbuffer_add(out, data, len) != 0)
		return -ENOMEM;
	if (c->resp_chunked)
		evbuffer_add(out, "\r\n", 2);
	if (evbuffer_get_length(out) > NET_HTTP_STREAM_HIGH) {
		c->above_high = true;
		return 0;
	}
	return 1;
}

static void h1_end(struct net_http_req *req)
{
	struct h1_conn *c = req->be_ctx;

	if (c->resp_chunked)
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
	net_http_req_free(req);
	c->req = NULL;
	c->above_high = false;
	if (c->resp_close || c->closing) {
		h1_close_after_write(c);
		return;
	}
	c->state = H1_HEAD;
	if (!c->in_process)
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static const struct net_http_backend h1_backend = {
	.begin = h1_begin,
	.write = h1_write,
	.end = h1_end,
};

/* ---- request parsing --------------------------------------------------- */

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static void h1_dispatch(struct h1_conn *c)
{
	c->state = H1_WAIT;
	net_http_req_dispatch(c->req);
}

/* Parses the head in p[0..len) (ending with the blank line).  Returns 0,
 * or an HTTP status to fail with. */
static int h1_parse_head(struct h1_conn *c, char *p, size_t len)
{
	struct net_http_req *req = c->req;
	char *end = p + len, *line, *eol, *sp1, *sp2, *colon, *v, *ve;
	const char *te, *cl, *conn, *expect;
	bool http10;

	eol = memchr(p, '\n', len);
	if (eol == NULL || eol == p || eol[-1] != '\r')
		return 400;
	eol[-1] = '\0';
	line = p;
	sp1 = strchr(line, ' ');
	if (sp1 == NULL)
		return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || sp2 == sp1 + 1 || strchr(sp2 + 1, ' '))
		return 400;
	for (v = line; v < sp1; v++)
		if (!is_tchar((unsigned char)*v))
			return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		http10 = false;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		http10 = true;
	else if (strncmp(sp2 + 1, "HTTP/", 5) == 0)
		return 505;
	else
		return 400;
	if (net_http_req_add_hdr(req, ":method", 7, line, sp1 - line) != 0 ||
	    net_http_req_add_hdr(req, ":path", 5, sp1 + 1, sp2 - sp1 - 1) != 0)
		return 431;
	req->http10 = http10;
	for (line = eol + 1; line < end; line = eol + 1) {
		eol = memchr(line, '\n', end - line);
		if (eol == NULL || eol == line || eol[-1] != '\r')
			return 400;
		if (eol - 1 == line)
			break; /* the blank line */
		if (*line == ' ' || *line == '\t')
			return 400; /* obsolete line folding, refused as Go does */
		colon = memchr(line, ':', eol - 1 - line);
		if (colon == NULL || colon == line)
			return 400;
		for (v = line; v < colon; v++)
			if (!is_tchar((unsigned char)*v))
				return 400;
		v = colon + 1;
		ve = eol - 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (memchr(v, '\0', ve - v))
			return 400;
		if (net_http_req_add_hdr(req, line, colon - line, v, ve - v) != 0)
			return 431;
	}
	if (net_http_req_ready(req) != 0)
		return 400;
	conn = net_hdrs_get(&req->hdrs, "connection");
	if (http10)
		c->keep_alive = conn && strcasecmp(conn, "keep-alive") == 0;
	else
		c->keep_alive = !(conn && strcasecmp(conn, "close") == 0);
	te = net_hdrs_get(&req->hdrs, "transfer-encoding");
	cl = net_hdrs_get(&req->hdrs, "content-length");
	expect = net_hdrs_get(&req->hdrs, "expect");
	c->body_left = 0;
	if (te && !http10) {
		if (strcasecmp(te, "chunked") != 0)
			return 501;
		c->state = H1_CHUNK_SIZE;
	} else if (cl) {
		char *e;
		unsigned long long n;

		if (*cl < '0' || *cl > '9')
			return 400;
		errno = 0;
		n = strtoull(cl, &e, 10);
		if (*e || errno)
			return 400;
		if (n > req->srv->cfg.max_http_body)
			return 413;
		if (n > 0 && buf_reserve(&req->body, (size_t)n) != 0)
			return 413;
		c->body_left = n;
		c->state = n ? H1_BODY : H1_WAIT;
	} else {
		c->state = H1_WAIT;
	}
	if (expect) {
		if (strcasecmp(expect, "100-continue") != 0)
			return 417;
		if (c->state != H1_WAIT && !http10)
			evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	return 0;
}

/* While a head is incomplete: false if what has arrived cannot begin a
 * request (so garbage is answered 400 at once, as Go does once it has a
 * line, instead of waiting for a blank line that may never come). */
static bool h1_request_line_plausible(struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in), i, sp = 0;
	const unsigned char *p;

	if (n > 1024)
		n = 1024;
	p = evbuffer_pullup(in, n);
	if (p == NULL)
		return true;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n')
			return sp == 2 && i > 0 && p[i - 1] == '\r';
		if (p[i] == ' ') {
			if (++sp > 2)
				return false;
			continue;
		}
		if (sp == 0 && !is_tchar(p[i]))
			return false;
		if (p[i] < 0x20 && p[i] != '\r')
			return false;
		if (p[i] == '\r' && i + 1 < n && p[i + 1] != '\n')
			return false;
	}
	return true;
}

/* Returns true to go on, false to wait for more input. */
static bool h1_read_head(struct h1_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr pos;
	size_t len = evbuffer_get_length(in);
	unsigned char *p;
	char *head;
	int status;

	/* RFC 7230 3.5: ignore empty lines before a request line. */
	while (len >= 2 && (p = evbuffer_pullup(in, 2)) && p[0] == '\r' && p[1] == '\n') {
		evbuffer_drain(in, 2);
		len -= 2;
	}
	if (len == 0)
		return false;
	pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (pos.pos < 0 || (size_t)pos.pos + 4 > NET_MAX_HEADER_BYTES) {
		if (len >= NET_MAX_HEADER_BYTES || (pos.pos >= 0))
			h1_fail_raw(c, 431);
		else if (!h1_request_line_plausible(in))
			h1_fail_raw(c, 400);
		return false;
	}
	head = (char *)evbuffer_pullup(in, pos.pos + 4);
	c->req = net_http_req_new(c->base.srv, &h1_backend, c, 1);
	if (head == NULL || c->req == NULL) {
		h1_fail_raw(c, 500);
		return false;
	}
	status = h1_parse_head(c, head, pos.pos + 4);
	evbuffer_drain(in, pos.pos + 4);
	if (status == 400 || status == 431 || status == 505) {
		h1_fail_raw(c, status == 505 ? 505 : status);
		return false;
	}
	if (status == 413) {
		/* Go's http.MaxBytesReader text. */
		h1_fail_req(c, 413, "http: request body too large");
		return false;
	}
	if (status != 0) {
		h1_fail_req(c, status, net_http_status_text(status));
		return false;
	}
	if (c->state == H1_WAIT)
		h1_dispatch(c);
	return true;
}

/* Moves up to c->body_left bytes of input into the body. */
static bool h1_read_body(struct h1_conn *c, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in);

	if (n > c->body_left)
		n = (size_t)c->body_left;
	if (n == 0)
		return false;
	if (buf_reserve(&c->req->body, n) != 0) {
		h1_fail_req(c, 413, "http: request body too large");
		return false;
	}
	evbuffer_remove(in, buf_tail(&c->req->body), n);
	buf_commit(&c->req->body, n);
	c->body_left -= n;
	return true;
}

/* Reads one CRLF-terminated line (without it) into line; false if not all
 * there yet.  Sets *bad if the line is too long. */
static bool h1_read_line(struct evbuffer *in, char *line, size_t cap, bool *bad)
{
	struct evbuffer_ptr eol;
	size_t eol_len;

	*bad = false;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
	if (eol.pos < 0) {
		*bad = evbuffer_get_length(in) >= cap;
		return false;
	}
	if ((size_t)eol.pos >= cap) {
		*bad = true;
		return false;
	}
	evbuffer_remove(in, line, eol.pos);
	line[eol.pos] = '\0';
	evbuffer_drain(in, eol_len);
	return true;
}

static bool h1_read_chunked(struct h1_conn *c, struct evbuffer *in)
{
	char line[H1_LINE_MAX];
	unsigned long long n;
	char *e;
	bool bad;

	switch (c->state) {
	case H1_CHUNK_SIZE:
		if (!h1_read_line(in, line, sizeof(line), &bad))
			goto maybe_bad;
		errno = 0;
		n = strtoull(line, &e, 16);
		if (e == line || errno || (*e && *e != ';' && *e != ' ' && *e != '\t')) {
			h1_fail_raw(c, 400);
			return false;
		}
		if (n > c->req->srv->cfg.max_http_body - buf_len(&c->req->body)) {
			h1_fail_req(c, 413, "http: request body too large");
			return false;
		}
		c->body_left = n;
		c->state = n ? H1_CHUNK_DATA : H1_TRAILERS;
		c->trailer_bytes = 0;
		return true;
	case H1_CHUNK_DATA:
		if (!h1_read_body(c, in))
			return false;
		if (c->body_left == 0)
			c->state = H1_CHUNK_END;
		return true;
	case H1_CHUNK_END:
		if (!h1_read_line(in, line, 2, &bad))
			goto maybe_bad;
		if (line[0] != '\0') {
			h1_fail_raw(c, 400);
			return false;
		}
		c->state = H1_CHUNK_SIZE;
		return true;
	case H1_TRAILERS:
		/* Trailers are read and dropped; a blank line ends the body. */
		if (!h1_read_line(in, line, sizeof(line), &bad))
			goto maybe_bad;
		c->trailer_bytes += strlen(line) + 2;
		if (c->trailer_bytes > H1_LINE_MAX) {
			h1_fail_raw(c, 431);
			return false;
		}
		if (line[0] == '\0')
			h1_dispatch(c);
		return true;
	default:
		return false;
	}
maybe_bad:
	if (bad)
		h1_fail_raw(c, 400);
	return false;
}

static void h1_process(struct h1_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	bool go = true;

	c->in_process = true;
	while (go && !c->closing) {
		switch (c->state) {
		case H1_HEAD:
			go = h1_read_head(c, in);
			break;
		case H1_BODY:
			go = h1_read_body(c, in);
			if (go && c->body_left == 0)
				h1_dispatch(c);
			break;
		case H1_CHUNK_SIZE:
		case H1_CHUNK_DATA:
		case H1_CHUNK_END:
		case H1_TRAILERS:
			go = h1_read_chunked(c, in);
			break;
		case H1_WAIT:
			go = false;
			break;
		}
	}
	c->in_process = false;
}

/* ---- bufferevent callbacks ------------------------------------------- */

static void h1_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	h1_process(arg);
}

static void h1_write_cb(struct bufferevent *bev, void *arg)
{
	struct h1_conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (c->closing) {
		if (evbuffer_get_length(out) == 0)
			h1_destroy(&c->base);
		return;
	}
	if (c->above_high && evbuffer_get_length(out) <= NET_HTTP_STREAM_LOW && c->req) {
		c->above_high = false;
		if (c->req->cb.on_writable)
			c->req->cb.on_writable(c->req, c->req->user);
	}
}

static void h1_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct h1_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->closing) {
		/* The client closed its side.  Like Go's server, cancel what is in
		 * flight, but write out what is already queued. */
		if (c->req) {
			net_http_req_cancel(c->req);
			net_http_req_free(c->req);
			c->req = NULL;
		}
		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			h1_close_after_write(c);
			return;
		}
	}
	h1_destroy(&c->base);
}

/* Takes ownership of fd: on failure it is closed. */
int h1_conn_start(struct net_server *s, int fd)
{
	struct h1_conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	net_conn_link(s, &c->base, NET_CONN_H1, h1_destroy);
	c->state = H1_HEAD;
	bufferevent_setcb(c->bev, h1_read_cb, h1_write_cb, h1_event_cb, c);
	/* Bounded input: reading pauses when this much is waiting (e.g. a
	 * pipelined request behind one still being answered). */
	bufferevent_setwatermark(c->bev, EV_READ, 0, NET_MAX_HEADER_BYTES + 16384);
	bufferevent_setwatermark(c->bev, EV_WRITE, NET_HTTP_STREAM_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}
