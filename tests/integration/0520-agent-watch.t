#!/bin/sh
# bi-agent watch, the SRE watchdog: a real c-service container killed for
# want of memory (the template's image, leaking 4 MiB a request through its
# FAULT_LEAK_KB knob, in a 32 MiB cgroup) raises an OOM finding within 10 s of
# its death, through bi-collect's events; a silence keeps the next one
# quiet; investigate hands the finding to a bug-fixer (a stand-in model).
. "$(dirname "$0")/../lib.sh"
need_docker
plan 13

"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base image"; exit 1; }
name=biaw$$
export BI_DB=$TMP/bi.db BI_TEMPLATES=$ROOT/templates
unset OLLAMA_HOST BI_PROJECT_DIR
bi-scaffold --template c-service --dir "$TMP/svc" svc >/dev/null
tag=bi-test-agent-watch:$$
docker build -q -t "$tag" --label org.blissful-infra.test=agent-watch "$TMP/svc" >/dev/null 2>&1 ||
	{ exit_ok 1 "the c-service image builds"; exit 1; }
at_exit "docker rmi -f $tag >/dev/null 2>&1"
cd "$TMP" || exit 1
at_exit "docker rm -f \$(docker ps -aq --filter label=com.docker.compose.project=$name) >/dev/null 2>&1"

hog() {	# a c-service of the project that leaks 4 MiB a request within 32 MiB
	_p=$(free_port)
	_c=$(docker run -d --pull never --label org.blissful-infra.test=agent-watch \
		--label com.docker.compose.project=$name --label com.docker.compose.service=c-service \
		--memory 32m --memory-swap 32m -e FAULT_LEAK_KB=4096 -p "127.0.0.1:$_p:8080" "$tag")
	_i=0	# requests until it is killed (30 s at most)
	while [ "$(docker inspect -f '{{.State.Status}}' "$_c")" = running ] && [ $_i -lt 300 ]; do
		curl -s -o /dev/null -m 2 "http://127.0.0.1:$_p/hello" 2>/dev/null || sleep 0.1
		_i=$((_i + 1))
	done
	echo "$_c"
}
wait_for() {	# FILE PATTERN TENTHS: 0 once FILE holds PATTERN
	_i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ $_i -ge "$3" ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}
exited() {	# CID: wait (30 s at most) until the container is no longer running
	_i=0
	while [ "$(docker inspect -f '{{.State.Status}}' "$1")" = running ] && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

mkfifo "$TMP/pipe"
bi-collect -p $name --events --follow --since 1m >"$TMP/pipe" 2>"$TMP/collect.err" &
cpid=$!
bi-agent watch <"$TMP/pipe" >"$TMP/out" 2>"$TMP/err" &
wpid=$!
at_exit "kill $cpid $wpid 2>/dev/null"
wait_for "$TMP/err" "watching with" 100
exit_ok $? "the watchdog starts with the runbooks"

cid=$(hog)
exited "$cid"
is "$(docker inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' "$cid")" "true 137" "the container was OOM-killed"
died=$(date +%s.%N)
wait_for "$TMP/out" '"runbook":"oom"' 100
exit_ok $? "an OOM finding within 10 s of the kill"
diag "the finding came $(awk -v a="$died" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the container was seen dead"
is "$(head -n 1 "$TMP/out" | jq -c '[.kind, .source, .service, .severity, .evidence.container, .actions[0], .id]')" \
	"[\"finding\",\"watchdog\",\"c-service\",\"critical\",\"$(echo "$cid" | cut -c1-12)\",\"raise the memory limit of c-service\",\"1\"]" \
	"the finding: service, severity, the event as evidence, the runbook's actions"
grep -q "FINDING 1 \[critical\] c-service was killed: out of memory" "$TMP/err"
exit_ok $? "told on the terminal, with what to do"

bi-agent silence oom --for 10m >"$TMP/sil"
exit_ok $? "silence oom for 10 minutes"
cid2=$(hog)
exited "$cid2"
wait_for "$TMP/err" "silenced by oom" 150
exit_ok $? "the next OOM is seen, and silenced"
is "$(grep -c '"runbook":"oom"' "$TMP/out")" 1 "no second finding written"

# investigate: the finding goes to a bug-fixer, as its task.
echo '{"tool":"finish","args":{"summary":"the hog asks for more than its limit"}}' >"$TMP/s.jsonl"
/usr/bin/python3 "$ROOT/tests/tools/agent-model.py" --port-file "$TMP/m.port" --script "$TMP/s.jsonl" \
	--log "$TMP/m.log" &
at_exit "kill $! 2>/dev/null"
wait_for "$TMP/m.port" . 100
bi-agent hire bug-fixer --name ada >/dev/null
OLLAMA_HOST=http://127.0.0.1:$(cat "$TMP/m.port") bi-agent investigate 1 >"$TMP/inv" 2>/dev/null
is "$?:$(cat "$TMP/inv")" "0:ada: done (1 steps, 100 tokens): the hog asks for more than its limit" "investigate: the bug-fixer works on it"
jq -r '.messages[1].content' "$TMP/m.log" | grep -q "^Investigate this finding of the watchdog: c-service was killed: out of memory"
exit_ok $? "the task names the finding and carries its record"

# blissful-infra agent watch: the same watchdog over the project's events,
# each finding also sent to the webhook of the project's notifications
# (bi-notify), and what was sent kept in the store. A container of the
# project that exits with code 3 is a crash.
/usr/bin/python3 "$ROOT/tests/tools/receiver.py" --port-file "$TMP/r.port" --log "$TMP/r.log" &
at_exit "kill $! 2>/dev/null"
wait_for "$TMP/r.port" . 100
mkdir "$TMP/proj" && cd "$TMP/proj" || exit 1
printf 'name: %s\nnotifications:\n  group: 0s\n  webhooks:\n    - name: ops\n      url: http://127.0.0.1:%s/hooks/ops\n' \
	"$name" "$(cat "$TMP/r.port")" >blissful-infra.yaml
mkdir .blissful-infra
# In a session of its own, so that all of its pipeline can be stopped.
setsid blissful-infra agent watch >"$TMP/pw.out" 2>"$TMP/pw.err" &
pw=$!
at_exit "kill -TERM -$pw 2>/dev/null"
wait_for "$TMP/pw.err" "watching with" 100
docker run -d --pull never --label org.blissful-infra.test=agent-watch --label com.docker.compose.project=$name \
	--label com.docker.compose.service=crasher --entrypoint sh "$tag" -c 'sleep 1; exit 3' >/dev/null
wait_for "$TMP/r.log" "crasher exited with code 3" 150
is "$(jq -c '.json | [.kind, .name, .service, .severity, .title]' "$TMP/r.log" 2>/dev/null | head -n 1)" \
	'["finding","crash","crasher","high","Watchdog: crasher exited with code 3"]' \
	"agent watch: the crash's finding sent to the project's webhook"
is "$(jq -r 'select(.runbook == "crash") | .title' "$TMP/pw.out")" "crasher exited with code 3" \
	"and written on its standard output"
kill -TERM -$pw
wait $pw 2>/dev/null
is "$(bi-store get --kind notification | jq -r '[.target, .status] | join(" ")')" "webhook:ops sent" \
	"bi-notify's delivery kept in the store"
