"""upstream: the application behind nginx, a small JSON API. With
SLOW_AFTER=N, each request after the Nth waits SLOW_SECONDS (3) before it is
answered, as behind a saturated dependency."""
import http.server
import json
import os
import threading
import time

SLOW_AFTER = int(os.environ.get("SLOW_AFTER", "0"))
SLOW_SECONDS = float(os.environ.get("SLOW_SECONDS", "3"))
count = 0
lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global count
        with lock:
            count += 1
            n = count
        if SLOW_AFTER and n > SLOW_AFTER:
            time.sleep(SLOW_SECONDS)
        body = json.dumps({"path": self.path, "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


with open("/tmp/upstream.pid", "w") as f:
    f.write(str(os.getpid()))
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
