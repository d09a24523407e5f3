#!/bin/sh
# bi-rca names the service at fault, not the one that complains: through the
# host a connection error names, a dependency that stopped, docker compose's
# depends_on (--compose, or dependency records); the others are `affected`,
# and `chain` links them in time order. Over the incident corpus, the top
# finding's service is the one `expected` names; the figures, category and
# service, for the captured and the handwritten cases apart. And `blissful-infra
# analyze` reads the store's metric history and alerts, and says what it read.
. "$(dirname "$0")/../lib.sh"
cases=$(cd "$ROOT/tests/incidents" && for d in */; do [ -f "$d/expected" ] && echo "${d%/}"; done)
n=$(printf '%s\n' $cases | wc -l)
plan $((n + 28))
cd "$TMP" || exit 1
export BI_DB=$TMP/kb.db

# The corpus: the service at fault, and both figures by where the case came from.
# tests/incidents/sources says how each case was made (as 0310 reads it).
for set in captured handwritten; do eval "cat_$set=0 svc_$set=0 all_$set=0"; done
unlabelled=
for c in $cases; do
	want_p=$(sed -n 1p "$ROOT/tests/incidents/$c/expected")
	want_s=$(sed -n 's/^service: //p' "$ROOT/tests/incidents/$c/expected")
	got=$(bi-rca --no-kb "$ROOT/tests/incidents/$c/records.jsonl" 2>/dev/null | head -n 1 |
		jq -r '[.pattern // "none", .service // "none"] | join(" ")')
	set=$(awk -v c="$c" '$1 == c { print $2 }' "$ROOT/tests/incidents/sources")
	is "${got#* }" "$want_s" "$c (${set:-unlabelled}): the top finding blames $want_s"
	case $set in
	captured | handwritten) ;;
	*) unlabelled="$unlabelled $c"; continue ;;
	esac
	eval "all_$set=\$((all_$set + 1))"
	[ "${got% *}" = "$want_p" ] && eval "cat_$set=\$((cat_$set + 1))"
	[ "${got#* }" = "$want_s" ] && eval "svc_$set=\$((svc_$set + 1))"
done
diag "captured: category first $cat_captured/$all_captured, service first $svc_captured/$all_captured"
diag "handwritten: category first $cat_handwritten/$all_handwritten, service first $svc_handwritten/$all_handwritten"
is "${unlabelled:-none}" none "every case says in tests/incidents/sources how it was made"

# Traces: gateway's 500s name no one, and api logged nothing wrong; the
# spans an OpenTelemetry collector wrote (bi-collect --spans) show gateway's
# calls failing through api into payments, whose own spans failed.
t0=$(date -u -d 2026-11-24T09:00:00Z +%s)
cat >traced.jsonl <<'IN'
{"kind":"log","ts":"2026-11-24T09:00:00.000Z","service":"api","level":"info","msg":"POST /charge 200 12ms"}
{"kind":"log","ts":"2026-11-24T09:00:01.000Z","service":"gateway","level":"error","msg":"POST /orders failed with status 500"}
{"kind":"log","ts":"2026-11-24T09:00:02.000Z","service":"gateway","level":"error","msg":"POST /orders failed with status 500"}
IN
span() {	# service, trace, id, parent, second, status code (2: error)
	printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"%s"}}]},' "$1"
	printf '"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","parentSpanId":"%s","name":"op","kind":2,' "$2" "$3" "$4"
	printf '"startTimeUnixNano":"%s000000000","endTimeUnixNano":"%s005000000","status":{"code":%s}}]}]}]}\n' \
		$((t0 + $5)) $((t0 + $5)) "$6"
}
for i in 1 2; do
	tr=4bf92f3577b34da6a3ce929d0e0e473$i
	span gateway $tr 00000000000000a$i "" $i 2
	span gateway $tr 00000000000000b$i 00000000000000a$i $i 2
	span api $tr 00000000000000c$i 00000000000000b$i $i 2
	span api $tr 00000000000000d$i 00000000000000c$i $i 2
	span payments $tr 00000000000000e$i 00000000000000d$i $i 2
	span payments $tr 00000000000000f$i 00000000000000e$i $i 1	# its query went well
