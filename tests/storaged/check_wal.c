/*
 * check_wal.c - the write-ahead log: record encoding, the CRC chain, reopen
 * and append, log overwrite, torn tails cut at open, corruption refused with
 * file and offset, segment rollover and release, and disk faults injected
 * through the wal_io table (nothing acknowledged may be lost).
 *
 * Every test works in its own mkdtemp directory and uses small segments so
 * that it stays fast; fsync is real except in the loops that reopen hundreds
 * of times, which use no_sync or a counting hook.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "storaged/wal.h"
#include "tests/storaged/fault_io.h"
#include "storaged/wal_pb.h"

#define SEG_SMALL 8192

/* ---- fixtures ---- */

/* snprintf into an array, failing the test on truncation (and using the
 * result, which is what -Wformat-truncation wants). */
#define PATHF(buf, ...)							\
	do {								\
		int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__);	\
		if (n_ < 0 || (size_t)n_ >= sizeof(buf))		\
			ck_abort_msg("path too long");			\
	} while (0)

static char tmproot[4096];
static char waldir[4200];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	PATHF(tmproot, "%s/check_wal.XXXXXX",
	    t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmproot));
	PATHF(waldir, "%s/wal", tmproot);
}

static void teardown(void)
{
	nftw(tmproot, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* An encoded raftpb.Entry whose payload is derived from (index, term). */
struct ent {
	uint64_t index, term;
	uint8_t buf[2048];
	size_t len;
};

static size_t payload_len(uint64_t index)
{
	return (size_t)(index * 37 % 300);
}

static void ent_make(struct ent *e, uint64_t index, uint64_t term)
{
	uint8_t data[512];
	size_t n = payload_len(index), i;

	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(index * 131 + term * 7 + i);
	e->index = index;
	e->term = term;
	e->len = wal_pb_entry_encode(e->buf, 0, term, index, data, n);
}

static struct wal_entry ent_wal(const struct ent *e)
{
	return (struct wal_entry){ e->index, e->term, e->buf, e->len };
}

static size_t hs_make(uint8_t *b, uint64_t term, uint64_t vote, uint64_t commit)
{
	size_t n = 0;

	b[n++] = 0x08;
	n += wal_pb_put_varint(b + n, term);
	b[n++] = 0x10;
	n += wal_pb_put_varint(b + n, vote);
	b[n++] = 0x18;
	n += wal_pb_put_varint(b + n, commit);
	return n;
}

static struct wal_options opts_small(bool sync)
{
	struct wal_options o;

	wal_options_init(&o);
	o.segment_size = SEG_SMALL;
	o.no_sync = !sync;
	return o;
}

/* Saves entries [from, to] at term with hard state (term, 1, commit=to) in
 * one batch, then syncs. */
static void save_range(struct wal *w, uint64_t from, uint64_t to, uint64_t term)
{
	struct wal_error err;
	struct ent *es = calloc(to - from + 1, sizeof(*es));
	struct wal_entry *we = calloc(to - from + 1, sizeof(*we));
	uint8_t hs[64];
	size_t hl = hs_make(hs, term, 1, to);
	uint64_t i;

	for (i = from; i <= to; i++) {
		ent_make(&es[i - from], i, term);
		we[i - from] = ent_wal(&es[i - from]);
	}
	ck_assert_int_eq(wal_save(w, we, to - from + 1, hs, hl, &err), WAL_OK);
	ck_assert_msg(wal_sync(w, &err) == WAL_OK, "%s", err.msg);
	free(es);
	free(we);
}

/* Asserts that c holds exactly entries 1..n (from snapshot snap), entry i
 * with term terms(i). */
static void check_entries(const struct wal_contents *c, uint64_t snap,
    uint64_t last, uint64_t (*termf)(uint64_t))
{
	struct ent e;
	uint64_t i;

	/* Plain ifs: each passing ck_assert costs Check a pipe write, and
	 * this runs thousands of times. */
	if (c->n_entries != last - snap)
		ck_abort_msg("%zu entries, want %" PRIu64, c->n_entries,
		    last - snap);
	for (i = snap + 1; i <= last; i++) {
		const struct wal_entry *we = &c->entries[i - snap - 1];

		ent_make(&e, i, termf ? termf(i) : 1);
		if (we->index != i || we->term != e.term || we->len != e.len ||
		    memcmp(we->data, e.buf, e.len) != 0)
			ck_abort_msg("entry %" PRIu64 " differs", i);
	}
}

static uint64_t hs_commit(const struct wal_contents *c)
{
	uint64_t commit = 0;

	if (c->hard_state == NULL || wal_pb_hardstate_commit(c->hard_state,
	    c->hard_state_len, &commit) != 0)
		ck_abort_msg("no hard state");
	return commit;
}

/* Segment file names in dir, sorted. */
static int list_segs(const char *dir, char names[][64], int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0, i, j;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 4 && l < 64 && strcmp(de->d_name + l - 4, ".wal") == 0 &&
		    n < max)
			memcpy(names[n++], de->d_name, l + 1);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char t[64];

				memcpy(t, names[i], 64);
				memcpy(names[i], names[j], 64);
				memcpy(names[j], t, 64);
			}
	return n;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void write_file(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, b, len, 0), (ssize_t)len);
	close(fd);
}

/* One parsed frame of a segment file. */
struct frame {
	size_t off, end;	/* [off, end) including length word and pad */
	int64_t type;
	uint64_t index;		/* entries */
	uint64_t commit;	/* states */
	uint32_t crc;
	const uint8_t *data;
	size_t len;
};

/* Parses frames independently of the reader (up to a zero length word). */
static int parse_frames(const uint8_t *b, size_t len, struct frame *f, int max)
{
	size_t off = 0;
	int n = 0;

	while (off + 8 <= len && n < max) {
		uint64_t lenf = 0, rec, pad;
		struct wal_pb_record r;
		uint64_t term;
		int i;

		for (i = 7; i >= 0; i--)
			lenf = lenf << 8 | b[off + (size_t)i];
		if (lenf == 0)
			break;
		rec = lenf & 0x00ffffffffffffffULL;
		pad = lenf >> 63 ? (lenf >> 56) & 7 : 0;
		if ((8 + rec + pad) % 8 != 0 ||
		    wal_pb_record_decode(b + off + 8, rec, &r) != 0)
			ck_abort_msg("bad frame at %zu", off);
		f[n].off = off;
		f[n].end = off + 8 + rec + pad;
		f[n].type = r.type;
		f[n].crc = r.crc;
		f[n].data = r.data;
		f[n].len = r.len;
		f[n].index = f[n].commit = 0;
		if (r.type == WAL_REC_ENTRY)
			wal_pb_entry_ids(r.data, r.len, &f[n].index, &term);
		if (r.type == WAL_REC_STATE)
			wal_pb_hardstate_commit(r.data, r.len, &f[n].commit);
		off = f[n].end;
		n++;
	}
	return n;
}

