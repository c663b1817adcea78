/*
 * storage_mem.c - an in-memory implementation of struct raft_storage
 * (etcd's MemoryStorage), for tests, the simulator and benchmarks.
 *
 * Owns its entries (with blob references), hard state and last snapshot.
 * Never performs I/O; not thread-safe (one owner at a time).  Layout: slot
 * v[start] is a dummy entry holding the index and term of the snapshot
 * point; real entries follow.  Compaction advances `start` and slides the
 * array only occasionally, so it costs O(1) amortized.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

struct raft_mem_storage {
	struct raft_hard_state hs;
	struct raft_snapshot snap;
	struct raft_entry *v;
	size_t start; /* slot of the dummy entry */
	size_t n;     /* live slots including the dummy */
	size_t cap;
};

static struct raft_entry *slot(const struct raft_mem_storage *ms, size_t k)
{
	return &ms->v[ms->start + k];
}

static uint64_t offset(const struct raft_mem_storage *ms)
{
	return slot(ms, 0)->index;
}

uint64_t raft_mem_storage_first_index(const struct raft_mem_storage *ms)
{
	return offset(ms) + 1;
}

uint64_t raft_mem_storage_last_index(const struct raft_mem_storage *ms)
{
	return offset(ms) + ms->n - 1;
}

struct raft_mem_storage *raft_mem_storage_new(void)
{
	struct raft_mem_storage *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	ms->cap = 64;
	ms->v = calloc(ms->cap, sizeof(*ms->v));
	if (ms->v == NULL) {
		free(ms);
		return NULL;
	}
	ms->n = 1;
	return ms;
}

static void drop_range(struct raft_mem_storage *ms, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		raft_entry_clear(slot(ms, k));
}

void raft_mem_storage_free(struct raft_mem_storage *ms)
{
	if (ms == NULL)
		return;
	drop_range(ms, 0, ms->n);
	free(ms->v);
	raft_snapshot_clear(&ms->snap);
	free(ms);
}

static int ms_initial_state(void *ctx, struct raft_hard_state *hs, struct raft_conf_state *cs)
{
	struct raft_mem_storage *ms = ctx;

	*hs = ms->hs;
	*cs = ms->snap.metadata.conf_state;
	return RAFT_OK;
}

static int ms_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_size, struct raft_entries *out)
{
	struct raft_mem_storage *ms = ctx;
	uint64_t off = offset(ms);
	size_t cnt;

	if (lo <= off)
		return RAFT_ECOMPACTED;
	if (hi > raft_mem_storage_last_index(ms) + 1 || lo > hi)
		return RAFT_EINVAL;
	if (ms->n == 1)
		return RAFT_EUNAVAILABLE; /* only the dummy entry */
	cnt = raft_limit_size(slot(ms, (size_t)(lo - off)), (size_t)(hi - lo), max_size);
	for (size_t k = 0; k < cnt; k++) {
		if (raft_entries_push(out, slot(ms, (size_t)(lo - off) + k)) != RAFT_OK)
			return RAFT_ENOMEM;
	}
	return RAFT_OK;
}

static int ms_term(void *ctx, uint64_t i, uint64_t *term)
{
	struct raft_mem_storage *ms = ctx;
	uint64_t off = offset(ms);

	if (i < off)
		return RAFT_ECOMPACTED;
	if (i - off >= ms->n)
		return RAFT_EUNAVAILABLE;
	*term = slot(ms, (size_t)(i - off))->term;
	return RAFT_OK;
}

static int ms_last_index(void *ctx, uint64_t *index)
{
	*index = raft_mem_storage_last_index(ctx);
	return RAFT_OK;
}

static int ms_first_index(void *ctx, uint64_t *index)
{
	*index = raft_mem_storage_first_index(ctx);
	return RAFT_OK;
}

static int ms_snapshot(void *ctx, struct raft_snapshot *snap)
{
	struct raft_mem_storage *ms = ctx;

	raft_snapshot_copy(snap, &ms->snap);
	return RAFT_OK;
}

void raft_mem_storage_bind(struct raft_mem_storage *ms, struct raft_storage *st)
{
	st->ctx = ms;
	st->initial_state = ms_initial_state;
	st->entries = ms_entries;
	st->term = ms_term;
	st->last_index = ms_last_index;
	st->first_index = ms_first_index;
	st->snapshot = ms_snapshot;
}

