/*
 * wal.c - the write-ahead log of cetcd-storaged (format and usage: wal.h).
 *
 * Runs in cetcd-storaged, on the one thread that owns a struct wal.  Owns
 * the WAL directory's fd (holding an exclusive flock on it), the fd of the
 * tail segment, and the buffer of records saved but not yet written.  It
 * never exits, never prints, and never writes anything but whole frames at
 * the end of the tail segment; files it creates appear only under their
 * final name once complete (written as .tmp, synced, renamed, dir synced).
 *
 * Design notes.
 *  1. Durable prefix: synced_off <= write_off <= file_size of the tail.
 *     Bytes before synced_off were covered by a successful fdatasync and are
 *     never rewritten; a failed write or sync truncates back to synced_off
 *     (best effort) and makes the WAL sticky-failed (wal.h says why).
 *  2. Group commit: wal_save only encodes into buf (chaining the CRC);
 *     wal_sync writes buf with one pwrite and syncs once.  buf is written
 *     early, unsynced, past WAL_FLUSH_BYTES, to bound memory.
 *  3. Segment cut happens only inside wal_sync, after the batch is durable,
 *     so a batch never straddles two files and the crc record at the head of
 *     the new segment carries the chain value of a durable prefix.
 *  4. Reading, wal_open and the torn-tail rule live in wal_read.c.
 *
 *   tail segment:  [ durable records | written, unsynced | preallocated 0s ]
 *                  0           synced_off          write_off          file_size
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "storaged/wal.h"
#include "storaged/wal_int.h"
#include "storaged/wal_pb.h"

#define WAL_FLUSH_BYTES ((size_t)1 << 20)

/* ---- errors ---- */

const char *wal_strerror(int code)
{
	switch (code) {
	case WAL_OK: return "ok";
	case WAL_EIO: return "wal: I/O error";
	case WAL_ENOMEM: return "wal: out of memory";
	case WAL_EINVAL: return "wal: invalid argument";
	case WAL_ENOENT: return "wal: file not found";
	case WAL_EEXIST: return "wal: already exists";
	case WAL_ELOCKED: return "wal: directory is locked";
	case WAL_ECORRUPT: return "wal: corrupt record";
	case WAL_ESNAPNOTFOUND: return "wal: snapshot not found";
	case WAL_ESNAPMISMATCH: return "wal: snapshot mismatch";
	case WAL_EFAILED: return "wal: unusable after an earlier I/O error";
	default: return "wal: unknown error";
	}
}

__attribute__((format(printf, 4, 5)))
int wal_err(struct wal_error *err, int code, int sys_errno,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = sys_errno;
	err->offset = -1;
	err->file[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (sys_errno) {
		size_t n = strlen(err->msg);

		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
		    strerror(sys_errno));
	}
	return code;
}

void wal_seg_name(char *buf, uint64_t seq, uint64_t first)
{
	snprintf(buf, WAL_NAME_BUF, "%016" PRIx64 "-%016" PRIx64 ".wal", seq,
	    first);
}

/* Corruption: "wal: <what> in <dir>/<file> at offset <off>". */
__attribute__((format(printf, 5, 6)))
int wal_err_at(struct wal_error *err, const char *dir,
    const char *file, uint64_t off, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	wal_err(err, WAL_ECORRUPT, 0, "wal: %s in %s/%s at offset %" PRIu64,
	    what, dir, file, off);
	if (err != NULL) {
		err->offset = (int64_t)off;
		snprintf(err->file, sizeof(err->file), "%s", file);
	}
	return WAL_ECORRUPT;
}

/* A write, sync or cut failed: make the WAL sticky-failed and drop what was
 * not synced, so that the files hold exactly the acknowledged prefix as far
 * as this process can tell (design note 1). */
__attribute__((format(printf, 4, 5)))
static int wal_break(struct wal *w, struct wal_error *err, int sys_errno,
    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!w->failed) {
		w->failed = true;
		snprintf(w->failed_msg, sizeof(w->failed_msg), "%s: %s", what,
		    sys_errno ? strerror(sys_errno) : "failed");
		/* Even when write_off says nothing was written: a failed
		 * pwrite may have written part of the batch. */
		if (w->fd >= 0 &&
		    w->io->ftruncate(w->fd, (off_t)w->synced_off) == 0)
			w->file_size = w->synced_off;
		w->write_off = w->synced_off;
		w->buf_len = 0;
	}
	return wal_err(err, WAL_EIO, sys_errno, "%s", what);
}

