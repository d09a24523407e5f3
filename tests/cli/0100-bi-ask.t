#!/bin/sh
# bi-ask: model choice, streaming to a terminal, the context within its
# budget, answers without a model, and each failure of the server, against
# tests/tools/fake-llm.py (a stand-in server on 127.0.0.1).
. "$(dirname "$0")/../lib.sh"
plan 80

FAKE=$ROOT/tests/tools/fake-llm.py
unset OLLAMA_HOST OPENAI_API_KEY BI_PROJECT_DIR
cd "$TMP" || exit 1

serve() {	# NAME [fake-llm options]: start a stand-in server; its URL in $URL
	_name=$1
	shift
	/usr/bin/python3 "$FAKE" --port-file "$TMP/$_name.port" --log "$TMP/$_name.log" "$@" &
	eval "PID_$_name=$!"
	at_exit "kill $! 2>/dev/null"
	_i=0
	while [ ! -s "$TMP/$_name.port" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	URL=http://127.0.0.1:$(cat "$TMP/$_name.port")
}
field() { jq -r "$1" "$2"; }	# JQ FILE

# ---- a fixed input: 60 logs (6 errors), containers, health, stats, commits, findings

fx=$TMP/fixed.jsonl
i=0
while [ $i -lt 60 ]; do
	ts=$(printf '2026-11-24T01:00:%02d.000Z' $i)
	case $i in
	10|20|30) printf '{"kind":"log","ts":"%s","service":"api","level":"error","msg":"connection to 10.0.0.%d:5432 refused"}\n' "$ts" $i ;;
	15|45) printf '{"kind":"log","ts":"%s","service":"api","level":"error","msg":"order %d failed"}\n' "$ts" $((i * 1001)) ;;
	50) printf '{"kind":"log","ts":"%s","service":"worker","level":"fatal","msg":"OutOfMemoryError: Java heap space"}\n' "$ts" ;;
	*) printf '{"kind":"log","ts":"%s","service":"api","level":"info","msg":"GET /hello %d"}\n' "$ts" $i ;;
	esac
	i=$((i + 1))
done >"$fx"
cat >>"$fx" <<'EOF'
{"kind":"container","ts":"2026-11-24T01:01:00.000Z","service":"api","container":"aaaaaaaaaaaa","action":"die","exit_code":137}
{"kind":"container","ts":"2026-11-24T01:01:01.000Z","service":"api","container":"aaaaaaaaaaaa","action":"start"}
{"kind":"container","ts":"2026-11-24T01:01:02.000Z","service":"worker","container":"bbbbbbbbbbbb","action":"status","state":"exited","uptime":"0s","restarts":3}
{"kind":"health","ts":"2026-11-24T01:01:03.000Z","service":"api","target":"http://127.0.0.1:8080/health","ok":false,"msg":"connection refused"}
{"kind":"health","ts":"2026-11-24T01:01:04.000Z","service":"api","target":"http://127.0.0.1:8080/health","ok":true,"status":200}
{"kind":"stats","ts":"2026-11-24T01:01:05.000Z","service":"api","container":"aaaaaaaaaaaa","cpu_pct":10,"mem_used":104857600,"mem_limit":1073741824,"mem_pct":9.8,"pids":4}
{"kind":"stats","ts":"2026-11-24T01:01:06.000Z","service":"api","container":"aaaaaaaaaaaa","cpu_pct":55.5,"mem_used":209715200,"mem_limit":1073741824,"mem_pct":19.5,"pids":5}
{"kind":"finding","ts":"2026-11-24T01:02:00.000Z","title":"api cannot reach postgres","service":"api","pattern":"connection refused","confidence":80,"count":3,"root_cause":"postgres is down"}
{"kind":"finding","ts":"2026-11-24T01:02:00.000Z","title":"worker runs out of memory","service":"worker","pattern":"out of memory","confidence":60,"count":1,"root_cause":"the heap is too small","fixes":["raise -Xmx"]}
{"kind":"chaos","ts":"2026-11-24T01:02:01.000Z","scenario":"pod-kill","status":"passed"}
EOF
i=1
while [ $i -le 12 ]; do
	printf '{"kind":"commit","ts":"2026-11-24T00:%02d:00.000Z","sha":"c%02d","author":"Ada","msg":"change %d","files_changed":1,"insertions":2,"deletions":1}\n' $i $i $i
	i=$((i + 1))
