/*
 * wal_read.c - reading the WAL back: the record decoder with its CRC chain
 * and torn-tail rule, wal_open (etcd's Open + ReadAll) and
 * wal_valid_snapshots.  Format and API: wal.h; the handle: wal_int.h.
 *
 * Runs in cetcd-storaged at start.  Owns, while it runs, a read-only
 * mapping of one segment at a time; hands the tail segment's fd to the
 * struct wal it returns.  Never writes a segment except to cut a torn tail
 * off the last one in wal_open.
 *
 * The torn-write rule (etcd's decoder.go isTornEntry): damage is forgiven
 * only in the last segment, and only if the frame is cut short by the end
 * of the file, or one of its 512-byte sectors (file-aligned) is all zeros,
 * which is what a write that did not land on a preallocated file looks
 * like.  A flipped bit in a sector that was written is corruption, even at
 * the tail, so that a damaged acknowledged record is reported, not dropped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "storaged/wal.h"
#include "storaged/wal_int.h"
#include "storaged/wal_pb.h"

struct wal_reader {
	struct wal *w;
	size_t seg;		/* index into w->segs of the open segment */
	bool keep_tail;		/* hand the last segment's fd (O_RDWR) over */
	int fd;
	uint8_t *map;
	size_t size;
	uint64_t off;
	bool open;
	bool last;
	uint32_t crc;
	char name[WAL_NAME_BUF];
	uint64_t rec_off;	/* offset of the record last returned */
	uint64_t tail_end;	/* end of the valid records of the last segment */
	bool torn;		/* a torn tail was found */
	int tail_fd;
};

static void wal_reader_close_seg(struct wal_reader *r)
{
	if (r->map != NULL)
		munmap(r->map, r->size);
	r->map = NULL;
	if (r->fd >= 0 && !(r->last && r->keep_tail))
		close(r->fd);
	else if (r->fd >= 0)
		r->tail_fd = r->fd;
	r->fd = -1;
	r->open = false;
}

