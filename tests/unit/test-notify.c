/*
 * test-notify: which records call for a message, and the messages' shapes
 * field by field: Slack's Block Kit (a text fallback; header, section,
 * context; their limits; mrkdwn escaped), Teams' Adaptive Card message, the
 * generic webhook's object; summaries and their bounds; the notifications:
 * section read, its defaults and each mistake refused without quoting a
 * URL; ${VAR} expansion, Retry-After, and scrubbing secrets out of error text.
 */
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "engines/notify.h"
#include "tap.h"

static jv
rec(const char *json)
{
	jv v = jv_parse(json);
	if (!jv_is_valid(v)) {
		printf("# bad fixture: %s\n", json);
		exit(1);
	}
	return v;
}

static const char *
str(jv v, const char *path)
{
	return bi_jv_path_str(v, path, NULL);
}

static double
num(jv v, const char *path)
{
	return bi_jv_path_num(v, path, -1);
}

static int
len(jv v, const char *path)
{
	jv a = bi_jv_path(v, path);
	int n = jv_get_kind(a) == JV_KIND_ARRAY ? jv_array_length(jv_copy(a)) : -1;
	jv_free(a);
	return n;
}

static int
kind_is(jv v, const char *path, jv_kind k)
{
	jv a = bi_jv_path(v, path);
	int r = jv_get_kind(a) == k;
	jv_free(a);
	return r;
}

static const char *
event(const char *json)
{
	jv r = rec(json);
	const bi_notify_rule *rule = bi_notify_match(r);
	jv_free(r);
	return rule ? (rule->send ? rule->event : "quiet") : "none";
}

#define ALERT "{\"kind\":\"alert\",\"ts\":\"2026-11-24T01:46:45.758Z\",\"project\":\"shop\",\"id\":7," \
	"\"name\":\"error_rate\",\"service\":\"api\",\"severity\":\"critical\",\"state\":\"firing\"," \
	"\"value\":0.08,\"threshold\":0.05,\"acked\":false,\"msg\":\"error_rate of api is 0.08 (critical at 0.05)\"}"

static void
rules(void)
{
	is_str(event(ALERT), "firing", "an alert firing calls for a message");
	is_str(event("{\"kind\":\"alert\",\"state\":\"resolved\"}"), "resolved", "so does one resolved");
	is_str(event("{\"kind\":\"alert\",\"state\":\"firing\",\"repeat\":true,\"acked\":false}"), "repeat",
	       "and a repeat of one nobody acknowledged");
	is_str(event("{\"kind\":\"alert\",\"state\":\"firing\",\"repeat\":true,\"acked\":true}"), "quiet",
	       "an acknowledged alert's repeat stays quiet");
	is_str(event("{\"kind\":\"chaos\",\"status\":\"failed\"}"), "failed", "a failed chaos experiment");
	is_str(event("{\"kind\":\"chaos\",\"status\":\"passed\"}"), "none", "not one that passed");
	is_str(event("{\"kind\":\"score\",\"trend\":\"declining\",\"score\":60}"), "drop", "a declining score");
	is_str(event("{\"kind\":\"score\",\"trend\":\"steady\",\"score\":60}"), "none", "not a steady one");
	is_str(event("{\"kind\":\"stage\",\"status\":\"failed\"}"), "failed", "a failed pipeline stage");
	is_str(event("{\"kind\":\"canary\",\"status\":\"aborted\"}"), "aborted", "an aborted canary");
	is_str(event("{\"kind\":\"log\",\"level\":\"error\"}"), "none", "not a log line");
	is_str(event("{\"state\":\"firing\"}"), "none", "not a record without a kind");
	ok(bi_notify_kind_known("canary") && !bi_notify_kind_known("log"), "the kinds the table knows");

	jv r = rec("{\"kind\":\"chaos\",\"status\":\"failed\",\"scenario\":\"pod-kill\",\"target\":\"api\"}");
	char *t = bi_notify_title(bi_notify_match(r), r);
	is_str(t, "Chaos experiment failed: pod-kill on api", "a headline from the table's template");
	free(t);
	jv_free(r);
	r = rec("{\"kind\":\"stage\",\"status\":\"failed\"}");
	t = bi_notify_title(bi_notify_match(r), r);
	is_str(t, "Pipeline stage failed: ?", "a field the record lacks shows as ?");
	free(t);
	jv_free(r);
}

