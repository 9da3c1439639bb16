#!/bin/sh
# The builtin student's verified-digest cache seen from the CLI
# (docs/model-format.md, "Checksum"): remember processes stop hashing
# model.bin once one of them has verified it, for the shipped default and
# for a deployed version (models/builtin/current); a deployed model.bin
# written in place with its mtime set back is still refused, every time.
. "$(dirname "$0")/lib.sh"
export MNEMO_LOG_LEVEL=debug
n=0
# remember: one new observation; stdout in $T/out, the log in $T/err
remember() {
	n=$((n + 1))
	"$MNEMO" remember "cache test $n: the nightly build of service $n passed" >"$T/out" 2>"$T/err"
}
# until_cached PATH: remember until a process takes PATH's digest from the
# cache (the entry is written once the file has settled for 3 s)
until_cached() {
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		remember || return 1
		grep -q "$1: digest from the cache" "$T/err" && return 0
		sleep 0.2
	done
	return 1
}

# the path as the binary found it (MNEMO_DATADIR, or next to the build)
DEFAULT="default-model/model.bin"
check "a remember hashes the default model once, later ones take the cache" until_cached "$DEFAULT"
check "that remember encoded inline" grep -q "^remembered " "$T/out"
check "the entry is in the data home" test -d "$MNEMO_HOME/cache/student-digest"
remember
check "the next remember does not hash either" grep -q "$DEFAULT: digest from the cache" "$T/err"

# a deployed version, as the registry lays it out
V="$MNEMO_HOME/models/builtin/v0001"
mkdir -p "$V"
cp "$ROOT/data/default-model/model.bin" "$V/model.bin"
ln -s v0001 "$MNEMO_HOME/models/builtin/current"
check "a deployed model is cached once settled" until_cached "$V/model.bin"
check "and serves the remember" grep -q "^remembered " "$T/out"

# garbage in the middle of the deployed file, its mtime put back
python3 - "$V/model.bin" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size // 2)
    f.write(b"half-written garbage" * 4)
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
remember
rc=$?
check "a model corrupted in place (mtime restored) is refused" grep -q "checksum mismatch" "$T/err"
check "and the remember falls back to the default (rc $rc)" test "$rc" -eq 0
check "and is not taken from the cache" sh -c "! grep -q '$V/model.bin: digest from the cache' '$T/err'"
remember
check "refused again by the next process" grep -q "checksum mismatch" "$T/err"
