/*
 * config_file.c - reads a YAML --config-file as etcd 3.4 does: libyaml
 * loads the document; each scalar is typed as go-yaml (YAML 1.1) types
 * plain scalars, then stored as Go's encoding/json would store the JSON
 * that sigs.k8s.io/yaml makes of it, with the same error texts.
 *
 * Owns the parsed document only during a call; the strings it stores into
 * the config are kept for the process's life (config_keep).  Never logs,
 * never exits.  Runs in cetcd, at start-up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/flags.h"
#include "common/urls.h"
#include "daemon/config_check.h"
#include "daemon/config_file.h"

/* A file larger than this is not a configuration file. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* What a YAML node becomes in etcd's YAML-to-JSON step. */
enum json_kind { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

static const char *const json_kind_name[] = {
	[J_NULL] = "null", [J_BOOL] = "bool", [J_NUMBER] = "number",
	[J_STRING] = "string", [J_ARRAY] = "array", [J_OBJECT] = "object",
};

/* Keys of etcd 3.4's configuration file (embed.Config, configYAML,
 * etcdmain's configProxy) that cetcd does not implement: accepted, and
 * named in a warning. */
static const char *const etcd_only_keys[] = {
	"initial-election-tick-advance", "backend-batch-interval", "backend-batch-limit",
	"cipher-suites", "discovery", "discovery-srv", "discovery-srv-name", "discovery-proxy",
	"discovery-fallback", "strict-reconfig-check", "enable-v2", "grpc-keepalive-min-time",
	"grpc-keepalive-interval", "grpc-keepalive-timeout", "pre-vote", "auth-token",
	"bcrypt-cost", "auth-token-ttl", "force-new-cluster", "enable-pprof", "metrics",
	"enable-grpc-gateway", "log-output", "debug", "log-package-levels", "unsafe-no-fsync",
	"cors", "host-whitelist", "client-transport-security", "peer-transport-security",
	"proxy", "proxy-failure-wait", "proxy-refresh-interval", "proxy-dial-timeout",
	"proxy-write-timeout", "proxy-read-timeout",
	"experimental-initial-corrupt-check", "experimental-corrupt-check-time",
	"experimental-enable-v2v3", "experimental-backend-bbolt-freelist-type",
	"experimental-enable-lease-checkpoint", "experimental-enable-lease-checkpoint-persist",
	"experimental-compaction-batch-limit", "experimental-watch-progress-notify-interval",
	"experimental-warning-apply-duration",
};

/* Flags that are not configuration file keys in etcd. */
static bool not_a_key(const char *name)
{
	return strcmp(name, "config-file") == 0 || strcmp(name, "version") == 0 ||
	    strcmp(name, "help") == 0;
}

/* Go's encoding/json formatting of a float64 ('f' between 1e-6 and 1e21,
 * else 'e' with a short exponent), shortest round-trip digits. */
static void go_json_float(double f, char *out, size_t n)
{
	double a = fabs(f);
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(out, n, "%.*g", p, f);
		if (strtod(out, NULL) == f)
			break;
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		snprintf(out, n, "%.*e", p - 1, f);
		/* trim "1.000e+23" mantissa zeros and "e+09" -> "e+9" */
		char *e = strchr(out, 'e'), tail[16];
		if (!e)
			return;
		snprintf(tail, sizeof(tail), "%c%d", e[1], atoi(e + 2));
		char *m = e;
		if (memchr(out, '.', (size_t)(e - out))) {
			while (m[-1] == '0')
				m--;
			if (m[-1] == '.')
				m--;
		}
		snprintf(m, n - (size_t)(m - out), "e%s", tail);
		return;
	}
	/* 'f' with the shortest digits: print with enough decimals, trim. */
	for (int d = 0; d <= 30; d++) {
		snprintf(out, n, "%.*f", d, f);
		if (strtod(out, NULL) == f)
			return;
	}
}

/* go-yaml's resolve() of a plain scalar, and what JSON makes of it.  For a
 * number, *num receives its JSON text. */
