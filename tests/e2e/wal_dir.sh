#!/bin/sh
# --wal-dir on another filesystem (/dev/shm, a tmpfs, when the temp dir is
# elsewhere): the WAL goes there, the db stays in the data dir, and the
# data survives a restart.
. "$top_srcdir/tests/lib.sh"
export ETCDCTL_API=3

W=$(mktemp -d /dev/shm/cetcd-wal.XXXXXX) || fail "cannot make a dir in /dev/shm"
trap 'cleanup; rm -rf "$W"' EXIT
[ "$(stat -f -c %T "$W")" != "$(stat -f -c %T "$T")" ] || [ "$(stat -c %d "$W")" != "$(stat -c %d "$T")" ] ||
	fail "/dev/shm is not another filesystem here"

start_cetcd w1 --wal-dir "$W/wal"
etcdctl --endpoints="$CURL" put a 1 > /dev/null || fail "put failed"
ls "$W/wal"/*.wal > /dev/null 2>&1 || fail "no WAL segment in --wal-dir"
[ -z "$(ls "$T/w1/member/wal" 2>/dev/null)" ] || fail "WAL written in the data dir too"
ls "$T/w1/member/snap/" | grep -q db || fail "no db in the data dir"
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0

"$CETCD" --name w1 --data-dir "$T/w1" --wal-dir "$W/wal" --listen-client-urls "$CURL" \
	--advertise-client-urls "$CURL" --listen-peer-urls "$PURL" --initial-advertise-peer-urls "$PURL" \
	--initial-cluster "w1=$PURL" >> "$T/w1.log" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
wait_for 20 curl -sf "$CURL/health" -o /dev/null || fail "not healthy after restart"
expect_eq "value after restart" "$(etcdctl --endpoints="$CURL" get a --print-value-only)" 1
stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