static char *seg_path(const char *dir, const char *name)
{
	static char p[8][4400];
	static int k;

	k = (k + 1) % 8;
	PATHF(p[k], "%s/%s", dir, name);
	return p[k];
}

/* ---- encoding ---- */

START_TEST(pb_roundtrip)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384,
	    UINT32_MAX, (uint64_t)1 << 35, UINT64_MAX };
	uint8_t b[64], rb[256];
	const uint8_t *p;
	struct wal_pb_record r;
	uint64_t v, a, t;
	size_t i, n;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		n = wal_pb_put_varint(b, vals[i]);
		ck_assert_uint_eq(n, wal_pb_varint_size(vals[i]));
		p = b;
		ck_assert_int_eq(wal_pb_get_varint(&p, b + n, &v), 0);
		ck_assert_uint_eq(v, vals[i]);
		ck_assert_ptr_eq(p, b + n);
		p = b;
		ck_assert_int_eq(wal_pb_get_varint(&p, b + n - 1, &v), n > 1 ? -1 : -1);
	}
	/* The crc record etcd writes at the head of a new WAL: Type 4, Crc 0,
	 * no Data: 08 04 10 00. */
	n = wal_pb_record_encode(rb, WAL_REC_CRC, 0, false, NULL, 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(rb, "\x08\x04\x10\x00", 4);
	ck_assert_int_eq(wal_pb_record_decode(rb, n, &r), 0);
	ck_assert_int_eq(r.type, WAL_REC_CRC);
	ck_assert(!r.has_data);

	n = wal_pb_record_encode(rb, WAL_REC_ENTRY, 0xdeadbeef, true, "hello", 5);
	ck_assert_uint_eq(n, wal_pb_record_size(WAL_REC_ENTRY, 0xdeadbeef, true, 5));
	ck_assert_int_eq(wal_pb_record_decode(rb, n, &r), 0);
	ck_assert_int_eq(r.type, WAL_REC_ENTRY);
	ck_assert_uint_eq(r.crc, 0xdeadbeef);
	ck_assert_uint_eq(r.len, 5);
	ck_assert_mem_eq(r.data, "hello", 5);
	/* Every proper prefix is malformed or lacks the data. */
	for (i = 1; i < n; i++) {
		if (wal_pb_record_decode(rb, i, &r) == 0)
			ck_assert(!r.has_data || r.len < 5);
	}
	/* Zeros (an unwritten sector) never decode. */
	memset(rb, 0, 16);
	ck_assert_int_eq(wal_pb_record_decode(rb, 16, &r), -1);

	n = wal_pb_snapshot_encode(b, 12345, 7);
	ck_assert_int_eq(wal_pb_snapshot_decode(b, n, &a, &t), 0);
	ck_assert_uint_eq(a, 12345);
	ck_assert_uint_eq(t, 7);

	n = wal_pb_entry_encode(rb, 1, 9, 77, "xyz", 3);
	ck_assert_int_eq(wal_pb_entry_ids(rb, n, &a, &t), 0);
	ck_assert_uint_eq(a, 77);
	ck_assert_uint_eq(t, 9);

	n = hs_make(b, 3, 2, 99);
	ck_assert_int_eq(wal_pb_hardstate_commit(b, n, &v), 0);
	ck_assert_uint_eq(v, 99);
}
END_TEST

/* The first segment is byte for byte what etcd's wal.Create writes. */
START_TEST(create_layout)
{
	char names[8][64];
	struct wal *w;
	struct wal_error err;
	struct stat st;
	struct frame f[8];
	uint8_t *b;
	size_t len;
	int n;

	ck_assert_int_eq(wal_exists(waldir), false);
	ck_assert_msg(wal_create(waldir, "meta", 4, NULL, &w, &err) == WAL_OK,
	    "%s", err.msg);
	ck_assert_int_eq(wal_exists(waldir), true);
	ck_assert_int_eq(stat(waldir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(list_segs(waldir, names, 8), 1);
	ck_assert_str_eq(names[0], "0000000000000000-0000000000000000.wal");
	ck_assert_int_eq(stat(seg_path(waldir, names[0]), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, (off_t)WAL_DEFAULT_SEGMENT_SIZE);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);

	b = read_file(seg_path(waldir, names[0]), &len);
	/* crc record: length 4 padded by 4: 0x84 << 56 | 4 */
	ck_assert_mem_eq(b, "\x04\0\0\0\0\0\0\x84\x08\x04\x10\x00\0\0\0\0", 16);
	n = parse_frames(b, len, f, 8);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(f[1].type, WAL_REC_METADATA);
	ck_assert_uint_eq(f[1].crc, crc32c_update(0, "meta", 4));
	ck_assert_int_eq(f[2].type, WAL_REC_SNAPSHOT);
	ck_assert_uint_eq(f[2].len, 4);	/* {index 0, term 0}: 08 00 10 00 */
	free(b);

	ck_assert_int_eq(wal_create(waldir, "meta", 4, NULL, &w, &err), WAL_EEXIST);
}
END_TEST

START_TEST(roundtrip_reopen_append)
{
	struct wal_options o = opts_small(true);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w, *w2;
	uint64_t i;

	o.segment_size = 1 << 20;
	ck_assert_int_eq(wal_create(waldir, "m", 1, &o, &w, &err), WAL_OK);
	for (i = 1; i <= 100; i += 10)
		save_range(w, i, i + 9, 1);
	ck_assert_uint_eq(wal_last_index(w), 100);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);

	ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) == WAL_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(c.metadata_len, 1);
	ck_assert_mem_eq(c.metadata, "m", 1);
	check_entries(&c, 0, 100, NULL);
	ck_assert_uint_eq(hs_commit(&c), 100);
	wal_contents_free(&c);
	/* A second writer is kept out. */
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w2, &c, &err), WAL_ELOCKED);
	ck_assert_ptr_null(w2);

	/* Append after reopen, close, reopen again. */
	save_range(w, 101, 150, 1);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 0, 150, NULL);
	ck_assert_uint_eq(hs_commit(&c), 150);
	wal_contents_free(&c);
	/* Reopen without appending anything, twice: the tail stays valid. */
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 0, 150, NULL);
	wal_contents_free(&c);
	/* Group commit: many saves, one sync. */
	for (i = 151; i <= 160; i++) {
		struct ent e;
		struct wal_entry we;

		ent_make(&e, i, 1);
		we = ent_wal(&e);
		ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_OK);
	}
	ck_assert_int_eq(wal_sync(w, &err), WAL_OK);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 0, 160, NULL);
	ck_assert_uint_eq(hs_commit(&c), 150);	/* last state saved */
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}
END_TEST

