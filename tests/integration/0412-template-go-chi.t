#!/bin/sh
# The go-chi template: rendered for each database choice, gofmt-clean, its own
# go vet and unit tests pass; built, the service answers every standard
# endpoint as the contract says, with no dependency running.
#
# How it builds offline: no Go module proxy is reachable here, so the test
# builds in GOPATH mode (GO111MODULE=off) against Debian's Go library
# packages in /usr/share/gocode (golang-github-go-chi-chi-dev,
# golang-github-prometheus-client-golang-dev, golang-github-lib-pq-dev). Each
# project is rendered into $TMP/gopath/src/NAME, so that its module path NAME
# is also its GOPATH import path; its go.mod is what lets GOPATH mode resolve
# the /v5 and /v2 of module import paths ("minimal module compatibility").
# go.mod itself, and go.sum, are for normal module-mode builds elsewhere.
. "$(dirname "$0")/../lib.sh"

gocode=/usr/share/gocode/src/github.com
for need in "$(command -v go)" "$gocode/go-chi/chi" "$gocode/prometheus/client_golang" "$gocode/lib/pq"; do
	[ -n "$need" ] && [ -e "$need" ] && continue
	if [ "${CI:-}" = true ]; then
		plan 1
		exit_ok 1 "the Go toolchain and Debian's Go packages are required under CI=true (scripts/deps.sh)"
		exit 1
	fi
	plan 1
	skip "no Go toolchain or Debian Go packages (scripts/deps.sh installs them)"
	exit 0
done
plan 41

GO111MODULE=off GOPATH=$TMP/gopath:/usr/share/gocode GOCACHE=$ROOT/build/cache/go
GOFLAGS= GOPROXY=off
export GO111MODULE GOPATH GOCACHE GOFLAGS GOPROXY
mkdir -p "$GOCACHE"
tdir=$ROOT/templates/go-chi

# The rendered files that come from this template (not from _shared/).
own_files() {	# DIR
	(cd "$tdir" && find . -type f ! -name template.yaml) | while read -r f; do
		[ -f "$1/$f" ] && printf '%s\n' "$1/$f"
	done
}

for db in none redis postgres both; do
	d=$TMP/gopath/src/svc-$db
	bi-scaffold --template go-chi --database "$db" --no-kafka --dir "$d" "svc-$db" >"$TMP/records" 2>"$TMP/err"
	st=$?
	sed 's/^/# /' "$TMP/err"
	# The dependency-specific files are there exactly when chosen.
	want="redis=no postgres=no"
	case $db in redis) want="redis=yes postgres=no" ;; postgres) want="redis=no postgres=yes" ;;
	both) want="redis=yes postgres=yes" ;; esac
	got="redis=$([ -f "$d/internal/ready/redis.go" ] && echo yes || echo no)"
	got="$got postgres=$([ -d "$d/internal/database" ] && echo yes || echo no)"
	[ $st -eq 0 ] && [ "$got" = "$want" ] && [ ! -e "$d/internal/ready/kafka.go" ]
	exit_ok $? "--database $db renders, with the dependency files chosen ($got)"

	leftovers=$(own_files "$d" | xargs grep -l '{{' 2>/dev/null)
	unformatted=$(cd "$d" && gofmt -l .)
	[ -z "$leftovers$unformatted" ]
	exit_ok $? "--database $db: no leftover {{ ($leftovers), gofmt-clean ($unformatted)"

	(cd "$d" && go vet ./... && go vet -tags integration . && go test -count=1 ./...) >"$TMP/test-$db" 2>&1
	st=$?
	grep -v '^ok' "$TMP/test-$db" | head -20 | sed 's/^/# /'
	exit_ok $st "--database $db: go vet and the project's unit tests pass"
done

# Kafka is off above; its check must compile and pass its tests too.
d=$TMP/gopath/src/svc-kafka
bi-scaffold --template go-chi --database both --kafka --dir "$d" svc-kafka >/dev/null 2>"$TMP/err" &&
	[ -f "$d/internal/ready/kafka.go" ] && [ -z "$(cd "$d" && gofmt -l .)" ] &&
	(cd "$d" && go vet ./... && go test -count=1 ./...) >"$TMP/test-kafka" 2>&1
st=$?
cat "$TMP/err" "$TMP/test-kafka" 2>/dev/null | grep -v '^ok' | head -20 | sed 's/^/# /'
exit_ok $st "--database both --kafka: gofmt-clean, go vet and the unit tests pass"

for db in none both; do
	(cd "$TMP/gopath/src/svc-$db" && go build -o "$TMP/svc-$db" .) >"$TMP/build" 2>&1
	st=$?
	sed 's/^/# /' "$TMP/build"
	exit_ok $st "--database $db: go build"
done

wait_health() {	# PORT
	i=0
	until curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}

# --- none: every endpoint, the metrics, the logs ---
port=$(free_port)
PORT=$port BIND_ADDRESS=127.0.0.1 "$TMP/svc-none" >"$TMP/none.log" 2>"$TMP/none.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_health "$port"
exit_ok $? "the service starts on 127.0.0.1:$port"

