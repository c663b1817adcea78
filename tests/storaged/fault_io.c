/*
 * fault_io.c - the disk calls of storaged/wal_io.h, each counted and the
 * chosen one failed (optionally after writing half), for the WAL and snap
 * tests.  Test-only; single-threaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "tests/storaged/fault_io.h"

struct fault_state fault = { .err = EIO };

void fault_reset(void)
{
	fault = (struct fault_state){ .err = EIO };
}

static int fault_now(void)
{
	fault.calls++;
	if (fault.at && fault.calls == fault.at) {
		fault.hit = 1;
		errno = fault.err;
		return 1;
	}
	return 0;
}

static ssize_t f_pwrite(int fd, const void *b, size_t n, off_t off)
{
	if (fault_now()) {
		if (fault.partial && n > 1) {
			if (pwrite(fd, b, n / 2, off) < 0)
				return -1;
			errno = fault.err;
		}
		return -1;
	}
	return pwrite(fd, b, n, off);
}

/* Durability is not what these tests check: a sync only counts. */
static int f_sync(int fd)
{
	(void)fd;
	return fault_now() ? -1 : 0;
}

static int f_ftruncate(int fd, off_t n)
{
	return fault_now() ? -1 : ftruncate(fd, n);
}

static int f_fallocate(int fd, int mode, off_t off, off_t len)
{
	return fault_now() ? -1 : fallocate(fd, mode, off, len);
}

static int f_renameat(int a, const char *b, int c, const char *d)
{
	return fault_now() ? -1 : renameat(a, b, c, d);
}

static int f_unlinkat(int a, const char *b, int c)
{
	return fault_now() ? -1 : unlinkat(a, b, c);
}

const struct wal_io fault_io = {
	.pwrite = f_pwrite, .fdatasync = f_sync, .fsync = f_sync,
	.ftruncate = f_ftruncate, .fallocate = f_fallocate,
	.renameat = f_renameat, .unlinkat = f_unlinkat,
};
