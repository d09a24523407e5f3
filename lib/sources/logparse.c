/*
 * logparse.c: program output to `log` records. JSON log lines keep their own
 * time, level and message under the names logstash, pino, zap, ECS, Python's
 * and Go's loggers use; plain lines get a level read from the shapes servers
 * and runtimes print (nginx, Python logging, logback, slog, winston,
 * PostgreSQL, Redis, glog; see logparse.h), and an access log line its HTTP
 * status; and the lines of a stack trace are joined to the record they belong
 * to, so that one exception is one record, not forty.
 *
 * This runs on every line a container writes: the detectors look at a
 * bounded prefix, copy a word only when it is marked as a level may be, and
 * allocate nothing; the joiner holds at most one record (and three lines of
 * a Node.js report) per stream.
 *
 * Layer: sources.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sources/logparse.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

static const char *const levels[] = {"trace", "debug", "info", "warn", "error", "fatal"};

int
bi_level_rank(const char *level)
{
	for (int i = 0; level && i < 6; i++)
		if (!strcmp(level, levels[i]))
			return i;
	return -1;
}

const char *
bi_level_norm(const char *s)
{
	static const struct { const char *name; int level; } names[] = {
		{"trace", 0}, {"finest", 0}, {"finer", 0}, {"debug", 1}, {"fine", 1},
		{"info", 2}, {"information", 2}, {"notice", 2}, {"informational", 2},
		{"warn", 3}, {"warning", 3},
		{"error", 4}, {"err", 4}, {"severe", 4},
		{"fatal", 5}, {"critical", 5}, {"crit", 5}, {"panic", 5}, {"emerg", 5},
		{"emergency", 5}, {"alert", 5}, {"dpanic", 5},
		/* zerolog's console and Redis's words */
		{"trc", 0}, {"dbg", 1}, {"verbose", 1}, {"inf", 2}, {"wrn", 3}, {"ftl", 5},
	};
	char low[16];
	size_t n;

	if (!s)
		return NULL;
	for (n = 0; s[n] && n < sizeof low - 1; n++)
		low[n] = (char)tolower((unsigned char)s[n]);
	if (s[n])
		return NULL;
	low[n] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(low, names[i].name))
			return levels[names[i].level];
	return NULL;
}

/* Skip an ANSI colour sequence (ESC [ ... final byte) at text[i]; the index
 * after it, or i when there is none. */
static size_t
skip_ansi(const char *text, size_t n, size_t i)
{
	if (i + 1 >= n || text[i] != '\x1b' || text[i + 1] != '[')
		return i;
	for (size_t k = i + 2; k < n; k++)
		if ((unsigned char)text[k] >= 0x40 && (unsigned char)text[k] <= 0x7e)
			return k + 1;
	return n;
}

