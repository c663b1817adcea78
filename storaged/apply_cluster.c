/*
 * apply_cluster.c - the applier's requests beside the key space: leases,
 * alarms (and the backend quota that raises NOSPACE), and the membership
 * changes carried by EntryConfChange entries.
 *
 * Runs in cetcd-storaged inside the db batch of an Apply request, like
 * apply.c.  Owns nothing beyond one call.  Reproduces etcd 3.4's
 * etcdserver/apply.go (LeaseGrant, LeaseRevoke, LeaseCheckpoint, Alarm),
 * api/v3alarm/alarms.go, etcdserver/quota.go and the membership checks of
 * api/membership/cluster.go (ValidateConfigurationChange).
 *
 * One departure: etcd checks the quota before proposing and raises NOSPACE
 * through Raft; here the check is made when the entry is applied and the
 * alarm is written in the same batch, so the daemon learns of it from the
 * entry's error and from STATUS / INITIAL_STATE.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/rpc.pb-c.h"
#include "storaged/apply_int.h"
#include "storaged/db.h"

/* lease/lessor.go MaxLeaseTTL. */
#define LEASE_MAX_TTL 9000000000LL
/* api/membership/cluster.go maxLearners. */
#define MAX_LEARNERS 1

/* ---------------------------------------------------------------- quota */

int apply_quota_exceeded(struct applier *a, int64_t cost, int *failed)
{
	struct db *db = mvcc_store_db(a->store);
	uint8_t key[12];
	Etcdserverpb__AlarmMember m = ETCDSERVERPB__ALARM_MEMBER__INIT;
	uint8_t val[32];

	*failed = 0;
	if (a->quota_bytes <= 0)
		return 0;
	if (a->quota_spent + cost < a->quota_room / 2) {
		a->quota_spent += cost;
		return 0;
	}
	int64_t size = db_size_bytes(db);
	a->quota_room = a->quota_bytes - size;
	a->quota_spent = 0;
	if (size + cost <= a->quota_bytes) {
		a->quota_spent = cost;
		return 0;
	}
	/* backendQuota.Available said no: raise NOSPACE for this member (as
	 * etcd's quotaKVServer proposes) and cap the applier. */
	m.memberid = a->member_id;
	m.alarm = ETCDSERVERPB__ALARM_TYPE__NOSPACE;
	db_alarm_key(a->member_id, m.alarm, key);
	size_t n = protobuf_c_message_pack(&m.base, val);
	if (db_table_put(db, DB_T_ALARMS, key, sizeof(key), val, n) != DB_OK)
		*failed = 1;
	else
		a->nospace = 1;
	return 1;
}

/* ---------------------------------------------------------------- leases */

int apply_lease_grant(struct applier *a, const Etcdserverpb__LeaseGrantRequest *r,
    Cetcd__Storage__EntryResult *res)
{
	int failed = 0, rc;

	if (a->nospace)
		return apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
	if (apply_quota_exceeded(a, APPLY_LEASE_OVERHEAD, &failed))
		return failed || apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
	/* lessor.Grant: NoLease is not a lease; then the TTL cap. */
	if (r->id == 0)
		return apply_set_error(res, CETCD_E_LEASE_NOT_FOUND) ? -1 : 0;
	if (r->ttl > LEASE_MAX_TTL)
		return apply_set_error(res, CETCD_E_LEASE_TTL_TOO_LARGE) ? -1 : 0;
	rc = mvcc_lease_grant(a->store, r->id, r->ttl);
	if (rc != MVCC_OK) {
		if (apply_set_error(res, apply_err_from_mvcc(rc)))
			return -1;
		return apply_store_failed(rc) ? -1 : 0;
	}
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_LEASE_GRANT;
	res->lease_grant = NEW(Etcdserverpb__LeaseGrantResponse, etcdserverpb__lease_grant_response__init);
	if (!res->lease_grant ||
	    !(res->lease_grant->header = apply_header_new(mvcc_current_revision(a->store))))
		return -1;
	res->lease_grant->id = r->id;
	res->lease_grant->ttl = r->ttl;
	return 0;
}

