# cetcd, the front daemon.  Everything but main.c goes into
# daemon/libdaemon.a so that the tests link the same code.
noinst_LIBRARIES += daemon/libdaemon.a
daemon_libdaemon_a_SOURCES = \
	daemon/gateway/pbjson.c daemon/gateway/pbjson.h \
	daemon/storage_client.c daemon/storage_client.h \
	daemon/server.c daemon/server.h \
	daemon/service.c daemon/service.h \
	daemon/kv.c daemon/kv.h \
	daemon/maint.c daemon/maint.h \
	daemon/endpoints.c daemon/endpoints.h
daemon_libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)

DAEMON_LIBS = daemon/libdaemon.a daemon/net/libnet.a daemon/raft/libraft.a \
	proto/libproto.a common/libcommon.a \
	$(PROTOBUF_C_LIBS) $(JANSSON_LIBS) $(NGHTTP2_LIBS) $(OPENSSL_LIBS) $(LIBEVENT_LIBS) $(PTHREAD_LIBS)

bin_PROGRAMS += cetcd
cetcd_SOURCES = \
	daemon/main.c \
	daemon/options.h \
	daemon/flags_table.c \
	daemon/storaged_proc.c daemon/storaged_proc.h
cetcd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS)
cetcd_LDADD = $(DAEMON_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/gateway/check_pbjson
TESTS += tests/gateway/check_pbjson
endif
tests_gateway_check_pbjson_SOURCES = tests/gateway/check_pbjson.c
tests_gateway_check_pbjson_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_gateway_check_pbjson_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)
