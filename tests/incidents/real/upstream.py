"""upstream: the application behind nginx, a small JSON API."""
import http.server
import json
import os


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


with open("/tmp/upstream.pid", "w") as f:
    f.write(str(os.getpid()))
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
