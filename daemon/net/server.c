/*
 * server: the net_server object, its listeners and the protocol sniffer.
 *
 * Owns the listening sockets (TCP and Unix, SO_REUSEADDR), the list of
 * open connections, the connection cap and the method/route registries.
 * A new connection is not read from: its first bytes are peeked
 * (recv MSG_PEEK) until they decide the protocol, so the chosen protocol
 * engine sees the byte stream from its very first byte, as cmux does.
 * Never blocks; runs on cetcd's event loop only.
 *
 *   accept ──> SNIFF ──"PRI * HTTP/2.0..."──> h2_conn (nghttp2)
 *                 ├────0x16 (TLS)───────────> closed, logged (TLS: later)
 *                 ├────other bytes──────────> h1_conn
 *                 └────EOF / timeout────────> closed
 */
#include "daemon/net/net_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/util.h>

#include "common/log.h"
#include "daemon/net/sniff.h"

struct net_listener {
	struct net_server *srv;
	struct net_listener *next;
	struct evconnlistener *evl;
	char *url;       /* bound address, as reported */
	char *unix_path; /* socket file we created, unlinked at close */
};

struct sniff_conn {
	struct net_conn base;
	int fd;
	struct event *ev;
	struct timeval deadline; /* monotonic (event_base_gettimeofday_cached is wall) */
	bool edge;               /* EV_ET in use */
};

void net_config_default(struct net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_request_bytes = NET_DEFAULT_MAX_REQUEST_BYTES;
	cfg->max_http_body = cfg->max_request_bytes / 3 * 4 + NET_GRPC_OVERHEAD_BYTES;
	cfg->max_concurrent_streams = NET_DEFAULT_MAX_STREAMS;
	cfg->max_conns = 100000;
	cfg->sniff_timeout_ms = 10000;
	cfg->h2_recv_budget = 64u * 1024u * 1024u;
	cfg->backlog = 1024;
}

struct net_server *net_server_new(struct event_base *base, const struct net_config *cfg)
{
	struct net_server *s = calloc(1, sizeof(*s));
	struct net_config def;

	if (s == NULL)
		return NULL;
	net_config_default(&def);
	s->base = base;
	s->cfg = cfg ? *cfg : def;
	if (s->cfg.max_request_bytes == 0)
		s->cfg.max_request_bytes = def.max_request_bytes;
	if (s->cfg.max_http_body == 0)
		s->cfg.max_http_body = s->cfg.max_request_bytes / 3 * 4 + NET_GRPC_OVERHEAD_BYTES;
	if (s->cfg.max_concurrent_streams == 0)
		s->cfg.max_concurrent_streams = def.max_concurrent_streams;
	if (s->cfg.max_conns == 0)
		s->cfg.max_conns = def.max_conns;
	if (s->cfg.sniff_timeout_ms == 0)
		s->cfg.sniff_timeout_ms = def.sniff_timeout_ms;
	if (s->cfg.h2_recv_budget == 0)
		s->cfg.h2_recv_budget = def.h2_recv_budget;
	if (s->cfg.backlog <= 0)
		s->cfg.backlog = def.backlog;
	/* etcd v3rpc: grpc.MaxRecvMsgSize(MaxRequestBytes + grpcOverheadBytes). */
	s->grpc_max_recv = s->cfg.max_request_bytes + NET_GRPC_OVERHEAD_BYTES;
	s->conns.next = s->conns.prev = &s->conns;
	return s;
}

const struct net_config *net_server_config(const struct net_server *s)
{
	return &s->cfg;
}

size_t net_server_conn_count(const struct net_server *s)
{
	return s->n_conns;
}

size_t net_server_active_count(const struct net_server *s)
{
	return s->n_active;
}

/* ---- connection list and cap --------------------------------------- */

static void server_set_accepting(struct net_server *s, bool on)
{
	struct net_listener *l;

	for (l = s->listeners; l != NULL; l = l->next) {
		if (on)
			evconnlistener_enable(l->evl);
		else
			evconnlistener_disable(l->evl);
	}
}