static void
slack(void)
{
	jv recs = jv_array_append(jv_array(), rec(ALERT));
	jv m = bi_notify_message(BI_NOTIFY_SLACK, recs, 0);

	is_str(str(m, "text"), "[critical] Alert firing: error_rate on api (shop): error_rate of api is 0.08 (critical at 0.05)",
	       "slack: the text fallback");
	is_num(len(m, "blocks"), 3, "slack: three blocks");
	is_str(str(m, "blocks.0.type"), "header", "slack: a header");
	is_str(str(m, "blocks.0.text.type"), "plain_text", "slack: its text plain_text");
	is_str(str(m, "blocks.0.text.text"), "Alert firing: error_rate on api", "slack: the headline");
	is_str(str(m, "blocks.1.type"), "section", "slack: a section");
	is_str(str(m, "blocks.1.text.type"), "mrkdwn", "slack: its text mrkdwn");
	is_str(str(m, "blocks.1.text.text"), "error_rate of api is 0.08 (critical at 0.05)", "slack: the msg");
	is_num(len(m, "blocks.1.fields"), 4, "slack: four fields");
	is_str(str(m, "blocks.1.fields.0.type"), "mrkdwn", "slack: fields are text objects");
	is_str(str(m, "blocks.1.fields.0.text"), "*Service*\napi", "slack: service");
	is_str(str(m, "blocks.1.fields.1.text"), "*Severity*\ncritical", "slack: severity");
	is_str(str(m, "blocks.1.fields.2.text"), "*Value*\n0.08", "slack: value");
	is_str(str(m, "blocks.1.fields.3.text"), "*Threshold*\n0.05", "slack: threshold");
	is_str(str(m, "blocks.2.type"), "context", "slack: a context");
	is_num(len(m, "blocks.2.elements"), 1, "slack: one element");
	is_str(str(m, "blocks.2.elements.0.text"), "Project *shop*  |  2026-11-24T01:46:45.758Z  |  blissful-infra",
	       "slack: the project and the time");
	jv_free(m);
	jv_free(recs);

	/* A record cannot link or mention (<!channel>), nor overflow a header. */
	char name[400];
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	jv r = rec("{\"kind\":\"alert\",\"state\":\"firing\",\"service\":\"a<b>&c\",\"msg\":\"<!channel> <http://x|y> & more\"}");
	r = bi_set(r, "name", jv_string(name));
	recs = jv_array_append(jv_array(), r);
	m = bi_notify_message(BI_NOTIFY_SLACK, recs, 0);
	is_str(str(m, "blocks.1.text.text"), "&lt;!channel&gt; &lt;http://x|y&gt; &amp; more", "slack: mrkdwn escaped");
	is_str(str(m, "blocks.1.fields.0.text"), "*Service*\na&lt;b&gt;&amp;c", "slack: fields escaped too");
	const char *h = str(m, "blocks.0.text.text");
	ok(h && strlen(h) <= 150 && strstr(h, "\xe2\x80\xa6"), "slack: a long headline cut to 150, with an ellipsis");
	ok(!strstr(str(m, "text"), "<!channel>"), "slack: the fallback escaped");
	jv_free(m);
	jv_free(recs);
}

