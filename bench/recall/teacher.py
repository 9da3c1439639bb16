#!/usr/bin/env python3
"""teacher.py - an OpenAI-compatible stand-in for a strong LLM encoder (recall benchmark).

bench/recall/compare_encoders.py points `student: {provider: openai, endpoint: ..., model:
teacher}` at this server to measure recall with teacher-quality encodings of the same
memories the builtin student encodes. It answers POST .../chat/completions with an encoding
(the ten keys of mnemo's schema, docs/configuration.md) of the observation in the user
message (the text after the prompt's "Observation:" line), written the way a strong LLM
teacher writes one:

  gist, summary  the fact, without a leading "Name:" speaker label
  content        the observation verbatim
  concepts       the content words of the text, plus the general categories of the things
                 and events it names (world knowledge of software: Kafka -> message broker,
                 queue; zstd -> compression; "we opted for" -> decision; an outage ->
                 outage, incident, ...)
  structured_concepts  topics (the categories, with a path), entities (technologies, people,
                 versions, hosts, paths), actions (the event verbs)
  significance, emotional_tone, outcome, salience  from the kind of event

The rules below were written from general knowledge of software engineering vocabulary, not
from the benchmark: the server sees only the prompt, exactly as an LLM would, and never
reads bench/recall/data (neither the questions nor the memories' ids or labels).

--mode empty answers a schema-valid encoding with an empty gist, summary, narrative and no
concepts or structured concepts: the memory is indexed by its raw text alone (the
"no encoding" row of compare_encoders.py). --mode fail answers HTTP 500 to every request.

Usage: teacher.py [--host 127.0.0.1] [--port 0] [--port-file PATH] [--mode teacher|empty|fail]
                  [--log PATH]  |  teacher.py --encode TEXT (print one encoding)
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "teacher"

STOP = set("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this those through
to too under until up very was we were what when where which while who whom why will with
would you your yours yet onto upon via per let lets us ok okay yes yeah hi hey thanks thank
please sure maybe well really think got get gets getting going go goes went make made one two
today yesterday tomorrow week month day days ago last next still already again
""".split())

# ------------------------------------------------------------------ world knowledge
# name (lower case, may be several words) -> categories. Written from general knowledge of
# software tools: what a model trained on the web knows these things to be.

KNOW = {}


def know(cats, names):
    for n in names.split(","):
        n = n.strip().lower()
        if n:
            KNOW.setdefault(n, [])
            for c in cats:
                if c not in KNOW[n]:
                    KNOW[n].append(c)


know(["database", "datastore", "sql"], "postgres, postgresql, mysql, mariadb, sqlite, cockroachdb, "
     "cockroach, duckdb, oracle, sql server, mssql, aurora, cloud sql, alloydb, spanner, "
     "yugabytedb, tidb, vitess, neon, supabase, timescaledb, timescale, citus, planetscale, "
     "percona, firebird, h2, hsqldb, db2, snowflake, bigquery, redshift, clickhouse, "
     "greenplum, questdb, singlestore, memsql")
know(["database", "datastore", "nosql"], "mongodb, mongo, cassandra, scylladb, scylla, dynamodb, "
     "couchdb, couchbase, firestore, cosmos db, cosmosdb, hbase, riak, rethinkdb, faunadb, "
     "fauna, arangodb, neo4j, dgraph, foundationdb, bigtable, influxdb, prometheus tsdb, "
     "victoriametrics, leveldb, rocksdb, lmdb, badger, boltdb, etcd, tikv, surrealdb")
know(["database", "analytics", "warehouse"], "clickhouse, duckdb, snowflake, bigquery, redshift, "
     "druid, pinot, databricks, trino, presto, athena")
know(["cache", "caching", "key-value store"], "memcached, redis, valkey, keydb, dragonfly, "
     "dragonflydb, varnish, hazelcast, ehcache, caffeine, groupcache, elasticache, "
     "memorystore, garnet")
