#!/bin/sh
# Black-box test of daemon/net/ over HTTP/1.1 and h2c with real clients:
# curl, curl --http2-prior-knowledge, nghttp, and raw sockets sending
# random bytes and a truncated HTTP/2 preface.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/net/net_lib.sh"

command -v curl >/dev/null || fail "curl is needed (apt-get install curl)"
command -v nghttp >/dev/null || fail "nghttp is needed (apt-get install nghttp2-client)"
PY=$(net_python)

# Small limits so the oversized cases are quick: max HTTP body is
# 65536/3*4 + 512 KiB = 611668 bytes.
net_start --listen "http://127.0.0.1:0,unix://$T/net.sock" --sniff-timeout-ms 1000 \
	--max-request-bytes 65536
U=$NET_URL

# --- HTTP/1.1 -------------------------------------------------------------
expect_eq "h1 GET" "$(curl -sS "$U/test/hello")" "hello"
expect_eq "h1 POST echo" "$(curl -sS --data-binary 'put me' "$U/test/echo")" "put me"
curl -sS -o "$T/body" -w '%{http_code}' "$U/no/such/path" >"$T/code"
expect_eq "h1 404 code" "$(cat "$T/code")" 404
expect_eq "h1 404 body" "$(cat "$T/body")" "404 page not found"
expect_eq "h1 method mismatch" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$U/test/hello")" 404
expect_eq "h1 prefix route" "$(curl -sS -X POST "$U/test/prefix/a/b")" "/test/prefix/a/b"
expect_eq "unix socket" "$(curl -sS --unix-socket "$T/net.sock" http://localhost/test/hello)" "hello"
# A body at the limit passes, one byte more is refused with 413.
head -c 611668 /dev/zero | tr '\0' 'a' >"$T/max"
head -c 611669 /dev/zero | tr '\0' 'a' >"$T/over"
expect_eq "h1 max body" "$(curl -sS --data-binary @"$T/max" "$U/test/echo" | wc -c)" 611668
expect_eq "h1 oversized body" \
	"$(curl -s -o "$T/body" -w '%{http_code}' --data-binary @"$T/over" "$U/test/echo")" 413
expect_grep "413 text" "request body too large" "$T/body"
# Chunked request body.
expect_eq "h1 chunked request" \
	"$(printf 'abc' | curl -sS -H 'Transfer-Encoding: chunked' --data-binary @- "$U/test/echo")" abc
# Streaming (chunked) response, one JSON object per line, and an async one.
curl -sS -N -D "$T/hdr" "$U/test/stream?n=5" >"$T/stream"
expect_eq "h1 stream lines" "$(wc -l <"$T/stream")" 5
expect_grep "h1 chunked" '^Transfer-Encoding: chunked' "$T/hdr"
expect_eq "h1 async" "$(curl -sS "$U/test/slow")" slow
# HTTP/1.0 without keep-alive.
expect_eq "h1.0" "$(curl -sS -0 "$U/test/hello")" hello

# --- h2c (prior knowledge) reaches the same handlers -------------------------
H2="curl -sS --http2-prior-knowledge"
expect_eq "h2 GET" "$($H2 "$U/test/hello")" hello
expect_eq "h2 version" "$($H2 -o /dev/null -w '%{http_version}' "$U/test/hello")" 2
expect_eq "h2 POST echo" "$($H2 --data-binary 'via h2' "$U/test/echo")" "via h2"
expect_eq "h2 404" "$($H2 -o /dev/null -w '%{http_code}' "$U/nope")" 404
expect_eq "h2 oversized" "$($H2 -o /dev/null -w '%{http_code}' --data-binary @"$T/over" "$U/test/echo")" 413
expect_eq "h2 stream lines" "$($H2 "$U/test/stream?n=4" | wc -l)" 4
expect_eq "h2 async" "$($H2 "$U/test/slow")" slow

# --- nghttp ----------------------------------------------------------------
nghttp -v "$U/test/hello" >"$T/nghttp.v" 2>&1 || fail "nghttp failed: $(cat "$T/nghttp.v")"
expect_grep "nghttp status" ':status: 200' "$T/nghttp.v"
expect_grep "nghttp body" '^hello$' "$T/nghttp.v"
expect_grep "nghttp SETTINGS" 'SETTINGS_MAX_CONCURRENT_STREAMS' "$T/nghttp.v"
# 50 concurrent streams on one connection.
nghttp -n -s -m 50 "$U/test/hello" >"$T/nghttp.m" 2>&1 || fail "nghttp -m 50: $(cat "$T/nghttp.m")"
expect_eq "nghttp 50 streams" "$(grep -c ' 200 ' "$T/nghttp.m")" 50
printf 'posted by nghttp' >"$T/post"
expect_eq "nghttp POST" "$(nghttp -d "$T/post" "$U/test/echo")" "posted by nghttp"

# --- hostile bytes ---------------------------------------------------------------
"$PY" "$top_srcdir/tests/net/raw_client.py" "$NET_PORT" 1000 >"$T/raw" 2>&1 || {
	cat "$T/raw" >&2; fail "raw_client"; }
cat "$T/raw"
expect_eq "still serving" "$(curl -sS "$U/test/hello")" hello

# Only the stats request itself is in flight now.
wait_for 5 sh -c "curl -s '$U/test/stats' | grep -q '\"active\":1,'" || fail "requests left active: $(curl -s "$U/test/stats")"

net_stop
echo PASS
