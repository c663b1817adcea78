#!/bin/sh
# The Maintenance and Cluster APIs through etcdctl and the JSON gateway: the
# same commands against cetcd and against the real etcd 3.4 print the same
# (ids, terms, sizes, hashes and timings hidden).  Then the quota scenario
# of etcd's docs (op-guide/maintenance.md) on cetcd alone.
. "$top_srcdir/tests/lib.sh"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || fail "etcd and etcdctl are needed (apt-get install etcd-server etcd-client)"

start_cetcd c1
start_etcd e1
export ETCDCTL_API=3

# What differs between the two servers beyond normalize(): db sizes,
# durations, the version, snapshot sizes, Raft terms and indexes, Hash (of
# the whole db).  HashKV's hash is etcd's own, so tables keep it.
mnorm() {
	sed -E -e 's/\b[0-9a-f]{13,15}\b/ID/g' | normalize | sed -E \
	    -e 's/[0-9.]+ ?(kB|MB|B) /SIZE /g; s/"took":"[^"]*"/"took":D/g; s/\| [0-9.]+(ms|µs|s) +\|/| D |/g' \
	    -e 's/3\.4\.[0-9]+/3.4.X/g; s/"(hash|dbSize|dbSizeInUse|raftIndex|raftAppliedIndex|revision)":"?[0-9-]+"?/"\1":N/g' \
	    -e 's/\| +[0-9]+ \| +[0-9]+ \| +[0-9]+ \|( [^|]*\|)$/| T | I | A |\1/' \
	    -e 's/"blob":"[^"]*"/"blob":B/g; /^\{"result":\{"remaining_bytes":"[0-9]+"/d' \
	    -e 's#127\.0\.0\.1:[0-9]+#URL#g; /^\{"level"/d' \
	    -e '/^[|+]/{s/-+/-/g; s/ +/ /g}' -e 's/^\| ID \| started \| [^ ]+ \|/| ID | started | NAME |/'
}

# member_id URL: this member's id in hex, as etcdctl move-leader wants it.
member_id() {
	etcdctl --endpoints="$1" endpoint status -w json |
	    python3 -c 'import json,sys; print("%x" % json.load(sys.stdin)[0]["Status"]["header"]["member_id"])'
}

# run_all URL OUT
# etcdctl is given host:port without the scheme: for the commands that dial
# each endpoint on its own (endpoint status/hashkv, move-leader), grpc-go
# then sends it as :authority, and nghttp2 refuses "http://..." there
# (a daemon/net issue, reported).
run_all() {
	url=$1; out=$2
	ctl() { echo "\$ etcdctl $*"; etcdctl --endpoints="${url#http://}" "$@" 2>&1; echo "[exit $?]"; }
	gw() { echo "\$ $1 $2 $3"; curl -s -X "$1" -w ' [%{http_code}]\n' "$url$2" -d "$3"; }
	id=$(member_id "${url#http://}")
	{
		ctl put foo bar
		ctl put foo baz
		ctl defrag
		ctl endpoint status -w table
		ctl endpoint status -w json
		ctl endpoint health -w table
		ctl endpoint health -w json
		ctl endpoint hashkv -w table
		ctl endpoint hashkv -w json
		ctl compaction 2
		ctl endpoint hashkv --rev=1 -w json
		ctl endpoint hashkv --rev=2 -w json
		ctl endpoint hashkv --rev=3 -w table
		ctl endpoint hashkv --rev=99
		ctl alarm list
		ctl alarm disarm
		ctl member list -w json
		ctl member list -w table
		ctl move-leader 1234
		ctl move-leader zz
		ctl move-leader "$id"
		ctl snapshot save "$T/snap-$$.db"
		gw POST /v3/maintenance/defragment '{}'
		gw POST /v3/maintenance/hash '{}'
		gw POST /v3/maintenance/hash '{"revision":"1"}'
		gw POST /v3/maintenance/status '{}'
		gw POST /v3/maintenance/alarm '{"action":"GET"}'
		gw POST /v3/maintenance/alarm '{"action":"ACTIVATE","alarm":"NOSPACE","memberID":"1"}'
		gw POST /v3/maintenance/alarm '{"action":"GET"}'
		gw POST /v3/maintenance/status '{}'
		gw POST /v3/maintenance/alarm '{"action":"DEACTIVATE","alarm":"NOSPACE","memberID":"1"}'
		gw POST /v3/maintenance/alarm '{}'
		gw POST /v3/maintenance/transfer-leadership '{"targetID":"5"}'
		gw POST /v3/cluster/member/list '{}'
		gw POST /v3beta/maintenance/status '{}'
		gw POST /v3/maintenance/snapshot '{}'
		gw GET /v3/maintenance/status ''
		gw PUT /v3beta/kv/range '{}'
		gw GET /v3/maintenance/snapshot ''
		gw POST /v3/nope '{}'
		gw POST /v3beta/nope/nope '{}'
		gw OPTIONS /v3/kv/range ''
		gw POST /v3/maintenance/snapshot '{"x":1}'
		gw POST /v3/maintenance/snapshot '{'
		gw POST /v3/maintenance/defragment '[1]'
		gw POST /v3/maintenance/hash '{"revision":"x"}'
	} > "$out" 2>&1
	rm -f "$T/snap-$$.db"
}

