/*
 * sniff: classifies a new connection by its first bytes, as etcd's cmux
 * matchers do (cmux.HTTP2() matches the client preface, anything else on
 * a client listener falls to HTTP/1).  Pure: no state, no I/O.
 */
#include "daemon/net/sniff.h"

#include <string.h>

/* The HTTP/2 client connection preface, RFC 7540 section 3.5. */
static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum net_sniff net_sniff_classify(const uint8_t *p, size_t n)
{
	size_t plen = sizeof(h2_preface) - 1;

	if (n == 0)
		return NET_SNIFF_MORE;
	/* A TLS record of type handshake (22) opens every ClientHello. */
	if (p[0] == 0x16)
		return NET_SNIFF_TLS;
	if (memcmp(p, h2_preface, n < plen ? n : plen) != 0)
		return NET_SNIFF_H1;
	return n >= plen ? NET_SNIFF_H2 : NET_SNIFF_MORE;
}
