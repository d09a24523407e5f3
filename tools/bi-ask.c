/*
 * bi-ask: ask a local LLM about the project, with the records piped in as
 * its context; answer the common questions with no model at all.
 *
 * Reads records on stdin (when it is not a terminal) and from --context
 * files, and condenses them to fit a token budget (estimated as bytes / 4):
 * bi-rca's findings first, then error logs grouped by message template with
 * counts, container events, the latest health, stats and metrics, commits,
 * warnings and the last log lines. That context and the question go to
 * Ollama (/api/chat) or an OpenAI-compatible server (/v1/chat/completions),
 * to the first installed model of a preference list. The answer streams to
 * a terminal as it comes, or is written as one `answer` record. With no
 * server (or --offline), recent logs, errors, status, commits and "why did X
 * fail" are answered from the records alone. With no question on a terminal
 * it holds a conversation (libedit). Nothing is sent off this machine unless
 * a remote server is allowed explicitly.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>

#include "bi.h"

static const char usage[] =
	"usage: bi-ask [options] [QUESTION...]\n"
	"Ask a local LLM about the records piped in; some questions need no model.\n"
	"With no question on a terminal: a conversation (/context, /model, /quit).\n"
	"\n"
	"  -q, --query Q          the question (or give it as arguments)\n"
	"  -m, --model M          this model (default: agent.models, then llama3.1:70b,\n"
	"                         llama3.1:8b, llama3:70b, llama3:8b, then any installed)\n"
	"      --api A            ollama (default) or openai (any OpenAI-compatible server)\n"
	"      --base-url URL     the server (default: agent.base_url, else $OLLAMA_HOST\n"
	"                         or http://127.0.0.1:11434; openai: http://127.0.0.1:8080)\n"
	"      --api-key-env VAR  openai: the key is in $VAR (default OPENAI_API_KEY)\n"
	"      --allow-remote     allow a server that is not on this machine\n"
	"  -c, --context FILE     also read records from FILE (repeatable)\n"
	"  -b, --budget N         context budget in tokens of ~4 bytes (default 6000)\n"
	"      --show-prompt      print what would be sent, and send nothing\n"
	"      --offline          use no model: answer from the records alone\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"Exit: 0, 2 usage or a question that needs a model with --offline,\n"
	"      3 the server unreachable, the model missing, or the answer cut off.\n";

enum api { OLLAMA, OPENAI };
enum question { Q_NONE, Q_WHY, Q_COMMITS, Q_ERRORS, Q_LOGS, Q_STATUS };

static const char *const default_models[] = {
	"llama3.1:70b", "llama3.1:8b", "llama3:70b", "llama3:8b", NULL};

static const char preamble[] =
	"You are the agent of blissful-infra, which runs a developer's services "
	"on one machine. Answer questions about this project from the records "
	"below: root-cause findings, error logs grouped by template with counts, "
	"container events, health, stats, metrics and commits. Be brief and "
	"concrete: name the service, the evidence, and the next step to take. "
	"When the records do not show something, say so rather than guess.\n";

static struct {
	enum api api;
	char *base;		/* the server's root URL, without /v1 */
	char *auth;		/* "Authorization: Bearer KEY", or NULL */
	const char *model;
	long budget;		/* tokens of ~4 bytes */
	int allow_remote, offline, show_prompt, tty_out;
	jv prefs;		/* the preferred models, in order */
} opt;

/* ---- the records read, kept in the few forms the answers need ---- */

struct group {
	char *key;		/* service and template */
	const char *tmpl;	/* points into key */
	long n;
	size_t order;		/* first seen: a tie-breaker */
	char first[BI_TS_LEN];
	jv last;		/* the latest record of the group */
};

struct groups {
	struct group *g;
	size_t n;
	jv index;		/* key -> position in g */
	long lines;
};

static struct {
	jv findings, events, logs, commits;		/* arrays */
	jv containers, health, stats, metrics, others;	/* objects: the latest per key */
	struct groups errors, warns;
	long nlogs, ncommits;
} in;

enum { KEEP_LOGS = 50, KEEP_EVENTS = 30, KEEP_COMMITS = 20 };

static jv
set(jv o, const char *key, jv v)
{
	return jv_object_set(o, jv_string(key), v);
}

static const char *
str(jv rec, const char *key, const char *def)
{
	const char *s = bi_get_str(rec, key);
	return s && *s ? s : def;
}

/* The length of s's first line, at most max bytes, not cutting a UTF-8
 * character: what a one-line description shows of a message. */
static int
span(const char *s, int max)
{
	int n = (int)strcspn(s, "\r\n");

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return n;
}

/* Append rec to arr, keeping at least the last n (trimmed in batches). */
static jv
keep_last(jv arr, jv rec, int n)
{
	arr = jv_array_append(arr, rec);
	int len = jv_array_length(jv_copy(arr));
	return len > 2 * n ? jv_array_slice(arr, len - n, len) : arr;
}

static jv
last_n(jv arr, int n)
{
	int len = jv_array_length(jv_copy(arr));
	return jv_array_slice(arr, len > n ? len - n : 0, len);
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

/* The template of a message's first line (at most 400 bytes of it), words
 * separated by single spaces. */
static void
mask(bi_buf *out, const char *msg)
{
	int n = span(msg, 400);

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
group_add(struct groups *gs, jv rec)
{
	bi_buf key = {0};

	bi_buf_printf(&key, "%s\x1f", str(rec, "service", str(rec, "source", "-")));
	size_t at = key.len;
	mask(&key, str(rec, "msg", ""));
	jv k = jv_string_sized(key.p, (int)key.len);
	jv pos = jv_object_get(jv_copy(gs->index), jv_copy(k));
	gs->lines++;
	if (jv_get_kind(pos) == JV_KIND_NUMBER) {
		struct group *g = &gs->g[(size_t)jv_number_value(pos)];
		g->n++;
		jv_free(g->last);
		g->last = rec;
		jv_free(k);
		bi_buf_free(&key);
	} else {
		gs->g = bi_realloc(gs->g, (gs->n + 1) * sizeof *gs->g);
		struct group *g = &gs->g[gs->n];
		*g = (struct group){key.p, key.p + at, 1, gs->n, "", rec};
		snprintf(g->first, sizeof g->first, "%s", str(rec, "ts", "?"));
		gs->index = jv_object_set(gs->index, k, jv_number((double)gs->n++));
	}
	jv_free(pos);
}

static int
by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		free(gs->g[i].key);
		jv_free(gs->g[i].last);
	}
	free(gs->g);
	jv_free(gs->index);
}

