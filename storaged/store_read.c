/*
 * store_read.c - the read and maintenance operations of the storage
 * protocol: READ_TXN, EVENTS_SINCE, LEASES, AUTH_STATE, COMPACT,
 * DEFRAGMENT, HASH, HASH_KV.
 *
 * Runs on the IPC event loop, part of struct store (store.c).  Owns
 * nothing: answers are malloc'd into the caller's message.  Never writes
 * applied state; DEFRAGMENT rewrites the db file (VACUUM) with the same
 * contents.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/auth.pb-c.h"
#include "storaged/apply_int.h"
#include "storaged/db.h"
#include "storaged/mvcc.h"
#include "storaged/store_int.h"

/* EVENTS_SINCE and LEASES caps when the request names none. */
#define EVENTS_DEFAULT_LIMIT 10000
#define LEASES_DEFAULT_LIMIT 10000

static Cetcd__Storage__Error *mvcc_error(int rc)
{
	enum cetcd_err e = apply_err_from_mvcc(rc);
	return store_error_new(e, cetcd_err_message(e));
}

int store_read_txn(struct store *s, const Cetcd__Storage__ReadTxnRequest *req,
    Cetcd__Storage__ReadTxnResponse *out, char *err, size_t errlen)
{
	Cetcd__Storage__EntryResult r = CETCD__STORAGE__ENTRY_RESULT__INIT;

	if (!req->request) {
		snprintf(err, errlen, "read txn: no request");
		return -1;
	}
	if (apply_read_txn(&s->applier, req->request, &r) != 0) {
		apply_result_clear(&r);
		snprintf(err, errlen, "read txn: the store failed");
		return -1;
	}
	out->error = r.error;
	out->response = r.response_case == CETCD__STORAGE__ENTRY_RESULT__RESPONSE_TXN ? r.txn : NULL;
	r.error = NULL;
	r.txn = NULL;
	r.response_case = 0;
	apply_result_clear(&r);
	return 0;
}

int store_events_since(struct store *s, const Cetcd__Storage__EventsSinceRequest *req,
    Cetcd__Storage__EventsSinceResponse *out, char *err, size_t errlen)
{
	struct mvcc_event_list l = { 0 };
	int rc;

	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);
	rc = mvcc_events_since(s->mvcc, req->key.data, req->key.len, req->range_end.data,
	    req->range_end.len, req->start_revision, req->limit ? req->limit : EVENTS_DEFAULT_LIMIT,
	    req->prev_kv, &l);
	if (rc != MVCC_OK) {
		if (apply_store_failed(rc)) {
			snprintf(err, errlen, "events since: %s", mvcc_strerror(rc));
			return -1;
		}
		out->error = mvcc_error(rc);
		return out->error ? 0 : -1;
	}
	out->next_revision = l.next_rev;
	if (l.n && !(out->events = calloc(l.n, sizeof(*out->events))))
		goto nomem;
	for (size_t i = 0; i < l.n; i++) {
		if (!(out->events[i] = apply_event_to_pb(&l.events[i])))
			goto nomem;
		out->n_events = i + 1;
	}
	mvcc_event_list_free(&l);
	return 0;
