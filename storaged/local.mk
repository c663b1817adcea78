# cetcd-storaged: everything but main.c goes into storaged/libstoraged.a so
# that the tests link the same code.  storaged/wal.mk and storaged/mvcc.mk
# append their modules.
noinst_LIBRARIES += storaged/libstoraged.a
storaged_libstoraged_a_SOURCES = \
	storaged/datadir.c storaged/datadir.h
storaged_libstoraged_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE3_CFLAGS)

include storaged/wal.mk
include storaged/mvcc.mk

bin_PROGRAMS += cetcd-storaged
cetcd_storaged_SOURCES = \
	storaged/main.c \
	storaged/config.h \
	storaged/flags_table.c
cetcd_storaged_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
cetcd_storaged_LDADD = storaged/libstoraged.a common/libcommon.a \
	$(SQLITE3_LIBS) $(LIBEVENT_LIBS) $(PTHREAD_LIBS)
