/*
 * mvcc.h: the revisioned key-value store of cetcd-storaged, with etcd 3.4's
 * semantics exactly (go.etcd.io/etcd/mvcc, etcdserver/apply.go Range).
 *
 * Revisions.  The store starts at revision 1.  A write transaction
 * (mvcc_txn_begin .. mvcc_txn_end) that writes anything gets ONE new main
 * revision; its writes get sub-revisions 0, 1, 2 ... in order.  A txn that
 * writes nothing leaves the revision alone.  Each key carries
 * create_revision, mod_revision and version; a delete writes a tombstone and
 * ends the key's generation, so a later put starts again at version 1 with
 * a new create_revision.
 *
 * Batches.  The store writes through the struct db it was opened on.  The
 * caller groups any number of txns into one db batch (db_batch_begin ..
 * db_batch_commit, together with db_applied_set): one SQLite commit per
 * Apply batch.  A txn begun outside a batch opens and commits its own.
 * After db_batch_rollback() the store reloads its cached revisions by
 * itself.
 *
 * Errors.  Functions return 0 or a negative enum mvcc_err.  Request errors
 * (FUTURE_REV, COMPACTED, KEY_NOT_FOUND, LEASE_NOT_FOUND, LEASE_EXISTS,
 * INVALID) change nothing.  MVCC_ERR_DB and MVCC_ERR_NOMEM inside a txn put
 * it in a sticky failed state: end it, then roll the batch back.
 *
 * Memory.  Results point into memory owned by the result object (range,
 * event list) or by the txn (put/delete results, events): valid until the
 * matching *_free / mvcc_txn_free.  Input pointers are not kept.  A store on
 * a writer db keeps a mirror of table cur in memory (each key and three
 * integers, about 60 bytes plus the key), so that a put does not read cur
 * first: etcd keeps far more, its whole key index.  It is rebuilt from
 * cur at open and after a rollback.
 *
 * Threads: one thread per store (it shares its struct db's connection),
 * and one store per writer db: its mirror of cur assumes no other writes.
 */
#ifndef CETCD_STORAGED_MVCC_H
#define CETCD_STORAGED_MVCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

enum mvcc_err {
	MVCC_OK = 0,
	MVCC_ERR_FUTURE_REV = -1,	/* mvcc: required revision is a future revision */
	MVCC_ERR_COMPACTED = -2,	/* mvcc: required revision has been compacted */
	MVCC_ERR_KEY_NOT_FOUND = -3,	/* etcdserver: key not found */
	MVCC_ERR_LEASE_NOT_FOUND = -4,	/* lease not found */
	MVCC_ERR_LEASE_EXISTS = -5,	/* lease already exists */
	MVCC_ERR_INVALID = -6,		/* bad argument (empty key, ...) */
	MVCC_ERR_NOMEM = -7,
	MVCC_ERR_DB = -8,		/* SQLite failed: roll the batch back */
	MVCC_ERR_STATE = -9,		/* misuse: txn open/failed, read-only */
};
/* etcd's own error text (without the gRPC layer's "etcdserver: " prefix
 * where etcd adds one there). */
const char *mvcc_strerror(int err);

/* mvccpb.KeyValue */
struct mvcc_kv {
	const uint8_t *key;
	size_t key_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	const uint8_t *value;
	size_t value_len;
	int64_t lease;
};

/* mvccpb.Event; a DELETE's kv has only key and mod_revision (the revision
 * of the delete), as etcd's watch sends it. */
enum mvcc_event_type { MVCC_EVENT_PUT = 0, MVCC_EVENT_DELETE = 1 };
struct mvcc_event {
	enum mvcc_event_type type;
	struct mvcc_kv kv;
	bool has_prev_kv;
	struct mvcc_kv prev_kv;
};

/* etcdserverpb.RangeRequest.SortOrder / SortTarget values. */
enum mvcc_sort_order { MVCC_SORT_NONE = 0, MVCC_SORT_ASCEND = 1,
		       MVCC_SORT_DESCEND = 2 };
enum mvcc_sort_target { MVCC_SORT_KEY = 0, MVCC_SORT_VERSION = 1,
			MVCC_SORT_CREATE = 2, MVCC_SORT_MOD = 3,
			MVCC_SORT_VALUE = 4 };

/*
 * Key ranges, as etcd's requests give them: range_end empty (len 0) = the
 * one key; range_end "\0" (len 1) = every key >= key; otherwise
 * [key, range_end).  Keys are byte strings compared with memcmp.
 */

