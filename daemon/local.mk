# cetcd, the front daemon.  Everything but main.c goes into
# daemon/libdaemon.a so that the tests link the same code.
noinst_LIBRARIES += daemon/libdaemon.a
daemon_libdaemon_a_SOURCES = \
	daemon/gateway/pbjson.c daemon/gateway/pbjson.h \
	daemon/gateway/pbjson_decode.c daemon/gateway/pbjson_int.h \
	daemon/gateway/gojson.c daemon/gateway/gojson.h \
	daemon/gateway/gwroute.c daemon/gateway/gwroute.h \
	daemon/storage_client.c daemon/storage_client.h \
	daemon/server.c daemon/server.h \
	daemon/service.c daemon/service.h \
	daemon/kv.c daemon/kv.h \
	daemon/maint.c daemon/maint.h \
	daemon/snapshot_rpc.c daemon/snapshot_rpc.h \
	daemon/endpoints.c daemon/endpoints.h \
	daemon/metrics.c daemon/metrics.h \
	daemon/autocompact.c daemon/autocompact.h \
	daemon/config_check.c daemon/config_check.h \
	daemon/config_file.c daemon/config_file.h \
	daemon/config_main.c daemon/config_main.h
daemon_libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) $(YAML_CFLAGS)

DAEMON_LIBS = daemon/libdaemon.a daemon/net/libnet.a daemon/raft/libraft.a \
	proto/libproto.a common/libcommon.a \
	$(PROTOBUF_C_LIBS) $(JANSSON_LIBS) $(NGHTTP2_LIBS) $(OPENSSL_LIBS) $(LIBEVENT_LIBS) $(PTHREAD_LIBS) \
	$(YAML_LIBS)

bin_PROGRAMS += cetcd
cetcd_SOURCES = \
	daemon/main.c \
	daemon/options.h \
	daemon/flags_table.c \
	daemon/storaged_proc.c daemon/storaged_proc.h
cetcd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS)
cetcd_LDADD = $(DAEMON_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/gateway/check_pbjson tests/gateway/check_gojson
TESTS += tests/gateway/check_pbjson tests/gateway/check_gojson
endif
tests_gateway_check_pbjson_SOURCES = tests/gateway/check_pbjson.c
tests_gateway_check_pbjson_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_gateway_check_pbjson_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)
tests_gateway_check_gojson_SOURCES = tests/gateway/check_gojson.c
tests_gateway_check_gojson_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_gateway_check_gojson_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)

# Metrics and auto compaction: unit tests, and end-to-end against etcd 3.4.
if HAVE_CHECK
check_PROGRAMS += tests/daemon/check_metrics tests/daemon/check_autocompact
TESTS += tests/daemon/check_metrics tests/daemon/check_autocompact
endif
tests_daemon_check_metrics_SOURCES = tests/daemon/check_metrics.c
tests_daemon_check_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_daemon_check_metrics_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)
tests_daemon_check_autocompact_SOURCES = tests/daemon/check_autocompact.c
tests_daemon_check_autocompact_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_daemon_check_autocompact_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)
TESTS += tests/e2e/metrics.sh tests/e2e/autocompact.sh
EXTRA_DIST += tests/e2e/metrics.sh tests/e2e/autocompact.sh
