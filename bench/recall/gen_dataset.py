#!/usr/bin/env python3
"""gen_dataset.py - deterministic labelled recall dataset for mnemo.

Writes two JSONL files (default bench/recall/data/):

  memories.jsonl   {"id", "text", "project", "session", "type", "occurred_at"}
  questions.jsonl  {"id", "category", "query", "evidence": [ids], "evidence_mode":
                    "any"|"all", "project"?: str, "tags": [str]}

The generator first draws *facts* (a technology choice, a bug fix, a host migration, a
setting, an outage, a meeting decision, a release), plants the memories that state them
into multi-session work logs and conversations of six projects, fills every session with
distractors built from the same vocabulary, and then writes the questions from the facts
(never from any mnemo encoding). Everything comes from random.Random(SEED): the same seed
gives byte-identical files.

Usage: gen_dataset.py [--seed N] [--out DIR] [--sessions-per-project N]
"""
import argparse
import datetime as dt
import json
import os
import random

SEED = 20260412
HERE = os.path.dirname(os.path.abspath(__file__))

START = dt.date(2025, 9, 1)
END = dt.date(2026, 3, 27)

PROJECTS = ["atlas", "harbor", "nimbus", "quarry", "beacon", "ledger"]
PREFIX = {"atlas": "at", "harbor": "hb", "nimbus": "nb", "quarry": "qy", "beacon": "bc",
          "ledger": "lg"}
