/*
 * bench_net_idle: memory per idle client connection of daemon/net/.
 *
 * Forks a server (one net_server on a free loopback port, in its own
 * process so its RSS is its own), opens N connections to it and leaves
 * them idle, then reads the server's VmRSS from /proc.  Two kinds:
 *   h2: preface + SETTINGS exchanged (an idle gRPC client connection);
 *   h1: one request answered, connection kept alive.
 * N is 10000 unless BENCH_NET_IDLE_CONNS says otherwise.  Prints
 *   BENCH net_idle_<kind>_conns N
 *   BENCH net_idle_<kind>_rss_bytes_per_conn X
 * Numbers are only meaningful for a build without sanitizers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/net/net.h"

static void server_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

/* The child: serve until SIGTERM; report the port on fd. */
static int server_main(int fd, unsigned n)
{
	struct event_base *base = event_base_new();
	struct net_config cfg;
	struct net_server *s;
	struct event *ev;
	const char *url;
	int port;

	net_config_default(&cfg);
	cfg.max_conns = n + 100;
	cfg.sniff_timeout_ms = 60000;
	s = net_server_new(base, &cfg);
	if (s == NULL || net_server_listen(s, "http://127.0.0.1:0", NULL, 0) != 0)
		return 1;
	url = net_server_listener_url(s, 0);
	port = atoi(strrchr(url, ':') + 1);
	if (write(fd, &port, sizeof(port)) != sizeof(port))
		return 1;
	close(fd);
	ev = evsignal_new(base, SIGTERM, server_stop, base);
	event_add(ev, NULL);
	event_base_dispatch(base);
	event_free(ev);
	net_server_free(s);
	event_base_free(base);
	return 0;
}

static long rss_bytes(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static int dial(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

/* Opens one idle connection of the kind; returns its fd once the server
 * has answered (so it has set the connection up completely). */
static int open_idle(int port, int h2)
{
	static const char h2_open[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				      "\x00\x00\x00\x04\x00\x00\x00\x00\x00"; /* empty SETTINGS */
	static const char h1_req[] = "GET /x HTTP/1.1\r\nHost: b\r\n\r\n";
	char buf[4096];
	int fd = dial(port);
	ssize_t n;

	if (h2)
		n = write(fd, h2_open, sizeof(h2_open) - 1);
	else
		n = write(fd, h1_req, sizeof(h1_req) - 1);
	if (n <= 0 || read(fd, buf, sizeof(buf)) <= 0) {
		fprintf(stderr, "no answer\n");
		exit(1);
	}
	return fd;
}

static void measure(const char *kind, int h2, unsigned n)
{
	int pfd[2], port = 0, *fds;
	long before, after;
	pid_t pid;
	unsigned i;

	if (pipe(pfd) != 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		_exit(server_main(pfd[1], n));
	}
	close(pfd[1]);
	if (read(pfd[0], &port, sizeof(port)) != sizeof(port)) {
		fprintf(stderr, "server did not start\n");
		exit(1);
	}
	close(pfd[0]);
	fds = calloc(n + 1, sizeof(*fds));
	/* A first connection warms up what is allocated once per process. */
	fds[n] = open_idle(port, h2);
	usleep(200000);
	before = rss_bytes(pid);
	for (i = 0; i < n; i++)
		fds[i] = open_idle(port, h2);
	usleep(500000);
	after = rss_bytes(pid);
	printf("BENCH net_idle_%s_conns %u\n", kind, n);
	printf("BENCH net_idle_%s_rss_bytes_per_conn %.0f\n", kind, (double)(after - before) / n);
	printf("BENCH net_idle_%s_server_rss_mib %.1f\n", kind, after / 1048576.0);
	fflush(stdout);
	for (i = 0; i <= n; i++)
		close(fds[i]);
	free(fds);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const char *e = getenv("BENCH_NET_IDLE_CONNS");
	unsigned n = e ? (unsigned)atoi(e) : 10000;
	struct rlimit rl;

	/* Client and server each need n descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < n + 64) {
			n = (unsigned)rl.rlim_cur - 64;
			fprintf(stderr, "bench_net_idle: descriptor limit: using %u connections\n", n);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	measure("h2", 1, n);
	measure("h1", 0, n);
	return 0;
}
