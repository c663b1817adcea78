/*
 * store.c - cetcd-storaged's durable state and the IPC operations on it.
 *
 * Runs in cetcd-storaged on the IPC event loop.  Owns the WAL handle, the
 * db connection, the MVCC store and the in-memory copy of the Raft log
 * after the last snapshot (what Raft's storage interface reads, as etcd's
 * MemoryStorage).  The WAL is the durability point (ARCHITECTURE.md):
 * PERSIST writes it and store_sync() fdatasyncs once for every PERSIST
 * before it (group commit); APPLY commits the effects of a batch of entries
 * and the applied index in one SQLite transaction, so replaying entries
 * after a crash is idempotent.  Any WAL failure is sticky (s->failed).
 * Snapshots and db streams are in store_snap.c, reads and maintenance in
 * store_read.c.
 *
 * Start-up, as etcd's restartNode: the newest snapshot file that the WAL
 * has a marker for (at or below the last commit index) gives the log's
 * start; the WAL is read from it on.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/etcdserver.pb-c.h"
#include "storaged/db.h"
#include "storaged/mvcc.h"
#include "storaged/snap.h"
#include "storaged/store.h"
#include "storaged/store_int.h"
#include "storaged/wal.h"

static Raftpb__Entry *entry_copy_from(const uint8_t *data, size_t len)
{
	return (Raftpb__Entry *)protobuf_c_message_unpack(&raftpb__entry__descriptor, NULL, len, data);
}

static int log_reserve(struct store *s, size_t n)
{
	if (n <= s->cap_ents)
		return 0;
	size_t cap = s->cap_ents ? s->cap_ents : 64;
	while (cap < n)
		cap *= 2;
	Raftpb__Entry **v = realloc(s->ents, cap * sizeof(*v));
	if (!v)
		return -1;
	s->ents = v;
	s->cap_ents = cap;
	return 0;
}

/* Drops the in-memory entries from index on (a new leader's log wins). */
static void log_truncate_from(struct store *s, uint64_t index)
{
	while (s->n_ents && s->ents[s->n_ents - 1]->index >= index)
		protobuf_c_message_free_unpacked(&s->ents[--s->n_ents]->base, NULL);
}

uint64_t store_last_index(const struct store *s)
{
	return s->n_ents ? s->ents[s->n_ents - 1]->index : s->log_index;
}

void store_log_compact_to(struct store *s, uint64_t index)
{
	size_t k = 0;

	if (index <= s->log_index)
		return;
	while (k < s->n_ents && s->ents[k]->index <= index)
		k++;
	if (k == 0)
		return;
	s->log_index = s->ents[k - 1]->index;
	s->log_term = s->ents[k - 1]->term;
	for (size_t i = 0; i < k; i++)
		protobuf_c_message_free_unpacked(&s->ents[i]->base, NULL);
	memmove(s->ents, s->ents + k, (s->n_ents - k) * sizeof(*s->ents));
	s->n_ents -= k;
}

void store_log_reset(struct store *s, uint64_t index, uint64_t term)
{
	log_truncate_from(s, 0);
	s->log_index = index;
	s->log_term = term;
}

void store_options_init(struct store_options *o)
{
	memset(o, 0, sizeof(*o));
	o->snapshot_count = STORE_DEFAULT_SNAPSHOT_COUNT;
	o->max_wals = WAL_DEFAULT_MAX_WALS;
	o->max_snapshots = SNAP_DEFAULT_MAX_SNAPSHOTS;
}

static void wal_opts(const struct store *s, struct wal_options *o)
{
	wal_options_init(o);
	o->max_wals = s->opts.max_wals;
}

