#!/bin/sh
# The steel thread on a real Docker daemon: create -> up -> curl; logs by
# service and level, and from the store after the container is recreated;
# kill and OOM seen as container records; a taken port refused with nothing
# left behind; bi-collect on git, on a closed pipe and without Docker; down
# removing the project and nothing else.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 28
"$ROOT/scripts/images.sh" debian redis postgres >/dev/null || { exit_ok 1 "base images"; exit 1; }

name=bi-st-$$
port=$(free_port)
cd "$TMP" || exit 1
export BI_DB=$TMP/store.db
at_exit "cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest >/dev/null 2>&1"

blissful-infra create "$name" --database both --port "$port" >/dev/null
exit_ok $? "create a c-service project with Postgres and Redis"
cd "$name" || exit 1
blissful-infra up >"$TMP/up" 2>&1
st=$?
sed 's/^/# /' "$TMP/up"
exit_ok $st "up"
grep -q '^✓ Postgres ready' "$TMP/up" && grep -q '^✓ Redis ready' "$TMP/up" && grep -q '^✓ Application ready' "$TMP/up"
exit_ok $? "up prints the seed's ready lines"
is "$(curl -s "http://127.0.0.1:$port/hello/world")" '{"message":"Hello, world!"}' "curl /hello/world"
is "$(curl -s "http://127.0.0.1:$port/ready")" '{"status":"ready","checks":{"postgres":"up","redis":"up"}}' \
	"/ready sees both dependencies up"

