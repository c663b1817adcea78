#!/usr/bin/env python3
# Captures the fixtures of tests/wire/ from a real etcd 3.4 (see README.md).
#
# Starts a two-member etcd cluster on free loopback ports, in a temporary
# directory, with a recording TCP proxy in front of member 1's client URL
# and of both members' peer URLs; drives it with etcdctl; stops the members
# by pid; then cuts protobuf messages out of what was recorded:
#   - gRPC: HTTP/2 DATA frames, reassembled per stream, split on the 5-byte
#     gRPC message prefix (one etcdctl command = one RPC stream);
#   - peer: HTTP/1.1 /raft/stream/message (8-byte big-endian length +
#     raftpb.Message), /raft/stream/msgapp (msgappv2: its full-message form) and
#     POST /raft (the body is one raftpb.Message);
#   - member 1's WAL (walpb.Record framing) and snap files.
# Not needed by `make check`: it writes the fixture files once.
#
# usage: tests/wire/capture.py OUTDIR   (etcd and etcdctl on PATH)

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    # The kernel picks an unused port; never etcd's well-known ones.
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in (2379, 2380):
            return port


class Proxy:
    """Forwards 127.0.0.1:port to 127.0.0.1:target and keeps every byte."""

    def __init__(self, target):
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.conns = []  # [c2s bytearray, s2c bytearray]
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            rec = [bytearray(), bytearray()]
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self.pump, args=(c, s, rec, 0),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, rec, 1),
                             daemon=True).start()

    def pump(self, src, dst, rec, i):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                with self.lock:
                    rec[i] += b
                dst.sendall(b)
        except OSError:
            pass
        for x in (src, dst):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def snapshot(self):
        with self.lock:
            return [(bytes(a), bytes(b)) for a, b in self.conns]

    def reset(self):
        with self.lock:
            self.conns = []


# ---- HTTP/2 + gRPC --------------------------------------------------------

def h2_frames(buf, client):
    if client:
        assert buf.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        buf = buf[24:]
    pos = 0
    while pos + 9 <= len(buf):
        ln = int.from_bytes(buf[pos:pos + 3], "big")
        typ, flags = buf[pos + 3], buf[pos + 4]
        sid = int.from_bytes(buf[pos + 5:pos + 9], "big") & 0x7FFFFFFF
        payload = buf[pos + 9:pos + 9 + ln]
        pos += 9 + ln
        yield typ, flags, sid, payload


def grpc_messages(conns):
    """{(stream id, 'req'|'resp'): [protobuf message bytes]}"""
    out = {}
    for c2s, s2c in conns:
        for client, buf in ((True, c2s), (False, s2c)):
            data = {}
            for typ, flags, sid, payload in h2_frames(buf, client):
                if typ != 0:  # DATA
                    continue
                if flags & 0x8:  # PADDED
                    pad = payload[0]
                    payload = payload[1:len(payload) - pad]
                data.setdefault(sid, bytearray()).extend(payload)
            for sid, d in data.items():
                msgs = []
                pos = 0
                while pos + 5 <= len(d):
                    assert d[pos] == 0, "compressed gRPC message"
                    ln = int.from_bytes(d[pos + 1:pos + 5], "big")
                    msgs.append(bytes(d[pos + 5:pos + 5 + ln]))
                    pos += 5 + ln
                out[(sid, "req" if client else "resp")] = msgs
    return out


def etcdctl(endpoint, *args, stdin=None):
    r = subprocess.run(["etcdctl", "--endpoints", endpoint] + list(args),
                       input=stdin, capture_output=True, check=True,
                       env=dict(os.environ, ETCDCTL_API="3"))
    return r.stdout


def one_stream(proxy):
    msgs = grpc_messages(proxy.snapshot())
    sids = sorted({sid for sid, _ in msgs})
    assert len(sids) == 1, "expected one RPC, saw streams %r" % sids
    return msgs.get((sids[0], "req"), []), msgs.get((sids[0], "resp"), [])


def rpc(proxy, endpoint, *args, stdin=None):
    """Runs one etcdctl command and returns (request, response) bytes."""
    proxy.reset()
    out = etcdctl(endpoint, *args, stdin=stdin)
    time.sleep(0.2)
    req, resp = one_stream(proxy)
    assert len(req) == 1 and len(resp) == 1
    return req[0], resp[0], out


def rpc_stream(proxy, endpoint, *args, seconds=1.5):
    """Runs an etcdctl command that streams until stopped (watch), stops it
    after `seconds`, and returns ([requests], [responses])."""
    proxy.reset()
    p = subprocess.Popen(["etcdctl", "--endpoints", endpoint] + list(args),
                         stdout=subprocess.DEVNULL,
                         env=dict(os.environ, ETCDCTL_API="3"))
    time.sleep(seconds)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    time.sleep(0.2)
    return one_stream(proxy)