static int
digits(const char *s, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Shapes that state a level by position, not by a word: glog/klog's
 * "E1205 07:00:00.123456 ..." and Redis's "1:M 05 Dec 2026 07:00:00.123 # ...",
 * whose marker is . debug, - verbose, * notice, # warning. */
static const char *
level_by_shape(const char *t, size_t n)
{
	if (n >= 14 && t[0] && strchr("IWEF", t[0]) && digits(t + 1, 4) && t[5] == ' ' &&
	    digits(t + 6, 2) && t[8] == ':') {
		switch (t[0]) {
		case 'I': return "info";
		case 'W': return "warn";
		case 'E': return "error";
		default: return "fatal";
		}
	}
	size_t p = 0;
	while (p < n && p < 10 && isdigit((unsigned char)t[p]))
		p++;
	/* pid:role dd Mon yyyy hh:mm:ss.mmm M ... */
	if (p > 0 && p + 29 <= n && t[p] == ':' && t[p + 1] && strchr("XCSM", t[p + 1]) &&
	    t[p + 2] == ' ' && digits(t + p + 3, 2) && t[p + 5] == ' ' &&
	    isupper((unsigned char)t[p + 6]) && t[p + 9] == ' ' && digits(t + p + 10, 4) &&
	    t[p + 14] == ' ' && digits(t + p + 15, 2) && t[p + 17] == ':' && t[p + 20] == ':' &&
	    t[p + 23] == '.' && digits(t + p + 24, 3) && t[p + 27] == ' ' &&
	    (p + 29 == n || t[p + 29] == ' ')) {
		switch (t[p + 28]) {
		case '.': return "debug";
		case '-': return "debug";
		case '*': return "info";
		case '#': return "warn";
		}
	}
	return NULL;
}

/* Apache's "[proxy_http:error]": a module's name and '[' before text[c]
 * (its ':'). */
static int
module_before(const char *text, size_t c)
{
	size_t b = c;

	while (b > 0 && (isalnum((unsigned char)text[b - 1]) || text[b - 1] == '_'))
		b--;
	return b < c && b > 0 && text[b - 1] == '[';
}

/* syslog's priority before a line, as sd-daemon and the kernel write it:
 * "<3>msg" is an error. */
static const char *
syslog_priority(const char *t, size_t n)
{
	static const char *const by[] = {"fatal", "fatal", "fatal", "error", "warn", "info",
					 "info", "debug"};

	if (n < 3 || t[0] != '<' || t[1] < '0' || t[1] > '7' || t[2] != '>')
		return NULL;
	return by[t[1] - '0'];
}

/* "TypeError", "java.lang.IllegalStateException": a name that ends as
 * exceptions' names do, of k bytes at s. */
static int
exception_name(const char *s, size_t k)
{
	return (k > 5 && !strncmp(s + k - 5, "Error", 5)) ||
	       (k > 9 && !strncmp(s + k - 9, "Exception", 9));
}

const char *
bi_level_detect(const char *text, size_t n)
{
	if (n > 256)
		n = 256;
	if (n >= 6 && !strncmp(text, "panic:", 6))
		return "fatal";
	if (n >= 9 && !strncmp(text, "Traceback", 9))
		return "error";
	const char *l = level_by_shape(text, n);
	if (l || (l = syslog_priority(text, n)))
		return l;
	/* An exception's own line, as runtimes print an uncaught one:
	 * "ValueError: x", "java.lang.OutOfMemoryError: ...", "Error: boom". */
	size_t e = 0;
	while (e < n && (isalnum((unsigned char)text[e]) || text[e] == '_' || text[e] == '.' ||
			 text[e] == '$'))
		e++;
	if (e > 0 && isalpha((unsigned char)text[0]) && (e == n || text[e] == ':') &&
	    exception_name(text, e))
		return "error";

	int first = 1;		/* no word yet, bar single letters (2026-12-05T07:...Z) */
	for (size_t i = 0; i < n;) {
		if (!isalpha((unsigned char)text[i])) {
			size_t a = text[i] == '\x1b' ? skip_ansi(text, n, i) : i;
			i = a != i ? a : i + 1;
			continue;
		}
		size_t j = i;
		int upper = 1;
		while (j < n && isalpha((unsigned char)text[j])) {
			upper &= isupper((unsigned char)text[j]) != 0;
			j++;
		}
		char word[16];
		size_t k = j - i;
		if (k > 2 && k < sizeof word) {
			/* After an ANSI colour, the word's end is the colour's reset. */
			size_t after = j < n && text[j] == '\x1b' ? skip_ansi(text, n, j) : j;
			int colon = after < n && text[after] == ':';
			/* "ERROR", "[error]", "<warn>", "level=info", "level":"warn", or
			 * the line's first word before a colon ("error: x", "fatal:"):
			 * not "an error". */
			int weak = upper || (first && colon);
			int marked = weak ||
				(i > 0 && (text[i - 1] == '[' || text[i - 1] == '<') &&
				 j < n && (text[j] == ']' || text[j] == '>')) ||
				(i > 0 && text[i - 1] == ':' && j < n && text[j] == ']' &&
				 module_before(text, i - 1)) ||
				(i >= 6 && !strncmp(text + i - 6, "level=", 6)) ||
				(i >= 7 && !strncmp(text + i - 7, "level=\"", 7)) ||
				(i >= 8 && !strncmp(text + i - 8, "level\":\"", 8)) ||
				(i >= 9 && !strncmp(text + i - 9, "level\": \"", 9));
			if (!marked && !(upper && colon)) {
				if (k > 1)
					first = 0;
				i = j;
				continue;
			}
			memcpy(word, text + i, k);
			word[k] = '\0';
			l = marked ? bi_level_norm(word) : NULL;
			/* "ALERT" and "FINE" are too often plain words, unless
			 * bracketed or after "level=". */
			if (l && weak && (!strcasecmp(word, "alert") || !strcasecmp(word, "fine")))
				l = NULL;
			if (l)
				return l;
			/* PostgreSQL's "LOG:" and the lines that go with a message
			 * (DETAIL:, HINT:, STATEMENT: ...) state their severity:
			 * the statement after them is not one. */
			if (upper && colon && (!strcmp(word, "LOG") || !strcmp(word, "DETAIL") ||
					       !strcmp(word, "HINT") || !strcmp(word, "STATEMENT") ||
					       !strcmp(word, "CONTEXT") || !strcmp(word, "QUERY") ||
					       !strcmp(word, "LOCATION")))
				return NULL;
		}
		if (k > 1)
			first = 0;
		i = j;
	}
	return NULL;
}

/* The number of 3 digits at s (n bytes left), followed by a non-digit or the
 * end, if it is an HTTP status; else 0. */
static int
status_at(const char *s, size_t n)
{
	if (n < 3 || !digits(s, 3) || (n > 3 && isdigit((unsigned char)s[3])))
		return 0;
	int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return v >= 100 && v < 600 ? v : 0;
}

int
bi_log_status(const char *text, size_t n)
{
	if (n > 4096)
		n = 4096;
	/* Common and combined access logs (nginx, Apache, and those that copy
	 * them: Python's http.server, uvicorn, gorilla): "GET /x HTTP/1.1" 502 */
	for (const char *p = text, *end = text + n;
	     (p = memmem(p, (size_t)(end - p), " HTTP/", 6)) != NULL; p += 6) {
		const char *q = p + 6;
		while (q < end && (isdigit((unsigned char)*q) || *q == '.'))
			q++;
		if (q + 2 >= end || q[0] != '"' || q[1] != ' ')
			continue;
		/* the request opens with a quote and a method in capitals */
		const char *o = p;
		while (o > text && o[-1] != '"')
			o--;
		const char *m = o;
		while (m < p && isupper((unsigned char)*m))
			m++;
		if (o == text || m == o || *m != ' ')
			continue;
		int v = status_at(q + 2, (size_t)(end - q - 2));
		if (v)
			return v;
	}
	/* Express's morgan (dev, tiny, short) and the like: "GET /x 500 12 ms",
	 * the method in capitals, a path, the status. */
	static const struct { const char *m; size_t n; } methods[] = {{"GET ", 4}, {"POST ", 5},
		{"PUT ", 4}, {"DELETE ", 7}, {"PATCH ", 6}, {"HEAD ", 5}, {"OPTIONS ", 8}};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		const char *p = memmem(text, n, methods[i].m, methods[i].n);
		if (!p || (p > text && p[-1] != ' ' && p[-1] != '\t') || p + methods[i].n >= text + n ||
		    p[methods[i].n] != '/')
			continue;
		const char *q = p + methods[i].n, *end = text + n;
		while (q < end && *q != ' ' && *q != '"')
			q++;
		if (q < end && *q == ' ') {
			int v = status_at(q + 1, (size_t)(end - q - 1));
			if (v && (q + 4 == end || q[4] == ' '))
				return v;
		}
	}
	/* key=value lines: status=503, status_code=503 */
	static const struct { const char *k; size_t n; } keys[] = {{"status", 6},
		{"status_code", 11}, {"http.status_code", 16}, {"http.response.status_code", 25}};
	for (const char *p = text, *end = text + n;
	     (p = memchr(p, '=', (size_t)(end - p))) != NULL; p++) {
		if (p - text < 6 || (p[-1] != 's' && p[-1] != 'e'))
			continue;
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const char *s = p - keys[i].n;
			if (s < text || memcmp(s, keys[i].k, keys[i].n) || (s > text && s[-1] != ' '))
				continue;
			int v = status_at(p + 1, (size_t)(end - p - 1));
			if (v)
				return v;
		}
	}
	return 0;
}