static int wal_reader_open_seg(struct wal_reader *r, struct wal_error *err)
{
	struct wal *w = r->w;
	struct stat st;

	r->last = r->seg == w->nsegs - 1;
	wal_seg_name(r->name, w->segs[r->seg].seq, w->segs[r->seg].first);
	r->fd = openat(w->dirfd, r->name,
	    (r->last && r->keep_tail ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (r->fd < 0)
		return wal_err(err, WAL_EIO, errno, "wal: cannot open %s/%s",
		    w->dir, r->name);
	if (fstat(r->fd, &st) != 0)
		return wal_err(err, WAL_EIO, errno, "wal: cannot stat %s/%s",
		    w->dir, r->name);
	r->size = (size_t)st.st_size;
	r->off = 0;
	r->open = true;
	if (r->size > 0) {
		r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, r->fd, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			return wal_err(err, WAL_EIO, errno, "wal: cannot map %s/%s",
			    w->dir, r->name);
		}
	}
	return WAL_OK;
}

static bool wal_all_zero(const uint8_t *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return n == 0;
}

/* etcd's isTornEntry: split the frame's bytes on 512-byte sector
 * boundaries of the file; a sector of zeros means a write that did not land
 * (the file was preallocated with zeros). */
static bool wal_reader_torn(const struct wal_reader *r, uint64_t start,
    uint64_t len)
{
	uint64_t end = start + len, chunk;

	while (start < end) {
		chunk = WAL_SECTOR_BYTES - start % WAL_SECTOR_BYTES;
		if (chunk > end - start)
			chunk = end - start;
		if (wal_all_zero(r->map + start, (size_t)chunk))
			return true;
		start += chunk;
	}
	return false;
}

/* Ends the log at the current offset of the last segment. */
static int wal_reader_end(struct wal_reader *r, bool torn)
{
	r->torn = torn;
	r->tail_end = r->off;
	wal_reader_close_seg(r);
	r->seg = r->w->nsegs;
	return 0;
}

/* Returns 1 with the next record that is not a crc record (its data points
 * into the mapping: use it before the next call), 0 at the end of the log,
 * or a negative wal_status.  Verifies the CRC chain throughout. */
static int wal_reader_next(struct wal_reader *r, struct wal_pb_record *rec,
    struct wal_error *err)
{
	struct wal *w = r->w;
	uint64_t lenf, recb, pad, left;
	const uint8_t *p;
	uint32_t crc;
	int i, rc;

	for (;;) {
		if (!r->open) {
			if (r->seg >= w->nsegs)
				return 0;
			if ((rc = wal_reader_open_seg(r, err)) != WAL_OK)
				return rc;
		}
		left = r->size - r->off;
		if (left == 0) {
			if (r->last)
				return wal_reader_end(r, false);
			wal_reader_close_seg(r);
			r->seg++;
			continue;
		}
		p = r->map + r->off;
		if (left < WAL_FRAME_BYTES) {
			if (r->last)
				return wal_reader_end(r, !wal_all_zero(p, left));
			return wal_err_at(err, w->dir, r->name, r->off,
			    "truncated length word");
		}
		for (lenf = 0, i = 7; i >= 0; i--)
			lenf = lenf << 8 | p[i];
		if (lenf == 0) {
			/* Preallocated space: the end of this segment.  A
			 * middle segment was trimmed when it was cut, so
			 * anything after the zeros there is damage. */
			if (r->last)
				return wal_reader_end(r, false);
			if (!wal_all_zero(p, left))
				return wal_err_at(err, w->dir, r->name, r->off,
				    "zero length word before the end of a segment");
			wal_reader_close_seg(r);
			r->seg++;
			continue;
		}
		/* etcd's decodeFrameSize */
		recb = lenf & ~((uint64_t)0xff << 56);
		pad = (lenf >> 63) ? (lenf >> 56) & 7 : 0;
		if (recb + pad > WAL_MAX_RECORD_BYTES)
			return wal_err_at(err, w->dir, r->name, r->off,
			    "record length %" PRIu64 " over the limit", recb);
		if (recb + pad > left - WAL_FRAME_BYTES) {
			if (r->last)
				return wal_reader_end(r, true);
			return wal_err_at(err, w->dir, r->name, r->off,
			    "record cut short by the end of the segment");
		}
		if (wal_pb_record_decode(p + WAL_FRAME_BYTES, recb, rec) != 0) {
			if (r->last && wal_reader_torn(r, r->off + WAL_FRAME_BYTES,
			    recb + pad))
				return wal_reader_end(r, true);
			return wal_err_at(err, w->dir, r->name, r->off,
			    "malformed record");
		}
		if (rec->type == WAL_REC_CRC) {
			/* The chain value at the head of a segment must match
			 * the end of the previous one; a reader starting here
			 * (crc 0) adopts it, as etcd's ReadAll. */
			if (r->crc != 0 && rec->crc != r->crc) {
				if (r->last && wal_reader_torn(r,
				    r->off + WAL_FRAME_BYTES, recb + pad))
					return wal_reader_end(r, true);
				return wal_err_at(err, w->dir, r->name, r->off,
				    "crc mismatch with the previous segment");
			}
			r->crc = rec->crc;
			r->off += WAL_FRAME_BYTES + recb + pad;
			continue;
		}
		crc = rec->len ? crc32c_update(r->crc, rec->data, rec->len) : r->crc;
		if (crc != rec->crc) {
			if (r->last && wal_reader_torn(r, r->off + WAL_FRAME_BYTES,
			    recb + pad))
				return wal_reader_end(r, true);
			return wal_err_at(err, w->dir, r->name, r->off,
			    "crc mismatch");
		}
		r->crc = crc;
		r->rec_off = r->off;
		r->off += WAL_FRAME_BYTES + recb + pad;
		return 1;
	}
}

static void wal_reader_init(struct wal_reader *r, struct wal *w, size_t start,
    bool keep_tail)
{
	memset(r, 0, sizeof(*r));
	r->w = w;
	r->seg = start;
	r->keep_tail = keep_tail;
	r->fd = -1;
	r->tail_fd = -1;
}

static void wal_reader_fini(struct wal_reader *r)
{
	r->keep_tail = false;
	if (r->open)
		wal_reader_close_seg(r);
	if (r->tail_fd >= 0)
		close(r->tail_fd);
	r->tail_fd = -1;
}

/* Checks that segments from start on have consecutive sequence numbers
 * (etcd's isValidSeq): a missing file in the middle loses records. */
static int wal_check_seq(struct wal *w, size_t start, struct wal_error *err)
{
	char name[WAL_NAME_BUF];
	size_t i;

	for (i = start + 1; i < w->nsegs; i++) {
		if (w->segs[i].seq != w->segs[i - 1].seq + 1) {
			wal_seg_name(name, w->segs[i].seq, w->segs[i].first);
			return wal_err_at(err, w->dir, name, 0,
			    "segment sequence gap (previous segment %" PRIu64 ")",
			    w->segs[i - 1].seq);
		}
	}
	return WAL_OK;
}

/* Entries being read: one growing arena of data, with offsets until the
 * end (the arena moves when it grows). */
struct wal_ents {
	struct wal_entry *v;
	size_t *offs;
	size_t n, cap;
	uint8_t *arena;
	size_t alen, acap;
};

static int wal_ents_put(struct wal_ents *e, size_t at, uint64_t index,
    uint64_t term, const uint8_t *data, size_t len)
{
	if (at < e->n)
		e->alen = e->offs[at];	/* drop the overwritten tail */
	e->n = at;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct wal_entry *v = realloc(e->v, cap * sizeof(*v));
		size_t *o;

		if (v == NULL)
			return -1;
		e->v = v;
		o = realloc(e->offs, cap * sizeof(*o));
		if (o == NULL)
			return -1;
		e->offs = o;
		e->cap = cap;
	}
	if (e->acap - e->alen < len) {
		size_t cap = e->acap ? e->acap : 64 * 1024;
		uint8_t *a;

		while (cap - e->alen < len)
			cap *= 2;
		if ((a = realloc(e->arena, cap)) == NULL)
			return -1;
		e->arena = a;
		e->acap = cap;
	}
	if (len)
		memcpy(e->arena + e->alen, data, len);
	e->v[e->n].index = index;
	e->v[e->n].term = term;
	e->v[e->n].data = NULL;
	e->v[e->n].len = len;
	e->offs[e->n] = e->alen;
	e->alen += len;
	e->n++;
	return 0;
}