START_TEST(save_refuses_bad_entries)
{
	struct wal_options o = opts_small(false);
	struct wal_error err;
	struct wal *w;
	struct ent e;
	struct wal_entry we;

	ck_assert_int_eq(wal_create(waldir, NULL, 0, &o, &w, &err), WAL_OK);
	save_range(w, 1, 5, 1);
	ent_make(&e, 7, 1);	/* gap after 5 */
	we = ent_wal(&e);
	ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_EINVAL);
	ent_make(&e, 6, 1);
	we = ent_wal(&e);
	we.term = 2;		/* bytes say term 1 */
	ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_EINVAL);
	we.term = 1;
	we.data = (const uint8_t *)"\xff\xff";	/* not an Entry */
	we.len = 2;
	ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_EINVAL);
	/* Refused batches left no trace: the WAL goes on. */
	save_range(w, 6, 8, 1);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	{
		struct wal_contents c;

		ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
		check_entries(&c, 0, 8, NULL);
		wal_contents_free(&c);
		ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	}
}
END_TEST

/* Each record's CRC is the chain over the data of all records before it,
 * across segments, and each segment opens with the chain value. */
START_TEST(crc_chain)
{
	struct wal_options o = opts_small(false);
	struct wal_error err;
	struct wal *w;
	char names[64][64];
	static struct frame f[4096];
	uint32_t crc = 0;
	uint64_t i;
	int n, s, k, total = 0;

	ck_assert_int_eq(wal_create(waldir, "md", 2, &o, &w, &err), WAL_OK);
	for (i = 1; i <= 200; i += 4)
		save_range(w, i, i + 3, 1);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	n = list_segs(waldir, names, 64);
	ck_assert_int_gt(n, 3);
	for (s = 0; s < n; s++) {
		size_t len;
		uint8_t *b = read_file(seg_path(waldir, names[s]), &len);
		int m = parse_frames(b, len, f, 4096);

		ck_assert_int_gt(m, 2);
		ck_assert_int_eq(f[0].type, WAL_REC_CRC);
		ck_assert_uint_eq(f[0].crc, crc);
		ck_assert_int_eq(f[1].type, WAL_REC_METADATA);
		if (s > 0)
			ck_assert_int_eq(f[2].type, WAL_REC_STATE);
		for (k = 1; k < m; k++) {
			crc = crc32c_update(crc, f[k].data, f[k].len);
			ck_assert_uint_eq(f[k].crc, crc);
		}
		total += m;
		/* Full segments were trimmed to their records when cut. */
		if (s < n - 1)
			ck_assert_uint_eq(len, f[m - 1].end);
		free(b);
	}
	ck_assert_int_gt(total, 200);
}
END_TEST

/* A new leader overwrites the tail: the later entries at index i replace
 * the old ones from i on, even across a segment boundary. */
static uint64_t term_overwritten(uint64_t i)
{
	return i <= 40 ? 1 : i <= 60 ? 2 : 3;
}

START_TEST(overwrite_tail)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;

	ck_assert_int_eq(wal_create(waldir, NULL, 0, &o, &w, &err), WAL_OK);
	save_range(w, 1, 80, 1);
	save_range(w, 41, 70, 2);	/* drops 41..80 of term 1 */
	save_range(w, 61, 65, 3);	/* drops 61..70 of term 2 */
	ck_assert_uint_eq(wal_last_index(w), 65);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 0, 65, term_overwritten);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}
END_TEST

/* Builds a WAL of two or more segments whose last segment holds at least
 * a dozen records after its header; returns the segment count. */
static int build_multi(struct wal_options *o, uint64_t min_last, char names[][64])
{
	static struct frame f[4096];
	struct wal_error err;
	struct wal *w;
	uint64_t i;
	int n, m = 0;

	ck_assert_int_eq(wal_create(waldir, "md", 2, o, &w, &err), WAL_OK);
	for (i = 1;; i += 3) {
		save_range(w, i, i + 2, 1);
		n = list_segs(waldir, names, 64);
		if (n >= 2 && i + 2 >= min_last) {
			size_t len;
			uint8_t *b = read_file(seg_path(waldir, names[n - 1]), &len);

			m = parse_frames(b, len, f, 4096);
			free(b);
			if (m >= 15)
				break;
		}
	}
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	return n;
}

/* Index of the last entry in the WAL (all segments). */
static uint64_t last_entry(char names[][64], int n)
{
	static struct frame f[4096];
	uint64_t li = 0;
	int s, k, m;

	for (s = 0; s < n; s++) {
		size_t len;
		uint8_t *b = read_file(seg_path(waldir, names[s]), &len);

		m = parse_frames(b, len, f, 4096);
		for (k = 0; k < m; k++)
			if (f[k].type == WAL_REC_ENTRY)
				li = f[k].index;
		free(b);
	}
	return li;
}

/* What survives of the last segment when it is replaced by `now`: the
 * frames whose bytes are unchanged, up to the first changed one. */
static void expected_prefix(const struct frame *f, int m, const uint8_t *orig,
    const uint8_t *now, size_t now_len, uint64_t *last_index,
    uint64_t *commit)
{
	int k;

	for (k = 0; k < m; k++) {
		if (f[k].end > now_len ||
		    memcmp(orig + f[k].off, now + f[k].off, f[k].end - f[k].off))
			break;
		if (f[k].type == WAL_REC_ENTRY)
			*last_index = f[k].index;
		if (f[k].type == WAL_REC_STATE)
			*commit = f[k].commit;
	}
}

