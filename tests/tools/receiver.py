#!/usr/bin/python3
"""receiver.py: a stand-in webhook receiver on 127.0.0.1, for tests.

Listens on --port (or a free port written to --port-file) and answers every
POST; each request is written to --log as one JSON line:
  {"n": 1, "t": 1764553605.25, "method": "POST", "path": "/services/T0/B0/secret",
   "content_type": "application/json", "status": 200,
   "json": {...the body parsed, or null}, "body": "...the body as text"}
  --fail N          answer the first N requests with --fail-status (500)
  --fail-status S   the status of those answers
  --fail-body TEXT  their body (Teams says "HTTP error 429" in a 200's body)
  --retry-after V   send "Retry-After: V" with those answers
  --slow SECONDS    wait this long before answering any request
Requests are logged as they arrive, before --slow. Others get 200 and "ok". Python's standard library only.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--port-file")
ap.add_argument("--log", required=True)
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--fail-status", type=int, default=500)
ap.add_argument("--fail-body", default="server error")
ap.add_argument("--retry-after")
ap.add_argument("--slow", type=float, default=0)
args = ap.parse_args()

lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace")
        with lock:
            count += 1
            k = count
        failing = k <= args.fail
        status = args.fail_status if failing else 200
        body = (args.fail_body if failing else "ok").encode()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"n": k, "t": time.time(), "method": "POST", "path": self.path,
                                "content_type": self.headers.get("Content-Type"),
                                "status": status, "json": parsed, "body": raw}) + "\n")
        if args.slow:
            time.sleep(args.slow)
        try:
            self.send_response(status)
            if failing and args.retry_after:
                self.send_header("Retry-After", args.retry_after)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass    # the sender gave up waiting


srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
srv.daemon_threads = True
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
open(args.log, "a").close()
srv.serve_forever()
