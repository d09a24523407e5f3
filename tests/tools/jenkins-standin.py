#!/usr/bin/python3
"""jenkins-standin.py: a stand-in for Jenkins's REST API on 127.0.0.1, for tests.

Behaves as Jenkins documents it, for what bi-jenkins uses:
  - every answer has an X-Jenkins header; every request needs HTTP Basic auth
    with --user/--password (else 401);
  - GET /crumbIssuer/api/json starts a web session (Set-Cookie JSESSIONID...)
    and answers {crumbRequestField: "Jenkins-Crumb", crumb}; a POST without a
    crumb, or with a crumb that is not its session's (no cookie, another
    session's), gets 403 "No valid crumb was included in the request";
  - POST PARENT/createItem?name=N with a job's or folder's config.xml (400 when
    N exists or the XML does not parse), POST JOB/config.xml replaces it;
  - POST JOB/build or JOB/buildWithParameters (form-encoded) answers 201 with
    Location: http://HOST/queue/item/N/; the queue item has no executable on
    the first read and {number, url} after;
  - JOB/N/logText/progressiveText?start=K answers at most --chunk bytes of the
    console from K, with X-Text-Size (where the next read starts) and
    X-More-Data: true until the end (lines are cut across reads on purpose);
  - JOB/N/api/json (result), JOB/N/wfapi/describe (stages), and
    [JOB/]api/json?tree=jobs[name,color,lastBuild[number,result,timestamp]].
A job named with --fail-job fails its Test stage (FAILURE); --crumb-suffix
makes the crumbs end with some text (a line break and a header, say). The console
echoes the build's parameters, as a job would. Every request is written to
--log as a JSON line {method, path, query, cookie, crumb, auth, body, status};
each job's config.xml as received is kept, and --dump FILE writes
{job: xml} at each change. Python's standard library only.
"""
import argparse
import base64
import json
import secrets
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--port-file")
ap.add_argument("--log", required=True)
ap.add_argument("--dump")
ap.add_argument("--user", default="admin")
ap.add_argument("--password", required=True)
ap.add_argument("--fail-job", action="append", default=[])
ap.add_argument("--chunk", type=int, default=37)
ap.add_argument("--crumb-suffix", default="", help="appended to every crumb (a line break, say)")
args = ap.parse_args()

lock = threading.Lock()
sessions = {}       # session id -> crumb
items = {}          # name path tuple -> {"kind": "job"|"folder", "xml": str, "builds": [...]}
queue = {}          # item number -> {"job": tuple, "reads": int, "number": int}
next_item = [1]

FOLDER_TAG = "com.cloudbees.hudson.plugins.folder.Folder"


def console_for(job, number, params):
    lines = ["Started by user admin", "Running in Durability level: MAX_SURVIVABILITY"]
    for k in sorted(params):
        lines.append("PARAM %s=%s" % (k, params[k]))
    lines.append("[Pipeline] stage (Build)")
    lines.append("+ blissful-infra pipeline --stage build")
    lines.append("[Pipeline] stage (Test)")
    failing = "/".join(job) in args.fail_job
    if failing:
        lines.append("+ blissful-infra pipeline --stage test")
        lines.append("not ok 3 - the answer is 42")
        lines.append("ERROR: script returned exit code 1")
        lines.append("Finished: FAILURE")
    else:
        lines.append("+ blissful-infra pipeline --stage test")
        lines.append("Finished: SUCCESS")
    return "\r\n".join(lines) + "\r\n"


def stages_for(job, build):
    failing = "/".join(job) in args.fail_job
    t0 = build["started"]
    st = [("Build", "SUCCESS", 1200), ("Test", "FAILED" if failing else "SUCCESS", 3400),
          ("Push", "NOT_EXECUTED" if failing else "SUCCESS", 0 if failing else 800)]
    out, t = [], t0
    for i, (name, status, ms) in enumerate(st):
        out.append({"id": str(6 + i), "name": name, "status": status,
                    "startTimeMillis": t, "durationMillis": ms, "pauseDurationMillis": 0})
        t += ms
    return {"id": str(build["number"]), "name": "#%d" % build["number"],
            "status": "FAILED" if failing else "SUCCESS", "startTimeMillis": t0,
            "durationMillis": t - t0, "stages": out}


