#!/bin/sh
# bi-proxy's memory under load: wrk with 200 connections through one proxy to
# nginx (answers of 1 MiB, so that queues fill), each toxic in turn. Per
# toxic: the peak RSS while it acts, and the RSS once it is removed and the
# load is over, beside the baseline. Goal: every peak under 64 MiB, and back
# near the baseline after.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
TMP=$(mktemp -d)
proxy=
trap 'kill $proxy $(cat "$TMP"/nginx.pid 2>/dev/null) 2>/dev/null; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP PIPE
. "$ROOT/scripts/cmd/_util.sh"
kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$proxy/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%6.1f MiB", k / 1024 }'; }
d=${BENCH_DURATION:-5} c=${BENCH_CONNECTIONS:-200}

N=$(free_port) A=$(free_port) L=$(free_port)
mkdir -p "$TMP/www"
head -c 1048576 /dev/zero >"$TMP/www/big"
chmod a+rx "$TMP" "$TMP/www" && chmod a+r "$TMP/www/big"	# nginx's workers are not us
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
		root $TMP/www;
	}
}
NGINX
nginx -c "$TMP/nginx.conf" &
bi-proxy -q --api "127.0.0.1:$A" --proxy "web,127.0.0.1:$L,127.0.0.1:$N" &
proxy=$!
i=0; until curl -fs "127.0.0.1:$A/version" >/dev/null && curl -fs -o /dev/null "127.0.0.1:$L/big"; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "proxy bench: bi-proxy or nginx did not start" >&2; exit 1; }; sleep 0.1
done
api() { curl -fs -o /dev/null -X "$1" ${3:+-d "$3"} "127.0.0.1:$A$2"; }
load() { wrk -t 2 -c "$c" -d "${1}s" --timeout 10s "http://127.0.0.1:$L/big" 2>/dev/null | sed -n 's/^Requests\/sec: *//p'; }
# Once the load is over, memory goes back within a second or two (the
# relay hands freed memory back at most once a second): wait until it has
# not moved for two seconds, then read it.
settle() {
	prev=0 same=0 i=0
	while [ $same -lt 4 ] && [ $i -lt 40 ]; do
		sleep 0.5
		now=$(kib VmRSS)
		if [ "$now" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$now i=$((i + 1))
	done
	echo "$now"
}

load 2 >/dev/null	# warm up, no toxic
base=$(settle)
echo "bi-proxy memory: wrk, $c connections to nginx through one proxy (1 MiB answers), ${d}s per toxic"
echo "  goal: peak RSS under 64 MiB with every toxic, and back near the baseline once it is removed"
printf '  %-44s %s\n' "baseline (idle, after a warm-up)" "$(mib "$base")"
worst=0 back=0
while IFS='|' read -r what body; do
	echo 5 >"/proc/$proxy/clear_refs" 2>/dev/null	# VmHWM from now on
	api POST /proxies/web/toxics "$body" || { echo "  $what: the API refused $body"; continue; }
	rps=$(load "$d")
	peak=$(kib VmHWM)
	api POST /reset
	after=$(settle)
	printf '  %-28s peak %s   after %s   (%s req/s)\n' "$what" "$(mib "$peak")" "$(mib "$after")" "${rps:-0}"
	[ "$peak" -gt "$worst" ] && worst=$peak
	[ $((after - base)) -gt "$back" ] && back=$((after - base))
done <<'TOXICS'
latency 100 ms, jitter 50|{"type":"latency","attributes":{"latency":100,"jitter":50}}
latency upstream 100 ms|{"type":"latency","stream":"upstream","attributes":{"latency":100}}
bandwidth 10 MB/s|{"type":"bandwidth","attributes":{"rate":10000}}
slow_close 1 s|{"type":"slow_close","attributes":{"delay":1000}}
timeout 0 (hold all)|{"type":"timeout","attributes":{"timeout":0}}
reset_peer 50 ms|{"type":"reset_peer","attributes":{"timeout":50}}
slicer 1 byte|{"type":"slicer","attributes":{"average_size":1}}
slicer 10 bytes, 100 us|{"type":"slicer","attributes":{"average_size":10,"size_variation":5,"delay":100}}
limit_data 100 kB|{"type":"limit_data","attributes":{"bytes":100000}}
TOXICS
awk -v w="$worst" -v b="$back" 'BEGIN {
	printf "  worst peak %.1f MiB (goal < 64), most above the baseline after %.1f MiB\n", w / 1024, b / 1024 }'
