#!/bin/sh
# The prometheus and alertmanager add-ons on a real c-service project:
# `blissful-infra add` puts them in, `up` starts them from the images built
# from Debian's packages, Prometheus scrapes the app (its API says the target
# is up), and with the app's error knob raised the error-rate alert goes
# through Alertmanager to a webhook this test listens with on 127.0.0.1,
# firing and then resolved. Intervals, `for:` and grouping are short here
# through blissful-infra.yaml's settings.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 18
"$ROOT/scripts/images.sh" debian prometheus alertmanager >/dev/null ||
	{ exit_ok 1 "base, prometheus and alertmanager images"; exit 1; }
name=bi-addon-$$
port=$(free_port)
PROMETHEUS_PORT=$(free_port)
ALERTMANAGER_PORT=$(free_port)
hp=$(free_port)
BI_TEST_HOOK=http://127.0.0.1:$hp/alerts
export PROMETHEUS_PORT ALERTMANAGER_PORT BI_TEST_HOOK
export BI_DB=$TMP/bi.db
cd "$TMP" || exit 1
at_exit "cd '$TMP/$name' 2>/dev/null && bi-watch --stop >/dev/null 2>&1; docker-compose -p $name -f '$TMP/$name/docker-compose.yaml' down -v --remove-orphans >/dev/null 2>&1; docker rmi -f $name:latest >/dev/null 2>&1"

# The receiver: every body posted, as one JSON line.
python3 - "$hp" "$TMP/hook.jsonl" <<'PY' &
import http.server, json, sys
out = sys.argv[2]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        try:
            line = json.dumps(json.loads(body), sort_keys=True)
        except ValueError:
            line = json.dumps({"unparsed": body.decode('utf-8', 'replace')})
        with open(out, 'a') as f:
            f.write(line + '\n')
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Hook).serve_forever()
PY
at_exit "kill $! 2>/dev/null"

blissful-infra create "$name" --template c-service --port "$port" >"$TMP/create" 2>&1 && cd "$name" ||
	{ exit_ok 1 "a c-service project"; sed 's/^/# /' "$TMP/create"; exit 1; }
cat >>blissful-infra.yaml <<'YML'
notifications:
  webhooks:
    - name: test
      url: ${BI_TEST_HOOK}
prometheus:
  scrape_interval: 1s
  evaluation_interval: 1s
  window: 5s
  for: 2s
alertmanager:
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
YML
blissful-infra add prometheus >/dev/null && blissful-infra add alertmanager >/dev/null
exit_ok $? "add prometheus, add alertmanager"
is "$(bi-config get addons)" '["prometheus","alertmanager"]' "blissful-infra.yaml lists them"
promtool check config addons/prometheus/prometheus.yml >"$TMP/promtool" 2>&1
exit_ok $? "promtool check config: the generated config and its rules" || sed 's/^/# /' "$TMP/promtool"

# Their ports are checked with the project's: the webhook's is taken.
PROMETHEUS_PORT=$hp blissful-infra up >"$TMP/up" 2>&1
is "$?:$(grep -c "port $hp is already in use" "$TMP/up"):$(docker ps -aq --filter "label=com.docker.compose.project=$name" | wc -l | tr -d ' ')" \
	"1:1:0" "up refuses a taken Prometheus port, naming it, and starts nothing"

