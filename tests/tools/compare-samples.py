#!/usr/bin/python3
"""compare-samples.py DUMP RECORDS: do promtool and bi-metrics read the same?

DUMP is `promtool tsdb dump` output ({__name__="x", k="v"} value ts per line);
RECORDS is `bi-metrics parse` output (metric records). Prints each sample one
side has and the other has not, and exits 1 if there is any; else prints how
many samples both hold.
"""
import json
import math
import re
import sys

LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unquote(s):
    # Go's %q: \\, \", \n, \t and \xNN / \uNNNN for the rest.
    return json.loads('"' + s.replace('\\x', '\\u00') + '"')


def number(v):
    if isinstance(v, str):
        v = {"NaN": "nan", "+Inf": "inf", "-Inf": "-inf"}.get(v, v)
    f = float(v)
    return "NaN" if math.isnan(f) else repr(f)


def key(name, labels, value):
    return (name, tuple(sorted(labels.items())), number(value))


promtool = []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.startswith("{"):
        continue
    close = line.rindex("}")
    labels = {k: unquote(v) for k, v in LABEL.findall(line[1:close])}
    value = line[close + 1:].split()[0]
    name = labels.pop("__name__")
    promtool.append(key(name, labels, value))

ours = []
for line in open(sys.argv[2]):
    r = json.loads(line)
    ours.append(key(r["name"], r["labels"], r["value"]))

from collections import Counter

a, b = Counter(promtool), Counter(ours)
bad = 0
for x in sorted(set(a) | set(b)):
    if a[x] != b[x]:
        print(f"promtool {a[x]}, bi-metrics {b[x]}: {x}")
        bad += 1
if bad:
    sys.exit(1)
print(sum(a.values()))