static int wal_check_usable(const struct wal *w, struct wal_error *err)
{
	if (w->failed)
		return wal_err(err, WAL_EFAILED, 0,
		    "wal: %s: unusable after an earlier error (%s); reopen it",
		    w->dir, w->failed_msg);
	return WAL_OK;
}

/* ---- the handle and its directory ---- */

void wal_options_init(struct wal_options *o)
{
	memset(o, 0, sizeof(*o));
	o->segment_size = WAL_DEFAULT_SEGMENT_SIZE;
	o->max_wals = WAL_DEFAULT_MAX_WALS;
	o->io = &wal_io_default;
}

void wal_free(struct wal *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);	/* drops the flock */
	free(w->dir);
	free(w->segs);
	free(w->metadata);
	free(w->state);
	free(w->buf);
	free(w);
}

/* Allocates a handle on dir; with lock, takes the exclusive flock that keeps
 * a second writer out (etcd flocks each segment; one lock on the directory
 * gives the same exclusion). */
int wal_new(const char *dir, const struct wal_options *opts, bool lock,
    struct wal **out, struct wal_error *err)
{
	struct wal *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		return wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
	}
	w->fd = -1;
	w->dirfd = -1;
	if (opts != NULL)
		w->opts = *opts;
	else
		wal_options_init(&w->opts);
	if (w->opts.segment_size == 0)
		w->opts.segment_size = WAL_DEFAULT_SEGMENT_SIZE;
	w->io = w->opts.io != NULL ? w->opts.io : &wal_io_default;

	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		rc = wal_err(err, errno == ENOENT ? WAL_ENOENT : WAL_EIO, errno,
		    "wal: cannot open directory %s", dir);
		goto fail;
	}
	if (lock && flock(w->dirfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK
		    ? wal_err(err, WAL_ELOCKED, 0,
			"wal: %s is in use by another writer", dir)
		    : wal_err(err, WAL_EIO, errno, "wal: cannot lock %s", dir);
		goto fail;
	}
	*out = w;
	return WAL_OK;
fail:
	wal_free(w);
	return rc;
}

static int wal_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool wal_parse_hex16(const char *s, uint64_t *v)
{
	uint64_t r = 0;
	int i, d;

	for (i = 0; i < 16; i++) {
		if ((d = wal_hexval(s[i])) < 0)
			return false;
		r = r << 4 | (uint64_t)d;
	}
	*v = r;
	return true;
}

/* Parses a segment name exactly as written by wal_seg_name (etcd's
 * parseWALName format); anything else in the directory is ignored. */
static bool wal_parse_name(const char *name, uint64_t *seq, uint64_t *first)
{
	return strlen(name) == WAL_NAME_LEN && name[16] == '-' &&
	    strcmp(name + 33, ".wal") == 0 && wal_parse_hex16(name, seq) &&
	    wal_parse_hex16(name + 17, first);
}

static bool wal_is_tmp_name(const char *name)
{
	uint64_t a, b;
	char base[WAL_NAME_BUF];
	size_t n = strlen(name);

	if (n != WAL_NAME_LEN + 4 || strcmp(name + WAL_NAME_LEN, ".tmp") != 0)
		return false;
	memcpy(base, name, WAL_NAME_LEN);
	base[WAL_NAME_LEN] = '\0';
	return wal_parse_name(base, &a, &b);
}

