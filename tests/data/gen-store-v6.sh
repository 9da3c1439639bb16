#!/bin/sh
# gen-store-v6.sh - make tests/data/store-v6.sql, a schema-6 data home as the
# mnemo of commit 466d26d left it, for the migration tests (test_compact,
# test_compact_store.sh). Not run by the tests: they load the dump.
#
#   git worktree add /tmp/mnemo-v6 466d26d && make -C /tmp/mnemo-v6
#   tests/data/gen-store-v6.sh /tmp/mnemo-v6/build/mnemo
#
# Writes store-v6.sql (sqlite3 .dump) and store-v6.export.jsonl (what that
# mnemo exported from it: a migrated store must export the same).
set -eu
OLD=$1
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export MNEMO_HOME="$T/home" MNEMO_CONFIG="$T/config.yaml" MNEMO_LOG_LEVEL=warn
: >"$MNEMO_CONFIG"
"$OLD" remember -p atlas -t decision --time 2026-03-02T09:00:00Z \
	"We moved the nightly backup of the billing database from 02:00 to 04:30 because the WAL checkpoint collided with the export job." >/dev/null
"$OLD" remember -p atlas -t error --time 2026-03-03T14:10:00Z \
	"Deploy of v2.4.1 to staging failed: the proxy certificate for api.internal had expired on Sunday; Priya renewed it." >/dev/null
"$OLD" remember -p harbor -t note --time 2026-03-05T08:00:00Z \
	"Café menu for the offsite: \"quiet\" room booked, Tomasz orders 12 vegetarian lunches." >/dev/null
"$OLD" remember -p harbor --time 2026-03-06T17:45:00Z \
	"Latency of the search endpoint dropped from 480 ms to 95 ms after the index on orders(created_at) was added." >/dev/null
# an amended memory: its encoding is no longer the encoder's output
id=$("$OLD" list --json | python3 -c "import json,sys; print([m['id'] for m in json.load(sys.stdin)['memories'] if 'certificate' in m['text']][0])")
"$OLD" show "$id" --json | python3 -c "
import json, sys
e = json.load(sys.stdin)['encoding']
e['gist'] = 'Expired proxy certificate broke the v2.4.1 staging deploy'
e['concepts'] = ['certificate', 'deploy', 'tls']
print(json.dumps(e))" >"$T/amend.json"
"$OLD" amend "$id" "$T/amend.json" >/dev/null
# an LLM's output that is not the normalised encoding byte for byte
cat >"$T/import.jsonl" <<'JSONL'
{"format":"mnemo.memory/1","raw_id":"5f0c1e2a-0000-4000-8000-000000000001","memory_id":"5f0c1e2a-0000-4000-8000-0000000000aa","text":"Rosa chose PostgreSQL 16 over MySQL for the ledger service; replication lag was the deciding factor.","source":"import","type":"decision","project":"ledger","session":null,"occurred_at":"2026-02-20T10:00:00Z","created_at":"2026-02-20T10:00:00Z","repeat_count":2,"last_seen_at":"2026-02-21T10:00:00Z","state":"encoded","encoded_at":"2026-02-20T10:00:01Z","encoding":{"gist":"PostgreSQL 16 chosen for the ledger","summary":"Rosa chose PostgreSQL 16 over MySQL for the ledger service.","content":"Rosa chose PostgreSQL 16 over MySQL for the ledger service; replication lag was the deciding factor.","narrative":"","concepts":["postgresql","ledger","replication"],"structured_concepts":{"topics":[{"label":"database","path":"database"}],"entities":[{"name":"Rosa","type":"name","context":"Rosa chose PostgreSQL 16"},{"name":"PostgreSQL 16","type":"name","context":"Rosa chose PostgreSQL 16"}],"actions":[],"causality":[]},"significance":"important","emotional_tone":"neutral","outcome":"success","salience":0.7},"encoder_output":"Here is the encoding:\n{ \"gist\": \"PostgreSQL 16 chosen for the ledger\" }","encoder":"openai:test-model","encoder_version":"test-model","fallback":false,"metrics":{"epr":0.9,"fr":0.1,"np":1.0,"sc":true,"ted":false,"mig":false,"confidence":0.8},"flags":[],"salience":0.7,"feedback_score":0,"experience":{"category":"gold","recall_score":null,"recall_count":0,"correction":null},"feedback":[],"history":[]}
JSONL
"$OLD" import "$T/import.jsonl" >/dev/null
q=$("$OLD" recall "backup checkpoint" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['query_id'])")
"$OLD" feedback "$q" helpful >/dev/null
sqlite3 "$MNEMO_HOME/mnemo.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
test "$(sqlite3 "$MNEMO_HOME/mnemo.db" 'PRAGMA user_version')" = 6
# .dump leaves the schema version out
{ sqlite3 "$MNEMO_HOME/mnemo.db" .dump; echo 'PRAGMA user_version = 6;'; } >store-v6.sql
"$OLD" export >store-v6.export.jsonl
echo "wrote $(pwd)/store-v6.sql ($(wc -c <store-v6.sql) bytes), store-v6.export.jsonl ($(wc -l <store-v6.export.jsonl) lines)"