/* ---- JSON lines ---- */

static const char *const time_keys[] = {"@timestamp", "timestamp", "time", "ts", "t", NULL};
static const char *const level_keys[] = {"level", "lvl", "severity", "levelname",
					 "log.level", "loglevel", NULL};
static const char *const msg_keys[] = {"message", "msg", "text", "log", NULL};
static const char *const logger_keys[] = {"logger_name", "logger", "name", "log.logger", NULL};
static const char *const stack_keys[] = {"stack_trace", "stack", "stacktrace",
					 "exception", "exc_info", "error.stack", "error.stack_trace",
					 NULL};

/* Take the first of keys found in obj: *out gets it, obj loses it. An
 * object is not taken when scalar is set (ECS's "log" is an object of
 * fields, Docker's a message). */
static jv
take(jv obj, const char *const *keys, jv *out, int scalar)
{
	*out = jv_invalid();
	for (; *keys; keys++) {
		jv v = jv_object_get(jv_copy(obj), jv_string(*keys));
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL &&
		    !(scalar && jv_get_kind(v) == JV_KIND_OBJECT)) {
			*out = v;
			return jv_object_delete(obj, jv_string(*keys));
		}
		jv_free(v);
	}
	return obj;
}

/* The HTTP status of a JSON line, where servers and their loggers put it:
 * status, statusCode, status_code, ECS's http.response.status_code (dotted
 * or nested), OpenTelemetry's http.status_code, pino-http's res.statusCode;
 * 0 if none. obj is borrowed. */
