# placeholder until the common/ modules land
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES =
