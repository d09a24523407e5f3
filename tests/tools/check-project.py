#!/usr/bin/python3
"""check-project.py DIR: static checks of a project bi-scaffold generated.

Prints one line per problem and exits 1 if there is any: a template variable
left unrendered, a YAML file that does not parse, kustomize overlays that do
not render to the expected kinds, and an Argo Rollout whose canary steps do
not rise to 100%, that names services not rendered, or has no analysis.
(Argo's own {{args.x}} placeholders are meant to stay.)
"""
import os
import re
import subprocess
import sys

import yaml

root = sys.argv[1]
problems = []


def rel(p):
    return os.path.relpath(p, root)


for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = [d for d in dirnames if d not in ("node_modules", ".git")]
    for f in filenames:
        p = os.path.join(dirpath, f)
        try:
            text = open(p, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\{\{(?!args\.)", line):
                problems.append(f"{rel(p)}:{n}: unrendered {{{{: {line.strip()[:80]}")
        if f.endswith((".yaml", ".yml")):
            try:
                list(yaml.safe_load_all(text))
            except yaml.YAMLError as e:
                problems.append(f"{rel(p)}: YAML does not parse: {str(e).splitlines()[0]}")

want = {
    "staging": {"Deployment": 1, "Service": 1, "ConfigMap": 1, "Secret": 1, "ServiceAccount": 1},
    "production": {"Rollout": 1, "AnalysisTemplate": 1, "Service": 3, "ConfigMap": 1,
                   "Secret": 1, "ServiceAccount": 1},
    "ephemeral": {"Namespace": 1, "Deployment": 1, "Service": 1, "ConfigMap": 1, "Secret": 1,
                  "ServiceAccount": 1},
}
k8s = os.path.join(root, "k8s")
if os.path.isdir(k8s):
    for overlay, kinds in want.items():
        r = subprocess.run(["kubectl", "kustomize", os.path.join(k8s, "overlays", overlay)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"k8s/overlays/{overlay}: kubectl kustomize: {r.stderr.strip()[:200]}")
            continue
        got = {}
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        for d in docs:
            got[d["kind"]] = got.get(d["kind"], 0) + 1
        if got != kinds:
            problems.append(f"k8s/overlays/{overlay}: kinds {got}, want {kinds}")
        if overlay == "production":
            rollout = next((d for d in docs if d["kind"] == "Rollout"), None)
            if rollout:
                weights = [s["setWeight"] for s in rollout["spec"]["strategy"]["canary"]["steps"]
                           if "setWeight" in s]
                if not weights or weights != sorted(set(weights)) or weights[-1] != 100:
                    problems.append(f"rollout steps {weights} do not rise to 100")
                svc = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
                c = rollout["spec"]["strategy"]["canary"]
                for s in (c["canaryService"], c["stableService"]):
                    if s not in svc:
                        problems.append(f"rollout names service {s}, which is not rendered")
                if not c.get("analysis", {}).get("templates"):
                    problems.append("rollout has no analysis")
            app = os.path.join(k8s, "argocd", "application.yaml")
            a = yaml.safe_load(open(app))
            auto = a["spec"]["syncPolicy"]["automated"]
            if not (auto.get("selfHeal") and auto.get("prune")):
                problems.append("argocd application: automated sync without selfHeal and prune")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
