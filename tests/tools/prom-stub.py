#!/usr/bin/python3
"""prom-stub.py PORTFILE: a stand-in for Prometheus's HTTP API, for tests
that need its answers' shapes without a Prometheus.

POST or GET /api/v1/query and /api/v1/query_range, form or URL parameters:
  a query containing "timeout"   503, errorType timeout
  a query containing "("  unclosed, 400, errorType bad_data
  any other query                a vector of two series, jobs a and b, the
                                 value the query's length (range: a matrix
                                 of three steps); the form it got is kept in
                                 the label "form"
Any other path: 404, "404 page not found" as Prometheus says it.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_api(self, form):
        path = urlsplit(self.path).path
        if path not in ("/api/v1/query", "/api/v1/query_range"):
            return self.answer(404, "404 page not found\n", "text/plain")
        q = form.get("query", [""])[0]
        if "timeout" in q:
            return self.answer(503, json.dumps({"status": "error", "errorType": "timeout",
                                                "error": "query timed out in expression evaluation"}))
        if q.count("(") > q.count(")"):
            return self.answer(400, json.dumps({"status": "error", "errorType": "bad_data",
                                                "error": "invalid parameter \"query\": parse error:\nunclosed left parenthesis"}))
        flat = "&".join(f"{k}={v[0]}" for k, v in sorted(form.items()) if k != "query")
        result = []
        for job in ("a", "b"):
            metric = {"job": job, "form": flat}
            if path.endswith("range"):
                result.append({"metric": metric, "values": [[100 + i, str(len(q))] for i in range(3)]})
            else:
                result.append({"metric": metric, "value": [100, str(len(q))]})
        kind = "matrix" if path.endswith("range") else "vector"
        self.answer(200, json.dumps({"status": "success", "data": {"resultType": kind, "result": result}}))

    def do_GET(self):
        self.handle_api(parse_qs(urlsplit(self.path).query))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.handle_api(parse_qs(self.rfile.read(n).decode()))


s = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