void wal_contents_free(struct wal_contents *c)
{
	if (c == NULL)
		return;
	free(c->metadata);
	free(c->hard_state);
	free(c->entries);
	free(c->arena_);
	memset(c, 0, sizeof(*c));
}

static uint8_t *wal_memdup(const void *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (d != NULL && len)
		memcpy(d, p, len);
	return d;
}

/* Reads the records of w from segment start on into e and w's metadata and
 * state (the body of etcd's ReadAll).  Leaves the tail fd in r. */
static int wal_read_all(struct wal *w, struct wal_reader *r,
    uint64_t snap_index, uint64_t snap_term, struct wal_ents *e,
    struct wal_error *err)
{
	struct wal_pb_record rec;
	uint64_t idx, term, up;
	bool match = false, have_meta = false;
	int rc;

	while ((rc = wal_reader_next(r, &rec, err)) == 1) {
		switch (rec.type) {
		case WAL_REC_ENTRY:
			if (wal_pb_entry_ids(rec.data, rec.len, &idx, &term) != 0)
				return wal_err_at(err, w->dir, r->name, r->rec_off,
				    "malformed raftpb.Entry");
			if (idx > snap_index) {
				up = idx - snap_index - 1;
				if (up > e->n)
					return wal_err_at(err, w->dir, r->name,
					    r->rec_off, "entry %" PRIu64
					    " leaves a gap after entry %" PRIu64,
					    idx, snap_index + e->n);
				if (wal_ents_put(e, (size_t)up, idx, term, rec.data,
				    rec.len) != 0)
					return wal_err(err, WAL_ENOMEM, 0,
					    "wal: out of memory");
			}
			w->enti = idx;
			break;
		case WAL_REC_STATE:
			if (wal_state_set(w, rec.data, rec.len) != 0)
				return wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
			break;
		case WAL_REC_METADATA:
			if (have_meta && (rec.len != w->metadata_len ||
			    (rec.len && memcmp(rec.data, w->metadata, rec.len))))
				return wal_err_at(err, w->dir, r->name, r->rec_off,
				    "conflicting metadata");
			if (!have_meta) {
				free(w->metadata);
				w->metadata = NULL;
				if (rec.len &&
				    (w->metadata = wal_memdup(rec.data, rec.len)) == NULL)
					return wal_err(err, WAL_ENOMEM, 0,
					    "wal: out of memory");
				w->metadata_len = rec.len;
				have_meta = true;
			}
			break;
		case WAL_REC_SNAPSHOT:
			if (wal_pb_snapshot_decode(rec.data, rec.len, &idx, &term) != 0)
				return wal_err_at(err, w->dir, r->name, r->rec_off,
				    "malformed snapshot marker");
			if (idx == snap_index) {
				if (term != snap_term)
					return wal_err(err, WAL_ESNAPMISMATCH, 0,
					    "wal: snapshot marker at index %" PRIu64
					    " has term %" PRIu64 ", not %" PRIu64
					    " (%s/%s at offset %" PRIu64 ")", idx, term,
					    snap_term, w->dir, r->name, r->rec_off);
				match = true;
			}
			/* Entries after an installed snapshot continue from
			 * its index (etcd's SaveSnapshot moves enti too). */
			if (w->enti < idx)
				w->enti = idx;
			break;
		default:
			return wal_err_at(err, w->dir, r->name, r->rec_off,
			    "unexpected record type %" PRId64, rec.type);
		}
	}
	if (rc < 0)
		return rc;
	if (!match)
		return wal_err(err, WAL_ESNAPNOTFOUND, 0,
		    "wal: no snapshot marker {index %" PRIu64 ", term %" PRIu64
		    "} in %s", snap_index, snap_term, w->dir);
	return WAL_OK;
}