/* ---- reading ---- */

/* Keep what the answers need of one record (consumed). */
static void
take(jv rec)
{
	const char *kind = str(rec, "kind", "?");
	const char *id = str(rec, "container", str(rec, "service", "?"));

	if (!strcmp(kind, "finding")) {
		in.findings = jv_array_append(in.findings, rec);
	} else if (!strcmp(kind, "log")) {
		int rank = bi_level_rank(str(rec, "level", "info"));
		in.nlogs++;
		if (rank >= 4)
			group_add(&in.errors, jv_copy(rec));
		else if (rank == 3)
			group_add(&in.warns, jv_copy(rec));
		in.logs = keep_last(in.logs, rec, KEEP_LOGS);
	} else if (!strcmp(kind, "container")) {
		if (strcmp(str(rec, "action", ""), "status"))
			in.events = keep_last(in.events, jv_copy(rec), KEEP_EVENTS);
		in.containers = jv_object_set(in.containers, jv_string(id), rec);
	} else if (!strcmp(kind, "k8s_event") || !strcmp(kind, "alert")) {
		in.events = keep_last(in.events, rec, KEEP_EVENTS);
	} else if (!strcmp(kind, "stats")) {
		in.stats = jv_object_set(in.stats, jv_string(id), rec);
	} else if (!strcmp(kind, "health")) {
		in.health = jv_object_set(in.health, jv_string(str(rec, "service",
					  str(rec, "target", "?"))), rec);
	} else if (!strcmp(kind, "metric")) {
		jv labels = jv_dump_string(jv_object_get(jv_copy(rec), jv_string("labels")), 0);
		jv key = jv_string_fmt("%s %s %s", str(rec, "service", str(rec, "target", "")),
				       str(rec, "name", "?"), jv_string_value(labels));
		jv_free(labels);
		in.metrics = jv_object_set(in.metrics, key, rec);
	} else if (!strcmp(kind, "commit")) {
		in.ncommits++;
		in.commits = keep_last(in.commits, rec, KEEP_COMMITS);
	} else {
		jv n = jv_object_get(jv_copy(in.others), jv_string(kind));
		double c = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;
		jv_free(n);
		in.others = jv_object_set(in.others, jv_string(kind), jv_number(c + 1));
		jv_free(rec);
	}
}

static void
gather(int fd, const char *name)
{
	bi_reader *r = bi_reader_new(fd, name, 0);
	jv rec;

	while (bi_read(r, &rec))
		take(rec);
	bi_reader_free(r);
}

/* ---- describing records, for a model and for people ---- */

/* One line about a record of the kinds bi-ask uses (borrowed). */
static char *
describe(jv r)
{
	const char *kind = str(r, "kind", "?"), *ts = str(r, "ts", "?");
	const char *svc = str(r, "service", str(r, "source", "-")), *msg = str(r, "msg", "");

	if (!strcmp(kind, "log"))
		return bi_asprintf("%s %s [%s] %.*s", ts, str(r, "level", "info"), svc,
				   span(msg, 300), msg);
	if (!strcmp(kind, "container") && !strcmp(str(r, "action", ""), "status"))
		return bi_asprintf("%s: %s%s%s, up %s, %.0f restarts", svc, str(r, "state", "?"),
				   bi_get_str(r, "health") ? ", " : "", str(r, "health", ""),
				   str(r, "uptime", "?"), bi_get_num(r, "restarts", 0));
	if (!strcmp(kind, "container")) {
		double code = bi_get_num(r, "exit_code", -1);
		char exit[32] = "";
		if (code >= 0)
			snprintf(exit, sizeof exit, " exit %.0f", code);
		return bi_asprintf("%s %s %s%s%s%s", ts, svc, str(r, "action", "?"), exit,
				   bi_get_str(r, "signal") ? " signal " : "", str(r, "signal", ""));
	}
	if (!strcmp(kind, "k8s_event"))
		return bi_asprintf("%s %s %s %s: %.*s", ts, str(r, "type", "?"), str(r, "reason", "?"),
				   str(r, "object", "?"), span(msg, 200), msg);
	if (!strcmp(kind, "alert"))
		return bi_asprintf("%s alert %s %s (%s) %s", ts, str(r, "name", "?"),
				   str(r, "state", "?"), str(r, "severity", "?"), svc);
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
				   str(r, "target", "?"), *msg ? ": " : "", span(msg, 200), msg);
	}
	if (!strcmp(kind, "metric")) {
		jv labels = jv_dump_string(jv_object_get(jv_copy(r), jv_string("labels")), 0);
		char *s = bi_asprintf("%s %s%s = %g%s%s", svc, str(r, "name", "?"),
				      strcmp(jv_string_value(labels), "null") ? jv_string_value(labels) : "",
				      bi_get_num(r, "value", 0), bi_get_str(r, "unit") ? " " : "",
				      str(r, "unit", ""));
		jv_free(labels);
		return s;
	}
	if (!strcmp(kind, "commit"))
		return bi_asprintf("%.12s %s %s: %.*s (+%.0f -%.0f, %.0f files)", str(r, "sha", "?"),
				   ts, str(r, "author", "?"), span(msg, 200), msg,
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
				bi_buf_printf(b, "%.*s", span(s, 200), s);
				if (rate >= 0)
					bi_buf_printf(b, " (worked %.0f%% of the time)", rate * 100);
			}
			jv_free(v);
		}
	}
	jv_free(arr);
}

