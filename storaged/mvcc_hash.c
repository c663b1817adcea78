/*
 * mvcc_hash.c: etcd's HashKV (byte for byte) and Hash over the store.
 *
 * Owns: nothing; reads only.
 * Never: writes, or hashes the applied/consistent index.
 * Runs in: cetcd-storaged, on the thread of the store's struct db.
 */
#include "storaged/mvcc.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/crc32c.h"
#include "storaged/db.h"
#include "storaged/mvcc_int.h"

/* --- hashes -------------------------------------------------------------- */

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

/* etcd's revision key: main and sub big-endian, '_' between, 't' after a
 * tombstone (mvcc/revision.go, kvstore_txn.go delete). */
static size_t rev_bytes(uint8_t out[18], int64_t main, int64_t sub, bool tomb)
{
	db_u64_key((uint64_t)main, out);
	out[8] = '_';
	db_u64_key((uint64_t)sub, out + 9);
	if (tomb)
		out[17] = 't';
	return tomb ? 18 : 17;
}

/* crc of a marshaled mvccpb.KeyValue, as gogoproto writes it: fields in
 * number order, zero values left out. */
static uint32_t crc_kv(uint32_t crc, const struct mvcc_kv *kv)
{
	uint8_t hdr[16];
	size_t n;

	if (kv->key_len) {
		hdr[0] = 0x0a;
		n = 1 + put_varint(hdr + 1, kv->key_len);
		crc = crc32c_update(crc, hdr, n);
		crc = crc32c_update(crc, kv->key, kv->key_len);
	}
	static const uint8_t tags[3] = { 0x10, 0x18, 0x20 };
	const int64_t ints[3] = { kv->create_revision, kv->mod_revision,
				  kv->version };
	for (int i = 0; i < 3; i++) {
		if (!ints[i])
			continue;
		hdr[0] = tags[i];
		n = 1 + put_varint(hdr + 1, (uint64_t)ints[i]);
		crc = crc32c_update(crc, hdr, n);
	}
	if (kv->value_len) {
		hdr[0] = 0x2a;
		n = 1 + put_varint(hdr + 1, kv->value_len);
		crc = crc32c_update(crc, hdr, n);
		crc = crc32c_update(crc, kv->value, kv->value_len);
	}
	if (kv->lease) {
		hdr[0] = 0x30;
		n = 1 + put_varint(hdr + 1, (uint64_t)kv->lease);
		crc = crc32c_update(crc, hdr, n);
	}
	return crc;
}

static const char sql_rev_walk[] =
	"SELECT seq, main, sub, key, create_rev, ver, lease, value FROM rev"
	" WHERE seq < ?1 ORDER BY seq";
static const char sql_cur_head[] = "SELECT seq FROM cur WHERE key = ?1";

/* Is row seq of key the key's newest row below bound (etcd's keep set
 * membership, for rows below the compaction)? */
