#!/bin/sh
# bi-serve's log search over a store of 1,000,000 log records (24 h of five
# services, bi-store put), against the sqlite3 shell running the same SQL on
# the same file: the median of 21 answers each, wall clock per request (curl
# and sqlite3 each start a process). The goal of the dashboard's issue: a
# log search under 100 ms at the median. Each answer's count must agree with
# sqlite3's, or the figure means nothing. Then a 24 h metrics window (figures,
# a series, the charts' history) and the page's first load in bytes (under
# 300 KB with everything it needs).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
TMP=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$TMP"' EXIT
. "$ROOT/scripts/cmd/_util.sh"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
N=${BENCH_SERVE_RECORDS:-1000000}
export BI_DB=$TMP/.blissful-infra/bi.db BI_PROJECT_DIR=$TMP
# The default retention (50MB, 7 days) would keep a fraction of them.
printf 'logs:\n  retention:\n    max_size: 4GB\n    max_rows: %d\n' $((N * 2)) >"$TMP/blissful-infra.yaml"
T0=$(( $(date +%s) / 3600 * 3600 - 86400 ))	# the last 24 h, from an hour's start

python3 - "$N" "$T0" >"$TMP/logs.jsonl" <<'PY'
import sys, time
n = int(sys.argv[1])
svc = ["api", "worker", "gateway", "billing", "search"]
lvl = ["info"] * 6 + ["debug", "warn", "warn", "error"]
t0 = int(sys.argv[2])  # 24 h of records after it
out = sys.stdout
for i in range(n):
    t = t0 + i * 86400 / n
    s, l = svc[i % 5], lvl[(i // 5) % 10]
    if l == "error" and i % 7 == 0:
        m = f"upstream timeout after {i % 5000} ms calling {svc[(i + 1) % 5]}"
    elif l == "error":
        m = f"connection refused to db:{5432 + i % 3}"
    elif l == "warn":
        m = f"slow query took {i % 2000} ms on table t{i % 50}"
    else:
        m = f"request {i} served in {i % 300} ms path /items/{i % 1000}"
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % int((t - int(t)) * 1000)
    out.write(f'{{"kind":"log","ts":"{ts}","service":"{s}","level":"{l}","msg":"{m}"}}\n')
PY
s=$(date +%s.%N)
bi-store put "$TMP/logs.jsonl" 2>"$TMP/put.err" || { cat "$TMP/put.err" >&2; exit 1; }
e=$(date +%s.%N)
stored=$(sqlite3 "$BI_DB" "SELECT count(*) FROM records WHERE kind = 'log'")
if [ "$stored" != "$N" ]; then
	echo "log search: $stored records stored of $N" >&2
	exit 1
fi
P=$(free_port)
bi-serve --port "$P" 2>"$TMP/serve.err" &
srv=$!
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/api/status")" = 401 ] || [ $i -gt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
T=$(cat "$TMP/.blissful-infra/serve.token")
echo "log search: bi-serve against sqlite3 on $N log records ($(du -h "$BI_DB" | cut -f1) store, put in $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", b - a }') s), median of 21"

# NAME QUERY-STRING SQL: both answer 21 times; the counts must agree.
search() {
	name=$1 qs=$2 sql=$3
	got=$(curl -s -H "Authorization: Bearer $T" "http://127.0.0.1:$P/api/logs?$qs" | jq .count)
	want=$(sqlite3 "$BI_DB" "SELECT count(*) FROM ($sql)")
	if [ "$got" != "$want" ]; then
		echo "  $name: bi-serve counts $got, sqlite3 $want" >&2
		return 1
	fi
	: >"$TMP/ours"; : >"$TMP/theirs"
	for k in $(seq 21); do
		curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $T" \
			"http://127.0.0.1:$P/api/logs?$qs" | awk '{ print $1 * 1000 }' >>"$TMP/ours"
		a=$(date +%s%N)
		sqlite3 "$BI_DB" "$sql" >/dev/null
		b=$(date +%s%N)
		echo $(((b - a) / 1000)) | awk '{ print $1 / 1000 }' >>"$TMP/theirs"
	done
	o=$(median <"$TMP/ours") w=$(median <"$TMP/theirs")
	awk -v n="$name" -v c="$got" -v o="$o" -v w="$w" 'BEGIN {
		printf "  %-44s %5d found  bi-serve %7.1f ms  sqlite3 %7.1f ms  ratio %.2f (bi-serve faster when > 1; goal: bi-serve < 100 ms)\n",
			n, c, o, w, w / o }'
}
: >"$TMP/status"
for k in $(seq 5); do
	curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $T" "http://127.0.0.1:$P/api/status" |
		awk '{ print $1 * 1000 }' >>"$TMP/status"
