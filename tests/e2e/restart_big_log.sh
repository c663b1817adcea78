#!/bin/sh
# A restart reads back a Raft log larger than one storage answer (8 MiB):
# cetcd loads it in parts and every key is there.
. "$top_srcdir/tests/lib.sh"
export ETCDCTL_API=3
/usr/bin/python3 -c 'import grpc' 2>/dev/null || fail "python3-grpcio is needed"

start_cetcd big
VALUE_SIZE=1024 /usr/bin/python3 "$top_srcdir/tests/bench/grpc_bodies.py" load "${CURL#http://}" 10000 k \
	|| fail "loading keys failed"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
du -sk "$T/big/member/wal" > "$T/walsize"
[ "$(cut -f1 "$T/walsize")" -gt 0 ] || fail "no WAL"

"$CETCD" --name big --data-dir "$T/big" --listen-client-urls "$CURL" --advertise-client-urls "$CURL" \
	--listen-peer-urls "$PURL" --initial-advertise-peer-urls "$PURL" --initial-cluster "big=$PURL" \
	>> "$T/big.log" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
wait_for 60 curl -sf "$CURL/health" -o /dev/null || { cat "$T/big.log" >&2; fail "not healthy after restart"; }
n=$(etcdctl --endpoints="$CURL" get k --prefix --keys-only | grep -c .)
expect_eq "keys after restart" "$n" 10000
etcdctl --endpoints="$CURL" put after restart > /dev/null || fail "put after restart failed"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
