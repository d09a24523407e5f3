#!/usr/bin/python3
"""check-canary.py PROJECT SHAPE WORKDIR: the production canary of a project
bi-scaffold generated, rendered and put to Prometheus's own tools.

- `kubectl kustomize k8s/overlays/production` renders; the Rollout names an
  AnalysisTemplate, a canary and a stable Service that are all in the output;
  its analysis gets the canary's pod-template hash (podTemplateHashValue:
  Latest) and every argument the template's queries use.
- The analysis queries become recording rules that `promtool check rules`
  accepts, and `promtool test rules` evaluates them over series shaped as
  SHAPE says the template's service exports them (its metric names and
  labels, its histogram bounds), with the labels Prometheus's kubernetes-pods
  job adds (namespace, rollouts_pod_template_hash):
    a canary with 3 % errors beside a clean stable and a noisy neighbour
      namespace: the error rate reads 3; p95 and p99 read the canary's own;
    a canary with no 5xx series at all (client libraries make a series on its
      first use): the error rate reads 0, not nothing;
    no canary series at all: every query reads nothing.
- Each metric's successCondition, evaluated on those readings (Argo's expr
  operators mapped to Python's): 3 fails the error-rate threshold, 0 passes,
  the latencies pass their thresholds, and nothing never passes.
Prints one line per problem; exit 1 if any.
"""
import os
import re
import subprocess
import sys

import yaml

root, shape_file, work = sys.argv[1:4]
problems = []
NS, CANARY, STABLE = "shop-production", "c4n4ry", "5t4b1e"


def fail(msg):
    problems.append(msg)


r = subprocess.run(["kubectl", "kustomize", os.path.join(root, "k8s", "overlays", "production")],
                   capture_output=True, text=True)
if r.returncode != 0:
    print("kubectl kustomize: " + r.stderr.strip()[:300])
    sys.exit(1)
docs = [d for d in yaml.safe_load_all(r.stdout) if d]
kinds = [d.get("kind") for d in docs]
rollouts = [d for d in docs if d.get("kind") == "Rollout"]
templates = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "AnalysisTemplate"}
services = {d["metadata"]["name"] for d in docs if d.get("kind") == "Service"}
if None in kinds:
    fail("a rendered document has no kind (kubectl apply would refuse it)")
if len(rollouts) != 1 or len(templates) != 1:
    print(f"want one Rollout and one AnalysisTemplate, rendered: {kinds}")
    sys.exit(1)
canary = rollouts[0]["spec"]["strategy"]["canary"]
for key in ("canaryService", "stableService"):
    if canary.get(key) not in services:
        fail(f"Rollout {key} {canary.get(key)!r} is not among the Services {sorted(services)}")
an = canary.get("analysis") or {}
names = [t.get("templateName") for t in an.get("templates", [])]
if not names or any(n not in templates for n in names):
    fail(f"Rollout analysis templates {names}, rendered {sorted(templates)}")
    print("\n".join(problems))
    sys.exit(1)
at = templates[names[0]]
passed = {a["name"]: a for a in an.get("args", [])}
if (passed.get("canary-hash", {}).get("valueFrom", {}).get("podTemplateHashValue")) != "Latest":
    fail("the analysis does not get the canary's pod-template hash (podTemplateHashValue: Latest)")
declared = {a["name"]: a.get("value") for a in at["spec"].get("args", [])}
weights = [s["setWeight"] for s in canary.get("steps", []) if "setWeight" in s]
if not weights or weights[-1] != 100:
    fail(f"steps {weights} do not end at 100")

# The queries, with the arguments Argo would put in.
values = {"canary-hash": CANARY, "namespace": NS}
metrics = at["spec"]["metrics"]
rules, conds = [], {}
for m in metrics:
    q = m["provider"]["prometheus"]["query"]
    for used in re.findall(r"\{\{args\.([a-z0-9-]+)\}\}", q):
        if used not in declared:
            fail(f"{m['name']}: query uses args.{used}, which the template does not declare")
        elif used not in passed and declared[used] is None:
            fail(f"{m['name']}: args.{used} has no value: the Rollout passes none, no default")
    q = re.sub(r"\{\{args\.([a-z0-9-]+)\}\}", lambda x: values.get(x.group(1), "?"), q)
    if "{{" in q:
        fail(f"{m['name']}: an argument left in the query: {q}")
    cond = m.get("successCondition", "")
    if re.search(r"len\(result\)\s*==\s*0\s*\|\|", cond):
        fail(f"{m['name']}: successCondition passes an empty result: {cond}")
    rec = "canary:" + re.sub(r"[^a-z0-9]", "_", m["name"])
    rules.append({"record": rec, "expr": q.strip()})
    conds[m["name"]] = (rec, cond)
os.makedirs(work, exist_ok=True)
rules_path = os.path.join(work, "canary-rules.yaml")
with open(rules_path, "w") as f:
    yaml.safe_dump({"groups": [{"name": "canary", "rules": rules}]}, f, sort_keys=False)
r = subprocess.run(["promtool", "check", "rules", rules_path], capture_output=True, text=True)
if r.returncode != 0:
    fail("promtool check rules: " + (r.stdout + r.stderr).strip()[-400:])

