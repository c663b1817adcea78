/*
 * gourl: the parts of Go's standard library whose exact behaviour (and
 * error text) etcd users see through flags: net/url.Parse, URL.String,
 * net.SplitHostPort and strconv.Quote.  common/urls builds etcd's URL-list
 * rules on top; flag parsing can use gourl_quote for Go's %q.
 *
 * Reproduces Go 1.19 (what Debian's etcd 3.4.23 is built with), for the
 * URL shapes etcd accepts; see gourl.c for the steps.
 */
#ifndef CETCD_COMMON_GOURL_H
#define CETCD_COMMON_GOURL_H

#include <stddef.h>

#include "common/buf.h"

/* What url.Parse keeps.  The spans point into the parsed input, which must
 * outlive the struct; scheme and host are owned copies. */
struct gourl {
	struct buf scheme; /* lowercased */
	struct buf host;   /* URL.Host, unescaped ("[::1]:2379", "h:") */
	const char *user;  /* user info as written, NULL if none */
	size_t user_len;
	size_t path_len;   /* length of the path (or opaque part) as written */
	const char *query; /* after '?', NULL if no '?' */
	size_t query_len;
	const char *frag;  /* after '#', NULL if no '#' */
	size_t frag_len;
};

void gourl_init(struct gourl *g);
void gourl_free(struct gourl *g);
/* url.Parse(in[0..n)).  0, or -1 with Go's message appended to msg, e.g.
 * `parse "http://a:b:c": invalid port ":c" after host`. */
int gourl_parse(struct gourl *g, const char *in, size_t n, struct buf *msg);
/* URL.String() of a URL with a host (malloc'd; NULL if out of memory). */
char *gourl_string(const struct gourl *g);
/* net.SplitHostPort: 0 (*host, *port malloc'd), -1 if hp is not
 * "host:port" / "[host]:port", -2 if out of memory. */
int gourl_split_host_port(const char *hp, char **host, char **port);
/* strconv.Quote(s[0..n)) appended to b. */
void gourl_quote(struct buf *b, const char *s, size_t n);

#endif
