#!/bin/sh
# bi-proxy's relay against haproxy in TCP mode: the same nginx behind each,
# one thread each, no toxic. Throughput: wrk with many connections, the
# proxy alone on CPU 0, nginx and wrk on CPU 1, rounds alternating, each
# round's ratio and the median. Latency: wrk with one connection (one
# request at a time, so no queue), the median through each proxy minus the
# median straight to nginx, with the proxies on the CPU of nginx and wrk
# (their own cost), then unpinned (the scheduler's choice, as a user runs
# them), then on a CPU of their own (each request then wakes a process on
# the other CPU twice more: on a virtual machine that costs ~40 us a time,
# alike for both proxies). Goal: ratio >= 1.0, under 100 us added.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
TMP=$(mktemp -d)
proxy= ha=
trap 'kill $proxy $ha $(cat "$TMP"/nginx.pid 2>/dev/null) 2>/dev/null; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP PIPE
. "$ROOT/scripts/cmd/_util.sh"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
c=${BENCH_CONNECTIONS:-50} d=${BENCH_DURATION:-5} rounds=${BENCH_ROUNDS:-5}
command -v haproxy >/dev/null || { echo "relay bench: no haproxy (scripts/deps.sh installs it)"; exit 0; }

pin_proxy= pin_rest=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	pin_proxy="taskset -c 0" pin_rest="taskset -c 1"
fi
N=$(free_port) A=$(free_port) B=$(free_port) H=$(free_port)
cat >"$TMP/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
error_log $TMP/error.log;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 10000000;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	server {
		listen 127.0.0.1:$N;
		location / { return 200 "hello\n"; }
	}
}
NGINX
cat >"$TMP/haproxy.cfg" <<HAPROXY
global
	nbthread 1
	maxconn 4096
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
listen relay
	bind 127.0.0.1:$H
	server nginx 127.0.0.1:$N
HAPROXY
$pin_rest nginx -c "$TMP/nginx.conf" &
$pin_proxy "${BENCH_PROXY:-bi-proxy}" -q --api "127.0.0.1:$A" --proxy "web,127.0.0.1:$B,127.0.0.1:$N" &
proxy=$!
$pin_proxy haproxy -q -f "$TMP/haproxy.cfg" &
ha=$!
i=0; until curl -fs -o /dev/null "127.0.0.1:$B/" && curl -fs -o /dev/null "127.0.0.1:$H/"; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "relay bench: bi-proxy, haproxy or nginx did not start" >&2; exit 1; }; sleep 0.1
done
# CPU time a process has used, in clock ticks (user + system)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# wrk through port $2 for $1 s: "REQ/S CPU-US-PER-REQUEST" of process $3 (the
# proxy); the CPU cost per request holds still when other work shares the
# machine, the rate does not
rps() {
	t0=$(ticks "$3")
	$pin_rest wrk -t 1 -c "$c" -d "${1}s" "http://127.0.0.1:$2/" >"$TMP/wrk"
	awk -v t0="$t0" -v t1="$(ticks "$3")" -v hz="$(getconf CLK_TCK)" '
		/ requests in / { n = $1 } /^Requests\/sec:/ { r = $2 }
		END { printf "%s %.2f\n", r, n ? (t1 - t0) / hz * 1e6 / n : 0 }' "$TMP/wrk"
}
# wrk's median latency in microseconds, one connection
p50() {
	$pin_rest wrk -t 1 -c 1 -d "${d}s" --latency "http://127.0.0.1:$1/" |
		awk '$1 == "50%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			printf "%.1f\n", v * (u == "ms" ? 1000 : u == "s" ? 1000000 : 1) }'
}

echo "bi-proxy vs haproxy (TCP mode, one thread each, no toxic): wrk -t 1 -c $c to nginx's 6-byte answer, ${d}s each, $rounds rounds alternating${pin_proxy:+ (the proxy on CPU 0, nginx and wrk on CPU 1)}"
rps 2 "$B" "$proxy" >/dev/null; rps 2 "$H" "$ha" >/dev/null	# warm up
for round in $(seq "$rounds"); do
	set -- $(rps "$d" "$B" "$proxy") $(rps "$d" "$H" "$ha")
	awk -v r="$round" -v o="$1" -v oc="$2" -v t="$3" -v tc="$4" 'BEGIN {
		printf "  round %d: bi-proxy %7.0f req/s (%.1f us CPU each)   haproxy %7.0f req/s (%.1f us)   ratio %.2f\n",
			r, o, oc, t, tc, o / t }'
	echo "$1" >>"$TMP/ours"; echo "$2" >>"$TMP/ours.cpu"
	echo "$3" >>"$TMP/theirs"; echo "$4" >>"$TMP/theirs.cpu"
	awk -v o="$1" -v t="$3" 'BEGIN { print o / t }' >>"$TMP/ratio"
done
awk -v o="$(median <"$TMP/ours")" -v t="$(median <"$TMP/theirs")" -v r="$(median <"$TMP/ratio")" \
    -v oc="$(median <"$TMP/ours.cpu")" -v tc="$(median <"$TMP/theirs.cpu")" 'BEGIN {
	printf "  median: bi-proxy %.0f req/s, haproxy %.0f req/s, median of the rounds'\'' ratios %.2f (goal >= 1.0)\n", o, t, r
	printf "  CPU per request (steadier than the rate on a shared machine): bi-proxy %.1f us, haproxy %.1f us\n", oc, tc }'
# CPUS PID...: move the proxies (no-op without taskset)
pin() { cpus=$1; shift; [ -n "$pin_proxy" ] && for p; do taskset -a -p -c "$cpus" "$p" >/dev/null; done; }
direct=$(p50 "$N")
latency() {	# HOW
	b=$(p50 "$B") h=$(p50 "$H")
	awk -v how="$1" -v n="$direct" -v b="$b" -v h="$h" 'BEGIN {
		printf "    %-34s bi-proxy %4.0f us (+%.0f)   haproxy %4.0f us (+%.0f)\n", how, b, b - n, h, h - n }'
}
echo "  median latency, one connection: nginx alone $direct us; goal: bi-proxy adds < 100 us"
if [ -n "$pin_proxy" ]; then
	pin 1 "$proxy" "$ha"; latency "on the CPU of nginx and wrk:"
	pin 0-$(($(nproc) - 1)) "$proxy" "$ha"; latency "unpinned:"
	pin 0 "$proxy" "$ha"; latency "on a CPU of their own (cross-CPU):"
else
	latency "unpinned:"
fi
