#!/bin/sh
# Three writers into one database at once (bi-store put, bi-metrics scrape,
# bi-kb record), as they meet while the watcher writes all the time: none
# may fail with "database is locked", every record each wrote is there, and
# the database is intact. (A transaction begun as deferred and upgraded by a
# write fails at once while another writer holds the lock: every writer
# takes the lock up front and waits for it.)
. "$(dirname "$0")/../lib.sh"
plan 9
export BI_DB=$TMP/bi.db
cd "$TMP" || exit 1

# The records: 100,000 logs, each its own; the findings: 1,000, each a new
# incident; the metrics: a static exposition of 200 series, scraped 60 times.
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "{\"kind\":\"log\",\"ts\":\"2026-12-04T10:%02d:%02d.%03dZ\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"request %d served\"}\n",
		int(i / 100000 * 60), int(i / 1000) % 60, i % 1000, i }' >logs.jsonl
awk 'BEGIN { for (i = 0; i < 1000; i++)
	printf "{\"kind\":\"finding\",\"ts\":\"2026-12-04T10:00:00.000Z\",\"title\":\"problem number %d\",\"service\":\"svc%d\",\"signature\":\"sig-%d unique\",\"confidence\":50}\n", i, i, i }' >findings.jsonl
mkdir www
awk 'BEGIN { print "# TYPE writer_test_total counter"
	for (i = 0; i < 200; i++) printf "writer_test_total{n=\"%d\"} %d\n", i, i }' >www/metrics
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$port" --directory www >/dev/null 2>&1 &
srv=$!
at_exit "kill $srv 2>/dev/null"
i=0
until curl -fs "http://127.0.0.1:$port/metrics" >/dev/null || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done

bi-store put logs.jsonl 2>put.err & p1=$!
bi-metrics scrape --no-docker -i 0.05s -n 60 "w=http://127.0.0.1:$port/metrics" >/dev/null 2>scrape.err & p2=$!
bi-kb record findings.jsonl >/dev/null 2>kb.err & p3=$!
wait $p1; s1=$?
wait $p2; s2=$?
wait $p3; s3=$?
is "$s1 $(cat put.err)" "0 " "bi-store put ended well beside two other writers"
is "$s2 $(cat scrape.err)" "0 " "bi-metrics scrape ended well beside them"
is "$s3 $(cat kb.err)" "0 " "bi-kb record ended well beside them"

is "$(bi-store get --kind log | wc -l | tr -d ' ')" 100000 "every one of the 100,000 logs is stored"
is "$(bi-kb list | grep -c '"kind":"incident"')" 1000 "every one of the 1,000 findings is an incident"
got=$(bi-metrics export --format csv --window 24h --service w | grep -c ',writer_test_total,')
is "$got" 12000 "every sample of 60 scrapes of 200 series is kept"
is "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$BI_DB")" \
	ok "PRAGMA integrity_check: ok"

# Twice the same logs: stored once.
bi-store put logs.jsonl 2>/dev/null
is "$(bi-store get --kind log | wc -l | tr -d ' ')" 100000 "the same logs put again are not stored twice"

# Three processes opening a database that does not exist yet, at the same
# moment: the first turns it to WAL under an exclusive lock, and sqlite
# tells the others "locked" at once, without waiting. They must wait.
echo '{"kind":"log","ts":"2026-12-04T10:00:00Z","msg":"first"}' >one.jsonl
locked=0
for i in $(seq 100); do
	export BI_DB=$TMP/new$i.db
	bi-store put one.jsonl 2>e1 & a=$!
	bi-kb record one.jsonl >/dev/null 2>e2 & b=$!
	bi-metrics export --window 1h >/dev/null 2>e3 & c=$!
	wait $a $b $c
	cat e1 e2 e3 | grep -q . && locked=$((locked + 1)) && cat e1 e2 e3 >&2
done
is "$locked" 0 "100 times three processes opening a new database at once: none fails"
