#!/bin/sh
# Bad command lines, environments and configuration files: cetcd must print
# what etcd 3.4 prints and exit with etcd's status.  Each case runs both
# programs with the same arguments (free ports, their own working dirs) and
# compares their output after normalize_log, which hides only what cannot
# be the same: timestamps, the code location of a log line (zap "caller",
# capnslog's package), capnslog's letter for fatal (C, cetcd F), Go's panic
# trace and zap's stacktrace, the program name, and etcd's usage lines
# for the gateway and grpc-proxy commands cetcd does not have.
. "$top_srcdir/tests/lib.sh"

command -v etcd > /dev/null || { echo "etcd not installed: skipped"; exit 77; }
for v in $(env | sed -n 's/^\(ETCD_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

# normalize_log [EXTRA-SED-EXPRESSION]
normalize_log() {
	sed -E -e '/^goroutine [0-9]+ \[/,$d' \
	       -e '/^Usage:$/q' \
	       -e 's/"ts":"[^"]*"/"ts":T/; s/"caller":"[^"]*"/"caller":C/' \
	       -e 's/,"stacktrace":"([^"\\]|\\.)*"//' \
	       -e 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ ([A-Z]) \| [^ ]+: /\1 | /' \
	       -e 's/^C \| /F | /' \
	       -e 's/\bcetcd\b/etcd/g' \
	       -e '/^$/d' ${1:+-e "$1"}
}

# Lines of a server that got as far as starting: etcd logs its start-up at
# info level, cetcd does not; only what is wrong is compared.
DROP_INFO='/"level":"info"|^I \| /d'

N=0
# compare MODE EXTRA_ENV ARGS...: MODE "all" compares every line, "late"
# drops info lines (a check that etcd makes after it began to start).
compare() {
	local mode=$1 envs=$2; shift 2
	N=$((N + 1))
	mkdir "$T/e$N" "$T/c$N"
	# Both at once, to keep the test short; they share no port that
	# either binds before failing (etcd binds $LOCAL's, cetcd does not).
	(cd "$T/e$N" && exec env $envs timeout 5 etcd "$@") > "$T/e$N.out" 2>&1 &
	local epid=$!
	(cd "$T/c$N" && exec env $envs timeout 5 "$CETCD" "$@") > "$T/c$N.out" 2>&1
	local cs=$?
	wait $epid
	local es=$?
	local extra=
	[ "$mode" = late ] && extra=$DROP_INFO
	normalize_log "$extra" < "$T/e$N.out" > "$T/e$N.norm"
	normalize_log "$extra" < "$T/c$N.out" > "$T/c$N.norm"
	if [ $es -eq 124 ] || [ $cs -eq 124 ]; then
		fail "case $N ($envs $*): a server kept running"
	fi
	if [ "$es" != "$cs" ] || ! cmp -s "$T/e$N.norm" "$T/c$N.norm"; then
		echo "case $N: $envs $*" >&2
		echo "etcd (status $es):" >&2; cat "$T/e$N.out" >&2
		echo "cetcd (status $cs):" >&2; cat "$T/c$N.out" >&2
		diff "$T/e$N.norm" "$T/c$N.norm" >&2
		FAILED=1
	fi
}
FAILED=0

# Ports nothing listens on, so that a case that passes validation fails at
# its bootstrap checks rather than on etcd's default ports.
P1=$(free_port); P2=$(free_port)
LOCAL="--listen-client-urls http://127.0.0.1:$P1 --advertise-client-urls http://127.0.0.1:$P1 --listen-peer-urls http://127.0.0.1:$P2 --initial-advertise-peer-urls http://127.0.0.1:$P2"

# Go's flag package: exit 2 and the usage.
compare all "" --no-such-flag
compare all "" --max-wals=lots
compare all "" --max-wals=-1
compare all "" --max-wals=99999999999999999999999
compare all "" --quota-backend-bytes=1x
compare all "" --max-concurrent-streams=99999999999
compare all "" --max-concurrent-streams=x
compare all "" --initial-cluster-state=foo
compare all "" --listen-client-urls=foo
compare all "" --listen-peer-urls=http://a:b:c
compare all "" --advertise-client-urls=ftp://x:1
compare all "" --snapshot-count
compare all "" ---name
compare all "" --version=maybe
# etcdmain's checks before it has a logger.
compare all "" --logger=zap stray-argument
compare all "" --logger=zap --log-level=nope
compare all "" --logger=capnslog --log-level=nope
compare all "" --logger=glog
compare all "" --logger=zap --log-outputs=default,stderr
compare all "" --logger=zap --log-outputs=/nonexistent/dir/log
compare all "" --logger=capnslog --log-outputs=stderr,stdout
compare all "" --logger=capnslog --log-outputs=syslog
# embed.Config.Validate, with the zap logger and with capnslog.
for lg in zap capnslog; do
	compare all "" --logger=$lg --listen-client-urls http://127.0.0.1:1
	compare all "" --logger=$lg --election-timeout 5
	compare all "" --logger=$lg --election-timeout 60000
	compare all "" --logger=$lg --heartbeat-interval 0
	compare all "" --logger=$lg --election-timeout 0
	compare all "" --logger=$lg --auto-compaction-mode=daily
	compare all "" --logger=$lg --listen-client-urls=http://example.com:1 --advertise-client-urls=http://127.0.0.1:1
	compare all "" --logger=$lg --listen-metrics-urls=http://example.com:1
	compare all "" --logger=$lg --advertise-client-urls=http://:1
	compare all "" --logger=$lg --initial-advertise-peer-urls=http://:1,http://127.0.0.1:5
done
# The environment (etcd's pkg/flags messages are capnslog lines).
compare all "ETCD_NAME=x" --name y
compare all "ETCD_NAME=" --logger=zap --name y
compare all "ETCD_MAX_WALS=lots" --logger=zap
compare all "ETCD_INITIAL_CLUSTER_STATE=bad" --logger=zap
compare all "ETCD_UNKNOWN_THING=1 ETCD_ELECTION_TIMEOUT=10 ETCD_LOGGER=zap" --data-dir x
compare all "ETCD_LOGGER=zap ETCD_LOG_LEVEL=bogus"
compare all "ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:1" --logger=zap
# What etcd finds as it starts the member.
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster other=http://127.0.0.1:$P2
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster default=foo
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster default=http://127.0.0.1:1
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster default=http://127.0.0.1:$P2,b=http://127.0.0.1:$P2
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster default=http://127.0.0.1:$P2 --auto-compaction-retention=abc
compare late "" --logger=zap --data-dir d $LOCAL --initial-cluster default=http://127.0.0.1:$P2 --auto-compaction-retention=5x
compare late "" --logger=zap --name m1 $LOCAL --initial-cluster m2=http://127.0.0.1:$P2
compare late "" --logger=zap --data-dir d $LOCAL --initial-advertise-peer-urls http://127.0.0.1:$P2,http://127.0.0.1:1 --initial-cluster default=http://127.0.0.1:$P2
compare late "" --logger=capnslog --data-dir d $LOCAL --initial-cluster other=http://127.0.0.1:$P2

# Configuration files: flags and environment are ignored once one is given.
cf() { printf '%b' "$2" > "$T/$1.yml"; echo "$T/$1.yml"; }
compare all "" --config-file "$T/nonexistent.yml"
compare all "ETCD_CONFIG_FILE=$T/nonexistent.yml" --name y
compare all "" --config-file "$T"
compare all "" --config-file "$(cf name_number 'name: 123\n')"
compare all "" --config-file "$(cf name_bool 'name: true\n')"
compare all "" --config-file "$(cf hb_string 'heartbeat-interval: abc\n')"
compare all "" --config-file "$(cf hb_negative 'heartbeat-interval: -1\n')"
compare all "" --config-file "$(cf hb_float 'heartbeat-interval: 1.5\n')"
compare all "" --config-file "$(cf mcs_range 'max-concurrent-streams: 99999999999\n')"
compare all "" --config-file "$(cf big 'snapshot-count: 99999999999999999999999\n')"
compare all "" --config-file "$(cf quota 'quota-backend-bytes: 1e30\n')"
compare all "" --config-file "$(cf sorted 'name: [a]\nheartbeat-interval: x\n')"
compare all "" --config-file "$(cf case 'Name: [a]\n')"
compare all "" --config-file "$(cf numbers_ok 'max-wals: 0x10\nmax-snapshots: 1_0\nsnapshot-count: 1e3\nname: [a]\n')"
compare all "" --config-file "$(cf outputs_string 'log-outputs: stderr\n')"
compare all "" --config-file "$(cf outputs_number 'log-outputs: [stderr, 1]\n')"
compare all "" --config-file "$(cf syntax 'name: a\n  b: c\n: x\n')"
compare all "" --config-file "$(cf unclosed 'a: [\n')"
compare all "" --config-file "$(cf tab '\t- x\n')"
compare all "" --config-file "$(cf quote 'name: "abc\n')"
compare all "" --config-file "$(cf array '- a\n- b\n')"
compare all "" --config-file "$(cf scalar '123\n')"
compare all "" --config-file "$(cf lcurl 'listen-client-urls: foo\n')"
compare all "" --config-file "$(cf acurl 'advertise-client-urls: foo\n')"
compare all "" --config-file "$(cf mcurl 'listen-metrics-urls: http://a:b:c\n')"
compare all "" --config-file "$(cf state 'initial-cluster-state: bad\nlogger: zap\n')"
compare all "" --config-file "$(cf election 'logger: zap\nelection-timeout: 10\n')"
compare all "" --config-file "$(cf level 'logger: zap\nlog-level: loud\n')"
compare all "" --config-file "$(cf lcbind 'logger: zap\nlisten-client-urls: http://example.com:1\n')"
compare all "ETCD_ELECTION_TIMEOUT=1" --election-timeout 2 --config-file "$(cf null 'logger: zap\nname: ~\nelection-timeout: 10\n')"
compare late "" --config-file "$(cf late "logger: zap\nname: m1\ndata-dir: d\nlisten-client-urls: http://127.0.0.1:$P1\nadvertise-client-urls: http://127.0.0.1:$P1\nlisten-peer-urls: http://127.0.0.1:$P2\ninitial-advertise-peer-urls: http://127.0.0.1:$P2\ninitial-cluster: m2=http://127.0.0.1:$P2\n")"

# --help: etcd's default and text for every flag of etcd's that cetcd has.
# Two defaults differ on purpose: --logger (zap, where etcd 3.4 still
# defaults to capnslog) and --max-concurrent-streams (the number, where etcd
# shows 'math.MaxUint32').
etcd --help > "$T/etcd.help" 2> /dev/null
"$CETCD" --help > "$T/cetcd.help" 2> /dev/null
help_of() { awk -v f="  --$2 " 'index($0, f) == 1 { print; getline; print }' "$1"; }
for f in name data-dir wal-dir snapshot-count heartbeat-interval election-timeout \
	listen-peer-urls listen-client-urls advertise-client-urls initial-advertise-peer-urls \
	initial-cluster initial-cluster-state initial-cluster-token max-snapshots max-wals \
	quota-backend-bytes max-txn-ops max-request-bytes max-concurrent-streams \
	auto-compaction-mode auto-compaction-retention listen-metrics-urls logger log-level \
	log-outputs; do
	e=$(help_of "$T/etcd.help" $f); c=$(help_of "$T/cetcd.help" $f)
	[ -n "$c" ] || fail "cetcd --help lacks --$f"
	case $f in
	logger|max-concurrent-streams)
		e=$(echo "$e" | sed 1d); c=$(echo "$c" | sed 1d) ;;
	esac
	expect_eq "--help for --$f" "$c" "$e"
done

[ "$FAILED" = 0 ] || fail "cetcd and etcd differ (above)"
echo "$N cases agree"
exit 0
