/*
 * notify.c: what is worth telling people, and the messages that tell them.
 * Records in, JSON payloads out, nothing sent: bi-notify delivers them.
 *
 * Which records call for a message is the table `rules` (alerts firing,
 * repeated or resolved; failed chaos experiments; declining scores;
 * failed pipeline stages; aborted canaries; the watchdog's findings), and what a
 * message shows of each kind is the table `facts`: adding a kind is adding
 * lines, not code. Payloads follow the receivers' documented shapes:
 *
 *   Slack (api.slack.com/messaging/webhooks, Block Kit reference): a "text"
 *   fallback for notifications, and "blocks": a header (plain_text, at most
 *   150 characters), a section (mrkdwn text, at most 3000; fields, at most
 *   10 of at most 2000) and a context (at most 10 elements). mrkdwn text has
 *   &, < and > escaped, as Slack asks, so a record cannot make a link or a
 *   mention.
 *
 *   Teams (learn.microsoft.com, "Send Adaptive Cards using an Incoming
 *   Webhook"): {"type":"message","attachments":[{"contentType":
 *   "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":
 *   CARD}]}, CARD an AdaptiveCard of version 1.2 whose body is TextBlocks
 *   and a FactSet (facts of title and value, both strings).
 *
 *   A generic webhook: one JSON object with the fields a receiver routes on
 *   (project, service, kind, name, severity, state, value, threshold, msg,
 *   ts), the headline, and the record itself; a summary lists the records.
 *
 * Everything is built with jv, never spliced into text, so no field of a
 * record can break out of its string.
 *
 * Layer: engines.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engines/notify.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "base/addr.h"

/* Which records call for a message; the first line that matches decides. */
static const bi_notify_rule rules[] = {
	/* kind     field     want        field2   want2     send event       title                                        plural */
	{"alert",  "repeat", "true",     "acked", "true",   0, "acked",    NULL, "alerts"},
	{"alert",  "repeat", "true",     "state", "firing", 1, "repeat",   "Alert still firing: {name} on {service}", "alerts"},
	{"alert",  "state",  "firing",   NULL,    NULL,     1, "firing",   "Alert firing: {name} on {service}", "alerts"},
	{"alert",  "state",  "resolved", NULL,    NULL,     1, "resolved", "Alert resolved: {name} on {service}", "alerts"},
	{"chaos",  "status", "failed",   NULL,    NULL,     1, "failed",   "Chaos experiment failed: {scenario} on {target|service}",
	 "chaos failures"},
	{"score",  "trend",  "declining", NULL,   NULL,     1, "drop",     "Resilience score dropped to {score}", "score drops"},
	{"stage",  "status", "failed",   NULL,    NULL,     1, "failed",   "Pipeline stage failed: {stage|name}", "failed stages"},
	{"canary", "status", "aborted",  NULL,    NULL,     1, "aborted",  "Canary aborted: {service|name}", "canary aborts"},
	{"finding", "source", "watchdog", NULL,   NULL,     1, "finding",  "Watchdog: {title}", "watchdog findings"},
};
#define NRULES (sizeof rules / sizeof rules[0])

/* What a message shows of each kind, in order: Slack's section fields and
 * Teams' facts. from is a field, or alternatives a|b. */
static const struct fact {
	const char *kind, *label, *from;
} facts[] = {
	{"alert", "Service", "service"},
	{"alert", "Severity", "severity"},
	{"alert", "Value", "value"},
	{"alert", "Threshold", "threshold"},
	{"chaos", "Scenario", "scenario"},
	{"chaos", "Service", "target|service"},
	{"chaos", "Intensity", "intensity"},
	{"chaos", "Recovery (ms)", "recovery_ms"},
	{"score", "Score", "score"},
	{"score", "Trend", "trend"},
	{"stage", "Stage", "stage|name"},
	{"stage", "Run", "run"},
	{"canary", "Service", "service|name"},
	{"canary", "Step", "step"},
	{"canary", "Weight", "weight"},
	{"finding", "Service", "service"},
	{"finding", "Severity", "severity"},
	{"finding", "Runbook", "runbook"},
};

/* The generic webhook's fields: each key, from the first of its sources. */
static const struct flat {
	const char *key, *from;
} flats[] = {
	{"project", "project"},
	{"service", "service|target"},
	{"kind", "kind"},
	{"name", "name|scenario|stage|runbook"},
	{"severity", "severity"},
	{"state", "state|status|trend"},
	{"value", "value|score"},
	{"threshold", "threshold"},
	{"msg", "msg|reason|title"},
	{"ts", "ts"},
};