done >traces.json
bi-collect --spans traces.json --since 100000h >>traced.jsonl
is "$(bi-rca --no-kb traced.jsonl | head -n 1 | jq -r '[.service, (.affected | join(","))] | join(" ")')" \
	"payments gateway" "traces: the deepest service whose own spans failed is at fault"
is "$(bi-rca --no-kb traced.jsonl | head -n 1 | jq -r '.root_cause' | grep -o 'its spans failed under[^)]*)')" \
	"its spans failed under gateway's calls through api (trace 4bf92f3577b34da6)" "... and the root cause says how"
grep -v '"kind":"span"' traced.jsonl >untraced.jsonl
is "$(bi-rca --no-kb untraced.jsonl | head -n 1 | jq -r .service)" "gateway" \
	"... which, without the traces, nothing tells: the complainer"

# A connection error naming its host: the host is at fault, the caller affected.
cat >conn.jsonl <<'IN'
{"kind":"log","ts":"2026-11-24T05:00:00.000Z","service":"cart","level":"error","msg":"dial tcp sessions:6379: connect: connection refused"}
{"kind":"log","ts":"2026-11-24T05:00:04.000Z","service":"cart","level":"error","msg":"dial tcp sessions:6379: connect: connection refused"}
{"kind":"log","ts":"2026-11-24T05:00:05.000Z","service":"checkout","level":"error","msg":"could not translate host name \"sessions\" to address: Name or service not known"}
IN
bi-rca --no-kb conn.jsonl >out 2>err
is $? 1 "findings: exit 1"
is "$(head -n 1 out | jq -r '[.pattern, .service, (.affected | join(","))] | join(" ")')" \
	"connection-refused sessions cart,checkout" "the host two callers name is at fault; both are affected"
is "$(wc -l <out | tr -d ' ')" 1 "... one finding, not one per caller"
is "$(head -n 1 out | jq -r '[.chain[].ts] == ([.chain[].ts] | sort)')" true "the chain is in time order"
is "$(head -n 1 out | jq -r '.chain[0] | [.service, .what] | join(": ")')" \
	"cart: dial tcp sessions:6379: connect: connection refused" "... from the first sign"

# A dependency that stopped, its address an IP: the stop is the evidence.
cat >stop.jsonl <<'IN'
{"kind":"container","ts":"2026-11-24T06:00:00.000Z","service":"ledger","action":"kill","signal":"15"}
{"kind":"container","ts":"2026-11-24T06:00:00.200Z","service":"ledger","action":"die","exit_code":0}
{"kind":"log","ts":"2026-11-24T06:00:01.000Z","service":"api","level":"error","msg":"connect ECONNREFUSED 172.18.0.5:5432"}
IN
bi-rca --no-kb stop.jsonl >out 2>/dev/null
is "$(jq -r '[.pattern, .service, (.affected | join(","))] | join(" ")' out)" \
	"connection-refused ledger api" "a stopped dependency is at fault"
is "$(jq -r '.chain | map(.service + " " + .what) | join("; ")' out)" \
	"ledger container was sent a signal to stop; ledger container exited with code 0; api connect ECONNREFUSED 172.18.0.5:5432" \
	"... the chain: its stop, then the error"

# depends_on from a compose file (a map and a list), or from dependency records.
cat >deps.jsonl <<'IN'
{"kind":"log","ts":"2026-11-24T07:00:01.000Z","service":"search","level":"error","msg":"index shard 3 unavailable"}
{"kind":"log","ts":"2026-11-24T07:00:02.000Z","service":"web","level":"error","msg":"query failed: search backend error"}
{"kind":"log","ts":"2026-11-24T07:00:03.000Z","service":"web","level":"error","msg":"query failed: search backend error"}
IN
cat >compose.yaml <<'IN'
services:
  web:
    image: web:1
    depends_on:
      search:
        condition: service_healthy
  worker:
    depends_on: [search]
  search:
    image: search:1