know(["message broker", "queue", "messaging", "streaming"], "kafka, apache kafka, redis streams, "
     "rabbitmq, sqs, amazon sqs, sns, nats, nats jetstream, jetstream, pulsar, apache pulsar, "
     "activemq, zeromq, zmq, kinesis, pub/sub, pubsub, google pub/sub, event hubs, "
     "service bus, celery, sidekiq, resque, beanstalkd, nsq, redpanda, mqtt, mosquitto, "
     "emqx, amqp, bullmq, rq, faktory, temporal")
know(["compression", "codec"], "gzip, zstd, zstandard, brotli, xz, lz4, lzma, snappy, bzip2, "
     "deflate, zlib, lzo, 7z, 7-zip, zip, pigz, lz4hc, zopfli")
know(["search", "search engine", "full-text search", "index"], "elasticsearch, opensearch, solr, "
     "meilisearch, typesense, lucene, sphinx, manticore, tantivy, algolia, vespa, quickwit, "
     "zincsearch, bleve, fts5, xapian")
know(["vector search", "embeddings", "search"], "pgvector, faiss, milvus, qdrant, weaviate, "
     "pinecone, chroma, chromadb, annoy, hnswlib, lancedb")
know(["object storage", "storage", "blob store"], "s3, amazon s3, minio, gcs, google cloud storage, "
     "azure blob, azure blob storage, r2, cloudflare r2, ceph, backblaze, b2, swift, "
     "seaweedfs, garage")
know(["file system", "storage"], "ext4, xfs, zfs, btrfs, nfs, efs, glusterfs, tmpfs, ebs")
know(["web server", "reverse proxy", "proxy", "load balancer"], "nginx, caddy, haproxy, envoy, "
     "traefik, apache httpd, httpd, lighttpd, openresty, pingora, istio, linkerd, kong, "
     "elb, alb, nlb")
know(["cdn", "edge"], "cloudflare, fastly, akamai, cloudfront, bunny, bunnycdn")
know(["container", "containers"], "docker, podman, containerd, cri-o, buildah, buildkit, lxc, "
     "docker compose, compose")
know(["orchestration", "container orchestration", "cluster"], "kubernetes, k8s, k3s, nomad, "
     "docker swarm, swarm, openshift, eks, gke, aks, ecs, fargate, helm, kustomize, argo cd, "
     "argocd, flux")
know(["cloud", "cloud provider", "hosting"], "aws, amazon web services, gcp, google cloud, azure, "
     "digitalocean, hetzner, linode, vultr, ovh, fly.io, heroku, render, vercel, netlify, "
     "railway, scaleway")
know(["serverless", "functions"], "lambda, aws lambda, cloud functions, cloud run, "
     "azure functions, workers, cloudflare workers")
know(["ci", "continuous integration", "build pipeline"], "github actions, gitlab ci, jenkins, "
     "circleci, travis, travis ci, buildkite, drone, teamcity, bamboo, azure pipelines, "
     "tekton, woodpecker, concourse")
know(["build system", "build tool"], "make, cmake, bazel, meson, ninja, gradle, maven, sbt, "
     "webpack, vite, esbuild, rollup, parcel, turbopack, cargo, pants, buck, scons")
know(["package manager", "dependencies"], "npm, yarn, pnpm, pip, poetry, uv, conda, bundler, "
     "composer, apt, homebrew, nix, go modules, vcpkg, conan")
know(["monitoring", "observability", "metrics"], "prometheus, grafana, datadog, new relic, "
     "newrelic, nagios, zabbix, icinga, statsd, graphite, victoriametrics, thanos, mimir, "
     "cortex, netdata, alertmanager, pagerduty, opsgenie, honeycomb, dynatrace")
know(["logging", "logs", "observability"], "loki, fluentd, fluent bit, fluentbit, logstash, "
     "kibana, splunk, graylog, papertrail, vector, syslog, journald, elk")
