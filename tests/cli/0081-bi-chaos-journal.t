#!/bin/sh
# bi-chaos without Docker: a dry run plans every scenario, with the project's
# load, and touches nothing, not even what an earlier run left in the
# journal; while another run holds the project's lock, a run or a rollback is
# refused (exit 2) and the journal left alone; --rollback then puts that back
# (a helper process it started, still running, is stopped; one that is not
# its own is left alone); a scenario that does not exist, or a load that
# cannot be read, is refused before anything is touched. bi-hog stop ends a
# hog and removes it; a hog whose time is up removes itself.
. "$(dirname "$0")/../lib.sh"
plan 18
export DOCKER_HOST=unix://$TMP/no-docker.sock
mkdir -p "$TMP/p/.blissful-infra" && cd "$TMP/p" || exit 1
printf 'name: demo\nservices:\n  app:\n    port: 1\n' >blissful-infra.yaml

# What a crashed run left: a helper of its own, and a pid it no longer owns.
sleep 300 &
helper=$!
at_exit "kill $helper 2>/dev/null"
printf '{"action":"process","pid":%d,"command":"sleep 300","id":1,"ts":"t"}\n' $helper >.blissful-infra/chaos.journal
printf '{"action":"process","pid":%d,"command":"bi-proxy --api x","id":2,"ts":"t"}\n' $$ >>.blissful-infra/chaos.journal
cp .blissful-infra/chaos.journal "$TMP/journal.before"

bi-chaos --dry-run >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.scenario + "=" + .status' "$TMP/out" | tr '\n' ' ')" \
	"0:pod-kill=planned network-latency=planned dependency-down=planned memory-pressure=planned " \
	"a dry run without Docker: the default scenarios planned, exit 0"
jq -e '.plan | length >= 2' "$TMP/out" >/dev/null
exit_ok $? "each with the steps it would take"
is "$(jq -r .load "$TMP/out" | sort -u)" /health "a project without a load scenario loads its health path"
mkdir perf
printf 'endpoints:\n  - {path: /hello, weight: 3}\n  - {path: /visits}\n' >perf/load.yaml
bi-chaos --dry-run -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .load "$TMP/out")" 0:perf/load.yaml "with perf/load.yaml, its endpoints are the load"
printf 'chaos:\n  load: perf/none.yaml\n' >>blissful-infra.yaml
bi-chaos --dry-run -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "chaos.load naming a missing file: exit 2, nothing planned"
grep -q 'chaos.load: .*perf/none.yaml' "$TMP/err"
exit_ok $? "saying which setting: $(head -1 "$TMP/err" | cut -c1-70)"
printf 'name: demo\nservices:\n  app:\n    port: 1\n' >blissful-infra.yaml
kill -0 $helper 2>/dev/null
exit_ok $? "the dry run left the earlier run's helper running"
cmp -s .blissful-infra/chaos.journal "$TMP/journal.before"
exit_ok $? "and the journal as it was"

bi-chaos -s pod-kill -s nope >"$TMP/out" 2>"$TMP/err"
is "$?:$(head -n 1 "$TMP/err"):$(wc -c <"$TMP/out")" "2:bi-chaos: unknown scenario: nope:0" \
	"an unknown scenario: exit 2 before anything runs"

# Another run holds the lock (here a sleep with flock(1)'s lock, the kind
# bi-chaos takes).
(exec 9>>.blissful-infra/chaos.lock && flock 9 && exec sleep 60) &
holder=$!
at_exit "kill $holder 2>/dev/null"
i=0; until ! flock -n .blissful-infra/chaos.lock true; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "--rollback while another run holds the project: exit 2, nothing done"
grep -q 'another bi-chaos run is under way' "$TMP/err"
exit_ok $? "with a clear message: $(head -1 "$TMP/err" | cut -c1-80)"
bi-chaos -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "and so is a run (before Docker is even asked)"
cmp -s .blissful-infra/chaos.journal "$TMP/journal.before" && kill -0 $helper 2>/dev/null
exit_ok $? "the journal and the earlier run's helper left alone"
kill $holder
wait $holder 2>/dev/null

bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.status + " " + (.undone | length | tostring)' "$TMP/out")" "0:passed 2" \
	"once it is let go, --rollback: both entries undone"
i=0; while kill -0 $helper 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 $helper 2>/dev/null
exit_ok $? "the helper it started is stopped"
kill -0 $$ 2>/dev/null
exit_ok $? "the pid it no longer owns is left alone"

# bi-hog, as the journal's hog entries undo it (in a container, as root).
mkdir "$TMP/h" && cp "$ROOT/bin/bi-hog" "$TMP/h/bi-hog"
"$TMP/h/bi-hog" mem 4 60 >/dev/null &
hog=$!
at_exit "kill -9 $hog 2>/dev/null"
sleep 0.3
"$TMP/h/bi-hog" stop >/dev/null
st=$?
i=0; while kill -0 $hog 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
wait $hog 2>/dev/null
[ $st -eq 0 ] && ! kill -0 $hog 2>/dev/null && [ ! -e "$TMP/h/bi-hog" ]
exit_ok $? "bi-hog stop: the hog killed, its file removed"
cp "$ROOT/bin/bi-hog" "$TMP/h/bi-hog"
"$TMP/h/bi-hog" mem 1 1 >/dev/null
is "$?:$(ls "$TMP/h")" "0:" "a hog whose time is up ends, and removes its file"