static void
teams(void)
{
	jv recs = jv_array_append(jv_array(), rec(ALERT));
	jv m = bi_notify_message(BI_NOTIFY_TEAMS, recs, 0);

	is_str(str(m, "type"), "message", "teams: type message");
	is_num(len(m, "attachments"), 1, "teams: one attachment");
	is_str(str(m, "attachments.0.contentType"), "application/vnd.microsoft.card.adaptive", "teams: contentType");
	ok(kind_is(m, "attachments.0.contentUrl", JV_KIND_NULL), "teams: contentUrl null");
	is_str(str(m, "attachments.0.content.type"), "AdaptiveCard", "teams: an AdaptiveCard");
	is_str(str(m, "attachments.0.content.$schema"), "http://adaptivecards.io/schemas/adaptive-card.json",
	       "teams: its $schema");
	is_str(str(m, "attachments.0.content.version"), "1.2", "teams: version 1.2, a string");
	is_num(len(m, "attachments.0.content.body"), 3, "teams: three elements");
	is_str(str(m, "attachments.0.content.body.0.type"), "TextBlock", "teams: a TextBlock");
	is_str(str(m, "attachments.0.content.body.0.text"), "Alert firing: error_rate on api", "teams: the headline");
	is_str(str(m, "attachments.0.content.body.0.weight"), "Bolder", "teams: bold");
	is_str(str(m, "attachments.0.content.body.0.color"), "Attention", "teams: critical needs attention");
	ok(kind_is(m, "attachments.0.content.body.0.wrap", JV_KIND_TRUE), "teams: wrapped");
	is_str(str(m, "attachments.0.content.body.1.text"), "error_rate of api is 0.08 (critical at 0.05)", "teams: the msg");
	is_str(str(m, "attachments.0.content.body.2.type"), "FactSet", "teams: a FactSet");
	is_num(len(m, "attachments.0.content.body.2.facts"), 6, "teams: six facts");
	is_str(str(m, "attachments.0.content.body.2.facts.0.title"), "Project", "teams: project first");
	is_str(str(m, "attachments.0.content.body.2.facts.0.value"), "shop", "teams: the project");
	is_str(str(m, "attachments.0.content.body.2.facts.3.title"), "Value", "teams: value");
	is_str(str(m, "attachments.0.content.body.2.facts.3.value"), "0.08", "teams: a fact's value is a string");
	is_str(str(m, "attachments.0.content.body.2.facts.4.value"), "0.05", "teams: threshold");
	is_str(str(m, "attachments.0.content.body.2.facts.5.value"), "2026-11-24T01:46:45.758Z", "teams: the time");
	jv_free(m);
	jv_free(recs);
}

static void
webhook(void)
{
	jv recs = jv_array_append(jv_array(), rec(ALERT));
	jv m = bi_notify_message(BI_NOTIFY_WEBHOOK, recs, 0);

	is_str(str(m, "project"), "shop", "webhook: project");
	is_str(str(m, "service"), "api", "webhook: service");
	is_str(str(m, "kind"), "alert", "webhook: kind");
	is_str(str(m, "name"), "error_rate", "webhook: name");
	is_str(str(m, "severity"), "critical", "webhook: severity");
	is_str(str(m, "state"), "firing", "webhook: state");
	is_num(num(m, "value"), 0.08, "webhook: value, a number");
	is_num(num(m, "threshold"), 0.05, "webhook: threshold, a number");
	is_str(str(m, "msg"), "error_rate of api is 0.08 (critical at 0.05)", "webhook: msg");
	is_str(str(m, "ts"), "2026-11-24T01:46:45.758Z", "webhook: ts");
	is_str(str(m, "event"), "firing", "webhook: the event");
	ok(kind_is(m, "grouped", JV_KIND_FALSE) && num(m, "count") == 1, "webhook: one record, not grouped");
	is_num(num(m, "record.id"), 7, "webhook: the record itself");
	jv_free(m);
	jv_free(recs);

	recs = jv_array_append(jv_array(), rec("{\"kind\":\"chaos\",\"ts\":\"2026-11-24T01:00:00.000Z\","
					     "\"scenario\":\"pod-kill\",\"target\":\"api\",\"status\":\"failed\",\"reason\":\"no restart\"}"));
	m = bi_notify_message(BI_NOTIFY_WEBHOOK, recs, 0);
	ok(!strcmp(str(m, "name"), "pod-kill") && !strcmp(str(m, "service"), "api") &&
	   !strcmp(str(m, "state"), "failed") && !strcmp(str(m, "msg"), "no restart") &&
	   kind_is(m, "severity", JV_KIND_NULL) && kind_is(m, "project", JV_KIND_NULL),
	   "webhook: a chaos failure's scenario, target, status and reason in the same fields; absent ones null");
	jv_free(m);
	jv_free(recs);
}