static int wal_seg_cmp(const void *a, const void *b)
{
	const struct wal_seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Makes room for one more segment in w->segs. */
static int wal_segs_room(struct wal *w)
{
	if (w->nsegs == w->segs_cap) {
		size_t cap = w->segs_cap ? w->segs_cap * 2 : 16;
		struct wal_seg *s = realloc(w->segs, cap * sizeof(*s));

		if (s == NULL)
			return -1;
		w->segs = s;
		w->segs_cap = cap;
	}
	return 0;
}

static int wal_segs_push(struct wal *w, uint64_t seq, uint64_t first)
{
	if (wal_segs_room(w) != 0)
		return -1;
	w->segs[w->nsegs].seq = seq;
	w->segs[w->nsegs].first = first;
	w->nsegs++;
	return 0;
}

/* Lists the segment files into w->segs, sorted by sequence.  With
 * remove_tmp, also deletes our own leftover "<segment>.tmp" files: a cut
 * or create that crashed before its rename. */
int wal_list(struct wal *w, bool remove_tmp, struct wal_error *err)
{
	struct dirent *de;
	uint64_t seq, first;
	bool removed = false;
	DIR *d;
	int fd, rc = WAL_OK;

	w->nsegs = 0;
	fd = dup(w->dirfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = wal_err(err, WAL_EIO, errno, "wal: cannot read directory %s",
		    w->dir);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (wal_parse_name(de->d_name, &seq, &first)) {
			if (wal_segs_push(w, seq, first) != 0) {
				rc = wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
				break;
			}
		} else if (remove_tmp && wal_is_tmp_name(de->d_name)) {
			if (w->io->unlinkat(w->dirfd, de->d_name, 0) == 0)
				removed = true;
		}
	}
	closedir(d);
	if (rc == WAL_OK && removed && !w->opts.no_sync &&
	    (rc = wal_io_fsync_dir(w->io, w->dirfd)) < 0)
		rc = wal_err(err, WAL_EIO, -rc, "wal: cannot sync directory %s",
		    w->dir);
	if (rc == WAL_OK && w->nsegs > 1)
		qsort(w->segs, w->nsegs, sizeof(*w->segs), wal_seg_cmp);
	return rc;
}

bool wal_exists(const char *dir)
{
	struct dirent *de;
	uint64_t a, b;
	bool found = false;
	DIR *d = opendir(dir);

	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL)
		found = wal_parse_name(de->d_name, &a, &b);
	closedir(d);
	return found;
}

/* ---- encoding ---- */

static size_t wal_frame_size(size_t rec_bytes)
{
	return WAL_FRAME_BYTES + rec_bytes + (8 - rec_bytes % 8) % 8;
}

static int wal_buf_reserve(struct wal *w, size_t extra)
{
	size_t cap;
	uint8_t *b;

	if (w->buf_cap - w->buf_len >= extra)
		return 0;
	cap = w->buf_cap ? w->buf_cap : 64 * 1024;
	while (cap - w->buf_len < extra)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (b == NULL)
		return -1;
	w->buf = b;
	w->buf_cap = cap;
	return 0;
}

/* Appends one frame to buf, which must have room (wal_buf_reserve).  The
 * chain covers the data of every record but the crc record, which carries
 * the chain value itself (etcd's encoder.encode + saveCrc). */
static void wal_buf_put(struct wal *w, int64_t type, bool has_data,
    const void *data, size_t len)
{
	uint8_t *p = w->buf + w->buf_len;
	size_t rec, pad;
	uint64_t lenf;
	int i;

	if (type != WAL_REC_CRC && len > 0)
		w->crc = crc32c_update(w->crc, data, len);
	rec = wal_pb_record_size(type, w->crc, has_data, len);
	pad = (8 - rec % 8) % 8;
	/* etcd's encodeFrameSize: the pad count in the low 3 bits of the top
	 * byte, flagged by its high bit. */
	lenf = rec;
	if (pad)
		lenf |= (uint64_t)(0x80 | pad) << 56;
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(lenf >> (8 * i));
	wal_pb_record_encode(p + WAL_FRAME_BYTES, type, w->crc, has_data, data,
	    len);
	memset(p + WAL_FRAME_BYTES + rec, 0, pad);
	w->buf_len += WAL_FRAME_BYTES + rec + pad;
}

static size_t wal_frame_bound(size_t data_len)
{
	return wal_frame_size(wal_pb_record_size(WAL_REC_SNAPSHOT, UINT32_MAX,
	    true, data_len));
}

static int wal_state_room(struct wal *w, size_t len)
{
	if (len > w->state_cap) {
		uint8_t *s = realloc(w->state, len);

		if (s == NULL)
			return -1;
		w->state = s;
		w->state_cap = len;
	}
	return 0;
}

int wal_state_set(struct wal *w, const void *hs, size_t len)
{
	if (wal_state_room(w, len) != 0)
		return -1;
	if (len)
		memcpy(w->state, hs, len);
	w->state_len = len;
	return 0;
}

/* ---- writing ---- */

