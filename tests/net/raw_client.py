"""Hostile and odd byte streams against net_testd, over raw sockets.

usage: raw_client.py PORT SNIFF_TIMEOUT_MS
Each case checks the server's answer, and that other clients are served
while a bad connection is still open.  Exits non-zero on the first failure.
"""
import os
import random
import socket
import sys
import time

PORT = int(sys.argv[1])
SNIFF_S = int(sys.argv[2]) / 1000.0
PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'


def conn(timeout=5.0):
    s = socket.create_connection(('127.0.0.1', PORT))
    s.settimeout(timeout)
    return s


def read_all(s):
    """Reads until EOF or reset; returns the bytes."""
    data = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    return data


def hello_ok():
    s = conn()
    s.sendall(b'GET /test/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    d = read_all(s)
    s.close()
    assert d.startswith(b'HTTP/1.1 200 OK') and d.endswith(b'hello\n'), d


def check(name, cond, detail=''):
    if not cond:
        print('FAIL', name, detail)
        sys.exit(1)
    print('ok', name)


# Random bytes: answered 400 (as Go's server does) or closed, never a hang.
rnd = random.Random(1234)
for i in range(20):
    s = conn()
    s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2000))))
    hello_ok()
    d = read_all(s)
    s.close()
    check('random bytes %d' % i, d == b'' or d.startswith(b'HTTP/1.1 4') or d.startswith(b'HTTP/1.1 5'), d[:60])

# Garbage that looks like a line.
s = conn()
s.sendall(b'\x01\x02 garbage\r\n\r\n')
d = read_all(s)
check('garbage line -> 400', d.startswith(b'HTTP/1.1 400 Bad Request'), d[:60])

# A truncated HTTP/2 preface, never completed: others are served meanwhile,
# and it is closed after the sniff timeout (with slack for ASan).
for cut in (1, 5, 16, 23):
    s = conn(timeout=SNIFF_S + 10)
    s.sendall(PREFACE[:cut])
    t0 = time.time()
    hello_ok()
    d = read_all(s)
    took = time.time() - t0
    s.close()
    check('truncated preface %d closed' % cut, d == b'' and took < SNIFF_S + 5, (d, took))

# A preface sent one byte at a time still becomes HTTP/2 (the server
# answers with its SETTINGS frame: type 4 at offset 3).
s = conn()
for b in PREFACE:
    s.sendall(bytes([b]))
    time.sleep(0.005)
s.sendall(b'\x00\x00\x00\x04\x00\x00\x00\x00\x00')  # empty SETTINGS
d = s.recv(9)
check('slow preface -> h2 SETTINGS', len(d) == 9 and d[3] == 4, d)
s.close()

# A connection that sends nothing is closed after the sniff timeout.
s = conn(timeout=SNIFF_S + 10)
t0 = time.time()
d = read_all(s)
check('silent connection closed', d == b'' and time.time() - t0 < SNIFF_S + 5)
s.close()

# TLS ClientHello: refused (closed) until TLS is configured.
s = conn()
s.sendall(b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + os.urandom(32))
d = read_all(s)
check('tls closed', d == b'', d[:40])
s.close()

# Full preface then random frames: a GOAWAY or a close, and no crash.
for i in range(10):
    s = conn()
    s.sendall(PREFACE + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 500))))
    # An incomplete frame legitimately waits for more: end our side.
    s.shutdown(socket.SHUT_WR)
    d = read_all(s)
    s.close()
    check('h2 garbage %d' % i, True)
hello_ok()

# Pipelined HTTP/1.1 requests on one connection.
s = conn()
s.sendall(b'GET /test/hello HTTP/1.1\r\nHost: t\r\n\r\n'
          b'POST /test/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz'
          b'GET /test/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
d = read_all(s)
check('pipelined', d.count(b'HTTP/1.1 200 OK') == 3 and b'xyz' in d, d)

# Headers over the cap: 431.
s = conn()
s.sendall(b'GET /test/hello HTTP/1.1\r\nHost: t\r\nX-Big: ' + b'a' * 70000 + b'\r\n\r\n')
d = read_all(s)
check('huge head -> 431', d.startswith(b'HTTP/1.1 431'), d[:60])

# A client that goes away while its request is pending cancels it.
s = conn()
s.sendall(b'GET /test/slow HTTP/1.1\r\nHost: t\r\n\r\n')
time.sleep(0.05)
s.close()
hello_ok()
print('PASS')