static char *
describe_finding(jv f, int full)
{
	bi_buf b = {0};
	jv commit = jv_object_get(jv_copy(f), jv_string("commit"));

	bi_buf_printf(&b, "%s (confidence %.0f%%; service %s; pattern %s; %.0f times, %s to %s)",
		      str(f, "title", "?"), bi_get_num(f, "confidence", 0), str(f, "service", "-"),
		      str(f, "pattern", "-"), bi_get_num(f, "count", 0), str(f, "first_seen", "?"),
		      str(f, "last_seen", "?"));
	if (bi_get_str(f, "root_cause"))
		bi_buf_printf(&b, "\n  root cause: %s", str(f, "root_cause", ""));
	if (bi_get_str(f, "template"))
		bi_buf_printf(&b, "\n  log template: %s", str(f, "template", ""));
	if (jv_get_kind(commit) == JV_KIND_OBJECT) {
		const char *m = str(commit, "msg", "");
		bi_buf_printf(&b, "\n  likely commit: %.12s by %s: %.*s", str(commit, "sha", "?"),
			      str(commit, "author", "?"), span(m, 120), m);
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

/* The findings, most confident first (a new array). */
static jv
ranked_findings(void)
{
	int n = jv_array_length(jv_copy(in.findings));
	jv *v = bi_calloc(n, sizeof *v), out = jv_array();

	for (int i = 0; i < n; i++)
		v[i] = jv_array_get(jv_copy(in.findings), i);
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
group_lines(struct ctx *c, struct groups *gs, size_t max)
{
	if (gs->n)
		qsort(gs->g, gs->n, sizeof *gs->g, by_count);
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = &gs->g[i];
		const char *msg = str(g->last, "msg", ""), *svc = str(g->last, "service", "-");
		int n = span(msg, 200), same = (size_t)n == strlen(g->tmpl) && !strncmp(msg, g->tmpl, n);
		if (i >= max)
			c->dropped++;
		else
			add_line(c, bi_asprintf("%ld times [%s] %s (first %s, last %s)%s%.*s", g->n, svc,
					    g->tmpl, g->first, str(g->last, "ts", "?"),
					    same ? "" : "; latest: ", same ? 0 : n, msg));
	}
}

static void
each_line(struct ctx *c, jv arr, int newest_first)
{
	int n = jv_array_length(jv_copy(arr));

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(arr), newest_first ? n - 1 - i : i);
		add_line(c, describe(r));
		jv_free(r);
	}
	jv_free(arr);
}

/* An object's values, in the order of their keys. */
static jv
values(jv obj)
{
	jv keys = jv_keys(jv_copy(obj)), out = jv_array();

	jv_array_foreach(keys, i, k)
		out = jv_array_append(out, jv_object_get(jv_copy(obj), k));
	jv_free(keys);
	jv_free(obj);
	return out;
}

/* The records read, condensed into at most limit bytes. */
static char *
condense(size_t limit)
{
	struct ctx c = {{0}, limit > 80 ? limit - 80 : 0, NULL, 0};
	char h[160];

	jv fs = ranked_findings();
	heading(&c, "## Root-cause findings (bi-rca), most confident first");
	jv_array_foreach(fs, i, f) {
		if (i < 5)
			add_line(&c, describe_finding(f, 0));
		else
			c.dropped++;
		jv_free(f);
	}
	jv_free(fs);
	snprintf(h, sizeof h, "## Error logs: %ld lines in %zu group%s by message template, most "
		 "frequent first", in.errors.lines, in.errors.n, in.errors.n == 1 ? "" : "s");
	heading(&c, h);
	group_lines(&c, &in.errors, (size_t)-1);
	heading(&c, "## Container events, oldest first");
	each_line(&c, last_n(jv_copy(in.events), 20), 0);
	heading(&c, "## Health, latest");
	each_line(&c, values(jv_copy(in.health)), 0);
	heading(&c, "## Containers, latest state");
	jv cs = values(jv_copy(in.containers));
	jv_array_foreach(cs, i, r) {
		if (!strcmp(str(r, "action", ""), "status"))
			add_line(&c, describe(r));
		jv_free(r);
	}
	jv_free(cs);
	heading(&c, "## Stats, latest per container");
	each_line(&c, values(jv_copy(in.stats)), 0);
	heading(&c, "## Metrics, latest");
	each_line(&c, last_n(values(jv_copy(in.metrics)), 40), 0);
	snprintf(h, sizeof h, "## Commits, newest first (%ld in all)", in.ncommits);
	heading(&c, h);
	each_line(&c, last_n(jv_copy(in.commits), 10), 1);
	snprintf(h, sizeof h, "## Warnings: %ld lines in %zu group%s, most frequent first",
		 in.warns.lines, in.warns.n, in.warns.n == 1 ? "" : "s");
	heading(&c, h);
	group_lines(&c, &in.warns, 10);
	snprintf(h, sizeof h, "## The last log lines (%ld in all)", in.nlogs);
	heading(&c, h);
	each_line(&c, last_n(jv_copy(in.logs), 20), 0);
	heading(&c, "## Other records, by kind");
	jv_object_foreach(in.others, k, v) {
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

/* ---- answers without a model ---- */

/* Which of the questions answerable without a model q is; for "why did X
 * fail", X goes into subject (n bytes), or "" when q names nothing. */
static enum question
classify(const char *q, char *subject, size_t n)
{
	char *s = bi_strdup(q);
	enum question k = Q_NONE;

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *why = strstr(s, "why ");
	if (why) {
		/* "why did the checkout fail": the subject is the word after the
		 * verb and its determiner; a pronoun names nothing. */
		static const char *const skip[] = {"the ", "my ", "our ", "a ", "an ", "this ", NULL};
		static const char *const none[] = {"it", "that", "this", "everything", "things",
						   "we", "they", "i", NULL};
		char *w = why + 4;
		w += strspn(w, " ");
		w += strcspn(w, " ");
		w += strspn(w, " ");
		for (const char *const *d = skip; *d; d++)
			if (!strncmp(w, *d, strlen(*d)))
				w += strlen(*d);
		snprintf(subject, n, "%.*s", (int)strcspn(w, " ?!.,"), w);
		for (const char *const *p = none; *p; p++)
			if (!strcmp(subject, *p))
				subject[0] = '\0';
		k = Q_WHY;
	} else if (strstr(s, "commit") || strstr(s, "changed") || strstr(s, "changes")) {
		k = Q_COMMITS;
	} else if (strstr(s, "error") || strstr(s, "exception") || strstr(s, "fail") ||
		   strstr(s, "wrong")) {
		k = Q_ERRORS;
	} else if (strstr(s, "log")) {
		k = Q_LOGS;
	} else if (strstr(s, "status") || strstr(s, "health") || strstr(s, "running") ||
		   strstr(s, "state")) {
		k = Q_STATUS;
	}
	free(s);
	return k;
}

static void
lines_of(bi_buf *b, jv arr, int newest_first, jv *evidence)
{
	int n = jv_array_length(jv_copy(arr));

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(arr), newest_first ? n - 1 - i : i);
		char *s = describe(r);
		bi_buf_printf(b, "%s\n", s);
		free(s);
		*evidence = jv_array_append(*evidence, r);
	}
	jv_free(arr);
}