/* Index of the last entry and last commit in the segments before the last. */
static void before_last(char names[][64], int n, uint64_t *li, uint64_t *cm)
{
	static struct frame f[4096];
	int s, k, m;

	*li = *cm = 0;
	for (s = 0; s < n - 1; s++) {
		size_t len;
		uint8_t *b = read_file(seg_path(waldir, names[s]), &len);

		m = parse_frames(b, len, f, 4096);
		for (k = 0; k < m; k++) {
			if (f[k].type == WAL_REC_ENTRY)
				*li = f[k].index;
			if (f[k].type == WAL_REC_STATE)
				*cm = f[k].commit;
		}
		free(b);
	}
}

static size_t next_cut(const struct frame *f, int m, size_t x, size_t used)
{
	size_t nx = x < 700 ? x + 1 : x + 7;
	int k;

	for (k = 0; k < m; k++) {
		if (f[k].end > x + 1 && f[k].end - 1 < nx)
			nx = f[k].end - 1;
		if (f[k].end > x && f[k].end < nx)
			nx = f[k].end;
	}
	return x == used ? used + 1 : nx > used ? used : nx;
}

/* Truncate the last segment at many offsets: open keeps exactly the
 * records written in full, and appending goes on from there. */
START_TEST(torn_tail_truncated)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	char names[64][64];
	static struct frame f[4096];
	uint64_t li0, cm0, li, cm;
	uint8_t *orig;
	size_t len, used, x;
	int n, m, opens = 0;

	n = build_multi(&o, 90, names);
	ck_assert_int_ge(n, 2);
	before_last(names, n, &li0, &cm0);
	orig = read_file(seg_path(waldir, names[n - 1]), &len);
	m = parse_frames(orig, len, f, 4096);
	used = f[m - 1].end;
	ck_assert_int_gt(m, 4);

	/* Every offset in the header and first records, then a stride of 7
	 * (all residues mod 8) plus both sides of every frame boundary. */
	for (x = 0; x <= used; x = next_cut(f, m, x, used)) {
		write_file(seg_path(waldir, names[n - 1]), orig, x);
		li = li0;
		cm = cm0;
		expected_prefix(f, m, orig, orig, x, &li, &cm);
		ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) == WAL_OK,
		    "cut at %zu: %s", x, err.msg);
		opens++;
		check_entries(&c, 0, li, NULL);
		ck_assert_uint_eq(hs_commit(&c), cm);
		wal_contents_free(&c);
		if (x % 13 == 0 || x == used) {
			/* Write on from the cut, and read it all back. */
			save_range(w, li + 1, li + 2, 1);
			ck_assert_int_eq(wal_close(w, &err), WAL_OK);
			ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err),
			    WAL_OK);
			check_entries(&c, 0, li + 2, NULL);
			wal_contents_free(&c);
		}
		ck_assert_int_eq(wal_close(w, &err), WAL_OK);
		/* Restore the other segments' view: only the last changes,
		 * unless the append cut a new segment; remove any such. */
		{
			char now[64][64];
			int k, nn = list_segs(waldir, now, 64);

			for (k = n; k < nn; k++)
				unlink(seg_path(waldir, now[k]));
		}
	}
	ck_assert_int_gt(opens, 100);
	free(orig);
}
END_TEST

/* Unwritten 512-byte sectors (zeros, as preallocated) in the last batch:
 * from some sector on, or a single sector in the middle with later data
 * present (the disk wrote sectors out of order). */
START_TEST(torn_tail_zero_sectors)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	char names[64][64];
	static struct frame f[4096];
	uint64_t li0, cm0, li, cm;
	uint8_t *orig, *cur;
	size_t len, used, s;
	int n, m, mode;

	n = build_multi(&o, 90, names);
	before_last(names, n, &li0, &cm0);
	orig = read_file(seg_path(waldir, names[n - 1]), &len);
	m = parse_frames(orig, len, f, 4096);
	used = f[m - 1].end;
	cur = malloc(len);

	for (mode = 0; mode < 2; mode++) {
		for (s = 512; s < used; s += 512) {
			memcpy(cur, orig, len);
			if (mode == 0)
				memset(cur + s, 0, len - s);
			else
				memset(cur + s, 0, 512);
			write_file(seg_path(waldir, names[n - 1]), cur, len);
			li = li0;
			cm = cm0;
			expected_prefix(f, m, orig, cur, len, &li, &cm);
			ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) ==
			    WAL_OK, "zeroed sector at %zu (mode %d): %s", s, mode,
			    err.msg);
			check_entries(&c, 0, li, NULL);
			ck_assert_uint_eq(hs_commit(&c), cm);
			wal_contents_free(&c);
			/* The stale records after the hole are gone for good:
			 * new records written over the hole and beyond it
			 * (more than a sector) read back cleanly, with no
			 * old bytes behind them. */
			save_range(w, li + 1, li + 6, 1);
			ck_assert_int_eq(wal_close(w, &err), WAL_OK);
			ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) ==
			    WAL_OK, "reopen after sector %zu: %s", s, err.msg);
			check_entries(&c, 0, li + 6, NULL);
			wal_contents_free(&c);
			ck_assert_int_eq(wal_close(w, &err), WAL_OK);
			{
				char now[64][64];
				int k, nn = list_segs(waldir, now, 64);

				for (k = n; k < nn; k++)
					unlink(seg_path(waldir, now[k]));
			}
		}
	}
	free(cur);
	free(orig);
}
END_TEST