url=http://127.0.0.1:$port
get() { curl -s -o "$TMP/body" -w '%{http_code}' "$url$1"; }
is "$(get /health) $(cat "$TMP/body")" '200 {"status":"ok"}' "/health"
is "$(get /hello) $(cat "$TMP/body")" '200 {"message":"Hello, World!"}' "/hello"
is "$(get /hello/world) $(cat "$TMP/body")" '200 {"message":"Hello, world!"}' "/hello/world"
is "$(get /live) $(cat "$TMP/body")" '200 {"status":"alive"}' "/live"
is "$(get /ready) $(cat "$TMP/body")" '200 {"status":"ready","checks":{}}' "/ready with no dependency"
get /startup >/dev/null
grep -Eq '^\{"started_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","startup_ms":[0-9]+\}$' "$TMP/body"
exit_ok $? "/startup: $(cat "$TMP/body")"
is "$(curl -s -H 'Content-Type: application/json' -d '{"a": [1, "two"], "b": null}' "$url/echo")" \
	'{"a": [1, "two"], "b": null}' "/echo echoes the JSON as sent"
is "$(curl -s -w ' %{http_code}' -d 'not json' "$url/echo")" '{"error":"body is not valid JSON"} 400' \
	"/echo refuses what is not JSON"
is "$(get /no/such/page) $(cat "$TMP/body")" '404 {"error":"not found"}' "an unknown path is a JSON 404"

get /metrics >/dev/null
grep -q '^# TYPE http_requests_total counter$' "$TMP/body" &&
	grep -q '^http_requests_total{method="GET",path="/hello/{name}",status="200"} 1$' "$TMP/body"
exit_ok $? "/metrics: http_requests_total by route pattern and status"
grep -q '^# TYPE http_request_duration_seconds histogram$' "$TMP/body" &&
	grep -q '^http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="0.005"} ' "$TMP/body" &&
	grep -q '^http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="+Inf"} 1$' "$TMP/body" &&
	grep -q '^http_request_duration_seconds_sum{method="GET",path="/hello/{name}"} ' "$TMP/body" &&
	grep -q '^http_request_duration_seconds_count{method="GET",path="/hello/{name}"} 1$' "$TMP/body"
exit_ok $? "/metrics: the http_request_duration_seconds histogram"
buckets=$(sed -n 's/^http_request_duration_seconds_bucket{method="GET",path="\/hello\/{name}",le="\([^"]*\)"}.*/\1/p' "$TMP/body" | tr '\n' ' ')
is "$buckets" "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf " "the contract's buckets"
grep -q 'path="/hello/world"' "$TMP/body"
exit_ok $((!$?)) "no raw path in the labels"

PORT=$port BIND_ADDRESS=127.0.0.1 "$TMP/svc-none" -healthcheck
exit_ok $? "-healthcheck exits 0 when the service is healthy"
PORT=$(free_port) BIND_ADDRESS=127.0.0.1 "$TMP/svc-none" -healthcheck 2>/dev/null
exit_ok $((!$?)) "-healthcheck exits 1 when nothing answers"

kill -TERM $pid
wait $pid
exit_ok $? "SIGTERM stops it cleanly (exit 0)"

# Every line on stdout is a JSON object with the contract's fields.
all=$(jq -s 'length > 0 and all(.[];
	(.["@timestamp"] | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"))
	and (.level | IN("INFO", "WARN", "ERROR"))
	and (.message | type == "string") and (.logger_name | type == "string"))' "$TMP/none.log" 2>&1)
is "$all" true "stdout is JSON lines with @timestamp, level, message, logger_name"
is "$(jq -c 'select(.path == "/hello/world") | [.method, .path, .status, (.duration_ms | type)]' "$TMP/none.log")" \
	'["GET","/hello/world",200,"number"]' "a request's line has method, path, status, duration_ms"
is "$(tail -n 1 "$TMP/none.log" | jq -r .message)" "shutting down" "the shutdown is logged"
[ ! -s "$TMP/none.err" ]
exit_ok $? "nothing on stderr"

# --- both (postgres and redis), with neither running ---
port=$(free_port)
closed=$(free_port)
PORT=$port BIND_ADDRESS=127.0.0.1 REDIS_URL=redis://127.0.0.1:$closed \
	DATABASE_URL=postgres://app:app@127.0.0.1:$closed/svc_both \
	"$TMP/svc-both" >"$TMP/both.log" 2>&1 &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_health "$port"
exit_ok $? "--database both starts without its dependencies"
url=http://127.0.0.1:$port
is "$(get /ready) $(cat "$TMP/body")" '503 {"status":"not ready","checks":{"postgres":"down","redis":"down"}}' \
	"/ready names postgres and redis down"
is "$(get /health) $(cat "$TMP/body")" '200 {"status":"ok"}' "/health stays up"
is "$(jq -r 'select(.level == "WARN" and .logger_name == "readiness") | .message' "$TMP/both.log" | sort | tr '\n' ' ')" \
	"postgres is down redis is down " "why each check is down is logged as WARN"
kill -TERM $pid
wait $pid
exit_ok $? "SIGTERM stops it cleanly (exit 0)"
