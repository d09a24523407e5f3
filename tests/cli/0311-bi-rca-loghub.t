#!/bin/sh
# Grouping accuracy of bi-rca --templates on Loghub's 2k samples (Zhu et al.,
# ICSE 2019; github.com/logpai/loghub), scored by the dataset's ga.py, with
# the same settings for every system: at least Drain's published figure on
# each. The samples are in tests/fixtures/loghub-2k (see its README: cite Loghub).
. "$(dirname "$0")/../lib.sh"
data=$ROOT/tests/fixtures/loghub-2k
need() {	# WHAT: skip without it, but fail under CI=true
	if [ "${CI:-}" = true ]; then
		plan 1
		exit_ok 1 "$1 is required under CI=true"
		exit 1
	fi
	plan 1
	skip "$1"
	exit 0
}
[ -f "$data/ga.py" ] || need "the Loghub samples ($data) are not here"
command -v python3 >/dev/null 2>&1 || need "python3 (to run ga.py) is not installed"
# system and Drain's figure, from the dataset's README
set -- HDFS 0.9975 Hadoop 0.9475 Spark 0.92 Zookeeper 0.9665 BGL 0.9625 \
	OpenStack 0.7325 Apache 1.0 HealthApp 0.78
plan $(($# / 2 + 1))
total=0
while [ $# -gt 0 ]; do
	sys=$1 drain=$2
	shift 2
	bi-rca --templates "$data/$sys.jsonl" 2>"$TMP/err" |
		awk -F'"template_id":"' '{ split($2, a, "\""); print a[1] }' >"$TMP/$sys.pred"
	ga=$(python3 "$data/ga.py" "$TMP/$sys.pred" "$data/$sys.truth" 2>&1)
	diag "$sys: $ga (Drain: $drain)"
	awk -v a="$ga" -v d="$drain" 'BEGIN { exit !(a + 0 >= d + 0 && a ~ /^[0-9.]+$/) }'
	exit_ok $? "$sys: grouping accuracy $ga >= $drain"
	total=$(awk -v t="$total" -v a="$ga" 'BEGIN { print t + a }')
done
mean=$(awk -v t="$total" 'BEGIN { printf "%.4f", t / 8 }')
diag "mean grouping accuracy: $mean (Drain: 0.9133 over these eight)"
awk -v m="$mean" 'BEGIN { exit !(m >= 0.9133) }'
exit_ok $? "mean $mean >= Drain's 0.9133"