done >>"$fx"

# ---- model detection

serve main --models "llama3.1:8b,llama3:8b" --reply "The api service cannot reach postgres."
MAIN=$URL
OLLAMA_HOST=$URL bi-ask "why is api down?" <"$fx" >"$TMP/out" 2>"$TMP/err"
exit_ok $? "an answer: exit 0"
is "$(cat "$TMP/err")" "bi-ask: using model llama3.1:8b (not installed: llama3.1:70b)" \
	"no 70B model: the 8B one is chosen, and said so"
is "$(tail -n 1 "$TMP/main.log" | jq -r .model)" "llama3.1:8b" "the 8B model is the one asked"
is "$(jq -c '[.kind, .question, .model, .answer, .tokens, .offline, (.duration_ms | type)]' "$TMP/out")" \
	'["answer","why is api down?","llama3.1:8b","The api service cannot reach postgres.",6,false,"number"]' \
	"off a terminal: one answer record, tokens from the final chunk's eval_count"
req=$(tail -n 1 "$TMP/main.log")
is "$(printf '%s' "$req" | jq -c '[.stream, (.messages | map(.role)), .messages[1].content, .options.num_ctx]')" \
	'[true,["system","user"],"why is api down?",14336]' "the request: streamed, the context then the question, a context window for the budget"
printf '%s' "$req" | jq -r '.messages[0].content' | grep -q '^- 3 times \[api\] connection to <ip> refused'
exit_ok $? "the records went with it, errors grouped"

OLLAMA_HOST=$URL bi-ask --model llama3:8b "why?" <"$fx" >"$TMP/out" 2>"$TMP/err"
is "$(cat "$TMP/err"):$(jq -r .model "$TMP/out"):$(tail -n 1 "$TMP/main.log" | jq -r .model)" \
	"bi-ask: using model llama3:8b:llama3:8b:llama3:8b" "--model overrides the preferences"

serve big --models "llama3:70b,llama3.1:70b,llama3.1:8b"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null 2>"$TMP/err" >/dev/null
is "$(cat "$TMP/err")" "bi-ask: using model llama3.1:70b" "the first preference, when installed"
serve other --models "mistral:latest,phi3:mini"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null 2>"$TMP/err" >/dev/null
is "$(cat "$TMP/err")" "bi-ask: using model mistral:latest (not installed: llama3.1:70b, llama3.1:8b, llama3:70b, llama3:8b)" \
	"none preferred: any installed model"
mkdir -p "$TMP/proj"
printf 'name: demo\nagent:\n  models: [llama3:70b, phi3]\n' >"$TMP/proj/blissful-infra.yaml"
(cd "$TMP/proj" && OLLAMA_HOST=$URL bi-ask "why?" </dev/null 2>"$TMP/err" >/dev/null)
is "$(cat "$TMP/err")" "bi-ask: using model mistral:latest (not installed: llama3:70b, phi3)" \
	"agent.models from blissful-infra.yaml; a name without a tag matches :latest only"
printf 'name: demo\nagent:\n  models: [llama3:70b, mistral]\n' >"$TMP/proj/blissful-infra.yaml"
(cd "$TMP/proj" && OLLAMA_HOST=$URL bi-ask "why?" </dev/null 2>"$TMP/err" >/dev/null)
is "$(cat "$TMP/err")" "bi-ask: using model mistral:latest (not installed: llama3:70b)" \
	"a preference without a tag matches NAME:latest"

# OpenAI-compatible: /v1/models, SSE, the key from the environment.
serve oa --models "llama3.1:8b" --key sekrit --reply "Postgres is down."
OPENAI_API_KEY=sekrit bi-ask --api openai --base-url "$URL/v1" "why?" <"$fx" >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -c '[.model, .answer, .tokens]' "$TMP/out")" '0:["llama3.1:8b","Postgres is down.",3]' \
	"OpenAI-compatible server: SSE chunks up to data: [DONE], the key sent"
bi-ask --api openai --base-url "$URL" "why?" </dev/null >/dev/null 2>"$TMP/err"
st=$?
grep -q "^bi-ask: $URL/v1/models: HTTP 401: " "$TMP/err"
exit_ok $(( $? + st - 3 )) "no key: the server's refusal, exit 3"

# ---- streaming on a terminal