# Errors from the app only: the error knob at 100% for a few requests.
curl -s -X POST -d '{"error_rate":1}' "http://127.0.0.1:$port/admin/faults" >/dev/null
for i in 1 2 3; do curl -s "http://127.0.0.1:$port/hello/x$i" >/dev/null; done
curl -s -X POST -d '{"error_rate":0}' "http://127.0.0.1:$port/admin/faults" >/dev/null
blissful-infra logs --level error --service app --json >"$TMP/errs"
n=$(grep -c . "$TMP/errs")
other=$(grep -v '"level":"error"' "$TMP/errs" | grep -c . ; grep -v '"service":"app"' "$TMP/errs" | grep -c .)
[ "$n" -ge 3 ] && [ "$other" = "0
0" ]
exit_ok $? "logs --level error --service app: $n lines, all errors of app"
blissful-infra logs --level error --service app | grep -q 'ERROR  app  GET /hello/x1 500'
exit_ok $? "rendered for people"

# A keyword, then the container recreated: the store still has it.
curl -s "http://127.0.0.1:$port/hello/needle$$" >/dev/null
blissful-infra logs --grep "needle$$" --json | grep -q "needle$$"
exit_ok $? "--grep finds a keyword"
docker-compose -p "$name" up -d --force-recreate --no-deps app >/dev/null 2>&1
exit_ok $? "the app container recreated"
new=$(docker ps -q --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=app")
docker logs "$new" 2>&1 | grep -q "needle$$"
exit_ok $((! $?)) "Docker no longer has the line"
blissful-infra logs --grep "needle$$" --json | grep -q "needle$$"
exit_ok $? "--grep still finds it, in stored history"
bi-wait --project "$name" --service app --timeout 60s >/dev/null
exit_ok $? "the new container is healthy"

# Kill: a container record with its exit code.
t0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
docker kill "$new" >/dev/null
sleep 1
bi-collect --docker --events --since "$t0" >"$TMP/ev"
grep '"action":"die"' "$TMP/ev" | grep -q '"exit_code":137'
exit_ok $? "kill: a die record with exit code 137"
grep -q '"action":"kill"' "$TMP/ev" && grep '"action":"kill"' "$TMP/ev" | grep -q '"service":"app"'
exit_ok $? "and a kill record naming the service"

# OOM: the leak knob against the compose memory limit.
docker-compose -p "$name" up -d --no-deps app >/dev/null 2>&1
bi-wait --project "$name" --service app --timeout 60s >/dev/null
t0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
curl -s -X POST -d '{"leak_kb":20480}' "http://127.0.0.1:$port/admin/faults" >/dev/null
i=0
while [ $i -lt 60 ]; do curl -s -m 2 "http://127.0.0.1:$port/hello" >/dev/null; i=$((i + 1)); done
sleep 1
bi-collect --docker --events --since "$t0" >"$TMP/ev"
grep -q '"action":"oom"' "$TMP/ev"
exit_ok $? "an app that runs out of memory yields an oom record"
grep '"action":"die"' "$TMP/ev" | grep -q '"exit_code":137'
exit_ok $? "and its die record"

# git: commits with their files; outside a repository, exit 2.
bi-collect --git --since 1d >"$TMP/git"
grep -q '"kind":"commit"' "$TMP/git" && grep -q '"files":\[.*"docker-compose.yaml"' "$TMP/git"
exit_ok $? "bi-collect --git lists the project's commit with its files"
(cd "$TMP" && bi-collect --git --since 1d >"$TMP/out" 2>"$TMP/err")
st=$?
[ $st -eq 2 ] && grep -q 'not a git repository' "$TMP/err" && [ ! -s "$TMP/out" ]
exit_ok $? "outside a repository: said on stderr, exit 2"

# A closed pipe ends bi-collect at once, without a word; no Docker, exit 3.
start=$(date +%s)
bi-collect --docker --since all 2>"$TMP/err" | head -3 >/dev/null
is "$(cat "$TMP/err")" "" "bi-collect --docker | head -3: no message"
[ $(( $(date +%s) - start )) -lt 30 ]
exit_ok $? "and it ended"
DOCKER_HOST=unix:///nonexistent.sock bi-collect --docker >/dev/null 2>"$TMP/err"
st=$?
[ $st -eq 3 ] && [ "$(grep -c . "$TMP/err")" = 1 ] && grep -q 'cannot reach Docker' "$TMP/err"
exit_ok $? "Docker unreachable: one line, exit 3 ($(cat "$TMP/err"))"

# A port already taken: up refuses, naming it, and starts nothing.
busy=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$busy)); s.listen(); time.sleep(120)" &
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.5
(cd "$TMP" && blissful-infra create "$name-b" --port "$busy" >/dev/null)
(cd "$TMP/$name-b" && blissful-infra up >"$TMP/out" 2>"$TMP/err")
st=$?
[ $st -eq 1 ] && grep -q "port $busy is already in use by python3" "$TMP/err"
exit_ok $? "a bound port: up exits 1 naming the port and its holder"
is "$(docker ps -aq --filter "label=com.docker.compose.project=$name-b" | wc -l | tr -d ' ')" 0 \
	"no container left behind"
kill $holder 2>/dev/null

# down: the project's containers, network and volumes go; a bystander stays.
by=$(docker run -d --label org.blissful-infra.test=steel --label com.docker.compose.project=$name-other \
	--label com.docker.compose.service=app bi-busybox sleep 300 2>/dev/null ||
	{ "$ROOT/scripts/images.sh" busybox >/dev/null; docker run -d --label org.blissful-infra.test=steel \
	--label com.docker.compose.project=$name-other --label com.docker.compose.service=app bi-busybox sleep 300; })
at_exit "docker rm -f $by >/dev/null 2>&1"
by_started=$(docker inspect -f '{{.State.StartedAt}}' "$by")
blissful-infra down --volumes >"$TMP/out" 2>&1
exit_ok $? "down --volumes"
is "$(docker ps -aq --filter "label=com.docker.compose.project=$name" | wc -l | tr -d ' ')" 0 "no container left"
is "$(docker network ls -q --filter "label=com.docker.compose.project=$name" | wc -l | tr -d ' ')" 0 "no network left"
is "$(docker volume ls -q --filter "label=com.docker.compose.project=$name" | wc -l | tr -d ' ')" 0 "no volume left"
[ "$(docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' "$by")" = "true $by_started" ]
exit_ok $? "another project's container is untouched"