static void
summaries(void)
{
	jv recs = jv_array();
	for (int i = 0; i < 130; i++) {
		jv r = rec(ALERT);
		r = bi_set(r, "ts", jv_string_fmt("2026-11-24T01:%02d:%02d.000Z", i / 60, i % 60));
		recs = jv_array_append(recs, r);
	}
	char *t = bi_notify_summary_title(recs);
	is_str(t, "130 more alerts", "a summary's headline counts them");
	free(t);

	jv m = bi_notify_message(BI_NOTIFY_SLACK, recs, 1);
	is_str(str(m, "text"), "130 more alerts (shop)", "slack summary: the fallback");
	is_str(str(m, "blocks.0.text.text"), "130 more alerts", "slack summary: the header");
	const char *list = str(m, "blocks.1.text.text");
	int lines = 1;
	for (const char *p = list; p && *p; p++)
		lines += *p == '\n';
	ok(list && lines == 21 && strlen(list) <= 3000, "slack summary: 20 lines and one more (%d)", lines);
	ok(list && !strncmp(list, "\xe2\x80\xa2 01:00:00 [critical] Alert firing: error_rate on api: ", 47),
	   "slack summary: a line is the time, severity, headline and msg");
	ok(list && strstr(list, "_and 110 more_"), "slack summary: how many more");
	is_str(str(m, "blocks.2.elements.0.text"),
	       "Project *shop*  |  2026-11-24T01:00:00.000Z to 2026-11-24T01:02:09.000Z  |  blissful-infra",
	       "slack summary: the project and the time span");
	jv_free(m);

	m = bi_notify_message(BI_NOTIFY_TEAMS, recs, 1);
	is_str(str(m, "attachments.0.content.body.0.text"), "130 more alerts", "teams summary: the headline");
	is_num(len(m, "attachments.0.content.body.2.facts"), 20, "teams summary: 20 facts");
	is_str(str(m, "attachments.0.content.body.2.facts.0.title"), "01:00:00", "teams summary: a fact's title is the time");
	is_str(str(m, "attachments.0.content.body.3.text"), "and 110 more", "teams summary: how many more");
	jv_free(m);

	m = bi_notify_message(BI_NOTIFY_WEBHOOK, recs, 1);
	ok(kind_is(m, "grouped", JV_KIND_TRUE) && num(m, "count") == 130, "webhook summary: grouped, the count");
	is_num(len(m, "records"), 100, "webhook summary: at most 100 records");
	is_num(num(m, "omitted"), 30, "webhook summary: the others counted");
	is_num(num(m, "records.99.threshold"), 0.05, "webhook summary: each with the fields");
	is_str(str(m, "kind"), "alert", "webhook summary: their kind, when all are one");

	is_str(str(m, "ts"), "2026-11-24T01:02:09.000Z", "webhook summary: the last one's time");
	jv_free(m);
	jv_free(recs);

	/* Long messages, full of what mrkdwn escapes, stay within the limits. */
	char *big = malloc(10001);
	for (int i = 0; i < 10000; i++)
		big[i] = "a<&>"[i % 4];
	big[10000] = '\0';
	recs = jv_array();
	for (int i = 0; i < 30; i++)
		recs = jv_array_append(recs, bi_set(rec(ALERT), "msg", jv_string(big)));
	m = bi_notify_message(BI_NOTIFY_SLACK, recs, 1);
	list = str(m, "blocks.1.text.text");
	ok(list && strlen(list) <= 3000 && strstr(list, "more_"), "slack summary of long lines: within 3000 (%zu)",
	   list ? strlen(list) : 0);
	jv_free(m);
	m = bi_notify_message(BI_NOTIFY_TEAMS, recs, 1);
	const char *v = str(m, "attachments.0.content.body.2.facts.19.value");
	ok(v && strlen(v) <= 300, "teams summary: a fact's value at most 300 bytes");
	jv one = jv_array_append(jv_array(), bi_set(rec(ALERT), "msg", jv_string(big)));
	jv_free(m);
	m = bi_notify_message(BI_NOTIFY_SLACK, one, 0);
	ok(strlen(str(m, "blocks.1.text.text")) <= 3000 && strlen(str(m, "text")) <= 3000,
	   "slack: a long msg cut to 3000 in the section and the fallback");
	jv_free(m);
	m = bi_notify_message(BI_NOTIFY_TEAMS, one, 0);
	ok(strlen(str(m, "attachments.0.content.body.1.text")) <= 3000, "teams: a long msg cut to 3000");
	jv_free(m);
	jv_free(one);
	free(big);
	jv_free(recs);

	recs = jv_array_append(jv_array(), rec(ALERT));
	recs = jv_array_append(recs, rec("{\"kind\":\"chaos\",\"status\":\"failed\"}"));
	t = bi_notify_summary_title(recs);
	is_str(t, "2 more notifications", "kinds mixed: notifications");
	free(t);
	m = bi_notify_message(BI_NOTIFY_WEBHOOK, recs, 1);
	ok(kind_is(m, "kind", JV_KIND_NULL), "webhook summary: no kind when mixed");
	jv_free(m);
	jv_free(recs);
}

