#!/bin/sh
# bi-metrics' Prometheus reader against a real Prometheus (Debian's, on
# loopback, scraping every second) and a real c-service container with its
# error knob at 10% under a steady load: the error ratio bi-metrics reads
# from Prometheus matches the one it derives from its own scrapes of the
# same service (the same window, ours within what Prometheus says over one
# scrape interval either side); an instant and a range query as records; a
# bad query exits 2 with Prometheus's error on one line, a server that is
# not there exits 3.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 9
"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base image"; exit 1; }
wait_http() { i=0; until curl -fs "$1" >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 150 ] || return 1; sleep 0.1; done; }

bi-scaffold --template c-service --dir "$TMP/svc" svc >/dev/null
tag=bi-test-prometheus:$$
docker build -q -t "$tag" --label org.blissful-infra.test=prometheus "$TMP/svc" >/dev/null 2>&1 ||
	{ exit_ok 1 "the c-service image builds"; exit 1; }
at_exit "docker rmi -f $tag >/dev/null 2>&1"
sp=$(free_port)
cid=$(docker run -d --pull never --label org.blissful-infra.test=prometheus -p "127.0.0.1:$sp:8080" "$tag")
at_exit "docker rm -f $cid >/dev/null 2>&1"
wait_http "http://127.0.0.1:$sp/health"

pp=$(free_port)
mkdir -p "$TMP/prom"
cat >"$TMP/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: svc
    static_configs:
      - targets: ['127.0.0.1:$sp']
YML
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
	--web.listen-address="127.0.0.1:$pp" >"$TMP/prom/log" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$pp/-/ready"
P=http://127.0.0.1:$pp

# 10% errors under a steady load; bi-metrics scrapes the service itself
# every second meanwhile.
curl -s -X POST -d '{"error_rate":0.1}' "http://127.0.0.1:$sp/admin/faults" >/dev/null
export BI_DB=$TMP/metrics.db
bi-perf -u 4 -d 40s -q --no-thresholds "http://127.0.0.1:$sp/hello/x" >/dev/null 2>&1 &
load=$!
at_exit "kill $load 2>/dev/null"
bi-metrics scrape -i 1s -n 35 --no-docker --window 20s "svc=http://127.0.0.1:$sp/metrics" >/dev/null &
scr=$!
at_exit "kill $scr 2>/dev/null"
sleep 30
ours=$(bi-metrics query --window 20s | jq -c 'select(.name == "error_rate")')
T=$(printf '%s\n' "$ours" | jq -r .ts)
bi-metrics query --prometheus "$P" --window 20s --time "$T" >"$TMP/figures"
st=$?
ratio='sum(rate(http_requests_total{status=~"5.."}[20s])) / sum(rate(http_requests_total[20s]))'
t=$(date -u -d "$T" +%s.%3N)
bi-metrics query --prometheus "$P" --start "$(awk -v t="$t" 'BEGIN { printf "%.3f", t - 1 }')" \
	--end "$(awk -v t="$t" 'BEGIN { printf "%.3f", t + 1 }')" --step 1s "$ratio" >"$TMP/range"
rst=$?
bi-metrics query --prometheus "$P" 'up{job="svc"}' >"$TMP/up"
ust=$?
wait $scr
kill $load 2>/dev/null
curl -s -X POST -d '{"error_rate":0}' "http://127.0.0.1:$sp/admin/faults" >/dev/null

o=$(printf '%s\n' "$ours" | jq -r .value)
p=$(jq -r 'select(.name == "error_rate" and .service == "svc") | .value' "$TMP/figures")
diag "error ratio over 20s at $T: bi-metrics' own scrapes $o, Prometheus $p; Prometheus 1 s either side: $(jq -r .value "$TMP/range" | tr '\n' ' ')"
is "$st:$(jq -r 'select(.service == "svc" and .source == "prometheus" and .labels.window == "20s") | .name' "$TMP/figures" | sort | tr '\n' ' ')" \
	"0:error_rate latency_p50_ms latency_p95_ms latency_p99_ms request_rate " \
	"query --prometheus --window: the service's figures, as Prometheus computes them"
awk -v o="$o" 'BEGIN { exit !(o > 0) }'
exit_ok $? "the error knob shows in bi-metrics' own figures ($o)"
is "$rst:$(jq -r '[.name == $e, (.labels | length)] | @text' --arg e "$ratio" "$TMP/range" | sort -u):$(wc -l <"$TMP/range" | tr -d ' ')" \
	"0:[true,0]:3" "a range query: a record per step, named by its expression"
# Prometheus's windows end at its scrapes, ours at our own: the two agree
# when ours lies within what Prometheus says one scrape interval either side
# (and the instant figure among them), give or take 5%.
jq -r .value "$TMP/range" | awk -v o="$o" -v p="$p" '
	NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
	END { if (p < lo) lo = p; if (p > hi) hi = p
	      exit !(NR == 3 && o >= lo * 0.95 && o <= hi * 1.05) }'
exit_ok $? "the error ratio from Prometheus matches bi-metrics' own within one scrape interval ($o vs $p)"
is "$ust:$(jq -c '[.name, .labels.job, .value]' "$TMP/up")" '0:["up","svc",1]' "an instant query: up{job=\"svc\"}"

bi-metrics query --prometheus "$P" 'sum(rate(http_requests_total[20s]' >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st:$(wc -l <"$TMP/err" | tr -d ' '):$(wc -c <"$TMP/out" | tr -d ' ')" "2:1:0" "a bad query: exit 2, one line on stderr, nothing on stdout"
grep -q 'refused the query: .*bad_data: .*parse error' "$TMP/err"
exit_ok $? "saying Prometheus's errorType and error: $(cat "$TMP/err")"
gone=$(free_port)
bi-metrics query --prometheus "http://127.0.0.1:$gone" up >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -l <"$TMP/err" | tr -d ' ')" "3:1" "no Prometheus there: exit 3, one line ($(cat "$TMP/err"))"
blissful-infra metrics --prometheus "$P" --window 20s --json >"$TMP/wrapper" 2>"$TMP/err"
is "$?:$(jq -r 'select(.service == "svc") | .name' "$TMP/wrapper" | sort -u | wc -l | tr -d ' ')" "0:5" \
	"blissful-infra metrics --prometheus: the same five figures"
