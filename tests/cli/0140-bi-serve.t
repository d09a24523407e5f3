#!/bin/sh
# bi-serve: the dashboard's API over a store filled by bi-store put and
# bi-metrics scrape. Every route's status and shape, each answer compared with
# what the fixture records (or bi-metrics itself) say; the live stream gets a
# line put after it opened, within 2 s; the security cases (no token 401, a
# wrong Host or Origin 403, a 10 MiB body 413, ../ or a NUL in a parameter
# 400, loopback only by default, a token file only its owner reads); and a
# clean stop on SIGTERM with a stream open.
. "$(dirname "$0")/../lib.sh"
plan 81

mkdir -p "$TMP/proj" && cd "$TMP/proj" || exit 1
export BI_DB=$TMP/proj/.blissful-infra/bi.db
printf 'name: shop\n' >blissful-infra.yaml

cat >recs.jsonl <<'EOF'
{"kind":"log","ts":"2026-12-04T10:00:00.000Z","service":"api","level":"info","msg":"listening on port 8080"}
{"kind":"log","ts":"2026-12-04T10:00:01.000Z","service":"api","level":"error","msg":"connection refused to db:5432"}
{"kind":"log","ts":"2026-12-04T10:00:02.000Z","service":"worker","level":"warn","msg":"slow query took 900ms"}
{"kind":"log","ts":"2026-12-04T10:00:03.000Z","service":"api","level":"fatal","msg":"giving up after 5 retries"}
{"kind":"log","ts":"2026-12-04T10:00:04.000Z","service":"worker","level":"info","msg":"job 17 done"}
{"kind":"log","ts":"2026-12-04T10:00:05.000Z","service":"api","level":"debug","msg":"connection refused again, retrying"}
{"kind":"finding","ts":"2026-12-04T10:00:06.000Z","service":"api","title":"connection refused","severity":"high","confidence":80}
{"kind":"container","ts":"2026-12-04T10:00:07.000Z","service":"api","action":"restart"}
{"kind":"commit","ts":"2026-12-04T09:00:00.000Z","sha":"abc123","msg":"bump pool size"}
EOF

# --- the command line ---
bi-serve --help >out 2>err
is "$?:$(head -c 15 out):$(wc -c <err)" "0:usage: bi-serve:0" "--help: usage on stdout, exit 0"
bi-serve --version >out
exit_ok $? "--version"
bi-serve --bogus >/dev/null 2>&1
is "$?" 2 "an unknown option: exit 2"
bi-serve --port 1 >/dev/null 2>err
is "$?:$(grep -c 'no store' err)" "2:1" "no store: exit 2, said"
bi-store put recs.jsonl
bi-serve --listen 0.0.0.0 >/dev/null 2>&1
is "$?" 2 "--listen on a wildcard: exit 2"

# --- metrics and an alert, as bi-metrics scrape keeps them ---
mkdir www
printf '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 100\nhttp_requests_total{code="500"} 0\n' >www/metrics
wport=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$wport" --directory www >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
i=0
until curl -fs "http://127.0.0.1:$wport/metrics" >/dev/null || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
bi-metrics scrape --no-docker -n 1 "api=http://127.0.0.1:$wport/metrics" >/dev/null 2>&1
printf '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 200\nhttp_requests_total{code="500"} 100\n' >www/metrics
sleep 1
bi-metrics scrape --no-docker -n 1 "api=http://127.0.0.1:$wport/metrics" >/dev/null 2>&1

# --- the server ---
P=$(free_port)
bi-serve --port "$P" >serve.out 2>serve.err &
srv=$!
at_exit "kill $srv 2>/dev/null"
U=http://127.0.0.1:$P
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/status")" = 401 ] || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
TF=.blissful-infra/serve.token
T=$(cat "$TF" 2>/dev/null)
is "$(stat -c %a "$TF")" 600 "the token file is made with mode 0600"
is "$(printf %s "$T" | grep -cE '^[0-9a-f]{64}$')" 1 "the token is 32 random bytes in hex"
ok_port=$(printf '%04X' "$P")
is "$(awk -v p=":$ok_port" '$4 == "0A" && substr($2, 9) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 | sort -u)" \
	"0100007F:$ok_port" "it listens on 127.0.0.1 only (/proc/net/tcp)"
other=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | grep -v ':' | head -1)
if [ -n "$other" ]; then
	curl -s -m 2 -o /dev/null "http://$other:$P/api/status"
	is "$?" 7 "not reachable on $other: the connection is refused"
