/*
 * kv.c - etcd's KV service (Range, Put, DeleteRange, Txn, Compact) over
 * the server: checks requests as etcd's v3rpc/key.go does, proposes writes
 * through Raft, reads from storaged (linearizable reads behind a ReadIndex
 * barrier, serializable ones at once) and fills response headers.
 *
 * Runs in cetcd on the event loop.  Owns nothing between calls but the
 * small per-call state that carries a request to its answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/kv.h"
#include "daemon/server.h"
#include "daemon/storage_client.h"
#include "proto/rpc.pb-c.h"

/* ---------------------------------------------------------------- checks */

static enum cetcd_err check_range(const Etcdserverpb__RangeRequest *r)
{
	if (r->key.len == 0)
		return CETCD_E_EMPTY_KEY;
	return CETCD_OK;
}

static enum cetcd_err check_put(const Etcdserverpb__PutRequest *r)
{
	if (r->key.len == 0)
		return CETCD_E_EMPTY_KEY;
	if (r->ignore_value && r->value.len != 0)
		return CETCD_E_VALUE_PROVIDED;
	if (r->ignore_lease && r->lease != 0)
		return CETCD_E_LEASE_PROVIDED;
	return CETCD_OK;
}

static enum cetcd_err check_delete(const Etcdserverpb__DeleteRangeRequest *r)
{
	if (r->key.len == 0)
		return CETCD_E_EMPTY_KEY;
	return CETCD_OK;
}

static enum cetcd_err check_txn(const Etcdserverpb__TxnRequest *t, int max_ops);

static enum cetcd_err check_op(const Etcdserverpb__RequestOp *op, int max_ops)
{
	switch (op->request_case) {
	case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE:
		return check_range(op->request_range);
	case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT:
		return check_put(op->request_put);
	case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE:
		return check_delete(op->request_delete_range);
	case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN:
		return check_txn(op->request_txn, max_ops);
	default:
		/* etcd: an empty op is "key not found". */
		return CETCD_E_KEY_NOT_FOUND;
	}
}

/* etcd's checkTxnRequest. */
static enum cetcd_err check_txn(const Etcdserverpb__TxnRequest *t, int max_ops)
{
	size_t opc = t->n_compare;
	enum cetcd_err e;

	if (opc < t->n_success)
		opc = t->n_success;
	if (opc < t->n_failure)
		opc = t->n_failure;
	if ((long)opc > max_ops)
		return CETCD_E_TOO_MANY_OPS;
	for (size_t i = 0; i < t->n_compare; i++)
		if (t->compare[i]->key.len == 0)
			return CETCD_E_EMPTY_KEY;
	for (size_t i = 0; i < t->n_success; i++)
		if ((e = check_op(t->success[i], max_ops - (int)opc)) != CETCD_OK)
			return e;
	for (size_t i = 0; i < t->n_failure; i++)
		if ((e = check_op(t->failure[i], max_ops - (int)opc)) != CETCD_OK)
			return e;
	return CETCD_OK;
}

/* etcd's checkIntervals: no key is put twice, or put and deleted, on one
 * path through the txn.  Puts are gathered per level; a delete is the
 * half-open interval [key, range_end) (a point without range_end),
 * compared bytewise as etcd's adt string intervals. */
struct keyset {
	const ProtobufCBinaryData **v;
	size_t n, cap;
};

static int keyset_has(const struct keyset *s, const ProtobufCBinaryData *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i]->len == k->len && memcmp(s->v[i]->data, k->data, k->len) == 0)
			return 1;
	return 0;
}

static int keyset_add(struct keyset *s, const ProtobufCBinaryData *k)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const ProtobufCBinaryData **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = k;
	return 0;
}

static int bytes_cmp(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int dels_hit(const Etcdserverpb__DeleteRangeRequest *const *dels, size_t n,
    const ProtobufCBinaryData *k)
{
	for (size_t i = 0; i < n; i++) {
		const Etcdserverpb__DeleteRangeRequest *d = dels[i];
		if (d->range_end.len == 0) {
			if (bytes_cmp(&d->key, k) == 0)
				return 1;
		} else if (bytes_cmp(&d->key, k) <= 0 && bytes_cmp(k, &d->range_end) < 0) {
			return 1;
		}
	}
	return 0;
}

struct delset {
	const Etcdserverpb__DeleteRangeRequest **v;
	size_t n, cap;
};

static int delset_add(struct delset *s, const Etcdserverpb__DeleteRangeRequest *d)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const Etcdserverpb__DeleteRangeRequest **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = d;
	return 0;
}

static enum cetcd_err check_intervals(Etcdserverpb__RequestOp *const *ops, size_t n,
    struct keyset *puts, struct delset *dels)
{
	enum cetcd_err e = CETCD_OK;

