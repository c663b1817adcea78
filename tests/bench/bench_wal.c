/*
 * bench_wal.c - how fast the WAL makes Raft entries durable, next to what
 * this disk can do at all.
 *
 *   BENCH persist_entries_per_sec_b1|_b16|_b256  entries/s, ~256-byte
 *         entries saved in batches of 1, 16, 256 with one wal_sync each
 *   BENCH fsyncs_per_sec       wal_sync calls/s at batch size 1
 *   BENCH raw_fdatasync_per_sec  4 KiB pwrite + fdatasync/s on a
 *         preallocated file in the same directory, timed the same way
 *
 * Runs in a temporary directory under the current one (the build dir under
 * "make bench"), for BENCH_SECONDS (default 2) per figure, and removes it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storaged/wal.h"
#include "storaged/wal_pb.h"

#define PAYLOAD 256

static double seconds = 2.0;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static size_t hard_state(uint8_t *b, uint64_t term, uint64_t commit)
{
	size_t n = 0;

	b[n++] = 0x08;
	n += wal_pb_put_varint(b + n, term);
	b[n++] = 0x10;
	n += wal_pb_put_varint(b + n, 1);
	b[n++] = 0x18;
	n += wal_pb_put_varint(b + n, commit);
	return n;
}

/* Persists batches of `batch` entries for `seconds`; returns entries/s and
 * stores syncs/s. */
static int run_persist(const char *root, int batch, double *eps, double *sps)
{
	static uint8_t bufs[256][PAYLOAD + 64];
	struct wal_entry ents[256];
	struct wal_error err;
	struct wal *w;
	char dir[4200];
	uint8_t payload[PAYLOAD], hs[40];
	uint64_t next = 1, syncs = 0;
	double t0, t;
	int i;

	snprintf(dir, sizeof(dir), "%s/wal_b%d", root, batch);
	if (wal_create(dir, "bench", 5, NULL, &w, &err) != WAL_OK) {
		fprintf(stderr, "bench_wal: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(i * 7);
	t0 = now();
	do {
		for (i = 0; i < batch; i++) {
			uint64_t idx = next + (uint64_t)i;

			ents[i].index = idx;
			ents[i].term = 1;
			ents[i].data = bufs[i];
			ents[i].len = wal_pb_entry_encode(bufs[i], 0, 1, idx,
			    payload, PAYLOAD);
		}
		next += (uint64_t)batch;
		if (wal_save(w, ents, (size_t)batch, hs,
		    hard_state(hs, 1, next - 1), &err) != WAL_OK ||
		    wal_sync(w, &err) != WAL_OK) {
			fprintf(stderr, "bench_wal: %s\n", err.msg);
			wal_close(w, NULL);
			return -1;
		}
		syncs++;
		t = now() - t0;
	} while (t < seconds);
	wal_close(w, NULL);
	*eps = (double)(next - 1) / t;
	*sps = (double)syncs / t;
	return 0;
}

/* The disk's own rate: 4 KiB appended with pwrite, then fdatasync. */
static int run_raw(const char *root, double *rate)
{
	char path[4200], block[4096];
	uint64_t n = 0, off = 0, size = (uint64_t)64 << 20;
	double t0, t;
	int fd;

	snprintf(path, sizeof(path), "%s/raw", root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (fallocate(fd, 0, 0, (off_t)size) != 0 &&
	    ftruncate(fd, (off_t)size) != 0) || fdatasync(fd) != 0) {
		perror("bench_wal: raw file");
		return -1;
	}
	memset(block, 0x5a, sizeof(block));
	t0 = now();
	do {
		if (pwrite(fd, block, sizeof(block), (off_t)off) !=
		    (ssize_t)sizeof(block) || fdatasync(fd) != 0) {
			perror("bench_wal: raw write");
			close(fd);
			return -1;
		}
		off = (off + sizeof(block)) % size;
		n++;
		t = now() - t0;
	} while (t < seconds);
	close(fd);
	*rate = (double)n / t;
	return 0;
}

int main(void)
{
	static const int batches[] = { 1, 16, 256 };
	char root[] = "bench_wal.XXXXXX";
	const char *s = getenv("BENCH_SECONDS");
	double eps, sps, fsyncs = 0, raw;
	int rc = 1;
	size_t i;

	if (s != NULL && atof(s) > 0)
		seconds = atof(s);
	if (mkdtemp(root) == NULL) {
		perror("bench_wal: mkdtemp");
		return 1;
	}
	for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		if (run_persist(root, batches[i], &eps, &sps) != 0)
			goto out;
		printf("BENCH persist_entries_per_sec_b%d %.0f\n", batches[i], eps);
		fflush(stdout);
		if (batches[i] == 1)
			fsyncs = sps;
	}
	printf("BENCH fsyncs_per_sec %.0f\n", fsyncs);
	if (run_raw(root, &raw) != 0)
		goto out;
	printf("BENCH raw_fdatasync_per_sec %.0f\n", raw);
	rc = 0;
out:
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
