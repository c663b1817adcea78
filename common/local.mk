# common/: what both programs use.  This fragment owns libcommon.a's
# definition and the common modules' unit tests (tests/common/); the lead's
# modules are appended to the library by common/core.mk.
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/buf.c common/buf.h \
	common/crc32c.c common/crc32c.h \
	common/log.c common/log.h \
	common/gourl.c common/gourl.h \
	common/urls.c common/urls.h \
	common/frame.c common/frame.h
# frame.c includes libevent's headers.  Programs linking libcommon.a need
# $(LIBEVENT_LIBS) (frame) and $(PTHREAD_LIBS) (log, crc32c).
common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)

COMMON_CHECKS = \
	tests/common/check_buf \
	tests/common/check_crc32c \
	tests/common/check_log \
	tests/common/check_gourl \
	tests/common/check_urls \
	tests/common/check_frame
if HAVE_CHECK
check_PROGRAMS += $(COMMON_CHECKS)
TESTS += $(COMMON_CHECKS)
endif

COMMON_CHECK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
COMMON_CHECK_LDADD = common/libcommon.a $(CHECK_LIBS) $(PTHREAD_LIBS)

tests_common_check_buf_SOURCES = tests/common/check_buf.c
tests_common_check_buf_CFLAGS = $(COMMON_CHECK_CFLAGS)
tests_common_check_buf_LDADD = $(COMMON_CHECK_LDADD)

# check_crc32c reads tests/common/fixtures/ through $top_srcdir (set by the
# test driver); the define is the fallback when it is run by hand.
tests_common_check_crc32c_SOURCES = tests/common/check_crc32c.c
tests_common_check_crc32c_CPPFLAGS = $(AM_CPPFLAGS) -DCETCD_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_common_check_crc32c_CFLAGS = $(COMMON_CHECK_CFLAGS)
tests_common_check_crc32c_LDADD = $(COMMON_CHECK_LDADD)

tests_common_check_log_SOURCES = tests/common/check_log.c
tests_common_check_log_CFLAGS = $(COMMON_CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_common_check_log_LDADD = $(COMMON_CHECK_LDADD) $(JANSSON_LIBS)

tests_common_check_gourl_SOURCES = tests/common/check_gourl.c
tests_common_check_gourl_CFLAGS = $(COMMON_CHECK_CFLAGS)
tests_common_check_gourl_LDADD = $(COMMON_CHECK_LDADD)

tests_common_check_urls_SOURCES = tests/common/check_urls.c
tests_common_check_urls_CFLAGS = $(COMMON_CHECK_CFLAGS)
tests_common_check_urls_LDADD = $(COMMON_CHECK_LDADD)

tests_common_check_frame_SOURCES = tests/common/check_frame.c
tests_common_check_frame_CFLAGS = $(COMMON_CHECK_CFLAGS) $(LIBEVENT_CFLAGS)
tests_common_check_frame_LDADD = $(COMMON_CHECK_LDADD) $(LIBEVENT_LIBS)

EXTRA_DIST += \
	tests/common/fixtures/README \
	tests/common/fixtures/etcd-3.4.23-wal-head.bin
