#!/bin/sh
# contrib/build-carried.sh [DIR] - build mnemo into DIR (default build-gpu)
# for a machine that has none of mnemo's -dev packages (the GPU machines of
# docs/external-students.md): the binary gets the rpath $ORIGIN/lib and the
# shared libraries it needs, except the C library's own (libc, libm,
# libresolv, the loader), are copied into DIR/lib. Carry DIR whole; then
# `ldd DIR/mnemo` there resolves everything from DIR/lib.
set -eu
B=${1:-build-gpu}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
make B="$B" -j"${JOBS:-2}" WERROR= \
	'LDFLAGS_ALL=$(PKG_LIBS) -Wl,--disable-new-dtags,-rpath,\$$ORIGIN/lib' "$B/mnemo"
mkdir -p "$B/lib"
ldd "$B/mnemo" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
	while read -r name path; do
		case $name in
		libc.so.* | libm.so.* | libresolv.so.* | ld-linux*) continue ;;
		esac
		case $path in
		*/"$B"/lib/*) continue ;; # already here
		esac
		cp -L "$path" "$B/lib/$name"
	done
missing=$(ldd "$B/mnemo" | awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /\/lib\/x86_64-linux-gnu\/lib(c|m|resolv)\.so/ && index($3, "/'"$B"'/lib/") == 0 { print $1 }')
if [ -n "$missing" ]; then
	echo "build-carried: not from $B/lib: $missing" >&2
	exit 1
fi
echo "build-carried: $B/mnemo with $(ls "$B/lib" | wc -l) libraries in $B/lib ($(du -sh "$B/lib" | cut -f1))"
