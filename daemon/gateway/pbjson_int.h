/*
 * pbjson_int.h - what pbjson.c (encoding) and pbjson_decode.c share.
 * Not for use outside daemon/gateway/.
 */
#ifndef CETCD_DAEMON_GATEWAY_PBJSON_INT_H
#define CETCD_DAEMON_GATEWAY_PBJSON_INT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Bytes one element of field f takes in a protobuf-c message or array. */
size_t pbjson_elem_size(const ProtobufCFieldDescriptor *f);

#endif