static int
json_status(jv obj)
{
	static const char *const paths[] = {"status", "statusCode", "status_code", "http_status",
		"http.response.status_code", "http.status_code", "res.statusCode", "response.status",
		NULL};
	for (const char *const *p = paths; *p; p++) {
		jv v = jv_object_get(jv_copy(obj), jv_string(*p));	/* a dotted key */
		if (!jv_is_valid(v) && strchr(*p, '.')) {
			jv_free(v);
			v = bi_jv_path(obj, *p);
		}
		double d = 0;
		if (jv_get_kind(v) == JV_KIND_NUMBER)
			d = jv_number_value(v);
		else if (jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(v)) == 3 &&
			 digits(jv_string_value(v), 3))
			d = atoi(jv_string_value(v));
		jv_free(v);
		if (d >= 100 && d < 600 && d == (int)d)
			return (int)d;
	}
	return 0;
}

/* A line's level given its HTTP status: a 5xx answer is a server error
 * whatever the line says; a 4xx one, with no level stated, a warning. */
static const char *
status_level(const char *lv, int status)
{
	if (status >= 500)
		return bi_level_rank(lv) > 4 ? lv : "error";
	if (status >= 400 && !lv)
		return "warn";
	return lv;
}

static const char *
pino_level(double d)
{
	return d >= 60 ? "fatal" : d >= 50 ? "error" : d >= 40 ? "warn" :
	       d >= 30 ? "info" : d >= 20 ? "debug" : "trace";
}

/* "KIND key=value ..." of an object's scalar fields (borrowed), or the line
 * itself when it has none. */
