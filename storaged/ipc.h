/*
 * ipc.h - cetcd-storaged's server side of the storage protocol
 * (proto/storage.proto) over common/frame.h connections.
 */
#ifndef CETCD_STORAGED_IPC_H
#define CETCD_STORAGED_IPC_H

#include <stddef.h>

struct event_base;
struct store;
struct ipc_server;

/* Largest frame either side sends: an Apply or Persist batch. */
#define IPC_MAX_FRAME ((size_t)64 << 20)
/* Unsent answers per connection before the connection is dropped: a client
 * that does not read its answers must not grow our memory. */
#define IPC_MAX_PENDING ((size_t)128 << 20)

struct ipc_server *ipc_server_new(struct event_base *base, struct store *store);
/* Serves the protocol on fd (owned from now on). Returns 0 or -1. */
int ipc_server_add(struct ipc_server *srv, int fd);
/* For a clean stop (SIGTERM): stops reading, answers every request read so
 * far (PERSISTs after their fdatasync) and runs the loop until the answers
 * are written or timeout_ms passed. */
void ipc_server_drain(struct ipc_server *srv, int timeout_ms);
/* Answers what is in hand (after one fdatasync), then frees everything;
 * answers not yet written to their sockets are dropped (drain first). */
void ipc_server_free(struct ipc_server *srv);

#endif
