#!/usr/bin/env python3
"""Writes gRPC-framed etcd requests for h2load, and loads keys fast.

  grpc_bodies.py DIR          writes DIR/put.bin, DIR/range_lin.bin,
                              DIR/range_ser.bin, DIR/range_1000.bin
  grpc_bodies.py load HOST:PORT N PREFIX
                              puts N keys PREFIX%08d (256-byte values)
                              with many calls in flight (python3-grpcio)

The protobuf bytes are written by hand (field tags of etcd's rpc.proto),
so nothing but the standard library is needed for the first form.
"""
import os
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def frame(msg):
    return b"\x00" + struct.pack(">I", len(msg)) + msg


def put_request(key, value):
    return field_bytes(1, key) + field_bytes(2, value)


def range_request(key, range_end=b"", serializable=False):
    m = field_bytes(1, key)
    if range_end:
        m += field_bytes(2, range_end)
    if serializable:
        m += field_varint(7, 1)
    return m


def write_bodies(d):
    value = b"v" * 256
    files = {
        "put.bin": put_request(b"bench-key", value),
        "range_lin.bin": range_request(b"bench-key"),
        "range_ser.bin": range_request(b"bench-key", serializable=True),
        "range_1000.bin": range_request(b"r", b"s", serializable=True),
    }
    for name, msg in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(frame(msg))


def load(target, n, prefix):
    import grpc
    ch = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 8 << 20)])
    put = ch.unary_unary("/etcdserverpb.KV/Put")
    value = b"v" * int(os.environ.get("VALUE_SIZE", "256"))
    pending = []
    for i in range(n):
        key = (prefix + "%08d" % i).encode()
        pending.append(put.future(put_request(key, value), timeout=60))
        if len(pending) >= 512:
            for f in pending:
                f.result()
            pending = []
    for f in pending:
        f.result()


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        write_bodies(sys.argv[1])