static int w_revoke(struct applier *a, struct mvcc_txn *txn, const void *req,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	const Etcdserverpb__LeaseRevokeRequest *r = req;
	int rc = mvcc_lease_revoke(txn, r->id);

	if (rc != MVCC_OK) {
		*err = apply_err_from_mvcc(rc);
		return rc;
	}
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_LEASE_REVOKE;
	res->lease_revoke = NEW(Etcdserverpb__LeaseRevokeResponse, etcdserverpb__lease_revoke_response__init);
	if (!res->lease_revoke || !(res->lease_revoke->header = apply_header_new(mvcc_txn_revision(txn)))) {
		*err = CETCD_E_NO_MEMORY;
		return MVCC_ERR_NOMEM;
	}
	return MVCC_OK;
}

int apply_lease_revoke(struct applier *a, const Etcdserverpb__LeaseRevokeRequest *r,
    Cetcd__Storage__EntryResult *res)
{
	return apply_run_write(a, w_revoke, r, res);
}

int apply_lease_checkpoint(struct applier *a, const Etcdserverpb__LeaseCheckpointRequest *r,
    Cetcd__Storage__EntryResult *res)
{
	for (size_t i = 0; i < r->n_checkpoints; i++) {
		const Etcdserverpb__LeaseCheckpoint *c = r->checkpoints[i];
		int rc = mvcc_lease_checkpoint(a->store, c->id, c->remaining_ttl);
		/* lessor.Checkpoint ignores a lease that is gone. */
		if (rc != MVCC_OK && rc != MVCC_ERR_LEASE_NOT_FOUND) {
			if (apply_set_error(res, apply_err_from_mvcc(rc)))
				return -1;
			return apply_store_failed(rc) ? -1 : 0;
		}
	}
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_LEASE_CHECKPOINT;
	res->lease_checkpoint = NEW(Etcdserverpb__LeaseCheckpointResponse,
	    etcdserverpb__lease_checkpoint_response__init);
	if (!res->lease_checkpoint ||
	    !(res->lease_checkpoint->header = apply_header_new(mvcc_current_revision(a->store))))
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- alarms */

struct alarm_list {
	int32_t type;		/* NONE: every alarm */
	Etcdserverpb__AlarmMember **v;
	size_t n, cap;
	int oom;
};

static int alarm_collect(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct alarm_list *l = arg;
	Etcdserverpb__AlarmMember *m = etcdserverpb__alarm_member__unpack(NULL, val_len, val);

	if (!m)
		return 0;	/* not ours to judge: skip an undecodable row */
	if (l->type != ETCDSERVERPB__ALARM_TYPE__NONE && (int32_t)m->alarm != l->type) {
		etcdserverpb__alarm_member__free_unpacked(m, NULL);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v) {
			etcdserverpb__alarm_member__free_unpacked(m, NULL);
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	return 0;
}

int apply_alarms_list(struct db *db, int32_t type, Etcdserverpb__AlarmMember ***out, size_t *n)
{
	struct alarm_list l = { .type = type };
	int rc = db_table_each(db, DB_T_ALARMS, alarm_collect, &l);

	if (rc != 0 || l.oom) {
		for (size_t i = 0; i < l.n; i++)
			etcdserverpb__alarm_member__free_unpacked(l.v[i], NULL);
		free(l.v);
		*out = NULL;
		*n = 0;
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int apply_alarms_load(struct applier *a)
{
	Etcdserverpb__AlarmMember **v;
	size_t n;

	if (apply_alarms_list(mvcc_store_db(a->store), ETCDSERVERPB__ALARM_TYPE__NONE, &v, &n))
		return -1;
	a->nospace = a->corrupt = 0;
	a->quota_room = a->quota_spent = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->alarm == ETCDSERVERPB__ALARM_TYPE__NOSPACE)
			a->nospace = 1;
		if (v[i]->alarm == ETCDSERVERPB__ALARM_TYPE__CORRUPT)
			a->corrupt = 1;
		etcdserverpb__alarm_member__free_unpacked(v[i], NULL);
	}
	free(v);
	return 0;
}

static int alarm_count(struct applier *a, int32_t type, size_t *count)
{
	Etcdserverpb__AlarmMember **v;

	if (apply_alarms_list(mvcc_store_db(a->store), type, &v, count))
		return -1;
	for (size_t i = 0; i < *count; i++)
		etcdserverpb__alarm_member__free_unpacked(v[i], NULL);
	free(v);
	return 0;
}

static int resp_add_alarm(Etcdserverpb__AlarmResponse *resp, uint64_t member, int32_t type)
{
	Etcdserverpb__AlarmMember *m = NEW(Etcdserverpb__AlarmMember, etcdserverpb__alarm_member__init);

	if (!m)
		return -1;
	resp->alarms = calloc(1, sizeof(*resp->alarms));
	if (!resp->alarms) {
		free(m);
		return -1;
	}
	m->memberid = member;
	m->alarm = type;
	resp->alarms[0] = m;
	resp->n_alarms = 1;
	return 0;
}

/* apply.go applierV3backend.Alarm with alarms.go's store. */
int apply_alarm(struct applier *a, const Etcdserverpb__AlarmRequest *r,
    Cetcd__Storage__EntryResult *res)
{
	struct db *db = mvcc_store_db(a->store);
	Etcdserverpb__AlarmResponse *resp;
	uint8_t key[12], val[32];
	void *old = NULL;
	size_t old_len = 0, count = 0;
	int rc;

	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_ALARM;
	resp = res->alarm = NEW(Etcdserverpb__AlarmResponse, etcdserverpb__alarm_response__init);
	if (!resp || !(resp->header = apply_header_new(mvcc_current_revision(a->store))))
		return -1;
	switch (r->action) {
	case ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__GET:
		return apply_alarms_list(db, r->alarm, &resp->alarms, &resp->n_alarms);
	case ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__ACTIVATE: {
		Etcdserverpb__AlarmMember m = ETCDSERVERPB__ALARM_MEMBER__INIT;
		/* Activate answers the alarm, new or already raised. */
		if (r->alarm == ETCDSERVERPB__ALARM_TYPE__NONE)
			return 0;
		m.memberid = r->memberid;
		m.alarm = r->alarm;
		db_alarm_key(r->memberid, r->alarm, key);
		size_t n = protobuf_c_message_pack(&m.base, val);
		if (db_table_put(db, DB_T_ALARMS, key, sizeof(key), val, n) != DB_OK ||
		    resp_add_alarm(resp, r->memberid, r->alarm))
			return -1;
		if (r->alarm == ETCDSERVERPB__ALARM_TYPE__NOSPACE)
			a->nospace = 1;
		else if (r->alarm == ETCDSERVERPB__ALARM_TYPE__CORRUPT)
			a->corrupt = 1;
		return 0;
	}
	case ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE:
		db_alarm_key(r->memberid, r->alarm, key);
		rc = db_table_get(db, DB_T_ALARMS, key, sizeof(key), &old, &old_len);
		free(old);
		if (rc == DB_ERR_NOT_FOUND)
			return 0;	/* nothing to disarm: an empty answer */
		if (rc != DB_OK || db_table_delete(db, DB_T_ALARMS, key, sizeof(key)) != DB_OK ||
		    resp_add_alarm(resp, r->memberid, r->alarm) || alarm_count(a, r->alarm, &count))
			return -1;
		/* The applier is uncapped once no alarm of the type is left. */
		if (count == 0 && r->alarm == ETCDSERVERPB__ALARM_TYPE__NOSPACE)
			a->nospace = 0;
		if (count == 0 && r->alarm == ETCDSERVERPB__ALARM_TYPE__CORRUPT)
			a->corrupt = 0;
		return 0;
	default:
		/* apply.go answers an unknown action with nothing. */
		return 0;
	}
}

/* ---------------------------------------------------------------- members */

struct member_list {
	Etcdserverpb__Member **v;
	size_t n, cap;
	int oom;
};

static int member_collect(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct member_list *l = arg;
	Etcdserverpb__Member *m = etcdserverpb__member__unpack(NULL, val_len, val);

	if (!m)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v) {
			etcdserverpb__member__free_unpacked(m, NULL);
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = m;
	return 0;
}

int apply_members_list(struct db *db, Etcdserverpb__Member ***out, size_t *n)
{
	struct member_list l = { 0 };
	int rc = db_table_each(db, DB_T_MEMBERS, member_collect, &l);

	if (rc != 0 || l.oom) {
		for (size_t i = 0; i < l.n; i++)
			etcdserverpb__member__free_unpacked(l.v[i], NULL);
		free(l.v);
		*out = NULL;
		*n = 0;
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void apply_members_free(Etcdserverpb__Member **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		etcdserverpb__member__free_unpacked(v[i], NULL);
	free(v);
}

int apply_member_put(struct db *db, const Etcdserverpb__Member *m)
{
	uint8_t key[8];
	size_t n = protobuf_c_message_get_packed_size(&m->base);
	uint8_t *buf = malloc(n ? n : 1);
	int rc;

	if (!buf)
		return -1;
	protobuf_c_message_pack(&m->base, buf);
	db_u64_key(m->id, key);
	rc = db_table_put(db, DB_T_MEMBERS, key, sizeof(key), buf, n);
	free(buf);
	return rc == DB_OK ? 0 : -1;
}

/* The member a ConfChange's context describes: etcd 3.4 puts there the JSON
 * of membership.ConfigChangeContext (a Member with "isPromote"). */
struct cc_member {
	Etcdserverpb__Member m;
	int is_promote;
	json_t *root;		/* owns the strings m points into */
};

static char **json_strings(json_t *arr, size_t *n)
{
	size_t k = json_is_array(arr) ? json_array_size(arr) : 0;
	char **v = k ? calloc(k, sizeof(*v)) : NULL;

	*n = 0;
	for (size_t i = 0; v && i < k; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (s)
			v[(*n)++] = (char *)s;
	}
	return v;
}

static int cc_member_parse(const ProtobufCBinaryData *ctx, uint64_t id, struct cc_member *out)
{
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	etcdserverpb__member__init(&out->m);
	out->m.id = id;
	out->m.name = (char *)"";
	if (ctx->len == 0)
		return 0;
	/* Ids are uint64: decoded as reals they lose precision, which does
	 * not matter since the id comes from the ConfChange itself. */
	out->root = json_loadb((const char *)ctx->data, ctx->len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!json_is_object(out->root))
		return -1;
	const char *name = json_string_value(json_object_get(out->root, "name"));
	if (name)
		out->m.name = (char *)name;
	out->m.peerurls = json_strings(json_object_get(out->root, "peerURLs"), &out->m.n_peerurls);
	out->m.clienturls = json_strings(json_object_get(out->root, "clientURLs"), &out->m.n_clienturls);
	out->m.islearner = json_is_true(json_object_get(out->root, "isLearner"));
	out->is_promote = json_is_true(json_object_get(out->root, "isPromote"));
	return 0;
}

static void cc_member_free(struct cc_member *c)
{
	free(c->m.peerurls);
	free(c->m.clienturls);
	json_decref(c->root);
}

/* A peer URL of m already used by another member. */
static int peer_url_taken(Etcdserverpb__Member **v, size_t n, const Etcdserverpb__Member *m)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i]->id == m->id)
			continue;
		for (size_t j = 0; j < v[i]->n_peerurls; j++)
			for (size_t k = 0; k < m->n_peerurls; k++)
				if (strcmp(v[i]->peerurls[j], m->peerurls[k]) == 0)
					return 1;
	}
	return 0;
}