static jv
summary(jv obj, const char *line, size_t n)
{
	bi_buf b = {0};
	const char *kind = bi_get_str(obj, "kind");

	if (kind)
		bi_buf_adds(&b, kind);
	jv_object_foreach(obj, k, v) {
		jv_kind t = jv_get_kind(v);
		if (!strcmp(jv_string_value(k), "kind") || t == JV_KIND_OBJECT || t == JV_KIND_ARRAY) {
			jv_free(k);
			jv_free(v);
			continue;
		}
		bi_buf_printf(&b, "%s%s=", b.len ? " " : "", jv_string_value(k));
		if (t == JV_KIND_STRING) {
			bi_buf_add(&b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		} else {
			jv d = jv_dump_string(jv_copy(v), 0);
			bi_buf_adds(&b, jv_string_value(d));
			jv_free(d);
		}
		jv_free(k);
		jv_free(v);
	}
	jv out = b.len ? jv_string_sized(b.p, (int)b.len) : jv_string_sized(line, (int)n);
	bi_buf_free(&b);
	return out;
}

static jv
from_json(jv obj, int64_t ts, const char *line, size_t n)
{
	jv r = jv_object_set(jv_object(), jv_string("kind"), jv_string("log"));
	jv t, l, m, g, s;

	obj = take(obj, time_keys, &t, 0);
	obj = take(obj, level_keys, &l, 1);
	obj = take(obj, msg_keys, &m, 1);
	obj = take(obj, logger_keys, &g, 1);
	obj = take(obj, stack_keys, &s, 0);
	/* ECS nested: {"log":{"level":"error"}}, {"error":{"stack_trace":...}};
	 * looked for only when the line has such a key, as most have not. */
	int ecs_log = memmem(line, n, "\"log\"", 5) != NULL;
	if (!jv_is_valid(l) && ecs_log) {
		jv_free(l);
		l = bi_jv_path(obj, "log.level");
	}
	if (!jv_is_valid(g) && ecs_log) {
		jv_free(g);
		g = bi_jv_path(obj, "log.logger");
	}
	if (!jv_is_valid(s) && memmem(line, n, "\"error\"", 7)) {
		jv_free(s);
		s = bi_jv_path(obj, "error.stack_trace");
	}

	int64_t own;
	if (jv_get_kind(t) == JV_KIND_STRING && bi_ts_parse(jv_string_value(t), &own) == 0)
		ts = own;
	else if (jv_get_kind(t) == JV_KIND_NUMBER) {
		double d = jv_number_value(t);	/* seconds, or milliseconds */
		d = d > 1e11 ? d * 1e6 : d * 1e9;
		if (d > 0 && d < 9.2e18)	/* else not a time: the line's arrival */
			ts = (int64_t)d;
	}
	char buf[BI_TS_LEN];
	r = bi_set(r, "ts", jv_string(bi_ts_fmt(ts ? ts : bi_now_ns(), buf)));

	const char *lv = NULL;
	if (jv_get_kind(l) == JV_KIND_STRING)
		lv = bi_level_norm(jv_string_value(l));
	else if (jv_get_kind(l) == JV_KIND_NUMBER)
		lv = pino_level(jv_number_value(l));
	int status = memmem(line, n, "tatus", 5) ? json_status(obj) : 0;	/* [sS]tatus */
	if (!lv && jv_get_kind(m) == JV_KIND_STRING) {
		lv = bi_level_detect(jv_string_value(m), strlen(jv_string_value(m)));
		if (!status)
			status = bi_log_status(jv_string_value(m), strlen(jv_string_value(m)));
	}
	lv = status_level(lv, status);
	r = bi_set(r, "level", jv_string(lv ? lv : "info"));
	if (status)
		r = bi_set(r, "status", jv_number(status));
	if (jv_get_kind(m) == JV_KIND_STRING)
		r = bi_set(r, "msg", m);
	else if (jv_is_valid(m))
		r = bi_set(r, "msg", jv_dump_string(m, 0));
	else {
		/* No message field: a line of another record stream (a bi-proxy's
		 * `proxy` records, say) or of key-values. Say it in one line, its
		 * kind first, as people read it; the fields stay in attrs. */
		jv_free(m);
		r = bi_set(r, "msg", summary(obj, line, n));
	}
	if (jv_get_kind(g) == JV_KIND_STRING)
		r = bi_set(r, "logger", g);
	else
		jv_free(g);
	if (jv_get_kind(s) == JV_KIND_STRING)
		r = bi_set(r, "stack", s);
	else if (jv_is_valid(s) && jv_get_kind(s) != JV_KIND_FALSE)
		r = bi_set(r, "stack", jv_dump_string(s, 0));
	else
		jv_free(s);
	jv_free(t);
	jv_free(l);
	if (jv_object_length(jv_copy(obj)) > 0)
		r = bi_set(r, "attrs", obj);
	else
		jv_free(obj);
	return r;
}

jv
bi_log_parse(const char *line, size_t n, int64_t ts, int stream)
{
	jv r;
	char buf[BI_TS_LEN];

	if (n > 1 && line[0] == '{' && bi_utf8_valid(line, n)) {
		jv obj = jv_parse_sized(line, (int)n);
		if (jv_get_kind(obj) == JV_KIND_OBJECT) {
			r = from_json(obj, ts, line, n);
			goto out;
		}
		jv_free(obj);
	}
	int status = bi_log_status(line, n);
	const char *lv = status_level(bi_level_detect(line, n), status);
	r = jv_object_set(jv_object(), jv_string("kind"), jv_string("log"));
	r = bi_set(r, "ts", jv_string(bi_ts_fmt(ts ? ts : bi_now_ns(), buf)));
	r = bi_set(r, "level", jv_string(lv ? lv : "info"));
	if (status)
		r = bi_set(r, "status", jv_number(status));
	/* jv_string_sized replaces invalid UTF-8, so a record is always valid. */
	r = bi_set(r, "msg", jv_string_sized(line, (int)n));
out:
	if (stream)
		r = bi_set(r, "stream", jv_string(stream == 2 ? "stderr" : "stdout"));
	return r;
}

/* ---- stack traces ---- */

/* Node.js reports an uncaught exception as "FILE:LINE", the source line, a
 * caret, a blank line, then "TypeError: ..." and its frames, and after a
 * blank line "Node.js vN". */
enum { NODE_NONE, NODE_HEADER, NODE_TRACE };

/* Where a held Python traceback is: inside it, after its exception's line
 * (a chained one may follow), after a blank line there, after "The above
 * exception ..." (its blank line and Traceback follow). */
enum { PY_NONE, PY_TRACE, PY_RAISED, PY_BLANK, PY_CHAINED };

struct bi_logjoin {
	jv held;		/* the record lines may still join, or invalid */
	jv blank;		/* PY_BLANK: the blank line, if no chain follows */
	int64_t held_at;
	int python;		/* PY_*: held is a Python traceback */
	int bare;		/* held began with "Traceback": named by its exception */
	int in_trace;		/* held has taken trace lines */
	int node;		/* NODE_*: held is Node.js's report of an uncaught exception */
	jv pend;		/* NODE_HEADER: the lines after the header, as records */
	void (*emit)(void *ctx, jv rec);
	void *ctx;
};

bi_logjoin *
bi_logjoin_new(void (*emit)(void *ctx, jv rec), void *ctx)
{
	bi_logjoin *j = bi_calloc(1, sizeof *j);

	j->held = jv_invalid();
	j->blank = jv_invalid();
	j->pend = jv_array();
	j->emit = emit;
	j->ctx = ctx;
	return j;
}

void
bi_logjoin_flush(bi_logjoin *j)
{
	if (jv_is_valid(j->held))
		j->emit(j->ctx, j->held);
	else
		jv_free(j->held);
	if (jv_is_valid(j->blank))
		j->emit(j->ctx, j->blank);
	else
		jv_free(j->blank);
	jv_array_foreach(j->pend, i, r)
		j->emit(j->ctx, r);
	jv_free(j->pend);
	j->pend = jv_array();
	j->node = NODE_NONE;
	j->held = jv_invalid();
	j->blank = jv_invalid();
	j->held_at = 0;
	j->python = PY_NONE;
	j->bare = j->in_trace = 0;
}

void
bi_logjoin_free(bi_logjoin *j)
{
	if (!j)
		return;
	bi_logjoin_flush(j);
	jv_free(j->pend);
	free(j);
}

int64_t
bi_logjoin_held_since(const bi_logjoin *j)
{
	return jv_is_valid(j->held) ? j->held_at : 0;
}

static int
prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* com.example.Thing$Inner: message, or java.lang.OutOfMemoryError */
static int
java_exception(const char *s)
{
	const char *p = s;
	int dots = 0;

	while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || *p == '.')) {
		dots += *p == '.';
		p++;
	}
	if (dots == 0 || (*p && *p != ':'))
		return 0;
	size_t n = p - s;
	return (n > 9 && !strncmp(p - 9, "Exception", 9)) || (n > 5 && !strncmp(p - 5, "Error", 5)) ||
	       (n > 9 && !strncmp(p - 9, "Throwable", 9));
}

