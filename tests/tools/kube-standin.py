#!/usr/bin/python3
"""kube-standin.py PORTFILE [SEED.json]: a stand-in for a Kubernetes API
server, enough for the real kubectl (1.20 to 1.3x) to get, list, watch,
apply, patch, delete and roll back what blissful-infra's commands touch.
No controllers run; the stand-in plays their part where a test needs it:

- discovery: /version, /api, /apis, and the resource lists of v1
  (namespaces, services, configmaps, secrets, serviceaccounts, pods), apps/v1
  (deployments, replicasets) and argoproj.io/v1alpha1 (rollouts,
  analysistemplates, analysisruns, applications); no OpenAPI (404), so
  kubectl is run with --validate=false.
- objects: create (POST), get/list (labelSelector k=v, k!=v, k; fieldSelector
  metadata.name=), watch (the matching objects as ADDED, then the stream
  ends), merge and strategic-merge patches (RFC 7386; lists are replaced),
  JSON patches (add, replace, remove), replace (PUT), delete (a namespace
  takes what is in it). resourceVersion, uid, generation (bumped on a spec
  change), creationTimestamp.
- a Deployment is at once as its spec says (status ready, observed, its
  pods Running and Ready; a pod deleted is replaced, and the Deployment
  ready again, after its annotation standin/recovery seconds, 1 by default,
  counted by the requests that come after); each new
  pod template gets a ReplicaSet owned by it, with the revision annotation
  that `kubectl rollout undo` reads; going back to an old template takes its
  ReplicaSet again with the next revision, as the controller does.
- a Rollout likewise: its ReplicaSets revisioned under
  rollout.argoproj.io/revision, and at once at its last step (Healthy);
  with annotation standin/hold=true it holds at each pause step until
  promoted, and answers abort, promoteFull and spec.paused as the controller
  does (rollout_controller below).
- an Application: an operation.sync patch (what `argocd app sync` and
  `argocd app rollback` send) is carried out at once: the revision (HEAD:
  a new commit) synced, Healthy, operationState Succeeded, a history entry
  appended, the operation removed; with annotation standin/sync=Failed the
  operation fails and health is Degraded. With automated sync it syncs when
  created.
SEED.json: a list of objects to start with (their status kept as given).
Writes its port to PORTFILE when it listens (127.0.0.1 only).
"""
import copy
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RES = {
    # (group, version): [(plural, kind, namespaced, short names)]
    ("", "v1"): [("namespaces", "Namespace", False, ["ns"]),
                 ("services", "Service", True, ["svc"]),
                 ("configmaps", "ConfigMap", True, ["cm"]),
                 ("secrets", "Secret", True, []),
                 ("serviceaccounts", "ServiceAccount", True, ["sa"]),
                 ("pods", "Pod", True, ["po"]),
                 ("events", "Event", True, ["ev"])],
    ("apps", "v1"): [("deployments", "Deployment", True, ["deploy"]),
                     ("replicasets", "ReplicaSet", True, ["rs"])],
    ("argoproj.io", "v1alpha1"): [("rollouts", "Rollout", True, ["ro"]),
                                  ("analysistemplates", "AnalysisTemplate", True, []),
                                  ("analysisruns", "AnalysisRun", True, []),
                                  ("applications", "Application", True, ["app", "apps"])],
}
KIND = {k: (g, v, p, ns) for (g, v), rs in RES.items() for p, k, ns, _ in rs}
PLURAL = {(g, p): (v, k, ns) for (g, v), rs in RES.items() for p, k, ns, _ in rs}

lock = threading.Lock()
store = {}          # (group, plural, namespace, name) -> object
rv = [1000]


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def next_rv():
    rv[0] += 1
    return str(rv[0])


def status_obj(code, reason, msg):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": msg, "reason": reason, "code": code}


