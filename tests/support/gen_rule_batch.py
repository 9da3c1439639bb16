#!/usr/bin/env python3
"""gen_rule_batch.py - a hand-made training batch that teaches the builtin
student something its shipped default weights do not know.

The shipped default (data/default-model) was trained on every row of
data/seed/seed.raw.jsonl, so a batch cut from the seed set cannot beat it:
the quality gate rightly rejects such candidates. A real teacher corrects
the student where it is wrong; this script plays that teacher with rules on
invented words the seed set and the probe set never use (the idea of
bench/learn.c):

  - a project codename decides significance and salience
      vorthane critical 0.9 | zorblat important 0.75
      quenvix  notable  0.5 | plimsk  routine   0.25
  - a status word decides the outcome
      skardle failure | brimmet success | taloov ongoing | nuxwey unknown
  - the tone depends on both: a failure is "concerning" on a critical or
    important project and "frustrating" otherwise, a success "exciting" or
    "satisfying" the same way, anything else "neutral".

Each observation is a sentence naming a project, an ordinary subject (a
component of the seed vocabulary) and a status, then, mostly, ordinary
seed-like text (a sentence of one of the seed set's templates, drawn
independently of the labels, so its cues - "failed", "deployed", "outage" -
mislead a model that does not know the rule). The encodings are faithful and
extractive, in the seed set's exact shape: content = the input, gist and
summary = the first sentence cut to 60 and 400 characters (with the seed
generator's own text rules, which mirror src/features.c), concepts = the
codename, the component and the status word (lowercase terms of the input),
structured_concepts = topics from the concepts, the component and any person
as entities, no actions, no causality.

Output (DESIGN §7.1 raw format, what `mnemo trainer builtin` and the gate
read):
  OUT/train.raw.jsonl   N rule rows (label noise --noise), plus --replay rows
                        of the seed set (as the loop's replay), shuffled
  OUT/valid.raw.jsonl   M clean rule rows, the holdout

The holdout depends only on --seed and --holdout, and the training rows of a
smaller --train are a prefix of those of a larger one, so batches of
different sizes made with the same seed share their holdout and grow their
data. Training and holdout texts are disjoint. Deterministic: same
arguments, same bytes. Python 3 standard library only.

usage: gen_rule_batch.py --out DIR [--train N] [--holdout M] [--replay K]
                         [--noise P] [--seed S]
"""
import argparse
import importlib.util
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def load_seed_generator():
    """scripts/gen-seed-data.py: its text rules mirror src/features.c and
    its templates are the seed set's, so rows made with them have exactly
    the seed rows' shape."""
    path = ROOT / "scripts" / "gen-seed-data.py"
    sys.dont_write_bytecode = True  # leave no __pycache__ in scripts/
    spec = importlib.util.spec_from_file_location("gen_seed_data", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


S = load_seed_generator()

# (codename, significance, salience, high stakes)
PROJECTS = [
    ("vorthane", "critical", 0.9, True),
    ("zorblat", "important", 0.75, True),
    ("quenvix", "notable", 0.5, False),
    ("plimsk", "routine", 0.25, False),
]
# (status word, outcome, tone on a high-stakes project, tone otherwise)
STATUSES = [
    ("skardle", "failure", "concerning", "frustrating"),
    ("brimmet", "success", "exciting", "satisfying"),
    ("taloov", "ongoing", "neutral", "neutral"),
    ("nuxwey", "unknown", "neutral", "neutral"),
]
SIG = ["routine", "notable", "important", "critical"]
TONE = ["neutral", "satisfying", "frustrating", "exciting", "concerning"]
OUTCOME = ["success", "failure", "ongoing", "unknown"]

# The rule sentence: project, component, status (in that order of fields).
FRAMES = [
    "Project {p}: {c} is {s} as of this morning.",
    "The {p} team marked {c} {s} in the tracker.",
    "{C} went {s} for project {p}.",
    "Status of {c} under {p} is {s} now.",
    "Update for {p}: the {c} work is {s}.",
    "{P} review put {c} in the {s} column.",
]
SOURCES = ["cli", "mcp", "claude-code", "cursor", None]
TYPES = ["observation", "event", "note"]
# Seed templates that give one self-contained sentence of ordinary text.
DISTRACTOR_TEMPLATES = [
    S.t_deploy_success, S.t_deploy_failure, S.t_tests_pass, S.t_tests_fail, S.t_decision,
    S.t_proposal, S.t_metrics, S.t_perf, S.t_config, S.t_meeting, S.t_person, S.t_security,
    S.t_outage, S.t_milestone, S.t_bugfix, S.t_investigating, S.t_refactor, S.t_release,
    S.t_review,
]


def distractor(g):
    """One ordinary sentence, seed-like (probe-only vocabulary excluded)."""
    while True:
        obs = DISTRACTOR_TEMPLATES[g.r.randrange(len(DISTRACTOR_TEMPLATES))](g)
        sents = S.split_sentences(S.normalize(obs["text"]))
        if sents and "\n" not in sents[0] and len(sents[0]) < 200:
            return sents[0], [n for n, t in obs.get("entities", []) if t == "person"]


def observation(g, noisy, noise):
    """A dict in the seed generator's observation shape (for S.encode)."""
    r = g.r
    proj, sig, sal, high = PROJECTS[r.randrange(len(PROJECTS))]
    word, outcome, tone_high, tone_low = STATUSES[r.randrange(len(STATUSES))]
    comp = g.comp()
    frame = FRAMES[r.randrange(len(FRAMES))]
    first = frame.format(p=proj, P=proj.capitalize(), c=comp, C=comp[0].upper() + comp[1:],
                         s=word)
    if comp not in first:  # "{C}": the sentence starts with it
        comp = comp[0].upper() + comp[1:]
    parts, people = [first], []
    k = r.random()
    if k < 0.75:
        d, people = distractor(g)
        parts.append(d)
    if k < 0.25:
        d, more = distractor(g)
        parts.append(d)
        people += more
    parts.append("Ticket %d." % r.randint(1000, 9999))
    tone = tone_high if high else tone_low
    if noisy and r.random() < noise:
        sig, tone, outcome = r.choice(SIG), r.choice(TONE), r.choice(OUTCOME)
    ents = [(comp, "service")] + [(p, "person") for p in people]
    return dict(text=" ".join(parts), key=[first], concepts=[proj, comp.lower(), word], sig=sig,
                tone=tone, outcome=outcome, salience=sal, type=r.choice(TYPES),
                entities=ents, actions=[], source=r.choice(SOURCES))


def row(obs):
    return {
        "raw_input": obs["text"],
        "encoded": S.encode(obs),
        "task_type": "encoding",
        "memory_id": None,
        "source": "corrected",
        "epr": 1.0,
        "memory_type": obs["type"],
        "memory_source": obs["source"],
    }


def rows(seed, n, noisy, noise, exclude=()):
    g = S.Gen(seed, probe=False)
    out, seen = [], set(exclude)
    while len(out) < n:
        obs = observation(g, noisy, noise)
        if obs["text"] in seen:
            continue
        seen.add(obs["text"])
        out.append(row(obs))
    return out


def dump(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for r in items:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=200, help="rule rows to train on")
    ap.add_argument("--holdout", type=int, default=60, help="clean rule rows held out")
    ap.add_argument("--replay", type=int, default=420,
                    help="seed rows added to the training rows (data/seed)")
    ap.add_argument("--noise", type=float, default=0.05, help="share of wrong training labels")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    holdout = rows(a.seed * 1000003 + 17, a.holdout, False, 0.0)
    train = rows(a.seed * 1000003 + 29, a.train, True, a.noise,
                 exclude={r["raw_input"] for r in holdout})
    seed_rows = [line for line in
                 (ROOT / "data" / "seed" / "seed.raw.jsonl").read_text(encoding="utf-8")
                 .splitlines() if line.strip()]
    pick = random.Random(a.seed)
    replay = [json.loads(x) for x in
              (pick.sample(seed_rows, a.replay) if a.replay < len(seed_rows) else seed_rows)]
    mixed = train + replay
    random.Random(a.seed + 1).shuffle(mixed)
    os.makedirs(a.out, exist_ok=True)
    dump(os.path.join(a.out, "train.raw.jsonl"), mixed)
    dump(os.path.join(a.out, "valid.raw.jsonl"), holdout)


if __name__ == "__main__":
    sys.exit(main())
