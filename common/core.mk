# The lead's common modules (flag table, error table, version), kept apart
# from common/local.mk's.
common_libcommon_a_SOURCES += \
	common/flags.c common/flags.h \
	common/errors.c common/errors.h \
	common/version.h

if HAVE_CHECK
check_PROGRAMS += tests/check_errors
TESTS += tests/check_errors
endif
tests_check_errors_SOURCES = tests/check_errors.c
tests_check_errors_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_errors_LDADD = common/libcommon.a $(CHECK_LIBS)
