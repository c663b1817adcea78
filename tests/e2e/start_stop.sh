#!/bin/sh
# cetcd starts cetcd-storaged as a child over a fresh data dir with etcd's
# layout and modes; the data dir lock keeps a second storaged out; SIGTERM
# stops both and cetcd exits 0.
. "$top_srcdir/tests/lib.sh"

D="$T/data"
# Free loopback ports, never etcd's defaults.
ports() {
	local cp=$(free_port) pp=$(free_port)
	echo "--listen-client-urls http://127.0.0.1:$cp --advertise-client-urls http://127.0.0.1:$cp" \
	     "--listen-peer-urls http://127.0.0.1:$pp --initial-advertise-peer-urls http://127.0.0.1:$pp" \
	     "--initial-cluster $1=http://127.0.0.1:$pp"
}
"$CETCD" --name s1 --data-dir "$D" $(ports s1) > "$T/cetcd.log" 2>&1 &
CPID=$!
PIDS="$CPID"
wait_for 10 test -S "$D/storaged.sock" || { cat "$T/cetcd.log"; fail "storaged socket never appeared"; }
SPID=$(child_pids "$CPID")
[ -n "$SPID" ] || fail "cetcd has no child process"
PIDS="$CPID $SPID"
expect_eq "child is storaged" "$(basename "$(readlink /proc/$SPID/exe)")" cetcd-storaged

for d in "$D" "$D/member" "$D/member/wal" "$D/member/snap"; do
	expect_eq "mode of $d" "$(stat -c %a "$d")" 700
done
expect_eq "mode of lock" "$(stat -c %a "$D/member/lock")" 600

# A second storaged on the same data dir is refused and names the holder.
"$STORAGED" --data-dir "$D" --socket "$T/other.sock" > "$T/second.log" 2>&1
expect_eq "second storaged status" $? 1
expect_grep "second storaged" "data dir .* is locked by another cetcd-storaged \(pid $SPID\)" "$T/second.log"
[ ! -e "$T/other.sock" ] || fail "second storaged created its socket"

kill -TERM "$CPID"
wait "$CPID"; expect_eq "cetcd exit status after SIGTERM" $? 0
wait_for 5 pid_gone "$SPID" || fail "storaged still running after cetcd stopped"
[ ! -e "$D/storaged.sock" ] || fail "storaged left its socket behind"

# Default data dir is ${name}.etcd in the working directory.
(cd "$T" && exec "$CETCD" --name nm $(ports nm)) > "$T/cetcd2.log" 2>&1 &
CPID=$!
PIDS="$CPID"
wait_for 10 test -S "$T/nm.etcd/storaged.sock" || { cat "$T/cetcd2.log"; fail "default data dir not used"; }
SPID=$(child_pids "$CPID")
PIDS="$CPID $SPID"
kill -INT "$CPID"
wait "$CPID"; expect_eq "cetcd exit status after SIGINT" $? 0
wait_for 5 pid_gone "$SPID" || fail "storaged still running after SIGINT"
exit 0
