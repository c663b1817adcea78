# daemon/net/: cetcd's client-facing network layer (listeners, protocol
# sniffing, HTTP/1.1, HTTP/2 via nghttp2, gRPC framing, health service).
# Programs linking libnet.a also need $(LIBEVENT_LIBS) $(NGHTTP2_LIBS) and
# common/libcommon.a (log, buf) with $(PTHREAD_LIBS).
noinst_LIBRARIES += daemon/net/libnet.a
daemon_net_libnet_a_SOURCES = \
	daemon/net/net.h daemon/net/net_int.h \
	daemon/net/server.c \
	daemon/net/sniff.c daemon/net/sniff.h \
	daemon/net/http.h daemon/net/http_req.c \
	daemon/net/h1.c \
	daemon/net/h2.c \
	daemon/net/grpc.h daemon/net/grpc.c \
	daemon/net/grpc_wire.c daemon/net/grpc_wire.h \
	daemon/net/health.c daemon/net/health.h
daemon_net_libnet_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(NGHTTP2_CFLAGS)

NET_LDADD = daemon/net/libnet.a common/libcommon.a \
	$(LIBEVENT_LIBS) $(NGHTTP2_LIBS) $(PTHREAD_LIBS)

# Unit tests (Check).
if HAVE_CHECK
check_PROGRAMS += tests/net/check_grpc_wire
TESTS += tests/net/check_grpc_wire
endif
tests_net_check_grpc_wire_SOURCES = tests/net/check_grpc_wire.c
tests_net_check_grpc_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_net_check_grpc_wire_LDADD = daemon/net/libnet.a common/libcommon.a $(CHECK_LIBS) $(PTHREAD_LIBS)

# A small server on the layer, for the black-box tests and the benchmark.
check_PROGRAMS += tests/net/net_testd
tests_net_net_testd_SOURCES = tests/net/net_testd.c
tests_net_net_testd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(NGHTTP2_CFLAGS)
tests_net_net_testd_LDADD = $(NET_LDADD)

# Black-box tests with real clients: curl (HTTP/1.1, h2c), nghttp, raw
# sockets, and Debian's python3-grpcio.
TESTS += tests/net/net_http.sh tests/net/net_grpc.sh
EXTRA_DIST += tests/net/net_http.sh tests/net/net_grpc.sh \
	tests/net/net_lib.sh tests/net/grpc_client.py tests/net/raw_client.py

# Benchmark: memory per idle connection (HTTP/2 and HTTP/1.1).
EXTRA_PROGRAMS += tests/bench/bench_net_idle
BENCH_BINS += tests/bench/bench_net_idle
tests_bench_bench_net_idle_SOURCES = tests/bench/bench_net_idle.c
tests_bench_bench_net_idle_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(NGHTTP2_CFLAGS)
tests_bench_bench_net_idle_LDADD = $(NET_LDADD)
