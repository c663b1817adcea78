/*
 * check_config_file.c - the YAML --config-file reader and etcd's cross-flag
 * checks (daemon/config_file.c, daemon/config_check.c), against the texts
 * etcd 3.4.23 prints for the same input (tests/e2e/flags_vs_etcd.sh runs
 * the real etcd beside cetcd for the whole program).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config_check.h"
#include "daemon/config_file.h"
#include "daemon/options.h"

static struct cetcd_config cfg;
static struct config_file_ignored ign;
static char err[4096];

static int load(const char *yaml)
{
	memset(err, 0, sizeof(err));
	return config_file_parse(yaml, strlen(yaml), &cfg, &ign, err, sizeof(err));
}

#define TYPE_ERR "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "

START_TEST(defaults)
{
	ck_assert_int_eq(load(""), CONFIG_FILE_OK);
	ck_assert_str_eq(cfg.name, "default");
	ck_assert_str_eq(cfg.initial_cluster, "default=http://localhost:2380");
	ck_assert_uint_eq(cfg.heartbeat_interval, 100);
	ck_assert_uint_eq(cfg.max_concurrent_streams, 4294967295u);
	ck_assert_str_eq(cfg.logger, "zap");
	ck_assert_str_eq(cfg.log_outputs, "default");
	ck_assert_str_eq(cfg.config_file, "");
	ck_assert_int_eq(load("# only a comment\n"), CONFIG_FILE_OK);
	ck_assert_int_eq(load("~\n"), CONFIG_FILE_OK);
}
END_TEST

START_TEST(values)
{
	ck_assert_int_eq(load(
	    "name: infra1\n"
	    "data-dir: /var/lib/x\n"
	    "snapshot-count: 1e3\n"		/* a float that is whole: fine */
	    "max-wals: 0x10\n"
	    "max-snapshots: 1_0\n"
	    "max-txn-ops: 07\n"
	    "quota-backend-bytes: -1\n"
	    "max-concurrent-streams: 4294967295\n"
	    "initial-cluster-token: '123'\n"	/* quoted: a string */
	    "listen-client-urls: http://127.0.0.1:1,http://127.0.0.1:2\n"
	    "log-outputs: [stderr, /tmp/x.log]\n"
	    "auto-compaction-retention: \"5\"\n"
	    "storaged-socket: /run/s.sock\n"
	    "initial-cluster-state:\n"		/* null: default kept */
	    "enable-v2: true\n"			/* etcd's, not cetcd's */
	    "client-transport-security: {cert-file: a}\n"
	    "whatever: 1\n"),			/* unknown: ignored */
	    CONFIG_FILE_OK);
	ck_assert_str_eq(cfg.name, "infra1");
	ck_assert_str_eq(cfg.data_dir, "/var/lib/x");
	ck_assert_uint_eq(cfg.snapshot_count, 1000);
	ck_assert_uint_eq(cfg.max_wals, 16);
	ck_assert_uint_eq(cfg.max_snapshots, 10);
	ck_assert_uint_eq(cfg.max_txn_ops, 7);
	ck_assert_int_eq(cfg.quota_backend_bytes, -1);
	ck_assert_str_eq(cfg.initial_cluster_token, "123");
	ck_assert_str_eq(cfg.listen_client_urls, "http://127.0.0.1:1,http://127.0.0.1:2");
	ck_assert_str_eq(cfg.log_outputs, "stderr,/tmp/x.log");
	ck_assert_str_eq(cfg.auto_compaction_retention, "5");
	ck_assert_str_eq(cfg.storaged_socket, "/run/s.sock");
	ck_assert_str_eq(cfg.initial_cluster_state, "new");
	ck_assert_uint_eq(ign.n, 2);
	ck_assert_str_eq(ign.keys[0], "client-transport-security");
	ck_assert_str_eq(ign.keys[1], "enable-v2");
	/* Not configuration keys in etcd. */
	ck_assert_int_eq(load("version: true\nhelp: true\nconfig-file: x\n"), CONFIG_FILE_OK);
	ck_assert(!cfg.version);
	ck_assert_str_eq(cfg.config_file, "");
}
END_TEST

START_TEST(keys_as_json_sees_them)
{
	/* The last of a repeated key wins. */
	ck_assert_int_eq(load("name: a\nname: b\n"), CONFIG_FILE_OK);
	ck_assert_str_eq(cfg.name, "b");
	/* Any case matches; the exact name comes last in sorted order. */
	ck_assert_int_eq(load("name: a\nNAME: b\n"), CONFIG_FILE_OK);
	ck_assert_str_eq(cfg.name, "a");
	ck_assert_int_eq(load("Data-Dir: d\n"), CONFIG_FILE_OK);
	ck_assert_str_eq(cfg.data_dir, "d");
}
END_TEST

