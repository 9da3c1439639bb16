#!/bin/sh
# bench_size.sh - what a memory costs on disk (issue 13: a store of 100,000
# observations of about 170 bytes under 200 MB).
#
#   bench/bench_size.sh [MNEMO_BIN] [N]
#
# Generates N (default 100000; BENCH_SMALL=1: 10000) distinct observations
# of 150-190 bytes (a Zipf vocabulary with names, numbers, versions and
# dates, deterministic), stores them with `mnemo remember --jsonl` and the
# builtin student on a fresh data home, checkpoints the WAL and prints the
# database size (file + WAL), bytes per memory and the largest tables and
# indexes (SQLite's dbstat). With MNEMO_OLD_BIN set (a build of an older
# commit, e.g. from `git worktree add`), the same file is stored by it first
# in the same run, then that store is opened by MNEMO_BIN (its migrations
# run and compact it) and measured again: old, migrated and new side by side.
set -eu

BIN=${1:-${MNEMO_BIN:-build/mnemo}}
N=${2:-${BENCH_N:-100000}}
[ -n "${BENCH_SMALL:-}" ] && [ -z "${2:-}" ] && [ -z "${BENCH_N:-}" ] && N=10000
OLD=${MNEMO_OLD_BIN:-}
command -v sqlite3 >/dev/null || { echo "bench_size: sqlite3 not found" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench_size: $BIN is not executable" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/config.yaml"
export MNEMO_CONFIG="$TMP/config.yaml"
export MNEMO_DATADIR="${MNEMO_DATADIR:-$(pwd)/data}"
export MNEMO_LOG_LEVEL=warn

python3 - "$N" >"$TMP/obs.jsonl" <<'EOF'
import json, random, sys
n = int(sys.argv[1])
rnd = random.Random(20261204)
syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "do", "sa", "gu", "fi", "be",
       "ho", "ly", "ar", "en", "is", "om"]
common = ("the a to of and in on for with after before was is it we that this from by at "
          "not but when then so now again about into over under still only also").split()
domain = ("deploy SQLite WAL checkpoint latency regression cache index migration rollback "
          "server config timeout retry build failed passed queue encoder student teacher "
          "gate batch holdout PostgreSQL kernel release hotfix staging production review "
          "benchmark memory disk network proxy certificate token schema backup restore "
          "upgrade outage alert dashboard metric trace log worker scheduler").split()
people = ["Alice", "Bob", "Dana", "Priya", "Marco", "Lena", "Tomasz", "Aiko", "Femi", "Rosa"]
days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "yesterday", "last week"]
vocab = []
for i in range(20000):
    x = (i * 2654435761) & 0xffffffff
    vocab.append(syl[x % 20] + syl[(x >> 5) % 20] + syl[(x >> 10) % 20] +
                 (syl[(x >> 15) % 20] if (x >> 20) % 3 else ""))
weights = [1.0 / (r + 1) ** 1.07 for r in range(len(vocab))]
cum, s = [], 0.0
for w in weights:
    s += w
    cum.append(s)
def word():
    u = rnd.random()
    if u < 0.35:
        return rnd.choice(common)
    if u < 0.55:
        return rnd.choice(domain)
    if u < 0.60:
        return rnd.choice(people)
    if u < 0.63:
        return rnd.choice(days)
    if u < 0.68:
        return rnd.choice(["v%d.%d.%d" % (rnd.randrange(4), rnd.randrange(20), rnd.randrange(50)),
                           "%d ms" % rnd.randrange(1, 5000), "%d%%" % rnd.randrange(100),
                           "port %d" % rnd.randrange(1024, 65535)])
    return rnd.choices(vocab, cum_weights=cum)[0]
for i in range(n):
    target = rnd.randrange(150, 191)
    words = [rnd.choice(people), rnd.choice(["fixed", "found", "decided", "noticed",
                                              "deployed", "measured", "changed"])]
    while len(" ".join(words)) < target:
        w = word()
        if rnd.random() < 0.08:
            w += "."
        words.append(w)
    text = " ".join(words)[:target].rstrip() + " #%d." % i
    print(json.dumps({"text": text, "source": "bench", "type": "note",
                      "project": ["atlas", "harbor", "nimbus"][i % 3]}))
EOF
AVG=$(python3 -c "import json,sys; L=[len(json.loads(l)['text'].encode()) for l in open(sys.argv[1])]; print(round(sum(L)/len(L)))" "$TMP/obs.jsonl")

# fill BIN HOME: store the observations; prints the seconds it took
fill() {
	t0=$(date +%s.%N)
	MNEMO_HOME="$2" "$1" remember --jsonl "$TMP/obs.jsonl" >"$TMP/fill.out" 2>&1 ||
		{ cat "$TMP/fill.out" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}

# measure LABEL HOME NOTE: checkpoint, then size and the largest objects
measure() {
	db="$2/mnemo.db"
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	bytes=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
	mems=$(sqlite3 "$db" 'SELECT count(*) FROM memories;')
	printf '%-9s %7d memories  %8.1f MB  %6.0f B/memory  (%s)\n' "$1" "$mems" \
		"$(echo "$bytes" | awk '{print $1 / 1e6}')" \
		"$(echo "$bytes $mems" | awk '{print $2 ? $1 / $2 : 0}')" "$3"
	sqlite3 -separator ' ' "$db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name
		ORDER BY 2 DESC LIMIT 8;" 2>/dev/null |
		awk -v m="$mems" '{s = $NF; $NF = ""; printf "            %-34s %8.1f MB %6.0f B/memory\n", $0, s / 1e6, m ? s / m : 0}'
}

echo "== store size: $N observations of about $AVG bytes, builtin student"
if [ -n "$OLD" ]; then
	[ -x "$OLD" ] || { echo "bench_size: $OLD is not executable" >&2; exit 1; }
	secs=$(fill "$OLD" "$TMP/old")
	measure old "$TMP/old" "fill $secs s"
	# the first command migrates, rebuilds the recall index and VACUUMs
	t0=$(date +%s.%N)
	MNEMO_HOME="$TMP/old" "$BIN" status >/dev/null
	t1=$(date +%s.%N)
	measure migrated "$TMP/old" "$(echo "$t0 $t1" | awk '{printf "migration %.1f s", $2 - $1}')"
fi
secs=$(fill "$BIN" "$TMP/new")
measure new "$TMP/new" "fill $secs s"