/* The newest snapshot file the WAL vouches for, or none (0, 0). */
static int load_snapshot(struct store *s, char *err, size_t errlen)
{
	struct wal_snapshot *valid = NULL;
	struct wal_error we = { 0 };
	struct snap_error se = { 0 };
	struct snap_file f = { 0 };
	size_t n = 0;
	int rc;

	if (wal_valid_snapshots(s->dd->wal, &valid, &n, &we) != WAL_OK) {
		snprintf(err, errlen, "%s", we.msg);
		return -1;
	}
	rc = n ? snap_load(s->snap, valid, n, &f, &se) : SNAP_ENOSNAP;
	free(valid);
	if (rc == SNAP_ENOSNAP)
		return 0;
	if (rc != SNAP_OK) {
		snprintf(err, errlen, "%s", se.msg);
		return -1;
	}
	Raftpb__Snapshot *sn = raftpb__snapshot__unpack(NULL, f.len, f.data);
	snap_file_free(&f);
	if (!sn || !sn->metadata) {
		if (sn)
			raftpb__snapshot__free_unpacked(sn, NULL);
		snprintf(err, errlen, "snapshot %016llx-%016llx.snap does not decode as raftpb.Snapshot",
		    (unsigned long long)f.term, (unsigned long long)f.index);
		return -1;
	}
	s->snap_index = s->log_index = sn->metadata->index;
	s->snap_term = s->log_term = sn->metadata->term;
	s->snap_conf = sn->metadata->conf_state ? store_msg_copy(&sn->metadata->conf_state->base) : NULL;
	raftpb__snapshot__free_unpacked(sn, NULL);
	return 0;
}

static int load_wal(struct store *s, char *err, size_t errlen)
{
	struct wal_options o;
	struct wal_contents c = { 0 };
	struct wal_error we = { 0 };

	if (load_snapshot(s, err, errlen))
		return -1;
	wal_opts(s, &o);
	if (wal_open(s->dd->wal, s->snap_index, s->snap_term, &o, &s->wal, &c, &we) != WAL_OK) {
		snprintf(err, errlen, "%s", we.msg);
		return -1;
	}
	Etcdserverpb__Metadata *md = (Etcdserverpb__Metadata *)protobuf_c_message_unpack(
	    &etcdserverpb__metadata__descriptor, NULL, c.metadata_len, c.metadata);
	if (md) {
		s->node_id = md->nodeid;
		s->cluster_id = md->clusterid;
		protobuf_c_message_free_unpacked(&md->base, NULL);
	}
	if (c.hard_state) {
		Raftpb__HardState *hs = (Raftpb__HardState *)protobuf_c_message_unpack(
		    &raftpb__hard_state__descriptor, NULL, c.hard_state_len, c.hard_state);
		if (hs) {
			s->hard_state.term = hs->term;
			s->hard_state.vote = hs->vote;
			s->hard_state.commit = hs->commit;
			s->has_hard_state = true;
			protobuf_c_message_free_unpacked(&hs->base, NULL);
		}
	}
	int rc = log_reserve(s, c.n_entries);
	for (size_t i = 0; rc == 0 && i < c.n_entries; i++) {
		Raftpb__Entry *e = entry_copy_from(c.entries[i].data, c.entries[i].len);
		if (!e) {
			snprintf(err, errlen, "wal: entry %llu does not decode as raftpb.Entry",
			    (unsigned long long)c.entries[i].index);
			rc = -1;
			break;
		}
		s->ents[s->n_ents++] = e;
	}
	wal_contents_free(&c);
	return rc;
}

int store_db_open(struct store *s, char *err, size_t errlen)
{
	/* No commit runs a checkpoint: the worker does them all (db.h). */
	struct db_options o = { .wal_autocheckpoint = -1 };

	if (db_open(s->dd->db, &o, &s->db, err, errlen) != DB_OK)
		return -1;
	return store_ckpt_start(s, err, errlen);
}

void store_db_close(struct store *s)
{
	/* The worker must not outlive the writer it checkpoints for. */
	store_ckpt_stop(s);
	if (s->db)
		db_close(s->db);
	s->db = NULL;
}

void store_applier_reset(struct store *s)
{
	s->applier.store = s->mvcc;
	s->applier.member_id = s->node_id;
	s->applier.quota_bytes = s->opts.quota_bytes;
	apply_alarms_load(&s->applier);
}

