/*
 * maint.c - etcd's Maintenance service (Status, Alarm, Defragment, Hash,
 * HashKV, MoveLeader) and Cluster.MemberList, as a single member serves
 * them, over the server and storaged.  Maintenance.Snapshot is a server
 * stream and lives in daemon/snapshot_rpc.c.
 *
 * Runs in cetcd on the event loop; owns only the member description set
 * at start-up.  Response headers follow etcd 3.4
 * (etcdserver/api/v3rpc/maintenance.go, member.go): Defragment, MoveLeader
 * and Alarm answer without a header, MemberList with one that has no
 * revision, Hash and HashKV with the store's revision.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/maint.h"
#include "daemon/server.h"
#include "daemon/storage_client.h"
#include "proto/rpc.pb-c.h"

static struct maint_member self;

void maint_set_member(const struct maint_member *m)
{
	self = *m;
}

void maint_get_member(struct maint_member *m)
{
	*m = self;
}

/* Splits a comma-separated list into at most max pointers into buf. */
static size_t split_urls(const char *list, char *buf, size_t buflen, char **out, size_t max)
{
	size_t n = 0;

	if (!list || !*list || strlen(list) >= buflen)
		return 0;
	strcpy(buf, list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < max;
	    tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/* The error of a storage answer that is not the expected body: storaged's
 * own code when it sent one, else etcd's timeout (storaged is away). */
static enum cetcd_err answer_error(const Cetcd__Storage__Envelope *ans)
{
	if (ans && ans->body_case == CETCD__STORAGE__ENVELOPE__BODY_ERROR && ans->error &&
	    ans->error->code)
		return (enum cetcd_err)ans->error->code;
	return CETCD_E_TIMEOUT;
}

/* Sends a request with an empty or given body on the read connection. */
static void storage_ask(struct svc_ctx *ctx, Cetcd__Storage__Envelope *env, storage_answer_fn *cb)
{
	storage_client_call(server_reader(svc_server(ctx)), env, cb, ctx);
}

/* ---------------------------------------------------------------- MemberList */

static void h_member_list(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Etcdserverpb__MemberListResponse resp = ETCDSERVERPB__MEMBER_LIST_RESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;
	Etcdserverpb__Member mem = ETCDSERVERPB__MEMBER__INIT;
	Etcdserverpb__Member *mems[] = { &mem };
	struct server_status st;
	char pbuf[4096], cbuf[4096];
	char *peers[32], *clients[32];

	server_status(svc_server(ctx), &st);
	server_fill_header(svc_server(ctx), &hdr);
	/* etcd's clusterServer fills the header from the cluster and Raft
	 * only (v3rpc/member.go header()): no revision. */
	hdr.revision = 0;
	mem.id = st.member_id;
	mem.name = (char *)self.name;
	mem.n_peerurls = split_urls(self.peer_urls, pbuf, sizeof(pbuf), peers, 32);
	mem.peerurls = peers;
	mem.n_clienturls = split_urls(self.client_urls, cbuf, sizeof(cbuf), clients, 32);
	mem.clienturls = clients;
	resp.header = &hdr;
	resp.members = mems;
	resp.n_members = 1;
	svc_reply(ctx, &resp.base);
}

/* ---------------------------------------------------------------- Status */

/* An alarm as Go's proto text format prints it ("memberID:1 alarm:NOSPACE "),
 * which is what etcd puts in StatusResponse.errors. */
static void alarm_text(const Etcdserverpb__AlarmMember *a, char *out, size_t len)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&etcdserverpb__alarm_type__descriptor, (int)a->alarm);
	size_t n = 0;

	out[0] = '\0';
	if (a->memberid)
		n = (size_t)snprintf(out, len, "memberID:%llu ", (unsigned long long)a->memberid);
	if (a->alarm && n < len) {
		if (v)
			snprintf(out + n, len - n, "alarm:%s ", v->name);
		else
			snprintf(out + n, len - n, "alarm:%d ", (int)a->alarm);
	}
}

#define MAINT_MAX_STATUS_ERRORS 16

