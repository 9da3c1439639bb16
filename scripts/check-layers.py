#!/usr/bin/env python3
"""check-layers.py - keep mnemo's source tree layered (docs/architecture.md).

Every folder under src/ is a layer. A file may include headers of its own
layer and of the layers below it, never of a layer above.
Modules (a .c and its .h, named alike) must not depend on each other in a
cycle, inside a layer or across layers.

Also refused: a function declared `extern` inside a .c file (a way to call
upwards without an include), and a file in src/ itself other than main.c.

usage: scripts/check-layers.py [SRC_DIR]        (default: src)
       scripts/check-layers.py --graph [SRC_DIR] (print the module graph)
Exit 0 when the tree holds the rules, 1 with one line per violation.
"""
import os
import re
import sys

# Lowest first (docs/architecture.md). Layers on the same rank would be
# peers that must not include each other.
RANKS = {
    "base": 0,   # toolbox, knows nothing of memories
    "core": 1,   # configuration and the data home
    "store": 2,  # all SQL
    "model": 3,  # prompt, encoding, verifier, students, LLM client, encoder
    "learn": 4,  # process context, worker, experience, curriculum, batches, drift
    "train": 5,  # runs, orchestrator, evaluation, gate, registry, monitor, dream
    "app": 6,    # one function per user-visible operation
    "mcp": 7,    # MCP protocol and tools (any transport)
    "serve": 8,  # network transports (HTTP), above MCP
    "cli": 9,    # argv, rendering, exit codes, the daemon command
    "": 10,      # src/main.c
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
EXTERN_FN = re.compile(r'^\s*extern\s+[^;=()]*\(', re.M)


def layer_of(rel):
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def module_of(rel):
    """A module is a .c/.h pair; a private header `<m>_internal.h` or
    `<m>_schema.h` belongs to module <m>."""
    base, _ = os.path.splitext(rel)
    for suffix in ("_internal", "_schema"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def main(argv):
    graph = "--graph" in argv
    args = [a for a in argv[1:] if a != "--graph"]
    src = args[0] if args else "src"
    problems = []
    files = []
    for root, _, names in os.walk(src):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(root, n), src))
    files.sort()
    known = set(files)
    edges = {}
    for rel in files:
        lay = layer_of(rel)
        if lay not in RANKS:
            problems.append(f"{rel}: folder '{lay}' is not a known layer")
            continue
        if lay == "" and rel != "main.c":
            problems.append(f"{rel}: only main.c lives in src/ itself; put it in a layer")
        with open(os.path.join(src, rel), encoding="utf-8") as f:
            text = f.read()
        if rel.endswith(".c") and EXTERN_FN.search(text):
            problems.append(f"{rel}: declares an extern function; include its header instead")
        mod = module_of(rel)
        for inc in INCLUDE.findall(text):
            if inc not in known:
                # tests and generated headers are outside the tree's rules
                if not os.path.exists(os.path.join(src, inc)):
                    problems.append(f"{rel}: includes '{inc}', not a path under src/")
                continue
            tl = layer_of(inc)
            if tl not in RANKS or lay not in RANKS:
                continue
            if RANKS[tl] > RANKS[lay]:
                problems.append(f"{rel}: includes '{inc}' from higher layer '{tl}' (upward)")
            elif RANKS[tl] == RANKS[lay] and tl != lay:
                problems.append(f"{rel}: includes '{inc}' from peer front end '{tl}'")
            tm = module_of(inc)
            if tm != mod:
                edges.setdefault(mod, set()).add(tm)
    # cycles between modules (iterative DFS, colours)
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {}
    cycles = []
    for start in sorted(edges):
        if colour.get(start, WHITE) != WHITE:
            continue
        stack = [(start, iter(sorted(edges.get(start, ()))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            c = colour.get(nxt, WHITE)
            if c == GREY:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif c == WHITE:
                colour[nxt] = GREY
                stack.append((nxt, iter(sorted(edges.get(nxt, ())))))
                path.append(nxt)
    for cyc in cycles:
        problems.append("cycle: " + " -> ".join(cyc))
    if graph:
        for m in sorted(edges):
            print(f"{m} -> {' '.join(sorted(edges[m]))}")
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
