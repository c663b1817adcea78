/*
 * check_frame.c: unit tests for common/frame on socketpair(2) and a real
 * event_base: frames in both directions, many frames in one read, a frame
 * dribbled in byte by byte, an oversized frame, end of stream mid-frame,
 * the output cap and drain callback, pausing input, freeing from inside
 * callbacks, and one bad connection not disturbing another.
 * Nothing here depends on timing: the loop runs until a condition holds.
 */
#include "common/frame.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAMES 512

struct side {
	struct frame_conn *conn;
	int n_frames;
	size_t len[MAX_FRAMES];
	uint8_t *data[MAX_FRAMES];
	int closed;         /* on_close calls */
	int close_code;
	char close_why[256];
	int drained;
	int pause_after;    /* pause reading after this many frames (0: never) */
	int free_after;     /* free the conn after this many frames (0: never) */
	int free_on_close;
};

static struct event_base *base;

static void on_frame(struct frame_conn *c, const uint8_t *p, size_t len, void *arg)
{
	struct side *s = arg;

	ck_assert_int_lt(s->n_frames, MAX_FRAMES);
	s->len[s->n_frames] = len;
	s->data[s->n_frames] = malloc(len ? len : 1);
	memcpy(s->data[s->n_frames], p, len);
	s->n_frames++;
	if (s->pause_after && s->n_frames == s->pause_after)
		frame_conn_set_reading(c, false);
	if (s->free_after && s->n_frames == s->free_after) {
		frame_conn_free(c);
		s->conn = NULL;
	}
}

static void on_close(struct frame_conn *c, int code, const char *why, void *arg)
{
	struct side *s = arg;

	s->closed++;
	s->close_code = code;
	snprintf(s->close_why, sizeof(s->close_why), "%s", why);
	ck_assert(!frame_conn_is_open(c));
	if (s->free_on_close) {
		frame_conn_free(c);
		s->conn = NULL;
	}
}

static void on_drain(struct frame_conn *c, void *arg)
{
	struct side *s = arg;

	(void)c;
	s->drained++;
}

static void side_clear(struct side *s)
{
	for (int i = 0; i < s->n_frames; i++)
		free(s->data[i]);
	frame_conn_free(s->conn);
	memset(s, 0, sizeof(*s));
}

