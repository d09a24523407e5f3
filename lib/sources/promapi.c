/*
 * promapi.c: a real Prometheus's answers, read over its HTTP API
 * (/api/v1/query, /api/v1/query_range), as `metric` records.
 *
 * The answer is {"status": "success", "data": {"resultType", "result"},
 * "warnings"?} or {"status": "error", "errorType", "error"}. A result is a
 * vector ([{metric, value: [t, "v"]}]), a matrix ([{metric, values: [[t,
 * "v"], ...]}]), a scalar ([t, "v"]) or a string ([t, "s"]); times are
 * Unix seconds as numbers, values strings (so that NaN and Inf travel).
 * Prometheus says which error it is by errorType: bad_data and execution
 * are the query's fault (the user's to fix), anything else (timeout,
 * canceled, internal, unavailable) the server's.
 *
 * Layer: sources.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/promapi.h"

#include "base/http.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "base/util.h"

/* Prometheus's words, on one line. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static const char *
str_or(jv v, const char *dflt)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : dflt;
}

/* A [t, "v"] pair (consumed) as a record of name and labels (borrowed),
 * t in Unix seconds up to 9e9 (the year 2255: nanoseconds in an int64),
 * appended to out; 0, or -1 when the pair is not one. */
static int
sample(jv pair, const char *name, jv labels, jv *out)
{
	int r = -1;

	if (jv_get_kind(pair) != JV_KIND_ARRAY || jv_array_length(jv_copy(pair)) != 2)
		goto done;
	jv t = jv_array_get(jv_copy(pair), 0), v = jv_array_get(jv_copy(pair), 1);
	if (jv_get_kind(t) == JV_KIND_NUMBER && jv_get_kind(v) == JV_KIND_STRING) {
		double secs = jv_number_value(t);
		const char *text = jv_string_value(v);
		char *end;
		double x = strtod(text, &end);
		if (isfinite(secs) && secs >= 0 && secs < 9e9 && *text && !*end) {
			char ts[BI_TS_LEN];
			jv rec = bi_record("metric");
			rec = bi_set(rec, "ts", jv_string(bi_ts_fmt((int64_t)llround(secs * 1000) * BI_NS_PER_MS, ts)));
			rec = bi_set(rec, "name", jv_string(name));
			rec = bi_set(rec, "labels", jv_copy(labels));
			rec = bi_set(rec, "value", isfinite(x) ? jv_number(x) :
				     jv_string(isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"));
			rec = bi_set(rec, "type", jv_string("untyped"));
			rec = bi_set(rec, "source", jv_string("prometheus"));
			*out = jv_array_append(*out, rec);
			r = 0;
		}
	}
	jv_free(t);
	jv_free(v);
done:
	jv_free(pair);
	return r;
}

/* One series of a vector or a matrix: its name, its labels as strings
 * without __name__, and each of its samples. */
static int
series(jv s, const char *expr, int matrix, jv *out, char *err, size_t n)
{
	int object = jv_get_kind(s) == JV_KIND_OBJECT;
	jv metric = object ? jv_object_get(jv_copy(s), jv_string("metric")) : jv_invalid();
	jv labels = jv_object();
	char *name = NULL;
	int r = 0;

	if (!object) {
		r = bi_errf(err, n, "a series that is not an object");
		goto done;
	}
	if (jv_get_kind(metric) != JV_KIND_OBJECT) {
		r = bi_errf(err, n, "a series without its labels (\"metric\")");
		goto done;
	}
	jv_object_foreach(metric, k, v) {
		if (jv_get_kind(v) != JV_KIND_STRING)
			r = -1;
		else if (!strcmp(jv_string_value(k), "__name__"))
			name = bi_strdup(jv_string_value(v));
		else
			labels = jv_object_set(labels, jv_copy(k), jv_copy(v));
		jv_free(k);
		jv_free(v);
	}
	if (r) {
		r = bi_errf(err, n, "a label that is not a string");
		goto done;
	}
	if (matrix) {
		jv values = jv_object_get(jv_copy(s), jv_string("values"));
		if (jv_get_kind(values) == JV_KIND_ARRAY) {
			jv_array_foreach(values, i, p) {
				if (r)
					jv_free(p);
				else if (sample(p, name ? name : expr, labels, out) != 0)
					r = bi_errf(err, n, "a sample that is not [time, \"value\"]");
			}
		} else if (jv_is_valid(values) && jv_get_kind(values) != JV_KIND_NULL) {
			r = bi_errf(err, n, "a series' values that are not a list");
		}
		jv_free(values);
	} else {
		jv value = jv_object_get(jv_copy(s), jv_string("value"));
		if (!jv_is_valid(value) || jv_get_kind(value) == JV_KIND_NULL)
			jv_free(value);	/* a native histogram's sample: no one value */
		else if (sample(value, name ? name : expr, labels, out) != 0)
			r = bi_errf(err, n, "a sample that is not [time, \"value\"]");
	}
done:
	free(name);
	jv_free(labels);
	jv_free(metric);
	jv_free(s);
	return r;
}

int
bi_promapi_parse(jv answer, const char *expr, jv *out, jv *warnings, char *err, size_t n)
{
	int r = BI_PROMAPI_UNREACHABLE;
	jv status = jv_invalid(), data = jv_invalid(), type = jv_invalid(), result = jv_invalid();

	*out = jv_array();
	*warnings = jv_array();
	if (jv_get_kind(answer) != JV_KIND_OBJECT) {
		bi_errf(err, n, "not an answer of Prometheus's API (a JSON object)");
		goto done;
	}
	status = jv_object_get(jv_copy(answer), jv_string("status"));
	if (jv_get_kind(status) == JV_KIND_STRING && !strcmp(jv_string_value(status), "error")) {
		jv et = jv_object_get(jv_copy(answer), jv_string("errorType"));
		jv e = jv_object_get(jv_copy(answer), jv_string("error"));
		const char *ets = str_or(et, "error");
		snprintf(err, n, "%s: %s", ets, str_or(e, "(no message)"));
		one_line(err);
		r = !strcmp(ets, "bad_data") || !strcmp(ets, "execution") ? BI_PROMAPI_BAD_QUERY :
			BI_PROMAPI_UNREACHABLE;
		jv_free(et);
		jv_free(e);
		goto done;
	}
	if (jv_get_kind(status) != JV_KIND_STRING || strcmp(jv_string_value(status), "success")) {
		bi_errf(err, n, "not an answer of Prometheus's API (no \"status\": \"success\" or \"error\")");
		goto done;
	}
	jv w = jv_object_get(jv_copy(answer), jv_string("warnings"));
	if (jv_get_kind(w) == JV_KIND_ARRAY) {
		jv_array_foreach(w, i, s) {
			if (jv_get_kind(s) == JV_KIND_STRING) {
				char line[512];
				snprintf(line, sizeof line, "%s", jv_string_value(s));
				one_line(line);
				*warnings = jv_array_append(*warnings, jv_string(line));
			}
			jv_free(s);
		}
	}
	jv_free(w);
	data = jv_object_get(jv_copy(answer), jv_string("data"));
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		type = jv_object_get(jv_copy(data), jv_string("resultType"));
		result = jv_object_get(jv_copy(data), jv_string("result"));
	}
	const char *t = str_or(type, "");
	int bad = 0;
	if (!strcmp(t, "vector") || !strcmp(t, "matrix")) {
		if (jv_get_kind(result) != JV_KIND_ARRAY) {
			bi_errf(err, n, "a %s result that is not a list", t);
			goto done;
		}
		jv_array_foreach(result, i, s)
			if (!bad && series(s, expr, t[0] == 'm', out, err, n) != 0)
				bad = 1;
			else if (bad)
				jv_free(s);
	} else if (!strcmp(t, "scalar")) {
		jv none = jv_object();
		bad = sample(jv_copy(result), expr, none, out) != 0;
		jv_free(none);
		if (bad)
			bi_errf(err, n, "a scalar result that is not [time, \"value\"]");
	} else if (!strcmp(t, "string")) {
		bi_errf(err, n, "a string result, which has no value to measure");
		r = BI_PROMAPI_BAD_QUERY;
		goto done;
	} else {
		bi_errf(err, n, "not an answer of Prometheus's API (no data.resultType it knows)");
		goto done;
	}
	if (!bad)
		r = BI_PROMAPI_OK;
done:
	if (r != BI_PROMAPI_OK) {
		jv_free(*out);
		*out = jv_array();
	}
	jv_free(status);
	jv_free(data);
	jv_free(type);
	jv_free(result);
	jv_free(answer);
	return r;
}

/* Form encoding: letters, digits and -._~ as they are, the rest %XX. */
static void
form_field(bi_buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!value)
		return;
	if (b->len)
		bi_buf_add(b, "&", 1);
	bi_buf_add(b, key, strlen(key));
	bi_buf_add(b, "=", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			bi_buf_add(b, (const char *)p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			bi_buf_add(b, e, 3);
		}
	}
}

