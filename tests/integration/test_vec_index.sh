#!/bin/sh
# The approximate vector index (docs/vectors.md) in a real daemon, with
# tests/support/fake_embed.py as the embedding server: mnemo links no C++
# (the graph is the plugin mnemo-hnsw.so); with embedding.index: hnsw a
# `serve --http` process builds the graph after its second recall and then
# answers by meaning through it; a memory forgotten by another process
# leaves its answers; without the plugin the daemon says so once and
# answers exactly.
. "$(dirname "$0")/lib.sh"
FAKE="$ROOT/tests/support/fake_embed.py"

# its own needs, not its libraries' (a sanitizer runtime brings libstdc++)
check "mnemo links no C++ runtime (the graph is a plugin)" \
	sh -c "! objdump -p '$MNEMO' | grep NEEDED | grep -q 'libstdc++'"
D=$(dirname "$MNEMO")
check "the plugin sits beside the binary (a build) or in ../lib/mnemo (installed)" \
	sh -c "test -f '$D/mnemo-hnsw.so' || test -f '$D/../lib/mnemo/mnemo-hnsw.so'"

rm -f "$T/port"
python3 "$FAKE" --port 0 --port-file "$T/port" --dim 64 --mode ok 2>>"$T/fake.err" &
echo $! >>"$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
PORT=$(cat "$T/port")
export MNEMO_CONFIG="$T/config.yaml"
cat >"$MNEMO_CONFIG" <<Y
embedding:
  provider: openai
  endpoint: http://127.0.0.1:$PORT/v1
  model: fake-embed
  dimensions: 64
  timeout_s: 5
  query_timeout_ms: 2000
  index: hnsw
dreaming:
  startup_delay: 1h
log:
  level: info
Y

"$MNEMO" remember --json "the quintessa rollout failed on friday after the cache change" \
	>"$T/q.json"
QID=$(json_get "$T/q.json" "d['memory_id']")
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	"$MNEMO" remember "note $i: lunch was pizza number $i with the team" >/dev/null
done
vectors() { sqlite3 "$MNEMO_HOME/mnemo.db" "SELECT count(*) FROM memory_vectors"; }
all_embedded() { [ "$(vectors)" -eq "$(sqlite3 "$MNEMO_HOME/mnemo.db" "SELECT count(*) FROM raw_memories")" ]; }

# serve_start NAME: a daemon with the HTTP API, URL set
serve_start() {
	rm -f "$MNEMO_HOME/http.addr"
	"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/$1.log" 2>&1 &
	SERVE_PID=$!
	echo "$SERVE_PID" >>"$T/pids"
	eventually 30 test -s "$MNEMO_HOME/http.addr" || fail "$1 starts" "$(tail -5 "$T/$1.log")"
	URL=$(cat "$MNEMO_HOME/http.addr")
}
serve_stop() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
}
# recall_http QUERY OUT: POST /api/v1/recall
recall_http() {
	python3 - "$URL" "$1" "$2" <<'P'
import json, sys, urllib.request
url, q, out = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
with urllib.request.urlopen(url + "/api/v1/csrf", timeout=30) as r:
    csrf = json.load(r)["csrf_token"]
req = urllib.request.Request(url + "/api/v1/recall",
                             data=json.dumps({"query": q, "limit": 5}).encode(),
                             headers={"Content-Type": "application/json",
                                      "X-Mnemo-CSRF": csrf})
with urllib.request.urlopen(req, timeout=30) as r:
    open(out, "w").write(r.read().decode())
P
}
finds() { # FILE WORD: a result's text has WORD
	python3 -c "
import json, sys; d = json.load(open('$1'))
sys.exit(0 if any('$2' in m['text'] for m in d['memories']) else 1)"
}
lacks() { ! finds "$@"; }

serve_start hnsw
if eventually 60 all_embedded; then pass "the daemon embeds what was remembered"
else fail "the daemon embeds what was remembered" "$(vectors) vectors"; fi
recall_http zorblax "$T/r1.json"
recall_http zorblax "$T/r2.json"
if eventually 60 grep -q "vector index built: 13 vectors of 64 dimensions" "$T/hnsw.log"; then
	pass "the second recall starts the graph's build, on a thread"
else
	fail "the graph is built" "$(tail -5 "$T/hnsw.log")"
fi
recall_http zorblax "$T/r3.json"
check "through the graph, recall by meaning finds the memory that shares no word" \
	finds "$T/r3.json" quintessa
check "the exact answer before the graph found it too" finds "$T/r1.json" quintessa
expect_rc "another process forgets the memory" 0 "$MNEMO" forget "$QID"
recall_http zorblax "$T/r4.json"
check "the graph follows the deletion" lacks "$T/r4.json" quintessa
check "no rebuild for a deletion" test "$(grep -c 'vector index built' "$T/hnsw.log")" -eq 1
serve_stop

# without the plugin: said once, searches exact, answers the same
"$MNEMO" remember "the vellumite cutover is planned for monday" >/dev/null
export MNEMO_LIBDIR="$T/nolib"
serve_start noplugin
eventually 60 all_embedded >/dev/null 2>&1 || true
for i in 1 2 3; do recall_http zorblax "$T/n$i.json"; done
check "without the plugin recall still finds by meaning" finds "$T/n3.json" vellumite
check "without the plugin the daemon says so once" \
	test "$(grep -c 'mnemo-hnsw.so was not found.*vector searches stay exact' "$T/noplugin.log")" -eq 1
serve_stop
unset MNEMO_LIBDIR
