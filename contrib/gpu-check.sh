#!/usr/bin/env bash
# contrib/gpu-check.sh - mnemo's external-student loop, end to end, on one
# GPU machine with no network: a tiny causal LM built on the spot, trained
# and served by contrib/trainers/lora.py and contrib/serve/openai_server.py,
# driven by the real mnemo binary. Prints one report (times of each step,
# the gate tables, the learning effect) and writes it to report.txt.
#
#   contrib/gpu-check.sh                  build mnemo with make, run, report
#   MNEMO_BIN=build-gpu/mnemo contrib/gpu-check.sh    use a built binary
#                                         (its lib/ beside it, if any, goes
#                                         on LD_LIBRARY_PATH)
#
# Environment (all optional):
#   MNEMO_BIN          mnemo binary to use (else `make B=<work>/build`)
#   PYTHON             python with torch, transformers, peft (else python3)
#   GPU_CHECK_DIR      work directory (else a fresh /tmp/mnemo-gpu-check-*)
#   GPU_CHECK_OUT      also copy report.txt and report.json there
#   GPU_CHECK_QUICK=1  fewer observations and a smaller eval set (a smoke run)
#   GPU_CHECK_STANDIN=1  no torch: stand-ins (tests/support) for the model,
#                      trainer and server; checks the mnemo side on any CPU
#   OBS, PROBE_N, PRE_STEPS, PRE_BATCH, PRE_LR, PRE_S, AUG, LORA_STEPS, LORA_RANK,
#   LORA_LR, DIM, LAYERS, MAX_TOKENS   sizes (defaults below)
#
# What it does, in order (each step timed):
#   env        GPU, driver, python and package versions
#   mnemo      the binary (given or built)
#   prompt     captures the exact production prompt from mnemo itself
#              (tests/support/fake_llm.py logs what `mnemo encode` sends)
#   seed set   data/seed/seed.raw.jsonl as prompt -> JSON chat rows, and
#              AUG variants of each with other numbers and names
#   model      make_tiny_model.py: random Llama weights, a BPE tokenizer
#              trained on the seed set on the spot
#   pretrain   lora.py --full: a brief pre-training on the seed set and
#              its variants
#   serve      openai_server.py serves it as the production student
#   remember   a data home filled with observations, each encoded by it
#   dream      one dream cycle: a scripted teacher (fake_llm.py) corrects
#   run A      `mnemo train request --wait`, default (strict) gate: batch,
#              hooks, LoRA training, candidate and incumbent served and
#              scored on the same eval set, the gate's verdict
#   run B      a second config with loosened thresholds: deploy,
#              deploy_command (the production server loads the adapter:
#              openai_server.py load); GET /health must name v0001
#   run C      `--batch-dir` of run B: the trainer warm-starts from
#              {incumbent} (v0001, served from the registry); deploy v0002
#   rollback   `mnemo model rollback` twice: to v0001 (deploy_command
#              again), then to the shipped default (deploy_command with an
#              empty {artifact}: the base alone); /health checked each time
# hooks.before/after and deploy_command leave their traces in hooks.log and
# deploy.log in the work directory; the report quotes them.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T_START=$(date +%s.%N)
QUICK=${GPU_CHECK_QUICK:-0}
STANDIN=${GPU_CHECK_STANDIN:-0}
W=${GPU_CHECK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mnemo-gpu-check-XXXXXX")}
mkdir -p "$W"
W=$(cd "$W" && pwd)
PY=$(command -v "${PYTHON:-python3}")
SUP="$ROOT/tests/support"
# OBS and PROBE_N are upper bounds: once the production server answers, they
# are cut to what REMEMBER_S seconds of remembering and EVAL_S seconds of
# evaluation (both models, one run) allow at its measured speed
if [ "$QUICK" = 1 ]; then
	OBS=${OBS:-40}; PROBE_N=${PROBE_N:-6}; REMEMBER_S=${REMEMBER_S:-20}; EVAL_S=${EVAL_S:-12}
else
	OBS=${OBS:-120}; PROBE_N=${PROBE_N:-16}; REMEMBER_S=${REMEMBER_S:-40}; EVAL_S=${EVAL_S:-24}
fi
PRE_STEPS=${PRE_STEPS:-800}
PRE_BATCH=${PRE_BATCH:-128}
PRE_LR=${PRE_LR:-1.5e-3}
PRE_S=${PRE_S:-90}    # fewer pre-training steps when PRE_STEPS would take longer
AUG=${AUG:-19}
LORA_STEPS=${LORA_STEPS:-120}
LORA_RANK=${LORA_RANK:-32}
LORA_LR=${LORA_LR:-1e-3}
DIM=${DIM:-256}
LAYERS=${LAYERS:-4}
MAX_TOKENS=${MAX_TOKENS:-400}
# runs B and C are skipped (and said so) when they would end after this
DEADLINE=${GPU_CHECK_DEADLINE:-420}
export MNEMO_DATADIR="$ROOT/data"
export MNEMO_HOME="$W/home"
export MNEMO_CONFIG="$W/strict.yaml"
unset MNEMO_FAKE_NOW
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STEPS="$W/steps.tsv"
: >"$STEPS"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "[gpu-check $(elapsed "$T_START")s] $*"; }
# step NAME COMMAND...: run, time, record; output in $W/logs/NAME.log
mkdir -p "$W/logs"
step() {
	local name=$1 t0 rc
	shift
	t0=$(now)
	say "$name ..."
	"$@" >"$W/logs/$name.log" 2>&1
	rc=$?
	printf '%s\t%s\t%s\n' "$name" "$(elapsed "$t0")" "$rc" >>"$STEPS"
	report >/dev/null 2>&1 # a report so far, should the run be cut short
	if [ $rc -ne 0 ]; then
		say "$name FAILED (exit $rc); last lines of $W/logs/$name.log:"
		tail -25 "$W/logs/$name.log" | sed 's/^/    /'
	else
		say "$name ok ($(elapsed "$t0")s)"
	fi
	return $rc
}
# fatal NAME COMMAND...: a step the rest depends on
fatal() { step "$@" || { report; exit 1; }; }
# time_for SECONDS: that much is left before the deadline
time_for() {
	awk -v a="$T_START" -v b="$(now)" -v need="$1" -v d="$DEADLINE" \
		'BEGIN { exit !(b - a + need <= d) }'
}
skip() {
	printf '%s\t0\tskipped\n' "$1" >>"$STEPS"
	say "$1 skipped: $2"
}

