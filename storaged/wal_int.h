/*
 * wal_int.h - private to storaged/wal.c and storaged/wal_read.c: the WAL
 * handle and the helpers both halves use.  Nothing else includes it.
 */
#ifndef CETCD_STORAGED_WAL_INT_H
#define CETCD_STORAGED_WAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storaged/wal.h"

#define WAL_FRAME_BYTES 8
#define WAL_SECTOR_BYTES 512	/* etcd's minSectorSize */
#define WAL_NAME_LEN 37		/* 16 hex + '-' + 16 hex + ".wal" */
#define WAL_NAME_BUF 48

struct wal_seg {
	uint64_t seq;
	uint64_t first;		/* first index, from the name */
};

struct wal {
	char *dir;
	int dirfd;		/* holds the flock; fsynced after renames */
	struct wal_options opts;
	const struct wal_io *io;

	struct wal_seg *segs;	/* every segment file, by sequence */
	size_t nsegs, segs_cap;
	size_t held;		/* segs[held..] are needed; older may be purged */

	int fd;			/* tail segment, segs[nsegs - 1] */
	uint64_t file_size;
	uint64_t write_off;
	uint64_t synced_off;

	uint32_t crc;		/* chain value after the last record encoded */
	uint64_t enti;		/* last entry index saved (or snapshot index) */

	uint8_t *metadata;
	size_t metadata_len;
	uint8_t *state;		/* last hard state saved; rewritten at each cut */
	size_t state_len, state_cap;

	uint8_t *buf;		/* frames encoded, not yet written */
	size_t buf_len, buf_cap;

	bool failed;
	char failed_msg[400];
};

/* Fills err (if not NULL) and returns code; appends strerror(sys_errno). */
__attribute__((format(printf, 4, 5)))
int wal_err(struct wal_error *err, int code, int sys_errno, const char *fmt,
    ...);
/* WAL_ECORRUPT: "wal: <what> in <dir>/<file> at offset <off>". */
__attribute__((format(printf, 5, 6)))
int wal_err_at(struct wal_error *err, const char *dir, const char *file,
    uint64_t off, const char *fmt, ...);
/* buf must hold WAL_NAME_BUF bytes. */
void wal_seg_name(char *buf, uint64_t seq, uint64_t first);
/* A handle on dir (flocked when lock), with no segments listed yet. */
int wal_new(const char *dir, const struct wal_options *opts, bool lock,
    struct wal **out, struct wal_error *err);
void wal_free(struct wal *w);
/* Lists the segment files into w->segs by sequence (removing our leftover
 * .tmp files when remove_tmp). */
int wal_list(struct wal *w, bool remove_tmp, struct wal_error *err);
int wal_state_set(struct wal *w, const void *hs, size_t len);
/* fdatasync unless no_sync; 0 or -errno. */
int wal_datasync(struct wal *w, int fd);

#endif
