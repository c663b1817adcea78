/*
 * frame.c: length-prefixed frames over a libevent bufferevent (see
 * frame.h).  Runs in both processes, on the thread of the event_base.
 *
 * Owns: one bufferevent (and through it the fd) per connection, its input
 * and output buffers.
 * Never: blocks, reads past a bad frame header, lets the input buffer hold
 * more than one maximal frame plus one read, queues output beyond
 * max_pending, or touches any connection but its own when one fails.
 *
 * Re-entrancy: user callbacks may free the connection.  Every call into
 * user code is bracketed by depth++/depth--; frame_conn_free inside that
 * window closes the socket at once but leaves the struct for the outermost
 * frame of this module to release (conn_unref).
 */
#include "common/frame.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct frame_conn {
	struct bufferevent *bev; /* NULL once closed */
	size_t max_frame;
	size_t max_pending;
	size_t drain_mark;
	frame_on_frame_fn *on_frame;
	frame_on_close_fn *on_close;
	frame_on_drain_fn *on_drain;
	void *arg;
	int depth;         /* nesting of user callbacks in progress */
	bool free_pending; /* frame_conn_free called inside a callback */
	bool want_drain;   /* a send was refused with FRAME_ERR_FULL */
	bool reading;
};

const char *frame_strerror(int code)
{
	switch (code) {
	case FRAME_OK: return "success";
	case FRAME_ERR_TOO_BIG: return "frame too big";
	case FRAME_ERR_TRUNCATED: return "connection closed mid-frame";
	case FRAME_ERR_IO: return "connection error";
	case FRAME_ERR_FULL: return "output queue full";
	case FRAME_ERR_CLOSED: return "connection closed";
	case FRAME_ERR_NOMEM: return "out of memory";
	case FRAME_ERR_INVAL: return "invalid argument";
	}
	return "unknown frame error";
}

static void conn_close_bev(struct frame_conn *c)
{
	if (c->bev) {
		/* Safe inside the bufferevent's own callbacks: libevent holds a
		 * reference while it runs them. */
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
}

/* Ends a user-callback window; frees the struct if that was requested and
 * no outer window is still open.  Returns true if c is gone. */
static bool conn_unref(struct frame_conn *c)
{
	c->depth--;
	if (c->depth == 0 && c->free_pending) {
		free(c);
		return true;
	}
	return c->free_pending;
}

/* Closes the connection and tells the owner why.  Returns true if c was
 * freed (or is being freed) by the callback. */
static bool conn_fail(struct frame_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool conn_fail(struct frame_conn *c, int code, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conn_close_bev(c);
	if (c->on_close == NULL)
		return false;
	c->depth++;
	c->on_close(c, code, why, c->arg);
	return conn_unref(c);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct frame_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[FRAME_HEADER_SIZE];
	unsigned char *p;
	uint32_t len;
	bool gone;

	/* One pass delivers every complete frame already read: many frames per
	 * read is the common case with pipelining. */
	while (c->bev != NULL && c->reading) {
		if (evbuffer_get_length(in) < FRAME_HEADER_SIZE)
			return;
		evbuffer_copyout(in, hdr, FRAME_HEADER_SIZE);
		len = get_be32(hdr);
		if (len > c->max_frame) {
			/* Nothing after a bad header can be trusted: stop here. */
			conn_fail(c, FRAME_ERR_TOO_BIG, "frame of %lu bytes exceeds the maximum frame size of %zu bytes",
				  (unsigned long)len, c->max_frame);
			return;
		}
		if (evbuffer_get_length(in) - FRAME_HEADER_SIZE < len)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HEADER_SIZE + (size_t)len));
		if (p == NULL) {
			conn_fail(c, FRAME_ERR_NOMEM, "out of memory assembling a frame of %lu bytes",
				  (unsigned long)len);
			return;
		}
		c->depth++;
		c->on_frame(c, p + FRAME_HEADER_SIZE, len, c->arg);
		gone = conn_unref(c);
		if (gone)
			return;
		if (c->bev == NULL)
			return; /* closed by the callback; in is gone with it */
		evbuffer_drain(in, FRAME_HEADER_SIZE + (size_t)len);
	}
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct frame_conn *c = arg;

	if (!c->want_drain || c->on_drain == NULL)
		return;
	if (evbuffer_get_length(bufferevent_get_output(bev)) > c->drain_mark)
		return;
	c->want_drain = false;
	c->depth++;
	c->on_drain(c, c->arg);
	conn_unref(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct frame_conn *c = arg;
	size_t left = evbuffer_get_length(bufferevent_get_input(bev));
	uint8_t hdr[FRAME_HEADER_SIZE];
	int err;

	if (what & BEV_EVENT_EOF) {
		/* Complete frames were all delivered by the read callback, so
		 * whatever is left is the start of a frame that never ended. */
		if (left == 0) {
			conn_fail(c, 0, "connection closed by peer");
		} else if (left < FRAME_HEADER_SIZE) {
			conn_fail(c, FRAME_ERR_TRUNCATED,
				  "connection closed mid-frame: got %zu of %d length-prefix bytes", left,
				  FRAME_HEADER_SIZE);
		} else {
			evbuffer_copyout(bufferevent_get_input(bev), hdr, FRAME_HEADER_SIZE);
			conn_fail(c, FRAME_ERR_TRUNCATED,
				  "connection closed mid-frame: got %zu of %lu payload bytes",
				  left - FRAME_HEADER_SIZE, (unsigned long)get_be32(hdr));
		}
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		err = EVUTIL_SOCKET_ERROR();
		conn_fail(c, FRAME_ERR_IO, "connection error while %s: %s",
			  (what & BEV_EVENT_WRITING) ? "writing" : "reading", evutil_socket_error_to_string(err));
	}
}

struct frame_conn *frame_conn_new_bev(struct bufferevent *bev, size_t max_frame, size_t max_pending,
				      frame_on_frame_fn *on_frame, frame_on_close_fn *on_close, void *arg)
{
	struct frame_conn *c = NULL;

	if (bev == NULL)
		return NULL;
	if (max_frame == 0 || max_frame > FRAME_MAX_LIMIT || on_frame == NULL)
		goto err;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto err;
	c->bev = bev;
	c->max_frame = max_frame;
	if (max_pending == 0)
		max_pending = FRAME_DEFAULT_PENDING_FRAMES * (max_frame + FRAME_HEADER_SIZE);
	/* A refused frame must be sendable once the queue is empty. */
	if (max_pending < max_frame + FRAME_HEADER_SIZE)
		max_pending = max_frame + FRAME_HEADER_SIZE;
	c->max_pending = max_pending;
	c->on_frame = on_frame;
	c->on_close = on_close;
	c->arg = arg;
	c->reading = true;
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) < 0)
		goto err;
	return c;
