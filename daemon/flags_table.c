/*
 * flags_table.c - every flag cetcd accepts: the single source for parsing,
 * the ETCD_* environment variables and --help (man/cetcd.8 is checked
 * against --help by tests/check_manpages.sh).
 *
 * Names, defaults and help follow etcd 3.4's `etcd --help`.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/urls.h"
#include "daemon/options.h"

/* Go's flag package validates URL lists as they are parsed (etcd's
 * URLsValue.Set): the error is etcd's. */
static int check_urls(const char *v, char *why, size_t n)
{
	struct url_list l;

	if (urls_parse_list(v, &l, why, n) != 0)
		return -1;
	urls_list_free(&l);
	return 0;
}

static int check_cluster_state(const char *v, char *why, size_t n)
{
	if (strcmp(v, "new") == 0 || strcmp(v, "existing") == 0)
		return 0;
	snprintf(why, n, "invalid value");
	return -1;
}

#define S(name) { name, FLAG_SECTION, NULL, 0, NULL, NULL }
#define F(name, type, def, field, help) \
	{ name, type, def, offsetof(struct cetcd_config, field), help, NULL }
#define FC(name, type, def, field, help, check) \
	{ name, type, def, offsetof(struct cetcd_config, field), help, check }

const struct flag_def cetcd_flag_defs[] = {
	S("Member"),
	F("name", FLAG_STRING, "default", name,
	  "Human-readable name for this member."),
	F("data-dir", FLAG_STRING, "${name}.etcd", data_dir,
	  "Path to the data directory."),
	F("wal-dir", FLAG_STRING, "", wal_dir,
	  "Path to the dedicated wal directory."),
	F("snapshot-count", FLAG_UINT64, "100000", snapshot_count,
	  "Number of committed transactions to trigger a snapshot to disk."),
	F("heartbeat-interval", FLAG_UINT64, "100", heartbeat_interval,
	  "Time (in milliseconds) of a heartbeat interval."),
	F("election-timeout", FLAG_UINT64, "1000", election_timeout,
	  "Time (in milliseconds) for an election to timeout."),
	FC("listen-peer-urls", FLAG_STRING, "http://localhost:2380", listen_peer_urls,
	  "List of URLs to listen on for peer traffic.", check_urls),
	FC("listen-client-urls", FLAG_STRING, "http://localhost:2379", listen_client_urls,
	  "List of URLs to listen on for client traffic.", check_urls),
	F("max-snapshots", FLAG_UINT64, "5", max_snapshots,
	  "Maximum number of snapshot files to retain (0 is unlimited)."),
	F("max-wals", FLAG_UINT64, "5", max_wals,
	  "Maximum number of wal files to retain (0 is unlimited)."),
	F("quota-backend-bytes", FLAG_INT64, "0", quota_backend_bytes,
	  "Raise alarms when backend size exceeds the given quota (0 defaults to low space quota)."),
	F("max-txn-ops", FLAG_UINT64, "128", max_txn_ops,
	  "Maximum number of operations permitted in a transaction."),
	F("max-request-bytes", FLAG_UINT64, "1572864", max_request_bytes,
	  "Maximum client request size in bytes the server will accept."),
	S("Clustering"),
	FC("initial-advertise-peer-urls", FLAG_STRING, "http://localhost:2380",
	  initial_advertise_peer_urls,
	  "List of this member's peer URLs to advertise to the rest of the cluster.", check_urls),
	F("initial-cluster", FLAG_STRING, "default=http://localhost:2380", initial_cluster,
	  "Initial cluster configuration for bootstrapping."),
	FC("initial-cluster-state", FLAG_STRING, "new", initial_cluster_state,
	  "Initial cluster state ('new' or 'existing').", check_cluster_state),
	F("initial-cluster-token", FLAG_STRING, "etcd-cluster", initial_cluster_token,
	  "Initial cluster token for the etcd cluster during bootstrap."),
	FC("advertise-client-urls", FLAG_STRING, "http://localhost:2379", advertise_client_urls,
	  "List of this member's client URLs to advertise to the public.", check_urls),
	S("Storage process"),
	F("storaged-socket", FLAG_STRING, "", storaged_socket,
	  "Unix socket of a cetcd-storaged started separately; when empty, cetcd starts and supervises its own."),
	F("storaged-path", FLAG_STRING, "", storaged_path,
	  "Path to the cetcd-storaged program to start; when empty, the one beside cetcd, then the installed one."),
	S("Logging"),
	F("logger", FLAG_STRING, "zap", logger,
	  "Currently only supports 'zap' for structured logging."),
	F("log-level", FLAG_STRING, "info", log_level,
	  "Configures log level. Only supports debug, info, warn, error, panic, or fatal."),
	S("Help"),
	F("version", FLAG_BOOL, "false", version,
	  "Print the version and exit."),
	F("help", FLAG_BOOL, "false", help,
	  "Show this help and exit."),
};

const size_t cetcd_flag_count = sizeof(cetcd_flag_defs) / sizeof(cetcd_flag_defs[0]);