serve slow --mode slow --delay 0.5 --events "$TMP/events" --reply "alpha beta gamma delta"
: >"$TMP/events"
OLLAMA_HOST=$URL script -qefc "bi-ask 'what now?'" /dev/null >"$TMP/pty" 2>&1 &
spid=$!
seen=
i=0
while [ $i -lt 500 ]; do
	if grep -q alpha "$TMP/pty"; then
		seen=$(grep -c '^sent' "$TMP/events")
		break
	fi
	sleep 0.02
	i=$((i + 1))
done
wait $spid
st=$?
exit_ok $([ -n "$seen" ] && [ "$seen" -lt 4 ]; echo $?) \
	"the first chunk is on the terminal before the server sends the last (chunks sent then: ${seen:-none} of 4)"
is "$st:$(tr -d '\r' <"$TMP/pty" | grep -v '^bi-ask: using')" "0:alpha beta gamma delta" \
	"on a terminal: the text, not a record"

# ---- the context within its budget

awk 'BEGIN {
	srand(1)
	split("api api checkout checkout worker worker api gateway worker ci db db", svc, " ")
	split("users orders carts", db, " ")
	for (i = 0; i < 100000; i++) {
		ts = sprintf("2026-11-24T%02d:%02d:%02d.%03dZ", 1 + int(i / 36000), int(i / 600) % 60, int(i / 10) % 60, (i % 10) * 100)
		r = int(rand() * 100000)
		if (i % 10 == 0) {
			t = (i / 10) % 12
			u = sprintf("%08x-%04x-%04x-%04x-%04x%08x", rand() * 4294967295, rand() * 65535,
				rand() * 65535, rand() * 65535, rand() * 65535, rand() * 4294967295)
			if (t == 0) m = sprintf("connection to 10.0.%d.%d:5432 refused", r % 256, r % 200)
			if (t == 1) m = sprintf("order %d failed: payment declined", r)
			if (t == 2) m = sprintf("request %s timed out after %d ms", u, r % 5000)
			if (t == 3) m = sprintf("cannot open /srv/data/%s.db: permission denied", db[1 + r % 3])
			if (t == 4) m = sprintf("bad pointer 0x%x in worker %d", r * 4096, r % 16)
			if (t == 5) m = sprintf("session %08x%08x expired", rand() * 4294967295, r)
			if (t == 6) m = sprintf("user_id=%d not found", r)
			if (t == 7) m = sprintf("upstream http://10.1.2.%d:8080/api/v%d returned 502", r % 250, r % 3)
			if (t == 8) m = sprintf("disk /dev/sd%s full", substr("abcd", 1 + r % 4, 1))
			if (t == 9) m = sprintf("retry %d of 5 for job build-%d", r % 5, r)
			if (t == 10) m = "OutOfMemoryError: Java heap space"
			if (t == 11) m = "lock wait timeout exceeded; try restarting transaction"
			printf "{\"kind\":\"log\",\"ts\":\"%s\",\"service\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, svc[t + 1], t == 10 ? "fatal" : "error", m
		} else if (i % 10 == 5) {
			printf "{\"kind\":\"log\",\"ts\":\"%s\",\"service\":\"api\",\"level\":\"warn\",\"msg\":\"slow query took %d ms on shard %d\"}\n", ts, r % 900, r % 7
		} else {
			printf "{\"kind\":\"log\",\"ts\":\"%s\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"GET /api/orders/%d 200 in %d ms\"}\n", ts, r, r % 90
		}
	}
}' >"$TMP/big.jsonl"
grep -m 1 '"kind":"finding"' "$fx" >>"$TMP/big.jsonl"
is "$(wc -l <"$TMP/big.jsonl" | tr -d ' ')" 100001 "100 000 log lines and a finding"

