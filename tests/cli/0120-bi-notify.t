#!/bin/sh
# bi-notify: Slack, Teams and generic webhook payloads in their documented
# shapes, grouping, retries, a receiver down or slow, the webhook URLs never
# shown, ${VAR} expansion, malformed input; against tests/tools/receiver.py
# (a stand-in receiver on 127.0.0.1).
. "$(dirname "$0")/../lib.sh"
plan 71

RECV=$ROOT/tests/tools/receiver.py
unset BI_PROJECT_DIR SLACK_WEBHOOK_URL TEAMS_WEBHOOK_URL
cd "$TMP" || exit 1

serve() {	# NAME [receiver options]: start a receiver; its address in $URL, its log in $TMP/NAME.log
	_name=$1
	shift
	/usr/bin/python3 "$RECV" --port-file "$TMP/$_name.port" --log "$TMP/$_name.log" "$@" &
	at_exit "kill $! 2>/dev/null"
	_i=0
	while [ ! -s "$TMP/$_name.port" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	URL=http://127.0.0.1:$(cat "$TMP/$_name.port")
}
# run NAME CONFIG [options] < input: bi-notify's stdout, stderr and status
# in $TMP/NAME.out, .err, .rc; every run's output is searched for secrets.
run() {
	_name=$1 _cfg=$2
	shift 2
	bi-notify --config "$_cfg" "$@" >"$TMP/$_name.out" 2>"$TMP/$_name.err"
	echo $? >"$TMP/$_name.rc"
}
rc() { cat "$TMP/$1.rc"; }
alert() {	# SECOND [STATE [SEVERITY [EXTRA]]]
	printf '{"kind":"alert","ts":"2026-11-24T01:%02d:%02d.000Z","id":%d,"name":"error_rate","service":"api","severity":"%s","state":"%s","value":0.08,"threshold":0.05,"acked":false,"msg":"error_rate of api is 0.08 (%s at 0.05)"%s}\n' \
		$(($1 / 60)) $(($1 % 60)) $(($1 + 1)) "${3:-critical}" "${2:-firing}" "${3:-critical}" "${4:-}"
}
# The paths' last parts stand for the secrets of real webhook URLs.
S_SLACK=/services/T0001/B0001/sekritSLACKtoken
S_TEAMS=/webhookb2/sekritTEAMStoken
S_HOOK=/hooks/sekritHOOKtoken
config() {	# FILE SLACK TEAMS HOOK [more notification settings]: each target
	# its address (the path of its secret added), a whole ${VAR}, or - for none
	_f=$1 _s=$2 _t=$3 _h=$4
	shift 4
	case $_s in http*) _s=$_s$S_SLACK ;; esac
	case $_t in http*) _t=$_t$S_TEAMS ;; esac
	case $_h in http*) _h=$_h$S_HOOK ;; esac
	{
		echo "name: shop"
		echo "notifications:"
		[ "$_s" = - ] || printf '  slack:\n    webhook: %s\n' "$_s"
		[ "$_t" = - ] || printf '  teams:\n    webhook: "%s"\n' "$_t"
		[ "$_h" = - ] || printf '  webhooks:\n    - name: oncall\n      url: %s\n' "$_h"
		for line in "$@"; do echo "  $line"; done
	} >"$_f"
}
bodies() { jq -c "select(.path == \"$2\") | .json" "$TMP/$1.log"; }	# LOG PATH

# ---- options

bi-notify --help >"$TMP/help" 2>&1
is "$?:$(head -n 1 "$TMP/help")" "0:usage: bi-notify [--config FILE] [--drain DUR] [--strict] [FILE...]" "--help: usage on stdout, exit 0"
is "$(bi-notify --version)" "bi-notify 0.1.0" "--version"
bi-notify --bogus >/dev/null 2>&1
is $? 2 "an unknown option: exit 2"

# ---- one alert: one message for each target, in its documented shape

