#!/bin/sh
# The watcher killed with SIGKILL, three times, while the service logs and
# the metrics are scraped every second: its parts die with it, `status` and
# `doctor` notice, `up` starts it again; then one of its parts killed, which
# it starts again itself; in the end the store holds every line Docker has
# of the service, none twice, and the database is intact.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 18
"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base images"; exit 1; }

name=bi-wk-$$
port=$(free_port)
cd "$TMP" || exit 1
unset BI_DB
at_exit "cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest >/dev/null 2>&1"

blissful-infra create "$name" --template c-service --database none --port "$port" >/dev/null
cd "$name" || exit 1
python3 -c '
import yaml
cfg = yaml.safe_load(open("blissful-infra.yaml"))
cfg.setdefault("metrics", {})["interval"] = "1s"
yaml.safe_dump(cfg, open("blissful-infra.yaml", "w"), sort_keys=False)'
blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "up, with a watcher"
# Alive: a process that is not a zombie (init reaps those in its own time).
alive() { s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

# Requests to paths of their own, so that every log line is one of a kind.
touch "$TMP/go"
( i=0; while [ -f "$TMP/go" ]; do
	curl -s "http://127.0.0.1:$port/hello/k$i" >/dev/null; i=$((i + 1)); sleep 0.02
done ) &
traffic=$!
at_exit "rm -f '$TMP/go'"

for round in 1 2 3; do
	sleep "1.$((round * 3))"
	pid=$(jq -r '.pid' .blissful-infra/watch.json)
	kids=$(jq -r '[.parts[].pid] | map(select(. != null)) | .[]' .blissful-infra/watch.json)
	kill -9 "$pid"
	sleep 1
	left=
	for p in $kids; do alive "$p" && left="$left $p"; done
	is "$left" "" "round $round: the watcher killed with SIGKILL, its parts ($(echo $kids)) died with it"
	bi-watch --status >/dev/null
	is "$?" 1 "round $round: bi-watch --status sees no watcher"
	blissful-infra status >/dev/null 2>"$TMP/err"
	grep -q "is up but not watched" "$TMP/err"
	exit_ok $? "round $round: blissful-infra status says the project is not watched"
	[ $round -eq 1 ] && { blissful-infra doctor | grep -q "✗ watcher of $name"; exit_ok $? "and doctor says so"; }
	blissful-infra up >/dev/null 2>&1 && bi-watch --status >/dev/null
	exit_ok $? "round $round: up starts it again"
done
# A part killed: the watcher starts it again, says so, and logs resume
# from what the store committed.
sleep 2
spid=$(jq -r '.parts.store.pid' .blissful-infra/watch.json)
kill -9 "$spid"
i=0
until grep -q 'store was killed by signal 9; starting it again' .blissful-infra/watch.log || [ $i -ge 40 ]; do
	sleep 0.25; i=$((i + 1))
done
grep -q 'store was killed by signal 9; starting it again in 1s' .blissful-infra/watch.log
exit_ok $? "the store killed: the watcher says so and starts it again"
sleep 3
is "$(bi-watch --status | jq -r '"\(.parts.store.running) \(.parts.store.restarts)"')" "true 1" \
	"and runs it again, one restart counted"
rm -f "$TMP/go"
wait $traffic

# Let it catch up: the store holds what Docker holds, once. Docker's
# health check and the watcher's probes log /health every few seconds, so
# the app is stopped first: then Docker's lines are a fixed set.
app=$(docker ps -q --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=app")
docker stop -t 5 "$app" >/dev/null
docker_n=$(docker logs "$app" 2>&1 | grep -c .)
i=0
while :; do
	stored=$(bi-store get --kind log --service app | grep -c .)
	[ "$stored" -ge "$docker_n" ] || [ $i -ge 60 ] || { sleep 0.5; i=$((i + 1)); continue; }
	break
done
is "$stored" "$docker_n" "every line Docker has of the app is stored, none twice ($docker_n)"
bi-watch --stop >/dev/null
is "$(python3 -c 'import sqlite3; print(sqlite3.connect(".blissful-infra/bi.db").execute("PRAGMA integrity_check").fetchone()[0])')" \
	ok "PRAGMA integrity_check: ok"
