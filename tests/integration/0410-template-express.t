#!/bin/sh
# express template: rendered for each database choice (and with Kafka), with
# no {{ left and only the chosen clients; each lock file agrees with its
# package.json; the none, both and kafka projects install, build with tsc and
# pass their own unit tests; every service, run with its dependencies absent,
# answers the standard endpoints, exports its two metrics by route pattern and
# logs JSON lines on stdout; the healthcheck of template.yaml works.
. "$(dirname "$0")/../lib.sh"

# Node 20 is what the template targets (and its Dockerfile runs).
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
if [ "${major:-0}" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
	plan 1
	if [ "${CI:-}" = true ]; then
		exit_ok 1 "Node.js 20 or newer and npm are required under CI=true"
		exit 1
	fi
	skip "needs Node.js 20 or newer, and npm"
	exit 0
fi
plan 80

# Packages come from npm's registry through a cache that outlives the test;
# every other request goes straight to 127.0.0.1, whatever proxy is set.
export npm_config_cache="$ROOT/build/cache/npm" npm_config_audit=false \
	npm_config_fund=false npm_config_update_notifier=false npm_config_prefer_offline=true
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export NO_PROXY='127.0.0.1' no_proxy='127.0.0.1'

free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# The dependencies are absent: their URLs point at a local port where nothing
# listens, so no check ever looks up a name or leaves this machine.
absent=$(free_port)
export DATABASE_URL="postgres://app:app@127.0.0.1:$absent/app"
export REDIS_URL="redis://127.0.0.1:$absent"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$absent"

run() {	# DESCRIPTION DIR COMMAND...: run quietly in DIR, the output's tail on failure
	what=$1 dir=$2
	shift 2
	(cd "$dir" && "$@") >"$TMP/out" 2>&1
	st=$?
	[ $st -eq 0 ] || tail -30 "$TMP/out" | sed 's/^/#   /'
	exit_ok $st "$what"
}

# ---- rendering ----

# The files the template itself renders (the rest come from _shared/).
own=$(cd "$ROOT/templates/express" && find . -type f ! -name template.yaml | sort)

render() {	# NAME CLIENTS SCAFFOLD-ARGS...: render into $TMP/NAME; CLIENTS the src/ files wanted
	name=$1 clients=$2
	shift 2
	bi-scaffold --template express "$@" --dir "$TMP/$name" "svc-$name" >"$TMP/$name.records" 2>"$TMP/err"
	st=$?
	[ $st -eq 0 ] || diag "$(cat "$TMP/err")"
	exit_ok $st "$name: rendered"
	left=$(cd "$TMP/$name" && for f in $own; do [ -f "$f" ] && grep -l '{{' "$f"; done)
	is "$left" "" "$name: no {{ left in the template's files"
	got=$(cd "$TMP/$name/src" && ls kafka.ts postgres.ts redis.ts 2>/dev/null | tr '\n' ' ')
	is "$got" "$clients" "$name: the clients of its dependencies, no others"
	# npm ls reads only package.json and the lock: each must name what the other does.
	run "$name: package-lock.json agrees with package.json" "$TMP/$name" \
		npm ls --package-lock-only --all
}

render none "" --database none
render redis "redis.ts " --database redis
render postgres "postgres.ts " --database postgres
render both "postgres.ts redis.ts " --database both
render kafka "kafka.ts postgres.ts redis.ts " --database both --kafka

grep -q '"redis": "4\.' "$TMP/redis/package.json" && grep -q '"pg": "8\.' "$TMP/postgres/package.json" &&
	grep -q '"kafkajs": "2\.' "$TMP/kafka/package.json" &&
	! grep -Eq '"(redis|pg|kafkajs)":' "$TMP/none/package.json"
exit_ok $? "package.json: node-redis v4, pg 8 and kafkajs 2 only where chosen"

df=$TMP/none/Dockerfile
[ "$(grep -c '^FROM node:20-slim' "$df")" = 2 ] && grep -qx 'USER node' "$df" &&
	grep -q 'npm prune --omit=dev' "$df"
exit_ok $? "Dockerfile: two node:20-slim stages, production dependencies only, not root"

# ---- build and unit tests ----

for name in none both kafka; do
	run "$name: npm ci installs from the lock file" "$TMP/$name" npm ci
	run "$name: npm run build compiles src/ to dist/" "$TMP/$name" npm run build
	run "$name: npm test: the unit tests pass" "$TMP/$name" npm test
	grep -Eq '^Tests: +[0-9]+ passed, [0-9]+ total' "$TMP/out"
	exit_ok $? "$name: jest ran the tests, none failed: $(grep '^Tests:' "$TMP/out")"
done
# redis and postgres hold a subset of both's packages: compile them against those.
for name in redis postgres; do
	ln -s "$TMP/both/node_modules" "$TMP/$name/node_modules"
	run "$name: npm run build compiles src/ to dist/" "$TMP/$name" npm run build
done
run "none: the integration tests pass" "$TMP/none" npm run test:integration
run "both: the integration tests pass, dependencies down" "$TMP/both" npm run test:integration

# ---- the services, each on a free port of 127.0.0.1 ----

start() {	# NAME: run $TMP/NAME's service; port_NAME and pid_NAME once it listens
	(cd "$TMP/$1" && PORT=0 BIND_ADDRESS=127.0.0.1 exec node dist/index.js) \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	eval "pid_$1=$!"
	at_exit "kill $! 2>/dev/null"
}
listening() {	# NAME: its port, from the log line that says where it listens (30 s)
	i=0
	while [ $i -lt 300 ]; do
		p=$(jq -R 'fromjson? | .port | numbers' "$TMP/$1.out" 2>/dev/null | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}
# request PORT PATH [CURL-ARGS...]: the status in $code, the body in $TMP/body.
request() {
	port=$1 path=$2
	shift 2
	code=$(curl -s -m 10 -o "$TMP/body" -w '%{http_code}' "$@" "http://127.0.0.1:$port$path")
}
# answers PORT PATH STATUS BODY NAME [CURL-ARGS...]: status and body, byte for byte.
answers() {
	port=$1 path=$2 want_code=$3 want=$4 what=$5
	shift 5
	request "$port" "$path" "$@"
	printf '%s' "$want" >"$TMP/want"
	if [ "$code" = "$want_code" ] && cmp -s "$TMP/want" "$TMP/body"; then
		exit_ok 0 "$what"
	else
		exit_ok 1 "$what"
		diag "got $code $(cat "$TMP/body")"
		diag "want $want_code $want"
	fi
}

for name in none redis postgres both kafka; do
	start $name
done
for name in none redis postgres both kafka; do
	p=$(listening $name)
	exit_ok $? "$name: the service logs the port it listens on"
	eval "port_$name=\${p:-0}"
done

# none: every endpoint, the metrics, the logs.
p=$port_none
answers "$p" /health 200 '{"status":"ok"}' "none: GET /health"
answers "$p" /hello 200 '{"message":"Hello, World!"}' "none: GET /hello"
answers "$p" /hello/world 200 '{"message":"Hello, world!"}' "none: GET /hello/world"
echo='{"b": [1, 2.50, null],  "a": "caf\u00e9 ok"}'
answers "$p" /echo 200 "$echo" "none: POST /echo gives the body back as sent" \
	-H 'Content-Type: application/json' --data-binary "$echo"
answers "$p" /echo 400 '{"error":"the body is not JSON"}' "none: POST /echo of what is not JSON: 400" \
	-H 'Content-Type: application/json' --data-binary 'not json'
answers "$p" /ready 200 '{"status":"ready","checks":{}}' "none: GET /ready with no dependency"
answers "$p" /live 200 '{"status":"alive"}' "none: GET /live"
request "$p" /startup
[ "$code" = 200 ] && grep -Eqx '\{"started_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","startup_ms":[0-9]+\}' "$TMP/body"
exit_ok $? "none: GET /startup: RFC 3339 start and startup_ms"
answers "$p" /nowhere 404 '{"error":"not found"}' "none: an unknown path: 404 in JSON"

request "$p" /metrics
cp "$TMP/body" "$TMP/metrics"
is "$code" 200 "none: GET /metrics"
grep -qxF 'http_requests_total{method="GET",path="/hello/{name}",status="200"} 1' "$TMP/metrics"
exit_ok $? "none: http_requests_total counts GET /hello/world under path=\"/hello/{name}\""
grep -qxF 'http_request_duration_seconds_count{method="GET",path="/hello/{name}"} 1' "$TMP/metrics"
exit_ok $? "none: http_request_duration_seconds timed it under the same route"
grep -qxF 'http_requests_total{method="GET",path="other",status="404"} 1' "$TMP/metrics"
exit_ok $? "none: a path no route matches is counted as path=\"other\""
grep -qxF '# TYPE http_requests_total counter' "$TMP/metrics" &&
	grep -qxF '# TYPE http_request_duration_seconds histogram' "$TMP/metrics"
exit_ok $? "none: a counter and a histogram"
buckets=$(grep '^http_request_duration_seconds_bucket{.*path="/hello/{name}"' "$TMP/metrics" |
	sed 's/.*le="\([^"]*\)".*/\1/' | tr '\n' ' ')
is "$buckets" "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf " "none: the contract's buckets"
grep -qF 'path="/hello/world"' "$TMP/metrics"
is $? 1 "none: no series for the raw path"

# The healthcheck of template.yaml, run as compose runs it in the container.
hc=$(sed -n "s/^healthcheck: '\(.*\)'\$/\1/p" "$ROOT/templates/express/template.yaml")
is "$(printf '%s' "$hc" | jq -c '.[0:3]')" '["CMD","node","-e"]' "healthcheck: node -e, no shell"
script=$(printf '%s' "$hc" | jq -r '.[3]')
(cd "$TMP" && PORT=$p node -e "$script")
exit_ok $? "healthcheck: passes while the service answers"

kill -TERM "$pid_none"
wait "$pid_none"
is $? 0 "none: SIGTERM: a clean exit"
(cd "$TMP" && PORT=$p node -e "$script")
is $? 1 "healthcheck: fails once it is gone"

jq -e -s 'length > 0 and all(.[];
	type == "object"
	and (.["@timestamp"] | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$"))
	and (.level | IN("INFO", "WARN", "ERROR"))
	and (.message | type == "string")
	and (.logger_name | type == "string"))' "$TMP/none.out" >/dev/null
exit_ok $? "none: stdout is JSON lines with @timestamp, level, message, logger_name"
jq -e -s 'map(select(.path == "/hello/world")) | length == 1 and (.[0] |
	.method == "GET" and .status == 200 and .route == "/hello/{name}"
	and (.duration_ms | type == "number"))' "$TMP/none.out" >/dev/null
exit_ok $? "none: the request to /hello/world logged with method, path, status, duration_ms"
jq -e -s 'last | .message == "stopped"' "$TMP/none.out" >/dev/null
exit_ok $? "none: the last line says it stopped"
is "$(cat "$TMP/none.err")" "" "none: nothing on stderr"

# With dependencies chosen and absent: not ready, naming each down.
for name in redis postgres both kafka; do
	case $name in
	both) checks='"postgres":"down","redis":"down"' ;;
	kafka) checks='"postgres":"down","redis":"down","kafka":"down"' ;;
	*) checks="\"$name\":\"down\"" ;;
	esac
	eval "p=\$port_$name"
	answers "$p" /ready 503 "{\"status\":\"not ready\",\"checks\":{$checks}}" \
		"$name: GET /ready: 503, naming what is down"
	answers "$p" /health 200 '{"status":"ok"}' "$name: GET /health is still ok"
done
jq -e -s 'any(.[]; .level == "WARN" and .check == "kafka"
	and (.message | startswith("kafka is down: ")))' "$TMP/kafka.out" >/dev/null
exit_ok $? "kafka: a failed check is logged as WARN with its reason"
for name in redis postgres both kafka; do
	eval "pid=\$pid_$name"
	kill -TERM "$pid"
	wait "$pid"
	is $? 0 "$name: SIGTERM: a clean exit, its clients closed"
done
