/*
 * check_snap.c - Raft snapshot files: etcd's name and encoding, atomic
 * durable writes, loading the newest valid file (broken ones renamed to
 * .broken), the allowed-set match used at start, purging to max_snapshots,
 * and disk faults injected through the wal_io table.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "storaged/snap.h"
#include "tests/storaged/fault_io.h"
#include "storaged/wal_pb.h"

/* snprintf into an array, failing the test on truncation (and using the
 * result, which is what -Wformat-truncation wants). */
#define PATHF(buf, ...)							\
	do {								\
		int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__);	\
		if (n_ < 0 || (size_t)n_ >= sizeof(buf))		\
			ck_abort_msg("path too long");			\
	} while (0)

static char tmproot[4096];
static char snapdir[4200];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	PATHF(tmproot, "%s/check_snap.XXXXXX",
	    t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmproot));
	PATHF(snapdir, "%s/snap", tmproot);
}

static void teardown(void)
{
	nftw(tmproot, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *path_of(const char *name)
{
	static char p[4][4400];
	static int k;

	k = (k + 1) % 4;
	PATHF(p[k], "%s/%s", snapdir, name);
	return p[k];
}

static bool exists(const char *name)
{
	return access(path_of(name), F_OK) == 0;
}

static int count_suffix(const char *suffix)
{
	struct dirent *de;
	DIR *d = opendir(snapdir);
	size_t sl = strlen(suffix);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void payload(char *buf, size_t n, uint64_t index)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + (index + i) % 26);
}

static void save(struct snap *s, uint64_t term, uint64_t index)
{
	struct snap_error err;
	char data[300];

	payload(data, sizeof(data), index);
	ck_assert_msg(snap_save(s, term, index, data, sizeof(data), &err) ==
	    SNAP_OK, "%s", err.msg);
}

static void check_loaded(const struct snap_file *f, uint64_t term,
    uint64_t index)
{
	char data[300];

	payload(data, sizeof(data), index);
	ck_assert_uint_eq(f->term, term);
	ck_assert_uint_eq(f->index, index);
	ck_assert_uint_eq(f->len, sizeof(data));
	ck_assert_mem_eq(f->data, data, sizeof(data));
}

START_TEST(save_load_format)
{
	struct snap_options o;
	struct snap_error err;
	struct snap_file f;
	struct snap *s;
	struct stat st;
	uint8_t buf[512];
	uint32_t crc;
	const uint8_t *data;
	size_t len;
	int fd;
	ssize_t n;

	snap_options_init(&o);
	ck_assert_int_eq(snap_open(snapdir, &o, &s, &err), SNAP_OK);
	ck_assert_int_eq(stat(snapdir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_ENOSNAP);
	ck_assert_int_eq(snap_save(s, 1, 2, "", 0, &err), SNAP_EINVAL);

	save(s, 3, 0x1234);
	ck_assert(exists("0000000000000003-0000000000001234.snap"));
	ck_assert_int_eq(stat(path_of("0000000000000003-0000000000001234.snap"),
	    &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(count_suffix(".tmp"), 0);

	/* snappb.snapshot { crc = 1; data = 2 }, crc = CRC-32C of data. */
	fd = open(path_of("0000000000000003-0000000000001234.snap"), O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_gt(n, 300);
	ck_assert_int_eq(buf[0], 0x08);
	ck_assert_int_eq(wal_pb_snapfile_decode(buf, (size_t)n, &crc, &data,
	    &len), 0);
	ck_assert_uint_eq(len, 300);
	ck_assert_uint_eq(crc, crc32c_update(0, data, len));

	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_OK);
	check_loaded(&f, 3, 0x1234);
	snap_file_free(&f);
	snap_close(s);
}
END_TEST

START_TEST(newest_and_broken)
{
	struct snap_error err;
	struct snap_file f;
	struct snap *s;
	uint8_t *b;
	struct stat st;
	int fd;

	ck_assert_int_eq(snap_open(snapdir, NULL, &s, &err), SNAP_OK);
	save(s, 1, 10);
	save(s, 1, 20);
	save(s, 2, 15);		/* higher term wins over higher index */
	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_OK);
	check_loaded(&f, 2, 15);
	snap_file_free(&f);

	/* Flip a data byte of the newest: renamed .broken, next one used. */
	fd = open(path_of("0000000000000002-000000000000000f.snap"), O_RDWR);
	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size);
	ck_assert_int_eq(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	b[st.st_size - 5] ^= 0x40;
	ck_assert_int_eq(pwrite(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	free(b);
	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_OK);
	check_loaded(&f, 1, 20);
	snap_file_free(&f);
	ck_assert(exists("0000000000000002-000000000000000f.snap.broken"));
	ck_assert(!exists("0000000000000002-000000000000000f.snap"));

	/* Empty and truncated files are broken too. */
	fd = open(path_of("0000000000000001-0000000000000014.snap"), O_RDWR);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	close(fd);
	fd = open(path_of("0000000000000001-000000000000000a.snap"), O_RDWR);
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	close(fd);
	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_ENOSNAP);
	ck_assert_int_eq(count_suffix(".broken"), 3);
	ck_assert_int_eq(count_suffix(".snap"), 0);
	snap_close(s);
}
END_TEST

START_TEST(allowed_set)
{
	struct wal_snapshot allowed[2] = { { 10, 1 }, { 30, 1 } };
	struct snap_error err;
	struct snap_file f;
	struct snap *s;

	ck_assert_int_eq(snap_open(snapdir, NULL, &s, &err), SNAP_OK);
	save(s, 1, 10);
	save(s, 1, 20);
	save(s, 1, 40);
	/* 40 is newer but not in the WAL's valid markers; 30 has no file. */
	ck_assert_int_eq(snap_load(s, allowed, 2, &f, &err), SNAP_OK);
	check_loaded(&f, 1, 10);
	snap_file_free(&f);
	allowed[0].term = 2;
	ck_assert_int_eq(snap_load(s, allowed, 2, &f, &err), SNAP_ENOSNAP);
	ck_assert_int_eq(snap_load(s, allowed, 0, &f, &err), SNAP_ENOSNAP);
	snap_close(s);
}
END_TEST

START_TEST(purge_keeps_max)
{
	struct snap_options o;
	struct snap_error err;
	struct snap_file f;
	struct snap *s;
	uint64_t i;

	snap_options_init(&o);
	o.max_snapshots = 3;
	ck_assert_int_eq(snap_open(snapdir, &o, &s, &err), SNAP_OK);
	for (i = 1; i <= 10; i++) {
		save(s, 1, i * 100);
		ck_assert_int_eq(count_suffix(".snap"), i < 3 ? (int)i : 3);
	}
	ck_assert(exists("0000000000000001-0000000000000384.snap"));	/* 900 */
	ck_assert(exists("0000000000000001-00000000000003e8.snap"));	/* 1000 */
	ck_assert(exists("0000000000000001-0000000000000320.snap"));	/* 800 */
	ck_assert(!exists("0000000000000001-00000000000002bc.snap"));	/* 700 */
	ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_OK);
	check_loaded(&f, 1, 1000);
	snap_file_free(&f);
	snap_close(s);

	/* 0 keeps everything. */
	o.max_snapshots = 0;
	ck_assert_int_eq(snap_open(snapdir, &o, &s, &err), SNAP_OK);
	for (i = 11; i <= 20; i++)
		save(s, 1, i * 100);
	ck_assert_int_eq(count_suffix(".snap"), 13);
	snap_close(s);
}
END_TEST

START_TEST(leftover_tmp_removed)
{
	struct snap_error err;
	struct snap *s;
	int fd;

	ck_assert_int_eq(mkdir(snapdir, 0700), 0);
	fd = open(path_of("0000000000000001-0000000000000005.snap.tmp"),
	    O_CREAT | O_WRONLY, 0600);
	close(fd);
	fd = open(path_of("db"), O_CREAT | O_WRONLY, 0600);	/* not ours */
	close(fd);
	ck_assert_int_eq(snap_open(snapdir, NULL, &s, &err), SNAP_OK);
	ck_assert(!exists("0000000000000001-0000000000000005.snap.tmp"));
	ck_assert(exists("db"));
	snap_close(s);
}
END_TEST

/* ---- disk faults ---- */


/* Fail each call of a save in turn: the error is returned, no .tmp is
 * left, and the newest loadable snapshot is the new one only if the save
 * succeeded or failed after its rename (then the file is complete). */
START_TEST(save_faults)
{
	struct snap_options o;
	struct snap_error err;
	struct snap_file f;
	struct snap *s;
	int at, rc, clean_calls;

	snap_options_init(&o);
	o.io = &fault_io;
	ck_assert_int_eq(snap_open(snapdir, &o, &s, &err), SNAP_OK);
	save(s, 1, 10);
	fault_reset();
	fault.partial = 1;	/* a failing pwrite leaves half a file behind */
	{
		/* Count the calls of one clean save (pwrite, fsync, rename,
		 * dir fsync; nothing to purge yet). */
		fault.at = 1 << 30;
		save(s, 1, 11);
		clean_calls = fault.calls;
		fault.at = 0;
	}
	ck_assert_int_eq(clean_calls, 4);	/* pwrite, fsync, rename, dir fsync */
	for (at = 1; at <= clean_calls; at++) {
		char data[300];
		uint64_t index = 100 + (uint64_t)at;

		payload(data, sizeof(data), index);
		fault.calls = 0;
		fault.at = at;
		rc = snap_save(s, 1, index, data, sizeof(data), &err);
		fault.at = 0;
		ck_assert_int_eq(rc, SNAP_EIO);
		ck_assert_ptr_nonnull(strstr(err.msg, snapdir));
		ck_assert_int_eq(count_suffix(".tmp"), 0);
		ck_assert_int_eq(snap_load(s, NULL, 0, &f, &err), SNAP_OK);
		/* Only the directory fsync fails after the rename: the file
		 * is complete, merely not known to be durable. */
		if (at == 4)
			check_loaded(&f, 1, index);
		else
			ck_assert_uint_lt(f.index, index);
		snap_file_free(&f);
	}
	snap_close(s);
}
END_TEST

static Suite *snap_suite(void)
{
	Suite *s = suite_create("snap");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, save_load_format);
	tcase_add_test(tc, newest_and_broken);
	tcase_add_test(tc, allowed_set);
	tcase_add_test(tc, purge_keeps_max);
	tcase_add_test(tc, leftover_tmp_removed);
	tcase_add_test(tc, save_faults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(snap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
