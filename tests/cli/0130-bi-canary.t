#!/bin/sh
# bi-canary without Docker: usage and exit codes, settings refused before
# anything runs, status of no canary and of one whose runner is gone, the
# control file a command leaves for the runner (and waits until it is
# taken), watch over a finished run's journal, Docker unreachable.
. "$(dirname "$0")/../lib.sh"
plan 16
p=$TMP/proj
mkdir -p "$p/.blissful-infra"
printf 'name: proj\nservices:\n  app:\n    port: 8080\n' >"$p/blissful-infra.yaml"
cd "$p" || exit 1
export DOCKER_HOST=unix://$TMP/no-docker.sock

bi-canary --help | grep -q '^usage: bi-canary --docker start'
exit_ok $? "--help prints the usage, exit 0"
is "$(bi-canary --version)" "bi-canary 0.1.0" "--version"
bi-canary 2>/dev/null
is $? 2 "no command: exit 2"
bi-canary launch 2>"$TMP/err"
is "$?:$(head -1 "$TMP/err")" "2:bi-canary: no command launch" "an unknown command: exit 2"
bi-canary start 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-canary: start: give --docker (the only engine that starts a canary)" "start needs --docker"
bi-canary --docker start 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-canary: start: --image is required" "and an image"
bi-canary --docker -i x --failure-limit -1 start 2>/dev/null
is $? 2 "a negative failure limit: exit 2"
cp blissful-infra.yaml good.yaml
printf 'canary:\n  steps: [50, 20]\n' >>blissful-infra.yaml
bi-canary --docker -i x start 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-canary: blissful-infra.yaml: canary.steps.1: a weight from 1 to 100, above the step before" \
	"falling steps refused before anything runs"
cp good.yaml blissful-infra.yaml
bi-canary --docker -i x start 2>"$TMP/err"
is "$?" 3 "Docker unreachable: exit 3 ($(cat "$TMP/err"))"

bi-canary status >"$TMP/out"
is "$?:$(jq -r '.kind + " " + .event + " " + .status' "$TMP/out")" "1:canary status none" "status with no canary: exit 1"
bi-canary pause 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:bi-canary: no canary is running" "pause with no canary: exit 1"

# A runner that is gone: its process does not exist.
sh -c 'exit 0' & dead=$!
wait $dead
printf '{"pid":%d,"project":"proj","service":"app","status":"running","step":2,"weight":25,"api":1,"upstream_port":8080}\n' \
	$dead >.blissful-infra/canary.state
bi-canary status >"$TMP/out"
is "$?:$(jq -r '.status + " " + (.weight | tostring)' "$TMP/out")" "1:gone 25" "status of a run that is gone: exit 1"
bi-canary abort 2>"$TMP/err"
is "$?" 3 "abort of a run that is gone needs Docker to clean up: exit 3 here"

# A runner that lives (a stand-in): the command is left in canary.ctl, and
# taken when the runner removes it.
sleep 30 & live=$!
at_exit "kill $live 2>/dev/null"
printf '{"pid":%d,"project":"proj","service":"app","status":"running"}\n' $live >.blissful-infra/canary.state
( i=0; until [ -f .blissful-infra/canary.ctl ]; do i=$((i + 1)); [ $i -lt 100 ] || exit; sleep 0.05; done
  cp .blissful-infra/canary.ctl "$TMP/ctl"; rm .blissful-infra/canary.ctl ) &
bi-canary promote --full
is "$?:$(cat "$TMP/ctl")" "0:promote-full" "promote --full leaves promote-full for the runner, exit 0 once taken"
kill $live

rm .blissful-infra/canary.state
printf '%s\n' '{"kind":"canary","ts":"2026-12-05T07:00:00.000Z","event":"start"}' \
	'{"kind":"canary","ts":"2026-12-05T07:00:09.000Z","event":"aborted"}' >.blissful-infra/canary.jsonl
is "$(bi-canary watch | jq -r .event | tr '\n' ' ')" "start aborted " "watch of a finished run: its records, then the end"
rm .blissful-infra/canary.jsonl
bi-canary watch 2>/dev/null
is $? 1 "watch with no run: exit 1"