#define SLACK_HEADER_MAX 150
#define SLACK_TEXT_MAX 3000
#define SLACK_FIELD_MAX 2000
#define SLACK_FIELDS_MAX 10
#define LINE_MAX 300		/* a summary's line: 20 of them stay well within Teams' 28 KB */
#define TEXT_MAX 3000		/* a message's msg */

/* ---- reading records ---- */

/* rec's field (borrowed rec): a new reference, or jv_invalid(). */
static jv
field(jv rec, const char *key)
{
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(rec), jv_string(key));
}

/* The first of the alternatives "a|b|c" that rec has, not null. */
static jv
field_alt(jv rec, const char *from)
{
	char key[64];

	while (*from) {
		size_t n = strcspn(from, "|");
		snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key ? n : sizeof key - 1), from);
		jv v = field(rec, key);
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
			return v;
		jv_free(v);
		from += n + (from[n] == '|');
	}
	return jv_invalid();
}

/* A value as text, appended to b; 0 when it has none to show. */
static int
add_value(bi_buf *b, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		bi_buf_adds(b, jv_string_value(v));
		return 1;
	case JV_KIND_NUMBER:
		bi_buf_printf(b, "%.6g", jv_number_value(v));
		return 1;
	case JV_KIND_TRUE:
		bi_buf_adds(b, "true");
		return 1;
	case JV_KIND_FALSE:
		bi_buf_adds(b, "false");
		return 1;
	default:
		return 0;
	}
}

/* The field (alternatives a|b) as a new string, or NULL. */
static char *
text_of(jv rec, const char *from)
{
	bi_buf b = {0};
	jv v = field_alt(rec, from);
	int some = add_value(&b, v);

	jv_free(v);
	if (!some || b.len == 0) {
		bi_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static int
holds(jv rec, const char *key, const char *want)
{
	if (!key)
		return 1;
	jv v = field(rec, key);
	int r = 0;
	if (jv_get_kind(v) == JV_KIND_STRING)
		r = !strcmp(jv_string_value(v), want);
	else if (jv_get_kind(v) == JV_KIND_TRUE)
		r = !strcmp(want, "true");
	jv_free(v);
	return r;
}

const bi_notify_rule *
bi_notify_match(jv rec)
{
	const char *kind = jv_get_kind(rec) == JV_KIND_OBJECT ? bi_get_str(rec, "kind") : NULL;

	if (!kind)
		return NULL;
	for (size_t i = 0; i < NRULES; i++)
		if (!strcmp(rules[i].kind, kind) && holds(rec, rules[i].field, rules[i].want) &&
		    holds(rec, rules[i].field2, rules[i].want2))
			return &rules[i];
	return NULL;
}

int
bi_notify_kind_known(const char *kind)
{
	for (size_t i = 0; i < NRULES; i++)
		if (!strcmp(rules[i].kind, kind))
			return 1;
	return 0;
}

const char *
bi_notify_kinds(void)
{
	return "alert, chaos, score, stage, canary";
}

char *
bi_notify_title(const bi_notify_rule *rule, jv rec)
{
	bi_buf b = {0};
	const char *t = rule && rule->title ? rule->title : "{kind}";

	while (*t) {
		const char *open = strchr(t, '{'), *close = open ? strchr(open, '}') : NULL;
		if (!open || !close) {
			bi_buf_adds(&b, t);
			break;
		}
		bi_buf_add(&b, t, open - t);
		char from[128];
		snprintf(from, sizeof from, "%.*s", (int)(close - open - 1), open + 1);
		jv v = field_alt(rec, from);
		if (!add_value(&b, v))
			bi_buf_adds(&b, "?");
		jv_free(v);
		t = close + 1;
	}
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

/* ---- text helpers ---- */

/* s cut to at most max bytes, on a character boundary, with an ellipsis
 * when cut (a new string). */
static char *
cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return bi_strdup(s);
	size_t k = max >= 3 ? max - 3 : 0;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return bi_asprintf("%.*s\xe2\x80\xa6", (int)k, s);
}

/* Slack's mrkdwn escaping: &, < and > as entities, nothing else. */
static void
add_mrkdwn(bi_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			bi_buf_adds(b, "&amp;");
		else if (*s == '<')
			bi_buf_adds(b, "&lt;");
		else if (*s == '>')
			bi_buf_adds(b, "&gt;");
		else
			bi_buf_add(b, s, 1);
	}
}

static char *
mrkdwn(const char *s)
{
	bi_buf b = {0};

	add_mrkdwn(&b, s);
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

static jv
text_obj(const char *type, const char *text)
{
	return bi_set(bi_set(jv_object(), "type", jv_string(type)), "text", jv_string(text));
}

/* What a record says in words: its msg or reason (at most TEXT_MAX
 * bytes), or NULL. */
static char *
detail(jv rec)
{
	char *d = text_of(rec, "msg|reason"), *c = d ? cut(d, TEXT_MAX) : NULL;

	free(d);
	return c;
}

/* One line about a record, for a summary's list:
 * "01:46:45 [critical] Alert firing: error_rate on api: <msg>", the time
 * left out unless with_time. */
static char *
line_of(jv rec, int with_time)
{
	const bi_notify_rule *rule = bi_notify_match(rec);
	char *title = bi_notify_title(rule, rec), *sev = text_of(rec, "severity"), *d = detail(rec);
	const char *ts = bi_get_str(rec, "ts");
	bi_buf b = {0};

	if (with_time && ts && strlen(ts) >= 19 && ts[10] == 'T')
		bi_buf_printf(&b, "%.8s ", ts + 11);
	if (sev)
		bi_buf_printf(&b, "[%s] ", sev);
	bi_buf_adds(&b, title);
	if (d)
		bi_buf_printf(&b, ": %s", d);
	bi_buf_add(&b, NULL, 0);
	free(title);
	free(sev);
	free(d);
	char *c = cut(b.p, LINE_MAX);
	bi_buf_free(&b);
	return c;
}

static int
nrecs(jv recs)
{
	return jv_get_kind(recs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(recs)) : 0;
}

char *
bi_notify_summary_title(jv recs)
{
	int n = nrecs(recs);
	const char *plural = NULL;

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(recs), i);
		const bi_notify_rule *rule = bi_notify_match(r);
		const char *p = rule ? rule->plural : "notifications";
		plural = !plural || !strcmp(plural, p) ? p : "notifications";
		jv_free(r);
	}
	if (n == 1 && plural && !strcmp(plural, "alerts"))
		return bi_strdup("1 more alert");
	return bi_asprintf("%d more %s", n, n == 1 ? "notification" : plural ? plural : "notifications");
}

