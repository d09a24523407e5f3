#!/bin/sh
# bi-metrics against real targets: the c-service template's container and
# Debian's node exporter. Parsing agrees with promtool sample for sample; rate
# and p95 agree with a real Prometheus scraping the same service under load;
# the error-rate alert fires and resolves with the service's error knob; acks
# persist; retention keeps age and size; bad input and a down target are
# reported without losing the rest.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 14
"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base image"; exit 1; }
close() { awk -v a="$1" -v b="$2" -v r="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= r * (b < 0 ? -b : b)) }'; }
wait_http() { i=0; until curl -fs "$1" >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1; done; }

# The c-service, as a container.
bi-scaffold --template c-service --dir "$TMP/svc" svc >/dev/null
tag=bi-test-metrics:$$
docker build -q -t "$tag" --label org.blissful-infra.test=metrics "$TMP/svc" >/dev/null 2>&1 ||
	{ exit_ok 1 "the c-service image builds"; exit 1; }
at_exit "docker rmi -f $tag >/dev/null 2>&1"
sp=$(free_port)
cid=$(docker run -d --pull never --label org.blissful-infra.test=metrics -p "127.0.0.1:$sp:8080" "$tag")
at_exit "docker rm -f $cid >/dev/null 2>&1"
wait_http "http://127.0.0.1:$sp/health"
bi-perf -u 2 -d 2s -q --no-thresholds "http://127.0.0.1:$sp/hello/x" >/dev/null
np=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$np" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_http "http://127.0.0.1:$np/metrics"

# Parsing, against promtool: the same samples, name for name, value for value.
# promtool reads OpenMetrics with timestamps into a TSDB; its dump is what it
# accepted.
same_as_promtool() {	# URL NAME
	curl -s "$1" >"$TMP/$2.txt"
	promtool check metrics <"$TMP/$2.txt" >/dev/null 2>&1
	lint=$?
	grep -v '^#' "$TMP/$2.txt" | awk 'NF { print $0 " 1795481205" } END { print "# EOF" }' >"$TMP/$2.om"
	rm -rf "$TMP/tsdb-$2"
	promtool tsdb create-blocks-from openmetrics "$TMP/$2.om" "$TMP/tsdb-$2" >/dev/null 2>&1 &&
		mkdir -p "$TMP/tsdb-$2/wal" && promtool tsdb dump "$TMP/tsdb-$2" >"$TMP/$2.dump" 2>/dev/null
	bi-metrics parse "$TMP/$2.txt" >"$TMP/$2.rec"
	n=$(/usr/bin/python3 "$ROOT/tests/tools/compare-samples.py" "$TMP/$2.dump" "$TMP/$2.rec")
	st=$?
	printf '%s\n' "$n" | head -5 | sed 's/^/# /'
	[ $st -eq 0 ] && [ "$n" -gt 10 ]
	exit_ok $? "$2: every sample as promtool reads it ($n samples; promtool check metrics exit $lint)"
}
same_as_promtool "http://127.0.0.1:$sp/metrics" c-service
same_as_promtool "http://127.0.0.1:$np/metrics" node-exporter

# A real Prometheus and bi-metrics scrape the service every second under a
# steady load; over the same 20 s window they must agree within 5%.
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
curl -s -X POST -d '{"latency_ms":20}' "http://127.0.0.1:$sp/admin/faults" >/dev/null
export BI_DB=$TMP/metrics.db
bi-perf -u 6 -d 45s -q --no-thresholds "http://127.0.0.1:$sp/hello/x" >/dev/null &
load=$!
bi-metrics scrape -i 1s -n 40 --no-docker --window 20s "svc=http://127.0.0.1:$sp/metrics" >/dev/null &
scr=$!
sleep 35
ours=$(bi-metrics query --window 20s)
q() { curl -s "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1]'; }
prate=$(q 'sum(rate(http_requests_total{path="/hello/{name}"}[20s]))')
pall=$(q 'sum(rate(http_requests_total[20s]))')
pp95=$(q 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[20s])))')
wait $scr
wait $load
orate=$(printf '%s\n' "$ours" | jq -r 'select(.name=="request_rate") | .value')
op95=$(printf '%s\n' "$ours" | jq -r 'select(.name=="latency_p95_ms") | .value / 1000')
diag "request rate: bi-metrics $orate/s, Prometheus $pall/s (of which /hello/{name} $prate/s)"
diag "p95: bi-metrics $op95 s, Prometheus $pp95 s"
close "$orate" "$pall" 0.05
exit_ok $? "request rate agrees with Prometheus' rate() within 5%"
close "$op95" "$pp95" 0.05
exit_ok $? "p95 agrees with Prometheus' histogram_quantile() within 5%"
curl -s -X POST -d '{"latency_ms":0}' "http://127.0.0.1:$sp/admin/faults" >/dev/null