static void pair(int fds[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
}

static struct frame_conn *conn_on(int fd, size_t max_frame, size_t max_pending, struct side *s)
{
	s->conn = frame_conn_new(base, fd, max_frame, max_pending, on_frame, on_close, s);
	ck_assert_ptr_nonnull(s->conn);
	return s->conn;
}

/* Runs the loop until *flag >= want; each turn waits for some event, so a
 * missing event shows up as Check's timeout, never as a timing guess. */
static void run_until(const int *flag, int want)
{
	for (int turns = 0; *flag < want; turns++) {
		ck_assert_int_lt(turns, 100000);
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	}
}

/* Lets every ready event run (without blocking). */
static void run_ready(void)
{
	for (int i = 0; i < 16; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void raw_write(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
}

static size_t put_frame(uint8_t *out, const void *payload, uint32_t len)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, payload, len);
	return 4 + (size_t)len;
}

static void setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void teardown(void)
{
	event_base_free(base);
	base = NULL;
}

START_TEST(test_frames_both_ways)
{
	struct side a = { 0 }, b = { 0 };
	int fds[2];
	char big[1024];

	memset(big, 'z', sizeof(big));
	pair(fds);
	conn_on(fds[0], 1024, 0, &a);
	conn_on(fds[1], 1024, 0, &b);
	ck_assert_int_eq(frame_conn_send(a.conn, "hello", 5), 0);
	ck_assert_int_eq(frame_conn_send(a.conn, NULL, 0), 0); /* empty protobuf message */
	ck_assert_int_eq(frame_conn_send(a.conn, big, sizeof(big)), 0);
	ck_assert_int_eq(frame_conn_send(b.conn, "pong", 4), 0);
	run_until(&b.n_frames, 3);
	run_until(&a.n_frames, 1);
	ck_assert_int_eq(b.len[0], 5);
	ck_assert_mem_eq(b.data[0], "hello", 5);
	ck_assert_int_eq(b.len[1], 0);
	ck_assert_int_eq(b.len[2], sizeof(big));
	ck_assert_mem_eq(b.data[2], big, sizeof(big));
	ck_assert_mem_eq(a.data[0], "pong", 4);
	ck_assert_int_eq(frame_conn_pending(a.conn), 0);
	/* The wire format: 4-byte big-endian length, then the payload. */
	{
		int raw[2];
		uint8_t got[16];
		struct side c = { 0 };

		pair(raw);
		conn_on(raw[0], 64, 0, &c);
		ck_assert_int_eq(frame_conn_send(c.conn, "abc", 3), 0);
		run_ready();
		ck_assert_int_eq(read(raw[1], got, sizeof(got)), 7);
		ck_assert_mem_eq(got, "\0\0\0\3abc", 7);
		side_clear(&c);
		close(raw[1]);
	}
	/* A clean end of stream at a frame boundary is code 0. */
	frame_conn_free(a.conn);
	a.conn = NULL;
	run_until(&b.closed, 1);
	ck_assert_int_eq(b.close_code, 0);
	ck_assert_str_eq(b.close_why, "connection closed by peer");
	ck_assert_int_eq(frame_conn_send(b.conn, "x", 1), FRAME_ERR_CLOSED);
	ck_assert_int_eq(a.closed, 0); /* freeing does not call on_close */
	side_clear(&a);
	side_clear(&b);
}
END_TEST

START_TEST(test_many_frames_one_write)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t *wire = malloc(200 * 16);
	size_t n = 0;
	char payload[16];

	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	for (int i = 0; i < 200; i++) {
		int len = snprintf(payload, sizeof(payload), "frame-%d", i);

		n += put_frame(wire + n, payload, (uint32_t)len);
	}
	raw_write(fds[1], wire, n);
	run_until(&s.n_frames, 200);
	for (int i = 0; i < 200; i++) {
		int len = snprintf(payload, sizeof(payload), "frame-%d", i);

		ck_assert_int_eq(s.len[i], len);
		ck_assert_mem_eq(s.data[i], payload, (size_t)len);
	}
	ck_assert_int_eq(s.closed, 0);
	free(wire);
	side_clear(&s);
	close(fds[1]);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t wire[64];
	size_t n;

	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	n = put_frame(wire, "split across reads", 18);
	n += put_frame(wire + n, "2nd", 3);
	for (size_t i = 0; i < n; i++) {
		raw_write(fds[1], wire + i, 1);
		/* One turn: the byte is readable, so this returns once the
		 * connection has read it. */
		event_base_loop(base, EVLOOP_ONCE);
		if (i < 4 + 18 - 1)
			ck_assert_int_eq(s.n_frames, 0);
		else if (i < n - 1)
			ck_assert_int_eq(s.n_frames, 1);
	}
	ck_assert_int_eq(s.n_frames, 2);
	ck_assert_int_eq(s.len[0], 18);
	ck_assert_mem_eq(s.data[0], "split across reads", 18);
	ck_assert_mem_eq(s.data[1], "2nd", 3);
	side_clear(&s);
	close(fds[1]);
}
END_TEST

START_TEST(test_oversized_frame)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t wire[64], junk[32];
	size_t n;

	pair(fds);
	conn_on(fds[0], 16, 0, &s);
	/* A good frame, then a header declaring 17 bytes (max 16), in one go:
	 * the good one is delivered, then the connection is closed. */
	n = put_frame(wire, "ok", 2);
	memcpy(wire + n, "\0\0\0\x11", 4);
	n += 4;
	memset(wire + n, 'x', 17);
	n += 17;
	raw_write(fds[1], wire, n);
	run_until(&s.closed, 1);
	ck_assert_int_eq(s.n_frames, 1);
	ck_assert_mem_eq(s.data[0], "ok", 2);
	ck_assert_int_eq(s.close_code, FRAME_ERR_TOO_BIG);
	ck_assert_str_eq(s.close_why, "frame of 17 bytes exceeds the maximum frame size of 16 bytes");
	ck_assert(!frame_conn_is_open(s.conn));
	/* Our side really closed the socket (libevent does it from the loop):
	 * the peer reads end of stream. */
	run_ready();
	ck_assert_int_eq(read(fds[1], junk, sizeof(junk)), 0);
	ck_assert_int_eq(frame_conn_send(s.conn, "x", 1), FRAME_ERR_CLOSED);
	ck_assert_int_eq(frame_conn_pending(s.conn), 0);
	side_clear(&s);
	close(fds[1]);

	/* A huge declared length is refused from the header alone. */
	pair(fds);
	conn_on(fds[0], 1 << 20, 0, &s);
	raw_write(fds[1], "\xff\xff\xff\xff", 4);
	run_until(&s.closed, 1);
	ck_assert_int_eq(s.close_code, FRAME_ERR_TOO_BIG);
	ck_assert_str_eq(s.close_why, "frame of 4294967295 bytes exceeds the maximum frame size of 1048576 bytes");
	side_clear(&s);
	close(fds[1]);
}
END_TEST