IN
bi-rca --no-kb deps.jsonl >out 2>/dev/null
is "$(jq -r .service out | tr '\n' ' ')" "web search " "no depends_on: two problems, each its own"
bi-rca --no-kb --compose compose.yaml deps.jsonl >out 2>/dev/null
is "$(jq -r '[.service, (.affected | join(","))] | join(" ")' out)" "search web" \
	"--compose: the dependency is at fault, its dependent affected"
{ echo '{"kind":"dependency","ts":"2026-11-24T07:00:00.000Z","service":"web","depends_on":["search"]}'; cat deps.jsonl; } |
	bi-rca --no-kb >out 2>/dev/null
is "$(jq -r '[.service, (.affected | join(","))] | join(" ")' out)" "search web" "... as a dependency record says it"
printf 'services: [\n' >bad.yaml
bi-rca --no-kb --compose bad.yaml deps.jsonl >/dev/null 2>err
is "$?:$(grep -c 'bi-rca: --compose: bad.yaml' err)" "2:1" "a malformed compose file: exit 2, naming it"
bi-rca --no-kb --compose missing.yaml deps.jsonl >/dev/null 2>&1
is $? 2 "... a missing one too"

# A crash has its signature; a failed start is no crash.
bi-rca --no-kb "$ROOT/tests/incidents/crash-loop/records.jsonl" 2>/dev/null | head -n 1 >out
is "$(jq -r '[.pattern, .crash.signal, .crash.count] | join(" ")' out)" "crash SIGSEGV 3" \
	"crash-loop: a crash by SIGSEGV, three times"
bi-rca --no-kb "$ROOT/tests/incidents/bad-deploy/records.jsonl" 2>/dev/null | head -n 1 >out
is "$(jq -r '[.pattern, has("crash")] | join(" ")' out)" "deployment-failure false" \
	"bad-deploy: a version that does not come up, no crash"

# A proxy that times out on an upstream it names by address, with its 504s;
# the upstream, alive (started, never died), printing a broken pipe each time
# it answered too late: the slow upstream is at fault, no crash, one finding.
cat >slow.jsonl <<'IN'
{"kind":"container","ts":"2026-11-24T07:00:00.000Z","service":"search","action":"start"}
{"kind":"container","ts":"2026-11-24T07:00:00.000Z","service":"front","action":"start"}
{"kind":"log","ts":"2026-11-24T07:00:10.000Z","service":"front","level":"error","msg":"2026/11/24 07:00:10 [error] 7#7: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.3.0.1, server: , upstream: \"http://10.3.0.7:9000/q\""}
{"kind":"log","ts":"2026-11-24T07:00:10.000Z","service":"front","level":"error","status":504,"msg":"10.3.0.1 - - [24/Nov/2026:07:00:10 +0000] \"GET /q HTTP/1.1\" 504 167"}
{"kind":"log","ts":"2026-11-24T07:00:12.000Z","service":"search","level":"error","msg":"BrokenPipeError: [Errno 32] Broken pipe","stack":"Traceback (most recent call last):\n  File \"/usr/lib/python3.11/socketserver.py\", line 834, in write\nBrokenPipeError: [Errno 32] Broken pipe"}
{"kind":"log","ts":"2026-11-24T07:00:12.000Z","service":"search","level":"info","status":200,"msg":"10.3.0.2 - - \"GET /q HTTP/1.0\" 200 -"}
{"kind":"log","ts":"2026-11-24T07:00:20.000Z","service":"front","level":"error","msg":"2026/11/24 07:00:20 [error] 7#7: *11 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.3.0.1, server: , upstream: \"http://10.3.0.7:9000/q\""}
{"kind":"log","ts":"2026-11-24T07:00:20.000Z","service":"front","level":"error","status":504,"msg":"10.3.0.1 - - [24/Nov/2026:07:00:20 +0000] \"GET /q HTTP/1.1\" 504 167"}
{"kind":"log","ts":"2026-11-24T07:00:22.000Z","service":"search","level":"error","msg":"BrokenPipeError: [Errno 32] Broken pipe","stack":"Traceback (most recent call last):\n  File \"/usr/lib/python3.11/socketserver.py\", line 834, in write\nBrokenPipeError: [Errno 32] Broken pipe"}
IN
bi-rca --no-kb slow.jsonl >out 2>/dev/null
is "$(head -n 1 out | jq -r '[.pattern, .service, (.affected | join(",")), has("crash")] | join(" ")')" \
	"slow-queries search front false" "timeouts on an upstream by address, its broken pipes: the upstream at fault, no crash"
