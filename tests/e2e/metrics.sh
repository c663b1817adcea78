#!/bin/sh
# GET /metrics as etcd 3.4 serves it: the same families (HELP and TYPE
# lines), label names, histogram buckets and gRPC series as the real etcd
# started the same way; counters that move with traffic; and the
# --listen-metrics-urls listener with only /metrics and /health.
. "$top_srcdir/tests/lib.sh"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || fail "etcd and etcdctl are needed (apt-get install etcd-server etcd-client)"
export ETCDCTL_API=3

CM=http://127.0.0.1:$(free_port)
EM=http://127.0.0.1:$(free_port)
start_cetcd c1 --listen-metrics-urls "$CM"
start_etcd e1 --listen-metrics-urls "$EM"

# value FILE SERIES: the value of one series (name and labels verbatim).
value() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "absent" }' "$1"; }
# num: a Prometheus value as an integer ("1e+06" too).
num() { awk -v v="$1" 'BEGIN { printf "%d", v + 0 }'; }
PUT='grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"'
RANGE='grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"'

traffic() {
	for i in 1 2 3 4 5; do etcdctl --endpoints="$1" put "k$i" "v$i" > /dev/null || fail "put on $1"; done
	etcdctl --endpoints="$1" get k1 --rev=1000 > /dev/null 2>&1 && fail "a future revision was read"
	curl -sf "$1/v3/kv/put" -d '{"key":"Z3c=","value":"MQ=="}' > /dev/null || fail "gateway put on $1"
}

curl -sf "$CURL/metrics" -o "$T/c0.txt" || fail "GET /metrics on the client URL"
traffic "$CURL"
traffic "$EURL"
curl -sf -D "$T/c.hdr" "$CURL/metrics" -o "$T/c1.txt" || fail "GET /metrics on the client URL"
curl -sf "$EURL/metrics" -o "$T/e1.txt" || fail "GET /metrics on etcd"

# ---- the header and the counters that must have moved
expect_grep "content type" '^[Cc]ontent-[Tt]ype: text/plain; version=0.0.4; charset=utf-8' "$T/c.hdr"
expect_eq "has_leader" "$(value "$T/c1.txt" etcd_server_has_leader)" 1
expect_eq "is_leader" "$(value "$T/c1.txt" etcd_server_is_leader)" 1
expect_eq "leader changes" "$(value "$T/c1.txt" etcd_server_leader_changes_seen_total)" 1
expect_eq "proposals pending" "$(value "$T/c1.txt" etcd_server_proposals_pending)" 0
expect_eq "proposals failed" "$(value "$T/c1.txt" etcd_server_proposals_failed_total)" 0
for m in etcd_server_proposals_committed_total etcd_server_proposals_applied_total \
	 etcd_disk_wal_fsync_duration_seconds_count etcd_disk_backend_commit_duration_seconds_count; do
	a=$(num "$(value "$T/c0.txt" $m)"); b=$(num "$(value "$T/c1.txt" $m)")
	[ "$b" -ge $((a + 6)) ] || fail "$m went from $a to $b after 6 writes"
done
a=$(num "$(value "$T/c0.txt" 'etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}')")
b=$(num "$(value "$T/c1.txt" 'etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}')")
[ "$b" -ge $((a + 6)) ] || fail "the fsync histogram's +Inf bucket went from $a to $b"
awk '$1 == "etcd_disk_wal_fsync_duration_seconds_sum" { exit !($2 > 0) }' "$T/c1.txt" || fail "no fsync time"
awk '$1 == "etcd_mvcc_db_total_size_in_bytes" { exit !($2 > 0) }' "$T/c1.txt" || fail "no db size"
# Five etcdctl puts and one through the gateway, which etcd counts as gRPC.
expect_eq "Put started" "$(value "$T/c1.txt" "grpc_server_started_total{$PUT}")" 6
expect_eq "Put OK" "$(value "$T/c1.txt" "grpc_server_handled_total{grpc_code=\"OK\",$PUT}")" 6
expect_eq "Range OutOfRange" "$(value "$T/c1.txt" "grpc_server_handled_total{grpc_code=\"OutOfRange\",$RANGE}")" 1
expect_eq "Put started (etcd)" "$(value "$T/e1.txt" "grpc_server_started_total{$PUT}")" 6
expect_eq "Range OutOfRange (etcd)" "$(value "$T/e1.txt" "grpc_server_handled_total{grpc_code=\"OutOfRange\",$RANGE}")" 1

# ---- names, types, help texts and labels as etcd's
REQUIRED="etcd_server_has_leader etcd_server_is_leader etcd_server_leader_changes_seen_total
etcd_server_proposals_committed_total etcd_server_proposals_applied_total
etcd_server_proposals_pending etcd_server_proposals_failed_total
etcd_disk_wal_fsync_duration_seconds etcd_disk_backend_commit_duration_seconds
etcd_mvcc_db_total_size_in_bytes grpc_server_started_total grpc_server_handled_total"
for m in $REQUIRED; do
	for kind in TYPE HELP; do
		c=$(grep "^# $kind $m " "$T/c1.txt"); e=$(grep "^# $kind $m " "$T/e1.txt")
		[ -n "$e" ] || fail "etcd has no $kind line for $m"
		expect_eq "$kind of $m" "$c" "$e"
	done
done
# Every family cetcd exports is one of etcd's, with the same type and help.
grep '^# ' "$T/c1.txt" > "$T/c.meta"
grep -vxF -f "$T/e1.txt" "$T/c.meta" > "$T/extra" && { cat "$T/extra" >&2; fail "families unknown to etcd, or with another TYPE/HELP"; }
# The series themselves: label names and values (not the counts).
series() { grep -E "^$2[{ ]" "$1" | sed -E 's/ [^ ]+$//' | sort; }
for m in grpc_server_started_total grpc_server_handled_total etcd_disk_wal_fsync_duration_seconds_bucket \
	 etcd_disk_backend_commit_duration_seconds_bucket etcd_server_has_leader etcd_mvcc_db_total_size_in_bytes; do
	series "$T/c1.txt" "$m" > "$T/c.s"; series "$T/e1.txt" "$m" > "$T/e.s"
	[ -s "$T/e.s" ] || fail "etcd has no $m series"
	diff -u "$T/e.s" "$T/c.s" >&2 || fail "the series of $m differ (- etcd, + cetcd)"
done
# client_golang writes the families sorted by name.
grep '^# TYPE' "$T/c1.txt" | awk '{ print $3 }' > "$T/names"
LC_ALL=C sort -c "$T/names" || fail "families are not sorted"

# ---- the metrics listener: /metrics and /health only, as etcd's
curl -sf "$CM/metrics" -o "$T/cm.txt" || fail "GET /metrics on --listen-metrics-urls"
expect_grep "metrics listener" '^etcd_server_has_leader 1$' "$T/cm.txt"
expect_eq "metrics listener /health" "$(curl -s "$CM/health")" "$(curl -s "$EM/health")"
for p in /version /members /v3/kv/range; do
	expect_eq "metrics listener $p" "$(curl -s -o /dev/null -w '%{http_code}' "$CM$p")" \
		"$(curl -s -o /dev/null -w '%{http_code}' "$EM$p")"
done

stop_pid "$CPID"; expect_eq "cetcd exit status" $? 0
exit 0
