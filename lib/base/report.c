/*
 * report.c: the records people read as reports, not as rows of a table:
 * a health check, a load test's summary, a resilience score, a finding of
 * root-cause analysis, an answer, a project's watcher. bi-fmt shows them
 * so, beside its tables; they live here so that they can be read, tested
 * and reused apart from its input loop. The record must be clean already
 * (bi_fmt_clean): every string is printed as it is.
 *
 * Layer: base.
 */
#include <stdio.h>
#include <string.h>

#include "base/report.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/fmt.h"

#define RED "31"
#define GREEN "32"
#define YELLOW "33"

/* Where a report goes, and whether in colour. */
struct out {
	FILE *f;
	int color;
};

/* What b holds now: after a reset (len 0) its old text is not it. */
static const char *
str(const bi_buf *b)
{
	return b->len ? b->p : "";
}

static void
line(const struct out *o, const char *text)
{
	fprintf(o->f, "%s\n", text ? text : "");
}

static void
health_line(const struct out *o, jv rec)
{
	bi_buf b = {0}, t = {0};
	jv okv = jv_object_get(jv_copy(rec), jv_string("ok"));
	int good = jv_get_kind(okv) == JV_KIND_TRUE;
	const char *label = bi_get_str(rec, "label");
	const char *service = bi_get_str(rec, "service");
	const char *target = bi_get_str(rec, "target");
	const char *check = bi_get_str(rec, "check");
	const char *msg = bi_get_str(rec, "msg");
	const char *name = label ? label : service ? service : target ? target : "?";
	double lat = bi_get_num(rec, "latency_ms", -1);
	double waited = bi_get_num(rec, "waited_ms", -1);

	jv_free(okv);
	bi_fmt_paint(&b, o->color, good ? GREEN : RED, good ? "\u2713" : "\u2717");
	bi_buf_printf(&b, " %s %s", name, good ? "ready" : "not ready");
	/* A container's wait says how long it took; an address, how it answered. */
	if (check && !strcmp(check, "container")) {
		if (good && waited >= 0)
			bi_fmt_ms(&t, waited);
	} else {
		if (target && name != target)
			bi_buf_adds(&t, target);
		jv status = jv_object_get(jv_copy(rec), jv_string("status"));
		if (jv_is_valid(status) && jv_get_kind(status) != JV_KIND_NULL) {
			bi_buf_adds(&t, t.len ? " " : "");
			bi_fmt_str(&t, status);
		}
		jv_free(status);
		if (lat >= 0) {
			bi_buf_adds(&t, t.len ? ", " : "");
			bi_fmt_ms(&t, lat);
		}
	}
	if (t.len)
		bi_buf_printf(&b, " (%s)", str(&t));
	if (msg && *msg)
		bi_buf_printf(&b, ": %s", msg);
	line(o, str(&b));
	bi_buf_free(&b);
	bi_buf_free(&t);
}

static void
list_lines(const struct out *o, const char *title, jv list, const char *textkey)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY || jv_array_length(jv_copy(list)) == 0) {
		jv_free(list);
		return;
	}
	fprintf(o->f, "  %s:\n", title);
	jv_array_foreach(list, i, e) {
		bi_buf b = {0};
		if (jv_get_kind(e) == JV_KIND_OBJECT) {
			const char *sev = bi_get_str(e, "severity");
			const char *text = bi_get_str(e, textkey);
			if (!text)
				text = bi_get_str(e, "title");
			if (sev)
				bi_buf_printf(&b, "[%s] ", sev);
			bi_buf_adds(&b, text ? text : "");
			const char *detail = bi_get_str(e, "detail");
			if (detail)
				bi_buf_printf(&b, " \u2014 %s", detail);
		} else {
			bi_fmt_str(&b, e);
		}
		fprintf(o->f, "    - %s\n", str(&b));
		bi_buf_free(&b);
		jv_free(e);
	}
	jv_free(list);
}

