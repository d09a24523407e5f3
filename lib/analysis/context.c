/*
 * context.c: what a model is told about a project's records.
 *
 * Records are digested into the few forms a model needs (bi-rca's findings;
 * error and warning logs grouped by message template, with counts; the
 * latest state per container, health check, stats and metric; the last
 * events, commits and log lines), then condensed into text that fits a byte
 * budget, the most telling first. Memory grows with the distinct templates,
 * containers and metrics, not with the records; what does not fit the
 * budget is counted, never cut mid-line.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/context.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/logparse.h"

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
		/* Room doubles: a realloc per group would copy them all each
		 * time (ASan's realloc always does), n^2 in the templates. */
		if (gs->n == gs->cap) {
			gs->cap = gs->cap ? 2 * gs->cap : 16;
			gs->g = bi_realloc(gs->g, gs->cap * sizeof *gs->g);
		}
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

static int
add_one(void *ctx, jv rec, bi_reader *rd)
{
	(void)rd;
	bi_llm_records_add(ctx, rec);
	return 0;
}

int
bi_llm_records_read(bi_llm_records *r, int n, char *const *paths, int flags)
{
	return bi_each(n, paths, flags, add_one, r);
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
	jv aff = jv_object_get(jv_copy(f), jv_string("affected"));
	if (jv_get_kind(aff) == JV_KIND_ARRAY && jv_array_length(jv_copy(aff)) > 0) {
		bi_buf_adds(&b, "\n  at fault: ");
		bi_buf_adds(&b, bi_get_text(f, "service", "-"));
		bi_buf_adds(&b, "; affected:");
		jv_array_foreach(aff, i, s) {
			if (jv_get_kind(s) == JV_KIND_STRING)
				bi_buf_printf(&b, "%s %s", i ? "," : "", jv_string_value(s));
			jv_free(s);
		}
	}
	jv_free(aff);
	jv crash = jv_object_get(jv_copy(f), jv_string("crash"));
	if (jv_get_kind(crash) == JV_KIND_OBJECT)
		bi_buf_printf(&b, "\n  crash: %s %s at %s, %.0f times", bi_get_text(crash, "signal", "-"),
			      bi_get_text(crash, "exception", "-"), bi_get_text(crash, "frame", "?"),
			      bi_get_num(crash, "count", 0));
	jv_free(crash);
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
		jv chain = jv_object_get(jv_copy(f), jv_string("chain"));
		if (jv_get_kind(chain) == JV_KIND_ARRAY && jv_array_length(jv_copy(chain)) > 0) {
			bi_buf_adds(&b, "\n  chain:");
			jv_array_foreach(chain, i, e) {
				if (i < 8)
					bi_buf_printf(&b, "\n    - %s %s: %s", bi_get_text(e, "ts", "?"),
						      bi_get_text(e, "service", "-"), bi_get_text(e, "what", ""));
				jv_free(e);
			}
		}
		jv_free(chain);
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
