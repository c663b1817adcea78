#!/bin/sh
# Every acknowledged write survives kill -9 of storaged (cetcd restarts it
# and goes on), of cetcd, and of both at once; while storaged is down,
# requests fail with etcd's "request timed out" and nothing is lost.
. "$top_srcdir/tests/lib.sh"
export ETCDCTL_API=3

put_range() { # FROM TO
	i=$1
	while [ $i -le $2 ]; do
		etcdctl --endpoints="$CURL" put "k$i" "v$i" > /dev/null || fail "put k$i failed"
		i=$((i + 1))
	done
}
check_range() { # FROM TO
	got=$(etcdctl --endpoints="$CURL" get k --prefix --print-value-only | sort | tr '\n' ' ')
	want=$(i=$1; while [ $i -le $2 ]; do echo "v$i"; i=$((i + 1)); done | sort | tr '\n' ' ')
	expect_eq "values after $3" "$got" "$want"
}
storaged_of() { child_pids "$1" | head -n 1; }
healthy() { curl -sf "$CURL/health" -o /dev/null; }

start_cetcd m1
put_range 1 20

# 1. kill -9 storaged: cetcd restarts it and serves again, without a restart of its own.
SPID=$(storaged_of "$CPID")
[ -n "$SPID" ] || fail "no storaged child"
kill -9 "$SPID"
wait_for 20 sh -c "ps -o pid= --ppid $CPID | grep -qv '^ *$SPID\$'" || fail "storaged was not restarted"
wait_for 20 healthy || fail "not healthy after storaged restart"
pid_alive "$CPID" || fail "cetcd died with its storaged"
check_range 1 20 "kill -9 of storaged"
put_range 21 40

# 2. kill -9 cetcd: its storaged exits too, and a new cetcd starts on the data dir.
SPID=$(storaged_of "$CPID")
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
wait_for 20 pid_gone "$SPID" || fail "storaged outlived its cetcd"
"$CETCD" --name m1 --data-dir "$T/m1" --listen-client-urls "$CURL" --advertise-client-urls "$CURL" \
	--listen-peer-urls "$PURL" --initial-advertise-peer-urls "$PURL" --initial-cluster "m1=$PURL" \
	>> "$T/m1.log" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
wait_for 20 healthy || { cat "$T/m1.log" >&2; fail "not healthy after kill -9 of cetcd"; }
check_range 1 40 "kill -9 of cetcd"
put_range 41 60

# 3. kill -9 of both at once.
SPID=$(storaged_of "$CPID")
kill -9 "$CPID" "$SPID"
wait "$CPID" 2>/dev/null
wait_for 20 pid_gone "$SPID" || fail "storaged survived kill -9"
"$CETCD" --name m1 --data-dir "$T/m1" --listen-client-urls "$CURL" --advertise-client-urls "$CURL" \
	--listen-peer-urls "$PURL" --initial-advertise-peer-urls "$PURL" --initial-cluster "m1=$PURL" \
	>> "$T/m1.log" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
wait_for 20 healthy || { cat "$T/m1.log" >&2; fail "not healthy after kill -9 of both"; }
check_range 1 60 "kill -9 of both"

# 4. While storaged is stopped, a put fails as etcd's do, and is not lost
#    if it was acknowledged (it was not).
SPID=$(storaged_of "$CPID")
kill -STOP "$SPID"
out=$(etcdctl --endpoints="$CURL" --command-timeout=10s put down x 2>&1); rc=$?
kill -CONT "$SPID"
[ $rc -ne 0 ] || fail "a put while storaged was stopped succeeded"
echo "$out" | grep -q "request timed out" || fail "unexpected error while storaged was stopped: $out"
wait_for 20 healthy || fail "not healthy after storaged resumed"
put_range 61 61
check_range 1 61 "a stopped storaged"

stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
