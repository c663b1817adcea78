/*
 * config_check.c - etcd 3.4's cross-flag checks of cetcd's configuration,
 * with etcd's texts (embed/config.go Validate, embed/config_logging.go
 * setupLogging, embed/etcd.go parseCompactionRetention, etcdserver/config.go
 * VerifyBootstrap).
 *
 * Owns the strings it builds (kept for the process's life, config_keep) and
 * the file descriptor of a --log-outputs file.  Never logs and never exits:
 * main() says what an error means.  Runs in cetcd, at start-up only.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "common/flags.h"
#include "common/urls.h"
#include "daemon/config_check.h"

/* etcd's maxElectionMs (embed/config.go). */
#define CONFIG_MAX_ELECTION_MS 50000

/* ---- strings kept for the process's life ---- */

static struct {
	char **v;
	size_t n, cap;
} kept;

const char *config_keep(char *s)
{
	if (!s)
		return NULL;
	if (kept.n == kept.cap) {
		size_t cap = kept.cap ? kept.cap * 2 : 16;
		char **v = realloc(kept.v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return NULL;
		}
		kept.v = v;
		kept.cap = cap;
	}
	kept.v[kept.n++] = s;
	return s;
}

/* Go's syscall error texts are strerror's, starting in lower case. */
static void go_errno_text(int e, char *out, size_t n)
{
	snprintf(out, n, "%s", strerror(e));
	if (n > 0 && out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)tolower((unsigned char)out[0]);
}

/* ---- setupLogging ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* etcd's flags.UniqueStringsValue: split on ',', duplicates dropped,
 * sorted.  Returns the count, or -1 out of memory; *out is one block. */
static int split_unique(const char *s, char ***out)
{
	size_t n = 1, k = 0;
	char *copy, **v;

	for (const char *p = s; *p; p++)
		n += *p == ',';
	v = malloc(n * sizeof(*v) + strlen(s) + 1);
	if (!v)
		return -1;
	copy = (char *)(v + n);
	strcpy(copy, s);
	for (char *tok = copy, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		v[k++] = tok;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	n = 0;
	for (size_t i = 0; i < k; i++)
		if (n == 0 || strcmp(v[n - 1], v[i]) != 0)
			v[n++] = v[i];
	*out = v;
	return (int)n;
}

/* Go's %q of a []string: ["a" "b"]. */
static void quote_list(char **v, int n, char *out, size_t len)
{
	size_t used = 0;
	char q[256];

	used += (size_t)snprintf(out, len, "[");
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "",
		    flag_go_quote(v[i], q, sizeof(q)));
	if (used < len)
		snprintf(out + used, len - used, "]");
}

static int level_parse(const char *s, enum log_level *lvl)
{
	/* zap also has dpanic; cetcd has no level between error and panic. */
	if (strcmp(s, "dpanic") == 0) {
		*lvl = LOG_PANIC;
		return 0;
	}
	return log_level_parse(s, lvl);
}