static void
errors_text(bi_buf *b, jv *evidence)
{
	if (in.errors.n)
		qsort(in.errors.g, in.errors.n, sizeof *in.errors.g, by_count);
	if (in.errors.n == 0)
		bi_buf_printf(b, "No model was used, and there were no errors among the %ld log records "
			      "given.\n", in.nlogs);
	else
		bi_buf_printf(b, "No model was used: the %ld error lines given, in %zu group%s by message "
			      "template, most frequent first.\n", in.errors.lines, in.errors.n,
			      in.errors.n == 1 ? "" : "s");
	for (size_t i = 0; i < in.errors.n; i++) {
		struct group *g = &in.errors.g[i];
		const char *msg = str(g->last, "msg", "");
		bi_buf_printf(b, "%6ld  [%s] %s\n        first %s, last %s: %.*s\n", g->n,
			      str(g->last, "service", "-"), g->tmpl, g->first, str(g->last, "ts", "?"),
			      span(msg, 200), msg);
		*evidence = jv_array_append(*evidence, jv_copy(g->last));
	}
}

static int
answerable(const char *q)
{
	char subject[64];
	return classify(q, subject, sizeof subject) != Q_NONE;
}

static const char pipe_hint[] =
	"pipe them in, as in bi-collect --docker --git --since 1h | bi-ask QUESTION";

/* The answer to q from the records alone, as text; *evidence gets the
 * records it shows. NULL when q is not a question answerable so. */
