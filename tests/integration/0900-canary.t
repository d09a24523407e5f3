#!/bin/sh
# bi-canary on real containers, with a constant-rate load through the canary
# proxy the whole time: a good canary goes through every step, is promoted
# (its image becomes the service's) and serves all traffic; a canary with
# the error knob at 20 % is aborted at its first analysis, the split goes back
# to 100 % stable, and no request fails after the abort; the run's records
# are in the store; status, and a second start while one runs.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 24
"$ROOT/scripts/images.sh" debian bi-proxy >/dev/null || { exit_ok 1 "base images"; exit 1; }
name=bi-canary-$$
port=$(free_port)
entry=$(free_port)
cd "$TMP" || exit 1
export BI_DB=$TMP/bi.db
at_exit "docker ps -aq --filter label=org.blissful-infra.canary=$name/app | xargs -r docker rm -f >/dev/null 2>&1; cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest $name:canary >/dev/null 2>&1"
blissful-infra create "$name" --port "$port" >/dev/null && cd "$name" && blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "a c-service project is up" || { sed 's/^/# /' "$TMP/up"; exit 1; }
# Short steps, so that the test stays short: 3 s each, an analysis every
# 3 s, one failed analysis aborts.
sed -i '/^canary:/,/^$/d' blissful-infra.yaml
cat >>blissful-infra.yaml <<'EOF'

canary:
  steps: [10, 25, 50, 100]
  pause: 3s
  interval: 3s
  failure_limit: 0
  drain: 2s
  analysis:
    min_requests: 10
EOF
docker build -q -t "$name:canary" . >"$TMP/build" 2>&1
exit_ok $? "the canary image builds" || { sed 's/^/# /' "$TMP/build"; exit 1; }

ev() { jq -r "select(.kind == \"canary\") | $2" "$TMP/$1"; }

# The good canary.
timeout -s INT 240 bi-canary --docker start -i "$name:canary" -l "$entry" >"$TMP/good" 2>"$TMP/good.err" &
run=$!
i=0
until curl -fs "http://127.0.0.1:$entry/health" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
bi-perf -R 50 -c 20 -d 300s --no-thresholds -H 'Connection: close' \
	"http://127.0.0.1:$entry/hello" >"$TMP/load" 2>"$TMP/load.err" &
load=$!
at_exit "kill $load 2>/dev/null"
# The entry answers (through stable) before the canary is healthy: the run
# is "starting" until then, which on a busy machine can take seconds.
i=0
until bi-canary status >"$TMP/status" 2>/dev/null && [ "$(jq -r .status "$TMP/status")" != starting ] ||
	[ $i -ge 600 ]; do i=$((i + 1)); sleep 0.1; done
is "$(jq -r '.status + " " + (.entry | tostring)' "$TMP/status")" "running $entry" "status: running, behind the proxy on its port"
bi-canary --docker start -i "$name:canary" >/dev/null 2>"$TMP/second"
is "$?" 2 "a second start while one runs: exit 2"
wait $run
st=$?
is "$st" 0 "the good canary: exit 0"
[ "$st" = 0 ] || sed 's/^/# /' "$TMP/good.err"
is "$(ev good 'select(.event == "step") | .weight' | tr '\n' ' ')" "10 25 50 100 " "through every step"
is "$(ev good 'select(.event == "analysis") | .decision' | sort -u | tr '\n' ' ')" "pass " \
	"every analysis passed ($(ev good 'select(.event == "analysis") | .decision' | wc -l) of them)"
is "$(ev good '.event' | tail -2 | tr '\n' ' ')" "promote promoted " "and it was promoted"
# At 100 %, the canary answered the load and stable only its health checks.
c100=$(ev good 'select(.event == "analysis" and .weight == 100) | .canary.requests' | tail -1)
s100=$(ev good 'select(.event == "analysis" and .weight == 100) | .stable.requests' | tail -1)
awk -v c="${c100:-0}" -v s="${s100:-0}" 'BEGIN { exit !(c >= 10 && s * 4 < c) }'
exit_ok $? "at 100 % the canary served the traffic ($c100 requests; stable $s100, its health checks)"
app=$(docker ps -q --filter "label=com.docker.compose.project=$name" --filter label=com.docker.compose.service=app)
is "$(docker inspect -f '{{.Image}}' "$app")" "$(docker image inspect -f '{{.Id}}' "$name:canary")" \
	"the service's container now runs the canary's image"
is "$(docker ps -aq --filter "label=org.blissful-infra.canary=$name/app" --filter label=org.blissful-infra.role=canary | wc -l)" 0 \
	"and the canary container is gone"
api=$(docker port "$(docker ps -q --filter "label=org.blissful-infra.canary=$name/app" --filter label=org.blissful-infra.role=proxy)" 8474/tcp | head -1)
is "$(curl -s "http://$api/proxies/app" | jq -r '.upstream + " " + (.upstreams | length | tostring)')" "app:$port 0" \
	"the proxy sends everything to the service"

