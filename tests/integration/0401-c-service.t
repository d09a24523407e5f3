#!/bin/sh
# The c-service template: the generated project's own unit tests pass, its
# Dockerfile builds here (on the locally made debian:bookworm-slim), and the
# container answers every standard endpoint and /metrics.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 16
"$ROOT/scripts/images.sh" debian || { exit_ok 1 "base image"; exit 1; }

d=$TMP/svc
bi-scaffold --template c-service --database postgres --dir "$d" svc >/dev/null
(cd "$d" && make -s test) >"$TMP/out" 2>&1
st=$?
grep '^not ok' "$TMP/out" | sed 's/^/# /'
exit_ok $st "the project's own unit tests pass (make test)"

tag=bi-test-c-service:$$
docker build -q -t "$tag" --label org.blissful-infra.test=c-service "$d" >"$TMP/build" 2>&1
st=$?
tail -5 "$TMP/build" | sed 's/^/# /'
exit_ok $st "its Dockerfile builds"
[ $st -eq 0 ] || exit 1
at_exit "docker rmi -f $tag >/dev/null 2>&1"

port=$(free_port)
cid=$(docker run -d --pull never --label org.blissful-infra.test=c-service -p "127.0.0.1:$port:8080" "$tag")
at_exit "docker rm -f $cid >/dev/null 2>&1"
i=0
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done

get() { curl -s -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$port$1"; }
is "$(get /health) $(cat "$TMP/body")" '200 {"status":"ok"}' "/health"
is "$(get /hello) $(cat "$TMP/body")" '200 {"message":"Hello, World!"}' "/hello"
is "$(get /hello/world) $(cat "$TMP/body")" '200 {"message":"Hello, world!"}' "/hello/world"
is "$(get /live) $(cat "$TMP/body")" '200 {"status":"alive"}' "/live"
is "$(get /ready) $(cat "$TMP/body")" '503 {"status":"not ready","checks":{"postgres":"down"}}' \
	"/ready names postgres down when there is none"
get /startup >/dev/null
grep -Eq '^\{"started_at":"[0-9-]+T[0-9:.]+Z","startup_ms":[0-9]+\}$' "$TMP/body"
exit_ok $? "/startup: $(cat "$TMP/body")"
body=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"a":[1,"two"]}' "http://127.0.0.1:$port/echo")
is "$body" '{"a":[1,"two"]}' "/echo echoes JSON"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'not json' "http://127.0.0.1:$port/echo")
is "$code" 400 "/echo refuses what is not JSON"
get /metrics >/dev/null
grep -q '^http_requests_total{method="GET",path="/hello/{name}",status="200"} 1$' "$TMP/body"
exit_ok $? "/metrics counts by route pattern and status"
grep -q '^http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="+Inf"} 1$' "$TMP/body"
exit_ok $? "/metrics has the duration histogram"
docker exec "$cid" /app/service --healthcheck
exit_ok $? "the image's health check command works"

# The fault knobs, at run time.
curl -s -X POST -d '{"error_rate":1}' "http://127.0.0.1:$port/admin/faults" >/dev/null
is "$(get /hello)" 500 "error knob at 100%: 500"
is "$(get /health)" 200 "health stays up"
docker logs "$cid" 2>/dev/null | grep '"level":"ERROR"' | grep -q '"status":500'
exit_ok $? "the failure is logged as a JSON ERROR line"