else
	skip "no non-loopback address here"
fi
is "$(wc -c <serve.out)" 0 "nothing on stdout"
bi-serve --port "$P" >/dev/null 2>err
is "$?:$(grep -c 'cannot listen' err)" "1:1" "its port taken: a second server says so, exit 1"

get() {	# PATH [CURL ARGS]: the status; the body in body
	p=$1; shift
	curl -s -o body -w '%{http_code}' -H "Authorization: Bearer $T" "$@" "$U$p"
}
logs() { jq -c "select(.kind == \"log\")${1:+ | $1}" recs.jsonl; }

# --- the routes ---
is "$(get /api/status)" 200 "/api/status: 200"
is "$(jq -c '{project, records, services, alerts_firing, schema: (.schema > 0)}' body)" \
	"$(jq -sc '{project: "shop", records: (group_by(.kind) | map({(.[0].kind): length}) | add), services: ([.[].service | strings] | unique), alerts_firing: 1, schema: true}' recs.jsonl)" \
	"/api/status: the project's name (blissful-infra.yaml), records by kind, services, alerts firing"
is "$(get /api/logs)" 200 "/api/logs: 200"
is "$(jq -c '.records[]' body)" "$(logs)" "every log record as stored, oldest first"
is "$(jq .count body)" "$(logs | wc -l)" "with their count"
get '/api/logs?service=api&level=error' >/dev/null
is "$(jq -c '.records[]' body)" "$(logs 'select(.service == "api" and (.level == "error" or .level == "fatal"))')" \
	"service and level (error or worse)"
get '/api/logs?q=refused' >/dev/null
is "$(jq -c '.records[]' body)" "$(logs 'select(.msg | test("refused"))')" "q: a word of the message"
get '/api/logs?q=connection%20refused&level=debug&service=api' >/dev/null
is "$(jq -c '.records[]' body)" "$(logs 'select(.msg | test("connection refused"))')" "q with two words"
get '/api/logs?limit=2' >/dev/null
is "$(jq -c '.records[]' body)" "$(logs | tail -2)" "limit keeps the newest"
get '/api/logs?since=2026-12-04T10:00:01Z&until=2026-12-04T10:00:03Z' >/dev/null
is "$(jq -c '.records[]' body)" "$(logs 'select(.ts >= "2026-12-04T10:00:01" and .ts <= "2026-12-04T10:00:03.000Z")')" \
	"since and until"
get "/api/logs?service=x'%20OR%20'1'='1" >/dev/null
is "$(jq .count body)" 0 "a quote in a value finds nothing (no SQL from values)"
is "$(get /api/findings):$(jq -c '.records[]' body)" "200:$(jq -c 'select(.kind == "finding")' recs.jsonl)" \
	"/api/findings"
is "$(get /api/events):$(jq -c '.records[]' body)" \
	"200:$(jq -sc 'map(select(.kind == "container" or .kind == "commit")) | sort_by(.ts) | .[]' recs.jsonl)" \
	"/api/events: container events and commits"
is "$(get '/api/metrics?window=1m')" 200 "/api/metrics: 200"
want=$(bi-metrics query --window 1m --service api | jq -r 'select(.name == "error_rate") | .value')
# Both end their window at their own now, which moves the extrapolation a
# little: the same figure within 0.01.
got=$(jq -r '.services[0].figures.error_rate.value' body)
is "$(jq -c '[.window, .services[0].service]' body):$(awk -v a="$got" -v b="$want" \
	'BEGIN { d = a - b; print (b > 0 && d < 0.01 && d > -0.01) ? "same" : a " vs " b }')" \
	'["1m","api"]:same' "the window's figures are bi-metrics query's (error_rate $got, $want)"
is "$(jq -c '.services[0].figures.request_rate | keys' body)" '["unit","value"]' "each figure: value and unit"
is "$(get '/api/metrics/series?service=api&name=http_requests_total&window=1h'):$(jq -c '[.series[] | {labels, values: [.points[][1]]}]' body)" \
	"200:$(bi-metrics export --format json --window 1h --service api | jq -sc 'map(select(.name == "http_requests_total")) | group_by(.labels.code) | map({labels: .[0].labels, values: map(.value)})')" \
	"/api/metrics/series: the samples of each series, as bi-metrics export has them"