int
bi_promapi_query(const bi_promapi_req *q, jv *out, jv *warnings, char *err, size_t n)
{
	bi_buf form = {0};
	char url[1024];
	size_t bl = strlen(q->base);
	bi_http_resp resp;
	char why[600];

	*out = jv_array();
	*warnings = jv_array();
	while (bl > 0 && q->base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s/api/v1/%s", (int)bl, q->base, q->start ? "query_range" : "query");
	form_field(&form, "query", q->expr);
	form_field(&form, "time", q->start ? NULL : q->time);
	form_field(&form, "start", q->start);
	form_field(&form, "end", q->start ? q->end : NULL);
	form_field(&form, "step", q->start ? q->step : NULL);
	bi_http_req req = {
		.method = "POST",
		.url = url,
		.body = form.p ? form.p : "",
		.body_len = form.len,
		.content_type = "application/x-www-form-urlencoded",
		.timeout_ms = q->timeout_ms ? q->timeout_ms : 30000,
	};
	int r = BI_PROMAPI_UNREACHABLE;
	if (bi_http(&req, &resp) != 0) {
		snprintf(err, n, "%s: %s", url, resp.error);
		goto done;
	}
	/* The API answers with an object; a page that is not one (Prometheus's
	 * "404 page not found", a proxy's HTML) goes no further, also because
	 * libjq 1.6 leaks on some malformed text. */
	const char *b = resp.body.p ? resp.body.p : "";
	b += strspn(b, " \t\r\n");
	jv answer = *b == '{' ? jv_parse_sized(resp.body.p, (int)resp.body.len) : jv_invalid();
	if (!jv_is_valid(answer)) {
		jv_free(answer);
		snprintf(err, n, "%s: HTTP %ld, not an answer of Prometheus's API (not JSON)", url, resp.status);
		goto done;
	}
	jv_free(*out);
	jv_free(*warnings);
	r = bi_promapi_parse(answer, q->expr, out, warnings, why, sizeof why);
	if (r != BI_PROMAPI_OK)
		snprintf(err, n, "%s: HTTP %ld: %s", url, resp.status, why);
done:
	bi_http_resp_free(&resp);
	bi_buf_free(&form);
	return r;
}

const char *
bi_promapi_time(const char *arg, char *buf, size_t n)
{
	int64_t ago = 0;

	if (!arg || (strcmp(arg, "now") && (arg[0] != '-' || bi_dur_parse(arg + 1, &ago))))
		return arg;
	int64_t t = bi_now_ns() - ago;
	snprintf(buf, n, "%lld.%03lld", (long long)(t / BI_NS_PER_S),
		 (long long)(t % BI_NS_PER_S / BI_NS_PER_MS));
	return buf;
}

jv
bi_promapi_figure_record(jv rec, const char *name, const char *unit, const char *window)
{
	jv labels = jv_object_get(jv_copy(rec), jv_string("labels"));
	const char *job = bi_get_str(labels, "job");
	jv v = jv_object_get(jv_copy(rec), jv_string("value"));
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv out = bi_set(bi_record("metric"), "ts", jv_object_get(jv_copy(rec), jv_string("ts")));

	out = bi_set(out, "service", jv_string(job ? job : ""));
	out = bi_set(out, "name", jv_string(name));
	out = bi_set(out, "labels", bi_set(jv_object(), "window", jv_string(window)));
	out = bi_set(out, "value", jv_number(isfinite(x) ? round(x * 1e6) / 1e6 : 0));
	out = bi_set(out, "unit", jv_string(unit));
	out = bi_set(out, "type", jv_string("gauge"));
	out = bi_set(out, "source", jv_string("prometheus"));
	jv_free(v);
	jv_free(labels);
	return out;
}