/* The project of the first record that names one, or NULL (a new string). */
static char *
project_of(jv recs)
{
	int n = nrecs(recs);

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(recs), i);
		char *p = text_of(r, "project");
		jv_free(r);
		if (p)
			return p;
	}
	return NULL;
}

/* Teams' colour for a record: resolved is good news, a warning a warning,
 * anything else that calls for a message needs attention. */
static const char *
color_of(const bi_notify_rule *rule, jv rec)
{
	if (rule && !strcmp(rule->event, "resolved"))
		return "Good";
	if (rule && !strcmp(rule->event, "drop"))
		return "Warning";
	return holds(rec, "severity", "warning") ? "Warning" : "Attention";
}

/* ---- Slack ---- */

static jv
slack_context(const char *project, const char *when)
{
	bi_buf b = {0};

	if (project) {
		char *p = cut(project, 200);
		bi_buf_adds(&b, "Project *");
		add_mrkdwn(&b, p);
		bi_buf_adds(&b, "*  |  ");
		free(p);
	}
	if (when) {
		add_mrkdwn(&b, when);
		bi_buf_adds(&b, "  |  ");
	}
	bi_buf_adds(&b, "blissful-infra");
	jv el = jv_array_append(jv_array(), text_obj("mrkdwn", b.p));
	bi_buf_free(&b);
	return bi_set(bi_set(jv_object(), "type", jv_string("context")), "elements", el);
}

static jv
slack_header(const char *title)
{
	char *h = cut(title, SLACK_HEADER_MAX);
	jv t = bi_set(text_obj("plain_text", h), "emoji", jv_true());
	free(h);
	return bi_set(bi_set(jv_object(), "type", jv_string("header")), "text", t);
}