static void on_status(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__StatusResponse resp = ETCDSERVERPB__STATUS_RESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;
	struct server_status st;
	char texts[MAINT_MAX_STATUS_ERRORS][96];
	char *errors[MAINT_MAX_STATUS_ERRORS];
	size_t nerr = 0;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_STATUS_RESPONSE) {
		svc_fail(ctx, answer_error(ans));
		return;
	}
	Cetcd__Storage__StatusResponse *s = ans->status_response;
	server_status(svc_server(ctx), &st);
	server_fill_header(svc_server(ctx), &hdr);
	resp.header = &hdr;
	resp.version = CETCD_ETCD_API_VERSION;
	resp.dbsize = s->db_size;
	resp.dbsizeinuse = s->db_size_in_use;
	resp.leader = st.leader;
	resp.raftindex = st.commit_index > s->last_index ? st.commit_index : s->last_index;
	resp.raftterm = st.term;
	resp.raftappliedindex = s->applied_index;
	/* etcd lists "no leader" first, then every alarm raised. */
	if (!st.leader)
		errors[nerr++] = (char *)cetcd_err_message(CETCD_E_NO_LEADER);
	for (size_t i = 0; i < s->n_alarms && nerr < MAINT_MAX_STATUS_ERRORS; i++) {
		alarm_text(s->alarms[i], texts[nerr], sizeof(texts[nerr]));
		errors[nerr] = texts[nerr];
		nerr++;
	}
	resp.errors = errors;
	resp.n_errors = nerr;
	svc_reply(ctx, &resp.base);
}

static void h_status(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;

	env.type = CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &sr;
	storage_ask(ctx, &env, on_status);
}

/* ---------------------------------------------------------------- Alarm */

static void on_alarm(void *arg, enum cetcd_err err, Cetcd__Storage__EntryResult *res)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__AlarmResponse empty = ETCDSERVERPB__ALARM_RESPONSE__INIT;
	Etcdserverpb__AlarmResponse *resp = &empty;

	if (err != CETCD_OK) {
		svc_fail(ctx, err);
		return;
	}
	if (res->error) {
		svc_fail(ctx, (enum cetcd_err)res->error->code);
		return;
	}
	if (res->response_case == CETCD__STORAGE__ENTRY_RESULT__RESPONSE_ALARM && res->alarm)
		resp = res->alarm;
	/* etcd's alarm apply builds the response without a header, and
	 * nothing fills one on the way out: GET with no alarm is "{}". */
	Etcdserverpb__ResponseHeader *old = resp->header;
	resp->header = NULL;
	svc_reply(ctx, &resp->base);
	resp->header = old;
}

/* etcd applies alarm requests through Raft, GET included. */
static void h_alarm(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;

	ir.alarm = (Etcdserverpb__AlarmRequest *)m;
	server_propose(svc_server(ctx), &ir, on_alarm, ctx);
}

/* ---------------------------------------------------------------- Defragment */

static void on_defragment(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__DefragmentResponse resp = ETCDSERVERPB__DEFRAGMENT_RESPONSE__INIT;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_DEFRAGMENT_RESPONSE) {
		svc_fail(ctx, answer_error(ans));
		return;
	}
	if (ans->defragment_response->error) {
		svc_fail_status(ctx, GRPC_UNKNOWN, ans->defragment_response->error->message);
		return;
	}
	/* maintenance.go answers an empty DefragmentResponse: no header. */
	svc_reply(ctx, &resp.base);
}

static void h_defragment(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__DefragmentRequest dr = CETCD__STORAGE__DEFRAGMENT_REQUEST__INIT;

	env.type = CETCD__STORAGE__MSG_TYPE__MSG_DEFRAGMENT_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_DEFRAGMENT_REQUEST;
	env.defragment_request = &dr;
	storage_ask(ctx, &env, on_defragment);
}

/* ---------------------------------------------------------------- Hash, HashKV */

static void on_hash(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__HashResponse resp = ETCDSERVERPB__HASH_RESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_HASH_RESPONSE) {
		svc_fail(ctx, answer_error(ans));
		return;
	}
	/* The revision the hash was taken at, as etcd's KV().Hash() gives it. */
	hdr.revision = ans->hash_response->revision;
	server_fill_header(svc_server(ctx), &hdr);
	resp.header = &hdr;
	resp.hash = ans->hash_response->hash;
	svc_reply(ctx, &resp.base);
}