is "$(wc -l <out | tr -d ' ')" 1 "... one finding: the 504s are the timeouts' answers"
printf '%s\n' '{"kind":"container","ts":"2026-11-24T07:00:22.500Z","service":"search","action":"die","exit_code":1}' >>slow.jsonl
bi-rca --no-kb slow.jsonl 2>/dev/null | jq -r 'select(.service == "search") | .pattern' >out
grep -qx crash out
exit_ok $? "... the same traces, then the upstream died: a crash"

# Real captures (tests/fixtures/rca): Redis stopped under traffic behind the
# template's proxy, with the watcher's metrics and alerts: one finding, Redis
# at fault, the app and the proxy affected; the same project healthy: none.
fx=$ROOT/tests/fixtures/rca
gzip -dc "$fx/redis-stopped.jsonl.gz" | bi-rca --no-kb --compose "$fx/compose.yaml" >out 2>/dev/null
is "$(jq -r '[.pattern, .service, (.affected | sort | join(","))] | join(" ")' out)" \
	"connection-refused redis app,chaos-proxy" "a real capture: Redis stopped is at fault, once"
gzip -dc "$fx/healthy.jsonl.gz" | bi-rca --no-kb --compose "$fx/compose.yaml" >out 2>/dev/null
is "$?:$(wc -l <out | tr -d ' ')" "0:0" "... and the same project healthy: nothing found"

# Evidence outside the logs: a lag gauge growing in the metric records.
awk 'BEGIN { for (i = 0; i < 10; i++)
	printf "{\"kind\":\"metric\",\"ts\":\"2026-11-24T08:%02d:00.000Z\",\"service\":\"billing\",\"name\":\"kafka_consumergroup_lag\",\"type\":\"gauge\",\"value\":%d}\n", i, 50 + i * 400 }' >lag.jsonl
is "$(bi-rca --no-kb lag.jsonl 2>/dev/null | jq -r '[.pattern, .service] | join(" ")')" \
	"kafka-consumer-lag billing" "a lag gauge growing without bound: consumer lag"

# analyze: the store's metric history and alerts, and what it read.
blissful-infra create rca-culprit --template c-service --database redis --port 18080 >/dev/null 2>&1
cd rca-culprit || exit 1
echo '{"kind":"log","ts":"2026-11-24T08:00:00.000Z","service":"app","level":"info","msg":"started"}' >quiet.jsonl
mkdir www
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$port" --directory www >/dev/null 2>&1 &
srv=$!
at_exit "kill $srv 2>/dev/null"
i=0
while [ $i -lt 8 ]; do
	printf '# TYPE orders_consumer_lag gauge\norders_consumer_lag %d\n' $((100 + i * 500)) >www/metrics
	j=0
	until bi-metrics scrape --no-docker -n 1 "billing=http://127.0.0.1:$port/metrics" >/dev/null 2>&1 ||
		[ $j -gt 50 ]; do sleep 0.1; j=$((j + 1)); done
	i=$((i + 1))
done
blissful-infra analyze --json --no-record --no-store --file quiet.jsonl >out 2>err
is "$?:$(grep '^read:' err)" "0:read: logs 1, events 0, metrics 0, alerts 0, commits 0" \
	"--no-store: the records only, and it says what it read"
blissful-infra analyze --json --no-record --file quiet.jsonl >out 2>err
is "$(grep '^read:' err)" "read: logs 1, events 0, metrics 0, alerts 0, commits 0" \
	"--file alone: not the store's metrics, which are of another time"
blissful-infra analyze --json --no-record --store --file quiet.jsonl >out 2>err
st=$?
read_line=$(grep '^read:' err)
case $read_line in
"read: logs 1, events 0, metrics 0, alerts 0, commits 0" | "") m=0 ;;
*) m=1 ;;
esac
is "$m" 1 "--store: the store's metrics are read too ($read_line)"
is "$st:$(jq -r 'select(.kind == "finding") | [.pattern, .service] | join(" ")' out | head -n 1)" \
	"1:kafka-consumer-lag billing" "... and the lag they show is found"
