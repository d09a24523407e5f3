#!/bin/sh
# fastapi template: rendered for each database choice with no {{ left; the
# generated unit and integration tests pass under Debian's Python; the service,
# run with its dependencies absent, answers every standard endpoint, exports
# its two metrics by route pattern and logs JSON lines on stdout.
. "$(dirname "$0")/../lib.sh"
plan 45

# Debian's Python and its python3-* packages, not a pyenv one first in PATH;
# nothing is installed with pip. No bytecode is written into the projects.
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH PYTHONHOME
# Every request goes straight to 127.0.0.1, whatever proxy the caller set.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export NO_PROXY='*' no_proxy='*'

# The dependencies are absent: their URLs point at a local port where nothing
# listens, so no check ever looks up a name or leaves this machine.
absent=$(free_port)
export DATABASE_URL="postgres://app:app@127.0.0.1:$absent/app"
export REDIS_URL="redis://127.0.0.1:$absent"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$absent"

"$PY" -c 'import fastapi, uvicorn, httpx, prometheus_client, redis, psycopg2, pytest' 2>"$TMP/err"
st=$?
[ $st -eq 0 ] || diag "$(tail -1 "$TMP/err") (scripts/deps.sh installs the python3-* packages)"
exit_ok $st "$PY has FastAPI, uvicorn, httpx, prometheus_client, redis, psycopg2 and pytest"

# The files the template itself renders (the rest come from _shared/).
own=$(cd "$ROOT/templates/fastapi" && find . -type f ! -name template.yaml | sort)