/* ZeroDivisionError: division by zero, or KeyboardInterrupt */
static int
python_exception(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.'))
		p++;
	return *p == '\0' || *p == ':';
}

/* A native frame as V8 and others print them on a fatal error:
 * " 1: 0xb09c10 node::Abort() [node]" (t is past the indent). */
static int
native_frame(const char *t)
{
	const char *p = t;

	while (isdigit((unsigned char)*p))
		p++;
	return p > t && prefix(p, ": 0x");
}

static jv
append_stack(jv rec, const char *line)
{
	const char *old = bi_get_str(rec, "stack");
	jv s = old ? jv_string_fmt("%s\n%s", old, line) : jv_string(line);
	return jv_object_set(rec, jv_string("stack"), s);
}

static int
is_warnish(jv rec)
{
	return bi_level_rank(bi_get_str(rec, "level")) >= 3;
}

#define TRACEBACK "Traceback (most recent call last):"

/* "/app/index.js:12", "file:///app/x.mjs:3", "node:internal/x:45": where
 * Node.js says an uncaught exception was thrown. */
static int
node_header(const char *s)
{
	if (s[0] != '/' && !prefix(s, "file://") && !prefix(s, "node:"))
		return 0;
	const char *c = strrchr(s, ':');
	if (!c || c == s || !c[1] || strpbrk(s, " \t"))
		return 0;
	for (const char *p = c + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

/* TypeError: x, Error: x, Error [ERR_X]: x, or an error's name alone. */
static int
js_exception(const char *s)
{
	const char *p = s;

	while (isalnum((unsigned char)*p) || *p == '_' || *p == '$')
		p++;
	size_t n = p - s;
	if (!((n >= 5 && !strncmp(p - 5, "Error", 5)) || (n > 9 && !strncmp(p - 9, "Exception", 9))))
		return 0;
	if (*p == ' ' && p[1] == '[')
		p = strchr(p, ']') ? strchr(p, ']') + 1 : p;
	return *p == '\0' || *p == ':';
}

/* The lines a held Python traceback may still take after its exception's
 * line: a chained traceback after a blank line. 1 if msg was taken. */
static int
python_chain(bi_logjoin *j, jv rec, const char *msg)
{
	if (j->python == PY_RAISED && !*msg) {
		j->blank = rec;		/* Python's, or the next thing's: wait */
		j->python = PY_BLANK;
		return 1;
	}
	if (j->python == PY_BLANK &&
	    (prefix(msg, "The above exception was the direct cause of the following exception") ||
	     prefix(msg, "During handling of the above exception, another exception occurred"))) {
		jv_free(j->blank);
		j->blank = jv_invalid();
		j->held = append_stack(append_stack(j->held, ""), msg);
		j->python = PY_CHAINED;
	} else if (j->python == PY_CHAINED && !*msg) {
		j->held = append_stack(j->held, "");
	} else if (j->python == PY_CHAINED && prefix(msg, TRACEBACK)) {
		j->held = append_stack(j->held, msg);
		j->python = PY_TRACE;
	} else {
		return 0;
	}
	jv_free(rec);
	return 1;
}

void
bi_logjoin_feed(bi_logjoin *j, jv rec)
{
	const char *msg = bi_get_str(rec, "msg");
	int plain = msg && !jv_object_has(jv_copy(rec), jv_string("attrs")) &&
		    !jv_object_has(jv_copy(rec), jv_string("stack"));

	if (j->python >= PY_RAISED) {
		if (plain && python_chain(j, rec, msg))
			return;
		bi_logjoin_flush(j);	/* the traceback has ended */
	}
	if (j->node == NODE_HEADER) {
		if (plain && js_exception(msg)) {
			/* The source line and the caret go with the header into
			 * the stack; the exception names the record. */
			j->held = append_stack(j->held, bi_get_str(j->held, "msg"));
			jv_array_foreach(j->pend, i, r) {
				j->held = append_stack(j->held, bi_get_str(r, "msg"));
				jv_free(r);
			}
			jv_free(j->pend);
			j->pend = jv_array();
			j->held = append_stack(j->held, msg);
			j->held = jv_object_set(j->held, jv_string("msg"), jv_string(msg));
			j->held = jv_object_set(j->held, jv_string("level"), jv_string("error"));
			j->node = NODE_TRACE;
			j->in_trace = 1;
			jv_free(rec);
			return;
		}
		if (plain && jv_array_length(jv_copy(j->pend)) < 3) {
			j->pend = jv_array_append(j->pend, rec);
			return;
		}
		bi_logjoin_flush(j);	/* not Node's report: each line its own */
	}
	int held = jv_is_valid(j->held);
	if (held && plain && j->node == NODE_TRACE && (!*msg || prefix(msg, "Node.js v"))) {
		j->held = append_stack(j->held, msg);
		jv_free(rec);
		return;
	}
	if (held && plain) {
		const char *t = msg;
		int indented = *t == ' ' || *t == '\t';
		while (*t == ' ' || *t == '\t')
			t++;
		int join = 0, close = 0;
		const char *hm = bi_get_str(j->held, "msg");
		if (indented && !j->in_trace && hm && (strstr(hm, " STATEMENT:  ") || strstr(hm, "  statement: "))) {
			/* A statement PostgreSQL logs goes on over the lines the
			 * client wrote it on. */
			j->held = jv_object_set(j->held, jv_string("msg"), jv_string_fmt("%s\n%s", hm, msg));
			jv_free(rec);
			return;
		}
		if (j->python) {
			if (indented)
				join = 1;
			else if (python_exception(msg))
				join = close = 1;
		} else if (indented && (prefix(t, "at ") || prefix(t, "...") || prefix(t, "File \"") ||
					strstr(t, ".go:") || j->in_trace)) {
			join = 1;
		} else if (native_frame(t) && (is_warnish(j->held) || j->in_trace)) {
			join = 1;	/* " 9: 0x...", then "10: 0x..." unindented */
		} else if (prefix(msg, "Caused by:") || prefix(msg, "Suppressed:")) {
			join = 1;
		} else if (java_exception(msg) && (is_warnish(j->held) || j->in_trace)) {
			join = 1;
		} else if (prefix(msg, "goroutine ") && j->in_trace == 0 &&
			   prefix(bi_get_str(j->held, "msg") ? bi_get_str(j->held, "msg") : "", "panic:")) {
			join = 1;
		} else if (prefix(msg, TRACEBACK) && !j->in_trace && is_warnish(j->held)) {
			/* logger.exception(): the message, then its traceback.
			 * After an info line, a traceback is an uncaught one:
			 * its own record, below. */
			join = 1;
			j->python = PY_TRACE;
		}
		if (join) {
			j->held = append_stack(j->held, msg);
			j->in_trace = 1;
			if (close) {
				/* A bare traceback is named by its last line (the
				 * outermost exception of a chain): make that the
				 * message; the traceback stays in the stack. */
				if (j->bare)
					j->held = jv_object_set(j->held, jv_string("msg"), jv_string(msg));
				if (bi_level_rank(bi_get_str(j->held, "level")) < 4)
					j->held = jv_object_set(j->held, jv_string("level"), jv_string("error"));
				j->python = PY_RAISED;
			}
			jv_free(rec);
			return;
		}
	}
	bi_logjoin_flush(j);
	if (msg && plain && node_header(msg))
		j->node = NODE_HEADER;
	if (msg && prefix(msg, TRACEBACK)) {
		rec = jv_object_set(rec, jv_string("stack"), jv_string(msg));
		j->python = PY_TRACE;
		j->bare = 1;
		j->in_trace = 1;
	}
	j->held = rec;
	j->held_at = bi_mono_ns();
}
