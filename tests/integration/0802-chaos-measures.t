#!/bin/sh
# bi-chaos measures what it claims and stops when told, on a real c-service +
# Redis project: the experiments' load is the project's own (perf/load.yaml,
# or chaos.load), and one whose target that load never reaches says so
# instead of passing; dependency-down is judged on the real errors of the
# requests that need Redis and of those that do not; network-latency slows
# the app's own calls to Redis, never the load's path; SIGINT during
# memory-pressure ends at once with the hog gone, and after kill -9
# --rollback removes it; a second run at once is refused and leaves the
# first one's fault alone; a dry run and a real one agree on a missing target.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 29
"$ROOT/scripts/images.sh" debian redis >/dev/null || { exit_ok 1 "base images"; exit 1; }
name=bi-chaosm-$$
port=$(free_port)
cd "$TMP" || exit 1
export BI_DB=$TMP/bi.db
at_exit "cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest >/dev/null 2>&1"
blissful-infra create "$name" --database redis --port "$port" >/dev/null && cd "$name" && blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "a c-service project with Redis is up" || { sed 's/^/# /' "$TMP/up"; exit 1; }
field() { jq -r "$2" "$TMP/$1"; }
cid() { docker ps -aq --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=$1"; }
app=$(cid app)
redis=$(cid redis)
api=http://127.0.0.1:$(docker port "$(cid chaos-proxy)" 8474/tcp | sed -n '1s/.*://p')
running() { docker inspect -f '{{.State.Running}}' "$1"; }
wait_until() {	# TENTHS COMMAND...: poll until COMMAND holds
	n=$1; shift
	i=0; until "$@"; do i=$((i + 1)); [ $i -lt "$n" ] || return 1; sleep 0.1; done
}
redis_down() { [ "$(running "$redis")" = false ]; }
hog_runs() { docker top "$app" -o pid,args 2>/dev/null | grep -q '[b]i-hog mem'; }
hog_file() { docker exec "$app" test -e /tmp/bi-hog; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- A: the load is the project's, and reaches what is broken ----
grep -q 'path: /visits' perf/load.yaml
exit_ok $? "the c-service's load scenario calls /visits, which needs Redis"
bi-chaos -s dependency-down --duration 4s >"$TMP/dep" 2>"$TMP/err"
is "$(field dep .status):$(field dep .load)" passed:perf/load.yaml \
	"dependency-down, loaded as perf/load.yaml says, passes for the build that degrades gracefully" ||
	sed 's/^/# /' "$TMP/dep" "$TMP/err"
is "$(field dep '[.reach.visits[], .reach.ready[]] | join(",")'):$(field dep '.reach.hello | length')" "redis,redis:0" \
	"measured: /visits and /ready reach Redis through chaos-proxy, /hello does not"
is "$(field dep '.during.endpoints.visits | (.needs_target and .errors > 0)'):$(field dep '.during.endpoints.hello | (.needs_target or .errors > 0)')" \
	"true:false" "real errors: /visits failed while Redis was down, /hello did not"
jq -e '.during.requests > 0 and .during.error_rate > 0' "$TMP/dep" >/dev/null
exit_ok $? "the load itself saw the failures of the requests that need Redis ($(field dep .during.error_rate))"
# The fragile build: every request fails once Redis is gone.
curl -s -X POST -d '{"dep_fatal":true}' "http://127.0.0.1:$port/admin/faults" >/dev/null
bi-chaos -s dependency-down --duration 4s >"$TMP/dep2" 2>>"$TMP/err"
is "$(field dep2 .status)" failed "and fails for the build that dies without Redis"
bi-wait --project "$name" --timeout 60s >/dev/null

# A load that never calls anything that needs Redis: said so, nothing broken.
printf 'endpoints:\n  - {name: hello, path: /hello, weight: 1}\n' >perf/hello.yaml
cp blissful-infra.yaml "$TMP/yaml"
sed -e '/^  load: /d' -e 's/^chaos:$/chaos:\n  load: perf\/hello.yaml/' "$TMP/yaml" >blissful-infra.yaml
started=$(docker inspect -f '{{.State.StartedAt}}' "$redis")
bi-chaos -s dependency-down --duration 3s >"$TMP/unreached" 2>>"$TMP/err"
st=$?
cp "$TMP/yaml" blissful-infra.yaml
is "$st:$(field unreached .status):$(field unreached .load)" "1:skipped:perf/hello.yaml" \
	"chaos.load with /hello alone: dependency-down is not passed (exit 1, skipped)"
field unreached .reason | grep -q 'never reaches redis'
exit_ok $? "saying why: $(field unreached .reason | cut -c1-70)"
is "$(docker inspect -f '{{.State.StartedAt}}' "$redis")" "$started" "and Redis was never stopped"

# ---- A: network-latency slows the app's calls, not the load's path ----
bi-chaos -s network-latency --duration 5s --intensity medium >"$TMP/lat" 2>>"$TMP/err"
added=$(field lat .added_p95_ms)
is "$(field lat .status)" passed "network-latency passes" || sed 's/^/# /' "$TMP/lat"
awk -v a="$added" 'BEGIN { exit !(a >= 240 && a <= 360) }'
exit_ok $? "the p95 of the requests that call Redis rose by the injected 300 ms, within 20% ($added ms)"
is "$(grep '"action":"toxic"' .blissful-infra/chaos.journal | tail -1 | jq -r '.api + " " + .proxy')" "$api redis" \
	"the latency went on chaos-proxy's redis proxy, the app's outgoing traffic"
is "$(field lat '.load_endpoints | sort | join(",")'):$(grep -c '"action":"process"' .blissful-infra/chaos.journal)" \
	"ready,visits:0" "the load went straight to the app (its endpoints that call Redis), no proxy started in its path"

# ---- C: SIGINT during memory-pressure ends at once, hog and all ----
bi-chaos -s memory-pressure --intensity low --duration 60s >"$TMP/mem" 2>"$TMP/mem.err" &
pid=$!
wait_until 300 hog_runs
exit_ok $? "memory-pressure: bi-hog runs in the app's container"
t0=$(ms)
kill -INT $pid
wait $pid
st=$?
took=$(($(ms) - t0))
[ $st -eq 130 ] && [ $took -lt 2000 ]
exit_ok $? "SIGINT: bi-chaos returns within 2 s ($took ms, exit $st)"
hog_runs
exit_ok $((! $?)) "the hog is no longer running"
hog_file
exit_ok $((! $?)) "and /tmp/bi-hog is gone"
is "$(field mem '.status + ": " + .reason')" "skipped: interrupted" "the record says it was interrupted"

# kill -9: what was left (the hog, its file) is in the journal; --rollback ends it.
bi-chaos -s memory-pressure --intensity low --duration 60s >/dev/null 2>&1 &
pid=$!
wait_until 300 hog_runs
kill -9 $pid
wait $pid 2>/dev/null
hog_runs && hog_file
exit_ok $? "after kill -9, the hog and its file are left behind"
grep '"action":"hog"' .blissful-infra/chaos.journal | jq -s -e --arg c "$app" \
	'length > 0 and (last | (.container | startswith($c)) and .path == "/tmp/bi-hog")' >/dev/null
exit_ok $? "and the journal says where"
bi-chaos --rollback >"$TMP/rb" 2>"$TMP/rb.err"
is "$?:$(field rb .status)" 0:passed "--rollback"
hog_runs || hog_file
exit_ok $((! $?)) "the hog and /tmp/bi-hog are gone"

# ---- D: one run per project at a time ----
bi-chaos -s dependency-down --duration 6s >"$TMP/first" 2>"$TMP/first.err" &
pid=$!
wait_until 300 redis_down
bi-chaos -s pod-kill --duration 2s >"$TMP/second" 2>"$TMP/second.err"
st=$?
is "$st:$(wc -c <"$TMP/second")" "2:0" "a second run while one is under way is refused: exit 2, no record"
grep -q 'another bi-chaos run' "$TMP/second.err"
exit_ok $? "with a clear message: $(head -1 "$TMP/second.err" | cut -c1-90)"
redis_down
exit_ok $? "and it left the first run's stopped Redis alone"
wait $pid
is "$(field first '.status + " " + (.during.not_ready > 0 | tostring) + " " + (.recovery_ms > 0 | tostring)')" \
	"passed true true" "the first run measured its own fault to the end" || sed 's/^/# /' "$TMP/first" "$TMP/first.err"

# ---- E: a target that does not exist: the dry run says what the real run does ----
bi-chaos --dry-run -s dependency-down --target nope >"$TMP/dry" 2>/dev/null
bi-chaos -s dependency-down --target nope >"$TMP/real" 2>/dev/null
is "$(field dry '.status + ": " + .reason')" "$(field real '.status + ": " + .reason')" \
	"dependency-down on a missing target: the dry run and the real one agree ($(field real .status))"
bi-chaos --dry-run -s pod-kill --service nope >"$TMP/dry" 2>/dev/null
bi-chaos -s pod-kill --service nope >"$TMP/real" 2>/dev/null
is "$(field dry '.status + ": " + .reason')" "$(field real '.status + ": " + .reason')" \
	"pod-kill on a missing service: the dry run and the real one agree ($(field real .status))"
sed 's/^/# /' "$TMP/err" | tail -5
