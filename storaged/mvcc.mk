# The SQLite database and the revisioned (MVCC) key-value store of
# cetcd-storaged: storaged/db*.{c,h}, storaged/mvcc*.{c,h}.  Included from
# storaged/local.mk.
storaged_libstoraged_a_SOURCES += \
	storaged/db.c storaged/db.h storaged/db_checkpoint.c storaged/db_defrag.c \
	storaged/mvcc.c storaged/mvcc.h storaged/mvcc_int.h \
	storaged/mvcc_txn.c storaged/mvcc_range.c storaged/mvcc_compact.c \
	storaged/mvcc_hash.c storaged/mvcc_events.c storaged/mvcc_lease.c \
	storaged/mvcc_index.c

MVCC_TEST_LIBS = storaged/libstoraged.a common/libcommon.a $(SQLITE3_LIBS) \
	$(PTHREAD_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/storaged/check_db tests/storaged/check_mvcc
TESTS += tests/storaged/check_db tests/storaged/check_mvcc
endif
tests_storaged_check_db_SOURCES = tests/storaged/check_db.c
tests_storaged_check_db_CFLAGS = $(AM_CFLAGS) $(SQLITE3_CFLAGS) $(CHECK_CFLAGS)
tests_storaged_check_db_LDADD = $(MVCC_TEST_LIBS) $(CHECK_LIBS)
tests_storaged_check_mvcc_SOURCES = tests/storaged/check_mvcc.c
tests_storaged_check_mvcc_CFLAGS = $(AM_CFLAGS) $(SQLITE3_CFLAGS) $(CHECK_CFLAGS)
tests_storaged_check_mvcc_LDADD = $(MVCC_TEST_LIBS) $(CHECK_LIBS)

# make bench only
EXTRA_PROGRAMS += tests/bench/bench_mvcc
BENCH_BINS += tests/bench/bench_mvcc
tests_bench_bench_mvcc_SOURCES = tests/bench/bench_mvcc.c
tests_bench_bench_mvcc_CFLAGS = $(AM_CFLAGS) $(SQLITE3_CFLAGS) -O2
tests_bench_bench_mvcc_LDADD = $(MVCC_TEST_LIBS)
