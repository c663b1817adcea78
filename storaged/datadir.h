/*
 * datadir.h - the data dir's layout and its exclusive lock.
 *
 * Layout, as etcd's: DIR/member/wal (or --wal-dir), DIR/member/snap, and the
 * SQLite db at DIR/member/snap/db.sqlite beside where etcd keeps its bbolt
 * db.  Directories 0700, files 0600.
 */
#ifndef CETCD_STORAGED_DATADIR_H
#define CETCD_STORAGED_DATADIR_H

#include <stddef.h>

struct datadir {
	char root[4096];
	char member[4096];
	char wal[4096];
	char snap[4096];
	char db[4096];
	int lock_fd;		/* holds the flock for the process's lifetime */
};

/* Creates the layout under root (wal_dir may be NULL or "") and takes the
 * exclusive lock.  On failure returns -1 and writes the reason to err
 * (e.g. "data dir ... is locked by another cetcd-storaged (pid 123)"). */
int datadir_open(struct datadir *dd, const char *root, const char *wal_dir,
    char *err, size_t errlen);

/* Releases the lock. */
void datadir_close(struct datadir *dd);

#endif
