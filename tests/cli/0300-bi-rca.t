#!/bin/sh
# bi-rca: findings from records; empty, quiet and malformed input; templates
# as a filter; a new error seen 10 000 times is one finding; commits, ranking,
# user patterns.
. "$(dirname "$0")/../lib.sh"
plan 31
cd "$TMP" || exit 1
export BI_DB=$TMP/kb.db

bi-rca --help | head -n 1 | grep -q '^usage: bi-rca'
exit_ok $? "--help prints usage on stdout"
is "$(bi-rca --version)" "bi-rca 0.1.0" "--version"
bi-rca --bogus </dev/null >/dev/null 2>&1
is $? 2 "an unknown option: exit 2"

# Nothing to find: a clear word on stderr, no records, exit 0.
out=$(bi-rca </dev/null 2>"$TMP/err"); st=$?
is "$st:$out" "0:" "empty input: no finding, exit 0"
is "$(cat "$TMP/err")" "bi-rca: no problem found in 0 records (0 log lines)" "... and says so"
cat >"$TMP/quiet.jsonl" <<'IN'
{"kind":"log","ts":"2026-11-24T01:00:00.000Z","service":"app","level":"info","msg":"GET /hello 200","attrs":{"status":200,"duration_ms":3.1}}
{"kind":"log","ts":"2026-11-24T01:00:01.000Z","service":"app","level":"warn","msg":"cache is cold"}
{"kind":"health","ts":"2026-11-24T01:00:02.000Z","service":"app","target":"http://127.0.0.1:8080/health","ok":true,"status":200}
{"kind":"container","ts":"2026-11-24T01:00:03.000Z","service":"app","action":"start"}
{"kind":"stats","ts":"2026-11-24T01:00:04.000Z","service":"app","mem_used":1000,"mem_limit":100000,"mem_pct":1}
IN
out=$(bi-rca "$TMP/quiet.jsonl" 2>"$TMP/err"); st=$?
is "$st:$out" "0:" "nothing wrong: no finding, exit 0"
is "$(cat "$TMP/err")" "bi-rca: no problem found in 5 records (2 log lines)" "... counting what it read"

# Malformed lines: reported with their numbers, skipped, the rest kept.
printf '%s\n' 'not json' '{"kind":"log","ts":"2026-11-24T01:00:00.000Z","service":"app","level":"error","msg":"boom 42"}' \
	'[1,2]' '{"kind":"log","level":"info","msg":"bad \q escape"}' '' '{"kind":"log"' >"$TMP/bad.jsonl"
printf '{"kind":"log","level":"info","msg":"bad \377 byte"}\n' >>"$TMP/bad.jsonl"
out=$(bi-rca "$TMP/bad.jsonl" 2>"$TMP/err"); st=$?
is "$st" 1 "findings: exit 1"
is "$(printf '%s\n' "$out" | grep -c '"kind":"finding"')" 1 "the good error line is one finding"
is "$(cut -d: -f1-3 "$TMP/err")" "bi-rca: $TMP/bad.jsonl:1
bi-rca: $TMP/bad.jsonl:3
bi-rca: $TMP/bad.jsonl:4
bi-rca: $TMP/bad.jsonl:6
bi-rca: $TMP/bad.jsonl:7" "lines 1, 3, 4 (a bad escape), 6 and 7 (bad UTF-8) reported; the blank line is not"
bi-rca --strict "$TMP/bad.jsonl" >/dev/null 2>&1
is $? 2 "--strict: a malformed line is fatal, exit 2"
printf '%s\n' '{"kind":"log","level":"error","msg":"deep"' '{"a":' | bi-rca >/dev/null 2>"$TMP/err"
is "$(grep -c 'malformed' "$TMP/err")" 2 "truncated records are malformed, not a crash"

# A new error message, 10 000 times with varying numbers and ids: one finding.
awk 'BEGIN { for (i = 0; i < 10000; i++) {
	printf "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:%02d:%02d.%03dZ\",\"service\":\"billing\",\"level\":\"error\",", int(i / 600) % 60, int(i / 10) % 60, i % 1000
	printf "\"msg\":\"invoice %d for account acct_%x rejected by ledger 10.0.%d.%d after %dms\"}\n", i * 37, i * 7919, i % 256, i % 200, i % 900
	printf "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:00.000Z\",\"service\":\"billing\",\"level\":\"info\",\"msg\":\"GET /invoices 200\"}\n" } }' >"$TMP/new.jsonl"
bi-rca "$TMP/new.jsonl" >"$TMP/out" 2>/dev/null
is "$(grep -c '"kind":"finding"' "$TMP/out")" 1 "10 000 lines of a new error: one finding"
grep -q '"count":10000,' "$TMP/out"
exit_ok $? "... with its count, 10000"
grep -q '"template":"invoice <\*> for account <\*> rejected by ledger <\*> after <\*>"' "$TMP/out"
exit_ok $? "... and its template"
grep -q '"pattern":null' "$TMP/out"
exit_ok $? "... which no pattern knows"

# --templates: a filter; records pass unchanged but for the template added.
printf '%s\n' '{"kind":"stats","ts":"2026-11-24T01:00:00.000Z","service":"app","mem_used":5}' \
	'{"kind":"log","ts":"2026-11-24T01:00:01.000Z","msg":"user 17 logged in from 10.1.2.3"}' \
	'{}' '{"kind":"log","msg":"user 99 logged in from 10.9.8.7","template":"old"}' \
	'{"kind":"log","level":"info"}' 'garbage' >"$TMP/t.jsonl"