static char *
offline_answer(const char *q, jv *evidence)
{
	char subject[64] = "";
	bi_buf b = {0};
	int n;

	*evidence = jv_array();
	switch (classify(q, subject, sizeof subject)) {
	case Q_NONE: return NULL;
	case Q_LOGS:
		n = jv_array_length(jv_copy(in.logs));
		if (n == 0)
			bi_buf_printf(&b, "No model was used, and no log records were given: %s\n", pipe_hint);
		else
			bi_buf_printf(&b, "No model was used: the last %d of the %ld log records given.\n",
				      n < KEEP_LOGS ? n : KEEP_LOGS, in.nlogs);
		lines_of(&b, last_n(jv_copy(in.logs), KEEP_LOGS), 0, evidence);
		break;
	case Q_ERRORS:
		errors_text(&b, evidence);
		break;
	case Q_STATUS:
		if (!jv_object_length(jv_copy(in.containers)) && !jv_object_length(jv_copy(in.health)) &&
		    !jv_object_length(jv_copy(in.stats)))
			bi_buf_printf(&b, "No model was used, and no container, health or stats records "
				      "were given: %s\n", pipe_hint);
		else
			bi_buf_adds(&b, "No model was used: the latest state of each container, health "
				    "check and container's stats given.\n");
		lines_of(&b, values(jv_copy(in.containers)), 0, evidence);
		lines_of(&b, values(jv_copy(in.health)), 0, evidence);
		lines_of(&b, values(jv_copy(in.stats)), 0, evidence);
		break;
	case Q_COMMITS:
		n = jv_array_length(jv_copy(in.commits));
		if (n == 0)
			bi_buf_printf(&b, "No model was used, and no commits were given: %s\n", pipe_hint);
		else
			bi_buf_printf(&b, "No model was used: the last %d of the %ld commits given, newest first.\n",
				      n < 10 ? n : 10, in.ncommits);
		lines_of(&b, last_n(jv_copy(in.commits), 10), 1, evidence);
		break;
	case Q_WHY: {
		jv fs = ranked_findings(), top = jv_invalid();
		int named = 0;
		jv_array_foreach(fs, i, f) {
			char *about = bi_asprintf("%s %s", str(f, "service", ""), str(f, "title", ""));
			for (char *p = about; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (!named && *subject && strstr(about, subject)) {
				top = jv_copy(f);
				named = 1;
			}
			free(about);
			jv_free(f);
		}
		if (!jv_is_valid(top) && jv_array_length(jv_copy(fs)) > 0)
			top = jv_array_get(jv_copy(fs), 0);
		jv_free(fs);
		if (!jv_is_valid(top)) {
			jv_free(top);
			bi_buf_adds(&b, "No bi-rca finding was among the records given (bi-collect --docker "
				    "--git | bi-rca | bi-ask finds them). ");
			errors_text(&b, evidence);
			break;
		}
		char *d = describe_finding(top, 1);
		if (*subject && !named)
			bi_buf_printf(&b, "No model was used, and no bi-rca finding names %s: the most "
				      "confident one is\n%s\n", subject, d);
		else
			bi_buf_printf(&b, "No model was used: bi-rca's top finding%s%s.\n%s\n",
				      named ? " for " : "", named ? subject : "", d);
		free(d);
		*evidence = jv_array_append(*evidence, top);
		break;
	}
	}
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

/* ---- the server ---- */

/* Whether url's host is this machine: localhost, 127.0.0.0/8 or ::1. */
static int
is_local(const char *url)
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

/* The server's root from --base-url, the configuration or OLLAMA_HOST
 * ("host", "host:port" or a URL): a scheme and a port, no trailing / or /v1. */
static char *
server_root(const char *given, jv cfg)
{
	const char *env = getenv("OLLAMA_HOST");
	const char *u = given ? given : bi_cfg_str(cfg, "agent.base_url", NULL);
	int from_env = 0;

	if (!u && opt.api == OLLAMA && env && *env) {
		u = env;
		from_env = 1;
	}
	if (!u)
		u = opt.api == OLLAMA ? "http://127.0.0.1:11434" : "http://127.0.0.1:8080";
	char *s = strstr(u, "://") ? bi_strdup(u) : bi_asprintf("http://%s", u);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n >= 3 && !strcmp(s + n - 3, "/v1"))
		s[n -= 3] = '\0';
	/* OLLAMA_HOST may leave the port out, as Ollama's own client allows. */
	const char *host = strstr(s, "://") + 3, *past = host[0] == '[' ? strchr(host, ']') : host;
	if (from_env && !strchr(past ? past : host, ':')) {
		char *t = bi_asprintf("%s:11434", s);
		free(s);
		s = t;
	}
	return s;
}

static const char *
server_name(void)
{
	return opt.api == OLLAMA ? "Ollama server" : "OpenAI-compatible server";
}

static char *
down_message(const char *why)
{
	return bi_asprintf("no %s answers at %s (%s); %s", server_name(), opt.base, why,
			   opt.api == OLLAMA ? "start one with: ollama serve" :
			   "start one, or point --base-url at it");
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

/* The models the server has, as an array of names; jv_invalid with the
 * reason (and *down set when nothing answered). */
static jv
installed(int *down)
{
	const char *hdrs[] = {opt.auth, NULL};
	char *url = bi_asprintf("%s%s", opt.base, opt.api == OLLAMA ? "/api/tags" : "/v1/models");
	bi_http_req req = {.url = url, .headers = hdrs, .timeout_ms = 15000,
			   .connect_timeout_ms = 3000};
	bi_http_resp resp;
	jv names = jv_array();

	*down = 0;
	if (bi_http(&req, &resp) != 0) {
		*down = 1;
		jv_free(names);
		names = jv_invalid_with_msg(jv_string(resp.error));
	} else {
		jv body = jv_parse_sized(resp.body.p, (int)resp.body.len);
		jv list = jv_get_kind(body) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(body), jv_string(opt.api == OLLAMA ? "models" : "data")) :
			jv_invalid();
		if (resp.status < 200 || resp.status > 299 || jv_get_kind(list) != JV_KIND_ARRAY) {
			jv_free(names);
			names = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld: %.200s", url,
								  resp.status, resp.body.p));
		} else {
			jv_array_foreach(list, i, m) {
				const char *name = bi_get_str(m, opt.api == OLLAMA ? "name" : "id");
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

/* want as the server names it ("llama3" is "llama3:latest"), or NULL. */
static char *
find_model(jv have, const char *want)
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

static _Noreturn void
missing(const char *model, jv have)
{
	if (opt.api == OLLAMA)
		bi_die(BI_EXIT_UNREACHABLE, "model %s is not installed at %s; run: ollama pull %s",
		       model, opt.base, model);
	jv all = jv_dump_string(have, 0);
	bi_die(BI_EXIT_UNREACHABLE, "model %s is not served at %s (it has %s)", model, opt.base,
	       jv_string_value(all));
}

/* The model to use: --model, else the first preference installed, else any. */
static char *
choose_model(jv have)
{
	char *m;
	bi_buf absent = {0};

	if (opt.model) {
		if (!(m = find_model(have, opt.model)))
			missing(opt.model, have);
		bi_warn("using model %s", m);
		jv_free(have);
		return m;
	}
	m = NULL;
	jv_array_foreach(opt.prefs, i, p) {
		if (!m && !(m = find_model(have, jv_string_value(p))))
			bi_buf_printf(&absent, "%s%s", absent.len ? ", " : "", jv_string_value(p));
		jv_free(p);
	}
	if (!m && jv_array_length(jv_copy(have)) > 0) {
		jv first = jv_array_get(jv_copy(have), 0);
		m = bi_strdup(jv_string_value(first));
		jv_free(first);
	}
	if (!m)
		bi_die(BI_EXIT_UNREACHABLE, "no model is installed at %s; run: ollama pull %s",
		       opt.base, default_models[1]);
	if (absent.len)
		bi_warn("using model %s (not installed: %s)", m, absent.p);
	else
		bi_warn("using model %s", m);
	bi_buf_free(&absent);
	jv_free(have);
	return m;
}

/* ---- one answer, streamed ---- */

struct stream {
	int tty;		/* print the text as it comes */
	bi_buf text;
	bi_buf other;		/* the start of a body that is no stream (an error reply) */
	char *error;		/* an error the server sent */
	int done;
	long tokens, chunks;
};

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
on_line(void *ctx, const char *line, size_t len)
{
	struct stream *s = ctx;

	if (interrupted)
		return 1;
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0 || (opt.api == OPENAI && line[0] == ':'))
		return 0;
	if (opt.api == OPENAI) {
		if (len < 5 || memcmp(line, "data:", 5)) {
			/* Not an event: an error reply, or a field we do not use. */
			if (s->other.len < 2048)
				bi_buf_add(&s->other, line, len);
			return 0;
		}
		line += 5, len -= 5;
		if (len && *line == ' ')
			line++, len--;
		if (len == 6 && !memcmp(line, "[DONE]", 6)) {
			s->done = 1;
			return 0;
		}
	}
	jv c = jv_parse_sized(line, (int)len);
	if (jv_get_kind(c) != JV_KIND_OBJECT) {
		bi_warn("skipped a malformed chunk from %s: %.*s", opt.base, span(line, 120), line);
		jv_free(c);
		return 0;
	}
	jv err = jv_object_get(jv_copy(c), jv_string("error"));
	if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL) {
		s->error = error_text(err);
		jv_free(c);
		return 1;
	}
	jv_free(err);
	jv content = opt.api == OLLAMA ? bi_cfg_get(c, "message.content") : jv_invalid();
	if (opt.api == OPENAI) {
		jv choices = jv_object_get(jv_copy(c), jv_string("choices"));
		jv first = jv_get_kind(choices) == JV_KIND_ARRAY ? jv_array_get(choices, 0) :
			(jv_free(choices), jv_invalid());
		content = jv_get_kind(first) == JV_KIND_OBJECT ? bi_cfg_get(first, "delta.content") :
			jv_invalid();
		jv_free(first);
		jv usage = bi_cfg_get(c, "usage.completion_tokens");
		if (jv_get_kind(usage) == JV_KIND_NUMBER)
			s->tokens = (long)jv_number_value(usage);
		jv_free(usage);
	}
	if (jv_get_kind(content) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(content))) {
		const char *t = jv_string_value(content);
		size_t n = strlen(t);
		bi_buf_add(&s->text, t, n);
		s->chunks++;
		if (s->tty) {
			fwrite(t, 1, n, stdout);
			fflush(stdout);
		}
	}
	jv_free(content);
	if (opt.api == OLLAMA) {
		jv done = jv_object_get(jv_copy(c), jv_string("done"));
		if (jv_get_kind(done) == JV_KIND_TRUE) {
			s->done = 1;
			s->tokens = (long)bi_get_num(c, "eval_count", (double)s->chunks);
		}
		jv_free(done);
	}
	jv_free(c);
	return 0;
}