int store_open(struct store *s, const struct datadir *dd, const struct store_options *opts,
    char *err, size_t errlen)
{
	struct snap_options so;
	struct snap_error se = { 0 };

	memset(s, 0, sizeof(*s));
	raftpb__hard_state__init(&s->hard_state);
	s->dd = dd;
	if (opts)
		s->opts = *opts;
	else
		store_options_init(&s->opts);
	if (s->opts.snapshot_count == 0)
		s->opts.snapshot_count = STORE_DEFAULT_SNAPSHOT_COUNT;
	if (s->opts.quota_bytes == 0)
		s->opts.quota_bytes = STORE_DEFAULT_QUOTA_BYTES;
	s->next_stream_id = 1;
	if (store_db_open(s, err, errlen))
		return -1;
	if (mvcc_store_open(s->db, &s->mvcc) != MVCC_OK) {
		snprintf(err, errlen, "cannot open the key-value store in %s", dd->db);
		return -1;
	}
	snap_options_init(&so);
	so.max_snapshots = s->opts.max_snapshots;
	if (snap_open(dd->snap, &so, &s->snap, &se) != SNAP_OK) {
		snprintf(err, errlen, "%s", se.msg);
		return -1;
	}
	store_remove_stream_leftovers(s);
	if (wal_exists(dd->wal) && load_wal(s, err, errlen) != 0)
		return -1;
	store_applier_reset(s);
	return 0;
}

void store_close(struct store *s)
{
	struct wal_error we;

	store_drop_streams(s, NULL);
	store_drop_waiters(s, NULL);
	if (s->wal)
		wal_close(s->wal, &we);
	log_truncate_from(s, 0);
	free(s->ents);
	if (s->snap_conf)
		raftpb__conf_state__free_unpacked(s->snap_conf, NULL);
	if (s->snap)
		snap_close(s->snap);
	if (s->mvcc)
		mvcc_store_close(s->mvcc);
	store_db_close(s);
	memset(s, 0, sizeof(*s));
}

int store_bootstrap(struct store *s, const Cetcd__Storage__BootstrapRequest *req,
    char *err, size_t errlen)
{
	Etcdserverpb__Metadata md = ETCDSERVERPB__METADATA__INIT;
	struct wal_options o;
	struct wal_error we = { 0 };
	uint8_t buf[32];

	if (s->wal) {
		snprintf(err, errlen, "bootstrap: a WAL already exists in %s", s->dd->wal);
		return -1;
	}
	md.nodeid = req->node_id;
	md.clusterid = req->cluster_id;
	size_t n = protobuf_c_message_pack(&md.base, buf);
	/* The initial members are applied state "before any entry": written
	 * first, so that a crash before the WAL exists leaves a fresh member
	 * whose next BOOTSTRAP writes them again. */
	if (req->n_members) {
		if (db_batch_begin(s->db) != DB_OK)
			goto db_fail;
		for (size_t i = 0; i < req->n_members; i++)
			if (apply_member_put(s->db, req->members[i])) {
				db_batch_rollback(s->db);
				goto db_fail;
			}
		if (db_batch_commit(s->db) != DB_OK)
			goto db_fail;
	}
	wal_opts(s, &o);
	if (wal_create(s->dd->wal, buf, n, &o, &s->wal, &we) != WAL_OK) {
		snprintf(err, errlen, "%s", we.msg);
		return -1;
	}
	s->node_id = req->node_id;
	s->cluster_id = req->cluster_id;
	s->applier.member_id = s->node_id;
	return 0;
db_fail:
	snprintf(err, errlen, "bootstrap: cannot store the members: %s", db_errmsg(s->db));
	return -1;
}

