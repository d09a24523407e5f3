#!/bin/sh
# bi-proxy at its limits: the memory a toxic can make it hold (a slicer of
# 1-byte pieces once cost ~48 bytes for each byte queued, 200 MB a
# connection) stays bounded, and goes back once the toxic is removed; out of
# file descriptors, it names the cause, does not spin, and serves every
# client once descriptors come back; --allow-remote and --api-host.
. "$(dirname "$0")/../lib.sh"
plan 10
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }	# KiB
wait_for() {	# SECONDS COMMAND...: until COMMAND succeeds, or SECONDS pass
	_w=$(($1 * 10)); shift
	until "$@"; do _w=$((_w - 1)); [ $_w -gt 0 ] || return 1; sleep 0.1; done
}

# An upstream that reads and throws away what it gets.
python3 - "$TMP/sink" <<'PY' &
import socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
def drain(c):
    while c.recv(65536):
        pass
while True:
    threading.Thread(target=drain, args=(s.accept()[0],), daemon=True).start()
PY
at_exit "kill $! 2>/dev/null"
wait_for 5 test -s "$TMP/sink"
A=$(free_port)
bi-proxy -q --allow-remote --api-host chaos-proxy --api "127.0.0.1:$A" \
	--proxy "mem,127.0.0.1:0,127.0.0.1:$(cat "$TMP/sink")" 2>"$TMP/err" &
proxy=$!
at_exit "kill $proxy 2>/dev/null"
wait_for 5 curl -fs -o "$TMP/mem" "127.0.0.1:$A/proxies/mem"
L=$(jq -r .listen "$TMP/mem")
base=$(rss $proxy)

# Three clients push as fast as they can through a slicer of 1-byte pieces,
# one a millisecond: the queues fill, and then the clients are held back.
is "$(curl -s -o /dev/null -w '%{http_code}' -d '{"type":"slicer","stream":"upstream","attributes":{"average_size":1,"delay":1000}}' \
	"127.0.0.1:$A/proxies/mem/toxics")" 200 "a slicer of 1-byte pieces"
python3 - "${L%:*}" "${L##*:}" "$TMP/pushed" <<'PY' &
import socket, sys, time
conns = [socket.create_connection((sys.argv[1], int(sys.argv[2]))) for _ in range(3)]
for c in conns:
    c.setblocking(False)
buf, sent, last, t0 = b"x" * 65536, 0, time.time(), time.time()
while time.time() - last < 1 and time.time() - t0 < 60:	# until held back for a second
    for c in conns:
        try:
            sent += c.send(buf)
            last = time.time()
        except BlockingIOError:
            pass
    time.sleep(0.001)
open(sys.argv[3], "w").write(str(sent))
time.sleep(600)	# hold the connections open
PY
pusher=$!
at_exit "kill $pusher 2>/dev/null"
wait_for 70 test -s "$TMP/pushed"
full=$(rss $proxy)
[ "$full" -lt $((32 * 1024)) ]
exit_ok $? "3 connections with full queues: RSS $((full / 1024)) MiB (under 32; 4 MiB a direction, counted with each chunk's cost; baseline $((base / 1024)) MiB)"
[ "$(cat "$TMP/pushed")" -gt $((3 * 1024 * 1024)) ]
exit_ok $? "the clients did push data ($(cat "$TMP/pushed") bytes)"

# Without the toxic, the queues drain into the upstream; the memory goes back.
curl -s -X DELETE "127.0.0.1:$A/proxies/mem/toxics/slicer_upstream"
delivered() { [ "$(curl -s "127.0.0.1:$A/proxies/mem" | jq .stats.bytes_upstream)" = "$(cat "$TMP/pushed")" ]; }
wait_for 30 delivered
exit_ok $? "the toxic removed, all that was pushed reaches the upstream ($(cat "$TMP/pushed") bytes)"
back() { [ "$(rss $proxy)" -lt $((base + 4096)) ]; }
wait_for 10 back
exit_ok $? "and RSS is back near the baseline: $(($(rss $proxy) / 1024)) MiB (baseline $((base / 1024)) MiB, full $((full / 1024)) MiB)"
kill $pusher

is "$(curl -s -o /dev/null -w '%{http_code}' -d '{"name":"wide","listen":"0.0.0.0:0","upstream":"127.0.0.1:9","enabled":false}' \
	"127.0.0.1:$A/proxies")" 201 "--allow-remote: the API may make a listener beyond loopback"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: chaos-proxy:8474" "127.0.0.1:$A/version")" 200 \
	"--api-host chaos-proxy: a request for that Host is answered"

# Out of descriptors: 15 clients at once through a bi-proxy allowed 24 files.
/usr/bin/python3 "$ROOT/tests/tools/http-server.py" "$TMP/port" &
at_exit "kill $! 2>/dev/null"
wait_for 5 test -s "$TMP/port"
A=$(free_port) L=$(free_port)
(ulimit -n 24 && exec bi-proxy -q --api "127.0.0.1:$A" --proxy "few,127.0.0.1:$L,127.0.0.1:$(cat "$TMP/port")" \
	2>"$TMP/fds") &
few=$!
at_exit "kill $few 2>/dev/null"
wait_for 5 curl -fs -o /dev/null "127.0.0.1:$A/version"
python3 - "$L" "$few" >"$TMP/clients" <<'PY'
import socket, sys, time
def cpu():	# the proxy's user and system time, in ticks
    f = open(f"/proc/{sys.argv[2]}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(15)]
t = cpu()
time.sleep(1)
print("cpu", cpu() - t)
for c in conns:
    c.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
answered = 0
for c in conns:	# each answer read, then its connection closed: descriptors come back
    c.settimeout(10)
    got = b""
    try:
        while (x := c.recv(4096)):
            got += x
    except OSError:
        pass
    answered += got.startswith(b"HTTP/1.1 200") and got.endswith(b"ok")
    c.close()
print("answered", answered)
PY
grep -q "too many open files (limit 24)" "$TMP/fds"
exit_ok $? "it says why: $(head -1 "$TMP/fds")"
ticks=$(awk '$1 == "cpu" { print $2 }' "$TMP/clients")
[ "${ticks:-100}" -lt 30 ]
exit_ok $? "while clients wait for a descriptor, it does not spin (${ticks:-?} ticks of CPU in a second)"
is "$(awk '$1 == "answered" { print $2 }' "$TMP/clients")" 15 "every client is served once descriptors come back"
