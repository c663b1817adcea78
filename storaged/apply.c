/*
 * apply.c - applies etcd requests to the MVCC store, as etcd 3.4's
 * applierV3backend does (etcdserver/apply.go).
 *
 * Runs in cetcd-storaged, on its single store thread, inside the db batch
 * of an Apply request.  Owns nothing beyond one call: every response it
 * builds is malloc'd into the caller's EntryResult, copied out of the
 * store's results, which are freed before returning.  Request errors
 * (compacted, key not found, ...) change nothing and travel in the result;
 * only a failing store (MVCC_ERR_DB/NOMEM) makes the batch roll back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "storaged/apply.h"
#include "storaged/apply_int.h"
#include "storaged/mvcc.h"

/* ---------------------------------------------------------------- helpers */

enum cetcd_err apply_err_from_mvcc(int rc)
{
	switch (rc) {
	case MVCC_ERR_FUTURE_REV: return CETCD_E_FUTURE_REV;
	case MVCC_ERR_COMPACTED: return CETCD_E_COMPACTED;
	case MVCC_ERR_KEY_NOT_FOUND: return CETCD_E_KEY_NOT_FOUND;
	case MVCC_ERR_LEASE_NOT_FOUND: return CETCD_E_LEASE_NOT_FOUND;
	case MVCC_ERR_LEASE_EXISTS: return CETCD_E_LEASE_EXIST;
	case MVCC_ERR_NOMEM: return CETCD_E_NO_MEMORY;
	default: return CETCD_E_INTERNAL;
	}
}

/* The store failed: the batch must be rolled back. */
int apply_store_failed(int rc)
{
	return rc == MVCC_ERR_DB || rc == MVCC_ERR_NOMEM || rc == MVCC_ERR_STATE;
}

int apply_bytes_dup(ProtobufCBinaryData *dst, const uint8_t *src, size_t n)
{
	dst->len = 0;
	dst->data = NULL;
	if (n == 0)
		return 0;
	dst->data = malloc(n);
	if (!dst->data)
		return -1;
	memcpy(dst->data, src, n);
	dst->len = n;
	return 0;
}

Mvccpb__KeyValue *apply_kv_to_pb(const struct mvcc_kv *kv, int with_value)
{
	Mvccpb__KeyValue *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	mvccpb__key_value__init(p);
	p->create_revision = kv->create_revision;
	p->mod_revision = kv->mod_revision;
	p->version = kv->version;
	p->lease = kv->lease;
	if (apply_bytes_dup(&p->key, kv->key, kv->key_len) ||
	    (with_value && apply_bytes_dup(&p->value, kv->value, kv->value_len))) {
		protobuf_c_message_free_unpacked(&p->base, NULL);
		return NULL;
	}
	return p;
}

Etcdserverpb__ResponseHeader *apply_header_new(int64_t rev)
{
	Etcdserverpb__ResponseHeader *h = malloc(sizeof(*h));

	if (h) {
		etcdserverpb__response_header__init(h);
		h->revision = rev;
	}
	return h;
}


/* ---------------------------------------------------------------- range */

static void range_req_from_pb(struct mvcc_range_req *q, const Etcdserverpb__RangeRequest *r)
{
	memset(q, 0, sizeof(*q));
	q->key = r->key.data;
	q->key_len = r->key.len;
	q->range_end = r->range_end.data;
	q->range_end_len = r->range_end.len;
	q->limit = r->limit;
	q->revision = r->revision;
	q->sort_order = (enum mvcc_sort_order)r->sort_order;
	q->sort_target = (enum mvcc_sort_target)r->sort_target;
	q->keys_only = r->keys_only;
	q->count_only = r->count_only;
	q->min_mod_revision = r->min_mod_revision;
	q->max_mod_revision = r->max_mod_revision;
	q->min_create_revision = r->min_create_revision;
	q->max_create_revision = r->max_create_revision;
}