def merge(target, patch):
    """RFC 7386, with strategic-merge directives ($patch, $setElementOrder/...,
    $retainKeys) dropped: enough for what kubectl sends."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = parts[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                parent.insert(len(parent) if last == "-" else int(last), op["value"]) if op["op"] == "add" \
                    else parent.__setitem__(int(last), op["value"])
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif op["op"] == "test":
            pass
    return doc


def selected(obj, labelsel, fieldsel):
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (labelsel or "").split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k) != v:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    for term in filter(None, (fieldsel or "").split(",")):
        k, v = term.split("=", 1)
        cur = obj
        for p in k.split("."):
            cur = cur.get(p, {}) if isinstance(cur, dict) else {}
        if cur != v:
            return False
    return True


def template_hash(tmpl):
    t = copy.deepcopy(tmpl)
    for key in ("pod-template-hash", "rollouts-pod-template-hash"):
        (t.get("metadata", {}).get("labels") or {}).pop(key, None)
    return hashlib.sha1(json.dumps(t, sort_keys=True).encode()).hexdigest()[:10], t


def owned_rs(obj, ann):
    ns, uid = obj["metadata"]["namespace"], obj["metadata"]["uid"]
    return [o for (g, p, n, _), o in store.items() if p == "replicasets" and n == ns and
            any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))]


def track_template(obj, ann, hash_label):
    """The ReplicaSet of obj's pod template: the one already made for it
    (taken again under the next revision) or a new one."""
    h, bare = template_hash(obj["spec"]["template"])
    rss = owned_rs(obj, ann)
    top = max([int(r["metadata"]["annotations"].get(ann, "0")) for r in rss], default=0)
    mine = next((r for r in rss if r["metadata"]["labels"].get(hash_label) == h), None)
    if mine is None:
        ns = obj["metadata"]["namespace"]
        tmpl = copy.deepcopy(bare)
        tmpl.setdefault("metadata", {}).setdefault("labels", {})[hash_label] = h
        mine = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": f"{obj['metadata']['name']}-{h}", "namespace": ns,
                             "labels": dict(tmpl["metadata"]["labels"]), "annotations": {},
                             "ownerReferences": [{"apiVersion": obj["apiVersion"], "kind": obj["kind"],
                                                  "name": obj["metadata"]["name"],
                                                  "uid": obj["metadata"]["uid"], "controller": True}],
                             "uid": hashlib.sha1(f"{ns}/{h}/{time.time()}".encode()).hexdigest(),
                             "creationTimestamp": now(), "generation": 1},
                "spec": {"replicas": obj["spec"].get("replicas", 1),
                         "selector": {"matchLabels": dict(tmpl["metadata"]["labels"])},
                         "template": tmpl},
                "status": {"replicas": obj["spec"].get("replicas", 1)}}
        store[("apps", "replicasets", ns, mine["metadata"]["name"])] = mine
        top_rev = top + 1
    else:
        cur = int(mine["metadata"]["annotations"].get(ann, "0"))
        top_rev = cur if cur == top else top + 1
    mine["metadata"]["annotations"][ann] = str(top_rev)
    mine["metadata"]["resourceVersion"] = next_rv()
    for r in rss:
        if r is not mine:
            r["spec"]["replicas"] = 0
    mine["spec"]["replicas"] = obj["spec"].get("replicas", 1)
    obj["metadata"].setdefault("annotations", {})[ann] = str(top_rev)
    return h


def rollout_controller(obj, old, spec_changed):
    """Argo Rollouts' controller, in steps taken at once: a new pod template
    starts at step 0 and runs on to the first pause step (or to the end:
    Healthy). With annotation standin/hold a pause step holds until promoted
    (pauseConditions removed, or currentStepIndex moved on, as the plugin's
    promote does); status.abort sends all traffic back to stable (Degraded);
    status.promoteFull goes to the end; spec.paused holds wherever it is.
    standin/analysis sets the background AnalysisRun's status."""
    md, ann = obj["metadata"], obj["metadata"].get("annotations") or {}
    steps = obj["spec"].get("strategy", {}).get("canary", {}).get("steps", [])
    prev = copy.deepcopy((old or {}).get("status") or obj.get("status") or {})
    st = obj.get("status") or {}
    hold = ann.get("standin/hold") == "true"
    new_rev = spec_changed and (old is None or (old.get("spec") or {}).get("template") != obj["spec"].get("template"))
    h = track_template(obj, "rollout.argoproj.io/revision", "rollouts-pod-template-hash") if new_rev \
        else prev.get("currentPodHash", "")
    stable = prev.get("stableRS") or h
    step = 0 if new_rev else int(st.get("currentStepIndex", prev.get("currentStepIndex", len(steps))))
    aborted = bool(st.get("abort")) and not new_rev
    if st.get("promoteFull") and not aborted:
        step = len(steps)
    elif not new_rev and prev.get("pauseConditions") and st.get("pauseConditions") is None \
            and step == prev.get("currentStepIndex"):
        step += 1       # the pause step promoted
    # Run on to the next pause step (held) or to the end.
    while step < len(steps) and not aborted:
        if "pause" in steps[step] and hold:
            break
        step += 1
    weight = 0
    for x in steps[:step + 1] if step < len(steps) else steps:
        weight = x.get("setWeight", weight)
    if aborted:
        phase, weight, msg = "Degraded", 0, f"RolloutAborted: Rollout aborted update to revision {md['annotations'].get('rollout.argoproj.io/revision')}"
    elif step >= len(steps):
        phase, weight, stable, msg = "Healthy", 100, h, ""
    else:
        phase, msg = "Paused", "CanaryPauseStep"
    if obj["spec"].get("paused") and phase != "Degraded":
        phase, msg = "Paused", "manually paused"
    n = obj["spec"].get("replicas", 1)
    out = {"phase": phase, "message": msg, "observedGeneration": str(md["generation"]),
           "replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
           "currentPodHash": h, "stableRS": stable, "currentStepIndex": step, "abort": aborted,
           "canary": {"weights": {"canary": {"weight": weight, "podTemplateHash": h},
                                  "stable": {"weight": 100 - weight, "podTemplateHash": stable}}}}
    if phase == "Paused" and msg == "CanaryPauseStep":
        out["pauseConditions"] = [{"reason": "CanaryPauseStep", "startTime": now()}]
    if "standin/analysis" in ann:
        out["canary"]["currentBackgroundAnalysisRunStatus"] = {
            "name": f"{md['name']}-{h}-bg", "status": ann["standin/analysis"]}
    obj["status"] = out


