#!/usr/bin/env python3
"""Generate mnemo's seed (replay) set and probe set for the builtin student.

    scripts/gen-seed-data.py            # writes data/seed/ and data/probe/
    scripts/gen-seed-data.py --check    # regenerate in memory, fail if files differ

Python 3 standard library only; deterministic (fixed seeds, no clock), so the
committed files are exactly what this script prints.

Each row is in the *.raw.jsonl format of DESIGN §7.1 (source "replay"). The
observations are composed from many templates (developer work, errors and
stack traces, decisions, numbers-heavy logs, config changes, short inputs,
meetings and people, incidents, releases...) times vocabularies, with labels
that follow fixed, internally consistent rules per template. Targets are
extractive and faithful: content is the normalised input, summary and gist
come from its key sentences, concepts are lowercase terms of the input, so
every target scores EPR 1 and FR 0 with the verifier.

The text helpers below mirror src/student.c (content normalisation,
sentence splitting, word cuts, concept candidates), so the student's
sentence and concept scorers learn from labels it can reproduce.

The probe set uses other seeds and some vocabulary that never occurs in
the seed set, and no probe text is also a seed text.
"""
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "data/seed/seed.raw.jsonl"
PROBE_FILE = ROOT / "data/probe/probe.raw.jsonl"
N_SEED = 420
N_PROBE = 80

# ---------------------------------------------------------------- text rules
# (mirrors of src/student.c)

WS = " \t\r\v\f"
WSN = WS + "\n"
GIST_MAX = 60
SUMMARY_MAX = 400
COMPRESS_BYTES = 1024

STOP = set("""
the and for are but not you all any can had her was one our out has have him his how its may
new now see two way who did get got let put say she too use used using this that with from
they them then than there their these those been being were will would should could into onto
over under again also just only very more most some such what when where which while why about
after before because since each other both here same still yet okay per via etc does doing done
make made need needs want like think thing things much many lot lots well back next last first
today yesterday tomorrow week day time your yours mine ours off own few every even ever never
always maybe might must shall hers himself itself myself ourselves themselves what's let's don
doesn didn isn wasn aren won can't through during without within between against above below
until upon whether though although however else once already really quite rather something
anything nothing everything someone anyone everyone around across along among took take takes
went goes going come came comes gets soon later earlier am is be it we he me my an as at by do
go if in no of on or so to up us ok yes seems seem looks look lets able instead whole part kind
sort bit bits
""".split())


def ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def is_blank(line):
    return line.strip(WS) == ""


def ends_title_word(s):
    s = s.rstrip(WSN)
    k = len(s)
    while k and "a" <= s[k - 1] <= "z":
        k -= 1
    return k < len(s) and k > 0 and "A" <= s[k - 1] <= "Z"


def starts_title_word(s):
    s = s.lstrip(WSN)
    return len(s) > 1 and "A" <= s[0] <= "Z" and "a" <= s[1] <= "z"