/* Send the conversation to model and stream the answer into s. NULL on
 * success, else what went wrong (s holds what arrived before it). */
static char *
chat(struct stream *s, jv messages, const char *model)
{
	const char *hdrs[] = {opt.auth, NULL};
	char *url = bi_asprintf("%s%s", opt.base, opt.api == OLLAMA ? "/api/chat" : "/v1/chat/completions");
	jv body = set(set(set(jv_object(), "model", jv_string(model)), "messages", messages),
		      "stream", jv_true());
	/* Ollama cuts a prompt to its context window, 2048 tokens by default. */
	if (opt.api == OLLAMA)
		body = set(body, "options", set(jv_object(), "num_ctx",
						jv_number((double)((opt.budget * 2 + 2048 + 1023) / 1024 * 1024))));
	jv text = jv_dump_string(body, 0);
	bi_http_req req = {.url = url, .body = jv_string_value(text), .headers = hdrs,
			   .connect_timeout_ms = 3000, .on_line = on_line, .ctx = s};
	bi_http_resp resp;
	char *err = NULL;

	int r = bi_http(&req, &resp);
	if (s->tty && s->text.len && s->text.p[s->text.len - 1] != '\n') {
		putchar('\n');
		fflush(stdout);
	}
	if (r != 0 && resp.status == 0)
		err = down_message(resp.error);
	else if (r != 0)
		err = bi_asprintf("the answer from %s was cut off after %ld chunks: %s", url,
				  s->chunks, resp.error);
	else if (interrupted)
		err = bi_strdup("interrupted");
	else if (resp.status == 404 && opt.api == OLLAMA)
		err = bi_asprintf("model %s is not installed at %s; run: ollama pull %s", model,
				  opt.base, model);
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

static void
stream_free(struct stream *s)
{
	bi_buf_free(&s->text);
	bi_buf_free(&s->other);
	free(s->error);
}

static void
write_answer(const char *q, const char *model, const char *text, long tokens,
	     int64_t t0, jv evidence, const char *err)
{
	jv r = bi_record("answer");

	r = set(r, "question", jv_string(q));
	r = set(r, "model", model ? jv_string(model) : jv_null());
	r = set(r, "answer", jv_string(text));
	r = set(r, "tokens", jv_number((double)tokens));
	r = set(r, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / BI_NS_PER_MS)));
	r = set(r, "offline", jv_bool(!model));
	if (jv_is_valid(evidence))
		r = set(r, "evidence", evidence);
	else
		jv_free(evidence);
	if (err)
		r = set(r, "error", jv_string(err));
	bi_write(r);
	bi_write_flush();
}

/* Ask once: the answer on the terminal or as a record. NULL, or the error. */
static char *
turn(jv *messages, const char *q, const char *model)
{
	struct stream s = {.tty = opt.tty_out};
	int64_t t0 = bi_mono_ns();

	*messages = jv_array_append(*messages, set(set(jv_object(), "role", jv_string("user")),
						   "content", jv_string(q)));
	char *err = chat(&s, jv_copy(*messages), model);
	if (!opt.tty_out && (!err || s.text.len))
		write_answer(q, model, s.text.p ? s.text.p : "", s.tokens, t0, jv_invalid(), err);
	if (err) {
		int n = jv_array_length(jv_copy(*messages));
		*messages = jv_array_slice(*messages, 0, n - 1);
	} else {
		*messages = jv_array_append(*messages, set(set(jv_object(), "role",
			jv_string("assistant")), "content", jv_string(s.text.p ? s.text.p : "")));
	}
	stream_free(&s);
	return err;
}

