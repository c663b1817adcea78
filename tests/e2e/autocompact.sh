#!/bin/sh
# Auto compaction as etcd 3.4's v3compactor, seen through etcdctl: in
# revision mode the store is compacted to (latest revision - retention); in
# periodic mode to the revision of one retention ago.  Revision mode's
# 5-minute interval is shortened with CETCD_TEST_AUTOCOMPACT_REVISION_MS;
# periodic mode takes a short retention ("2s") as etcd does.  Bad settings
# stop cetcd with etcd's message.
. "$top_srcdir/tests/lib.sh"
command -v etcdctl >/dev/null || fail "etcdctl is needed (apt-get install etcd-client)"
export ETCDCTL_API=3

COMPACTED="required revision has been compacted"

# compacted REV: etcdctl says REV is compacted.
compacted() { etcdctl --endpoints="$CURL" get k --rev="$1" 2>&1 | grep -q "$COMPACTED"; }
readable() { etcdctl --endpoints="$CURL" get k --rev="$1" > /dev/null 2>&1; }
puts() { for i in $(seq "$1"); do etcdctl --endpoints="$CURL" put k "v$i" > /dev/null || fail "put"; done; }

# ---- revision mode: keep the last 5 revisions, checked every 300 ms
CETCD_TEST_AUTOCOMPACT_REVISION_MS=300 start_cetcd r1 \
	--auto-compaction-mode revision --auto-compaction-retention 5
puts 20		# revisions 2..21
wait_for 10 compacted 15 || { cat "$T/r1.log" >&2; fail "revision 15 never compacted"; }
readable 16 || fail "revision 16 (latest 21 - 5) was compacted too"
puts 10		# revisions 22..31
wait_for 10 compacted 25 || { cat "$T/r1.log" >&2; fail "revision 25 never compacted"; }
readable 26 || fail "revision 26 (latest 31 - 5) was compacted too"
expect_grep "revision log" '"msg":"completed auto revision compaction","revision":26' "$T/r1.log"
# Nothing new: no compaction is proposed again (etcd skips rev == prev).
n=$(grep -c 'starting auto revision compaction' "$T/r1.log")
sleep 1
expect_eq "idle compactions" "$(grep -c 'starting auto revision compaction' "$T/r1.log")" "$n"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0

# ---- periodic mode: a 2 s window, sampled every 200 ms
start_cetcd p1 --auto-compaction-mode periodic --auto-compaction-retention 2s
t0=$(date +%s%N)
puts 5		# revisions 2..6, at once
# Nothing sampled after the puts can be compacted before 4 s have passed
# (checked only if the machine was quick enough to tell).
if [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500 ]; then
	readable 2 || fail "revision 2 compacted before its retention passed"
fi
# Two seconds in, the compactor compacts to the revision it sampled at the
# start (1); two seconds later to one sampled after the puts (6).
wait_for 10 compacted 5 || { cat "$T/p1.log" >&2; fail "revision 5 never compacted"; }
readable 6 || fail "the latest revision was compacted"
expect_grep "periodic log" '"msg":"completed auto periodic compaction"' "$T/p1.log"
puts 5		# revisions 7..11
wait_for 10 compacted 10 || { cat "$T/p1.log" >&2; fail "revision 10 never compacted"; }
expect_eq "latest value" "$(etcdctl --endpoints="$CURL" get k --print-value-only)" v5
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0

# ---- a plain number is hours in periodic mode: nothing compacts soon
start_cetcd h1 --auto-compaction-retention 1
puts 3
sleep 1
readable 2 || fail "revision 2 compacted with a 1-hour retention"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0

# ---- bad settings: etcd's messages (quoted as the logger quotes them),
# and cetcd does not start
bad() {
	local want=$1; shift
	"$CETCD" --name b --data-dir "$T/bad" --listen-client-urls "http://127.0.0.1:$(free_port)" \
		--advertise-client-urls http://127.0.0.1:1 --listen-peer-urls "http://127.0.0.1:$(free_port)" \
		--initial-advertise-peer-urls http://127.0.0.1:2 --initial-cluster b=http://127.0.0.1:2 \
		"$@" > "$T/bad.log" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	wait "$pid" && fail "cetcd started with $*"
	expect_grep "error for $*" "$want" "$T/bad.log"
}
bad 'unknown auto-compaction-mode .*weekly' --auto-compaction-mode weekly --auto-compaction-retention 1
bad 'error parsing CompactionRetention: time: invalid duration .*abc' --auto-compaction-retention abc
exit 0