static void
helpers(void)
{
	char err[256], *out;

	setenv("BI_TEST_HOOK", "https://hooks.example.test/services/T/B/secret", 1);
	setenv("BI_TEST_EMPTY", "", 1);
	unsetenv("BI_TEST_UNSET");
	ok(bi_notify_expand("${BI_TEST_HOOK}", &out, err, sizeof err) == 0 &&
	   !strcmp(out, "https://hooks.example.test/services/T/B/secret"), "${VAR} expanded");
	free(out);
	ok(bi_notify_expand("https://x.test/${BI_TEST_HOOK}/$x", &out, err, sizeof err) == 0 &&
	   !strcmp(out, "https://x.test/https://hooks.example.test/services/T/B/secret/$x"), "within text; a bare $ kept");
	free(out);
	ok(bi_notify_expand("https://x.test/${BI_TEST_UNSET}", &out, err, sizeof err) == -1 && !out &&
	   !strcmp(err, "the environment variable BI_TEST_UNSET is not set"), "unset: named (%s)", err);
	ok(bi_notify_expand("${BI_TEST_EMPTY}", &out, err, sizeof err) == -1, "empty: refused");
	ok(bi_notify_expand("https://x.test/${secret", &out, err, sizeof err) == -1 && !strstr(err, "secret"),
	   "a ${ unclosed: refused without quoting the text (%s)", err);

	int64_t now = INT64_C(1445412480) * BI_NS_PER_S;	/* Wed, 21 Oct 2015 07:28:00 GMT */
	is_num(bi_notify_retry_after("120", now), 120000, "Retry-After: 120 seconds");
	is_num(bi_notify_retry_after(" 1\r\n", now), 1000, "Retry-After as a header line gives it");
	is_num(bi_notify_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000, "Retry-After: a date 30 s ahead");
	is_num(bi_notify_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0, "a date past: now");
	is_num(bi_notify_retry_after("soon", now), -1, "not a delay");

	const char *secrets[] = {"https://h.test/services/T/B/secret", "/services/T/B/secret", "h.test", NULL};
	char *s = bi_notify_scrub("Could not resolve h.test for https://h.test/services/T/B/secret (/services/T/B/secret)",
				  secrets, 4, "<slack>");
	is_str(s, "Could not resolve <slack> for <slack> (<slack>)", "scrubbed: the URL whole, its path, its host");
	free(s);
}

