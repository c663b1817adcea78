/*
 * frame: the IPC frame codec between cetcd and cetcd-storaged.
 *
 * On the wire each frame is a 4-byte big-endian payload length, then that
 * many payload bytes (one storage.proto envelope).  A struct frame_conn
 * runs on a libevent bufferevent (normally over a Unix stream socket),
 * delivers each complete payload to on_frame, and queues outgoing frames.
 *
 *   - A declared length above max_frame is a protocol error: the
 *     connection is closed at once (nothing more is read from it) and
 *     on_close gets FRAME_ERR_TOO_BIG with a message naming both sizes.
 *   - End of stream inside a frame is FRAME_ERR_TRUNCATED ("connection
 *     closed mid-frame: ...").  End of stream between frames is a clean
 *     close: code 0.
 *   - Sending beyond max_pending bytes of unsent output fails with
 *     FRAME_ERR_FULL and queues nothing, so the caller can stop producing;
 *     on_drain (optional) says when to resume.
 * Errors only ever close the connection they happened on.
 *
 * Threading: a frame_conn belongs to the thread running its event_base.
 * The process must ignore SIGPIPE (writes to a closed peer become errors).
 *
 * Lifetime:
 *
 *   frame_conn_new --> OPEN --(EOF / error / bad frame: fd closed,
 *                       |       on_close called once)--> CLOSED
 *                       |                                   |
 *                       +------- frame_conn_free -----------+--> freed
 *
 * frame_conn_free may be called at any time, including from inside
 * on_frame, on_close and on_drain; on_close is not called for a connection
 * closed by frame_conn_free.
 */
#ifndef CETCD_COMMON_FRAME_H
#define CETCD_COMMON_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bufferevent;
struct frame_conn;

/* The length prefix. */
#define FRAME_HEADER_SIZE 4
/* Frame lengths are 32-bit on the wire. */
#define FRAME_MAX_LIMIT UINT32_MAX
/* max_pending 0 means room for this many maximal frames. */
#define FRAME_DEFAULT_PENDING_FRAMES 4

enum frame_err {
	FRAME_OK = 0,
	FRAME_ERR_TOO_BIG = -1,   /* a frame longer than max_frame (received or to send) */
	FRAME_ERR_TRUNCATED = -2, /* end of stream inside a frame */
	FRAME_ERR_IO = -3,        /* socket error (reset, EPIPE, ...) */
	FRAME_ERR_FULL = -4,      /* send: would exceed max_pending; nothing queued */
	FRAME_ERR_CLOSED = -5,    /* send on a connection that is closed */
	FRAME_ERR_NOMEM = -6,     /* allocation failed */
	FRAME_ERR_INVAL = -7,     /* bad argument */
};

/* A payload, valid only until on_frame returns. */
typedef void frame_on_frame_fn(struct frame_conn *c, const uint8_t *payload, size_t len, void *arg);
/* code is 0 for a clean end of stream, else a negative enum frame_err;
 * why says what happened in words, e.g. "frame of 2000 bytes exceeds the
 * maximum frame size of 1024 bytes".  The fd is already closed. */
typedef void frame_on_close_fn(struct frame_conn *c, int code, const char *why, void *arg);
/* Pending output dropped to the drain mark after a send was refused. */
typedef void frame_on_drain_fn(struct frame_conn *c, void *arg);

/*
 * Creates a connection on fd (which it owns from now on, even on failure,
 * and makes non-blocking).  max_frame: largest payload accepted or sent
 * (1..FRAME_MAX_LIMIT).  max_pending: cap on unsent output bytes, headers
 * included; 0 means FRAME_DEFAULT_PENDING_FRAMES full frames, and anything
 * below one full frame (max_frame + 4) means one.  Returns NULL on failure
 * (fd closed).
 */
struct frame_conn *frame_conn_new(struct event_base *base, int fd, size_t max_frame, size_t max_pending,
				  frame_on_frame_fn *on_frame, frame_on_close_fn *on_close, void *arg);
/* The same on an existing bufferevent, which it owns from now on (and frees
 * on failure).  Its callbacks and watermarks are replaced.  Note that
 * libevent closes a freed bufferevent's fd when its loop next runs. */
struct frame_conn *frame_conn_new_bev(struct bufferevent *bev, size_t max_frame, size_t max_pending,
				      frame_on_frame_fn *on_frame, frame_on_close_fn *on_close, void *arg);
/* Closes the connection (unsent output is dropped; libevent closes the fd
 * when the loop next runs) and frees everything. */
void frame_conn_free(struct frame_conn *c);

/* Queues one frame (copied).  0, FRAME_ERR_TOO_BIG, FRAME_ERR_FULL,
 * FRAME_ERR_CLOSED or FRAME_ERR_NOMEM; on error nothing is queued. */
int frame_conn_send(struct frame_conn *c, const void *payload, size_t len);
/* Unsent output bytes (headers included); 0 once closed. */
size_t frame_conn_pending(const struct frame_conn *c);
/* on_drain is called when pending output falls to at most low_water bytes,
 * once after each FRAME_ERR_FULL refusal (NULL turns it off). */
void frame_conn_set_drain_cb(struct frame_conn *c, frame_on_drain_fn *on_drain, size_t low_water);
/* Stops / resumes reading and frame delivery (input-side back-pressure).
 * Frames already buffered are held until reading resumes. */
void frame_conn_set_reading(struct frame_conn *c, bool on);
bool frame_conn_is_open(const struct frame_conn *c);
/* A fixed English text for a code ("frame too big"). */
const char *frame_strerror(int code);

#endif