# ---- mnemo ----
MNEMO=""
mnemo_bin() {
	if [ -n "${MNEMO_BIN:-}" ]; then
		MNEMO=$(cd "$(dirname "$MNEMO_BIN")" && pwd)/$(basename "$MNEMO_BIN")
		mn version && return 0
		echo "$MNEMO_BIN does not run here; trying to build"
		ldd "$MNEMO" 2>&1 | grep -i "not found"
	fi
	make -C "$ROOT" B="$W/build" -j"$(nproc)" "$W/build/mnemo" WERROR= || {
		echo "make failed: the build needs gcc and the -dev packages of sqlite3,"
		echo "libcurl, jansson, libpcre2, libyaml, liblinear (scripts/install-deps.sh)."
		echo "Without them, build elsewhere and pass MNEMO_BIN (see docs/external-students.md)."
		return 1
	}
	MNEMO="$W/build/mnemo"
	mn version
}
mn() {
	local lib
	lib=$(dirname "$MNEMO")/lib
	if [ -d "$lib" ]; then
		LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$MNEMO" "$@"
	else
		"$MNEMO" "$@"
	fi
}

# ---- helpers ----
# wait_port FILE SECS: the port a server wrote, once it is there
wait_port() {
	local i=0
	while [ ! -s "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	cat "$1" 2>/dev/null
}
# wait_ready URL SECS: GET URL/models answers 200
wait_ready() {
	"$PY" - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, limit = sys.argv[1].rstrip("/") + "/models", float(sys.argv[2])
end = time.time() + limit
while time.time() < end:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            if r.status == 200:
                print(r.read().decode())
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.3)
sys.exit("not ready after %ss: %s" % (limit, url))
PY
}
jget() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }

# ---- steps ----
env_info() {
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(uname -srm)"
	echo "python: $PY"
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
	echo "gcc: $(command -v gcc || echo none), pkg-config: $(command -v pkg-config || echo none)"
	# versions from the package metadata: importing torch here would cost
	# as much as a whole step on a slow disk
	"$PY" - <<'PY'
import sys
from importlib import metadata
print("python_version:", sys.version.split()[0])
for n in ("torch", "transformers", "peft", "tokenizers", "accelerate", "safetensors", "trl", "datasets"):
    try:
        print("%s: %s" % (n, metadata.version(n)))
    except metadata.PackageNotFoundError:
        print("%s: not installed" % n)
PY
}

start_teacher() {
	cat >"$W/teacher.json" <<'J'
{"encode": "echo",
 "rules": [
  {"contains": "vorthane", "significance": "critical", "emotional_tone": "concerning", "salience": 0.9, "outcome": "failure"},
  {"contains": "zorblat", "significance": "important", "emotional_tone": "concerning", "salience": 0.75, "outcome": "ongoing"},
  {"contains": "quenvix", "significance": "notable", "emotional_tone": "satisfying", "salience": 0.5, "outcome": "success"},
  {"contains": "plimsk", "significance": "routine", "emotional_tone": "neutral", "salience": 0.25, "outcome": "unknown"}
 ],
 "default": {"significance": "routine", "emotional_tone": "neutral", "outcome": "unknown", "salience": 0.3}}
J
	rm -f "$W/teacher.port"
	"$PY" "$SUP/fake_llm.py" --port 0 --port-file "$W/teacher.port" --script "$W/teacher.json" \
		--log "$W/teacher.log" >"$W/logs/teacher.out" 2>&1 &
	PIDS="$PIDS $!"
	TEACHER_PORT=$(wait_port "$W/teacher.port" 30)
	[ -n "$TEACHER_PORT" ] && echo "teacher on port $TEACHER_PORT"
}