static jv
slack_one(jv rec)
{
	const bi_notify_rule *rule = bi_notify_match(rec);
	const char *kind = bi_get_str(rec, "kind");
	char *title = bi_notify_title(rule, rec), *d = detail(rec), *sev = text_of(rec, "severity");
	char *project = text_of(rec, "project");
	jv blocks = jv_array_append(jv_array(), slack_header(title));

	jv section = bi_set(jv_object(), "type", jv_string("section"));
	if (d) {
		char *m = mrkdwn(d), *c = cut(m, SLACK_TEXT_MAX);
		section = bi_set(section, "text", text_obj("mrkdwn", c));
		free(m);
		free(c);
	}
	jv fields = jv_array();
	int nf = 0;
	for (size_t i = 0; kind && i < sizeof facts / sizeof facts[0] && nf < SLACK_FIELDS_MAX; i++) {
		if (strcmp(facts[i].kind, kind))
			continue;
		char *v = text_of(rec, facts[i].from);
		if (!v)
			continue;
		bi_buf b = {0};
		bi_buf_printf(&b, "*%s*\n", facts[i].label);
		add_mrkdwn(&b, v);
		char *c = cut(b.p, SLACK_FIELD_MAX);
		fields = jv_array_append(fields, text_obj("mrkdwn", c));
		nf++;
		free(c);
		free(v);
		bi_buf_free(&b);
	}
	if (nf)
		section = bi_set(section, "fields", fields);
	else
		jv_free(fields);
	if (d || nf)
		blocks = jv_array_append(blocks, section);
	else
		jv_free(section);
	blocks = jv_array_append(blocks, slack_context(project, bi_get_str(rec, "ts")));

	/* The fallback shows in notifications and where blocks cannot. */
	bi_buf t = {0};
	if (sev)
		bi_buf_printf(&t, "[%s] ", sev);
	bi_buf_adds(&t, title);
	if (project)
		bi_buf_printf(&t, " (%s)", project);
	if (d)
		bi_buf_printf(&t, ": %s", d);
	char *m = mrkdwn(t.p), *c = cut(m, SLACK_TEXT_MAX);
	jv out = bi_set(jv_object(), "text", jv_string(c));
	out = bi_set(out, "blocks", blocks);
	free(m);
	free(c);
	bi_buf_free(&t);
	free(title);
	free(d);
	free(sev);
	free(project);
	return out;
}

static jv
slack_summary(jv recs)
{
	int n = nrecs(recs), shown = n < BI_NOTIFY_LIST ? n : BI_NOTIFY_LIST;
	char *title = bi_notify_summary_title(recs), *project = project_of(recs);
	bi_buf list = {0};

	for (int i = 0; i < shown; i++) {
		jv r = jv_array_get(jv_copy(recs), i);
		char *l = line_of(r, 1), *m = mrkdwn(l);
		jv_free(r);
		free(l);
		/* Room for the line, and for saying how many more. */
		if (list.len + strlen(m) + 40 > SLACK_TEXT_MAX) {
			free(m);
			shown = i;
			break;
		}
		bi_buf_adds(&list, i ? "\n\xe2\x80\xa2 " : "\xe2\x80\xa2 ");
		bi_buf_adds(&list, m);
		free(m);
	}
	if (shown < n)
		bi_buf_printf(&list, "\n_and %d more_", n - shown);
	bi_buf_add(&list, NULL, 0);

	jv blocks = jv_array_append(jv_array(), slack_header(title));
	jv section = bi_set(jv_object(), "type", jv_string("section"));
	section = bi_set(section, "text", text_obj("mrkdwn", list.p));
	blocks = jv_array_append(blocks, section);
	jv first = jv_array_get(jv_copy(recs), 0), last = jv_array_get(jv_copy(recs), n - 1);
	const char *t0 = bi_get_str(first, "ts"), *t1 = bi_get_str(last, "ts");
	char *when = t0 && t1 && strcmp(t0, t1) ? bi_asprintf("%s to %s", t0, t1) : t1 ? bi_strdup(t1) : NULL;
	blocks = jv_array_append(blocks, slack_context(project, when));
	jv_free(first);
	jv_free(last);

	bi_buf t = {0};
	bi_buf_adds(&t, title);
	if (project)
		bi_buf_printf(&t, " (%s)", project);
	jv out = bi_set(jv_object(), "text", jv_string(t.p));
	out = bi_set(out, "blocks", blocks);
	bi_buf_free(&t);
	bi_buf_free(&list);
	free(when);
	free(title);
	free(project);
	return out;
}

/* ---- Teams ---- */

static jv
text_block(const char *text, int heading, const char *color)
{
	jv b = bi_set(jv_object(), "type", jv_string("TextBlock"));
	b = bi_set(b, "text", jv_string(text));
	b = bi_set(b, "wrap", jv_true());
	if (heading) {
		b = bi_set(b, "size", jv_string("Medium"));
		b = bi_set(b, "weight", jv_string("Bolder"));
	}
	if (color)
		b = bi_set(b, "color", jv_string(color));
	return b;
}

static jv
fact(const char *title, const char *value)
{
	return bi_set(bi_set(jv_object(), "title", jv_string(title)), "value", jv_string(value));
}

static jv
fact_set(jv list)
{
	return bi_set(bi_set(jv_object(), "type", jv_string("FactSet")), "facts", list);
}