# The error knob at 10%: the error-rate alert fires within two scrapes, and
# resolves once the knob is back to 0 and the window has moved on.
export BI_DB=$TMP/alerts.db
bi-perf -u 2 -d 40s -q --no-thresholds "http://127.0.0.1:$sp/hello/x" >/dev/null &
load=$!
bi-metrics scrape -i 1s -n 35 --no-docker --window 5s "svc=http://127.0.0.1:$sp/metrics" >"$TMP/scrape" &
scr=$!
sleep 5
set_at=$(date +%s.%N)
curl -s -X POST -d '{"error_rate":0.1}' "http://127.0.0.1:$sp/admin/faults" >/dev/null
sleep 10
curl -s -X POST -d '{"error_rate":0}' "http://127.0.0.1:$sp/admin/faults" >/dev/null
wait $scr
kill $load 2>/dev/null
fired=$(jq -r 'select(.kind=="alert" and .name=="error_rate" and .state=="firing") | .ts' "$TMP/scrape" | head -1)
[ -n "$fired" ]
exit_ok $? "the error-rate alert fired"
fired_s=$(python3 -c "import datetime,sys; print(datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')).timestamp())" "${fired:-1970-01-01T00:00:00Z}")
awk -v a="$fired_s" -v b="$set_at" 'BEGIN { exit !(a - b <= 2.5) }'
exit_ok $? "within two scrape intervals of the knob ($(awk -v a="$fired_s" -v b="$set_at" 'BEGIN { printf "%.1f", a - b }') s)"
jq -c 'select(.kind=="alert" and .name=="error_rate" and .state=="resolved")' "$TMP/scrape" | grep -q .
exit_ok $? "and resolved after the knob went back to 0"
id=$(jq -r 'select(.kind=="alert" and .state=="firing") | .id' "$TMP/scrape" | head -1)
bi-metrics ack "$id"
exit_ok $? "ack $id"
bi-metrics export --window 1h --format json >/dev/null
# A new process, the same database: the acknowledgement is kept.
python3 - "$BI_DB" "$id" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("select acked from alerts where id = ?", (int(sys.argv[2]),)).fetchone()
sys.exit(0 if row and row[0] == 1 else 1)
PY
exit_ok $? "the acknowledgement persists in the database"

# Retention: by age, and by size under a long scrape loop.
mkdir -p "$TMP/proj" && cd "$TMP/proj" || exit 1
printf 'name: proj\nmetrics:\n  retention:\n    max_age: 3s\n    max_size: 400KB\n' >blissful-infra.yaml
export BI_DB=$TMP/retention.db
bi-metrics scrape -n 1 --no-docker "ne=http://127.0.0.1:$np/metrics" >/dev/null
sleep 4
bi-metrics scrape -n 1 --no-docker "ne=http://127.0.0.1:$np/metrics" >/dev/null
stamps=$(bi-metrics export --window 1h --format csv | tail -n +2 | cut -d, -f1 | sort -u | grep -v derived | wc -l)
is "$stamps" 1 "samples older than max_age are gone"
printf 'name: proj\nmetrics:\n  retention:\n    max_age: 7d\n    max_size: 400KB\n' >blissful-infra.yaml
bi-metrics scrape -i 0.05s -n 60 --no-docker "ne=http://127.0.0.1:$np/metrics" >/dev/null
used=$(bi-store --db "$BI_DB" stats | jq -r 'select(.name=="store_bytes") | .value')
# The cap is on the metrics' own pages: the file may hold them and what an
# empty store already takes (its schema and indexes).
empty=$(bi-store --db "$TMP/empty.db" stats | jq -r 'select(.name=="store_bytes") | .value')
total=$(bi-metrics export --window 1h --format csv | wc -l)
[ "$used" -le $((empty + 400 * 1024)) ] && [ "$total" -gt 1000 ]
exit_ok $? "60 scrapes later the database uses $used bytes (an empty store $empty, cap 400KB), still holding $total samples"
cd "$TMP" || exit 1

# Bad input: the line named, the rest kept; a down target: a health record.
printf 'good 1\nbad{x="1" 2\nalso_good 3\n' >"$TMP/bad.txt"
bi-metrics parse "$TMP/bad.txt" >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .name "$TMP/out" | tr '\n' ' ')$(cat "$TMP/err")" \
	"2:good also_good bi-metrics: line 2: expected ',' or '}' in the labels" "malformed exposition: line named, exit 2, the rest parsed"
export BI_DB=$TMP/down.db
bi-metrics scrape -n 1 --no-docker --raw "svc=http://127.0.0.1:$sp/metrics" "gone=http://127.0.0.1:1/metrics" >"$TMP/out"
st=$?
jq -c 'select(.kind=="health" and .service=="gone" and .ok==false)' "$TMP/out" | grep -q .
exit_ok $? "a down target: a health record saying so"
[ $st -eq 0 ] && [ "$(jq -r 'select(.kind=="metric" and .service=="svc") | .name' "$TMP/out" | wc -l)" -gt 10 ]
exit_ok $? "and the other still scraped"
