/*
 * http_req: HTTP requests as handlers see them, whatever the transport.
 *
 * Owns the route table lookups, struct net_http_req (head, body, the
 * handler's response headers) and the public net_http_* calls, which it
 * forwards to the transport backend (h1.c or h2.c).  Never does I/O
 * itself; runs on cetcd's event loop.  Default answers mimic Go's
 * net/http (what etcd 3.4 serves): "404 page not found", "400 Bad Request".
 */
#include "daemon/net/net_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *net_http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

int net_http_route(struct net_server *s, const char *method, const char *path, unsigned flags,
		   net_http_handler_fn *handler, void *arg)
{
	struct net_route *r;

	r = realloc(s->routes, (s->n_routes + 1) * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	s->routes = r;
	r = &s->routes[s->n_routes];
	r->method = method ? strdup(method) : NULL;
	r->path = strdup(path);
	if ((method && r->method == NULL) || r->path == NULL) {
		free(r->method);
		free(r->path);
		return -ENOMEM;
	}
	r->flags = flags;
	r->handler = handler;
	r->arg = arg;
	s->n_routes++;
	return 0;
}

static const struct net_route *route_find(const struct net_server *s, const char *method,
					  const char *path)
{
	const struct net_route *best = NULL;
	size_t i, best_len = 0, len;

	for (i = 0; i < s->n_routes; i++) {
		const struct net_route *r = &s->routes[i];
		if (r->method && strcmp(r->method, method) != 0)
			continue;
		if (!(r->flags & NET_HTTP_PREFIX)) {
			if (strcmp(r->path, path) == 0)
				return r;
			continue;
		}
		len = strlen(r->path);
		if (strncmp(r->path, path, len) == 0 && len > best_len) {
			best = r;
			best_len = len;
		}
	}
	return best;
}

/* ---- header lists ("name\0value\0" pairs) ----------------------------- */

size_t net_hdrs_next(const struct buf *hdrs, size_t off, const char **name, const char **value)
{
	const char *p = (const char *)buf_data(hdrs);
	size_t len = buf_len(hdrs), n;

	if (p == NULL || off >= len)
		return 0;
	*name = p + off;
	n = strnlen(p + off, len - off);
	off += n + 1;
	if (off >= len)
		return 0;
	*value = p + off;
	n = strnlen(p + off, len - off);
	return off + n + 1;
}

const char *net_hdrs_get(const struct buf *hdrs, const char *name)
{
	const char *n, *v;
	size_t off = 0;

	while ((off = net_hdrs_next(hdrs, off, &n, &v)) != 0)
		if (strcasecmp(n, name) == 0)
			return v;
	return NULL;
}

static int hdrs_add(struct buf *b, const char *name, size_t nlen, const char *value, size_t vlen,
		    bool lower)
{
	size_t mark = buf_len(b), i;
	int rc;

	rc = buf_reserve(b, nlen + vlen + 2);
	if (rc != 0)
		return rc;
	for (i = 0; i < nlen; i++)
		buf_tail(b)[i] = lower ? (uint8_t)tolower((unsigned char)name[i]) : (uint8_t)name[i];
	buf_tail(b)[nlen] = 0;
	buf_commit(b, nlen + 1);
	memcpy(buf_tail(b), value, vlen);
	buf_tail(b)[vlen] = 0;
	buf_commit(b, vlen + 1);
	(void)mark;
	return 0;
}

/* ---- requests ---------------------------------------------------------- */

struct net_http_req *net_http_req_new(struct net_server *s, const struct net_http_backend *be,
				      void *be_ctx, int version)
{
	struct net_http_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = s;
	req->be = be;
	req->be_ctx = be_ctx;
	req->version = version;
	buf_init(&req->hdrs, NET_MAX_HEADER_BYTES);
	buf_init(&req->body, s->cfg.max_http_body);
	buf_init(&req->resp_hdrs, NET_MAX_HEADER_BYTES);
	req->method = req->path = req->query = "";
	return req;
}

int net_http_req_add_hdr(struct net_http_req *req, const char *name, size_t nlen,
			 const char *value, size_t vlen)
{
	return hdrs_add(&req->hdrs, name, nlen, value, vlen, true);
}

int net_http_req_ready(struct net_http_req *req)
{
	const char *m = net_hdrs_get(&req->hdrs, ":method");
	const char *p = net_hdrs_get(&req->hdrs, ":path");
	char *q;

	if (m == NULL || p == NULL || *m == '\0' || *p == '\0')
		return -EINVAL;
	req->method = m;
	req->pathbuf = strdup(p);
	if (req->pathbuf == NULL)
		return -ENOMEM;
	q = strchr(req->pathbuf, '?');
	if (q) {
		*q = '\0';
		req->query = q + 1;
	}
	req->path = req->pathbuf;
	return 0;
}

void net_http_req_free(struct net_http_req *req)
{
	if (req == NULL)
		return;
	if (req->dispatched && !req->finished && !req->cancelled)
		req->srv->n_active--;
	buf_free(&req->hdrs);
	buf_free(&req->body);
	buf_free(&req->resp_hdrs);
	free(req->pathbuf);
	free(req);
}

void net_http_req_cancel(struct net_http_req *req)
{
	if (!req->dispatched || req->finished || req->cancelled)
		return;
	req->cancelled = true;
	req->srv->n_active--;
	if (req->cb.on_cancel)
		req->cb.on_cancel(req, req->user);
}

void net_http_req_error(struct net_http_req *req, int status, const char *text)
{
	/* Go's http.Error: text/plain, nosniff, the text and a newline. */
	size_t len = strlen(text);
	char body[256];

	if (len > sizeof(body) - 2)
		len = sizeof(body) - 2;
	memcpy(body, text, len);
	body[len++] = '\n';
	net_http_add_header(req, "x-content-type-options", "nosniff");
	net_http_respond(req, status, "text/plain; charset=utf-8", body, len);
}

void net_http_req_dispatch(struct net_http_req *req)
{
	const struct net_route *r = route_find(req->srv, req->method, req->path);

	req->dispatched = true;
	req->srv->n_active++;
	if (r == NULL) {
		net_http_req_error(req, 404, "404 page not found");
		return;
	}
	r->handler(req, r->arg);
}

/* ---- the handler API ---------------------------------------------------- */

const char *net_http_req_method(const struct net_http_req *req) { return req->method; }
const char *net_http_req_path(const struct net_http_req *req) { return req->path; }
const char *net_http_req_query(const struct net_http_req *req) { return req->query; }
int net_http_req_version(const struct net_http_req *req) { return req->version; }

const char *net_http_req_header(const struct net_http_req *req, const char *name)
{
	if (name[0] == ':')
		return NULL;
	return net_hdrs_get(&req->hdrs, name);
}

const uint8_t *net_http_req_body(const struct net_http_req *req, size_t *len)
{
	*len = buf_len(&req->body);
	return buf_len(&req->body) ? buf_data(&req->body) : (const uint8_t *)"";
}

void net_http_req_set_callbacks(struct net_http_req *req, const struct net_http_callbacks *cb,
				void *user)
{
	if (cb)
		req->cb = *cb;
	else
		memset(&req->cb, 0, sizeof(req->cb));
	req->user = user;
}

static bool token_ok(const char *s, bool value)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r' || c == '\n' || c == 0)
			return false;
		if (!value && (c <= ' ' || c == ':' || c >= 0x7f))
			return false;
	}
	return true;
}

