#!/bin/sh
# The exposition parser: samples per second on a large exposition file, bi-metrics
# parse against promtool check metrics on the same file.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
f=$(mktemp)
trap 'rm -f "$f"' EXIT
# 200 000 samples: a histogram family with many label sets, as a big service has.
python3 - "$f" <<'PY'
import sys
with open(sys.argv[1], "w") as o:
    o.write("# HELP http_request_duration_seconds Time to answer.\n# TYPE http_request_duration_seconds histogram\n")
    for i in range(200000 // 14):
        lab = f'method="GET",path="/api/v1/items/{i % 500}",status="{200 + i % 3}",instance="pod-{i % 40}"'
        c = 0
        for le in (".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10", "+Inf"):
            c += i % 7 + 1
            o.write(f'http_request_duration_seconds_bucket{{{lab},le="{le}"}} {c}\n')
        o.write(f"http_request_duration_seconds_sum{{{lab}}} {c * 0.042:.6f}\n")
        o.write(f"http_request_duration_seconds_count{{{lab}}} {c}\n")
PY
n=$(grep -vc '^#' "$f")
t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'; }
best() { b=999; for i in 1 2 3; do x=$(t "$@"); b=$(awk -v x="$x" -v b="$b" 'BEGIN { print (x < b) ? x : b }'); done; echo "$b"; }
ours=$(best bi-metrics parse --check "$f")
recs=$(best bi-metrics parse "$f")
theirs=$(best sh -c "promtool check metrics <'$f'")
echo "exposition parser: $n samples ($(du -h "$f" | cut -f1)), best of 3"
awk -v n="$n" -v o="$ours" -v p="$theirs" -v r="$recs" 'BEGIN {
	printf "  bi-metrics parse --check %8.3f s  %10.0f samples/s\n", o, n / o
	printf "  promtool check metrics   %8.3f s  %10.0f samples/s\n", p, n / p
	printf "  ratio %.2f (bi-metrics faster when > 1)\n", p / o
	printf "  (bi-metrics parse, a record per sample: %.3f s, %.0f samples/s)\n", r, n / r }'