: >"$TMP/main.log"
OLLAMA_HOST=$MAIN bi-ask --show-prompt "what broke?" <"$TMP/big.jsonl" >"$TMP/prompt"
exit_ok $? "--show-prompt: exit 0"
is "$(wc -c <"$TMP/main.log" | tr -d ' ')" 0 "--show-prompt sends nothing"
bytes=$(wc -c <"$TMP/prompt")
exit_ok $([ "$bytes" -le 24000 ]; echo $?) "the prompt from 100 000 lines stays under 6000 tokens ($bytes bytes)"
is "$(sed -n '/^## Error logs/,/^$/p' "$TMP/prompt" | sed 's/ (first .*//')" \
"## Error logs: 10000 lines in 12 groups by message template, most frequent first
- 834 times [api] connection to <ip> refused
- 834 times [api] order <num> failed: payment declined
- 834 times [checkout] request <uuid> timed out after <num> ms
- 834 times [checkout] cannot open <path>: permission denied
- 833 times [worker] bad pointer <hex> in worker <num>
- 833 times [worker] session <hex> expired
- 833 times [api] user_id=<num> not found
- 833 times [gateway] upstream <url> returned <num>
- 833 times [worker] disk <path> full
- 833 times [ci] retry <num> of <num> for job build-<num>
- 833 times [db] OutOfMemoryError: Java heap space
- 833 times [db] lock wait timeout exceeded; try restarting transaction" "every distinct error template kept, with its count (numbers, ips, uuids, paths, hex masked)"
is "$(grep '^## ' "$TMP/prompt" | cut -c1-24)" "## Root-cause findings (
## Error logs: 10000 lin
## Warnings: 10000 lines
## The last log lines (1" "findings first, then errors, then the rest"
grep -q '^- 10000 times \[api\] slow query took <num> ms on shard <num>' "$TMP/prompt"
exit_ok $? "warnings grouped too"
tail -n 2 "$TMP/prompt" | head -n 1 | grep -q '^=== user$'
exit_ok $? "the question last"
bi-ask --show-prompt --budget 500 "what broke?" <"$TMP/big.jsonl" >"$TMP/prompt"
bytes=$(wc -c <"$TMP/prompt")
exit_ok $([ "$bytes" -le 2000 ]; echo $?) "--budget 500: at most 2000 bytes ($bytes)"
grep -q '^(.* more items left out to fit the budget)$' "$TMP/prompt"
exit_ok $? "what was left out is counted"
grep -q '^- 834 times \[api\] connection to <ip> refused' "$TMP/prompt"
exit_ok $? "the most frequent error is kept first"

# ---- answers without a model

bi-ask --offline "show me recent logs" <"$fx" >"$TMP/out"
is "$?:$(jq -c '[.model, .offline, (.evidence | length), .evidence[0].ts, .evidence[49].ts]' "$TMP/out")" \
	'0:[null,true,50,"2026-11-24T01:00:10.000Z","2026-11-24T01:00:59.000Z"]' "recent logs: the last 50 log records"
is "$(jq -r .answer "$TMP/out" | sed -n '1p;51p')" "No model was used: the last 50 of the 60 log records given.
2026-11-24T01:00:59.000Z info [api] GET /hello 59" "... and says no model was used"

bi-ask --offline "what errors are there?" <"$fx" >"$TMP/out"
is "$(jq -r .answer "$TMP/out")" "No model was used: the 6 error lines given, in 3 groups by message template, most frequent first.
     3  [api] connection to <ip> refused
        first 2026-11-24T01:00:10.000Z, last 2026-11-24T01:00:30.000Z: connection to 10.0.0.30:5432 refused
     2  [api] order <num> failed
        first 2026-11-24T01:00:15.000Z, last 2026-11-24T01:00:45.000Z: order 45045 failed
     1  [worker] OutOfMemoryError: Java heap space
        first 2026-11-24T01:00:50.000Z, last 2026-11-24T01:00:50.000Z: OutOfMemoryError: Java heap space" \
	"errors: grouped with counts"
is "$(jq -c '[.evidence[].msg]' "$TMP/out")" \
	'["connection to 10.0.0.30:5432 refused","order 45045 failed","OutOfMemoryError: Java heap space"]' \
	"... the latest record of each group as evidence"