static void
perf_summary(const struct out *o, jv rec)
{
	bi_buf b = {0};
	const char *target = bi_get_str(rec, "target");
	jv passed = jv_object_get(jv_copy(rec), jv_string("passed"));

	fprintf(o->f, "Load test%s%s\n", target ? " of " : "", target ? target : "");
	jv cut = jv_object_get(jv_copy(rec), jv_string("interrupted"));
	fprintf(o->f, "  requests   %.0f in %.1fs (%.1f/s)%s\n", bi_get_num(rec, "requests", 0),
	       bi_get_num(rec, "duration_s", 0), bi_get_num(rec, "rps", 0),
	       jv_get_kind(cut) == JV_KIND_TRUE ? ", interrupted" : "");
	jv_free(cut);
	static const char *const q[] = {"min", "avg", "p50", "p90", "p95", "p99", "p999", "max"};
	bi_buf_adds(&b, "  latency   ");
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "latency.%s", q[i]);
		jv v = bi_jv_path(rec, key);
		if (jv_get_kind(v) == JV_KIND_NUMBER) {
			bi_buf_printf(&b, " %s ", strcmp(q[i], "p999") ? q[i] : "p99.9");
			bi_fmt_ms(&b, jv_number_value(v));
		}
		jv_free(v);
	}
	line(o, str(&b));
	b.len = 0;
	fprintf(o->f, "  errors     %.2f%%\n", bi_get_num(rec, "error_rate", 0) * 100);
	jv st = jv_object_get(jv_copy(rec), jv_string("status"));
	if (jv_get_kind(st) == JV_KIND_OBJECT) {
		bi_buf_adds(&b, "  status    ");
		jv_object_foreach(st, k, v) {
			bi_buf_printf(&b, " %s:", jv_string_value(k));
			bi_fmt_str(&b, v);
			jv_free(k);
			jv_free(v);
		}
		line(o, str(&b));
	}
	jv_free(st);
	jv th = jv_object_get(jv_copy(rec), jv_string("thresholds"));
	if (jv_get_kind(th) == JV_KIND_ARRAY && jv_array_length(jv_copy(th)) > 0) {
		fprintf(o->f, "  thresholds\n");
		jv_array_foreach(th, i, t) {
			jv okv = jv_object_get(jv_copy(t), jv_string("ok"));
			int good = jv_get_kind(okv) == JV_KIND_TRUE;
			jv_free(okv);
			b.len = 0;
			bi_buf_adds(&b, "    ");
			bi_fmt_paint(&b, o->color, good ? GREEN : RED, good ? "\u2713" : "\u2717");
			const char *metric = bi_get_str(t, "metric");
			const char *expr = bi_get_str(t, "expr");
			bi_buf_printf(&b, " %s%s%s", metric ? metric : "", metric ? ": " : "",
				      expr ? expr : "");
			jv val = jv_object_get(jv_copy(t), jv_string("value"));
			if (jv_get_kind(val) == JV_KIND_NUMBER)
				bi_buf_printf(&b, " (%.4g)", jv_number_value(val));
			jv_free(val);
			line(o, str(&b));
			jv_free(t);
		}
	}
	jv_free(th);
	if (jv_get_kind(passed) == JV_KIND_TRUE || jv_get_kind(passed) == JV_KIND_FALSE) {
		b.len = 0;
		bi_buf_adds(&b, "  result     ");
		bi_fmt_paint(&b, o->color, jv_get_kind(passed) == JV_KIND_TRUE ? GREEN : RED,
		      jv_get_kind(passed) == JV_KIND_TRUE ? "PASSED" : "FAILED");
		line(o, str(&b));
	}
	jv_free(passed);
	bi_buf_free(&b);
}

static void
score_report(const struct out *o, jv rec)
{
	bi_buf b = {0};
	double s = bi_get_num(rec, "score", 0), max = bi_get_num(rec, "max", 100);
	const char *trend = bi_get_str(rec, "trend");

	bi_buf_printf(&b, "Resilience score: ");
	char num[32];
	snprintf(num, sizeof num, "%.0f/%.0f", s, max);
	bi_fmt_paint(&b, o->color, s >= 75 ? GREEN : s >= 50 ? YELLOW : RED, num);
	if (trend)
		bi_buf_printf(&b, " (%s)", trend);
	line(o, str(&b));
	bi_buf_free(&b);
	list_lines(o, "scenarios", jv_object_get(jv_copy(rec), jv_string("scenarios")), "summary");
	list_lines(o, "strengths", jv_object_get(jv_copy(rec), jv_string("strengths")), "title");
	list_lines(o, "gaps", jv_object_get(jv_copy(rec), jv_string("gaps")), "title");
	list_lines(o, "recommendations", jv_object_get(jv_copy(rec), jv_string("recommendations")), "title");
	list_lines(o, "history", jv_object_get(jv_copy(rec), jv_string("history")), "summary");
}

/* A field of o (borrowed) into b, inert (bi_fmt_str); 0 when absent or null. */
static int
add_field(bi_buf *b, jv o, const char *key, const char *before)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	int have = jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL;

	if (have) {
		bi_buf_adds(b, before);
		bi_fmt_str(b, v);
	}
	jv_free(v);
	return have;
}

