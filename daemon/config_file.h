/*
 * config_file.h - etcd 3.4's YAML --config-file (embed.ConfigFromFile).
 *
 * The keys are etcd's (embed.Config json tags), which are the flag names:
 * name, data-dir, listen-client-urls, initial-cluster, log-outputs (a
 * list), ...; cetcd's own storaged-socket and storaged-path too.  As in
 * etcd, a key is matched exactly, else case-insensitively; unknown keys are
 * ignored; a key given twice keeps its last value; a null value leaves the
 * default; and the errors are etcd's, e.g.
 *   open c.yml: no such file or directory
 *   error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context
 *   error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string
 *     into Go struct field configYAML.heartbeat-interval of type uint
 * (of several type errors, the one of the first key in sorted order, as
 * etcd's YAML-to-JSON conversion sorts them).
 */
#ifndef CETCD_DAEMON_CONFIG_FILE_H
#define CETCD_DAEMON_CONFIG_FILE_H

#include <stddef.h>

#include "daemon/options.h"

enum {
	CONFIG_FILE_OK = 0,
	/* err is etcd's error; etcd reports it as
	 * "error verifying flags, <err>. See 'etcd --help'." and exits 1 */
	CONFIG_FILE_EINVALID = -1,
	/* a bad URL list: err is the whole line etcd prints to stderr,
	 * "unexpected error setting up listen-client-urls: <why>", exit 1 */
	CONFIG_FILE_EURL = -2,
};

#define CONFIG_FILE_MAX_IGNORED 16

/* etcd keys the file set that cetcd does not implement (for a warning). */
struct config_file_ignored {
	char keys[CONFIG_FILE_MAX_IGNORED][64];
	size_t n;
};

/* Fills cfg with the defaults of cetcd_flag_defs[], then the file's keys.
 * Strings are kept for the life of the process (config_keep).  ign may be
 * NULL. */
int config_file_load(const char *path, struct cetcd_config *cfg,
    struct config_file_ignored *ign, char *err, size_t errlen);

/* The same from a buffer (for tests); path is only for messages. */
int config_file_parse(const char *text, size_t len, struct cetcd_config *cfg,
    struct config_file_ignored *ign, char *err, size_t errlen);

#endif