int store_initial_state(struct store *s, const Cetcd__Storage__InitialStateRequest *req,
    Cetcd__Storage__InitialStateResponse *out, char *err, size_t errlen)
{
	struct db_applied ap = { 0 };
	size_t budget = req->max_entries_bytes ? req->max_entries_bytes : (size_t)8 << 20;

	out->fresh = s->wal == NULL;
	out->node_id = s->node_id;
	out->cluster_id = s->cluster_id;
	if (s->has_hard_state) {
		out->hard_state = NEW(Raftpb__HardState, raftpb__hard_state__init);
		if (!out->hard_state)
			goto nomem;
		*out->hard_state = s->hard_state;
		out->hard_state->base.descriptor = &raftpb__hard_state__descriptor;
	}
	if (s->snap_index) {
		Raftpb__SnapshotMetadata *m = NEW(Raftpb__SnapshotMetadata, raftpb__snapshot_metadata__init);
		if (!m)
			goto nomem;
		out->snapshot = m;
		m->index = s->snap_index;
		m->term = s->snap_term;
		m->conf_state = s->snap_conf ? store_msg_copy(&s->snap_conf->base)
		    : NEW(Raftpb__ConfState, raftpb__conf_state__init);
		if (!m->conf_state)
			goto nomem;
	}
	out->first_index = s->log_index + 1;
	out->last_index = store_last_index(s);
	if (s->n_ents) {
		out->entries = calloc(s->n_ents, sizeof(*out->entries));
		if (!out->entries)
			goto nomem;
	}
	for (size_t i = 0, used = 0; i < s->n_ents; i++) {
		size_t sz = protobuf_c_message_get_packed_size(&s->ents[i]->base);
		if (i > 0 && used + sz > budget)
			break;
		uint8_t *tmp = malloc(sz ? sz : 1);
		if (!tmp)
			goto nomem;
		protobuf_c_message_pack(&s->ents[i]->base, tmp);
		out->entries[i] = entry_copy_from(tmp, sz);
		free(tmp);
		if (!out->entries[i])
			goto nomem;
		out->n_entries = i + 1;
		used += sz;
	}
	if (db_applied_get(s->db, &ap) != DB_OK) {
		snprintf(err, errlen, "cannot read the applied index: %s", db_errmsg(s->db));
		return -1;
	}
	out->applied_index = ap.index;
	out->applied_term = ap.term;
	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);

	char version[64] = "";
	bool auth = false;
	if (apply_members_list(s->db, &out->members, &out->n_members) ||
	    apply_alarms_list(s->db, ETCDSERVERPB__ALARM_TYPE__NONE, &out->alarms, &out->n_alarms) ||
	    db_cluster_version_get(s->db, version, sizeof(version)) != DB_OK ||
	    db_auth_enabled_get(s->db, &auth) != DB_OK ||
	    db_auth_revision_get(s->db, &out->auth_revision) != DB_OK ||
	    store_conf_state_get(s, &out->conf_state)) {
		snprintf(err, errlen, "cannot read the applied state: %s", db_errmsg(s->db));
		return -1;
	}
	out->auth_enabled = auth;
	if (!(out->cluster_version = strdup(version)))
		goto nomem;
	if (!out->conf_state && s->snap_conf && !(out->conf_state = store_msg_copy(&s->snap_conf->base)))
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A snapshot from the leader, its db already installed: the file, the WAL
 * marker, then the log starts after it (raft's MemoryStorage.ApplySnapshot
 * drops every entry).  etcd's raftNode saves it the same way. */
static int persist_snapshot(struct store *s, const Raftpb__Snapshot *sn, char *err, size_t errlen)
{
	Raftpb__ConfState *conf = NULL;

	if (!sn->metadata || sn->metadata->index == 0) {
		snprintf(err, errlen, "persist: an empty snapshot");
		return -1;
	}
	if (sn->metadata->index <= s->snap_index)
		return 0;	/* older than ours: nothing to keep */
	if (sn->metadata->conf_state && !(conf = store_msg_copy(&sn->metadata->conf_state->base))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_snapshot_save(s, sn, err, errlen)) {
		if (conf)
			raftpb__conf_state__free_unpacked(conf, NULL);
		return -1;
	}
	store_log_reset(s, sn->metadata->index, sn->metadata->term);
	if (s->snap_conf)
		raftpb__conf_state__free_unpacked(s->snap_conf, NULL);
	s->snap_conf = conf;
	/* The configuration as of the snapshot is now the applied one. */
	if (conf && (db_batch_begin(s->db) != DB_OK || store_conf_state_set(s, conf) ||
	    db_batch_commit(s->db) != DB_OK)) {
		if (db_in_batch(s->db))
			db_batch_rollback(s->db);
		snprintf(err, errlen, "persist: cannot store the snapshot's configuration: %s",
		    db_errmsg(s->db));
		return -1;
	}
	return 0;
}

