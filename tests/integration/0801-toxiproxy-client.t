#!/bin/sh
# A real toxiproxy client, the npm package toxiproxy-node-client, drives
# bi-proxy: it creates a proxy and a latency toxic, and the latency is there.
. "$(dirname "$0")/../lib.sh"
# Without node: under CI a failure, else a skip; either way a plan that holds.
if ! command -v node >/dev/null; then
	plan 1
	[ "${CI:-}" = true ] && { exit_ok 1 "node is required under CI"; exit 1; }
	skip "no node"
	exit 0
fi
plan 4
mkdir -p "$TMP/client" && cd "$TMP/client" || exit 1
cp "$ROOT/tests/tools/toxiproxy-client.js" .
npm_config_cache=$ROOT/build/cache/npm npm install --no-audit --no-fund --silent toxiproxy-node-client@4 >"$TMP/npm" 2>&1
exit_ok $? "npm install toxiproxy-node-client"
/usr/bin/python3 "$ROOT/tests/tools/http-server.py" "$TMP/port" &
at_exit "kill $! 2>/dev/null"
A=$(free_port)
bi-proxy --api "127.0.0.1:$A" >"$TMP/records" &
at_exit "kill $! 2>/dev/null"
i=0; while { [ ! -s "$TMP/port" ] || ! curl -fs "127.0.0.1:$A/version" >/dev/null; } && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
node toxiproxy-client.js "http://127.0.0.1:$A" "127.0.0.1:$(cat "$TMP/port")" >"$TMP/out" 2>&1
exit_ok $? "the client created a proxy and a toxic, and removed them: $(cat "$TMP/out")"
before=$(jq .before "$TMP/out") after=$(jq .after "$TMP/out") removed=$(jq .removed "$TMP/out")
[ $((after - before)) -ge 270 ] && [ $((after - before)) -le 500 ]
exit_ok $? "the 300 ms latency it asked for is observed ($before ms, then $after ms)"
[ "$removed" -lt 150 ]
exit_ok $? "and gone with the toxic ($removed ms)"