done
echo "  /api/status (counts by kind, services), median of 5: $(median <"$TMP/status") ms"
base="SELECT id, body FROM records WHERE 1 AND kind IN ('log')"
search "newest 100 logs" "limit=100" \
	"$base ORDER BY ts DESC, id DESC LIMIT 100"
search "service=api level=error, newest 100" "service=api&level=error&limit=100" \
	"$base AND service = 'api' AND level >= 4 ORDER BY ts DESC, id DESC LIMIT 100"
search "q=timeout service=api, newest 100" "q=timeout&service=api&limit=100" \
	"$base AND service = 'api' AND id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH '\"timeout\"') ORDER BY ts DESC, id DESC LIMIT 100"
a=$(date -u -d "@$((T0 + 43200))" +%Y-%m-%dT%H:%M:%SZ) b=$(date -u -d "@$((T0 + 46800))" +%Y-%m-%dT%H:%M:%SZ)
search "q=connection refused, a 1 h window, 1000" \
	"q=connection%20refused&since=$a&until=$b&limit=1000" \
	"$base AND ts >= $((T0 + 43200))000000000 AND ts <= $((T0 + 46800))000000000 AND id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH '\"connection\" \"refused\"') ORDER BY ts DESC, id DESC LIMIT 1000"

# A 24 h metrics window: 24 h of samples at a 5 s interval (17 280 times) of
# one service's request counters (two codes) and its latency histogram (ten
# buckets), written into bi-metrics' tables as its scrapes would keep them;
# the figures of the window (/api/metrics, rate and quantiles) and one
# series' points (/api/metrics/series), against bi-metrics query --window 24h
# computing the same figures in a process of its own.
now=$(date +%s)000
sqlite3 "$BI_DB" <<SQL
BEGIN;
INSERT INTO metric_series (service, name, labels, type) VALUES
  ('bench', 'http_requests_total', '{"code":"200"}', 'counter'),
  ('bench', 'http_requests_total', '{"code":"500"}', 'counter');
INSERT INTO metric_series (service, name, labels, type)
  SELECT 'bench', 'http_request_duration_seconds_bucket', '{"le":"' || column1 || '"}', 'histogram'
  FROM (VALUES ('0.005'), ('0.01'), ('0.025'), ('0.05'), ('0.1'), ('0.25'), ('0.5'), ('1'), ('2.5'), ('+Inf'));
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 17279)
INSERT INTO metric_samples (series, ts, value)
  SELECT s.id, $now - (17279 - c.i) * 5000, c.i * 50.0 * CASE s.labels
      WHEN '{"code":"200"}' THEN 1.0 WHEN '{"code":"500"}' THEN 0.02
      WHEN '{"le":"0.005"}' THEN 0.1 WHEN '{"le":"0.01"}' THEN 0.2 WHEN '{"le":"0.025"}' THEN 0.35
      WHEN '{"le":"0.05"}' THEN 0.5 WHEN '{"le":"0.1"}' THEN 0.7 WHEN '{"le":"0.25"}' THEN 0.85
      WHEN '{"le":"0.5"}' THEN 0.95 WHEN '{"le":"1"}' THEN 0.99 ELSE 1.0 END
  FROM metric_series s, c WHERE s.service = 'bench';