bi-rca --templates "$TMP/t.jsonl" >"$TMP/out" 2>"$TMP/err"
is "$(sed -n 1p "$TMP/out")" '{"kind":"stats","ts":"2026-11-24T01:00:00.000Z","service":"app","mem_used":5}' \
	"a record of another kind passes byte for byte"
is "$(sed -n 2p "$TMP/out" | sed 's/"template_id":"t[0-9a-f]\{8\}"/ID/')" \
	'{"kind":"log","ts":"2026-11-24T01:00:01.000Z","msg":"user 17 logged in from 10.1.2.3","template":"user <*> logged in from <*>",ID}' \
	"a log gets its template and id, the rest unchanged"
is "$(sed -n 3p "$TMP/out")" '{}' "an empty object passes"
id2=$(sed -n 2p "$TMP/out" | sed 's/.*"template_id":"\([^"]*\)".*/\1/')
is "$(sed -n 4p "$TMP/out" | jq -c '[.template, .template_id == "'"$id2"'"]')" '["user <*> logged in from <*>",true]' \
	"a template already there is replaced, once, with the same id for the same template"
is "$(sed -n 5p "$TMP/out")" '{"kind":"log","level":"info"}' "a log without a message passes as it is"
is "$(wc -l <"$TMP/out" | tr -d ' '):$(grep -c 'line skipped' "$TMP/err")" "5:1" "the bad line is reported and dropped"

# Ranking and commits: an OOM kill after a commit that changed the file in
# the stack trace comes before a stray error, with each part shown.
cat >"$TMP/oom.jsonl" <<'IN'
{"kind":"commit","ts":"2026-11-24T01:25:00.000Z","sha":"abc1234def5678abc1234def5678abc1234def56","author":"Ann","msg":"Cache greetings","files":["src/main/kotlin/com/example/GreetingService.kt"]}
{"kind":"log","ts":"2026-11-24T01:30:01.000Z","service":"app","level":"error","msg":"java.lang.OutOfMemoryError: Java heap space","logger":"com.example.GreetingService","stack":"java.lang.OutOfMemoryError: Java heap space\n\tat com.example.GreetingService.greet(GreetingService.kt:47)"}
{"kind":"container","ts":"2026-11-24T01:30:02.000Z","service":"app","action":"oom"}
{"kind":"container","ts":"2026-11-24T01:30:02.100Z","service":"app","action":"die","exit_code":137}
{"kind":"log","ts":"2026-11-24T01:40:00.000Z","service":"app","level":"error","msg":"could not reach the audit log","logger":"com.example.Audit"}
IN
bi-rca "$TMP/oom.jsonl" >"$TMP/out" 2>/dev/null
is "$(head -n 1 "$TMP/out" | jq -c '[.pattern, .title, .confidence, .components]')" \
	'["out-of-memory","Out of memory in app after commit abc1234",80,{"pattern":30,"correlation":25,"similarity":0,"base":25}]' \
	"out of memory first, with its confidence made of 20 + 30 + 25 + 0 + 5"
is "$(head -n 1 "$TMP/out" | jq -r '.commit.named_file')" "GreetingService.kt" "the commit changed the file in the stack trace"
head -n 1 "$TMP/out" | jq -r .root_cause | grep -q 'GreetingService.kt:47'
exit_ok $? "the root cause names the frame"
is "$(head -n 1 "$TMP/out" | jq -r '.timeline[].text')" "01:25:00 commit abc1234 by Ann: Cache greetings
01:30:01 app error: java.lang.OutOfMemoryError: Java heap space
01:30:02 app ran out of memory (OOM kill)
01:30:02 app exited with code 137" "a timeline across commits, logs and container events"
is "$(head -n 1 "$TMP/out" | jq -r '.fixes[0].detail')" "success rate 85% (initial)" \
	"fixes with the pattern's initial success rate"
is "$(sed -n 2p "$TMP/out" | jq -r '.pattern')" "null" "the stray error after it"
is "$(bi-rca --top 1 "$TMP/oom.jsonl" 2>/dev/null | wc -l | tr -d ' ')" 1 "--top 1: one finding"

# A pattern of the user's, from a file.
cat >"$TMP/p.yaml" <<'IN'
- id: quota
  name: Quota exhausted
  logs: [quota exceeded]
  fixes: [Ask for more quota]
IN
echo '{"kind":"log","ts":"2026-11-24T01:00:00.000Z","service":"app","level":"error","msg":"Quota exceeded for project 42"}' >"$TMP/q.jsonl"
is "$(bi-rca --patterns "$TMP/p.yaml" "$TMP/q.jsonl" 2>/dev/null | jq -r '[.pattern, .fixes[0].title] | join(",")')" \
	"quota,Ask for more quota" "a user pattern matches, with its fixes"
echo '- {id: bad, metrics: [nonsense]}' >"$TMP/bad.yaml"
bi-rca --patterns "$TMP/bad.yaml" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-rca: $TMP/bad.yaml: pattern bad: not a condition (FIELD OP NUMBER): nonsense" \
	"a bad pattern file: exit 2, saying why"