int config_check_logging(const struct cetcd_config *cfg, struct log_config *out,
    const char **note, char *err, size_t errlen)
{
	char **outs = NULL, q[512], list[1024], why[256];
	int n, rc = CONFIG_EINVALID;
	enum log_level lvl;

	*note = NULL;
	*out = (struct log_config){ LOG_INFO, LOG_FORMAT_JSON, 2 };
	if (strcmp(cfg->logger, "capnslog") != 0 && strcmp(cfg->logger, "zap") != 0) {
		snprintf(err, errlen, "unknown logger option %s",
		    flag_go_quote(cfg->logger, q, sizeof(q)));
		return CONFIG_EINVALID;
	}
	n = split_unique(cfg->log_outputs, &outs);
	if (n < 0) {
		snprintf(err, errlen, "out of memory");
		return CONFIG_EINVALID;
	}

	if (strcmp(cfg->logger, "capnslog") == 0) {
		out->format = LOG_FORMAT_PLAIN;
		if (level_parse(cfg->log_level, &lvl) != 0)
			goto bad_level;
		out->level = lvl;
		if (n != 1) {
			quote_list(outs, n, list, sizeof(list));
			snprintf(err, errlen, "--logger=capnslog supports only 1 value in '--log-outputs', got %s", list);
			goto out;
		}
		if (strcmp(outs[0], "stdout") == 0) {
			out->fd = 1;
		} else if (strcmp(outs[0], "stderr") != 0 && strcmp(outs[0], "default") != 0) {
			snprintf(err, errlen, "unknown log-output %s (only supports \"default\", \"stderr\", \"stdout\")",
			    flag_go_quote(outs[0], q, sizeof(q)));
			goto out;
		}
		rc = CONFIG_OK;
		goto out;
	}

	/* zap */
	if (n > 1) {
		for (int i = 0; i < n; i++) {
			if (strcmp(outs[i], "default") == 0) {
				snprintf(err, errlen, "multi logoutput for \"default\" is not supported yet");
				goto out;
			}
		}
	}
	if (level_parse(cfg->log_level, &lvl) != 0)
		goto bad_level;
	out->level = lvl;
	/* log.h writes to one descriptor: the first output (in etcd's sorted
	 * order) is used, and the others are named in a warning.  "default"
	 * and "journal" go to stderr (etcd's fallback without journald). */
	for (int i = 0; i < n; i++) {
		int fd;
		if (strcmp(outs[i], "default") == 0 || strcmp(outs[i], "stderr") == 0 ||
		    strcmp(outs[i], "journal") == 0) {
			fd = 2;
		} else if (strcmp(outs[i], "stdout") == 0) {
			fd = 1;
		} else {
			/* zap opens its sinks as Go's os.OpenFile(path,
			 * O_WRONLY|O_APPEND|O_CREATE, 0666) does. */
			fd = open(outs[i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
			if (fd < 0) {
				go_errno_text(errno, why, sizeof(why));
				snprintf(err, errlen, "open sink %s: open %s: %s",
				    flag_go_quote(outs[i], q, sizeof(q)), outs[i], why);
				if (out->fd > 2)
					close(out->fd);
				goto out;
			}
		}
		if (i == 0)
			out->fd = fd;
		else if (fd > 2)
			close(fd);
	}
	if (n > 1)
		*note = "cetcd writes its log to one output only: the first of --log-outputs";
	rc = CONFIG_OK;
	goto out;

bad_level:
	snprintf(err, errlen, "unknown level %s", flag_go_quote(cfg->log_level, q, sizeof(q)));
	rc = CONFIG_EPANIC;
out:
	free(outs);
	return rc;
}

/* ---- Validate ---- */

/* Parses a URL list flag; "" is no list at all (etcd's nil). */
static int parse_urls(const char *s, struct url_list *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (*s == '\0')
		return 0;
	return urls_parse_list(s, l, err, errlen);
}

/* checkHostURLs, wrapped as etcd does:
 *   --advertise-client-urls "<urls>" must be "host:port" (<error>) */
static int check_host(const char *flag, const struct url_list *l, char *err, size_t errlen)
{
	char why[512], q[1024];
	char *joined;

	if (urls_check_host(l, why, sizeof(why)) == 0)
		return 0;
	joined = urls_list_string(l);
	snprintf(err, errlen, "--%s %s must be \"host:port\" (%s)", flag,
	    flag_go_quote(joined ? joined : "", q, sizeof(q)), why);
	free(joined);
	return -1;
}

int config_validate(const struct cetcd_config *cfg, bool no_advertise, char *err, size_t errlen)
{
	const char *binds[] = { cfg->listen_peer_urls, cfg->listen_client_urls, cfg->listen_metrics_urls };
	struct url_list l;
	char q[512];
	int rc = CONFIG_EINVALID;

	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		if (parse_urls(binds[i], &l, err, errlen) != 0)
			return CONFIG_EINVALID;
		int bad = urls_check_bind(&l, err, errlen);
		urls_list_free(&l);
		if (bad)
			return CONFIG_EINVALID;
	}
	if (parse_urls(cfg->initial_advertise_peer_urls, &l, err, errlen) != 0)
		return CONFIG_EINVALID;
	rc = check_host("initial-advertise-peer-urls", &l, err, errlen);
	urls_list_free(&l);
	if (rc)
		return CONFIG_EINVALID;
	if (!no_advertise) {
		if (parse_urls(cfg->advertise_client_urls, &l, err, errlen) != 0)
			return CONFIG_EINVALID;
		rc = check_host("advertise-client-urls", &l, err, errlen);
		urls_list_free(&l);
		if (rc)
			return CONFIG_EINVALID;
	}
	if (strcmp(cfg->initial_cluster_state, "new") != 0 &&
	    strcmp(cfg->initial_cluster_state, "existing") != 0) {
		snprintf(err, errlen, "unexpected clusterState %s",
		    flag_go_quote(cfg->initial_cluster_state, q, sizeof(q)));
		return CONFIG_EINVALID;
	}
	if (cfg->heartbeat_interval == 0) {
		snprintf(err, errlen, "--heartbeat-interval must be >0 (set to %llums)",
		    (unsigned long long)cfg->heartbeat_interval);
		return CONFIG_EINVALID;
	}
	if (cfg->election_timeout == 0) {
		snprintf(err, errlen, "--election-timeout must be >0 (set to %llums)",
		    (unsigned long long)cfg->election_timeout);
		return CONFIG_EINVALID;
	}
	/* Go computes 5*TickMs in a uint, wrapping as this does. */
	if (5 * cfg->heartbeat_interval > cfg->election_timeout) {
		snprintf(err, errlen, "--election-timeout[%llums] should be at least as 5 times as --heartbeat-interval[%llums]",
		    (unsigned long long)cfg->election_timeout, (unsigned long long)cfg->heartbeat_interval);
		return CONFIG_EINVALID;
	}
	if (cfg->election_timeout > CONFIG_MAX_ELECTION_MS) {
		snprintf(err, errlen, "--election-timeout[%llums] is too long, and should be set less than %dms",
		    (unsigned long long)cfg->election_timeout, CONFIG_MAX_ELECTION_MS);
		return CONFIG_EINVALID;
	}
	/* Checked last: etcd's proxy mode may make this fine (not in cetcd). */
	if (*cfg->listen_client_urls && no_advertise) {
		snprintf(err, errlen, "--advertise-client-urls is required when --listen-client-urls is set explicitly");
		return CONFIG_EUNSET_ADVERTISE;
	}
	if (*cfg->auto_compaction_mode && strcmp(cfg->auto_compaction_mode, "periodic") != 0 &&
	    strcmp(cfg->auto_compaction_mode, "revision") != 0) {
		snprintf(err, errlen, "unknown auto-compaction-mode %s",
		    flag_go_quote(cfg->auto_compaction_mode, q, sizeof(q)));
		return CONFIG_EINVALID;
	}
	return CONFIG_OK;
}

/* ---- initial cluster ---- */

#define CONFIG_DEFAULT_CLUSTER "default=http://localhost:2380"

int config_default_cluster(struct cetcd_config *cfg)
{
	struct url_list l;
	char why[256];
	size_t len = 1;
	char *s;

	if (strcmp(cfg->name, "default") == 0 || strcmp(cfg->initial_cluster, CONFIG_DEFAULT_CLUSTER) != 0)
		return 0;
	if (parse_urls(cfg->initial_advertise_peer_urls, &l, why, sizeof(why)) != 0)
		return 0;	/* Validate has said why */
	for (size_t i = 0; i < l.n; i++)
		len += strlen(cfg->name) + strlen(l.v[i].str) + 2;
	s = malloc(len);
	if (!s) {
		urls_list_free(&l);
		return -1;
	}
	s[0] = '\0';
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, cfg->name);
		strcat(s, "=");
		strcat(s, l.v[i].str);
	}
	urls_list_free(&l);
	if (!config_keep(s))
		return -1;
	cfg->initial_cluster = s;
	return 0;
}