/* A bad byte before the tail: refuse to open, naming file and offset. */
START_TEST(corruption_refused)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	char names[64][64], path[4400];
	static struct frame f[4096];
	uint8_t *orig, *cur;
	size_t len, lastlen;
	uint64_t total;
	int n, m, k, checked = 0;

	n = build_multi(&o, 120, names);
	ck_assert_int_ge(n, 3);
	total = last_entry(names, n);

	/* Every record of the first (non-final) segment: flip a byte of its
	 * data, or of its length word. */
	PATHF(path, "%s/%s", waldir, names[0]);
	orig = read_file(path, &len);
	cur = malloc(len);
	m = parse_frames(orig, len, f, 4096);
	for (k = 1; k < m; k++) {	/* the crc record has no data */
		size_t pos = (size_t)(f[k].data - orig) + f[k].len / 2;

		if (f[k].len == 0)
			continue;
		memcpy(cur, orig, len);
		cur[pos] ^= 0x20;
		write_file(path, cur, len);
		ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err),
		    WAL_ECORRUPT);
		ck_assert_ptr_null(w);
		ck_assert_str_eq(err.file, names[0]);
		ck_assert_int_eq(err.offset, (int64_t)f[k].off);
		ck_assert_ptr_nonnull(strstr(err.msg, names[0]));
		ck_assert_ptr_nonnull(strstr(err.msg, "offset"));
		checked++;

		memcpy(cur, orig, len);
		cur[f[k].off] ^= 0x08;	/* length off by 8 */
		write_file(path, cur, len);
		ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err),
		    WAL_ECORRUPT);
		ck_assert_str_eq(err.file, names[0]);
	}
	ck_assert_int_gt(checked, 5);
	write_file(path, orig, len);

	/* A non-final segment cut short at a record boundary loses records:
	 * the next segment's chain value no longer matches. */
	write_file(path, orig, f[m - 2].end);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_ECORRUPT);
	ck_assert_str_eq(err.file, names[1]);
	ck_assert_int_eq(err.offset, 0);
	/* ...or inside a record. */
	write_file(path, orig, f[m - 2].end - 3);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_ECORRUPT);
	ck_assert_str_eq(err.file, names[0]);
	ck_assert_int_eq(err.offset, (int64_t)f[m - 2].off);
	write_file(path, orig, len);
	free(orig);

	/* An early record of the last segment, with good records after it and
	 * no zero sector: corruption, not a torn write. */
	PATHF(path, "%s/%s", waldir, names[n - 1]);
	orig = read_file(path, &lastlen);
	cur = realloc(cur, lastlen);
	m = parse_frames(orig, lastlen, f, 4096);
	ck_assert_int_gt(m, 4);
	memcpy(cur, orig, lastlen);
	cur[(size_t)(f[1].data - orig)] ^= 1;	/* metadata */
	write_file(path, cur, lastlen);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_ECORRUPT);
	ck_assert_str_eq(err.file, names[n - 1]);
	ck_assert_int_eq(err.offset, (int64_t)f[1].off);
	write_file(path, orig, lastlen);

	/* A missing middle segment. */
	PATHF(path, "%s/%s", waldir, names[1]);
	ck_assert_int_eq(rename(path, seg_path(tmproot, "moved")), 0);
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_ECORRUPT);
	ck_assert_str_eq(err.file, names[2]);
	ck_assert_int_eq(rename(seg_path(tmproot, "moved"), path), 0);

	/* Intact again: opens. */
	ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) == WAL_OK, "%s",
	    err.msg);
	check_entries(&c, 0, total, NULL);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	free(orig);
	free(cur);
}
END_TEST

START_TEST(snapshot_markers)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_snapshot *ss;
	struct wal_error err;
	struct wal *w;
	size_t n;

	ck_assert_int_eq(wal_create(waldir, NULL, 0, &o, &w, &err), WAL_OK);
	save_range(w, 1, 30, 1);	/* commit 30 */
	ck_assert_int_eq(wal_save_snapshot(w, 20, 1, &err), WAL_OK);
	ck_assert_int_eq(wal_save_snapshot(w, 40, 2, &err), WAL_OK);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);

	ck_assert_int_eq(wal_open(waldir, 20, 1, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 20, 30, NULL);
	wal_contents_free(&c);
	/* After the installed snapshot at 40 the log continues at 41. */
	ck_assert_uint_eq(wal_last_index(w), 40);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);

	ck_assert_int_eq(wal_open(waldir, 20, 2, &o, &w, &c, &err),
	    WAL_ESNAPMISMATCH);
	ck_assert_int_eq(wal_open(waldir, 25, 1, &o, &w, &c, &err),
	    WAL_ESNAPNOTFOUND);
	ck_assert_ptr_null(w);

	/* Only markers at or below the committed index are valid. */
	ck_assert_int_eq(wal_valid_snapshots(waldir, &ss, &n, &err), WAL_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ss[0].index, 0);
	ck_assert_uint_eq(ss[1].index, 20);
	ck_assert_uint_eq(ss[1].term, 1);
	free(ss);

	ck_assert_int_eq(wal_open(waldir, 40, 2, &o, &w, &c, &err), WAL_OK);
	ck_assert_uint_eq(c.n_entries, 0);
	wal_contents_free(&c);
	{
		struct ent e;
		struct wal_entry we;
		uint8_t hs[32];
		size_t hl = hs_make(hs, 2, 1, 41);

		ent_make(&e, 41, 2);
		we = ent_wal(&e);
		ck_assert_int_eq(wal_save(w, &we, 1, hs, hl, &err), WAL_OK);
		ck_assert_int_eq(wal_sync(w, &err), WAL_OK);
	}
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_valid_snapshots(waldir, &ss, &n, &err), WAL_OK);
	ck_assert_uint_eq(n, 3);
	free(ss);
}
END_TEST

/* Many segments; release at a snapshot; the purge keeps max_wals files and
 * never one at or after the segment holding the snapshot. */
START_TEST(rollover_release)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	char names[128][64];
	uint64_t seq, first, prev_first = 0, snap = 0;
	int n, k, hold = 0;

	o.max_wals = 3;
	ck_assert_int_eq(wal_create(waldir, "md", 2, &o, &w, &err), WAL_OK);
	save_range(w, 1, 300, 1);	/* one big batch overshoots a segment */
	for (k = 301; k <= 900; k += 5)
		save_range(w, (uint64_t)k, (uint64_t)k + 4, 1);
	n = list_segs(waldir, names, 128);
	ck_assert_int_gt(n, 8);
	ck_assert_uint_eq(wal_segment_count(w), (size_t)n);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(sscanf(names[k], "%016" SCNx64 "-%016" SCNx64,
		    &seq, &first), 2);
		ck_assert_uint_eq(seq, (uint64_t)k);
		if (k > 0)
			ck_assert_uint_gt(first, prev_first);
		prev_first = first;
	}
	/* The first segment holds the 300-entry batch; cut after it. */
	ck_assert_int_eq(sscanf(names[1], "%*16s-%016" SCNx64, &first), 1);
	ck_assert_uint_eq(first, 301);

	/* Snapshot inside segment 5. */
	ck_assert_int_eq(sscanf(names[5], "%*16s-%016" SCNx64, &first), 1);
	snap = first + 2;
	ck_assert_int_eq(wal_save_snapshot(w, snap, 1, &err), WAL_OK);
	ck_assert_int_eq(wal_release_to(w, snap, &err), WAL_OK);
	{
		char now[128][64];
		int nn = list_segs(waldir, now, 128);

		/* Segments 0..4 may go (5 holds the snapshot), but at least
		 * 3 stay: here all of 0..4 go, leaving 5.. */
		ck_assert_int_eq(nn, n - 5);
		ck_assert_str_eq(now[0], names[5]);
		hold = nn;
	}
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_msg(wal_open(waldir, snap, 1, &o, &w, &c, &err) == WAL_OK, "%s",
	    err.msg);
	check_entries(&c, snap, 900, NULL);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	/* An older snapshot's segment is gone. */
	ck_assert_int_eq(wal_open(waldir, 10, 1, &o, &w, &c, &err), WAL_ENOENT);

	/* max_wals bounds the purge: release everything with max 3. */
	ck_assert_int_eq(wal_open(waldir, snap, 1, &o, &w, &c, &err), WAL_OK);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_save_snapshot(w, 900, 1, &err), WAL_OK);
	ck_assert_int_eq(wal_release_to(w, 900, &err), WAL_OK);
	ck_assert_int_eq(list_segs(waldir, names, 128), hold > 3 ? 3 : hold);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_open(waldir, 900, 1, &o, &w, &c, &err), WAL_OK);
	ck_assert_uint_eq(c.n_entries, 0);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}
