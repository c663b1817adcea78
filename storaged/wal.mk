# storaged/wal.mk: the write-ahead log and the Raft snapshot files
# (included from storaged/local.mk).  Their tests link the library as
# storaged does, then common/libcommon.a for crc32c.
storaged_libstoraged_a_SOURCES += \
	storaged/wal.c storaged/wal.h storaged/wal_int.h \
	storaged/wal_read.c \
	storaged/wal_io.c storaged/wal_io.h \
	storaged/wal_pb.c storaged/wal_pb.h \
	storaged/snap.c storaged/snap.h

# Disk fault injection shared by the WAL and snap tests.
FAULT_IO_SOURCES = tests/storaged/fault_io.c tests/storaged/fault_io.h

WAL_CHECKS = \
	tests/storaged/check_wal \
	tests/storaged/check_snap
if HAVE_CHECK
check_PROGRAMS += $(WAL_CHECKS)
TESTS += $(WAL_CHECKS)
endif

WAL_TEST_LDADD = storaged/libstoraged.a common/libcommon.a $(PTHREAD_LIBS)

tests_storaged_check_wal_SOURCES = tests/storaged/check_wal.c $(FAULT_IO_SOURCES)
tests_storaged_check_wal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_storaged_check_wal_LDADD = $(WAL_TEST_LDADD) $(CHECK_LIBS)

tests_storaged_check_snap_SOURCES = tests/storaged/check_snap.c $(FAULT_IO_SOURCES)
tests_storaged_check_snap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_storaged_check_snap_LDADD = $(WAL_TEST_LDADD) $(CHECK_LIBS)

# make bench only: persist rates at batch 1/16/256 beside the raw
# 4 KiB write+fdatasync rate of the same filesystem.
EXTRA_PROGRAMS += tests/bench/bench_wal
BENCH_BINS += tests/bench/bench_wal
tests_bench_bench_wal_SOURCES = tests/bench/bench_wal.c
tests_bench_bench_wal_LDADD = $(WAL_TEST_LDADD)