static jv
teams_message(jv body)
{
	jv card = bi_set(jv_object(), "$schema", jv_string("http://adaptivecards.io/schemas/adaptive-card.json"));
	card = bi_set(card, "type", jv_string("AdaptiveCard"));
	card = bi_set(card, "version", jv_string("1.2"));
	card = bi_set(card, "body", body);
	jv att = bi_set(jv_object(), "contentType", jv_string("application/vnd.microsoft.card.adaptive"));
	att = bi_set(att, "contentUrl", jv_null());
	att = bi_set(att, "content", card);
	jv msg = bi_set(jv_object(), "type", jv_string("message"));
	return bi_set(msg, "attachments", jv_array_append(jv_array(), att));
}

static jv
teams_one(jv rec)
{
	const bi_notify_rule *rule = bi_notify_match(rec);
	const char *kind = bi_get_str(rec, "kind"), *ts = bi_get_str(rec, "ts");
	char *title = bi_notify_title(rule, rec), *d = detail(rec), *project = text_of(rec, "project");
	jv body = jv_array_append(jv_array(), text_block(title, 1, color_of(rule, rec)));

	if (d)
		body = jv_array_append(body, text_block(d, 0, NULL));
	jv list = jv_array();
	if (project)
		list = jv_array_append(list, fact("Project", project));
	for (size_t i = 0; kind && i < sizeof facts / sizeof facts[0]; i++) {
		if (strcmp(facts[i].kind, kind))
			continue;
		char *v = text_of(rec, facts[i].from);
		if (v)
			list = jv_array_append(list, fact(facts[i].label, v));
		free(v);
	}
	if (ts)
		list = jv_array_append(list, fact("Time", ts));
	body = jv_array_append(body, fact_set(list));
	free(title);
	free(d);
	free(project);
	return teams_message(body);
}

static jv
teams_summary(jv recs)
{
	int n = nrecs(recs), shown = n < BI_NOTIFY_LIST ? n : BI_NOTIFY_LIST;
	char *title = bi_notify_summary_title(recs), *project = project_of(recs);
	jv body = jv_array_append(jv_array(), text_block(title, 1, "Attention"));

	if (project) {
		char *p = bi_asprintf("Project %s", project);
		body = jv_array_append(body, text_block(p, 0, NULL));
		free(p);
	}
	jv list = jv_array();
	for (int i = 0; i < shown; i++) {
		jv r = jv_array_get(jv_copy(recs), i);
		const char *ts = bi_get_str(r, "ts");
		char *when = ts && strlen(ts) >= 19 && ts[10] == 'T' ? bi_asprintf("%.8s", ts + 11) : bi_strdup("-");
		char *l = line_of(r, 0);
		list = jv_array_append(list, fact(when, l));
		free(l);
		free(when);
		jv_free(r);
	}
	body = jv_array_append(body, fact_set(list));
	if (shown < n) {
		char *more = bi_asprintf("and %d more", n - shown);
		body = jv_array_append(body, text_block(more, 0, NULL));
		free(more);
	}
	free(title);
	free(project);
	return teams_message(body);
}

/* ---- a generic webhook ---- */

static jv
flat(jv rec)
{
	const bi_notify_rule *rule = bi_notify_match(rec);
	jv o = jv_object();

	for (size_t i = 0; i < sizeof flats / sizeof flats[0]; i++)
		o = bi_set(o, flats[i].key, field_alt(rec, flats[i].from));
	o = bi_set(o, "event", rule ? jv_string(rule->event) : jv_null());
	char *t = bi_notify_title(rule, rec);
	o = bi_set(o, "title", jv_string(t));
	free(t);
	return o;
}

static jv
webhook_one(jv rec)
{
	jv o = bi_set(flat(rec), "source", jv_string("blissful-infra"));
	o = bi_set(o, "grouped", jv_false());
	o = bi_set(o, "count", jv_number(1));
	return bi_set(o, "record", jv_copy(rec));
}

static jv
webhook_summary(jv recs)
{
	int n = nrecs(recs), shown = n < BI_NOTIFY_LIST_WEBHOOK ? n : BI_NOTIFY_LIST_WEBHOOK;
	char *title = bi_notify_summary_title(recs), *project = project_of(recs);
	jv list = jv_array();
	const char *kind = NULL;
	int same = 1;

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(recs), i);
		const char *k = bi_get_str(r, "kind");
		if (i == 0)
			kind = k;
		else if (!k || !kind || strcmp(k, kind))
			same = 0;
		if (i < shown)
			list = jv_array_append(list, bi_set(flat(r), "record", jv_copy(r)));
		jv_free(r);
	}
	jv last = jv_array_get(jv_copy(recs), n - 1);
	jv o = bi_set(jv_object(), "source", jv_string("blissful-infra"));
	o = bi_set(o, "project", project ? jv_string(project) : jv_null());
	o = bi_set(o, "kind", same && kind ? jv_string(kind) : jv_null());
	o = bi_set(o, "title", jv_string(title));
	o = bi_set(o, "grouped", jv_true());
	o = bi_set(o, "count", jv_number(n));
	o = bi_set(o, "ts", field(last, "ts"));
	o = bi_set(o, "records", list);
	o = bi_set(o, "omitted", jv_number(n - shown));
	jv_free(last);
	free(title);
	free(project);
	return o;
}

