/*
 * wal_io.h - the disk calls of the WAL and of the snapshot files, through a
 * table that tests replace to inject faults (fail the Nth write or fsync).
 *
 * Every write, sync, truncate, preallocation, rename and unlink done by
 * storaged/wal.c and storaged/snap.c goes through a struct wal_io; reads and
 * opens do not (a failed read is reported as it is, nothing to simulate).
 * The helpers return 0 or a negative errno and never print.
 */
#ifndef CETCD_STORAGED_WAL_IO_H
#define CETCD_STORAGED_WAL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct wal_io {
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*fsync)(int fd);	/* directories and snapshot files */
	int (*ftruncate)(int fd, off_t len);
	int (*fallocate)(int fd, int mode, off_t off, off_t len);
	int (*renameat)(int olddirfd, const char *oldpath, int newdirfd,
	    const char *newpath);
	int (*unlinkat)(int dirfd, const char *path, int flags);
};

/* The plain system calls. */
extern const struct wal_io wal_io_default;

/* Writes all of buf at off, retrying short writes and EINTR. */
int wal_io_write_all(const struct wal_io *io, int fd, const void *buf,
    size_t len, uint64_t off);

/* Makes the file at least size bytes long with its blocks allocated, as
 * etcd's fileutil.Preallocate(f, size, true): fallocate, falling back to
 * ftruncate where the filesystem cannot (EOPNOTSUPP), so that tmpfs-like
 * filesystems still work, only without the reserved space. */
int wal_io_preallocate(const struct wal_io *io, int fd, uint64_t size);

/* fsync of a directory, retrying EINTR; makes creates, renames and unlinks
 * in it durable. */
int wal_io_fsync_dir(const struct wal_io *io, int dirfd);

/* Creates dir with mode 0700 if it is missing (the parent must exist) and
 * fsyncs the parent when it did.  Returns 0 or a negative errno. */
int wal_io_mkdir(const struct wal_io *io, const char *dir);

#endif
