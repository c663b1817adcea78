#!/bin/sh
# Black-box test of daemon/net/'s gRPC with a real gRPC client: Debian's
# python3-grpcio (which bootstrap installs).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/net/net_lib.sh"

PY=$(net_python)
"$PY" -c 'import grpc' 2>/dev/null ||
	fail "python3-grpcio is needed for this test (apt-get install python3-grpcio)"

# --max-request-bytes 1 MiB: the gRPC receive limit is 1 MiB + 512 KiB.
net_start --max-request-bytes 1048576
"$PY" "$top_srcdir/tests/net/grpc_client.py" "$NET_PORT" 1572864 >"$T/out" 2>&1 || {
	cat "$T/out" >&2; fail "grpc_client"; }
cat "$T/out"
net_stop
echo PASS
