#!/bin/sh
# bi-proxy: toxiproxy's API answered as toxiproxy answers, and each toxic doing
# to real connections what it says; records of connections; what the API
# refuses (out of range, a NUL in a name, a listener beyond loopback, a Host
# that is not its own) and the counters it shows; a clean drain.
. "$(dirname "$0")/../lib.sh"
plan 40
/usr/bin/python3 "$ROOT/tests/tools/http-server.py" "$TMP/port" &
at_exit "kill $! 2>/dev/null"
i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat "$TMP/port") A=$(free_port) L=$(free_port)
bi-proxy --api "127.0.0.1:$A" --proxy "web,127.0.0.1:$L,127.0.0.1:$P" >"$TMP/records" 2>"$TMP/err" &
proxy=$!
at_exit "kill $proxy 2>/dev/null"
i=0; until curl -fs "127.0.0.1:$A/version" >/dev/null; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
api() { curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" ${3:+-d "$3"} "127.0.0.1:$A$2"; }
ms() { curl -s -o /dev/null -w '%{time_total}' "$@" | awk '{ printf "%d", $1 * 1000 }'; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

is "$(curl -s "127.0.0.1:$L/hello")" "ok" "data passes through"
is "$(api GET /proxies):$(jq -c ".web | {name, listen, upstream, enabled, toxics}" "$TMP/body")" \
	"200:{\"name\":\"web\",\"listen\":\"127.0.0.1:$L\",\"upstream\":\"127.0.0.1:$P\",\"enabled\":true,\"toxics\":[]}" \
	"GET /proxies: an object keyed by name"
is "$(api POST /proxies "{\"name\":\"two\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$P\"}")" 201 \
	"POST /proxies: 201"
two=$(jq -r .listen "$TMP/body")
is "$(curl -s "$two/hello")" ok "a proxy on a port it chose (${two##*:})"
is "$(api POST /proxies "{\"name\":\"two\",\"upstream\":\"127.0.0.1:$P\"}")" 409 "the same name again: 409"
is "$(api GET /proxies/nope)" 404 "an unknown proxy: 404"
is "$(api DELETE /proxies/two)" 204 "DELETE: 204"
curl -s -m 1 "$two/hello" >/dev/null
exit_ok $((! $?)) "and it no longer listens"

# latency: each answer waits, within reason of the asked 200 ms.
is "$(api POST /proxies/web/toxics '{"type":"latency","attributes":{"latency":200}}'):$(jq -c . "$TMP/body")" \
	'200:{"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":200}}' \
	"POST a toxic: 200, with toxiproxy's defaults"
t=$(ms "127.0.0.1:$L/hello")
between "$t" 180 400
exit_ok $? "latency 200 ms: the answer took $t ms"
is "$(api POST /proxies/web/toxics/latency_downstream '{"attributes":{"latency":500}}')" 200 "update a toxic"
t=$(ms "127.0.0.1:$L/hello")
between "$t" 480 750
exit_ok $? "latency 500 ms now: $t ms"
is "$(api GET /proxies/web/toxics):$(jq -r 'length' "$TMP/body")" "200:1" "GET the toxics"
is "$(api DELETE /proxies/web/toxics/latency_downstream)" 204 "DELETE a toxic: 204"
t=$(ms "127.0.0.1:$L/hello")
[ "$t" -lt 150 ]
exit_ok $? "and the latency is gone ($t ms)"

# bandwidth: 200 kB at 100 KB/s takes about two seconds.
api POST /proxies/web/toxics '{"type":"bandwidth","attributes":{"rate":100}}' >/dev/null
t=$(ms "127.0.0.1:$L/bytes/200000")
between "$t" 1700 2600
exit_ok $? "bandwidth 100 KB/s: 200 kB in $t ms"
api POST /reset >/dev/null

# timeout: held, then closed after its time; with 0, held until removed.
api POST /proxies/web/toxics '{"type":"timeout","attributes":{"timeout":500}}' >/dev/null
t=$(ms -m 3 "127.0.0.1:$L/hello")
out=$(curl -s -m 3 "127.0.0.1:$L/hello")
[ -z "$out" ] && between "$t" 450 1500
exit_ok $? "timeout 500: nothing arrives, the connection closes after $t ms"
api POST /proxies/web/toxics/timeout_downstream '{"attributes":{"timeout":0}}' >/dev/null
curl -s -m 4 "127.0.0.1:$L/hello" >"$TMP/held" &
sleep 1
api DELETE /proxies/web/toxics/timeout_downstream >/dev/null
wait $!
is "$(cat "$TMP/held")" ok "timeout 0: held until the toxic is removed, then delivered"

api POST /proxies/web/toxics '{"type":"latency","attributes":{"latency":1000}}' >/dev/null
api POST /proxies/web/toxics '{"type":"reset_peer","attributes":{"timeout":200}}' >/dev/null
curl -s -m 3 "127.0.0.1:$L/hello" >/dev/null 2>&1
st=$?
[ $st -eq 56 ]
exit_ok $? "reset_peer 200 ms before a slow answer: the connection is reset (curl exit $st)"
api POST /reset >/dev/null
api POST /proxies/web/toxics '{"type":"limit_data","attributes":{"bytes":100}}' >/dev/null
n=$(curl -s -m 2 "127.0.0.1:$L/bytes/5000" | wc -c)
[ "$n" -lt 100 ]
exit_ok $? "limit_data 100: the answer is cut ($n body bytes)"
api POST /reset >/dev/null
api POST /proxies/web/toxics '{"type":"slicer","attributes":{"average_size":10,"size_variation":5,"delay":100}}' >/dev/null
is "$(curl -s -m 5 "127.0.0.1:$L/bytes/3000" | wc -c | tr -d ' ')" 3000 "slicer: many small pieces, all of them"
api POST /reset >/dev/null
api POST /proxies/web/toxics '{"type":"latency","toxicity":0,"attributes":{"latency":1000}}' >/dev/null
t=$(ms "127.0.0.1:$L/hello")
[ "$t" -lt 300 ]
exit_ok $? "toxicity 0: the toxic touches no connection ($t ms)"
is "$(api POST /reset):$(api GET /proxies/web/toxics):$(cat "$TMP/body")" "204:200:[]" "POST /reset: 204, no toxics left"
is "$(curl -s -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0 (X11)' "127.0.0.1:$A/proxies")" 403 \
	"a browser is refused: 403"

grep '"event":"close"' "$TMP/records" | head -1 | jq -e '.bytes_up > 0 and .bytes_down > 0 and .proxy == "web"' >/dev/null
exit_ok $? "a record per connection, with its bytes"

# Refused with the reason, and nothing made: out of range, not a number.
refused() {	# BODY WANT-STATUS WANT-REASON NAME
	got=$(api POST /proxies/web/toxics "$1"):$(jq -r .error "$TMP/body")
	case $got in "$2:"*"$3"*) exit_ok 0 "$4" ;; *) exit_ok 1 "$4"; diag "got $got" ;; esac
}
refused '{"type":"latency","attributes":{"latency":1e13}}' 400 "attributes.latency: from 0 to 3600000 ms" \
	"latency 1e13 ms: 400, not an overflow into no delay"
