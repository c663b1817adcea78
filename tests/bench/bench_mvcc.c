/*
 * bench_mvcc.c: throughput and size of the SQLite MVCC store (make bench).
 *
 * Prints, as "BENCH <name> <value>":
 *   apply_puts_per_sec  256-byte puts, one etcd txn (revision) each, 1,000
 *                       per SQLite transaction (an Apply batch) with the
 *                       applied index; target >= 200,000
 *   point_read_us       current-revision point read through mvcc_range;
 *                       target <= 5
 *   range_1000_ms       a 1,000-key range through mvcc_range; target <= 1
 *   disk_bytes_ratio    db file bytes after 100,000 keys and a checkpoint,
 *                       over the raw key+value bytes; target <= 1.5
 * Each timed figure also comes as <name>_cpu, from the thread's CPU time.
 * The writer runs as storaged should: wal_autocheckpoint off, and a
 * second connection on a thread doing passive checkpoints every 20 ms.
 * Works in a temp dir under $TMPDIR (or /tmp), removed at the end.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storaged/db.h"
#include "storaged/mvcc.h"

#define N_KEYS 100000
#define BATCH 1000
#define VALUE_LEN 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's CPU time: the cost of the code itself, apart from waiting
 * for a core on a shared machine (printed as the *_cpu figures). */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_mvcc: %s failed: %d\n", what, rc);
	exit(1);
}

static size_t key_of(char *buf, size_t len, unsigned i)
{
	/* a Kubernetes-like key: 24 bytes */
	return (size_t)snprintf(buf, len, "/registry/pods/p%08u", i);
}

static atomic_bool ckpt_stop;

static void *checkpointer(void *arg)
{
	const char *path = arg;
	struct db_options o = { .wal_autocheckpoint = -1 };
	struct db *db;
	char err[256];

	if (db_open(path, &o, &db, err, sizeof(err)))
		die(err, -1);
	while (!atomic_load(&ckpt_stop)) {
		db_checkpoint(db, true);
		usleep(20000);
	}
	db_close(db);
	return NULL;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[300], p[320], err[256], key[64];
	uint8_t value[VALUE_LEN];
	struct db *db;
	struct mvcc_store *s;
	struct db_applied ap = { 0, 1 };
	size_t raw = 0;
	double t0, t1, c0, c1;
	int rc;

	snprintf(dir, sizeof(dir), "%s/bench_mvcc.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", -1);
	snprintf(path, sizeof(path), "%s/db", dir);
	struct db_options wopts = { .wal_autocheckpoint = -1 };
	pthread_t ckpt;
	rc = db_open(path, &wopts, &db, err, sizeof(err));
	if (rc)
		die(err, rc);
	if (pthread_create(&ckpt, NULL, checkpointer, path))
		die("pthread_create", -1);
	if ((rc = mvcc_store_open(db, &s)))
		die("mvcc_store_open", rc);
	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (uint8_t)('a' + i % 26);

	/* apply: batches of 1,000 txns, one put each */
	t0 = now();
	c0 = cpu();
	for (unsigned b = 0; b < N_KEYS / BATCH; b++) {
		if ((rc = db_batch_begin(db)))
			die("batch_begin", rc);
		for (unsigned j = 0; j < BATCH; j++) {
			unsigned i = b * BATCH + j;
			struct mvcc_txn *t;
			struct mvcc_put_req r = { .value = value,
						  .value_len = sizeof(value) };
			r.key_len = key_of(key, sizeof(key), i);
			r.key = (const uint8_t *)key;
			raw += r.key_len + r.value_len;
			if ((rc = mvcc_txn_begin(s, &t)))
				die("txn_begin", rc);
			if ((rc = mvcc_txn_put(t, &r, NULL)))
				die("put", rc);
			if ((rc = mvcc_txn_end(t, NULL)))
				die("txn_end", rc);
			mvcc_txn_free(t);
		}
		ap.index += BATCH;
		if ((rc = db_applied_set(db, &ap)))
			die("applied_set", rc);
		if ((rc = db_batch_commit(db)))
			die("batch_commit", rc);
	}
	t1 = now();
	c1 = cpu();
	printf("BENCH apply_puts_per_sec %.0f\n", N_KEYS / (t1 - t0));
	printf("BENCH apply_puts_per_sec_cpu %.0f\n", N_KEYS / (c1 - c0));

	/* size on disk, after the SQLite WAL is folded back */
	atomic_store(&ckpt_stop, true);
	pthread_join(ckpt, NULL);
	if ((rc = db_checkpoint(db, false)))
		die("checkpoint", rc);
	struct stat sb;
	off_t disk = 0;
	if (stat(path, &sb) == 0)
		disk += sb.st_size;
	snprintf(p, sizeof(p), "%s-wal", path);
	if (stat(p, &sb) == 0)
		disk += sb.st_size;
	printf("BENCH disk_bytes_ratio %.3f\n", (double)disk / (double)raw);

	/* point reads at the current revision, random keys */
	unsigned seed = 1;
	const int n_reads = 200000;
	volatile int64_t sink = 0;
	t0 = now();
	c0 = cpu();
	for (int i = 0; i < n_reads; i++) {
		struct mvcc_range_result res;
		seed = seed * 1103515245u + 12345u;
		struct mvcc_range_req r = { .key = (const uint8_t *)key };
		r.key_len = key_of(key, sizeof(key), (seed >> 8) % N_KEYS);
		if ((rc = mvcc_range(s, &r, &res)) || res.n_kvs != 1)
			die("point read", rc);
		sink += res.kvs[0].mod_revision;
		mvcc_range_result_free(&res);
	}
	t1 = now();
	c1 = cpu();
	printf("BENCH point_read_us %.2f\n", (t1 - t0) * 1e6 / n_reads);
	printf("BENCH point_read_us_cpu %.2f\n", (c1 - c0) * 1e6 / n_reads);

	/* 1,000-key ranges at random offsets */
	char end[64];
	const int n_ranges = 300;
	t0 = now();
	c0 = cpu();
	for (int i = 0; i < n_ranges; i++) {
		struct mvcc_range_result res;
		seed = seed * 1103515245u + 12345u;
		unsigned first = (seed >> 8) % (N_KEYS - 1000);
		struct mvcc_range_req r = { .key = (const uint8_t *)key,
					    .range_end = (const uint8_t *)end };
		r.key_len = key_of(key, sizeof(key), first);
		r.range_end_len = key_of(end, sizeof(end), first + 1000);
		if ((rc = mvcc_range(s, &r, &res)) || res.n_kvs != 1000)
			die("range", rc);
		sink += res.count;
		mvcc_range_result_free(&res);
	}
	t1 = now();
	c1 = cpu();
	printf("BENCH range_1000_ms %.3f\n", (t1 - t0) * 1e3 / n_ranges);
	printf("BENCH range_1000_ms_cpu %.3f\n", (c1 - c0) * 1e3 / n_ranges);
	(void)sink;

	mvcc_store_close(s);
	db_close(db);
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}
