#!/bin/sh
# The dashboard in a real browser: Debian's chromium driven by puppeteer-core
# (tests/web/). A real data home: two real training runs of the builtin
# student (deployed as v0001 and v0002), remembered memories, a dream cycle
# whose curriculum a scripted teacher answers, a rated recall; then
# `mnemo serve --http 127.0.0.1:0` and tests/web/dashboard_test.mjs loads
# every page, searches, rates, amends a memory, forgets one, rolls the model
# back and pins it, and checks the chart of a training run this test made.
# The results are checked again here through the CLI.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/train_lib.sh"
DIR="$ROOT/tests/web"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
	echo "SKIP dashboard: no chromium on PATH (scripts/install-deps.sh installs it)"
	exit 0
fi
if ! "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --dump-dom about:blank >"$T/chromium.out" 2>&1; then
	echo "SKIP dashboard: chromium cannot start here: $(tail -3 "$T/chromium.out" | tr '\n' ' ')"
	exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	fail "node" "node and npm are needed for the dashboard test (apt-get install nodejs npm)"
	exit 1
fi
if [ ! -f "$DIR/node_modules/puppeteer-core/package.json" ]; then
	if ! (cd "$DIR" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
		fail "npm ci" "could not install puppeteer-core: $(tail -5 "$T/npm.log")"
		exit 1
	fi
fi
# the chart library, as `make install` installs it
if ! make -s -C "$ROOT" web >"$T/web.log" 2>&1; then
	fail "make web" "could not install uPlot: $(tail -5 "$T/web.log")"
	exit 1
fi
export MNEMO_WEBDIR="$ROOT/web"

# a scripted teacher for the dream cycle's curriculum
cat >"$T/teacher.json" <<'J'
{"encode": "echo", "rules": [],
 "default": {"significance": "notable", "emotional_tone": "neutral", "outcome": "success", "salience": 0.5}}
J
python3 "$SUP/fake_llm.py" --port 0 --script "$T/teacher.json" --port-file "$T/port" \
	--log "$T/teacher.log" 2>"$T/fake.err" &
echo $! >>"$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
LLM_PORT=$(cat "$T/port")
# min_confidence 0.99: the student's encodings need the teacher; no trigger
# starts a run by itself (the runs are the test's)
write_config "teacher:" "  provider: openai" "  endpoint: http://127.0.0.1:$LLM_PORT/v1" \
	"  model: scripted-teacher" "  timeout_s: 10" \
	"learning:" "  min_confidence: 0.99" \
	"  curriculum:" "    min_needs_improvement: 1" "    cooldown_hours: 0" \
	"  training:" "    min_new_examples: 100000" \
	"  monitor:" "    window: 5" "    max_drop_pp: 100"

# two real training runs: better than the shipped default, then better again
mk_batch "$T/small" 60
mk_batch "$T/big" 300
"$MNEMO" train request --batch-dir "$T/small" --reason "dashboard test 1" --wait --json >"$T/r1.json" 2>"$T/r1.err"
check "first run deployed" test "$(json_get "$T/r1.json" "d['state']")" = deployed
"$MNEMO" train request --batch-dir "$T/big" --reason "dashboard test 2" --wait --json >"$T/r2.json" 2>"$T/r2.err"
check "second run deployed" test "$(json_get "$T/r2.json" "d['state']")" = deployed
R2=$(json_get "$T/r2.json" "d['id']")

i=0
while [ $i -lt 12 ]; do
	i=$((i + 1))
	"$MNEMO" remember --type note --project dash "Deployed version v1.$i of the Redis cache on host db$i; latency dropped to $((i * 3)) ms." >/dev/null 2>>"$T/remember.err"
done
"$MNEMO" remember --type note --project dash "The zorblat backup on host nas2 failed twice before it wrote /var/backups/nas2.tar." >/dev/null 2>>"$T/remember.err"
"$MNEMO" dream --json >"$T/dream.json" 2>"$T/dream.err"
check "a dream cycle ran its curriculum with the teacher" python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
c=[p for p in d['phases'] if p['name']=='curriculum'][0]
sys.exit(0 if c.get('attempted',0) >= 1 else 1)" "$T/dream.json"
"$MNEMO" recall --json "Redis cache latency" >"$T/recall.json"
QID=$(json_get "$T/recall.json" "d['query_id']")
check "a recall rated from the CLI" "$MNEMO" feedback "$QID" helpful

"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/serve.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
eventually 30 test -s "$MNEMO_HOME/http.addr" || true
ADDR=$(cat "$MNEMO_HOME/http.addr" 2>/dev/null)
check "the daemon serves HTTP ($ADDR)" test -n "$ADDR"
case $ADDR in http://*) BASE=$ADDR ;; *) BASE="http://$ADDR" ;; esac

# one memory through the API: the daemon's worker encodes it with v0002 and
# the post-deploy monitor measures the version's live quality (its window
# counts the memories v0002 encoded since its deploy)
check "remember through the API" python3 -c "
import json, sys, urllib.request
b = sys.argv[1]
tok = json.load(urllib.request.urlopen(b + '/api/v1/csrf'))['csrf_token']
body = json.dumps({'text': 'Deployed the Redis cache on host db99; latency dropped to 9 ms.', 'project': 'dash'}).encode()
req = urllib.request.Request(b + '/api/v1/remember', data=body, method='POST',
    headers={'Content-Type': 'application/json', 'X-Mnemo-CSRF': tok})
print(json.load(urllib.request.urlopen(req)))" "$BASE"
live_measured() {
	"$MNEMO" model list --json 2>/dev/null | python3 -c "
import json,sys; d=json.load(sys.stdin)
sys.exit(0 if any(v['version']=='v0002' and v.get('live_metrics') for v in d['versions']) else 1)"
}
check "the monitor measured v0002 live" eventually 60 live_measured

CHROMIUM="$CHROMIUM" BASE="$BASE" RUN_ID="$R2" SHOTS="$T/shots" \
	node "$DIR/dashboard_test.mjs" 2>"$T/node.err"
rc=$?
[ $rc -eq 0 ] || { fail "dashboard_test.mjs" "exit $rc"; show_output "$T/node.err"; }

# what the browser did, seen from the CLI
check "rolled back and pinned from the browser: current is v0001, pinned" sh -c \
	"test \"\$(readlink '$MNEMO_HOME/models/builtin/current')\" = v0001 && '$MNEMO' model list --json | grep -q '\"pinned\": \"v0001\"'"
"$MNEMO" experience list --json >"$T/exp.json"
check "the browser's amendment is a human correction" python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
h=[r for r in d if r.get('correction_source')=='human']
sys.exit(0 if len(h)==1 and h[0]['corrected_output']['gist']=='Amended in the dashboard' else 1)" "$T/exp.json"
check "the browser's rating was recorded" sh -c "'$MNEMO' status --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"ratings\"] >= 2 else 1)'"
kill "$SERVE" 2>/dev/null
i=0; while alive "$SERVE" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "the daemon stopped cleanly" dead "$SERVE"

# the same home behind a bearer token: the page asks for it and sends it
"$MNEMO" model unpin >/dev/null 2>&1
TOKEN=dashboard-test-token-0123456789
(umask 077 && printf '%s\n' "$TOKEN" >"$T/token")
printf 'http:\n  token_file: %s\n' "$T/token" >>"$MNEMO_CONFIG"
rm -f "$MNEMO_HOME/http.addr"
"$MNEMO" serve --no-dream --http 127.0.0.1:0 >"$T/serve2.log" 2>&1 &
SERVE=$!
echo $SERVE >>"$T/pids"
eventually 30 test -s "$MNEMO_HOME/http.addr" || true
ADDR=$(cat "$MNEMO_HOME/http.addr" 2>/dev/null)
check "the daemon serves HTTP with a token ($ADDR)" test -n "$ADDR"
case $ADDR in http://*) BASE=$ADDR ;; *) BASE="http://$ADDR" ;; esac
CHROMIUM="$CHROMIUM" BASE="$BASE" TOKEN="$TOKEN" node "$DIR/dashboard_test.mjs" 2>"$T/node2.err" ||
	{ fail "dashboard_test.mjs with a token" "exit $?"; show_output "$T/node2.err"; }
check "rolled back from the page with the token: current is v0002" test "$(current)" = v0002
kill "$SERVE" 2>/dev/null
