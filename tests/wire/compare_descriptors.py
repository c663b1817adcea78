#!/usr/bin/env python3
# Compares the schema of proto/*.proto with etcd 3.4's own .proto files:
# every package, message, field (name, number, type, oneof, packed), enum
# value and rpc must be the same. `required` in our proto2 files counts as
# etcd's `optional`: the two encode identically (see proto/raft.proto).
# Not run by `make check` (it needs etcd's Go source tree); run it by hand
# after editing proto/:
#
#   tests/wire/compare_descriptors.py [ETCD_SRC [GOCODE]]
#
# ETCD_SRC defaults to /usr/share/gocode/src/go.etcd.io/etcd (Debian's
# golang-etcd-server-dev), GOCODE to /usr/share/gocode/src (for gogo.proto,
# google/api/annotations.proto and grpc's health.proto). Exits 1 on any
# difference.

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ETCD = sys.argv[1] if len(sys.argv) > 1 else \
    "/usr/share/gocode/src/go.etcd.io/etcd"
GOCODE = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/gocode/src"

ETCD_FILES = [
    "mvcc/mvccpb/kv.proto", "auth/authpb/auth.proto",
    "raft/raftpb/raft.proto", "lease/leasepb/lease.proto",
    "etcdserver/etcdserverpb/rpc.proto",
    "etcdserver/etcdserverpb/etcdserver.proto",
    "etcdserver/api/v3lock/v3lockpb/v3lock.proto",
    "etcdserver/api/v3election/v3electionpb/v3election.proto",
    "wal/walpb/record.proto", "etcdserver/api/snap/snappb/snap.proto",
]
HEALTH = "google.golang.org/grpc/debian/missing-sources/grpc/grpc-proto/master"


def protoc(args, out):
    subprocess.run(["protoc", "--include_imports", "-o", out] + args,
                   check=True)


def decode(path):
    text = subprocess.run(
        ["protoc", "-I/usr/include",
         "--decode=google.protobuf.FileDescriptorSet",
         "google/protobuf/descriptor.proto"],
        stdin=open(path, "rb"), capture_output=True, check=True).stdout
    toks = re.findall(r'"(?:[^"\\]|\\.)*"|[{}]|[A-Za-z_0-9.\-]+:?',
                      text.decode())
    pos = 0

    def parse():
        nonlocal pos
        node = []
        while pos < len(toks):
            t = toks[pos]
            pos += 1
            if t == "}":
                return node
            if t.endswith(":"):
                node.append((t[:-1], toks[pos].strip('"')))
                pos += 1
            else:
                pos += 1  # "{"
                node.append((t, parse()))
        return node
    return parse()


def get(node, key, default=None):
    for k, v in node:
        if k == key:
            return v
    return default


def every(node, key):
    return [v for k, v in node if k == key]


def schema(fds):
    out = set()
    for f in every(fds, "file"):
        name = get(f, "name")
        if name.startswith(("google/", "gogoproto/")):
            continue
        pkg = get(f, "package")

        def enum(e, scope):
            full = scope + "." + get(e, "name")
            for v in every(e, "value"):
                out.add(("enum value", full, get(v, "name"), get(v, "number")))

        def message(m, scope):
            full = scope + "." + get(m, "name")
            out.add(("message", full))
            oneofs = [get(o, "name") for o in every(m, "oneof_decl")]
            for fl in every(m, "field"):
                oi = get(fl, "oneof_index")
                label = get(fl, "label").replace("REQUIRED", "OPTIONAL")
                out.add(("field", full, get(fl, "name"), get(fl, "number"),
                         label, get(fl, "type"), get(fl, "type_name"),
                         oneofs[int(oi)] if oi else None,
                         get(get(fl, "options", []), "packed")))
            for e in every(m, "enum_type"):
                enum(e, full)
            for n in every(m, "nested_type"):
                message(n, full)
        for m in every(f, "message_type"):
            message(m, "." + pkg)
        for e in every(f, "enum_type"):
            enum(e, "." + pkg)
        for s in every(f, "service"):
            for r in every(s, "method"):
                out.add(("rpc", pkg, get(s, "name"), get(r, "name"),
                         get(r, "input_type"), get(r, "output_type"),
                         get(r, "client_streaming"),
                         get(r, "server_streaming")))
        out.add(("syntax", pkg, os.path.basename(name).replace(
            "record.proto", "wal.proto"), get(f, "syntax", "proto2")))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="cetcd-desc-")
    try:
        return compare(tmp)
    finally:
        shutil.rmtree(tmp)


def compare(tmp):
    os.symlink(ETCD, os.path.join(tmp, "etcd"))
    inc = ["-I" + tmp, "-I" + GOCODE + "/github.com/gogo/protobuf",
           "-I/usr/include", "-I" + GOCODE +
           "/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis"]
    theirs = set()
    for i, f in enumerate(ETCD_FILES):
        out = os.path.join(tmp, "%d.pb" % i)
        protoc(inc + ["etcd/" + f], out)
        theirs |= schema(decode(out))
    # raft_internal.proto imports its siblings by bare name.
    out = os.path.join(tmp, "internal.pb")
    protoc(inc + ["-I" + ETCD + "/etcdserver/etcdserverpb",
                  "raft_internal.proto"], out)
    theirs |= schema(decode(out))
    out = os.path.join(tmp, "health.pb")
    protoc(["-I" + GOCODE + "/" + HEALTH, "grpc/health/v1/health.proto"], out)
    theirs |= schema(decode(out))

    ours_files = sorted(
        "proto/" + f for f in os.listdir(os.path.join(TOP, "proto"))
        if f.endswith(".proto") and f != "storage.proto")
    out = os.path.join(tmp, "ours.pb")
    protoc(["-I" + TOP] + ours_files, out)
    ours = schema(decode(out))

    bad = 0
    for what, diff in (("only in cetcd", ours - theirs),
                       ("only in etcd", theirs - ours)):
        for d in sorted(diff, key=str):
            print(what + ":", d)
            bad += 1
    print("%d declarations compared, %d differences" % (len(ours), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
