# proto/: etcd-compatible .proto files and our storage IPC schema.
# protoc-c generates the C into the build tree at build time; nothing
# generated is committed or distributed. Also holds the wire-compatibility
# test (tests/wire/), which is about these files.

PROTO_FILES = \
	proto/kv.proto \
	proto/auth.proto \
	proto/rpc.proto \
	proto/etcdserver.proto \
	proto/raft_internal.proto \
	proto/lease.proto \
	proto/raft.proto \
	proto/v3lock.proto \
	proto/v3election.proto \
	proto/health.proto \
	proto/wal.proto \
	proto/snap.proto \
	proto/storage.proto

PROTO_GEN_C = \
	proto/kv.pb-c.c \
	proto/auth.pb-c.c \
	proto/rpc.pb-c.c \
	proto/etcdserver.pb-c.c \
	proto/raft_internal.pb-c.c \
	proto/lease.pb-c.c \
	proto/raft.pb-c.c \
	proto/v3lock.pb-c.c \
	proto/v3election.pb-c.c \
	proto/health.pb-c.c \
	proto/wal.pb-c.c \
	proto/snap.pb-c.c \
	proto/storage.pb-c.c

PROTO_GEN_H = \
	proto/kv.pb-c.h \
	proto/auth.pb-c.h \
	proto/rpc.pb-c.h \
	proto/etcdserver.pb-c.h \
	proto/raft_internal.pb-c.h \
	proto/lease.pb-c.h \
	proto/raft.pb-c.h \
	proto/v3lock.pb-c.h \
	proto/v3election.pb-c.h \
	proto/health.pb-c.h \
	proto/wal.pb-c.h \
	proto/snap.pb-c.h \
	proto/storage.pb-c.h

noinst_LIBRARIES += proto/libproto.a
nodist_proto_libproto_a_SOURCES = $(PROTO_GEN_C) $(PROTO_GEN_H)
proto_libproto_a_CPPFLAGS = $(AM_CPPFLAGS) $(PROTOBUF_C_CFLAGS)

# Every object that includes a generated header needs it first; listing the
# headers here makes `make`, `make all` and `make check` generate them
# before compiling anything.
BUILT_SOURCES += $(PROTO_GEN_H)
CLEANFILES += $(PROTO_GEN_C) $(PROTO_GEN_H) proto/protoc-c.stamp \
	proto/protoc-c.stamp-t
EXTRA_DIST += $(PROTO_FILES)

# One protoc-c run makes all the outputs (they import one another, and it
# takes well under a second). The stamp stands for the whole set, following
# the "Handling Tools that Produce Many Outputs" recipe of the Automake
# manual, so that parallel make runs protoc-c once. Inputs are named from
# $(top_srcdir) and --proto_path is $(top_srcdir), so the imports
# ("proto/kv.proto") and the output names (proto/kv.pb-c.h, under
# $(top_builddir)) are the same in VPATH builds and in distcheck.
proto/protoc-c.stamp: $(PROTO_FILES)
	@$(MKDIR_P) proto
	@rm -f $@ $@-t
	@touch $@-t
	$(AM_V_GEN)files=; for f in $(PROTO_FILES); do \
	  files="$$files $(top_srcdir)/$$f"; \
	done; \
	$(PROTOC_C) --proto_path=$(top_srcdir) --c_out=$(top_builddir) $$files
	@mv -f $@-t $@

# A generated file removed after the stamp was made is recovered by running
# the stamp rule again; the lock directory keeps parallel makes from doing
# it twice at once.
$(PROTO_GEN_C) $(PROTO_GEN_H): proto/protoc-c.stamp
	@dry=; for f in x $$MAKEFLAGS; do \
	  case $$f in *=*|--*) ;; *n*) dry=:;; esac; \
	done; \
	if test -f $@; then :; else \
	  $$dry trap 'rm -rf proto/protoc-c.lock proto/protoc-c.stamp' 1 2 13 15; \
	  if $$dry mkdir proto/protoc-c.lock 2>/dev/null; then \
	    $$dry rm -f proto/protoc-c.stamp; \
	    $(MAKE) $(AM_MAKEFLAGS) proto/protoc-c.stamp; \
	    result=$$?; $$dry rm -rf proto/protoc-c.lock; exit $$result; \
	  else \
	    while test -d proto/protoc-c.lock && test -z "$$dry"; do sleep 1; done; \
	    $$dry test -f proto/protoc-c.stamp; exit $$?; \
	  fi; \
	fi

# ---- tests/wire: wire compatibility with etcd 3.4 ----------------------

WIRE_FIXTURES = \
	tests/wire/fixtures/put_request.bin \
	tests/wire/fixtures/put_response.bin \
	tests/wire/fixtures/put_prevkv_response.bin \
	tests/wire/fixtures/put_lease_request.bin \
	tests/wire/fixtures/range_request.bin \
	tests/wire/fixtures/range_response.bin \
	tests/wire/fixtures/txn_request.bin \
	tests/wire/fixtures/txn_response.bin \
	tests/wire/fixtures/delete_range_request.bin \
	tests/wire/fixtures/delete_range_response.bin \
	tests/wire/fixtures/lease_grant_request.bin \
	tests/wire/fixtures/lease_grant_response.bin \
	tests/wire/fixtures/watch_request.bin \
	tests/wire/fixtures/watch_response.bin \
	tests/wire/fixtures/member_list_response.bin \
	tests/wire/fixtures/status_response.bin \
	tests/wire/fixtures/raft_msgapp.bin \
	tests/wire/fixtures/raft_msgprop.bin \
	tests/wire/fixtures/wal_metadata.bin \
	tests/wire/fixtures/wal_hardstate.bin \
	tests/wire/fixtures/wal_entry_confchange.bin \
	tests/wire/fixtures/wal_entry_put.bin \
	tests/wire/fixtures/wal_record_put.bin \
	tests/wire/fixtures/snap_file.bin

EXTRA_DIST += \
	$(WIRE_FIXTURES) \
	tests/wire/README.md \
	tests/wire/capture.py \
	tests/wire/compare_descriptors.py

if HAVE_CHECK
check_PROGRAMS += tests/wire/check_wire
TESTS += tests/wire/check_wire
endif
tests_wire_check_wire_SOURCES = tests/wire/check_wire.c
# The fixtures are read from the source tree, which distcheck makes
# read-only and which differs from the build tree in VPATH builds.
tests_wire_check_wire_CPPFLAGS = $(AM_CPPFLAGS) $(PROTOBUF_C_CFLAGS) \
	-DWIRE_FIXTURE_DIR='"$(abs_top_srcdir)/tests/wire/fixtures"'
tests_wire_check_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_wire_check_wire_LDADD = proto/libproto.a $(PROTOBUF_C_LIBS) $(CHECK_LIBS)
# So that `make tests/wire/check_wire` alone (without BUILT_SOURCES) works.
$(tests_wire_check_wire_OBJECTS): $(PROTO_GEN_H)