def parse_path(path):
    """'/job/a/job/b/rest...' -> (('a','b'), ['rest', ...])."""
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    name = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "job":
        name.append(parts[i + 1])
        i += 2
    return tuple(name), parts[i:]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body=b"", ctype="text/plain;charset=UTF-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("X-Jenkins", "2.479.2")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.status = status

    def json(self, status, obj, headers=()):
        self.answer(status, json.dumps(obj), "application/json;charset=utf-8", headers)

    def session(self):
        c = self.headers.get("Cookie") or ""
        for part in c.split(";"):
            k, _, v = part.strip().partition("=")
            if k.startswith("JSESSIONID") and v in sessions:
                return v
        return None

    def authed(self):
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Basic "):
            return False
        try:
            u, _, p = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:
            return False
        return u == args.user and p == args.password

    def handle_one(self, method):
        self.status = 0
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            with lock:
                self.route(method, url.path, query, body)
        finally:
            with open(args.log, "a") as f:
                f.write(json.dumps({"method": method, "path": url.path, "query": url.query,
                                    "cookie": self.headers.get("Cookie"),
                                    "crumb": self.headers.get("Jenkins-Crumb"),
                                    "auth": bool(self.headers.get("Authorization")),
                                    "content_type": self.headers.get("Content-Type"),
                                    "body": body, "status": self.status}) + "\n")

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def dump(self):
        if args.dump:
            with open(args.dump, "w") as f:
                json.dump({"/".join(k): v["xml"] for k, v in items.items()}, f)

    def route(self, method, path, query, body):
        if not self.authed():
            return self.answer(401, "Unauthorized", headers=[("WWW-Authenticate", 'Basic realm="Jenkins"')])
        if path == "/crumbIssuer/api/json" and method == "GET":
            sid = secrets.token_hex(8)
            sessions[sid] = secrets.token_hex(16) + args.crumb_suffix
            return self.json(200, {"_class": "hudson.security.csrf.DefaultCrumbIssuer",
                                   "crumb": sessions[sid], "crumbRequestField": "Jenkins-Crumb"},
                             [("Set-Cookie", "JSESSIONID.4f2a=%s; Path=/; HttpOnly" % sid)])
        if method == "POST":
            sid = self.session()
            crumb = self.headers.get("Jenkins-Crumb")
            if not crumb or not sid or sessions.get(sid) != crumb:
                return self.answer(403, "No valid crumb was included in the request")
        if path.startswith("/queue/item/"):
            rest = path[len("/queue/item/"):].strip("/").split("/")
            q = queue.get(int(rest[0])) if rest[0].isdigit() else None
            if q is None:
                return self.answer(404, "Not Found")
            q["reads"] += 1
            obj = {"_class": "hudson.model.Queue$LeftItem" if q["reads"] > 1 else "hudson.model.Queue$WaitingItem",
                   "id": int(rest[0]), "blocked": False, "cancelled": False,
                   "why": None if q["reads"] > 1 else "Waiting for next available executor",
                   "executable": None}
            if q["reads"] > 1:
                obj["executable"] = {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
                                     "number": q["number"], "url": "http://jenkins.invalid/x/%d/" % q["number"]}
            return self.json(200, obj)
        name, rest = parse_path(path)
        if name and name not in items:
            return self.answer(404, "Not Found")
        item = items.get(name)
        if rest == ["api", "json"] and method == "GET":
            tree = query.get("tree", [""])[0]
            if tree.startswith("jobs["):
                jobs = []
                for k, v in sorted(items.items()):
                    if len(k) != len(name) + 1 or k[:len(name)] != name:
                        continue
                    j = {"_class": v["class"], "name": k[-1]}
                    if v["kind"] == "job":
                        b = v["builds"][-1] if v["builds"] else None
                        j["color"] = ("red" if b["result"] == "FAILURE" else "blue") if b else "notbuilt"
                        j["lastBuild"] = {"_class": "x", "number": b["number"], "result": b["result"],
                                          "timestamp": b["started"]} if b else None
                    jobs.append(j)
                return self.json(200, {"_class": "hudson.model.Hudson", "jobs": jobs})
            return self.json(200, {"_class": item["class"] if item else "hudson.model.Hudson",
                                   "name": name[-1] if name else ""})
        if rest == ["createItem"] and method == "POST":
            new = query.get("name", [""])[0]
            if not new or (name + (new,)) in items:
                return self.answer(400, "A job already exists with the name '%s'" % new)
            if item is not None and item["kind"] != "folder":
                return self.answer(404, "Not Found")
            try:
                root = ET.fromstring(body.encode())
            except ET.ParseError as e:
                return self.answer(400, "Invalid XML: %s" % e)
            kind = "folder" if root.tag == FOLDER_TAG else "job"
            items[name + (new,)] = {"kind": kind, "xml": body, "builds": [],
                                    "class": FOLDER_TAG if kind == "folder" else
                                    "org.jenkinsci.plugins.workflow.job.WorkflowJob"}
            self.dump()
            return self.answer(200, "")
        if rest == ["config.xml"] and method == "POST" and item:
            try:
                ET.fromstring(body.encode())
            except ET.ParseError as e:
                return self.answer(400, "Invalid XML: %s" % e)
            item["xml"] = body
            self.dump()
            return self.answer(200, "")
        if rest in (["build"], ["buildWithParameters"]) and method == "POST" and item:
            if item["kind"] != "job":
                return self.answer(405, "Method Not Allowed")
            params = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()} \
                if rest == ["buildWithParameters"] else {}
            number = len(item["builds"]) + 1
            text = console_for(name, number, params)
            item["builds"].append({"number": number, "result": "FAILURE" if "/".join(name) in args.fail_job
                                   else "SUCCESS", "started": int(time.time() * 1000), "console": text,
                                   "params": params})
            k = next_item[0]
            next_item[0] += 1
            queue[k] = {"job": name, "reads": 0, "number": number}
            host = self.headers.get("Host", "127.0.0.1")
            return self.answer(201, "", headers=[("Location", "http://%s/queue/item/%d/" % (host, k))])
        if item and rest and rest[0].isdigit() and item["kind"] == "job":
            num = int(rest[0])
            if not 1 <= num <= len(item["builds"]):
                return self.answer(404, "Not Found")
            b = item["builds"][num - 1]
            if rest[1:] == ["logText", "progressiveText"]:
                data = b["console"].encode()
                start = int(query.get("start", ["0"])[0] or 0)
                chunk = data[start:start + args.chunk]
                end = start + len(chunk)
                hdrs = [("X-Text-Size", str(end))]
                if end < len(data):
                    hdrs.append(("X-More-Data", "true"))
                return self.answer(200, chunk, headers=hdrs)
            if rest[1:] == ["api", "json"]:
                return self.json(200, {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
                                       "number": num, "building": False, "result": b["result"]})
            if rest[1:] == ["wfapi", "describe"]:
                return self.json(200, stages_for(name, b))
        return self.answer(404, "Not Found")


srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
