/*
 * flags_table.c (storaged) - every flag cetcd-storaged accepts: the single
 * source for parsing, CETCD_STORAGED_* environment variables and --help
 * (man/cetcd-storaged.8 is checked against --help by the tests).
 */
#include "config.h"

#include <stddef.h>

#include "storaged/options.h"

#define S(name) { name, FLAG_SECTION, NULL, 0, NULL, NULL }
#define F(name, type, def, field, help) \
	{ name, type, def, offsetof(struct storaged_config, field), help, NULL }

const struct flag_def storaged_flag_defs[] = {
	S("Storage"),
	F("data-dir", FLAG_STRING, "", data_dir,
	  "Path to the data directory (required)."),
	F("wal-dir", FLAG_STRING, "", wal_dir,
	  "Path to the dedicated wal directory; when empty, DATA-DIR/member/wal."),
	F("socket", FLAG_STRING, "", socket,
	  "Path of the Unix socket on which cetcd connects (required)."),
	F("quota-backend-bytes", FLAG_INT64, "0", quota_backend_bytes,
	  "Raise the NOSPACE alarm when the database exceeds this size (0 means 2 GiB)."),
	F("snapshot-count", FLAG_UINT64, "100000", snapshot_count,
	  "Number of applied entries that triggers a snapshot to disk."),
	F("max-wals", FLAG_UINT64, "5", max_wals,
	  "Maximum number of wal files to retain (0 is unlimited)."),
	F("max-snapshots", FLAG_UINT64, "5", max_snapshots,
	  "Maximum number of snapshot files to retain (0 is unlimited)."),
	S("Logging"),
	F("log-level", FLAG_STRING, "info", log_level,
	  "Configures log level. Only supports debug, info, warn, error, panic, or fatal."),
	S("Help"),
	F("version", FLAG_BOOL, "false", version,
	  "Print the version and exit."),
	F("help", FLAG_BOOL, "false", help,
	  "Show this help and exit."),
};

const size_t storaged_flag_count = sizeof(storaged_flag_defs) / sizeof(storaged_flag_defs[0]);