is "$(get '/api/metrics/series?service=api')" 400 "/api/metrics/series without a name: 400"
is "$(get '/api/metrics?window=30s')" 400 "a window under 1m: 400"
is "$(get '/api/metrics?window=2d')" 400 "a window over 24h: 400"
is "$(get /api/alerts):$(jq -c '[.count, (.alerts[] | {name, service, severity, state})]' body)" \
	"200:$(bi-metrics alerts | jq -sc '[length, (.[] | {name, service, severity, state})]')" \
	"/api/alerts: the firing alerts, as bi-metrics alerts says"
is "$(get /api/nope):$(jq -r '.error | type' body)" "404:string" "an unknown route: 404, the error in JSON"
is "$(get /):$(grep -c '<script src="app.js"' body)" "200:1" "/: the page"
is "$(get /app.js):$(get /nope.js)" "200:404" "its files, and 404 for one that is not there"
is "$(get /.token.js):$(get '/a%2Fb.js')" "404:404" "no file outside its plain names"
is "$(curl -s -o body -w '%{http_code}' "$U/"):$(grep -c 'blissful-infra dashboard' body)" "401:1" \
	"the page without the token: 401, saying which URL to open"
curl -s -D hdr -o /dev/null "$U/?token=$T"
is "$(sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' hdr):$(grep -ci '^location: /.$' hdr)" "303:1" \
	"/?token=: to / again, without the token in the address"
cookie=$(sed -n "s/^Set-Cookie: \(bi_token_$P=[0-9a-f]*\);.*/\1/p" hdr | tr -d '\r')
is "$cookie:$(grep -c 'HttpOnly; SameSite=Strict' hdr)" "bi_token_$P=$T:1" "a cookie keeps it, HttpOnly, SameSite=Strict"
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/?token=0000000000000000")" 401 "/?token= with another token: 401"
stale="bi_token_$P=0000000000000000000000000000000000000000000000000000000000000000"
curl -s -D hdr -o /dev/null -b "$stale" "$U/?token=$T"
is "$(sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' hdr):$(sed -n "s/^Set-Cookie: \(bi_token_$P=[0-9a-f]*\);.*/\1/p" hdr | tr -d '\r')" \
	"303:$cookie" "a stale cookie (another server's on this port) and /?token=: the token is looked at, the cookie replaced"
is "$(curl -s -o /dev/null -w '%{http_code}' -b "$stale" "$U/")" 401 "the stale cookie alone: 401"
is "$(curl -s -o body -w '%{http_code}' -b "$cookie" "$U/api/session"):$(jq -r .token body)" "200:$T" \
	"a GET with the cookie passes; /api/session gives the page its token"
is "$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" -X POST "$U/api/alerts/ack?id=1")" 401 \
	"a POST with the cookie only: 401 (a change needs the header)"
is "$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" -H 'Origin: http://evil.example' "$U/api/status")" 403 \
	"the cookie from another origin: 403"
aid=$(bi-metrics alerts | jq -r '.id' | head -1)
is "$(get "/api/alerts/ack?id=$aid" -X POST):$(bi-metrics alerts | jq -r .acked | head -1)" "200:true" \
	"POST /api/alerts/ack with the token: the alert acknowledged, as bi-metrics sees it"
is "$(get /api/alerts/ack?id=99999 -X POST)" 404 "an alert that is not there: 404"
is "$(get '/api/records?kind=finding,commit'):$(jq -c '[.records[].kind]' body)" '200:["commit","finding"]' \
	"/api/records: the kinds asked for"
is "$(get '/api/metrics/history?service=api&window=1m'):$(jq -c '[(.t | length) > 0, (.figures | has("request_rate"))]' body)" \
	'200:[true,true]' "/api/metrics/history: times and the figures at each"
is "$(get /api/scores):$(jq -c . body)" '200:{"scores":[]}' "/api/scores: none kept"
is "$(get /api/kb):$(jq -c '.incidents | type' body)" '200:"array"' "/api/kb"
# The agent: bi-ask with the store as its input, its answer streamed; no
# model server here, so the question is one it answers from the records.
is "$(get /api/chat -X POST -d '{"question":"what are the recent errors?"}'):$(grep -c '^event: text' body | awk '$1 > 0 { print "some" }'):$(sed -n 's/^event: done/&/p' body)" \
	"200:some:event: done" "POST /api/chat: the answer as events, then done"
grep -A1 '^event: text' body | sed -n 's/^data: //p' | jq -j .text >answer
is "$(grep -c 'connection refused to db:5432' answer)" 1 "an answer from the store's records"
is "$(get /api/chat -X POST -d '{}')" 400 "a chat without a question: 400"
is "$(get /api/logs -X POST)" 405 "POST: 405"
is "$(get '/api/logs?limit=0')" 400 "limit=0: 400"
is "$(get '/api/logs?level=loud'):$(jq -r .error body)" "400:level: not a level: loud" "a bad level: 400, said"

