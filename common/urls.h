/*
 * urls: etcd 3.4's URL lists (--listen-client-urls, --advertise-client-urls,
 * --listen-peer-urls, ...) and --initial-cluster, with etcd's validation and
 * etcd's error texts.
 *
 * A list is split on ',' and each element trimmed of white space, parsed as
 * Go's net/url.Parse does, then checked as etcd's types.NewURLs does
 * (pkg/types/urls.go), in this order:
 *   parse "<url>": <net/url error>      e.g. parse ":foo": missing protocol scheme
 *                                            parse "http://a:b:c": invalid port ":c" after host
 *                                            parse "http://%zz:1": invalid URL escape "%zz"
 *   URL scheme must be http, https, unix, or unixs: <url>
 *   URL address does not have the form "host:port": <url>
 *   URL must not contain a path: <url>
 * The flag layer prefixes these as Go's flag package does:
 *   invalid value "<whole value>" for flag -listen-client-urls: <error>
 * Like etcd, the accepted URLs are sorted by their string form, and the
 * port is not range-checked here (etcd fails later, at listen time).
 * Query strings, fragments and user info are accepted and kept, as etcd
 * does; for unix and unixs the socket path is `host` (etcd listens on u.Host).
 *
 * Every function that can fail returns 0 or -1 and writes the message to
 * err (errlen bytes, always NUL-terminated when errlen > 0); -1 with
 * "out of memory" on allocation failure.  Results are owned by the caller
 * and released with the matching *_free, which also accepts zeroed structs.
 */
#ifndef CETCD_COMMON_URLS_H
#define CETCD_COMMON_URLS_H

#include <stddef.h>

struct url {
	char *scheme;   /* lowercase: "http", "https", "unix" or "unixs" */
	char *host;     /* Go's URL.Host, unescaped: "127.0.0.1:2379", "[::1]:2379" */
	char *hostname; /* host without port and brackets: "::1"; may be "" */
	char *port;     /* "2379"; may be "" ("http://h:" is valid for etcd) */
	char *str;      /* Go's URL.String(): what etcd prints, sorts and compares */
};

struct url_list {
	struct url *v;
	size_t n;
};

/* One name of --initial-cluster with all of its URLs (sorted). */
struct url_member {
	char *name;
	struct url_list urls;
};

/* A parsed --initial-cluster: members in order of first appearance. */
struct url_cluster {
	struct url_member *v;
	size_t n;
};

/* Parses and validates one URL (no comma splitting). */
int urls_parse_one(const char *in, struct url *out, char *err, size_t errlen);
void urls_url_free(struct url *u);

/* Parses a comma-separated list, as etcd's URLsValue.Set.  An empty element
 * (",", a trailing comma) fails like etcd: "URL scheme must be ...: ". */
int urls_parse_list(const char *s, struct url_list *out, char *err, size_t errlen);
void urls_list_free(struct url_list *l);
/* The list as etcd prints it: the URLs joined with ','.  malloc'd. */
char *urls_list_string(const struct url_list *l);

/* etcd embed/config.go checkBindURLs, for --listen-*-urls: every host of a
 * non-unix URL is an IP literal or "localhost", else
 * "expected IP in URL for binding (<url>)". */
int urls_check_bind(const struct url_list *l, char *err, size_t errlen);
/* etcd checkHostURLs, for --advertise-client-urls and
 * --initial-advertise-peer-urls: "unexpected empty host (<url>)".  Callers
 * wrap it as etcd does:
 *   --advertise-client-urls "<urls>" must be "host:port" (<error>) */
int urls_check_host(const struct url_list *l, char *err, size_t errlen);

/* Parses --initial-cluster "name=url,name=url" as etcd's types.NewURLsMap:
 * empty elements are skipped, the name is what precedes the first '=',
 * one name may appear several times (one URL each), and each URL is
 * validated as above (so "foo" fails with "URL scheme must be ...: ").
 * etcd reports that as "error setting up initial cluster: <error>". */
int urls_parse_cluster(const char *s, struct url_cluster *out, char *err, size_t errlen);
void urls_cluster_free(struct url_cluster *c);
/* etcd's URLsMap.String(): every "name=url" pair, sorted, joined by ','. */
char *urls_cluster_string(const struct url_cluster *c);
const struct url_member *urls_cluster_find(const struct url_cluster *c, const char *name);
/* etcdserver/config.go checks at bootstrap, with their messages:
 *   couldn't find local name "<name>" in the initial cluster configuration
 *   initial cluster <urls_cluster_string> has duplicate url */
int urls_cluster_check_local(const struct url_cluster *c, const char *name, char *err, size_t errlen);
int urls_cluster_check_duplicates(const struct url_cluster *c, char *err, size_t errlen);

#endif
