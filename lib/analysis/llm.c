/*
 * llm.c: talking to a local LLM about a project's records.
 *
 * Two halves. The context: records are digested into the few forms a model
 * needs (bi-rca's findings; error and warning logs grouped by message
 * template, with counts; the latest state per container, health check,
 * stats and metric; the last events, commits and log lines), then condensed
 * into text that fits a byte budget, the most telling first. The client:
 * Ollama's API (/api/tags, /api/chat streaming NDJSON chunks, the last with
 * "done") or an OpenAI-compatible one (/v1/models, /v1/chat/completions
 * streaming SSE "data:" lines up to "data: [DONE]"), the choice of a model,
 * and the check that a server is on this machine. A stream is taken apart
 * by pure functions (bytes to lines, a line to what it says), so that it can
 * be tested and fuzzed without a server.
 *
 * Layer: analysis.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/llm.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/logparse.h"

/* A count a server sent, as a long: NaN and numbers out of range (which
 * cannot be converted) are clamped. */
static long
to_long(double d)
{
	if (isnan(d))
		return 0;
	if (d >= (double)LONG_MAX)
		return LONG_MAX;
	if (d <= (double)LONG_MIN)
		return LONG_MIN;
	return (long)d;
}

/* Append rec to arr, keeping at least the last n (trimmed in batches). */
static jv
keep_last(jv arr, jv rec, int n)
{
	arr = jv_array_append(arr, rec);
	int len = jv_array_length(jv_copy(arr));
	return len > 2 * n ? jv_array_slice(arr, len - n, len) : arr;
}

/* A metric's labels as JSON text, "null" when it has none (libjq 1.6
 * aborts when asked to dump the invalid value of an absent key). */
static jv
labels_text(jv rec)
{
	jv l = jv_object_get(jv_copy(rec), jv_string("labels"));

	if (!jv_is_valid(l)) {
		jv_free(l);
		l = jv_null();
	}
	return jv_dump_string(l, 0);
}

/* ---- templates: one error with different ids is one group ---- */

static int
all_of(const char *t, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, t[i]))
			return 0;
	return n > 0;
}

static int
is_uuid(const char *t, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? t[i] != '-' : !isxdigit((unsigned char)t[i]))
			return 0;
	return 1;
}

static int
is_ip(const char *t, size_t n)
{
	size_t dots = 0, colons = 0;

	for (size_t i = 0; i < n; i++)
		dots += t[i] == '.', colons += t[i] == ':';
	if (dots == 3 && colons <= 1 && all_of(t, n, "0123456789.:"))
		return isdigit((unsigned char)t[0]);
	return colons >= 2 && all_of(t, n, "0123456789abcdefABCDEF:.[]%");
}

static int
has_digit(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)t[i]))
			return 1;
	return 0;
}

/* Mask one word: a uuid, IP address, URL, path, hex number or the digits of
 * any number becomes a placeholder; in key=value only the value is masked. */
static void
mask_word(bi_buf *out, const char *t, size_t n)
{
	static const char lead[] = "\"'([{<", trail[] = "\"')]}>,;:.!?";
	size_t a = 0, z = n;

	while (a < z && strchr(lead, t[a]))
		a++;
	while (z > a && strchr(trail, t[z - 1]))
		z--;
	bi_buf_add(out, t, a);
	const char *w = t + a, *eq = memchr(w, '=', z - a);
	size_t m = z - a;
	if (m == 0)
		;
	else if (memmem(w, m, "://", 3))
		bi_buf_adds(out, "<url>");
	else if (eq && eq > w) {
		bi_buf_add(out, w, eq - w + 1);
		mask_word(out, eq + 1, z - a - (eq - w) - 1);
	} else if (w[0] == '/' || (m > 2 && (!memcmp(w, "./", 2) || !memcmp(w, "~/", 2))) ||
		   (m > 3 && !memcmp(w, "../", 3)))
		bi_buf_adds(out, "<path>");
	else if (is_uuid(w, m))
		bi_buf_adds(out, "<uuid>");
	else if (is_ip(w, m))
		bi_buf_adds(out, "<ip>");
	else if ((m > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && all_of(w + 2, m - 2,
		  "0123456789abcdefABCDEF")) || (m >= 8 && has_digit(w, m) &&
		  all_of(w, m, "0123456789abcdefABCDEF")))
		bi_buf_adds(out, "<hex>");
	else {
		for (size_t i = 0; i < m; ) {
			if (!isdigit((unsigned char)w[i])) {
				bi_buf_add(out, w + i++, 1);
				continue;
			}
			while (i < m && (isdigit((unsigned char)w[i]) || ((w[i] == '.' || w[i] == ',') &&
			       i + 1 < m && isdigit((unsigned char)w[i + 1]))))
				i++;
			bi_buf_adds(out, "<num>");
		}
	}
	bi_buf_add(out, t + z, n - z);
}