static int range_resp_from_result(const Etcdserverpb__RangeRequest *r,
    const struct mvcc_range_result *rr, Etcdserverpb__RangeResponse **out)
{
	Etcdserverpb__RangeResponse *resp = NEW(Etcdserverpb__RangeResponse,
	    etcdserverpb__range_response__init);

	if (!resp)
		return -1;
	*out = resp;
	resp->header = apply_header_new(rr->revision);
	resp->count = rr->count;
	resp->more = rr->more;
	if (!resp->header)
		return -1;
	if (rr->n_kvs) {
		resp->kvs = calloc(rr->n_kvs, sizeof(*resp->kvs));
		if (!resp->kvs)
			return -1;
		for (size_t i = 0; i < rr->n_kvs; i++) {
			resp->kvs[i] = apply_kv_to_pb(&rr->kvs[i], !r->keys_only);
			if (!resp->kvs[i])
				return -1;
			resp->n_kvs = i + 1;
		}
	}
	return 0;
}

/* A range outside (txn == NULL) or inside a write txn. */
static int do_range(struct applier *a, struct mvcc_txn *txn,
    const Etcdserverpb__RangeRequest *r, Etcdserverpb__RangeResponse **out, enum cetcd_err *err)
{
	struct mvcc_range_req q;
	struct mvcc_range_result rr = { 0 };
	int rc;

	range_req_from_pb(&q, r);
	rc = txn ? mvcc_txn_range(txn, &q, &rr) : mvcc_range(a->store, &q, &rr);
	if (rc != MVCC_OK) {
		*err = apply_err_from_mvcc(rc);
		return rc;
	}
	rc = range_resp_from_result(r, &rr, out);
	mvcc_range_result_free(&rr);
	if (rc) {
		*err = CETCD_E_NO_MEMORY;
		return MVCC_ERR_NOMEM;
	}
	return MVCC_OK;
}

/* ---------------------------------------------------------------- put, delete */

static int do_put(struct mvcc_txn *txn, const Etcdserverpb__PutRequest *p,
    Etcdserverpb__PutResponse **out, enum cetcd_err *err)
{
	struct mvcc_put_req q = {
		.key = p->key.data, .key_len = p->key.len,
		.value = p->value.data, .value_len = p->value.len,
		.lease = p->lease, .prev_kv = p->prev_kv,
		.ignore_value = p->ignore_value, .ignore_lease = p->ignore_lease,
	};
	struct mvcc_put_result res = { 0 };
	int rc = mvcc_txn_put(txn, &q, &res);

	if (rc != MVCC_OK) {
		*err = apply_err_from_mvcc(rc);
		return rc;
	}
	Etcdserverpb__PutResponse *resp = NEW(Etcdserverpb__PutResponse, etcdserverpb__put_response__init);
	*out = resp;
	if (!resp || !(resp->header = apply_header_new(res.revision)) ||
	    (res.has_prev_kv && !(resp->prev_kv = apply_kv_to_pb(&res.prev_kv, 1)))) {
		*err = CETCD_E_NO_MEMORY;
		return MVCC_ERR_NOMEM;
	}
	return MVCC_OK;
}

static int do_delete(struct mvcc_txn *txn, const Etcdserverpb__DeleteRangeRequest *d,
    Etcdserverpb__DeleteRangeResponse **out, enum cetcd_err *err)
{
	struct mvcc_delete_req q = {
		.key = d->key.data, .key_len = d->key.len,
		.range_end = d->range_end.data, .range_end_len = d->range_end.len,
		.prev_kv = d->prev_kv,
	};
	struct mvcc_delete_result res = { 0 };
	int rc = mvcc_txn_delete_range(txn, &q, &res);

	if (rc != MVCC_OK) {
		*err = apply_err_from_mvcc(rc);
		return rc;
	}
	Etcdserverpb__DeleteRangeResponse *resp = NEW(Etcdserverpb__DeleteRangeResponse,
	    etcdserverpb__delete_range_response__init);
	*out = resp;
	if (!resp || !(resp->header = apply_header_new(res.revision)))
		goto nomem;
	resp->deleted = res.deleted;
	if (res.n_prev_kvs) {
		resp->prev_kvs = calloc(res.n_prev_kvs, sizeof(*resp->prev_kvs));
		if (!resp->prev_kvs)
			goto nomem;
		for (size_t i = 0; i < res.n_prev_kvs; i++) {
			if (!(resp->prev_kvs[i] = apply_kv_to_pb(&res.prev_kvs[i], 1)))
				goto nomem;
			resp->n_prev_kvs = i + 1;
		}
	}
	return MVCC_OK;
nomem:
	*err = CETCD_E_NO_MEMORY;
	return MVCC_ERR_NOMEM;
}

