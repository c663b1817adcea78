/*
 * config_check.h - etcd 3.4's checks of a whole configuration, across
 * flags, with etcd's error texts: embed.Config.setupLogging and Validate,
 * UpdateDefaultClusterFromName, parseCompactionRetention, and the bootstrap
 * checks of etcdserver (VerifyBootstrap, VerifyJoinExisting).
 *
 * Every check writes etcd's error text (without etcd's "error verifying
 * flags, " prefix or the "See 'etcd --help'" suffix) to err, always
 * NUL-terminated; the caller decides how to log it and the exit status,
 * as etcdmain does.
 */
#ifndef CETCD_DAEMON_CONFIG_CHECK_H
#define CETCD_DAEMON_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"
#include "daemon/options.h"

enum {
	CONFIG_OK = 0,
	CONFIG_EINVALID = -1,		/* err says why; etcd exits 1 */
	CONFIG_EUNSET_ADVERTISE = -2,	/* etcd's ErrUnsetAdvertiseClientURLsFlag */
	CONFIG_EPANIC = -3,		/* etcd panics (unknown --log-level): exit 2 */
};

/* Keeps s (malloc'd, or NULL) for the life of the process and returns it:
 * configuration strings built at start-up are never freed, and stay
 * reachable so that leak checkers do not report them. */
const char *config_keep(char *s);

/* etcd's setupLogging: --logger ("zap" or "capnslog", else
 * "unknown logger option \"x\""), --log-outputs and --log-level.  On
 * success fills out (opening a file output, O_APPEND|O_CREAT, kept open)
 * and sets *note to a warning to log once logging is configured, or NULL.
 * An unknown level is CONFIG_EPANIC with "unknown level \"x\"". */
int config_check_logging(const struct cetcd_config *cfg, struct log_config *out,
    const char **note, char *err, size_t errlen);

/* The rest of embed.Config.Validate, in etcd's order: bind URLs,
 * advertised URLs, --initial-cluster-state, heartbeat and election
 * timeouts, advertised client URLs, --auto-compaction-mode.
 * no_advertise: --listen-client-urls was given without
 * --advertise-client-urls on the command line (etcd then drops the
 * default advertised URLs, and fails last with CONFIG_EUNSET_ADVERTISE). */
int config_validate(const struct cetcd_config *cfg, bool no_advertise, char *err, size_t errlen);

/* etcd's UpdateDefaultClusterFromName: when --name is not "default" and
 * --initial-cluster is still the default, the cluster becomes
 * "<name>=<each advertised peer URL>".  Returns 0, or -1 out of memory. */
int config_default_cluster(struct cetcd_config *cfg);

/* What etcd checks as the server starts (embed.StartEtcd, NewServer):
 * unless the member is initialized (its WAL exists), --initial-cluster
 * parses ("error setting up initial cluster: ..."); the retention parses
 * ("error parsing CompactionRetention: time: invalid duration \"x\"") and
 * is stored in cfg->auto_compaction_retention_value; then, for a new
 * member, VerifyBootstrap (local name, advertised peer URLs as listed in
 * the cluster, duplicate URLs), for an existing one VerifyJoinExisting. */
int config_check_bootstrap(struct cetcd_config *cfg, bool initialized, char *err, size_t errlen);

/* Whether the member was initialized before: a *.wal file in wal_dir, or
 * in data_dir/member/wal when wal_dir is empty (etcd's wal.Exist). */
bool config_member_initialized(const struct cetcd_config *cfg);

/* Go's time.ParseDuration, to nanoseconds; its error text in err. */
int config_parse_duration(const char *s, int64_t *ns, char *err, size_t errlen);

#endif