# The exact production prompt: mnemo sends it to an echo student whose log
# we read (no copy of src/prompt.c to drift).
capture_prompt() {
	echo '{"encode": "echo"}' >"$W/echo.json"
	rm -f "$W/capture.port" "$W/capture.log"
	"$PY" "$SUP/fake_llm.py" --port 0 --port-file "$W/capture.port" --script "$W/echo.json" \
		--log "$W/capture.log" &
	local pid=$!
	local port
	port=$(wait_port "$W/capture.port" 30)
	printf 'student:\n  provider: openai\n  endpoint: http://127.0.0.1:%s/v1\n  model: capture\n' \
		"$port" >"$W/capture.yaml"
	MNEMO_HOME="$W/capture-home" mn --config "$W/capture.yaml" encode --source gpucheck \
		--type probe "Capture ZX-81 marker." >/dev/null
	kill $pid
	"$PY" - "$W/capture.log" "$W/prompt.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
body = [r["body"] for r in rows if r["method"] == "POST"][0]
msgs = body["messages"]
system = [m["content"] for m in msgs if m["role"] == "system"][0]
user = [m["content"] for m in msgs if m["role"] == "user"][0]
tail = "Source: gpucheck\nType: probe\nObservation:\nCapture ZX-81 marker.\n"
assert user.endswith(tail), user[-200:]
json.dump({"system": system, "instructions": user[:-len(tail)],
           "response_format": body.get("response_format")}, open(sys.argv[2], "w"))
print("system message %d chars, instructions %d chars, response_format %s"
      % (len(system), len(user) - len(tail), body.get("response_format", {}).get("type")))
PY
}

# data/seed as chat rows in the batch format (docs/learning.md): the
# production prompt around each raw input, the encoding as compact JSON.
# seed-batch/ holds them as they are (the tokenizer is trained on its
# train.jsonl); pretrain-batch/ adds AUG variants of each training row with
# its numbers, names and service names replaced by random ones, the same
# way in the input and in every string of the encoding. 400 rows alone are
# learnt by heart (the model writes a remembered seed row's content for any
# input); with the variants, copying what the input says is the only way to
# a low loss, and entity preservation is what measures that copying.
seed_set() {
	mkdir -p "$W/seed-batch" "$W/pretrain-batch"
	"$PY" - "$W/prompt.json" "$ROOT/data/seed/seed.raw.jsonl" "$W/seed-batch" \
		"$W/pretrain-batch" "$AUG" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def label(s, d):
    s = s or d
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in s)[:100]
def chat(r):
    user = "%sSource: %s\nType: %s\nObservation:\n%s\n" % (
        p["instructions"], label(r.get("memory_source"), "unknown"),
        label(r.get("memory_type"), "general"), r["raw_input"])
    return {"messages": [{"role": "system", "content": p["system"]},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": json.dumps(
                             r["encoded"], ensure_ascii=False, separators=(",", ":"))}]}
valid, train = rows[-20:], rows[:-20]
for name, part in (("train", train), ("valid", valid)):
    with open("%s/%s.jsonl" % (sys.argv[3], name), "w") as f:
        for r in part:
            f.write(json.dumps(chat(r), ensure_ascii=False) + "\n")
print("seed set: %d train, %d valid chat rows" % (len(train), len(valid)))

import random, re
rng = random.Random(7)
CONS, VOW = "bdfghklmnprstvz", "aeiou"
def word(n):
    return "".join(rng.choice(CONS) + rng.choice(VOW) + (rng.choice(CONS) if rng.random() < 0.4 else "")
                   for _ in range(n))
def digits(d):
    if len(d) == 1:
        return str(rng.randrange(10))
    return str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in d[1:])
# a name: a capitalised word after a lower-case word (not a sentence start);
# a service: lower-case words joined by '-'; a number: a run of digits; and
# a quarter of the other lower-case words of 4 letters or more
ENT = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}|\b[a-z]{2,}(?:-[a-z0-9]{2,})+\b|\d+|\b[a-z]{4,}\b")
KEEP = set("""that this with from have were when will into after before because should would
could about there their which while still only also than then them they what some more most
over under again does done been being just like make made need needs want wants were where
your ours other same each every both very much many once here says said""".split())
LABELS = ("significance", "emotional_tone", "outcome", "type")
for r in rows:  # enum values stay what they are, wherever they occur
    enc = r["encoded"]
    KEEP.update(str(enc.get(k)) for k in LABELS[:3])
    for lst in (enc.get("structured_concepts") or {}).values():
        KEEP.update(str(x.get("type")) for x in lst if isinstance(x, dict))
def variant(r):
    m = {}
    for e in ENT.findall(r["raw_input"]):
        if e in m or e in KEEP:
            continue
        if e[0].isdigit():
            m[e] = digits(e)
        elif "-" in e:
            m[e] = "-".join(word(rng.randint(1, 2)) for _ in e.split("-"))
        elif e[0].isupper():
            m[e] = word(rng.randint(2, 3)).capitalize()
        elif rng.random() < 0.25:
            m[e] = word(rng.randint(2, 3))
    if not m:
        return None
    pat = re.compile("|".join(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(k)
                              for k in sorted(m, key=len, reverse=True)))
    sub = lambda t: pat.sub(lambda x: m[x.group()], t)
    def walk(v):
        if isinstance(v, str):
            return sub(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: x if k in LABELS else walk(x) for k, x in v.items()}
        return v
    return dict(r, raw_input=sub(r["raw_input"]), encoded=walk(r["encoded"]))