START_TEST(test_truncated_then_eof)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t wire[64];

	/* Inside the payload. */
	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	put_frame(wire, "0123456789", 10);
	raw_write(fds[1], wire, 4 + 5);
	close(fds[1]);
	run_until(&s.closed, 1);
	ck_assert_int_eq(s.n_frames, 0);
	ck_assert_int_eq(s.close_code, FRAME_ERR_TRUNCATED);
	ck_assert_str_eq(s.close_why, "connection closed mid-frame: got 5 of 10 payload bytes");
	side_clear(&s);

	/* Inside the length prefix, after a good frame. */
	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	put_frame(wire, "ab", 2);
	raw_write(fds[1], wire, 6);
	raw_write(fds[1], "\0\0", 2);
	close(fds[1]);
	run_until(&s.closed, 1);
	ck_assert_int_eq(s.n_frames, 1);
	ck_assert_int_eq(s.close_code, FRAME_ERR_TRUNCATED);
	ck_assert_str_eq(s.close_why, "connection closed mid-frame: got 2 of 4 length-prefix bytes");
	side_clear(&s);

	/* Zero payload bytes of a non-empty frame is truncated too. */
	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	raw_write(fds[1], "\0\0\0\1", 4);
	close(fds[1]);
	run_until(&s.closed, 1);
	ck_assert_int_eq(s.close_code, FRAME_ERR_TRUNCATED);
	ck_assert_str_eq(s.close_why, "connection closed mid-frame: got 0 of 1 payload bytes");
	side_clear(&s);
}
END_TEST

START_TEST(test_output_cap)
{
	struct side a = { 0 }, b = { 0 };
	int fds[2];
	char payload[1000];

	memset(payload, 'p', sizeof(payload));
	pair(fds);
	conn_on(fds[0], 1000, 3000, &a);
	conn_on(fds[1], 1000, 0, &b);
	frame_conn_set_drain_cb(a.conn, on_drain, 0);
	/* The loop has not run, so nothing has left the output buffer. */
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1000), 0);
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1000), 0);
	ck_assert_int_eq(frame_conn_pending(a.conn), 2008);
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1000), FRAME_ERR_FULL);
	ck_assert_int_eq(frame_conn_pending(a.conn), 2008); /* nothing queued */
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 988), 0); /* exactly 3000 */
	ck_assert_int_eq(frame_conn_pending(a.conn), 3000);
	ck_assert_int_eq(frame_conn_send(a.conn, NULL, 0), FRAME_ERR_FULL);
	/* Bigger than a frame may be: refused whatever the queue. */
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1001), FRAME_ERR_TOO_BIG);
	/* Once the peer has it all, the drain callback fires and sends work. */
	run_until(&b.n_frames, 3);
	run_until(&a.drained, 1);
	ck_assert_int_eq(frame_conn_pending(a.conn), 0);
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1000), 0);
	run_until(&b.n_frames, 4);
	ck_assert_int_eq(b.len[2], 988);
	ck_assert_int_eq(a.drained, 1); /* only after a refusal */
	ck_assert_int_eq(a.closed + b.closed, 0);
	side_clear(&a);
	side_clear(&b);

	/* A cap below one frame is raised to one frame; 0 is four frames. */
	pair(fds);
	conn_on(fds[0], 100, 0, &a);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(frame_conn_send(a.conn, payload, 100), 0);
	ck_assert_int_eq(frame_conn_send(a.conn, NULL, 0), FRAME_ERR_FULL);
	side_clear(&a);
	close(fds[1]);
	pair(fds);
	conn_on(fds[0], 100, 10, &a);
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 100), 0);
	ck_assert_int_eq(frame_conn_send(a.conn, payload, 1), FRAME_ERR_FULL);
	side_clear(&a);
	close(fds[1]);
}
END_TEST