def repair(text):
    """NUL becomes a space; CR LF and lone CR become LF, except a CR between
    two title-case words (mirrors repair_text in src/features.c)."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\0":
            out.append(" ")
        elif c == "\r":
            nxt = i + 2 if i + 1 < n and text[i + 1] == "\n" else i + 1
            if ends_title_word("".join(out)) and starts_title_word(text[nxt:]):
                out.append("\r")
            elif nxt == i + 1:
                out.append("\n")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def normalize(text):
    """Content normalisation of src/features.c (mn_features_normalize)."""
    t = repair(text)
    lines = t.split("\n")
    first = 0
    while first < len(lines) and is_blank(lines[first]):
        first += 1
    last = len(lines)
    while last > first and is_blank(lines[last - 1]):
        last -= 1
    if first == last:
        return ""
    lines = list(lines)
    lines[first] = lines[first].lstrip(WS)
    lines[last - 1] = lines[last - 1].rstrip(WS)
    total = (last - first - 1) + sum(len(lines[i].encode()) for i in range(first, last))
    compress = total > COMPRESS_BYTES
    seen = set()
    out = []
    pk = None
    for i in range(first, last):
        ln = lines[i]
        if is_blank(ln):
            continue
        if compress:
            key = ln.strip(WS)
            if key in seen:
                continue
            seen.add(key)
        if pk is not None:
            if i == pk + 1:
                out.append("\n")
            elif ends_title_word(lines[pk]) and starts_title_word(ln):
                out.append("\n".join([""] + lines[pk + 1:i] + [""]))
            else:
                out.append("\n" if compress else "\n\n")
        out.append(ln)
        pk = i
    return "".join(out)


SENT_SPLIT = re.compile(r"(?<=[.!?])[ \t\r\v\f]+")


def split_sentences(text):
    out = []
    for line in text.split("\n"):
        line = line.strip(WS)
        if line:
            out.extend(p for p in SENT_SPLIT.split(line) if p)
    return out


def cut_words(s, maxc):
    if len(s) <= maxc:
        return s
    p = maxc
    q = p
    while q > 0 and s[q] not in WSN:
        q -= 1
    if q == 0:
        return s[:p]
    while q > 0 and (s[q - 1] in WSN or s[q - 1] in ",;:-("):
        q -= 1
    return s[:q] if q else s[:p]


def fix_tail(s, maxc):
    for _ in range(8):
        if not s or not ends_title_word(s):
            break
        q = len(s)
        while q and s[q - 1] not in WSN:
            q -= 1
        if len(s) < maxc:
            # a full stop would extend an absolute path ending in the word
            return s + ("\u2026" if "/" in s[q:] else ".")
        q = len(s)
        while q and s[q - 1] not in WSN:
            q -= 1
        while q and (s[q - 1] in WSN or s[q - 1] in ",;:-("):
            q -= 1
        if not q:
            return s[:maxc - 1] + "\u2026"
        s = s[:q]
    return s


TERM = re.compile(r"[A-Za-z0-9_\-\u0080-\U0010ffff]+")


def candidates(text):
    out = []
    for m in TERM.finditer(text):
        t = m.group().strip("-_")
        n = len(t.encode())
        if n < 3 or n > 32 or not ("a" <= t[0] <= "z" or "A" <= t[0] <= "Z"):
            continue
        term = ascii_lower(t)
        if term in STOP or term in out:
            continue
        out.append(term)
    return out


def summarize(sentences):
    if len(sentences) == 1:
        return fix_tail(cut_words(sentences[0], SUMMARY_MAX), SUMMARY_MAX)
    s = ""
    for x in sentences:
        if s:
            s += " " if s[-1] in ".!?;:" else "; "
        s += x
    return fix_tail(s, SUMMARY_MAX)


# ---------------------------------------------------------------- vocabulary
# Lists end with a few values that only the probe set uses.

COMPONENTS = ["auth-service", "billing-api", "search-indexer", "payment-gateway", "user-profile",
              "notification-worker", "ingest-pipeline", "report-builder", "session-cache",
              "image-resizer", "feature-flags", "rate-limiter", "job-scheduler", "web-frontend",
              "mobile-app", "admin-console", "analytics-etl", "email-sender", "api-gateway",
              "data-exporter", "audit-log", "invoice-renderer", "geo-lookup", "chat-relay",
              "pdf-service", "ledger-sync"]
COMPONENTS_PROBE = ["quota-manager", "webhook-dispatcher", "thumbnail-farm", "sso-bridge"]
TECHS = ["postgres", "redis", "sqlite", "kafka", "nginx", "docker", "kubernetes", "terraform",
         "grafana", "prometheus", "elasticsearch", "rabbitmq", "mongodb", "graphql", "webpack",
         "pytest", "celery", "envoy", "vault", "clickhouse", "duckdb", "nats"]
TECHS_PROBE = ["cassandra", "memcached", "opensearch"]
PEOPLE = ["Alice Chen", "Bob Martinez", "Carol Singh", "David Okafor", "Emma Larsen",
          "Farid Haddad", "Grace Kim", "Hiro Tanaka", "Ines Duarte", "Jonas Weber", "Priya Raman",
          "Tom Becker", "Lena Novak", "Omar Aziz", "Sara Lindqvist", "Marco Rossi",
          "José Núñez", "Zoë Fischer"]
PEOPLE_PROBE = ["Nadia Petrova", "Kenji Watanabe", "Ruth Adeyemi"]
FILES = ["src/auth/session.go", "api/handlers/users.py", "lib/cache.ts", "cmd/server/main.go",
         "config/app.yaml", "deploy/values.yaml", "scripts/migrate.sh",
         "db/migrations/0042_add_index.sql", "docs/architecture.md", "src/parser.c",
         "include/parser.h", "tests/test_api.py", "web/src/router.ts", "internal/queue/worker.go",
         "services/billing/invoice.py", "pkg/retry/backoff.go", "src/store/index.cpp",
         "etl/jobs/daily_rollup.py", "infra/main.toml", "src/http/client.c"]
FILES_PROBE = ["tools/lint/rules.py", "src/crypto/keys.go", "app/models/order.ts"]
ABS_PATHS = ["/etc/nginx/nginx.conf", "/var/log/app/error.log", "/home/dev/.config/app.yaml",
             "/opt/mnemo/bin/worker", "/tmp/build-cache", "/usr/local/lib/libfoo.so"]
ENVS = ["production", "staging", "canary", "eu-west", "us-east"]
BRANCHES = ["main", "release-2.4", "develop", "feature/search-v2", "hotfix/login"]
ERRORS = ["connection refused", "context deadline exceeded", "out of memory",
          "permission denied", "TLS handshake timeout", "deadlock detected", "disk quota exceeded",
          "too many open files", "checksum mismatch", "connection reset by peer",
          "no space left on device", "unexpected EOF"]
ERRORS_PROBE = ["certificate has expired", "broken pipe"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SOURCES = ["claude-code", "cli", "mcp", "cursor", None]
FEATURES = ["dark mode", "bulk export", "SSO login", "audit trail", "saved searches",
            "webhook retries", "CSV import", "usage dashboard", "two-factor auth",
            "offline sync"]
FUNCS = ["parse_header", "loadConfig", "resolve_path", "renderInvoice", "hash_block",
         "fetchUsers", "merge_segments", "computeDiff", "encode_frame", "flush_batch"]
DEPS = ["openssl", "libcurl", "lodash", "requests", "protobuf", "zlib", "numpy", "react",
        "tokio", "jackson"]


class Gen:
    def __init__(self, seed, probe):
        self.r = random.Random(seed)
        self.probe = probe

    def pick(self, base, extra=()):
        pool = list(base) + (list(extra) * 3 if self.probe else [])
        return self.r.choice(pool)

    def comp(self):
        return self.pick(COMPONENTS, COMPONENTS_PROBE)

    def tech(self):
        return self.pick(TECHS, TECHS_PROBE)

    def person(self):
        return self.pick(PEOPLE, PEOPLE_PROBE)

    def file(self):
        return self.pick(FILES, FILES_PROBE)

    def error(self):
        return self.pick(ERRORS, ERRORS_PROBE)

    def version(self):
        r = self.r
        if r.random() < 0.3:
            return "v%d.%d" % (r.randint(0, 5), r.randint(0, 20))
        return "v%d.%d.%d" % (r.randint(0, 5), r.randint(0, 20), r.randint(0, 12))

    def num(self, a, b):
        return self.r.randint(a, b)

    def chance(self, p):
        return self.r.random() < p


# ---------------------------------------------------------------- templates
# Each returns a dict: text, key (sentences for the summary, best first),
# concepts (wanted, filtered to candidates later), sig, tone, outcome,
# salience, type, entities [(name, type)], actions [(verb, object)].


def t_deploy_success(g):
    c, v, env = g.comp(), g.version(), g.pick(ENVS)
    first = g.r.choice([
        f"Deployed {c} {v} to {env}.",
        f"The deploy of {c} {v} to {env} finished without errors.",
        f"Rolled out {c} {v} on {env}; all pods are healthy.",
    ])
    extra = g.r.choice([
        f"Health checks are green and p95 latency stayed at {g.num(20, 300)} ms.",
        f"Rollout took {g.num(2, 40)} minutes.",
        "No alerts fired during the rollout.",
        "",
    ])
    prod = env == "production"
    return dict(text=" ".join(x for x in [first, extra] if x), key=[first],
                concepts=[c, "deploy", env, "rollout"], sig="notable" if prod else "routine",
                tone="satisfying", outcome="success", salience=0.6 if prod else 0.45,
                type="event", entities=[(c, "service"), (v, "version")],
                actions=[("deployed", f"{c} {v} to {env}")])


def t_deploy_failure(g):
    c, v, env, err = g.comp(), g.version(), g.pick(ENVS), g.error()
    v0 = g.version()
    first = g.r.choice([
        f"Deploy of {c} {v} to {env} failed: {err}.",
        f"The {env} rollout of {c} {v} broke with \"{err}\".",
        f"{c} {v} failed to start on {env} ({err}).",
    ])
    second = g.r.choice([f"Rolled back to {v0}.", f"Reverted to {v0} and paged on-call.",
                         "Investigating the logs now."])
    prod = env == "production"
    outage = prod and g.chance(0.4)
    third = f"About {g.num(50, 4000)} customers saw errors for {g.num(3, 45)} minutes." if outage else ""
    text = " ".join(x for x in [first, second, third] if x)
    return dict(text=text, key=[first, third] if third else [first],
                concepts=[c, "deploy", "rollout", env, "rollback"],
                sig="critical" if outage else "important",
                tone="concerning" if outage else "frustrating", outcome="failure",
                salience=0.9 if outage else 0.7, type="error",
                entities=[(c, "service"), (v, "version"), (v0, "version")],
                actions=[("rolled", f"back to {v0}")] if "Rolled" in second else [])


def t_tests_pass(g):
    c, br, n = g.comp(), g.pick(BRANCHES), g.num(12, 3400)
    s = g.r.choice([
        f"All {n} tests pass on {br}.",
        f"CI is green for {c} on {br} after the fix.",
        f"Test suite for {c} passes: {n} passed, 0 failed in {g.num(8, 600)}s.",
        f"Unit and integration tests pass locally for {c}.",
    ])
    return dict(text=s, key=[s], concepts=[c, "tests", "ci", br.split("/")[-1]],
                sig="routine", tone="satisfying", outcome="success", salience=0.3,
                type="observation", entities=[(c, "service")], actions=[])


def t_tests_fail(g):
    c, f, n = g.comp(), g.file(), g.num(1, 40)
    first = g.r.choice([
        f"{n} tests failing in {f} after the refactor.",
        f"Flaky test in {f} failed again on CI; third time this week.",
        f"CI for {c} is red: {n} failures in {f}.",
        f"The integration tests for {c} keep timing out on CI.",
    ])
    extra = g.r.choice(["Annoying, the same test passed locally.",
                        f"Blocking the merge of {c}.", ""])
    return dict(text=" ".join(x for x in [first, extra] if x), key=[first],
                concepts=[c, "tests", "ci", "flaky", "refactor"], sig="notable",
                tone="frustrating", outcome="failure", salience=0.5, type="error",
                entities=[(f, "file"), (c, "service")], actions=[])


def t_stack_trace(g):
    f, f2 = g.file(), g.file()
    kind = g.r.choice(["py", "go", "js"])
    if kind == "py":
        exc = g.r.choice(["KeyError: 'user_id'", "ValueError: invalid literal for int()",
                          "TimeoutError: read timed out", "AttributeError: 'NoneType' object "
                          "has no attribute 'id'"])
        lines = ["Traceback (most recent call last):",
                 f'  File "{f}", line {g.num(10, 900)}, in handle',
                 f'  File "{f2}", line {g.num(10, 900)}, in load',
                 exc]
        head = exc
    elif kind == "go":
        head = g.r.choice(["panic: runtime error: invalid memory address or nil pointer "
                           "dereference", "panic: send on closed channel",
                           "fatal error: concurrent map writes"])
        lines = [head, "", f"goroutine {g.num(1, 300)} [running]:",
                 f"main.handle(0x{g.num(4096, 65535):x})",
                 f"\t{f}:{g.num(10, 900)} +0x{g.num(16, 255):x}"]
    else:
        head = g.r.choice(["TypeError: Cannot read properties of undefined (reading 'id')",
                           "RangeError: Maximum call stack size exceeded",
                           "Error: connect ECONNREFUSED 127.0.0.1:5432"])
        lines = [head, f"    at handler ({f}:{g.num(10, 900)}:{g.num(1, 80)})",
                 f"    at process ({f2}:{g.num(10, 900)}:{g.num(1, 80)})"]
    intro = g.r.choice(["", f"Crash in {g.comp()} during the nightly job:",
                        "Got this when running the importer:"])
    text = "\n".join(([intro] if intro else []) + lines)
    key = [head] if not intro else [intro, head]
    return dict(text=text, key=key, concepts=["crash", "traceback", "panic", "importer"],
                sig="important", tone="frustrating", outcome="failure", salience=0.65,
                type="error", entities=[(f, "file"), (f2, "file")], actions=[])


def t_decision(g):
    a, b = g.tech(), g.tech()
    while b == a:
        b = g.tech()
    c = g.comp()
    reason = g.r.choice(["it is simpler to operate", "the team already knows it",
                         "it halves the hosting cost", "we need strict ordering",
                         "latency matters more than throughput here"])
    first = g.r.choice([
        f"Decided to use {a} instead of {b} for {c}.",
        f"We chose {a} over {b} for the {c} queue.",
        f"Decision: {c} moves from {b} to {a}.",
    ])
    second = f"The main reason is that {reason}." if g.chance(0.5) else f"Chosen because {reason}."
    return dict(text=f"{first} {second}", key=[first, second],
                concepts=[a, b, c, "decision"], sig="important", tone="neutral",
                outcome="success", salience=0.75, type="decision",
                entities=[(a, "technology"), (b, "technology"), (c, "service")],
                actions=[("chose", f"{a} over {b}")] if "chose" in first else [],
                causality=("because", second) if "because" in second else None)


def t_proposal(g):
    a, b, c = g.tech(), g.tech(), g.comp()
    s = g.r.choice([
        f"Considering switching {c} from {a} to {b}; need benchmarks first.",
        f"Proposal: replace {a} with {b} in {c}. Waiting for feedback from the team.",
        f"Not sure yet whether {c} should keep {a} or adopt {b}.",
    ])
    parts = split_sentences(s)
    return dict(text=s, key=[parts[0]], concepts=[a, b, c, "proposal", "benchmarks"],
                sig="notable", tone="neutral", outcome="ongoing", salience=0.5,
                type="decision", entities=[(a, "technology"), (b, "technology")], actions=[])


def t_metrics(g):
    c = g.comp()
    s = g.r.choice([
        f"p99 latency for {c} is {g.num(40, 2500)} ms over {g.num(1000, 99000):,} requests; "
        f"error rate {g.num(0, 9)}.{g.num(0, 99):02d}%.",
        f"{c}: {g.num(100, 9000)} req/s, CPU {g.num(5, 99)}%, memory {g.num(200, 7900)} MB, "
        f"GC pauses {g.num(1, 90)} ms.",
        f"Nightly batch processed {g.num(10000, 9000000):,} rows in {g.num(3, 300)} minutes "
        f"({g.num(100, 9999)} rows/s).",
        f"Disk usage on the {c} volume is at {g.num(40, 79)}% ({g.num(100, 900)} GB of "
        f"{g.num(1000, 2000)} GB).",
    ])
    return dict(text=s, key=[s], concepts=[c, "latency", "requests", "batch", "disk"],
                sig="routine", tone="neutral", outcome="unknown", salience=0.35,
                type="metric", entities=[(c, "service")], actions=[])


def t_log_lines(g):
    c = g.comp()
    lines = []
    for _ in range(g.num(3, 7)):
        lines.append(f"{g.r.choice(['GET', 'POST', 'PUT'])} /api/{g.r.choice(['users', 'orders', 'items', 'search'])}"
                     f"/{g.num(1, 9999)} {g.r.choice([200, 200, 200, 201, 204, 304])} "
                     f"{g.num(1, 900)}ms")
    head = f"Access log sample from {c}:"
    return dict(text="\n".join([head] + lines), key=[head, lines[0]],
                concepts=[c, "access", "log"], sig="routine", tone="neutral",
                outcome="unknown", salience=0.2, type="metric", entities=[(c, "service")],
                actions=[])


def t_perf(g):
    fn, f = g.r.choice(FUNCS), g.file()
    a = g.num(80, 4000)
    b = g.num(5, a // 2)
    pct = round(100 * (a - b) / a)
    s = g.r.choice([
        f"Optimised {fn} in {f}: runtime dropped from {a} ms to {b} ms ({pct}% faster).",
        f"Rewrote the hot loop in {fn}; the benchmark went from {a} ms to {b} ms!",
        f"Caching in {f} cut the median request time from {a} ms to {b} ms.",
    ])
    return dict(text=s, key=[s], concepts=[fn.lower(), "benchmark", "caching", "runtime"],
                sig="notable", tone="exciting", outcome="success", salience=0.6,
                type="observation", entities=[(fn, "function"), (f, "file")], actions=[])


def t_config(g):
    f = g.pick(FILES + ["config/app.yaml", "deploy/values.yaml"])
    s = g.r.choice([
        f"Set max_connections to {g.num(10, 500)} in {f}.",
        f"Bumped {g.r.choice(DEPS)} to {g.version()} in {f}.",
        f"Changed the log level of {g.comp()} from debug to info.",
        f"Raised the worker timeout to {g.num(10, 300)}s in {f}.",
        f"Enabled gzip compression in {g.r.choice(ABS_PATHS[:1])}.",
        f"Renamed the env var DB_URL to DATABASE_URL in {f}.",
    ])
    return dict(text=s, key=[s], concepts=["max_connections", "timeout", "config", "gzip",
                                           "log", "database_url"] + DEPS,
                sig="routine", tone="neutral", outcome="success", salience=0.25,
                type="observation", entities=[(f, "file")], actions=[])


SHORT = [
    ("ok", "routine", "neutral", "unknown", 0.05, []),
    ("okay", "routine", "neutral", "unknown", 0.05, []),
    ("done", "routine", "neutral", "success", 0.1, []),
    ("done.", "routine", "neutral", "success", 0.1, []),
    ("tests pass", "routine", "satisfying", "success", 0.15, ["tests"]),
    ("tests pass now", "routine", "satisfying", "success", 0.15, ["tests"]),
    ("all green", "routine", "satisfying", "success", 0.15, ["green"]),
    ("build green", "routine", "satisfying", "success", 0.15, ["build"]),
    ("merged", "routine", "satisfying", "success", 0.15, ["merged"]),
    ("shipped it", "routine", "satisfying", "success", 0.2, ["shipped"]),
    ("lgtm", "routine", "neutral", "success", 0.1, ["lgtm"]),
    ("wip", "routine", "neutral", "ongoing", 0.1, ["wip"]),
    ("still working on it", "routine", "neutral", "ongoing", 0.1, ["working"]),
    ("on it", "routine", "neutral", "ongoing", 0.05, []),
    ("thanks", "routine", "neutral", "unknown", 0.05, ["thanks"]),
    ("noted", "routine", "neutral", "unknown", 0.05, ["noted"]),
    ("build broken", "notable", "frustrating", "failure", 0.3, ["build", "broken"]),
    ("tests fail", "notable", "frustrating", "failure", 0.3, ["tests", "fail"]),
    ("ugh, flaky again", "routine", "frustrating", "failure", 0.25, ["flaky"]),
    ("it works!", "routine", "exciting", "success", 0.2, ["works"]),
    ("finally fixed", "routine", "satisfying", "success", 0.2, ["fixed"]),
    ("prod is down", "critical", "concerning", "failure", 0.85, ["prod"]),
    ("deploying now", "routine", "neutral", "ongoing", 0.15, ["deploying"]),
    ("reverted", "routine", "neutral", "success", 0.15, ["reverted"]),
    ("need to check this", "routine", "neutral", "unknown", 0.1, ["check"]),
    ("fixed the typo", "routine", "neutral", "success", 0.05, ["typo"]),
    ("ci red", "notable", "frustrating", "failure", 0.3, ["red"]),
    ("rollback done", "notable", "neutral", "success", 0.3, ["rollback"]),
]
SHORT_PROBE = [
    ("alright", "routine", "neutral", "unknown", 0.05, []),
    ("pipeline passes", "routine", "satisfying", "success", 0.15, ["pipeline", "passes"]),
    ("deploy failed", "notable", "frustrating", "failure", 0.35, ["deploy"]),
    ("still investigating", "routine", "neutral", "ongoing", 0.1, ["investigating"]),
]


def t_short(g):
    pool = SHORT + (SHORT_PROBE * 3 if g.probe else [])
    s, sig, tone, out, sal, con = g.r.choice(pool)
    if g.chance(0.3):
        s = s[0].upper() + s[1:]
    return dict(text=s, key=[s], concepts=con, sig=sig, tone=tone, outcome=out, salience=sal,
                type="note", entities=[], actions=[])


def t_meeting(g):
    p1, p2 = g.person(), g.person()
    while p2 == p1:
        p2 = g.person()
    topic = g.r.choice(["the Q3 roadmap", "the migration plan", "on-call rotation",
                        "the pricing page", "search relevance", "the incident review"])
    day = g.pick(DAYS)
    first = g.r.choice([
        f"Met with {p1} and {p2} about {topic}.",
        f"Sync with {p1} on {topic}.",
        f"Call with {p2} about {topic} today.",
    ])
    second = g.r.choice([
        f"{p1} will draft the proposal by {day}.",
        f"{p2} owns the follow-up; next sync on {day}.",
        f"Open question: who takes over {g.comp()}?",
    ])
    words = [w.strip(".") for w in topic.split() if len(w) > 3]
    return dict(text=f"{first} {second}", key=[first, second],
                concepts=words + ["meeting", "sync", "follow-up"], sig="notable",
                tone="neutral", outcome="ongoing", salience=0.5, type="meeting",
                entities=[(p1, "person"), (p2, "person")], actions=[])


def t_person(g):
    p, c, t = g.person(), g.comp(), g.tech()
    s = g.r.choice([
        f"{p} owns {c} now and prefers small pull requests.",
        f"{p} is the go-to person for {t} questions.",
        f"Ask {p} before touching {c}; they wrote most of it.",
        f"{p} is on vacation until {g.pick(DAYS)}.",
    ])
    return dict(text=s, key=[s], concepts=[c, t, "vacation", "owner"], sig="routine",
                tone="neutral", outcome="unknown", salience=0.4, type="note",
                entities=[(p, "person")], actions=[])


def t_security(g):
    c, f = g.comp(), g.file()
    s1 = g.r.choice([
        f"Found an AWS access key committed in {f}.",
        f"Security: the {c} admin endpoint was reachable without auth.",
        f"A leaked API token for {c} showed up in a public gist.",
    ])
    s2 = g.r.choice(["Key rotation is in progress.", "Revoked it and opened an incident.",
                     "Checking the access logs for misuse."])
    return dict(text=f"{s1} {s2}", key=[s1, s2], concepts=[c, "security", "key", "token",
                                                          "incident"],
                sig="critical", tone="concerning", outcome="ongoing", salience=0.9,
                type="error", entities=[(f, "file"), (c, "service")], actions=[])


def t_outage(g):
    c, n, k = g.comp(), g.num(4, 180), g.num(100, 90000)
    cause = g.r.choice(["an expired TLS certificate", "a bad config push",
                        "connection pool exhaustion in " + g.tech(), "a full disk on the primary",
                        "a DNS misconfiguration"])
    s1 = f"Production outage: {c} was down for {n} minutes and about {k:,} users were affected."
    s2 = f"Root cause was {cause}."
    return dict(text=f"{s1} {s2}", key=[s1, s2], concepts=[c, "outage", "production",
                                                          "certificate", "dns"],
                sig="critical", tone="concerning", outcome="failure", salience=0.95,
                type="error", entities=[(c, "service")], actions=[])


def t_backup(g):
    db = g.tech()
    s = g.r.choice([
        f"The backup job for {db} has not run since {g.pick(DAYS)}; {g.num(20, 900)} GB at risk.",
        f"Restore test of the {db} backup failed: {g.error()}.",
    ])
    parts = split_sentences(s)
    return dict(text=s, key=[parts[0]], concepts=[db, "backup", "restore"], sig="important",
                tone="concerning", outcome="failure", salience=0.8, type="error",
                entities=[(db, "technology")], actions=[])


def t_milestone(g):
    c, n, t = g.comp(), g.num(1000, 900000), g.num(2, 90)
    s1 = g.r.choice([
        f"First end-to-end run of {c} worked! Processed {n:,} records in {t} seconds.",
        f"Huge win: {c} now handles {n:,} events per minute on a single node.",
        f"The new {c} prototype works end to end 🎉 {n:,} records in {t} seconds.",
    ])
    parts = split_sentences(s1)
    return dict(text=s1, key=parts[:2], concepts=[c, "prototype", "records", "events"],
                sig="notable", tone="exciting", outcome="success", salience=0.7,
                type="observation", entities=[(c, "service")], actions=[])


def t_bugfix(g):
    f, c = g.file(), g.comp()
    bug = g.r.choice(["off-by-one error", "race condition", "memory leak", "timezone bug",
                      "null check", "retry storm", "encoding bug"])
    first = g.r.choice([
        f"Fixed the {bug} in {f}.",
        f"Found and fixed the {bug} in {c} ({f}).",
    ])
    second = g.r.choice([f"It was caused by a missing lock around the cache.",
                         "The nightly job is stable again.", "Added a regression test.", ""])
    text = " ".join(x for x in [first, second] if x)
    return dict(text=text, key=[first], concepts=[bug.split()[-1], c, "cache", "regression"],
                sig="notable", tone="satisfying", outcome="success", salience=0.55,
                type="observation", entities=[(f, "file")],
                actions=[("fixed", first.split("fixed ")[-1].rstrip("."))],
                causality=("caused", second) if "caused" in second else None)


def t_investigating(g):
    c, n = g.comp(), g.num(5, 900)
    s1 = g.r.choice([
        f"Still investigating why {c} leaks memory under load; heap grows {n} MB per hour.",
        f"Can't reproduce the {c} timeout locally yet.",
        f"Bisecting the slowdown in {c}; {n} commits left to check.",
    ])
    s2 = g.r.choice(["This is taking longer than expected.", "", "Will pick it up tomorrow."])
    text = " ".join(x for x in [s1, s2] if x)
    return dict(text=text, key=[s1], concepts=[c, "memory", "timeout", "slowdown", "heap"],
                sig="notable", tone="frustrating", outcome="ongoing", salience=0.55,
                type="observation", entities=[(c, "service")], actions=[])


def t_refactor(g):
    f = g.file()
    s = g.r.choice([
        f"Started refactoring {f} to split the parser into smaller functions.",
        f"Working on moving {g.comp()} to the new config loader.",
        f"Halfway through the cleanup of {f}.",
    ])
    return dict(text=s, key=[s], concepts=["parser", "config", "loader", "cleanup",
                                           "refactoring"],
                sig="routine", tone="neutral", outcome="ongoing", salience=0.35,
                type="observation", entities=[(f, "file")], actions=[])


def t_question(g):
    c, p = g.comp(), g.person()
    s1 = g.r.choice([
        f"Why does {c} retry {g.num(3, 12)} times before giving up?",
        f"Is the {c} cache invalidated when a user is deleted?",
        f"Where is the rate limit for {c} configured?",
    ])
    s2 = f"Need to check with {p}."
    return dict(text=f"{s1} {s2}", key=[s1], concepts=[c, "cache", "retry", "limit"],
                sig="routine", tone="neutral", outcome="unknown", salience=0.35,
                type="note", entities=[(c, "service"), (p, "person")], actions=[])


def t_release(g):
    c, v, feat, n = g.comp(), g.version(), g.pick(FEATURES), g.num(3, 60)
    s1 = g.r.choice([
        f"Released {c} {v} with {feat} and {n} bug fixes.",
        f"{c} {v} is out: {feat}, plus {n} fixes.",
    ])
    s2 = g.r.choice(["Changelog is in docs/CHANGELOG.md.", "Announcement goes out tomorrow.", ""])
    text = " ".join(x for x in [s1, s2] if x)
    return dict(text=text, key=[s1], concepts=[c, "release", "changelog", "fixes"],
                sig="important", tone="satisfying", outcome="success", salience=0.7,
                type="event", entities=[(c, "service"), (v, "version")], actions=[])


def t_insight(g):
    t = g.tech()
    fact = g.r.choice([
        "needs an index on the foreign key or deletes become table scans",
        "silently truncates values longer than the column size",
        "keeps idle connections open for 10 minutes by default",
        "retries failed jobs with exponential backoff out of the box",
        "reads its config only at startup, so a reload needs a restart",
    ])
    s = g.r.choice([f"Learned that {t} {fact}.", f"TIL: {t} {fact}."])
    return dict(text=s, key=[s], concepts=[t, "index", "config", "backoff", "connections"],
                sig="notable", tone="neutral", outcome="unknown", salience=0.5,
                type="insight", entities=[(t, "technology")], actions=[])


def t_review(g):
    p, feat = g.person(), g.pick(FEATURES)
    s = g.r.choice([
        f"{p} approved the PR for {feat}; merging after CI.",
        f"Review comments from {p} on {feat} are addressed, waiting for approval.",
        f"Opened a PR for {feat} and asked {p} to review.",
    ])
    return dict(text=s, key=[s], concepts=[feat.split()[-1], "review", "approval"],
                sig="routine", tone="neutral", outcome="ongoing", salience=0.35,
                type="event", entities=[(p, "person")], actions=[])


def t_vuln(g):
    dep, n = g.r.choice(DEPS), g.num(1, 14)
    s = g.r.choice([
        f"Dependency audit reports {n} high severity vulnerabilities in {dep}.",
        f"{dep} {g.version()} has a known CVE; we are affected.",
    ])
    return dict(text=s, key=[s], concepts=[dep, "audit", "vulnerabilities", "cve"],
                sig="important", tone="concerning", outcome="unknown", salience=0.75,
                type="error", entities=[(dep, "library")], actions=[])


def t_migration_log(g):
    """A long log (over 1 KB) with repeated lines: exercises compression."""
    c, db = g.comp(), g.tech()
    ok = g.chance(0.5)
    lines = [f"Running migrations for {c} against {db}."]
    for i in range(g.num(14, 22)):
        lines.append(f"[{i:02d}] applying db/migrations/{40 + i:04d}_step.sql ... ok "
                     f"({g.num(3, 900)} ms)")
        if g.chance(0.3):
            lines.append("WARN: lock wait exceeded 500 ms, retrying")
    if ok:
        end = f"All migrations applied in {g.num(20, 300)} s."
    else:
        end = f"ERROR: migration {g.num(60, 80):04d}_step.sql failed: {g.error()}."
    lines.append(end)
    text = "\n".join(lines)
    return dict(text=text, key=[end, lines[0]], concepts=[c, db, "migrations", "lock"],
                sig="notable" if ok else "important", tone="satisfying" if ok else "frustrating",
                outcome="success" if ok else "failure", salience=0.5 if ok else 0.7,
                type="observation" if ok else "error", entities=[(c, "service")], actions=[])


def t_unicode(g):
    c, v, p = g.comp(), g.version(), g.person()
    s, sig, tone, out, sal = g.r.choice([
        (f"Déploiement de {c} {v} terminé, tout est vert.", "routine", "satisfying",
         "success", 0.45),
        (f"Der Build von {c} ist fehlgeschlagen: {g.error()}.", "notable", "frustrating",
         "failure", 0.5),
        (f"{p} hat die Überprüfung von {c} abgeschlossen.", "routine", "neutral", "success",
         0.35),
        (f"{c} のデプロイが完了しました ({v}).", "routine", "satisfying", "success", 0.45),
    ])
    return dict(text=s, key=[s], concepts=[c], sig=sig, tone=tone, outcome=out, salience=sal,
                type="observation", entities=[(c, "service")], actions=[])


TEMPLATES = [
    (t_deploy_success, 7), (t_deploy_failure, 7), (t_tests_pass, 5), (t_tests_fail, 5),
    (t_stack_trace, 5), (t_decision, 7), (t_proposal, 4), (t_metrics, 5), (t_log_lines, 3),
    (t_perf, 4), (t_config, 5), (t_short, 7), (t_meeting, 5), (t_person, 3), (t_security, 3),
    (t_outage, 3), (t_backup, 2), (t_milestone, 3), (t_bugfix, 5), (t_investigating, 4),
    (t_refactor, 3), (t_question, 3), (t_release, 4), (t_insight, 3), (t_review, 3),
    (t_vuln, 2), (t_migration_log, 2), (t_unicode, 2),
]


# ---------------------------------------------------------------- rows

def encode(obs):
    content = normalize(obs["text"])
    sents = split_sentences(content)
    key = [k for k in obs["key"] if k]
    for k in key:
        assert k in sents, (k, sents)
    ordered = [s for s in sents if s in key]
    summary = summarize(ordered)
    gist = fix_tail(cut_words(key[0], GIST_MAX), GIST_MAX)
    cands = candidates(content)
    concepts = []
    for c in obs["concepts"]:
        c = ascii_lower(c)
        if c in cands and c not in concepts:
            concepts.append(c)
    concepts = concepts[:4]
    entities = []
    for name, etype in obs.get("entities", []):
        if name in content and all(e["name"] != name for e in entities):
            sent = next((s for s in sents if name in s), "")
            entities.append({"name": name, "type": etype,
                             "context": cut_words(sent, GIST_MAX)})
    actions = [{"verb": v, "object": o, "details": ""} for v, o in obs.get("actions", [])
               if o and o in content]
    causality = []
    if obs.get("causality"):
        rel, desc = obs["causality"]
        causality.append({"relation": rel, "description": desc})
    return {
        "gist": gist,
        "summary": summary,
        "content": content,
        "narrative": "",
        "concepts": concepts,
        "structured_concepts": {
            "topics": [{"label": c, "path": c} for c in concepts],
            "entities": entities,
            "actions": actions,
            "causality": causality,
        },
        "significance": obs["sig"],
        "emotional_tone": obs["tone"],
        "outcome": obs["outcome"],
        "salience": obs["salience"],
    }


def generate(seed, n, probe, exclude=()):
    g = Gen(seed, probe)
    funcs = [f for f, w in TEMPLATES for _ in range(w)]
    rows, seen = [], set(exclude)
    while len(rows) < n:
        obs = funcs[g.r.randrange(len(funcs))](g)
        text = obs["text"]
        # short inputs may repeat a few times (with other sources); others never
        key = text if obs["type"] != "note" or len(text) > 40 else (text, len(rows) % 3)
        if text in exclude or key in seen:
            continue
        seen.add(key)
        src = g.r.choice(SOURCES)
        rows.append({
            "raw_input": text,
            "encoded": encode(obs),
            "task_type": "encoding",
            "memory_id": None,
            "source": "replay",
            "epr": 1.0,
            "memory_type": obs["type"],
            "memory_source": src,
        })
    return rows


def dump(rows):
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for r in rows)


def main():
    seed_rows = generate(20260414, N_SEED, probe=False)
    probe_rows = generate(77, N_PROBE, probe=True,
                          exclude={r["raw_input"] for r in seed_rows})
    out = {SEED_FILE: dump(seed_rows), PROBE_FILE: dump(probe_rows)}
    if "--check" in sys.argv[1:]:
        bad = [str(p) for p, text in out.items()
               if not p.exists() or p.read_text(encoding="utf-8") != text]
        if bad:
            sys.exit("out of date: " + ", ".join(bad))
        return
    for path, text in out.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
