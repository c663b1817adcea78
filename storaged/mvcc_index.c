/*
 * mvcc_index.c: the writer's in-memory mirror of table cur (key -> seq,
 * create_rev, ver), so that a put need not read cur before it writes it.
 *
 * etcd keeps its whole key index in memory (mvcc/index.go treeIndex) and
 * rebuilds it at start; this keeps much less (three integers a key, no
 * revision lists: history stays in SQLite) and only on the writer store.
 *
 * Owns: the hash table and a copy of every key in cur.
 * Never: is trusted when not ready; is kept across a rollback (the store
 * reloads it when db_generation() moves, mvcc_store_load).
 * Runs in: cetcd-storaged, on the thread of the writer store's struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* Marks a slot whose entry was removed, so probing goes on past it. */
static struct mvcc_index_ent index_tomb;
#define INDEX_TOMB (&index_tomb)

static uint64_t index_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n;

	while (n >= 8) {
		uint64_t w;
		memcpy(&w, k, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 32;
		k += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, k, n);
		h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
	}
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 32);
}

void mvcc_index_clear(struct mvcc_index *ix)
{
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i] && ix->slots[i] != INDEX_TOMB)
			free(ix->slots[i]);
	free(ix->slots);
	memset(ix, 0, sizeof(*ix));
}

static int index_grow(struct mvcc_index *ix)
{
	size_t cap = ix->cap ? ix->cap : 1024;
	struct mvcc_index_ent **s;

	/* Rehash to at most half full; tombstones do not survive it. */
	while (ix->used * 2 >= cap)
		cap *= 2;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return MVCC_ERR_NOMEM;
	for (size_t i = 0; i < ix->cap; i++) {
		struct mvcc_index_ent *e = ix->slots[i];
		if (!e || e == INDEX_TOMB)
			continue;
		size_t j = e->hash & (cap - 1);
		while (s[j])
			j = (j + 1) & (cap - 1);
		s[j] = e;
	}
	free(ix->slots);
	ix->slots = s;
	ix->cap = cap;
	ix->tombs = 0;
	return MVCC_OK;
}

struct mvcc_index_ent *mvcc_index_get(struct mvcc_index *ix,
				      const uint8_t *key, size_t len)
{
	uint64_t h;
	size_t i;

	if (!ix->cap)
		return NULL;
	h = index_hash(key, len);
	for (i = h & (ix->cap - 1); ix->slots[i]; i = (i + 1) & (ix->cap - 1)) {
		struct mvcc_index_ent *e = ix->slots[i];
		if (e != INDEX_TOMB && e->hash == h && e->key_len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

int mvcc_index_set(struct mvcc_index *ix, const uint8_t *key, size_t len,
		   int64_t seq, int64_t create_rev, int64_t ver)
{
	struct mvcc_index_ent *e = mvcc_index_get(ix, key, len);
	size_t i;

	if (e) {
		e->seq = seq;
		e->create_rev = create_rev;
		e->ver = ver;
		return MVCC_OK;
	}
	if ((ix->used + ix->tombs + 1) * 10 >= ix->cap * 7 &&
	    index_grow(ix) != MVCC_OK)
		return MVCC_ERR_NOMEM;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return MVCC_ERR_NOMEM;
	e->hash = index_hash(key, len);
	e->seq = seq;
	e->create_rev = create_rev;
	e->ver = ver;
	e->key_len = len;
	memcpy(e->key, key, len);
	for (i = e->hash & (ix->cap - 1); ix->slots[i] &&
	     ix->slots[i] != INDEX_TOMB; i = (i + 1) & (ix->cap - 1))
		;
	if (ix->slots[i] == INDEX_TOMB)
		ix->tombs--;
	ix->slots[i] = e;
	ix->used++;
	return MVCC_OK;
}

void mvcc_index_del(struct mvcc_index *ix, const uint8_t *key, size_t len)
{
	struct mvcc_index_ent *e = mvcc_index_get(ix, key, len);

	if (!e)
		return;
	for (size_t i = e->hash & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1))
		if (ix->slots[i] == e) {
			ix->slots[i] = INDEX_TOMB;
			break;
		}
	free(e);
	ix->used--;
	ix->tombs++;
}

static const char sql_index_load[] =
	"SELECT key, seq, create_rev, ver FROM cur";

int mvcc_index_load(struct mvcc_store *s)
{
	struct mvcc_index *ix = &s->index;
	sqlite3_stmt *st;
	int rc = MVCC_OK, r;

	mvcc_index_clear(ix);
	if (db_read_only(s->db))
		return MVCC_OK;		/* readers never write: no mirror */
	st = db_stmt(s->db, sql_index_load);
	if (!st)
		return MVCC_ERR_DB;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = mvcc_index_set(ix, sqlite3_column_blob(st, 0),
				    (size_t)sqlite3_column_bytes(st, 0),
				    sqlite3_column_int64(st, 1),
				    sqlite3_column_int64(st, 2),
				    sqlite3_column_int64(st, 3));
		if (rc != MVCC_OK)
			break;
	}
	db_stmt_done(st);
	if (rc == MVCC_OK && r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
	if (rc != MVCC_OK) {
		/* Puts read cur instead: slower, never wrong. */
		mvcc_index_clear(ix);
		return rc == MVCC_ERR_NOMEM ? MVCC_OK : rc;
	}
	ix->ready = true;
	return MVCC_OK;
}