int net_http_add_header(struct net_http_req *req, const char *name, const char *value)
{
	if (req->answered || req->finished || req->cancelled || !*name || !token_ok(name, false) ||
	    !token_ok(value, true))
		return -EINVAL;
	return hdrs_add(&req->resp_hdrs, name, strlen(name), value, strlen(value), true);
}

/* Ends the request's active accounting and hands it to the backend. */
static void req_finish(struct net_http_req *req)
{
	req->finished = true;
	if (req->dispatched)
		req->srv->n_active--;
	req->be->end(req);
}

int net_http_respond(struct net_http_req *req, int status, const char *content_type,
		     const void *body, size_t len)
{
	int rc;

	if (req->cancelled || req->finished || req->answered)
		return req->cancelled ? 0 : -EINVAL;
	req->answered = true;
	rc = req->be->begin(req, status, content_type, (int64_t)len);
	if (rc == 0 && len > 0)
		rc = req->be->write(req, body, len);
	req_finish(req);
	return rc < 0 ? rc : 0;
}

int net_http_stream_begin(struct net_http_req *req, int status, const char *content_type)
{
	if (req->cancelled)
		return 0;
	if (req->finished || req->answered)
		return -EINVAL;
	req->answered = true;
	req->streaming = true;
	return req->be->begin(req, status, content_type, -1);
}

int net_http_stream_write(struct net_http_req *req, const void *data, size_t len)
{
	if (req->cancelled)
		return -ECANCELED;
	if (req->finished || !req->streaming)
		return -EINVAL;
	if (len == 0)
		return 1;
	return req->be->write(req, data, len);
}

int net_http_stream_end(struct net_http_req *req)
{
	if (req->cancelled)
		return 0;
	if (req->finished || !req->streaming)
		return -EINVAL;
	req_finish(req);
	return 0;
}