/* Writes buf at write_off, unsynced. */
static int wal_flush(struct wal *w, struct wal_error *err)
{
	char name[WAL_NAME_BUF];
	int rc;

	if (w->buf_len == 0)
		return WAL_OK;
	rc = wal_io_write_all(w->io, w->fd, w->buf, w->buf_len, w->write_off);
	if (rc < 0) {
		wal_seg_name(name, w->segs[w->nsegs - 1].seq,
		    w->segs[w->nsegs - 1].first);
		return wal_break(w, err, -rc, "wal: write of %s/%s at offset %"
		    PRIu64 " failed", w->dir, name, w->write_off);
	}
	w->write_off += w->buf_len;
	if (w->write_off > w->file_size)
		w->file_size = w->write_off;
	w->buf_len = 0;
	return WAL_OK;
}

int wal_datasync(struct wal *w, int fd)
{
	if (w->opts.no_sync)
		return 0;
	while (w->io->fdatasync(fd) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int wal_dirsync(struct wal *w)
{
	return w->opts.no_sync ? 0 : wal_io_fsync_dir(w->io, w->dirfd);
}

/* Creates segment (seq, first) and makes it the tail: written as <name>.tmp
 * with its header records (crc, metadata, then the snapshot marker {0,0}
 * for a new WAL or the last hard state after a cut), preallocated, synced,
 * renamed, directory synced: etcd's Create and cut. */
static int wal_start_segment(struct wal *w, uint64_t seq, uint64_t first,
    bool initial, struct wal_error *err)
{
	char name[WAL_NAME_BUF], tmp[WAL_NAME_BUF + 4];
	uint8_t snapbuf[2 + 2 * WAL_PB_VARINT_MAX];
	size_t snaplen = 0;
	bool renamed = false;
	int fd, rc;

	wal_seg_name(name, seq, first);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (initial)
		snaplen = wal_pb_snapshot_encode(snapbuf, 0, 0);
	if (wal_segs_room(w) != 0 ||
	    wal_buf_reserve(w, wal_frame_bound(0) +
		wal_frame_bound(w->metadata_len) +
		wal_frame_bound(initial ? snaplen : w->state_len)) != 0)
		return wal_break(w, err, ENOMEM, "wal: cannot start a segment");

	fd = openat(w->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return wal_break(w, err, errno, "wal: cannot create %s/%s",
		    w->dir, tmp);
	rc = wal_io_preallocate(w->io, fd, w->opts.segment_size);
	if (rc < 0) {
		rc = wal_break(w, err, -rc, "wal: cannot preallocate %s/%s",
		    w->dir, tmp);
		goto fail;
	}
	w->buf_len = 0;
	wal_buf_put(w, WAL_REC_CRC, false, NULL, 0);
	wal_buf_put(w, WAL_REC_METADATA, true, w->metadata, w->metadata_len);
	if (initial)
		wal_buf_put(w, WAL_REC_SNAPSHOT, true, snapbuf, snaplen);
	else if (w->state_len)
		wal_buf_put(w, WAL_REC_STATE, true, w->state, w->state_len);
	rc = wal_io_write_all(w->io, fd, w->buf, w->buf_len, 0);
	if (rc == 0)
		rc = wal_datasync(w, fd);
	if (rc < 0) {
		rc = wal_break(w, err, -rc, "wal: cannot write %s/%s", w->dir, tmp);
		goto fail;
	}
	if (w->io->renameat(w->dirfd, tmp, w->dirfd, name) != 0) {
		rc = wal_break(w, err, errno, "wal: cannot rename %s/%s", w->dir,
		    tmp);
		goto fail;
	}
	renamed = true;
	rc = wal_dirsync(w);
	if (rc < 0) {
		rc = wal_break(w, err, -rc, "wal: cannot sync directory %s",
		    w->dir);
		goto fail;
	}

	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->segs[w->nsegs].seq = seq;	/* room reserved above */
	w->segs[w->nsegs].first = first;
	w->nsegs++;
	w->write_off = w->synced_off = w->buf_len;
	w->file_size = w->opts.segment_size > w->buf_len ? w->opts.segment_size
	    : w->buf_len;
	w->buf_len = 0;
	return WAL_OK;
fail:
	w->buf_len = 0;
	close(fd);
	if (!renamed)
		w->io->unlinkat(w->dirfd, tmp, 0);
	return rc;
}

/* Closes the full tail (trimmed to its records, as etcd's cut) and starts
 * the next segment, named after the next index to be written. */
static int wal_cut(struct wal *w, struct wal_error *err)
{
	int rc;

	if (w->file_size > w->write_off) {
		if (w->io->ftruncate(w->fd, (off_t)w->write_off) != 0)
			return wal_break(w, err, errno,
			    "wal: cannot trim the full segment in %s", w->dir);
		w->file_size = w->write_off;
		if ((rc = wal_datasync(w, w->fd)) < 0)
			return wal_break(w, err, -rc,
			    "wal: cannot sync the full segment in %s", w->dir);
	}
	return wal_start_segment(w, w->segs[w->nsegs - 1].seq + 1, w->enti + 1,
	    false, err);
}

int wal_create(const char *dir, const void *metadata, size_t metadata_len,
    const struct wal_options *opts, struct wal **out, struct wal_error *err)
{
	struct wal *w = NULL;
	int rc;

	*out = NULL;
	if (metadata_len > WAL_MAX_RECORD_BYTES / 2)
		return wal_err(err, WAL_EINVAL, 0, "wal: metadata too large");
	if (wal_exists(dir))
		return wal_err(err, WAL_EEXIST, 0, "wal: %s already holds a WAL",
		    dir);
	rc = wal_io_mkdir(opts && opts->io ? opts->io : &wal_io_default, dir);
	if (rc < 0)
		return wal_err(err, WAL_EIO, -rc, "wal: cannot create directory %s",
		    dir);
	if ((rc = wal_new(dir, opts, true, &w, err)) != WAL_OK)
		return rc;
	/* Checked again under the lock: another process may have won. */
	if ((rc = wal_list(w, true, err)) != WAL_OK)
		goto fail;
	if (w->nsegs != 0) {
		rc = wal_err(err, WAL_EEXIST, 0, "wal: %s already holds a WAL", dir);
		goto fail;
	}
	if (metadata_len) {
		if ((w->metadata = malloc(metadata_len)) == NULL) {
			rc = wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
			goto fail;
		}
		memcpy(w->metadata, metadata, metadata_len);
		w->metadata_len = metadata_len;
	}
	if ((rc = wal_start_segment(w, 0, 0, true, err)) != WAL_OK)
		goto fail;
	*out = w;
	return WAL_OK;
fail:
	wal_free(w);
	return rc;
}

int wal_save(struct wal *w, const struct wal_entry *ents, size_t n,
    const void *hard_state, size_t hard_state_len, struct wal_error *err)
{
	uint64_t idx, term, next = w->enti + 1;
	size_t i, need = 0;
	int rc;

	if ((rc = wal_check_usable(w, err)) != WAL_OK)
		return rc;
	/* Validate everything first so that a refused batch leaves no trace. */
	for (i = 0; i < n; i++) {
		if (ents[i].len > WAL_MAX_RECORD_BYTES - 64)
			return wal_err(err, WAL_EINVAL, 0,
			    "wal: entry %" PRIu64 " is %zu bytes, over the %" PRIu64
			    "-byte record limit", ents[i].index, ents[i].len,
			    WAL_MAX_RECORD_BYTES);
		if (wal_pb_entry_ids(ents[i].data, ents[i].len, &idx, &term) != 0 ||
		    idx != ents[i].index || term != ents[i].term)
			return wal_err(err, WAL_EINVAL, 0,
			    "wal: entry %" PRIu64 " (term %" PRIu64 ") is not a "
			    "raftpb.Entry with that index and term", ents[i].index,
			    ents[i].term);
		/* A gap would make the log unreadable (etcd's ReadAll fails with
		 * ErrSliceOutOfRange); a lower index overwrites the tail. */
		if (i == 0 ? ents[i].index == 0 || ents[i].index > next
		    : ents[i].index != ents[i - 1].index + 1)
			return wal_err(err, WAL_EINVAL, 0,
			    "wal: entry %" PRIu64 " does not follow entry %" PRIu64,
			    ents[i].index, i > 0 ? ents[i - 1].index : w->enti);
		need += wal_frame_bound(ents[i].len);
	}
	if (hard_state != NULL) {
		if (hard_state_len > 4096)
			return wal_err(err, WAL_EINVAL, 0, "wal: hard state too large");
		need += wal_frame_bound(hard_state_len);
		if (wal_state_room(w, hard_state_len) != 0)
			return wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
	}
	if (wal_buf_reserve(w, need) != 0)
		return wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");

	for (i = 0; i < n; i++)
		wal_buf_put(w, WAL_REC_ENTRY, true, ents[i].data, ents[i].len);
	if (n > 0)
		w->enti = ents[n - 1].index;
	if (hard_state != NULL) {
		wal_buf_put(w, WAL_REC_STATE, true, hard_state, hard_state_len);
		wal_state_set(w, hard_state, hard_state_len);	/* has room */
	}
	if (w->buf_len >= WAL_FLUSH_BYTES)
		return wal_flush(w, err);
	return WAL_OK;
}

int wal_sync(struct wal *w, struct wal_error *err)
{
	char name[WAL_NAME_BUF];
	int rc;

	if ((rc = wal_check_usable(w, err)) != WAL_OK)
		return rc;
	if ((rc = wal_flush(w, err)) != WAL_OK)
		return rc;
	if (w->synced_off == w->write_off)
		return WAL_OK;
	if ((rc = wal_datasync(w, w->fd)) < 0) {
		wal_seg_name(name, w->segs[w->nsegs - 1].seq,
		    w->segs[w->nsegs - 1].first);
		return wal_break(w, err, -rc, "wal: fdatasync of %s/%s failed",
		    w->dir, name);
	}
	w->synced_off = w->write_off;
	if (w->write_off >= w->opts.segment_size)
		return wal_cut(w, err);
	return WAL_OK;
}

int wal_save_snapshot(struct wal *w, uint64_t index, uint64_t term,
    struct wal_error *err)
{
	uint8_t b[2 + 2 * WAL_PB_VARINT_MAX];
	size_t len;
	int rc;

	if ((rc = wal_check_usable(w, err)) != WAL_OK)
		return rc;
	len = wal_pb_snapshot_encode(b, index, term);
	if (wal_buf_reserve(w, wal_frame_bound(len)) != 0)
		return wal_err(err, WAL_ENOMEM, 0, "wal: out of memory");
	wal_buf_put(w, WAL_REC_SNAPSHOT, true, b, len);
	if (w->enti < index)
		w->enti = index;
	return wal_sync(w, err);
}

int wal_release_to(struct wal *w, uint64_t index, struct wal_error *err)
{
	char name[WAL_NAME_BUF];
	size_t j, held_n = w->nsegs - w->held;
	size_t smaller = held_n > 0 ? held_n - 1 : 0;
	bool removed = false;
	int rc = WAL_OK, r;

	/* ReleaseLockTo: keep the last held segment that starts below index,
	 * since the entry at index may sit in it (a segment's name is only a
	 * lower bound after the log was overwritten). */
	for (j = 0; j < held_n; j++) {
		if (w->segs[w->held + j].first >= index) {
			smaller = j > 0 ? j - 1 : 0;
			break;
		}
	}
	w->held += smaller;

	/* etcd's purgeFile: drop the oldest while more than max_wals remain,
	 * but never one still held. */
	while (w->opts.max_wals > 0 && w->nsegs > w->opts.max_wals &&
	    w->held > 0) {
		wal_seg_name(name, w->segs[0].seq, w->segs[0].first);
		if (w->io->unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT) {
			rc = wal_err(err, WAL_EIO, errno, "wal: cannot remove %s/%s",
			    w->dir, name);
			break;
		}
		memmove(w->segs, w->segs + 1, (w->nsegs - 1) * sizeof(*w->segs));
		w->nsegs--;
		w->held--;
		removed = true;
	}
	if (removed && (r = wal_dirsync(w)) < 0 && rc == WAL_OK)
		rc = wal_err(err, WAL_EIO, -r, "wal: cannot sync directory %s",
		    w->dir);
	return rc;
}

int wal_close(struct wal *w, struct wal_error *err)
{
	int rc = WAL_OK;

	if (w == NULL)
		return WAL_OK;
	if (!w->failed && w->fd >= 0 &&
	    (w->buf_len > 0 || w->synced_off != w->write_off))
		rc = wal_sync(w, err);
	wal_free(w);
	return rc;
}

uint64_t wal_last_index(const struct wal *w)
{
	return w->enti;
}

size_t wal_segment_count(const struct wal *w)
{
	return w->nsegs;
}