jv
bi_notify_message(bi_notify_to to, jv recs, int grouped)
{
	if (nrecs(recs) == 0)
		return jv_object();
	if (grouped) {
		switch (to) {
		case BI_NOTIFY_SLACK: return slack_summary(recs);
		case BI_NOTIFY_TEAMS: return teams_summary(recs);
		default: return webhook_summary(recs);
		}
	}
	jv rec = jv_array_get(jv_copy(recs), 0), out;
	switch (to) {
	case BI_NOTIFY_SLACK: out = slack_one(rec); break;
	case BI_NOTIFY_TEAMS: out = teams_one(rec); break;
	default: out = webhook_one(rec); break;
	}
	jv_free(rec);
	return out;
}

/* ---- configuration and delivery helpers ---- */

int
bi_notify_expand(const char *s, char **out, char *err, size_t n)
{
	bi_buf b = {0};

	*out = NULL;
	while (*s) {
		const char *d = strstr(s, "${");
		if (!d) {
			bi_buf_adds(&b, s);
			break;
		}
		bi_buf_add(&b, s, d - s);
		const char *name = d + 2, *end = name;
		while (*end == '_' || isalnum((unsigned char)*end))
			end++;
		if (*end != '}' || end == name || isdigit((unsigned char)*name)) {
			snprintf(err, n, "a ${ without a variable's name and its closing }");
			bi_buf_free(&b);
			return -1;
		}
		char *var = bi_strndup(name, end - name);
		const char *val = getenv(var);
		if (!val || !*val) {
			snprintf(err, n, "the environment variable %s is not set", var);
			free(var);
			bi_buf_free(&b);
			return -1;
		}
		bi_buf_adds(&b, val);
		free(var);
		s = end + 1;
	}
	bi_buf_add(&b, NULL, 0);
	*out = b.p;
	return 0;
}

int64_t
bi_notify_retry_after(const char *value, int64_t now_ns)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strcspn(value, " \t\r\n");
	if (n == 0)
		return -1;
	if (strspn(value, "0123456789") == n) {
		if (n > 9)
			return 86400 * INT64_C(1000) * 365;	/* absurd, but a delay */
		return (int64_t)strtol(value, NULL, 10) * 1000;
	}
	struct tm tm = {0};
	const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	int64_t at = (int64_t)timegm(&tm) * 1000, now = now_ns / BI_NS_PER_MS;
	return at > now ? at - now : 0;
}

char *
bi_notify_scrub(const char *s, const char *const *secrets, int n, const char *with)
{
	bi_buf b = {0};

	while (*s) {
		size_t best = 0;
		for (int i = 0; i < n; i++) {
			size_t k = secrets[i] ? strlen(secrets[i]) : 0;
			if (k > best && !strncmp(s, secrets[i], k))
				best = k;
		}
		if (best) {
			bi_buf_adds(&b, with);
			s += best;
		} else {
			bi_buf_add(&b, s, 1);
			s++;
		}
	}
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

/* ---- the notifications: section ---- */

struct cfgread {
	char *err;
	size_t n;
	int bad;
};

static void bad(struct cfgread *x, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
bad(struct cfgread *x, const char *path, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (x->bad++)
		return;		/* the first reason is the one to give */
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(x->err, x->n, "notifications%s%s: %s", *path ? "." : "", path, what);
}

/* Refuse keys not in the list: a typo must not silently send nothing. */
static void
only_keys(struct cfgread *x, jv obj, const char *path, const char *const *keys)
{
	jv_object_foreach(obj, k, v) {
		int ok = 0;
		for (const char *const *p = keys; *p; p++)
			ok |= !strcmp(*p, jv_string_value(k));
		if (!ok)
			bad(x, path, "unknown key '%s'", jv_string_value(k));
		jv_free(k);
		jv_free(v);
	}
}

static int64_t
get_dur(struct cfgread *x, jv sec, const char *key, const char *path, int64_t def)
{
	jv v = field(sec, key);
	int64_t d = def;

	if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 && jv_number_value(v) < 1e9)
		d = (int64_t)(jv_number_value(v) * BI_NS_PER_S);
	else if (jv_get_kind(v) == JV_KIND_STRING && bi_dur_parse(jv_string_value(v), &d))
		bad(x, path, "not a duration: '%s' (as 30s, 1m)", jv_string_value(v));
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL && jv_get_kind(v) != JV_KIND_STRING)
		bad(x, path, "not a duration (as 30s, 1m)");
	jv_free(v);
	return d;
}

