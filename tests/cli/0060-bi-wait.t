#!/bin/sh
# bi-wait without Docker: an address it cannot use is refused at once (exit 2,
# nothing waited for), a refused port is given up at the deadline (exit 1, a
# record saying why), a URL or a port that answers is healthy (exit 0).
. "$(dirname "$0")/../lib.sh"
plan 17
field() { jq -r "$1" "$TMP/out" | tail -n 1; }

# Refused before any check: exit 2, the reason on stderr, no record.
refused() {	# TARGET REASON
	bi-wait -t 30s "$1" >"$TMP/out" 2>"$TMP/err"
	st=$?
	grep -qF -- "$2" "$TMP/err"
	found=$?
	is "$st:$found:$(wc -c <"$TMP/out")" "2:0:0" "refused at once: $1 ($2)"
	[ $found -eq 0 ] || sed 's/^/#   stderr: /' "$TMP/err"
}
refused 127.0.0.1:99999 "bi-wait: 127.0.0.1:99999: a port is a number from 1 to 65535"
refused tcp://127.0.0.1:0 "a port is a number from 1 to 65535"
refused http://127.0.0.1:99999/health "bi-wait: http://127.0.0.1:99999/health: a port is a number"
refused 127.0.0.1:http "a port is a number from 1 to 65535"
refused ::1:80 "an IPv6 address goes in brackets: [::1]:80"
refused "[::1:80" "an IPv6 address without its ']'"
refused "a b:80" "not a host name"
refused tcp://127.0.0.1:80/path "a TCP target has no path"
refused localhost "not a target: localhost"
refused ftp://127.0.0.1:21 "not a target: ftp://127.0.0.1:21"

# A port nothing listens on: unhealthy at the deadline, not before, not long after.
P=$(free_port)
t0=$(date +%s)
bi-wait --timeout 1s "127.0.0.1:$P" >"$TMP/out" 2>"$TMP/err"
st=$? t1=$(date +%s)
is "$st:$(field '[.check, .ok, .msg] | map(tostring) | join(",")')" \
	"1:tcp,false,127.0.0.1:$P: Connection refused" "a refused port with --timeout 1s: exit 1, why in the record"
[ $((t1 - t0)) -le 4 ]
exit_ok $? "given up after about a second ($((t1 - t0)) s)"

# A server of our own: healthy once it answers, whether started before or after bi-wait.
H=$(free_port)
mkdir -p "$TMP/www" && echo ok >"$TMP/www/health"
(sleep 0.5; cd "$TMP/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$H") >/dev/null 2>&1 &
srv=$!
at_exit "kill $srv 2>/dev/null"
bi-wait --timeout 20s --interval 100ms "http://127.0.0.1:$H/health" >"$TMP/out" 2>"$TMP/err"
is "$?:$(field '[.check, .ok, .status] | map(tostring) | join(",")')" "0:http,true,200" \
	"an http URL that answers 200: exit 0"
bi-wait --timeout 5s "localhost:$H" "tcp://127.0.0.1:$H" >"$TMP/out"
is "$?:$(jq -r .ok "$TMP/out" | tr '\n' ' ')" "0:true true " "its port, by name and by address: exit 0"
bi-wait --timeout 1s --interval 200ms "http://127.0.0.1:$H/missing" >"$TMP/out" 2>/dev/null
is "$?:$(field '[.ok, .status, .msg] | map(tostring) | join(",")')" "1:false,404,HTTP 404" \
	"a URL that answers 404: exit 1"

bi-wait --help | head -1 | grep -q '^usage: bi-wait'
exit_ok $? "--help"
is "$(bi-wait --version)" "bi-wait 0.1.0" "--version"
