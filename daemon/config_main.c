/*
 * config_main.c - cetcd's start-up configuration sequence, after etcd 3.4's
 * etcdmain (config.go parse/configFromCmdLine/configFromFile and the start
 * of etcd.go startEtcdOrProxyV2), with its messages and exit statuses.
 *
 * Two phases, as in etcd: until the logger is set up, messages are plain
 * lines (etcd's capnslog); after, the configured format (zap JSON by
 * default).  In configuration-file mode every error is plain, since etcd
 * only adopts the file's logger once the whole file is valid.
 *
 * Owns nothing after it returns (strings are kept by config_keep).  Runs in
 * cetcd's main thread before the event loop exists.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/flags.h"
#include "common/log.h"
#include "common/version.h"
#include "daemon/config_check.h"
#include "daemon/config_file.h"
#include "daemon/config_main.h"

/* etcd's pkg/flags messages for the environment. */
static void on_env(void *arg, enum flag_env_event ev, const char *key, const char *value)
{
	char q[512];

	(void)arg;
	switch (ev) {
	case FLAG_ENV_USED:
		log_infof("recognized and used environment variable %s=%s", key, value);
		break;
	case FLAG_ENV_UNRECOGNIZED:
		log_warnf("unrecognized environment variable %s", key);
		break;
	case FLAG_ENV_CONFLICT:
		log_emitf(LOG_FATAL, __FILE__, __LINE__,
		    "conflicting environment variable %s is shadowed by corresponding command-line flag (either unset environment variable or disable flag)",
		    flag_go_quote(key, q, sizeof(q)));
		exit(1);
	}
}

/* etcd's error line while it has no zap logger (etcdmain/etcd.go). */
static int verify_failed_plain(const char *err)
{
	log_errorf("error verifying flags, %s. See 'cetcd --help'.", err);
	return 1;
}

static void loading_plain(const char *path)
{
	char q[4200];

	log_infof("Loading server configuration from %s. Other configuration command line flags and environment variables will be ignored if provided.",
	    flag_go_quote(path, q, sizeof(q)));
}

int config_main_load(struct cetcd_config *cfg, int argc, char **argv,
    char *data_dir, size_t data_dir_len)
{
	struct flag_set fs = {
		.prog = "cetcd", .env_prefix = "ETCD", .usage = cetcd_usage,
		.defs = cetcd_flag_defs, .ndefs = cetcd_flag_count,
	};
	struct config_file_ignored ign = { .n = 0 };
	struct log_config plain = { LOG_INFO, LOG_FORMAT_PLAIN, 2 }, lc;
	const char *path, *note = NULL;
	bool no_advertise = false, zap;
	char err[4096];
	int rc, lrc, vrc;

	log_configure(&plain);
	if (flag_parse_args(&fs, cfg, argc, argv, stderr) != FLAG_OK)
		return 2;
	if (cfg->help) {
		flag_print_help(&fs, stdout);
		return 0;
	}
	if (fs.nargs > 0) {
		snprintf(err, sizeof(err), "'%s' is not a valid flag", fs.args[0]);
		return verify_failed_plain(err);
	}
	if (cfg->version) {
		version_print(stdout, "cetcd");
		return 0;
	}

	/* The file is looked up before the environment is applied, because
	 * a file means the environment is ignored. */
	path = cfg->config_file;
	if (!*path && getenv("ETCD_CONFIG_FILE"))
		path = getenv("ETCD_CONFIG_FILE");
	if (*path) {
		rc = config_file_load(path, cfg, &ign, err, sizeof(err));
		if (rc == CONFIG_FILE_EURL) {
			/* etcd writes this one bare and exits 1. */
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		if (rc != CONFIG_FILE_OK) {
			loading_plain(path);
			return verify_failed_plain(err);
		}
		cfg->config_file = path;
	} else {
		rc = flag_parse_env(&fs, cfg, on_env, NULL, err, sizeof(err));
		if (rc != FLAG_OK)
			return verify_failed_plain(err);
		/* etcd drops the default advertised client URLs when only
		 * the listening ones are given. */
		no_advertise = flag_is_set(&fs, "listen-client-urls") &&
		    !flag_is_set(&fs, "advertise-client-urls");
	}

	/* embed.Config.Validate starts with setupLogging. */
	if (strcmp(cfg->logger, "capnslog") == 0)
		fputs("[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead\n", stderr);
	lrc = config_check_logging(cfg, &lc, &note, err, sizeof(err));
	if (lrc == CONFIG_EPANIC) {
		/* etcd panics here (pkg/logutil): Go prints "panic: ..." and
		 * exits 2. */
		fprintf(stderr, "panic: %s\n", err);
		return 2;
	}
	vrc = lrc == CONFIG_OK ? config_validate(cfg, no_advertise, err, sizeof(err)) : lrc;
	zap = strcmp(cfg->logger, "zap") == 0;

	if (*path) {
		if (vrc != CONFIG_OK) {
			loading_plain(path);
			return verify_failed_plain(err);
		}
		log_configure(&lc);
		if (zap)
			log_info("loaded server configuration, other configuration command line flags and environment variables will be ignored if provided",
			    LOG_STR("path", path));
		else
			loading_plain(path);
	} else {
		if (lrc != CONFIG_OK)
			return verify_failed_plain(err);
		log_configure(&lc);
		if (vrc != CONFIG_OK) {
			if (zap) {
				log_warn("failed to verify flags", LOG_ERR(err));
				if (vrc == CONFIG_EUNSET_ADVERTISE)
					log_warn("advertise client URLs are not set", LOG_ERR(err));
			} else {
				verify_failed_plain(err);
				if (vrc == CONFIG_EUNSET_ADVERTISE)
					log_errorf("When listening on specific address(es), this etcd process must advertise accessible url(s) to each connected client.");
			}
			return 1;
		}
	}
	if (note)
		log_warn(note, LOG_STR("log-outputs", cfg->log_outputs));
	for (size_t i = 0; i < ign.n; i++)
		log_warn("cetcd does not implement this configuration file key; ignored",
		    LOG_STR("key", ign.keys[i]));

	if (config_default_cluster(cfg) != 0)
		log_fatal("cannot set up the initial cluster", LOG_ERRNO(ENOMEM));

	/* etcd's default data dir is "${name}.etcd", expanded at start-up. */
	if (!*cfg->data_dir || strcmp(cfg->data_dir, "${name}.etcd") == 0) {
		if (snprintf(data_dir, data_dir_len, "%s.etcd", cfg->name) >= (int)data_dir_len)
			log_fatal("--name is too long for the default data dir", LOG_STR("name", cfg->name));
		cfg->data_dir = data_dir;
		if (zap)
			log_warn("'data-dir' was empty; using default", LOG_STR("data-dir", cfg->data_dir));
		else
			log_warnf("no data-dir provided, using default data-dir ./%s", cfg->data_dir);
	}

	/* What etcd finds wrong only as it starts the server: it answers
	 * with these two lines (zap) or one fatal line (capnslog).  Its
	 * embed.StartEtcd validates the configuration once more, repeating
	 * the capnslog warning. */
	if (!zap)
		fputs("[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead\n", stderr);
	if (config_check_bootstrap(cfg, config_member_initialized(cfg), err, sizeof(err)) != CONFIG_OK) {
		if (zap) {
			log_warn("failed to start etcd", LOG_ERR(err));
			log_fatal("discovery failed", LOG_ERR(err));
		}
		log_emitf(LOG_FATAL, __FILE__, __LINE__, "%s", err);
		exit(1);
	}
	return CONFIG_MAIN_CONTINUE;
}
