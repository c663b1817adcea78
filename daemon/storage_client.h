/*
 * storage_client.h - cetcd's side of the storage protocol
 * (proto/storage.proto): pipelined requests to cetcd-storaged over one Unix
 * socket connection, answered in order.
 *
 * A client connects, and reconnects with backoff after storaged goes away;
 * while it is down, calls fail at once with a NULL answer.  on_up runs after
 * each (re)connect, on_down when a connection is lost (every call in flight
 * has then failed).
 */
#ifndef CETCD_DAEMON_STORAGE_CLIENT_H
#define CETCD_DAEMON_STORAGE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/storage.pb-c.h"

struct event_base;
struct storage_client;

/* The answer to one request: ans is NULL when the connection was lost or
 * the request could not be sent; err then says why.  ans is freed by the
 * client when the callback returns (take what you keep: e.g. move pointers
 * out and set them to NULL). */
typedef void storage_answer_fn(void *arg, Cetcd__Storage__Envelope *ans, const char *err);
typedef void storage_event_fn(void *arg);

struct storage_client *storage_client_new(struct event_base *base, const char *socket_path,
    storage_event_fn *on_up, storage_event_fn *on_down, void *arg);
void storage_client_free(struct storage_client *c);

bool storage_client_is_up(const struct storage_client *c);

/* Sends req: sets its version and request_id (type and body must be set).
 * The callback runs exactly once, from the event loop (never from inside
 * this call).  Returns 0, or -1 (the callback still runs, with NULL). */
int storage_client_call(struct storage_client *c, Cetcd__Storage__Envelope *req,
    storage_answer_fn *cb, void *arg);

/* Requests sent and not yet answered. */
size_t storage_client_in_flight(const struct storage_client *c);

#endif
