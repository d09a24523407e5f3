#!/bin/sh
# bi-store put loses nothing silently: a record without a valid ts (none, not
# a time, or a time past 2262 that 64-bit nanoseconds cannot hold) is kept
# under the time it arrived, not filed at the epoch where the retention
# takes it at once; a record too big for the store is refused rather than
# evicting its neighbours; each is said once on stderr, with a count.
. "$(dirname "$0")/../lib.sh"
plan 7
cd "$TMP" || exit 1
printf 'name: drops\nlogs:\n  retention:\n    max_size: 1MB\n' >blissful-infra.yaml
export BI_DB=$TMP/bi.db
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
big=$(head -c 700000 /dev/zero | tr '\0' x)
{
	for i in 1 2 3; do
		printf '{"kind":"log","ts":"%s","level":"info","msg":"kept %d"}\n' "$now" "$i"
	done
	printf '{"kind":"log","level":"info","msg":"no ts"}\n'
	printf '{"kind":"log","ts":"yesterday-ish","level":"info","msg":"not a time"}\n'
	printf '{"kind":"log","ts":"2300-01-01T00:00:00.000Z","level":"info","msg":"past 2262"}\n'
	printf '{"kind":"log","ts":"%s","level":"info","msg":"%s"}\n' "$now" "$big"
} >in.jsonl
bi-store put in.jsonl 2>err
is "$?" 0 "put ends well"
is "$(grep -c 'without a valid ts' err)" 1 "the records without a valid ts are said once"
grep -q '^bi-store: 3 records without a valid ts: kept under the time they arrived$' err
exit_ok $? "with their count"
grep -q '^bi-store: 1 record larger than half of logs.retention.max_size not stored (the first: in.jsonl:7 (700[0-9]* bytes))$' err
exit_ok $? "the record too big for the store is said, with where it was"
is "$(wc -l <err | tr -d ' ')" 2 "and nothing else is said"
is "$(bi-store get --kind log | grep -c '"msg":"\(kept\|no ts\|not a time\|past 2262\)')" 6 \
	"the three records and the three without a valid ts are all kept"
bi-store prune
is "$(bi-store get --kind log | wc -l | tr -d ' ')" 6 "and a prune keeps them"
