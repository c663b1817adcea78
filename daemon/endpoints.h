/*
 * endpoints.h - etcd's plain HTTP endpoints: GET /health, /version and
 * /members, on the client and the peer listeners.
 */
#ifndef CETCD_DAEMON_ENDPOINTS_H
#define CETCD_DAEMON_ENDPOINTS_H

struct net_server;
struct server;

int endpoints_register(struct net_server *ns, struct server *srv);
/* Only GET /health (etcd's metrics listener serves it beside /metrics). */
int endpoints_register_health(struct net_server *ns, struct server *srv);

#endif
