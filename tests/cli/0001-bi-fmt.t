#!/bin/sh
# bi-fmt: records rendered, bad lines reported and skipped, quiet on SIGPIPE.
. "$(dirname "$0")/../lib.sh"
plan 23

log='{"kind":"log","ts":"2026-11-24T01:02:03.000Z","service":"api","level":"error","msg":"x"}'
out=$(printf 'not json\n%s\n' "$log" | bi-fmt 2>"$TMP/err"); st=$?
is "$out" "2026-11-24 01:02:03.000  ERROR  api  x" "a log record as a line"
exit_ok $st "exit 0 with a bad line skipped"
is "$(cat "$TMP/err")" "bi-fmt: stdin:1: malformed record (Invalid numeric literal at line 1, column 4), line skipped" \
	"line 1 reported on stderr"
printf 'not json\n%s\n' "$log" | bi-fmt --strict >/dev/null 2>&1
is $? 2 "--strict: exit 2"

# SIGPIPE: 50 MB of records into head -1 ends at once, with no message.
out=$(yes '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","msg":"x"}' | head -c 50000000 |
	bi-fmt 2>"$TMP/err" | head -1)
is "$out" "2026-11-24 01:02:03.000  -  -  x" "first line of 50 MB"
is "$(cat "$TMP/err")" "" "no Broken pipe message"

# Tables: aligned columns, a header, empty columns left out.
out=$(cat <<'IN' | bi-fmt
{"kind":"stats","ts":"2026-11-24T01:02:03.000Z","service":"app","container":"0123456789abcdef","cpu_pct":12.34,"mem_used":31457280,"mem_limit":1073741824,"mem_pct":2.93,"pids":4}
{"kind":"stats","ts":"2026-11-24T01:02:03.000Z","service":"redis","container":"fedcba9876543210","cpu_pct":null,"mem_used":3145728,"mem_limit":1073741824,"mem_pct":0.29,"pids":5}
IN
)
is "$out" "SERVICE  CONTAINER       CPU      MEM   LIMIT  MEM%  PIDS
app      0123456789ab  12.3%  30.0MiB  1.0GiB  2.9%     4
redis    fedcba987654      -   3.0MiB  1.0GiB  0.3%     5" "stats table"

out=$(printf '%s\n' '{"kind":"health","ts":"2026-11-24T01:02:03.000Z","service":"app","target":"http://127.0.0.1:8080/health","ok":true,"status":200,"latency_ms":3.2}' \
	'{"kind":"health","ts":"2026-11-24T01:02:03.000Z","service":"redis","target":"127.0.0.1:6379","ok":false,"msg":"connection refused"}' | bi-fmt)
is "$out" "✓ app ready (http://127.0.0.1:8080/health 200, 3.2ms)
✗ redis not ready (127.0.0.1:6379): connection refused" "health lines"

out=$(echo '{"kind":"mystery","ts":"2026-11-24T01:02:03.000Z","n":1,"s":"two words","a":[1,2]}' | bi-fmt)
is "$out" 'mystery ts=2026-11-24T01:02:03.000Z n=1 s="two words" a=[1,2]' "unknown kind as key=value"

out=$(printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","level":"error","msg":"boom","stack":"java.lang.X: boom\n\tat a.b(C.java:1)"}' | bi-fmt)
is "$out" "2026-11-24 01:02:03.000  ERROR  -  boom
    java.lang.X: boom
    	at a.b(C.java:1)" "stack trace indented under its log line"

# Colour: never with NO_COLOR or off a terminal; --color always forces it.
out=$(echo "$log" | bi-fmt --color always)
case $out in *"$(printf '\033')[31mERROR"*) exit_ok 0 "--color always paints an error red" ;; *) exit_ok 1 "--color always" ;; esac
out=$(echo "$log" | bi-fmt)
case $out in *"$(printf '\033')"*) exit_ok 1 "no colour into a pipe" ;; *) exit_ok 0 "no colour into a pipe" ;; esac