serve ok
export SLACK_WEBHOOK_URL=$URL$S_SLACK
config one.yaml '${SLACK_WEBHOOK_URL}' "$URL" "$URL" 'retry: {attempts: 2, backoff: 50ms}'
alert 1 | run one one.yaml
is "$(rc one)" 0 "one alert delivered to every target: exit 0"
is "$(jq -r '.path' ok.log | sort | tr '\n' ' ')" "$S_HOOK $S_SLACK $S_TEAMS " \
	"exactly one message for each target, at its own URL (\${SLACK_WEBHOOK_URL} expanded)"
is "$(jq -r '.content_type' ok.log | sort -u)" "application/json" "sent as application/json"
is "$(jq -r '[.kind, .target, .status, .records, .grouped, .attempt, .http_status] | @tsv' one.out | sort)" \
"$(printf 'notification\tslack\tsent\t1\tfalse\t1\t200\nnotification\tteams\tsent\t1\tfalse\t1\t200\nnotification\twebhook:oncall\tsent\t1\tfalse\t1\t200')" \
	"a notification record for each delivery: target, status, records, grouped, attempt"
is "$(jq -r '.project + " " + .title' one.out | sort -u)" "shop Alert firing: error_rate on api" \
	"the records name the project and the message's headline"

# Slack: Block Kit (api.slack.com/messaging/webhooks; block-kit/blocks).
bodies ok "$S_SLACK" >slack.json
is "$(jq -r '.text' slack.json)" "[critical] Alert firing: error_rate on api (shop): error_rate of api is 0.08 (critical at 0.05)" \
	"slack: a text fallback for notifications"
is "$(jq -r '[.blocks[].type] | join(" ")' slack.json)" "header section context" "slack: blocks header, section, context"
is "$(jq -r '.blocks[0].text | .type + " " + .text' slack.json)" "plain_text Alert firing: error_rate on api" \
	"slack: the header is plain_text"
jq -e '.blocks[0].text.text | length <= 150' slack.json >/dev/null
exit_ok $? "slack: the header within 150 characters"
is "$(jq -r '.blocks[1].text | .type + " " + .text' slack.json)" "mrkdwn error_rate of api is 0.08 (critical at 0.05)" \
	"slack: the section's text is the alert's msg, mrkdwn"
is "$(jq -c '[.blocks[1].fields[] | .type + ":" + .text]' slack.json)" \
	'["mrkdwn:*Service*\napi","mrkdwn:*Severity*\ncritical","mrkdwn:*Value*\n0.08","mrkdwn:*Threshold*\n0.05"]' \
	"slack: section fields service, severity, value and threshold"
jq -e '(.blocks[1].fields | length <= 10) and all(.blocks[1].fields[]; .text | length <= 2000)' slack.json >/dev/null
exit_ok $? "slack: at most 10 fields of at most 2000 characters"
is "$(jq -r '.blocks[2].elements[0] | .type + " " + .text' slack.json)" \
	"mrkdwn Project *shop*  |  2026-11-24T01:00:01.000Z  |  blissful-infra" "slack: context with the project and the time"

# Teams: an Adaptive Card message (learn.microsoft.com: Send Adaptive Cards
# using an Incoming Webhook).
bodies ok "$S_TEAMS" >teams.json
is "$(jq -r '.type, (.attachments | length), .attachments[0].contentType, .attachments[0].contentUrl' teams.json | tr '\n' ' ')" \
	"message 1 application/vnd.microsoft.card.adaptive null " \
	"teams: type message, one attachment of contentType application/vnd.microsoft.card.adaptive"
is "$(jq -r '.attachments[0].content | .type, ."$schema", .version' teams.json | tr '\n' ' ')" \
	"AdaptiveCard http://adaptivecards.io/schemas/adaptive-card.json 1.2 " "teams: the content is an AdaptiveCard, with \$schema and version"
is "$(jq -r '[.attachments[0].content.body[].type] | join(" ")' teams.json)" "TextBlock TextBlock FactSet" \
	"teams: the body is TextBlocks and a FactSet"
