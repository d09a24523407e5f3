"""worker: counts events in Redis (INCR over a plain socket, RESP), logging
with Python's logging in its usual "asctime - name - levelname - message"
form; when Redis goes away it logs the exception and tries again. With
SESSION_BYTES set, it also stores a session of that size per event (SET),
never expiring them."""
import logging
import os
import socket
import sys
import time

logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                    format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
log = logging.getLogger("worker")
HOST = os.environ.get("REDIS_HOST", "redis")


def connect():
    s = socket.create_connection((HOST, 6379), timeout=2)
    return s, s.makefile("rb")


def incr(conn, key):
    s, f = conn
    s.sendall(b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(key), key))
    line = f.readline()
    if not line:
        raise ConnectionResetError("Redis closed the connection")
    if line.startswith(b"-"):
        raise RuntimeError(line[1:].strip().decode())
    return int(line[1:])


def store(conn, key, value):
    s, f = conn
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    line = f.readline()
    if not line:
        raise ConnectionResetError("Redis closed the connection")
    if line.startswith(b"-"):
        raise RuntimeError(line[1:].strip().decode())


SESSION = b"s" * int(os.environ.get("SESSION_BYTES", "0"))


def main():
    conn = None
    n = 0
    while True:
        try:
            if conn is None:
                conn = connect()
                log.info("connected to %s:6379", HOST)
            v = incr(conn, b"events")
            if SESSION:
                store(conn, b"session:%d" % v, SESSION)
            n += 1
            if n % 20 == 0:
                log.info("processed %d events, counter at %d", n, v)
        except (OSError, RuntimeError):
            log.exception("INCR events failed")
            conn = None
            time.sleep(1)
        time.sleep(0.1)


main()
