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
 *   defrag_1gib_block_ms  the longest a write waits while a ~1 GiB db with
 *                       half its keys deleted and compacted is defragmented
 *                       as storaged does it: db_defragment_step() between
 *                       Apply batches (each batch waits at most one step).
 *                       With the steps' mean, median and 90th percentile
 *                       (a slow disk makes the longest one vary a lot),
 *                       defrag_1gib_total_ms (first step to the file
 *                       cut), defrag_1gib_steps, and the file size before
 *                       and after (defrag_1gib_mib_before/_after).  etcd
 *                       blocks all reads and writes for the whole of its
 *                       defragment.  BENCH_DEFRAG_MIB changes the size,
 *                       BENCH_DEFRAG_STEP_PAGES the pages per step.
 * Each timed figure also comes as <name>_cpu, from the thread's CPU time.
 * The writer runs as storaged should: wal_autocheckpoint off, and the
 * checkpoint worker (db_ckpt_*) asked for an AUTO checkpoint after each
 * batch (one outstanding at a time), its completions picked up between
 * batches as storaged's loop would.
 * Works in a temp dir under $TMPDIR (or /tmp), removed at the end.
 */
#include <poll.h>
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

static void ckpt_done(void *arg, const struct db_ckpt_result *r)
{
	(void)arg;
	if (r->rc != DB_OK && r->rc != DB_ERR_BUSY)
		die("checkpoint", r->rc);
}

static void ckpt_poll(struct db_ckpt *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = db_ckpt_fd(c), .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) == 1)
		db_ckpt_dispatch(c);
}

/* --- defragment a ~1 GiB db ------------------------------------------------ */

#define DEFRAG_VALUE (64 * 1024)