int store_persist(struct store *s, const Cetcd__Storage__PersistRequest *req,
    Cetcd__Storage__PersistResponse *out, char *err, size_t errlen)
{
	struct wal_entry *we = NULL;
	uint8_t **packed = NULL;
	uint8_t hs_buf[64];
	size_t hs_len = 0, n = req->n_entries;
	struct wal_error werr = { 0 };
	int rc = -1;

	if (s->failed || !s->wal) {
		snprintf(err, errlen, s->wal ? "storage failed earlier; restart cetcd-storaged"
		    : "persist before bootstrap");
		return -1;
	}
	if (req->snapshot && persist_snapshot(s, req->snapshot, err, errlen))
		return -1;
	if (n) {
		we = calloc(n, sizeof(*we));
		packed = calloc(n, sizeof(*packed));
		if (!we || !packed)
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		const Raftpb__Entry *e = req->entries[i];
		size_t sz = protobuf_c_message_get_packed_size(&e->base);
		packed[i] = malloc(sz ? sz : 1);
		if (!packed[i])
			goto nomem;
		protobuf_c_message_pack(&e->base, packed[i]);
		we[i] = (struct wal_entry){ e->index, e->term, packed[i], sz };
	}
	if (req->hard_state)
		hs_len = protobuf_c_message_pack(&req->hard_state->base, hs_buf);
	if (wal_save(s->wal, we, n, hs_len ? hs_buf : NULL, hs_len, &werr) != WAL_OK) {
		snprintf(err, errlen, "%s", werr.msg);
		if (werr.code != WAL_EINVAL)
			s->failed = true;
		goto out;
	}
	s->unsynced = true;
	if (n) {
		log_truncate_from(s, req->entries[0]->index);
		if (log_reserve(s, s->n_ents + n))
			goto nomem;
		for (size_t i = 0; i < n; i++) {
			Raftpb__Entry *e = entry_copy_from(packed[i], we[i].len);
			if (!e)
				goto nomem;
			s->ents[s->n_ents++] = e;
		}
	}
	if (req->hard_state) {
		s->hard_state.term = req->hard_state->term;
		s->hard_state.vote = req->hard_state->vote;
		s->hard_state.commit = req->hard_state->commit;
		s->has_hard_state = true;
	}
	out->last_index = store_last_index(s);
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	/* The WAL may hold what memory does not: only a restart is safe. */
	s->failed = true;
out:
	for (size_t i = 0; packed && i < n; i++)
		free(packed[i]);
	free(packed);
	free(we);
	return rc;
}

int store_sync(struct store *s, char *err, size_t errlen)
{
	struct wal_error werr = { 0 };

	if (!s->unsynced)
		return 0;
	if (s->failed || wal_sync(s->wal, &werr) != WAL_OK) {
		snprintf(err, errlen, "%s", s->failed ? "storage failed earlier" : werr.msg);
		s->failed = true;
		return -1;
	}
	s->unsynced = false;
	return 0;
}

static int apply_entry(struct store *s, const Raftpb__Entry *e, Cetcd__Storage__EntryResult *r)
{
	if (e->type == RAFTPB__ENTRY_TYPE__EntryConfChange || e->type == RAFTPB__ENTRY_TYPE__EntryConfChangeV2)
		return apply_conf_change(&s->applier, e, r);
	if (e->type != RAFTPB__ENTRY_TYPE__EntryNormal || !e->has_data || e->data.len == 0) {
		/* The empty entry of a new leader. */
		r->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_EMPTY;
		r->empty = NEW(Etcdserverpb__EmptyResponse, etcdserverpb__empty_response__init);
		return r->empty ? 0 : -1;
	}
	Etcdserverpb__InternalRaftRequest *req = (Etcdserverpb__InternalRaftRequest *)
	    protobuf_c_message_unpack(&etcdserverpb__internal_raft_request__descriptor,
	    NULL, e->data.len, e->data.data);
	if (!req) {
		/* Every member applies the same bytes and skips them alike. */
		r->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_EMPTY;
		r->empty = NEW(Etcdserverpb__EmptyResponse, etcdserverpb__empty_response__init);
		return r->empty ? 0 : -1;
	}
	int rc = apply_request(&s->applier, req, r);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return rc;
}

