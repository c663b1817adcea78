/*
 * snap.c - Raft snapshot files (format and rules: snap.h).
 *
 * Runs in cetcd-storaged on the thread that takes or installs snapshots.
 * Owns the snapshot directory fd (for directory fsyncs) and nothing else;
 * never touches the WAL, never exits, never prints.  A .snap file exists
 * only once its bytes are durable: written as .tmp, fsynced, renamed,
 * directory fsynced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "storaged/snap.h"
#include "storaged/wal_pb.h"

#define SNAP_NAME_LEN 38	/* 16 hex + '-' + 16 hex + ".snap" */
#define SNAP_NAME_BUF 48

struct snap {
	char *dir;
	int dirfd;
	struct snap_options opts;
	const struct wal_io *io;
};

struct snap_name {
	uint64_t term;
	uint64_t index;
};

const char *snap_strerror(int code)
{
	switch (code) {
	case SNAP_OK: return "ok";
	case SNAP_EIO: return "snap: I/O error";
	case SNAP_ENOMEM: return "snap: out of memory";
	case SNAP_EINVAL: return "snap: invalid argument";
	case SNAP_ENOSNAP: return "snap: no available snapshot";
	default: return "snap: unknown error";
	}
}

__attribute__((format(printf, 4, 5)))
static int snap_err(struct snap_error *err, int code, int sys_errno,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = sys_errno;
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

static void snap_file_name(char *buf, uint64_t term, uint64_t index)
{
	snprintf(buf, SNAP_NAME_BUF, "%016" PRIx64 "-%016" PRIx64 ".snap", term,
	    index);
}

static bool snap_hex16(const char *s, uint64_t *v)
{
	uint64_t r = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
		    : c >= 'a' && c <= 'f' ? c - 'a' + 10
		    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return false;
		r = r << 4 | (uint64_t)d;
	}
	*v = r;
	return true;
}

static bool snap_parse_name(const char *name, struct snap_name *sn)
{
	return strlen(name) == SNAP_NAME_LEN && name[16] == '-' &&
	    strcmp(name + 33, ".snap") == 0 && snap_hex16(name, &sn->term) &&
	    snap_hex16(name + 17, &sn->index);
}

/* (term, index) order, which is also the order of the names as strings:
 * etcd sorts the names. */
static int snap_name_cmp(const void *a, const void *b)
{
	const struct snap_name *x = a, *y = b;

	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Lists the .snap files, oldest first; with remove_tmp also deletes our
 * leftover <name>.snap.tmp files (a save that crashed before its rename). */
static int snap_list(struct snap *s, bool remove_tmp, struct snap_name **out,
    size_t *n, struct snap_error *err)
{
	struct snap_name *v = NULL, *nv, sn;
	struct dirent *de;
	size_t cnt = 0, cap = 0, len;
	bool removed = false;
	char base[SNAP_NAME_BUF];
	DIR *d;
	int fd, rc = SNAP_OK;

	*out = NULL;
	*n = 0;
	fd = dup(s->dirfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = snap_err(err, SNAP_EIO, errno, "snap: cannot read directory %s",
		    s->dir);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (snap_parse_name(de->d_name, &sn)) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					rc = snap_err(err, SNAP_ENOMEM, 0,
					    "snap: out of memory");
					break;
				}
				v = nv;
			}
			v[cnt++] = sn;
			continue;
		}
		len = strlen(de->d_name);
		if (remove_tmp && len == SNAP_NAME_LEN + 4 &&
		    strcmp(de->d_name + SNAP_NAME_LEN, ".tmp") == 0) {
			memcpy(base, de->d_name, SNAP_NAME_LEN);
			base[SNAP_NAME_LEN] = '\0';
			if (snap_parse_name(base, &sn) &&
			    s->io->unlinkat(s->dirfd, de->d_name, 0) == 0)
				removed = true;
		}
	}
	closedir(d);
	if (rc == SNAP_OK && removed &&
	    (rc = wal_io_fsync_dir(s->io, s->dirfd)) < 0)
		rc = snap_err(err, SNAP_EIO, -rc, "snap: cannot sync directory %s",
		    s->dir);
	if (rc != SNAP_OK) {
		free(v);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), snap_name_cmp);
	*out = v;
	*n = cnt;
	return SNAP_OK;
}

