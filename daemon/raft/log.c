/*
 * log.c - the Raft log of one node: stable entries read through the
 * caller's struct raft_storage, plus the unstable tail (entries and at most
 * one snapshot) not yet reported persisted by raft_advance().
 *
 * Owns the unstable entries (with their blob references) and the unstable
 * snapshot.  Never writes to storage: persistence is the caller's job, told
 * through the ready batch.  Mirrors etcd raft's log.go and log_unstable.go
 * (Raft dissertation 3.5, log replication, and 5.1, snapshots).  Invariant
 * violations that etcd turns into panics set RAFT_ECORRUPT instead.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/raft/raft_int.h"

static void log_fail(struct raft_log *l, int rc)
{
	if (*l->err == 0)
		*l->err = rc;
}

/* ---- unstable part ------------------------------------------------------ */

static struct raft_entry *u_at(struct raft_log *l, uint64_t i)
{
	return &l->u_v[l->u_start + (size_t)(i - l->u_offset)];
}

static bool u_first_index(struct raft_log *l, uint64_t *i)
{
	if (l->u_snap != NULL) {
		*i = l->u_snap->metadata.index + 1;
		return true;
	}
	return false;
}

static bool u_last_index(struct raft_log *l, uint64_t *i)
{
	if (l->u_n > 0) {
		*i = l->u_offset + l->u_n - 1;
		return true;
	}
	if (l->u_snap != NULL) {
		*i = l->u_snap->metadata.index;
		return true;
	}
	return false;
}

static bool u_term(struct raft_log *l, uint64_t i, uint64_t *t)
{
	uint64_t last;

	if (i < l->u_offset) {
		if (l->u_snap != NULL && l->u_snap->metadata.index == i) {
			*t = l->u_snap->metadata.term;
			return true;
		}
		return false;
	}
	if (!u_last_index(l, &last) || i > last)
		return false;
	*t = u_at(l, i)->term;
	return true;
}

/* Drops unstable entries from index i (inclusive) to the end. */
static void u_truncate_from(struct raft_log *l, uint64_t i)
{
	size_t keep = (size_t)(i - l->u_offset);

	for (size_t k = keep; k < l->u_n; k++)
		raft_blob_unref(l->u_v[l->u_start + k].data);
	l->u_n = keep;
}

static int u_reserve(struct raft_log *l, size_t extra)
{
	if (l->u_start + l->u_n + extra <= l->u_cap)
		return RAFT_OK;
	if (l->u_start > 0) {
		/* Slide the live entries to the front before growing. */
		memmove(l->u_v, l->u_v + l->u_start, l->u_n * sizeof(*l->u_v));
		l->u_start = 0;
		if (l->u_n + extra <= l->u_cap)
			return RAFT_OK;
	}
	size_t cap = l->u_cap ? l->u_cap : 64;
	while (cap < l->u_n + extra)
		cap *= 2;
	struct raft_entry *v = realloc(l->u_v, cap * sizeof(*v));
	if (v == NULL)
		return RAFT_ENOMEM;
	l->u_v = v;
	l->u_cap = cap;
	return RAFT_OK;
}

static void u_truncate_and_append(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	uint64_t after = ents[0].index;

	if (after == l->u_offset + l->u_n) {
		/* plain append */
	} else if (after <= l->u_offset) {
		/* Replace the whole unstable part (the log was truncated below it). */
		u_truncate_from(l, l->u_offset);
		l->u_start = 0;
		l->u_offset = after;
	} else {
		u_truncate_from(l, after);
	}
	if (u_reserve(l, n) != RAFT_OK) {
		log_fail(l, RAFT_ENOMEM);
		return;
	}
	for (size_t k = 0; k < n; k++)
		raft_entry_copy(&l->u_v[l->u_start + l->u_n + k], &ents[k]);
	l->u_n += n;
}

/* ---- storage wrappers ------------------------------------------------------- */