void
bi_llm_mask(bi_buf *out, const char *msg)
{
	int n = bi_line_span(msg, SIZE_MAX, 400);

	for (int i = 0; i < n; ) {
		while (i < n && isspace((unsigned char)msg[i]))
			i++;
		int j = i;
		while (j < n && !isspace((unsigned char)msg[j]))
			j++;
		if (j > i) {
			if (out->len && out->p[out->len - 1] != '\x1f')
				bi_buf_adds(out, " ");
			mask_word(out, msg + i, j - i);
		}
		i = j;
	}
}

static void
group_add(bi_llm_groups *gs, jv rec)
{
	bi_buf key = {0};

	bi_buf_printf(&key, "%s\x1f", bi_get_text(rec, "service", bi_get_text(rec, "source", "-")));
	size_t at = key.len;
	bi_llm_mask(&key, bi_get_text(rec, "msg", ""));
	jv k = jv_string_sized(key.p, (int)key.len);
	jv pos = jv_object_get(jv_copy(gs->index), jv_copy(k));
	gs->lines++;
	if (jv_get_kind(pos) == JV_KIND_NUMBER) {
		bi_llm_group *g = &gs->g[(size_t)jv_number_value(pos)];
		g->n++;
		jv_free(g->last);
		g->last = rec;
		jv_free(k);
		bi_buf_free(&key);
	} else {
		gs->g = bi_realloc(gs->g, (gs->n + 1) * sizeof *gs->g);
		bi_llm_group *g = &gs->g[gs->n];
		*g = (bi_llm_group){key.p, key.p + at, 1, gs->n, "", rec};
		snprintf(g->first, sizeof g->first, "%s", bi_get_text(rec, "ts", "?"));
		gs->index = jv_object_set(gs->index, k, jv_number((double)gs->n++));
	}
	jv_free(pos);
}

static int
by_count(const void *a, const void *b)
{
	const bi_llm_group *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void
bi_llm_groups_sort(bi_llm_groups *gs)
{
	if (gs->n)
		qsort(gs->g, gs->n, sizeof *gs->g, by_count);
}

static void
groups_free(bi_llm_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		free(gs->g[i].key);
		jv_free(gs->g[i].last);
	}
	free(gs->g);
	jv_free(gs->index);
}

/* ---- the records read, kept in the few forms the answers need ---- */

void
bi_llm_records_init(bi_llm_records *r)
{
	*r = (bi_llm_records){0};
	r->findings = jv_array(), r->events = jv_array(), r->logs = jv_array();
	r->commits = jv_array(), r->containers = jv_object(), r->health = jv_object();
	r->stats = jv_object(), r->metrics = jv_object(), r->others = jv_object();
	r->errors.index = jv_object(), r->warns.index = jv_object();
}

void
bi_llm_records_free(bi_llm_records *r)
{
	jv_free(r->findings), jv_free(r->events), jv_free(r->logs), jv_free(r->commits);
	jv_free(r->containers), jv_free(r->health), jv_free(r->stats), jv_free(r->metrics);
	jv_free(r->others);
	groups_free(&r->errors);
	groups_free(&r->warns);
}

void
bi_llm_records_add(bi_llm_records *in, jv rec)
{
	const char *kind = bi_get_text(rec, "kind", "?");
	const char *id = bi_get_text(rec, "container", bi_get_text(rec, "service", "?"));

	if (!strcmp(kind, "finding")) {
		in->findings = jv_array_append(in->findings, rec);
	} else if (!strcmp(kind, "log")) {
		int rank = bi_level_rank(bi_get_text(rec, "level", "info"));
		in->nlogs++;
		if (rank >= 4)
			group_add(&in->errors, jv_copy(rec));
		else if (rank == 3)
			group_add(&in->warns, jv_copy(rec));
		in->logs = keep_last(in->logs, rec, BI_LLM_KEEP_LOGS);
	} else if (!strcmp(kind, "container")) {
		if (strcmp(bi_get_text(rec, "action", ""), "status"))
			in->events = keep_last(in->events, jv_copy(rec), BI_LLM_KEEP_EVENTS);
		in->containers = jv_object_set(in->containers, jv_string(id), rec);
	} else if (!strcmp(kind, "k8s_event") || !strcmp(kind, "alert")) {
		in->events = keep_last(in->events, rec, BI_LLM_KEEP_EVENTS);
	} else if (!strcmp(kind, "stats")) {
		in->stats = jv_object_set(in->stats, jv_string(id), rec);
	} else if (!strcmp(kind, "health")) {
		in->health = jv_object_set(in->health, jv_string(bi_get_text(rec, "service",
					   bi_get_text(rec, "target", "?"))), rec);
	} else if (!strcmp(kind, "metric")) {
		jv labels = labels_text(rec);
		jv key = jv_string_fmt("%s %s %s", bi_get_text(rec, "service", bi_get_text(rec, "target", "")),
				       bi_get_text(rec, "name", "?"), jv_string_value(labels));
		jv_free(labels);
		in->metrics = jv_object_set(in->metrics, key, rec);
	} else if (!strcmp(kind, "commit")) {
		in->ncommits++;
		in->commits = keep_last(in->commits, rec, BI_LLM_KEEP_COMMITS);
	} else {
		jv n = jv_object_get(jv_copy(in->others), jv_string(kind));
		double c = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;
		jv_free(n);
		in->others = jv_object_set(in->others, jv_string(kind), jv_number(c + 1));
		jv_free(rec);
	}
}