void snap_options_init(struct snap_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_snapshots = SNAP_DEFAULT_MAX_SNAPSHOTS;
	o->io = &wal_io_default;
}

void snap_close(struct snap *s)
{
	if (s == NULL)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

int snap_open(const char *dir, const struct snap_options *opts,
    struct snap **out, struct snap_error *err)
{
	struct snap_name *names = NULL;
	struct snap *s;
	size_t n;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->dir = strdup(dir)) == NULL) {
		free(s);
		return snap_err(err, SNAP_ENOMEM, 0, "snap: out of memory");
	}
	s->dirfd = -1;
	if (opts != NULL)
		s->opts = *opts;
	else
		snap_options_init(&s->opts);
	s->io = s->opts.io != NULL ? s->opts.io : &wal_io_default;
	if ((rc = wal_io_mkdir(s->io, dir)) < 0) {
		rc = snap_err(err, SNAP_EIO, -rc, "snap: cannot create directory %s",
		    dir);
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		rc = snap_err(err, SNAP_EIO, errno, "snap: cannot open directory %s",
		    dir);
		goto fail;
	}
	if ((rc = snap_list(s, true, &names, &n, err)) != SNAP_OK)
		goto fail;
	free(names);
	*out = s;
	return SNAP_OK;
fail:
	snap_close(s);
	return rc;
}

