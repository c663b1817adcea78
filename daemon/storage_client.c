/*
 * storage_client.c - pipelined storage-protocol client with reconnection.
 *
 * Runs in cetcd on its event loop.  Owns the connection (a frame_conn), the
 * FIFO of calls in flight and the reconnect timer.  Never blocks: connect()
 * on a Unix socket completes or fails at once.  Answers must come back in
 * request order with matching ids; anything else is a protocol error that
 * drops the connection (and fails every call in flight).
 *
 *   DOWN --connect ok--> UP --EOF/error/bad answer--> DOWN (retry timer:
 *   50 ms doubling to 1 s)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/frame.h"
#include "daemon/storage_client.h"

#define SC_MAX_FRAME ((size_t)64 << 20)
#define SC_MAX_PENDING ((size_t)128 << 20)
#define SC_RETRY_MIN_MS 50
#define SC_RETRY_MAX_MS 1000

struct pending {
	struct pending *next;
	uint64_t id;
	storage_answer_fn *cb;
	void *arg;
};

struct storage_client {
	struct event_base *base;
	char path[108];
	struct frame_conn *fc;
	struct pending *head, *tail;
	size_t in_flight;
	uint64_t next_id;
	struct event *retry_ev;
	struct event *fail_ev;		/* runs callbacks failed outside the loop */
	struct pending *failed_head, *failed_tail;
	int retry_ms;
	storage_event_fn *on_up, *on_down;
	void *arg;
};

static void fail_later(struct storage_client *c, struct pending *p)
{
	p->next = NULL;
	if (c->failed_tail)
		c->failed_tail->next = p;
	else
		c->failed_head = p;
	c->failed_tail = p;
	event_active(c->fail_ev, EV_TIMEOUT, 0);
}

static void run_failed(evutil_socket_t fd, short what, void *arg)
{
	struct storage_client *c = arg;

	while (c->failed_head) {
		struct pending *p = c->failed_head;
		c->failed_head = p->next;
		if (!c->failed_head)
			c->failed_tail = NULL;
		p->cb(p->arg, NULL, "storage process unavailable");
		free(p);
	}
}

static void schedule_retry(struct storage_client *c)
{
	struct timeval tv = { c->retry_ms / 1000, (c->retry_ms % 1000) * 1000 };

	evtimer_add(c->retry_ev, &tv);
	c->retry_ms = c->retry_ms * 2 > SC_RETRY_MAX_MS ? SC_RETRY_MAX_MS : c->retry_ms * 2;
}

static void conn_lost(struct storage_client *c, const char *why)
{
	if (c->fc) {
		frame_conn_free(c->fc);
		c->fc = NULL;
	}
	fprintf(stderr, "cetcd: lost the storage process connection: %s\n", why);
	while (c->head) {
		struct pending *p = c->head;
		c->head = p->next;
		fail_later(c, p);
	}
	c->tail = NULL;
	c->in_flight = 0;
	if (c->on_down)
		c->on_down(c->arg);
	schedule_retry(c);
}

static void on_frame(struct frame_conn *fc, const uint8_t *payload, size_t len, void *arg)
{
	struct storage_client *c = arg;
	Cetcd__Storage__Envelope *ans = cetcd__storage__envelope__unpack(NULL, len, payload);
	struct pending *p = c->head;

	if (!ans || !p || ans->request_id != p->id) {
		if (ans)
			cetcd__storage__envelope__free_unpacked(ans, NULL);
		conn_lost(c, "an answer out of order or undecodable");
		return;
	}
	c->head = p->next;
	if (!c->head)
		c->tail = NULL;
	c->in_flight--;
	p->cb(p->arg, ans, NULL);
	cetcd__storage__envelope__free_unpacked(ans, NULL);
	free(p);
}

static void on_close(struct frame_conn *fc, int code, const char *why, void *arg)
{
	struct storage_client *c = arg;

	conn_lost(c, code ? why : "storage process closed the connection");
}

static void try_connect(evutil_socket_t fd_unused, short what, void *arg)
{
	struct storage_client *c = arg;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		schedule_retry(c);
		return;
	}
	memcpy(sun.sun_path, c->path, sizeof(c->path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		schedule_retry(c);
		return;
	}
	c->fc = frame_conn_new(c->base, fd, SC_MAX_FRAME, SC_MAX_PENDING, on_frame, on_close, c);
	if (!c->fc) {
		schedule_retry(c);
		return;
	}
	c->retry_ms = SC_RETRY_MIN_MS;
	if (c->on_up)
		c->on_up(c->arg);
}

struct storage_client *storage_client_new(struct event_base *base, const char *socket_path,
    storage_event_fn *on_up, storage_event_fn *on_down, void *arg)
{
	struct storage_client *c = calloc(1, sizeof(*c));

	if (!c || strlen(socket_path) >= sizeof(c->path)) {
		free(c);
		return NULL;
	}
	c->base = base;
	strcpy(c->path, socket_path);
	c->on_up = on_up;
	c->on_down = on_down;
	c->arg = arg;
	c->next_id = 1;
	c->retry_ms = SC_RETRY_MIN_MS;
	c->retry_ev = evtimer_new(base, try_connect, c);
	c->fail_ev = event_new(base, -1, 0, run_failed, c);
	if (!c->retry_ev || !c->fail_ev) {
		storage_client_free(c);
		return NULL;
	}
	struct timeval now = { 0, 0 };
	evtimer_add(c->retry_ev, &now);
	return c;
}

void storage_client_free(struct storage_client *c)
{
	if (!c)
		return;
	if (c->fc)
		frame_conn_free(c->fc);
	while (c->head) {
		struct pending *p = c->head;
		c->head = p->next;
		p->cb(p->arg, NULL, "shutting down");
		free(p);
	}
	run_failed(-1, 0, c);
	if (c->retry_ev)
		event_free(c->retry_ev);
	if (c->fail_ev)
		event_free(c->fail_ev);
	free(c);
}

bool storage_client_is_up(const struct storage_client *c)
{
	return c->fc != NULL;
}

size_t storage_client_in_flight(const struct storage_client *c)
{
	return c->in_flight;
}

int storage_client_call(struct storage_client *c, Cetcd__Storage__Envelope *req,
    storage_answer_fn *cb, void *arg)
{
	struct pending *p = calloc(1, sizeof(*p));
	uint8_t stackbuf[4096], *buf = stackbuf;

	if (!p) {
		cb(arg, NULL, "out of memory");
		return -1;
	}
	p->cb = cb;
	p->arg = arg;
	if (!c->fc) {
		fail_later(c, p);
		return -1;
	}
	p->id = c->next_id++;
	req->version = CETCD__STORAGE__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	req->request_id = p->id;
	size_t len = protobuf_c_message_get_packed_size(&req->base);
	if (len > sizeof(stackbuf) && !(buf = malloc(len))) {
		fail_later(c, p);
		return -1;
	}
	protobuf_c_message_pack(&req->base, buf);
	int rc = frame_conn_send(c->fc, buf, len);
	if (buf != stackbuf)
		free(buf);
	if (rc != FRAME_OK) {
		fail_later(c, p);
		return -1;
	}
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	c->in_flight++;
	return 0;
}
