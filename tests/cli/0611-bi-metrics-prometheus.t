#!/bin/sh
# bi-metrics query --prometheus without a Prometheus: usage errors, the
# parameters it sends, Prometheus's errors and their exit codes, a server
# that is not Prometheus, none at all, the figures per job, and the
# wrapper. tests/integration/0601-prometheus.t does it against the real one.
. "$(dirname "$0")/../lib.sh"
plan 12
/usr/bin/python3 "$ROOT/tests/tools/prom-stub.py" "$TMP/port" &
at_exit "kill $! 2>/dev/null"
i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
P=http://127.0.0.1:$(cat "$TMP/port")
q() { bi-metrics query --prometheus "$P" "$@" >"$TMP/out" 2>"$TMP/err"; }

st=0
for args in "--step 1s up" "--start -5m up" "--start 10 --step 1s --time 5 up" "--start 10 --step 1s" "up down"; do
	# shellcheck disable=SC2086
	q $args; [ $? -eq 2 ] || { diag "$args: not exit 2"; st=1; }
done
bi-metrics query --time now up >/dev/null 2>&1; [ $? -eq 2 ] || st=1
exit_ok $st "a range query without --start or --step, --time with a range, no or two expressions, --time without --prometheus: exit 2"

q 'rate(x[5m])' --time 1796456706
is "$?:$(jq -r '[.name, .labels.job, .labels.form, .value, .source] | join(" ")' "$TMP/out" | tr '\n' ';')" \
	"0:rate(x[5m]) a time=1796456706 11 prometheus;rate(x[5m]) b time=1796456706 11 prometheus;" \
	"an instant query: a record per series, the time sent"
q up --start 10 --end 20 --step 5s
is "$?:$(wc -l <"$TMP/out" | tr -d ' '):$(jq -r .labels.form "$TMP/out" | sort -u)" "0:6:end=20&start=10&step=5s" \
	"a range query: a record per series and step, start, end and step sent"
q up --start -5m --step 1m
f=$(jq -r .labels.form "$TMP/out" | sort -u)
now=$(date +%s)
start=$(printf '%s\n' "$f" | sed 's/.*start=\([0-9.]*\).*/\1/') end=$(printf '%s\n' "$f" | sed 's/.*end=\([0-9.]*\).*/\1/')
awk -v s="$start" -v e="$end" -v n="$now" 'BEGIN { exit !(e - s > 299.9 && e - s < 300.1 && e - n < 5 && n - e < 5) }'
exit_ok $? "-5m and a missing --end: five minutes ago and now, in Unix seconds ($f)"

q 'sum(rate(x[5m])'
is "$?:$(cat "$TMP/err"):$(wc -c <"$TMP/out" | tr -d ' ')" \
	"2:bi-metrics: prometheus refused the query: $P/api/v1/query: HTTP 400: bad_data: invalid parameter \"query\": parse error: unclosed left parenthesis:0" \
	"bad_data: exit 2, Prometheus's error on one line"
q 'timeout_please'
is "$?:$(cat "$TMP/err")" \
	"3:bi-metrics: prometheus unreachable: $P/api/v1/query: HTTP 503: timeout: query timed out in expression evaluation" \
	"timeout: the server's failure, exit 3"
bi-metrics query --prometheus "$P/elsewhere" up >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "3:bi-metrics: prometheus unreachable: $P/elsewhere/api/v1/query: HTTP 404, not an answer of Prometheus's API (not JSON)" \
	"a server that is not Prometheus's API: exit 3"
bi-metrics query --prometheus "http://127.0.0.1:$(free_port)" up >/dev/null 2>"$TMP/err"
is "$?:$(wc -l <"$TMP/err" | tr -d ' ')" "3:1" "nothing there: exit 3, one line"

q --window 20s
is "$?:$(jq -r '.service + " " + .name + " " + .labels.window + " " + .unit' "$TMP/out" | sort | tr '\n' ';')" \
	"0:a error_rate 20s ratio;a latency_p50_ms 20s ms;a latency_p95_ms 20s ms;a latency_p99_ms 20s ms;a request_rate 20s req/s;b error_rate 20s ratio;b latency_p50_ms 20s ms;b latency_p95_ms 20s ms;b latency_p99_ms 20s ms;b request_rate 20s req/s;" \
	"without a query: the five figures per job, over the window"
q --window 20s --service b
is "$(jq -r .service "$TMP/out" | sort -u)" "b" "--service: that job's only"

blissful-infra metrics --prometheus "$P" --json >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -l <"$TMP/out" | tr -d ' ')" "0:10" "blissful-infra metrics --prometheus: the figures, no project needed"
blissful-infra metrics --prometheus "http://127.0.0.1:$(free_port)" >/dev/null 2>&1
is "$?" 3 "and exit 3 when Prometheus is not there"