static long
get_int(struct cfgread *x, jv sec, const char *key, const char *path, long def, long lo, long hi)
{
	jv v = field(sec, key);
	long r = def;

	if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= lo && jv_number_value(v) <= hi &&
	    jv_number_value(v) == (long)jv_number_value(v))
		r = (long)jv_number_value(v);
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		bad(x, path, "expected a whole number from %ld to %ld", lo, hi);
	jv_free(v);
	return r;
}

static void
free_list(char **l)
{
	for (char **p = l; p && *p; p++)
		free(*p);
	free(l);
}

static char **
copy_list(char **l)
{
	if (!l)
		return NULL;
	int n = 0;
	while (l[n])
		n++;
	char **c = bi_calloc(n + 1, sizeof *c);
	for (int i = 0; i < n; i++)
		c[i] = bi_strdup(l[i]);
	return c;
}

/* The kinds of sec's on: (a kind, or a list), a new list; a copy of def
 * when it has none. */
static char **
get_on(struct cfgread *x, jv sec, const char *path, char **def)
{
	jv v = field(sec, "on");
	char **on = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		v = jv_array_append(jv_array(), v);
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		int k = 0;
		on = bi_calloc(jv_array_length(jv_copy(v)) + 1, sizeof *on);
		jv_array_foreach(v, i, kind) {
			if (jv_get_kind(kind) == JV_KIND_STRING && bi_notify_kind_known(jv_string_value(kind)))
				on[k++] = bi_strdup(jv_string_value(kind));
			else
				bad(x, path, "expected kinds among %s", bi_notify_kinds());
			jv_free(kind);
		}
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		bad(x, path, "expected a list of kinds among %s", bi_notify_kinds());
	} else {
		on = copy_list(def);
	}
	jv_free(v);
	return on;
}

/* A target from its URL as written; takes on. */
static void
add_target(struct cfgread *x, bi_notify_config *c, const char *name, bi_notify_to to, jv url,
	   const char *path, char **on)
{
	char err[256], *u = NULL;
	bi_url pu;

	for (int i = 0; i < c->nt; i++)
		if (!strcmp(c->t[i].name, name))
			bad(x, path, "a second target named %s", name);
	if (jv_get_kind(url) != JV_KIND_STRING || !*jv_string_value(url))
		bad(x, path, "expected the webhook's URL, as ${%s_WEBHOOK_URL}",
		    to == BI_NOTIFY_SLACK ? "SLACK" : to == BI_NOTIFY_TEAMS ? "TEAMS" : "ONCALL");
	else if (bi_notify_expand(jv_string_value(url), &u, err, sizeof err))
		bad(x, path, "%s", err);
	/* bi_url_parse's reason quotes the URL: say what is wrong without it. */
	else if (bi_url_parse(u, &pu, err, sizeof err) || (strcmp(pu.scheme, "http") && strcmp(pu.scheme, "https")) ||
		 !*pu.host)
		bad(x, path, "not an http(s) URL");
	jv_free(url);
	if (x->bad) {
		free(u);
		free_list(on);
		return;
	}
	c->t = bi_realloc(c->t, (c->nt + 1) * sizeof *c->t);
	bi_notify_target *t = &c->t[c->nt++];
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->to = to;
	t->url = u;
	t->on = on;
	t->insecure = !strcmp(pu.scheme, "http") && !bi_host_is_loopback(pu.host);
	t->secrets[0] = bi_strdup(u);
	t->secrets[1] = bi_strdup(strlen(pu.path) > 1 ? pu.path : "");
	t->secrets[2] = bi_strdup(pu.hostport);
	t->secrets[3] = bi_strdup(pu.host);
}

