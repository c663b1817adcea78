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

/* One persist stream: its own WAL, appended in batches of `batch`. */
struct stream {
	int batch;
	struct wal *w;
	uint64_t next;		/* next index */
	uint64_t syncs;
	double secs;
};

static int stream_open(struct stream *st, const char *root, int batch)
{
	struct wal_error err;
	char dir[4200];

	memset(st, 0, sizeof(*st));
	st->batch = batch;
	st->next = 1;
	if (snprintf(dir, sizeof(dir), "%s/wal_b%d", root, batch) >=
	    (int)sizeof(dir))
		return -1;
	if (wal_create(dir, "bench", 5, NULL, &st->w, &err) != WAL_OK) {
		fprintf(stderr, "bench_wal: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Persists batches for `secs` more seconds. */
static int stream_run(struct stream *st, double secs)
{
	static uint8_t bufs[256][PAYLOAD + 64];
	static uint8_t payload[PAYLOAD];
	struct wal_entry ents[256];
	struct wal_error err;
	uint8_t hs[40];
	double t0, t;
	int i;

	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(i * 7);
	t0 = now();
	do {
		for (i = 0; i < st->batch; i++) {
			uint64_t idx = st->next + (uint64_t)i;

			ents[i].index = idx;
			ents[i].term = 1;
			ents[i].data = bufs[i];
			ents[i].len = wal_pb_entry_encode(bufs[i], 0, 1, idx,
			    payload, PAYLOAD);
		}
		st->next += (uint64_t)st->batch;
		if (wal_save(st->w, ents, (size_t)st->batch, hs,
		    hard_state(hs, 1, st->next - 1), &err) != WAL_OK ||
		    wal_sync(st->w, &err) != WAL_OK) {
			fprintf(stderr, "bench_wal: %s\n", err.msg);
			return -1;
		}
		st->syncs++;
		t = now() - t0;
	} while (t < secs);
	st->secs += t;
	return 0;
}

/* The disk's own rate: 4 KiB appended with pwrite into a preallocated file
 * (as WAL segments are), then fdatasync. */
struct raw {
	int fd;
	uint64_t off, size, n;
	double secs;
};

static int raw_open(struct raw *r, const char *root)
{
	char path[4200];

	memset(r, 0, sizeof(*r));
	r->size = (uint64_t)64 << 20;
	if (snprintf(path, sizeof(path), "%s/raw", root) >= (int)sizeof(path))
		return -1;
	r->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (r->fd < 0 || (fallocate(r->fd, 0, 0, (off_t)r->size) != 0 &&
	    ftruncate(r->fd, (off_t)r->size) != 0) || fdatasync(r->fd) != 0) {
		perror("bench_wal: raw file");
		return -1;
	}
	return 0;
}

static int raw_run(struct raw *r, double secs)
{
	static char block[4096];
	double t0, t;

	memset(block, 0x5a, sizeof(block));
	t0 = now();
	do {
		if (pwrite(r->fd, block, sizeof(block), (off_t)r->off) !=
		    (ssize_t)sizeof(block) || fdatasync(r->fd) != 0) {
			perror("bench_wal: raw write");
			return -1;
		}
		r->off = (r->off + sizeof(block)) % r->size;
		r->n++;
		t = now() - t0;
	} while (t < secs);
	r->secs += t;
	return 0;
}

/* The figures are measured in interleaved slices (raw, b1, b16, b256,
 * raw, ...) so that a change in the machine's load (the disk is shared)
 * biases them all alike rather than one of them. */
#define ROUNDS 4

int main(void)
{
	static const int batches[] = { 1, 16, 256 };
	struct stream st[3];
	struct raw raw;
	char root[] = "bench_wal.XXXXXX";
	const char *s = getenv("BENCH_SECONDS");
	int rc = 1, round, opened = 0;
	size_t i;

	if (s != NULL && atof(s) > 0)
		seconds = atof(s);
	if (mkdtemp(root) == NULL) {
		perror("bench_wal: mkdtemp");
		return 1;
	}
	raw.fd = -1;
	if (raw_open(&raw, root) != 0)
		goto out;
	for (i = 0; i < 3; i++, opened++)
		if (stream_open(&st[i], root, batches[i]) != 0)
			goto out;
	for (round = 0; round < ROUNDS; round++) {
		if (raw_run(&raw, seconds / ROUNDS) != 0)
			goto out;
		for (i = 0; i < 3; i++)
			if (stream_run(&st[i], seconds / ROUNDS) != 0)
				goto out;
	}
	for (i = 0; i < 3; i++)
		printf("BENCH persist_entries_per_sec_b%d %.0f\n", batches[i],
		    (double)(st[i].next - 1) / st[i].secs);
	/* One wal_sync is one fdatasync; at batch size 1 it is also one
	 * Persist. */
	printf("BENCH fsyncs_per_sec %.0f\n", (double)st[0].syncs / st[0].secs);
	printf("BENCH raw_fdatasync_per_sec %.0f\n", (double)raw.n / raw.secs);
	rc = 0;
out:
	for (i = 0; i < (size_t)opened; i++)
		wal_close(st[i].w, NULL);
	if (raw.fd >= 0)
		close(raw.fd);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