n_aug = 0
with open("%s/train.jsonl" % sys.argv[4], "w") as f:
    for r in train:
        f.write(json.dumps(chat(r), ensure_ascii=False) + "\n")
    for _ in range(int(sys.argv[5])):
        for r in train:
            v = variant(r)
            if v:
                f.write(json.dumps(chat(v), ensure_ascii=False) + "\n")
                n_aug += 1
with open("%s/valid.jsonl" % sys.argv[4], "w") as f:
    for r in valid:
        f.write(json.dumps(chat(r), ensure_ascii=False) + "\n")
print("pre-training set: %d seed rows + %d variants (numbers, names, services, words replaced), "
      "%d valid rows (the seed rows as they are)" % (len(train), n_aug, len(valid)))
ex = next(r for r in train if variant(r))
print("  e.g. %r -> %r" % (ex["raw_input"][:100], variant(ex)["raw_input"][:100]))
PY
}

make_model() {
	if [ "$STANDIN" = 1 ]; then mkdir -p "$W/tiny-random"; echo standin >"$W/tiny-random/x"; return; fi
	"$PY" "$ROOT/contrib/trainers/make_tiny_model.py" "$W/tiny-random" --arch llama \
		--layers "$LAYERS" --dim "$DIM" --heads 4 --ctx 1024 --vocab 2048 --seed 0 \
		--corpus "$W/seed-batch/train.jsonl"
}

pretrain() {
	if [ "$STANDIN" = 1 ]; then mkdir -p "$W/base"; echo standin >"$W/base/x"; return; fi
	"$PY" "$ROOT/contrib/trainers/lora.py" --full --batch-dir "$W/pretrain-batch" --out "$W/base" \
		--base "$W/tiny-random" --max-steps "$PRE_STEPS" --batch-size "$PRE_BATCH" --lr "$PRE_LR" \
		--warmup 0.05 --seed 1 --log-every 50 --max-len 640 --max-seconds "$PRE_S"
}

# the production student: the pre-trained base, no adapter
start_production() {
	rm -f "$W/prod.port"
	if [ "$STANDIN" = 1 ]; then
		# a weak student: every other answer misses most keys
		"$PY" -c 'import json; print(json.dumps([{"content": "{\"gist\": \"?\"}"}, {"encode": "echo"}] * 500))' \
			>"$W/weak.json"
		"$PY" "$SUP/fake_llm.py" --port 0 --port-file "$W/prod.port" --script "$W/weak.json" \
			>>"$W/logs/production.out" 2>&1 &
		PIDS="$PIDS $!"
		# and, for the deploy command, a stand-in of openai_server.py's
		# POST /admin/load and GET /health (it loads nothing)
		rm -f "$W/admin.port"
		"$PY" - "$W/admin.port" >>"$W/logs/production.out" 2>&1 <<'PY' &
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
state = {"adapter": None}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.send({"ok": True, "adapter": state["adapter"], "standin": True})
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        state["adapter"] = body.get("adapter")
        print("stand-in: loaded %s" % state["adapter"], flush=True)
        self.send({"ok": True, "adapter": state["adapter"]})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % srv.server_address[1])
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
	else
		"$PY" "$ROOT/contrib/serve/openai_server.py" --base "$W/base" --port 0 \
			--port-file "$W/prod.port" --model-name tiny-mnemo --max-tokens "$MAX_TOKENS" \
			>>"$W/logs/production.out" 2>&1 &
	fi
	PIDS="$PIDS $!"
	PROD_PORT=$(wait_port "$W/prod.port" 300)
	[ -n "$PROD_PORT" ] || { tail -20 "$W/logs/production.out"; return 1; }
	ADMIN_PORT=$PROD_PORT
	[ "$STANDIN" = 1 ] && ADMIN_PORT=$(wait_port "$W/admin.port" 30)
	wait_ready "http://127.0.0.1:$PROD_PORT/v1" 60 || return 1
	# one request as mnemo sends them: response_format json_schema
	"$PY" - "$PROD_PORT" "$W/prompt.json" "$W/t_req" <<'PY'
import json, sys, time, urllib.request
port, p = sys.argv[1], json.load(open(sys.argv[2]))
req = {"model": "tiny-mnemo", "temperature": 0, "messages": [
    {"role": "system", "content": p["system"]},
    {"role": "user", "content": p["instructions"] + "Source: cli\nType: note\nObservation:\n"
     "Deployed billing-api v2.4.1 to prod; Omar Aziz approved ticket 4821.\n"}],
    "response_format": p["response_format"] or {"type": "json_object"}}
for n in (1, 2):
    t0 = time.time()
    r = urllib.request.urlopen(urllib.request.Request(
        "http://127.0.0.1:%s/v1/chat/completions" % port, data=json.dumps(req).encode(),
        headers={"Content-Type": "application/json"}), timeout=300)
    d = json.loads(r.read())
    dt = time.time() - t0
    c = d["choices"][0]["message"]["content"]
    print("chat completion %d in %.2f s, usage %s" % (n, dt, d.get("usage")))