know(["tracing", "observability"], "jaeger, zipkin, opentelemetry, otel, tempo, x-ray")
know(["error tracking", "monitoring"], "sentry, rollbar, bugsnag, airbrake")
know(["authentication", "auth", "security"], "oauth, oauth2, oidc, openid connect, saml, jwt, "
     "keycloak, auth0, okta, cognito, firebase auth, ldap, active directory, kerberos, "
     "passkeys, webauthn, totp, 2fa, mfa, sso")
know(["secrets", "security"], "vault, hashicorp vault, sops, secrets manager, "
     "aws secrets manager, 1password, bitwarden, doppler, sealed secrets")
know(["tls", "security", "certificates"], "tls, ssl, letsencrypt, let's encrypt, certbot, "
     "acme, mtls, openssl, boringssl")
know(["serialization", "data format"], "protobuf, protocol buffers, json, yaml, toml, xml, avro, "
     "thrift, messagepack, msgpack, cbor, parquet, arrow, orc, csv, bson, flatbuffers, "
     "capnp, cap'n proto")
know(["api", "protocol"], "rest, grpc, graphql, websocket, websockets, http/2, http2, http/3, "
     "quic, soap, json-rpc, openapi, swagger, sse, webhook, webhooks")
know(["programming language", "language"], "python, go, golang, rust, java, kotlin, scala, "
     "typescript, javascript, ruby, php, c++, c#, elixir, erlang, haskell, swift, zig, "
     "clojure, ocaml, dart, lua, perl")
know(["web framework", "framework"], "django, flask, fastapi, rails, ruby on rails, spring, "
     "spring boot, express, nestjs, next.js, nextjs, nuxt, react, vue, angular, svelte, "
     "sveltekit, laravel, phoenix, gin, echo, fiber, actix, axum, rocket, asp.net")
know(["orm", "database access"], "sqlalchemy, prisma, hibernate, activerecord, gorm, diesel, "
     "sequelize, typeorm, drizzle, ecto, sqlx")
know(["migrations", "schema migration"], "flyway, liquibase, alembic, atlas, goose, dbmate")
know(["testing", "tests"], "pytest, jest, junit, mocha, vitest, cypress, playwright, selenium, "
     "rspec, cmocka, gtest, googletest, hypothesis, testcontainers, k6, locust, jmeter, "
     "gatling")
know(["infrastructure as code", "provisioning"], "terraform, opentofu, pulumi, ansible, chef, "
     "puppet, saltstack, cloudformation, cdk, packer")
know(["version control", "source control"], "git, github, gitlab, bitbucket, gitea, mercurial, "
     "svn, subversion")
know(["operating system", "linux"], "linux, ubuntu, debian, alpine, centos, rhel, fedora, "
     "arch, nixos, freebsd, rocky linux, amazon linux")
know(["dns", "networking"], "dns, route53, route 53, coredns, bind, unbound, powerdns")
know(["networking", "vpn"], "wireguard, openvpn, tailscale, zerotier, ipsec")
know(["payments", "billing"], "stripe, paypal, adyen, braintree, square, paddle, chargebee")
know(["email", "notifications"], "sendgrid, mailgun, postmark, ses, amazon ses, mailchimp, "
     "smtp, twilio")
know(["feature flags", "configuration"], "launchdarkly, unleash, flagsmith, growthbook")
know(["scheduler", "jobs", "workflow"], "cron, airflow, apache airflow, dagster, prefect, "
     "luigi, argo workflows, step functions, systemd timers")
know(["stream processing", "data pipeline"], "flink, apache flink, spark, apache spark, beam, "
     "kafka streams, ksqldb, materialize, debezium")
know(["connection pooler", "database", "proxy"], "pgbouncer, pgpool, proxysql, odyssey")
know(["replication", "high availability", "database"], "patroni, repmgr, galera, "
     "stolon, pglogical")
