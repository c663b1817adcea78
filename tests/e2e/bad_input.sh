#!/bin/sh
# Bad input gets etcd's error and never stops the server from serving
# others: random bytes, a truncated HTTP/2 preface, requests over the size
# limits, malformed JSON, an unknown gRPC method.  Where etcd answers, the
# answer is compared with real etcd 3.4's.
. "$top_srcdir/tests/lib.sh"
export ETCDCTL_API=3
PY=/usr/bin/python3
$PY -c 'import grpc' 2>/dev/null || fail "python3-grpcio is needed (apt-get install python3-grpcio)"

start_cetcd c1
start_etcd e1

head -c 1600000 /dev/zero | tr '\0' a > "$T/big1"	# over --max-request-bytes
head -c 2200000 /dev/zero | tr '\0' a > "$T/big2"	# over the gRPC limit too

run_all() {
	url=$1; out=$2
	hostport=${url#http://}
	{
		echo "# request too large"
		etcdctl --endpoints="$url" put big < "$T/big1" 2>&1 | tail -n 1
		echo "# message over the gRPC limit"
		etcdctl --endpoints="$url" put big < "$T/big2" 2>&1 | tail -n 1
		echo "# malformed JSON"
		curl -s -w ' [%{http_code}]\n' "$url/v3/kv/put" -d '{"key":"YQ==",'
		curl -s -w ' [%{http_code}]\n' "$url/v3/kv/put" -d 'garbage'
		echo "# unknown gRPC method and service"
		$PY - "$hostport" <<'PYEOF'
import sys, grpc
ch = grpc.insecure_channel(sys.argv[1])
for path in ("/etcdserverpb.KV/Nope", "/etcdserverpb.Nope/Range"):
    try:
        ch.unary_unary(path)(b"", timeout=5)
        print(path, "OK")
    except grpc.RpcError as e:
        print(path, e.code().name, e.details())
PYEOF
	} > "$out" 2>&1
}

# Abuse first: none of it may stop the server.
$PY - "${CURL#http://}" <<'PYEOF' || fail "raw socket abuse failed"
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
def conn():
    s = socket.create_connection((host, int(port)), timeout=5)
    return s
for i in range(20):
    s = conn(); s.sendall(os.urandom(200 + i * 50)); s.close()
for n in (1, 5, 16, 23):
    s = conn(); s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[:n]); s.close()
s = conn(); s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(500)); time.sleep(0.2); s.close()
PYEOF
curl -sf "$CURL/health" > /dev/null || fail "cetcd stopped serving after raw abuse"

run_all "$CURL" "$T/cetcd.out"
run_all "$EURL" "$T/etcd.out"
normalize < "$T/cetcd.out" > "$T/cetcd.norm"
normalize < "$T/etcd.out" > "$T/etcd.norm"
if ! diff -u "$T/etcd.norm" "$T/cetcd.norm" > "$T/diff"; then
	cat "$T/diff" >&2
	fail "cetcd's answers to bad input differ from etcd's (- etcd, + cetcd)"
fi
etcdctl --endpoints="$CURL" put still ok > /dev/null || fail "cetcd stopped serving after bad input"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