/* etcdserverpb.RangeRequest */
struct mvcc_range_req {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *range_end;
	size_t range_end_len;
	int64_t limit;		/* 0 = no limit */
	int64_t revision;	/* 0 = current */
	enum mvcc_sort_order sort_order;
	enum mvcc_sort_target sort_target;
	bool keys_only;
	bool count_only;
	int64_t min_mod_revision, max_mod_revision;	/* 0 = no bound */
	int64_t min_create_revision, max_create_revision;
};

struct mvcc_arena;

/* etcdserverpb.RangeResponse */
struct mvcc_range_result {
	struct mvcc_kv *kvs;
	size_t n_kvs;
	int64_t count;		/* keys in the range, before limit and filters */
	bool more;		/* limit cut the answer short */
	int64_t revision;	/* header revision: the store's current one */
	struct mvcc_arena *arena;	/* private */
};
void mvcc_range_result_free(struct mvcc_range_result *res);

/* etcdserverpb.PutRequest */
struct mvcc_put_req {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	int64_t lease;		/* 0 = none; must exist */
	bool prev_kv;
	bool ignore_value;	/* keep the current value; key must exist */
	bool ignore_lease;	/* keep the current lease; key must exist */
};
struct mvcc_put_result {
	int64_t revision;	/* header revision */
	bool has_prev_kv;
	struct mvcc_kv prev_kv;	/* owned by the txn */
};

/* etcdserverpb.DeleteRangeRequest */
struct mvcc_delete_req {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *range_end;
	size_t range_end_len;
	bool prev_kv;
};
struct mvcc_delete_result {
	int64_t deleted;
	int64_t revision;	/* header revision */
	struct mvcc_kv *prev_kvs;	/* owned by the txn; only if prev_kv */
	size_t n_prev_kvs;
};

/*
 * The store.
 */
struct mvcc_store;

/* Opens the store on db (schema made by db_open).  Reads the compaction
 * point and current revision from it: a store reopened after close goes on
 * where it stopped. */
int mvcc_store_open(struct db *db, struct mvcc_store **out);
void mvcc_store_close(struct mvcc_store *s);
struct db *mvcc_store_db(struct mvcc_store *s);

int64_t mvcc_current_revision(struct mvcc_store *s);
/* The last compaction's revision; -1 if never compacted (as etcd). */
int64_t mvcc_compact_revision(struct mvcc_store *s);

/* When on, every event produced by txns carries prev_kv (for watchers that
 * asked for it), whatever the ops' own prev_kv flags. */
void mvcc_set_events_prev_kv(struct mvcc_store *s, bool on);

/* A read outside any txn, at req->revision (0 = current). */
int mvcc_range(struct mvcc_store *s, const struct mvcc_range_req *req,
	       struct mvcc_range_result *res);

/*
 * Write transactions (etcd's TxnWrite).  One at a time per store.
 *
 *   mvcc_txn_begin -> put / delete_range / range (reads see the txn's own
 *   writes) ... -> mvcc_txn_end -> mvcc_txn_events -> mvcc_txn_free
 *
 * The txn object is reused by the store: do not keep it after free.
 */
struct mvcc_txn;

int mvcc_txn_begin(struct mvcc_store *s, struct mvcc_txn **out);
int mvcc_txn_put(struct mvcc_txn *t, const struct mvcc_put_req *req,
		 struct mvcc_put_result *res);
int mvcc_txn_delete_range(struct mvcc_txn *t, const struct mvcc_delete_req *req,
			  struct mvcc_delete_result *res);
int mvcc_txn_range(struct mvcc_txn *t, const struct mvcc_range_req *req,
		   struct mvcc_range_result *res);
/* The revision reads in this txn see: begin revision, +1 once it wrote. */
int64_t mvcc_txn_revision(const struct mvcc_txn *t);
/* Ends the txn: if it wrote, the store's revision becomes the txn's.
 * Returns that revision in *rev (may be NULL).  If the txn failed, returns
 * its error and the store is unchanged (the batch must be rolled back).
 * If the txn opened its own batch, this commits it. */
int mvcc_txn_end(struct mvcc_txn *t, int64_t *rev);
/* Events of an ended txn, in write order. */
const struct mvcc_event *mvcc_txn_events(const struct mvcc_txn *t, size_t *n);
void mvcc_txn_free(struct mvcc_txn *t);

/* Single-op conveniences: a txn around one op (needs no open txn). */
int mvcc_put(struct mvcc_store *s, const struct mvcc_put_req *req,
	     struct mvcc_put_result *res_or_null);
int mvcc_delete_range(struct mvcc_store *s, const struct mvcc_delete_req *req,
		      int64_t *deleted_or_null);

