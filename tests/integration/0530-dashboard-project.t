#!/bin/sh
# The dashboard's API against a running project: `create --template
# c-service`, `up` (its watcher fills the store: the container's logs and
# events, metrics scraped, alerts judged), a little load (bi-perf, with the
# error knob on, so that the error-rate alert fires), then `blissful-infra
# dashboard`, and curl on every route: its status and shape, and what it says
# of the real service (its health, a request rate above 0 from the scrapes
# in every window from 1m to 24h, a log line of its container found by
# service, level and word, a line its request makes delivered by the live
# stream within 2 s); the alert acknowledged by POST; the routes with
# nothing yet (findings, kb, scores) in their empty shape; no token 401,
# another Host 403. `down` at the end.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 32
"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base images"; exit 1; }

name=bi-d-$$
port=$(free_port)
cd "$TMP" || exit 1
unset BI_DB
at_exit "cd '$TMP/$name' 2>/dev/null && { bi-watch --stop >/dev/null 2>&1; docker-compose -p $name down -v --remove-orphans >/dev/null 2>&1; }; docker rmi -f $name:latest >/dev/null 2>&1"

blissful-infra create "$name" --template c-service --database none --port "$port" >/dev/null
exit_ok $? "create a c-service project"
cd "$name" || exit 1
# Scrapes every 2 s; an error rate of 10 % warns.
python3 - <<'PY'
import yaml
cfg = yaml.safe_load(open("blissful-infra.yaml"))
cfg.setdefault("metrics", {})["interval"] = "2s"
cfg.setdefault("alerts", {})["error_rate"] = {"warning": 0.1, "critical": 0.9}
yaml.safe_dump(cfg, open("blissful-infra.yaml", "w"), sort_keys=False)
PY
blissful-infra up >"$TMP/up" 2>&1
st=$?
[ $st -eq 0 ] || sed 's/^/# /' "$TMP/up"
exit_ok $st "up"
url=http://127.0.0.1:$port

# A little load, a third of it failing: requests counted, an alert fired.
curl -s -X POST -d '{"error_rate":0.3}' "$url/admin/faults" >/dev/null
bi-perf --rate 20 -d 5s -q --no-thresholds "$url/hello/load" >"$TMP/perf" 2>&1
exit_ok $? "bi-perf --rate 20 -d 5s"
curl -s -X POST -d '{"error_rate":0}' "$url/admin/faults" >/dev/null

Q=$(free_port)
blissful-infra dashboard --no-open --port "$Q" >"$TMP/dash" 2>"$TMP/dash.err" &
dash=$!
at_exit "kill $dash 2>/dev/null"
i=0
until grep -q '^dashboard: ' "$TMP/dash" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
T=$(cat .blissful-infra/serve.token 2>/dev/null)
U=http://127.0.0.1:$Q
is "$(sed -n 's/^dashboard: //p' "$TMP/dash")" "$U/?token=$T" "dashboard: its URL, with the token"

get() {	# PATH [CURL ARGS]: the status; the body in body
	p=$1; shift
	curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $T" "$@" "$U$p"
}
body() { jq -c "$@" "$TMP/body"; }

# --- the project, its services and their health ---
is "$(get /api/status):$(body '[.project, (.services | index("app") != null), .records.log > 0, .metric_series > 0]')" \
	"200:[\"$name\",true,true,true]" "/api/status: the project, its service app, logs and metric series kept"
# Its health as the watcher's scrapes see it: the series up, 1 at the last.
i=0
until [ "$(get '/api/metrics/series?service=app&name=up&window=5m')" = 200 ] &&
	[ "$(body '[.series[].points[]] | length > 1')" = true ] || [ $i -gt 40 ]; do
	sleep 0.5; i=$((i + 1))
done
is "$(body '[.service, .name, (.series[0].points | length > 1), .series[0].points[-1][1]]')" '["app","up",true,1]' \
	"/api/metrics/series?name=up: app, scraped and up at the last scrape"
is "$(get /api/events):$(body '(.records | type) + ":" + (.count | type)')" '200:"array:number"' "/api/events"