static int is_newest(struct mvcc_store *s, const struct mvcc_kv *kv,
		     int64_t seq, int64_t bound, bool *out)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_cur_head);
	int64_t head = 0, got;
	int rc;

	*out = false;
	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_blob64(st, 1, kv->key, kv->key_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		head = sqlite3_column_int64(st, 0);
	db_stmt_done(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
	rc = mvcc_chain_below(s, head, bound, &got);
	*out = rc == MVCC_OK && got == seq;
	return rc;
}

/* Is any key live at the revision just below bound? */
static int any_live(struct mvcc_store *s, int64_t bound, bool *out)
{
	sqlite3_stmt *st = db_stmt(s->db, mvcc_sql_cur_all);
	int rc = MVCC_OK, r;

	*out = false;
	if (!st)
		return MVCC_ERR_DB;
	while (!*out && (r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq, ver, prev;
		bool found;
		rc = mvcc_chain_below(s, sqlite3_column_int64(st, 0), bound, &seq);
		if (rc == MVCC_OK && seq)
			rc = mvcc_rev_verprev(s, seq, &found, &ver, &prev);
		if (rc != MVCC_OK)
			break;
		*out = seq && found && ver > 0;
	}
	db_stmt_done(st);
	return rc;
}

/* Folds rows with seq < bound into crc; filter as etcd's HashByRev. */
static int hash_revs(struct mvcc_store *s, int64_t bound, bool filter,
		     uint32_t *crc)
{
	sqlite3_stmt *st = db_stmt(s->db, sql_rev_walk);
	uint8_t rb[18];
	int rc;

	if (!st)
		return MVCC_ERR_DB;
	sqlite3_bind_int64(st, 1, bound);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mvcc_kv kv;
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t main = sqlite3_column_int64(st, 1);

		mvcc_row_kv(st, &kv);
		if (s->compact_pending && seq < s->compact_bound) {
			/* A compaction still under way (mvcc_compact.c): count
			 * only the rows it will keep, so that the hash does
			 * not depend on how far it got. */
			bool kept;
			if (kv.version == 0)
				continue;
			if (is_newest(s, &kv, seq, s->compact_bound,
				      &kept) != MVCC_OK) {
				rc = SQLITE_ERROR;
				break;
			}
			if (!kept)
				continue;
		}
		if (filter && main <= s->compact_rev) {
			/* Below the compaction only the keep set counts:
			 * each live key's newest row at the hashed rev. */
			bool keep;
			if (kv.version == 0)
				continue;
			if (is_newest(s, &kv, seq, bound, &keep) != MVCC_OK) {
				rc = SQLITE_ERROR;
				break;
			}
			if (!keep)
				continue;
		}
		size_t n = rev_bytes(rb, main, sqlite3_column_int64(st, 2),
				     kv.version == 0);
		*crc = crc32c_update(*crc, rb, n);
		*crc = crc_kv(*crc, &kv);
	}
	db_stmt_done(st);
	return rc == SQLITE_DONE ? MVCC_OK : MVCC_ERR_DB;
}

int mvcc_hash_kv(struct mvcc_store *s, int64_t rev, struct mvcc_hash_kv *out)
{
	int64_t bound;
	bool live = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = mvcc_store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	out->revision = s->rev;
	out->compact_revision = s->compact_rev;
	/* kvstore.go HashByRev: the checks and their order are etcd's. */
	if (rev > 0 && rev <= s->compact_rev) {
		rc = MVCC_ERR_COMPACTED;
		goto out;
	}
	if (rev > 0 && rev > s->rev) {
		rc = MVCC_ERR_FUTURE_REV;
		goto out;
	}
	if (rev == 0)
		rev = s->rev;
	rc = mvcc_seq_bound(s, rev + 1, &bound);
	if (rc != MVCC_OK)
		goto out;
	/* etcd filters below the compaction only when its keep set is not
	 * empty, i.e. when some key is live at rev. */
	rc = any_live(s, bound, &live);
	if (rc != MVCC_OK)
		goto out;
	out->hash = crc32c_update(0, "key", 3);
	rc = hash_revs(s, bound, live, &out->hash);
out:
	db_read_end(s->db);
	return rc;
}

static const char sql_hash_lease[] =
	"SELECT id, ttl, remaining_ttl FROM lease ORDER BY id";
static const char sql_hash_meta[] =
	"SELECT name, CAST(value AS TEXT) FROM meta WHERE name NOT IN"
	" ('applied_index', 'applied_term', 'consistent_index',"
	" 'compact_bound', 'compact_cursor') ORDER BY name";

static int hash_blob_row(void *arg, const void *k, size_t kl, const void *v,
			 size_t vl)
{
	uint32_t *crc = arg;

	*crc = crc32c_update(*crc, k, kl);
	*crc = crc32c_update(*crc, v, vl);
	return 0;
}

int mvcc_hash(struct mvcc_store *s, uint32_t *hash, int64_t *revision)
{
	static const char *const names[DB_T_COUNT] = {
		"members", "members_removed", "alarms", "auth_users",
		"auth_roles",
	};
	uint32_t crc = 0;
	sqlite3_stmt *st;
	int rc, r;

	if (s->txn.open)
		return MVCC_ERR_STATE;
	if (db_read_begin(s->db) != DB_OK)
		return MVCC_ERR_DB;
	rc = mvcc_store_sync(s);
	if (rc != MVCC_OK)
		goto out;
	crc = crc32c_update(crc, "key", 3);
	rc = hash_revs(s, INT64_MAX, false, &crc);
	if (rc != MVCC_OK)
		goto out;
	crc = crc32c_update(crc, "lease", 5);
	st = db_stmt(s->db, sql_hash_lease);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t b[24];
		for (int i = 0; i < 3; i++)
			db_u64_key((uint64_t)sqlite3_column_int64(st, i),
				   b + 8 * i);
		crc = crc32c_update(crc, b, sizeof(b));
	}
	db_stmt_done(st);
	if (r != SQLITE_DONE) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	for (int t = 0; t < DB_T_COUNT; t++) {
		crc = crc32c_update(crc, names[t], strlen(names[t]));
		if (db_table_each(s->db, (enum db_table)t, hash_blob_row,
				  &crc) != DB_OK) {
			rc = MVCC_ERR_DB;
			goto out;
		}
	}
	crc = crc32c_update(crc, "meta", 4);
	st = db_stmt(s->db, sql_hash_meta);
	if (!st) {
		rc = MVCC_ERR_DB;
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < 2; i++)
			crc = crc32c_update(crc, sqlite3_column_text(st, i),
					    (size_t)sqlite3_column_bytes(st, i));
	db_stmt_done(st);
	if (r != SQLITE_DONE)
		rc = MVCC_ERR_DB;
out:
	db_read_end(s->db);
	*hash = crc;
	if (revision)
		*revision = s->rev;
	return rc;
}
