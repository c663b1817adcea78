/*
 * maint.c - Maintenance.Status, Maintenance.Alarm and Cluster.MemberList
 * over the server and storaged.
 *
 * Runs in cetcd on the event loop; owns only the member description set
 * at start-up.
 */
#include "config.h"

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

static void on_status(void *arg, Cetcd__Storage__Envelope *ans, const char *err)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__StatusResponse resp = ETCDSERVERPB__STATUS_RESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;
	struct server_status st;

	if (!ans || ans->body_case != CETCD__STORAGE__ENVELOPE__BODY_STATUS_RESPONSE) {
		svc_fail(ctx, CETCD_E_TIMEOUT);
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
	svc_reply(ctx, &resp.base);
}

static void h_status(struct svc_ctx *ctx, const ProtobufCMessage *m)
{
	Cetcd__Storage__Envelope env = CETCD__STORAGE__ENVELOPE__INIT;
	Cetcd__Storage__StatusRequest sr = CETCD__STORAGE__STATUS_REQUEST__INIT;

	env.type = CETCD__STORAGE__MSG_TYPE__MSG_STATUS_REQUEST;
	env.body_case = CETCD__STORAGE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &sr;
	storage_client_call(server_reader(svc_server(ctx)), &env, on_status, ctx);
}

static void on_alarm(void *arg, enum cetcd_err err, Cetcd__Storage__EntryResult *res)
{
	struct svc_ctx *ctx = arg;
	Etcdserverpb__AlarmResponse empty = ETCDSERVERPB__ALARM_RESPONSE__INIT;
	Etcdserverpb__ResponseHeader hdr = ETCDSERVERPB__RESPONSE_HEADER__INIT;
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
	Etcdserverpb__ResponseHeader *old = resp->header;
	resp->header = old ? old : &hdr;
	server_fill_header(svc_server(ctx), resp->header);
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

const struct svc_method maint_methods[] = {
	{ "/etcdserverpb.Maintenance/Status", "/v3/maintenance/status",
	  &etcdserverpb__status_request__descriptor, h_status },
	{ "/etcdserverpb.Maintenance/Alarm", "/v3/maintenance/alarm",
	  &etcdserverpb__alarm_request__descriptor, h_alarm },
	{ "/etcdserverpb.Cluster/MemberList", "/v3/cluster/member/list",
	  &etcdserverpb__member_list_request__descriptor, h_member_list },
};
const size_t maint_method_count = sizeof(maint_methods) / sizeof(maint_methods[0]);
