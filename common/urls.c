/*
 * urls.c: etcd URL lists and --initial-cluster, parsed and validated as
 * etcd 3.4 does (Go net/url.Parse, then pkg/types/urls.go NewURLs), with
 * the same error texts.  Used at start-up by both programs' flag parsing.
 *
 * Owns: nothing global; every result is a heap structure owned by the caller.
 * Never: resolves names or touches the network (etcd checks ports and
 * resolves at listen time; so do our callers).
 *
 * Go's own parsing and messages (url.Parse, SplitHostPort, %q) come from
 * common/gourl; this file adds etcd's rules on top, in etcd's order.
 */
#include "common/urls.h"

#include "common/buf.h"
#include "common/gourl.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest string we build (a whole --initial-cluster listing). */
#define URLS_STR_MAX (1 << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *buf_to_str(struct buf *b)
{
	char *s = malloc(buf_len(b) + 1);

	if (s == NULL)
		return NULL;
	if (buf_len(b))
		memcpy(s, buf_data(b), buf_len(b));
	s[buf_len(b)] = '\0';
	return s;
}

void urls_url_free(struct url *u)
{
	if (u == NULL)
		return;
	free(u->scheme);
	free(u->host);
	free(u->hostname);
	free(u->port);
	free(u->str);
	memset(u, 0, sizeof(*u));
}

static bool is_go_space(const uint8_t *p, size_t n, size_t *len)
{
	if (n >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) {
		*len = 1;
		return true;
	}
	/* U+0085 and U+00A0, the non-ASCII spaces one might paste. */
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) {
		*len = 2;
		return true;
	}
	return false;
}

static void trim_space(const char **s, size_t *n)
{
	const uint8_t *p = (const uint8_t *)*s;
	size_t len = *n, k;

	while (len > 0 && is_go_space(p, len, &k)) {
		p += k;
		len -= k;
	}
	while (len > 0) {
		if (len >= 1 && is_go_space(p + len - 1, 1, &k) && k == 1) {
			len--;
			continue;
		}
		if (len >= 2 && is_go_space(p + len - 2, 2, &k) && k == 2) {
			len -= 2;
			continue;
		}
		break;
	}
	*s = (const char *)p;
	*n = len;
}

static bool etcd_scheme_ok(const struct buf *scheme)
{
	static const char *const ok[] = { "http", "https", "unix", "unixs" };
	size_t len = buf_len(scheme);

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (len == strlen(ok[i]) && memcmp(buf_data(scheme), ok[i], len) == 0)
			return true;
	return false;
}

/*
 * Parses in[0..n) (already trimmed) into u, then applies etcd's checks in
 * its order (pkg/types/urls.go NewURLs).  Returns 0, -1 (message in msg)
 * or -2 (out of memory).
 */