int wal_open(const char *dir, uint64_t snap_index, uint64_t snap_term,
    const struct wal_options *opts, struct wal **out,
    struct wal_contents *contents, struct wal_error *err)
{
	struct wal_reader r;
	struct wal_ents e;
	struct wal *w = NULL;
	size_t start, i;
	char name[WAL_NAME_BUF];
	int rc;

	*out = NULL;
	memset(contents, 0, sizeof(*contents));
	memset(&e, 0, sizeof(e));
	wal_reader_init(&r, NULL, 0, true);
	if ((rc = wal_new(dir, opts, true, &w, err)) != WAL_OK)
		return rc;
	r.w = w;
	if ((rc = wal_list(w, true, err)) != WAL_OK)
		goto fail;
	if (w->nsegs == 0) {
		rc = wal_err(err, WAL_ENOENT, 0, "wal: no WAL in %s", dir);
		goto fail;
	}
	/* etcd's searchIndex: the last segment starting at or before the
	 * snapshot; the ones before it are not read, and may be purged. */
	for (i = w->nsegs; i > 0 && w->segs[i - 1].first > snap_index; i--)
		;
	if (i == 0) {
		rc = wal_err(err, WAL_ENOENT, 0,
		    "wal: no segment in %s starts at or before index %" PRIu64,
		    dir, snap_index);
		goto fail;
	}
	start = i - 1;
	w->held = start;
	if ((rc = wal_check_seq(w, start, err)) != WAL_OK)
		goto fail;

	r.seg = start;
	if ((rc = wal_read_all(w, &r, snap_index, snap_term, &e, err)) !=
	    WAL_OK)
		goto fail;
	w->fd = r.tail_fd;
	r.tail_fd = -1;
	w->crc = r.crc;
	w->write_off = r.tail_end;