/* ---------------------------------------------------------------- txn */

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : cmp_i64((int64_t)an, (int64_t)bn);
}

/* etcd's compareKV. */
static int compare_kv(const Etcdserverpb__Compare *c, const struct mvcc_kv *kv)
{
	int r = 0;

	switch (c->target) {
	case ETCDSERVERPB__COMPARE__COMPARE_TARGET__VALUE: {
		int set = c->target_union_case == ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE;
		r = cmp_bytes(kv->value, kv->value_len, set ? c->value.data : NULL, set ? c->value.len : 0);
		break;
	}
	case ETCDSERVERPB__COMPARE__COMPARE_TARGET__CREATE:
		r = cmp_i64(kv->create_revision, c->target_union_case ==
		    ETCDSERVERPB__COMPARE__TARGET_UNION_CREATE_REVISION ? c->create_revision : 0);
		break;
	case ETCDSERVERPB__COMPARE__COMPARE_TARGET__MOD:
		r = cmp_i64(kv->mod_revision, c->target_union_case ==
		    ETCDSERVERPB__COMPARE__TARGET_UNION_MOD_REVISION ? c->mod_revision : 0);
		break;
	case ETCDSERVERPB__COMPARE__COMPARE_TARGET__VERSION:
		r = cmp_i64(kv->version, c->target_union_case ==
		    ETCDSERVERPB__COMPARE__TARGET_UNION_VERSION ? c->version : 0);
		break;
	case ETCDSERVERPB__COMPARE__COMPARE_TARGET__LEASE:
		r = cmp_i64(kv->lease, c->target_union_case ==
		    ETCDSERVERPB__COMPARE__TARGET_UNION_LEASE ? c->lease : 0);
		break;
	default:
		break;
	}
	switch (c->result) {
	case ETCDSERVERPB__COMPARE__COMPARE_RESULT__EQUAL: return r == 0;
	case ETCDSERVERPB__COMPARE__COMPARE_RESULT__NOT_EQUAL: return r != 0;
	case ETCDSERVERPB__COMPARE__COMPARE_RESULT__GREATER: return r > 0;
	case ETCDSERVERPB__COMPARE__COMPARE_RESULT__LESS: return r < 0;
	default: return 1;
	}
}

/* etcd's applyCompare: every key in the range must satisfy c; a missing
 * key compares as a zero KeyValue, except that a VALUE compare fails. */
static int apply_compare(struct applier *a, const Etcdserverpb__Compare *c, int *ok)
{
	struct mvcc_range_req q = {
		.key = c->key.data, .key_len = c->key.len,
		.range_end = c->range_end.data, .range_end_len = c->range_end.len,
	};
	struct mvcc_range_result rr = { 0 };
	int rc = mvcc_range(a->store, &q, &rr);

	if (rc != MVCC_OK) {
		*ok = 0;
		return apply_store_failed(rc) ? rc : MVCC_OK;
	}
	if (rr.n_kvs == 0) {
		static const struct mvcc_kv zero;
		*ok = c->target != ETCDSERVERPB__COMPARE__COMPARE_TARGET__VALUE && compare_kv(c, &zero);
	} else {
		*ok = 1;
		for (size_t i = 0; i < rr.n_kvs && *ok; i++)
			*ok = compare_kv(c, &rr.kvs[i]);
	}
	mvcc_range_result_free(&rr);
	return MVCC_OK;
}

static int txn_branch(struct applier *a, const Etcdserverpb__TxnRequest *t, int *succeeded)
{
	*succeeded = 1;
	for (size_t i = 0; i < t->n_compare && *succeeded; i++) {
		int rc = apply_compare(a, t->compare[i], succeeded);
		if (rc)
			return rc;
	}
	return MVCC_OK;
}

