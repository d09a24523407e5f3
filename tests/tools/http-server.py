#!/usr/bin/python3
"""http-server.py PORTFILE [NAME]: a small HTTP/1.1 server on 127.0.0.1 for tests.

Binds a free port and writes it to PORTFILE. Paths:
  /delay/MS     answers 200 after MS milliseconds
  /status/CODE  answers with that status
  /close        promises 100 bytes, sends 10, and closes (a broken response)
  /bytes/N      a body of N bytes
  /name         NAME (the server's, to tell two apart), or "ok"
  /chunked      a chunked body
  anything else 200 "ok"
Keep-alive, a thread per connection.
"""
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # One segment per answer, sent at once: no Nagle delay to measure.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, code, body=b"ok"):
        head = f"HTTP/1.1 {code} X\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        self.wfile.write(head + body)

    def do_GET(self):
        p = self.path
        if p.startswith("/delay/"):
            time.sleep(int(p[7:]) / 1000)
            self.reply(200)
        elif p.startswith("/status/"):
            self.reply(int(p[8:]), b"status")
        elif p.startswith("/bytes/"):
            self.reply(200, b"x" * int(p[7:]))
        elif p == "/close":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
        elif p == "/name":
            self.reply(200, NAME.encode())
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        else:
            self.reply(200)

    do_POST = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is what some tests do


NAME = sys.argv[2] if len(sys.argv) > 2 else "ok"
s = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
