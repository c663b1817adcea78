/*
 * storaged_client.c - see storaged_client.h.  Test code only: failures to
 * start the binary abort the test program.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/storaged/storaged_client.h"

const char *sc_binary(void)
{
	const char *b = getenv("CETCD_STORAGED");
	return b && *b ? b : "./cetcd-storaged";
}

int sc_connect(struct sc_conn *c, const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(sock) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

void sc_close(struct sc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

pid_t sc_start(const char *data, const char *sock, const char *const *extra, const char *log)
{
	const char *argv[32];
	int n = 0;

	argv[n++] = sc_binary();
	argv[n++] = "--data-dir";
	argv[n++] = data;
	argv[n++] = "--socket";
	argv[n++] = sock;
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	unlink(sock);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], (char *const *)argv);
		perror("execv");
		_exit(127);
	}
	for (int i = 0; i < 4000; i++) {
		struct sc_conn c;
		int st;
		if (sc_connect(&c, sock) == 0) {
			sc_close(&c);
			return pid;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "%s exited at start (status %d); see %s\n", argv[0], st, log ? log : "");
			exit(2);
		}
		usleep(5000);
	}
	fprintf(stderr, "%s did not start listening on %s\n", argv[0], sock);
	kill(pid, SIGKILL);
	exit(2);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sc_send_frame(struct sc_conn *c, const void *p, size_t n)
{
	uint8_t *buf = malloc(n + 4);
	uint32_t be = htonl((uint32_t)n);
	int rc;

	if (!buf)
		return -1;
	memcpy(buf, &be, 4);
	if (n)
		memcpy(buf + 4, p, n);
	rc = write_all(c->fd, buf, n + 4);
	free(buf);
	return rc;
}

int sc_send(struct sc_conn *c, Cetcd__Storage__Envelope *e)
{
	size_t n = protobuf_c_message_get_packed_size(&e->base);
	uint8_t *buf = malloc(n ? n : 1);
	int rc;

	if (!buf)
		return -1;
	protobuf_c_message_pack(&e->base, buf);
	rc = sc_send_frame(c, buf, n);
	free(buf);
	return rc;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

Cetcd__Storage__Envelope *sc_recv(struct sc_conn *c, int timeout_ms)
{
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;

	for (;;) {
		if (c->have >= 4) {
			uint32_t len;
			memcpy(&len, c->buf, 4);
			len = ntohl(len);
			if (c->have >= 4 + (size_t)len) {
				Cetcd__Storage__Envelope *e = cetcd__storage__envelope__unpack(NULL, len, c->buf + 4);
				memmove(c->buf, c->buf + 4 + len, c->have - 4 - len);
				c->have -= 4 + len;
				return e;
			}
			if (c->cap < 4 + (size_t)len) {
				uint8_t *b = realloc(c->buf, 4 + (size_t)len);
				if (!b)
					return NULL;
				c->buf = b;
				c->cap = 4 + (size_t)len;
			}
		}
		if (c->cap - c->have < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 1 << 20;
			uint8_t *b = realloc(c->buf, cap);
			if (!b)
				return NULL;
			c->buf = b;
			c->cap = cap;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && wait <= 0)
			return NULL;
		int r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		ssize_t got = read(c->fd, c->buf + c->have, c->cap - c->have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		c->have += (size_t)got;
	}
}

Cetcd__Storage__Envelope sc_env(int type, uint64_t id, void *body)
{
	Cetcd__Storage__Envelope e = CETCD__STORAGE__ENVELOPE__INIT;
	const ProtobufCFieldDescriptor *f;

	e.version = CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	e.type = type;
	e.request_id = id;
	e.body_case = type;
	f = protobuf_c_message_descriptor_get_field(&cetcd__storage__envelope__descriptor, (unsigned)type);
	if (f)
		*(void **)((char *)&e + f->offset) = body;
	return e;
}

Cetcd__Storage__Envelope *sc_call(struct sc_conn *c, int type, uint64_t id, void *body)
{
	Cetcd__Storage__Envelope e = sc_env(type, id, body);

	if (sc_send(c, &e))
		return NULL;
	return sc_recv(c, 30000);
}
