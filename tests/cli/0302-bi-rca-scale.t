#!/bin/sh
# bi-rca on a million log lines: peak memory (as /usr/bin/time -f %M tells)
# under 64 MiB, and no more for ten times the lines: it grows with the
# templates, not the lines.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || { plan 1; skip "/usr/bin/time is not installed"; exit 0; }
plan 4
cd "$TMP" || exit 1
gen() {	# LINES: one line in 20 an error, ids and numbers varying
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
		if (i % 20 == 0)
			printf "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:%02d:%02d.%03dZ\",\"service\":\"api\",\"level\":\"error\",\"msg\":\"payment %d for order ord_%x failed: upstream 10.0.%d.%d refused after %dms\"}\n", int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, i, i * 7, i % 256, i % 250, i % 3000
		else
			printf "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:%02d:%02d.%03dZ\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"GET /api/orders/%d 200\",\"attrs\":{\"status\":200,\"duration_ms\":%d.5}}\n", int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, i, i % 300 } }'
}
gen 100000 >small.jsonl
gen 1000000 >big.jsonl
/usr/bin/time -f %M -o small.mem bi-rca --no-kb small.jsonl >small.out 2>/dev/null
/usr/bin/time -f %M -o big.mem bi-rca --no-kb big.jsonl >big.out 2>/dev/null
small=$(tail -n 1 small.mem) big=$(tail -n 1 big.mem)
diag "peak memory: $small KiB for 100 000 lines, $big KiB for 1 000 000"
[ "$big" -lt 65536 ]
exit_ok $? "a million lines in under 64 MiB ($big KiB)"
[ "$big" -lt $((small + 4096)) ]
exit_ok $? "ten times the lines, not more memory"
is "$(grep -c '"kind":"finding"' big.out)" 1 "one finding"
grep -q '"count":50000,' big.out
exit_ok $? "... of 50 000 errors"