END_TEST

/* ---- disk faults ---- */


/* One scripted run: create, 40 batches of 1-4 entries with syncs (small
 * segments: several cuts), snapshot + release, close.  Returns the last
 * acknowledged index and the first index of the batch that failed. */
static void fault_run(uint64_t *acked, uint64_t *failed_lo, uint64_t *failed_hi,
    uint64_t *snap)
{
	struct wal_options o;
	struct wal_error err;
	struct wal *w = NULL;
	uint64_t next = 1;
	int b, rc;

	wal_options_init(&o);
	o.segment_size = 4096;
	o.io = &fault_io;
	o.max_wals = 2;
	*acked = 0;
	*failed_lo = *failed_hi = 0;
	*snap = 0;
	rc = wal_create(waldir, "md", 2, &o, &w, &err);
	if (rc != WAL_OK) {
		ck_assert_msg(rc == WAL_EIO, "create: %d %s", rc, err.msg);
		ck_assert_ptr_null(w);
		return;
	}
	for (b = 0; b < 40; b++) {
		uint64_t n = (uint64_t)(b % 4) + 1, i;
		struct ent es[4];
		struct wal_entry we[4];
		uint8_t hs[32];
		size_t hl = hs_make(hs, 1, 1, next + n - 1);

		for (i = 0; i < n; i++) {
			ent_make(&es[i], next + i, 1);
			we[i] = ent_wal(&es[i]);
		}
		rc = wal_save(w, we, (size_t)n, hs, hl, &err);
		if (rc == WAL_OK)
			rc = wal_sync(w, &err);
		if (rc != WAL_OK) {
			ck_assert_msg(rc == WAL_EIO, "batch %d: %d %s", b, rc,
			    err.msg);
			*failed_lo = next;
			*failed_hi = next + n - 1;
			/* Sticky: nothing more is accepted. */
			ck_assert_int_eq(wal_save(w, we, 1, NULL, 0, &err),
			    WAL_EFAILED);
			ck_assert_int_eq(wal_sync(w, &err), WAL_EFAILED);
			break;
		}
		*acked = next + n - 1;
		next += n;
		if (b == 25) {
			rc = wal_save_snapshot(w, *acked - 2, 1, &err);
			if (rc != WAL_OK) {
				ck_assert_int_eq(rc, WAL_EIO);
				break;
			}
			*snap = *acked - 2;
			/* A failed purge is reported but harmless. */
			wal_release_to(w, *acked - 2, &err);
		}
	}
	wal_close(w, &err);
}

static void fault_check(uint64_t acked, uint64_t lo, uint64_t hi,
    uint64_t snap, int at)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	uint64_t i;

	if (!wal_exists(waldir)) {
		ck_assert_msg(acked == 0, "fault %d: WAL lost", at);
		return;
	}
	o.segment_size = 4096;
	/* Once the snapshot marker was acknowledged, older segments may be
	 * gone: open at the snapshot, as storaged would. */
	ck_assert_msg(wal_open(waldir, snap, snap ? 1 : 0, &o, &w, &c, &err) ==
	    WAL_OK, "fault %d: reopen: %s", at, err.msg);
	/* Every acknowledged entry is there; beyond them, at most a prefix
	 * of the batch that failed. */
	ck_assert_msg(snap + c.n_entries >= acked, "fault %d: %zu entries < %"
	    PRIu64, at, c.n_entries, acked);
	ck_assert_msg(snap + c.n_entries == acked || (lo == acked + 1 &&
	    snap + c.n_entries <= hi), "fault %d: %zu entries, acked %" PRIu64,
	    at, c.n_entries, acked);
	for (i = 0; i < c.n_entries; i++) {
		struct ent e;

		ent_make(&e, snap + i + 1, 1);
		ck_assert_uint_eq(c.entries[i].index, snap + i + 1);
		ck_assert_mem_eq(c.entries[i].data, e.buf, e.len);
	}
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}

START_TEST(disk_faults)
{
	uint64_t acked, lo, hi, snap;
	int total, at, partial;

	/* Count the calls of a clean run. */
	fault.at = 0;
	fault.calls = 0;
	fault_run(&acked, &lo, &hi, &snap);
	ck_assert_uint_eq(acked, 100);
	total = fault.calls;
	ck_assert_int_gt(total, 50);
	teardown();
	for (partial = 0; partial < 2; partial++) {
		for (at = 1; at <= total; at++) {
			setup();
			fault.at = at;
			fault.calls = 0;
			fault.hit = 0;
			fault.partial = partial;
			fault_run(&acked, &lo, &hi, &snap);
			fault.at = 0;
			fault_check(acked, lo, hi, snap, at);
			teardown();
		}
	}
	setup();
	fault.partial = 0;
}
END_TEST

/* ENOSPC on the first write after reopen: reported, sticky, data kept. */
START_TEST(fault_enospc_after_reopen)
{
	struct wal_options o = opts_small(false);
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	struct ent e;
	struct wal_entry we;

	ck_assert_int_eq(wal_create(waldir, NULL, 0, &o, &w, &err), WAL_OK);
	save_range(w, 1, 10, 1);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	o.io = &fault_io;
	o.no_sync = false;
	fault.calls = 0;
	fault.at = 0;
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	wal_contents_free(&c);
	fault.at = fault.calls + 1;	/* the next call: the batch's pwrite */
	fault.err = ENOSPC;
	ent_make(&e, 11, 1);
	we = ent_wal(&e);
	ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_OK);
	ck_assert_int_eq(wal_sync(w, &err), WAL_EIO);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	ck_assert_ptr_nonnull(strstr(err.msg, "No space"));
	ck_assert_int_eq(wal_sync(w, &err), WAL_EFAILED);
	fault.err = EIO;
	fault.at = 0;
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	o.io = NULL;
	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	check_entries(&c, 0, 10, NULL);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}
