#!/bin/sh
# blissful-infra analyze and suggest, on a project made by create and on
# records saved from a real incident (no Docker needed): the report, the
# incidents kept, the learning loop, a deep dive, and the suggestions.
. "$(dirname "$0")/../lib.sh"
plan 20
cd "$TMP" || exit 1
blissful-infra create rca-demo --template c-service --database redis --port 18080 >/dev/null 2>&1
cd rca-demo || exit 1
export BI_DB=$TMP/kb.db
case=$ROOT/tests/incidents/oom-leak/records.jsonl

blissful-infra analyze --help | head -n 1 | grep -q '^usage: blissful-infra analyze'
exit_ok $? "analyze --help"
blissful-infra analyze --file "$case" >"$TMP/out" 2>&1
is $? 1 "problems found: exit 1"
grep -q '^Finding: Out of memory in app' "$TMP/out"
exit_ok $? "the report names the finding"
grep -q '  ✓ Application logs (111)' "$TMP/out"
exit_ok $? "... the sources it correlated"
grep -q '^  timeline:' "$TMP/out" && grep -q '^  root_cause ' "$TMP/out" && grep -q '^  suggested fixes:' "$TMP/out"
exit_ok $? "... a timeline, the root cause and the fixes"
id=$(bi-kb list --pattern out-of-memory | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ]
exit_ok $? "the finding is kept as an incident ($id)"

# The learning loop: resolve it, and the next analysis shows the fix.
bi-kb resolve "$id" --outcome resolved --fix "Free the per-request buffer" >/dev/null
blissful-infra analyze --file "$case" >"$TMP/out" 2>&1
grep -q 'Free the per-request buffer — success rate 90% (1 outcome recorded)' "$TMP/out"
exit_ok $? "the next analysis shows the fix with the success rate its outcome gave"
grep -A1 '^  similar incidents:' "$TMP/out" | grep -q "fix \"Free the per-request buffer\": resolved"
exit_ok $? "... and the incident it worked for"
is "$(bi-kb list --pattern out-of-memory | wc -l | tr -d ' ')" 1 "the same occurrence is not a new incident"

blissful-infra analyze --incident "$id" >"$TMP/out" 2>&1
grep -q "^$id .* resolved .*Free the per-request buffer" "$TMP/out" && grep -q '^Finding: ' "$TMP/out"
exit_ok $? "--incident: the incident and its finding"
blissful-infra analyze --incident inc-nothing >/dev/null 2>&1
is $? 2 "--incident of no incident: exit 2"

echo '{"kind":"log","ts":"2026-11-24T01:00:00.000Z","level":"info","msg":"all good"}' >"$TMP/fine.jsonl"
out=$(blissful-infra analyze --file "$TMP/fine.jsonl" 2>&1); st=$?
is "$st:$(printf '%s\n' "$out" | tail -n 1)" "0:No problems found in 1 records." "nothing wrong: exit 0, and says so"

# Suggestions: gaps against good practice, and what the knowledge base knows.
blissful-infra suggest >"$TMP/out" 2>&1
is $? 0 "suggest: exit 0"
grep -q '^  medium  *Set a memory limit on redis  ' "$TMP/out"
exit_ok $? "a gap: redis has no memory limit"
grep -q '^  low  *Out of memory: Free the per-request buffer  ' "$TMP/out"
exit_ok $? "a pattern seen before, with the fix that worked"
grep -q '^  low  *Run the chaos scenario pod-kill  ' "$TMP/out"
exit_ok $? "a scenario of blissful-infra.yaml never run"
blissful-infra suggest --json | jq -e -s 'length > 0 and all(.kind == "suggestion" and (.priority | test("^(high|medium|low)$")))' >/dev/null
exit_ok $? "--json: suggestion records, each with a priority"

# The saved chaos results: what failed needs the defence the advice table
# names, the same entry bi-score's gap names; what passed needs nothing.
mkdir -p .blissful-infra/chaos
printf '%s\n' '{"kind":"chaos","ts":"2026-11-24T01:00:00.000Z","scenario":"dependency-down","status":"failed","reason":"app exited"}' \
	'{"kind":"chaos","ts":"2026-11-24T01:01:00.000Z","scenario":"pod-kill","status":"passed","recovery_ms":1200}' \
	>.blissful-infra/chaos/run1.jsonl
blissful-infra suggest --json >"$TMP/sug"
is "$(jq -r 'select(.source == "chaos" and .scenario == "dependency-down") | [.priority, .title, .advice] | join(" / ")' "$TMP/sug")" \
	"high / Isolate the service from its dependencies / dependency-down" "a failed scenario: its advice, high"
is "$(bi-score --no-save .blissful-infra/chaos/run1.jsonl | jq -r '.gaps[] | select(.scenario == "dependency-down") | .advice')" \
	dependency-down "... the entry bi-score's gap names"
is "$(jq -r 'select(.scenario == "pod-kill") | .title' "$TMP/sug")" "" "a scenario that passed: nothing to do"
