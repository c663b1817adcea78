# lib.sh - helpers for the shell tests.  Sourced, never run.
#
# Each test gets its own temporary directory (removed at exit) and stops
# every process it started by pid.  Nothing listens on a fixed port.

set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

CETCD="$top_builddir/cetcd"
STORAGED="$top_builddir/cetcd-storaged"
T=$(mktemp -d "${TMPDIR:-/tmp}/cetcd-test.XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; }

# expect_grep WHAT PATTERN FILE
expect_grep() { grep -qE -- "$2" "$3" || { cat "$3" >&2; fail "$1: no line matching [$2]"; }; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local n=$(( $1 * 10 )); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

# child_pids PID: the direct children of PID.
child_pids() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

# pid_alive PID
pid_alive() { kill -0 "$1" 2>/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# free_port: a loopback TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_cetcd NAME: starts cetcd in $T/NAME on free ports; sets
# CPID, CURL (client URL), PURL (peer URL).  Extra flags follow NAME.
start_cetcd() {
	local name=$1; shift
	local cp=$(free_port) pp=$(free_port)
	CURL=http://127.0.0.1:$cp
	PURL=http://127.0.0.1:$pp
	"$CETCD" --name "$name" --data-dir "$T/$name" \
		--listen-client-urls "$CURL" --advertise-client-urls "$CURL" \
		--listen-peer-urls "$PURL" --initial-advertise-peer-urls "$PURL" \
		--initial-cluster "$name=$PURL" "$@" > "$T/$name.log" 2>&1 &
	CPID=$!
	PIDS="$PIDS $CPID"
	wait_for 20 curl -sf "$CURL/health" -o /dev/null || { cat "$T/$name.log" >&2; fail "cetcd never became healthy"; }
}

# start_etcd NAME: the real etcd 3.4, the same way; sets EPID, EURL.
start_etcd() {
	local name=$1; shift
	local cp=$(free_port) pp=$(free_port)
	EURL=http://127.0.0.1:$cp
	etcd --name "$name" --data-dir "$T/$name" \
		--listen-client-urls "$EURL" --advertise-client-urls "$EURL" \
		--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
		--initial-cluster "$name=http://127.0.0.1:$pp" "$@" > "$T/$name.log" 2>&1 &
	EPID=$!
	PIDS="$PIDS $EPID"
	wait_for 20 curl -sf "$EURL/health" -o /dev/null || { cat "$T/$name.log" >&2; fail "etcd never became healthy"; }
}

# stop_pid PID: SIGTERM, wait, and check it exited 0.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# normalize: hide what legitimately differs between two servers
# (ids, terms, sizes, versions) in etcdctl and JSON output.
normalize() {
	sed -E -e 's/"(cluster_id|member_id|raft_term|leader|raftTerm|dbSize|dbSizeInUse)":"?[0-9]+"?/"\1":N/g' \
	       -e 's/"ts":"[^"]*"/"ts":T/g; s/"target":"[^"]*"/"target":T/g' \
	       -e 's/\b[0-9a-f]{16}\b/ID/g' \
	       -e 's/"(ID|hash)":"?[0-9]+"?/"\1":N/g; s/"name":"[^"]*"/"name":NAME/g' \
	       -e 's#http://127\.0\.0\.1:[0-9]+#URL#g'
}
