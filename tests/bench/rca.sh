#!/bin/sh
# Root-cause analysis on a million log lines (one in twenty an error, ids and
# numbers varying): bi-rca --templates lines per second, and bi-rca, which
# mines and ranks the errors as well, against jq -c 'select(.level=="error")'
# on the same file. Best of three; the goal is bi-rca at least 2x faster.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
f=$(mktemp)
trap 'rm -f "$f"' EXIT
awk 'BEGIN { for (i = 0; i < 1000000; i++) {
	ts = sprintf("2026-11-24T01:%02d:%02d.%03dZ", int(i / 60000) % 60, int(i / 1000) % 60, i % 1000)
	if (i % 20 == 0)
		printf "{\"kind\":\"log\",\"ts\":\"%s\",\"service\":\"api\",\"level\":\"error\",\"msg\":\"payment %d for order ord_%x failed: upstream 10.0.%d.%d timed out after %dms\",\"logger\":\"com.shop.Payments\",\"container\":\"4f2a9c1e7b3d\",\"source\":\"docker\"}\n", ts, i, i * 7, i % 256, i % 250, i % 3000
	else
		printf "{\"kind\":\"log\",\"ts\":\"%s\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"GET /api/orders/%d 200\",\"logger\":\"http\",\"container\":\"4f2a9c1e7b3d\",\"source\":\"docker\",\"attrs\":{\"status\":200,\"duration_ms\":%d.%03d}}\n", ts, i, i % 300, i % 1000 } }' >"$f"
n=$(wc -l <"$f" | tr -d ' ')
t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'; }
best() { b=999; for i in 1 2 3; do x=$(t "$@"); b=$(awk -v x="$x" -v b="$b" 'BEGIN { print (x < b) ? x : b }'); done; echo "$b"; }
tmpl=$(best bi-rca --templates "$f")
ours=$(best bi-rca --no-kb "$f")
theirs=$(best jq -c 'select(.level=="error")' "$f")
echo "root-cause analysis: $n log lines ($(du -h "$f" | cut -f1)), best of 3"
awk -v n="$n" -v t="$tmpl" -v o="$ours" -v p="$theirs" 'BEGIN {
	printf "  bi-rca --templates     %8.3f s  %10.0f lines/s (a template on every line)\n", t, n / t
	printf "  bi-rca                 %8.3f s  %10.0f lines/s (findings, ranked)\n", o, n / o
	printf "  jq select(error)       %8.3f s  %10.0f lines/s\n", p, n / p
	printf "  ratio %.2f (bi-rca faster when > 1; goal 2)\n", p / o }'
# --templates against jq on the same file (goal: 500k lines/s on one core),
# and its peak memory over the first 100k lines and over all: flat when equal.
awk -v n="$n" -v t="$tmpl" -v p="$theirs" 'BEGIN {
	printf "  ratio %.2f for --templates (%.0f vs jq %.0f lines/s; goal >= 500000 lines/s)\n", p / t, n / t, n / p }'
if [ -x /usr/bin/time ]; then
	small=$(head -n 100000 "$f" | /usr/bin/time -f %M bi-rca --templates 2>&1 >/dev/null | tail -1)
	big=$(/usr/bin/time -f %M bi-rca --templates "$f" 2>&1 >/dev/null | tail -1)
	echo "  bi-rca --templates peak RSS: $small KB over 100k lines, $big KB over $n"
fi