START_TEST(test_bad_conn_leaves_others_alone)
{
	struct side good_a = { 0 }, good_b = { 0 }, bad = { 0 };
	int g[2], x[2];

	pair(g);
	pair(x);
	conn_on(g[0], 64, 0, &good_a);
	conn_on(g[1], 64, 0, &good_b);
	conn_on(x[0], 64, 0, &bad);
	bad.free_on_close = 1;
	ck_assert_int_eq(frame_conn_send(good_a.conn, "before", 6), 0);
	raw_write(x[1], "\x7f\0\0\0", 4);
	run_until(&bad.closed, 1);
	run_until(&good_b.n_frames, 1);
	ck_assert_int_eq(bad.close_code, FRAME_ERR_TOO_BIG);
	ck_assert_ptr_null(bad.conn); /* freed inside on_close */
	/* The other connection on the same loop goes on both ways. */
	ck_assert_int_eq(frame_conn_send(good_a.conn, "after", 5), 0);
	ck_assert_int_eq(frame_conn_send(good_b.conn, "reply", 5), 0);
	run_until(&good_b.n_frames, 2);
	run_until(&good_a.n_frames, 1);
	ck_assert_mem_eq(good_b.data[1], "after", 5);
	ck_assert_mem_eq(good_a.data[0], "reply", 5);
	ck_assert_int_eq(good_a.closed + good_b.closed, 0);
	side_clear(&good_a);
	side_clear(&good_b);
	side_clear(&bad);
	close(x[1]);
}
END_TEST

START_TEST(test_free_inside_on_frame)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t wire[64], junk[8];
	size_t n = 0;

	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	s.free_after = 1;
	for (int i = 0; i < 3; i++)
		n += put_frame(wire + n, "abc", 3);
	raw_write(fds[1], wire, n);
	run_until(&s.n_frames, 1);
	run_ready();
	/* No more frames, no on_close, and the socket is closed. */
	ck_assert_int_eq(s.n_frames, 1);
	ck_assert_int_eq(s.closed, 0);
	ck_assert_ptr_null(s.conn);
	ck_assert_int_eq(read(fds[1], junk, sizeof(junk)), 0);
	side_clear(&s);
	close(fds[1]);
}
END_TEST

START_TEST(test_pause_and_resume_reading)
{
	struct side s = { 0 };
	int fds[2];
	uint8_t wire[64];
	size_t n = 0;

	pair(fds);
	conn_on(fds[0], 64, 0, &s);
	s.pause_after = 1;
	n += put_frame(wire + n, "one", 3);
	n += put_frame(wire + n, "two", 3);
	n += put_frame(wire + n, "three", 5);
	raw_write(fds[1], wire, n);
	run_until(&s.n_frames, 1);
	run_ready();
	ck_assert_int_eq(s.n_frames, 1); /* held while paused */
	s.pause_after = 0;
	frame_conn_set_reading(s.conn, true);
	run_until(&s.n_frames, 3);
	ck_assert_mem_eq(s.data[1], "two", 3);
	ck_assert_mem_eq(s.data[2], "three", 5);
	side_clear(&s);
	close(fds[1]);
}
END_TEST

START_TEST(test_bad_arguments)
{
	int fds[2];
	struct side s = { 0 };

	ck_assert_ptr_null(frame_conn_new(base, -1, 64, 0, on_frame, on_close, &s));
	pair(fds);
	/* max_frame 0 is refused, and the fd is closed even then. */
	ck_assert_ptr_null(frame_conn_new(base, fds[0], 0, 0, on_frame, on_close, &s));
	ck_assert_int_eq(write(fds[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fds[1]);
	ck_assert_int_eq(frame_conn_send(NULL, "x", 1), FRAME_ERR_INVAL);
	ck_assert_str_eq(frame_strerror(FRAME_ERR_TOO_BIG), "frame too big");
	frame_conn_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	/* As the daemons do: a write to a closed peer is an error, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_frames_both_ways);
	tcase_add_test(tc, test_many_frames_one_write);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_oversized_frame);
	tcase_add_test(tc, test_truncated_then_eof);
	tcase_add_test(tc, test_output_cap);
	tcase_add_test(tc, test_bad_conn_leaves_others_alone);
	tcase_add_test(tc, test_free_inside_on_frame);
	tcase_add_test(tc, test_pause_and_resume_reading);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