/*
 * Compaction (etcd's Compact(rev)).  rev > current -> FUTURE_REV;
 * rev <= last compaction -> COMPACTED.  Keeps, for each key live at rev,
 * its newest revision at or below rev; drops tombstones at or below rev
 * and everything else below rev.  Reads at revisions >= rev still answer
 * as before; reads below rev get COMPACTED.
 *
 * In two parts, as etcd does it (a compaction point set at once, then
 * deletes in batches of --experimental-compaction-batch-limit):
 *   mvcc_compact_begin  records rev durably in the open batch (or its
 *                       own): from then on reads below rev fail, and
 *                       compaction_revision is rev.  A begin while one is
 *                       pending takes over from it.
 *   mvcc_compact_step   deletes at most about limit rows (rev rows
 *                       deleted, or keys visited with nothing to delete),
 *                       in the open batch or its own; *done (may be NULL)
 *                       when nothing is left.  Invisible to reads,
 *                       revisions and hashes: call it between Apply
 *                       batches, each in its own batch, so that no batch
 *                       waits for a whole compaction.
 *   mvcc_store_open     finishes a compaction left pending (writer only).
 * mvcc_compact = begin + steps to the end, all in one batch.
 */
int mvcc_compact_begin(struct mvcc_store *s, int64_t rev);
int mvcc_compact_step(struct mvcc_store *s, int64_t limit, bool *done);
bool mvcc_compact_pending(struct mvcc_store *s);
int mvcc_compact(struct mvcc_store *s, int64_t rev);

/*
 * Hashes (etcd's Maintenance.HashKV and Hash).
 * mvcc_hash_kv: CRC-32C over the revisions kept up to rev (0 = current),
 * byte for byte as etcd 3.4 computes it (bucket name "key", then each
 * revision's 17/18-byte key and marshaled mvccpb.KeyValue), so equal stores
 * give equal hashes, and equal to etcd's for the same operations.
 */
struct mvcc_hash_kv {
	uint32_t hash;
	int64_t revision;	 /* current revision */
	int64_t compact_revision;
};
int mvcc_hash_kv(struct mvcc_store *s, int64_t rev, struct mvcc_hash_kv *out);
/* CRC-32C over all applied state: key space, leases, members, alarms,
 * auth, cluster version; not the applied/consistent index (as etcd skips
 * consistent_index). */
int mvcc_hash(struct mvcc_store *s, uint32_t *hash, int64_t *revision);

/*
 * Events since revision since_rev (inclusive) for a key range, for watch
 * replay.  At most limit events (0 = no limit), but never part of a
 * revision: the list ends at a main revision boundary unless one revision
 * alone exceeds limit.  next_rev is where to continue (current + 1 when
 * caught up).  since_rev below the compaction -> COMPACTED.  With
 * with_prev_kv each event carries the key's previous kv, if any.
 */
struct mvcc_event_list {
	struct mvcc_event *events;
	size_t n;
	int64_t next_rev;
	struct mvcc_arena *arena;	/* private */
};
int mvcc_events_since(struct mvcc_store *s, const uint8_t *key, size_t key_len,
		      const uint8_t *range_end, size_t range_end_len,
		      int64_t since_rev, size_t limit, bool with_prev_kv,
		      struct mvcc_event_list *out);
void mvcc_event_list_free(struct mvcc_event_list *l);

/*
 * Leases (etcd's lessor state: leasepb.Lease {ID, TTL, RemainingTTL}).
 * Expiry timing lives in the daemon; this keeps what must survive.
 * A key is attached to the lease its newest put named, and detached when
 * it is put again with another lease or deleted: attachment is derived
 * from the key's own lease field, so it cannot drift from it.
 */
struct mvcc_lease {
	int64_t id;
	int64_t ttl;		/* granted TTL, seconds */
	int64_t remaining_ttl;	/* checkpointed remaining TTL; 0 = none */
};
/* In the open batch (or its own).  id must be non-zero. */
int mvcc_lease_grant(struct mvcc_store *s, int64_t id, int64_t ttl);
int mvcc_lease_checkpoint(struct mvcc_store *s, int64_t id,
			  int64_t remaining_ttl);
/* Deletes the lease and, in the open txn t, every key attached to it
 * (sorted, as etcd's lessor does): one revision for all of them, events in
 * mvcc_txn_events(t). */
int mvcc_lease_revoke(struct mvcc_txn *t, int64_t id);
int mvcc_lease_get(struct mvcc_store *s, int64_t id, struct mvcc_lease *out);
/* All leases by id; *out malloc'd (free()), NULL when n is 0. */
int mvcc_lease_list(struct mvcc_store *s, struct mvcc_lease **out, size_t *n);
/* Keys attached to lease id, sorted; in res->kvs with only key and lease
 * set (free with mvcc_range_result_free). */
int mvcc_lease_keys(struct mvcc_store *s, int64_t id,
		    struct mvcc_range_result *res);

#endif