json.loads(c)
print("reply: %s" % c[:600])
open(sys.argv[3], "w").write("%.3f\n" % dt)
PY
	grep "decoding:" "$W/logs/production.out" | tail -1
	# sizes that fit the time budget at this speed
	local sizes
	sizes=$(awk -v t="$(cat "$W/t_req")" -v obs="$OBS" -v probe="$PROBE_N" -v rs="$REMEMBER_S" \
		-v es="$EVAL_S" 'BEGIN {
		n = int(rs / t); if (n > obs) n = obs; if (n < 16) n = 16
		e = int(es / (2 * t)); p = e - int(0.3 * n); if (p > probe) p = probe; if (p < 4) p = 4
		print n, p }')
	OBS=${sizes% *}
	PROBE_N=${sizes#* }
	echo "sizes for $(cat "$W/t_req") s per request: OBS=$OBS observations, PROBE_N=$PROBE_N probe items"
}

write_configs() {
	head -n "$PROBE_N" "$ROOT/data/probe/probe.raw.jsonl" >"$W/probe.raw.jsonl"
	local common trainer serve deploy
	if [ "$STANDIN" = 1 ]; then
		trainer="[sh, $SUP/trainer_external.sh, '{batch_dir}', '{out}']"
		serve="[sh, $SUP/trainer_serve_candidate.sh, '{artifact}', '{port}']"
	else
		trainer="[$PY, $ROOT/contrib/trainers/lora.py, --batch-dir, '{batch_dir}', --out, '{out}',
                --base, $W/base, --incumbent, '{incumbent}', --seed, '{seed}', --request, '{request_id}',
                --max-steps, '$LORA_STEPS', --batch-size, '16', --lr, '$LORA_LR', --rank, '$LORA_RANK',
                --dropout, '0.0', --log-every, '50', --max-len, '1024', --attn, eager]"
		serve="[$PY, $ROOT/contrib/serve/openai_server.py, --base, $W/base, --adapter, '{artifact}',
                      --port, '{port}', --model-name, tiny-mnemo-candidate, --max-tokens, '$MAX_TOKENS']"
	fi
	# the production server loads the new version in place (an empty
	# {artifact}, after a rollback to the shipped default: the base alone);
	# deploy.log keeps each call and the server's answer
	deploy="[sh, -c, 'echo \"\$(date +%s) deploy_command version=\$0 artifact=\$1\" >> $W/deploy.log; $PY $ROOT/contrib/serve/openai_server.py load --url http://127.0.0.1:$ADMIN_PORT \"\$1\" >> $W/deploy.log 2>&1', '{version}', '{artifact}']"
	common="student:
  provider: openai
  endpoint: http://127.0.0.1:$PROD_PORT/v1
  model: tiny-mnemo
  timeout_s: 120
teacher:
  provider: openai
  endpoint: http://127.0.0.1:$TEACHER_PORT/v1
  model: scripted-teacher
  timeout_s: 30
learning:
  curriculum:
    min_needs_improvement: 1
    max_corrections_per_cycle: 1000
    cooldown_hours: 0
  trigger:
    auto: false
  training:
    min_new_examples: 5
    max_examples_per_run: 400
    holdout_fraction: 0.3
    seed: 42
    trainer:
      command: $trainer
      timeout_s: 900
    evaluate:
      serve_command: $serve
      ready_timeout_s: 300
    hooks:
      before: [sh, -c, 'echo \"\$(date +%s) before \$0 gpu_mem_used=\$(nvidia-smi --query-gpu=memory.used --format=csv,noheader 2>/dev/null)\" >> $W/hooks.log', '{request}']
      after: [sh, -c, 'echo \"\$(date +%s) after \$0 gpu_mem_used=\$(nvidia-smi --query-gpu=memory.used --format=csv,noheader 2>/dev/null)\" >> $W/hooks.log', '{request}']
  registry:
    deploy_command: $deploy"
	printf '%s\n  gate:\n    probe_set: %s\n' "$common" "$W/probe.raw.jsonl" >"$W/strict.yaml"
	printf '%s\n  gate:\n    probe_set: %s\n    min_epr: 0\n    min_sc: 0\n    max_fr: 1\n    max_ted_rate: 1\n    max_regression_pp: 100\n' \
		"$common" "$W/probe.raw.jsonl" >"$W/loose.yaml"
	echo "configs: $W/strict.yaml (default gate), $W/loose.yaml (thresholds loosened)"
}

remember_all() {
	"$PY" "$SUP/gen_rule_batch.py" --out "$W/obs" --train "$OBS" --holdout 1 --replay 0 --seed 5 \
		>/dev/null || return 1
	"$PY" - "$W/obs/train.raw.jsonl" >"$W/obs.tsv" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print("%s\t%s\t%s" % (r.get("memory_source") or "cli", r.get("memory_type") or "note",
                          r["raw_input"].replace("\t", " ").replace("\n", " ")))
PY
	local n=0 ok=0 src typ text t0
	t0=$(now)
	while IFS="$(printf '\t')" read -r src typ text; do
		# the time budget, once there are enough rows to train on
		if [ $ok -ge 16 ] && ! awk -v a="$t0" -v b="$(now)" -v m="$REMEMBER_S" \
			'BEGIN { exit !(b - a < m) }'; then
			echo "time budget of $REMEMBER_S s spent: stopping at $n observations"
			break
		fi
		n=$((n + 1))
		mn remember --source "$src" --type "$typ" "$text" >/dev/null 2>>"$W/logs/remember.err" &&
			ok=$((ok + 1))
	done <"$W/obs.tsv"
	echo "remembered $ok of $n observations"
	mn experience stats --json | tee "$W/exp-before.json"
	[ "$ok" -gt 0 ]
}

