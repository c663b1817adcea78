/*
 * config_main.h - cetcd's start-up configuration, in etcdmain's order:
 * flags, --version, the configuration file or the ETCD_* environment,
 * logging, validation, the default initial cluster, the data dir and the
 * bootstrap checks, each error said (and the exit status chosen) as
 * etcd 3.4 does.
 */
#ifndef CETCD_DAEMON_CONFIG_MAIN_H
#define CETCD_DAEMON_CONFIG_MAIN_H

#include <stddef.h>

#include "daemon/options.h"

/* config_main_load() returns this when cetcd should go on and serve. */
#define CONFIG_MAIN_CONTINUE (-1)

/* Fills cfg from argv, the environment or --config-file, configures
 * common/log.h, checks everything, and resolves the data dir into
 * data_dir (when it is the default "${name}.etcd").  Returns
 * CONFIG_MAIN_CONTINUE, or the status main() must exit with (0 after
 * --help or --version, 2 for a command-line error or an unknown
 * --log-level, 1 for the rest), the reason already written.  Some fatal
 * errors exit(1) from here, as etcd's do. */
int config_main_load(struct cetcd_config *cfg, int argc, char **argv,
    char *data_dir, size_t data_dir_len);

#endif
