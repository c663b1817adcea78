#!/bin/sh
# --version, --help, and etcd's command-line errors, for both programs.
. "$top_srcdir/tests/lib.sh"

for prog in "$CETCD" "$STORAGED"; do
	name=$(basename "$prog")
	"$prog" --version > "$T/out" 2>&1; expect_eq "$name --version status" $? 0
	expect_grep "$name --version" "^$name Version: [0-9]+\.[0-9]+\.[0-9]+$" "$T/out"
	expect_grep "$name --version" "^etcd Version: 3\.4\." "$T/out"

	"$prog" --help > "$T/out" 2>&1; expect_eq "$name --help status" $? 0
	expect_grep "$name --help" "^  --data-dir '" "$T/out"
	"$prog" -h > "$T/out2" 2>&1; expect_eq "$name -h status" $? 0
	cmp -s "$T/out" "$T/out2" || fail "$name: -h differs from --help"

	# Go's flag package, as etcd: exit 2 and name the flag.
	"$prog" --no-such-flag > "$T/out" 2>&1; expect_eq "$name unknown flag status" $? 2
	expect_grep "$name unknown flag" "^flag provided but not defined: -no-such-flag$" "$T/out"
	"$prog" --data-dir > "$T/out" 2>&1; expect_eq "$name missing value status" $? 2
	expect_grep "$name missing value" "^flag needs an argument: -data-dir$" "$T/out"
	"$prog" --max-wals=lots > "$T/out" 2>&1; expect_eq "$name bad number status" $? 2
	expect_grep "$name bad number" "^invalid value \"lots\" for flag -max-wals: parse error$" "$T/out"
done

# etcd's rule: explicit client URLs need explicit advertised ones.
"$CETCD" --data-dir "$T/d" --listen-client-urls http://127.0.0.1:1 > "$T/out" 2>&1
expect_eq "listen without advertise status" $? 1
expect_grep "listen without advertise" "advertise-client-urls is required when --listen-client-urls is set explicitly" "$T/out"
[ ! -e "$T/d" ] || fail "a rejected command line created the data dir"
exit 0
