/*
 * sniff: which protocol a new connection speaks, from its first bytes.
 * A pure function, so that it can be tested on byte strings; the peeking
 * (MSG_PEEK, deadline) is in server.c.
 */
#ifndef CETCD_DAEMON_NET_SNIFF_H
#define CETCD_DAEMON_NET_SNIFF_H

#include <stddef.h>
#include <stdint.h>

enum net_sniff {
	NET_SNIFF_MORE = 0, /* a strict prefix of the HTTP/2 preface (or nothing): wait */
	NET_SNIFF_H2,       /* the full 24-byte HTTP/2 client preface */
	NET_SNIFF_TLS,      /* 0x16: a TLS handshake record (ClientHello) */
	NET_SNIFF_H1,       /* anything else: HTTP/1.x (or garbage, answered 400) */
};

/* Classifies the n bytes seen so far (n may be 0). */
enum net_sniff net_sniff_classify(const uint8_t *p, size_t n);

#endif
