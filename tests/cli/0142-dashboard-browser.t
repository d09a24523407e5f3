#!/bin/sh
# The dashboard in a real browser: headless Chromium (Debian's), driven by
# puppeteer-core (scripts/deps.sh installs both) through
# tests/tools/dashboard-browser.js, against `blissful-infra dashboard` over a
# store filled the way the watcher fills it: bi-metrics scraping a real
# service (tests/tools/metrics-app.py, serving requests and exporting their
# counts), log records put by bi-store, load tests of that service (bi-perf,
# bi-compare), a score (bi-score, from chaos results given as input: chaos
# itself needs Docker), findings (bi-rca over the logs), and bi-ask asking
# the stand-in model server (tests/tools/fake-llm.py). The page loads
# without a console error; each view shows what those tools wrote; the
# metrics charts draw the scraped points; a log filter narrows the list to
# what the store says, and the live tail shows a line put afterwards; an
# alert is acknowledged from the page; the chat shows the model's answer as
# it streams; a screenshot of each view goes to build/artifacts/.
. "$(dirname "$0")/../lib.sh"

NODE_MODULES=${BI_NODE_MODULES:-$ROOT/build/node/node_modules}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || [ ! -d "$NODE_MODULES/puppeteer-core" ] || ! command -v node >/dev/null; then
	plan 1
	if [ "${CI:-}" = true ]; then
		exit_ok 1 "chromium and puppeteer-core are required under CI=true (scripts/deps.sh)"
		exit 1
	fi
	skip "no chromium or puppeteer-core (scripts/deps.sh installs them)"
	exit 0
fi
plan 22
ART=$ROOT/build/artifacts
mkdir -p "$ART"
rm -f "$ART"/dashboard-*.png

mkdir -p "$TMP/proj" && cd "$TMP/proj" || exit 1
printf 'name: shop\n' >blissful-infra.yaml
unset OLLAMA_HOST BI_DB BI_PROJECT_DIR

# --- a service scraped for real: its requests counted, its /metrics read ---
python3 "$ROOT/tests/tools/metrics-app.py" "$TMP/app.port" &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s "$TMP/app.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
APP=http://127.0.0.1:$(cat "$TMP/app.port")
(
	while :; do
		for k in 1 2 3 4 5 6 7 8 9; do curl -s -o /dev/null "$APP/work/$((k * 3))"; done
		curl -s -o /dev/null "$APP/fail"
		sleep 0.2
	done
) &
load=$!
at_exit "kill $load 2>/dev/null"
bi-metrics scrape --no-docker -i 1s -n 8 "api=$APP/metrics" >"$TMP/scrape.out" 2>"$TMP/scrape.err"
kill $load
samples=$(sqlite3 .blissful-infra/bi.db "SELECT count(DISTINCT ts) FROM metric_samples s JOIN metric_series r ON r.id = s.series WHERE r.name = 'http_requests_total'")
is "$samples" 8 "bi-metrics kept 8 scrapes of the service"

# --- logs, as bi-store keeps them ---
now=$(date -u +%Y-%m-%dT%H:%M:%S)
cat >logs.jsonl <<EOL
{"kind":"log","ts":"$now.001Z","service":"api","level":"info","msg":"listening on port 8080"}
{"kind":"log","ts":"$now.002Z","service":"api","level":"error","msg":"connection refused to db:5432"}
{"kind":"log","ts":"$now.003Z","service":"worker","level":"warn","msg":"connection refused, retrying"}
{"kind":"log","ts":"$now.004Z","service":"api","level":"info","msg":"GET /work 200"}
{"kind":"log","ts":"$now.005Z","service":"worker","level":"error","msg":"job 17 failed: connection refused"}
{"kind":"log","ts":"$now.006Z","service":"api","level":"error","msg":"timeout after 5000 ms"}
EOL
bi-store put logs.jsonl