	for (size_t i = 0; i < n; i++)
		if (ops[i]->request_case == ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE &&
		    delset_add(dels, ops[i]->request_delete_range))
			return CETCD_E_NO_MEMORY;
	for (size_t i = 0; i < n; i++) {
		if (ops[i]->request_case != ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN)
			continue;
		const Etcdserverpb__TxnRequest *t = ops[i]->request_txn;
		struct keyset pt = { 0 }, pe = { 0 };
		struct delset dt = { 0 }, de = { 0 };
		e = check_intervals(t->success, t->n_success, &pt, &dt);
		if (e == CETCD_OK)
			e = check_intervals(t->failure, t->n_failure, &pe, &de);
		for (size_t k = 0; e == CETCD_OK && k < pt.n; k++) {
			if (keyset_has(puts, pt.v[k]) || dels_hit(dels->v, dels->n, pt.v[k]))
				e = CETCD_E_DUPLICATE_KEY;
			else if (keyset_add(puts, pt.v[k]))
				e = CETCD_E_NO_MEMORY;
		}
		for (size_t k = 0; e == CETCD_OK && k < pe.n; k++) {
			/* then/else are exclusive: the same key in both is fine. */
			if ((keyset_has(puts, pe.v[k]) && !keyset_has(&pt, pe.v[k])) ||
			    dels_hit(dels->v, dels->n, pe.v[k]))
				e = CETCD_E_DUPLICATE_KEY;
			else if (keyset_add(puts, pe.v[k]))
				e = CETCD_E_NO_MEMORY;
		}
		for (size_t k = 0; e == CETCD_OK && k < dt.n; k++)
			if (delset_add(dels, dt.v[k]))
				e = CETCD_E_NO_MEMORY;
		for (size_t k = 0; e == CETCD_OK && k < de.n; k++)
			if (delset_add(dels, de.v[k]))
				e = CETCD_E_NO_MEMORY;
		free(pt.v);
		free(pe.v);
		free(dt.v);
		free(de.v);
		if (e != CETCD_OK)
			return e;
	}
	for (size_t i = 0; i < n; i++) {
		if (ops[i]->request_case != ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT)
			continue;
		const ProtobufCBinaryData *k = &ops[i]->request_put->key;
		if (keyset_has(puts, k) || dels_hit(dels->v, dels->n, k))
			return CETCD_E_DUPLICATE_KEY;
		if (keyset_add(puts, k))
			return CETCD_E_NO_MEMORY;
	}
	return CETCD_OK;
}

enum cetcd_err kv_check_txn(const Etcdserverpb__TxnRequest *t, int max_ops)
{
	enum cetcd_err e = check_txn(t, max_ops);

	for (int branch = 0; e == CETCD_OK && branch < 2; branch++) {
		struct keyset puts = { 0 };
		struct delset dels = { 0 };
		e = branch ? check_intervals(t->failure, t->n_failure, &puts, &dels)
			   : check_intervals(t->success, t->n_success, &puts, &dels);
		free(puts.v);
		free(dels.v);
	}
	return e;
}

/* ---------------------------------------------------------------- writes */

static void on_write_done(void *arg, enum cetcd_err err, Cetcd__Storage__EntryResult *res)
{
	struct svc_ctx *ctx = arg;
	struct server *srv = svc_server(ctx);
	ProtobufCMessage *resp = NULL;
	Etcdserverpb__ResponseHeader **hdr = NULL;

	if (err != CETCD_OK) {
		svc_fail(ctx, err);
		return;
	}
	if (res->error) {
		svc_fail(ctx, (enum cetcd_err)res->error->code);
		return;
	}
	switch (res->response_case) {
	case CETCD__STORAGE__ENTRY_RESULT__RESPONSE_PUT:
		resp = &res->put->base;
		hdr = &res->put->header;
		break;
	case CETCD__STORAGE__ENTRY_RESULT__RESPONSE_DELETE_RANGE:
		resp = &res->delete_range->base;
		hdr = &res->delete_range->header;
		break;
	case CETCD__STORAGE__ENTRY_RESULT__RESPONSE_TXN:
		resp = &res->txn->base;
		hdr = &res->txn->header;
		break;
	case CETCD__STORAGE__ENTRY_RESULT__RESPONSE_COMPACTION:
		resp = &res->compaction->base;
		hdr = &res->compaction->header;
		break;
	case CETCD__STORAGE__ENTRY_RESULT__RESPONSE_RANGE:
		resp = &res->range->base;
		hdr = &res->range->header;
		break;
	default:
		svc_fail(ctx, CETCD_E_INTERNAL);
		return;
	}
	Etcdserverpb__ResponseHeader local = ETCDSERVERPB__RESPONSE_HEADER__INIT;
	if (!*hdr)
		*hdr = &local;
	server_fill_header(srv, *hdr);
	svc_reply(ctx, resp);
	if (*hdr == &local)
		*hdr = NULL;
}

static void propose(struct svc_ctx *ctx, Etcdserverpb__InternalRaftRequest *ir)
{
	server_propose(svc_server(ctx), ir, on_write_done, ctx);
}