static enum json_kind resolve_plain(const char *s, char *num, size_t numlen)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const bools[] = {
		"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
	};
	static const char *const specials[] = {
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
		".nan", ".NaN", ".NAN",
	};
	char plain[128];
	size_t k = 0;
	int64_t i;
	uint64_t u;

	for (size_t j = 0; j < sizeof(nulls) / sizeof(nulls[0]); j++)
		if (strcmp(s, nulls[j]) == 0)
			return J_NULL;
	for (size_t j = 0; j < sizeof(bools) / sizeof(bools[0]); j++)
		if (strcmp(s, bools[j]) == 0)
			return J_BOOL;
	for (size_t j = 0; j < sizeof(specials) / sizeof(specials[0]); j++)
		if (strcmp(s, specials[j]) == 0) {
			snprintf(num, numlen, "%s", s);
			return J_NUMBER;	/* JSON cannot hold it: an error either way */
		}
	if (!(*s == '+' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
		return J_STRING;
	for (const char *c = s; *c && k < sizeof(plain) - 1; c++)
		if (*c != '_')
			plain[k++] = *c;
	plain[k] = '\0';
	if (flag_parse_go_int(plain, 64, &i) == 0) {
		snprintf(num, numlen, "%lld", (long long)i);
		return J_NUMBER;
	}
	if (flag_parse_go_uint(plain, 64, &u) == 0) {
		snprintf(num, numlen, "%llu", (unsigned long long)u);
		return J_NUMBER;
	}
	/* yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
	const char *c = plain;
	bool ok = false;
	if (*c == '+' || *c == '-')
		c++;
	if (*c == '.') {
		c++;
		ok = *c >= '0' && *c <= '9';
		while (*c >= '0' && *c <= '9')
			c++;
	} else if (*c >= '0' && *c <= '9') {
		ok = true;
		while (*c >= '0' && *c <= '9')
			c++;
		if (*c == '.') {
			c++;
			while (*c >= '0' && *c <= '9')
				c++;
		}
	}
	if (ok && (*c == 'e' || *c == 'E')) {
		c++;
		if (*c == '+' || *c == '-')
			c++;
		ok = *c >= '0' && *c <= '9';
		while (*c >= '0' && *c <= '9')
			c++;
	}
	if (ok && *c == '\0') {
		go_json_float(strtod(plain, NULL), num, numlen);
		return J_NUMBER;
	}
	return J_STRING;
}

static enum json_kind node_kind(yaml_node_t *n, char *num, size_t numlen)
{
	if (!n)
		return J_NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return J_STRING;
		return resolve_plain((const char *)n->data.scalar.value, num, numlen);
	case YAML_SEQUENCE_NODE:
		return J_ARRAY;
	case YAML_MAPPING_NODE:
		return J_OBJECT;
	default:
		return J_NULL;
	}
}

/* The Go type etcd's configYAML gives a key. */
static const char *go_type(const struct flag_def *d)
{
	if (strcmp(d->name, "log-outputs") == 0)
		return "[]string";
	if (strcmp(d->name, "snapshot-count") == 0)
		return "uint64";
	switch (d->type) {
	case FLAG_UINT64: return "uint";
	case FLAG_UINT32: return "uint32";
	case FLAG_INT64: return "int64";
	case FLAG_BOOL: return "bool";
	default: return "string";
	}
}

struct type_error {
	char key[128];
	char text[512];
};

static void type_error(struct type_error *te, const char *key, const char *what,
    const struct flag_def *d, const char *type)
{
	/* encoding/json keeps its first error (keys come sorted). */
	if (te->key[0])
		return;
	snprintf(te->key, sizeof(te->key), "%s", key);
	snprintf(te->text, sizeof(te->text),
	    "json: cannot unmarshal %s into Go struct field configYAML.%s of type %s",
	    what, d->name, type ? type : go_type(d));
}

static char *keep_dup(const char *s)
{
	return (char *)config_keep(strdup(s));
}

/* Stores one key's value as encoding/json would.  Returns -1 only when out
 * of memory. */
static int store(struct cetcd_config *cfg, yaml_document_t *doc, const struct flag_def *d,
    const char *key, yaml_node_t *v, struct type_error *te)
{
	char num[128];
	enum json_kind k = node_kind(v, num, sizeof(num));
	char *p = (char *)cfg + d->offset;

	if (k == J_NULL)
		return 0;
	if (strcmp(d->name, "log-outputs") == 0) {
		size_t len = 1;
		char *joined;
		if (k != J_ARRAY) {
			type_error(te, key, json_kind_name[k], d, NULL);
			return 0;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(doc, *it);
			enum json_kind ek = node_kind(e, num, sizeof(num));
			if (ek != J_STRING && ek != J_NULL) {
				type_error(te, key, json_kind_name[ek], d, "string");
				return 0;
			}
			if (ek == J_STRING)
				len += strlen((const char *)e->data.scalar.value) + 1;
		}
		joined = malloc(len);
		if (!joined)
			return -1;
		joined[0] = '\0';
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(doc, *it);
			if (*joined)
				strcat(joined, ",");
			if (node_kind(e, num, sizeof(num)) == J_STRING)
				strcat(joined, (const char *)e->data.scalar.value);
		}
		if (!config_keep(joined))
			return -1;
		/* An empty list is etcd's "no outputs": the default. */
		*(const char **)p = *joined ? joined : "default";
		return 0;
	}
	switch (d->type) {
	case FLAG_STRING:
		if (k != J_STRING) {
			type_error(te, key, json_kind_name[k], d, NULL);
			return 0;
		}
		if (!(*(const char **)p = keep_dup((const char *)v->data.scalar.value)))
			return -1;
		return 0;
	case FLAG_UINT64:
	case FLAG_UINT32:
	case FLAG_INT64: {
		char what[160];
		uint64_t u;
		int64_t i;
		if (k != J_NUMBER) {
			type_error(te, key, json_kind_name[k], d, NULL);
			return 0;
		}
		snprintf(what, sizeof(what), "number %s", num);
		/* json: strconv.ParseUint/ParseInt(text, 10, 64), then
		 * the field's size. */
		bool dec = num[0] != '\0' && strspn(num + (num[0] == '-'), "0123456789") == strlen(num + (num[0] == '-'));
		if (d->type == FLAG_INT64) {
			if (!dec || flag_parse_go_int(num, 64, &i) != 0) {
				type_error(te, key, what, d, NULL);
				return 0;
			}
			*(int64_t *)p = i;
			return 0;
		}
		if (!dec || num[0] == '-' || flag_parse_go_uint(num[0] == '0' ? "0" : num, 64, &u) != 0 ||
		    (d->type == FLAG_UINT32 && u > UINT32_MAX)) {
			type_error(te, key, what, d, NULL);
			return 0;
		}
		if (d->type == FLAG_UINT32)
			*(uint32_t *)p = (uint32_t)u;
		else
			*(uint64_t *)p = u;
		return 0;
	}
	case FLAG_BOOL:
		if (k != J_BOOL) {
			type_error(te, key, json_kind_name[k], d, NULL);
			return 0;
		}
		{
			const char *s = (const char *)v->data.scalar.value;
			*(bool *)p = strchr("yYoOtT", s[0]) && strcmp(s, "off") && strcmp(s, "Off") && strcmp(s, "OFF");
		}
		return 0;
	case FLAG_SECTION:
		break;
	}
	return 0;
}

struct key_pair {
	const char *key;
	yaml_node_t *value;
	size_t pos;		/* in the document, to keep the last duplicate */
};

static int by_key(const void *a, const void *b)
{
	const struct key_pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* One key of the mapping: a flag's, an etcd key cetcd ignores (noted in
 * ign), or an unknown one (ignored, as by etcd). */
static int apply_key(struct cetcd_config *cfg, yaml_document_t *doc, const char *key,
    yaml_node_t *vn, struct config_file_ignored *ign, struct type_error *te)
{
	const struct flag_def *d = NULL;
	char num[128];

	/* encoding/json: the exact name, else any case. */
	for (int pass = 0; pass < 2 && !d; pass++)
		for (size_t i = 0; i < cetcd_flag_count && !d; i++) {
			const struct flag_def *c = &cetcd_flag_defs[i];
			if (c->type == FLAG_SECTION || not_a_key(c->name))
				continue;
			if (pass == 0 ? strcmp(c->name, key) == 0 : strcasecmp(c->name, key) == 0)
				d = c;
		}
	if (d)
		return store(cfg, doc, d, key, vn, te);
	for (size_t i = 0; ign && i < sizeof(etcd_only_keys) / sizeof(etcd_only_keys[0]); i++)
		if (strcasecmp(etcd_only_keys[i], key) == 0 &&
		    node_kind(vn, num, sizeof(num)) != J_NULL && ign->n < CONFIG_FILE_MAX_IGNORED)
			snprintf(ign->keys[ign->n++], sizeof(ign->keys[0]), "%s", etcd_only_keys[i]);
	return 0;
}

/* go-yaml's parser.fail(): "yaml: line N: <problem>". */
static void yaml_error(const yaml_parser_t *p, char *err, size_t errlen)
{
	size_t line = 0;
	char where[32] = "";

	if (p->problem_mark.line != 0) {
		line = p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->context_mark.line != 0) {
		line = p->context_mark.line;
	}
	if (line)
		snprintf(where, sizeof(where), "line %zu: ", line);
	snprintf(err, errlen, "error converting YAML to JSON: yaml: %s%s", where,
	    p->problem ? p->problem : "unknown problem parsing YAML content");
}

static void set_defaults(struct cetcd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < cetcd_flag_count; i++)
		if (cetcd_flag_defs[i].type != FLAG_SECTION)
			flag_set_value(&cetcd_flag_defs[i], cfg, cetcd_flag_defs[i].def);
}