know(["backup", "disaster recovery"], "restic, borg, borgbackup, velero, pgbackrest, barman, "
     "wal-g, wal-e, rsync, rclone, litestream")
know(["rate limiting", "traffic control"], "token bucket, leaky bucket")
know(["machine learning", "ml"], "pytorch, tensorflow, jax, scikit-learn, sklearn, onnx, "
     "huggingface, transformers, llama.cpp, vllm, ollama, xgboost, lightgbm")
# Words (any form: matched by stem prefix) -> concept categories of the event or subject.
# Only words that say what the memory is about: a strong model does not call "the pricing
# page" a page of the on-call pager, nor every "set" a configuration.
EVENTS = [
    (r"decid|decision|chose|choos|chosen|opted|settled on|went with|agreed on|adopted",
     ["decision", "choice"]),
    (r"compar|evaluat|benchmark|trade-?off|alternativ", ["evaluation", "comparison"]),
    (r"fix|patch|resolv|repair|workaround|hotfix", ["fix", "bugfix"]),
    (r"\bbug|defect|regression|crash|panic|segfault|deadlock|race condition|memory leak|"
     r"corrupt", ["bug", "defect"]),
    (r"outage|downtime|went down|was down|is down|unavailab|incident|degraded|sev-?\d|"
     r"paged|on-?call", ["outage", "incident"]),
    (r"postmortem|post-mortem|root cause|lessons learned", ["postmortem", "incident review"]),
    (r"migrat|cutover|cut over|moved (?:\w+ )?(?:to|off)|switched (?:\w+ )?(?:to|from)",
     ["migration"]),
    (r"releas|shipped|launched|rolled out|rollout", ["release"]),
    (r"deploy", ["deployment"]),
    (r"rollback|rolled back|revert", ["rollback"]),
    (r"upgrad", ["upgrade"]),
    (r"config|setting|timeout|threshold|ttl\b|retention|pool size|feature flag|"
     r"set (?:\w+ ){0,3}to \d", ["configuration", "setting"]),
    (r"error|exception|traceback|stack trace|timed out|connection refused|fail",
     ["error", "failure"]),
    (r"latenc|throughput|performance|p99|p95|p50|out of memory|\boom\b|bottleneck|"
     r"optimi[sz]", ["performance"]),
    (r"meeting|standup|stand-up|planning session|sprint review|retrospective",
     ["meeting", "discussion"]),
    (r"prefer", ["preference"]),
    (r"insight|realiz|turns out|lesson", ["insight", "learning"]),
    (r"roadmap|next step|todo|to-do|we plan|planned|proposal|propos", ["plan"]),
    (r"secur|vulnerab|cve-|exploit|credential|password|permission", ["security"]),
    (r"flaky|unit test|integration test|test suite|coverage", ["testing"]),
    (r"schema|sql\b|index(?:es)? on|query plan", ["database"]),
    (r"cach", ["cache"]),
    (r"queue|message broker|consumer lag|dead.letter", ["queue", "messaging"]),
    (r"compress", ["compression"]),
    (r"backup|restore from|snapshot", ["backup"]),
    (r"alert|monitoring|dashboard", ["monitoring"]),
    (r"cost|pricier|cheaper|expensiv|budget", ["cost"]),
    (r"disk space|disk full|storage|capacity", ["storage"]),
    (r"dns|tls|certificate|firewall|vpn|bandwidth", ["networking"]),
    (r"dependenc|library|upstream package", ["dependencies"]),
    (r"documentation|readme|runbook|wiki", ["documentation"]),
]
EVENTS = [(re.compile(r"\b(?:" + rx + ")", re.I), cats) for rx, cats in EVENTS]