nomem:
	mvcc_event_list_free(&l);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int lease_keys(struct store *s, int64_t id, Cetcd__Storage__LeaseInfo *li)
{
	struct mvcc_range_result rr = { 0 };
	int rc = mvcc_lease_keys(s->mvcc, id, &rr);

	if (rc != MVCC_OK)
		return -1;
	if (rr.n_kvs && !(li->keys = calloc(rr.n_kvs, sizeof(*li->keys))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < rr.n_kvs; i++) {
		if (apply_bytes_dup(&li->keys[i], rr.kvs[i].key, rr.kvs[i].key_len))
			rc = -1;
		else
			li->n_keys = i + 1;
	}
	mvcc_range_result_free(&rr);
	return rc;
}

int store_leases(struct store *s, const Cetcd__Storage__LeasesRequest *req,
    Cetcd__Storage__LeasesResponse *out, char *err, size_t errlen)
{
	struct mvcc_lease *v = NULL;
	size_t n = 0, first = 0, limit = req->limit ? req->limit : LEASES_DEFAULT_LIMIT;
	int rc = mvcc_lease_list(s->mvcc, &v, &n);

	if (rc != MVCC_OK) {
		snprintf(err, errlen, "leases: %s", mvcc_strerror(rc));
		return -1;
	}
	while (first < n && v[first].id <= req->after_id)
		first++;
	size_t take = n - first < limit ? n - first : limit;
	out->more = first + take < n;
	if (take && !(out->leases = calloc(take, sizeof(*out->leases))))
		goto nomem;
	for (size_t i = 0; i < take; i++) {
		const struct mvcc_lease *l = &v[first + i];
		Cetcd__Storage__LeaseInfo *li = NEW(Cetcd__Storage__LeaseInfo, cetcd__storage__lease_info__init);
		if (!li)
			goto nomem;
		out->leases[i] = li;
		out->n_leases = i + 1;
		li->id = l->id;
		li->ttl = l->ttl;
		li->remaining_ttl = l->remaining_ttl;
		if (req->keys && lease_keys(s, l->id, li))
			goto nomem;
	}
	free(v);
	return 0;
nomem:
	free(v);
	snprintf(err, errlen, "leases: out of memory or store failure");
	return -1;
}

struct pb_list {
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage **v;
	size_t n, cap;
	int oom;
};

static int pb_collect(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct pb_list *l = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(l->d, NULL, val_len, val);

	if (!m)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v) {
			protobuf_c_message_free_unpacked(m, NULL);
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	return 0;
}

static int table_messages(struct store *s, enum db_table t, const ProtobufCMessageDescriptor *d,
    void *out_v, size_t *out_n)
{
	struct pb_list l = { .d = d };
	int rc = db_table_each(s->db, t, pb_collect, &l);

	*(ProtobufCMessage ***)out_v = l.v;
	*out_n = l.n;
	return rc != 0 || l.oom ? -1 : 0;
}

int store_auth_state(struct store *s, Cetcd__Storage__AuthStateResponse *out,
    char *err, size_t errlen)
{
	bool on = false;

	if (db_auth_enabled_get(s->db, &on) != DB_OK || db_auth_revision_get(s->db, &out->revision) != DB_OK ||
	    table_messages(s, DB_T_AUTH_USERS, &authpb__user__descriptor, &out->users, &out->n_users) ||
	    table_messages(s, DB_T_AUTH_ROLES, &authpb__role__descriptor, &out->roles, &out->n_roles)) {
		snprintf(err, errlen, "auth state: %s", db_errmsg(s->db));
		return -1;
	}
	out->enabled = on;
	return 0;
}

int store_compact(struct store *s, const Cetcd__Storage__CompactRequest *req,
    Cetcd__Storage__CompactResponse *out, char *err, size_t errlen)
{
	/* APPLY of the CompactionRequest already deleted the rows; what is
	 * left is to move SQLite's WAL into the db file so that their pages
	 * become free (etcd's physical compaction waits for the same). */
	if (req->revision > mvcc_current_revision(s->mvcc)) {
		out->error = mvcc_error(MVCC_ERR_FUTURE_REV);
		return out->error ? 0 : -1;
	}
	if (db_checkpoint(s->db, true) != DB_OK) {
		snprintf(err, errlen, "compact: %s", db_errmsg(s->db));
		return -1;
	}
	return 0;
}

int store_defragment(struct store *s, Cetcd__Storage__DefragmentResponse *out,
    char *err, size_t errlen)
{
	out->db_size_before = db_size_bytes(s->db);
	/* VACUUM rebuilds the file without its free pages; in WAL mode the
	 * file shrinks at the checkpoint after it, which also truncates the
	 * WAL the rebuild went through. */
	if (db_checkpoint(s->db, false) != DB_OK || db_exec(s->db, "VACUUM") != DB_OK ||
	    db_checkpoint(s->db, false) != DB_OK) {
		out->error = store_error_new(CETCD_E_INTERNAL, db_errmsg(s->db));
		return out->error ? 0 : -1;
	}
	out->db_size_after = db_size_bytes(s->db);
	(void)err;
	(void)errlen;
	return 0;
}

int store_hash(struct store *s, Cetcd__Storage__HashResponse *out, char *err, size_t errlen)
{
	int rc = mvcc_hash(s->mvcc, &out->hash, &out->revision);

	if (rc != MVCC_OK) {
		snprintf(err, errlen, "hash: %s", mvcc_strerror(rc));
		return -1;
	}
	return 0;
}

int store_hash_kv(struct store *s, const Cetcd__Storage__HashKVRequest *req,
    Cetcd__Storage__HashKVResponse *out, char *err, size_t errlen)
{
	struct mvcc_hash_kv h = { 0 };
	int rc = mvcc_hash_kv(s->mvcc, req->revision, &h);

	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);
	if (rc != MVCC_OK) {
		if (apply_store_failed(rc)) {
			snprintf(err, errlen, "hash kv: %s", mvcc_strerror(rc));
			return -1;
		}
		out->error = mvcc_error(rc);
		return out->error ? 0 : -1;
	}
	out->hash = h.hash;
	out->revision = h.revision;
	out->compact_revision = h.compact_revision;
	return 0;
}