static void h_hash(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__HashRequest hr = CETCD__STORAGE__HASH_REQUEST__INIT;

	env.type = CETCD__STORAGE__MSG_TYPE__MSG_HASH_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_HASH_REQUEST;
	env.hash_request = &hr;
	storage_ask(ctx, &env, on_hash);
}

static void on_hash_kv(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__HashKVResponse resp = ETCDSERVERPB__HASH_KVRESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_HASH_KV_RESPONSE) {
		svc_fail(ctx, answer_error(ans));
		return;
	}
	Cetcd__Storage__HashKVResponse *h = ans->hash_kv_response;
	/* A compacted or future revision: mvcc's errors, as togRPCError maps
	 * them. */
	if (h->error) {
		svc_fail(ctx, (enum cetcd_err)h->error->code);
		return;
	}
	/* HashByRev gives the current revision, whatever revision was hashed. */
	hdr.revision = h->revision;
	server_fill_header(svc_server(ctx), &hdr);
	resp.header = &hdr;
	resp.hash = h->hash;
	resp.compact_revision = h->compact_revision;
	svc_reply(ctx, &resp.base);
}

static void h_hash_kv(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__HashKVRequest *req = (const Etcdserverpb__HashKVRequest *)m;
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__HashKVRequest hr = CETCD__STORAGE__HASH_KVREQUEST__INIT;

	hr.revision = req->revision;
	env.type = CETCD__STORAGE__MSG_TYPE__MSG_HASH_KV_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_HASH_KV_REQUEST;
	env.hash_kv_request = &hr;
	storage_ask(ctx, &env, on_hash_kv);
}

/* ---------------------------------------------------------------- MoveLeader */

/* maintenance.go: only the leader may transfer; EtcdServer.MoveLeader then
 * refuses a transferee that is not a voting member ("bad leader
 * transferee") and, for the leader itself, returns at once since Raft's
 * leader already is the transferee.  A single member has no one else. */
static void h_move_leader(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	const Etcdserverpb__MoveLeaderRequest *req = (const Etcdserverpb__MoveLeaderRequest *)m;
	Etcdserverpb__MoveLeaderResponse resp = ETCDSERVERPB__MOVE_LEADER_RESPONSE__INIT;
	struct server_status st;

	server_status(svc_server(ctx), &st);
	if (!st.leader || st.leader != st.member_id) {
		svc_fail(ctx, CETCD_E_NOT_LEADER);
		return;
	}
	if (req->targetid != st.member_id) {
		svc_fail(ctx, CETCD_E_BAD_LEADER_TRANSFEREE);
		return;
	}
	svc_reply(ctx, &resp.base);
}

/* Snapshot's handler is NULL: it is a server stream, which svc_register
 * hands to daemon/snapshot_rpc.c.  /v3/maintenance/hash is Hash's: etcd's
 * gateway registers HashKV on the same path first, and grpc-gateway lets
 * the later registration win. */
const struct svc_method maint_methods[] = {
	{ "/etcdserverpb.Maintenance/Status", "/v3/maintenance/status",
	  &etcdserverpb__status_request__descriptor, h_status },
	{ "/etcdserverpb.Maintenance/Alarm", "/v3/maintenance/alarm",
	  &etcdserverpb__alarm_request__descriptor, h_alarm },
	{ "/etcdserverpb.Maintenance/Defragment", "/v3/maintenance/defragment",
	  &etcdserverpb__defragment_request__descriptor, h_defragment },
	{ "/etcdserverpb.Maintenance/Hash", "/v3/maintenance/hash",
	  &etcdserverpb__hash_request__descriptor, h_hash },
	{ "/etcdserverpb.Maintenance/HashKV", NULL,
	  &etcdserverpb__hash_kvrequest__descriptor, h_hash_kv },
	{ "/etcdserverpb.Maintenance/MoveLeader", "/v3/maintenance/transfer-leadership",
	  &etcdserverpb__move_leader_request__descriptor, h_move_leader },
	{ "/etcdserverpb.Maintenance/Snapshot", "/v3/maintenance/snapshot",
	  &etcdserverpb__snapshot_request__descriptor, NULL },
	{ "/etcdserverpb.Cluster/MemberList", "/v3/cluster/member/list",
	  &etcdserverpb__member_list_request__descriptor, h_member_list },
};
const size_t maint_method_count = sizeof(maint_methods) / sizeof(maint_methods[0]);