/* etcd's netutil.resolveTCPAddrs for one URL: the host of a non-IP URL
 * replaced by its first address.  malloc'd. */
static char *resolve_url(const struct url *u)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	char ip[INET6_ADDRSTRLEN], *s;
	size_t n;

	if (strcmp(u->scheme, "unix") == 0 || strcmp(u->scheme, "unixs") == 0 ||
	    inet_pton(AF_INET, u->hostname, &a4) == 1 || inet_pton(AF_INET6, u->hostname, &a6) == 1 ||
	    getaddrinfo(u->hostname, NULL, &hints, &res) != 0 || !res)
		return strdup(u->str);
	if (res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip, sizeof(ip));
	freeaddrinfo(res);
	n = strlen(u->scheme) + strlen(ip) + strlen(u->port) + 8;
	s = malloc(n);
	if (s)
		snprintf(s, n, strchr(ip, ':') ? "%s://[%s]:%s" : "%s://%s:%s", u->scheme, ip, u->port);
	return s;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* etcdserver advertiseMatchesCluster: this member's URLs in
 * --initial-cluster are its advertised peer URLs, after resolving names. */
static int check_advertise_matches(const struct url_list *ap, const struct url_list *cl,
    const char *name, char *err, size_t errlen)
{
	char *ra[64] = { 0 }, *rb[64] = { 0 }, q1[512], q2[512];
	char missing[2048] = "", apstr[2048] = "", netw[2200] = "";
	size_t i, j;
	int rc = -1;

	if (ap->n == cl->n) {
		for (i = 0; i < ap->n && strcmp(ap->v[i].str, cl->v[i].str) == 0; i++)
			;
		if (i == ap->n)
			return 0;
	}
	for (i = 0; i < ap->n; i++)
		snprintf(apstr + strlen(apstr), sizeof(apstr) - strlen(apstr), "%s%s", i ? "," : "", ap->v[i].str);
	if (ap->n != cl->n) {
		char la[1024] = "[", lb[1024] = "[";
		for (i = 0; i < ap->n; i++)
			snprintf(la + strlen(la), sizeof(la) - strlen(la), "%s%s", i ? " " : "",
			    flag_go_quote(ap->v[i].str, q1, sizeof(q1)));
		for (i = 0; i < cl->n; i++)
			snprintf(lb + strlen(lb), sizeof(lb) - strlen(lb), "%s%s", i ? " " : "",
			    flag_go_quote(cl->v[i].str, q1, sizeof(q1)));
		snprintf(netw, sizeof(netw), "len(%s]) != len(%s])", la, lb);
	} else {
		if (ap->n > 64)
			return 0;
		for (i = 0; i < ap->n; i++) {
			ra[i] = resolve_url(&ap->v[i]);
			rb[i] = resolve_url(&cl->v[i]);
			if (!ra[i] || !rb[i])
				goto out;
		}
		qsort(ra, ap->n, sizeof(char *), cmp_cstr);
		qsort(rb, cl->n, sizeof(char *), cmp_cstr);
		for (i = 0; i < ap->n && strcmp(ra[i], rb[i]) == 0; i++)
			;
		if (i == ap->n) {
			rc = 0;
			goto out;
		}
		snprintf(netw, sizeof(netw), "resolved urls: %s != %s", flag_go_quote(ra[i], q1, sizeof(q1)),
		    flag_go_quote(rb[i], q2, sizeof(q2)));
	}
	/* URLs of the cluster entry missing from the advertised ones. */
	for (i = 0; i < cl->n; i++) {
		for (j = 0; j < ap->n && strcmp(cl->v[i].str, ap->v[j].str) != 0; j++)
			;
		if (j == ap->n)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s=%s",
			    *missing ? "," : "", name, cl->v[i].str);
	}
	if (*missing) {
		snprintf(err, errlen, "--initial-cluster has %s but missing from --initial-advertise-peer-urls=%s (%s)",
		    missing, apstr, netw);
		goto out;
	}
	for (i = 0; i < ap->n; i++) {
		for (j = 0; j < cl->n && strcmp(ap->v[i].str, cl->v[j].str) != 0; j++)
			;
		if (j == cl->n)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
			    *missing ? "," : "", ap->v[i].str);
	}
	if (*missing) {
		snprintf(err, errlen, "--initial-advertise-peer-urls has %s but missing from --initial-cluster=",
		    missing);
		for (i = 0; i < ap->n; i++)
			snprintf(err + strlen(err), errlen - strlen(err), "%s%s=%s", i ? "," : "", name, ap->v[i].str);
		goto out;
	}
	snprintf(err, errlen, "failed to resolve %s to match --initial-cluster=", apstr);
	for (i = 0; i < ap->n; i++)
		snprintf(err + strlen(err), errlen - strlen(err), "%s%s=%s", i ? "," : "", name, ap->v[i].str);
	snprintf(err + strlen(err), errlen - strlen(err), " (%s)", netw);