static uint64_t st_first(struct raft_log *l)
{
	uint64_t i = 0;
	int rc = l->st.first_index(l->st.ctx, &i);

	if (rc != RAFT_OK)
		log_fail(l, RAFT_ESTORAGE);
	return i;
}

static uint64_t st_last(struct raft_log *l)
{
	uint64_t i = 0;
	int rc = l->st.last_index(l->st.ctx, &i);

	if (rc != RAFT_OK)
		log_fail(l, RAFT_ESTORAGE);
	return i;
}

/* ---- log ------------------------------------------------------------------ */

int raft_log_init(struct raft_log *l, const struct raft_storage *st, uint64_t max_next_ents_size, int *err)
{
	uint64_t first, last;

	memset(l, 0, sizeof(*l));
	l->st = *st;
	l->err = err;
	l->max_next_ents_size = max_next_ents_size;
	if (st->first_index(st->ctx, &first) != RAFT_OK || st->last_index(st->ctx, &last) != RAFT_OK)
		return RAFT_ESTORAGE;
	l->u_offset = last + 1;
	/* Everything up to the snapshot point is committed and applied. */
	l->committed = first - 1;
	l->applied = first - 1;
	return RAFT_OK;
}

void raft_log_free(struct raft_log *l)
{
	u_truncate_from(l, l->u_offset);
	free(l->u_v);
	if (l->u_snap != NULL) {
		raft_snapshot_clear(l->u_snap);
		free(l->u_snap);
	}
	memset(l, 0, sizeof(*l));
}

uint64_t raft_log_first_index(struct raft_log *l)
{
	uint64_t i;

	if (u_first_index(l, &i))
		return i;
	return st_first(l);
}

uint64_t raft_log_last_index(struct raft_log *l)
{
	uint64_t i;

	if (u_last_index(l, &i))
		return i;
	return st_last(l);
}

uint64_t raft_log_term(struct raft_log *l, uint64_t i, int *rc)
{
	uint64_t t = 0;
	int src;

	*rc = RAFT_OK;
	/* The valid range is [dummy index, last index]; outside it etcd answers
	 * term 0 without error. */
	if (i + 1 < raft_log_first_index(l) || i > raft_log_last_index(l))
		return 0;
	if (u_term(l, i, &t))
		return t;
	src = l->st.term(l->st.ctx, i, &t);
	if (src == RAFT_OK)
		return t;
	if (src == RAFT_ECOMPACTED || src == RAFT_EUNAVAILABLE) {
		*rc = src;
		return 0;
	}
	log_fail(l, RAFT_ESTORAGE);
	*rc = RAFT_ESTORAGE;
	return 0;
}

uint64_t raft_log_term_or_zero(struct raft_log *l, uint64_t i)
{
	int rc;
	uint64_t t = raft_log_term(l, i, &rc);

	return rc == RAFT_OK ? t : 0;
}

uint64_t raft_log_last_term(struct raft_log *l)
{
	int rc;
	uint64_t t = raft_log_term(l, raft_log_last_index(l), &rc);

	if (rc != RAFT_OK)
		log_fail(l, RAFT_ECORRUPT);
	return t;
}

bool raft_log_match_term(struct raft_log *l, uint64_t i, uint64_t term)
{
	int rc;
	uint64_t t = raft_log_term(l, i, &rc);

	return rc == RAFT_OK && t == term;
}

/* Raft paper 5.4.1: a candidate's log is at least as up to date as ours. */
bool raft_log_is_up_to_date(struct raft_log *l, uint64_t lasti, uint64_t term)
{
	uint64_t lt = raft_log_last_term(l);

	return term > lt || (term == lt && lasti >= raft_log_last_index(l));
}

uint64_t raft_log_append(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	if (n == 0)
		return raft_log_last_index(l);
	if (ents[0].index - 1 < l->committed) {
		log_fail(l, RAFT_ECORRUPT);
		return raft_log_last_index(l);
	}
	u_truncate_and_append(l, ents, n);
	return raft_log_last_index(l);
}