TOPIC_PATH = {
    "database": "infrastructure/data/database", "cache": "infrastructure/data/cache",
    "message broker": "infrastructure/messaging/message broker",
    "queue": "infrastructure/messaging/queue", "compression": "software/data/compression",
    "search engine": "infrastructure/data/search engine",
    "object storage": "infrastructure/storage/object storage",
    "web server": "infrastructure/network/web server",
    "monitoring": "operations/monitoring", "logging": "operations/logging",
    "outage": "operations/incident/outage", "incident": "operations/incident",
    "decision": "work/decision", "fix": "engineering/fix", "bug": "engineering/bug",
    "release": "engineering/release", "migration": "operations/migration",
    "deployment": "operations/deployment", "configuration": "operations/configuration",
    "performance": "engineering/performance", "meeting": "work/meeting",
    "postmortem": "operations/incident/postmortem", "security": "engineering/security",
}

SPEAKER = re.compile(r"^\s*([A-Z][\w.-]{1,30}(?: [A-Z][\w.-]{1,30})?)\s*:\s+")
VERSION = re.compile(r"\bv?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?\b")
PATHLIKE = re.compile(r"(?:~|\.{0,2})/[\w./-]+|\b[\w-]+\.(?:ya?ml|json|toml|conf|ini|py|go|rs|"
                      r"c|h|js|ts|sql|sh|md|cfg|env)\b")
HOSTLIKE = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+[a-z0-9-]*\b|"
                      r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+\.(?:com|net|org|io|internal|local|dev)\b")
PROPER = re.compile(r"\b[A-Z][a-zA-Z0-9]*(?:[A-Z][a-z0-9]+)*\b")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+#.-]*[A-Za-z0-9+#]|[A-Za-z]")


def first_sentence(text):
    line = text.strip().split("\n", 1)[0]
    m = re.search(r"(?<=[.!?])\s", line)
    return (line[:m.start()] if m else line).strip()


