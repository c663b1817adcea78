# Tests of the programs as a whole, and of the build itself.  Unit tests of
# each area are declared in that area's fragment.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)

if HAVE_CHECK
check_PROGRAMS += tests/check_flags
TESTS += tests/check_flags
endif
tests_check_flags_SOURCES = tests/check_flags.c
tests_check_flags_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_flags_LDADD = common/libcommon.a $(CHECK_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/check_config_file
TESTS += tests/check_config_file
endif
tests_check_config_file_SOURCES = tests/check_config_file.c daemon/flags_table.c
tests_check_config_file_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
tests_check_config_file_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)

TESTS += \
	tests/e2e/version_help.sh \
	tests/e2e/flags_vs_etcd.sh \
	tests/e2e/flags_run.sh \
	tests/e2e/gateway_vs_etcd.sh \
	tests/e2e/start_stop.sh \
	tests/e2e/kv_vs_etcd.sh \
	tests/e2e/maint_vs_etcd.sh \
	tests/e2e/crash_survival.sh \
	tests/e2e/bad_input.sh \
	tests/e2e/restart_big_log.sh \
	tests/e2e/wal_dir.sh \
	tests/check_manpages.sh \
	tests/check_configure.sh
EXTRA_DIST += \
	tests/lib.sh \
	tests/e2e/gateway_vs_etcd.sh \
	tests/e2e/version_help.sh \
	tests/e2e/flags_vs_etcd.sh \
	tests/e2e/flags_run.sh \
	tests/e2e/start_stop.sh \
	tests/e2e/kv_vs_etcd.sh \
	tests/e2e/maint_vs_etcd.sh \
	tests/e2e/crash_survival.sh \
	tests/e2e/bad_input.sh \
	tests/e2e/restart_big_log.sh \
	tests/e2e/wal_dir.sh \
	tests/check_manpages.sh \
	tests/check_configure.sh \
	tests/README.md

# "make check" without Check installed stops with what to install.
if !HAVE_CHECK
check-local:
	@echo "make check needs the Check unit test framework: apt-get install check" >&2; exit 1
endif

# Benchmarks of the whole server beside real etcd (make bench only).
BENCH_SHELL += tests/bench/bench_server.sh
EXTRA_DIST += tests/bench/bench_server.sh tests/bench/grpc_bodies.py