is "$(jq -r '.attachments[0].content.body[0] | .text + " " + .weight' teams.json)" "Alert firing: error_rate on api Bolder" \
	"teams: the headline first, bold"
is "$(jq -c '[.attachments[0].content.body[2].facts[] | [.title, .value]]' teams.json)" \
	'[["Project","shop"],["Service","api"],["Severity","critical"],["Value","0.08"],["Threshold","0.05"],["Time","2026-11-24T01:00:01.000Z"]]' \
	"teams: facts project, service, severity, value, threshold, time"
jq -e '[.attachments[0].content.body[] | select(.type == "FactSet") | .facts[] | (.title | type), (.value | type)] | all(. == "string")' \
	teams.json >/dev/null
exit_ok $? "teams: every fact's title and value a string"

# A generic webhook: the fields, and the record.
bodies ok "$S_HOOK" >hook.json
is "$(jq -c '{project, service, kind, name, severity, state, value, threshold, ts, grouped, count}' hook.json)" \
	'{"project":"shop","service":"api","kind":"alert","name":"error_rate","severity":"critical","state":"firing","value":0.08,"threshold":0.05,"ts":"2026-11-24T01:00:01.000Z","grouped":false,"count":1}' \
	"webhook: project, service, kind, name, severity, state, value, threshold, ts"
is "$(jq -r '.msg + " | " + .record.kind' hook.json)" "error_rate of api is 0.08 (critical at 0.05) | alert" "webhook: msg, and the record itself"

# ---- a storm: one message, then one summary

serve storm
config storm.yaml "$URL" "$URL" "$URL" 'group: 60s'
i=0
while [ $i -lt 50 ]; do alert $i; i=$((i + 1)); done | run storm storm.yaml
is "$(rc storm)" 0 "a storm of 50 alerts: exit 0"
is "$(jq -r '.path' storm.log | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" "2 2 2 " "each target got two messages"
is "$(bodies storm "$S_HOOK" | jq -c '[.grouped, .count]' | tr '\n' ' ')" "[false,1] [true,49] " \
	"webhook: the first alert at once, then a summary of the 49 others"
is "$(bodies storm "$S_HOOK" | jq -r 'select(.grouped) | .title, (.records | length), .records[0].ts, .records[48].value' | tr '\n' ' ')" \
	"49 more alerts 49 2026-11-24T01:00:01.000Z 0.08 " "webhook: the summary lists the records, with their fields"
is "$(bodies storm "$S_SLACK" | jq -r 'select(.blocks[0].text.text == "49 more alerts") | .text')" "49 more alerts (shop)" \
	"slack: the summary's headline"
bodies storm "$S_SLACK" | jq -e 'select(.text | startswith("49")) | .blocks[1].text.text | (split("\n") | length == 21) and endswith("_and 29 more_") and (length <= 3000)' >/dev/null
exit_ok $? "slack: the summary lists 20, then says how many more"
bodies storm "$S_TEAMS" | jq -e 'select(.attachments[0].content.body[0].text == "49 more alerts") | .attachments[0].content.body | (.[2].facts | length == 20) and (.[3].text == "and 29 more")' >/dev/null
exit_ok $? "teams: the summary, a FactSet of 20 and how many more"
is "$(jq -r 'select(.grouped) | .records' storm.out | sort -u)" 49 "the summary's notification records carry 49 records"

# The window's end sends what it held, while the input is still open.
serve window
config window.yaml - - "$URL" 'group: 1s'
{ alert 1; alert 2; sleep 2.5; alert 3 resolved; } | run window window.yaml
is "$(bodies window "$S_HOOK" | jq -c '[.grouped, .count, .state // .records[0].state]' | tr '\n' ' ')" \
	'[false,1,"firing"] [true,1,"firing"] [false,1,"resolved"] ' \
	"group 1s: the held alert goes when the window ends, before the next; a quiet window closes"