void
bi_llm_records_read(bi_llm_records *r, int fd, const char *name)
{
	bi_reader *rd = bi_reader_new(fd, name, 0);
	jv rec;

	while (bi_read(rd, &rec))
		bi_llm_records_add(r, rec);
	bi_reader_free(rd);
}

/* ---- describing records, for a model and for people ---- */

char *
bi_llm_describe(jv r)
{
	const char *kind = bi_get_text(r, "kind", "?"), *ts = bi_get_text(r, "ts", "?");
	const char *svc = bi_get_text(r, "service", bi_get_text(r, "source", "-")), *msg = bi_get_text(r, "msg", "");

	if (!strcmp(kind, "log"))
		return bi_asprintf("%s %s [%s] %.*s", ts, bi_get_text(r, "level", "info"), svc,
				   bi_line_span(msg, SIZE_MAX, 300), msg);
	if (!strcmp(kind, "container") && !strcmp(bi_get_text(r, "action", ""), "status"))
		return bi_asprintf("%s: %s%s%s, up %s, %.0f restarts", svc, bi_get_text(r, "state", "?"),
				   bi_get_str(r, "health") ? ", " : "", bi_get_text(r, "health", ""),
				   bi_get_text(r, "uptime", "?"), bi_get_num(r, "restarts", 0));
	if (!strcmp(kind, "container")) {
		double code = bi_get_num(r, "exit_code", -1);
		char exit[32] = "";
		if (code >= 0)
			snprintf(exit, sizeof exit, " exit %.0f", code);
		return bi_asprintf("%s %s %s%s%s%s", ts, svc, bi_get_text(r, "action", "?"), exit,
				   bi_get_str(r, "signal") ? " signal " : "", bi_get_text(r, "signal", ""));
	}
	if (!strcmp(kind, "k8s_event"))
		return bi_asprintf("%s %s %s %s: %.*s", ts, bi_get_text(r, "type", "?"), bi_get_text(r, "reason", "?"),
				   bi_get_text(r, "object", "?"), bi_line_span(msg, SIZE_MAX, 200), msg);
	if (!strcmp(kind, "alert"))
		return bi_asprintf("%s alert %s %s (%s) %s", ts, bi_get_text(r, "name", "?"),
				   bi_get_text(r, "state", "?"), bi_get_text(r, "severity", "?"), svc);
	if (!strcmp(kind, "stats"))
		return bi_asprintf("%s: cpu %.1f%%, memory %.1f MiB of %.1f MiB (%.1f%%), %.0f pids",
				   svc, bi_get_num(r, "cpu_pct", 0), bi_get_num(r, "mem_used", 0) / 1048576,
				   bi_get_num(r, "mem_limit", 0) / 1048576, bi_get_num(r, "mem_pct", 0),
				   bi_get_num(r, "pids", 0));
	if (!strcmp(kind, "health")) {
		jv ok = jv_object_get(jv_copy(r), jv_string("ok"));
		int good = jv_get_kind(ok) == JV_KIND_TRUE;
		jv_free(ok);
		return bi_asprintf("%s: %s (%s)%s%.*s", svc, good ? "ready" : "NOT ready",
				   bi_get_text(r, "target", "?"), *msg ? ": " : "", bi_line_span(msg, SIZE_MAX, 200), msg);
	}
	if (!strcmp(kind, "metric")) {
		jv labels = labels_text(r);
		char *s = bi_asprintf("%s %s%s = %g%s%s", svc, bi_get_text(r, "name", "?"),
				      strcmp(jv_string_value(labels), "null") ? jv_string_value(labels) : "",
				      bi_get_num(r, "value", 0), bi_get_str(r, "unit") ? " " : "",
				      bi_get_text(r, "unit", ""));
		jv_free(labels);
		return s;
	}
	if (!strcmp(kind, "commit"))
		return bi_asprintf("%.12s %s %s: %.*s (+%.0f -%.0f, %.0f files)", bi_get_text(r, "sha", "?"),
				   ts, bi_get_text(r, "author", "?"), bi_line_span(msg, SIZE_MAX, 200), msg,
				   bi_get_num(r, "insertions", 0), bi_get_num(r, "deletions", 0),
				   bi_get_num(r, "files_changed", 0));
	return bi_asprintf("%s %s", kind, ts);
}