int
bi_notify_config_read(jv cfg, bi_notify_config *c, char *err, size_t n)
{
	static const char *const top[] = {"slack", "teams", "webhooks", "group", "retry", "timeout", "queue", "on", NULL};
	static const char *const chat[] = {"webhook", "on", NULL};
	static const char *const hook[] = {"name", "url", "on", NULL};
	static const char *const retry[] = {"attempts", "backoff", NULL};
	static const struct { const char *key; bi_notify_to to; } chats[] = {
		{"slack", BI_NOTIFY_SLACK}, {"teams", BI_NOTIFY_TEAMS}};
	struct cfgread x = {err, n, 0};
	jv sec = bi_jv_path(cfg, "notifications");
	char path[64], onpath[64];

	memset(c, 0, sizeof *c);
	if (jv_get_kind(sec) != JV_KIND_OBJECT) {
		bad(&x, "", jv_is_valid(sec) && jv_get_kind(sec) != JV_KIND_NULL ? "expected a mapping"
		    : "no such section, so no one to tell");
		jv_free(sec);
		return -1;
	}
	only_keys(&x, sec, "", top);
	c->group = get_dur(&x, sec, "group", "group", 60 * BI_NS_PER_S);
	c->timeout = get_dur(&x, sec, "timeout", "timeout", 10 * BI_NS_PER_S);
	if (c->timeout < BI_NS_PER_MS)
		bad(&x, "timeout", "must be 1ms or more");
	c->queue = get_int(&x, sec, "queue", "queue", 100, 1, 100000);
	c->attempts = 5;
	c->backoff = BI_NS_PER_S;
	jv r = field(sec, "retry");
	if (jv_get_kind(r) == JV_KIND_OBJECT) {
		only_keys(&x, r, "retry", retry);
		c->attempts = get_int(&x, r, "attempts", "retry.attempts", 5, 1, 100);
		c->backoff = get_dur(&x, r, "backoff", "retry.backoff", BI_NS_PER_S);
	} else if (jv_is_valid(r) && jv_get_kind(r) != JV_KIND_NULL) {
		bad(&x, "retry", "expected a mapping: {attempts: 5, backoff: 1s}");
	}
	jv_free(r);
	char **on = get_on(&x, sec, "on", NULL);

	for (int i = 0; i < 2 && !x.bad; i++) {
		jv t = field(sec, chats[i].key);
		if (jv_get_kind(t) == JV_KIND_OBJECT) {
			snprintf(path, sizeof path, "%s.webhook", chats[i].key);
			snprintf(onpath, sizeof onpath, "%s.on", chats[i].key);
			only_keys(&x, t, chats[i].key, chat);
			char **ton = get_on(&x, t, onpath, on);
			add_target(&x, c, chats[i].key, chats[i].to, field(t, "webhook"), path, ton);
		} else if (jv_is_valid(t) && jv_get_kind(t) != JV_KIND_NULL) {
			bad(&x, chats[i].key, "expected a mapping: {webhook: ${%s_WEBHOOK_URL}}", i ? "TEAMS" : "SLACK");
		}
		jv_free(t);
	}
	jv w = field(sec, "webhooks");
	if (jv_get_kind(w) == JV_KIND_ARRAY) {
		jv_array_foreach(w, i, h) {
			snprintf(path, sizeof path, "webhooks.%d", i);
			const char *nm = jv_get_kind(h) == JV_KIND_OBJECT ? bi_get_str(h, "name") : NULL;
			if (x.bad) {
				/* the first reason stands */
			} else if (jv_get_kind(h) != JV_KIND_OBJECT) {
				bad(&x, path, "expected a mapping: {name: oncall, url: ${ONCALL_WEBHOOK_URL}}");
			} else if (only_keys(&x, h, path, hook), x.bad) {
				/* said */
			} else if (!nm || !*nm || strlen(nm) > 64 ||
				   strspn(nm, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(nm)) {
				bad(&x, path, "name: expected a short name of a-z, 0-9, - and _");
			} else {
				char name[80];
				snprintf(name, sizeof name, "webhook:%s", nm);
				snprintf(onpath, sizeof onpath, "webhooks.%d.on", i);
				char **hon = get_on(&x, h, onpath, on);
				snprintf(path, sizeof path, "webhooks.%d.url", i);
				add_target(&x, c, name, BI_NOTIFY_WEBHOOK, field(h, "url"), path, hon);
			}
			jv_free(h);
		}
	} else if (jv_is_valid(w) && jv_get_kind(w) != JV_KIND_NULL) {
		bad(&x, "webhooks", "expected a list of {name, url}");
	}
	jv_free(w);
	free_list(on);
	jv_free(sec);
	if (!x.bad && c->nt == 0)
		bad(&x, "", "no target: give slack.webhook, teams.webhook or webhooks");
	if (x.bad) {
		bi_notify_config_free(c);
		return -1;
	}
	return 0;
}

void
bi_notify_config_free(bi_notify_config *c)
{
	for (int i = 0; i < c->nt; i++) {
		free(c->t[i].url);
		for (int k = 0; k < 4; k++)
			free(c->t[i].secrets[k]);
		free_list(c->t[i].on);
	}
	free(c->t);
	memset(c, 0, sizeof *c);
}

int
bi_notify_wants(const bi_notify_target *t, const char *kind)
{
	if (!t->on)
		return 1;
	for (char **k = t->on; *k; k++)
		if (!strcmp(*k, kind))
			return 1;
	return 0;
}
