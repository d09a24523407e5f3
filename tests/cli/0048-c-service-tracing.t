#!/bin/sh
# Tracing, end to end without Docker: two c-service instances built from the
# template, their spans sent over OTLP/HTTP JSON to a receiver on 127.0.0.1
# (tests/tools/receiver.py); a request's traceparent carried from the first
# to the second as a caller would, so that both spans are one trace, the
# second a child of the first; the services' log lines carry the trace; and
# bi-collect --spans reads what was received as `span` records.
. "$(dirname "$0")/../lib.sh"
command -v cc >/dev/null && pkg-config --exists libmicrohttpd 2>/dev/null || {
	plan 1; skip "no C compiler or libmicrohttpd"; exit 0; }
plan 12
cd "$TMP" || exit 1

bi-scaffold --template c-service --dir "$TMP/svc" svc >/dev/null &&
	make -C "$TMP/svc" service >"$TMP/make.log" 2>&1
exit_ok $? "the c-service template builds" || sed 's/^/# /' "$TMP/make.log"
python3 "$ROOT/tests/tools/receiver.py" --port-file "$TMP/rport" --log "$TMP/recv.jsonl" &
rpid=$!
at_exit "kill $rpid 2>/dev/null"
i=0; while [ ! -s "$TMP/rport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rport=$(cat "$TMP/rport")

start() {	# NAME: an instance named NAME on a free port; its port in $TMP/NAME.port
	p=$(free_port)
	PORT=$p BIND_ADDRESS=127.0.0.1 OTEL_SERVICE_NAME=$1 OTEL_BSP_SCHEDULE_DELAY=100 \
		OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$rport/ "$TMP/svc/service" >"$TMP/$1.log" &
	echo $! >"$TMP/$1.pid"
	at_exit "kill $(cat "$TMP/$1.pid") 2>/dev/null"
	echo "$p" >"$TMP/$1.port"
	i=0; until curl -fs "http://127.0.0.1:$p/health" >/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
}
start front
start back
tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
curl -s -D "$TMP/h1" -o /dev/null -H "traceparent: $tp" "http://127.0.0.1:$(cat "$TMP/front.port")/hello"
front_tp=$(tr -d '\r' <"$TMP/h1" | sed -n 's/^traceparent: //p')
is "$(echo "$front_tp" | cut -d- -f1,2,4)" "00-4bf92f3577b34da6a3ce929d0e0e4736-01" \
	"front answers with the caller's trace, sampled"
front_span=$(echo "$front_tp" | cut -d- -f3)
# front calls back, passing its own span on.
curl -s -o /dev/null -H "traceparent: $front_tp" "http://127.0.0.1:$(cat "$TMP/back.port")/hello/x"
curl -s -o /dev/null -H "traceparent: 00-zz-bad-01" "http://127.0.0.1:$(cat "$TMP/back.port")/nope"
for s in front back; do kill "$(cat "$TMP/$s.pid")"; done
wait "$(cat "$TMP/front.pid")" "$(cat "$TMP/back.pid")" 2>/dev/null

jq -c '.json' "$TMP/recv.jsonl" >"$TMP/otlp.jsonl"
is "$(jq -r '.path' "$TMP/recv.jsonl" | sort -u)" "/v1/traces" "spans posted to OTLP/HTTP's path"
grep -q "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"$front_span\"" "$TMP/front.log"
exit_ok $? "front's log line carries the trace and its span"

bi-collect --spans "$TMP/otlp.jsonl" --since all >"$TMP/spans"
exit_ok $? "bi-collect --spans"
is "$(jq -r '[.service, .name, .status, (.parent_id // "-")] | join(" ")' "$TMP/spans" | sort)" \
"back GET /hello/{name} unset $front_span
back GET other unset -
front GET /hello unset 00f067aa0ba902b7" "one span per request (not probes), in the services' names"
is "$(jq -r 'select(.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736") | .service' "$TMP/spans" | sort | paste -sd' ' -)" \
	"back front" "front and back: one trace"
is "$(jq -r 'select(.service == "back" and .parent_id != null) | .parent_id' "$TMP/spans")" "$front_span" \
	"back's span is a child of front's"
is "$(jq -r 'select(.name == "GET other") | [.trace_id != "4bf92f3577b34da6a3ce929d0e0e4736", .attributes["http.response.status_code"]] | join(" ")' "$TMP/spans")" \
	"true 404" "a bad traceparent: a trace of its own; the status as an attribute"
jq -e 'select(.kind == "span" and (.ts | test("^[0-9-]+T[0-9:.]+Z$")) and .duration_ms >= 0 and .span_kind == "server")' \
	"$TMP/spans" >/dev/null
exit_ok $? "span records: kind, ts, duration, span kind"
bi-collect -s front --spans - --since all <"$TMP/otlp.jsonl" >"$TMP/spans"
is "$(jq -r .service "$TMP/spans" | sort -u)" "front" "-s: one service's spans, from stdin"
echo '{"resourceLogs":[]}' | bi-collect --spans - --since all 2>"$TMP/err" >/dev/null
is "$?:$(cat "$TMP/err")" "0:bi-collect: --spans: not an OTLP export request (no resourceSpans), skipped" \
	"a line that is no export request: reported and skipped"
