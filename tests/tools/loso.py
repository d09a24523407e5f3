#!/usr/bin/env python3
"""Leave-one-system-out choice of bi-rca's template settings.

loso.py [-b BIN_DIR] DATA_DIR [SYSTEM ...]

DATA_DIR holds SYSTEM.jsonl, SYSTEM.truth and ga.py (tests/fixtures/loghub-2k).
Every setting of a small grid (BI_TEMPLATE_SETTINGS="sim=S,depth=D") is run on
every system and scored by the dataset's ga.py. Then, for each system in turn,
held out: the setting with the best mean over the other systems is chosen (the
first in grid order on a tie), and the held-out system's accuracy under it is
reported. That figure is one the system had no say in; the mean of them is
what a new log system may expect. The defaults (no variable set) are scored
too. Output, one line each (stdout):

    grid SETTING SYSTEM=ACC ...
    held-out SYSTEM SETTING ACC
    held-out-mean ACC
    default SYSTEM ACC
    default-mean ACC
    choice SETTING  (best mean over all systems: what a default should be)

Exit 0, or 2 on a usage or input error.
"""
import json
import os
import subprocess
import sys

# Similarity stops at 0.9 for the same reason: above it a message of fewer
# than 20 words may differ in no word at all, so two messages that differ only
# in a digitless parameter never join, whatever these samples reward.
SIMS = ["0.5", "0.6", "0.7", "0.8", "0.85", "0.9"]
# Depth is kept shallow on purpose, whatever these eight systems prefer: the
# route's words are constant for good, so a parameter without digits (a user,
# a host, an id like ord_beef) among them keeps one template apart for ever,
# and the deeper the route the likelier that is on a system not seen here
# (tests/cli/0302-bi-rca-scale.t is such an input). Depth 3-4 routes on one
# or two words, as Drain's own default does.
DEPTHS = ["3", "4"]
SYSTEMS = ["HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "OpenStack", "Apache", "HealthApp"]


def die(msg):
    print(f"loso.py: {msg}", file=sys.stderr)
    sys.exit(2)


def accuracy(bindir, data, system, setting, tmp):
    env = dict(os.environ)
    env.pop("BI_TEMPLATE_SETTINGS", None)
    if setting:
        env["BI_TEMPLATE_SETTINGS"] = setting
    with open(os.path.join(data, system + ".jsonl"), "rb") as f:
        out = subprocess.run([os.path.join(bindir, "bi-rca"), "--templates"], stdin=f,
                             stdout=subprocess.PIPE, env=env, check=False)
    if out.returncode != 0:
        die(f"bi-rca --templates on {system} ({setting or 'defaults'}): exit {out.returncode}")
    pred = os.path.join(tmp, system + ".pred")
    with open(pred, "w") as f:
        for line in out.stdout.decode().splitlines():
            f.write(json.loads(line)["template_id"] + "\n")
    ga = subprocess.run([sys.executable, os.path.join(data, "ga.py"), pred,
                         os.path.join(data, system + ".truth")],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if ga.returncode != 0:
        die(f"ga.py on {system}: {ga.stderr.decode().strip()}")
    return float(ga.stdout.decode())


def main():
    args = sys.argv[1:]
    bindir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin")
    if len(args) >= 2 and args[0] == "-b":
        bindir = args[1]
        args = args[2:]
    if not args or args[0].startswith("-"):
        die("usage: loso.py [-b BIN_DIR] DATA_DIR [SYSTEM ...]")
    data, systems = args[0], args[1:] or SYSTEMS
    if len(systems) < 2:
        die("leaving one out needs two systems at least")
    for s in systems:
        if not os.path.isfile(os.path.join(data, s + ".jsonl")):
            die(f"{data}/{s}.jsonl: not found")
    tmp = os.environ.get("TMPDIR", "/tmp")
    tmp = os.path.join(tmp, f"loso.{os.getpid()}")
    os.makedirs(tmp, exist_ok=True)
    try:
        grid = [f"sim={s},depth={d}" for d in DEPTHS for s in SIMS]
        acc = {}
        for g in grid:
            acc[g] = {s: accuracy(bindir, data, s, g, tmp) for s in systems}
            print("grid", g, " ".join(f"{s}={acc[g][s]:.4f}" for s in systems))

        def mean_over(g, names):
            return sum(acc[g][s] for s in names) / len(names)

        held = []
        for h in systems:
            others = [s for s in systems if s != h]
            best = max(grid, key=lambda g: (mean_over(g, others), -grid.index(g)))
            held.append(acc[best][h])
            print("held-out", h, best, f"{acc[best][h]:.4f}")
        print("held-out-mean", f"{sum(held) / len(held):.4f}")
        default = [accuracy(bindir, data, s, None, tmp) for s in systems]
        for s, a in zip(systems, default):
            print("default", s, f"{a:.4f}")
        print("default-mean", f"{sum(default) / len(default):.4f}")
        print("choice", max(grid, key=lambda g: (mean_over(g, systems), -grid.index(g))))
    finally:
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)


main()