/* etcd's compareToPath: every compare of the txn and of the nested txns on
 * the branches taken, decided on the state before the txn writes, in the
 * order txn_run() consumes them. */
struct txn_path {
	uint8_t *taken;
	size_t n, cap, pos;
};

static int txn_path_build(struct applier *a, const Etcdserverpb__TxnRequest *t, struct txn_path *p)
{
	int succeeded, rc = txn_branch(a, t, &succeeded);

	if (rc)
		return rc;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		uint8_t *v = realloc(p->taken, cap);
		if (!v)
			return MVCC_ERR_NOMEM;
		p->taken = v;
		p->cap = cap;
	}
	p->taken[p->n++] = (uint8_t)succeeded;
	Etcdserverpb__RequestOp **ops = succeeded ? t->success : t->failure;
	size_t n = succeeded ? t->n_success : t->n_failure;
	for (size_t i = 0; i < n; i++)
		if (ops[i]->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN &&
		    (rc = txn_path_build(a, ops[i]->request_txn, p)))
			return rc;
	return MVCC_OK;
}

static int txn_is_write(const Etcdserverpb__TxnRequest *t)
{
	const Etcdserverpb__RequestOp *const *ops[2] = {
		(const Etcdserverpb__RequestOp *const *)t->success,
		(const Etcdserverpb__RequestOp *const *)t->failure };
	size_t n[2] = { t->n_success, t->n_failure };

	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < n[b]; i++) {
			const Etcdserverpb__RequestOp *op = ops[b][i];
			if (op->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT ||
			    op->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE)
				return 1;
			if (op->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN &&
			    txn_is_write(op->request_txn))
				return 1;
		}
	return 0;
}

/* etcd's checkRequests: before anything is written, the ops of the branch
 * that will run are checked against the state at the start of the txn:
 * puts need their lease, ignore_* need the key, ranges a valid revision. */
static int txn_check(struct applier *a, const Etcdserverpb__TxnRequest *t,
    struct txn_path *path, enum cetcd_err *err)
{
	int rc, succeeded = path->taken[path->pos++];
	Etcdserverpb__RequestOp **ops = succeeded ? t->success : t->failure;
	size_t n = succeeded ? t->n_success : t->n_failure;

	for (size_t i = 0; i < n; i++) {
		const Etcdserverpb__RequestOp *op = ops[i];
		switch (op->request_case) {
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT: {
			const Etcdserverpb__PutRequest *p = op->request_put;
			if (p->lease) {
				struct mvcc_lease l;
				rc = mvcc_lease_get(a->store, p->lease, &l);
				if (rc) {
					*err = apply_err_from_mvcc(rc);
					return rc;
				}
			}
			if (p->ignore_value || p->ignore_lease) {
				struct mvcc_range_req q = { .key = p->key.data, .key_len = p->key.len,
					.count_only = true };
				struct mvcc_range_result rr = { 0 };
				rc = mvcc_range(a->store, &q, &rr);
				int64_t count = rr.count;
				mvcc_range_result_free(&rr);
				if (rc) {
					*err = apply_err_from_mvcc(rc);
					return rc;
				}
				if (count == 0) {
					*err = CETCD_E_KEY_NOT_FOUND;
					return MVCC_ERR_KEY_NOT_FOUND;
				}
			}
			break;
		}
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE: {
			int64_t rev = op->request_range->revision;
			if (rev > mvcc_current_revision(a->store)) {
				*err = CETCD_E_FUTURE_REV;
				return MVCC_ERR_FUTURE_REV;
			}
			if (rev > 0 && rev < mvcc_compact_revision(a->store)) {
				*err = CETCD_E_COMPACTED;
				return MVCC_ERR_COMPACTED;
			}
			break;
		}
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN:
			rc = txn_check(a, op->request_txn, path, err);
			if (rc)
				return rc;
			break;
		default:
			break;
		}
	}
	return MVCC_OK;
}

