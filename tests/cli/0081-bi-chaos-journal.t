#!/bin/sh
# bi-chaos without Docker: a dry run plans every scenario and touches nothing,
# not even what an earlier run left in the journal; --rollback then puts that
# back (a helper process it started, still running, is stopped; one that is
# not its own is left alone); a scenario that does not exist is refused
# before anything is touched.
. "$(dirname "$0")/../lib.sh"
plan 8
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
ok $? "each with the steps it would take"
kill -0 $helper 2>/dev/null
ok $? "the dry run left the earlier run's helper running"
cmp -s .blissful-infra/chaos.journal "$TMP/journal.before"
ok $? "and the journal as it was"

bi-chaos -s pod-kill -s nope >"$TMP/out" 2>"$TMP/err"
is "$?:$(head -n 1 "$TMP/err"):$(wc -c <"$TMP/out")" "2:bi-chaos: unknown scenario: nope:0" \
	"an unknown scenario: exit 2 before anything runs"

bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.status + " " + (.undone | length | tostring)' "$TMP/out")" "0:passed 2" \
	"--rollback: both entries undone"
i=0; while kill -0 $helper 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 $helper 2>/dev/null
ok $? "the helper it started is stopped"
kill -0 $$ 2>/dev/null
ok $? "the pid it no longer owns is left alone"