bi-ask --offline status <"$fx" >"$TMP/out"
is "$(jq -r .answer "$TMP/out")" "No model was used: the latest state of each container, health check and container's stats given.
2026-11-24T01:01:01.000Z api start
worker: exited, up 0s, 3 restarts
api: ready (http://127.0.0.1:8080/health)
api: cpu 55.5%, memory 200.0 MiB of 1024.0 MiB (19.5%), 5 pids" "status: the latest container, health and stats records"

bi-ask --offline "recent commits" <"$fx" >"$TMP/out"
is "$(jq -r '[.evidence[].sha] | join(" ")' "$TMP/out")" "c12 c11 c10 c09 c08 c07 c06 c05 c04 c03" \
	"recent commits: the last ten, newest first"

bi-ask --offline "why did the worker fail?" <"$fx" >"$TMP/out"
is "$(jq -r .answer "$TMP/out")" "No model was used: bi-rca's top finding for worker.
worker runs out of memory (confidence 60%; service worker; pattern out of memory; 1 times, ? to ?)
  root cause: the heap is too small
  fixes: raise -Xmx" "why did X fail: the finding about X"
bi-ask --offline "why did it fail" <"$fx" >"$TMP/out"
is "$(jq -r '.evidence[0].title, (.answer | split("\n")[0])' "$TMP/out")" "api cannot reach postgres
No model was used: bi-rca's top finding." "why did it fail: the most confident finding"
bi-ask --offline "why is the gateway slow?" <"$fx" >"$TMP/out"
is "$(jq -r '.evidence[0].title, (.answer | split("\n")[0])' "$TMP/out")" "api cannot reach postgres
No model was used, and no bi-rca finding names gateway: the most confident one is" \
	"why did X fail, and no finding names X: says so, and gives the most confident"

serve gone
kill "$PID_gone"
wait "$PID_gone" 2>/dev/null
GONE=$URL
OLLAMA_HOST=$GONE bi-ask "show me recent logs" <"$fx" >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -c '[.offline, (.evidence | length)]' "$TMP/out")" "0:[true,50]" "no server: a common question answered offline"
is "$(cat "$TMP/err")" "bi-ask: no Ollama server answers at $GONE (Couldn't connect to server); start one with: ollama serve; answering without a model" \
	"... saying why"
OLLAMA_HOST=$GONE script -qefc "bi-ask -c $fx 'recent commits'" /dev/null >"$TMP/pty" 2>&1
is "$(tr -d '\r' <"$TMP/pty" | sed -n '2,3p')" "No model was used: the last 10 of the 12 commits given, newest first.
c12 2026-11-24T00:12:00.000Z Ada: change 12 (+2 -1, 1 files)" "on a terminal: the offline answer as text"
bi-ask --offline "write me a poem" <"$fx" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-ask: no model with --offline, and without a model I can answer: show me recent logs, what errors are there, status, recent commits, why did SERVICE fail" \
	"--offline and a question that needs a model: exit 2"

# ---- failures

OLLAMA_HOST=$GONE bi-ask "explain the architecture" <"$fx" >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err"):$(cat "$TMP/out")" "3:bi-ask: no Ollama server answers at $GONE (Couldn't connect to server); start one with: ollama serve:" \
	"server down: where, how to start it, exit 3"
OLLAMA_HOST=${GONE#http://} bi-ask "explain" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "3:bi-ask: no Ollama server answers at $GONE (Couldn't connect to server); start one with: ollama serve" \
	"OLLAMA_HOST without a scheme"

URL=$MAIN
OLLAMA_HOST=$URL bi-ask --model llama3:70b "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "3:bi-ask: model llama3:70b is not installed at $URL; run: ollama pull llama3:70b" \
	"model missing: the pull command, exit 3"
serve empty --models ""
OLLAMA_HOST=$URL bi-ask "why?" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "3:bi-ask: no model is installed at $URL; run: ollama pull llama3.1:8b" \
	"no model at all: the pull command, exit 3"

serve cut --mode cut --reply "one two three four"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -c '[.answer, (.error | test("cut off after 2 chunks"))]' "$TMP/out")" '3:["one two ",true]' \
	"a cut stream: what arrived, as a record with the error, exit 3"
tail -n 1 "$TMP/err" | grep -q "^bi-ask: the answer from $URL/api/chat was cut off after 2 chunks: ."
exit_ok $? "... and the error on stderr"
OLLAMA_HOST=$URL script -qefc "bi-ask 'why?'" /dev/null >"$TMP/pty" 2>&1
is "$?:$(tr -d '\r' <"$TMP/pty" | sed -n '2p;3s/chunks: .*/chunks: .../p')" \
	"3:one two 
bi-ask: the answer from $URL/api/chat was cut off after 2 chunks: ..." "on a terminal: what arrived, then the error"

