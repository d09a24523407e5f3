#!/bin/sh
# Real processes fail, and bi-collect makes the records an analysis needs:
# tests/incidents/capture-real.sh runs three of its cases into a temporary
# directory (a Python importer's chained traceback, a Node.js job's uncaught
# TypeError, nginx whose upstream's process dies), and each failure must come
# out as one error record with its stack, with the statuses of nginx's access
# log counted; nothing the script started is left behind.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 14

out=$TMP/captures
mkdir -p "$out"
BI_CAPTURE_OUT=$out "$ROOT/tests/incidents/capture-real.sh" python-crash node-crash nginx-upstream-down \
	>"$TMP/log" 2>&1
st=$?
[ $st -eq 0 ] || sed 's/^/#   /' "$TMP/log"
exit_ok $st "capture-real.sh ran three cases"

logs() {	# CASE JQ-FILTER: how many log records pass the filter
	jq -c "select(.kind == \"log\") | select($2)" "$out/$1/records.jsonl" 2>/dev/null | wc -l
}
dies() {	# CASE EXIT-CODE
	jq -c "select(.kind == \"container\" and .action == \"die\" and .exit_code == $2)" \
		"$out/$1/records.jsonl" 2>/dev/null | wc -l
}

# Python: each of the three runs is one error record named by the outer
# exception, with both tracebacks; no empty record between them, and the
# info line before each stays an info line with no stack.
is "$(logs python-crash '.level == "error" and .msg == "ValueError: cannot price order 18"')" 3 \
	"python: one error record per crash, named by the last exception"
is "$(logs python-crash '.stack // "" | contains("KeyError") and contains("The above exception was the direct cause")')" 3 \
	"python: the chained traceback is in its stack"
is "$(logs python-crash '.msg == ""')" 0 "python: no record for the blank lines between the traces"
is "$(logs python-crash '(.msg | startswith("INFO:")) and has("stack")')" 0 "python: no info line took a traceback"
is "$(dies python-crash 1)" 3 "python: died three times with status 1"

# Node.js: the report of the uncaught exception is one record.
is "$(logs node-crash '.level == "error" and (.msg | startswith("TypeError: Cannot read properties of undefined")) and (.stack // "" | contains("at payout"))')" 3 \
	"node: one error record per crash, with its frames"
is "$(logs node-crash '.msg | test("^/opt/real/crash.js:[0-9]+$")')" 0 "node: the FILE:LINE header is not a record of its own"
is "$(dies node-crash 1)" 3 "node: died three times with status 1"

# nginx: 502s from the access log, connect() failed from the error log.
n502=$(logs nginx-upstream-down '.service == "proxy" and .status == 502 and .level == "error"')
[ "$n502" -gt 0 ]
exit_ok $? "nginx: access log lines with 502 are errors with their status ($n502)"
n200=$(logs nginx-upstream-down '.service == "proxy" and .status == 200 and .level == "info"')
[ "$n200" -gt 0 ]
exit_ok $? "nginx: 200s are info with their status ($n200)"
nref=$(logs nginx-upstream-down '.level == "error" and (.msg | contains("(111: Connection refused) while connecting to upstream"))')
[ "$nref" -gt 0 ]
exit_ok $? "nginx: its error log's connect() failed lines are errors ($nref)"

is "$(docker ps -aq --filter label=org.blissful-infra.capture | wc -l)" 0 "no container of the captures is left"
is "$(docker network ls -q --filter label=org.blissful-infra.capture | wc -l)" 0 "no network of the captures is left"
