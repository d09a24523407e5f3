# tests/kb-cases.sh: bi-kb's cases, run against the database that the test
# sourcing this names (tests/cli/0301-bi-kb.t on SQLite files,
# 0303-bi-kb-postgres.t on a PostgreSQL server). That test defines:
#   kb_url NAME        the database NAME (a file path, or a URL)
#   kb_exists NAME     whether a knowledge base was made there
#   kb_copy SRC DST    DST as a copy of SRC
#   kb_drop NAME TABLE drop a table of it
# and sets KB_NO_TABLE (the database's message for a missing kb_incidents),
# KB_BAD (a database that cannot be had) with KB_BAD_EXIT (bi-kb's exit
# status for it) and KB_BAD_WHY (what it is). 36 cases.
export BI_DB
BI_DB=$(kb_url kb)

# The same trouble on two days: an OOM kill after a leak in a cache.
day() {	# DATE
	cat <<IN
{"kind":"log","ts":"$1T01:30:01.000Z","service":"app","level":"error","msg":"java.lang.OutOfMemoryError: Java heap space","logger":"com.example.GreetingCache"}
{"kind":"container","ts":"$1T01:30:02.000Z","service":"app","action":"oom"}
{"kind":"container","ts":"$1T01:30:02.100Z","service":"app","action":"die","exit_code":137}
IN
}
day 2026-11-24 >"$TMP/day1.jsonl"
day 2026-11-25 >"$TMP/day2.jsonl"

bi-kb --help | head -n 1 | grep -q '^usage: bi-kb'
exit_ok $? "--help prints usage on stdout"
bi-kb frobnicate >/dev/null 2>&1
is $? 2 "an unknown command: exit 2"
is "$(bi-kb list 2>&1):$?" ":0" "list with no knowledge base: nothing, and none made"
! kb_exists kb
exit_ok $? "... no knowledge base appears"
is "$(bi-kb patterns | jq -r '[.id, .success_rate] | join(" ")')" "out-of-memory 0.85
connection-refused 0.9
slow-queries 0.8
deployment-failure 0.85
crash 0.7
high-error-rate 0.75
kafka-consumer-lag 0.8
certificate-expiry 0.95
disk-pressure 0.9" "the nine built-in patterns with their initial success rates"

# Record: an incident per finding; --tee passes the findings on, with it.
bi-rca "$TMP/day1.jsonl" 2>/dev/null | bi-kb record --tee >"$TMP/out"
is "$(jq -r .kind "$TMP/out" | tr '\n' ' ')" "finding incident " "--tee: the finding, then its incident"
id=$(jq -r 'select(.kind == "incident") | .id' "$TMP/out")
is "$(jq -r 'select(.kind == "finding") | .incident' "$TMP/out")" "$id" "the finding names its incident"
is "$(jq -r 'select(.kind == "incident") | [.status, .pattern, .occurrences] | join(" ")' "$TMP/out")" \
	"open out-of-memory 1" "an open incident of the pattern, seen once"
bi-rca "$TMP/day1.jsonl" 2>/dev/null | bi-kb record >"$TMP/out"
is "$(jq -r '[.id, .occurrences] | join(" ")' "$TMP/out")" "$id 1" "the same occurrence again: the same incident, still once"
is "$(bi-kb list | wc -l | tr -d ' ')" 1 "list: one incident"

# Resolve: an outcome and a fix; bad ones refused.
bi-kb resolve "$id" --outcome fixed --fix x >/dev/null 2>&1
is $? 2 "an outcome other than resolved, partial or failed: exit 2"
bi-kb resolve "$id" --outcome resolved >/dev/null 2>&1
is $? 2 "no --fix: exit 2"
bi-kb resolve inc-00000000 --outcome resolved --fix x 2>"$TMP/err" >/dev/null
is "$?:$(cat "$TMP/err")" "2:bi-kb: no such incident: inc-00000000" "an unknown incident: exit 2"
bi-kb resolve "$id" --outcome resolved --fix "Bound the greeting cache to 1000 entries" >"$TMP/out"
is "$(jq -r '[.status, .outcome, .fix] | join(" / ")' "$TMP/out")" \
	"resolved / resolved / Bound the greeting cache to 1000 entries" "resolved, with its fix"
is "$(bi-kb list --status open | wc -l | tr -d ' '):$(bi-kb list --status resolved | wc -l | tr -d ' ')" \
	"0:1" "list by status"

# Seen again the next day: matched to the earlier incident, with its fix and
# the success rates the outcome moved ((0.85 x 2 + 1) / 3 = 0.9).
bi-rca "$TMP/day2.jsonl" 2>/dev/null >"$TMP/out"
is "$(jq -r '.similar[0] | [.id, .similarity, .fix, .outcome] | join(" ")' "$TMP/out")" \
	"$id 1 Bound the greeting cache to 1000 entries resolved" "the earlier incident is similar, with its fix"
is "$(jq -r '.fixes[0] | [.title, .success_rate, .source] | join(" / ")' "$TMP/out")" \
	"Bound the greeting cache to 1000 entries / 0.9 / incident $id" "its fix comes first, with its success rate"
