#!/usr/bin/python3
"""agent-model.py: a scripted stand-in for a tool-calling LLM server, for
bi-agent's tests.

Answers each chat request with the next step of a script, in the form of
the API asked: Ollama (POST /api/chat, not streamed: one object whose
message carries tool_calls with object arguments and no id, and
prompt_eval_count/eval_count) or OpenAI's (POST /v1/chat/completions: a
chat.completion whose choices[0].message carries tool_calls with an id and
arguments as a JSON string, finish_reason "tool_calls", and usage). The
model lists are GET /api/tags and GET /v1/models.

The script (--script) has one JSON object per line:
  {"tool": NAME, "args": {...}}           one tool call
  {"calls": [{"tool":..,"args":..}, ...]}  several in one reply
  {"text": "..."}                          a reply with no tool call
  "sleep": S in any of them                 the reply held back S seconds
When the script is done the last step is repeated (--loop, a runaway
model) or the reply is a finish call. Each request body is appended to
--log as one line. Bound to 127.0.0.1 on a free port, written to
--port-file once it listens. Standard library only.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOW = "2026-11-24T01:46:45.758Z"

p = argparse.ArgumentParser()
p.add_argument("--port-file", required=True)
p.add_argument("--script", required=True)
p.add_argument("--log", default=os.devnull)
p.add_argument("--models", default="llama3.1:8b")
p.add_argument("--loop", action="store_true")
p.add_argument("--tokens", type=int, default=100, help="tokens counted per reply")
ARGS = p.parse_args()
MODELS = [m for m in ARGS.models.split(",") if m]
with open(ARGS.script) as f:
    SCRIPT = [json.loads(line) for line in f if line.strip()]
LOCK = threading.Lock()
STATE = {"next": 0}


def next_step():
    with LOCK:
        i = STATE["next"]
        STATE["next"] += 1
    if i < len(SCRIPT):
        return SCRIPT[i]
    if ARGS.loop and SCRIPT:
        return SCRIPT[-1]
    return {"tool": "finish", "args": {"summary": "script done"}}


def calls_of(step):
    if "calls" in step:
        return step["calls"]
    if "tool" in step:
        return [step]
    return []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/api/tags":
            self.reply(200, {"models": [{"name": m, "model": m, "modified_at": NOW} for m in MODELS]})
        elif self.path == "/v1/models":
            self.reply(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in MODELS]})
        else:
            self.reply(404, {"error": "404 page not found"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(ARGS.log, "ab") as f:
            f.write(raw.replace(b"\n", b" ") + b"\n")
        body = json.loads(raw)
        if body.get("model") not in MODELS:
            self.reply(404, {"error": 'model "%s" not found, try pulling it first' % body.get("model")})
            return
        if not body.get("tools"):
            self.reply(400, {"error": "this stand-in answers tool-calling requests only"})
            return
        step = next_step()
        time.sleep(step.get("sleep", 0))
        calls = calls_of(step)
        text = step.get("text", "")
        if self.path == "/api/chat":
            msg = {"role": "assistant", "content": text}
            if calls:
                msg["tool_calls"] = [{"function": {"name": c["tool"], "arguments": c.get("args", {})}}
                                     for c in calls]
            self.reply(200, {"model": body["model"], "created_at": NOW, "message": msg,
                             "done_reason": "stop", "done": True,
                             "prompt_eval_count": ARGS.tokens // 2, "eval_count": ARGS.tokens - ARGS.tokens // 2})
        elif self.path == "/v1/chat/completions":
            msg = {"role": "assistant", "content": text or None}
            if calls:
                msg["tool_calls"] = [{"id": "call_%d_%d" % (STATE["next"], i), "type": "function",
                                      "function": {"name": c["tool"], "arguments": json.dumps(c.get("args", {}))}}
                                     for i, c in enumerate(calls)]
            self.reply(200, {"id": "chatcmpl-1", "object": "chat.completion", "created": 1764000000,
                             "model": body["model"],
                             "choices": [{"index": 0, "message": msg,
                                          "finish_reason": "tool_calls" if calls else "stop"}],
                             "usage": {"prompt_tokens": ARGS.tokens // 2,
                                       "completion_tokens": ARGS.tokens - ARGS.tokens // 2,
                                       "total_tokens": ARGS.tokens}})
        else:
            self.reply(404, {"error": "404 page not found"})


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
