#!/bin/sh
# Every flag that --help lists is documented in the program's man page, and
# the man page documents no flag the program does not have.
. "$top_srcdir/tests/lib.sh"

for prog in cetcd cetcd-storaged; do
	man="$top_srcdir/man/$prog.8"
	"$top_builddir/$prog" --help | sed -n "s/^  --\([a-z0-9-]*\) .*/\1/p" | sort -u > "$T/help"
	[ -s "$T/help" ] || fail "$prog --help lists no flags"
	# A flag is documented by the line after a .TP: ".BI \-\-name ...".
	awk 'tp && /^\.B[IR]? \\-\\-/ { print $2 } { tp = ($0 == ".TP") }' "$man" |
		sed 's/\\//g; s/^--//; s/[^a-z0-9-].*//' | sort -u > "$T/man"
	missing=$(comm -23 "$T/help" "$T/man")
	extra=$(comm -13 "$T/help" "$T/man")
	[ -z "$missing" ] || fail "$man does not document: $missing"
	[ -z "$extra" ] || fail "$man documents flags $prog does not have: $extra"
done
exit 0
