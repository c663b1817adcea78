/*
 * flags_table.c - every flag cetcd accepts: the single source for parsing,
 * the ETCD_* environment variables, the YAML --config-file keys (the same
 * names, as etcd's embed.Config json tags) and --help (man/cetcd.8 is
 * checked against --help by tests/check_manpages.sh).
 *
 * Names, defaults and help texts are etcd 3.4's (`etcd --help`), except:
 * --logger defaults to zap (etcd 3.4: capnslog, deprecated), and
 * --max-concurrent-streams shows its value rather than 'math.MaxUint32'.
 * Holds no state; runs in cetcd only.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/urls.h"
#include "daemon/options.h"

/* etcd's flags.UniqueURLs.Set validates URL lists as they are parsed, so a
 * bad one is a usage error (exit 2) with types.NewURLs' text.  "" is one of
 * the allowed exceptions etcd gives every URL flag. */
static int check_urls(const char *v, char *why, size_t n)
{
	struct url_list l;

	if (*v == '\0')
		return 0;
	if (urls_parse_list(v, &l, why, n) != 0)
		return -1;
	urls_list_free(&l);
	return 0;
}

/* etcd's flags.SelectiveStringValue: its error is just "invalid value". */
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
	S("Configuration file"),
	F("config-file", FLAG_STRING, "", config_file,
	  "Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored."),
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
	  "Time (in milliseconds) for an election to timeout. See tuning documentation for details."),
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
	F("max-concurrent-streams", FLAG_UINT32, "4294967295", max_concurrent_streams,
	  "Maximum concurrent streams that each client can open at a time."),
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
	F("auto-compaction-retention", FLAG_STRING, "0", auto_compaction_retention,
	  "Auto compaction retention length. 0 means disable auto compaction."),
	F("auto-compaction-mode", FLAG_STRING, "periodic", auto_compaction_mode,
	  "Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention."),
	S("Profiling and Monitoring"),
	FC("listen-metrics-urls", FLAG_STRING, "", listen_metrics_urls,
	  "List of URLs to listen on for the metrics and health endpoints.", check_urls),
	S("Storage process"),
	F("storaged-socket", FLAG_STRING, "", storaged_socket,
	  "Unix socket of a cetcd-storaged started separately; when empty, cetcd starts and supervises its own."),
	F("storaged-path", FLAG_STRING, "", storaged_path,
	  "Path to the cetcd-storaged program to start; when empty, the one beside cetcd, then the installed one."),
	S("Logging"),
	F("logger", FLAG_STRING, "zap", logger,
	  "Specify 'zap' for structured logging or 'capnslog'. [WARN] 'capnslog' will be deprecated in v3.5."),
	F("log-outputs", FLAG_STRING, "default", log_outputs,
	  "Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets."),
	F("log-level", FLAG_STRING, "info", log_level,
	  "Configures log level. Only supports debug, info, warn, error, panic, or fatal."),
	S("Help"),
	F("version", FLAG_BOOL, "false", version,
	  "Print the version and exit."),
	F("help", FLAG_BOOL, "false", help,
	  "Show this help and exit."),
};

const size_t cetcd_flag_count = sizeof(cetcd_flag_defs) / sizeof(cetcd_flag_defs[0]);

/* etcd's usageline, less the gateway and grpc-proxy commands cetcd does
 * not have. */
const char cetcd_usage[] =
	"Usage:\n"
	"\n"
	"  cetcd [flags]\n"
	"    Start an etcd server.\n"
	"\n"
	"  cetcd --version\n"
	"    Show the version of etcd.\n"
	"\n"
	"  cetcd -h | --help\n"
	"    Show the help information about etcd.\n"
	"\n"
	"  cetcd --config-file\n"
	"    Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.\n"
	"\n";