/* A crash's signature (borrowed): "SIGSEGV, TypeError at FRAME, 3 times
 * since TS". */
static void
crash_line(bi_buf *b, jv c)
{
	int any = add_field(b, c, "signal", "");
	any |= add_field(b, c, "exception", any ? ", " : "");
	add_field(b, c, "frame", any ? " at " : "at ");
	double n = bi_get_num(c, "count", 0);
	bi_buf_printf(b, "%s%.0f time%s", b->len ? ", " : "", n, n == 1 ? "" : "s");
	add_field(b, c, "since", " since ");
}

/* A link of a finding's chain (borrowed): "07:38:00.404 app: what". */
static void
chain_line(bi_buf *b, jv e)
{
	const char *ts = jv_get_kind(e) == JV_KIND_OBJECT ? bi_get_str(e, "ts") : NULL;

	if (jv_get_kind(e) != JV_KIND_OBJECT) {
		bi_fmt_str(b, e);
		return;
	}
	if (ts && strlen(ts) >= 23 && ts[10] == 'T')
		bi_buf_printf(b, "%.12s ", ts + 11);	/* HH:MM:SS.mmm */
	else if (add_field(b, e, "ts", ""))
		bi_buf_adds(b, " ");
	if (add_field(b, e, "service", ""))
		bi_buf_adds(b, ": ");
	add_field(b, e, "what", "");
}

static void
finding_report(const struct out *o, jv rec)
{
	bi_buf b = {0};
	const char *title = bi_get_str(rec, "title");
	const char *sev = bi_get_str(rec, "severity");
	double conf = bi_get_num(rec, "confidence", -1);

	bi_buf_adds(&b, "Finding: ");
	bi_fmt_paint(&b, o->color, sev && (!strcmp(sev, "critical") || !strcmp(sev, "high")) ? RED : YELLOW,
	      title ? title : "?");
	if (conf >= 0)
		bi_buf_printf(&b, " (confidence %.0f%%)", conf);
	line(o, str(&b));
	b.len = 0;
	static const char *const keys[] = {"incident", "pattern", "service", "affected", "count",
					   "first_seen", "last_seen", "crash", "root_cause",
					   "template", NULL};
	for (const char *const *k = keys; *k; k++) {
		jv v = jv_object_get(jv_copy(rec), jv_string(*k));
		if (jv_get_kind(v) == JV_KIND_ARRAY) {	/* the affected: a, b */
			b.len = 0;
			jv_array_foreach(v, i, e) {
				bi_buf_adds(&b, i ? ", " : "");
				bi_fmt_str(&b, e);
				jv_free(e);
			}
			if (b.len)
				fprintf(o->f, "  %-11s %s\n", *k, str(&b));
		} else if (jv_get_kind(v) == JV_KIND_OBJECT) {	/* a crash's signature */
			b.len = 0;
			crash_line(&b, v);
			fprintf(o->f, "  %-11s %s\n", *k, str(&b));
		} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
			b.len = 0;
			bi_fmt_str(&b, v);
			fprintf(o->f, "  %-11s %s\n", *k, str(&b));
		}
		jv_free(v);
	}
	jv comp = jv_object_get(jv_copy(rec), jv_string("components"));
	if (jv_get_kind(comp) == JV_KIND_OBJECT) {
		b.len = 0;
		jv_object_foreach(comp, k, v) {
			bi_buf_printf(&b, "%s%s ", b.len ? ", " : "", jv_string_value(k));
			bi_fmt_str(&b, v);
			jv_free(k);
			jv_free(v);
		}
		if (b.len)
			fprintf(o->f, "  %-11s %s\n", "confidence", str(&b));
	}
	jv_free(comp);
	jv ch = jv_object_get(jv_copy(rec), jv_string("chain"));
	if (jv_get_kind(ch) == JV_KIND_ARRAY && jv_array_length(jv_copy(ch)) > 0) {
		fprintf(o->f, "  chain:\n");
		jv_array_foreach(ch, i, e) {
			b.len = 0;
			chain_line(&b, e);
			fprintf(o->f, "    - %s\n", str(&b));
			jv_free(e);
		}
	}
	jv_free(ch);
	list_lines(o, "timeline", jv_object_get(jv_copy(rec), jv_string("timeline")), "text");
	list_lines(o, "evidence", jv_object_get(jv_copy(rec), jv_string("evidence")), "text");
	list_lines(o, "similar incidents", jv_object_get(jv_copy(rec), jv_string("similar")), "title");
	list_lines(o, "suggested fixes", jv_object_get(jv_copy(rec), jv_string("fixes")), "title");
	bi_buf_free(&b);
}