static void defrag_batch(struct db *db, struct mvcc_store *s,
			 struct db_ckpt *ckpt, struct db_applied *ap,
			 unsigned first, unsigned n, bool del,
			 const uint8_t *value, size_t value_len)
{
	char key[64];
	int rc;

	if ((rc = db_batch_begin(db)))
		die("batch_begin", rc);
	for (unsigned i = first; i < first + n; i++) {
		struct mvcc_txn *t;
		size_t kl = (size_t)snprintf(key, sizeof(key), "/big/%08u", i);
		if ((rc = mvcc_txn_begin(s, &t)))
			die("txn_begin", rc);
		if (del) {
			struct mvcc_delete_req d = {
				.key = (const uint8_t *)key, .key_len = kl };
			rc = mvcc_txn_delete_range(t, &d, NULL);
		} else {
			struct mvcc_put_req r = {
				.key = (const uint8_t *)key, .key_len = kl,
				.value = value, .value_len = value_len };
			rc = mvcc_txn_put(t, &r, NULL);
		}
		if (rc || (rc = mvcc_txn_end(t, NULL)))
			die("defrag txn", rc);
		mvcc_txn_free(t);
	}
	ap->index++;
	if ((rc = db_applied_set(db, ap)) || (rc = db_batch_commit(db)))
		die("batch_commit", rc);
	if (db_ckpt_outstanding(ckpt) == 0 &&
	    (rc = db_ckpt_request(ckpt, DB_CKPT_AUTO, ckpt_done, NULL)))
		die("ckpt_request", rc);
	ckpt_poll(ckpt, 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static off_t file_size(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? sb.st_size : 0;
}

static void bench_defrag(const char *tmp)
{
	const char *mib_env = getenv("BENCH_DEFRAG_MIB");
	long mib = mib_env ? atol(mib_env) : 1024;
	unsigned n = (unsigned)(mib * 1024 * 1024 / DEFRAG_VALUE);
	char dir[256], path[300], p[320], err[256];
	struct db_options o = { .wal_autocheckpoint = -1 };
	struct db_applied ap = { 0, 1 };
	struct db_ckpt *ckpt;
	struct mvcc_store *s;
	struct db *db;
	uint8_t *value = malloc(DEFRAG_VALUE);
	double t0, worst = 0, sum = 0, start, *took = NULL;
	size_t took_cap = 0;
	off_t before;
	int rc, steps = 0;
	bool done = false;

	if (!value)
		die("malloc", -1);
	for (size_t i = 0; i < DEFRAG_VALUE; i++)
		value[i] = (uint8_t)(i * 2654435761u >> 24);
	snprintf(dir, sizeof(dir), "%s/bench_defrag.XXXXXX", tmp);
	if (!mkdtemp(dir))
		die("mkdtemp", -1);
	snprintf(path, sizeof(path), "%s/db", dir);
	if ((rc = db_open(path, &o, &db, err, sizeof(err))))
		die(err, rc);
	if ((rc = db_ckpt_start(db, 0, &ckpt, err, sizeof(err))))
		die(err, rc);
	if ((rc = mvcc_store_open(db, &s)))
		die("mvcc_store_open", rc);

	/* build: n large values, then every other key deleted and the
	 * history compacted away: half the file is free pages, scattered */
	t0 = now();
	for (unsigned i = 0; i < n; i += 32)
		defrag_batch(db, s, ckpt, &ap, i, n - i < 32 ? n - i : 32,
			     false, value, DEFRAG_VALUE);
	for (unsigned i = 0; i < n; i += 2)
		defrag_batch(db, s, ckpt, &ap, i, 1, true, NULL, 0);
	if ((rc = mvcc_compact(s, mvcc_current_revision(s))))
		die("compact", rc);
	while (db_ckpt_outstanding(ckpt))
		ckpt_poll(ckpt, 1000);
	if ((rc = db_checkpoint(db, false)))
		die("checkpoint", rc);
	before = file_size(path);
	fprintf(stderr, "bench_mvcc: built %ld MiB db (%lld MiB free) in %.1f s\n",
		mib, (long long)((db_size_bytes(db) - db_size_in_use_bytes(db)) >> 20),
		now() - t0);

	/* defragment as storaged does: one step, then an Apply batch */
	const char *step_env = getenv("BENCH_DEFRAG_STEP_PAGES");
	int64_t step = step_env ? atoll(step_env) : DB_DEFRAG_STEP_PAGES;
	uint8_t small[256];
	memset(small, 's', sizeof(small));
	start = now();
	while (!done) {
		t0 = now();
		if ((rc = db_defragment_step(db, step, &done)))
			die("defragment_step", rc);
		double d = now() - t0;
		if (d > worst)
			worst = d;
		sum += d;
		if ((size_t)steps == took_cap) {
			took_cap = took_cap ? took_cap * 2 : 256;
			took = realloc(took, took_cap * sizeof(*took));
			if (!took)
				die("realloc", -1);
		}
		took[steps] = d;
		steps++;
		defrag_batch(db, s, ckpt, &ap, n + (unsigned)steps, 1, false,
			     small, sizeof(small));
	}
	/* the file is cut by the worker's next checkpoint that copies
	 * everything back: no write waits for it */
	while (db_ckpt_outstanding(ckpt))
		ckpt_poll(ckpt, 1000);
	if ((rc = db_ckpt_request(ckpt, DB_CKPT_PASSIVE, ckpt_done, NULL)))
		die("ckpt_request", rc);
	while (db_ckpt_outstanding(ckpt))
		ckpt_poll(ckpt, 1000);
	db_ckpt_stop(ckpt);
	double total = now() - start;
	printf("BENCH defrag_1gib_block_ms %.1f\n", worst * 1e3);
	printf("BENCH defrag_1gib_step_mean_ms %.1f\n",
	       sum * 1e3 / (steps ? steps : 1));
	qsort(took, (size_t)steps, sizeof(*took), cmp_double);
	printf("BENCH defrag_1gib_step_p50_ms %.1f\n",
	       steps ? took[steps / 2] * 1e3 : 0);
	printf("BENCH defrag_1gib_step_p90_ms %.1f\n",
	       steps ? took[steps * 9 / 10] * 1e3 : 0);
	free(took);
	printf("BENCH defrag_1gib_total_ms %.0f\n", total * 1e3);
	printf("BENCH defrag_1gib_steps %d\n", steps);
	printf("BENCH defrag_1gib_mib_before %lld\n", (long long)(before >> 20));
	printf("BENCH defrag_1gib_mib_after %lld\n",
	       (long long)(file_size(path) >> 20));

	mvcc_store_close(s);
	db_close(db);
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
	free(value);
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
	struct db_ckpt *ckpt;
	rc = db_open(path, &wopts, &db, err, sizeof(err));
	if (rc)
		die(err, rc);
	if ((rc = db_ckpt_start(db, 0, &ckpt, err, sizeof(err))))
		die(err, rc);
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
		if (db_ckpt_outstanding(ckpt) == 0 &&
		    (rc = db_ckpt_request(ckpt, DB_CKPT_AUTO, ckpt_done, NULL)))
			die("ckpt_request", rc);
		ckpt_poll(ckpt, 0);
	}
	t1 = now();
	c1 = cpu();
	printf("BENCH apply_puts_per_sec %.0f\n", N_KEYS / (t1 - t0));
	printf("BENCH apply_puts_per_sec_cpu %.0f\n", N_KEYS / (c1 - c0));

	/* size on disk, after the SQLite WAL is folded back */
	while (db_ckpt_outstanding(ckpt))
		ckpt_poll(ckpt, 1000);
	db_ckpt_stop(ckpt);
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

	bench_defrag(tmp ? tmp : "/tmp");
	return 0;
}