dream_once() {
	mn dream --json >"$W/dream.json" || return 1
	"$PY" - "$W/dream.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["phases"]:
    print(p["name"], p["status"], {k: v for k, v in p.items() if k in (
        "attempted", "passed", "rejected", "errors", "buffer", "decision", "reason")})
PY
	mn experience stats --json | tee "$W/exp-after.json"
}

# train_run NAME CONFIG [--batch-dir DIR]: one mnemo training run
train_run() {
	local name=$1 cfg=$2
	shift 2
	MNEMO_CONFIG="$cfg" mn train request --reason "gpu-check $name" --wait --json "$@" \
		>"$W/run-$name.json"
	local rc=$?
	cat "$W/run-$name.json"
	local dir
	dir=$(jget "$W/run-$name.json" "d['request_dir']")
	[ -n "$dir" ] && ln -sfn "$dir" "$W/run-$name"
	echo "state: $(jget "$W/run-$name.json" "d['state']") (exit $rc)"
	[ -n "$dir" ] && tail -5 "$dir/train.log"
	# exit 1 is a rejection here, which is a result, not an error
	[ -n "$dir" ] && [ -s "$dir/result.json" ]
}

# serving VERSION: the production server's adapter is that registry
# version's directory (none for "default"), as deploy_command asked
serving() {
	"$PY" - "http://127.0.0.1:$ADMIN_PORT/health" "$1" "$MNEMO_HOME/models/tiny-mnemo" <<'PY'
import json, os, sys, urllib.request
h = json.loads(urllib.request.urlopen(sys.argv[1], timeout=10).read())
want = None if sys.argv[2] == "default" else os.path.join(sys.argv[3], sys.argv[2])
got = h.get("adapter")
ok = (got is None and want is None) or (got and want and os.path.realpath(got) == os.path.realpath(want))
print("production server serves %s: %s" % (got or "the base alone", "as deployed (%s)" % sys.argv[2]
                                           if ok else "NOT %s" % (want or "the base")))
sys.exit(0 if ok else 1)
PY
}

after_deploy() {
	local cur
	cur=$(readlink "$MNEMO_HOME/models/tiny-mnemo/current")
	echo "registry current: $cur"
	serving "$cur" || return 1
	mn encode --json "Rolled out zorblat search-indexer v3.2.0 on canary, ticket 7719." >"$W/encode-deployed.json" || return 1
	head -c 800 "$W/encode-deployed.json"
	echo
}

rollbacks() {
	mn model list --json >"$W/models-before-rollback.json"
	local cur i=0
	cur=$(readlink "$MNEMO_HOME/models/tiny-mnemo/current" 2>/dev/null)
	echo "current before: ${cur:-default}"
	[ -n "$cur" ] || { echo "nothing deployed: nothing to roll back"; return 1; }
	serving "$cur" || return 1
	# back version by version (deploy_command loads each), to the default
	while [ -n "$cur" ] && [ $i -lt 4 ]; do
		mn model rollback || return 1
		cur=$(readlink "$MNEMO_HOME/models/tiny-mnemo/current" 2>/dev/null)
		i=$((i + 1))
		echo "after rollback $i: current=${cur:-default}"
		# deploy_command ran for it: back at the default with an empty
		# {artifact}, so the server went back to the base alone
		serving "${cur:-default}" || return 1
	done
	mn model list --json | tee "$W/models.json"
}