END_TEST

START_TEST(open_errors)
{
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	char p[4400];
	int fd;

	ck_assert_int_eq(wal_open(waldir, 0, 0, NULL, &w, &c, &err), WAL_ENOENT);
	ck_assert_int_eq(mkdir(waldir, 0700), 0);
	ck_assert_int_eq(wal_open(waldir, 0, 0, NULL, &w, &c, &err), WAL_ENOENT);
	/* Stray files are ignored; a leftover .tmp of ours is removed. */
	PATHF(p, "%s/0000000000000001-0000000000000005.wal.tmp",
	    waldir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	PATHF(p, "%s/notes.txt", waldir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(wal_create(waldir, NULL, 0, NULL, &w, &err), WAL_OK);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(access(p, F_OK), 0);
	PATHF(p, "%s/0000000000000001-0000000000000005.wal.tmp",
	    waldir);
	ck_assert_int_ne(access(p, F_OK), 0);
	ck_assert_int_eq(wal_open(waldir, 0, 0, NULL, &w, &c, &err), WAL_OK);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
}
END_TEST

/* The first segment of a WAL written by etcd 3.4 (one member: the
 * ConfChange adding it, the leader's empty entry, cluster version and
 * member attribute requests, three puts and a delete), trimmed of its
 * preallocated zeros. */
static const uint8_t etcd34_wal[] =
	"\x04\x00\x00\x00\x00\x00\x00\x84\x08\x04\x10\x00\x00\x00\x00\x00"
	"\x1e\x00\x00\x00\x00\x00\x00\x82\x08\x01\x10\xdc\xe8\xf3\xb6\x0b"
	"\x1a\x14\x08\x96\x93\xec\xf4\xf7\xad\xb4\xc7\x1d\x10\xf2\x8b\xd2"
	"\xbb\xd9\x9f\x83\x88\x20\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x82"
	"\x08\x05\x10\xc8\x94\x8d\x88\x07\x1a\x04\x08\x00\x10\x00\x00\x00"
	"\x73\x00\x00\x00\x00\x00\x00\x85\x08\x02\x10\xad\xc7\xa0\xfa\x0c"
	"\x1a\x69\x08\x01\x10\x01\x18\x01\x22\x61\x08\x00\x10\x00\x18\x96"
	"\x93\xec\xf4\xf7\xad\xb4\xc7\x1d\x22\x51\x7b\x22\x69\x64\x22\x3a"
	"\x32\x31\x32\x39\x38\x36\x39\x39\x35\x30\x35\x38\x38\x34\x38\x38"
	"\x30\x38\x36\x2c\x22\x70\x65\x65\x72\x55\x52\x4c\x73\x22\x3a\x5b"
	"\x22\x68\x74\x74\x70\x3a\x2f\x2f\x31\x32\x37\x2e\x30\x2e\x30\x2e"
	"\x31\x3a\x33\x38\x31\x39\x35\x22\x5d\x2c\x22\x6e\x61\x6d\x65\x22"
	"\x3a\x22\x64\x65\x66\x61\x75\x6c\x74\x22\x7d\x00\x00\x00\x00\x00"
	"\x10\x00\x00\x00\x00\x00\x00\x00\x08\x03\x10\x80\xf5\x99\xe2\x01"
	"\x1a\x06\x08\x01\x10\x00\x18\x01\x10\x00\x00\x00\x00\x00\x00\x00"
	"\x08\x02\x10\x9e\xe5\xd6\x8c\x06\x1a\x06\x08\x00\x10\x02\x18\x02"
	"\x18\x00\x00\x00\x00\x00\x00\x00\x08\x03\x10\xcb\xd7\x82\xa2\x07"
	"\x1a\x0e\x08\x02\x10\x96\x93\xec\xf4\xf7\xad\xb4\xc7\x1d\x18\x02"
	"\x9e\x00\x00\x00\x00\x00\x00\x82\x08\x02\x10\xbe\xac\xb1\xf4\x02"
	"\x1a\x93\x01\x08\x00\x10\x02\x18\x03\x22\x8a\x01\x08\x81\x8a\xf4"
	"\xd7\x8b\xc2\xa8\xcb\x09\x12\x03\x50\x55\x54\x1a\x26\x2f\x30\x2f"
	"\x6d\x65\x6d\x62\x65\x72\x73\x2f\x31\x64\x38\x65\x64\x31\x36\x66"
	"\x37\x65\x39\x62\x30\x39\x39\x36\x2f\x61\x74\x74\x72\x69\x62\x75"
	"\x74\x65\x73\x22\x3a\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x64\x65"
	"\x66\x61\x75\x6c\x74\x22\x2c\x22\x63\x6c\x69\x65\x6e\x74\x55\x52"
	"\x4c\x73\x22\x3a\x5b\x22\x68\x74\x74\x70\x3a\x2f\x2f\x31\x32\x37"
	"\x2e\x30\x2e\x30\x2e\x31\x3a\x34\x30\x37\x33\x35\x22\x5d\x7d\x28"
	"\x00\x32\x00\x38\x00\x48\x00\x50\x00\x58\x00\x60\x00\x68\x00\x70"
	"\x00\x78\x00\x80\x01\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00"
	"\x08\x03\x10\xb1\xb1\xb3\xd5\x0f\x1a\x0e\x08\x02\x10\x96\x93\xec"
	"\xf4\xf7\xad\xb4\xc7\x1d\x18\x03\x4b\x00\x00\x00\x00\x00\x00\x85"
	"\x08\x02\x10\xe0\xb4\x84\xf8\x0e\x1a\x41\x08\x00\x10\x02\x18\x04"
	"\x22\x39\x08\x84\x8a\xf4\xd7\x8b\xc2\xa8\xcb\x09\x12\x03\x50\x55"
	"\x54\x1a\x0a\x2f\x30\x2f\x76\x65\x72\x73\x69\x6f\x6e\x22\x05\x33"
	"\x2e\x34\x2e\x30\x28\x00\x32\x00\x38\x00\x48\x00\x50\x00\x58\x00"
	"\x60\x00\x68\x00\x70\x00\x78\x00\x80\x01\x00\x00\x00\x00\x00\x00"
	"\x18\x00\x00\x00\x00\x00\x00\x00\x08\x03\x10\xfb\xb0\xb7\xdb\x09"
	"\x1a\x0e\x08\x02\x10\x96\x93\xec\xf4\xf7\xad\xb4\xc7\x1d\x18\x04"
	"\x29\x00\x00\x00\x00\x00\x00\x87\x08\x02\x10\xbb\xea\xce\xed\x09"
	"\x1a\x1f\x08\x00\x10\x02\x18\x05\x22\x17\x22\x08\x0a\x02\x6b\x31"
	"\x12\x02\x76\x31\xa2\x06\x0a\x08\x85\x8a\xf4\xd7\x8b\xc2\xa8\xcb"
	"\x09\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00"
	"\x08\x03\x10\xbc\xb1\xe2\x84\x01\x1a\x0e\x08\x02\x10\x96\x93\xec"
	"\xf4\xf7\xad\xb4\xc7\x1d\x18\x05\x29\x00\x00\x00\x00\x00\x00\x87"
	"\x08\x02\x10\x9d\xc4\xad\xed\x08\x1a\x1f\x08\x00\x10\x02\x18\x06"
	"\x22\x17\x22\x08\x0a\x02\x6b\x32\x12\x02\x76\x32\xa2\x06\x0a\x08"
	"\x86\x8a\xf4\xd7\x8b\xc2\xa8\xcb\x09\x00\x00\x00\x00\x00\x00\x00"
	"\x18\x00\x00\x00\x00\x00\x00\x00\x08\x03\x10\xe0\x93\xc2\xab\x01"
	"\x1a\x0e\x08\x02\x10\x96\x93\xec\xf4\xf7\xad\xb4\xc7\x1d\x18\x06"
	"\x29\x00\x00\x00\x00\x00\x00\x87\x08\x02\x10\xa8\xa1\xd7\xb6\x0d"
	"\x1a\x1f\x08\x00\x10\x02\x18\x07\x22\x17\x22\x08\x0a\x02\x6b\x33"
	"\x12\x02\x76\x33\xa2\x06\x0a\x08\x87\x8a\xf4\xd7\x8b\xc2\xa8\xcb"
	"\x09\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00"
	"\x08\x03\x10\x84\xfe\xaf\xf6\x0a\x1a\x0e\x08\x02\x10\x96\x93\xec"
	"\xf4\xf7\xad\xb4\xc7\x1d\x18\x07\x25\x00\x00\x00\x00\x00\x00\x83"
	"\x08\x02\x10\xc8\xd4\xa1\xa2\x02\x1a\x1b\x08\x00\x10\x02\x18\x08"
	"\x22\x13\x2a\x04\x0a\x02\x6b\x32\xa2\x06\x0a\x08\x88\x8a\xf4\xd7"
	"\x8b\xc2\xa8\xcb\x09\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00"
	"\x08\x03\x10\x96\xbb\xfc\xff\x08\x1a\x0e\x08\x02\x10\x96\x93\xec"
	"\xf4\xf7\xad\xb4\xc7\x1d\x18\x08";

/* A WAL written by etcd itself opens, and appending to it works. */
START_TEST(reads_etcd_wal)
{
	static const uint64_t terms[] = { 1, 2, 2, 2, 2, 2, 2, 2 };
	struct wal_options o = opts_small(false);
	struct wal_snapshot *ss;
	struct wal_contents c;
	struct wal_error err;
	struct wal *w;
	struct ent e;
	struct wal_entry we;
	uint64_t idx, term;
	size_t i, n;
	char p[4400];

	ck_assert_int_eq(mkdir(waldir, 0700), 0);
	PATHF(p, "%s/0000000000000000-0000000000000000.wal",
	    waldir);
	write_file(p, etcd34_wal, sizeof(etcd34_wal) - 1);
	ck_assert_msg(wal_open(waldir, 0, 0, &o, &w, &c, &err) == WAL_OK, "%s",
	    err.msg);
	/* etcdserverpb.Metadata { NodeID = 1; ClusterID = 2 } */
	ck_assert_uint_eq(c.metadata_len, 20);
	ck_assert_int_eq(c.metadata[0], 0x08);
	ck_assert_uint_eq(c.n_entries, 8);
	for (i = 0; i < c.n_entries; i++) {
		ck_assert_uint_eq(c.entries[i].index, i + 1);
		ck_assert_uint_eq(c.entries[i].term, terms[i]);
		ck_assert_int_eq(wal_pb_entry_ids(c.entries[i].data,
		    c.entries[i].len, &idx, &term), 0);
		ck_assert_uint_eq(idx, i + 1);
	}
	ck_assert_uint_eq(hs_commit(&c), 8);
	wal_contents_free(&c);
	ent_make(&e, 9, 2);
	we = ent_wal(&e);
	ck_assert_int_eq(wal_save(w, &we, 1, NULL, 0, &err), WAL_OK);
	ck_assert_int_eq(wal_sync(w, &err), WAL_OK);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);

	ck_assert_int_eq(wal_open(waldir, 0, 0, &o, &w, &c, &err), WAL_OK);
	ck_assert_uint_eq(c.n_entries, 9);
	ck_assert_mem_eq(c.entries[8].data, e.buf, e.len);
	wal_contents_free(&c);
	ck_assert_int_eq(wal_close(w, &err), WAL_OK);
	ck_assert_int_eq(wal_valid_snapshots(waldir, &ss, &n, &err), WAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ss[0].index, 0);
	free(ss);
}
END_TEST

static Suite *wal_suite(void)
{
	Suite *s = suite_create("wal");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pb_roundtrip);
	tcase_add_test(tc, create_layout);
	tcase_add_test(tc, roundtrip_reopen_append);
	tcase_add_test(tc, save_refuses_bad_entries);
	tcase_add_test(tc, crc_chain);
	tcase_add_test(tc, overwrite_tail);
	tcase_add_test(tc, torn_tail_truncated);
	tcase_add_test(tc, torn_tail_zero_sectors);
	tcase_add_test(tc, corruption_refused);
	tcase_add_test(tc, snapshot_markers);
	tcase_add_test(tc, rollover_release);
	tcase_add_test(tc, disk_faults);
	tcase_add_test(tc, fault_enospc_after_reopen);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, reads_etcd_wal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