/* "\n  label: a; b; c" for a list of strings, or of objects named by their
 * first text field (with a success rate, when they have one); nothing for
 * an empty list or none. */
static void
list(bi_buf *b, const char *label, jv arr, int max)
{
	static const char *const names[] = {"title", "fix", "text", "description", "msg", NULL};
	int k = 0;

	if (jv_get_kind(arr) == JV_KIND_ARRAY) {
		jv_array_foreach(arr, i, v) {
			const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
			for (const char *const *n = names; !s && *n && jv_get_kind(v) == JV_KIND_OBJECT; n++)
				s = bi_get_str(v, *n);
			double rate = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_num(v, "success_rate", -1) : -1;
			if (s && k++ < max) {
				if (k == 1)
					bi_buf_printf(b, "\n  %s: ", label);
				else
					bi_buf_adds(b, "; ");
				bi_buf_printf(b, "%.*s", bi_line_span(s, SIZE_MAX, 200), s);
				if (rate >= 0)
					bi_buf_printf(b, " (worked %.0f%% of the time)", rate * 100);
			}
			jv_free(v);
		}
	}
	jv_free(arr);
}

char *
bi_llm_describe_finding(jv f, int full)
{
	bi_buf b = {0};
	jv commit = jv_object_get(jv_copy(f), jv_string("commit"));

	bi_buf_printf(&b, "%s (confidence %.0f%%; service %s; pattern %s; %.0f times, %s to %s)",
		      bi_get_text(f, "title", "?"), bi_get_num(f, "confidence", 0), bi_get_text(f, "service", "-"),
		      bi_get_text(f, "pattern", "-"), bi_get_num(f, "count", 0), bi_get_text(f, "first_seen", "?"),
		      bi_get_text(f, "last_seen", "?"));
	if (bi_get_str(f, "root_cause"))
		bi_buf_printf(&b, "\n  root cause: %s", bi_get_text(f, "root_cause", ""));
	if (bi_get_str(f, "template"))
		bi_buf_printf(&b, "\n  log template: %s", bi_get_text(f, "template", ""));
	if (jv_get_kind(commit) == JV_KIND_OBJECT) {
		const char *m = bi_get_text(commit, "msg", "");
		bi_buf_printf(&b, "\n  likely commit: %.12s by %s: %.*s", bi_get_text(commit, "sha", "?"),
			      bi_get_text(commit, "author", "?"), bi_line_span(m, SIZE_MAX, 120), m);
	}
	if (full) {
		jv c = jv_object_get(jv_copy(f), jv_string("components"));
		if (jv_get_kind(c) == JV_KIND_OBJECT) {
			bi_buf_adds(&b, "\n  confidence from:");
			jv_object_foreach(c, k, v) {
				if (jv_get_kind(v) == JV_KIND_NUMBER)
					bi_buf_printf(&b, " %s %g", jv_string_value(k), jv_number_value(v));
				jv_free(k);
				jv_free(v);
			}
		}
		jv_free(c);
		list(&b, "timeline", jv_object_get(jv_copy(f), jv_string("timeline")), 10);
	}
	list(&b, "fixes", jv_object_get(jv_copy(f), jv_string("fixes")), 3);
	jv_free(commit);
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

static int
by_confidence(const void *a, const void *b)
{
	double x = bi_get_num(*(const jv *)a, "confidence", 0), y = bi_get_num(*(const jv *)b, "confidence", 0);
	return x > y ? -1 : x < y;
}

jv
bi_llm_findings(const bi_llm_records *in)
{
	int n = jv_array_length(jv_copy(in->findings));
	jv *v = bi_calloc(n, sizeof *v), out = jv_array();

	for (int i = 0; i < n; i++)
		v[i] = jv_array_get(jv_copy(in->findings), i);
	qsort(v, n, sizeof *v, by_confidence);
	for (int i = 0; i < n; i++)
		out = jv_array_append(out, v[i]);
	free(v);
	return out;
}

/* ---- the context: what the model is told, within the budget ---- */

struct ctx {
	bi_buf b;
	size_t limit;
	const char *head;	/* a heading to write before the next line */
	long dropped;
};

static void
heading(struct ctx *c, const char *title)
{
	c->head = title;
}

/* Add a line (consumed) if it fits, with the pending heading. */
static void
add_line(struct ctx *c, char *s)
{
	size_t need = strlen(s) + 3 + (c->head ? strlen(c->head) + 2 : 0);

	if (c->b.len + need > c->limit) {
		c->dropped++;
	} else {
		if (c->head)
			bi_buf_printf(&c->b, "\n%s\n", c->head);
		c->head = NULL;
		bi_buf_printf(&c->b, "- %s\n", s);
	}
	free(s);
}

static void
group_lines(struct ctx *c, bi_llm_groups *gs, size_t max)
{
	bi_llm_groups_sort(gs);
	for (size_t i = 0; i < gs->n; i++) {
		bi_llm_group *g = &gs->g[i];
		const char *msg = bi_get_text(g->last, "msg", ""), *svc = bi_get_text(g->last, "service", "-");
		int n = bi_line_span(msg, SIZE_MAX, 200), same = (size_t)n == strlen(g->tmpl) && !strncmp(msg, g->tmpl, n);
		if (i >= max)
			c->dropped++;
		else
			add_line(c, bi_asprintf("%ld times [%s] %s (first %s, last %s)%s%.*s", g->n, svc,
					    g->tmpl, g->first, bi_get_text(g->last, "ts", "?"),
					    same ? "" : "; latest: ", same ? 0 : n, msg));
	}
}

static void
each_line(struct ctx *c, jv arr, int newest_first)
{
	int n = jv_array_length(jv_copy(arr));

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(arr), newest_first ? n - 1 - i : i);
		add_line(c, bi_llm_describe(r));
		jv_free(r);
	}
	jv_free(arr);
}

