/*
 * otlp.c: spans from OpenTelemetry's OTLP/HTTP JSON, as `span` records.
 *
 * The JSON mapping of OTLP (opentelemetry-proto's JSON encoding): trace
 * and span ids are hex strings, 64-bit integers (times in ns, intValue)
 * are strings or numbers, enums (span kind, status code) are numbers or
 * their names. Attributes become one flat object of strings, numbers and
 * booleans; an array or a key-value list keeps its JSON. Nothing here
 * trusts the input: every field is checked for its type before use.
 *
 * Layer: sources.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sources/otlp.h"

#include "base/time.h"
#include "base/jsonl.h"

static jv
get(jv o, const char *key)
{
	return jv_get_kind(o) == JV_KIND_OBJECT ? jv_object_get(jv_copy(o), jv_string(key)) :
		jv_invalid();
}

/* An OTLP 64-bit integer (a string of digits, or a number): 0, or -1. */
static int
int64_of(jv v, int64_t *out)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d < 0 || d > 9.2e18)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_STRING)
		return -1;
	const char *s = jv_string_value(v);
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return -1;
	long long n = strtoll(s, &end, 10);
	if (*end || n < 0)
		return -1;
	*out = n;
	return 0;
}

/* An id (v consumed): n hex digits, lowered, not all zeros; else null. */
static jv
id_of(jv v, size_t n)
{
	char buf[33];
	int nonzero = 0, ok = jv_get_kind(v) == JV_KIND_STRING &&
		(size_t)jv_string_length_bytes(jv_copy(v)) == n;

	for (size_t i = 0; ok && i < n; i++) {
		char c = jv_string_value(v)[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		nonzero |= c != '0';
		buf[i] = c;
	}
	jv_free(v);
	if (!ok || !nonzero)
		return jv_null();
	buf[n] = '\0';
	return jv_string(buf);
}

/* An AnyValue as a plain JSON value. */
static jv
any_value(jv v)
{
	static const char *const keys[] = {"stringValue", "boolValue", "intValue", "doubleValue",
					   "arrayValue", "kvlistValue", "bytesValue"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		jv x = get(v, keys[i]);
		if (!jv_is_valid(x)) {
			jv_free(x);
			continue;
		}
		if (i == 2) {
			int64_t n;
			int ok = int64_of(x, &n) == 0;
			if (!ok && jv_get_kind(x) == JV_KIND_STRING && jv_string_value(x)[0] == '-') {
				double d = strtod(jv_string_value(x), NULL);
				jv_free(x);
				return jv_number(d);
			}
			jv_free(x);
			return ok ? jv_number((double)n) : jv_null();
		}
		return x;	/* a double as "NaN" or "Infinity" stays a string */
	}
	return jv_null();
}

static jv
attributes(jv list)
{
	jv out = jv_object();

	if (jv_get_kind(list) != JV_KIND_ARRAY)
		return out;
	jv_array_foreach(list, i, kv) {
		jv k = get(kv, "key");
		if (jv_get_kind(k) == JV_KIND_STRING) {
			jv v = get(kv, "value");
			out = jv_object_set(out, k, any_value(v));
			jv_free(v);
		} else {
			jv_free(k);
		}
		jv_free(kv);
	}
	return out;
}

static const char *
span_kind(jv k)
{
	static const char *const names[] = {"unspecified", "internal", "server", "client",
					    "producer", "consumer"};
	if (jv_get_kind(k) == JV_KIND_NUMBER) {
		double d = jv_number_value(k);
		return d >= 0 && d <= 5 && d == (int)d ? names[(int)d] : "unspecified";
	}
	if (jv_get_kind(k) == JV_KIND_STRING) {
		const char *s = jv_string_value(k);
		for (int i = 0; i < 6; i++)
			if (!strncmp(s, "SPAN_KIND_", 10) && !strcasecmp(s + 10, names[i]))
				return names[i];
	}
	return "unspecified";
}

static const char *
status_of(jv st)
{
	jv c = get(st, "code");
	const char *r = "unset";

	if (jv_get_kind(c) == JV_KIND_NUMBER)
		r = jv_number_value(c) == 1 ? "ok" : jv_number_value(c) == 2 ? "error" : "unset";
	else if (jv_get_kind(c) == JV_KIND_STRING)
		r = !strcmp(jv_string_value(c), "STATUS_CODE_OK") ? "ok" :
			!strcmp(jv_string_value(c), "STATUS_CODE_ERROR") ? "error" : "unset";
	jv_free(c);
	return r;
}

static jv
span_record(jv s, jv service)
{
	char ts[BI_TS_LEN];
	int64_t start, end;
	jv tid = id_of(get(s, "traceId"), 32), sid = id_of(get(s, "spanId"), 16);
	jv st = get(s, "startTimeUnixNano"), en = get(s, "endTimeUnixNano");
	int ok = jv_get_kind(tid) == JV_KIND_STRING && jv_get_kind(sid) == JV_KIND_STRING &&
		 int64_of(st, &start) == 0;

	jv_free(st);
	if (!ok) {
		jv_free(tid);
		jv_free(sid);
		jv_free(en);
		jv_free(service);
		return jv_invalid();
	}
	if (int64_of(en, &end) != 0 || end < start)
		end = start;
	jv_free(en);
	jv r = bi_set(jv_object(), "kind", jv_string("span"));
	r = bi_set(r, "ts", jv_string(bi_ts_fmt(start, ts)));
	r = bi_set(r, "service", service);
	r = bi_set(r, "source", jv_string("otlp"));
	r = bi_set(r, "trace_id", tid);
	r = bi_set(r, "span_id", sid);
	r = bi_set(r, "parent_id", id_of(get(s, "parentSpanId"), 16));
	jv name = get(s, "name");
	r = bi_set(r, "name", jv_get_kind(name) == JV_KIND_STRING ? name : (jv_free(name), jv_string("")));
	jv k = get(s, "kind");
	r = bi_set(r, "span_kind", jv_string(span_kind(k)));
	jv_free(k);
	r = bi_set(r, "duration_ms", jv_number((double)(end - start) / 1e6));
	jv status = get(s, "status");
	r = bi_set(r, "status", jv_string(status_of(status)));
	jv msg = get(status, "message");
	if (jv_get_kind(msg) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(msg)) > 0)
		r = bi_set(r, "status_message", msg);
	else
		jv_free(msg);
	jv_free(status);
	jv attrs = get(s, "attributes");
	r = bi_set(r, "attributes", attributes(attrs));
	jv_free(attrs);
	return r;
}