static int txn_run(struct applier *a, struct mvcc_txn *txn, const Etcdserverpb__TxnRequest *t,
    struct txn_path *path, Etcdserverpb__TxnResponse **out, enum cetcd_err *err)
{
	int succeeded, rc;
	Etcdserverpb__TxnResponse *resp = NEW(Etcdserverpb__TxnResponse, etcdserverpb__txn_response__init);

	*out = resp;
	if (!resp || !(resp->header = apply_header_new(0)))
		goto nomem;
	succeeded = path->taken[path->pos++];
	resp->succeeded = succeeded;
	Etcdserverpb__RequestOp **ops = succeeded ? t->success : t->failure;
	size_t n = succeeded ? t->n_success : t->n_failure;
	if (n) {
		resp->responses = calloc(n, sizeof(*resp->responses));
		if (!resp->responses)
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		Etcdserverpb__ResponseOp *ro = NEW(Etcdserverpb__ResponseOp, etcdserverpb__response_op__init);
		if (!ro)
			goto nomem;
		resp->responses[i] = ro;
		resp->n_responses = i + 1;
		const Etcdserverpb__RequestOp *op = ops[i];
		switch (op->request_case) {
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE:
			ro->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_RANGE;
			rc = do_range(a, txn, op->request_range, &ro->response_range, err);
			break;
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT:
			ro->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_PUT;
			rc = do_put(txn, op->request_put, &ro->response_put, err);
			break;
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE:
			ro->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_DELETE_RANGE;
			rc = do_delete(txn, op->request_delete_range, &ro->response_delete_range, err);
			break;
		case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN:
			ro->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_TXN;
			rc = txn_run(a, txn, op->request_txn, path, &ro->response_txn, err);
			break;
		default:
			rc = MVCC_OK;
			break;
		}
		if (rc)
			return rc;
	}
	resp->header->revision = mvcc_txn_revision(txn);
	return MVCC_OK;
nomem:
	*err = CETCD_E_NO_MEMORY;
	return MVCC_ERR_NOMEM;
}

/* ---------------------------------------------------------------- entry */

int apply_set_error(Cetcd__Storage__EntryResult *res, enum cetcd_err e)
{
	Cetcd__Storage__Error *er = NEW(Cetcd__Storage__Error, cetcd__storage__error__init);

	if (!er)
		return -1;
	er->code = (uint32_t)e;
	er->message = strdup(cetcd_err_message(e));
	if (!er->message) {
		free(er);
		return -1;
	}
	res->error = er;
	return 0;
}

Mvccpb__Event *apply_event_to_pb(const struct mvcc_event *ev)
{
	Mvccpb__Event *e = NEW(Mvccpb__Event, mvccpb__event__init);

	if (!e)
		return NULL;
	e->type = ev->type == MVCC_EVENT_DELETE ? MVCCPB__EVENT__EVENT_TYPE__DELETE
	    : MVCCPB__EVENT__EVENT_TYPE__PUT;
	if (!(e->kv = apply_kv_to_pb(&ev->kv, 1)) ||
	    (ev->has_prev_kv && !(e->prev_kv = apply_kv_to_pb(&ev->prev_kv, 1)))) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		return NULL;
	}
	return e;
}

int apply_copy_events(struct mvcc_txn *txn, Cetcd__Storage__EntryResult *res)
{
	size_t n;
	const struct mvcc_event *evs = mvcc_txn_events(txn, &n);

	if (n == 0)
		return 0;
	res->events = calloc(n, sizeof(*res->events));
	if (!res->events)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(res->events[i] = apply_event_to_pb(&evs[i])))
			return -1;
		res->n_events = i + 1;
	}
	return 0;
}


