#!/bin/sh
# bi-rca on the labelled incident corpus (tests/incidents/): each case's top
# finding names the pattern its `expected` file gives. Prints the top-1
# accuracy over the corpus; the goal is 90% or more.
. "$(dirname "$0")/../lib.sh"
cases=$(cd "$ROOT/tests/incidents" && for d in */; do [ -f "$d/expected" ] && echo "${d%/}"; done)
n=$(printf '%s\n' $cases | wc -l)
plan $((n + 1))
cd "$TMP" || exit 1
right=0
for c in $cases; do
	want=$(head -n 1 "$ROOT/tests/incidents/$c/expected")
	got=$(bi-rca --no-kb "$ROOT/tests/incidents/$c/records.jsonl" 2>/dev/null | head -n 1 |
		awk -F'"pattern":"' 'NF > 1 { split($2, a, "\""); print a[1] }')
	is "${got:-none}" "$want" "$c: top finding is $want"
	[ "$got" = "$want" ] && right=$((right + 1))
done
pct=$((right * 100 / n))
diag "top-1 accuracy over the corpus: $right/$n = $pct%"
[ $pct -ge 90 ]
exit_ok $? "top-1 accuracy $pct% is at least 90%"