serve midway --mode error --reply "one two three four"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .answer "$TMP/out"):$(tail -n 1 "$TMP/err")" \
	"3:one two :bi-ask: $URL/api/chat reported an error after 2 chunks: an error was encountered while running the model: unexpected EOF" \
	"Ollama's error line in mid-stream (status 200): what arrived, then the error, exit 3"
bi-ask --api openai --base-url "$URL" "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .answer "$TMP/out"):$(tail -n 1 "$TMP/err")" \
	"3:one two :bi-ask: $URL/v1/chat/completions reported an error after 2 chunks: an error was encountered while running the model: unexpected EOF" \
	"an error event in mid-stream (SSE)"

serve noend --mode noend --reply "one two"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(tail -n 1 "$TMP/err")" "3:bi-ask: the answer from $URL/api/chat ended before it was complete" \
	"a stream that ends without its final chunk: exit 3"
bi-ask --api openai --base-url "$URL" "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(tail -n 1 "$TMP/err")" "3:bi-ask: the answer from $URL/v1/chat/completions ended before it was complete" \
	"an SSE stream without data: [DONE]: exit 3"

serve bad --mode malformed --reply "one two three four"
OLLAMA_HOST=$URL bi-ask "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .answer "$TMP/out")" "0:one two three four" "a malformed chunk: skipped, the rest kept"
is "$(tail -n 1 "$TMP/err")" "bi-ask: skipped a malformed chunk from $URL: {\"model\":\"llama3.1:8b\",\"message\":{\"content\":\"x\"" \
	"... with a warning naming it"
bi-ask --api openai --base-url "$URL" "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .answer "$TMP/out"):$(tail -n 1 "$TMP/err")" \
	"0:one two three four:bi-ask: skipped a malformed chunk from $URL: {not json" "the same over SSE"

# ---- staying on this machine

bi-ask --base-url http://192.0.2.1:11434 "why?" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-ask: http://192.0.2.1:11434 is not on this machine, and the project's records would go there; --allow-remote or agent.allow_remote: true permits it" \
	"a remote server is refused"
OLLAMA_HOST=192.0.2.1 bi-ask "why?" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cut -d, -f1 "$TMP/err")" "2:bi-ask: http://192.0.2.1:11434 is not on this machine" \
	"... from OLLAMA_HOST too (the port defaulted)"
OLLAMA_HOST=http://localhost:${MAIN##*:} bi-ask "why?" </dev/null >"$TMP/out" 2>/dev/null
is "$?:$(jq -r .model "$TMP/out")" "0:llama3.1:8b" "localhost is this machine"

# ---- addresses that are none: refused before anything is sent

bi-ask --base-url http://127.0.0.1:99999 "why?" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err"):$(wc -c <"$TMP/out" | tr -d ' ')" \
	"2:bi-ask: --base-url: http://127.0.0.1:99999: a port is a number from 1 to 65535:0" \
	"a port out of range: exit 2, nothing written"
OLLAMA_HOST="local host" bi-ask "why?" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-ask: OLLAMA_HOST: local host: not a host name" "a host with a space in OLLAMA_HOST"
bi-ask --api openai --base-url ftp://127.0.0.1/v1 "why?" </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-ask: --base-url: ftp://127.0.0.1/v1: not an http:// or https:// address" \
	"a scheme that is not HTTP"

# ---- a conversation

serve echo --reply echo
printf 'first question\nsecond one\n/context\n/model llama3:8b\nthird\n/quit\n' |
	OLLAMA_HOST=$URL script -qefc "bi-ask -c $fx" /dev/null >"$TMP/conv" 2>&1
exit_ok $? "a conversation: exit 0"
is "$(tr -d '\r' <"$TMP/conv" | grep '^messages=')" "messages=2 model=llama3.1:8b last=first question
messages=4 model=llama3.1:8b last=second one
messages=6 model=llama3:8b last=third" "the conversation is kept across turns; /model switches"
tr -d '\r' <"$TMP/conv" | grep -q '^- 3 times \[api\] connection to <ip> refused'
exit_ok $? "/context shows the context"
grep -q 'second.*one' "$HOME/.bi_ask_history"
exit_ok $? "the history is kept under \$HOME"
printf 'what errors are there?\n/quit\n' |
	OLLAMA_HOST=$GONE script -qefc "bi-ask -c $fx" /dev/null >"$TMP/conv" 2>&1