# ---- HTTP/1.1 peer traffic ------------------------------------------------

def http_head(buf, pos):
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        return None
    lines = buf[pos:end].decode("latin-1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs, end + 4


def http_body(buf, pos, hdrs):
    """Returns (body, next pos); a truncated chunked body is returned as is."""
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return bytes(body), len(buf)
            n = int(buf[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            body += buf[pos:pos + n]
            if pos + n > len(buf):
                return bytes(body), len(buf)
            pos += n + 2
            if n == 0:
                return bytes(body), pos
    n = int(hdrs.get("content-length", "0"))
    return buf[pos:pos + n], pos + n


def peer_messages(conns):
    """[(how, raftpb.Message bytes)] from recorded peer connections."""
    out = []
    for c2s, s2c in conns:
        cpos = spos = 0
        while True:
            req = http_head(c2s, cpos)
            if req is None:
                break
            line, hdrs, cpos = req
            body, cpos = http_body(c2s, cpos, hdrs)
            resp = http_head(s2c, spos)
            rbody = b""
            if resp is not None:
                _, rhdrs, spos = resp
                rbody, spos = http_body(s2c, spos, rhdrs)
            method, path = line.split()[:2]
            if method == "POST" and path == "/raft":
                out.append(("pipeline", body))
            elif path.startswith("/raft/stream/message/"):
                pos = 0
                while pos + 8 <= len(rbody):
                    n = struct.unpack(">Q", rbody[pos:pos + 8])[0]
                    if pos + 8 + n > len(rbody):
                        break
                    out.append(("stream", rbody[pos + 8:pos + 8 + n]))
                    pos += 8 + n
            elif path.startswith("/raft/stream/msgapp/"):
                # Only the leading full messages (type 2) are kept: the
                # compact entries form (type 1) is not a raftpb.Message.
                pos = 0
                while pos < len(rbody):
                    t = rbody[pos]
                    if t == 0:
                        pos += 1
                    elif t == 2 and pos + 9 <= len(rbody):
                        n = struct.unpack(">Q", rbody[pos + 1:pos + 9])[0]
                        if pos + 9 + n > len(rbody):
                            break
                        out.append(("msgappv2", rbody[pos + 9:pos + 9 + n]))
                        pos += 9 + n
                    else:
                        break
            if resp is None or spos >= len(s2c):
                break
    return out


# ---- protobuf and WAL helpers ---------------------------------------------

def varint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def pb_fields(b):
    """{field number: [value]} of one message (varints and bytes only)."""
    out = {}
    pos = 0
    while pos < len(b):
        key, pos = varint(b, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = varint(b, pos)
        elif wt == 2:
            n, pos = varint(b, pos)
            v = b[pos:pos + n]
            pos += n
        elif wt == 1:
            v = b[pos:pos + 8]
            pos += 8
        elif wt == 5:
            v = b[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def wal_records(path):
    """[(record bytes, type, data)] of an etcd WAL segment."""
    out = []
    buf = open(path, "rb").read()
    pos = 0
    while pos + 8 <= len(buf):
        word = struct.unpack("<Q", buf[pos:pos + 8])[0]
        n = word & 0x00FFFFFFFFFFFFFF
        pad = (word >> 56) & 0x7 if word & (1 << 63) else 0
        if n == 0:
            break
        rec = buf[pos + 8:pos + 8 + n]
        f = pb_fields(rec)
        out.append((rec, f.get(1, [0])[0], f.get(3, [b""])[0]))
        pos += 8 + n + pad
    return out


def main():
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="cetcd-wire-")
    procs = []
    try:
        p1, p2, c1, c2 = free_port(), free_port(), free_port(), free_port()
        x1, x2, xc = Proxy(p1), Proxy(p2), Proxy(c1)
        cluster = "m1=http://127.0.0.1:%d,m2=http://127.0.0.1:%d" % (
            x1.port, x2.port)
        for name, peer, adv, client in (("m1", p1, x1.port, c1),
                                        ("m2", p2, x2.port, c2)):
            log = open(os.path.join(tmp, name + ".log"), "wb")
            procs.append(subprocess.Popen([
                "etcd", "--name", name,
                "--data-dir", os.path.join(tmp, name),
                "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % adv,
                "--listen-client-urls", "http://127.0.0.1:%d" % client,
                "--advertise-client-urls", "http://127.0.0.1:%d" % client,
                "--initial-cluster", cluster,
                "--initial-cluster-token", "cetcd-wire",
                "--initial-cluster-state", "new",
                "--snapshot-count", "8",
            ], stdout=log, stderr=subprocess.STDOUT))
        ep = "http://127.0.0.1:%d" % xc.port
        for _ in range(100):
            try:
                etcdctl("http://127.0.0.1:%d" % c1, "endpoint", "health")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        else:
            raise SystemExit("etcd did not become healthy")

        def save(name, data):
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(data)
            print("%-28s %5d bytes" % (name, len(data)))

        req, resp, _ = rpc(xc, ep, "put", "foo", "bar")
        save("put_request.bin", req)
        save("put_response.bin", resp)
        etcdctl(ep, "put", "fox", "quick brown", "--prev-kv")
        _, resp, _ = rpc(xc, ep, "put", "foo", "baz", "--prev-kv")
        save("put_prevkv_response.bin", resp)
        req, resp, _ = rpc(xc, ep, "get", "fo", "--prefix")
        save("range_request.bin", req)
        save("range_response.bin", resp)
        txn = (b'value("foo") = "baz"\nmod("fox") > "0"\n\n'
               b'put foo qux\nget fox\n\ndel nothing\n\n')
        req, resp, _ = rpc(xc, ep, "txn", stdin=txn)
        save("txn_request.bin", req)
        save("txn_response.bin", resp)
        req, resp, out = rpc(xc, ep, "lease", "grant", "600")
        save("lease_grant_request.bin", req)
        save("lease_grant_response.bin", resp)
        lease = out.split()[1].decode()  # "lease <hex id> granted ..."
        req, _, _ = rpc(xc, ep, "put", "lk", "lv", "--lease", lease)
        save("put_lease_request.bin", req)
        req, resp, _ = rpc(xc, ep, "del", "fox", "--prev-kv")
        save("delete_range_request.bin", req)
        save("delete_range_response.bin", resp)
        # Replays history from revision 1: the events of every write above
        # on fo*, with their previous values.
        reqs, resps = rpc_stream(xc, ep, "watch", "fo", "--prefix",
                                 "--rev", "1", "--prev-kv")
        save("watch_request.bin", reqs[0])
        save("watch_response.bin", max(resps, key=len))
        _, resp, _ = rpc(xc, ep, "member", "list")
        save("member_list_response.bin", resp)
        _, resp, _ = rpc(xc, ep, "endpoint", "status")
        save("status_response.bin", resp)
        for i in range(10):  # pass --snapshot-count so a snap file exists
            etcdctl(ep, "put", "k%d" % i, "v%d" % i)
        time.sleep(1)

        # A MsgApp carrying entries (from the msgappv2 stream's full form,
        # or the pipeline), and the MsgProp by which the follower forwards
        # its publish request (a v2 Request in the entry) to the leader.
        msgs = [m for _, m in peer_messages(x1.snapshot() + x2.snapshot())]

        def pick(mtype):
            found = [m for m in msgs if pb_fields(m).get(1, [0])[0] == mtype
                     and 7 in pb_fields(m)]
            if not found:
                raise SystemExit("no message of type %d captured" % mtype)
            return min(found, key=len)
        save("raft_msgapp.bin", pick(3))
        save("raft_msgprop.bin", pick(2))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    try:
        wal = os.path.join(tmp, "m1", "member", "wal")
        seg = sorted(f for f in os.listdir(wal) if f.endswith(".wal"))[0]
        recs = wal_records(os.path.join(wal, seg))
        meta = next(d for r, t, d in recs if t == 1)
        save("wal_metadata.bin", meta)
        hs = [d for r, t, d in recs if t == 3 and d]
        save("wal_hardstate.bin", hs[-1])
        entries = [d for r, t, d in recs if t == 2]
        cc = next(e for e in entries if pb_fields(e).get(1, [0])[0] == 1)
        save("wal_entry_confchange.bin", cc)
        # The entry of `put foo bar`: InternalRaftRequest.put (field 4)
        # whose PutRequest.key (field 1) is "foo".
        for e in entries:
            data = pb_fields(e).get(4, [b""])[0]
            try:
                irr = pb_fields(data)
                put = irr.get(4, [None])[0]
                if put is not None and pb_fields(put)[1][0] == b"foo":
                    save("wal_entry_put.bin", e)
                    rec = next(r for r, t, d in recs if d == e)
                    save("wal_record_put.bin", rec)
                    break
            except (ValueError, IndexError, KeyError):
                continue
        snapdir = os.path.join(tmp, "m1", "member", "snap")
        snaps = sorted(f for f in os.listdir(snapdir) if f.endswith(".snap"))
        snapfile = open(os.path.join(snapdir, snaps[0]), "rb").read()
        save("snap_file.bin", snapfile)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
