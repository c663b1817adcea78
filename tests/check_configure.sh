#!/bin/sh
# configure refuses to go on without a required library and names the Debian
# package to install.  Each library is hidden in turn by giving pkg-config a
# search path that holds every .pc file but that one.
. "$top_srcdir/tests/lib.sh"

all="$T/pc-all"
mkdir -p "$all"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	[ -d "$d" ] && for f in "$d"/*.pc; do
		[ -e "$f" ] && [ ! -e "$all/$(basename "$f")" ] && ln -s "$f" "$all/"
	done
done

# configure refuses a source tree configured in place, so run a copy of
# what it reads before the library checks.
src="$T/src"
mkdir -p "$src/daemon"
cp -R "$top_srcdir/configure" "$top_srcdir/config.h.in" "$top_srcdir/Makefile.in" \
	"$top_srcdir/build-aux" "$src/"
cp "$top_srcdir/daemon/main.c" "$src/daemon/"

# module(s) to hide : package configure must name
for pair in \
	"libevent:libevent-dev" \
	"libnghttp2:libnghttp2-dev" \
	"libprotobuf-c:libprotobuf-c-dev" \
	"sqlite3:libsqlite3-dev" \
	"openssl:libssl-dev" \
	"jansson:libjansson-dev" \
	"yaml-0.1:libyaml-dev" \
	"libxcrypt:libcrypt-dev"; do
	mod=${pair%%:*}; pkg=${pair#*:}
	pc="$T/pc-no-$mod"
	cp -a "$all" "$pc"
	rm -f "$pc/$mod.pc"
	mkdir -p "$T/build-$mod"
	(cd "$T/build-$mod" && PKG_CONFIG_LIBDIR="$pc" PKG_CONFIG_PATH= \
		"$src/configure" --quiet > out 2>&1)
	[ $? -ne 0 ] || fail "configure succeeded without $mod"
	expect_grep "configure without $mod" "$mod.* not found: apt-get install $pkg" "$T/build-$mod/out"
done
exit 0
