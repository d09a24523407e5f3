#!/bin/sh
# bi-rca on the labelled incident corpus (tests/incidents/): each case's top
# finding names the pattern its `expected` file gives. Prints the top-1
# accuracy apart for the cases captured for real and for those written by
# hand (tests/incidents/sources says which is which); the goal is 90% or
# more on each. A case whose expected pattern this build's knowledge base
# does not have yet (`bi-kb patterns`) still counts as a miss, and says so.
. "$(dirname "$0")/../lib.sh"
inc=$ROOT/tests/incidents
cases=$(cd "$inc" && for d in */; do [ -f "$d/expected" ] && echo "${d%/}"; done)
n=$(printf '%s\n' $cases | wc -l)
plan $((n + 3))
cd "$TMP" || exit 1
known=$(bi-kb patterns 2>/dev/null | awk -F'"id":"' 'NF > 1 { split($2, a, "\""); print a[1] }')
for kind in captured handwritten; do
	eval "right_$kind=0 all_$kind=0"
done
unlabelled=
for c in $cases; do
	want=$(head -n 1 "$inc/$c/expected")
	src=$(awk -v c="$c" '$1 == c { print $2 }' "$inc/sources")
	case $src in
	captured | handwritten) ;;
	*) unlabelled="$unlabelled $c"; src=unlabelled ;;
	esac
	got=$(bi-rca --no-kb "$inc/$c/records.jsonl" 2>/dev/null | head -n 1 |
		awk -F'"pattern":"' 'NF > 1 { split($2, a, "\""); print a[1] }')
	printf '%s\n' "$known" | grep -qx "$want" || diag "$c: '$want' is not in this build's patterns"
	is "${got:-none}" "$want" "$c ($src): top finding is $want"
	[ "$src" = unlabelled ] && continue
	eval "all_$src=\$((all_$src + 1))"
	[ "$got" = "$want" ] && eval "right_$src=\$((right_$src + 1))"
done
is "${unlabelled:-none}" none "every case says in tests/incidents/sources how it was made"
for kind in captured handwritten; do
	eval "r=\$right_$kind a=\$all_$kind"
	pct=$((a > 0 ? r * 100 / a : 0))
	diag "top-1 accuracy, $kind cases: $r/$a = $pct%"
	[ "$a" -gt 0 ] && [ $pct -ge 90 ]
	exit_ok $? "top-1 accuracy on $kind cases, $pct%, is at least 90%"
done
