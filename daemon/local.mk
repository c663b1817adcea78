# cetcd, the front daemon.  Everything but main.c goes into
# daemon/libdaemon.a so that the tests link the same code.
noinst_LIBRARIES += daemon/libdaemon.a
daemon_libdaemon_a_SOURCES = \
	daemon/gateway/pbjson.c daemon/gateway/pbjson.h
daemon_libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(PROTOBUF_C_CFLAGS) $(JANSSON_CFLAGS)

DAEMON_LIBS = daemon/libdaemon.a proto/libproto.a common/libcommon.a \
	$(PROTOBUF_C_LIBS) $(JANSSON_LIBS) $(LIBEVENT_LIBS) $(PTHREAD_LIBS)

bin_PROGRAMS += cetcd
cetcd_SOURCES = \
	daemon/main.c \
	daemon/options.h \
	daemon/flags_table.c \
	daemon/storaged_proc.c daemon/storaged_proc.h
cetcd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
cetcd_LDADD = common/libcommon.a $(LIBEVENT_LIBS) $(PTHREAD_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/gateway/check_pbjson
TESTS += tests/gateway/check_pbjson
endif
tests_gateway_check_pbjson_SOURCES = tests/gateway/check_pbjson.c
tests_gateway_check_pbjson_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_gateway_check_pbjson_LDADD = $(DAEMON_LIBS) $(CHECK_LIBS)
