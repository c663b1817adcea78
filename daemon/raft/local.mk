# daemon/raft: the pure Raft state machine (libraft.a), its unit tests,
# scenarios, randomized simulator and benchmark.
noinst_LIBRARIES += daemon/raft/libraft.a
daemon_raft_libraft_a_SOURCES = \
	daemon/raft/raft.h \
	daemon/raft/raft_int.h \
	daemon/raft/types.c \
	daemon/raft/log.c \
	daemon/raft/progress.c \
	daemon/raft/raft.c \
	daemon/raft/step.c \
	daemon/raft/replication.c \
	daemon/raft/read_only.c \
	daemon/raft/confchange.c \
	daemon/raft/rawnode.c \
	daemon/raft/storage_mem.c

RAFT_TEST_SUPPORT = tests/raft/raft_fixture.c tests/raft/raft_fixture.h

if HAVE_CHECK
check_PROGRAMS += tests/raft/check_raft_log tests/raft/check_raft \
	tests/raft/check_raft_scenarios tests/raft/check_raft_sim
TESTS += tests/raft/check_raft_log tests/raft/check_raft \
	tests/raft/check_raft_scenarios tests/raft/check_raft_sim
endif
tests_raft_check_raft_log_SOURCES = tests/raft/check_raft_log.c
tests_raft_check_raft_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_raft_check_raft_log_LDADD = daemon/raft/libraft.a $(CHECK_LIBS)
tests_raft_check_raft_SOURCES = tests/raft/check_raft.c $(RAFT_TEST_SUPPORT)
tests_raft_check_raft_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_raft_check_raft_LDADD = daemon/raft/libraft.a $(CHECK_LIBS)
tests_raft_check_raft_scenarios_SOURCES = tests/raft/check_raft_scenarios.c $(RAFT_TEST_SUPPORT)
tests_raft_check_raft_scenarios_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_raft_check_raft_scenarios_LDADD = daemon/raft/libraft.a $(CHECK_LIBS)
tests_raft_check_raft_sim_SOURCES = tests/raft/check_raft_sim.c $(RAFT_TEST_SUPPORT)
tests_raft_check_raft_sim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_raft_check_raft_sim_LDADD = daemon/raft/libraft.a $(CHECK_LIBS)

EXTRA_PROGRAMS += tests/bench/bench_raft
BENCH_BINS += tests/bench/bench_raft
tests_bench_bench_raft_SOURCES = tests/bench/bench_raft.c
tests_bench_bench_raft_CFLAGS = $(AM_CFLAGS) -O2
tests_bench_bench_raft_LDADD = daemon/raft/libraft.a
CLEANFILES += tests/bench/bench_raft
