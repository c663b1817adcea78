/*
 * datadir.c - creates etcd's data-dir layout and holds its lock.
 *
 * Runs in cetcd-storaged.  Owns the lock file descriptor: the flock on
 * member/lock is held until the process exits, so that exactly one storaged
 * ever writes a data dir.  Writes the holder's pid into the lock file only to
 * make the error message of a second storaged useful.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storaged/datadir.h"

static int mkdir_0700(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(errno));
	return -1;
}

static int join(char *dst, size_t len, const char *a, const char *b)
{
	return snprintf(dst, len, "%s/%s", a, b) >= (int)len ? -1 : 0;
}

int datadir_open(struct datadir *dd, const char *root, const char *wal_dir,
    char *err, size_t errlen)
{
	char lock_path[4096 + 8];
	char pidbuf[32];
	int fd;

	memset(dd, 0, sizeof(*dd));
	dd->lock_fd = -1;
	if (snprintf(dd->root, sizeof(dd->root), "%s", root) >= (int)sizeof(dd->root) ||
	    join(dd->member, sizeof(dd->member), root, "member") ||
	    join(dd->snap, sizeof(dd->snap), dd->member, "snap") ||
	    join(dd->db, sizeof(dd->db), dd->snap, "db.sqlite") ||
	    (wal_dir && *wal_dir
		? snprintf(dd->wal, sizeof(dd->wal), "%s", wal_dir) >= (int)sizeof(dd->wal)
		: join(dd->wal, sizeof(dd->wal), dd->member, "wal"))) {
		snprintf(err, errlen, "data dir path too long: %s", root);
		return -1;
	}
	if (mkdir_0700(dd->root, err, errlen) || mkdir_0700(dd->member, err, errlen) ||
	    mkdir_0700(dd->snap, err, errlen) || mkdir_0700(dd->wal, err, errlen))
		return -1;

	snprintf(lock_path, sizeof(lock_path), "%s/lock", dd->member);
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", lock_path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = pread(fd, pidbuf, sizeof(pidbuf) - 1, 0);
		pidbuf[n > 0 ? n : 0] = '\0';
		pidbuf[strcspn(pidbuf, "\n")] = '\0';
		snprintf(err, errlen, "data dir %s is locked by another cetcd-storaged%s%s%s",
		    root, *pidbuf ? " (pid " : "", pidbuf, *pidbuf ? ")" : "");
		close(fd);
		return -1;
	}
	int n = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pidbuf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write %s: %s", lock_path, strerror(errno));
		close(fd);
		return -1;
	}
	dd->lock_fd = fd;
	return 0;
}

void datadir_close(struct datadir *dd)
{
	if (dd->lock_fd >= 0)
		close(dd->lock_fd);
	dd->lock_fd = -1;
}