# A record is untrusted: its text shown whole (a NUL is not its end) and
# inert (no control character reaches the terminal), colour only our own.
E=$(printf '\033')
out=$(printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","service":"api","level":"info","msg":"before\u0000after"}' | bi-fmt)
is "$out" '2026-11-24 01:02:03.000  INFO  api  before\0after' "a NUL in a msg is shown, the text after it too"
out=$(printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","service":"api","level":"info","msg":"\u001b[31mred\u001b[0m \u001b[2J\u001b[H\rfake\u009b2J\u0007\nnext"}' |
	bi-fmt --color always)
is "$out" "${E}[2m2026-11-24 01:02:03.000${E}[0m  INFO  api  "'\e[31mred\e[0m \e[2J\e[H\rfake\u009b2J\x07\nnext' \
	"ESC, CR, C1 and newline in a msg written out; the only colour is ours"
out=$(printf '%s\n' '{"kind":"mystery","s\u001b[1m":"x\u0000\u001b]0;title\u0007y","t":"a b\u001b[2J"}' | bi-fmt --color always)
is "$out" 'mystery s\e[1m=x\0\e]0;title\x07y t="a b\e[2J"' "nor in an unknown kind's keys and values"
out=$(printf '%s\n' '{"kind":"health","service":"app\u001b[32m","ok":false,"msg":"down\u001b[2K\rup"}' | bi-fmt)
is "$out" '✗ app\e[32m not ready: down\e[2K\rup' "nor in a report"
out=$(printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","level":"error","msg":"boom","stack":"X: boom\n\tat a\u001b[8m(hidden)\u0000"}' | bi-fmt)
is "$out" "2026-11-24 01:02:03.000  ERROR  -  boom
    X: boom
    	at a"'\e[8m(hidden)\0' "a stack trace keeps its lines, nothing else"

# A finding: the service at fault, the others affected, the chain that
# links them in time order, a crash's signature; all inert.
out=$(cat <<'IN' | bi-fmt
{"kind":"finding","ts":"2026-11-24T05:00:09.000Z","title":"Connection refused in sessions, affecting cart and others","severity":"high","pattern":"connection-refused","service":"sessions","affected":["cart","checkout"],"count":3,"chain":[{"ts":"2026-11-24T05:00:00.000Z","service":"sessions","what":"container exited with code 139"},{"ts":"2026-11-24T05:00:00.250Z","service":"cart","what":"dial tcp sessions:6379: connect: connection refused\u001b[2J"}],"crash":{"signal":"SIGSEGV","exception":null,"frame":"main.c:42","count":2,"since":"2026-11-24T05:00:00.000Z"}}
IN
)
is "$out" 'Finding: Connection refused in sessions, affecting cart and others
  pattern     connection-refused
  service     sessions
  affected    cart, checkout
  count       3
  crash       SIGSEGV at main.c:42, 2 times since 2026-11-24T05:00:00.000Z
  chain:
    - 05:00:00.000 sessions: container exited with code 139
    - 05:00:00.250 cart: dial tcp sessions:6379: connect: connection refused\e[2J' \
	"a finding: affected, crash and chain, inert"
out=$(echo '{"kind":"finding","title":"Error in api: x","severity":"medium","service":"api","affected":[],"chain":[]}' | bi-fmt)
is "$out" 'Finding: Error in api: x
  service     api' "... none affected, no chain: no lines for them"

bi-fmt --color sometimes </dev/null >/dev/null 2>&1
is $? 2 "bad --color value: exit 2"
bi-fmt --help | head -1 | grep -q '^usage: bi-fmt'
exit_ok $? "--help prints usage on stdout"
is "$(bi-fmt --version)" "bi-fmt 0.1.0" "--version"
bi-fmt /nonexistent 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-fmt: cannot open /nonexistent: No such file or directory" "missing file"