pending = []         # (due time, namespace, deployment name): a pod to replace


def make_pods(dep):
    """The Deployment's pods, as many as it asks for, of its current
    template: Running and Ready."""
    ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
    h, bare = template_hash(dep["spec"]["template"])
    for k in [k for k, o in store.items() if k[1] == "pods" and k[2] == ns
              and o["metadata"].get("annotations", {}).get("standin/owner") == name
              and o["metadata"]["labels"].get("pod-template-hash") != h]:
        del store[k]
    mine = [o for k, o in store.items() if k[1] == "pods" and k[2] == ns
            and o["metadata"].get("annotations", {}).get("standin/owner") == name]
    want = dep["spec"].get("replicas", 1)
    for o in mine[want:]:
        del store[("", "pods", ns, o["metadata"]["name"])]
    for _ in range(max(0, want - len(mine))):
        rv[0] += 1
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{name}-{h}-{rv[0]}", "namespace": ns,
                            "labels": dict((bare.get("metadata") or {}).get("labels") or {}, **{"pod-template-hash": h}),
                            "annotations": {"standin/owner": name}, "uid": f"pod-{rv[0]}",
                            "creationTimestamp": now(), "resourceVersion": str(rv[0])},
               "spec": copy.deepcopy(bare.get("spec") or {}),
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
        store[("", "pods", ns, pod["metadata"]["name"])] = pod


def ready(dep, n):
    st = dep.setdefault("status", {})
    st["readyReplicas"] = st["availableReplicas"] = n


def pod_deleted(pod):
    """A pod of a Deployment gone: one fewer ready until its replacement
    is, after the Deployment's standin/recovery seconds (default 1)."""
    ns, owner = pod["metadata"]["namespace"], pod["metadata"].get("annotations", {}).get("standin/owner")
    dep = store.get(("apps", "deployments", ns, owner))
    if dep is None:
        return
    ready(dep, max(0, dep["status"].get("readyReplicas", 0) - 1))
    delay = float((dep["metadata"].get("annotations") or {}).get("standin/recovery", "1"))
    pending.append((time.time() + delay, ns, owner))


def tick():
    """The replacements whose time has come."""
    t = time.time()
    for item in [p for p in pending if p[0] <= t]:
        pending.remove(item)
        dep = store.get(("apps", "deployments", item[1], item[2]))
        if dep is not None:
            make_pods(dep)
            ready(dep, min(dep["spec"].get("replicas", 1), dep["status"].get("readyReplicas", 0) + 1))
            dep["metadata"]["resourceVersion"] = next_rv()


