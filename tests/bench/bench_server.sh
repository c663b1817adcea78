#!/bin/bash
# bench_server.sh - cetcd beside real etcd 3.4 on the same machine and
# filesystem, driven by the same third-party load tools (h2load for gRPC,
# wrk for the gateway).  Each figure is printed for both servers, with the
# ratio, as BENCH lines.  The servers alternate over ROUNDS rounds and the
# medians are quoted; CPU seconds per request (both processes of cetcd)
# are printed beside the throughputs.
#
# Needs: etcd-server, etcd-client, nghttp2-client (h2load), wrk, python3-grpcio.
# Run by "make bench"; ROUNDS (default 3) and N (requests per run) tune it.
set -u
: "${top_builddir:?run through make bench}"
: "${top_srcdir:?run through make bench}"
ROUNDS=${ROUNDS:-3}
N=${N:-20000}
PY=/usr/bin/python3
for t in etcd etcdctl h2load wrk; do
	command -v $t >/dev/null || { echo "bench_server: $t is missing (apt-get install etcd-server etcd-client nghttp2-client wrk)" >&2; exit 1; }
done
$PY -c 'import grpc' 2>/dev/null || { echo "bench_server: python3-grpcio is missing" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/var/tmp}/cetcd-bench.XXXXXX")
PIDS=""
cleanup() { for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
$PY "$top_srcdir/tests/bench/grpc_bodies.py" "$T"
cat > "$T/put.lua" <<'LUA'
wrk.method = "POST"
-- 192-byte value, valid standard base64 (etcd's gateway rejects anything else)
wrk.body = '{"key":"Z3ctYmVuY2g=","value":"' .. string.rep("dnZ2", 64) .. '"}'
LUA
cat > "$T/range.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"key":"Z3ctYmVuY2g=","serializable":true}'
LUA

# start KIND: starts cetcd or etcd on a fresh data dir; sets URL, MAINPID.
start() {
	local kind=$1 cp=$(free_port) pp=$(free_port)
	URL=http://127.0.0.1:$cp
	rm -rf "$T/$kind.data"
	local flags=(--name b --data-dir "$T/$kind.data" --listen-client-urls "$URL" --advertise-client-urls "$URL"
		--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp"
		--initial-cluster "b=http://127.0.0.1:$pp")
	if [ "$kind" = cetcd ]; then
		"$top_builddir/cetcd" "${flags[@]}" > "$T/$kind.log" 2>&1 &
	else
		etcd "${flags[@]}" > "$T/$kind.log" 2>&1 &
	fi
	MAINPID=$!
	PIDS="$PIDS $MAINPID"
	for i in $(seq 200); do curl -sf "$URL/health" >/dev/null && return 0; sleep 0.05; done
	echo "bench_server: $kind did not start" >&2; cat "$T/$kind.log" >&2; exit 1
}
stop() { kill -TERM $MAINPID; wait $MAINPID 2>/dev/null; }
# pids of the server: cetcd and its storaged, or etcd.
procs() { echo $MAINPID $(ps -o pid= --ppid $MAINPID 2>/dev/null); }
cpu_ticks() { local s=0; for p in $(procs); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
rss_peak_kb() { local s=0; for p in $(procs); do s=$((s + $(awk '/VmHWM/{print $2}' /proc/$p/status))); done; echo $s; }
hz=$(getconf CLK_TCK)

# h2load_rps BODY CONNS STREAMS N: requests per second (and CPU ticks used).
h2load_run() {
	local body=$1 c=$2 m=$3 n=$4 path=$5
	local before=$(cpu_ticks)
	local out=$(h2load -n "$n" -c "$c" -m "$m" -d "$T/$body" -H 'content-type: application/grpc' \
		-H 'te: trailers' "$URL$path" 2>&1)
	local after=$(cpu_ticks)
	local rps=$(echo "$out" | awk '/finished in/ {print $4}')
	# mean request time, in ms whatever unit h2load chose
	local mean=$(echo "$out" | awk '/time for request:/ {v=$6; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v}')
	local ok=$(echo "$out" | awk '/requests:/ && /succeeded/ {for(i=1;i<=NF;i++) if($(i+1)=="succeeded,") print $i}')
	echo "$rps $mean $(( (after - before) )) $ok"
}

# wrk_rps SCRIPT PATH: requests per second, or 0 if any answer was not 2xx.
wrk_rps() {
	local script=$1 path=$2
	local out=$(wrk -t 2 -c 32 -d 4s -s "$T/$script" "$URL$path" 2>/dev/null)
	if echo "$out" | grep -q "Non-2xx"; then
		echo "bench_server: $path answered errors: $(echo "$out" | grep Non-2xx)" >&2
		echo 0
		return
	fi
	echo "$out" | awk '/Requests\/sec/ {print $2}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A R
record() { R["$1,$2"]="${R["$1,$2"]:-} $3"; }

LOAD_KEYS=${LOAD_KEYS:-100000}
for round in $(seq "$ROUNDS"); do
	for kind in cetcd etcd; do
		echo "bench_server: round $round, $kind" >&2
		start $kind
		# warm-up and data for the range figures
		$PY "$top_srcdir/tests/bench/grpc_bodies.py" load "${URL#http://}" 1000 r
		read rps mean ticks ok <<< "$(h2load_run put.bin 1 1 2000 /etcdserverpb.KV/Put)"
		record seq_put_latency_ms $kind "$mean"
		read rps mean ticks ok <<< "$(h2load_run put.bin 8 16 $N /etcdserverpb.KV/Put)"
		record put_rps_8x16 $kind "$rps"; record put_cpu_us_8x16 $kind "$(( ticks * 1000000 / hz / N ))"
		read rps mean ticks ok <<< "$(h2load_run put.bin 64 16 $N /etcdserverpb.KV/Put)"
		record put_rps_64x16 $kind "$rps"
		read rps mean ticks ok <<< "$(h2load_run range_lin.bin 8 16 $N /etcdserverpb.KV/Range)"
		record range_lin_rps $kind "$rps"; record range_lin_cpu_us $kind "$(( ticks * 1000000 / hz / N ))"
		read rps mean ticks ok <<< "$(h2load_run range_ser.bin 8 16 $N /etcdserverpb.KV/Range)"
		record range_ser_rps $kind "$rps"
		read rps mean ticks ok <<< "$(h2load_run range_1000.bin 4 4 500 /etcdserverpb.KV/Range)"
		record range_1000_rps $kind "$rps"
		record gateway_put_rps $kind "$(wrk_rps put.lua /v3/kv/put)"
		record gateway_range_rps $kind "$(wrk_rps range.lua /v3/kv/range)"
		if [ "$round" = 1 ] && [ "$LOAD_KEYS" -gt 0 ]; then
			echo "bench_server: loading $LOAD_KEYS keys into $kind" >&2
			$PY "$top_srcdir/tests/bench/grpc_bodies.py" load "${URL#http://}" "$LOAD_KEYS" big
			record peak_rss_kb_100k $kind "$(rss_peak_kb)"
			stop
			local_start=$(date +%s.%N)
			# restart on the same data dir: time to healthy
			cp=${URL##*:}
			if [ $kind = cetcd ]; then bin="$top_builddir/cetcd"; else bin=etcd; fi
			pp=$(free_port)
			$bin --name b --data-dir "$T/$kind.data" --listen-client-urls "$URL" --advertise-client-urls "$URL" \
				--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
				--initial-cluster "b=http://127.0.0.1:$pp" >> "$T/$kind.log" 2>&1 &
			MAINPID=$!; PIDS="$PIDS $MAINPID"
			for i in $(seq 3000); do curl -sf "$URL/health" >/dev/null && break; sleep 0.02; done
			curl -sf "$URL/health" >/dev/null || { echo "bench_server: $kind did not restart" >&2; tail -5 "$T/$kind.log" >&2; }
			record healthy_s_100k $kind "$(echo "$(date +%s.%N) - $local_start" | bc)"
		fi
		stop
	done
done

for fig in seq_put_latency_ms put_rps_8x16 put_rps_64x16 put_cpu_us_8x16 range_lin_rps range_lin_cpu_us \
	range_ser_rps range_1000_rps gateway_put_rps gateway_range_rps peak_rss_kb_100k healthy_s_100k; do
	c=$(echo ${R["$fig,cetcd"]:-0} | tr ' ' '\n' | median)
	e=$(echo ${R["$fig,etcd"]:-0} | tr ' ' '\n' | median)
	echo "BENCH ${fig}_cetcd $c"
	echo "BENCH ${fig}_etcd $e"
	echo "BENCH ${fig}_ratio $(echo "scale=2; if ($e > 0) $c / $e else 0" | bc)"
done
