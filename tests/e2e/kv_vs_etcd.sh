#!/bin/sh
# The KV API through etcdctl and the JSON gateway: the same commands against
# cetcd and against the real etcd 3.4 print the same (ids and terms hidden).
. "$top_srcdir/tests/lib.sh"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || fail "etcd and etcdctl are needed (apt-get install etcd-server etcd-client)"

start_cetcd c1
start_etcd e1
export ETCDCTL_API=3

# run_all URL OUT: every command, its output and its exit status.
run_all() {
	url=$1; out=$2
	ctl() { echo "\$ etcdctl $*"; etcdctl --endpoints="$url" "$@" 2>&1; echo "[exit $?]"; }
	gw() { echo "\$ POST $1 $2"; curl -s -w ' [%{http_code}]\n' "$url$1" -d "$2"; }
	{
		ctl put foo bar
		ctl put foo baz --prev-kv
		ctl get foo
		ctl get foo -w json
		ctl put a/1 x; ctl put a/2 y; ctl put a/3 z; ctl put b w
		ctl get a --prefix
		ctl get a/2 --from-key
		ctl get a/1 a/3
		ctl get a --prefix --limit 2
		ctl get a --prefix --limit 2 -w json
		ctl get a --prefix --sort-by=KEY --order=DESCEND
		ctl get a --prefix --sort-by=MODIFY --order=ASCEND --keys-only
		ctl get a --prefix --count-only -w json
		ctl get a --prefix --print-value-only
		ctl get foo --rev=2
		ctl get foo --rev=99
		ctl get ""
		ctl del a/1 --prev-kv
		ctl del a --prefix
		ctl del nothing
		printf 'value("foo") = "baz"\n\nput foo qux\nget foo\n\nput foo nope\n\n' | ctl txn
		printf 'mod("foo") > "100"\n\nput foo nope\n\nget foo\n\n' | ctl txn -w json
		printf '\nput k1 v\nput k1 w\n\n\n' | ctl txn
		ctl compaction 5
		ctl get foo --rev=3
		ctl compaction 5
		ctl compaction 999
		# grpc-go sends ":authority: http://..." when it dials an endpoint
		# given as a URL: accepted, as etcd's Go server accepts it.
		ctl endpoint hashkv
		gw /v3/kv/put '{"key":"Z3c=","value":"MQ=="}'
		gw /v3/kv/range '{"key":"Z3c="}'
		gw /v3/kv/range '{"key":"YQ==","range_end":"Yw==","keys_only":true,"sort_order":"DESCEND"}'
		gw /v3/kv/put '{"value":"MQ=="}'
		gw /v3/kv/put '{"key":5}'
		gw /v3/kv/put '{"key":"Z3c=","nope":1}'
		gw /v3/kv/deleterange '{"key":"Z3c=","prev_kv":true}'
		gw /v3/kv/txn '{"compare":[{"key":"Zm9v","result":"EQUAL","target":"VERSION","version":"3"}],"success":[{"request_range":{"key":"Zm9v"}}]}'
		gw /v3beta/kv/range '{"key":"Zm9v"}'
		gw /v3/kv/compaction '{"revision":"1"}'
	} > "$out" 2>&1
}

run_all "$CURL" "$T/cetcd.out"
run_all "$EURL" "$T/etcd.out"
normalize < "$T/cetcd.out" > "$T/cetcd.norm"
normalize < "$T/etcd.out" > "$T/etcd.norm"
if ! diff -u "$T/etcd.norm" "$T/cetcd.norm" > "$T/diff"; then
	cat "$T/diff" >&2
	fail "cetcd's answers differ from etcd's (- etcd, + cetcd)"
fi

stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