int store_apply(struct store *s, const Cetcd__Storage__ApplyRequest *req,
    Cetcd__Storage__ApplyResponse *out, char *err, size_t errlen)
{
	struct db_applied ap = { 0 };
	size_t n = req->n_entries;

	if (db_applied_get(s->db, &ap) != DB_OK || db_batch_begin(s->db) != DB_OK) {
		snprintf(err, errlen, "apply: %s", db_errmsg(s->db));
		return -1;
	}
	if (n) {
		out->results = calloc(n, sizeof(*out->results));
		if (!out->results)
			goto fail;
	}
	struct db_applied last = ap;
	for (size_t i = 0; i < n; i++) {
		const Raftpb__Entry *e = req->entries[i];
		Cetcd__Storage__EntryResult *r = NEW(Cetcd__Storage__EntryResult,
		    cetcd__storage__entry_result__init);
		if (!r)
			goto fail;
		out->results[i] = r;
		out->n_results = i + 1;
		r->index = e->index;
		if (e->index <= ap.index) {
			r->skipped = 1;
			continue;
		}
		if (apply_entry(s, e, r) != 0)
			goto fail;
		last.index = e->index;
		last.term = e->term;
	}
	if (req->conf_state && last.index > ap.index && store_conf_state_set(s, req->conf_state))
		goto fail;
	if (db_applied_set(s->db, &last) != DB_OK || db_consistent_index_set(s->db, last.index) != DB_OK ||
	    db_batch_commit(s->db) != DB_OK) {
		snprintf(err, errlen, "apply: commit failed: %s", db_errmsg(s->db));
		if (db_in_batch(s->db))
			db_batch_rollback(s->db);
		apply_alarms_load(&s->applier);
		return -1;
	}
	out->applied_index = last.index;
	out->revision = mvcc_current_revision(s->mvcc);
	/* The answer stands whatever happens to the snapshot: a failure
	 * there is logged and sticky (s->failed) if the WAL broke. */
	char serr[512];
	if (store_maybe_snapshot(s, serr, sizeof(serr)))
		fprintf(stderr, "cetcd-storaged: snapshot failed: %s\n", serr);
	/* The checkpoint goes to the worker, and the steps of a compaction
	 * this batch began to the loop: never into this commit. */
	store_after_commit(s);
	return 0;
fail:
	snprintf(err, errlen, "apply: the store failed; batch rolled back");
	db_batch_rollback(s->db);
	/* The rolled-back batch may have raised or cleared an alarm. */
	apply_alarms_load(&s->applier);
	return -1;
}

Cetcd__Storage__Error *store_error_new(enum cetcd_err code, const char *msg)
{
	Cetcd__Storage__Error *e = NEW(Cetcd__Storage__Error, cetcd__storage__error__init);

	if (!e)
		return NULL;
	e->code = (uint32_t)code;
	e->message = strdup(msg);
	if (!e->message) {
		free(e);
		return NULL;
	}
	return e;
}

void *store_msg_copy(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	void *copy;

	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
	free(buf);
	return copy;
}

/* Raft's storage errors; raft itself only needs to tell them apart. */
#define RAFT_ERR_COMPACTED "requested index is unavailable due to compaction"
#define RAFT_ERR_UNAVAILABLE "requested entry at index is unavailable"