COMMIT;
SQL
samples=$(sqlite3 "$BI_DB" "SELECT count(*) FROM metric_samples")
echo "metrics window: 24 h at 5 s, $samples samples of 12 series, median of 21"
: >"$TMP/ours"; : >"$TMP/series"; : >"$TMP/theirs"
for k in $(seq 21); do
	curl -s -o "$TMP/m.json" -w '%{time_total}\n' -H "Authorization: Bearer $T" \
		"http://127.0.0.1:$P/api/metrics?service=bench&window=24h" | awk '{ print $1 * 1000 }' >>"$TMP/ours"
	curl -s -o "$TMP/s.json" -w '%{time_total}\n' -H "Authorization: Bearer $T" \
		"http://127.0.0.1:$P/api/metrics/series?service=bench&name=http_requests_total&window=24h" |
		awk '{ print $1 * 1000 }' >>"$TMP/series"
	a=$(date +%s%N)
	bi-metrics query --window 24h --service bench >"$TMP/q.jsonl"
	b=$(date +%s%N)
	echo $(((b - a) / 1000)) | awk '{ print $1 / 1000 }' >>"$TMP/theirs"
done
ours=$(jq -c '.services[0].figures | {request_rate: .request_rate.value, p95: .latency_p95_ms.value}' "$TMP/m.json")
theirs=$(jq -sc 'map({(.name): .value}) | add | {request_rate, p95: .latency_p95_ms}' "$TMP/q.jsonl")
points=$(jq '[.series[].points | length] | add' "$TMP/s.json")
echo "  figures: bi-serve $ours, bi-metrics query $theirs"
o=$(median <"$TMP/ours") s2=$(median <"$TMP/series") w=$(median <"$TMP/theirs")
awk -v o="$o" -v s="$s2" -v w="$w" -v p="$points" 'BEGIN {
	printf "  /api/metrics?window=24h            bi-serve %7.1f ms  bi-metrics query %7.1f ms  ratio %.2f (goal: bi-serve < 100 ms)\n", o, w, w / o
	printf "  /api/metrics/series, %6d points  bi-serve %7.1f ms\n", p, s }'

# What the metrics view draws: the figures at 60 times across 24 h, each
# derived over its 24 min step, as one request.
: >"$TMP/hist"
for k in $(seq 21); do
	curl -s -o "$TMP/h.json" -w '%{time_total}\n' -H "Authorization: Bearer $T" \
		"http://127.0.0.1:$P/api/metrics/history?service=bench&window=24h&points=60" |
		awk '{ print $1 * 1000 }' >>"$TMP/hist"
done
awk -v h="$(median <"$TMP/hist")" -v n="$(jq '[.figures[] | map(select(. != null)) | length] | add' "$TMP/h.json")" 'BEGIN {
	printf "  /api/metrics/history, 60 times     bi-serve %7.1f ms  (%d values for the charts; goal < 100 ms)\n", h, n }'

# The page's first load, everything it needs (its files and the overview's
# answers over this store), as Chromium received it; without Chromium, the
# files alone as curl gets them.
NODE_MODULES=${BI_NODE_MODULES:-$ROOT/build/node/node_modules}
if [ -x /usr/bin/chromium ] && [ -d "$NODE_MODULES/puppeteer-core" ]; then
	mkdir -p "$TMP/shots"
	BI_NODE_MODULES=$NODE_MODULES node "$ROOT/tests/tools/dashboard-browser.js" \
		"http://127.0.0.1:$P/?token=$T" "$TMP/shots" >"$TMP/seen.json" 2>/dev/null
	echo "page weight: first load $(jq .first_load_bytes "$TMP/seen.json") bytes in Chromium, with the overview's answers over this store (goal < 300 KB)"
else
	w=0
	for f in / app.js style.css; do
		n=$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $T" "http://127.0.0.1:$P/${f#/}")
		w=$((w + n))
	done
	echo "page weight: $w bytes of files (no Chromium here to count the answers too; goal < 300 KB)"
fi