refused '{"type":"latency","attributes":{"latency":100,"jitter":-50}}' 400 "attributes.jitter" \
	"a negative jitter: 400"
refused '{"type":"bandwidth","attributes":{"rate":-1}}' 400 "attributes.rate" "a negative rate: 400"
refused '{"type":"timeout","attributes":{"timeout":"5"}}' 400 "a number, not string" \
	"a timeout as a string: 400"
refused '{"type":"limit_data","attributes":{"bytes":2e19}}' 400 "attributes.bytes" \
	"limit_data 2e19 bytes: 400, not a cut at 0"
is "$(api GET /proxies/web/toxics):$(cat "$TMP/body")" "200:[]" "and none of them was added"
is "$(api POST /proxies '{"name":"a\u0000b","upstream":"127.0.0.1:9"}'):$(jq -r .error "$TMP/body"):$(api GET /proxies/a)" \
	"400:name: a NUL inside:404" "a name with a NUL: 400, and no proxy cut at the NUL"
api POST /proxies "{\"name\":\"kept\",\"upstream\":\"127.0.0.1:$P\"}" >/dev/null
is "$(api DELETE /proxies/kept%00x):$(api POST /populate '[{"name":"kept\u0000x","upstream":"127.0.0.1:9"}]'):$(api GET /proxies/kept):$(jq -r .upstream "$TMP/body")" \
	"404:400:200:127.0.0.1:$P" "nor in a path (%00) or in /populate: the proxy named before the NUL is left alone"
api DELETE /proxies/kept >/dev/null
is "$(api POST /proxies "{\"name\":\"wide\",\"listen\":\"0.0.0.0:0\",\"upstream\":\"127.0.0.1:$P\"}"):$(api GET /proxies/wide)" \
	"403:404" "a listener beyond loopback through the API: 403 without --allow-remote"
host() { curl -s -o "$TMP/body" -w '%{http_code}' -H "Host: $1" "127.0.0.1:$A/version"; }
is "$(host "rebound.example:$A"):$(jq -r .error "$TMP/body" | sed 's/ (.*//')" \
	"403:Host rebound.example:$A is not this API's address" "a Host that is not the API's: 403 (DNS rebinding)"
is "$(host "localhost:$A"):$(host "[::1]:$A"):$(host "127.0.0.1")" "200:200:200" "localhost, ::1, 127.0.0.1: answered"

# Counters: connections and bytes each way, since the proxy was made.
api POST /reset >/dev/null
api POST /proxies "{\"name\":\"counted\",\"upstream\":\"127.0.0.1:$P\"}" >/dev/null
cl=$(jq -r .listen "$TMP/body")
is "$(jq -c .stats "$TMP/body")" '{"connections":0,"bytes_upstream":0,"bytes_downstream":0}' "a new proxy counts from 0"
up=0 down=0
for n in 1000 2000 3000; do
	set -- $(curl -s -o /dev/null -w '%{size_request} %{size_header} %{size_download}' "$cl/bytes/$n")
	up=$((up + $1)) down=$((down + $2 + $3))
done
api GET /proxies >/dev/null
is "$(jq -c .counted.stats "$TMP/body")" "{\"connections\":3,\"bytes_upstream\":$up,\"bytes_downstream\":$down}" \
	"GET /proxies: 3 connections, and the bytes curl sent and received ($up, $down)"
api DELETE /proxies/counted >/dev/null

# SIGTERM: no new connections, but the one under way finishes.
api POST /proxies/web/toxics '{"type":"latency","attributes":{"latency":800}}' >/dev/null
curl -s -m 5 "127.0.0.1:$L/hello" >"$TMP/inflight" &
c=$!
sleep 0.3
kill -TERM $proxy
wait $c
is "$(cat "$TMP/inflight")" ok "SIGTERM: the request under way still gets its answer"
wait $proxy
exit_ok $? "and bi-proxy exits 0 after draining"