static int parse_url(const char *in, size_t n, struct url *u, struct buf *msg)
{
	struct gourl g;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	gourl_init(&g);
	if (gourl_parse(&g, in, n, msg) < 0)
		goto out;
	if (!etcd_scheme_ok(&g.scheme)) {
		buf_append_str(msg, "URL scheme must be http, https, unix, or unixs: ");
		buf_append(msg, in, n);
		goto out;
	}
	u->host = buf_to_str(&g.host);
	if (u->host == NULL) {
		rc = -2;
		goto out;
	}
	rc = gourl_split_host_port(u->host, &u->hostname, &u->port);
	if (rc == -1) {
		buf_append_str(msg, "URL address does not have the form \"host:port\": ");
		buf_append(msg, in, n);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = -1;
	if (g.path_len > 0) {
		buf_append_str(msg, "URL must not contain a path: ");
		buf_append(msg, in, n);
		goto out;
	}
	u->scheme = buf_to_str(&g.scheme);
	u->str = gourl_string(&g);
	rc = (u->scheme && u->str) ? 0 : -2;
out:
	if (rc != 0)
		urls_url_free(u);
	gourl_free(&g);
	return rc;
}

static int finish(int rc, struct buf *msg, char *err, size_t errlen)
{
	if (rc == -2)
		set_err(err, errlen, "out of memory");
	else if (rc < 0)
		set_err(err, errlen, "%.*s", (int)buf_len(msg), buf_len(msg) ? (char *)buf_data(msg) : "");
	buf_free(msg);
	return rc < 0 ? -1 : 0;
}

int urls_parse_one(const char *in, struct url *out, char *err, size_t errlen)
{
	struct buf msg;
	size_t n = strlen(in);

	buf_init(&msg, 4096);
	trim_space(&in, &n);
	return finish(parse_url(in, n, out, &msg), &msg, err, errlen);
}

void urls_list_free(struct url_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		urls_url_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int url_cmp(const void *a, const void *b)
{
	return strcmp(((const struct url *)a)->str, ((const struct url *)b)->str);
}

/* Parses one element of a list into l (appended).  0, -1 or -2. */
static int list_add(struct url_list *l, const char *s, size_t n, struct buf *msg)
{
	struct url *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	int rc;

	if (v == NULL)
		return -2;
	l->v = v;
	trim_space(&s, &n);
	rc = parse_url(s, n, &l->v[l->n], msg);
	if (rc == 0)
		l->n++;
	return rc;
}

int urls_parse_list(const char *s, struct url_list *out, char *err, size_t errlen)
{
	struct buf msg;
	const char *p = s, *comma;
	int rc = 0;

	buf_init(&msg, 4096);
	out->v = NULL;
	out->n = 0;
	if (s == NULL) {
		set_err(err, errlen, "no valid URLs given");
		return -1;
	}
	for (;;) {
		comma = strchr(p, ',');
		rc = list_add(out, p, comma ? (size_t)(comma - p) : strlen(p), &msg);
		if (rc < 0 || comma == NULL)
			break;
		p = comma + 1;
	}
	if (rc < 0)
		urls_list_free(out);
	else
		qsort(out->v, out->n, sizeof(out->v[0]), url_cmp);
	return finish(rc, &msg, err, errlen);
}

char *urls_list_string(const struct url_list *l)
{
	struct buf b;
	char *s;

	buf_init(&b, URLS_STR_MAX);
	for (size_t i = 0; i < l->n; i++) {
		if ((i > 0 && buf_put_u8(&b, ',') < 0) || buf_append_str(&b, l->v[i].str) < 0) {
			buf_free(&b);
			return NULL;
		}
	}
	s = buf_to_str(&b);
	buf_free(&b);
	return s;
}

int urls_check_bind(const struct url_list *l, char *err, size_t errlen)
{
	unsigned char addr[16];

	for (size_t i = 0; i < l->n; i++) {
		const struct url *u = &l->v[i];

		if (!strcmp(u->scheme, "unix") || !strcmp(u->scheme, "unixs"))
			continue;
		/* etcd special-cases "localhost" (not /etc/hosts). */
		if (!strcmp(u->hostname, "localhost"))
			continue;
		/* Go's net.ParseIP: dotted IPv4 or IPv6 text, no zone. */
		if (inet_pton(AF_INET, u->hostname, addr) != 1 && inet_pton(AF_INET6, u->hostname, addr) != 1) {
			set_err(err, errlen, "expected IP in URL for binding (%s)", u->str);
			return -1;
		}
	}
	return 0;
}

int urls_check_host(const struct url_list *l, char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].hostname[0] == '\0') {
			set_err(err, errlen, "unexpected empty host (%s)", l->v[i].str);
			return -1;
		}
	}
	return 0;
}

void urls_cluster_free(struct url_cluster *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		urls_list_free(&c->v[i].urls);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static struct url_member *cluster_get(struct url_cluster *c, const char *name, size_t len)
{
	struct url_member *v;

	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->v[i].name) == len && !memcmp(c->v[i].name, name, len))
			return &c->v[i];
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	c->v = v;
	v = &c->v[c->n];
	memset(v, 0, sizeof(*v));
	v->name = strndup(name, len);
	if (v->name == NULL)
		return NULL;
	c->n++;
	return v;
}