PEOPLE = ["Dana", "Priya", "Marco", "Lena", "Tomasz", "Aiko", "Femi", "Rosa", "Jonas", "Mei",
          "Omar", "Ines"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# ---------------------------------------------------------------- vocabulary

QUALIFIERS = ["invoice", "audit", "session", "thumbnail", "tenant", "webhook", "search",
              "export", "upload", "metrics", "notification", "report", "catalog", "payout",
              "inventory", "chat", "event", "profile", "geo", "pricing", "coupon", "shipment",
              "feed", "comment"]

# kind -> component noun, words the memory uses, words a paraphrasing question uses, choices
KINDS = {
    "database": ("store", ["database", "database engine"], ["DB", "datastore", "db"],
                 ["SQLite in WAL mode", "Postgres 16", "MySQL 8", "DuckDB", "CockroachDB",
                  "MariaDB"]),
    "cache": ("cache", ["cache backend", "caching layer"], ["in-memory store", "memo layer"],
              ["Redis", "Memcached", "an in-process LRU", "Valkey", "Dragonfly"]),
    "queue": ("queue", ["message broker", "queueing system"], ["messaging system", "MQ"],
              ["Kafka", "RabbitMQ", "NATS JetStream", "Redis Streams", "SQS"]),
    "format": ("payloads", ["serialization format", "encoding format"],
               ["wire format", "data format"],
               ["protobuf", "MessagePack", "JSON lines", "Avro", "CBOR"]),
    "codec": ("archives", ["compression codec", "compression algorithm"],
              ["compressor", "packing scheme"], ["zstd", "lz4", "gzip", "brotli", "xz"]),
}
REASONS = ["single binary, no server to run", "the team already runs it in production",
           "it was twice as fast in the load test", "it keeps operations simple",
           "licensing is clean", "it has the best client library for our stack",
           "lower memory use at our volume", "it survived the failover drill",
           "cheaper at the expected traffic", "it supports the transactions we need"]

# decision verbs: (memory form, question form); a paraphrase question uses another group
DECIDE = [("chose", "choose"), ("picked", "pick"), ("selected", "select"),
          ("went with", "go with"), ("settled on", "settle on"), ("opted for", "opt for"),
          ("adopted", "adopt"), ("decided on", "decide on")]

# bugs: (area, problem noun, file)
BUGS = [("lease renewal", "race", "worker/lease.c"), ("pagination", "off-by-one", "api/page.go"),
        ("image resizer", "memory leak", "media/resize.rs"),
        ("scheduler and reaper", "deadlock", "sched/reaper.c"),
        ("report dates", "timezone bug", "reports/dates.py"),
        ("payment retry", "double charge", "billing/retry.go"),
        ("CSV export", "encoding error", "export/csv.py"),
        ("login redirect", "loop", "web/auth/redirect.ts"),
        ("websocket reconnect", "storm", "client/ws.ts"), ("cron jobs", "overlap", "ops/cron.yaml"),
        ("token refresh", "expiry bug", "auth/refresh.go"),
        ("large uploads", "truncation", "upload/multipart.rs"),
        ("search highlighting", "crash", "search/highlight.py"),
        ("cold start", "cache stampede", "cache/warm.go"),
        ("feature flags", "stale read", "flags/client.ts"),
        ("webhook delivery", "duplicate send", "hooks/dispatch.go"),
        ("orders list", "N+1 query", "orders/list.py"),
        ("dark mode", "contrast bug", "ui/theme.css"),
        ("badge count", "drift", "push/badge.kt"), ("rate limiter", "leak", "gw/limiter.go"),
        ("invoice totals", "rounding error", "billing/totals.py"),
        ("daylight saving", "schedule shift", "sched/tz.c"),
        ("unicode filenames", "mangling", "storage/names.rs"),
        ("gzip responses", "double encoding", "gw/compress.go"),
        ("health check", "flapping", "ops/health.go"),
        ("worker shutdown", "zombie processes", "worker/pool.c"),
        ("log volume", "disk full", "ops/logrotate.conf"),
        ("certificate chain", "wrong order", "tls/bundle.go"),
        ("auth service", "retry storm", "auth/client.go"),
        ("thumbnail cache", "eviction bug", "media/cache.rs"),
        ("metrics exporter", "label explosion", "obs/export.go"),
        ("signup form", "validation bug", "web/signup.tsx"),
        ("migration runner", "lock timeout", "db/migrate.go"),
        ("backup job", "silent failure", "ops/backup.sh"),
        ("push tokens", "leak", "push/tokens.kt"), ("search index", "corruption", "search/segment.rs"),
        ("config reload", "crash", "core/reload.c"), ("billing cycle", "off-by-one", "billing/cycle.go"),
        ("profile photos", "rotation bug", "media/exif.py"),
        ("coupon codes", "case sensitivity bug", "pricing/coupon.py")]
FIX_MEM = ["patched", "resolved", "repaired", "fixed", "addressed"]
FIX_Q = {"patched": ["fix", "repair", "resolve"], "resolved": ["fix", "patch", "repair"],
         "repaired": ["fix", "patch", "resolve"], "fixed": ["patch", "resolve", "repair"],
         "addressed": ["fix", "patch", "repair"]}
BUG_MEM = ["bug", "issue", "defect", "problem"]
BUG_Q = {"bug": ["issue", "problem", "glitch"], "issue": ["bug", "problem", "glitch"],
         "defect": ["bug", "issue", "glitch"], "problem": ["bug", "issue", "defect"]}
HOWS = ["the row is now re-read under the lock", "added a bounds check and a regression test",
        "the buffer is freed on every early return", "the two locks are now taken in one order",
        "all times are converted to UTC before formatting", "retries carry an idempotency key",
        "the writer now sets the charset explicitly", "the handler stops after one redirect",
        "reconnects use jittered exponential backoff", "a lock file prevents overlapping runs",
        "the refresh happens five minutes before expiry", "the reader loops until EOF",
        "the handler escapes the match offsets", "one request fills the cache and others wait",
        "the client re-reads flags on every version bump", "deliveries are deduplicated by id",
        "the query now joins the items in one statement", "the palette was recomputed"]

# inflection: verb forms (base, past, ing, noun, noun plural), object (singular, plural)
ACTIONS = [
    (("migrate", "migrated", "migrating", "migration", "migrations"), ("host", "hosts"),
     "to {os}"),
    (("rotate", "rotated", "rotating", "rotation", "rotations"), ("key", "keys"),
     "for the {svc}"),
    (("deprecate", "deprecated", "deprecating", "deprecation", "deprecations"),
     ("endpoint", "endpoints"), "in the {api} API"),
    (("index", "indexed", "indexing", "index", "indexes"), ("column", "columns"),
     "on the {table} table"),
    (("shard", "sharded", "sharding", "shard", "shards"), ("table", "tables"), "by {shardkey}"),
    (("encrypt", "encrypted", "encrypting", "encryption", "encryptions"), ("backup", "backups"),
     "with {tool}"),
    (("archive", "archived", "archiving", "archive", "archives"), ("log", "logs"),
     "to the {bucket} bucket"),
    (("upgrade", "upgraded", "upgrading", "upgrade", "upgrades"), ("node", "nodes"),
     "to Kubernetes {k8s}"),
    (("decommission", "decommissioned", "decommissioning", "decommission", "decommissions"),
     ("replica", "replicas"), "in {region}"),
    (("provision", "provisioned", "provisioning", "provision", "provisions"),
     ("volume", "volumes"), "for the {svc}"),
    (("throttle", "throttled", "throttling", "throttle", "throttles"), ("webhook", "webhooks"),
     "from {partner}"),
    (("compress", "compressed", "compressing", "compression", "compressions"),
     ("image", "images"), "in the {bucket} bucket"),
    (("schedule", "scheduled", "scheduling", "schedule", "schedules"), ("job", "jobs"),
     "for {window}"),
    (("benchmark", "benchmarked", "benchmarking", "benchmark", "benchmarks"),
     ("parser", "parsers"), "against {dataset}"),
    (("backfill", "backfilled", "backfilling", "backfill", "backfills"), ("partition", "partitions"),
     "of the {table} table"),
]
SLOTS = {
    "os": ["Debian 12", "Debian 11", "Ubuntu 24.04", "Ubuntu 22.04", "Rocky Linux 9",
           "Alpine 3.20", "Fedora 40", "Amazon Linux 2023", "FreeBSD 14"],
    "svc": ["payments API", "image registry", "search cluster", "login service",
            "webhook dispatcher", "report builder", "push gateway", "export worker",
            "billing exporter", "metrics pipeline", "CDN edge", "DNS resolver", "job scheduler",
            "status page", "mail relay", "audit trail service", "recommendation service",
            "geo lookup service", "thumbnail service", "chat backend", "ledger writer",
            "inventory sync", "coupon service", "feed ranker", "profile service",
            "shipment tracker", "config service", "secrets vault", "artifact store",
            "build farm", "ingest gateway", "event bus", "notification fanout",
            "session broker", "pricing engine", "tenant router"],
    "api": ["v1", "v2", "legacy", "partner", "internal", "admin", "mobile"],
    "table": ["orders", "events", "invoices", "users", "sessions", "payouts", "shipments",
              "comments", "audit_log", "metrics_raw"],
    "shardkey": ["tenant id", "region", "month", "customer id", "hash of the user id"],
    "tool": ["age", "GPG", "KMS envelope keys", "restic", "openssl"],
    "bucket": ["cold-archive", "logs-glacier", "media-prod", "backup-eu", "scratch"],
    "k8s": ["1.29", "1.30", "1.31", "1.28"],
    "region": ["us-east-1", "eu-west-1", "ap-south-1", "eu-central-1", "us-west-2"],
    "partner": ["Stripe", "GitHub", "Shopify", "Slack", "Twilio", "Zendesk"],
    "window": ["the weekend", "off-peak hours", "the maintenance window", "month end"],
    "dataset": ["the 2GB fixture", "production samples", "the fuzz corpus", "the golden files"],
}

SETTINGS = [("connection pool size", ["16", "24", "32", "48", "64", "96"]),
            ("request timeout", ["5 s", "8 s", "15 s", "30 s", "45 s", "60 s"]),
            ("retry limit", ["2", "3", "4", "5", "6", "8"]),
            ("batch size", ["100", "250", "500", "1000", "2000", "5000"]),
            ("log retention", ["7 days", "14 days", "30 days", "60 days", "90 days",
                               "180 days"]),
            ("max upload size", ["10 MB", "25 MB", "50 MB", "100 MB", "250 MB", "1 GB"]),
            ("worker concurrency", ["2", "4", "6", "8", "12", "16"]),
            ("cache TTL", ["30 s", "60 s", "5 minutes", "15 minutes", "1 hour", "6 hours"]),
            ("rate limit", ["50 rps", "100 rps", "200 rps", "500 rps", "1000 rps", "20 rps"]),
            ("session lifetime", ["1 hour", "8 hours", "12 hours", "24 hours", "7 days",
                                  "30 days"])]
SET_VERBS = ["Set the {p} to {v}", "Raised the {p} to {v}", "Lowered the {p} to {v}",
             "Changed the {p} to {v}", "Bumped the {p} up to {v}", "Configured a {p} of {v}"]
SET_WHY = ["after the load test", "to stop the timeouts we saw under load",
           "as agreed in review", "because the old value was a guess",
           "to match what production actually needs", "per the capacity plan"]

SYMPTOMS = ["returned 502s", "timed out for most requests", "dropped every connection",
            "served stale data", "was unreachable", "returned errors for a third of requests"]
CAUSES = ["an expired TLS certificate", "a full disk on the primary", "a bad config push",
          "a runaway migration holding a table lock", "DNS records pointing at the old load "
          "balancer", "connection pool exhaustion", "a memory leak after the last deploy",
          "a expired cloud credential", "a kernel upgrade that broke the network driver",
          "a thundering herd after the cache flush"]
FOLLOWUPS = ["added alerting on certificate expiry", "moved the logs to their own volume",
             "put config pushes behind a canary", "added a lock timeout to migrations",
             "lowered the DNS TTL and fixed the records", "raised the pool size and added a "
             "queue", "rolled back the deploy and opened a ticket for the leak",
             "rotated the credentials and set a reminder", "pinned the kernel version",
             "added request coalescing in front of the cache"]
LESSONS = ["we need a runbook for this", "alerts fired but nobody was paged",
           "the dashboard hid the error rate", "the rollback took too long",
           "staging never exercised this path", "the on-call rota had a gap"]

MEETING_DECISIONS = [
    "freeze the public API until the 3.0 release", "drop support for Python 3.8",
    "move the standup to 10:30", "stop deploying on Fridays",
    "require two reviewers for database migrations", "adopt trunk-based development",
    "retire the legacy admin panel by the end of the quarter",
    "publish the SDK under the Apache license", "split the monorepo CI into two pipelines",
    "keep the mobile release train at two weeks", "move error tracking to Sentry",
    "write design docs for every new service", "enable dependabot on all repositories",
    "run the chaos drill once a month", "give the support team read access to logs",
    "charge for the premium export feature", "deprecate the XML endpoints",
    "budget a week for paying down flaky tests", "rename the project in the next major",
    "store all secrets in the vault", "turn on two-factor auth for every admin",
    "hire a second SRE", "merge the two billing services", "pause feature work for a bug week",
    "version the webhook payloads", "ship dark mode behind a flag",
    "cut the docker image size in half", "set an SLO of 99.9 percent",
    "move the office hours to Thursday", "buy reserved instances for the database tier"]
MEETING_KIND = ["planning meeting", "sync", "architecture review", "retro", "weekly sync",
                "design review"]

RELEASE_FIX = ["a crash on startup when the config file is missing",
               "broken pagination in the admin list", "a migration that failed on MySQL",
               "missing translations in the settings page", "a regression in CSV import",
               "slow login for accounts with many sessions", "wrong totals on the invoice PDF",
               "a typo in the CLI help", "an expired root certificate in the bundle",
               "a memory spike when exporting large reports"]

DEPS = ["openssl", "libcurl", "react", "django", "tokio", "serde", "numpy", "grpc", "jackson",
        "spring", "express", "sqlalchemy", "kotlinx", "protobuf", "lodash"]
FILES = ["src/main.c", "api/router.go", "web/app.tsx", "etl/load.py", "core/store.rs",
         "ops/deploy.yaml", "billing/ledger.go", "mobile/App.kt", "search/query.py",
         "worker/queue.c", "auth/session.go", "media/upload.rs"]


# ---------------------------------------------------------------- date helpers

def date_text(d, style):
    if style == "iso":
        return d.isoformat()
    if style == "long":
        return f"{MONTHS[d.month - 1]} {d.day}"
    if style == "short":
        return f"{MONTHS[d.month - 1][:3]} {d.day}"
    if style == "dayfirst":
        return f"{d.day} {MONTHS[d.month - 1]}"
    if style == "ordinal":
        suf = "th" if 10 <= d.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10,
                                                                                 "th")
        return f"{MONTHS[d.month - 1]} {d.day}{suf}"
    raise ValueError(style)


