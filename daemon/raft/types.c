/*
 * types.c - the value types of the Raft core: reference-counted blobs,
 * entries, messages, snapshots, the raftpb.ConfChange wire codec, result
 * code strings and enum names.
 *
 * Owns no state beyond what each value owns.  Never performs I/O.  Runs in
 * the cetcd process (and in tests).  The ConfChange codec writes the
 * protobuf wire format by hand (field numbers of raft.proto) so that the
 * core does not link protobuf-c, yet its entries are byte-compatible with
 * etcd's.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

const char *raft_strerror(int rc)
{
	switch (rc) {
	case RAFT_OK: return "ok";
	/* The first strings are etcd's raft error messages. */
	case RAFT_EPROPOSALDROPPED: return "raft proposal dropped";
	case RAFT_ECOMPACTED: return "requested index is unavailable due to compaction";
	case RAFT_EUNAVAILABLE: return "requested entry at index is unavailable";
	case RAFT_ESNAPOUTOFDATE: return "requested index is older than the existing snapshot";
	case RAFT_ESNAPTEMPUNAVAIL: return "snapshot is temporarily unavailable";
	case RAFT_ESTEPLOCALMSG: return "raft: cannot step raft local message";
	case RAFT_ESTEPPEERNOTFOUND: return "raft: cannot step as peer not found";
	case RAFT_EINVAL: return "raft: invalid argument";
	case RAFT_ENOMEM: return "raft: out of memory";
	case RAFT_ESTORAGE: return "raft: storage failed";
	case RAFT_ECORRUPT: return "raft: log invariant violated";
	case RAFT_ECONFCHANGE: return "raft: configuration change refused";
	case RAFT_ETOOMANYMEMBERS: return "raft: too many members";
	default: return "raft: unknown error";
	}
}

static const char *const msg_names[RAFT_MSG_TYPE_COUNT] = {
	"MsgHup", "MsgBeat", "MsgProp", "MsgApp", "MsgAppResp", "MsgVote",
	"MsgVoteResp", "MsgSnap", "MsgHeartbeat", "MsgHeartbeatResp",
	"MsgUnreachable", "MsgSnapStatus", "MsgCheckQuorum", "MsgTransferLeader",
	"MsgTimeoutNow", "MsgReadIndex", "MsgReadIndexResp", "MsgPreVote",
	"MsgPreVoteResp",
};

const char *raft_msg_type_name(int type)
{
	if (type < 0 || type >= RAFT_MSG_TYPE_COUNT)
		return "MsgUnknown";
	return msg_names[type];
}

const char *raft_state_name(enum raft_state s)
{
	switch (s) {
	case RAFT_STATE_FOLLOWER: return "StateFollower";
	case RAFT_STATE_CANDIDATE: return "StateCandidate";
	case RAFT_STATE_LEADER: return "StateLeader";
	case RAFT_STATE_PRE_CANDIDATE: return "StatePreCandidate";
	}
	return "StateUnknown";
}

/* ---- blobs ------------------------------------------------------------- */

struct raft_blob *raft_blob_new(const void *data, size_t len)
{
	struct raft_blob *b = malloc(sizeof(*b) + len);

	if (b == NULL)
		return NULL;
	b->refs = 1;
	b->pad_ = 0;
	b->len = len;
	if (len > 0)
		memcpy(b->bytes, data, len);
	return b;
}