/* Answer q without a model; 0, or -1 when it cannot be answered so. */
static int
answer_offline(const char *q)
{
	int64_t t0 = bi_mono_ns();
	jv evidence;
	char *text = offline_answer(q, &evidence);

	if (!text) {
		jv_free(evidence);
		return -1;
	}
	if (opt.tty_out) {
		fputs(text, stdout);
		fflush(stdout);
		jv_free(evidence);
	} else {
		write_answer(q, NULL, text, 0, t0, evidence, NULL);
	}
	free(text);
	return 0;
}

static const char offline_help[] =
	"without a model I can answer: show me recent logs, what errors are there, "
	"status, recent commits, why did SERVICE fail";

/* ---- the conversation ---- */

/* Drop the oldest exchanges while the conversation after the context is
 * larger than the budget. */
static jv
trim(jv messages)
{
	for (;;) {
		int n = jv_array_length(jv_copy(messages));
		size_t bytes = 0;
		for (int i = 1; i < n; i++) {
			jv m = jv_array_get(jv_copy(messages), i);
			bytes += strlen(str(m, "content", ""));
			jv_free(m);
		}
		if (n <= 3 || bytes <= (size_t)opt.budget * 4)
			return messages;
		messages = jv_array_concat(jv_array_slice(jv_copy(messages), 0, 1),
					   jv_array_slice(messages, 3, n));
	}
}

/* The conversation on the terminal, until /quit or end-of-file. messages
 * (the system message), model (NULL: offline) and have (the installed
 * models) are consumed. */
static int
converse(jv messages, char *model, jv have, const char *context)
{
	char *hist = bi_asprintf("%s/.bi_ask_history", getenv("HOME") ? getenv("HOME") : ".");
	char *line;

	if (!opt.tty_out)
		rl_outstream = stderr;
	using_history();
	read_history(hist);
	stifle_history(1000);
	fprintf(stderr, "%s: %s; /context, /model [NAME], /quit\n", bi_progname,
		model ? model : offline_help);
	while ((line = readline("ask> "))) {
		char *q = line + strspn(line, " \t");
		q[strcspn(q, "\r\n")] = '\0';
		if (!*q) {
			free(line);
			continue;
		}
		add_history(q);
		write_history(hist);
		if (!strcmp(q, "/quit") || !strcmp(q, "/exit")) {
			free(line);
			break;
		} else if (!strcmp(q, "/context")) {
			fputs(context, stdout);
		} else if (!strncmp(q, "/model", 6) && (!q[6] || q[6] == ' ')) {
			const char *want = q + 6 + strspn(q + 6, " ");
			char *m = *want && model ? find_model(have, want) : NULL;
			if (m) {
				free(model);
				model = m;
			} else if (*want) {
				bi_warn("%s is not installed at %s%s%s", want, opt.base,
					opt.api == OLLAMA ? "; run: ollama pull " : "",
					opt.api == OLLAMA ? want : "");
			}
			jv all = jv_dump_string(jv_copy(have), 0);
			printf("model: %s (installed: %s)\n", model ? model : "none, offline",
			       jv_is_valid(have) ? jv_string_value(all) : "-");
			jv_free(all);
		} else if (q[0] == '/') {
			printf("commands: /context, /model [NAME], /quit\n");
		} else if (!model) {
			if (answer_offline(q) != 0)
				printf("%s\n", offline_help);
		} else {
			struct sigaction sa = {.sa_handler = on_sigint}, old;
			interrupted = 0;
			sigaction(SIGINT, &sa, &old);
			char *err = turn(&messages, q, model);
			sigaction(SIGINT, &old, NULL);
			if (err)
				bi_warn("%s", err);
			free(err);
			messages = trim(messages);
		}
		fflush(stdout);
		free(line);
	}
	free(hist);
	free(model);
	jv_free(messages);
	jv_free(have);
	return BI_EXIT_OK;
}

/* ---- the story ---- */

static void
read_input(char **files, int nfiles)
{
	in.findings = jv_array(), in.events = jv_array(), in.logs = jv_array();
	in.commits = jv_array(), in.containers = jv_object(), in.health = jv_object();
	in.stats = jv_object(), in.metrics = jv_object(), in.others = jv_object();
	in.errors.index = jv_object(), in.warns.index = jv_object();
	if (!isatty(0))
		gather(0, "stdin");
	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f)
			bi_die(BI_EXIT_USAGE, "cannot open %s:", files[i]);
		gather(fileno(f), files[i]);
		fclose(f);
	}
}

static void
show_prompt(jv messages, const char *question)
{
	jv sys = jv_array_get(messages, 0);

	printf("=== system\n%s", str(sys, "content", ""));
	if (question)
		printf("=== user\n%s\n", question);
	jv_free(sys);
}

/* Ask the server: once (question), or in a conversation (question NULL).
 * With no server, answer without a model what can be so answered.
 * messages (the system message) is consumed. */
static int
ask(jv messages, const char *question, const char *context)
{
	int down;

	if (!is_local(opt.base) && !opt.allow_remote)
		bi_die(BI_EXIT_USAGE, "%s is not on this machine, and the project's records would "
		       "go there; --allow-remote or agent.allow_remote: true permits it", opt.base);
	jv have = installed(&down);
	if (!jv_is_valid(have)) {
		jv why = jv_invalid_get_msg(have);
		char *msg = down ? down_message(jv_string_value(why)) : bi_strdup(jv_string_value(why));
		jv_free(why);
		if (!down || (question && !answerable(question)))
			bi_die(BI_EXIT_UNREACHABLE, "%s", msg);
		bi_warn("%s; answering without a model", msg);
		free(msg);
		if (!question)
			return converse(messages, NULL, jv_invalid(), context);
		answer_offline(question);
		jv_free(messages);
		return BI_EXIT_OK;
	}
	char *model = choose_model(jv_copy(have));
	if (!question)
		return converse(messages, model, have, context);
	char *err = turn(&messages, question, model);
	if (err)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	free(model);
	jv_free(have);
	jv_free(messages);
	return BI_EXIT_OK;
}