/* First entry of ents whose term differs from ours (0 if none): either a
 * real conflict or the start of new entries. */
static uint64_t find_conflict(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (!raft_log_match_term(l, ents[k].index, ents[k].term))
			return ents[k].index;
	}
	return 0;
}

uint64_t raft_log_maybe_append(struct raft_log *l, uint64_t index, uint64_t log_term, uint64_t committed,
			       const struct raft_entry *ents, size_t n, bool *ok)
{
	uint64_t lastnewi, ci;

	if (!raft_log_match_term(l, index, log_term)) {
		*ok = false;
		return 0;
	}
	*ok = true;
	lastnewi = index + n;
	ci = find_conflict(l, ents, n);
	if (ci != 0) {
		if (ci <= l->committed) {
			/* Invariant 3: a leader never rewrites committed entries. */
			log_fail(l, RAFT_ECORRUPT);
			return lastnewi;
		}
		raft_log_append(l, ents + (ci - (index + 1)), n - (size_t)(ci - (index + 1)));
	}
	raft_log_commit_to(l, raft_min_u64(committed, lastnewi));
	return lastnewi;
}

void raft_log_commit_to(struct raft_log *l, uint64_t tocommit)
{
	if (l->committed < tocommit) {
		if (raft_log_last_index(l) < tocommit) {
			/* The log lost entries it had acknowledged. */
			log_fail(l, RAFT_ECORRUPT);
			return;
		}
		l->committed = tocommit;
	}
}

/* Raft paper 5.4.2: only entries of the current term commit by counting. */
bool raft_log_maybe_commit(struct raft_log *l, uint64_t max_index, uint64_t term)
{
	if (max_index > l->committed && raft_log_term_or_zero(l, max_index) == term) {
		raft_log_commit_to(l, max_index);
		return true;
	}
	return false;
}

void raft_log_applied_to(struct raft_log *l, uint64_t i)
{
	if (i == 0)
		return;
	if (l->committed < i || i < l->applied) {
		log_fail(l, RAFT_ECORRUPT);
		return;
	}
	l->applied = i;
}

void raft_log_stable_to(struct raft_log *l, uint64_t i, uint64_t t)
{
	uint64_t gt;
	size_t drop;

	/* Only if the entry was not replaced since the ready was taken. */
	if (!u_term(l, i, &gt) || gt != t || i < l->u_offset)
		return;
	drop = (size_t)(i + 1 - l->u_offset);
	for (size_t k = 0; k < drop; k++)
		raft_blob_unref(l->u_v[l->u_start + k].data);
	l->u_start += drop;
	l->u_n -= drop;
	l->u_offset = i + 1;
	if (l->u_n == 0)
		l->u_start = 0;
}

void raft_log_stable_snap_to(struct raft_log *l, uint64_t i)
{
	if (l->u_snap != NULL && l->u_snap->metadata.index == i) {
		raft_snapshot_clear(l->u_snap);
		free(l->u_snap);
		l->u_snap = NULL;
	}
}

