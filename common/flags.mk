# The flag table parser, kept apart from common/local.mk's modules.
common_libcommon_a_SOURCES += common/flags.c common/flags.h common/version.h