void net_conn_link(struct net_server *s, struct net_conn *c, enum net_conn_kind kind,
		   void (*destroy)(struct net_conn *c))
{
	c->srv = s;
	c->kind = kind;
	c->destroy = destroy;
	c->next = &s->conns;
	c->prev = s->conns.prev;
	s->conns.prev->next = c;
	s->conns.prev = c;
	s->n_conns++;
	if (s->n_conns >= s->cfg.max_conns && !s->paused) {
		/* Like Go's netutil.LimitListener: stop accepting, so excess
		 * clients wait in the kernel backlog rather than being cut. */
		s->paused = true;
		server_set_accepting(s, false);
		log_warn("connection limit reached; pausing accept",
			 LOG_U64("max-connections", s->cfg.max_conns));
	}
}

void net_conn_unlink(struct net_conn *c)
{
	struct net_server *s = c->srv;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->next = c->prev = c;
	s->n_conns--;
	if (s->paused && s->n_conns < s->cfg.max_conns) {
		s->paused = false;
		if (!s->stopped)
			server_set_accepting(s, true);
	}
}

/* ---- sniffing -------------------------------------------------------- */

/* The client connection preface, RFC 7540 3.5. */
#define H2_PREFACE_LEN 24

static void sniff_free(struct sniff_conn *sc, bool close_fd)
{
	event_free(sc->ev);
	net_conn_unlink(&sc->base);
	if (close_fd)
		evutil_closesocket(sc->fd);
	free(sc);
}

static void sniff_destroy(struct net_conn *c)
{
	sniff_free((struct sniff_conn *)c, true);
}

static void sniff_cb(evutil_socket_t fd, short what, void *arg);

/* (Re)arms the wait for more bytes with what is left of the deadline. */
static int sniff_arm(struct sniff_conn *sc, bool partial)
{
	struct event_base *base = sc->base.srv->base;
	struct timeval now, left;
	short ev = EV_READ;

	evutil_gettimeofday(&now, NULL);
	if (evutil_timercmp(&now, &sc->deadline, >=))
		return -1;
	evutil_timersub(&sc->deadline, &now, &left);
	if (partial && !sc->edge) {
		/* Level-triggered readiness would fire at once again for the
		 * bytes already peeked: poll on a short timer instead. */
		struct timeval tick = { 0, 10000 };
		if (evutil_timercmp(&tick, &left, <))
			left = tick;
		ev = 0;
	} else if (sc->edge) {
		ev |= EV_ET;
	}
	event_del(sc->ev);
	event_assign(sc->ev, base, sc->fd, ev, sniff_cb, sc);
	return event_add(sc->ev, &left);
}

static void sniff_route(struct sniff_conn *sc, enum net_sniff kind)
{
	struct net_server *s = sc->base.srv;
	int fd = sc->fd;
	int rc;

	sniff_free(sc, false);
	if (kind == NET_SNIFF_H2)
		rc = h2_conn_start(s, fd);
	else
		rc = h1_conn_start(s, fd);
	if (rc != 0)
		log_warn("cannot start connection", LOG_ERRNO(-rc));
}

/* "1.2.3.4:5678" for log lines ("" for Unix sockets or on error). */
static const char *peer_name(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return out;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
	}
	return out;
}

static void sniff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sniff_conn *sc = arg;
	uint8_t peek[H2_PREFACE_LEN];
	char peer[INET6_ADDRSTRLEN + 8];
	enum net_sniff kind;
	ssize_t n;

	n = recv(fd, peek, sizeof(peek), MSG_PEEK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		sniff_free(sc, true);
		return;
	}
	kind = net_sniff_classify(peek, n > 0 ? (size_t)n : 0);
	switch (kind) {
	case NET_SNIFF_H2:
	case NET_SNIFF_H1:
		sniff_route(sc, kind);
		return;
	case NET_SNIFF_TLS:
		/* TLS (with ALPN h2 / http/1.1) will hook in here. */
		log_warn("rejected TLS connection: client TLS is not configured on this listener",
			 LOG_STR("remote-addr", peer_name(fd, peer, sizeof(peer))));
		sniff_free(sc, true);
		return;
	case NET_SNIFF_MORE:
		break;
	}
	if (sniff_arm(sc, n > 0) != 0) {
		log_debug("closed connection that sent no complete protocol preface in time",
			  LOG_I64("bytes", n > 0 ? n : 0),
			  LOG_U64("timeout-ms", sc->base.srv->cfg.sniff_timeout_ms));
		sniff_free(sc, true);
	}
	(void)what;
}