static void
forget(void)
{
	free(opt.base);
	free(opt.auth);
	jv_free(opt.prefs);
	jv_free(in.findings), jv_free(in.events), jv_free(in.logs), jv_free(in.commits);
	jv_free(in.containers), jv_free(in.health), jv_free(in.stats), jv_free(in.metrics);
	jv_free(in.others);
	groups_free(&in.errors);
	groups_free(&in.warns);
}

/* Settle the options from the flags given and blissful-infra.yaml. */
static void
configure(jv cfg, const char *api, const char *base, const char *key_env, int allow_remote)
{
	api = api ? api : bi_cfg_str(cfg, "agent.api", "ollama");
	if (!strcmp(api, "ollama"))
		opt.api = OLLAMA;
	else if (!strcmp(api, "openai"))
		opt.api = OPENAI;
	else
		bi_usage_error(usage, "--api: ollama or openai, not %s", api);
	opt.base = server_root(base, cfg);
	jv remote = bi_cfg_get(cfg, "agent.allow_remote");
	opt.allow_remote = allow_remote || jv_get_kind(remote) == JV_KIND_TRUE;
	jv_free(remote);
	if (opt.budget == 0 && (opt.budget = (long)bi_cfg_num(cfg, "agent.budget", 6000)) < 100)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: agent.budget: at least 100 tokens");
	const char *key = getenv(key_env ? key_env : bi_cfg_str(cfg, "agent.api_key_env", "OPENAI_API_KEY"));
	if (opt.api == OPENAI && key && *key)
		opt.auth = bi_asprintf("Authorization: Bearer %s", key);
	jv prefs = bi_cfg_get(cfg, "agent.models");
	if (jv_get_kind(prefs) == JV_KIND_STRING)
		prefs = jv_array_append(jv_array(), prefs);
	if (jv_get_kind(prefs) != JV_KIND_ARRAY) {
		jv_free(prefs);
		prefs = jv_array();
		for (const char *const *m = default_models; *m; m++)
			prefs = jv_array_append(prefs, jv_string(*m));
	}
	opt.prefs = jv_array();
	jv_array_foreach(prefs, i, p) {
		if (jv_get_kind(p) == JV_KIND_STRING)
			opt.prefs = jv_array_append(opt.prefs, p);
		else
			jv_free(p);
	}
	jv_free(prefs);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"query", required_argument, NULL, 'q'},
		{"model", required_argument, NULL, 'm'},
		{"api", required_argument, NULL, 'A'},
		{"base-url", required_argument, NULL, 'U'},
		{"api-key-env", required_argument, NULL, 'K'},
		{"allow-remote", no_argument, NULL, 'R'},
		{"context", required_argument, NULL, 'c'},
		{"budget", required_argument, NULL, 'b'},
		{"show-prompt", no_argument, NULL, 'P'},
		{"offline", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *api = NULL, *base = NULL, *key_env = NULL;
	char **files = NULL, *end, *question = NULL;
	int nfiles = 0, allow_remote = 0, c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "q:m:c:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': question = bi_strdup(optarg); break;
		case 'm': opt.model = optarg; break;
		case 'A': api = optarg; break;
		case 'U': base = optarg; break;
		case 'K': key_env = optarg; break;
		case 'R': allow_remote = 1; break;
		case 'c':
			files = bi_realloc(files, (nfiles + 1) * sizeof *files);
			files[nfiles++] = optarg;
			break;
		case 'b':
			opt.budget = strtol(optarg, &end, 10);
			if (*end || opt.budget < 100 || opt.budget > 10000000)
				bi_usage_error(usage, "--budget: a number of tokens from 100, not %s", optarg);
			break;
		case 'P': opt.show_prompt = 1; break;
		case 'O': opt.offline = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc) {
		if (question)
			bi_usage_error(usage, "a question as --query or as arguments, not both");
		bi_buf q = {0};
		for (int i = optind; i < argc; i++)
			bi_buf_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
		question = q.p;
	}
	jv cfg = bi_config();
	configure(cfg, api, base, key_env, allow_remote);
	jv_free(cfg);
	opt.tty_out = isatty(1);
	int interactive = !question && isatty(0);
	if (!question && !interactive)
		bi_usage_error(usage, "no question (give one, or run on a terminal to converse)");

	read_input(files, nfiles);
	free(files);

	/* The budget covers the preamble, the context and the question. */
	size_t fixed = sizeof preamble + 64 + (question ? strlen(question) : 512);
	size_t room = (size_t)opt.budget * 4 > fixed ? (size_t)opt.budget * 4 - fixed : 0;
	char *context = condense(room);
	jv messages = jv_array_append(jv_array(), set(set(jv_object(), "role", jv_string("system")),
		"content", jv_string_fmt("%s\nThe records:\n%s", preamble, context)));
	int status = BI_EXIT_OK;

	if (opt.show_prompt)
		show_prompt(messages, question);
	else if (opt.offline && interactive)
		status = converse(messages, NULL, jv_invalid(), context);
	else if (opt.offline && answer_offline(question) != 0)
		bi_die(BI_EXIT_USAGE, "no model with --offline, and %s", offline_help);
	else if (opt.offline)
		jv_free(messages);
	else
		status = ask(messages, question, context);
	bi_fshut(stdout, "stdout");
	free(context);
	free(question);
	forget();
	return status;
}