# The bad canary: 20 % of its answers are 500s. Through the wrapper, so
# that the records land in the store.
blissful-infra canary start --image "$name:canary" --env FAULT_ERROR_RATE=0.2 >"$TMP/bad.out" 2>"$TMP/bad.err"
st=$?
is "$st" 1 "the failing canary: exit 1"
[ "$st" = 1 ] || sed 's/^/# /' "$TMP/bad.err"
bad=$(ls -t .blissful-infra/canary-*.jsonl | head -1)
cp "$bad" "$TMP/bad"
is "$(ev bad 'select(.event == "analysis") | .decision + " " + (.step | tostring)' | tr '\n' ' ')" "fail 1 " \
	"aborted at its first analysis: $(ev bad 'select(.event == "analysis") | .reason')"
is "$(ev bad '.event' | tail -2 | tr '\n' ' ')" "abort aborted " "abort, then aborted"
is "$(curl -s "http://$api/proxies/app" | jq -r '.upstream + " " + (.upstreams | length | tostring)')" "app:$port 0" \
	"the split is back to 100 % stable"
# The load goes on for a while after the abort, then stops.
sleep 5
kill -INT $load
wait $load
abort_ts=$(ev bad 'select(.event == "abort") | .ts')
# Seconds of the load that began a whole second after the abort: none failed.
after=$(jq -r --arg t "$abort_ts" 'select(.kind == "perf_point" and .ts > $t) | .errors' "$TMP/load" | sed 1d)
edge=$(jq -r --arg t "$abort_ts" 'select(.kind == "perf_point" and .ts > $t) | .errors' "$TMP/load" | head -1)
before=$(jq -r --arg t "$abort_ts" 'select(.kind == "perf_point" and .ts <= $t) | .errors' "$TMP/load" | awk '{ s += $1 } END { print s + 0 }')
n_after=$(printf '%s\n' "$after" | grep -c .)
failed_after=$(printf '%s\n' "$after" | awk '{ s += $1 } END { print s + 0 }')
[ "$n_after" -ge 3 ] && [ "$failed_after" -eq 0 ]
exit_ok $? "no request failed in the $n_after s after the abort ($failed_after; $before failed before it and ${edge:-0} in the second it happened, in the canary's share)"
good_failed=$(jq -r --arg t "$(ev bad 'select(.event == "start") | .ts')" \
	'select(.kind == "perf_point" and .ts < $t) | .errors' "$TMP/load" | awk '{ s += $1 } END { print s + 0 }')
is "$good_failed" 0 "no request failed through the good canary's steps and promotion"
is "$(bi-store get --kind canary | jq -r 'select(.event == "aborted") | .reason' | tail -1)" \
	"$(ev bad 'select(.event == "aborted") | .reason')" "the run's records are in the store"

# Ctrl-C half-way: the traffic goes back on stable, never stays split.
# (A load again, for the analyses to decide anything.)
bi-perf -R 50 -c 20 -d 120s --no-thresholds -q -H 'Connection: close' \
	"http://127.0.0.1:$entry/hello" >/dev/null 2>&1 &
load2=$!
at_exit "kill $load2 2>/dev/null"
bi-canary --docker start -i "$name:canary" >"$TMP/int" 2>"$TMP/int.err" &
run=$!
# Paused at 10 %, it stays there past its step's time; resumed, it goes on.
i=0
until [ "$(bi-canary status 2>/dev/null | jq -r '.weight')" = 10 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
bi-canary pause
st=$?
sleep 7	# two analyses' and a step's time: a canary not paused would be at 25 %
is "$st:$(bi-canary status | jq -r '(.paused | tostring) + " " + (.weight | tostring)')" "0:true 10" \
	"pause: taken, and the canary holds at 10 % past its step's time"
bi-canary resume
is "$?:$(ev int '.event' | grep -E '^(pause|resume)$' | tr '\n' ' ')" "0:pause resume " "resume: taken; both in the records"
i=0
until [ "$(bi-canary status 2>/dev/null | jq -r '.weight')" = 25 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
w=$(bi-canary status | jq -r .weight)
kill -INT $run
wait $run
is "$?:$w:$(ev int '.event' | tail -1):$(ev int 'select(.event == "aborted") | .reason')" "130:25:aborted:interrupted" \
	"SIGINT at 25 %: exit 130, an aborted record saying why"
is "$(curl -s "http://$api/proxies/app" | jq -r '.upstream + " " + (.upstreams | length | tostring)')" "app:$port 0" \
	"and the split is back to 100 % stable"
is "$(docker ps -aq --filter "label=org.blissful-infra.canary=$name/app" --filter label=org.blissful-infra.role=canary | wc -l):$(ls .blissful-infra/canary.state 2>/dev/null | wc -l)" "0:0" \
	"its canary container and its state file are gone"
diag "good run: $(ev good 'select(.event == "promoted") | "\(.elapsed_ms) ms"'); bad run: $(ev bad 'select(.event == "aborted") | "\(.elapsed_ms) ms, canary \(.canary_requests) requests, \(.canary_errors) failed"')"
