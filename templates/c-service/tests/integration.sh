#!/bin/sh
# Start the built service on a spare port and check its endpoints with curl.
set -eu
port=${TEST_PORT:-18080}
PORT=$port ./service >/tmp/{{PROJECT_NAME}}-integration.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
i=0
until curl -fs "http://127.0.0.1:$port/health" >/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "service did not start"; exit 1; }
	sleep 0.1
done
fail=0
expect() {	# PATH WANT
	got=$(curl -s "http://127.0.0.1:$port$1")
	if [ "$got" = "$2" ]; then echo "ok - $1"; else echo "not ok - $1: $got"; fail=1; fi
}
expect /health '{"status":"ok"}'
expect /hello '{"message":"Hello, World!"}'
expect /hello/world '{"message":"Hello, world!"}'
expect /live '{"status":"alive"}'
got=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"a":1}' "http://127.0.0.1:$port/echo")
[ "$got" = '{"a":1}' ] && echo "ok - /echo" || { echo "not ok - /echo: $got"; fail=1; }
curl -s "http://127.0.0.1:$port/metrics" | grep -q '^http_requests_total{method="GET",path="/hello/{name}",status="200"} 1$' &&
	echo "ok - /metrics" || { echo "not ok - /metrics"; fail=1; }
exit $fail