static void listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
			       struct sockaddr *addr, int socklen, void *arg)
{
	struct net_listener *l = arg;
	struct net_server *s = l->srv;
	struct sniff_conn *sc;
	struct timeval tmo;
	int one = 1;

	(void)evl;
	(void)socklen;
	if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		evutil_closesocket(fd);
		return;
	}
	sc->fd = fd;
	sc->edge = (event_base_get_features(s->base) & EV_FEATURE_ET) != 0;
	evutil_gettimeofday(&sc->deadline, NULL);
	tmo.tv_sec = s->cfg.sniff_timeout_ms / 1000;
	tmo.tv_usec = (s->cfg.sniff_timeout_ms % 1000) * 1000;
	evutil_timeradd(&sc->deadline, &tmo, &sc->deadline);
	sc->ev = event_new(s->base, fd, 0, sniff_cb, sc);
	if (sc->ev == NULL) {
		free(sc);
		evutil_closesocket(fd);
		return;
	}
	net_conn_link(s, &sc->base, NET_CONN_SNIFF, sniff_destroy);
	if (sniff_arm(sc, false) != 0)
		sniff_free(sc, true);
}

static void listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct net_listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)evl;
	/* EMFILE/ENFILE: out of descriptors.  libevent retries on the next
	 * readiness; just say so. */
	log_warn("accept failed", LOG_STR("address", l->url), LOG_ERRNO(err));
}

/* ---- listening -------------------------------------------------------- */

static void listener_free(struct net_listener *l)
{
	if (l->evl)
		evconnlistener_free(l->evl);
	if (l->unix_path)
		unlink(l->unix_path);
	free(l->unix_path);
	free(l->url);
	free(l);
}

static int listen_fd(const struct sockaddr *sa, socklen_t salen, int backlog)
{
	int fd, one = 1, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sa->sa_family != AF_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto err;
	if (bind(fd, sa, salen) != 0 || listen(fd, backlog) != 0)
		goto err;
	return fd;
err:
	err = errno;
	close(fd);
	return -err;
}

/* Opens one URL; on success *out is a new listener (not yet linked). */
static int listener_open(struct net_server *s, const char *url, size_t ulen,
			 struct net_listener **out, char *errbuf, size_t errlen)
{
	struct net_listener *l = NULL;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[256], port[16], numhost[INET6_ADDRSTRLEN], *u = NULL;
	const char *rest, *colon;
	int fd = -1, rc;

