#!/bin/sh
# Optional vectors (docs/vectors.md) with tests/support/fake_embed.py as
# the embedding server (a real child process): the daemon embeds what is
# remembered; recall fuses meaning with words; with the server killed,
# remember still works at once and recall answers lexically and says so;
# a slow server or one with wrong dimensions costs recall at most
# embedding.query_timeout_ms; the server's return is noticed; reindex
# rebuilds vectors after a change of model.
. "$(dirname "$0")/lib.sh"
FAKE="$ROOT/tests/support/fake_embed.py"

start_fake() { # MODE [PORT]
	rm -f "$T/port"
	python3 "$FAKE" --port "${2:-0}" --port-file "$T/port" --dim 64 --mode "$1" --delay 30 \
		2>>"$T/fake.err" &
	FAKE_PID=$!
	echo $FAKE_PID >>"$T/pids"
	i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	PORT=$(cat "$T/port")
}
stop_fake() { kill -9 "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; return 0; }
vectors() { sqlite3 "$MNEMO_HOME/mnemo.db" "SELECT count(*) FROM memory_vectors WHERE model = '${1:-fake-embed}'"; }
all_embedded() { [ "$(vectors "$@")" -eq "$(sqlite3 "$MNEMO_HOME/mnemo.db" "SELECT count(*) FROM raw_memories")" ]; }
write_config() { # MODEL
	cat >"$MNEMO_CONFIG" <<Y
embedding:
  provider: openai
  endpoint: http://127.0.0.1:$PORT/v1
  model: $1
  dimensions: 64
  timeout_s: 5
  query_timeout_ms: 500
dreaming:
  startup_delay: 1h
Y
}

expect_rc "reindex --help" 0 "$MNEMO" reindex --help
expect_rc "reindex without --embeddings is a usage error" 2 "$MNEMO" reindex
expect_rc "reindex without a provider is refused" 4 "$MNEMO" reindex --embeddings

start_fake ok
export MNEMO_CONFIG="$T/config.yaml"
write_config fake-embed

"$MNEMO" remember "the quintessa rollout failed on friday after the cache change" >/dev/null
"$MNEMO" remember "lunch was pizza with the whole team" >/dev/null
"$MNEMO" remember "we moved the build to the new runner" >/dev/null
"$MNEMO" serve --no-dream >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
if eventually 60 all_embedded; then pass "the daemon embeds what was remembered"
else fail "the daemon embeds what was remembered" "$(vectors) vectors"; tail -20 "$T/serve.log"; fi

"$MNEMO" recall --json zorblax >"$T/r1.json" 2>"$T/r1.err"
check "recall by meaning finds a memory that shares no word with the query" python3 -c "
import json; d=json.load(open('$T/r1.json'))
assert d.get('vector') == 'used', d.get('vector')
assert any('quintessa' in m['text'] for m in d['memories']), d['memories']
assert not any('pizza' in m['text'] for m in d['memories']), d['memories']"

# the server dies: remember is not held up, recall goes lexical and says so
stop_fake
t0=$(date +%s)
check "remember works with the embedding server gone" "$MNEMO" remember "the vellumite migration finished early"
check "remember did not wait for the server" test $(( $(date +%s) - t0 )) -le 5
"$MNEMO" recall --json quintessa >"$T/r2.json" 2>"$T/r2.err"; rc=$?
check "recall with the server gone answers lexically and says so (rc $rc)" python3 -c "
import json; d=json.load(open('$T/r2.json'))
assert d['vector'].startswith('unavailable: could not reach'), d.get('vector')
assert any('quintessa' in m['text'] for m in d['memories']), d['memories']"
check "the daemon is still running" kill -0 "$SERVE"

# it comes back on the same port: the daemon notices and catches up
start_fake ok "$PORT"
if eventually 90 all_embedded; then pass "memories remembered while the server was down are embedded once it is back"
else fail "memories remembered while the server was down are embedded once it is back" "$(vectors) vectors"; tail -20 "$T/serve.log"; fi
"$MNEMO" recall --json zorblax >"$T/r3.json" 2>/dev/null
check "recall uses vectors again, the late memory included" python3 -c "
import json; d=json.load(open('$T/r3.json'))
assert d.get('vector') == 'used', d.get('vector')
assert any('vellumite' in m['text'] for m in d['memories']), d['memories']"
kill "$SERVE"; wait "$SERVE" 2>/dev/null

# a slow server: recall waits query_timeout_ms, then answers
stop_fake
start_fake slow "$PORT"
t0=$(date +%s)
"$MNEMO" recall --json quintessa >"$T/r4.json" 2>/dev/null
check "recall against a slow server is bounded by query_timeout_ms" test $(( $(date +%s) - t0 )) -le 6
check "and answers lexically, saying it timed out" python3 -c "
import json; d=json.load(open('$T/r4.json'))
assert 'timed out' in d['vector'], d['vector']
assert d['memories'], d"

# wrong dimensions: refused, nothing stored, recall says why
stop_fake
start_fake wrongdim "$PORT"
"$MNEMO" recall --json quintessa >"$T/r5.json" 2>/dev/null
check "a reply of the wrong size is refused with the reason" python3 -c "
import json; d=json.load(open('$T/r5.json'))
assert 'returned 67 dimensions, embedding.dimensions is 64' in d['vector'], d['vector']
assert d['memories'], d"
expect_rc "reindex --all against the wrong size fails (invalid reply: 4)" 4 "$MNEMO" reindex --embeddings --all
check "and stores no vector of the wrong size" test "$(sqlite3 "$MNEMO_HOME/mnemo.db" "SELECT count(*) FROM memory_vectors WHERE dim != 64")" -eq 0

# a change of model: every vector is stale, reindex makes them again
stop_fake
start_fake ok "$PORT"
write_config fake-embed-v2
"$MNEMO" reindex --embeddings --json >"$T/re.json" 2>"$T/re.err"
check "reindex after a change of model re-embeds every memory" python3 -c "
import json; d=json.load(open('$T/re.json'))
assert d['embedded'] == 4 and d['without_vector'] == 0 and d['model'] == 'fake-embed-v2', d"
check "reindex reports progress on stderr" grep -q "embedded 4 of 4" "$T/re.err"
check "no vector of the old model is used" test "$(vectors fake-embed-v2)" -eq 4
"$MNEMO" reindex --embeddings --all --json >"$T/re2.json" 2>/dev/null
check "reindex --all re-embeds what already has a vector" python3 -c "
import json; d=json.load(open('$T/re2.json')); assert d['embedded'] == 4, d"
stop_fake
