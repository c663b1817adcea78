# cetcd-storaged: everything but main.c goes into storaged/libstoraged.a so
# that the tests link the same code.  storaged/wal.mk and storaged/mvcc.mk
# append their modules.
noinst_LIBRARIES += storaged/libstoraged.a
storaged_libstoraged_a_SOURCES = \
	storaged/datadir.c storaged/datadir.h \
	storaged/apply.c storaged/apply.h storaged/apply_int.h \
	storaged/apply_cluster.c storaged/apply_auth.c \
	storaged/store.c storaged/store.h storaged/store_int.h \
	storaged/store_read.c storaged/store_snap.c \
	storaged/ipc.c storaged/ipc.h
storaged_libstoraged_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE3_CFLAGS) $(PROTOBUF_C_CFLAGS) \
	$(JANSSON_CFLAGS) $(LIBCRYPT_CFLAGS)

# What links storaged/libstoraged.a links these after it.
STORAGED_LIBS = storaged/libstoraged.a proto/libproto.a common/libcommon.a \
	$(PROTOBUF_C_LIBS) $(SQLITE3_LIBS) $(JANSSON_LIBS) $(LIBCRYPT_LIBS) $(LIBEVENT_LIBS) $(PTHREAD_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/storaged/check_apply tests/storaged/check_apply_auth tests/storaged/check_ipc \
	tests/storaged/check_crash tests/storaged/check_daemon
TESTS += tests/storaged/check_apply tests/storaged/check_apply_auth tests/storaged/check_ipc \
	tests/storaged/check_crash tests/storaged/check_daemon
endif
tests_storaged_check_apply_SOURCES = tests/storaged/check_apply.c
tests_storaged_check_apply_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_storaged_check_apply_LDADD = $(STORAGED_LIBS) $(CHECK_LIBS)
tests_storaged_check_apply_auth_SOURCES = tests/storaged/check_apply_auth.c
tests_storaged_check_apply_auth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_storaged_check_apply_auth_LDADD = $(STORAGED_LIBS) $(CHECK_LIBS)
tests_storaged_check_ipc_SOURCES = tests/storaged/check_ipc.c
tests_storaged_check_ipc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS) $(LIBEVENT_CFLAGS)
tests_storaged_check_ipc_LDADD = $(STORAGED_LIBS) $(CHECK_LIBS)
# These two drive the real binary (./cetcd-storaged, or $CETCD_STORAGED).
STORAGED_CLIENT = tests/storaged/storaged_client.c tests/storaged/storaged_client.h
tests_storaged_check_crash_SOURCES = tests/storaged/check_crash.c $(STORAGED_CLIENT)
tests_storaged_check_crash_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_storaged_check_crash_LDADD = proto/libproto.a $(PROTOBUF_C_LIBS) $(CHECK_LIBS)
tests_storaged_check_daemon_SOURCES = tests/storaged/check_daemon.c $(STORAGED_CLIENT)
tests_storaged_check_daemon_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_storaged_check_daemon_LDADD = proto/libproto.a $(PROTOBUF_C_LIBS) $(CHECK_LIBS)

include storaged/wal.mk
include storaged/mvcc.mk

bin_PROGRAMS += cetcd-storaged
cetcd_storaged_SOURCES = \
	storaged/main.c \
	storaged/options.h \
	storaged/flags_table.c
cetcd_storaged_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS)
cetcd_storaged_LDADD = $(STORAGED_LIBS)

# make bench only: PERSIST and APPLY through the real binary and its socket.
EXTRA_PROGRAMS += tests/bench/bench_persist
BENCH_BINS += tests/bench/bench_persist
tests_bench_bench_persist_SOURCES = tests/bench/bench_persist.c $(STORAGED_CLIENT)
tests_bench_bench_persist_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) -O2
tests_bench_bench_persist_LDADD = proto/libproto.a $(PROTOBUF_C_LIBS)
# It runs ./cetcd-storaged.
tests_bench_bench_persist_DEPENDENCIES = proto/libproto.a cetcd-storaged$(EXEEXT)
