/*
 * apply_int.h - helpers shared by the applier's files (apply.c,
 * apply_cluster.c, apply_auth.c); not for use outside storaged/apply*.c.
 */
#ifndef CETCD_STORAGED_APPLY_INT_H
#define CETCD_STORAGED_APPLY_INT_H

#include <stdint.h>
#include <stdlib.h>

#include "storaged/apply.h"
#include "storaged/mvcc.h"

#define NEW(type, init) ({ type *_p = malloc(sizeof(type)); if (_p) init(_p); _p; })

/* etcd's quota estimates (etcdserver/quota.go). */
#define APPLY_KV_OVERHEAD 256
#define APPLY_LEASE_OVERHEAD 64

enum cetcd_err apply_err_from_mvcc(int rc);
/* The store failed: the batch must be rolled back. */
int apply_store_failed(int rc);
int apply_bytes_dup(ProtobufCBinaryData *dst, const uint8_t *src, size_t n);
Mvccpb__KeyValue *apply_kv_to_pb(const struct mvcc_kv *kv, int with_value);
Etcdserverpb__ResponseHeader *apply_header_new(int64_t rev);
/* res->error = the table's message for e; -1 when out of memory. */
int apply_set_error(Cetcd__Storage__EntryResult *res, enum cetcd_err e);
Mvccpb__Event *apply_event_to_pb(const struct mvcc_event *ev);
int apply_copy_events(struct mvcc_txn *txn, Cetcd__Storage__EntryResult *res);

/* Runs one write request in a txn of its own: begin, body, end, events. */
typedef int (*apply_write_fn)(struct applier *a, struct mvcc_txn *txn, const void *req,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err);
int apply_run_write(struct applier *a, apply_write_fn fn, const void *req,
    Cetcd__Storage__EntryResult *res);

/* apply_cluster.c */
/* etcd's quota check, made here at apply time: when the db plus cost would
 * pass the quota, raises NOSPACE for this member and returns 1. */
int apply_quota_exceeded(struct applier *a, int64_t cost, int *failed);
int apply_lease_grant(struct applier *a, const Etcdserverpb__LeaseGrantRequest *r,
    Cetcd__Storage__EntryResult *res);
int apply_lease_revoke(struct applier *a, const Etcdserverpb__LeaseRevokeRequest *r,
    Cetcd__Storage__EntryResult *res);
int apply_lease_checkpoint(struct applier *a, const Etcdserverpb__LeaseCheckpointRequest *r,
    Cetcd__Storage__EntryResult *res);
int apply_alarm(struct applier *a, const Etcdserverpb__AlarmRequest *r,
    Cetcd__Storage__EntryResult *res);

/* apply_auth.c */
/* req is one of etcd's auth requests (AuthEnable ... RoleRevokePermission,
 * Authenticate). */
int apply_auth_is_request(const Etcdserverpb__InternalRaftRequest *req);
/* Applies it as etcd 3.4's auth store, after the admin check of its auth
 * applier; 0, or -1 when the batch must roll back. */
int apply_auth(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    Cetcd__Storage__EntryResult *res);

#endif