blissful-infra up >"$TMP/up" 2>&1
exit_ok $? "up starts the app with both" || { sed 's/^/# /' "$TMP/up"; exit 1; }
cid() { docker ps -q --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=$1"; }
[ -n "$(cid prometheus)" ] && [ -n "$(cid alertmanager)" ]
exit_ok $? "prometheus and alertmanager run as services of $name"
docker exec "$(cid alertmanager)" amtool check-config /etc/alertmanager/alertmanager.yml >"$TMP/amtool" 2>&1
exit_ok $? "amtool check-config, in the alertmanager container" || sed 's/^/# /' "$TMP/amtool"

# Prometheus scrapes the app: its target is up.
api=http://127.0.0.1:$PROMETHEUS_PORT/api/v1
i=0
while :; do
	health=$(curl -s "$api/targets" | jq -r '.data.activeTargets[] | select(.labels.service == "app") | .health')
	[ "$health" = up ] || [ $i -ge 60 ] && break
	i=$((i + 1)); sleep 1
done
is "$health" up "Prometheus's API: the app's target is up"
is "$(curl -s "$api/alertmanagers" | jq -r '.data.activeAlertmanagers[].url')" \
	"http://127.0.0.1:$ALERTMANAGER_PORT/api/v2/alerts" "and it sends to the project's Alertmanager"

# The error knob up, under load: the alert reaches the webhook.
curl -s -X POST -d '{"error_rate":0.5}' "http://127.0.0.1:$port/admin/faults" >/dev/null
bi-perf -u 2 -d 90s -q --no-thresholds "http://127.0.0.1:$port/hello/x" >/dev/null 2>&1 &
load=$!
at_exit "kill $load 2>/dev/null"
am='select(.receiver == "blissful-infra" and .version == "4")'
wait_hook() {	# JQ-FILTER: until a notification matches it, 90 s at most
	i=0
	until [ -s "$TMP/hook.jsonl" ] && jq -e -c "$am | $1" "$TMP/hook.jsonl" >"$TMP/match" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 90 ] || return 1; sleep 1
	done
}
wait_hook 'select(.status == "firing" and .commonLabels.alertname == "error_rate")'
exit_ok $? "a firing error_rate notification reached the webhook"
n=$(head -1 "$TMP/match")
printf '%s\n' "$n" | cut -c1-300 | sed 's/^/# /'
is "$(printf '%s' "$n" | jq -r '[.alerts[0].status, .alerts[0].labels.alertname, .alerts[0].labels.service, (.alerts[0].labels | keys | join(","))] | join(" ")')" \
	"firing error_rate app alertname,service,severity" "its alert: firing, alertname error_rate, service app, and those labels with severity"
printf '%s' "$n" | jq -e '.alerts[0].labels.severity == "warning" or .alerts[0].labels.severity == "critical"' >/dev/null
exit_ok $? "severity from blissful-infra.yaml's levels ($(printf '%s' "$n" | jq -r '.alerts[0].labels.severity'))"
printf '%s' "$n" | jq -r '.alerts[0].annotations.summary' | grep -q '^app: error_rate is [0-9.]*, at or above its [a-z]* level 0\.0[15]$'
exit_ok $? "summary: $(printf '%s' "$n" | jq -r '.alerts[0].annotations.summary')"

# The knob back to 0: the alert resolves, and the webhook hears it.
curl -s -X POST -d '{"error_rate":0}' "http://127.0.0.1:$port/admin/faults" >/dev/null
wait_hook 'select(.status == "resolved" and .commonLabels.alertname == "error_rate")'
exit_ok $? "the resolved notification followed once the knob was back to 0"
kill $load 2>/dev/null

# The README's pipeline: the add-on's Prometheus, read by bi-metrics.
bi-metrics query --prometheus "http://127.0.0.1:$PROMETHEUS_PORT" 'sum by (service) (http_requests_total)' >"$TMP/q" 2>&1
jq -e -s 'length == 1 and .[0].kind == "metric" and .[0].labels.service == "app" and .[0].value > 0' "$TMP/q" >/dev/null
exit_ok $? "bi-metrics query --prometheus reads the add-on's Prometheus" || sed 's/^/# /' "$TMP/q"

# Removed while up: its container goes, and Prometheus, told, stops sending to it.
blissful-infra remove alertmanager >/dev/null 2>&1
[ -z "$(cid alertmanager)" ]
exit_ok $? "remove alertmanager while up: its container is gone"
i=0
until [ "$(curl -s "$api/alertmanagers" | jq '.data.activeAlertmanagers | length')" = 0 ]; do
	i=$((i + 1)); [ $i -lt 30 ] || break; sleep 1
done
is "$(curl -s "$api/alertmanagers" | jq '.data.activeAlertmanagers | length')" 0 \
	"and the running Prometheus reloaded its configuration without it"

blissful-infra down >/dev/null 2>&1
is "$(docker ps -aq --filter "label=com.docker.compose.project=$name" | wc -l | tr -d ' ')" 0 \
	"down removes the add-ons' containers with the project's"