# SIGTERM ends it as the end of the input does: what is held is sent.
serve term
config term.yaml - - "$URL" 'group: 60s'
{ alert 1; alert 2; sleep 4; } | bi-notify --config term.yaml >term.out 2>term.err &
pid=$!
i=0
while [ "$(wc -l <term.log 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
start=$(date +%s%N)
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$(bodies term "$S_HOOK" | jq -c '[.grouped, .count]' | tr '\n' ' '):$(jq -r .status term.out | tr '\n' ' ')" \
	"[false,1] [true,1] :sent sent " "SIGTERM: the held alert sent as a summary before bi-notify ends"
exit_ok $((took > 3000)) "at once, not at the end of the input ($took ms)"

# ---- what calls for a message

serve kinds
config kinds.yaml - - "$URL" 'group: 0s' 'teams: {webhook: "'"$URL$S_TEAMS"'", on: [alert]}'
{
	printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:00:00.000Z","level":"error","msg":"boom"}'
	printf '%s\n' '{"kind":"chaos","ts":"2026-11-24T01:00:01.000Z","scenario":"pod-kill","target":"api","status":"passed"}'
	printf '%s\n' '{"kind":"chaos","ts":"2026-11-24T01:00:02.000Z","scenario":"pod-kill","target":"api","status":"failed","reason":"no restart"}'
	printf '%s\n' '{"kind":"score","ts":"2026-11-24T01:00:03.000Z","score":80,"trend":"steady"}'
	printf '%s\n' '{"kind":"score","ts":"2026-11-24T01:00:04.000Z","score":55,"trend":"declining"}'
	printf '%s\n' '{"kind":"stage","ts":"2026-11-24T01:00:05.000Z","stage":"build","status":"failed"}'
	printf '%s\n' '{"kind":"canary","ts":"2026-11-24T01:00:06.000Z","service":"api","status":"aborted","project":"other"}'
	printf '%s\n' '{"kind":"finding","ts":"2026-11-24T01:00:06.500Z","service":"api","title":"pool exhausted"}'
	printf '%s\n' '{"kind":"finding","ts":"2026-11-24T01:00:06.600Z","source":"watchdog","runbook":"oom","service":"api","severity":"critical","title":"api was killed: out of memory"}'
	alert 7 firing warning ',"repeat":true,"acked":true'
	alert 8 firing warning ',"repeat":true'
	alert 9 resolved warning
} | run kinds kinds.yaml
is "$(bodies kinds "$S_HOOK" | jq -r '.kind + ":" + .event' | tr '\n' ' ')" \
	"chaos:failed score:drop stage:failed canary:aborted finding:finding alert:repeat alert:resolved " \
	"failed chaos, a declining score, a failed stage, an aborted canary, the watchdog's finding, a repeat, a resolve; not logs, passes, acknowledged repeats, bi-rca's findings"
is "$(bodies kinds "$S_HOOK" | jq -r '.title' | tr '\n' '|')" \
	"Chaos experiment failed: pod-kill on api|Resilience score dropped to 55|Pipeline stage failed: build|Canary aborted: api|Watchdog: api was killed: out of memory|Alert still firing: error_rate on api|Alert resolved: error_rate on api|" \
	"each with its headline"
is "$(bodies kinds "$S_HOOK" | jq -r '.project' | tr '\n' ' ')" "shop shop shop other shop shop shop " \
	"a record's own project wins over blissful-infra.yaml's name"
is "$(bodies kinds "$S_HOOK" | jq -c 'select(.kind == "finding") | [.name, .service, .severity, .msg]')" \
	'["oom","api","critical","api was killed: out of memory"]' "the watchdog's finding: its runbook, service, severity and title to route on"
is "$(bodies kinds "$S_TEAMS" | jq -r '.attachments[0].content.body[0].text' | tr '\n' '|')" \
	"Alert still firing: error_rate on api|Alert resolved: error_rate on api|" "a target's on: [alert] sends alerts only"
is "$(bodies kinds "$S_TEAMS" | jq -r '.attachments[0].content.body[0].color' | tr '\n' ' ')" "Warning Good " \
	"teams: a warning in Warning, a resolve in Good"

# ---- retries

serve flaky --fail 2
config flaky.yaml "$URL" - - 'retry: {attempts: 5, backoff: 100ms}'
alert 1 | run flaky flaky.yaml
is "$(jq -r '[.status, .attempt, .http_status, .retry_in_ms] | @tsv' flaky.out | tr '\t\n' ', ')" \
	"retrying,1,500,100 retrying,2,500,200 sent,3,200, " "a receiver failing twice: two retrying records (backoff doubling), sent on the third try"
is "$(rc flaky):$(wc -l <flaky.log | tr -d ' ')" "0:3" "exit 0; the receiver saw three requests"
is "$(jq -r '.body' flaky.log | sort -u | wc -l | tr -d ' ')" 1 "the same message each time"
is "$(jq -r '.error' flaky.out | head -n 1)" "HTTP 500: server error" "the error says what the receiver answered"

serve limited --fail 1 --fail-status 429 --retry-after 1
config limited.yaml "$URL" - - 'retry: {attempts: 3, backoff: 50ms}'
alert 1 | run limited limited.yaml
is "$(jq -r '[.status, .retry_in_ms] | @tsv' limited.out | tr '\t\n' ', ')" "retrying,1000 sent, " "429 with Retry-After: 1: the retry waits 1 s, not the backoff"
jq -s -e '.[1].t - .[0].t >= 0.95' limited.log >/dev/null
exit_ok $? "the second request came a second later"

serve teams429 --fail 1 --fail-status 200 --fail-body "Microsoft Teams endpoint returned HTTP error 429"
config teams429.yaml - "$URL" - 'retry: {attempts: 3, backoff: 50ms}'
alert 1 | run teams429 teams429.yaml
is "$(jq -r '.status' teams429.out | tr '\n' ' ')" "retrying sent " "teams' 429 said in a 200's body is retried"

serve gone --fail 9 --fail-status 404 --fail-body channel_not_found
config gone.yaml "$URL" - - 'retry: {attempts: 5, backoff: 50ms}'
alert 1 | run gone gone.yaml
is "$(rc gone):$(jq -r '[.status, .attempt, .error] | @tsv' gone.out)" "3:$(printf 'failed\t1\tHTTP 404: channel_not_found')" \
	"a 404 is not retried: failed at once, exit 3"

# ---- a receiver down, or slow: the input is read to its end all the same

port=$(free_port)
config down.yaml "http://127.0.0.1:$port" - - 'retry: {attempts: 3, backoff: 50ms}'
alert 1 | run down down.yaml
is "$(rc down)" 3 "a receiver down: exit 3"
is "$(jq -r '.status' down.out | tr '\n' ' ')" "retrying retrying failed " "retried, then failed"
is "$(wc -l <down.err | tr -d ' ')" 1 "one line on stderr"
grep -q '^bi-notify: slack: not delivered after 3 attempts: ' down.err
exit_ok $? "naming the target: $(cat down.err)"

serve slow --slow 30
config slow.yaml "$URL" - - 'retry: {attempts: 2, backoff: 50ms}'
line='{"kind":"log","ts":"2026-11-24T01:00:00.000Z","service":"api","level":"info","msg":"GET /hello 200 in 1.2 ms, nothing to tell anyone about"}'
start=$(date +%s%N)
{ alert 1; yes "$line" | head -n 40000; date +%s%N >"$TMP/wrote"; } | run slow slow.yaml --drain 1s
end=$(date +%s%N)
wrote=$(( ($(cat "$TMP/wrote") - start) / 1000000 ))
exit_ok $((wrote > 5000)) "5 MB of input read while the receiver sleeps (all written in $wrote ms)"
exit_ok $(( (end - start) / 1000000 > 10000 )) "and the end: --drain 1s, not the receiver's 30 s ($(( (end - start) / 1000000 )) ms)"
is "$(rc slow):$(jq -r '[.status, .error] | @tsv' slow.out)" "3:$(printf 'failed\tstopped at the drain deadline')" \
	"the delivery cut at the deadline: failed, exit 3"

serve queue --slow 1
config queue.yaml - - "$URL" 'group: 0s' 'queue: 2' 'retry: {attempts: 1}'
i=0
while [ $i -lt 6 ]; do alert $i; i=$((i + 1)); done | run queue queue.yaml --drain 4s
dropped=$(jq -r 'select(.status == "dropped") | .records' queue.out | wc -l | tr -d ' ')
sent=$(jq -r 'select(.status == "sent")' queue.out | jq -s length)
exit_ok $((dropped < 1 || dropped + sent != 6)) "a full queue drops its oldest: $dropped dropped, $sent sent"
is "$(rc queue)" 3 "dropped messages were not delivered: exit 3"
grep -q "^bi-notify: webhook:oncall: $dropped messages\\{0,1\\} dropped: the queue (queue: 2) was full" queue.err
exit_ok $? "and said so: $(cat queue.err)"

# ---- configuration

unset SLACK_WEBHOOK_URL
alert 1 | run unset one.yaml
is "$(rc unset):$(cat unset.err)" \
	"2:bi-notify: one.yaml: notifications.slack.webhook: the environment variable SLACK_WEBHOOK_URL is not set" \
	"\${VAR} unset: exit 2, the variable named"
export SLACK_WEBHOOK_URL=
alert 1 | run empty one.yaml
is "$(rc empty)" 2 "\${VAR} empty: exit 2"
export SLACK_WEBHOOK_URL="ftp://127.0.0.1$S_SLACK"
alert 1 | run ftp one.yaml
is "$(rc ftp):$(cat ftp.err)" "2:bi-notify: one.yaml: notifications.slack.webhook: not an http(s) URL" \
	"not http(s): exit 2, without the URL"
unset SLACK_WEBHOOK_URL
printf 'name: shop\nnotifications:\n  slak:\n    webhook: http://127.0.0.1:9/x\n' >typo.yaml
alert 1 | run typo typo.yaml
is "$(rc typo):$(cat typo.err)" "2:bi-notify: typo.yaml: notifications: unknown key 'slak'" "an unknown key: exit 2"
config dur.yaml "$URL" - - 'group: soon'
alert 1 | run dur dur.yaml
is "$(rc dur):$(cat dur.err)" "2:bi-notify: dur.yaml: notifications.group: not a duration: 'soon' (as 30s, 1m)" "a bad duration: exit 2"
config on.yaml "$URL" - - 'on: [alert, deploy]'
alert 1 | run on on.yaml
is "$(rc on)" 2 "on: a kind bi-notify does not send: exit 2"
printf 'name: shop\n' >none.yaml
alert 1 | run none none.yaml
is "$(rc none)" 2 "no notifications: section: exit 2"
mkdir -p proj
config proj/blissful-infra.yaml "$(cat "$TMP/ok.port" | sed 's|^|http://127.0.0.1:|')" - -
( cd proj && alert 1 | bi-notify >../proj.out 2>../proj.err )
is "$?:$(jq -r .status proj.out)" "0:sent" "without --config, the project's blissful-infra.yaml"

# ---- malformed input

serve bad
config bad.yaml - - "$URL"
{ alert 1; echo 'not json'; alert 3; } | run bad bad.yaml
is "$(rc bad):$(bodies bad "$S_HOOK" | jq -c '[.grouped, .count]' | tr '\n' ' ')" "0:[false,1] [true,1] " \
	"a malformed line is skipped; its neighbours are sent"
grep -q '^bi-notify: stdin:2: malformed record' bad.err
exit_ok $? "and reported with its line number"
{ alert 1; echo 'not json'; alert 3; } | run strict bad.yaml --strict
is "$(rc strict)" 2 "--strict: a malformed line is fatal, exit 2"

# ---- no secret anywhere

found=$(cat ./*.out ./*.err | grep -c -e sekrit -e 'http://' -e '127\.0\.0\.1:')
is "$found" 0 "no webhook URL, nor its secret path, in any run's stdout or stderr"
