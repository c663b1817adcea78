/*
 * gwroute.c - grpc-gateway v1's answers to requests that match no gateway
 * handler, as etcd 3.4 serves them (runtime/mux.go ServeHTTP and
 * DefaultOtherErrorHandler, which is net/http's http.Error; embed/serve.go
 * accessController for OPTIONS).
 *
 * Runs in cetcd on the event loop; owns nothing, answers and returns.
 */
#include "config.h"

#include <string.h>

#include "daemon/gateway/gwroute.h"
#include "daemon/net/http.h"

/* Go's http.Error: plain text, nosniff, the text and a newline. */
static void go_http_error(struct net_http_req *req, int status, const char *text)
{
	char body[64];
	size_t n = strlen(text);

	memcpy(body, text, n);
	body[n++] = '\n';
	net_http_add_header(req, "X-Content-Type-Options", "nosniff");
	net_http_respond(req, status, "text/plain; charset=utf-8", body, n);
}

static bool answered_options(struct net_http_req *req)
{
	if (strcmp(net_http_req_method(req), "OPTIONS") != 0)
		return false;
	net_http_respond(req, 200, NULL, "", 0);
	return true;
}

bool gwroute_check_method(struct net_http_req *req)
{
	if (strcmp(net_http_req_method(req), "POST") == 0)
		return true;
	if (!answered_options(req))
		go_http_error(req, 405, "Method Not Allowed");
	return false;
}

void gwroute_not_found(struct net_http_req *req, void *arg)
{
	(void)arg;
	if (!answered_options(req))
		go_http_error(req, 404, "Not Found");
}