run_all "$CURL" "$T/cetcd.out"
run_all "$EURL" "$T/etcd.out"
mnorm < "$T/cetcd.out" > "$T/cetcd.norm"
mnorm < "$T/etcd.out" > "$T/etcd.norm"
if ! diff -u "$T/etcd.norm" "$T/cetcd.norm" > "$T/diff"; then
	cat "$T/diff" >&2
	fail "cetcd's answers differ from etcd's (- etcd, + cetcd)"
fi

# A snapshot has the db's bytes and etcd's 32-byte SHA-256 trailer, and the
# gateway stream says the same in base64.
etcdctl --endpoints="${CURL#http://}" snapshot save "$T/c.db" > "$T/save.out" 2>&1 || { cat "$T/save.out" >&2; fail "snapshot save"; }
size=$(stat -c %s "$T/c.db")
[ $((size % 512)) -eq 32 ] || fail "snapshot size $size is not a db of whole pages plus a digest"
head -c $((size - 32)) "$T/c.db" | sha256sum | cut -c1-64 > "$T/sum.want"
tail -c 32 "$T/c.db" | od -An -tx1 | tr -d ' \n' > "$T/sum.got"; echo >> "$T/sum.got"
expect_eq "snapshot digest" "$(cat "$T/sum.got")" "$(cat "$T/sum.want")"
head -c 16 "$T/c.db" | grep -q "SQLite format 3" || fail "the snapshot is not storaged's db"
curl -s "$CURL/v3/maintenance/snapshot" -d '{}' | python3 -c '
import base64, json, sys
blob = b"".join(base64.b64decode(json.loads(l)["result"]["blob"]) for l in sys.stdin if l.strip())
sys.exit(0 if len(blob) % 512 == 32 else 1)' || fail "gateway snapshot stream"

stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
stop_pid "$EPID"

# The quota scenario.
start_cetcd q1 --quota-backend-bytes=$((16 * 1024 * 1024))
ctl() { etcdctl --endpoints="${CURL#http://}" "$@"; }
head -c $((1024 * 1024)) /dev/zero | tr '\0' a > "$T/v"
i=0
while [ $i -lt 40 ]; do
	if ! ctl put key < "$T/v" > "$T/put.out" 2>&1; then
		break
	fi
	i=$((i + 1))
done
[ $i -lt 40 ] || fail "40 MiB of puts never hit the 16 MiB quota"
expect_grep "put past the quota" "database space exceeded" "$T/put.out"
ctl alarm list > "$T/alarm.out" 2>&1
expect_grep "alarm list" "^memberID:[0-9]+ alarm:NOSPACE *$" "$T/alarm.out"
ctl put other x > "$T/put2.out" 2>&1 && fail "a put succeeded under NOSPACE"
expect_grep "put under NOSPACE" "database space exceeded" "$T/put2.out"
ctl get key --keys-only > "$T/get.out" 2>&1 || { cat "$T/get.out" >&2; fail "reads fail under NOSPACE"; }
expect_grep "read under NOSPACE" "^key$" "$T/get.out"
ctl endpoint status -w json > "$T/st.out"
expect_grep "status errors" '"errors":\["memberID:[0-9]+ alarm:NOSPACE "\]' "$T/st.out"
rev=$(ctl endpoint status -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
ctl compaction "$rev" > "$T/c.out" 2>&1 || { cat "$T/c.out" >&2; fail "compaction under NOSPACE"; }
ctl defrag > "$T/d.out" 2>&1 || { cat "$T/d.out" >&2; fail "defrag"; }
ctl alarm disarm > "$T/disarm.out" 2>&1 || { cat "$T/disarm.out" >&2; fail "alarm disarm"; }
expect_grep "alarm disarm" "^memberID:[0-9]+ alarm:NOSPACE *$" "$T/disarm.out"
ctl alarm list > "$T/alarm2.out" 2>&1
expect_eq "alarms after disarm" "$(cat "$T/alarm2.out")" ""
ctl put after ok > "$T/put3.out" 2>&1 || { cat "$T/put3.out" >&2; fail "put after disarm"; }
expect_eq "get after disarm" "$(ctl get after --print-value-only)" "ok"

stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