static Etcdserverpb__Member *member_find(Etcdserverpb__Member **v, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->id == id)
			return v[i];
	return NULL;
}

static int conf_change_result(struct applier *a, Cetcd__Storage__EntryResult *res)
{
	Cetcd__Storage__ConfChangeResult *r = NEW(Cetcd__Storage__ConfChangeResult,
	    cetcd__storage__conf_change_result__init);

	if (!r)
		return -1;
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_CONF_CHANGE;
	res->conf_change = r;
	return apply_members_list(mvcc_store_db(a->store), &r->members, &r->n_members);
}

int apply_conf_change(struct applier *a, const Raftpb__Entry *e, Cetcd__Storage__EntryResult *res)
{
	struct db *db = mvcc_store_db(a->store);
	Raftpb__ConfChange *cc = NULL;
	struct cc_member cm = { 0 };
	Etcdserverpb__Member **v = NULL, *cur;
	size_t n = 0, learners = 0;
	enum cetcd_err err = CETCD_OK;
	uint8_t key[8];
	void *val = NULL;
	size_t val_len = 0;
	int rc = -1;

	/* ConfChangeV2 (not proposed by etcd 3.4) and undecodable entries
	 * change no member; Raft's own configuration is the daemon's. */
	if (e->type == RAFTPB__ENTRY_TYPE__EntryConfChange && e->has_data)
		cc = raftpb__conf_change__unpack(NULL, e->data.len, e->data.data);
	if (!cc)
		return conf_change_result(a, res);
	if (cc_member_parse(&cc->context, cc->node_id, &cm) != 0) {
		err = CETCD_E_MEMBER_BAD_URLS;
		goto answer;
	}
	if (apply_members_list(db, &v, &n))
		goto out;
	cur = member_find(v, n, cc->node_id);
	for (size_t i = 0; i < n; i++)
		learners += v[i]->islearner;
	db_u64_key(cc->node_id, key);
	int removed = db_table_get(db, DB_T_MEMBERS_REMOVED, key, sizeof(key), &val, &val_len);
	free(val);
	if (removed != DB_OK && removed != DB_ERR_NOT_FOUND)
		goto out;
	/* ValidateConfigurationChange, in etcd's order. */
	if (removed == DB_OK) {
		err = CETCD_E_MEMBER_NOT_FOUND;	/* ErrIDRemoved */
		goto answer;
	}
	switch (cc->type) {
	case RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddNode:
	case RAFTPB__CONF_CHANGE_TYPE__ConfChangeAddLearnerNode:
		if (cm.is_promote) {
			if (!cur)
				err = CETCD_E_MEMBER_NOT_FOUND;
			else if (!cur->islearner)
				err = CETCD_E_MEMBER_NOT_LEARNER;
			if (err)
				goto answer;
			cur->islearner = 0;
			if (apply_member_put(db, cur))
				goto out;
			break;
		}
		if (cur)
			err = CETCD_E_MEMBER_EXIST;
		else if (peer_url_taken(v, n, &cm.m))
			err = CETCD_E_PEER_URL_EXIST;
		else if (cm.m.islearner && learners + 1 > MAX_LEARNERS)
			err = CETCD_E_TOO_MANY_LEARNERS;
		if (err)
			goto answer;
		if (apply_member_put(db, &cm.m))
			goto out;
		break;
	case RAFTPB__CONF_CHANGE_TYPE__ConfChangeRemoveNode:
		if (!cur) {
			err = CETCD_E_MEMBER_NOT_FOUND;
			goto answer;
		}
		if (db_table_delete(db, DB_T_MEMBERS, key, sizeof(key)) != DB_OK ||
		    db_table_put(db, DB_T_MEMBERS_REMOVED, key, sizeof(key), "", 0) != DB_OK)
			goto out;
		break;
	case RAFTPB__CONF_CHANGE_TYPE__ConfChangeUpdateNode: {
		if (!cur) {
			err = CETCD_E_MEMBER_NOT_FOUND;
			goto answer;
		}
		if (peer_url_taken(v, n, &cm.m)) {
			err = CETCD_E_PEER_URL_EXIST;
			goto answer;
		}
		/* UpdateRaftAttributes: new peer URLs, the rest kept. */
		Etcdserverpb__Member up = *cur;
		up.peerurls = cm.m.peerurls;
		up.n_peerurls = cm.m.n_peerurls;
		if (apply_member_put(db, &up))
			goto out;
		break;
	}
	default:
		break;
	}
answer:
	if (err != CETCD_OK)
		rc = apply_set_error(res, err) ? -1 : 0;
	else
		rc = conf_change_result(a, res);
out:
	apply_members_free(v, n);
	cc_member_free(&cm);
	raftpb__conf_change__free_unpacked(cc, NULL);
	return rc;
}