err:
	free(c);
	bufferevent_free(bev);
	return NULL;
}

struct frame_conn *frame_conn_new(struct event_base *base, int fd, size_t max_frame, size_t max_pending,
				  frame_on_frame_fn *on_frame, frame_on_close_fn *on_close, void *arg)
{
	struct bufferevent *bev;

	/* Checked here too so that a refusal closes fd before returning
	 * (a freed bufferevent closes its fd only when the loop next runs). */
	if (base == NULL || fd < 0 || max_frame == 0 || max_frame > FRAME_MAX_LIMIT || on_frame == NULL ||
	    evutil_make_socket_nonblocking(fd) < 0)
		goto err;
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		goto err;
	return frame_conn_new_bev(bev, max_frame, max_pending, on_frame, on_close, arg);
err:
	if (fd >= 0)
		close(fd);
	return NULL;
}

void frame_conn_free(struct frame_conn *c)
{
	if (c == NULL)
		return;
	conn_close_bev(c);
	if (c->depth > 0) {
		c->free_pending = true;
		return;
	}
	free(c);
}

int frame_conn_send(struct frame_conn *c, const void *payload, size_t len)
{
	struct evbuffer *out;
	uint8_t hdr[FRAME_HEADER_SIZE];
	size_t pending;

	if (c == NULL || (payload == NULL && len > 0))
		return FRAME_ERR_INVAL;
	if (c->bev == NULL)
		return FRAME_ERR_CLOSED;
	if (len > c->max_frame)
		return FRAME_ERR_TOO_BIG;
	out = bufferevent_get_output(c->bev);
	pending = evbuffer_get_length(out);
	if (pending > c->max_pending || FRAME_HEADER_SIZE + len > c->max_pending - pending) {
		c->want_drain = true;
		return FRAME_ERR_FULL;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	/* Reserve first so that the header never goes out without its payload. */
	if (evbuffer_expand(out, FRAME_HEADER_SIZE + len) < 0)
		return FRAME_ERR_NOMEM;
	if (evbuffer_add(out, hdr, FRAME_HEADER_SIZE) < 0 || (len > 0 && evbuffer_add(out, payload, len) < 0))
		return FRAME_ERR_NOMEM;
	return 0;
}

size_t frame_conn_pending(const struct frame_conn *c)
{
	if (c == NULL || c->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void frame_conn_set_drain_cb(struct frame_conn *c, frame_on_drain_fn *on_drain, size_t low_water)
{
	c->on_drain = on_drain;
	c->drain_mark = low_water;
	if (c->bev)
		bufferevent_setwatermark(c->bev, EV_WRITE, low_water, 0);
}

void frame_conn_set_reading(struct frame_conn *c, bool on)
{
	c->reading = on;
	if (c->bev == NULL)
		return;
	if (!on) {
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
	/* Frames that arrived while paused are already buffered: no read
	 * event will announce them, so run the read callback (deferred: we
	 * may be inside one). */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) >= FRAME_HEADER_SIZE)
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

bool frame_conn_is_open(const struct frame_conn *c)
{
	return c != NULL && c->bev != NULL;
}
