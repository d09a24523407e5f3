#!/usr/bin/python3
"""fake-llm.py: a stand-in for an LLM server, for bi-ask's tests.

Speaks the parts of two APIs that bi-ask uses, as their servers send them:
Ollama (GET /api/tags; POST /api/chat streaming NDJSON chunks, the last with
"done":true and eval counts) and the OpenAI-compatible one (GET /v1/models;
POST /v1/chat/completions streaming SSE "data:" lines ending with
"data: [DONE]"). Bound to 127.0.0.1 on a free port, written to --port-file
once it listens. Standard library only.

The answer is --reply, one chunk per word, or with --reply=echo a description
of the request ("messages=N model=M last=..."). --mode changes the stream:
  normal     every chunk, then the end
  slow       --delay seconds before each chunk; each chunk sent is logged
             ("sent I TIME") to --events
  cut        two chunks, then the connection closes in mid-stream
  error      two chunks, then an error: Ollama's {"error":...} line, or an
             SSE event of {"error":{"message":...}} (status 200)
  malformed  a chunk, a line that is not JSON, the other chunks, the end
  noend      every chunk, then a clean end without the final chunk
Each request body is appended to --log as one line.
"""
import argparse
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOW = "2026-11-24T01:46:45.758Z"
ERROR = "an error was encountered while running the model: unexpected EOF"


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--models", default="llama3.1:8b,llama3:8b")
    p.add_argument("--reply", default="The api service cannot reach postgres.")
    p.add_argument("--mode", default="normal",
                   choices=["normal", "slow", "cut", "error", "malformed", "noend"])
    p.add_argument("--delay", type=float, default=0.5)
    p.add_argument("--events", default=os.devnull)
    p.add_argument("--log", default=os.devnull)
    p.add_argument("--key", default="", help="require this bearer key (OpenAI API)")
    return p.parse_args()


ARGS = parse_args()
MODELS = [m for m in ARGS.models.split(",") if m]


def words(body):
    if ARGS.reply != "echo":
        text = ARGS.reply
    else:
        msgs = body.get("messages", [])
        last = msgs[-1].get("content", "") if msgs else ""
        text = "messages=%d model=%s last=%s" % (len(msgs), body.get("model"), last[:40])
    parts = text.split(" ")
    return [w if i == len(parts) - 1 else w + " " for i, w in enumerate(parts)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def cut(self):
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def do_GET(self):
        if self.path == "/api/tags":
            self.reply_json(200, {"models": [
                {"name": m, "model": m, "modified_at": NOW, "size": 4661224676,
                 "digest": "%064x" % i, "details": {"format": "gguf", "family": "llama"}}
                for i, m in enumerate(MODELS)]})
        elif self.path == "/v1/models":
            if not self.authorized():
                return
            self.reply_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 1764000000, "owned_by": "library"}
                for m in MODELS]})
        else:
            self.reply_json(404, {"error": "404 page not found"})

    def authorized(self):
        if ARGS.key and self.headers.get("Authorization") != "Bearer " + ARGS.key:
            self.reply_json(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
            return False
        return True

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        with open(ARGS.log, "ab") as f:
            f.write(raw.replace(b"\n", b" ") + b"\n")
        body = json.loads(raw)
        model = body.get("model")
        if self.path == "/api/chat":
            if model not in MODELS:
                self.reply_json(404, {"error": 'model "%s" not found, try pulling it first' % model})
                return
            self.ollama(body, model)
        elif self.path == "/v1/chat/completions":
            if not self.authorized():
                return
            if model not in MODELS:
                self.reply_json(404, {"error": {"message": 'model "%s" not found, try pulling it first' % model,
                                                "type": "api_error", "param": None, "code": None}})
                return
            self.openai(body, model)
        else:
            self.reply_json(404, {"error": "404 page not found"})

    def stream(self, pieces, send, bad, error):
        """Send pieces through send() as --mode says, with the bad chunk or
        the error chunk it asks for; True if the stream goes on to its end."""
        for i, w in enumerate(pieces):
            if ARGS.mode in ("cut", "error") and i == 2:
                if ARGS.mode == "cut":
                    self.cut()
                    return False
                self.chunk(error)
                self.end_chunked()
                return False
            if ARGS.mode == "slow":
                time.sleep(ARGS.delay)
            send(w)
            if ARGS.mode == "slow":
                with open(ARGS.events, "a") as f:
                    f.write("sent %d %.3f\n" % (i + 1, time.time()))
            if ARGS.mode == "malformed" and i == 0:
                self.chunk(bad)
        return True

    def ollama(self, body, model):
        self.start_chunked("application/x-ndjson")
        pieces = words(body)

        def send(w):
            self.chunk(json.dumps({"model": model, "created_at": NOW,
                                   "message": {"role": "assistant", "content": w},
                                   "done": False}) + "\n")
        if not self.stream(pieces, send, '{"model":"%s","message":{"content":"x"\n' % model,
                           json.dumps({"error": ERROR}) + "\n"):
            return
        if ARGS.mode != "noend":
            self.chunk(json.dumps({"model": model, "created_at": NOW,
                                   "message": {"role": "assistant", "content": ""},
                                   "done_reason": "stop", "done": True,
                                   "total_duration": 5043500667, "load_duration": 5025959,
                                   "prompt_eval_count": 26, "prompt_eval_duration": 325953000,
                                   "eval_count": len(pieces), "eval_duration": 4709213000}) + "\n")
        self.end_chunked()

    def openai(self, body, model):
        self.start_chunked("text/event-stream")
        pieces = words(body)

        def event(delta, finish):
            return "data: " + json.dumps({
                "id": "chatcmpl-412", "object": "chat.completion.chunk", "created": 1764000000,
                "model": model, "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

        def send(w):
            self.chunk(event({"role": "assistant", "content": w}, None))
        if not self.stream(pieces, send, "data: {not json\n\n",
                           "data: " + json.dumps({"error": {"message": ERROR, "type": "api_error"}}) + "\n\n"):
            return
        if ARGS.mode != "noend":
            self.chunk(event({"role": "assistant", "content": ""}, "stop"))
            self.chunk("data: [DONE]\n\n")
        self.end_chunked()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
