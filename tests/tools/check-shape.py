#!/usr/bin/python3
"""check-shape.py SHAPE < METRICS: does a service's real /metrics text have
the series that SHAPE (tests/fixtures/k8s/exports/TEMPLATE.shape) says it
exports, which the canary analysis test feeds promtool? For each series
line of SHAPE, a sample of that metric with exactly those label names; for
the histogram, the same bucket bounds. One line per difference; exit 1 if any.
"""
import re
import sys

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?(?:\s+(\S+))?')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(line):
    m = SERIES.match(line)
    if not m:
        return None, {}
    labels = dict(LABEL.findall(m.group(2) or ""))
    return m.group(1), labels


shape = [l for l in open(sys.argv[1]).read().splitlines() if l and not l.startswith("#")]
text = [l for l in sys.stdin.read().splitlines() if l and not l.startswith("#")]
samples = [parse(l) for l in text]
problems = []
for line in shape:
    if line.startswith("buckets "):
        continue
    name, labels = parse(line)
    want = set(labels)
    have = [set(l) for n, l in samples if n == name]
    if not have:
        problems.append(f"no {name} series at all")
    elif want not in have:
        problems.append(f"{name}: labels {sorted(want)}; the service's: {sorted(map(sorted, have))[:3]}")
    if "le" in labels:
        want_b = {float(b) for b in next(l for l in shape if l.startswith("buckets ")).split()[1:]}
        got_b = {}
        for n, l in samples:
            if n == name and "le" in l:
                key = tuple(sorted((k, v) for k, v in l.items() if k != "le"))
                got_b.setdefault(key, set()).add(float(l["le"]))
        if got_b and not any(b == want_b for b in got_b.values()):
            problems.append(f"{name}: bounds {sorted(want_b)}; the service's {sorted(next(iter(got_b.values())))}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