int store_entries(struct store *s, const Cetcd__Storage__EntriesRequest *req,
    Cetcd__Storage__EntriesResponse *out, char *err, size_t errlen)
{
	uint64_t lo = req->lo, hi = req->hi, last = store_last_index(s);

	if (lo <= s->log_index) {
		out->error = store_error_new(CETCD_E_INTERNAL, RAFT_ERR_COMPACTED);
		return out->error ? 0 : -1;
	}
	if (hi > last + 1 || lo > hi) {
		out->error = store_error_new(CETCD_E_INTERNAL, RAFT_ERR_UNAVAILABLE);
		return out->error ? 0 : -1;
	}
	size_t first = (size_t)(lo - (s->log_index + 1)), count = (size_t)(hi - lo), used = 0;
	if (count) {
		out->entries = calloc(count, sizeof(*out->entries));
		if (!out->entries)
			goto nomem;
	}
	for (size_t i = 0; i < count; i++) {
		const Raftpb__Entry *src = s->ents[first + i];
		size_t sz = protobuf_c_message_get_packed_size(&src->base);
		/* Like etcd's limitSize: always at least one entry. */
		if (i > 0 && req->max_size && used + sz > req->max_size)
			break;
		uint8_t *tmp = malloc(sz ? sz : 1);
		if (!tmp)
			goto nomem;
		protobuf_c_message_pack(&src->base, tmp);
		out->entries[i] = entry_copy_from(tmp, sz);
		free(tmp);
		if (!out->entries[i])
			goto nomem;
		out->n_entries = i + 1;
		used += sz;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int store_term(struct store *s, const Cetcd__Storage__TermRequest *req,
    Cetcd__Storage__TermResponse *out, char *err, size_t errlen)
{
	if (req->index == s->log_index) {
		out->term = s->log_term;
		return 0;
	}
	if (req->index < s->log_index) {
		out->error = store_error_new(CETCD_E_INTERNAL, RAFT_ERR_COMPACTED);
		return out->error ? 0 : -1;
	}
	if (req->index > store_last_index(s)) {
		out->error = store_error_new(CETCD_E_INTERNAL, RAFT_ERR_UNAVAILABLE);
		return out->error ? 0 : -1;
	}
	out->term = s->ents[req->index - s->log_index - 1]->term;
	return 0;
}

int store_read_range(struct store *s, const Cetcd__Storage__ReadRangeRequest *req,
    Cetcd__Storage__ReadRangeResponse *out, char *err, size_t errlen)
{
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	Cetcd__Storage__EntryResult r = CETCD__STORAGE__ENTRY_RESULT__INIT;

	if (!req->request) {
		snprintf(err, errlen, "read range: no request");
		return -1;
	}
	ir.range = req->request;
	if (apply_request(&s->applier, &ir, &r) != 0) {
		apply_result_clear(&r);
		snprintf(err, errlen, "read range: the store failed");
		return -1;
	}
	/* Move the answer out of the entry result. */
	out->error = r.error;
	out->response = r.response_case == CETCD__STORAGE__ENTRY_RESULT__RESPONSE_RANGE ? r.range : NULL;
	r.error = NULL;
	r.range = NULL;
	r.response_case = 0;
	apply_result_clear(&r);
	return 0;
}

int store_status(struct store *s, Cetcd__Storage__StatusResponse *out, char *err, size_t errlen)
{
	struct db_applied ap = { 0 };

	if (db_applied_get(s->db, &ap) != DB_OK ||
	    apply_alarms_list(s->db, ETCDSERVERPB__ALARM_TYPE__NONE, &out->alarms, &out->n_alarms)) {
		snprintf(err, errlen, "status: %s", db_errmsg(s->db));
		return -1;
	}
	out->db_size = db_size_bytes(s->db);
	out->db_size_in_use = db_size_in_use_bytes(s->db);
	out->applied_index = ap.index;
	out->applied_term = ap.term;
	out->last_index = store_last_index(s);
	out->revision = mvcc_current_revision(s->mvcc);
	out->compact_revision = mvcc_compact_revision(s->mvcc);
	if (s->failed)
		out->fatal = store_error_new(CETCD_E_INTERNAL, "storage failed; restart cetcd-storaged");
	return 0;
}