	u = strndup(url, ulen);
	l = calloc(1, sizeof(*l));
	if (u == NULL || l == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	l->srv = s;
	if (strncmp(u, "unix://", 7) == 0 || strncmp(u, "unixs://", 8) == 0) {
		struct sockaddr_un sun;
		struct stat st;

		if (u[4] == 's') {
			snprintf(errbuf, errlen, "%s: TLS listeners are not supported yet", u);
			rc = -ENOTSUP;
			goto err;
		}
		rest = u + 7;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (*rest == '\0' || strlen(rest) >= sizeof(sun.sun_path)) {
			snprintf(errbuf, errlen, "%s: bad unix socket path", u);
			rc = -EINVAL;
			goto err;
		}
		strcpy(sun.sun_path, rest);
		/* etcd removes a leftover socket file before listening. */
		if (stat(rest, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(rest);
		fd = listen_fd((struct sockaddr *)&sun, sizeof(sun), s->cfg.backlog);
		if (fd < 0) {
			rc = fd;
			snprintf(errbuf, errlen, "listen %s: %s", u, strerror(-rc));
			goto err;
		}
		l->unix_path = strdup(rest);
		l->url = strdup(u);
	} else {
		if (strncmp(u, "https://", 8) == 0) {
			snprintf(errbuf, errlen, "%s: TLS listeners are not supported yet", u);
			rc = -ENOTSUP;
			goto err;
		}
		if (strncmp(u, "http://", 7) != 0) {
			snprintf(errbuf, errlen, "%s: URL scheme must be http, https, unix or unixs", u);
			rc = -EINVAL;
			goto err;
		}
		rest = u + 7;
		if (*rest == '[') {
			const char *end = strchr(rest, ']');
			if (end == NULL || end[1] != ':' || (size_t)(end - rest - 1) >= sizeof(host))
				goto bad_hostport;
			memcpy(host, rest + 1, end - rest - 1);
			host[end - rest - 1] = '\0';
			colon = end + 1;
		} else {
			colon = strrchr(rest, ':');
			if (colon == NULL || (size_t)(colon - rest) >= sizeof(host))
				goto bad_hostport;
			memcpy(host, rest, colon - rest);
			host[colon - rest] = '\0';
		}
		if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port) ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			goto bad_hostport;
		strcpy(port, colon + 1);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
		if (rc != 0) {
			snprintf(errbuf, errlen, "listen %s: %s", u, gai_strerror(rc));
			rc = -EINVAL;
			goto err;
		}
		/* Like Go's net.Listen on a name: the first address only. */
		fd = listen_fd(res->ai_addr, res->ai_addrlen, s->cfg.backlog);
		if (fd < 0) {
			rc = fd;
			snprintf(errbuf, errlen, "listen tcp %s: bind: %s", rest, strerror(-rc));
			goto err;
		}
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
			rc = -errno;
			goto err;
		}
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a6->sin6_addr, numhost, sizeof(numhost));
			snprintf(host, sizeof(host), "http://[%s]:%u", numhost, ntohs(a6->sin6_port));
		} else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a4->sin_addr, numhost, sizeof(numhost));
			snprintf(host, sizeof(host), "http://%s:%u", numhost, ntohs(a4->sin_port));
		}
		l->url = strdup(host);
	}
	if (l->url == NULL || (l->unix_path == NULL && u[0] == 'u')) {
		rc = -ENOMEM;
		goto err;
	}
	l->evl = evconnlistener_new(s->base, listener_accept_cb, l,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->evl == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	fd = -1; /* the listener owns it now */
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	if (s->paused || s->stopped)
		evconnlistener_disable(l->evl);
	if (res)
		freeaddrinfo(res);
	free(u);
	*out = l;
	return 0;

bad_hostport:
	snprintf(errbuf, errlen, "%s: expected http://host:port", u);
	rc = -EINVAL;
err:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	if (l)
		listener_free(l);
	free(u);
	return rc;
}

int net_server_listen(struct net_server *s, const char *urls, char *errbuf, size_t errlen)
{
	struct net_listener *added = NULL, **atail = &added, *l = NULL, **tail;
	const char *p = urls, *end;
	char dummy[8];
	int rc = 0;

	if (errbuf == NULL) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	while (*p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (end > p) {
			rc = listener_open(s, p, end - p, &l, errbuf, errlen);
			if (rc != 0)
				goto err;
			*atail = l;
			atail = &l->next;
		}
		p = *end ? end + 1 : end;
	}
	for (tail = &s->listeners; *tail; tail = &(*tail)->next)
		;
	*tail = added;
	for (l = added; l; l = l->next) {
		s->n_listeners++;
		log_info("serving client traffic", LOG_STR("address", l->url));
	}
	return 0;
err:
	while (added) {
		l = added->next;
		listener_free(added);
		added = l;
	}
	return rc;
}

const char *net_server_listener_url(const struct net_server *s, size_t i)
{
	const struct net_listener *l = s->listeners;

	while (l && i--)
		l = l->next;
	return l ? l->url : NULL;
}

void net_server_stop_accepting(struct net_server *s)
{
	s->stopped = true;
	server_set_accepting(s, false);
}

void net_server_free(struct net_server *s)
{
	struct net_listener *l;
	size_t i;

	if (s == NULL)
		return;
	s->stopped = true;
	while ((l = s->listeners) != NULL) {
		s->listeners = l->next;
		listener_free(l);
	}
	while (s->conns.next != &s->conns)
		s->conns.next->destroy(s->conns.next);
	for (i = 0; i < s->n_routes; i++) {
		free(s->routes[i].method);
		free(s->routes[i].path);
	}
	free(s->routes);
	for (i = 0; i < s->n_methods; i++)
		free(s->methods[i].path);
	free(s->methods);
	free(s);
}
