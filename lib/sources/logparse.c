/*
 * logparse.c: program output to `log` records. JSON log lines keep their own
 * time, level and message under the names logstash, pino, zap, Python's and
 * Go's loggers use; plain lines get a level read from their text; and the
 * lines of a stack trace are joined to the record they belong to, so that one
 * exception is one record, not forty.
 *
 * Layer: sources.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

const char *
bi_level_detect(const char *text, size_t n)
{
	if (n > 256)
		n = 256;
	if (n >= 6 && !strncmp(text, "panic:", 6))
		return "fatal";
	if (n >= 9 && !strncmp(text, "Traceback", 9))
		return "error";
	for (size_t i = 0; i < n;) {
		if (!isalpha((unsigned char)text[i])) {
			i++;
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
			memcpy(word, text + i, k);
			word[k] = '\0';
			/* "ERROR", "[error]", "<warn>", "level=info": not "an error". */
			int marked = upper ||
				(i > 0 && (text[i - 1] == '[' || text[i - 1] == '<') &&
				 j < n && (text[j] == ']' || text[j] == '>')) ||
				(i >= 6 && !strncmp(text + i - 6, "level=", 6)) ||
				(i >= 7 && !strncmp(text + i - 7, "level=\"", 7));
			const char *l = marked ? bi_level_norm(word) : NULL;
			/* "ALERT" and "NOTICE" in capitals are too often plain words. */
			if (l && !(upper && (!strcmp(word, "ALERT") || !strcmp(word, "FINE"))))
				return l;
		}
		i = j;
	}
	return NULL;
}

/* ---- JSON lines ---- */

static const char *const time_keys[] = {"@timestamp", "timestamp", "time", "ts", "t", NULL};
static const char *const level_keys[] = {"level", "lvl", "severity", "levelname",
					 "log.level", "loglevel", NULL};
static const char *const msg_keys[] = {"message", "msg", "text", "log", NULL};
static const char *const logger_keys[] = {"logger_name", "logger", "name", NULL};
static const char *const stack_keys[] = {"stack_trace", "stack", "stacktrace",
					 "exception", "exc_info", "error.stack", NULL};

/* Take the first of keys found in obj: *out gets it, obj loses it. */
static jv
take(jv obj, const char *const *keys, jv *out)
{
	*out = jv_invalid();
	for (; *keys; keys++) {
		jv v = jv_object_get(jv_copy(obj), jv_string(*keys));
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
			*out = v;
			return jv_object_delete(obj, jv_string(*keys));
		}
		jv_free(v);
	}
	return obj;
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

	obj = take(obj, time_keys, &t);
	obj = take(obj, level_keys, &l);
	obj = take(obj, msg_keys, &m);
	obj = take(obj, logger_keys, &g);
	obj = take(obj, stack_keys, &s);

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
	if (!lv && jv_get_kind(m) == JV_KIND_STRING)
		lv = bi_level_detect(jv_string_value(m), strlen(jv_string_value(m)));
	r = bi_set(r, "level", jv_string(lv ? lv : "info"));
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
	const char *lv = bi_level_detect(line, n);
	r = jv_object_set(jv_object(), jv_string("kind"), jv_string("log"));
	r = bi_set(r, "ts", jv_string(bi_ts_fmt(ts ? ts : bi_now_ns(), buf)));
	r = bi_set(r, "level", jv_string(lv ? lv : "info"));
	/* jv_string_sized replaces invalid UTF-8, so a record is always valid. */
	r = bi_set(r, "msg", jv_string_sized(line, (int)n));
out:
	if (stream)
		r = bi_set(r, "stream", jv_string(stream == 2 ? "stderr" : "stdout"));
	return r;
}

/* ---- stack traces ---- */

struct bi_logjoin {
	jv held;		/* the record lines may still join, or invalid */
	int64_t held_at;
	int python;		/* held is a Python traceback */
	int in_trace;		/* held has taken trace lines */
	void (*emit)(void *ctx, jv rec);
	void *ctx;
};

bi_logjoin *
bi_logjoin_new(void (*emit)(void *ctx, jv rec), void *ctx)
{
	bi_logjoin *j = bi_calloc(1, sizeof *j);

	j->held = jv_invalid();
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
	j->held = jv_invalid();
	j->held_at = 0;
	j->python = j->in_trace = 0;
}

void
bi_logjoin_free(bi_logjoin *j)
{
	if (!j)
		return;
	bi_logjoin_flush(j);
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

void
bi_logjoin_feed(bi_logjoin *j, jv rec)
{
	const char *msg = bi_get_str(rec, "msg");
	int held = jv_is_valid(j->held);
	int plain = msg && !jv_object_has(jv_copy(rec), jv_string("attrs")) &&
		    !jv_object_has(jv_copy(rec), jv_string("stack"));

	if (held && plain) {
		const char *t = msg;
		int indented = *t == ' ' || *t == '\t';
		while (*t == ' ' || *t == '\t')
			t++;
		int join = 0, close = 0;
		if (j->python) {
			if (indented)
				join = 1;
			else if (python_exception(msg))
				join = close = 1;
		} else if (indented && (prefix(t, "at ") || prefix(t, "...") || prefix(t, "File \"") ||
					strstr(t, ".go:") || j->in_trace)) {
			join = 1;
		} else if (prefix(msg, "Caused by:") || prefix(msg, "Suppressed:")) {
			join = 1;
		} else if (java_exception(msg) && (is_warnish(j->held) || j->in_trace)) {
			join = 1;
		} else if (prefix(msg, "goroutine ") && j->in_trace == 0 &&
			   prefix(bi_get_str(j->held, "msg") ? bi_get_str(j->held, "msg") : "", "panic:")) {
			join = 1;
		} else if (prefix(msg, "Traceback (most recent call last):")) {
			join = 1;
			j->python = 1;
		}
		if (join) {
			j->held = append_stack(j->held, msg);
			j->in_trace = 1;
			if (close) {
				/* A bare traceback is named by its last line: make
				 * that the message; the traceback stays in the stack. */
				const char *hm = bi_get_str(j->held, "msg");
				if (hm && prefix(hm, "Traceback (most recent call last):"))
					j->held = jv_object_set(j->held, jv_string("msg"), jv_string(msg));
				if (bi_level_rank(bi_get_str(j->held, "level")) < 4)
					j->held = jv_object_set(j->held, jv_string("level"), jv_string("error"));
				bi_logjoin_flush(j);
			}
			jv_free(rec);
			return;
		}
	}
	bi_logjoin_flush(j);
	if (msg && prefix(msg, "Traceback (most recent call last):")) {
		rec = jv_object_set(rec, jv_string("stack"), jv_string(msg));
		j->python = 1;
		j->in_trace = 1;
	}
	j->held = rec;
	j->held_at = bi_mono_ns();
}