START_TEST(type_errors)
{
	ck_assert_int_eq(load("name: 123\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number into Go struct field configYAML.name of type string");
	ck_assert_int_eq(load("name: yes\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "bool into Go struct field configYAML.name of type string");
	ck_assert_int_eq(load("name: {a: b}\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "object into Go struct field configYAML.name of type string");
	ck_assert_int_eq(load("heartbeat-interval: abc\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "string into Go struct field configYAML.heartbeat-interval of type uint");
	ck_assert_int_eq(load("heartbeat-interval: -1\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number -1 into Go struct field configYAML.heartbeat-interval of type uint");
	ck_assert_int_eq(load("heartbeat-interval: 1.5\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number 1.5 into Go struct field configYAML.heartbeat-interval of type uint");
	ck_assert_int_eq(load("max-concurrent-streams: 99999999999\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number 99999999999 into Go struct field configYAML.max-concurrent-streams of type uint32");
	ck_assert_int_eq(load("snapshot-count: 99999999999999999999999\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number 1e+23 into Go struct field configYAML.snapshot-count of type uint64");
	ck_assert_int_eq(load("max-wals: 1e20\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number 100000000000000000000 into Go struct field configYAML.max-wals of type uint");
	ck_assert_int_eq(load("quota-backend-bytes: 1e30\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number 1e+30 into Go struct field configYAML.quota-backend-bytes of type int64");
	ck_assert_int_eq(load("log-outputs: stderr\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "string into Go struct field configYAML.log-outputs of type []string");
	ck_assert_int_eq(load("log-outputs: [stderr, 1]\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number into Go struct field configYAML.log-outputs of type string");
	/* The first error in sorted key order. */
	ck_assert_int_eq(load("name: [a]\nheartbeat-interval: x\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "string into Go struct field configYAML.heartbeat-interval of type uint");
	ck_assert_int_eq(load("- a\n- b\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "array into Go value of type embed.configYAML");
	ck_assert_int_eq(load("123\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, TYPE_ERR "number into Go value of type embed.configYAML");
}
END_TEST

START_TEST(syntax_errors)
{
	ck_assert_int_eq(load("name: a\n  b: c\n: x\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context");
	ck_assert_int_eq(load("a: [\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "error converting YAML to JSON: yaml: line 1: did not find expected node content");
	ck_assert_int_eq(load("\t- x\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "error converting YAML to JSON: yaml: found character that cannot start any token");
	ck_assert_int_eq(load("name: \"abc\n"), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "error converting YAML to JSON: yaml: line 2: found unexpected end of stream");
}
END_TEST

START_TEST(url_errors)
{
	ck_assert_int_eq(load("listen-client-urls: foo\n"), CONFIG_FILE_EURL);
	ck_assert_str_eq(err, "unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: foo");
	/* etcd 3.4 names the wrong key for this one. */
	ck_assert_int_eq(load("advertise-client-urls: foo\n"), CONFIG_FILE_EURL);
	ck_assert_str_eq(err, "unexpected error setting up advertise-peer-urls: URL scheme must be http, https, unix, or unixs: foo");
	ck_assert_int_eq(load("listen-metrics-urls: http://a:b:c\n"), CONFIG_FILE_EURL);
	ck_assert_str_eq(err, "unexpected error setting up listen-metrics-urls: parse \"http://a:b:c\": invalid port \":c\" after host");
	/* An empty list keeps the default. */
	ck_assert_int_eq(load("listen-peer-urls: ''\n"), CONFIG_FILE_OK);
}
END_TEST

START_TEST(missing_file)
{
	ck_assert_int_eq(config_file_load("/nonexistent/c.yml", &cfg, NULL, err, sizeof(err)), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "open /nonexistent/c.yml: no such file or directory");
	ck_assert_int_eq(config_file_load("/", &cfg, NULL, err, sizeof(err)), CONFIG_FILE_EINVALID);
	ck_assert_str_eq(err, "read /: is a directory");
}
END_TEST

static void defaults_cfg(void)
{
	ck_assert_int_eq(load(""), CONFIG_FILE_OK);
}

#define VALIDATE(no_adv) config_validate(&cfg, (no_adv), err, sizeof(err))

START_TEST(validate)
{
	defaults_cfg();
	ck_assert_int_eq(VALIDATE(false), CONFIG_OK);
	cfg.election_timeout = 100;
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--election-timeout[100ms] should be at least as 5 times as --heartbeat-interval[100ms]");
	cfg.election_timeout = 60000;
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--election-timeout[60000ms] is too long, and should be set less than 50000ms");
	cfg.election_timeout = 0;
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--election-timeout must be >0 (set to 0ms)");
	cfg.heartbeat_interval = 0;
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--heartbeat-interval must be >0 (set to 0ms)");
	/* 5*heartbeat wraps in Go's uint; so here. */
	cfg.heartbeat_interval = UINT64_C(0x3333333333333334);	/* 5x = 2^64 + 4 */
	cfg.election_timeout = 1000;
	ck_assert_int_eq(VALIDATE(false), CONFIG_OK);

	defaults_cfg();
	ck_assert_int_eq(VALIDATE(true), CONFIG_EUNSET_ADVERTISE);
	ck_assert_str_eq(err, "--advertise-client-urls is required when --listen-client-urls is set explicitly");
	cfg.auto_compaction_mode = "daily";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "unknown auto-compaction-mode \"daily\"");
	cfg.auto_compaction_mode = "";
	ck_assert_int_eq(VALIDATE(false), CONFIG_OK);
	cfg.initial_cluster_state = "bad";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "unexpected clusterState \"bad\"");

	defaults_cfg();
	cfg.listen_client_urls = "http://example.com:1";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "expected IP in URL for binding (http://example.com:1)");
	defaults_cfg();
	cfg.listen_metrics_urls = "http://127.0.0.1:1,http://metrics.local:2";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "expected IP in URL for binding (http://metrics.local:2)");
	defaults_cfg();
	cfg.advertise_client_urls = "http://:1";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--advertise-client-urls \"http://:1\" must be \"host:port\" (unexpected empty host (http://:1))");
	defaults_cfg();
	cfg.initial_advertise_peer_urls = "http://127.0.0.1:5,http://:1";
	ck_assert_int_eq(VALIDATE(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--initial-advertise-peer-urls \"http://127.0.0.1:5,http://:1\" must be \"host:port\" (unexpected empty host (http://:1))");
}
END_TEST

START_TEST(logging)
{
	struct log_config lc;
	const char *note;
	char path[256];

	defaults_cfg();
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_OK);
	ck_assert_int_eq(lc.format, LOG_FORMAT_JSON);
	ck_assert_int_eq(lc.level, LOG_INFO);
	ck_assert_int_eq(lc.fd, 2);
	ck_assert_ptr_null(note);
	cfg.log_level = "warn";
	cfg.log_outputs = "stdout";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_OK);
	ck_assert_int_eq(lc.level, LOG_WARN);
	ck_assert_int_eq(lc.fd, 1);
	cfg.log_level = "dpanic";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_OK);
	cfg.log_level = "loud";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EPANIC);
	ck_assert_str_eq(err, "unknown level \"loud\"");
	cfg.log_level = "info";
	cfg.logger = "glog";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EINVALID);
	ck_assert_str_eq(err, "unknown logger option \"glog\"");
	cfg.logger = "zap";
	cfg.log_outputs = "stderr,default";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EINVALID);
	ck_assert_str_eq(err, "multi logoutput for \"default\" is not supported yet");
	cfg.log_outputs = "/nonexistent/dir/log";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EINVALID);
	ck_assert_str_eq(err, "open sink \"/nonexistent/dir/log\": open /nonexistent/dir/log: no such file or directory");
	snprintf(path, sizeof(path), "%s/check_config_file.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(path));
	char file[300];
	snprintf(file, sizeof(file), "%s/log", path);
	char outs[320];
	snprintf(outs, sizeof(outs), "stdout,%s", file);
	cfg.log_outputs = outs;
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_OK);
	ck_assert_int_gt(lc.fd, 2);	/* "/..." sorts before "stdout" */
	ck_assert_ptr_nonnull(note);
	close(lc.fd);
	ck_assert_int_eq(access(file, F_OK), 0);
	unlink(file);
	rmdir(path);
	cfg.logger = "capnslog";
	cfg.log_outputs = "stderr,stdout";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--logger=capnslog supports only 1 value in '--log-outputs', got [\"stderr\" \"stdout\"]");
	cfg.log_outputs = "syslog";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_EINVALID);
	ck_assert_str_eq(err, "unknown log-output \"syslog\" (only supports \"default\", \"stderr\", \"stdout\")");
	cfg.log_outputs = "default";
	ck_assert_int_eq(config_check_logging(&cfg, &lc, &note, err, sizeof(err)), CONFIG_OK);
	ck_assert_int_eq(lc.format, LOG_FORMAT_PLAIN);
}
END_TEST

START_TEST(durations)
{
	int64_t ns;

	ck_assert_int_eq(config_parse_duration("5m", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 300000000000LL);
	ck_assert_int_eq(config_parse_duration("1h30m", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 5400000000000LL);
	ck_assert_int_eq(config_parse_duration("1.5h", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 5400000000000LL);
	ck_assert_int_eq(config_parse_duration("-5s", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, -5000000000LL);
	ck_assert_int_eq(config_parse_duration("10\xc2\xb5s", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 10000);
	ck_assert_int_eq(config_parse_duration(".5s", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 500000000);
	ck_assert_int_eq(config_parse_duration("0", &ns, err, sizeof(err)), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(config_parse_duration("", &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "time: invalid duration \"\"");
	ck_assert_int_eq(config_parse_duration("abc", &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "time: invalid duration \"abc\"");
	ck_assert_int_eq(config_parse_duration("5", &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "time: missing unit in duration \"5\"");
	ck_assert_int_eq(config_parse_duration("5x", &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "time: unknown unit \"x\" in duration \"5x\"");
	ck_assert_int_eq(config_parse_duration("3000000h", &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "time: invalid duration \"3000000h\"");
}
END_TEST

#define BOOT(init) config_check_bootstrap(&cfg, (init), err, sizeof(err))

START_TEST(bootstrap)
{
	defaults_cfg();
	ck_assert_int_eq(BOOT(false), CONFIG_OK);
	ck_assert_int_eq(cfg.auto_compaction_retention_value, 0);

	/* --name alone: the initial cluster follows it. */
	cfg.name = "m1";
	cfg.initial_advertise_peer_urls = "http://127.0.0.1:2,http://127.0.0.1:1";
	ck_assert_int_eq(config_default_cluster(&cfg), 0);
	ck_assert_str_eq(cfg.initial_cluster, "m1=http://127.0.0.1:1,m1=http://127.0.0.1:2");
	ck_assert_int_eq(BOOT(false), CONFIG_OK);
	cfg.initial_cluster = "m2=http://127.0.0.1:1";
	ck_assert_int_eq(config_default_cluster(&cfg), 0);
	ck_assert_str_eq(cfg.initial_cluster, "m2=http://127.0.0.1:1");
	ck_assert_int_eq(BOOT(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "couldn't find local name \"m1\" in the initial cluster configuration");
	/* An initialized member does not look at --initial-cluster. */
	ck_assert_int_eq(BOOT(true), CONFIG_OK);

	cfg.initial_cluster = "m1=foo";
	ck_assert_int_eq(BOOT(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: foo");
	cfg.initial_cluster = "m1=http://127.0.0.1:1";
	ck_assert_int_eq(BOOT(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--initial-advertise-peer-urls has http://127.0.0.1:2 but missing from --initial-cluster=m1=http://127.0.0.1:1,m1=http://127.0.0.1:2");
	cfg.initial_advertise_peer_urls = "http://127.0.0.1:3";
	ck_assert_int_eq(BOOT(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "--initial-cluster has m1=http://127.0.0.1:1 but missing from --initial-advertise-peer-urls=http://127.0.0.1:3 (resolved urls: \"http://127.0.0.1:3\" != \"http://127.0.0.1:1\")");
	cfg.initial_cluster_state = "existing";
	ck_assert_int_eq(BOOT(false), CONFIG_OK);
	cfg.initial_cluster_state = "new";
	cfg.initial_advertise_peer_urls = "http://127.0.0.1:1";
	cfg.initial_cluster = "m1=http://127.0.0.1:1,m2=http://127.0.0.1:1";
	ck_assert_int_eq(BOOT(false), CONFIG_EINVALID);
	ck_assert_str_eq(err, "initial cluster m1=http://127.0.0.1:1,m2=http://127.0.0.1:1 has duplicate url");
	/* localhost resolves to the loopback address, as etcd resolves it. */
	cfg.initial_advertise_peer_urls = "http://localhost:1";
	cfg.initial_cluster = "m1=http://127.0.0.1:1";
	ck_assert_int_eq(BOOT(false), CONFIG_OK);

	/* parseCompactionRetention */
	cfg.auto_compaction_retention = "12";
	ck_assert_int_eq(BOOT(true), CONFIG_OK);
	ck_assert_int_eq(cfg.auto_compaction_retention_value, 12 * 3600000000000LL);
	cfg.auto_compaction_retention = "90m";
	ck_assert_int_eq(BOOT(true), CONFIG_OK);
	ck_assert_int_eq(cfg.auto_compaction_retention_value, 5400000000000LL);
	cfg.auto_compaction_mode = "revision";
	cfg.auto_compaction_retention = "1000";
	ck_assert_int_eq(BOOT(true), CONFIG_OK);
	ck_assert_int_eq(cfg.auto_compaction_retention_value, 1000);
	cfg.auto_compaction_retention = "abc";
	ck_assert_int_eq(BOOT(true), CONFIG_EINVALID);
	ck_assert_str_eq(err, "error parsing CompactionRetention: time: invalid duration \"abc\"");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_file");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, values);
	tcase_add_test(tc, keys_as_json_sees_them);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, url_errors);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, validate);
	tcase_add_test(tc, logging);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, bootstrap);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
