/*
 * check_apply.c - the applier reproduces etcd 3.4's apply.go: Put, Range,
 * DeleteRange, Txn (compares on every target, missing keys, nested txns,
 * the checks made before writing), Compaction, and the errors etcd gives.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storaged/apply.h"
#include "storaged/db.h"
#include "storaged/mvcc.h"

static char dir[] = "/tmp/check_apply.XXXXXX";
static struct db *db;
static struct mvcc_store *store;
static struct applier ap;

static void setup(void)
{
	char path[64], err[256];

	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/check_apply.XXXXXX")));
	snprintf(path, sizeof(path), "%s/db", dir);
	ck_assert_int_eq(db_open(path, NULL, &db, err, sizeof(err)), 0);
	ck_assert_int_eq(mvcc_store_open(db, &store), 0);
	ap = (struct applier){ .store = store };
}

static void teardown(void)
{
	char cmd[128];

	mvcc_store_close(store);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static ProtobufCBinaryData B(const char *s)
{
	return (ProtobufCBinaryData){ strlen(s), (uint8_t *)s };
}

/* Applies req; returns the result (static, cleared on the next call). */
static Cetcd__Storage__EntryResult *apply(Etcdserverpb__InternalRaftRequest *req)
{
	static Cetcd__Storage__EntryResult res = CETCD__STORAGE__ENTRY_RESULT__INIT;

	apply_result_clear(&res);
	int rc = apply_request(&ap, req, &res);
	ck_assert_msg(rc == 0, "apply failed: %s", res.error ? res.error->message : "?");
	return &res;
}

static Cetcd__Storage__EntryResult *put(const char *k, const char *v)
{
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	p.key = B(k);
	p.value = B(v);
	r.put = &p;
	return apply(&r);
}

START_TEST(put_revisions_and_events)
{
	Cetcd__Storage__EntryResult *res = put("foo", "bar");
	ck_assert_ptr_null(res->error);
	ck_assert_int_eq(res->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_PUT);
	ck_assert_int_eq(res->put->header->revision, 2);
	ck_assert_uint_eq(res->n_events, 1);
	ck_assert_int_eq(res->events[0]->type, MVCCPB__EVENT__EVENT_TYPE__PUT);
	ck_assert_int_eq(res->events[0]->kv->mod_revision, 2);
	ck_assert_int_eq(res->events[0]->kv->version, 1);

	/* prev_kv and ignore_value. */
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	p.key = B("foo");
	p.ignore_value = 1;
	p.prev_kv = 1;
	r.put = &p;
	res = apply(&r);
	ck_assert_ptr_null(res->error);
	ck_assert_int_eq(res->put->header->revision, 3);
	ck_assert_ptr_nonnull(res->put->prev_kv);
	ck_assert_int_eq(res->put->prev_kv->version, 1);
	ck_assert_int_eq(res->events[0]->kv->version, 2);
	ck_assert(memcmp(res->events[0]->kv->value.data, "bar", 3) == 0);

	/* ignore_value on a missing key: etcd's "key not found", nothing written. */
	p.key = B("nope");
	res = apply(&r);
	ck_assert_ptr_nonnull(res->error);
	ck_assert_str_eq(res->error->message, "etcdserver: key not found");
	ck_assert_int_eq(res->response_case, 0);
	ck_assert_uint_eq(res->n_events, 0);
	ck_assert_int_eq(mvcc_current_revision(store), 3);

	/* Unknown lease. */
	p.key = B("k");
	p.ignore_value = 0;
	p.lease = 42;
	res = apply(&r);
	ck_assert_ptr_nonnull(res->error);
	ck_assert_str_eq(res->error->message, "etcdserver: requested lease not found");
}
END_TEST

START_TEST(range_and_errors)
{
	put("a", "1");
	put("b", "2");
	put("c", "3");
	Etcdserverpb__RangeRequest q = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	q.key = B("a");
	q.range_end = B("c");
	q.limit = 1;
	q.keys_only = 1;
	r.range = &q;
	Cetcd__Storage__EntryResult *res = apply(&r);
	ck_assert_ptr_null(res->error);
	ck_assert_uint_eq(res->range->n_kvs, 1);
	ck_assert_int_eq(res->range->count, 2);
	ck_assert(res->range->more);
	ck_assert_uint_eq(res->range->kvs[0]->value.len, 0);
	ck_assert_int_eq(res->range->header->revision, 4);
	q.revision = 99;
	res = apply(&r);
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: required revision is a future revision");
}
END_TEST

