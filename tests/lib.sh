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