char *
bi_llm_context(bi_llm_records *in, size_t limit)
{
	struct ctx c = {{0}, limit > 80 ? limit - 80 : 0, NULL, 0};
	char h[160];

	jv fs = bi_llm_findings(in);
	heading(&c, "## Root-cause findings (bi-rca), most confident first");
	jv_array_foreach(fs, i, f) {
		if (i < 5)
			add_line(&c, bi_llm_describe_finding(f, 0));
		else
			c.dropped++;
		jv_free(f);
	}
	jv_free(fs);
	snprintf(h, sizeof h, "## Error logs: %ld lines in %zu group%s by message template, most "
		 "frequent first", in->errors.lines, in->errors.n, in->errors.n == 1 ? "" : "s");
	heading(&c, h);
	group_lines(&c, &in->errors, (size_t)-1);
	heading(&c, "## Container events, oldest first");
	each_line(&c, bi_jv_last(jv_copy(in->events), 20), 0);
	heading(&c, "## Health, latest");
	each_line(&c, bi_jv_values(jv_copy(in->health)), 0);
	heading(&c, "## Containers, latest state");
	jv cs = bi_jv_values(jv_copy(in->containers));
	jv_array_foreach(cs, i, r) {
		if (!strcmp(bi_get_text(r, "action", ""), "status"))
			add_line(&c, bi_llm_describe(r));
		jv_free(r);
	}
	jv_free(cs);
	heading(&c, "## Stats, latest per container");
	each_line(&c, bi_jv_values(jv_copy(in->stats)), 0);
	heading(&c, "## Metrics, latest");
	each_line(&c, bi_jv_last(bi_jv_values(jv_copy(in->metrics)), 40), 0);
	snprintf(h, sizeof h, "## Commits, newest first (%ld in all)", in->ncommits);
	heading(&c, h);
	each_line(&c, bi_jv_last(jv_copy(in->commits), 10), 1);
	snprintf(h, sizeof h, "## Warnings: %ld lines in %zu group%s, most frequent first",
		 in->warns.lines, in->warns.n, in->warns.n == 1 ? "" : "s");
	heading(&c, h);
	group_lines(&c, &in->warns, 10);
	snprintf(h, sizeof h, "## The last log lines (%ld in all)", in->nlogs);
	heading(&c, h);
	each_line(&c, bi_jv_last(jv_copy(in->logs), 20), 0);
	heading(&c, "## Other records, by kind");
	jv_object_foreach(in->others, k, v) {
		add_line(&c, bi_asprintf("%s: %.0f", jv_string_value(k), jv_number_value(v)));
		jv_free(k);
		jv_free(v);
	}
	if (c.b.len == 0)
		bi_buf_adds(&c.b, "(no records were given)\n");
	if (c.dropped)
		bi_buf_printf(&c.b, "\n(%ld more items left out to fit the budget)\n", c.dropped);
	bi_buf_add(&c.b, NULL, 0);
	return c.b.p;
}

/* ---- the server ---- */