int apply_run_write(struct applier *a, apply_write_fn fn, const void *req,
    Cetcd__Storage__EntryResult *res)
{
	struct mvcc_txn *txn = NULL;
	enum cetcd_err err = CETCD_OK;
	int rc = mvcc_txn_begin(a->store, &txn);

	if (rc == MVCC_OK)
		rc = fn(a, txn, req, res, &err);
	if (txn) {
		int end = mvcc_txn_end(txn, NULL);
		if (rc == MVCC_OK && end != MVCC_OK) {
			rc = end;
			err = apply_err_from_mvcc(end);
		}
		if (rc == MVCC_OK && apply_copy_events(txn, res)) {
			rc = MVCC_ERR_NOMEM;
			err = CETCD_E_NO_MEMORY;
		}
		mvcc_txn_free(txn);
	}
	if (rc == MVCC_OK)
		return 0;
	if (err == CETCD_OK)
		err = apply_err_from_mvcc(rc);
	/* A request error leaves no response behind, as etcd answers it with
	 * the error alone. */
	apply_result_clear(res);
	apply_set_error(res, err);
	return apply_store_failed(rc) ? -1 : 0;
}

static int w_put(struct applier *a, struct mvcc_txn *txn, const void *req,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_PUT;
	return do_put(txn, req, &res->put, err);
}

static int w_delete(struct applier *a, struct mvcc_txn *txn, const void *req,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_DELETE_RANGE;
	return do_delete(txn, req, &res->delete_range, err);
}

struct txn_job {
	const Etcdserverpb__TxnRequest *t;
	struct txn_path *path;
};

static int w_txn(struct applier *a, struct mvcc_txn *txn, const void *req,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	const struct txn_job *job = req;

	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_TXN;
	job->path->pos = 0;
	return txn_run(a, txn, job->t, job->path, &res->txn, err);
}

/* etcd's costTxn: the put ops of the costlier branch, nested txns not
 * counted (quota.go costTxnReq looks at puts only). */
static int64_t txn_cost(const Etcdserverpb__TxnRequest *t)
{
	int64_t c[2] = { 0, 0 };
	Etcdserverpb__RequestOp **ops[2] = { t->success, t->failure };
	size_t n[2] = { t->n_success, t->n_failure };

	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < n[b]; i++)
			if (ops[b][i]->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT)
				c[b] += APPLY_KV_OVERHEAD + (int64_t)ops[b][i]->request_put->key.len +
				    (int64_t)ops[b][i]->request_put->value.len;
	return c[1] > c[0] ? c[1] : c[0];
}

static int apply_txn(struct applier *a, const Etcdserverpb__TxnRequest *t,
    Cetcd__Storage__EntryResult *res)
{
	enum cetcd_err err = CETCD_OK;
	int write = txn_is_write(t);

	struct txn_path path = { 0 };
	struct txn_job job = { t, &path };
	int rc;

	if (write && a->nospace)
		return apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
	if (write) {
		int failed = 0;
		if (apply_quota_exceeded(a, txn_cost(t), &failed))
			return failed || apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
	}
	rc = txn_path_build(a, t, &path);
	if (rc == MVCC_OK)
		rc = txn_check(a, t, &path, &err);
	if (rc == MVCC_OK) {
		rc = apply_run_write(a, w_txn, &job, res);
		free(path.taken);
		return rc;
	}
	free(path.taken);
	if (err == CETCD_OK)
		err = apply_err_from_mvcc(rc);
	if (apply_set_error(res, err))
		return -1;
	return apply_store_failed(rc) ? -1 : 0;
}

static int apply_compaction(struct applier *a, const Etcdserverpb__CompactionRequest *c,
    Cetcd__Storage__EntryResult *res)
{
	/* Only the compaction point, in this batch: reads below it fail
	 * from now on, as in etcd, whose compaction deletes in batches after
	 * it (mvcc/kvstore_compaction.go).  The deletes are steps that
	 * storaged runs between batches (store_read.c); a store opened
	 * without them finishes the compaction at its next open. */
	int rc = mvcc_compact_begin(a->store, c->revision);

	if (rc != MVCC_OK) {
		if (apply_set_error(res, apply_err_from_mvcc(rc)))
			return -1;
		return apply_store_failed(rc) ? -1 : 0;
	}
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_COMPACTION;
	res->compaction = NEW(Etcdserverpb__CompactionResponse, etcdserverpb__compaction_response__init);
	if (!res->compaction || !(res->compaction->header = apply_header_new(mvcc_current_revision(a->store))))
		return -1;
	return 0;
}

