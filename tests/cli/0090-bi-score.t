#!/bin/sh
# bi-score: the seed's points, gaps and recommendations, history and trend.
. "$(dirname "$0")/../lib.sh"
plan 10
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
ok $? "and a recommendation for it"
{ chaos 1 pod-kill passed 20000; chaos 2 pause passed 40000; } | bi-score >"$TMP/out"
is "$(jq -r .score "$TMP/out")" "$(( (15 + 4 + 15 + 1) * 100 / 50 ))" "recovery bonuses: 15 s or more earns 4, 30 s or more 1"
jq -e '[.gaps[].title] == ["slow recovery"]' "$TMP/out" >/dev/null
ok $? "a recovery over 30 s is a slow-recovery gap"
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
echo '{"kind":"log","msg":"x"}' | bi-score >/dev/null 2>&1
is $? 1 "no chaos record: exit 1"