	/* Cut whatever follows the last good record (a torn write, or stray
	 * bytes behind zeros) and restore the preallocation, then sync: new
	 * records must never be followed by old garbage (etcd: ZeroToEnd). */
	wal_seg_name(name, w->segs[w->nsegs - 1].seq, w->segs[w->nsegs - 1].first);
	if (w->io->ftruncate(w->fd, (off_t)w->write_off) != 0) {
		rc = wal_err(err, WAL_EIO, errno, "wal: cannot truncate %s/%s",
		    dir, name);
		goto fail;
	}
	w->file_size = w->write_off;
	if (w->write_off < w->opts.segment_size) {
		if ((rc = wal_io_preallocate(w->io, w->fd, w->opts.segment_size)) < 0) {
			rc = wal_err(err, WAL_EIO, -rc,
			    "wal: cannot preallocate %s/%s", dir, name);
			goto fail;
		}
		w->file_size = w->opts.segment_size;
	}
	if ((rc = wal_datasync(w, w->fd)) < 0) {
		rc = wal_err(err, WAL_EIO, -rc, "wal: cannot sync %s/%s", dir, name);
		goto fail;
	}
	w->synced_off = w->write_off;

	/* Hand the contents over. */
	if ((w->metadata_len &&
	    (contents->metadata = wal_memdup(w->metadata, w->metadata_len)) ==
	    NULL) ||
	    (w->state_len &&
	    (contents->hard_state = wal_memdup(w->state, w->state_len)) == NULL)) {
		rc = wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
		goto fail;
	}
	contents->metadata_len = w->metadata_len;
	contents->hard_state_len = w->state_len;
	for (i = 0; i < e.n; i++)
		e.v[i].data = e.arena + e.offs[i];
	contents->entries = e.v;
	contents->n_entries = e.n;
	contents->arena_ = e.arena;
	free(e.offs);
	wal_reader_fini(&r);
	*out = w;
	return WAL_OK;
fail:
	wal_reader_fini(&r);
	free(e.v);
	free(e.offs);
	free(e.arena);
	wal_contents_free(contents);
	wal_free(w);
	return rc;
}

int wal_valid_snapshots(const char *dir, struct wal_snapshot **out, size_t *n,
    struct wal_error *err)
{
	struct wal_pb_record rec;
	struct wal_snapshot *v = NULL, *nv;
	struct wal_reader r;
	struct wal *w = NULL;
	uint64_t idx, term, commit = 0;
	size_t cnt = 0, cap = 0, i, k;
	int rc;

	*out = NULL;
	*n = 0;
	wal_reader_init(&r, NULL, 0, false);
	if ((rc = wal_new(dir, NULL, false, &w, err)) != WAL_OK)
		return rc;
	r.w = w;
	if ((rc = wal_list(w, false, err)) != WAL_OK)
		goto out;
	if (w->nsegs == 0) {
		rc = wal_err(err, WAL_ENOENT, 0, "wal: no WAL in %s", dir);
		goto out;
	}
	if ((rc = wal_check_seq(w, 0, err)) != WAL_OK)
		goto out;
	while ((rc = wal_reader_next(&r, &rec, err)) == 1) {
		if (rec.type == WAL_REC_STATE) {
			if (wal_pb_hardstate_commit(rec.data, rec.len, &commit) != 0) {
				rc = wal_err_at(err, dir, r.name, r.rec_off,
				    "malformed raftpb.HardState");
				goto out;
			}
		} else if (rec.type == WAL_REC_SNAPSHOT) {
			if (wal_pb_snapshot_decode(rec.data, rec.len, &idx, &term) != 0) {
				rc = wal_err_at(err, dir, r.name, r.rec_off,
				    "malformed snapshot marker");
				goto out;
			}
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					rc = wal_err(err, WAL_ENOMEM, 0,
					    "wal: out of memory");
					goto out;
				}
				v = nv;
			}
			v[cnt].index = idx;
			v[cnt].term = term;
			cnt++;
		}
	}
	if (rc < 0)
		goto out;
	/* A snapshot newer than the committed hard state may not be durable
	 * in the rest of the cluster's view; etcd ignores it. */
	for (i = k = 0; i < cnt; i++)
		if (v[i].index <= commit)
			v[k++] = v[i];
	*out = v;
	*n = k;
	v = NULL;
	rc = WAL_OK;
out:
	wal_reader_fini(&r);
	free(v);
	wal_free(w);
	return rc;
}
