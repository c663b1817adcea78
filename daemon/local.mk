# cetcd, the front daemon.
bin_PROGRAMS += cetcd
cetcd_SOURCES = \
	daemon/main.c \
	daemon/config.h \
	daemon/flags_table.c \
	daemon/storaged_proc.c daemon/storaged_proc.h
cetcd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
cetcd_LDADD = common/libcommon.a $(LIBEVENT_LIBS) $(PTHREAD_LIBS)