tr -d '\r' <"$TMP/conv" | grep -q '^     3  \[api\] connection to <ip> refused'
exit_ok $? "a conversation with no server answers offline"
printf '/model\n/model llama3:8b\n/quit\n' |
	OLLAMA_HOST=$GONE script -qefc "bi-ask -c $fx" /dev/null >"$TMP/conv" 2>&1
is "$?:$(tr -d '\r' <"$TMP/conv" | grep -c '^model: none, offline (installed: -)')" "0:2" \
	"/model offline: says so, twice, and does not abort"

# ---- usage

bi-ask </dev/null >/dev/null 2>"$TMP/err"
is "$?:$(head -n 1 "$TMP/err")" "2:bi-ask: no question (give one, or run on a terminal to converse)" \
	"no question and no terminal: exit 2"
bi-ask --budget 5 x </dev/null >/dev/null 2>&1
is $? 2 "a budget under 100: exit 2"
bi-ask --api grpc x </dev/null >/dev/null 2>&1
is $? 2 "an unknown --api: exit 2"
bi-ask --help | head -n 1 | grep -q '^usage: bi-ask'
exit_ok $? "--help prints usage on stdout"
is "$(bi-ask --version)" "bi-ask 0.1.0" "--version"
bi-ask -c /nonexistent x </dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-ask: cannot open /nonexistent: No such file or directory" "a missing --context file"

# ---- a malformed line: skipped, or with --strict the end of the tool

{ head -n 3 "$fx"; printf '{not json\n'; tail -n +4 "$fx"; } >"$TMP/bad.jsonl"
: >"$TMP/main.log"
OLLAMA_HOST=$MAIN bi-ask "why?" <"$TMP/bad.jsonl" >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .answer "$TMP/out")" "0:The api service cannot reach postgres." \
	"a malformed line: skipped, the question answered, exit 0"
is "$(head -n 1 "$TMP/err")" \
	"bi-ask: stdin:4: malformed record (Invalid numeric literal at line 1, column 5), line skipped" \
	"... and told, with its line"
OLLAMA_HOST=$MAIN bi-ask --offline "show me recent logs" <"$TMP/bad.jsonl" >"$TMP/out" 2>/dev/null
is "$?:$(jq -r '.answer | split("\n")[0]' "$TMP/out")" "0:No model was used: the last 50 of the 60 log records given." \
	"... the records around it kept"
: >"$TMP/main.log"
OLLAMA_HOST=$MAIN bi-ask --strict "why?" <"$TMP/bad.jsonl" >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err"):$(wc -c <"$TMP/out" | tr -d ' '):$(wc -c <"$TMP/main.log" | tr -d ' ')" \
	"2:bi-ask: fatal: stdin:4: malformed record (Invalid numeric literal at line 1, column 5):0:0" \
	"--strict: a malformed line is fatal: exit 2, no answer, nothing asked of the server"
bi-ask --strict --offline status -c "$TMP/bad.jsonl" </dev/null >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err"):$(wc -c <"$TMP/out" | tr -d ' ')" \
	"2:bi-ask: fatal: $TMP/bad.jsonl:4: malformed record (Invalid numeric literal at line 1, column 5):0" \
	"--strict: in a --context file too, with --offline"

# ---- the output cannot be written: this machine's failure, 4 (not 1)

bi-ask --offline status <"$fx" >/dev/full 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "4:bi-ask: write error on stdout: No space left on device" \
	"writing the answer fails: exit 4"

# ---- blissful-infra agent

blissful-infra help | grep -q '^  agent  *ask a local LLM'
exit_ok $? "blissful-infra help lists agent"
blissful-infra agent --help | head -n 1 | grep -q '^usage: blissful-infra agent'
exit_ok $? "blissful-infra agent --help"
mkdir -p "$TMP/repo"
printf 'name: demo\n' >"$TMP/repo/blissful-infra.yaml"
(cd "$TMP/repo" && git init -q && git add . &&
	git -c user.name=Ada -c user.email=ada@example.org commit -q -m "add the checkout service") >/dev/null 2>&1
out=$(cd "$TMP/repo" && OLLAMA_HOST=$GONE blissful-infra agent --query "recent commits" 2>"$TMP/err")
is "$(printf '%s' "$out" | jq -r '.evidence[0].msg')" "add the checkout service" \
	"blissful-infra agent --query: the commits collected, answered (offline, no server)"