report() {
	"$PY" - "$W" "$T_START" "$(now)" "$QUICK" "$STANDIN" <<'PY' | tee "$W/report.txt"
import glob, hashlib, json, os, sys
W, t0, t1, quick, standin = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return None
def read(p):
    try:
        return open(p).read()
    except Exception:
        return ""
rep = {"quick": quick == "1", "standin": standin == "1", "total_s": round(t1 - t0, 1)}
print("=" * 78)
print("mnemo gpu-check report%s%s" % (" (QUICK)" if quick == "1" else "",
                                     " (STAND-INS, no model)" if standin == "1" else ""))
print("=" * 78)
env = read(W + "/logs/env.log").strip()
print(env)
rep["env"] = env
print("\nsteps (seconds):")
steps = []
for line in read(W + "/steps.tsv").splitlines():
    name, sec, rc = line.split("\t")
    steps.append({"step": name, "s": float(sec), "ok": rc in ("0", "skipped"), "rc": rc})
    print("  %-12s %7.1f  %s" % (name, float(sec), "ok" if rc == "0" else rc if rc == "skipped"
                                 else "FAILED (exit %s)" % rc))
print("  %-12s %7.1f" % ("total", t1 - t0))
rep["steps"] = steps
for name in ("model", "pretrain", "serve", "remember", "dream"):
    log = read("%s/logs/%s.log" % (W, name)).strip().splitlines()
    keep = [l for l in log if any(k in l for k in (
        "make_tiny_model:", "wrote", "remembered", "curriculum", "chat completion",
        "reply:", "seed set", "trainable", "decoding:", "sizes for", "time budget"))]
    for l in keep[:7]:
        print("  [%s] %s" % (name, l[:300]))
pm = load(W + "/base/metrics.json")
if pm:
    print("\npre-training (lora.py --full on the seed set and its variants, %s rows): %d of %s "
          "steps of %s rows, loss %.3f -> %.3f, valid loss (20 seed rows as they are) %s -> %s, "
          "%.1f s, %.0f tokens/s" % (
              (pm.get("rows") or {}).get("train"), pm["steps"], pm.get("planned_steps"),
              pm.get("batch_size"), pm["train_loss_first"], pm["train_loss_last"],
              pm["valid_loss_before"], pm["valid_loss_after"], pm["train_seconds"],
              pm["tokens_per_s"] or 0))
    rep["pretrain"] = {k: pm.get(k) for k in ("steps", "planned_steps", "batch_size", "rows",
                                             "train_loss_first", "train_loss_last",
                                             "valid_loss_before", "valid_loss_after",
                                             "train_seconds", "tokens_per_s", "parameters",
                                             "losses")}
tm = load(W + "/tiny-random/tiny_model.json")
if tm:
    print("tiny model: %s" % json.dumps(tm))
    rep["tiny_model"] = tm
runs = {}
KEYS = ["n", "n_failed", "sc_rate", "epr", "fr", "ted_rate", "np", "enum_acc", "concept_f1",
        "salience_mae"]
def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.4f" % v
    return str(v)
for name in ("A", "B", "C"):
    d = W + "/run-" + name
    res = load(d + "/result.json")
    if not res:
        continue
    gate = load(d + "/gate.json") or {}
    met = load(d + "/candidate/metrics.json") or {}
    r = {"state": res.get("state"), "verdict": gate.get("verdict"), "reasons": gate.get("reasons"),
         "timings": res.get("timings"), "error": res.get("error")}
    print("\n--- run %s: %s (%s) ---" % (name, res.get("state"), {
        "A": "default gate", "B": "loosened gate", "C": "loosened gate, --batch-dir of B, warm start"}[name]))
    if res.get("error"):
        print("error:", res["error"])
    print("timings (ms):", json.dumps(res.get("timings")))
    man = load(d + "/batch/manifest.json") or {}
    if man:
        print("batch:", json.dumps(man.get("counts")))
    if met.get("steps"):
        print("trainer: %s, warm_start=%s, %d steps, loss %.3f -> %.3f, valid loss %s -> %s, "
              "%.1f s training, %.0f tokens/s, %d trainable of %d parameters, whole run %.1f s" % (
                  met.get("mode"), met.get("warm_start"), met["steps"], met["train_loss_first"],
                  met["train_loss_last"], met["valid_loss_before"], met["valid_loss_after"],
                  met["train_seconds"], met["tokens_per_s"] or 0, met["trainable_parameters"],
                  met["parameters"], met["seconds"]))
        r["trainer"] = {k: met.get(k) for k in ("warm_start", "incumbent", "steps", "train_loss_first",
                                               "train_loss_last", "valid_loss_before",
                                               "valid_loss_after", "train_seconds",
                                               "tokens_per_s", "seconds")}
    ad = d + "/candidate/adapter_model.safetensors"
    if os.path.exists(ad):
        r["adapter_sha256"] = hashlib.sha256(open(ad, "rb").read()).hexdigest()
    iv = gate.get("incumbent_version")
    print("gate: %s (incumbent: %s)" % (gate.get("verdict"), "the production student "
                                         "(student.endpoint)" if iv == "default" else iv or "none"))
    for why in gate.get("reasons") or []:
        print("  reason:", why)
    print("  %-44s %-10s %-10s %-8s %s" % ("check", "candidate", "incumbent", "thresh", "verdict"))
    for c in gate.get("checks") or []:
        print("  %-44s %-10s %-10s %-8s %s" % (c["name"][:44], fmt(c.get("candidate")),
                                              fmt(c.get("incumbent")), fmt(c.get("threshold")),
                                              c.get("verdict")))
    cand, inc = gate.get("candidate") or {}, gate.get("incumbent") or {}
    if isinstance(inc, dict) and cand:
        for part, label in ((None, "whole eval set"), ("holdout", "holdout")):
            c = cand.get(part) if part else cand
            i = inc.get(part) if part else inc
            if not c or not i:
                continue
            print("  %s: %s" % (label, "  ".join("%s %s->%s" % (k, fmt(i.get(k)), fmt(c.get(k)))
                                                for k in KEYS if k in c)))
        r["incumbent"], r["candidate"] = inc, cand
    runs[name] = r
rep["runs"] = runs
if "A" in runs and runs["A"].get("candidate"):
    i, c = runs["A"]["incumbent"].get("holdout") or {}, runs["A"]["candidate"].get("holdout") or {}
    print("\nLEARNING EFFECT (run A, holdout of %s teacher-labelled observations; before = the "
          "pre-trained base as production student, after = base + the run's LoRA adapter):"
          % c.get("n"))
    for k in ("sc_rate", "epr", "np", "enum_acc", "concept_f1", "salience_mae", "fr", "n_failed"):
        print("  %-12s before %-8s after %s" % (k, fmt(i.get(k)), fmt(c.get(k))))
    rep["learning_effect"] = {"before": i, "after": c}
b, c = runs.get("B", {}).get("trainer"), runs.get("C", {}).get("trainer")
if b and c:
    print("\nwarm start: run C (warm_start=%s, from %s) began at valid loss %s; run B, from the "
          "same batch, began at %s and ended at %s (the adapter C started from)" % (
              c.get("warm_start"), c.get("incumbent"), c.get("valid_loss_before"),
              b.get("valid_loss_before"), b.get("valid_loss_after")))
if runs.get("A", {}).get("adapter_sha256") and runs.get("B", {}).get("adapter_sha256"):
    same = runs["A"]["adapter_sha256"] == runs["B"]["adapter_sha256"]
    print("\ndeterminism: runs A and B (same rows, same seed, cold start) wrote %s adapters" %
          ("byte-identical" if same else "DIFFERENT"))
    rep["deterministic"] = same
hooks = read(W + "/hooks.log").strip()
dep = read(W + "/deploy.log").strip()
print("\nhooks.log:\n  " + "\n  ".join(hooks.splitlines()) if hooks else "\nhooks.log: (none)")
print("deploy.log:\n  " + "\n  ".join(dep.splitlines()) if dep else "deploy.log: (none)")
dp = read(W + "/logs/deployed.log").strip()
if dp:
    print("after run B's deploy:\n  " + "\n  ".join(
        l[:200] for l in dp.splitlines() if not l.startswith(("{", "}", " "))))
    enc = load(W + "/encode-deployed.json")
    if isinstance(enc, dict):
        e = enc.get("encoding") or enc
        print("  mnemo encode through it (metrics %s): %s" % (
            json.dumps(enc.get("metrics")), json.dumps(
                {k: e.get(k) for k in ("gist", "content", "significance", "salience")},
                ensure_ascii=False)[:400]))
loads = [l for l in read(W + "/logs/production.out").splitlines() if "loaded" in l]
if loads:
    print("production server log (loads):\n  " + "\n  ".join(l[:220] for l in loads))
rb = read(W + "/logs/rollback.log").strip()
if rb:
    print("rollback:\n  " + "\n  ".join(l[:200] for l in rb.splitlines() if not l.startswith(("[", " ", "{", "}"))))
rep["hooks"], rep["deploy"] = hooks.splitlines(), dep.splitlines()
models = load(W + "/models.json")
if isinstance(models, dict):  # {student, current, pinned, versions, learning} (docs/results.md)
    models = models.get("versions")
if isinstance(models, list):
    print("registry: " + ", ".join("%s %s%s (run %s)" % (
        v.get("version"), v.get("state"), " current" if v.get("current") else "",
        (v.get("training_run") or "")[:8]) for v in models))
failed = [s["step"] for s in steps if not s["ok"]]
skipped = [s["step"] for s in steps if s["rc"] == "skipped"]
print("\nRESULT: %s%s in %.1f s" % ("all steps ok" if not failed else "FAILED: " + ", ".join(failed),
                                    " (skipped: %s)" % ", ".join(skipped) if skipped else "", t1 - t0))
rep["failed"] = failed
json.dump(rep, open(W + "/report.json", "w"), indent=1)
PY
	if [ -n "${GPU_CHECK_OUT:-}" ]; then
		mkdir -p "$GPU_CHECK_OUT"
		cp "$W/report.txt" "$W/report.json" "$GPU_CHECK_OUT/" 2>/dev/null
	fi
}