int
bi_llm_is_local(const char *url)
{
	const char *h = strstr(url, "://");
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;

	h = h ? h + 3 : url;
	size_t n = strcspn(h, "/?#");
	const char *at = memchr(h, '@', n);
	if (at) {
		n -= at + 1 - h;
		h = at + 1;
	}
	if (*h == '[')
		n = strcspn(++h, "]");
	else
		n = strcspn(h, ":/?#");
	snprintf(host, sizeof host, "%.*s", (int)(n < sizeof host ? n : 0), h);
	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

char *
bi_llm_base_url(int api, const char *u)
{
	const char *env = getenv("OLLAMA_HOST");
	int from_env = 0;

	if (!u && api == BI_LLM_OLLAMA && env && *env) {
		u = env;
		from_env = 1;
	}
	if (!u)
		u = api == BI_LLM_OLLAMA ? "http://127.0.0.1:11434" : "http://127.0.0.1:8080";
	char *s = strstr(u, "://") ? bi_strdup(u) : bi_asprintf("http://%s", u);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n >= 3 && !strcmp(s + n - 3, "/v1"))
		s[n -= 3] = '\0';
	/* OLLAMA_HOST may leave the port out, as Ollama's own client allows.
	 * ("http://" has lost its "//" to the trimming above.) */
	const char *sep = strstr(s, "://"), *host = sep ? sep + 3 : s;
	const char *past = host[0] == '[' ? strchr(host, ']') : host;
	if (from_env && !strchr(past ? past : host, ':')) {
		char *t = bi_asprintf("%s:11434", s);
		free(s);
		s = t;
	}
	return s;
}

static char *
down_message(const bi_llm *c, const char *why)
{
	int ollama = c->api == BI_LLM_OLLAMA;

	return bi_asprintf("no %s answers at %s (%s); %s",
			   ollama ? "Ollama server" : "OpenAI-compatible server", c->base, why,
			   ollama ? "start one with: ollama serve" : "start one, or point --base-url at it");
}

/* The text of an error the server sent: a string, or an object's message. */
static char *
error_text(jv e)
{
	char *s;

	if (jv_get_kind(e) == JV_KIND_OBJECT && bi_get_str(e, "message"))
		s = bi_strdup(bi_get_str(e, "message"));
	else if (jv_get_kind(e) == JV_KIND_STRING)
		s = bi_strdup(jv_string_value(e));
	else {
		jv d = jv_dump_string(jv_copy(e), 0);
		s = bi_strdup(jv_string_value(d));
		jv_free(d);
	}
	jv_free(e);
	return s;
}

jv
bi_llm_models(const bi_llm *c, int *down)
{
	const char *hdrs[] = {c->auth, NULL};
	int ollama = c->api == BI_LLM_OLLAMA;
	char *url = bi_asprintf("%s%s", c->base, ollama ? "/api/tags" : "/v1/models");
	bi_http_req req = {.url = url, .headers = hdrs, .timeout_ms = 15000,
			   .connect_timeout_ms = 3000};
	bi_http_resp resp;
	jv names = jv_array();

	*down = 0;
	if (bi_http(&req, &resp) != 0) {
		*down = 1;
		jv_free(names);
		char *msg = down_message(c, resp.error);
		names = jv_invalid_with_msg(jv_string(msg));
		free(msg);
	} else {
		jv body = jv_parse_sized(resp.body.p, (int)resp.body.len);
		jv list = jv_get_kind(body) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(body), jv_string(ollama ? "models" : "data")) :
			jv_invalid();
		if (resp.status < 200 || resp.status > 299 || jv_get_kind(list) != JV_KIND_ARRAY) {
			jv_free(names);
			names = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld: %.200s", url,
								  resp.status, resp.body.p));
		} else {
			jv_array_foreach(list, i, m) {
				const char *name = bi_get_str(m, ollama ? "name" : "id");
				if (name)
					names = jv_array_append(names, jv_string(name));
				jv_free(m);
			}
		}
		jv_free(list);
		jv_free(body);
	}
	bi_http_resp_free(&resp);
	free(url);
	return names;
}

char *
bi_llm_find_model(jv have, const char *want)
{
	char *found = NULL;

	jv_array_foreach(have, i, m) {
		const char *s = jv_string_value(m);
		size_t n = strlen(want);
		if (!found && (!strcmp(s, want) || (!strchr(want, ':') && !strncmp(s, want, n) &&
						    !strcmp(s + n, ":latest"))))
			found = bi_strdup(s);
		jv_free(m);
	}
	return found;
}

char *
bi_llm_choose(jv have, jv prefs, char **absent)
{
	char *m = NULL;
	bi_buf skipped = {0};

	jv_array_foreach(prefs, i, p) {
		if (!m && !(m = bi_llm_find_model(have, jv_string_value(p))))
			bi_buf_printf(&skipped, "%s%s", skipped.len ? ", " : "", jv_string_value(p));
		jv_free(p);
	}
	if (!m && jv_array_length(jv_copy(have)) > 0) {
		jv first = jv_array_get(jv_copy(have), 0);
		m = bi_strdup(jv_string_value(first));
		jv_free(first);
	}
	*absent = skipped.p;
	return m;
}