static void
answer_report(const struct out *o, jv rec)
{
	const char *a = bi_get_str(rec, "answer");
	const char *model = bi_get_str(rec, "model");

	if (model)
		fprintf(o->f, "[%s]\n", model);
	line(o, a ? a : "");
}

/* The watcher of a project: one line of state, one of freshness, one of
 * its parts. */
static void
watcher_report(const struct out *o, jv rec)
{
	bi_buf b = {0}, t = {0};
	jv run = jv_object_get(jv_copy(rec), jv_string("running"));
	int up = jv_get_kind(run) == JV_KIND_TRUE;

	jv_free(run);
	bi_buf_adds(&b, "Watcher: ");
	bi_fmt_paint(&b, o->color, up ? GREEN : RED, up ? "running" : "not running");
	if (up)
		bi_buf_printf(&b, " (pid %.0f)", bi_get_num(rec, "pid", 0));
	jv since = jv_object_get(jv_copy(rec), jv_string("since"));
	if (jv_get_kind(since) == JV_KIND_STRING) {
		bi_fmt_time(&t, since);
		bi_buf_printf(&b, "%s %s", up ? " since" : ", last run from", str(&t));
	}
	jv_free(since);
	line(o, str(&b));
	b.len = 0;
	static const char *const when[] = {"last_scrape", "last scrape", "last_log", "last log", NULL};
	for (const char *const *k = when; *k; k += 2) {
		jv v = jv_object_get(jv_copy(rec), jv_string(k[0]));
		if (jv_get_kind(v) == JV_KIND_STRING) {
			t.len = 0;
			bi_fmt_time(&t, v);
			bi_buf_printf(&b, "%s%s %s", b.len ? "  " : "  ", k[1], str(&t));
		}
		jv_free(v);
	}
	double lag = bi_get_num(rec, "lag_s", -1), rate = bi_get_num(rec, "records_per_s", -1);
	if (lag >= 0 && b.len) {	/* of the last record, after its time */
		bi_buf_adds(&b, " (lag ");
		bi_fmt_ms(&b, lag * 1000);
		bi_buf_adds(&b, ")");
	}
	if (rate >= 0)
		bi_buf_printf(&b, "  %g records/s", rate);
	double bytes = bi_get_num(rec, "db_bytes", -1);
	if (bytes >= 0) {
		bi_buf_adds(&b, "  store ");
		bi_fmt_bytes(&b, bytes);
	}
	if (b.len)
		line(o, str(&b));
	b.len = 0;
	jv parts = jv_object_get(jv_copy(rec), jv_string("parts"));
	if (jv_get_kind(parts) == JV_KIND_OBJECT) {
		jv_object_foreach(parts, k, v) {
			jv r = jv_object_get(jv_copy(v), jv_string("running"));
			bi_buf_printf(&b, "%s%s ", b.len ? "  " : "  parts: ", jv_string_value(k));
			bi_fmt_paint(&b, o->color, jv_get_kind(r) == JV_KIND_TRUE ? GREEN : RED,
			      jv_get_kind(r) == JV_KIND_TRUE ? "up" : "down");
			double n = bi_get_num(v, "records", -1), rs = bi_get_num(v, "restarts", 0);
			if (n >= 0 || rs > 0) {
				bi_buf_adds(&b, " (");
				if (n >= 0)
					bi_buf_printf(&b, "%.0f records", n);
				if (rs > 0)
					bi_buf_printf(&b, "%s%.0f restart%s", n >= 0 ? ", " : "", rs,
						      rs == 1 ? "" : "s");
				bi_buf_adds(&b, ")");
			}
			jv_free(r);
			jv_free(k);
			jv_free(v);
		}
		if (b.len)
			line(o, str(&b));
	}
	jv_free(parts);
	bi_buf_free(&b);
	bi_buf_free(&t);
}

static const struct {
	const char *kind;
	void (*fn)(const struct out *o, jv rec);
} reports[] = {
	{"health", health_line},
	{"perf_summary", perf_summary},
	{"score", score_report},
	{"finding", finding_report},
	{"answer", answer_report},
	{"watcher", watcher_report},
	{NULL, NULL}};

int
bi_report(FILE *f, jv rec, int color)
{
	const struct out o = {f, color};
	const char *kind = bi_get_str(rec, "kind");

	for (size_t i = 0; kind && reports[i].kind; i++)
		if (!strcmp(reports[i].kind, kind)) {
			reports[i].fn(&o, rec);
			return 1;
		}
	return 0;
}
