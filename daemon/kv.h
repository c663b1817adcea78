/*
 * kv.h - etcd's KV service, as a table of svc_methods (daemon/service.h).
 */
#ifndef CETCD_DAEMON_KV_H
#define CETCD_DAEMON_KV_H

#include <stddef.h>

#include "daemon/service.h"
#include "proto/rpc.pb-c.h"

extern const struct svc_method kv_methods[];
extern const size_t kv_method_count;

/* --max-txn-ops (etcd's default 128). */
extern int kv_max_txn_ops;

/* etcd's checkTxnRequest and checkIntervals: CETCD_OK, TOO_MANY_OPS,
 * EMPTY_KEY, DUPLICATE_KEY, ... */
enum cetcd_err kv_check_txn(const Etcdserverpb__TxnRequest *t, int max_ops);

#endif