def cut(text, limit):
    if len(text) <= limit:
        return text
    t = text[:limit]
    sp = t.rfind(" ")
    return (t[:sp] if sp > limit // 2 else t).rstrip(" ,;:-")


# Names that are also common English words: a technology only when written capitalised
# ("we use Make", "moved to Vault"), as a reader would take them.
AMBIGUOUS = set("""make go echo rest swift vector bind arch compose render workers rocket flux
tempo square chef puppet beam spark fiber gin zip neon fauna garage railway drone bamboo atlas
goose unbound cortex thanos mimir ninja parcel express phoenix rollup nix uv rq b2 h2 r2 sns
ses spring lambda swarm vault presto druid pinot materialize arrow orc bleve sphinx vespa
chroma annoy badger elk cron smtp sso dns json yaml xml csv rust java dart lua ruby perl
oracle aurora spanner scylla couchbase cockroach mongo citus neo4j""".split())


NAME_RX = [(name, cats, re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", re.I),
            name in AMBIGUOUS and name not in ("json", "yaml", "xml", "csv", "dns", "smtp",
                                               "sso", "cron", "oracle", "mongo", "neo4j"))
           for name, cats in KNOW.items() if len(name) >= 2]


# Words too general to be a keyword of a memory.
GENERIC = set("""used using use uses thing things stuff looked looking look seems seemed
need needs needed want wants wanted said says told asked know knew like likes back good bad
nothing something anything everything someone much many lot lots little bit while took take
takes keep kept came come comes done work worked working able made makes time times way
again""".split())

NEGATED = re.compile(r"\b(?:no|without|zero|never|not)\s+(?:\w+\s+)?$", re.I)


def known_names(body):
    """Known technologies named in the text: [(name, categories)]."""
    found = []
    for name, cats, rx, capital in NAME_RX:
        ms = rx.finditer(body)
        if capital:
            if not any(m.group(0)[0].isupper() for m in ms):
                continue
        elif next(ms, None) is None:
            continue
        found.append((name, cats))
    # prefer the longest names ("redis streams" over "redis" when both match the same words)
    found.sort(key=lambda x: -len(x[0]))
    kept = []
    for name, cats in found:
        if any(name in k and name != k for k, _ in kept):
            continue
        kept.append((name, cats))
    return kept


# Labels that start a note ("Outage: ...", "Fix: ...") rather than name who speaks.
LABELS = set("""note notes update status todo fyi re question answer reminder summary action
followup follow-up context update result results plan idea warning heads-up info""".split())


def is_speaker(label):
    low = label.lower()
    if low in STOP or low in LABELS or low in KNOW:
        return False
    return not any(rx.search(label) for rx, _ in EVENTS)


def encode(text, type_=""):
    body = text.strip()
    speaker = None
    m = SPEAKER.match(body)
    if m and is_speaker(m.group(1)):
        speaker = m.group(1)
        body = body[m.end():].strip()
    low = body.lower()
    sentence = first_sentence(body) or body

    techs = known_names(body)
    events = []
    for rx, cats in EVENTS:
        if any(not NEGATED.search(body[:m.start()]) for m in rx.finditer(body)):
            for c in cats:
                if c not in events:
                    events.append(c)
    tcats = []
    for _, cats in techs:
        for c in cats:
            if c not in tcats:
                tcats.append(c)

    concepts = []

    def add(c):
        c = c.strip().lower()
        if c and c not in concepts and len(concepts) < 40:
            concepts.append(c)

    for name, _ in techs:
        add(name)
    for c in tcats:
        add(c)
    for c in events:
        add(c)
    # then a few key words of the text, as a model lists keywords: not every word
    words = 0
    for w in WORD.findall(body):
        lw = w.lower().strip(".-")
        if len(lw) < 4 or lw in STOP or lw in GENERIC or lw.isdigit() or lw in concepts:
            continue
        add(lw)
        words += 1
        if words == 8:
            break

    entities = []
    seen = set()

    def ent(name, kind, ctx=""):
        k = name.lower()
        if k in seen or len(entities) >= 30:
            return
        seen.add(k)
        entities.append({"name": name, "type": kind, "context": ctx})

    if speaker:
        ent(speaker, "person", "speaker")
    for name, cats in techs:
        # the spelling the text uses
        mm = re.search(re.escape(name), body, re.I)
        ent(mm.group(0) if mm else name, "technology", cats[0])
    for v in VERSION.findall(body):
        ent(v, "version")
    for p in PATHLIKE.findall(body):
        ent(p, "path")
    for h in HOSTLIKE.findall(body):
        ent(h, "host")
    for i, pm in enumerate(PROPER.finditer(body)):
        w = pm.group(0)
        if w.lower() in STOP or len(w) < 3:
            continue
        # a capitalised first word of a sentence is not a name unless it is unknown prose
        start = pm.start()
        before = body[:start].rstrip()
        if (not before or before[-1] in ".!?") and w.lower() in KNOW:
            continue
        if not before or before[-1] in ".!?":
            continue
        ent(w, "name")

    topics = []
    for c in tcats + events:
        if len(topics) >= 8:
            break
        if any(t["label"] == c for t in topics):
            continue
        topics.append({"label": c, "path": TOPIC_PATH.get(c, c)})

    actions = []
    for rx, cats in EVENTS[:8]:
        mm = rx.search(body)
        if mm:
            actions.append({"verb": mm.group(0).lower(), "object": techs[0][0] if techs else "",
                            "details": cats[0]})

    causality = []
    cm = re.search(r"\b(because|since|due to|caused by|so that|which caused|led to)\b(.{3,120})",
                   body, re.I)
    if cm:
        causality.append({"relation": cm.group(1).lower(),
                          "description": cm.group(2).strip(" .,")})

    significance, tone, outcome, salience = "routine", "neutral", "unknown", 0.45
    if "outage" in events or "incident" in events:
        significance, tone, salience = "important", "concerning", 0.8
    elif "decision" in events:
        significance, salience = "notable", 0.7
    elif "bug" in events or "error" in events:
        significance, tone, salience = "notable", "frustrating", 0.6
    if "fix" in events:
        outcome, tone = "success", "satisfying"
        salience = max(salience, 0.65)
    elif "release" in events or "migration" in events:
        outcome, salience = "success", max(salience, 0.6)
    elif "failure" in events:
        outcome = "failure"
    elif "plan" in events:
        outcome = "ongoing"

    lead = f"{speaker}: " if speaker else ""
    gist = cut(sentence, 60)
    summary = cut((lead + body).strip(), 400)
    narrative = ""
    if speaker:
        narrative = f"{speaker} said this in a conversation."
    return {
        "gist": gist,
        "summary": summary,
        "content": text,
        "narrative": narrative,
        "concepts": concepts,
        "structured_concepts": {"topics": topics, "entities": entities, "actions": actions,
                                "causality": causality},
        "significance": significance,
        "emotional_tone": tone,
        "outcome": outcome,
        "salience": salience,
    }


def empty_encoding(text):
    return {"gist": "", "summary": "", "content": text, "narrative": "", "concepts": [],
            "structured_concepts": {"topics": [], "entities": [], "actions": [],
                                    "causality": []},
            "significance": "routine", "emotional_tone": "neutral", "outcome": "unknown",
            "salience": 0.5}


# The production prompt (src/model/prompt.c) ends with
#     Source: <source>\nType: <type>\n[Observed on: <day> ...\n]Observation:\n<content>\n
PROMPT_HEADER = re.compile(r"^Source: [^\n]*\nType: ([^\n]*)\n(?:Observed on: [^\n]*\n)?"
                           r"Observation:\n", re.M)


def observation(user):
    m = PROMPT_HEADER.search(user)
    if not m:
        return None, ""
    text = user[m.end():]
    return (text[:-1] if text.endswith("\n") else text), m.group(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "recall-bench-teacher/1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

    def log_message(self, fmt, *args):
        pass

    def send(self, status, obj):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.split("?", 1)[0].rstrip("/") in ("/v1/models", "/models"):
            self.send(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
        else:
            self.send(404, {"error": {"message": "not found"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if not self.path.split("?", 1)[0].rstrip("/").endswith("/chat/completions"):
            self.send(404, {"error": {"message": "not found"}})
            return
        srv = self.server
        with srv.lock:
            srv.requests += 1
        if srv.mode == "fail":
            self.send(500, {"error": {"message": "teacher.py --mode fail", "type": "server_error"}})
            return
        try:
            req = json.loads(raw)
            user = next(m["content"] for m in reversed(req["messages"]) if m["role"] == "user")
        except (ValueError, KeyError, TypeError, StopIteration):
            self.send(400, {"error": {"message": "bad request"}})
            return
        text, type_ = observation(user)
        if text is None:
            self.send(400, {"error": {"message": "no 'Observation:' section in the prompt"}})
            return
        enc = empty_encoding(text) if srv.mode == "empty" else encode(text, type_)
        if srv.logf:
            with srv.lock:
                srv.logf.write(json.dumps({"observation": text, "encoding": enc},
                                          ensure_ascii=False) + "\n")
                srv.logf.flush()
        self.send(200, {
            "id": "chatcmpl-teacher", "object": "chat.completion", "created": int(time.time()),
            "model": req.get("model") or MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant",
                                     "content": json.dumps(enc, ensure_ascii=False)}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--mode", choices=("teacher", "empty", "fail"), default="teacher")
    ap.add_argument("--log", help="append {observation, encoding} JSON lines here")
    ap.add_argument("--encode", metavar="TEXT", help="print the encoding of TEXT and exit")
    a = ap.parse_args()
    if a.encode is not None:
        print(json.dumps(encode(a.encode), indent=1, ensure_ascii=False))
        return
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    srv.mode = a.mode
    srv.lock = threading.Lock()
    srv.requests = 0
    srv.logf = open(a.log, "a", encoding="utf-8") if a.log else None
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    else:
        print(port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