def settle(g, plural, obj, old):
    """What a controller would have done by now."""
    spec_changed = old is None or old.get("spec") != obj.get("spec")
    md = obj["metadata"]
    md["generation"] = (old or {}).get("metadata", {}).get("generation", 0) + (1 if spec_changed else 0)
    ann = md.get("annotations") or {}
    if plural == "namespaces":
        obj["status"] = {"phase": "Active"}
    elif plural == "deployments" and spec_changed:
        track_template(obj, "deployment.kubernetes.io/revision", "pod-template-hash")
        make_pods(obj)
        n = obj["spec"].get("replicas", 1)
        obj["status"] = {"observedGeneration": md["generation"], "replicas": n, "updatedReplicas": n,
                         "readyReplicas": n, "availableReplicas": n,
                         "conditions": [{"type": "Available", "status": "True"},
                                        {"type": "Progressing", "status": "True",
                                         "reason": "NewReplicaSetAvailable"}]}
    elif plural == "rollouts":
        rollout_controller(obj, old, spec_changed)
    elif plural == "applications":
        st = obj.setdefault("status", {})
        st.setdefault("sync", {"status": "OutOfSync"})
        st.setdefault("health", {"status": "Missing"})
        auto = (obj["spec"].get("syncPolicy") or {}).get("automated") is not None
        if old is None and auto and "operation" not in obj:
            obj["operation"] = {"initiatedBy": {"automated": True}, "sync": {"revision": "HEAD"}}
        if "operation" in obj:
            op = obj.pop("operation")
            hist = st.setdefault("history", [])
            rev = op.get("sync", {}).get("revision") or "HEAD"
            if rev == "HEAD":
                rev = hashlib.sha1(f"{md['name']}/{len(hist)}/{time.time()}".encode()).hexdigest()
            failed = ann.get("standin/sync") == "Failed"
            st["operationState"] = {"operation": op, "phase": "Failed" if failed else "Succeeded",
                                    "message": "one or more objects failed to apply" if failed
                                    else "successfully synced (all tasks run)",
                                    "startedAt": now(), "finishedAt": now(),
                                    "syncResult": {"revision": rev}}
            if not failed:
                st["sync"] = {"status": "Synced", "revision": rev}
                st["health"] = {"status": "Healthy"}
                imgs = ((obj["spec"].get("source") or {}).get("kustomize") or {}).get("images")
                if imgs:
                    st["summary"] = {"images": imgs}
                hist.append({"id": max([e["id"] for e in hist], default=-1) + 1, "revision": rev,
                             "deployedAt": now(), "source": obj["spec"].get("source")})
            else:
                st["health"] = {"status": "Degraded"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("STANDIN_LOG"):
            sys.stderr.write("standin: " + (fmt % args) + "\n")

    def send(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        parts = [p for p in u.path.split("/") if p]
        if parts[:1] == ["api"]:
            g, rest = "", parts[1:]
        elif parts[:1] == ["apis"]:
            g, rest = (parts[1], parts[2:]) if len(parts) > 1 else (None, [])
        else:
            return None, q
        if g is None:
            return ("groups",), q
        if not rest:
            return ("versions", g), q
        v, rest = rest[0], rest[1:]
        if not rest:
            return ("resources", g, v), q
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
        return ("object", g, v, plural, ns, name, sub), q

    def discovery(self, r):
        if r[0] == "groups":
            groups = [{"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                       "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}}
                      for (g, v) in RES if g]
            return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if r[0] == "versions" and r[1] == "":
            return self.send(200, {"kind": "APIVersions", "versions": ["v1"],
                                   "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                                   "serverAddress": "127.0.0.1"}]})
        if r[0] == "versions":
            v = next((v for (g, v) in RES if g == r[1]), None)
            if v is None:
                return self.send(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
            return self.send(200, {"kind": "APIGroup", "apiVersion": "v1", "name": r[1],
                                   "versions": [{"groupVersion": f"{r[1]}/{v}", "version": v}],
                                   "preferredVersion": {"groupVersion": f"{r[1]}/{v}", "version": v}})
        g, v = r[1], r[2]
        if (g, v) not in RES:
            return self.send(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        res = [{"name": p, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": verbs,
                "shortNames": sn} for p, k, ns, sn in RES[(g, v)]]
        res += [{"name": p + "/status", "singularName": "", "namespaced": ns, "kind": k,
                 "verbs": ["get", "patch", "update"]} for p, k, ns, _ in RES[(g, v)]]
        return self.send(200, {"kind": "APIResourceList", "apiVersion": "v1",
                               "groupVersion": f"{g}/{v}" if g else v, "resources": res})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def handle_any(self, method):
        u = urlsplit(self.path).path
        if u == "/version":
            return self.send(200, {"major": "1", "minor": "20", "gitVersion": "v1.20.2-standin",
                                   "platform": "linux/amd64"})
        r, q = self.route()
        if r is None:
            return self.send(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        if r[0] != "object":
            return self.discovery(r)
        _, g, v, plural, ns, name, sub = r
        if method in ("POST", "PUT", "PATCH") and "protobuf" in self.headers.get("Content-Type", ""):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self.send(415, status_obj(415, "UnsupportedMediaType", "the stand-in speaks JSON only"))
        if method == "DELETE" and name is None:
            self.body()
            return self.send(405, status_obj(405, "MethodNotAllowed", "deletecollection is not served here"))
        if (g, plural) not in PLURAL:
            return self.send(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        _, kind, namespaced = PLURAL[(g, plural)]
        api = f"{g}/{v}" if g else v
        if not namespaced:
            ns = None
        with lock:
            tick()
            key = (g, plural, ns, name)
            cur = store.get(key)
            if method == "GET" and name is None:
                items = [copy.deepcopy(o) for (gg, pp, nn, _), o in sorted(store.items(), key=lambda x: str(x[0]))
                         if gg == g and pp == plural and (ns is None or nn == ns)
                         and selected(o, q.get("labelSelector"), q.get("fieldSelector"))]
                if q.get("watch") in ("1", "true"):
                    return self.watch(items)
                return self.send(200, {"kind": kind + "List", "apiVersion": api,
                                       "metadata": {"resourceVersion": str(rv[0])}, "items": items})
            if method == "GET":
                if cur is None:
                    return self.send(404, status_obj(404, "NotFound", f'{plural}.{g or "core"} "{name}" not found'.replace(".core", "")))
                return self.send(200, cur)
            if method == "POST":
                obj = self.body()
                name = obj["metadata"].get("name")
                key = (g, plural, ns, name)
                if key in store:
                    return self.send(409, status_obj(409, "AlreadyExists", f'{plural} "{name}" already exists'))
                obj["metadata"].update({"uid": hashlib.sha1(f"{key}{time.time()}".encode()).hexdigest(),
                                        "creationTimestamp": now(), "resourceVersion": next_rv()})
                if ns:
                    obj["metadata"]["namespace"] = ns
                obj.setdefault("apiVersion", api)
                obj.setdefault("kind", kind)
                settle(g, plural, obj, None)
                store[key] = obj
                return self.send(201, obj)
            if cur is None:
                return self.send(404, status_obj(404, "NotFound", f'{plural} "{name}" not found'))
            if method == "DELETE":
                self.body()
                del store[key]
                if plural == "pods":
                    pod_deleted(cur)
                if plural == "namespaces":
                    for k in [k for k in store if k[2] == name]:
                        del store[k]
                return self.send(200, cur)
            if method == "PATCH":
                ctype = self.headers.get("Content-Type", "")
                p = self.body()
                new = json_patch(cur, p) if "json-patch" in ctype else merge(cur, p)
            else:
                new = self.body()
            new["metadata"].update({k: cur["metadata"][k] for k in ("uid", "creationTimestamp", "generation")
                                    if k in cur["metadata"]})
            new["metadata"]["resourceVersion"] = next_rv()
            if sub != "status":
                if "status" in cur and "status" not in (p if method == "PATCH" and isinstance(p, dict) else {}):
                    new["status"] = copy.deepcopy(cur["status"])
                settle(g, plural, new, cur)
            elif plural == "rollouts":
                rollout_controller(new, cur, False)
            store[key] = new
            return self.send(200, new)

    def watch(self, items):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for o in items:
                data = json.dumps({"type": "ADDED", "object": o}).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(0.5)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


def seed(path):
    for obj in json.load(open(path)):
        g, v, plural, namespaced = KIND[obj["kind"]]
        md = obj["metadata"]
        ns = md.setdefault("namespace", "default") if namespaced else None
        md.setdefault("uid", hashlib.sha1(json.dumps(md, sort_keys=True).encode()).hexdigest())
        md.setdefault("creationTimestamp", now())
        md.setdefault("resourceVersion", next_rv())
        md.setdefault("generation", 1)
        if "status" not in obj:
            settle(g, plural, obj, None)
        store[(g, plural, ns, md["name"])] = obj


if __name__ == "__main__":
    if len(sys.argv) > 2:
        seed(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()