# --- metrics, in every window, from the real scrapes ---
for ww in 1m:1m 5m:5m 15m:15m 1h:1h 6h:6h 24h:1d; do
	w=${ww%:*}
	i=0
	until [ "$(get "/api/metrics?window=$w")" = 200 ] &&
		[ "$(body '[.services[] | select(.service == "app") | .figures.request_rate.value > 0] == [true]')" = true ] ||
		[ $i -gt 20 ]; do
		sleep 0.5; i=$((i + 1))
	done
	is "$(body "[.window, (.services[] | select(.service == \"app\") | .figures.request_rate | .value > 0, .unit)]")" \
		"[\"${ww#*:}\",true,\"$(body -r '.services[] | select(.service == "app") | .figures.request_rate.unit')\"]" \
		"/api/metrics?window=$w: app's request rate above 0 ($(body -r '.services[] | select(.service == "app") | .figures.request_rate.value'))"
done
name1=$(bi-metrics export --format json --window 5m --service app | jq -r '.name' | grep -m1 _total)
is "$(get "/api/metrics/series?service=app&name=$name1&window=5m"):$(body '[.series[].points | length > 1] | any')" \
	"200:true" "/api/metrics/series: $name1, points from each scrape"
is "$(get '/api/metrics/history?service=app&window=5m'):$(body '[.figures.request_rate[] | numbers | select(. > 0)] | length > 0')" \
	"200:true" "/api/metrics/history: request rates above 0 across the window"

# --- logs: search, and the live stream ---
docker logs "$(docker ps -q --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=app" | head -1)" \
	>"$TMP/docker.log" 2>&1
is "$(get '/api/logs?service=app&level=info&q=listening'):$(body '[.records[] | .service, .level] | unique')" \
	'200:["app","info"]' "/api/logs by service, level and word: app's info lines"
found=$(body -r '.records[0].msg')
grep -qF "$found" "$TMP/docker.log"
exit_ok $? "and the line found is the container's own: $found"
is "$(get '/api/logs?service=app&level=error&q=load'):$(body '.count > 0 and ([.records[].level] - ["error", "fatal"] == [])')" \
	"200:true" "/api/logs?level=error: the failed requests of the load, errors only"
is "$(get '/api/logs?service=nosuch'):$(body .count)" "200:0" "a service that is not there: none"

: >"$TMP/sse"
curl -sN -H "Authorization: Bearer $T" "$U/api/logs/stream?service=app" >"$TMP/sse" &
cpid=$!
at_exit "kill $cpid 2>/dev/null"
i=0
until grep -q '^: connected' "$TMP/sse" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
mark=live-$$
curl -s -o /dev/null "$url/hello/$mark"
i=0
until grep -q "$mark" "$TMP/sse" || [ $i -ge 20 ]; do sleep 0.1; i=$((i + 1)); done
is "$(sed -n 's/^data: //p' "$TMP/sse" | grep "$mark" | jq -r .service | head -1)" app \
	"the live stream delivers the line of a request made after it opened, within 2 s"
kill $cpid 2>/dev/null

# --- alerts ---
i=0
until [ "$(get /api/alerts)" = 200 ] && [ "$(body '.count > 0')" = true ] || [ $i -gt 30 ]; do
	sleep 0.5; i=$((i + 1))
done
aid=$(body -r '.alerts[] | select(.name == "error_rate" and .service == "app") | .id' | head -1)
is "$(body '[.alerts[] | select(.name == "error_rate" and .service == "app") | .state, .acked]')" \
	'["firing",false]' "/api/alerts: app's error-rate alert, firing, not acknowledged"
# Its record, which the watcher relays to the store after the alert is kept.
i=0
until [ "$(get '/api/records?kind=alert&service=app')" = 200 ] && [ "$(body '.count > 0')" = true ] || [ $i -gt 20 ]; do
	sleep 0.5; i=$((i + 1))
done
is "$(body '[.count > 0, (.records[0] | .kind, .service)]')" \
	'[true,"alert","app"]' "/api/records?kind=alert: the watcher's record of it"
is "$(get "/api/alerts/ack?id=$aid" -X POST):$(body -c .)" "200:{\"id\":$aid,\"acked\":true}" "POST /api/alerts/ack"
is "$(get /api/alerts):$(body "[.alerts[] | select(.id == $aid) | .acked]")" "200:[true]" "and the alert is acknowledged"

# --- what nothing has written yet: the empty shapes ---
is "$(get /api/findings):$(body -c .)" '200:{"records":[],"count":0}' "/api/findings: none yet"
is "$(get /api/kb):$(body -c .)" '200:{"incidents":[]}' "/api/kb: none yet"
is "$(get /api/scores):$(body -c .)" '200:{"scores":[]}' "/api/scores: none yet"
is "$(get '/api/records?kind=log&limit=1'):$(body '[.count, (.records[0] | .kind, .service)]')" '200:[1,"log","app"]' \
	"/api/records?kind=log&limit=1: the newest line"

# --- the gate ---
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/status")" 401 "no token: 401"
is "$(get /api/status -H "Host: evil.example:$Q")" 403 "another Host: 403"

# --- down ---
kill -TERM $dash
wait $dash
is "$?" 0 "the dashboard stops on SIGTERM, exit 0"
blissful-infra down >/dev/null 2>&1
exit_ok $? "down"
