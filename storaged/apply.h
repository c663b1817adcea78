/*
 * apply.h - etcd's applier: one InternalRaftRequest, applied to the store.
 *
 * Runs in cetcd-storaged, inside the db batch that the Apply handler opened
 * for a batch of entries.  Reproduces etcdserver/apply.go of etcd 3.4: Put,
 * DeleteRange, Range, Txn (compares, nested txns, the checks made before
 * anything is written), Compaction, LeaseGrant/Revoke/Checkpoint, Alarm
 * (apply_cluster.c), and the membership changes of EntryConfChange entries.
 */
#ifndef CETCD_STORAGED_APPLY_H
#define CETCD_STORAGED_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"
#include "proto/raft.pb-c.h"
#include "proto/raft_internal.pb-c.h"
#include "proto/storage.pb-c.h"

struct mvcc_store;

struct applier {
	struct mvcc_store *store;
	/* This member: the one a NOSPACE alarm raised here names. */
	uint64_t member_id;
	/* --quota-backend-bytes; 0 = no quota check (unit tests). */
	int64_t quota_bytes;
	/* The db is measured again only once the costs of the writes since
	 * the last measure reach half the room that was left then, so a
	 * store far below its quota does not pay for it on every put.
	 * Zero quota_room forces a measure (after a rollback, a new db). */
	int64_t quota_room, quota_spent;
	/* NOSPACE raised: puts, writing txns and lease grants fail as etcd's
	 * capped applier (applierV3Capped). */
	int nospace;
	/* CORRUPT raised: every request fails as etcd's applierV3Corrupt. */
	int corrupt;
};

/* Applies req and fills res: its response oneof, or its error, and the
 * watch events the request produced.  Everything placed in res is malloc'd
 * and freed with res (protobuf_c_message_free_unpacked(res, NULL) frees a
 * heap-allocated res; apply_result_clear() frees the contents of one on the
 * stack).  Returns 0, or -1 when the store failed in a way that requires
 * rolling the whole batch back (res->error says why). */
int apply_request(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    Cetcd__Storage__EntryResult *res);

/* A Txn that must not write (READ_TXN), at the current revision; a writing
 * one is refused as CETCD_E_INTERNAL in res->error. */
int apply_read_txn(struct applier *a, const Etcdserverpb__TxnRequest *t,
    Cetcd__Storage__EntryResult *res);

/* An EntryConfChange entry: validates the change as etcd's
 * ValidateConfigurationChange, updates the members tables, and answers the
 * members after it (res->conf_change) or the membership error. */
int apply_conf_change(struct applier *a, const Raftpb__Entry *e,
    Cetcd__Storage__EntryResult *res);

/* Sets a->nospace / a->corrupt from the alarms table (at open, and after a
 * snapshot replaced the db).  0 or -1. */
int apply_alarms_load(struct applier *a);

/* The members table, in id order: *out is malloc'd, each member a heap
 * message; free with apply_members_free.  0 or -1. */
struct db;
int apply_members_list(struct db *db, Etcdserverpb__Member ***out, size_t *n);
void apply_members_free(Etcdserverpb__Member **v, size_t n);
/* Writes m into the members table (inside a batch).  0 or -1. */
int apply_member_put(struct db *db, const Etcdserverpb__Member *m);
/* The alarms of type (NONE: all), as heap messages in a malloc'd array
 * (free each with etcdserverpb__alarm_member__free_unpacked).  0 or -1. */
int apply_alarms_list(struct db *db, int32_t type, Etcdserverpb__AlarmMember ***out, size_t *n);

/* Frees what apply_request() put into res and re-initialises it. */
void apply_result_clear(Cetcd__Storage__EntryResult *res);

#endif