is "$(jq -r '[.success_rate, .components.similarity, .confidence] | join(" ")' "$TMP/out")" "0.9 20 75" \
	"the pattern's rate moved; similarity adds 20 to the confidence"
jq -r '.similar[0].detail' "$TMP/out" | grep -q 'success rate 90%'
exit_ok $? "the similar incident's line shows the rate"
bi-kb record <"$TMP/out" >"$TMP/inc2"
[ "$(jq -r .id "$TMP/inc2")" != "$id" ]
exit_ok $? "a recurrence after resolution is a new incident"

# Stats, show, export and import.
bi-kb stats >"$TMP/out"
is "$(jq -r 'select(.name == "kb_incidents") | "\(.labels.status)=\(.value)"' "$TMP/out" | tr '\n' ' ')" \
	"open=1 resolved=1 " "stats: incidents by status"
is "$(jq -r 'select(.name == "kb_pattern_occurrences" and .labels.pattern == "out-of-memory") | .value' "$TMP/out")" \
	2 "stats: occurrences of a pattern"
is "$(jq -r 'select(.name == "kb_pattern_success_rate" and .labels.pattern == "out-of-memory") | .value' "$TMP/out")" \
	0.9 "stats: its success rate"
bi-kb show "$id" >"$TMP/out"
is "$(jq -r '.kind' "$TMP/out" | tr '\n' ' ')$(jq -r 'select(.kind == "incident") | .outcomes | length' "$TMP/out")" \
	"incident finding 1" "show: the incident with its outcomes, then its finding"
other=$(kb_url other)
bi-kb export >"$TMP/exp"
BI_DB=$other bi-kb import <"$TMP/exp"
is "$(BI_DB=$other bi-kb export | jq -cS .)" "$(jq -cS . "$TMP/exp")" "export, import, export: the same"
echo '{"kind":"incident","id":"x"}' | BI_DB=$other bi-kb import 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "0:bi-kb: an incident needs id, signature, title and first_seen, skipped" \
	"a bad incident is reported and skipped"

# The advice table, readable as records; stats of the patterns seen only.
bi-kb advice >"$TMP/out"
is "$(jq -r 'select(.id == "dependency-down") | [.on, .severity, .gap, .pattern] | join(" / ")' "$TMP/out")" \
	"failed / high / dependency isolation / connection-refused" "advice: the table's entries, as records"
is "$(bi-kb stats --seen | jq -r 'select(.name == "kb_pattern_occurrences") | .labels.pattern')" \
	out-of-memory "stats --seen: only the patterns seen"

# suggest: the chaos results read and the knowledge base, the most pressing first.
printf '%s\n' '{"kind":"chaos","ts":"2026-11-24T01:00:00.000Z","scenario":"db-latency","status":"failed"}' \
	>"$TMP/chaos.jsonl"
bi-kb suggest "$TMP/chaos.jsonl" >"$TMP/out"
is "$(jq -r '[.priority, .source, .title] | join(" / ")' "$TMP/out")" \
	"high / chaos / Bound the time spent waiting on the database
high / knowledge base / Out of memory: Bound the greeting cache to 1000 entries" \
	"suggest: a failed scenario's advice, then the open pattern's best fix"

# Files: one that cannot be read is reported, the others still recorded.
bi-rca "$TMP/day1.jsonl" 2>/dev/null >"$TMP/f1"
third=$(kb_url third)
BI_DB=$third bi-kb record "$TMP/nothere.jsonl" "$TMP/f1" >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -l <"$TMP/out" | tr -d ' '):$(grep -c 'cannot open' "$TMP/err")" "2:1:1" \
	"a file that cannot be read: exit 2, the others recorded"
printf '{"kind":"finding",\n' | BI_DB=$third bi-kb record --strict >/dev/null 2>&1
is $? 2 "--strict: a malformed line is fatal, exit 2"

# A database that fails is exit 4, never 1 (1 is a finding).
kb_copy kb broken
broken=$(kb_url broken)
kb_drop broken kb_outcomes
st=""
for cmd in "stats" "show $id" "suggest" "export"; do
	# shellcheck disable=SC2086
	BI_DB=$broken bi-kb $cmd </dev/null >/dev/null 2>"$TMP/err"
	st="$st$? "
done
is "$st" "4 4 4 4 " "a broken database: stats, show, suggest, export exit 4"
BI_DB=$broken bi-kb resolve "$id" --outcome resolved --fix x >/dev/null 2>"$TMP/err"
is "$?:$(sed 's/:.*//' "$TMP/err")" "4:bi-kb" "resolve: exit 4, saying why"
kb_drop broken kb_incidents
bi-rca "$TMP/day1.jsonl" 2>/dev/null | BI_DB=$broken bi-kb record >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "4:bi-kb: database: $KB_NO_TABLE" "record: exit 4"
BI_DB=$broken bi-kb list >/dev/null 2>&1
is $? 4 "list: exit 4"
BI_DB=$KB_BAD bi-kb record </dev/null >/dev/null 2>&1
is $? "$KB_BAD_EXIT" "$KB_BAD_WHY: exit $KB_BAD_EXIT"