static void h_put(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__PutRequest *r = (const Etcdserverpb__PutRequest *)m;
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	enum cetcd_err e = check_put(r);

	if (e != CETCD_OK) {
		svc_fail(ctx, e);
		return;
	}
	ir.put = (Etcdserverpb__PutRequest *)r;
	propose(ctx, &ir);
}

static void h_delete(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__DeleteRangeRequest *r = (const Etcdserverpb__DeleteRangeRequest *)m;
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	enum cetcd_err e = check_delete(r);

	if (e != CETCD_OK) {
		svc_fail(ctx, e);
		return;
	}
	ir.delete_range = (Etcdserverpb__DeleteRangeRequest *)r;
	propose(ctx, &ir);
}

static void h_txn(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__TxnRequest *r = (const Etcdserverpb__TxnRequest *)m;
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	enum cetcd_err e = kv_check_txn(r, kv_max_txn_ops);

	if (e != CETCD_OK) {
		svc_fail(ctx, e);
		return;
	}
	/* Read-only txns go through Raft too: linearizable, as etcd's are by
	 * default, at the cost of a log entry. */
	ir.txn = (Etcdserverpb__TxnRequest *)r;
	propose(ctx, &ir);
}

static void h_compact(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;

	ir.compaction = (Etcdserverpb__CompactionRequest *)m;
	propose(ctx, &ir);
}

/* ---------------------------------------------------------------- reads */

struct range_call {
	struct svc_ctx *ctx;
	Etcdserverpb__RangeRequest *req;	/* a copy: the original dies */
};

static void on_read(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct range_call *rc = arg;
	struct svc_ctx *ctx = rc->ctx;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_READ_RANGE_RESPONSE) {
		svc_fail(ctx, CETCD_E_TIMEOUT);
	} else if (ans->read_range_response->error) {
		svc_fail(ctx, (enum cetcd_err)ans->read_range_response->error->code);
	} else if (!ans->read_range_response->response) {
		svc_fail(ctx, CETCD_E_INTERNAL);
	} else {
		Etcdserverpb__RangeResponse *resp = ans->read_range_response->response;
		Etcdserverpb__ResponseHeader local = ETCDSERVERPB__RESPONSE_HEADER__INIT;
		if (!resp->header)
			resp->header = &local;
		server_fill_header(svc_server(ctx), resp->header);
		svc_reply(ctx, &resp->base);
		if (resp->header == &local)
			resp->header = NULL;
	}
	protobuf_c_message_free_unpacked(&rc->req->base, NULL);
	free(rc);
}

static void read_now(struct range_call *rc)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__ReadRangeRequest rr = CETCD__STORAGE__READ_RANGE_REQUEST__INIT;

	rr.request = rc->req;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_READ_RANGE_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_READ_RANGE_REQUEST;
	env.read_range_request = &rr;
	storage_client_call(server_reader(svc_server(rc->ctx)), &env, on_read, rc);
}

static void on_barrier(void *arg, enum cetcd_err err)
{
	struct range_call *rc = arg;

	if (err != CETCD_OK) {
		svc_fail(rc->ctx, err);
		protobuf_c_message_free_unpacked(&rc->req->base, NULL);
		free(rc);
		return;
	}
	read_now(rc);
}

static ProtobufCMessage *message_copy(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t stackbuf[4096], *buf = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
	ProtobufCMessage *copy = NULL;

	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	if (buf != stackbuf)
		free(buf);
	return copy;
}

static void h_range(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__RangeRequest *r = (const Etcdserverpb__RangeRequest *)m;
	enum cetcd_err e = check_range(r);
	struct range_call *rc;

	if (e != CETCD_OK) {
		svc_fail(ctx, e);
		return;
	}
	rc = calloc(1, sizeof(*rc));
	if (!rc || !(rc->req = (Etcdserverpb__RangeRequest *)message_copy(m))) {
		free(rc);
		svc_fail(ctx, CETCD_E_NO_MEMORY);
		return;
	}
	rc->ctx = ctx;
	if (r->serializable)
		read_now(rc);
	else
		server_read_barrier(svc_server(ctx), on_barrier, rc);
}

int kv_max_txn_ops = 128;

const struct svc_method kv_methods[] = {
	{ "/etcdserverpb.KV/Range", "/v3/kv/range", &etcdserverpb__range_request__descriptor, h_range },
	{ "/etcdserverpb.KV/Put", "/v3/kv/put", &etcdserverpb__put_request__descriptor, h_put },
	{ "/etcdserverpb.KV/DeleteRange", "/v3/kv/deleterange",
	  &etcdserverpb__delete_range_request__descriptor, h_delete },
	{ "/etcdserverpb.KV/Txn", "/v3/kv/txn", &etcdserverpb__txn_request__descriptor, h_txn },
	{ "/etcdserverpb.KV/Compact", "/v3/kv/compaction",
	  &etcdserverpb__compaction_request__descriptor, h_compact },
};
const size_t kv_method_count = sizeof(kv_methods) / sizeof(kv_methods[0]);