# The series, as SHAPE says the service writes them.
shape = [l for l in open(shape_file).read().splitlines() if l and not l.startswith("#")]
req_line = next(l for l in shape if "_bucket{" not in l and not l.startswith("buckets "))
bucket_line = next(l for l in shape if "_bucket{" in l)
bounds = next(l for l in shape if l.startswith("buckets ")).split()[1:]
app = os.path.basename(root)


def series(line, ns, hash_, pod, status=None, le=None):
    s = line.replace('"APP"', f'"{app}"')
    if status is not None:
        s = re.sub(r'status="[^"]*"', f'status="{status}"', s)
        s = s.replace('outcome="SUCCESS"', 'outcome="SERVER_ERROR"' if status.startswith("5") else 'outcome="SUCCESS"')
    if le is not None:
        s = s.replace('le="LE"', f'le="{le}"')
    # What the kubernetes-pods job adds to every series of a pod.
    return s.replace("{", f'{{namespace="{ns}",pod="{pod}",rollouts_pod_template_hash="{hash_}",', 1)


def pod_series(ns, hash_, pod, ok_per_step, err_per_step, fast_bound):
    """Counters of one pod: ok and 5xx requests per 15 s step, every request
    answered within fast_bound (the histogram's cumulative buckets)."""
    out = [{"series": series(req_line, ns, hash_, pod, "200"), "values": f"0+{ok_per_step}x40"}]
    if err_per_step is not None:
        out.append({"series": series(req_line, ns, hash_, pod, "500"), "values": f"0+{err_per_step}x40"})
    total = ok_per_step + (err_per_step or 0)
    statuses = ["200"] + (["500"] if err_per_step is not None else [])
    # Micrometer's buckets carry the status too; the others' do not.
    split = 'status="' in bucket_line
    for b in bounds:
        within = b == "+Inf" or float(b) >= float(fast_bound)
        if split:
            for st in statuses:
                n = (ok_per_step if st == "200" else err_per_step) if within else 0
                out.append({"series": series(bucket_line, ns, hash_, pod, st, b), "values": f"0+{n}x40"})
        else:
            out.append({"series": series(bucket_line, ns, hash_, pod, le=b),
                        "values": f"0+{total if within else 0}x40"})
    return out


def quantile_ms(q, fast_bound):
    """histogram_quantile's answer, in ms, when every request fell in the
    bucket whose upper bound is fast_bound: linear inside it."""
    fin = [float(b) for b in bounds if b != "+Inf"]
    hi = float(fast_bound)
    lo = max([b for b in fin if b < hi], default=0.0)
    return 1000 * (lo + (hi - lo) * q)


def by_name(part):
    return next((rec for name, (rec, _) in conds.items() if part in name), None)


err_rec, p95_rec, p99_rec = by_name("error"), by_name("p95"), by_name("p99")
if not (err_rec and p95_rec and p99_rec):
    fail(f"want an error-rate, a p95 and a p99 metric, have {sorted(conds)}")
    print("\n".join(problems))
    sys.exit(1)
canary_bound, stable_bound = "0.05", "0.5"
cases = [
    # name, input series, expected reading per record (None: nothing)
    ("3 % errors", pod_series(NS, CANARY, "c-1", 97, 3, canary_bound)
     + pod_series(NS, STABLE, "s-1", 100, 0, stable_bound)
     + pod_series("other-ns", CANARY, "o-1", 50, 50, stable_bound),
     {err_rec: 3, p95_rec: quantile_ms(0.95, canary_bound), p99_rec: quantile_ms(0.99, canary_bound)}),
    ("no 5xx series", pod_series(NS, CANARY, "c-1", 100, None, canary_bound)
     + pod_series(NS, STABLE, "s-1", 90, 10, stable_bound),
     {err_rec: 0, p95_rec: quantile_ms(0.95, canary_bound), p99_rec: quantile_ms(0.99, canary_bound)}),
    ("no canary series", pod_series(NS, STABLE, "s-1", 97, 3, stable_bound),
     {err_rec: None, p95_rec: None, p99_rec: None}),
]
tests = []
for name, inp, want in cases:
    exprs = []
    for rec, v in want.items():
        exprs.append({"expr": rec, "eval_time": "5m",
                      "exp_samples": [] if v is None else [{"labels": rec, "value": v}]})
    tests.append({"interval": "15s", "input_series": inp, "promql_expr_test": exprs})
test_path = os.path.join(work, "canary-test.yaml")
with open(test_path, "w") as f:
    yaml.safe_dump({"rule_files": [rules_path], "evaluation_interval": "15s", "tests": tests}, f,
                   sort_keys=False)
r = subprocess.run(["promtool", "test", "rules", test_path], capture_output=True, text=True)
if r.returncode != 0:
    fail("promtool test rules: " + (r.stdout + r.stderr).strip()[-1500:])


def condition(cond, result):
    py = cond.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)
    return bool(eval(py, {"__builtins__": {}}, {"len": len, "result": result}))


rec_cond = {rec: cond for rec, cond in conds.values()}
for name, _, want in cases:
    for rec, v in want.items():
        got = condition(rec_cond[rec], [] if v is None else [v])
        should = v is not None and not (rec == err_rec and v >= 1)
        if got != should:
            fail(f"{name}: {rec} reading {v}: successCondition '{rec_cond[rec]}' "
                 f"{'passes' if got else 'fails'}, should {'pass' if should else 'fail'}")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
