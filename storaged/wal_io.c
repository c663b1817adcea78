/*
 * wal_io.c - the system-call table behind the WAL and snapshot files, and the
 * few helpers both need (full writes, preallocation, directory fsync).
 *
 * Runs in cetcd-storaged, on whichever thread owns the WAL.  Owns nothing:
 * no fds are kept, no memory is allocated.  Never prints and never exits;
 * every failure comes back as a negative errno.
 */
/* fallocate() is a GNU extension.  Not "config.h": from storaged/ that name
 * resolves to storaged/config.h (the flag struct) before the autoconf one. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storaged/wal_io.h"

static int wal_io_sys_fallocate(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

const struct wal_io wal_io_default = {
	.pwrite = pwrite,
	.fdatasync = fdatasync,
	.fsync = fsync,
	.ftruncate = ftruncate,
	.fallocate = wal_io_sys_fallocate,
	.renameat = renameat,
	.unlinkat = unlinkat,
};

int wal_io_write_all(const struct wal_io *io, int fd, const void *buf,
    size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = io->pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)	/* no progress and no error: never loop forever */
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int wal_io_preallocate(const struct wal_io *io, int fd, uint64_t size)
{
	struct stat st;

	if (size == 0)
		return 0;
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	for (;;) {
		if (io->fallocate(fd, 0, 0, (off_t)size) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		break;
	}
	/* The filesystem cannot reserve blocks: extend the size only, as etcd's
	 * preallocExtendTrunc does; never shrink a file that is longer. */
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((uint64_t)st.st_size >= size)
		return 0;
	if (io->ftruncate(fd, (off_t)size) != 0)
		return -errno;
	return 0;
}

int wal_io_fsync_dir(const struct wal_io *io, int dirfd)
{
	while (io->fsync(dirfd) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int wal_io_mkdir(const struct wal_io *io, const char *dir)
{
	char parent[PATH_MAX];
	char *slash;
	int pfd, rc;

	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : -errno;
	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	/* Strip trailing slashes, then the last component. */
	slash = parent + strlen(parent);
	while (slash > parent + 1 && slash[-1] == '/')
		*--slash = '\0';
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	rc = wal_io_fsync_dir(io, pfd);
	close(pfd);
	return rc;
}