# --- what the other commands keep: load tests, a score, findings ---
bi-perf -t 1 -u 2 -d 1s -q --no-thresholds "$APP/work/2" >perf1.jsonl 2>/dev/null
bi-perf -t 1 -u 2 -d 1s -q --no-thresholds "$APP/work/6" >perf2.jsonl 2>/dev/null
bi-compare perf1.jsonl perf2.jsonl >cmp.jsonl
for x in "pod-kill passed 3000" "network-latency passed 12000" "memory-pressure failed null"; do
	set -- $x
	printf '{"kind":"chaos","ts":"%s.000Z","scenario":"%s","status":"%s","recovery_ms":%s}\n' "$now" "$1" "$2" "$3"
done >chaos.jsonl
bi-score <chaos.jsonl >score.jsonl
bi-rca <logs.jsonl >rca.jsonl
# A health check of the service, named as `up` names its services.
bi-wait -t 10s "$APP/work/1" | jq -c '.service = "api"' >health.jsonl
# Two pipeline runs, as `pipeline` writes them: a Jenkins build's record
# again after each stage (its test stage failed), then a local run.
J=jenkins-shop-7
bi-pipeline stage --run $J --name build --status passed --ms 1200 >stages.jsonl
bi-pipeline summary --run $J --branch main --sha 0123456789abcdef stages.jsonl >pipeline.jsonl
bi-pipeline stage --run $J --name test --status failed --reason "2 of 40 tests failed" --ms 800 >>stages.jsonl
bi-pipeline summary --run $J --branch main --sha 0123456789abcdef stages.jsonl >>pipeline.jsonl
bi-pipeline stage --run local-1 --name build --status passed --ms 900 >local.jsonl
bi-pipeline stage --run local-1 --name scan --status skipped --reason "trivy is not installed" >>local.jsonl
bi-pipeline summary --run local-1 --branch "fix \$(id)" --sha fedcba9876543210 local.jsonl >>pipeline.jsonl
cat perf1.jsonl perf2.jsonl cmp.jsonl chaos.jsonl score.jsonl rca.jsonl health.jsonl stages.jsonl \
	local.jsonl pipeline.jsonl | bi-store put

# --- the stand-in model, streaming a word at a time ---
REPLY="The api service cannot reach postgres on port 5432."
python3 "$ROOT/tests/tools/fake-llm.py" --port-file "$TMP/llm.port" --mode slow --delay 0.15 \
	--reply "$REPLY" &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s "$TMP/llm.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

# --- the dashboard ---
: >dash.out
OLLAMA_HOST=http://127.0.0.1:$(cat "$TMP/llm.port") blissful-infra dashboard --port 0 --no-open \
	>dash.out 2>dash.err &
dash=$!
at_exit "kill $dash 2>/dev/null"
i=0
until grep -q '^dashboard: ' dash.out || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=$(sed -n 's/^dashboard: //p' dash.out)

TAIL='{"kind":"log","ts":"'$now'.900Z","service":"api","level":"fatal","msg":"connection refused, put while tailing"}'
BI_NODE_MODULES=$NODE_MODULES CHROMIUM=$CHROMIUM HOME=$TMP/home BI_TAIL_LINE=$TAIL \
	node "$ROOT/tests/tools/dashboard-browser.js" "$URL" "$ART" "why is api failing?" >seen.json 2>node.err
exit_ok $? "the browser went through every view (node: $(head -c 300 node.err; jq -r '.fatal // empty' seen.json | head -3))"
is "$(jq -c '.console_errors' seen.json):$(jq -c '.failed' seen.json)" "[]:[]" \
	"no console error, no failed request"
is "$(jq -r '.url_after' seen.json)" "${URL%%\?*}" "the token left the address bar (the cookie keeps it)"
is "$(jq -c '.views' seen.json)" '["overview","metrics","logs","resilience","performance","incidents","pipeline","chat"]' \
	"every view, the store holding data for each"
