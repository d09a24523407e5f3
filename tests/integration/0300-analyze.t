#!/bin/sh
# blissful-infra analyze on a real incident: a c-service project with Redis,
# its memory leak knob turned until the kernel kills it; analyze names the
# out-of-memory pattern; the incident is resolved; the next leak is matched to
# it, with its fix and the success rate the outcome gave.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 8
"$ROOT/scripts/images.sh" debian >/dev/null 2>&1 || { exit_ok 1 "base image"; exit 1; }
"$ROOT/scripts/images.sh" redis >/dev/null 2>&1 || { exit_ok 1 "redis image"; exit 1; }

name=rca-it-$$
port=$(free_port)
cd "$TMP" || exit 1
blissful-infra create "$name" --template c-service --database redis --port "$port" >/dev/null 2>&1
cd "$name" || exit 1
export BI_DB=$TMP/kb.db
at_exit "cd '$TMP/$name' && blissful-infra down --volumes >/dev/null 2>&1; docker rmi -f '$name:latest' >/dev/null 2>&1"
blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "the project is up"

url=http://127.0.0.1:$port
leak() {	# until the kernel kills it, and it is back
	curl -s -m 5 -X POST -d '{"leak_kb":20480}' "$url/admin/faults" >/dev/null
	for i in $(seq 1 40); do curl -s -m 5 "$url/hello/leak" >/dev/null 2>&1; done
	i=0
	until curl -fs -m 1 "$url/health" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 120 ] || break; sleep 0.5
	done
	sleep 2
}
leak
blissful-infra analyze --since 5m >"$TMP/out" 2>&1
is $? 1 "analyze finds a problem: exit 1"
grep -q '^Finding: Out of memory in app' "$TMP/out"
exit_ok $? "the top finding is out of memory"
sed 's/^/# /' "$TMP/out" | head -30
id=$(bi-kb list --pattern out-of-memory | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -n "$id" ]
exit_ok $? "kept as an incident ($id)"
bi-kb resolve "$id" --outcome resolved --fix "Stop leaking the request buffer" >/dev/null
exit_ok $? "resolved with a fix"

# The same leak again: matched to the resolved incident, with its fix.
leak
blissful-infra analyze --since 1m >"$TMP/out" 2>&1
grep -A1 '^  similar incidents:' "$TMP/out" | grep -q 'fix "Stop leaking the request buffer": resolved (success rate 90%)'
exit_ok $? "seen again: the earlier incident, its fix and its success rate"
grep -q 'Stop leaking the request buffer — success rate 90% (1 outcome recorded)' "$TMP/out"
exit_ok $? "the fix is suggested first among the fixes"
grep -q 'similarity 20' "$TMP/out"
exit_ok $? "similarity adds to the confidence"
sed 's/^/# /' "$TMP/out" | head -40
