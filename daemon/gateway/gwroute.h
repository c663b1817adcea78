/*
 * gwroute.h - what etcd 3.4's grpc-gateway mux answers when a request under
 * /v3/ (or /v3beta/, which etcd rewrites to /v3/) does not reach a handler:
 * a known path with another method, an unknown path, an OPTIONS request.
 *
 * To be used by the gateway's routes: register the gateway paths for any
 * method (NULL) so that gwroute_check_method() sees the others, and
 * gwroute_not_found() as the "/v3/" and "/v3beta/" prefix routes.
 */
#ifndef CETCD_DAEMON_GATEWAY_GWROUTE_H
#define CETCD_DAEMON_GATEWAY_GWROUTE_H

#include <stdbool.h>

struct net_http_req;

/* True for POST, the one method of etcd's gateway paths.  Otherwise answers
 * as etcd does and returns false: OPTIONS gets 200 with an empty body
 * (etcd's access controller, before any routing); any other method gets
 * grpc-gateway's 405 "Method Not Allowed" (Go's http.Error). */
bool gwroute_check_method(struct net_http_req *req);

/* A net_http handler: grpc-gateway's 404 "Not Found" for a path under
 * /v3/ that no gateway route has (Go's http.Error; net/http's own
 * "404 page not found" is for paths outside /v3/).  OPTIONS gets 200. */
void gwroute_not_found(struct net_http_req *req, void *arg);

#endif
