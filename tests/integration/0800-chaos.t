#!/bin/sh
# bi-chaos on a real c-service + Redis project: each scenario measured, the
# graceful and the fragile build told apart, the latency injected in the app's
# calls to Redis seen in p95, an OOM kill reported; another project's
# containers never touched; SIGINT and kill -9 leave nothing broken once
# rolled back. (0802 checks what the experiments load and reach, the hog, the
# lock and the dry run.)
. "$(dirname "$0")/../lib.sh"
need_docker
plan 19
"$ROOT/scripts/images.sh" debian redis busybox >/dev/null || { exit_ok 1 "base images"; exit 1; }
name=bi-chaos-$$
port=$(free_port)
cd "$TMP" || exit 1
export BI_DB=$TMP/bi.db
export TMPDIR=$TMP	# what a kill -9 leaves (the load's output) goes with the test
at_exit "cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest >/dev/null 2>&1"
blissful-infra create "$name" --database redis --port "$port" >/dev/null && cd "$name" && blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "a c-service project with Redis is up" || { sed 's/^/# /' "$TMP/up"; exit 1; }

# A bystander: same service names, another compose project.
for s in app redis; do
	id=$(docker run -d --label org.blissful-infra.test=chaos --label "com.docker.compose.project=$name-bystander" \
		--label "com.docker.compose.service=$s" bi-busybox sleep 600)
	at_exit "docker rm -f $id >/dev/null 2>&1"
	echo "$id $(docker inspect -f '{{.State.StartedAt}}' "$id")" >>"$TMP/bystanders"
done
field() { jq -r "$2" "$TMP/$1"; }

bi-chaos -s pod-kill --duration 3s >"$TMP/pod" 2>"$TMP/err"
is "$(field pod .status)" passed "pod-kill passes: the restart policy brings the app back"
rec=$(field pod .recovery_ms)
awk -v r="$rec" 'BEGIN { exit !(r > 0 && r < 60000) }'
exit_ok $? "with a measured recovery time ($rec ms)"

bi-chaos -s network-latency --duration 5s --intensity medium >"$TMP/lat" 2>>"$TMP/err"
added=$(field lat .added_p95_ms)
is "$(field lat .status)" passed "network-latency passes"
awk -v a="$added" 'BEGIN { exit !(a >= 240 && a <= 360) }'
exit_ok $? "p95 rose by the injected 300 ms, within 20% ($added ms)"
is "$(field lat '.method + " " + (.injected.proxies | join(","))')" "chaos-proxy redis" \
	"added by the project's chaos-proxy, in front of Redis"

bi-chaos -s dependency-down --duration 4s >"$TMP/dep" 2>>"$TMP/err"
is "$(field dep .status)" passed "dependency-down passes for the build that degrades gracefully"
is "$(field dep '.during.live_failures'):$(field dep '.during.not_ready > 0')" "0:true" \
	"liveness stayed up while readiness said not ready"
# The fragile build: it exits when Redis is lost.
curl -s -X POST -d '{"dep_fatal":true}' "http://127.0.0.1:$port/admin/faults" >/dev/null
bi-chaos -s dependency-down --duration 4s >"$TMP/dep2" 2>>"$TMP/err"
is "$(field dep2 .status)" failed "and fails for the build that crashes without Redis"
field dep2 .reason | grep -qE 'the app died|liveness failed'
exit_ok $? "saying why: $(field dep2 .reason | cut -c1-80)"
bi-wait --project "$name" --timeout 60s >/dev/null

bi-chaos -s memory-pressure --duration 4s --intensity high >"$TMP/mem" 2>>"$TMP/err"
oom=$(field mem .during.oom_kills)
[ "${oom:-0}" -ge 1 ]
exit_ok $? "memory-pressure produces an OOM kill, reported ($oom)"

# SIGINT before the fault, while the steady state is measured: the record
# still prints, and says why the experiment did not run.
bi-chaos -s network-latency --duration 30s >"$TMP/early" 2>"$TMP/early.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
st=$?
[ $st -eq 130 ] && [ "$(jq -r '.status + ": " + .reason' "$TMP/early")" = "skipped: interrupted" ]
exit_ok $? "SIGINT during the steady-state probe: exit 130 ($st), a skipped record" ||
	sed 's/^/# /' "$TMP/early" "$TMP/early.err"

# SIGINT in the middle: nothing stays broken. (The journal keeps the
# earlier runs' entries: wait for one more toxic than it held.)
ntoxics() { grep -c '"action":"toxic"' .blissful-infra/chaos.journal 2>/dev/null; }
toxics_on() { curl -s -m 2 "$1/proxies/redis/toxics" | jq length; }
had=$(ntoxics)
bi-chaos -s network-latency --duration 30s >/dev/null 2>&1 &
pid=$!
i=0; until [ "$(ntoxics)" -gt "${had:-0}" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.1; done
api=$(grep '"action":"toxic"' .blissful-infra/chaos.journal | tail -1 | jq -r .api)
i=0; until [ "$(toxics_on "$api")" = 1 ]; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
kill -INT $pid
wait $pid
st=$?
left=$(toxics_on "$api")
[ $st -eq 130 ] && [ "$left" = 0 ]
exit_ok $? "SIGINT during network-latency: exit 130 ($st), its toxic gone from chaos-proxy ($left left)"
bi-chaos -s dependency-down --duration 30s >/dev/null 2>&1 &
pid=$!
redis=$(docker ps -aq --filter "label=com.docker.compose.project=$name" --filter label=com.docker.compose.service=redis)
i=0; until [ "$(docker inspect -f '{{.State.Running}}' "$redis")" = false ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1; done
kill -INT $pid
wait $pid
is "$(docker inspect -f '{{.State.Running}}' "$redis")" true "SIGINT during dependency-down: Redis is running again"

# kill -9: the journal remembers; --rollback puts things back.
had=$(ntoxics)
bi-chaos -s network-latency --duration 30s >/dev/null 2>&1 &
pid=$!
i=0; until [ "$(ntoxics)" -gt "${had:-0}" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.1; done
api=$(grep '"action":"toxic"' .blissful-infra/chaos.journal | tail -1 | jq -r .api)
i=0; until [ "$(toxics_on "$api")" = 1 ]; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null
toxics=$(toxics_on "$api")
bi-chaos -s dependency-down --duration 30s >/dev/null 2>&1 &
pid=$!
sleep 0.5
i=0; until [ "$(docker inspect -f '{{.State.Running}}' "$redis")" = false ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null
[ "$toxics" = 1 ] && [ "$(docker inspect -f '{{.State.Running}}' "$redis")" = false ]
exit_ok $? "after kill -9, a toxic and a stopped Redis were left behind"
bi-chaos --rollback >"$TMP/rb"
is "$(field rb .status)" passed "--rollback"
is "$(toxics_on "$api")" 0 "the toxic is gone from chaos-proxy"
is "$(docker inspect -f '{{.State.Running}}' "$redis")" true "Redis is running again"

bad=0
while read -r id started; do
	[ "$(docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' "$id")" = "true $started" ] || bad=1
done <"$TMP/bystanders"
exit_ok $bad "the other project's app and redis were never touched"
sed 's/^/# /' "$TMP/err" | tail -5