static Etcdserverpb__Compare *cmp(Etcdserverpb__Compare *c, const char *key, int target, int result)
{
	etcdserverpb__compare__init(c);
	c->key = B(key);
	c->target = target;
	c->result = result;
	return c;
}

START_TEST(txn_compares)
{
	put("k", "v1");			/* rev 2: create 2, mod 2, version 1 */
	Etcdserverpb__Compare c;
	Etcdserverpb__Compare *cs[] = { &c };
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__RequestOp op = ETCDSERVERPB__REQUEST_OP__INIT;
	Etcdserverpb__RequestOp *ops[] = { &op };
	Etcdserverpb__TxnRequest t = ETCDSERVERPB__TXN_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	p.key = B("k");
	p.value = B("v2");
	op.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT;
	op.request_put = &p;
	t.compare = cs;
	t.n_compare = 1;
	t.success = ops;
	t.n_success = 1;
	r.txn = &t;

	struct { const char *key; int target; int result; int64_t arg; const char *val; int want; } cases[] = {
		{ "k", 0 /* VERSION */, 0 /* EQUAL */, 1, NULL, 1 },
		{ "k", 0, 2 /* LESS */, 1, NULL, 0 },
		{ "k", 1 /* CREATE */, 1 /* GREATER */, 1, NULL, 1 },
		{ "k", 2 /* MOD */, 3 /* NOT_EQUAL */, 2, NULL, 0 },
		{ "k", 3 /* VALUE */, 0, 0, "v1", 1 },
		{ "k", 3, 2, 0, "v0", 0 },
		{ "k", 4 /* LEASE */, 0, 0, NULL, 1 },
		/* A missing key: version 0, but any VALUE compare fails. */
		{ "missing", 0, 0, 0, NULL, 1 },
		{ "missing", 3, 3, 0, "x", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cmp(&c, cases[i].key, cases[i].target, cases[i].result);
		switch (cases[i].target) {
		case 0: c.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_VERSION; c.version = cases[i].arg; break;
		case 1: c.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_CREATE_REVISION; c.create_revision = cases[i].arg; break;
		case 2: c.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_MOD_REVISION; c.mod_revision = cases[i].arg; break;
		case 3: c.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE; c.value = B(cases[i].val); break;
		case 4: c.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_LEASE; c.lease = cases[i].arg; break;
		}
		int64_t before = mvcc_current_revision(store);
		Cetcd__Storage__EntryResult *res = apply(&r);
		ck_assert_ptr_null(res->error);
		ck_assert_msg(res->txn->succeeded == cases[i].want, "case %zu", i);
		if (cases[i].want) {
			ck_assert_uint_eq(res->txn->n_responses, 1);
			ck_assert_int_eq(res->txn->header->revision, before + 1);
			ck_assert_int_eq(res->txn->responses[0]->response_put->header->revision, before + 1);
			ck_assert_uint_eq(res->n_events, 1);
		} else {
			/* Empty failure branch: nothing written, revision unchanged. */
			ck_assert_uint_eq(res->txn->n_responses, 0);
			ck_assert_int_eq(res->txn->header->revision, before);
			ck_assert_uint_eq(res->n_events, 0);
		}
		/* Put k back to version 1 state for the next case. */
		Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
		Etcdserverpb__InternalRaftRequest dr = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
		d.key = B("k");
		dr.delete_range = &d;
		apply(&dr);
		Cetcd__Storage__EntryResult *pr = put("k", "v1");
		int64_t rev = pr->put->header->revision;
		/* Re-created: create = mod = rev, version 1. */
		if (i + 1 < sizeof(cases) / sizeof(cases[0])) {
			if (cases[i + 1].target == 1)
				cases[i + 1].arg = rev - 1;
			if (cases[i + 1].target == 2)
				cases[i + 1].arg = rev;
		}
	}
}
END_TEST

START_TEST(txn_reads_own_writes_and_nested)
{
	Etcdserverpb__PutRequest p = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__RangeRequest q = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Etcdserverpb__RequestOp o1 = ETCDSERVERPB__REQUEST_OP__INIT, o2 = ETCDSERVERPB__REQUEST_OP__INIT,
	    o3 = ETCDSERVERPB__REQUEST_OP__INIT, in = ETCDSERVERPB__REQUEST_OP__INIT;
	Etcdserverpb__TxnRequest inner = ETCDSERVERPB__TXN_REQUEST__INIT, t = ETCDSERVERPB__TXN_REQUEST__INIT;
	Etcdserverpb__PutRequest p2 = ETCDSERVERPB__PUT_REQUEST__INIT;
	Etcdserverpb__RequestOp *inner_ops[] = { &in };
	Etcdserverpb__RequestOp *ops[] = { &o1, &o2, &o3 };
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;

	p.key = B("x");
	p.value = B("1");
	o1.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT;
	o1.request_put = &p;
	q.key = B("x");
	o2.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE;
	o2.request_range = &q;
	p2.key = B("y");
	p2.value = B("2");
	in.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT;
	in.request_put = &p2;
	inner.failure = inner_ops;	/* no compares: success branch, empty */
	inner.n_failure = 1;
	o3.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN;
	o3.request_txn = &inner;
	t.success = ops;
	t.n_success = 3;
	r.txn = &t;

	Cetcd__Storage__EntryResult *res = apply(&r);
	ck_assert_ptr_null(res->error);
	ck_assert(res->txn->succeeded);
	ck_assert_uint_eq(res->txn->n_responses, 3);
	/* The range inside the txn sees the txn's own put. */
	Etcdserverpb__RangeResponse *rr = res->txn->responses[1]->response_range;
	ck_assert_uint_eq(rr->n_kvs, 1);
	ck_assert_int_eq(rr->kvs[0]->mod_revision, 2);
	ck_assert_int_eq(rr->header->revision, 2);
	Etcdserverpb__TxnResponse *nested = res->txn->responses[2]->response_txn;
	ck_assert(nested->succeeded);
	ck_assert_uint_eq(nested->n_responses, 0);
	ck_assert_int_eq(res->txn->header->revision, 2);
	ck_assert_uint_eq(res->n_events, 1);

	/* A read-only txn does not move the revision. */
	t.n_success = 1;
	ops[0] = &o2;
	res = apply(&r);
	ck_assert_int_eq(res->txn->header->revision, 2);
	ck_assert_int_eq(mvcc_current_revision(store), 2);

	/* A branch range at a future revision fails the whole txn, before any write. */
	q.revision = 50;
	ops[0] = &o1;
	ops[1] = &o2;
	t.n_success = 2;
	res = apply(&r);
	ck_assert_ptr_nonnull(res->error);
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: required revision is a future revision");
	ck_assert_int_eq(mvcc_current_revision(store), 2);
}
END_TEST

START_TEST(compaction_and_nospace)
{
	put("a", "1");
	put("a", "2");
	put("a", "3");
	Etcdserverpb__CompactionRequest c = ETCDSERVERPB__COMPACTION_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	c.revision = 3;
	r.compaction = &c;
	Cetcd__Storage__EntryResult *res = apply(&r);
	ck_assert_ptr_null(res->error);
	ck_assert_int_eq(res->compaction->header->revision, 4);
	/* The applier only sets the compaction point; the deletes are steps
	 * storaged runs between batches. */
	ck_assert(mvcc_compact_pending(store));
	res = apply(&r);
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: required revision has been compacted");
	c.revision = 10;
	res = apply(&r);
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: required revision is a future revision");

	ap.nospace = 1;
	res = put("a", "4");
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: database space exceeded");
	Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest dr = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	d.key = B("a");
	d.prev_kv = 1;
	dr.delete_range = &d;
	res = apply(&dr);
	ck_assert_ptr_null(res->error);
	ck_assert_int_eq(res->delete_range->deleted, 1);
	ck_assert_uint_eq(res->delete_range->n_prev_kvs, 1);
	ck_assert_int_eq(res->events[0]->type, MVCCPB__EVENT__EVENT_TYPE__DELETE);
}
END_TEST

START_TEST(empty_entry)
{
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	Cetcd__Storage__EntryResult *res = apply(&r);
	ck_assert_int_eq(res->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_EMPTY);
}
END_TEST


/* Applies an alarm request inside a db batch (the alarms table changes
 * only in one, as under APPLY). */
static Cetcd__Storage__EntryResult *alarm_req(int action, uint64_t member, int type)
{
	Etcdserverpb__AlarmRequest ar = ETCDSERVERPB__ALARM_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	ar.action = action;
	ar.memberid = member;
	ar.alarm = type;
	r.alarm = &ar;
	ck_assert_int_eq(db_batch_begin(db), 0);
	Cetcd__Storage__EntryResult *res = apply(&r);
	ck_assert_int_eq(db_batch_commit(db), 0);
	ck_assert_int_eq(res->response_case, CETCD__STORAGE__ENTRY_RESULT__RESPONSE_ALARM);
	return res;
}

static Cetcd__Storage__EntryResult *put_in_batch(const char *k, const char *v)
{
	ck_assert_int_eq(db_batch_begin(db), 0);
	Cetcd__Storage__EntryResult *res = put(k, v);
	ck_assert_int_eq(db_batch_commit(db), 0);
	return res;
}

/* apply.go's Alarm with alarms.go: GET filters by type (NONE: all),
 * ACTIVATE answers the alarm and caps the applier (NOSPACE: writes fail;
 * CORRUPT: every key-space request fails), DEACTIVATE of an alarm that is
 * not raised answers nothing. */
START_TEST(alarms_as_etcd)
{
	Cetcd__Storage__EntryResult *res;

	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__ACTIVATE, 1, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(res->alarm->n_alarms, 1);
	ck_assert_uint_eq(res->alarm->alarms[0]->memberid, 1);
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__ACTIVATE, 2, ETCDSERVERPB__ALARM_TYPE__CORRUPT);
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__GET, 0, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(res->alarm->n_alarms, 1);
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__GET, 0, ETCDSERVERPB__ALARM_TYPE__NONE);
	ck_assert_uint_eq(res->alarm->n_alarms, 2);
	res = put_in_batch("a", "1");
	ck_assert_str_eq(res->error->message, "etcdserver: corrupt cluster");
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE, 2, ETCDSERVERPB__ALARM_TYPE__CORRUPT);
	ck_assert_uint_eq(res->alarm->n_alarms, 1);
	res = put_in_batch("a", "1");
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: database space exceeded");
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE, 5, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(res->alarm->n_alarms, 0);
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__DEACTIVATE, 1, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ck_assert_uint_eq(res->alarm->n_alarms, 1);
	res = put_in_batch("a", "1");
	ck_assert_ptr_null(res->error);
	/* The state comes back from the table (a restart). */
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__ACTIVATE, 3, ETCDSERVERPB__ALARM_TYPE__NOSPACE);
	ap.nospace = 0;
	ck_assert_int_eq(apply_alarms_load(&ap), 0);
	ck_assert_int_eq(ap.nospace, 1);
	ck_assert_int_eq(ap.corrupt, 0);
}
END_TEST

