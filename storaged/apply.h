/*
 * apply.h - etcd's applier: one InternalRaftRequest, applied to the store.
 *
 * Runs in cetcd-storaged, inside the db batch that the Apply handler opened
 * for a batch of entries.  Reproduces etcdserver/apply.go of etcd 3.4: Put,
 * DeleteRange, Range, Txn (compares, nested txns, the checks made before
 * anything is written), Compaction, Alarm.
 */
#ifndef CETCD_STORAGED_APPLY_H
#define CETCD_STORAGED_APPLY_H

#include <stdint.h>

#include "common/errors.h"
#include "proto/raft_internal.pb-c.h"
#include "proto/storage.pb-c.h"

struct mvcc_store;

struct applier {
	struct mvcc_store *store;
	uint64_t member_id;
	/* NOSPACE raised: puts and writing txns fail as etcd's capped applier. */
	int nospace;
};

/* Applies req and fills res: its response oneof, or its error, and the
 * watch events the request produced.  Everything placed in res is malloc'd
 * and freed with res (protobuf_c_message_free_unpacked(res, NULL) frees a
 * heap-allocated res; apply_result_clear() frees the contents of one on the
 * stack).  Returns 0, or -1 when the store failed in a way that requires
 * rolling the whole batch back (res->error says why). */
int apply_request(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    Cetcd__Storage__EntryResult *res);

/* Frees what apply_request() put into res and re-initialises it. */
void apply_result_clear(Cetcd__Storage__EntryResult *res);

#endif
