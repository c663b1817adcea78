/*
 * health: grpc.health.v1.Health, as etcd 3.4 registers it (grpc-go's
 * health server with status SERVING for the service "").
 */
#ifndef CETCD_DAEMON_NET_HEALTH_H
#define CETCD_DAEMON_NET_HEALTH_H

struct net_server;

/* Registers /grpc.health.v1.Health/Check and /grpc.health.v1.Health/Watch.
 * Returns 0 or a negative errno (see net_grpc_register). */
int net_health_register(struct net_server *s);

#endif
