/*
 * options.h - cetcd's configuration: the values of its flags.
 *
 * Filled by flag_parse_args()/flag_parse_env() from cetcd_flag_defs[]
 * (daemon/flags_table.c), or by config_file_load() from a YAML
 * --config-file, then checked and completed by daemon/config_check.c;
 * read-only once main() starts storaged.  Strings point into argv, the
 * environment, static defaults or memory kept for the life of the process
 * (config_keep()); none is ever freed.
 */
#ifndef CETCD_DAEMON_OPTIONS_H
#define CETCD_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/flags.h"

struct cetcd_config {
	const char *config_file;
	/* Member */
	const char *name;
	const char *data_dir;		/* "${name}.etcd" until main() resolves it */
	const char *wal_dir;
	uint64_t snapshot_count;
	uint64_t heartbeat_interval;	/* ms */
	uint64_t election_timeout;	/* ms */
	const char *listen_peer_urls;
	const char *listen_client_urls;
	uint64_t max_snapshots;
	uint64_t max_wals;
	int64_t quota_backend_bytes;
	uint64_t max_txn_ops;
	uint64_t max_request_bytes;
	uint32_t max_concurrent_streams;	/* parsed only: for the gRPC server */
	/* Clustering */
	const char *initial_advertise_peer_urls;
	const char *initial_cluster;	/* "name=<advertise peer urls>" when only --name is given */
	const char *initial_cluster_state;
	const char *initial_cluster_token;
	const char *advertise_client_urls;	/* "" when --listen-client-urls is given alone */
	const char *auto_compaction_mode;	/* "periodic" or "revision" (or "") */
	const char *auto_compaction_retention;	/* as given: "0", "12", "5m", "1h30m" */
	/* Profiling and monitoring */
	const char *listen_metrics_urls;	/* parsed only: "" or validated bind URLs */
	/* Storage process */
	const char *storaged_socket;
	const char *storaged_path;
	/* Logging */
	const char *logger;		/* "zap" or "capnslog" */
	const char *log_outputs;	/* comma-separated, as given */
	const char *log_level;
	bool version;
	bool help;

	/* Derived by config_check (not flags). */
	/* etcd's parseCompactionRetention: in "periodic" mode the retention
	 * window in nanoseconds (a plain number is hours); in "revision" mode
	 * the number of revisions to keep.  0: auto compaction is off. */
	int64_t auto_compaction_retention_value;
};

extern const struct flag_def cetcd_flag_defs[];
extern const size_t cetcd_flag_count;

/* etcd's usage text (etcdmain/help.go usageline), for cetcd: printed after
 * a command-line error and, to stderr, before --help's flag list. */
extern const char cetcd_usage[];

#endif