/* etcd's configYAML.configFromFile after the unmarshal: each URL list
 * that is set must parse (its error text names "advertise-peer-urls" for
 * advertise-client-urls, as etcd 3.4 does). */
static int check_url_keys(const struct cetcd_config *cfg, const struct cetcd_config *def,
    char *err, size_t errlen)
{
	const struct { const char *v, *d, *label; } keys[] = {
		{ cfg->listen_peer_urls, def->listen_peer_urls, "listen-peer-urls" },
		{ cfg->listen_client_urls, def->listen_client_urls, "listen-client-urls" },
		{ cfg->initial_advertise_peer_urls, def->initial_advertise_peer_urls, "initial-advertise-peer-urls" },
		{ cfg->advertise_client_urls, def->advertise_client_urls, "advertise-peer-urls" },
		{ cfg->listen_metrics_urls, def->listen_metrics_urls, "listen-metrics-urls" },
	};
	struct url_list l;
	char why[512];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].v == keys[i].d || *keys[i].v == '\0')
			continue;
		if (urls_parse_list(keys[i].v, &l, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "unexpected error setting up %s: %s", keys[i].label, why);
			return CONFIG_FILE_EURL;
		}
		urls_list_free(&l);
	}
	return CONFIG_FILE_OK;
}

int config_file_parse(const char *text, size_t len, struct cetcd_config *cfg,
    struct config_file_ignored *ign, char *err, size_t errlen)
{
	struct cetcd_config def;
	struct type_error te = { "", "" };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char num[128];
	int rc = CONFIG_FILE_EINVALID;