# ---- the run ----
say "work directory $W${QUICK:+ (quick=$QUICK)}"
step env env_info
fatal mnemo mnemo_bin
fatal teacher start_teacher
fatal prompt capture_prompt
fatal seedset seed_set
fatal model make_model
fatal pretrain pretrain
fatal serve start_production
fatal configs write_configs
fatal remember remember_all
fatal dream dream_once
step runA train_run A "$W/strict.yaml"
# a run takes about as long as run A did; leave room for the rollbacks
RUN_S=$(awk -F'\t' '$1 == "runA" { printf "%d", $2 + 15 }' "$STEPS")
if ! time_for "${RUN_S:-120}"; then
	skip runB "too little time left before GPU_CHECK_DEADLINE=$DEADLINE s"
elif [ "$(jget "$W/run-A.json" "d['state']")" = deployed ]; then
	step runB train_run B "$W/loose.yaml" --batch-dir "$W/run-A/batch"
else
	step runB train_run B "$W/loose.yaml"
fi
[ "$(jget "$W/run-B.json" "d['state']")" = deployed ] && step deployed after_deploy
if [ ! -d "$W/run-B/batch" ]; then
	skip runC "no run B"
elif time_for "${RUN_S:-120}"; then
	step runC train_run C "$W/loose.yaml" --batch-dir "$W/run-B/batch"
else
	skip runC "too little time left before GPU_CHECK_DEADLINE=$DEADLINE s"
fi
step rollback rollbacks
report
