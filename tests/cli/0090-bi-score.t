#!/bin/sh
# bi-score: the seed's points, gaps and recommendations, history and trend.
. "$(dirname "$0")/../lib.sh"
plan 17
export BI_DB=$TMP/score.db
chaos() {	# MINUTE SCENARIO STATUS RECOVERY_MS [REASON]
	printf '{"kind":"chaos","ts":"2026-11-24T01:%02d:00.000Z","scenario":"%s","status":"%s","recovery_ms":%s%s}\n' \
		"$1" "$2" "$3" "$4" "${5:+,\"reason\":\"$5\"}"
}
all_fast() {
	chaos 1 pod-kill passed 1900
	chaos 2 network-latency passed 150
	chaos 3 dependency-down passed 1200
	chaos 4 memory-pressure passed 30
}
is "$(all_fast | bi-score | jq -r .score)" 100 "all four passing with fast recovery: 100"
{ chaos 1 pod-kill passed 1900; chaos 2 network-latency passed 150; chaos 3 dependency-down failed 1200 "liveness failed"
  chaos 4 memory-pressure passed 30; } | bi-score >"$TMP/out"
is "$(jq -r .score "$TMP/out")" 75 "three of four: the seed's 75"
is "$(jq -c '[.gaps[] | {severity, title}]' "$TMP/out")" '[{"severity":"high","title":"dependency isolation"}]' \
	"a failed dependency-down: a high dependency-isolation gap"
jq -e '.recommendations | length == 1' "$TMP/out" >/dev/null
exit_ok $? "and a recommendation for it"
{ chaos 1 pod-kill passed 20000; chaos 2 pause passed 40000; } | bi-score >"$TMP/out"
is "$(jq -r .score "$TMP/out")" "$(( (15 + 4 + 15 + 1) * 100 / 50 ))" "recovery bonuses: 15 s or more earns 4, 30 s or more 1"
jq -e '[.gaps[].title] == ["slow recovery"]' "$TMP/out" >/dev/null
exit_ok $? "a recovery over 30 s is a slow-recovery gap"
chaos 1 db-latency skipped null "no chaos-proxy" | bi-score >"$TMP/out"
is "$(jq -r '.score, .gaps[0].title' "$TMP/out" | tr '\n' ' ')" "0 coverage gap " "skipped earns nothing and is a coverage gap"
# History: the trend compares the first and last of the latest five.
export BI_DB=$TMP/trend.db
for s in 1 2; do all_fast | bi-score >/dev/null; done
is "$(all_fast | bi-score | jq -r .trend)" steady "the same score again: steady"
three=$({ chaos 1 pod-kill passed 1900; chaos 2 network-latency passed 150; chaos 3 dependency-down failed 1 x
	chaos 4 memory-pressure passed 30; })
is "$(printf '%s\n' "$three" | bi-score | jq -r '.trend, (.history | length)' | tr '\n' ' ')" "declining 4 " \
	"a drop of 25 points: declining; every score kept"
# What a failure says is missing comes from the advice table, matched by
# the longest term the scenario's name holds; a user's entry replaces one.
{ chaos 1 redis-down failed 800; chaos 2 db-latency failed 900; } | bi-score --no-save >"$TMP/out"
is "$(jq -c '[.gaps[] | [.scenario, .title, .advice]]' "$TMP/out")" \
	'[["redis-down","dependency isolation","dependency-down"],["db-latency","timeouts / circuit breaker","db-latency"]]' \
	"a scenario is matched to its advice by the longest term its name holds"
mkdir -p "$TMP/proj" && cat >"$TMP/proj/blissful-infra.yaml" <<'YAML'
name: proj
kb:
  advice:
    - id: pod-kill
      on: failed
      scenarios: [pod-kill]
      severity: low
      gap: "restarts of {scenario}"
      title: Restart it
      advice: "Our runbook: page the on-call about {scenario}."
YAML
chaos 1 pod-kill failed 800 | BI_PROJECT_DIR=$TMP/proj bi-score --no-save >"$TMP/out"
is "$(jq -r '.gaps[0] | [.severity, .title] | join(" / ")' "$TMP/out"):$(jq -r '.recommendations[0].title' "$TMP/out")" \
	"low / restarts of pod-kill:Our runbook: page the on-call about pod-kill." \
	"blissful-infra.yaml's kb.advice replaces a built-in entry"
printf 'kb:\n  advice:\n    - id: x\n      on: crashed\n      title: t\n' >"$TMP/proj/blissful-infra.yaml"
chaos 1 pod-kill failed 800 | BI_PROJECT_DIR=$TMP/proj bi-score --no-save >/dev/null 2>"$TMP/err"
is "$?:$(grep -c 'on must be failed' "$TMP/err")" "2:1" "a malformed advice entry: exit 2, said why"

# Exit codes: nothing to score, malformed lines, files that cannot be read.
echo '{"kind":"log","msg":"x"}' | bi-score >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-score: no chaos records to score (bi-chaos writes them)" \
	"no chaos record: an input error, exit 2"
{ echo '{"kind":"chaos",'; chaos 1 pod-kill passed 100; } | bi-score --no-save >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .score "$TMP/out"):$(grep -c 'stdin:1' "$TMP/err")" "0:100:1" \
	"a malformed line is reported and skipped"
{ echo '{"kind":"chaos",'; chaos 1 pod-kill passed 100; } | bi-score --no-save --strict >"$TMP/out" 2>/dev/null
is "$?:$(wc -c <"$TMP/out" | tr -d ' ')" "2:0" "--strict: a malformed line is fatal, exit 2, no score"
chaos 1 pod-kill passed 100 >"$TMP/one.jsonl"
bi-score --no-save "$TMP/one.jsonl" "$TMP/none.jsonl" >"$TMP/out" 2>/dev/null
is "$?:$(wc -c <"$TMP/out" | tr -d ' ')" "2:0" "a file that cannot be read: exit 2, no score from the others"
chaos 1 pod-kill passed 100 | BI_DB=/proc/nope/x.db bi-score >/dev/null 2>&1
is $? 4 "a database that cannot be opened: exit 4"
