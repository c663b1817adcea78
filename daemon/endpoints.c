/*
 * endpoints.c - GET /health, /version, /members as etcd 3.4 answers them
 * (etcdserver/api/etcdhttp).  /members is on the peer port in etcd; cetcd
 * gives the same body on the client port too, since operators curl it
 * there.
 *
 * Runs in cetcd on the event loop; owns nothing between requests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/endpoints.h"
#include "daemon/maint.h"
#include "daemon/net/http.h"
#include "daemon/server.h"

static int only_get(struct net_http_req *req)
{
	const char *m = net_http_req_method(req);

	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return 1;
	net_http_add_header(req, "Allow", "GET, HEAD");
	net_http_respond(req, 405, "text/plain; charset=utf-8", "Method Not Allowed", 18);
	return 0;
}

static void h_version(struct net_http_req *req, void *arg)
{
	static const char body[] = "{\"etcdserver\":\"" CETCD_ETCD_API_VERSION
	    "\",\"etcdcluster\":\"" CETCD_CLUSTER_VERSION "\"}";

	if (only_get(req))
		net_http_respond(req, 200, "application/json", body, sizeof(body) - 1);
}

/* etcd's checkHealth: a leader, no alarm, and a linearizable read that
 * succeeds in time. */
struct health_call {
	struct net_http_req *req;
	int gone;
};

static void health_cancel(struct net_http_req *req, void *user)
{
	struct health_call *hc = user;

	hc->gone = 1;
}

static void health_answer(struct net_http_req *req, int ok)
{
	static const char yes[] = "{\"health\":\"true\"}", no[] = "{\"health\":\"false\"}";

	net_http_respond(req, ok ? 200 : 503, "text/plain; charset=utf-8",
	    ok ? yes : no, ok ? sizeof(yes) - 1 : sizeof(no) - 1);
}

static void health_read_done(void *arg, enum cetcd_err err)
{
	struct health_call *hc = arg;

	if (!hc->gone)
		health_answer(hc->req, err == CETCD_OK);
	free(hc);
}

static void h_health(struct net_http_req *req, void *arg)
{
	struct server *srv = arg;
	struct server_status st;
	static const struct net_http_callbacks cbs = { .on_cancel = health_cancel };

	if (!only_get(req))
		return;
	server_status(srv, &st);
	if (!st.ready || !st.leader) {
		health_answer(req, 0);
		return;
	}
	struct health_call *hc = calloc(1, sizeof(*hc));
	if (!hc) {
		health_answer(req, 0);
		return;
	}
	hc->req = req;
	net_http_req_set_callbacks(req, &cbs, hc);
	server_read_barrier(srv, health_read_done, hc);
}

static int append_url_array(struct buf *b, const char *list)
{
	int first = 1;
	const char *p = list;

	if (buf_put_u8(b, '['))
		return -1;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (buf_appendf(b, "%s\"%.*s\"", first ? "" : ",", (int)n, p))
			return -1;
		first = 0;
		p = comma ? comma + 1 : NULL;
	}
	return buf_put_u8(b, ']');
}

static void h_members(struct net_http_req *req, void *arg)
{
	struct server *srv = arg;
	struct server_status st;
	struct maint_member self;
	struct buf b;
	char cid[32];

	if (!only_get(req))
		return;
	server_status(srv, &st);
	maint_get_member(&self);
	buf_init(&b, 1 << 20);
	/* etcd writes the id as a JSON number (a uint64). */
	if (buf_appendf(&b, "[{\"id\":%llu,\"peerURLs\":", (unsigned long long)st.member_id) ||
	    append_url_array(&b, self.peer_urls) ||
	    buf_appendf(&b, ",\"name\":\"%s\",\"clientURLs\":", self.name) ||
	    append_url_array(&b, self.client_urls) || buf_append_str(&b, "}]\n")) {
		buf_free(&b);
		net_http_respond(req, 500, "text/plain; charset=utf-8", "", 0);
		return;
	}
	snprintf(cid, sizeof(cid), "%llx", (unsigned long long)st.cluster_id);
	net_http_add_header(req, "X-Etcd-Cluster-Id", cid);
	net_http_respond(req, 200, "application/json", buf_data(&b), buf_len(&b));
	buf_free(&b);
}

int endpoints_register_health(struct net_server *ns, struct server *srv)
{
	return net_http_route(ns, NULL, "/health", 0, h_health, srv) ? -1 : 0;
}

int endpoints_register(struct net_server *ns, struct server *srv)
{
	if (net_http_route(ns, NULL, "/version", 0, h_version, srv) ||
	    net_http_route(ns, NULL, "/health", 0, h_health, srv) ||
	    net_http_route(ns, NULL, "/members", 0, h_members, srv))
		return -1;
	return 0;
}