jv
bi_otlp_spans(jv req)
{
	jv rs = get(req, "resourceSpans");

	if (jv_get_kind(rs) != JV_KIND_ARRAY) {
		jv_free(rs);
		return jv_invalid_with_msg(jv_string("not an OTLP export request (no resourceSpans)"));
	}
	jv out = jv_array();
	jv_array_foreach(rs, i, r) {
		jv res = get(r, "resource"), ra = get(res, "attributes");
		jv attrs = attributes(ra);
		jv svc = jv_object_get(attrs, jv_string("service.name"));
		if (jv_get_kind(svc) != JV_KIND_STRING) {
			jv_free(svc);
			svc = jv_null();
		}
		jv_free(ra);
		jv_free(res);
		jv scopes = get(r, "scopeSpans");
		if (jv_get_kind(scopes) == JV_KIND_ARRAY) {
			jv_array_foreach(scopes, k, sc) {
				jv spans = get(sc, "spans");
				if (jv_get_kind(spans) == JV_KIND_ARRAY) {
					jv_array_foreach(spans, m, s) {
						jv rec = span_record(s, jv_copy(svc));
						if (jv_is_valid(rec))
							out = jv_array_append(out, rec);
						else
							jv_free(rec);
						jv_free(s);
					}
				}
				jv_free(spans);
				jv_free(sc);
			}
		}
		jv_free(scopes);
		jv_free(svc);
		jv_free(r);
	}
	jv_free(rs);
	return out;
}
