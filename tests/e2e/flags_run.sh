#!/bin/sh
# cetcd configured the three ways etcd 3.4 can be: a YAML --config-file
# (flags and environment then ignored), ETCD_* variables, and flags; and
# its logging: --log-outputs (a file, stdout), --log-level, --logger.
. "$top_srcdir/tests/lib.sh"

for v in $(env | sed -n 's/^\(ETCD_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

# run_until_healthy LOG URL: waits for /health, else shows LOG and fails.
healthy() {
	wait_for 20 curl -sf "$2/health" -o /dev/null || { cat "$1" >&2; fail "cetcd never became healthy ($1)"; }
}
# member_name URL: the name of the one member, from GET /members.
member_name() {
	curl -sf "$1/members" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])'
}
stop() {
	kill -TERM "$1"; wait "$1"; expect_eq "exit status after SIGTERM" $? 0
}

# 1. A configuration file; the flags beside it are ignored, as in etcd.
cp=$(free_port); pp=$(free_port)
cat > "$T/conf.yml" <<EOF
# etcd 3.4 keys
name: fromfile
data-dir: $T/filedata
listen-client-urls: http://127.0.0.1:$cp
advertise-client-urls: http://127.0.0.1:$cp
listen-peer-urls: http://127.0.0.1:$pp
initial-advertise-peer-urls: http://127.0.0.1:$pp
initial-cluster: fromfile=http://127.0.0.1:$pp
initial-cluster-token: tok
heartbeat-interval: 50
election-timeout: 500
log-level: info
log-outputs: [$T/file.log]
enable-v2: false
EOF
"$CETCD" --config-file "$T/conf.yml" --name ignored --data-dir "$T/ignored" > "$T/run1.out" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
healthy "$T/file.log" "http://127.0.0.1:$cp"
expect_eq "name from the file" "$(member_name "http://127.0.0.1:$cp")" fromfile
[ -d "$T/filedata/member" ] || fail "data-dir from the file not used"
[ ! -e "$T/ignored" ] || fail "--data-dir beside --config-file was used"
expect_grep "log file" '"msg":"loaded server configuration, other configuration command line flags and environment variables will be ignored if provided","path":"' "$T/file.log"
expect_grep "log file" '"key":"enable-v2"' "$T/file.log"
# (cetcd-storaged, a child, keeps its own stderr.)
if grep -q '"caller":"daemon/' "$T/run1.out"; then cat "$T/run1.out" >&2; fail "cetcd logged to stderr despite log-outputs"; fi
stop "$CPID"

# 2. ETCD_CONFIG_FILE works as the flag, and the other variables are ignored.
ETCD_CONFIG_FILE="$T/conf.yml" ETCD_NAME=ignored "$CETCD" > "$T/run2.out" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
healthy "$T/file.log" "http://127.0.0.1:$cp"
expect_eq "name from ETCD_CONFIG_FILE" "$(member_name "http://127.0.0.1:$cp")" fromfile
stop "$CPID"

# 3. The environment, with etcd's capnslog lines about it; logs on stdout;
# --name alone makes the initial cluster "<name>=<advertised peer URLs>".
cp=$(free_port); pp=$(free_port)
ETCD_NAME=fromenv ETCD_DATA_DIR="$T/envdata" \
ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:$cp ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:$cp \
ETCD_LISTEN_PEER_URLS=http://127.0.0.1:$pp ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:$pp \
ETCD_LOG_OUTPUTS=stdout ETCD_BOGUS=1 \
	"$CETCD" > "$T/run3.out" 2> "$T/run3.err" &
CPID=$!; PIDS="$PIDS $CPID"
healthy "$T/run3.out" "http://127.0.0.1:$cp"
expect_eq "name from ETCD_NAME" "$(member_name "http://127.0.0.1:$cp")" fromenv
expect_grep "env used" '^[0-9-]+ [0-9:.]+ I \| .*recognized and used environment variable ETCD_NAME=fromenv$' "$T/run3.err"
expect_grep "env unknown" '^[0-9-]+ [0-9:.]+ W \| .*unrecognized environment variable ETCD_BOGUS=1$' "$T/run3.err"
[ -d "$T/envdata/member" ] || fail "ETCD_DATA_DIR not used"
stop "$CPID"
grep -q '^{"level":"' "$T/run3.out" || { cat "$T/run3.out" "$T/run3.err" >&2; fail "no zap line on stdout"; }
if grep -q '"caller":"daemon/' "$T/run3.err"; then cat "$T/run3.err" >&2; fail "zap lines on stderr with --log-outputs=stdout"; fi

# 4. --log-level=warn drops info lines; capnslog writes plain lines.
cp=$(free_port); pp=$(free_port)
"$CETCD" --name lv --data-dir "$T/lv" --listen-client-urls http://127.0.0.1:$cp \
	--advertise-client-urls http://127.0.0.1:$cp --listen-peer-urls http://127.0.0.1:$pp \
	--initial-advertise-peer-urls http://127.0.0.1:$pp --initial-cluster lv=http://127.0.0.1:$pp \
	--log-level=warn --logger=capnslog > "$T/run4.out" 2>&1 &
CPID=$!; PIDS="$PIDS $CPID"
healthy "$T/run4.out" "http://127.0.0.1:$cp"
stop "$CPID"
if grep -Eq '^[0-9-]+ [0-9:.]+ I \| |"level":"info"' "$T/run4.out"; then cat "$T/run4.out" >&2; fail "info lines at --log-level=warn"; fi
if grep -q '"caller":"daemon/' "$T/run4.out"; then cat "$T/run4.out" >&2; fail "JSON lines with --logger=capnslog"; fi
exit 0
