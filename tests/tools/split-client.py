#!/usr/bin/python3
"""split-client.py: which upstream behind a proxy answers, seen from a client.

  split-client.py count HOST:PORT N
      N requests for /name, each on a connection of its own; prints, per
      name answered, "NAME COUNT", sorted by name. A request that fails is
      counted under "error".
  split-client.py hold HOST:PORT
      one keep-alive connection: a request for /name at once, then one more
      for each line read on stdin; prints each answer's name on a line of
      its own ("closed" when the connection was cut) and stops at the end
      of stdin.
"""
import socket
import sys


def request(sock, close):
    hdr = b"GET /name HTTP/1.1\r\nHost: t\r\n" + (b"Connection: close\r\n" if close else b"") + b"\r\n"
    sock.sendall(hdr)
    buf = b""
    while b"\r\n\r\n" not in buf:
        got = sock.recv(4096)
        if not got:
            return None
        buf += got
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        got = sock.recv(4096)
        if not got:
            return None
        body += got
    return body[:length].decode()


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def count(addr, n):
    seen = {}
    for _ in range(n):
        try:
            with connect(addr) as s:
                name = request(s, True) or "error"
        except OSError:
            name = "error"
        seen[name] = seen.get(name, 0) + 1
    for name in sorted(seen):
        print(name, seen[name])


def hold(addr):
    s = connect(addr)
    print(request(s, False) or "closed", flush=True)
    for _ in sys.stdin:
        try:
            name = request(s, False) or "closed"
        except OSError:
            name = "closed"
        print(name, flush=True)


if sys.argv[1] == "count":
    count(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == "hold":
    hold(sys.argv[2])
else:
    sys.exit("usage: split-client.py count|hold HOST:PORT [N]")