int apply_read_txn(struct applier *a, const Etcdserverpb__TxnRequest *t,
    Cetcd__Storage__EntryResult *res)
{
	if (txn_is_write(t))
		return apply_set_error(res, CETCD_E_INTERNAL) ? -1 : 0;
	if (a->corrupt)
		return apply_set_error(res, CETCD_E_CORRUPT) ? -1 : 0;
	return apply_txn(a, t, res);
}

int apply_request(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    Cetcd__Storage__EntryResult *res)
{
	/* etcd's applierV3Corrupt refuses every key-space and lease request. */
	if (a->corrupt && (req->put || req->range || req->delete_range || req->txn ||
	    req->compaction || req->lease_grant || req->lease_revoke))
		return apply_set_error(res, CETCD_E_CORRUPT) ? -1 : 0;
	if (req->put) {
		int failed = 0;
		if (a->nospace)
			return apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
		if (apply_quota_exceeded(a, APPLY_KV_OVERHEAD + (int64_t)req->put->key.len +
		    (int64_t)req->put->value.len, &failed))
			return failed || apply_set_error(res, CETCD_E_NO_SPACE) ? -1 : 0;
		/* etcd checks the lease before opening the write txn. */
		if (req->put->lease) {
			struct mvcc_lease l;
			int rc = mvcc_lease_get(a->store, req->put->lease, &l);
			if (rc != MVCC_OK) {
				if (apply_set_error(res, apply_err_from_mvcc(rc)))
					return -1;
				return apply_store_failed(rc) ? -1 : 0;
			}
		}
		return apply_run_write(a, w_put, req->put, res);
	}
	if (req->delete_range)
		return apply_run_write(a, w_delete, req->delete_range, res);
	if (req->txn)
		return apply_txn(a, req->txn, res);
	if (req->range) {
		enum cetcd_err err = CETCD_OK;
		int rc = do_range(a, NULL, req->range, &res->range, &err);
		res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_RANGE;
		if (rc != MVCC_OK) {
			apply_result_clear(res);
			if (apply_set_error(res, err))
				return -1;
			return apply_store_failed(rc) ? -1 : 0;
		}
		return 0;
	}
	if (req->compaction)
		return apply_compaction(a, req->compaction, res);
	if (req->lease_grant)
		return apply_lease_grant(a, req->lease_grant, res);
	if (req->lease_revoke)
		return apply_lease_revoke(a, req->lease_revoke, res);
	if (req->lease_checkpoint)
		return apply_lease_checkpoint(a, req->lease_checkpoint, res);
	if (req->alarm)
		return apply_alarm(a, req->alarm, res);
	if (apply_auth_is_request(req))
		return apply_auth(a, req, res);
	/* Anything else (v2 requests, entries with no request) is applied as
	 * nothing, as etcd 3.4 does for the requests it keeps in its v2 store. */
	res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_EMPTY;
	res->empty = NEW(Etcdserverpb__EmptyResponse, etcdserverpb__empty_response__init);
	return res->empty ? 0 : -1;
}

void apply_result_clear(Cetcd__Storage__EntryResult *res)
{
	uint64_t index = res->index;
	const ProtobufCMessageDescriptor *d = res->base.descriptor;

	/* Free every member, then start over from a clean message. */
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *p = (char *)res + f->offset;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t *n = (size_t *)((char *)res + f->quantifier_offset);
			ProtobufCMessage **arr = *(ProtobufCMessage ***)p;
			for (size_t k = 0; k < *n; k++)
				if (arr[k])
					protobuf_c_message_free_unpacked(arr[k], NULL);
			free(arr);
			*(void **)p = NULL;
			*n = 0;
		} else if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(uint32_t *)((char *)res + f->quantifier_offset) != f->id) {
			continue;
		} else if (*(ProtobufCMessage **)p) {
			protobuf_c_message_free_unpacked(*(ProtobufCMessage **)p, NULL);
			*(void **)p = NULL;
		}
	}
	cetcd__storage__entry_result__init(res);
	res->index = index;
}
