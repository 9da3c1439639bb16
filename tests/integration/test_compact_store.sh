#!/bin/sh
# The compact store (schema 7): a data home the schema-6 mnemo left
# (tests/data/store-v6.sql, made by tests/data/gen-store-v6.sh) migrates
# on first use, is compacted once, and then exports the same lines that
# mnemo exported, shows the same memories and recalls them; amend, edit,
# feedback and forget keep working on the migrated rows; a new store keeps
# each memory's encoding once.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "SKIP test_compact_store: no sqlite3"; exit 0; }
DATA="$ROOT/tests/data"
# top FILE: the id of a recall's first result ("none" when it found nothing)
top() { python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['memories']; print(m[0]['id'] if m else 'none')" "$1"; }
DB="$MNEMO_HOME/mnemo.db"
mkdir -p "$MNEMO_HOME"
sqlite3 "$DB" <"$DATA/store-v6.sql"
check "the fixture is a schema-6 store" test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 6
before=$(stat -c %s "$DB")

MNEMO_LOG_LEVEL=info "$MNEMO" status --json >"$T/status.json" 2>"$T/status.err"
check "status migrates it" test "$(json_get "$T/status.json" "d['schema_version']")" = 7
check "the migration says it compacted the file" grep -q "compacted" "$T/status.err"
check "nothing is left in the WAL or on the free list" \
	test "$(sqlite3 "$DB" 'PRAGMA freelist_count')" = 0
check "the split encoding columns are gone" test "$(sqlite3 "$DB" \
	"SELECT count(*) FROM pragma_table_info('memories') WHERE name IN ('gist', 'summary',
	 'content', 'structured_concepts', 'encoding_json', 'keyterms', 'project')")" = 0
check "the file is smaller" test "$(stat -c %s "$DB")" -lt "$before"

"$MNEMO" export >"$T/export.jsonl"
check "export is what the schema-6 mnemo exported" cmp "$T/export.jsonl" "$DATA/store-v6.export.jsonl"

amended=$(python3 -c "
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if 'encoder_output' in d and d['encoder'] == 'builtin':
        print(d['memory_id'])" "$DATA/store-v6.export.jsonl")
"$MNEMO" show "$amended" --json >"$T/show.json"
check "show gives the amended encoding" test "$(json_get "$T/show.json" "d['encoding']['gist']")" = \
	"Expired proxy certificate broke the v2.4.1 staging deploy"
check "show keeps the history of the amendment" \
	test "$(json_get "$T/show.json" "len(d['history'])")" -ge 1

"$MNEMO" recall "expired proxy certificate" --json >"$T/r1.json"
check "recall finds the amended memory" \
	test "$(top "$T/r1.json")" = "$amended"
"$MNEMO" recall "nightly backup moved" --json >"$T/r2.json"
check "recall finds a migrated memory by its text" \
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert 'backup' in d['memories'][0]['text']" "$T/r2.json"
"$MNEMO" recall "PostgreSQL ledger" --project ledger --json >"$T/r3.json"
check "recall finds the imported LLM memory" test "$(top "$T/r3.json")" = \
	5f0c1e2a-0000-4000-8000-0000000000aa
"$MNEMO" export --project ledger >"$T/ledger.jsonl"
check "it keeps its encoder's exact output" python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d['encoder_output'].startswith('Here is the encoding:'), d.get('encoder_output')
assert d['encoding']['gist'] == 'PostgreSQL 16 chosen for the ledger'" "$T/ledger.jsonl"
q=$(json_get "$T/r2.json" "d['query_id']")
check "feedback on a migrated memory" "$MNEMO" feedback "$q" helpful

# amend after the migration: recall follows at once, the old words go
printf '%s' '{"gist":"Nightly billing backup now at 04:30","summary":"The billing backup runs at 04:30.","content":"The billing backup runs at 04:30.","narrative":"","concepts":["backup","zeppelin"],"structured_concepts":{"topics":[],"entities":[],"actions":[],"causality":[]},"significance":"routine","emotional_tone":"neutral","outcome":"success","salience":0.5}' >"$T/amend.json"
bid=$(top "$T/r2.json")
check "amend a migrated memory" "$MNEMO" amend "$bid" "$T/amend.json"
"$MNEMO" recall "zeppelin" --json >"$T/r4.json"
check "recall follows the amendment" test "$(top "$T/r4.json")" = "$bid"
check "edit a migrated memory's text" "$MNEMO" edit "$bid" --text "The billing backup moved to 05:15 because the zeppelin export job runs at 04:30."
"$MNEMO" recall "05:15" --json >"$T/r5.json"
check "recall finds the edited text" test "$(top "$T/r5.json")" = "$bid"
check "forget a migrated memory" "$MNEMO" forget "$amended"
"$MNEMO" recall "expired proxy certificate" --json >"$T/r6.json"
check "a forgotten memory is not recalled" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert all(r['id'] != sys.argv[2] for r in d['memories'])" "$T/r6.json" "$amended"
check "sqlite3 finds the database intact" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
check "every reference holds" test -z "$(sqlite3 "$DB" 'PRAGMA foreign_key_check')"
check "a forgotten memory takes its buffer row along" test "$(sqlite3 "$DB" \
	'SELECT (SELECT count(*) FROM memories) - (SELECT count(*) FROM experience_buffer)')" = 0

# a new store: the builtin student's output is the encoding, stored once
export MNEMO_HOME="$T/new"
python3 -c "
import json
for i in range(200):
    print(json.dumps({'text': 'Deploy %d of the ledger service to staging took %d s; Dana checked the WAL size and the proxy logs.' % (i, 30 + i)}))" >"$T/obs.jsonl"
check "remember 200 observations" "$MNEMO" remember --jsonl "$T/obs.jsonl"
check "no memory stores a second encoding" \
	test "$(sqlite3 "$MNEMO_HOME/mnemo.db" 'SELECT count(*) FROM memories WHERE encoding IS NOT NULL')" = 0
check "an encoding takes under 400 bytes" \
	test "$(sqlite3 "$MNEMO_HOME/mnemo.db" 'SELECT max(length(encoder_output)) FROM memories')" -lt 400
"$MNEMO" export >"$T/new.jsonl"
check "a new store exports every memory with its encoding" python3 -c "
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert len(L) == 200 and all(l['encoding']['content'].startswith('Deploy') for l in L)" "$T/new.jsonl"