void raft_mem_storage_set_hard_state(struct raft_mem_storage *ms, const struct raft_hard_state *hs)
{
	ms->hs = *hs;
}

void raft_mem_storage_hard_state(const struct raft_mem_storage *ms, struct raft_hard_state *hs)
{
	*hs = ms->hs;
}

static int reserve(struct raft_mem_storage *ms, size_t extra)
{
	size_t need = ms->n + extra;

	if (ms->start + need <= ms->cap)
		return RAFT_OK;
	if (ms->start > 0 && need <= ms->cap) {
		memmove(ms->v, slot(ms, 0), ms->n * sizeof(*ms->v));
		ms->start = 0;
		return RAFT_OK;
	}
	size_t cap = ms->cap;
	while (cap < need)
		cap *= 2;
	if (ms->start > 0) {
		memmove(ms->v, slot(ms, 0), ms->n * sizeof(*ms->v));
		ms->start = 0;
	}
	struct raft_entry *v = realloc(ms->v, cap * sizeof(*v));
	if (v == NULL)
		return RAFT_ENOMEM;
	ms->v = v;
	ms->cap = cap;
	return RAFT_OK;
}

int raft_mem_storage_append(struct raft_mem_storage *ms, const struct raft_entry *ents, size_t n)
{
	uint64_t first = raft_mem_storage_first_index(ms), last;
	size_t skip = 0, at;

	if (n == 0)
		return RAFT_OK;
	last = ents[0].index + n - 1;
	if (last < first)
		return RAFT_OK; /* all compacted already */
	if (first > ents[0].index)
		skip = (size_t)(first - ents[0].index);
	at = (size_t)(ents[skip].index - offset(ms));
	if (at > ms->n)
		return RAFT_EINVAL; /* would leave a hole */
	/* Truncate the conflicting suffix, then append. */
	drop_range(ms, at, ms->n);
	ms->n = at;
	if (reserve(ms, n - skip) != RAFT_OK)
		return RAFT_ENOMEM;
	for (size_t k = skip; k < n; k++)
		raft_entry_copy(slot(ms, ms->n++), &ents[k]);
	return RAFT_OK;
}

int raft_mem_storage_apply_snapshot(struct raft_mem_storage *ms, const struct raft_snapshot *snap)
{
	if (ms->snap.metadata.index >= snap->metadata.index)
		return RAFT_ESNAPOUTOFDATE;
	raft_snapshot_clear(&ms->snap);
	raft_snapshot_copy(&ms->snap, snap);
	drop_range(ms, 0, ms->n);
	ms->start = 0;
	ms->n = 1;
	ms->v[0].index = snap->metadata.index;
	ms->v[0].term = snap->metadata.term;
	return RAFT_OK;
}

int raft_mem_storage_create_snapshot(struct raft_mem_storage *ms, uint64_t i,
				     const struct raft_conf_state *cs, struct raft_blob *data)
{
	uint64_t off = offset(ms);

	if (i <= ms->snap.metadata.index)
		return RAFT_ESNAPOUTOFDATE;
	if (i > raft_mem_storage_last_index(ms) || i < off)
		return RAFT_EINVAL;
	ms->snap.metadata.index = i;
	ms->snap.metadata.term = slot(ms, (size_t)(i - off))->term;
	if (cs != NULL)
		ms->snap.metadata.conf_state = *cs;
	raft_blob_unref(ms->snap.data);
	ms->snap.data = raft_blob_ref(data);
	return RAFT_OK;
}

int raft_mem_storage_compact(struct raft_mem_storage *ms, uint64_t i)
{
	uint64_t off = offset(ms);
	size_t k;

	if (i <= off)
		return RAFT_ECOMPACTED;
	if (i > raft_mem_storage_last_index(ms))
		return RAFT_EINVAL;
	k = (size_t)(i - off);
	/* Entry i becomes the dummy: keep index and term, drop its data. */
	drop_range(ms, 0, k);
	raft_blob_unref(slot(ms, k)->data);
	slot(ms, k)->data = NULL;
	ms->start += k;
	ms->n -= k;
	return RAFT_OK;
}