/* The quota: a put that would take the db past it fails and raises
 * NOSPACE for this member; deletes still work. */
START_TEST(quota_raises_nospace)
{
	Cetcd__Storage__EntryResult *res;
	static char big[8192];

	memset(big, 'q', sizeof(big) - 1);
	ap.member_id = 77;
	ap.quota_bytes = db_size_bytes(db) + 64 * 1024;
	int i;
	for (i = 0; i < 100; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		res = put_in_batch(k, big);
		if (res->error)
			break;
	}
	ck_assert_int_lt(i, 100);
	ck_assert_str_eq(res->error->message, "etcdserver: mvcc: database space exceeded");
	ck_assert_int_eq(ap.nospace, 1);
	res = alarm_req(ETCDSERVERPB__ALARM_REQUEST__ALARM_ACTION__GET, 0, ETCDSERVERPB__ALARM_TYPE__NONE);
	ck_assert_uint_eq(res->alarm->n_alarms, 1);
	ck_assert_uint_eq(res->alarm->alarms[0]->memberid, 77);
	Etcdserverpb__DeleteRangeRequest d = ETCDSERVERPB__DELETE_RANGE_REQUEST__INIT;
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	d.key = B("k0");
	r.delete_range = &d;
	res = apply(&r);
	ck_assert_ptr_null(res->error);
	ck_assert_int_eq(res->delete_range->deleted, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apply");
	TCase *tc = tcase_create("etcd apply.go");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, put_revisions_and_events);
	tcase_add_test(tc, range_and_errors);
	tcase_add_test(tc, txn_compares);
	tcase_add_test(tc, txn_reads_own_writes_and_nested);
	tcase_add_test(tc, compaction_and_nospace);
	tcase_add_test(tc, empty_entry);
	tcase_add_test(tc, alarms_as_etcd);
	tcase_add_test(tc, quota_raises_nospace);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