int raft_log_slice(struct raft_log *l, uint64_t lo, uint64_t hi, uint64_t max_size, struct raft_entries *out)
{
	uint64_t fi = raft_log_first_index(l);
	size_t base = out->n;
	int rc;

	if (lo < fi)
		return RAFT_ECOMPACTED;
	if (lo > hi || hi > raft_log_last_index(l) + 1) {
		log_fail(l, RAFT_ECORRUPT);
		return RAFT_ECORRUPT;
	}
	if (lo == hi)
		return RAFT_OK;
	/* One allocation for the common case of a bounded slice. */
	if (raft_entries_reserve(out, (size_t)raft_min_u64(hi - lo, 4096)) != RAFT_OK) {
		log_fail(l, RAFT_ENOMEM);
		return RAFT_ENOMEM;
	}
	if (lo < l->u_offset) {
		uint64_t shi = raft_min_u64(hi, l->u_offset);

		rc = l->st.entries(l->st.ctx, lo, shi, max_size, out);
		if (rc == RAFT_ECOMPACTED)
			return rc;
		if (rc != RAFT_OK) {
			/* EUNAVAILABLE here means storage lost entries we counted on. */
			log_fail(l, RAFT_ESTORAGE);
			return RAFT_ESTORAGE;
		}
		/* Storage stopped early because of max_size: that is all. */
		if (out->n - base < shi - lo)
			return RAFT_OK;
	}
	if (hi > l->u_offset) {
		uint64_t ulo = raft_max_u64(lo, l->u_offset);
		size_t cnt = (size_t)(hi - ulo);
		const struct raft_entry *src = u_at(l, ulo);
		uint64_t size = 0;

		for (size_t k = 0; k < out->n - base; k++)
			size += raft_entry_size(&out->v[base + k]);
		for (size_t k = 0; k < cnt; k++) {
			uint64_t es = raft_entry_size(&src[k]);

			/* limitSize over the combined slice: the first entry always. */
			if (out->n > base && size + es > max_size)
				break;
			size += es;
			if (raft_entries_push(out, &src[k]) != RAFT_OK) {
				log_fail(l, RAFT_ENOMEM);
				return RAFT_ENOMEM;
			}
		}
	}
	return RAFT_OK;
}

int raft_log_entries(struct raft_log *l, uint64_t i, uint64_t max_size, struct raft_entries *out)
{
	uint64_t last = raft_log_last_index(l);

	if (i > last)
		return RAFT_OK;
	return raft_log_slice(l, i, last + 1, max_size, out);
}

bool raft_log_has_next_ents(struct raft_log *l)
{
	uint64_t off = raft_max_u64(l->applied + 1, raft_log_first_index(l));

	return l->committed + 1 > off;
}

int raft_log_next_ents(struct raft_log *l, struct raft_entries *out)
{
	uint64_t off = raft_max_u64(l->applied + 1, raft_log_first_index(l));
	int rc;

	if (l->committed + 1 <= off)
		return RAFT_OK;
	rc = raft_log_slice(l, off, l->committed + 1, l->max_next_ents_size, out);
	if (rc != RAFT_OK)
		log_fail(l, rc == RAFT_ECOMPACTED ? RAFT_ECORRUPT : rc);
	return rc;
}

int raft_log_snapshot(struct raft_log *l, struct raft_snapshot *out)
{
	if (l->u_snap != NULL) {
		raft_snapshot_copy(out, l->u_snap);
		return RAFT_OK;
	}
	memset(out, 0, sizeof(*out));
	return l->st.snapshot(l->st.ctx, out);
}

int raft_log_restore(struct raft_log *l, const struct raft_snapshot *s)
{
	struct raft_snapshot *copy = l->u_snap;

	if (copy == NULL) {
		copy = malloc(sizeof(*copy));
		if (copy == NULL) {
			log_fail(l, RAFT_ENOMEM);
			return RAFT_ENOMEM;
		}
	} else {
		raft_snapshot_clear(copy);
	}
	raft_snapshot_copy(copy, s);
	l->u_snap = copy;
	l->committed = s->metadata.index;
	u_truncate_from(l, l->u_offset);
	l->u_start = 0;
	l->u_offset = s->metadata.index + 1;
	return RAFT_OK;
}

int raft_log_unstable_entries(struct raft_log *l, struct raft_entries *out)
{
	if (raft_entries_reserve(out, l->u_n) != RAFT_OK) {
		log_fail(l, RAFT_ENOMEM);
		return RAFT_ENOMEM;
	}
	for (size_t k = 0; k < l->u_n; k++) {
		if (raft_entries_push(out, &l->u_v[l->u_start + k]) != RAFT_OK) {
			log_fail(l, RAFT_ENOMEM);
			return RAFT_ENOMEM;
		}
	}
	return RAFT_OK;
}