def relative_text(ref, now):
    """How someone writing on `now` names the earlier day `ref`."""
    k = (now - ref).days
    if k == 0:
        return "today"
    if k == 1:
        return "yesterday"
    if k == 2:
        return "two days ago"
    if k == 3:
        return "three days ago"
    if k < 7:
        return "last " + WEEKDAYS[ref.weekday()] if ref.weekday() >= now.weekday() \
            else "on " + WEEKDAYS[ref.weekday()]
    if k < 14:
        return "last week"
    return "a few weeks ago"


# ---------------------------------------------------------------- builder

class Builder:
    def __init__(self, seed, sessions_per_project):
        self.r = random.Random(seed)
        self.sessions = {}           # (project, date) -> list of memory dicts
        self.questions = []
        workdays = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
        workdays = [d for d in workdays if d.weekday() < 5]
        for p in PROJECTS:
            for d in sorted(self.r.sample(workdays, sessions_per_project)):
                self.sessions[(p, d)] = []
        self.workdays = workdays
        self.hosts = {p: [f"{PREFIX[p]}-{role}-{n:02d}" for role in ("web", "db", "worker")
                          for n in range(1, 9)] for p in PROJECTS}

    # -- planting
    def plant(self, project, d, mtype, text, ref=None):
        mem = {"project": project, "date": d, "type": mtype, "text": text,
               "ref": ref or d, "planted": True}
        self.sessions.setdefault((project, d), []).append(mem)
        return mem

    def ask(self, category, query, evidence, mode="any", project=None, tags=()):
        q = {"category": category, "query": query, "evidence": list(evidence),
             "evidence_mode": mode, "tags": list(tags)}
        if project:
            q["project"] = project
        self.questions.append(q)

    def project_day(self, project, lo=START, hi=END, weekdays=(0, 1, 2, 3, 4)):
        days = [d for (p, d) in self.sessions if p == project and lo <= d <= hi
                and d.weekday() in weekdays]
        return self.r.choice(sorted(days))

    def person(self):
        return self.r.choice(PEOPLE)

    # -- fact families
    def decisions(self):
        r = self.r
        quals = QUALIFIERS[:]
        r.shuffle(quals)
        kinds = sorted(KINDS)
        facts = []
        # 24 qualifiers: each gets one or two decisions (two for the two-fact questions)
        for i, qual in enumerate(quals):
            p = PROJECTS[i % len(PROJECTS)]
            ks = r.sample(kinds, 2 if i < 16 else 1)
            for k in ks:
                comp, memw, qw, choices = KINDS[k]
                choice, alt = r.sample(choices, 2)
                vi = r.randrange(len(DECIDE))
                d = self.project_day(p)
                subject = f"{qual} {comp}"
                verb = DECIDE[vi][0]
                kw = r.choice(memw)
                reason = r.choice(REASONS)
                t = r.choice([
                    f"{verb.capitalize()} {choice} as the {kw} for the {subject}, over {alt}: "
                    f"{reason}.",
                    f"Decision: we {verb} {choice} for the {subject} ({kw}). {alt} was the "
                    f"runner-up; {reason}.",
                    f"{self.person()} and I {verb} {choice} over {alt} as the {kw} of the "
                    f"{subject}, because {reason}.",
                    f"For the {subject} we {verb} {choice} ({kw}) instead of {alt}; {reason}."])
                mem = self.plant(p, d, "decision", t)
                # a revisit later on, for two-fact questions and as a distractor
                later = [x for (pp, x) in self.sessions if pp == p and x > d]
                rev = None
                if later:
                    d2 = r.choice(sorted(later))
                    rev = self.plant(p, d2, "note", r.choice([
                        f"Revisited the {subject}: staying on {choice} after the soak test; "
                        f"{alt} would not have helped.",
                        f"Load test of the {subject} on {choice}: p99 {r.randint(3, 90)} ms at "
                        f"{r.randint(2, 40)}k requests per second, good enough for now."]))
                # distractor: options discussed before the decision
                earlier = [x for (pp, x) in self.sessions if pp == p and x < d]
                if earlier:
                    self.plant(p, r.choice(sorted(earlier)), "note",
                               f"Compared {alt} and {choice} for the {subject}; no decision yet, "
                               f"{self.person()} wants numbers first.")
                facts.append(dict(p=p, d=d, qual=qual, kind=k, subject=subject, choice=choice,
                                  alt=alt, vi=vi, kw=kw, mem=mem, rev=rev))
        return facts

    def fixes(self):
        r = self.r
        facts = []
        for i, (area, prob, path) in enumerate(BUGS):
            p = PROJECTS[i % len(PROJECTS)]
            d = self.project_day(p, hi=END - dt.timedelta(days=20))
            fv = r.choice(FIX_MEM)
            bw = r.choice(BUG_MEM)
            how = r.choice(HOWS)
            t = r.choice([
                f"{fv.capitalize()} the {prob} {bw} in the {area} code ({path}): {how}.",
                f"{area.capitalize()} {prob}: {fv} it in {path}; {how}.",
                f"Finally {fv} the {area} {bw} ({prob}); {how}. Change is in {path}."])
            mem = self.plant(p, d, "fix", t)
            # the report that came before, a distractor sharing the words
            earlier = [x for (pp, x) in self.sessions if pp == p and x < d]
            if earlier:
                self.plant(p, r.choice(sorted(earlier)), "error", r.choice([
                    f"{self.person()} reported a {prob} in the {area} again; could not reproduce "
                    f"it locally.",
                    f"Saw the {area} {prob} in production logs, {r.randint(2, 40)} times in an "
                    f"hour. Not fixed yet."]))
            # deployment of the fix, days later
            later = sorted(x for (pp, x) in self.sessions if pp == p and x > d)
            d_dep = later[0] if later else d + dt.timedelta(days=3)
            dep = self.plant(p, d_dep, "note", r.choice([
                f"Deployed v{r.randint(1, 4)}.{r.randint(0, 19)}.{r.randint(0, 9)} to production; "
                f"it carries the {area} change.",
                f"Rolled out the {area} change to all regions, no errors since."]))
            facts.append(dict(p=p, d=d, area=area, prob=prob, path=path, fv=fv, bw=bw,
                              mem=mem, dep=dep))
        return facts

    def actions(self):
        r = self.r
        facts = []
        seen = set()
        while len(facts) < 60:
            forms, obj, tail = r.choice(ACTIONS)
            slot = tail[tail.index("{") + 1:tail.index("}")]
            val = r.choice(SLOTS[slot])
            key = (forms[0], val)
            if key in seen:
                continue
            seen.add(key)
            target = tail.format(**{slot: val})
            p = r.choice(PROJECTS)
            d = self.project_day(p)
            if forms[0] == "migrate":
                names = r.sample(self.hosts[p], 2)
                inst = f"{names[0]} and {names[1]}"
            else:
                inst = None
            style = r.choice(["past", "ing", "noun"])
            single = r.random() < 0.7
            o = obj[0] if single else obj[1]
            if style == "past":
                t = f"{forms[1].capitalize()} the {o}" + (f" {inst}" if inst else "") + \
                    f" {target}; {r.choice(['no downtime', 'took about an hour', 'one retry needed', 'checked afterwards, all fine'])}."
            elif style == "ing":
                t = f"Finished {forms[2]} the {o}" + (f" {inst}" if inst else "") + \
                    f" {target}. {self.person()} double-checked the result."
            else:
                t = f"{o.capitalize()} {forms[3]} {target} is done" + \
                    (f" ({inst})" if inst else "") + \
                    f"; {r.choice(['tracked in the runbook', 'next step is monitoring', 'see the ticket for details'])}."
            mem = self.plant(p, d, "note", t)
            # distractors: a plan in the question's own words, and an unrelated mention
            future = [x for (pp, x) in self.sessions if pp == p and x < d]
            if future:
                self.plant(p, r.choice(sorted(future)), "note", r.choice([
                    f"Plan: {forms[0]} more {obj[1]} {tail.format(**{slot: r.choice(SLOTS[slot])})} "
                    f"next quarter, once budget is approved.",
                    f"Someone asked whether we should {forms[0]} the {obj[1]} at all; parked."]))
            p2 = r.choice(PROJECTS)
            self.plant(p2, self.project_day(p2), "note",
                       f"{val}: {r.choice(['release notes read', 'pricing page bookmarked', 'known issues list reviewed', 'docs updated'])} "
                       f"while looking at {r.choice(QUALIFIERS)} {r.choice(['hosts', 'keys', 'tables', 'jobs', 'logs'])}.")
            facts.append(dict(p=p, d=d, forms=forms, obj=obj, target=target, val=val,
                              style=style, single=single, mem=mem))
        return facts

    def settings(self):
        r = self.r
        facts = []
        for param, values in SETTINGS:
            vals = values[:]
            r.shuffle(vals)
            for p, v in zip(PROJECTS, vals):
                d = self.project_day(p)
                t = r.choice(SET_VERBS).format(p=param, v=v) + f" in {p}, {r.choice(SET_WHY)}."
                if r.random() < 0.5:
                    t = r.choice(SET_VERBS).format(p=param, v=v) + f", {r.choice(SET_WHY)}."
                mem = self.plant(p, d, "config", t)
                facts.append(dict(p=p, param=param, value=v, mem=mem))
        return facts

    def outages(self):
        r = self.r
        svcs = SLOTS["svc"][:]
        r.shuffle(svcs)
        facts = []
        for i, svc in enumerate(svcs[:36]):
            p = PROJECTS[i % len(PROJECTS)]
            d = self.project_day(p, hi=END - dt.timedelta(days=5), weekdays=(0, 1, 2))
            sym = r.choice(SYMPTOMS)
            cause = r.choice(CAUSES)
            mins = r.choice([12, 20, 35, 40, 55, 70, 90, 120])
            style = r.choice(["iso", "long", "short", "dayfirst", "none", "none", "today"])
            when = {"none": "", "today": " today"}.get(style)
            if when is None:
                when = f" on {date_text(d, style)}"
            t = r.choice([
                f"Outage{when}: the {svc} {sym} for {mins} minutes. Root cause: {cause}.",
                f"Incident{when}: {svc} {sym} for about {mins} minutes; it was {cause}.",
                f"The {svc} went down{when} ({sym}, {mins} min). Cause was {cause}."])
            out = self.plant(p, d, "incident", t, ref=d)
            fu_style = r.choice(["rel", "rel", "none", "abs"])
            d1 = d + dt.timedelta(days=1)
            action = r.choice(FOLLOWUPS)
            if fu_style == "rel":
                t = f"After yesterday's {svc} incident we {action}."
            elif fu_style == "abs":
                t = f"Follow-up to the {svc} outage of {date_text(d, r.choice(['iso', 'long']))}: {action}."
            else:
                t = f"{svc.capitalize()}: {action}; should keep it from happening again."
            fu = self.plant(p, d1, "fix", t, ref=d)
            d2 = d + dt.timedelta(days=2)
            pm = self.plant(p, d2, "insight", r.choice([
                f"Postmortem for the {svc} outage {relative_text(d, d2)}: {r.choice(LESSONS)}.",
                f"Wrote up the {svc} postmortem: {r.choice(LESSONS)}."]), ref=d)
            facts.append(dict(p=p, d=d, svc=svc, cause=cause, action=action, out=out, fu=fu,
                              pm=pm, style=style, fu_style=fu_style))
        return facts

    def meetings(self):
        r = self.r
        facts = []
        decisions = MEETING_DECISIONS[:]
        r.shuffle(decisions)
        used_days = set()
        for i, dec in enumerate(decisions):
            p = PROJECTS[i % len(PROJECTS)]
            while True:
                d = self.project_day(p, hi=END - dt.timedelta(days=4), weekdays=(0, 1, 2, 3))
                if d not in used_days:
                    break
            used_days.add(d)
            kind = r.choice(MEETING_KIND)
            style = r.choice(["iso", "long", "dayfirst", "today", "none", "later", "later"])
            if style == "later":
                k = r.choice([1, 1, 2, 3])
                d_mem = d + dt.timedelta(days=k)
                t = r.choice([
                    f"Reminder: in the {kind} {relative_text(d, d_mem)} we agreed to {dec}.",
                    f"{self.person()}: as we said in the {kind} {relative_text(d, d_mem)}, we "
                    f"are going to {dec}."])
            else:
                d_mem = d
                when = {"today": " today", "none": ""}.get(style)
                if when is None:
                    when = f" on {date_text(d, style)}"
                t = r.choice([f"{kind.capitalize()}{when}: agreed to {dec}.",
                              f"We agreed in the {kind}{when} to {dec}.",
                              f"Outcome of the {kind}{when}: {dec}."])
            mem = self.plant(p, d_mem, "decision", t, ref=d)
            facts.append(dict(p=p, d=d, dec=dec, kind=kind, style=style, mem=mem))
        return facts

    def releases(self):
        r = self.r
        facts = []
        for i in range(24):
            p = PROJECTS[i % len(PROJECTS)]
            d = self.project_day(p, hi=END - dt.timedelta(days=3), weekdays=(0, 1, 2, 3))
            ver = f"{r.randint(1, 5)}.{r.randint(0, 14)}"
            rel = self.plant(p, d, "note", r.choice([
                f"Released {p} {ver}: {r.choice(['new export page', 'faster sync', 'SSO login', 'audit log view', 'bulk edit'])}, "
                f"changelog posted.",
                f"Shipped version {ver} of {p} to everyone."]))
            d1 = d + dt.timedelta(days=1)
            fix = r.choice(RELEASE_FIX)
            fu = self.plant(p, d1, "fix", r.choice([
                f"Hotfix {ver}.1 out: {fix}.",
                f"Patch release {ver}.1 fixes {fix} (reported this morning).",
                f"Pushed {ver}.1 for {fix}."]))
            facts.append(dict(p=p, d=d, ver=ver, fix=fix, rel=rel, fu=fu))
        return facts

    # -- distractors
    def noise(self, p, d):
        r = self.r
        q = r.choice(QUALIFIERS)
        kind = r.choice(sorted(KINDS))
        comp, memw, _, choices = KINDS[kind]
        subj = f"{q} {comp}"
        area, prob, path = r.choice(BUGS)
        svc = r.choice(SLOTS["svc"])
        host = r.choice(self.hosts[p])
        who, who2 = r.sample(PEOPLE, 2)
        n = r.randint(2, 900)
        param, _ = r.choice(SETTINGS)
        work = [
            (f"Ran the {subj} tests: {n} passed, {r.randint(0, 4)} failed.", "note"),
            (f"Reviewed PR #{n} for the {subj}.", "note"),
            (f"Read through {path} to understand the {area} code.", "note"),
            (f"Looked at {svc} latency: p99 {r.randint(4, 900)} ms, "
             f"{r.choice(['nothing alarming', 'worse than last week', 'back to normal'])}.", "note"),
            (f"Updated the {subj} docs after {who}'s questions.", "note"),
            (f"Opened ticket {p.upper()}-{n}: {area} {prob} (not reproduced yet).", "error"),
            (f"Paired with {who} on the {subj}.", "note"),
            (f"Bumped {r.choice(DEPS)} to {r.randint(1, 9)}.{r.randint(0, 30)} in {r.choice(FILES)}.",
             "note"),
            (f"{host} disk at {r.randint(40, 97)}%, cleaned old logs.", "note"),
            (f"Tried {r.choice(choices)} for the {subj} locally; "
             f"{r.choice(['promising', 'too slow', 'hard to configure', 'worked first time'])}.",
             "note"),
            (f"Checked the {param} on {host}; left it as it was.", "note"),
            (f"{svc.capitalize()} deploy went out, {r.choice(['no errors', 'two warnings', 'one flaky test rerun'])}.",
             "note"),
            (f"Wrote a regression test for the {area} {prob}.", "note"),
            (f"{host}: {r.choice(SLOTS['os'])} security updates applied and rebooted.", "note"),
            (f"The {r.choice(SLOTS['table'])} table grew to {n} million rows; watch the {subj}.",
             "insight"),
            (f"Error: {svc} returned {r.choice([500, 502, 503, 504])} for {n} requests during the "
             f"{r.choice(['deploy', 'backup', 'batch run'])}.", "error"),
            (f"{who} prefers {r.choice(['small PRs', 'tabs', 'squash merges', 'verbose logs', 'feature flags'])}"
             f" for the {subj}.", "preference"),
        ]
        chat = [
            f"{who}: I'm not sure what we should do about the {subj}, can we talk about it "
            f"tomorrow when {who2} is back?",
            f"{who}: did anyone look at the {svc} dashboards this morning? Something seemed off "
            f"to me but it may be nothing.",
            f"{who}: {who2}, what was the status of the {area} thing? I lost track of it.",
            f"assistant: I checked the {subj} and it looks fine now; there was nothing that "
            f"needed to be changed.",
            f"{who}: we should probably write down why we did it this way, otherwise we will "
            f"forget it again.",
            f"assistant: I can take a look at the {area} {prob} after lunch if that is what you "
            f"want me to do first.",
            f"{who}: what did we end up doing about the {r.choice(['build', 'release', 'review', 'on-call'])} "
            f"thing last time? I can't find it anywhere.",
            f"{who}: can you remind me which {r.choice(memw)} is used by the {subj}? The wiki is "
            f"out of date.",
            f"assistant: the {svc} was slow again today, I think it is the same problem as "
            f"before but I am not sure.",
            f"{who}: let's not change the {param} until we know more about the traffic.",
            f"{who}: who was it that set up the {r.choice(SLOTS['os'])} hosts? I have a question "
            f"for them.",
        ]
        if r.random() < 0.35:
            return {"project": p, "date": d, "type": "conversation", "text": r.choice(chat),
                    "ref": d, "planted": False}
        t, ty = r.choice(work)
        return {"project": p, "date": d, "type": ty, "text": t, "ref": d, "planted": False}

    # -- questions
    def build(self, target_total):
        r = self.r
        dec = self.decisions()
        fix = self.fixes()
        act = self.actions()
        sets = self.settings()
        outs = self.outages()
        meets = self.meetings()
        rels = self.releases()

        planted = sum(len(v) for v in self.sessions.values())
        keys = sorted(self.sessions)
        per = max(0, target_total - planted)
        i = 0
        while per > 0:
            p, d = keys[i % len(keys)] if i < len(keys) else r.choice(keys)
            self.sessions[(p, d)].append(self.noise(p, d))
            per -= 1
            i += 1

        # ids, times, sessions
        mems = []
        for p, d in sorted(self.sessions, key=lambda k: (k[1], k[0])):
            ms = self.sessions[(p, d)]
            r.shuffle(ms)
            t = dt.datetime(d.year, d.month, d.day, r.randint(8, 10), r.randint(0, 59))
            sess = f"{p}-{d.strftime('%Y%m%d')}-{r.choice(['log', 'chat', 'pair'])}"
            for m in ms:
                t += dt.timedelta(minutes=r.randint(2, 25))
                m["occurred_at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
                m["session"] = sess
                mems.append(m)
        mems.sort(key=lambda m: (m["occurred_at"], m["project"]))
        for n, m in enumerate(mems):
            m["id"] = f"m{n + 1:05d}"

        self.make_questions(dec, fix, act, sets, outs, meets, rels, mems)
        return mems

    def make_questions(self, dec, fix, act, sets, outs, meets, rels, mems):
        r = self.r
        ids = lambda *ms: [m["id"] for m in ms]

        # paraphrase: decisions (other verb, other kind word) and fixes (fix/bug synonyms)
        for f in r.sample(dec, 25):
            vq = r.choice([DECIDE[j][1] for j in range(len(DECIDE)) if j != f["vi"]])
            kq = r.choice(KINDS[f["kind"]][2])
            if " " in vq:   # "settle on", "go with": no "opt for for the ..."
                q = r.choice([f"for the {f['subject']}, which {kq} did we {vq}?",
                              f"{f['subject']}: what {kq} did we {vq}"])
            else:
                q = r.choice([f"which {kq} did we {vq} for the {f['subject']}?",
                              f"what {kq} did we {vq} for the {f['subject']}",
                              f"{kq} we {vq} for {f['subject']}"])
            self.ask("paraphrase", q, ids(f["mem"]), tags=["decision", "verb+noun synonym"])
        for f in r.sample(fix, 20):
            fq = r.choice(FIX_Q[f["fv"]])
            bq = r.choice(BUG_Q[f["bw"]])
            q = r.choice([f"how did we {fq} the {f['area']} {bq}?",
                          f"{f['area']} {bq} {fq}",
                          f"what was the {fq} for the {bq} with the {f['area']}"])
            self.ask("paraphrase", q, ids(f["mem"]), tags=["fix", "verb+noun synonym"])

        # inflection: the question uses other forms of the verb and the object
        for f in r.sample(act, 45):
            forms, obj = f["forms"], f["obj"]
            o = obj[1] if f["single"] else obj[0]
            mem_form = {"past": 1, "ing": 2, "noun": 3}[f["style"]]
            choices = [(f"which {obj[1]} did we {forms[0]} {f['target']}?", 0),
                       (f"{forms[4]} of {obj[1]} {f['target']}", 4),
                       (f"have we been {forms[2]} {o} {f['target']}?", 2),
                       (f"when were the {obj[1]} {forms[1]} {f['target']}?", 1)]
            choices = [c for c in choices if forms[c[1]] != forms[mem_form]]
            q = r.choice(choices)[0]
            self.ask("inflection", q, ids(f["mem"]), tags=[forms[0]])

        # keyword: a few exact words of the fact
        kw = []
        for f in r.sample(dec, 12):
            kw.append((f"{f['choice'].split()[0]} {f['subject']}", f["mem"], "decision"))
        for f in r.sample(fix, 10):
            kw.append((f"{f['area']} {f['prob']}", f["mem"], "fix"))
        for f in r.sample(outs, 8):
            kw.append((f"{f['svc']} outage root cause", f["out"], "incident"))
        for f in r.sample(act, 8):
            kw.append((f"{f['obj'][0]} {f['val']} {f['forms'][0]}", f["mem"], "action"))
        for f in r.sample(rels, 7):
            kw.append((f"{f['p']} {f['ver']} hotfix", f["fu"], "release"))
        for q, m, tag in kw:
            self.ask("keyword", q, ids(m), tags=[tag])

        # natural-language questions full of function words
        nl = []
        for f in r.sample(dec, 12):
            nl.append((r.choice([
                f"Hey, do you remember what it was that we ended up going with for the "
                f"{f['subject']} and why we did that?",
                f"Can you tell me what we had decided to use for the {f['subject']} back then?",
                f"I was wondering what it is that the {f['subject']} is using now, do you know?"]),
                f["mem"], "decision"))
        for f in r.sample(fix, 12):
            nl.append((r.choice([
                f"Can you remind me what the problem was with the {f['area']} and how it was "
                f"that we got it working in the end?",
                f"What was it that we did about the {f['prob']} in the {f['area']} when it kept "
                f"coming back?",
                f"Do you know if we ever did anything about that {f['prob']} with the "
                f"{f['area']}?"]), f["mem"], "fix"))
        for f in r.sample(outs, 11):
            nl.append((r.choice([
                f"What was it that made the {f['svc']} go down that time, and why did it "
                f"happen?",
                f"Why was it that the {f['svc']} was not working for a while, do you remember?"]),
                f["out"], "incident"))
        for f in r.sample(act, 10):
            o = f["obj"][1]
            nl.append((f"I was wondering whether we have already done anything about the {o} "
                       f"{f['target']} or if that is still something we need to do?",
                       f["mem"], "action"))
        for q, m, tag in nl:
            self.ask("natural_language", q, ids(m), tags=[tag])

        # dates: absolute question, memory says the date in some form, relatively, or not at all
        by_ref_decision = {}
        for m in mems:
            if m["type"] == "decision":
                by_ref_decision.setdefault(m["ref"], []).append(m)
        for f in r.sample(meets, 22):
            qs = r.choice(["long", "iso", "dayfirst", "short"])
            ev = by_ref_decision[f["d"]]
            q = r.choice([f"what did we decide on {date_text(f['d'], qs)}?",
                          f"decisions from {date_text(f['d'], qs)}",
                          f"what was agreed on {date_text(f['d'], qs)}"])
            self.ask("date_absolute", q, ids(*ev),
                     tags=["meeting", f"memory:{f['style']}", f"question:{qs}"])
        for f in r.sample(outs, 23):
            qs = r.choice(["long", "iso", "dayfirst", "short"])
            q = r.choice([f"what went wrong on {date_text(f['d'], qs)}?",
                          f"which service had an outage on {date_text(f['d'], qs)}",
                          f"incident {date_text(f['d'], qs)}"])
            self.ask("date_absolute", q, ids(f["out"], f["pm"]),
                     tags=["outage", f"memory:{f['style']}", f"question:{qs}"])

        # relative dates in the question
        for f in r.sample(outs, 25):
            if r.random() < 0.6:
                q = r.choice([f"what did we do the day after the {f['svc']} outage?",
                              f"what happened the day after the {f['svc']} went down",
                              f"the day after the {f['svc']} incident, what did we change?"])
                self.ask("date_relative", q, ids(f["fu"]), tags=["outage+1", f"memory:{f['fu_style']}"])
            else:
                q = f"what did we write two days after the {f['svc']} outage?"
                self.ask("date_relative", q, ids(f["pm"]), tags=["outage+2"])
        for f in r.sample(rels, 20):
            q = r.choice([f"what did we ship the day after the {f['p']} {f['ver']} release?",
                          f"what went out the day after {f['p']} {f['ver']} was released",
                          f"the day after releasing {f['ver']}, what did we fix?"])
            self.ask("date_relative", q, ids(f["fu"]), tags=["release+1"])

        # two facts
        pairs = {}
        for f in dec:
            pairs.setdefault(f["qual"], []).append(f)
        duo = sorted((k, v) for k, v in pairs.items() if len(v) == 2)
        for qual, (a, b) in r.sample(duo, 15):
            q = (f"what did we choose for the {a['subject']} and for the {b['subject']}?")
            self.ask("two_fact", q, ids(a["mem"], b["mem"]), "all", tags=["two decisions"])
        for f in r.sample(fix, 15):
            q = r.choice([f"how was the {f['area']} {f['prob']} fixed and when did the fix reach "
                          f"production?",
                          f"{f['area']} {f['prob']}: what was the fix and was it deployed?"])
            self.ask("two_fact", q, ids(f["mem"], f["dep"]), "all", tags=["fix+deploy"])
        for f in r.sample(outs, 15):
            q = r.choice([f"what caused the {f['svc']} outage and what did we change afterwards?",
                          f"{f['svc']} outage: cause and follow-up"])
            self.ask("two_fact", q, ids(f["out"], f["fu"]), "all", tags=["outage+followup"])

        # project filter: the same setting exists in every project
        for f in r.sample(sets, 45):
            q = r.choice([f"what is the {f['param']}?", f"what did we set the {f['param']} to?",
                          f"{f['param']}", f"current {f['param']} value"])
            self.ask("project_filter", q, ids(f["mem"]), project=f["p"], tags=[f["param"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    ap.add_argument("--sessions-per-project", type=int, default=45)
    ap.add_argument("--memories", type=int, default=3000)
    a = ap.parse_args()
    b = Builder(a.seed, a.sessions_per_project)
    mems = b.build(a.memories)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "memories.jsonl"), "w", encoding="utf-8") as fh:
        for m in mems:
            fh.write(json.dumps({"id": m["id"], "text": m["text"], "project": m["project"],
                                 "session": m["session"], "type": m["type"],
                                 "occurred_at": m["occurred_at"]}, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "questions.jsonl"), "w", encoding="utf-8") as fh:
        for n, q in enumerate(b.questions):
            out = {"id": f"q{n + 1:04d}"}
            out.update(q)
            fh.write(json.dumps(out, ensure_ascii=False) + "\n")
    cats = {}
    for q in b.questions:
        cats[q["category"]] = cats.get(q["category"], 0) + 1
    print(f"{len(mems)} memories, {len(b.questions)} questions -> {a.out}")
    for c in sorted(cats):
        print(f"  {c:18s} {cats[c]}")


if __name__ == "__main__":
    main()
