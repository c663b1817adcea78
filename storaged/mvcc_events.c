/*
 * mvcc_events.c: the events since a revision for a key range, as etcd's
 * watchable store replays them to a watcher that starts in the past.
 *
 * Owns: each event list's memory.
 * Never: writes, or returns part of a main revision (unless one revision
 * alone exceeds the limit).
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* --- events since a revision --------------------------------------------- */

/* Like etcd's watcher sync (watchable_store.go), a scan of the revisions
 * since the start, filtered by key. */
#define EV_COLS "SELECT seq, main, sub, key, create_rev, ver, lease, value," \
	" prev_seq FROM rev WHERE seq >= ?1 AND "
static const char *const sql_events[3] = {
	EV_COLS "key = ?2 ORDER BY seq",
	EV_COLS "key >= ?2 AND key < ?3 ORDER BY seq",
	EV_COLS "key >= ?2 ORDER BY seq",
};

/* The key's kv before the event's revision: a watcher's prev_kv, which etcd
 * reads as a Range at mod_revision - 1.  Follows the chain past earlier
 * writes of the same txn. */
static int event_prev(struct mvcc_store *s, struct mvcc_arena *a,
		      struct mvcc_event *ev, int64_t prev, int64_t main)
{
	sqlite3_stmt *st = NULL;
	bool oom = false;
	int rc = SQLITE_DONE;

	if (main - 1 < s->compact_rev)
		return MVCC_OK;
	while (prev != 0) {
		if (!st && !(st = db_stmt(s->db, mvcc_sql_rev_row)))
			return MVCC_ERR_DB;
		sqlite3_bind_int64(st, 1, prev);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW || sqlite3_column_int64(st, 0) < main)
			break;
		prev = sqlite3_column_int64(st, 5);
		sqlite3_reset(st);
		rc = SQLITE_DONE;
	}
	if (!st)
		return MVCC_OK;
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 2) > 0) {
		struct mvcc_kv *p = &ev->prev_kv;
		p->key = ev->kv.key;
		p->key_len = ev->kv.key_len;
		p->mod_revision = sqlite3_column_int64(st, 0);
		p->create_revision = sqlite3_column_int64(st, 1);
		p->version = sqlite3_column_int64(st, 2);
		p->lease = sqlite3_column_int64(st, 3);
		p->value_len = (size_t)sqlite3_column_bytes(st, 4);
		p->value = mvcc_arena_dup(a, sqlite3_column_blob(st, 4),
				     p->value_len, &oom);
		ev->has_prev_kv = true;
	}
	db_stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return MVCC_ERR_DB;
	return oom ? MVCC_ERR_NOMEM : MVCC_OK;
}

int mvcc_events_since(struct mvcc_store *s, const uint8_t *key, size_t key_len,
		      const uint8_t *range_end, size_t range_end_len,
		      int64_t since_rev, size_t limit, bool with_prev_kv,
		      struct mvcc_event_list *out)
{
	enum mvcc_range_kind k = mvcc_range_kind(range_end_len, range_end);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int64_t bound, last_main = 0;
	int rc, r;

	memset(out, 0, sizeof(*out));
	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = mvcc_store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	if (since_rev < 1)
		since_rev = 1;
	/* watchable_store.go: a watcher behind the compaction is told so. */
	if (since_rev < s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	out->next_rev = since_rev > s->rev ? since_rev : s->rev + 1;
	if (since_rev > s->rev)
		goto out;
	out->arena = calloc(1, sizeof(*out->arena));
	if (!out->arena) {
		rc = MVCC_ERR_NOMEM;
		goto out;
	}
	rc = mvcc_seq_bound(s, since_rev, &bound);
	if (rc != MVCC_OK)
		goto out;
	st = db_stmt(s->db, sql_events[k]);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, bound);
	mvcc_bind_range(st, 2, k, key, key_len, range_end, range_end_len);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct mvcc_kv kv;
		int64_t main = sqlite3_column_int64(st, 1);

		if (limit && out->n >= limit && main != last_main) {
			out->next_rev = main;
			break;
		}
		mvcc_row_kv(st, &kv);
		if (!mvcc_in_range(k, key, key_len, kv.key, kv.key_len, range_end,
			      range_end_len))
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mvcc_event *e = realloc(out->events,
						       ncap * sizeof(*e));
			if (!e) {
				rc = MVCC_ERR_NOMEM;
				break;
			}
			out->events = e;
			cap = ncap;
		}
		struct mvcc_event *ev = &out->events[out->n];
		memset(ev, 0, sizeof(*ev));
		if (kv.version == 0) {
			ev->type = MVCC_EVENT_DELETE;
			kv.mod_revision = main;
		} else {
			ev->type = MVCC_EVENT_PUT;
		}
		if (!mvcc_kv_copy(out->arena, &ev->kv, &kv)) {
			rc = MVCC_ERR_NOMEM;
			break;
		}
		out->n++;
		last_main = main;
		if (with_prev_kv) {
			rc = event_prev(s, out->arena, ev,
					sqlite3_column_int64(st, 8), main);
			if (rc != MVCC_OK)
				break;
		}
	}
	db_stmt_done(st);
	if (rc == MVCC_OK && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
out:
	db_read_end(s->db);
	if (rc != MVCC_OK)
		mvcc_event_list_free(out);
	return rc;
}

void mvcc_event_list_free(struct mvcc_event_list *l)
{
	if (!l)
		return;
	free(l->events);
	if (l->arena) {
		mvcc_arena_free(l->arena);
		free(l->arena);
	}
	l->events = NULL;
	l->arena = NULL;
	l->n = 0;
}