struct raft_blob *raft_blob_ref(struct raft_blob *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void raft_blob_unref(struct raft_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

bool raft_blob_equal(const struct raft_blob *a, const struct raft_blob *b)
{
	size_t la = raft_blob_len(a), lb = raft_blob_len(b);

	if (la != lb)
		return false;
	return la == 0 || a == b || memcmp(a->bytes, b->bytes, la) == 0;
}

/* ---- entries ------------------------------------------------------------ */

void raft_entry_clear(struct raft_entry *e)
{
	raft_blob_unref(e->data);
	memset(e, 0, sizeof(*e));
}

void raft_entry_copy(struct raft_entry *dst, const struct raft_entry *src)
{
	*dst = *src;
	raft_blob_ref(dst->data);
}

static uint64_t varint_size(uint64_t v)
{
	uint64_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Mirrors gogoproto's Entry.Size(): Type, Term and Index are non-nullable
 * and always encoded; Data only when non-nil. */
uint64_t raft_entry_size(const struct raft_entry *e)
{
	uint64_t n = 3 + varint_size((uint64_t)e->type) + varint_size(e->term) + varint_size(e->index);

	if (e->data != NULL)
		n += 1 + varint_size(e->data->len) + e->data->len;
	return n;
}

uint64_t raft_payload_size(const struct raft_entry *e)
{
	return raft_blob_len(e->data);
}

size_t raft_limit_size(const struct raft_entry *ents, size_t n, uint64_t max_size)
{
	uint64_t size;
	size_t i;

	if (n == 0)
		return 0;
	size = raft_entry_size(&ents[0]);
	for (i = 1; i < n; i++) {
		size += raft_entry_size(&ents[i]);
		if (size > max_size)
			break;
	}
	return i;
}

int raft_entries_reserve(struct raft_entries *es, size_t extra)
{
	size_t cap = es->cap ? es->cap : 16;
	struct raft_entry *v;

	if (es->n + extra <= es->cap)
		return RAFT_OK;
	while (cap < es->n + extra)
		cap *= 2;
	v = realloc(es->v, cap * sizeof(*v));
	if (v == NULL)
		return RAFT_ENOMEM;
	es->v = v;
	es->cap = cap;
	return RAFT_OK;
}

int raft_entries_push(struct raft_entries *es, const struct raft_entry *e)
{
	if (es->n == es->cap && raft_entries_reserve(es, 1) != RAFT_OK)
		return RAFT_ENOMEM;
	raft_entry_copy(&es->v[es->n++], e);
	return RAFT_OK;
}

void raft_entries_reset(struct raft_entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		raft_blob_unref(es->v[i].data);
	es->n = 0;
}

void raft_entries_free(struct raft_entries *es)
{
	raft_entries_reset(es);
	free(es->v);
	es->v = NULL;
	es->cap = 0;
}

/* ---- snapshots and messages ----------------------------------------------- */

void raft_snapshot_clear(struct raft_snapshot *s)
{
	if (s == NULL)
		return;
	raft_blob_unref(s->data);
	memset(s, 0, sizeof(*s));
}

void raft_snapshot_copy(struct raft_snapshot *dst, const struct raft_snapshot *src)
{
	*dst = *src;
	raft_blob_ref(dst->data);
}

void raft_msg_clear(struct raft_message *m)
{
	for (size_t i = 0; i < m->n_entries; i++)
		raft_blob_unref(m->entries[i].data);
	free(m->entries);
	if (m->snapshot != NULL) {
		raft_snapshot_clear(m->snapshot);
		free(m->snapshot);
	}
	raft_blob_unref(m->context);
	memset(m, 0, sizeof(*m));
}

int raft_msg_copy(struct raft_message *dst, const struct raft_message *src)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot = NULL;
	raft_blob_ref(dst->context);
	if (src->n_entries > 0) {
		dst->entries = malloc(src->n_entries * sizeof(*dst->entries));
		if (dst->entries == NULL)
			goto fail;
		for (size_t i = 0; i < src->n_entries; i++)
			raft_entry_copy(&dst->entries[i], &src->entries[i]);
	}
	if (src->snapshot != NULL) {
		dst->snapshot = malloc(sizeof(*dst->snapshot));
		if (dst->snapshot == NULL)
			goto fail;
		raft_snapshot_copy(dst->snapshot, src->snapshot);
	}
	return RAFT_OK;
fail:
	raft_msg_clear(dst);
	return RAFT_ENOMEM;
}

int raft_msgs_push(struct raft_msgs *ms, struct raft_message *m)
{
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		struct raft_message *v = realloc(ms->v, cap * sizeof(*v));

		if (v == NULL) {
			raft_msg_clear(m);
			return RAFT_ENOMEM;
		}
		ms->v = v;
		ms->cap = cap;
	}
	ms->v[ms->n++] = *m;
	memset(m, 0, sizeof(*m));
	return RAFT_OK;
}

void raft_msgs_free(struct raft_msgs *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		raft_msg_clear(&ms->v[i]);
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

void raft_ready_clear(struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_read_states; i++)
		raft_blob_unref(rd->read_states[i].request_ctx);
	free(rd->read_states);
	for (size_t i = 0; i < rd->n_entries; i++)
		raft_blob_unref(rd->entries[i].data);
	free(rd->entries);
	for (size_t i = 0; i < rd->n_committed_entries; i++)
		raft_blob_unref(rd->committed_entries[i].data);
	free(rd->committed_entries);
	for (size_t i = 0; i < rd->n_msgs; i++)
		raft_msg_clear(&rd->msgs[i]);
	free(rd->msgs);
	raft_snapshot_clear(&rd->snapshot);
	memset(rd, 0, sizeof(*rd));
}

/* ---- raftpb.ConfChange wire codec ---------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* gogoproto marshals fields in field-number order: ID(1), Type(2),
 * NodeID(3) always (non-nullable), Context(4) when non-nil. */
struct raft_blob *raft_conf_change_encode(const struct raft_conf_change *cc)
{
	size_t ctxlen = raft_blob_len(cc->context);
	size_t cap = 3 * 11 + 11 + ctxlen + 1;
	uint8_t stackbuf[64];
	uint8_t *buf = cap <= sizeof(stackbuf) ? stackbuf : malloc(cap);
	struct raft_blob *b;
	size_t n = 0;

	if (buf == NULL)
		return NULL;
	buf[n++] = 0x08;
	n += put_varint(buf + n, cc->id);
	buf[n++] = 0x10;
	n += put_varint(buf + n, (uint64_t)cc->type);
	buf[n++] = 0x18;
	n += put_varint(buf + n, cc->node_id);
	if (cc->context != NULL) {
		buf[n++] = 0x22;
		n += put_varint(buf + n, ctxlen);
		if (ctxlen > 0)
			memcpy(buf + n, cc->context->bytes, ctxlen);
		n += ctxlen;
	}
	b = raft_blob_new(buf, n);
	if (buf != stackbuf)
		free(buf);
	return b;
}

static int get_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	uint64_t r = 0;
	unsigned shift = 0;

	while (*off < len && shift < 64) {
		uint8_t c = p[(*off)++];

		r |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*v = r;
			return RAFT_OK;
		}
		shift += 7;
	}
	return RAFT_EINVAL;
}