# --- security ---
is "$(curl -s -o body -w '%{http_code}' "$U/api/status"):$(jq -r '.error | type' body)" "401:string" \
	"no token: 401"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000' "$U/api/status")" \
	401 "a wrong token: 401"
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/logs?access_token=$T")" 401 \
	"the token in the URL is not a token: 401"
is "$(get /api/status -H "Host: evil.example:$P")" 403 "a rebound Host: 403"
is "$(get /api/status -H "Host: 127.0.0.1:1")" 403 "another port in Host: 403"
is "$(get /api/status -H 'Origin: http://evil.example')" 403 "another Origin: 403"
is "$(get /api/status -H "Origin: http://localhost:$P")" 200 "our own Origin: 200"
head -c 10485760 /dev/zero >big
is "$(get /api/status --data-binary @big)" 413 "a 10 MiB body: 413"
is "$(get /api/status -H 'Transfer-Encoding: chunked' --data-binary @big)" 413 \
	"a 10 MiB chunked body (no length told): 413"
is "$(get '/api/logs?service=../etc')" 400 "../ in service: 400"
is "$(get '/api/logs?since=..%2F..%2Fetc')" 400 "../ encoded in since: 400"
is "$(get '/api/logs?service=a%00b')" 400 "a NUL in a parameter: 400"
is "$(get /api/../../etc/passwd --path-as-is)" 400 "../ in the path: 400"
is "$(get /api/status)" 200 "and the server still answers"

# --- the live stream ---
: >sse
curl -sN -H "Authorization: Bearer $T" "$U/api/logs/stream?service=api" >sse &
cpid=$!
at_exit "kill $cpid 2>/dev/null"
i=0
until grep -q '^: connected' sse || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
line='{"kind":"log","ts":"2026-12-04T11:00:00.000Z","service":"api","level":"error","msg":"a line put while streaming"}'
echo '{"kind":"log","ts":"2026-12-04T11:00:00.000Z","service":"worker","level":"error","msg":"another service"}' | bi-store put
echo "$line" | bi-store put
i=0
until grep -q 'while streaming' sse || [ $i -ge 20 ]; do sleep 0.1; i=$((i + 1)); done
is "$(sed -n 's/^data: //p' sse)" "$line" "the stream delivers the new line within 2 s, and only its service's"
is "$(grep -c '^id: [0-9][0-9]*$' sse)" 1 "with its id"
is "$(get /api/logs/stream -H 'Host: evil.example')" 403 "the stream has the same gate"
is "$(get '/api/logs/stream?level=%22loud'):$(jq -r .error body)" '400:level: not a level: "loud' \
	"and the same checks of its parameters, told in JSON"

kill -TERM $srv
wait $srv
is "$?" 0 "SIGTERM with a stream open: exit 0"
(sleep 5; kill $cpid 2>/dev/null) &
wait $cpid
st=$?
[ $st -lt 128 ]
exit_ok $? "and the stream ended with the server (curl exit $st, not killed)"

# --- --listen: another address, and Host may name it ---
bi-serve --port "$P" --listen 127.0.0.2 >/dev/null 2>&1 &
srv3=$!
at_exit "kill $srv3 2>/dev/null"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.2:$P/api/status")" = 401 ] || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" "http://127.0.0.2:$P/api/status")" 200 \
	"--listen 127.0.0.2: answered there, Host naming it"
is "$(awk -v p=":$ok_port" '$4 == "0A" && substr($2, 9) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 | sort -u)" \
	"0200007F:$ok_port" "and listening there only, not on 127.0.0.1"
kill $srv3
wait $srv3

# --- a token file of one's own ---
printf 'my-own-token-of-enough-length\n' >tok
chmod 644 tok
bi-serve --port "$P" --token-file tok >/dev/null 2>err
is "$?:$(grep -c 'others may read' err)" "2:1" "a token file others may read: exit 2"
chmod 600 tok
bi-serve --port "$P" --token-file tok >/dev/null 2>&1 &
srv2=$!
at_exit "kill $srv2 2>/dev/null"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/status")" = 401 ] || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer my-own-token-of-enough-length' "$U/api/status"):$(get /api/status)" \
	"200:401" "--token-file: its token in, the default one out"
kill $srv2