render() {	# NAME SCAFFOLD-ARGS...: render into $TMP/NAME
	name=$1
	shift
	bi-scaffold --template fastapi "$@" --dir "$TMP/$name" "svc-$name" >"$TMP/$name.records" 2>"$TMP/err"
	st=$?
	[ $st -eq 0 ] || diag "$(cat "$TMP/err")"
	exit_ok $st "$name: rendered"
	left=$(cd "$TMP/$name" && for f in $own; do grep -l '{{' "$f"; done 2>&1)
	is "$left" "" "$name: no {{ left in the template's files"
	(cd "$TMP/$name" && find . -name '*.py' -exec "$PY" -c '
import ast, sys
for path in sys.argv[1:]:
    with open(path) as source:
        ast.parse(source.read(), path)' {} +) 2>"$TMP/err"
	st=$?
	[ $st -eq 0 ] || diag "$(cat "$TMP/err")"
	exit_ok $st "$name: every Python file parses"
}

for db in none redis postgres both; do
	render $db --database $db
done
render kafka --database both --kafka

pytest_in() {	# NAME DESCRIPTION PYTEST-ARGS...
	dir=$TMP/$1 what=$2
	shift 2
	(cd "$dir" && "$PY" -m pytest -q -p no:cacheprovider "$@") >"$TMP/pytest.out" 2>&1
	st=$?
	[ $st -eq 0 ] || tail -40 "$TMP/pytest.out" | sed 's/^/# /'
	exit_ok $st "$what"
}

pytest_in none "none: unit tests pass"
pytest_in both "both: unit tests pass"
if "$PY" -c 'import kafka' 2>/dev/null; then
	pytest_in kafka "kafka: unit tests pass"
else
	skip "kafka: no python3-kafka for $PY"
fi
pytest_in none "none: integration tests pass (they start their own server)" tests/integration
pytest_in both "both: integration tests pass, dependencies down" tests/integration

# The services, each on a free port of 127.0.0.1.
start() {	# NAME: run $TMP/NAME's service; its port in port_NAME, pid in pid_NAME
	p=$(free_port)
	(cd "$TMP/$1" && HOST=127.0.0.1 PORT=$p exec "$PY" -m app) \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	at_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
	eval "port_$1=$p pid_$1=$!"
}

healthy() {	# PORT: within 30 s
	i=0
	while [ $i -lt 150 ]; do
		curl -s -m 1 -o /dev/null "http://127.0.0.1:$1/health" && return 0
		i=$((i + 1))
		sleep 0.2
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

for name in none redis postgres both; do
	start $name
done

# none: every endpoint, the metrics, the logs.
healthy "$port_none" || diag "none: the service did not answer /health in 30 s"
answers "$port_none" /health 200 '{"status":"ok"}' "none: GET /health"
answers "$port_none" /hello 200 '{"message":"Hello, World!"}' "none: GET /hello"
answers "$port_none" /hello/world 200 '{"message":"Hello, world!"}' "none: GET /hello/world"
echo='{"b": [1, 2.50, null],  "a": "caf\u00e9 ok"}'
answers "$port_none" /echo 200 "$echo" "none: POST /echo gives the body back as sent" \
	-H 'Content-Type: application/json' --data-binary "$echo"
request "$port_none" /echo --data-binary 'not json'
[ "$code" = 400 ] && jq -e '.error | type == "string"' "$TMP/body" >/dev/null
exit_ok $? "none: POST /echo of what is not JSON: 400 {\"error\":...}"
answers "$port_none" /ready 200 '{"status":"ready","checks":{}}' "none: GET /ready with no dependency"
answers "$port_none" /live 200 '{"status":"alive"}' "none: GET /live"
request "$port_none" /startup
[ "$code" = 200 ] && grep -Eqx '\{"started_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","startup_ms":[0-9]+\}' "$TMP/body"
exit_ok $? "none: GET /startup: RFC 3339 start and startup_ms"

request "$port_none" /metrics
cp "$TMP/body" "$TMP/metrics"
grep -qxF 'http_requests_total{method="GET",path="/hello/{name}",status="200"} 1.0' "$TMP/metrics"
exit_ok $? "none: http_requests_total counts GET /hello/world under path=\"/hello/{name}\""
grep -qxF 'http_request_duration_seconds_count{method="GET",path="/hello/{name}"} 1.0' "$TMP/metrics"
exit_ok $? "none: http_request_duration_seconds timed it under the same route"
grep -qxF '# TYPE http_requests_total counter' "$TMP/metrics" &&
	grep -qxF '# TYPE http_request_duration_seconds histogram' "$TMP/metrics"
exit_ok $? "none: a counter and a histogram"
buckets=$(grep '^http_request_duration_seconds_bucket{.*path="/hello/{name}"' "$TMP/metrics" |
	sed 's/.*le="\([^"]*\)".*/\1/' | tr '\n' ' ')
is "$buckets" "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1.0 2.5 5.0 10.0 +Inf " "none: the contract's buckets"
grep -qF 'path="/hello/world"' "$TMP/metrics"
is $? 1 "none: no series for the raw path"

jq -e -s 'length > 0 and all(.[];
	type == "object"
	and (.["@timestamp"] | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$"))
	and (.level | IN("INFO", "WARN", "ERROR"))
	and (.message | type == "string")
	and (.logger_name | type == "string"))' "$TMP/none.out" >/dev/null
exit_ok $? "none: stdout is JSON lines with @timestamp, level, message, logger_name"
jq -e -s 'map(select(.path == "/hello/world")) | length == 1 and (.[0] |
	.method == "GET" and .status == 200 and (.duration_ms | type == "number"))' \
	"$TMP/none.out" >/dev/null
exit_ok $? "none: the request to /hello/world logged with method, path, status, duration_ms"
is "$(cat "$TMP/none.err")" "" "none: nothing on stderr"

# With a dependency chosen and absent: not ready, naming it down.
for name in redis postgres both; do
	eval "p=\$port_$name"
	healthy "$p" || diag "$name: the service did not answer /health in 30 s"
	case $name in
	both) checks='"postgres":"down","redis":"down"' ;;
	*) checks="\"$name\":\"down\"" ;;
	esac
	answers "$p" /ready 503 "{\"status\":\"not ready\",\"checks\":{$checks}}" \
		"$name: GET /ready: 503, $name down"
	answers "$p" /health 200 '{"status":"ok"}' "$name: GET /health is still ok"
done
jq -e -s 'any(.[]; .level == "WARN" and .logger_name == "app.checks"
	and (.message | startswith("readiness check redis failed")))' "$TMP/both.out" >/dev/null
exit_ok $? "both: a failed check is logged as WARN"

kill -TERM "$pid_none"
wait "$pid_none"
is $? 0 "none: SIGTERM: a clean exit"
