#!/bin/sh
# blissful-infra perf: runs the project's scenario, prints the summary, and
# keeps the records under .blissful-infra/perf/, also when a threshold fails.
. "$(dirname "$0")/../lib.sh"
plan 6
/usr/bin/python3 "$ROOT/tests/tools/http-server.py" "$TMP/port" &
at_exit "kill $! 2>/dev/null"
i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat "$TMP/port")
mkdir -p "$TMP/proj/perf" && cd "$TMP/proj" || exit 1
printf 'name: proj\nservices:\n  app:\n    port: %s\n' "$P" >blissful-infra.yaml
cat >perf/load.yaml <<'SCEN'
endpoints:
  - {name: slow, path: /delay/20, weight: 1}
thresholds:
  http_req_duration: ["p(95)<5000"]
SCEN
blissful-infra perf --duration 2s --vus 2 >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st" 0 "thresholds held: exit 0"
grep -q '^Load test of http://127.0.0.1:' "$TMP/out" && grep -q 'PASSED' "$TMP/out"
exit_ok $? "the summary, for people"
n=$(ls .blissful-infra/perf/*.jsonl 2>/dev/null | wc -l)
is "$n" 1 "the records kept"
sed -i 's/p(95)<5000/p(95)<1/' perf/load.yaml
sleep 1
blissful-infra perf --duration 1s --vus 2 >"$TMP/out" 2>"$TMP/err"
is "$?" 1 "a threshold failed: exit 1"
is "$(ls .blissful-infra/perf/*.jsonl | wc -l)" 2 "and its records kept all the same"
grep -q '"passed":false' $(ls -t .blissful-infra/perf/*.jsonl | head -1)
exit_ok $? "saying it failed"
