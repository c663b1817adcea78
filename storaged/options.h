/*
 * options.h (storaged) - cetcd-storaged's flags, filled by flag_parse() from
 * storaged_flag_defs[] (storaged/flags_table.c).
 */
#ifndef CETCD_STORAGED_OPTIONS_H
#define CETCD_STORAGED_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/flags.h"

struct storaged_config {
	const char *data_dir;
	const char *wal_dir;
	const char *socket;
	int64_t quota_backend_bytes;
	uint64_t snapshot_count;
	uint64_t max_wals;
	uint64_t max_snapshots;
	const char *log_level;
	bool version;
	bool help;
};

extern const struct flag_def storaged_flag_defs[];
extern const size_t storaged_flag_count;

#endif
