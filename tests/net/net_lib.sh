# net_lib.sh - starts and stops tests/net/net_testd for the net tests.
# Sourced after tests/lib.sh.

NET_TESTD="$top_builddir/tests/net/net_testd"
[ -x "$NET_TESTD" ] || fail "missing $NET_TESTD (make check builds it)"

# A python3 that has Debian's grpcio (python3-grpcio), if any.
net_python() {
	for py in /usr/bin/python3 python3; do
		if "$py" -c 'import grpc' 2>/dev/null; then echo "$py"; return 0; fi
	done
	command -v python3 || command -v /usr/bin/python3
}

# net_start ARGS...: starts net_testd on a free loopback port (port 0)
# and sets NET_PID, NET_PORT, NET_URL.
net_start() {
	"$NET_TESTD" "$@" >"$T/testd.out" 2>"$T/testd.err" &
	NET_PID=$!
	PIDS="$PIDS $NET_PID"
	wait_for 10 grep -q '^READY' "$T/testd.out" || { cat "$T/testd.err" >&2; fail "net_testd did not start"; }
	NET_URL=$(sed -n 's/^LISTEN \(http:.*\)/\1/p' "$T/testd.out" | head -1)
	NET_PORT=${NET_URL##*:}
	[ -n "$NET_PORT" ] || fail "no port in $(cat "$T/testd.out")"
}

# net_stop: SIGTERM, expects exit status 0 and no sanitizer report.
net_stop() {
	kill -TERM "$NET_PID"
	local rc=0
	wait "$NET_PID" || rc=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$T/testd.err"; then
		cat "$T/testd.err" >&2
		fail "sanitizer report from net_testd"
	fi
	expect_eq "net_testd exit status" "$rc" 0
}