out:
	for (i = 0; i < 64; i++) {
		free(ra[i]);
		free(rb[i]);
	}
	return rc;
}

/* Go's strconv.Atoi: [+-]?[0-9]+ in base 10 that fits an int64. */
static int go_atoi(const char *s, int64_t *out)
{
	const uint64_t lim = UINT64_C(1) << 63;
	bool neg = false;
	uint64_t v = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > lim / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > lim)
			return -1;
	}
	if (!neg && v == lim)
		return -1;
	*out = neg ? (v == lim ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

int config_parse_duration(const char *orig, int64_t *ns, char *err, size_t errlen)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	const uint64_t lim = UINT64_C(1) << 63;
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;
	char q[256], qu[256];

	*ns = 0;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0)
		return 0;
	if (*s == '\0')
		goto invalid;
	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool pre = false, post = false, overflow = false;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			goto invalid;
		for (; *s >= '0' && *s <= '9'; s++) {
			pre = true;
			if (v > lim / 10)
				goto invalid;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > lim)
				goto invalid;
		}
		if (*s == '.') {
			s++;
			for (; *s >= '0' && *s <= '9'; s++) {
				post = true;
				if (overflow)
					continue;
				if (f > (lim - 1) / 10) {
					overflow = true;
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*s - '0');
				if (y > lim) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post)
			goto invalid;
		size_t i = 0;
		while (s[i] && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
			i++;
		if (i == 0) {
			snprintf(err, errlen, "time: missing unit in duration %s", flag_go_quote(orig, q, sizeof(q)));
			return -1;
		}
		for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].u) == i && memcmp(units[k].u, s, i) == 0)
				unit = units[k].ns;
		if (!unit) {
			char u[128];
			snprintf(u, sizeof(u), "%.*s", (int)(i < 100 ? i : 100), s);
			snprintf(err, errlen, "time: unknown unit %s in duration %s",
			    flag_go_quote(u, qu, sizeof(qu)), flag_go_quote(orig, q, sizeof(q)));
			return -1;
		}
		s += i;
		if (v > lim / unit)
			goto invalid;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > lim)
				goto invalid;
		}
		d += v;
		if (d > lim)
			goto invalid;
	}
	if (neg) {
		*ns = d == lim ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > lim - 1)
		goto invalid;
	*ns = (int64_t)d;
	return 0;