is "$(jq -c '.services' seen.json)" '["api healthy","worker –"]' \
	"the overview: each service with its health where a check says it"
is "$(jq -c '.acked' seen.json):$(bi-metrics alerts | jq -r .acked)" '["acknowledged"]:true' \
	"an alert acknowledged from the page, as bi-metrics sees it"
is "$(jq -r '.resilience.score' seen.json):$(jq -c '.resilience.scenarios' seen.json)" \
	"$(jq -r '.score' score.jsonl) / $(jq -r '.max' score.jsonl):$(jq -c '[.scenarios[] | .scenario + " " + .status]' score.jsonl)" \
	"resilience: bi-score's score and scenarios"
is "$(jq -c '[.resilience.gaps, .resilience.experiments, .resilience.trend_points]' seen.json)" \
	"$(jq -c '[(.gaps | length), 3, 1]' score.jsonl)" "its gaps, the 3 experiments, the score's point on the trend"
is "$(jq -c '.performance' seen.json)" \
	"$(jq -sc '{runs: 2, comparisons: [.[] | (.metric // "overall") + " " + .winner] | reverse}' cmp.jsonl)" \
	"performance: both runs, and bi-compare's verdicts"
is "$(jq -r '.incidents | length' seen.json):$(jq -r '.incidents[0]' seen.json | grep -c 'Root cause: ')" \
	"$(jq -s 'map(select(.kind == "finding")) | length' rca.jsonl):1" "incidents: bi-rca's findings with their root cause"
is "$(jq -c '[.charts[] | .figure]' seen.json)" \
	'["request_rate","error_rate","latency_p50_ms,latency_p95_ms,latency_p99_ms"]' \
	"the metrics charts of what the service exports"
is "$(jq '[.charts[] | select(.points > 0)] | length' seen.json)" 3 \
	"each draws points from the scrapes ($(jq -c '[.charts[].points]' seen.json))"
all=$(jq -s 'length' logs.jsonl)
want=$(jq -r 'select((.level == "error" or .level == "fatal") and (.msg | test("refused"))) | .msg' logs.jsonl)
is "$(jq .logs_all seen.json)" "$all" "the log view lists every record first"
is "$(jq -r '.logs_filtered[]' seen.json | sed 's/^.* error //')" "$want" \
	"level error and the word refused narrow it to what the store says"
is "$(jq -c '.pipeline' seen.json)" \
	'{"empty":false,"runs":["local-1 | fix $(id) @ fedcba9 | passed | 1 passed, 1 skipped | ","jenkins-shop-7 | main @ 0123456 | failed | 1 passed, 1 failed | test: 2 of 40 tests failed"],"table":false}' \
	"pipeline: each run once, newest first, as its last record says; no empty table of deployments"
is "$(jq -r '.tailed' seen.json)" "$(printf '%s' "$TAIL" | jq -r '"\(.ts | sub("T"; " ") | sub("\\.[0-9]+Z$"; "Z")) \(.service) \(.level) \(.msg)"')" \
	"the live tail shows a line put after it opened"
is "$(jq -r '.chat.state' seen.json):$(jq -r '.chat.text' seen.json)" "done:$REPLY" \
	"the chat shows the model's answer"
is "$(jq '.chat.chunks > 1' seen.json)" true "as it streamed, in $(jq .chat.chunks seen.json) pieces"
is "$(jq '.narrow_overflow <= 0' seen.json)" true "a 375 px window does not scroll sideways"
bytes=$(jq .first_load_bytes seen.json)
is "$(jq '.first_load_bytes < 300000' seen.json)" true "the first load is under 300 KB ($bytes bytes)"
n=0
for f in $(jq -r '.shots[]' seen.json); do
	[ "$(head -c 4 "$f" | tail -c 3)" = PNG ] && n=$((n + 1))
done
is "$n" 9 "a screenshot of each view and of the narrow window, in build/artifacts"