/* Read YAML as a configuration: 0 or -1, the reason in err. */
static int
conf(const char *yaml, bi_notify_config *c, char *err, size_t n)
{
	jv cfg = bi_yaml_parse(yaml, strlen(yaml), "test.yaml");
	if (!jv_is_valid(cfg)) {
		printf("# bad YAML fixture: %s\n", yaml);
		exit(1);
	}
	int r = bi_notify_config_read(cfg, c, err, n);
	jv_free(cfg);
	return r;
}

/* The reason a configuration is refused, "" when it is not. */
static const char *
refused(const char *yaml)
{
	static char err[512];
	bi_notify_config c;

	err[0] = '\0';
	if (conf(yaml, &c, err, sizeof err) == 0) {
		bi_notify_config_free(&c);
		return "";
	}
	return err;
}

static void
config(void)
{
	bi_notify_config c;
	char err[512] = "";

	setenv("BI_TEST_SLACK", "https://hooks.slack.test/services/T0/B0/secret", 1);
	int r = conf("notifications:\n"
		     "  slack: {webhook: \"${BI_TEST_SLACK}\"}\n"
		     "  teams:\n    webhook: https://example.test/webhookb2/teamsecret\n    on: [alert]\n"
		     "  webhooks:\n    - {name: oncall, url: \"http://10.0.0.9:9000/hook?key=k\"}\n"
		     "    - {name: local, url: \"http://127.0.0.1:9/x\", on: chaos}\n"
		     "  on: [alert, score]\n"
		     "  group: 90s\n  retry: {attempts: 3, backoff: 250ms}\n  timeout: 2s\n  queue: 7\n",
		     &c, err, sizeof err);
	ok(r == 0 && c.nt == 4, "a configuration of four targets read (%s)", err);
	if (r != 0 || c.nt != 4)
		return;
	is_str(c.t[0].name, "slack", "slack first");
	is_str(c.t[0].url, "https://hooks.slack.test/services/T0/B0/secret", "its URL with ${VAR} expanded");
	is_str(c.t[0].secrets[1], "/services/T0/B0/secret", "the URL's path, to scrub");
	is_str(c.t[0].secrets[3], "hooks.slack.test", "and its host");
	ok(c.t[0].to == BI_NOTIFY_SLACK && c.t[1].to == BI_NOTIFY_TEAMS && c.t[2].to == BI_NOTIFY_WEBHOOK,
	   "each target's kind of receiver");
	is_str(c.t[2].name, "webhook:oncall", "a webhook named webhook:NAME");
	ok(bi_notify_wants(&c.t[0], "score") && !bi_notify_wants(&c.t[0], "chaos"), "on: for all targets");
	ok(bi_notify_wants(&c.t[1], "alert") && !bi_notify_wants(&c.t[1], "score"), "a target's own on: wins");
	ok(bi_notify_wants(&c.t[3], "chaos") && !bi_notify_wants(&c.t[3], "alert"), "on: one kind, not a list");
	ok(c.t[2].insecure && !c.t[3].insecure && !c.t[0].insecure, "plain http to another machine is insecure; to this one not");
	ok(c.group == 90 * BI_NS_PER_S && c.backoff == 250 * BI_NS_PER_MS && c.timeout == 2 * BI_NS_PER_S &&
	   c.attempts == 3 && c.queue == 7, "group, retry, timeout and queue");
	bi_notify_config_free(&c);

	r = conf("notifications:\n  webhooks:\n    - {name: a, url: \"http://127.0.0.1:9/\"}\n", &c, err, sizeof err);
	ok(r == 0 && c.group == 60 * BI_NS_PER_S && c.attempts == 5 && c.backoff == BI_NS_PER_S &&
	   c.timeout == 10 * BI_NS_PER_S && c.queue == 100 && !c.t[0].on && bi_notify_wants(&c.t[0], "canary"),
	   "defaults: group 60s, 5 tries from 1s, timeout 10s, queue 100, every kind");
	if (r == 0)
		bi_notify_config_free(&c);

	unsetenv("BI_TEST_UNSET");
	is_str(refused("name: x\n"), "notifications: no such section, so no one to tell", "no section");
	is_str(refused("notifications: [a]\n"), "notifications: expected a mapping", "not a mapping");
	is_str(refused("notifications:\n  group: 1m\n"),
	       "notifications: no target: give slack.webhook, teams.webhook or webhooks", "no target");
	is_str(refused("notifications:\n  slak: {webhook: \"http://127.0.0.1:9/\"}\n"),
	       "notifications: unknown key 'slak'", "an unknown key");
	is_str(refused("notifications:\n  slack: {webhook: \"http://127.0.0.1:9/\", channel: x}\n"),
	       "notifications.slack: unknown key 'channel'", "an unknown key in a target");
	is_str(refused("notifications:\n  slack: {webhook: \"http://127.0.0.1:9/\"}\n  group: soon\n"),
	       "notifications.group: not a duration: 'soon' (as 30s, 1m)", "a bad duration");
	is_str(refused("notifications:\n  slack: {webhook: \"http://127.0.0.1:9/\"}\n  retry: {attempts: 0}\n"),
	       "notifications.retry.attempts: expected a whole number from 1 to 100", "attempts 0");
	is_str(refused("notifications:\n  slack: {webhook: \"http://127.0.0.1:9/\"}\n  queue: 1.5\n"),
	       "notifications.queue: expected a whole number from 1 to 100000", "a queue of 1.5");
	is_str(refused("notifications:\n  slack: {webhook: \"http://127.0.0.1:9/\", on: [alert, deploy]}\n"),
	       "notifications.slack.on: expected kinds among alert, chaos, score, stage, canary", "an unknown kind");
	is_str(refused("notifications:\n  slack: {webhook: \"https://h.test/services/${BI_TEST_UNSET}\"}\n"),
	       "notifications.slack.webhook: the environment variable BI_TEST_UNSET is not set", "a variable unset");
	const char *e = refused("notifications:\n  teams: {webhook: \"ftp://h.test/webhookb2/topsecret\"}\n");
	ok(!strcmp(e, "notifications.teams.webhook: not an http(s) URL") && !strstr(e, "topsecret"),
	   "not http(s), and the URL not quoted: %s", e);
	e = refused("notifications:\n  teams: {webhook: \"https://h.test:99999/topsecret\"}\n");
	ok(*e && !strstr(e, "topsecret") && !strstr(e, "h.test"), "a bad port, and the URL not quoted: %s", e);
	is_str(refused("notifications:\n  slack: {}\n"),
	       "notifications.slack.webhook: expected the webhook's URL, as ${SLACK_WEBHOOK_URL}", "a target without a URL");
	is_str(refused("notifications:\n  webhooks:\n    - {name: a, url: \"http://127.0.0.1:9/\"}\n"
		       "    - {name: a, url: \"http://127.0.0.1:9/\"}\n"),
	       "notifications.webhooks.1.url: a second target named webhook:a", "two webhooks of one name");
	is_str(refused("notifications:\n  webhooks:\n    - {name: On Call, url: \"http://127.0.0.1:9/\"}\n"),
	       "notifications.webhooks.0: name: expected a short name of a-z, 0-9, - and _", "a name with spaces");
}

int
main(void)
{
	plan(134);
	rules();
	slack();
	teams();
	webhook();
	summaries();
	helpers();
	config();
	return done();
}
