/*
 * grpc: the gRPC server API of cetcd's network layer (gRPC over HTTP/2).
 *
 * Services register their methods by full path ("/etcdserverpb.KV/Range").
 * The layer parses the 5-byte message framing, enforces the receive size
 * limit (--max-request-bytes + 512 KiB, etcd's v3rpc MaxRecvMsgSize) and
 * grpc-timeout, maps unknown services and methods to UNIMPLEMENTED with
 * grpc-go's texts, and writes the response headers, the framed messages and
 * the trailers (grpc-status, percent-encoded grpc-message).  Handlers only
 * see whole, unframed protobuf messages.
 *
 * Call flow by kind:
 *   UNARY          start(call, msg, len) once the request message is in;
 *                  answer with net_grpc_call_reply() or _finish().
 *   SERVER_STREAM  start(call, msg, len) with the one request message;
 *                  net_grpc_call_send() any number of times, then _finish().
 *   CLIENT_STREAM, BIDI
 *                  start(call, NULL, 0) when the stream opens; each request
 *                  message arrives through on_message, the client's
 *                  half-close through on_half_close; send/finish at will.
 *
 * Ownership and lifetime of struct net_grpc_call:
 *  - owned by the network layer.  Valid from start() until the handler
 *    calls net_grpc_call_finish() (or _reply()), or until on_cancel has
 *    returned, whichever comes first; after that it must not be touched.
 *  - on_cancel runs when the client resets the stream, the connection
 *    closes, the grpc-timeout expires (the layer then answers
 *    DEADLINE_EXCEEDED itself) or the server shuts down.  A handler that
 *    answers later MUST set callbacks with on_cancel and forget the call
 *    there.  Calls to send/finish made inside on_cancel are ignored.
 *  - Message pointers given to start/on_message are valid only during that
 *    callback; copy what you keep.
 *  - Bytes given to send/reply are copied; the caller keeps its buffer.
 *  - Status messages are copied; they are sent percent-encoded.
 * All functions must be called on the server's event loop thread.
 */
#ifndef CETCD_DAEMON_NET_GRPC_H
#define CETCD_DAEMON_NET_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/net/grpc_wire.h" /* enum grpc_status */

struct net_server;
struct net_grpc_call;

enum net_grpc_kind {
	NET_GRPC_UNARY = 0,
	NET_GRPC_SERVER_STREAM,
	NET_GRPC_CLIENT_STREAM,
	NET_GRPC_BIDI,
};

struct net_grpc_method {
	const char *path;        /* "/package.Service/Method" (copied) */
	enum net_grpc_kind kind;
	void (*start)(struct net_grpc_call *call, void *arg, const uint8_t *msg, size_t len);
	void *arg;               /* given to start as is */
};

struct net_grpc_callbacks {
	/* A request message of a CLIENT_STREAM / BIDI call. */
	void (*on_message)(struct net_grpc_call *call, void *user, const uint8_t *msg, size_t len);
	/* The client half-closed (END_STREAM): no more messages. */
	void (*on_half_close)(struct net_grpc_call *call, void *user);
	/* The output queue fell below NET_GRPC_SEND_LOW after a send
	 * returned 0: a streaming producer may go on. */
	void (*on_writable)(struct net_grpc_call *call, void *user);
	/* The call is gone (see above); status says why: CANCELLED (client
	 * reset or disconnect, server shutdown) or DEADLINE_EXCEEDED. */
	void (*on_cancel)(struct net_grpc_call *call, void *user, enum grpc_status why);
};

/*
 * Registers a method.  The path must start with '/' and hold exactly one
 * more '/' between service and method.  Returns 0, -EEXIST, -EINVAL or
 * -ENOMEM.
 */
int net_grpc_register(struct net_server *s, const struct net_grpc_method *m);

/* Sets the call's callbacks (copied) and their user pointer. */
void net_grpc_call_set_callbacks(struct net_grpc_call *call, const struct net_grpc_callbacks *cb,
				 void *user);

/* The method path ("/etcdserverpb.KV/Range") and the value of a request
 * header (lowercase name, e.g. "authorization"; NULL if absent).  Valid as
 * long as the call. */
const char *net_grpc_call_path(const struct net_grpc_call *call);
const char *net_grpc_call_header(const struct net_grpc_call *call, const char *name);
/* Nanoseconds left before the grpc-timeout deadline, or -1 if none. */
int64_t net_grpc_call_remaining_ns(const struct net_grpc_call *call);

/*
 * Queues one response message (copied, framed by the layer).  Returns 1 if
 * queued and more may be sent; 0 if queued but the call's output queue is
 * now above NET_GRPC_SEND_HIGH: a streaming producer should wait for
 * on_writable (unary answers need not care); a negative errno if the call
 * is finished or cancelled (nothing queued) or on allocation failure.
 */
int net_grpc_call_send(struct net_grpc_call *call, const uint8_t *msg, size_t len);

/* Ends the call with a status code and message (NULL or "" for none).
 * The call is gone when this returns. */
void net_grpc_call_finish(struct net_grpc_call *call, enum grpc_status code, const char *message);

/* send(msg) then finish(OK): the usual unary answer.  If the message
 * cannot be queued the call ends with RESOURCE_EXHAUSTED instead. */
void net_grpc_call_reply(struct net_grpc_call *call, const uint8_t *msg, size_t len);

#define NET_GRPC_SEND_HIGH (256u * 1024u)
#define NET_GRPC_SEND_LOW (64u * 1024u)

#endif
