#!/usr/bin/env python3
"""Top-level modules of src/ and what each imports (`crate::<module>`).

Fails (exit 1) when the graph has a cycle other than the one allowed below,
or when a module imports one of a higher layer (see LAYERS), printing each;
`--dot` prints the graph. Comments and `#[cfg(test)]`
modules are left out: unit tests may reach anywhere.
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# The state every handler receives holds the keys that `auth` checks tokens
# with, and `auth` extracts callers from that state: one pair, by design.
ALLOWED = {frozenset({"state", "auth"})}

# The layers, lowest first (ARCHITECTURE.md): a module may import its own
# layer and the ones below, never one above.
LAYERS = [
    ("foundation", {"error", "config", "vocab", "validate", "pagination", "recurrence",
                    "geo", "shape", "middleware", "http", "metrics"}),
    ("storage", {"db", "changelog", "search"}),
    ("requests", {"extract", "merge", "auth", "state", "idempotency", "cache", "ratelimit"}),
    ("listing layer", {"listing"}),
    ("resources", {"organizations", "groups", "events", "resources", "taxonomies", "health"}),
    ("features", {"calendar", "changes", "maintenance", "seed"}),
    ("registries", {"openapi", "startup", "cli"}),
]


def top_modules():
    mods = {}
    for p in SRC.iterdir():
        if p.suffix == ".rs" and p.stem not in ("lib", "main"):
            mods[p.stem] = [p]
        elif p.is_dir():
            mods[p.name] = sorted(p.rglob("*.rs"))
    return mods


def strip(text):
    # Drop #[cfg(test)] modules (to the end of the file: they come last).
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)[0]
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return text


def graph():
    mods = top_modules()
    edges = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            text = strip(f.read_text())
            for target in re.findall(r"\bcrate::(\w+)", text):
                if target in mods and target != m:
                    edges[m].add(target)
            # `use crate::{a, b::c}` groups
            for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
                for target in re.findall(r"(?:^|[,{\s])(\w+)", group):
                    if target in mods and target != m:
                        edges[m].add(target)
    return edges


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def layer_of(module):
    for i, (_, members) in enumerate(LAYERS):
        if module in members:
            return i
    return None


def upward(edges):
    """Imports of a module from a higher layer; modules in no layer."""
    out = []
    for m in sorted(edges):
        lm = layer_of(m)
        if lm is None:
            out.append(f"{m} is in no layer: add it to LAYERS in {Path(__file__).name}")
            continue
        for t in sorted(edges[m]):
            lt = layer_of(t)
            if lt is not None and lt > lm:
                out.append(f"{m} ({LAYERS[lm][0]}) imports {t} ({LAYERS[lt][0]})")
    return out


def main():
    edges = graph()
    if "--dot" in sys.argv:
        print("digraph modules {")
        for m in sorted(edges):
            for t in sorted(edges[m]):
                print(f'  "{m}" -> "{t}";')
        print("}")
        return 0
    bad = [c for c in cycles(edges) if frozenset(c) not in ALLOWED]
    up = upward(edges)
    for line in up:
        print("layering:", line)
    if not bad and not up:
        print(f"module graph: {len(edges)} top-level modules in {len(LAYERS)} layers, no cycle, no upward import")
        return 0
    for comp in bad:
        print("cycle between top-level modules:", ", ".join(comp))
        members = set(comp)
        for m in comp:
            inside = sorted(edges[m] & members)
            print(f"  {m} -> {', '.join(inside)}")
    return 1 if (bad or up) else 0


if __name__ == "__main__":
    sys.exit(main())