int urls_parse_cluster(const char *s, struct url_cluster *out, char *err, size_t errlen)
{
	struct buf msg;
	const char *p = s, *comma, *eq;
	struct url_member *m;
	size_t len;
	int rc = 0;

	buf_init(&msg, 4096);
	out->v = NULL;
	out->n = 0;
	while (p && *p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len > 0) {
			/* The name is everything before the first '='; no '=' at
			 * all means a name with an empty URL. */
			eq = memchr(p, '=', len);
			m = cluster_get(out, p, eq ? (size_t)(eq - p) : len);
			if (m == NULL) {
				rc = -2;
				break;
			}
			rc = eq ? list_add(&m->urls, eq + 1, (size_t)(p + len - eq - 1), &msg)
				: list_add(&m->urls, "", 0, &msg);
			if (rc < 0)
				break;
		}
		p = comma ? comma + 1 : NULL;
	}
	if (rc < 0) {
		urls_cluster_free(out);
	} else {
		for (size_t i = 0; i < out->n; i++)
			qsort(out->v[i].urls.v, out->v[i].urls.n, sizeof(struct url), url_cmp);
	}
	return finish(rc, &msg, err, errlen);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *urls_cluster_string(const struct url_cluster *c)
{
	struct buf b;
	char **pairs = NULL, *s = NULL;
	size_t n = 0, i, j, k;

	buf_init(&b, URLS_STR_MAX);
	for (i = 0; i < c->n; i++)
		n += c->v[i].urls.n;
	pairs = calloc(n ? n : 1, sizeof(*pairs));
	if (pairs == NULL)
		return NULL;
	for (i = 0, k = 0; i < c->n; i++) {
		for (j = 0; j < c->v[i].urls.n; j++, k++) {
			size_t len = strlen(c->v[i].name) + 1 + strlen(c->v[i].urls.v[j].str) + 1;

			pairs[k] = malloc(len);
			if (pairs[k] == NULL)
				goto out;
			snprintf(pairs[k], len, "%s=%s", c->v[i].name, c->v[i].urls.v[j].str);
		}
	}
	qsort(pairs, n, sizeof(*pairs), str_cmp);
	for (k = 0; k < n; k++)
		if ((k > 0 && buf_put_u8(&b, ',') < 0) || buf_append_str(&b, pairs[k]) < 0)
			goto out;
	s = buf_to_str(&b);
out:
	for (k = 0; k < n; k++)
		free(pairs[k]);
	free(pairs);
	buf_free(&b);
	return s;
}

const struct url_member *urls_cluster_find(const struct url_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

int urls_cluster_check_local(const struct url_cluster *c, const char *name, char *err, size_t errlen)
{
	struct buf q;

	if (urls_cluster_find(c, name))
		return 0;
	buf_init(&q, 4096);
	gourl_quote(&q, name, strlen(name));
	set_err(err, errlen, "couldn't find local name %.*s in the initial cluster configuration",
		(int)buf_len(&q), (char *)buf_data(&q));
	buf_free(&q);
	return -1;
}

int urls_cluster_check_duplicates(const struct url_cluster *c, char *err, size_t errlen)
{
	char *all;

	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->v[i].urls.n; j++) {
			const char *u = c->v[i].urls.v[j].str;

			for (size_t i2 = i; i2 < c->n; i2++) {
				for (size_t j2 = (i2 == i ? j + 1 : 0); j2 < c->v[i2].urls.n; j2++) {
					if (strcmp(u, c->v[i2].urls.v[j2].str) != 0)
						continue;
					all = urls_cluster_string(c);
					set_err(err, errlen, "initial cluster %s has duplicate url", all ? all : "");
					free(all);
					return -1;
				}
			}
		}
	}
	return 0;
}
