/*
 * storaged_client.h - a small blocking client of cetcd-storaged for the
 * tests that drive the real binary (check_crash, check_daemon): start and
 * kill the process, connect to its socket, send and receive envelopes.
 */
#ifndef CETCD_TESTS_STORAGED_CLIENT_H
#define CETCD_TESTS_STORAGED_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/storage.pb-c.h"

struct sc_conn {
	int fd;
	uint8_t *buf;
	size_t have, cap;
};

/* The binary to run: $CETCD_STORAGED, else ./cetcd-storaged. */
const char *sc_binary(void);
/* Starts cetcd-storaged --data-dir data --socket sock plus extra flags (a
 * NULL-terminated list, may be NULL); its stderr goes to log (appended).
 * Returns the pid; waits until the socket accepts connections (or exits
 * the test with an error after 20 s). */
pid_t sc_start(const char *data, const char *sock, const char *const *extra, const char *log);
/* Connects; -1 on failure. */
int sc_connect(struct sc_conn *c, const char *sock);
void sc_close(struct sc_conn *c);
/* Sends one envelope (or raw bytes as one frame).  0 or -1. */
int sc_send(struct sc_conn *c, Cetcd__Storage__Envelope *e);
int sc_send_frame(struct sc_conn *c, const void *p, size_t n);
/* Receives one envelope; NULL on EOF, error, or timeout_ms passing
 * (-1: none).  Free with cetcd__storage__envelope__free_unpacked. */
Cetcd__Storage__Envelope *sc_recv(struct sc_conn *c, int timeout_ms);
/* An envelope of type whose body (the oneof case == type) is body. */
Cetcd__Storage__Envelope sc_env(int type, uint64_t id, void *body);
/* One request, one answer (NULL on failure). */
Cetcd__Storage__Envelope *sc_call(struct sc_conn *c, int type, uint64_t id, void *body);

#endif
