#!/bin/sh
# bi-proxy's weighted split, counted by the upstreams that answered: over
# 10,000 connections at weights 90/10 each upstream's share is within 2% of
# its weight; a weight change through the API applies to the very next
# connections, and a keep-alive connection opened before it stays on its
# upstream, uncut, through two changes.
. "$(dirname "$0")/../lib.sh"
plan 11
for n in a b; do
	/usr/bin/python3 "$ROOT/tests/tools/http-server.py" "$TMP/port.$n" "$n" &
	at_exit "kill $! 2>/dev/null"
done
i=0; while { [ ! -s "$TMP/port.a" ] || [ ! -s "$TMP/port.b" ]; } && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PA=$(cat "$TMP/port.a") PB=$(cat "$TMP/port.b") A=$(free_port) L=$(free_port)
bi-proxy -q --api "127.0.0.1:$A" >"$TMP/records" 2>"$TMP/err" &
at_exit "kill $! 2>/dev/null"
i=0; until curl -fs "127.0.0.1:$A/version" >/dev/null; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
client() { /usr/bin/python3 "$ROOT/tests/tools/split-client.py" "$@"; }
weights() {	# WEIGHT-A WEIGHT-B [POST PATH]: set the split, print the status
	curl -s -o "$TMP/body" -w '%{http_code}' -X POST "127.0.0.1:$A${3:-/proxies/web}" -d \
		"{\"name\":\"web\",\"listen\":\"127.0.0.1:$L\",\"upstreams\":[{\"upstream\":\"127.0.0.1:$PA\",\"weight\":$1},{\"upstream\":\"127.0.0.1:$PB\",\"weight\":$2}]}"
}
# within PCT% of the weight: "NAME COUNT" lines, the total, the names' shares
within() {	# COUNTS TOTAL WA WB
	printf '%s\n' "$1" | awk -v total="$2" -v wa="$3" -v wb="$4" '
		{ n[$1] = $2 }
		END {
			share_a = 100 * n["a"] / total; share_b = 100 * n["b"] / total
			want_a = 100 * wa / (wa + wb); want_b = 100 * wb / (wa + wb)
			ok = n["a"] + n["b"] == total && share_a >= want_a - 2 && share_a <= want_a + 2 &&
				share_b >= want_b - 2 && share_b <= want_b + 2
			printf "a %.2f%% b %.2f%% (want %.0f/%.0f)", share_a, share_b, want_a, want_b
			exit !ok
		}'
}

is "$(weights 90 10 /proxies)" 201 "a proxy over two upstreams at 90/10"
is "$(curl -s "127.0.0.1:$A/proxies/web" | jq -c '[.upstreams[].weight]')" "[90,10]" "the API shows the weights"
counts=$(client count "127.0.0.1:$L" 10000)
diag "$(echo $counts)"
split=$(within "$counts" 10000 90 10)
exit_ok $? "10,000 connections at 90/10, counted by who answered: $split"
is "$(curl -s "127.0.0.1:$A/proxies/web" | jq -r '[.upstreams[].connections] | join(" ")')" \
	"$(printf '%s\n' "$counts" | awk '{ n[$1] = $2 } END { print n["a"] + 0, n["b"] + 0 }')" \
	"the proxy's own count per upstream is what the upstreams saw"

# A keep-alive connection on a, held across weight changes.
is "$(weights 1 0)" 200 "weights 1/0"
mkfifo "$TMP/in"
client hold "127.0.0.1:$L" <"$TMP/in" >"$TMP/held" &
holder=$!
at_exit "kill $holder 2>/dev/null"
exec 3>"$TMP/in"
i=0; until [ -s "$TMP/held" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
is "$(cat "$TMP/held")" a "the held connection went to a"
weights 0 1 >/dev/null
counts=$(client count "127.0.0.1:$L" 200)
is "$(echo $counts)" "b 200" "weights 0/1: the next 200 connections all go to b"
echo >&3
weights 50 50 >/dev/null
counts=$(client count "127.0.0.1:$L" 1000)
split=$(within "$counts" 1000 50 50)
exit_ok $? "weights 50/50, the next 1,000 connections: $split"
echo >&3
exec 3>&-
wait $holder
is "$(tr '\n' ' ' <"$TMP/held")" "a a a " "the held connection stayed on a through both changes, never cut"
is "$(jq -r 'select(.event == "close" and .reason != null) | .reason' "$TMP/records" | sort -u)" "" \
	"no connection was closed by the proxy"
is "$(cat "$TMP/err")" "" "nothing on stderr"