/* ---- one answer, streamed ---- */

int
bi_llm_chunk_parse(int api, const char *line, size_t len, bi_llm_chunk *c)
{
	*c = (bi_llm_chunk){0};
	if (len && line[len - 1] == '\r')
		len--;
	c->data = line, c->len = len;
	if (len == 0 || (api == BI_LLM_OPENAI && line[0] == ':'))
		return BI_LLM_NONE;
	if (api == BI_LLM_OPENAI) {
		if (len < 5 || memcmp(line, "data:", 5))
			return BI_LLM_OTHER;	/* an error reply, or a field we do not use */
		line += 5, len -= 5;
		if (len && *line == ' ')
			line++, len--;
		c->data = line, c->len = len;
		if (len == 6 && !memcmp(line, "[DONE]", 6)) {
			c->done = 1;
			return BI_LLM_DATA;
		}
	}
	jv v = jv_parse_sized(line, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return BI_LLM_MALFORMED;
	}
	jv err = jv_object_get(jv_copy(v), jv_string("error"));
	if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL) {
		c->text = error_text(err);
		jv_free(v);
		return BI_LLM_ERROR;
	}
	jv_free(err);
	jv content;
	if (api == BI_LLM_OLLAMA) {
		content = bi_jv_path(v, "message.content");
	} else {
		jv choices = jv_object_get(jv_copy(v), jv_string("choices"));
		jv first = jv_get_kind(choices) == JV_KIND_ARRAY ? jv_array_get(choices, 0) :
			(jv_free(choices), jv_invalid());
		content = jv_get_kind(first) == JV_KIND_OBJECT ? bi_jv_path(first, "delta.content") :
			jv_invalid();
		jv_free(first);
		jv usage = bi_jv_path(v, "usage.completion_tokens");
		if (jv_get_kind(usage) == JV_KIND_NUMBER) {
			c->counted = 1;
			c->tokens = to_long(jv_number_value(usage));
		}
		jv_free(usage);
	}
	/* The text up to a NUL it may hold, as C strings take it. */
	if (jv_get_kind(content) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(content)))
		c->text = bi_strdup(jv_string_value(content));
	jv_free(content);
	if (api == BI_LLM_OLLAMA) {
		jv done = jv_object_get(jv_copy(v), jv_string("done"));
		if (jv_get_kind(done) == JV_KIND_TRUE) {
			jv n = jv_object_get(jv_copy(v), jv_string("eval_count"));
			c->done = 1;
			if (jv_get_kind(n) == JV_KIND_NUMBER) {
				c->counted = 1;
				c->tokens = to_long(jv_number_value(n));
			}
			jv_free(n);
		}
		jv_free(done);
	}
	jv_free(v);
	return BI_LLM_DATA;
}

void
bi_llm_chunk_free(bi_llm_chunk *c)
{
	free(c->text);
	c->text = NULL;
}

/* One whole line of the stream into s; nonzero to stop reading. */
static int
stream_line(bi_llm_stream *s, const char *line, size_t len)
{
	bi_llm_chunk c;

	if (s->stop && *s->stop)
		return 1;
	switch (bi_llm_chunk_parse(s->api, line, len, &c)) {
	case BI_LLM_NONE:
		return 0;
	case BI_LLM_OTHER:
		if (s->other.len < 2048)
			bi_buf_add(&s->other, c.data, c.len);
		return 0;
	case BI_LLM_MALFORMED:
		if (s->from)
			bi_warn("skipped a malformed chunk from %s: %.*s", s->from,
				bi_line_span(c.data, c.len, 120), c.data);
		return 0;
	case BI_LLM_ERROR:
		free(s->error);
		s->error = c.text;
		return 1;
	}
	if (c.counted)
		s->tokens = c.tokens;
	if (c.text) {
		size_t n = strlen(c.text);
		bi_buf_add(&s->text, c.text, n);
		s->chunks++;
		if (s->on_text)
			s->on_text(s->ctx, c.text, n);
	}
	if (c.done) {
		s->done = 1;
		if (s->api == BI_LLM_OLLAMA && !c.counted)
			s->tokens = s->chunks;
	}
	bi_llm_chunk_free(&c);
	return 0;
}

int
bi_llm_stream_feed(bi_llm_stream *s, const char *p, size_t n)
{
	if (s->stopped)
		return 1;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			bi_buf_add(&s->line, p, n);
			return 0;
		}
		size_t k = nl - p;
		if (s->line.len) {
			bi_buf_add(&s->line, p, k);
			s->stopped = stream_line(s, s->line.p, s->line.len);
			s->line.len = 0;
		} else {
			s->stopped = stream_line(s, p, k);
		}
		if (s->stopped)
			return 1;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