int raft_conf_change_decode(const void *data, size_t len, struct raft_conf_change *cc)
{
	const uint8_t *p = data;
	size_t off = 0;
	uint64_t key, v;

	memset(cc, 0, sizeof(*cc));
	while (off < len) {
		if (get_varint(p, len, &off, &key) != RAFT_OK)
			goto bad;
		switch (key & 7) {
		case 0:
			if (get_varint(p, len, &off, &v) != RAFT_OK)
				goto bad;
			if ((key >> 3) == 1)
				cc->id = v;
			else if ((key >> 3) == 2)
				cc->type = (enum raft_conf_change_type)v;
			else if ((key >> 3) == 3)
				cc->node_id = v;
			break;
		case 1: /* fixed64: unknown field, skip */
			if (len - off < 8)
				goto bad;
			off += 8;
			break;
		case 5:
			if (len - off < 4)
				goto bad;
			off += 4;
			break;
		case 2:
			if (get_varint(p, len, &off, &v) != RAFT_OK || v > len - off)
				goto bad;
			if ((key >> 3) == 4) {
				raft_blob_unref(cc->context);
				cc->context = raft_blob_new(p + off, (size_t)v);
				if (cc->context == NULL)
					return RAFT_ENOMEM;
			}
			off += (size_t)v;
			break;
		default:
			goto bad;
		}
	}
	return RAFT_OK;
bad:
	raft_blob_unref(cc->context);
	cc->context = NULL;
	return RAFT_EINVAL;
}
