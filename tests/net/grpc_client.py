"""gRPC checks against net_testd with Debian's python3-grpcio.

usage: grpc_client.py PORT MAX_RECV
Exits non-zero on the first failure.
"""
import json
import sys
import time
import urllib.request

import grpc

PORT = sys.argv[1]
MAX = int(sys.argv[2])
ch = grpc.insecure_channel('127.0.0.1:%s' % PORT, options=[
    ('grpc.max_receive_message_length', 64 << 20),
    ('grpc.max_send_message_length', 64 << 20)])


def stats():
    with urllib.request.urlopen('http://127.0.0.1:%s/test/stats' % PORT) as r:
        return json.load(r)


def call(path, req, **kw):
    try:
        return ('OK', ch.unary_unary(path)(req, **kw))
    except grpc.RpcError as e:
        return (e.code().name, e.details())


def check(name, got, want):
    if got != want:
        print('FAIL %s: got %r, want %r' % (name, got, want))
        sys.exit(1)
    print('ok', name)


# Health, as etcd answers it: SERVING = field 1 value 1.
check('health check', call('/grpc.health.v1.Health/Check', b''), ('OK', b'\x08\x01'))
check('health unknown', call('/grpc.health.v1.Health/Check', b'\x0a\x03foo'),
      ('NOT_FOUND', 'unknown service'))
w = ch.unary_stream('/grpc.health.v1.Health/Watch')(b'')
check('health watch', next(w), b'\x08\x01')
w.cancel()

# Unknown service and method: grpc-go's texts.
check('unknown service', call('/etcdserverpb.Foo/Range', b''),
      ('UNIMPLEMENTED', 'unknown service etcdserverpb.Foo'))
check('unknown method', call('/test.Echo/Bar', b''),
      ('UNIMPLEMENTED', 'unknown method Bar for service test.Echo'))

# Echo, the empty message, and a message exactly at the limit.
check('unary', call('/test.Echo/Unary', b'hello'), ('OK', b'hello'))
check('empty', call('/test.Echo/Unary', b''), ('OK', b''))
r = call('/test.Echo/Unary', b'y' * MAX)
check('at max', (r[0], len(r[1])), ('OK', MAX))
# Over the limit: RESOURCE_EXHAUSTED with grpc-go's text.
check('oversized', call('/test.Echo/Unary', b'x' * (MAX + 1)),
      ('RESOURCE_EXHAUSTED', 'grpc: received message larger than max (%d vs. %d)' % (MAX + 1, MAX)))

# Compressed request: no decompressor, as grpc-go without one.
check('gzip', call('/test.Echo/Unary', b'z' * 100, compression=grpc.Compression.Gzip),
      ('UNIMPLEMENTED', 'grpc: Decompressor is not installed for grpc-encoding "gzip"'))

# A status message that needs percent-encoding survives the trip.
msg = 'etcdserver: 100% "bad"\nkey caf\u00e9 \u2603'
check('percent message', call('/test.Echo/Fail', msg.encode()), ('INVALID_ARGUMENT', msg))
# The same after a message was sent: real trailers, not Trailers-Only.
w = ch.unary_stream('/test.Echo/ServerStream')(b'3:5')
check('stream status ok', (len(list(w)), w.code().name), (3, 'OK'))

# Deadline on a handler that never answers: DEADLINE_EXCEEDED, and the
# handler is cancelled.
c0 = stats()['cancels']
t0 = time.time()
check('deadline', call('/test.Echo/Never', b'', timeout=0.3)[0], 'DEADLINE_EXCEEDED')
check('deadline took', time.time() - t0 < 3, True)
for _ in range(50):
    if stats()['cancels'] > c0:
        break
    time.sleep(0.05)
check('deadline cancelled handler', stats()['cancels'] > c0, True)

# Client cancel (RST_STREAM) cancels the handler.
c0 = stats()['cancels']
f = ch.unary_unary('/test.Echo/Never').future(b'')
time.sleep(0.2)
f.cancel()
for _ in range(50):
    if stats()['cancels'] > c0:
        break
    time.sleep(0.05)
check('client cancel', stats()['cancels'] > c0, True)

# Many concurrent calls on one connection (each answered after 100 ms).
t0 = time.time()
fs = [ch.unary_unary('/test.Echo/Delay').future(b'm%d' % i) for i in range(1000)]
ok = sum(1 for i, f in enumerate(fs) if f.result() == b'm%d' % i)
check('1000 concurrent', ok, 1000)
check('concurrent, not serial', time.time() - t0 < 20, True)

# Large responses under flow control: a 20 MB server stream with
# back-pressure, and a 12 MB unary answer.
n = tot = 0
for m in ch.unary_stream('/test.Echo/ServerStream')(b'2000:10000'):
    n += 1
    tot += len(m)
check('server stream', (n, tot), (2000, 20000000))
r = call('/test.Echo/Big', b'12000000')
check('big unary', (r[0], len(r[1])), ('OK', 12000000))

# Bidirectional streaming.
check('bidi', list(ch.stream_stream('/test.Echo/Bidi')(iter([b'a', b'bb', b'ccc']))),
      [b'a', b'bb', b'ccc'])

# Everything finished: only the stats request itself is active.
for _ in range(50):
    if stats()['active'] == 1:
        break
    time.sleep(0.05)
check('nothing left active', stats()['active'], 1)
ch.close()
print('PASS')