void
bi_llm_stream_end(bi_llm_stream *s)
{
	if (s->line.len && !s->stopped)
		s->stopped = stream_line(s, s->line.p, s->line.len);
	s->line.len = 0;
}

void
bi_llm_stream_free(bi_llm_stream *s)
{
	bi_buf_free(&s->text);
	bi_buf_free(&s->other);
	bi_buf_free(&s->line);
	free(s->error);
	s->error = NULL;
}

static int
on_data(void *ctx, const char *buf, size_t len)
{
	return bi_llm_stream_feed(ctx, buf, len);
}

char *
bi_llm_chat(const bi_llm *c, const char *model, jv messages, bi_llm_stream *s)
{
	const char *hdrs[] = {c->auth, NULL};
	int ollama = c->api == BI_LLM_OLLAMA;
	char *url = bi_asprintf("%s%s", c->base, ollama ? "/api/chat" : "/v1/chat/completions");
	jv body = bi_set(bi_set(bi_set(jv_object(), "model", jv_string(model)), "messages", messages),
		      "stream", jv_true());
	/* Ollama cuts a prompt to its context window, 2048 tokens by default. */
	if (ollama)
		body = bi_set(body, "options", bi_set(jv_object(), "num_ctx",
						jv_number((double)((c->budget * 2 + 2048 + 1023) / 1024 * 1024))));
	jv text = jv_dump_string(body, 0);
	bi_http_req req = {.url = url, .body = jv_string_value(text), .headers = hdrs,
			   .connect_timeout_ms = 3000, .on_data = on_data, .ctx = s};
	bi_http_resp resp;
	char *err = NULL;

	s->api = c->api;
	s->from = c->base;
	int r = bi_http(&req, &resp);
	if (r == 0 && !resp.stopped)
		bi_llm_stream_end(s);	/* a last line without its '\n' */
	if (r != 0 && resp.status == 0)
		err = down_message(c, resp.error);
	else if (r != 0)
		err = bi_asprintf("the answer from %s was cut off after %ld chunks: %s", url,
				  s->chunks, resp.error);
	else if (s->stop && *s->stop)
		err = bi_strdup("interrupted");
	else if (resp.status == 404 && ollama)
		err = bi_asprintf("model %s is not installed at %s; run: ollama pull %s", model,
				  c->base, model);
	else if (resp.status < 200 || resp.status > 299) {
		jv e = jv_parse_sized(s->other.p ? s->other.p : "", (int)s->other.len);
		char *why = s->error ? bi_strdup(s->error) : jv_get_kind(e) == JV_KIND_OBJECT ?
			error_text(jv_object_get(jv_copy(e), jv_string("error"))) :
			bi_asprintf("%.200s", s->other.p ? s->other.p : "");
		err = bi_asprintf("%s: HTTP %ld: %s", url, resp.status, why);
		free(why);
		jv_free(e);
	} else if (s->error)
		err = bi_asprintf("%s reported an error after %ld chunks: %s", url, s->chunks, s->error);
	else if (!s->done)
		err = bi_asprintf("the answer from %s ended before it was complete", url);
	if (s->tokens == 0)
		s->tokens = s->chunks;	/* a server that does not count them */
	bi_http_resp_free(&resp);
	jv_free(text);
	free(url);
	return err;
}

/* ---- the conversation ---- */

jv
bi_llm_msg(const char *role, jv content)
{
	return bi_set(bi_set(jv_object(), "role", jv_string(role)), "content", content);
}

char *
bi_llm_turn(const bi_llm *c, const char *model, jv *messages, const char *q,
	    bi_llm_stream *s)
{
	*messages = jv_array_append(*messages, bi_llm_msg("user", jv_string(q)));
	char *err = bi_llm_chat(c, model, jv_copy(*messages), s);
	if (err) {
		int n = jv_array_length(jv_copy(*messages));
		*messages = jv_array_slice(*messages, 0, n - 1);
	} else {
		*messages = jv_array_append(*messages, bi_llm_msg("assistant",
			jv_string(s->text.p ? s->text.p : "")));
	}
	return err;
}

jv
bi_llm_trim(jv messages, size_t max)
{
	for (;;) {
		int n = jv_array_length(jv_copy(messages));
		size_t bytes = 0;
		for (int i = 1; i < n; i++) {
			jv m = jv_array_get(jv_copy(messages), i);
			bytes += strlen(bi_get_text(m, "content", ""));
			jv_free(m);
		}
		if (n <= 3 || bytes <= max)
			return messages;
		messages = jv_array_concat(jv_array_slice(jv_copy(messages), 0, 1),
					   jv_array_slice(messages, 3, n));
	}
}
