#!/usr/bin/python3
"""metrics-app.py PORTFILE: a small service that counts what it serves and
exports it in Prometheus's text format, for tests that scrape a real one.

Bound to 127.0.0.1 on a free port, written to PORTFILE once it listens.
  /work/MS   answers 200 after MS milliseconds
  /fail      answers 500
  /metrics   http_requests_total{code} (a counter) and
             http_request_duration_seconds (a histogram) of the requests
             above, as they were served, in text format 0.0.4
  other      404, not counted
A thread per connection; the counts under a lock. Standard library only.
"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
lock = threading.Lock()
codes = {"200": 0, "500": 0}
buckets = [0] * len(BOUNDS)
total = 0.0
count = 0


def observe(code, seconds):
    global total, count
    with lock:
        codes[code] += 1
        for i, b in enumerate(BOUNDS):
            if seconds <= b:
                buckets[i] += 1
        total += seconds
        count += 1


def exposition():
    with lock:
        out = ["# HELP http_requests_total Requests served.",
               "# TYPE http_requests_total counter"]
        for c, n in sorted(codes.items()):
            out.append(f'http_requests_total{{code="{c}"}} {n}')
        out += ["# HELP http_request_duration_seconds Time to serve a request.",
                "# TYPE http_request_duration_seconds histogram"]
        for b, n in zip(BOUNDS, buckets):
            out.append(f'http_request_duration_seconds_bucket{{le="{b}"}} {n}')
        out.append(f'http_request_duration_seconds_bucket{{le="+Inf"}} {count}')
        out.append(f"http_request_duration_seconds_sum {total}")
        out.append(f"http_request_duration_seconds_count {count}")
    return ("\n".join(out) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        t0 = time.monotonic()
        if self.path == "/metrics":
            return self.reply(200, exposition(), "text/plain; version=0.0.4")
        if self.path.startswith("/work/"):
            time.sleep(int(self.path[6:] or 0) / 1000)
            self.reply(200, b"ok\n")
            return observe("200", time.monotonic() - t0)
        if self.path == "/fail":
            self.reply(500, b"failed\n")
            return observe("500", time.monotonic() - t0)
        self.reply(404, b"not found\n")


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a load generator closing its connections at the end is normal


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
