#!/bin/sh
# The exposition parser: samples per second on two large exposition files,
# bi-metrics parse --check (the strict reading, as promtool's) against
# promtool check metrics on the same file; the goal is 3 times promtool's
# speed. The files: one histogram family with many label sets, as a big
# service has; and many small families, each with HELP and TYPE, as an
# exporter has, with UTF-8 in label values and escapes in HELP. Each must
# pass the check with every sample counted, or the figure means nothing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
# 200 000 samples of one histogram family.
with open(d + "/histogram.prom", "w") as o:
    o.write("# HELP http_request_duration_seconds Time to answer.\n# TYPE http_request_duration_seconds histogram\n")
    for i in range(200000 // 14):
        lab = f'method="GET",path="/api/v1/items/{i % 500}",status="{200 + i % 3}",instance="pod-{i % 40}"'
        c = 0
        for le in (".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10", "+Inf"):
            c += i % 7 + 1
            o.write(f'http_request_duration_seconds_bucket{{{lab},le="{le}"}} {c}\n')
        o.write(f"http_request_duration_seconds_sum{{{lab}}} {c * 0.042:.6f}\n")
        o.write(f"http_request_duration_seconds_count{{{lab}}} {c}\n")
# 100 000 samples of 25 000 families.
with open(d + "/families.prom", "w") as o:
    for i in range(25000):
        n = f"exporter_thing_{i}_total"
        o.write(f"# HELP {n} Things counted, by path \\\\ and code.\\nSee the docs.\n# TYPE {n} counter\n")
        for k in range(4):
            o.write(f'{n}{{path="/caf\u00e9/{i % 97}/{k}",code="{200 + k}"}} {i * 1.5 + k} 1764800000{k:03d}\n')
PY
t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'; }
best() { b=999; for i in 1 2 3; do x=$(t "$@"); b=$(awk -v x="$x" -v b="$b" 'BEGIN { print (x < b) ? x : b }'); done; echo "$b"; }
for name in histogram families; do
	f=$TMP/$name.prom
	n=$(grep -vc '^#' "$f")
	got=$(bi-metrics parse --check "$f" | sed -n 's/.*"value":\([0-9]*\).*/\1/p')
	if [ "$got" != "$n" ]; then
		echo "exposition parser, $name: bi-metrics parse --check counts '$got' samples, not $n" >&2
		exit 1
	fi
	promtool check metrics <"$f" >/dev/null 2>&1
	case $? in 0|3) ;; *) echo "exposition parser, $name: promtool refuses the file" >&2; exit 1 ;; esac
	ours=$(best bi-metrics parse --check "$f")
	theirs=$(best sh -c "promtool check metrics <'$f'")
	echo "exposition parser, $name: $n samples ($(du -h "$f" | cut -f1)), best of 3"
	awk -v n="$n" -v o="$ours" -v p="$theirs" 'BEGIN {
		printf "  bi-metrics parse --check %8.3f s  %10.0f samples/s\n", o, n / o
		printf "  promtool check metrics   %8.3f s  %10.0f samples/s\n", p, n / p
		printf "  ratio %.2f (bi-metrics faster when > 1; goal >= 3)\n", p / o }'
done
f=$TMP/histogram.prom
recs=$(best bi-metrics parse "$f")
awk -v n="$(grep -vc '^#' "$f")" -v r="$recs" \
	'BEGIN { printf "  (bi-metrics parse of the histogram, a record per sample: %.3f s, %.0f samples/s)\n", r, n / r }'