static int snap_sync(struct snap *s, int fd)
{
	if (s->opts.no_sync)
		return 0;
	while (s->io->fsync(fd) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int snap_save(struct snap *s, uint64_t term, uint64_t index, const void *data,
    size_t len, struct snap_error *err)
{
	char name[SNAP_NAME_BUF], tmp[SNAP_NAME_BUF + 4];
	uint8_t *buf = NULL;
	size_t n;
	bool renamed = false;
	int fd = -1, rc;

	if (len == 0)
		return snap_err(err, SNAP_EINVAL, 0, "snap: empty snapshot");
	snap_file_name(name, term, index);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((buf = malloc(wal_pb_snapfile_size(UINT32_MAX, len))) == NULL)
		return snap_err(err, SNAP_ENOMEM, 0, "snap: out of memory");
	n = wal_pb_snapfile_encode(buf, crc32c_update(0, data, len), data, len);

	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = snap_err(err, SNAP_EIO, errno, "snap: cannot create %s/%s",
		    s->dir, tmp);
		goto out;
	}
	if ((rc = wal_io_write_all(s->io, fd, buf, n, 0)) < 0 ||
	    (rc = snap_sync(s, fd)) < 0) {
		rc = snap_err(err, SNAP_EIO, -rc, "snap: cannot write %s/%s",
		    s->dir, tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	if (s->io->renameat(s->dirfd, tmp, s->dirfd, name) != 0) {
		rc = snap_err(err, SNAP_EIO, errno, "snap: cannot rename %s/%s",
		    s->dir, tmp);
		goto out;
	}
	renamed = true;
	if (!s->opts.no_sync && (rc = wal_io_fsync_dir(s->io, s->dirfd)) < 0) {
		rc = snap_err(err, SNAP_EIO, -rc, "snap: cannot sync directory %s",
		    s->dir);
		goto out;
	}
	rc = SNAP_OK;
	snap_purge(s, NULL);
out:
	if (fd >= 0)
		close(fd);
	if (rc != SNAP_OK && !renamed)
		s->io->unlinkat(s->dirfd, tmp, 0);
	free(buf);
	return rc;
}

/* Reads and checks one file.  Returns SNAP_OK, SNAP_EIO/ENOMEM for trouble
 * reading it, or 1 when the file itself is broken (*why says how). */
static int snap_read(struct snap *s, const char *name, struct snap_file *f,
    const char **why, struct snap_error *err)
{
	struct stat st;
	const uint8_t *data;
	uint8_t *buf = NULL;
	size_t len, got = 0;
	uint32_t crc;
	ssize_t r;
	int fd, rc;

	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snap_err(err, SNAP_EIO, errno, "snap: cannot open %s/%s",
		    s->dir, name);
	if (fstat(fd, &st) != 0) {
		rc = snap_err(err, SNAP_EIO, errno, "snap: cannot stat %s/%s",
		    s->dir, name);
		goto out;
	}
	if (st.st_size == 0) {
		*why = "empty file";
		rc = 1;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		rc = snap_err(err, SNAP_ENOMEM, 0, "snap: out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = snap_err(err, SNAP_EIO, errno, "snap: cannot read %s/%s",
			    s->dir, name);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	/* etcd's snap.Read: undecodable, empty data or a zero crc, crc
	 * mismatch: all mean a broken file. */
	if (wal_pb_snapfile_decode(buf, got, &crc, &data, &len) != 0) {
		*why = "malformed file";
		rc = 1;
	} else if (len == 0 || crc == 0) {
		*why = "empty snapshot";
		rc = 1;
	} else if (crc32c_update(0, data, len) != crc) {
		*why = "crc mismatch";
		rc = 1;
	} else {
		memmove(buf, data, len);
		f->data = buf;
		f->len = len;
		buf = NULL;
		rc = SNAP_OK;
	}
out:
	free(buf);
	close(fd);
	return rc;
}

static bool snap_allowed(const struct snap_name *sn,
    const struct wal_snapshot *allowed, size_t n)
{
	size_t i;

	if (allowed == NULL)
		return true;
	for (i = 0; i < n; i++)
		if (allowed[i].term == sn->term && allowed[i].index == sn->index)
			return true;
	return false;
}

int snap_load(struct snap *s, const struct wal_snapshot *allowed,
    size_t n_allowed, struct snap_file *out, struct snap_error *err)
{
	struct snap_name *names = NULL;
	char name[SNAP_NAME_BUF], broken[SNAP_NAME_BUF + 8];
	const char *why;
	size_t n, i;
	bool renamed = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = snap_list(s, false, &names, &n, err)) != SNAP_OK)
		return rc;
	rc = snap_err(err, SNAP_ENOSNAP, 0, "snap: no available snapshot in %s",
	    s->dir);
	for (i = n; i-- > 0;) {
		/* Only files that could be chosen are read, so a broken
		 * file that is not wanted anyway is left alone. */
		if (!snap_allowed(&names[i], allowed, n_allowed))
			continue;
		snap_file_name(name, names[i].term, names[i].index);
		why = NULL;
		rc = snap_read(s, name, out, &why, err);
		if (rc == SNAP_OK) {
			out->term = names[i].term;
			out->index = names[i].index;
			break;
		}
		if (rc != 1)
			break;
		/* etcd renames a broken file to .broken and goes on with
		 * the next older one (snapshotter.go loadSnap). */
		snprintf(broken, sizeof(broken), "%s.broken", name);
		if (s->io->renameat(s->dirfd, name, s->dirfd, broken) != 0) {
			rc = snap_err(err, SNAP_EIO, errno,
			    "snap: %s/%s is broken (%s) and cannot be renamed",
			    s->dir, name, why);
			break;
		}
		renamed = true;
		rc = snap_err(err, SNAP_ENOSNAP, 0,
		    "snap: no available snapshot in %s", s->dir);
	}
	if (renamed && !s->opts.no_sync)
		wal_io_fsync_dir(s->io, s->dirfd);	/* only tidiness rides on it */
	free(names);
	return rc;
}

void snap_file_free(struct snap_file *f)
{
	if (f == NULL)
		return;
	free(f->data);
	memset(f, 0, sizeof(*f));
}

int snap_purge(struct snap *s, struct snap_error *err)
{
	struct snap_name *names = NULL;
	char name[SNAP_NAME_BUF];
	size_t n, i;
	bool removed = false;
	int rc;

	if (s->opts.max_snapshots == 0)
		return SNAP_OK;
	if ((rc = snap_list(s, false, &names, &n, err)) != SNAP_OK)
		return rc;
	for (i = 0; n - i > s->opts.max_snapshots; i++) {
		snap_file_name(name, names[i].term, names[i].index);
		if (s->io->unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT) {
			rc = snap_err(err, SNAP_EIO, errno, "snap: cannot remove %s/%s",
			    s->dir, name);
			break;
		}
		removed = true;
	}
	if (removed && !s->opts.no_sync) {
		int r = wal_io_fsync_dir(s->io, s->dirfd);

		if (r < 0 && rc == SNAP_OK)
			rc = snap_err(err, SNAP_EIO, -r,
			    "snap: cannot sync directory %s", s->dir);
	}
	free(names);
	return rc;
}