	set_defaults(cfg);
	def = *cfg;
	if (ign)
		ign->n = 0;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return CONFIG_FILE_EINVALID;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_error(&parser, err, errlen);
		yaml_parser_delete(&parser);
		return CONFIG_FILE_EINVALID;
	}
	root = yaml_document_get_root_node(&doc);
	enum json_kind rk = node_kind(root, num, sizeof(num));
	if (rk != J_OBJECT && rk != J_NULL) {
		snprintf(err, errlen, "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of type embed.configYAML",
		    json_kind_name[rk]);
		goto out;
	}
	if (rk == J_OBJECT) {
		/* sigs.k8s.io/yaml makes a JSON object of the mapping: a key
		 * given twice keeps its last value, and encoding/json then
		 * meets the keys in sorted order. */
		size_t n = (size_t)(root->data.mapping.pairs.top - root->data.mapping.pairs.start);
		struct key_pair *kv = calloc(n ? n : 1, sizeof(*kv));
		size_t m = 0;
		if (!kv) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			yaml_node_pair_t *pr = &root->data.mapping.pairs.start[i];
			yaml_node_t *kn = yaml_document_get_node(&doc, pr->key);
			if (!kn || kn->type != YAML_SCALAR_NODE)
				continue;
			kv[m++] = (struct key_pair){ (const char *)kn->data.scalar.value,
				yaml_document_get_node(&doc, pr->value), i };
		}
		qsort(kv, m, sizeof(*kv), by_key);
		for (size_t i = 0; i < m; i++) {
			if (i + 1 < m && strcmp(kv[i].key, kv[i + 1].key) == 0)
				continue;	/* a later one wins */
			if (apply_key(cfg, &doc, kv[i].key, kv[i].value, ign, &te) != 0) {
				free(kv);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
		free(kv);
	}
	if (te.key[0]) {
		snprintf(err, errlen, "error unmarshaling JSON: while decoding JSON: %s", te.text);
		goto out;
	}
	rc = check_url_keys(cfg, &def, err, errlen);
	if (rc != CONFIG_FILE_OK)
		goto out;
	if (*cfg->initial_cluster_state == '\0')
		cfg->initial_cluster_state = "new";
	rc = CONFIG_FILE_OK;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int config_file_load(const char *path, struct cetcd_config *cfg,
    struct config_file_ignored *ign, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(e));
		goto go_errno;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return CONFIG_FILE_EINVALID;
	}
	while ((r = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0 && len < CONFIG_FILE_MAX + 1)
		len += (size_t)r;
	if (r < 0) {
		int e = errno;
		close(fd);
		free(buf);
		snprintf(err, errlen, "read %s: %s", path, strerror(e));
		goto go_errno;
	}
	close(fd);
	if (len > CONFIG_FILE_MAX) {
		free(buf);
		snprintf(err, errlen, "read %s: configuration file larger than %d bytes", path, CONFIG_FILE_MAX);
		return CONFIG_FILE_EINVALID;
	}
	rc = config_file_parse(buf, len, cfg, ign, err, errlen);
	free(buf);
	return rc;
go_errno:
	/* Go's syscall texts start in lower case ("no such file or directory"). */
	{
		char *colon = strrchr(err, ':');
		if (colon && colon[1] == ' ' && colon[2] >= 'A' && colon[2] <= 'Z' &&
		    !(colon[3] >= 'A' && colon[3] <= 'Z'))
			colon[2] = (char)(colon[2] - 'A' + 'a');
	}
	return CONFIG_FILE_EINVALID;
}