invalid:
	snprintf(err, errlen, "time: invalid duration %s", flag_go_quote(orig, q, sizeof(q)));
	return -1;
}

/* etcd's parseCompactionRetention (embed/etcd.go). */
static int parse_retention(struct cetcd_config *cfg, char *err, size_t errlen)
{
	char why[512];
	int64_t h;

	if (go_atoi(cfg->auto_compaction_retention, &h) == 0 && h >= 0) {
		if (strcmp(cfg->auto_compaction_mode, "revision") == 0)
			cfg->auto_compaction_retention_value = h;
		else if (strcmp(cfg->auto_compaction_mode, "periodic") == 0)
			/* Go's Duration arithmetic wraps; so does this. */
			cfg->auto_compaction_retention_value = (int64_t)((uint64_t)h * 3600000000000ULL);
		else
			cfg->auto_compaction_retention_value = 0;
		return 0;
	}
	if (config_parse_duration(cfg->auto_compaction_retention, &h, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "error parsing CompactionRetention: %s", why);
		return -1;
	}
	cfg->auto_compaction_retention_value = h;
	return 0;
}

int config_check_bootstrap(struct cetcd_config *cfg, bool initialized, char *err, size_t errlen)
{
	struct url_cluster cl = { 0 };
	struct url_list ap = { 0 };
	const struct url_member *self;
	char why[1024];
	int rc = CONFIG_EINVALID;

	if (!initialized && urls_parse_cluster(cfg->initial_cluster, &cl, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "error setting up initial cluster: %s", why);
		return CONFIG_EINVALID;
	}
	if (parse_retention(cfg, err, errlen) != 0)
		goto out;
	if (initialized) {
		rc = CONFIG_OK;
		goto out;
	}
	/* hasLocalMember */
	if (urls_cluster_check_local(&cl, cfg->name, err, errlen) != 0)
		goto out;
	if (strcmp(cfg->initial_cluster_state, "new") == 0) {
		self = urls_cluster_find(&cl, cfg->name);
		if (parse_urls(cfg->initial_advertise_peer_urls, &ap, err, errlen) != 0)
			goto out;
		if (self && check_advertise_matches(&ap, &self->urls, cfg->name, err, errlen) != 0)
			goto out;
	}
	if (urls_cluster_check_duplicates(&cl, err, errlen) != 0)
		goto out;
	if (cl.n == 0 && strcmp(cfg->initial_cluster_state, "new") == 0) {
		snprintf(err, errlen, "initial cluster unset and no discovery URL found");
		goto out;
	}
	rc = CONFIG_OK;
out:
	urls_list_free(&ap);
	urls_cluster_free(&cl);
	return rc;
}

bool config_member_initialized(const struct cetcd_config *cfg)
{
	char path[4096];
	struct dirent *e;
	bool found = false;
	DIR *d;

	if (*cfg->wal_dir)
		snprintf(path, sizeof(path), "%s", cfg->wal_dir);
	else if (snprintf(path, sizeof(path), "%s/member/wal", cfg->data_dir) >= (int)sizeof(path))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		found = n > 4 && strcmp(e->d_name + n - 4, ".wal") == 0;
	}
	closedir(d);
	return found;
}
