#!/bin/sh
# Developer helper: build and run one unit test against only the sources
# named, so a module can be tested while others are still being written.
#   scripts/devtest.sh test_verify src/verify.c src/encoding.c src/prompt.c
# Add SAN=1 for ASan+UBSan. All of src/base/*.c is always linked.
set -eu
cd "$(dirname "$0")/.."
t=$1; shift
mkdir -p build/devtest
SANF=""
[ "${SAN:-0}" = 1 ] && SANF="-fsanitize=address,undefined -fno-omit-frame-pointer -Wno-format-truncation -Wno-format-overflow"
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -Wformat=2 -Wvla -Wstrict-prototypes \
	-Wno-unused-parameter -D_GNU_SOURCE -DMN_VERSION='"dev"' -DMN_SRCDIR="\"$PWD\"" \
	-DMN_DATADIR='"/usr/local/share/mnemo"' -O1 -g $SANF -iquote src -iquote tests/unit \
	$(pkg-config --cflags sqlite3 libcurl jansson libpcre2-8 yaml-0.1 cmocka) \
	"tests/unit/$t.c" "$@" src/base/*.c -o "build/devtest/$t" \
	$(pkg-config --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1 zlib cmocka) -llinear -lm -lpthread
exec "build/devtest/$t"
