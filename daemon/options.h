/*
 * options.h - cetcd's configuration: the values of its flags.
 *
 * Filled by flag_parse() from daemon_flags[] (daemon/flags_table.c); read-only
 * after start-up.  Strings point into argv, the environment or static
 * defaults and are never freed.
 */
#ifndef CETCD_DAEMON_OPTIONS_H
#define CETCD_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/flags.h"

struct cetcd_config {
	const char *name;
	const char *data_dir;
	const char *wal_dir;
	uint64_t snapshot_count;
	uint64_t heartbeat_interval;
	uint64_t election_timeout;
	const char *listen_peer_urls;
	const char *listen_client_urls;
	const char *advertise_client_urls;
	const char *initial_advertise_peer_urls;
	const char *initial_cluster;
	const char *initial_cluster_state;
	const char *initial_cluster_token;
	uint64_t max_snapshots;
	uint64_t max_wals;
	int64_t quota_backend_bytes;
	uint64_t max_txn_ops;
	uint64_t max_request_bytes;
	const char *storaged_socket;
	const char *storaged_path;
	const char *logger;
	const char *log_level;
	bool version;
	bool help;
};

extern const struct flag_def cetcd_flag_defs[];
extern const size_t cetcd_flag_count;

#endif
