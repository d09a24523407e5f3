/* sources/promapi.h: the interface of promapi.c (layer: sources). */
#ifndef BI_SOURCES_PROMAPI_H
#define BI_SOURCES_PROMAPI_H

#include <jv.h>
#include <stddef.h>

/* How a question to Prometheus's HTTP API ended. */
enum {
	BI_PROMAPI_OK = 0,
	BI_PROMAPI_BAD_QUERY = 2,	/* Prometheus refused it: bad_data, execution */
	BI_PROMAPI_UNREACHABLE = 3	/* no answer, an answer that is not the API's, or
					 * Prometheus failing (timeout, canceled, internal...) */
};

/* An instant query (start NULL; at time, or now when time is NULL) or a
 * range query (start, end, step all set). Times and step are passed as
 * Prometheus takes them: RFC 3339 or Unix seconds, a duration or seconds. */
typedef struct bi_promapi_req {
	const char *base;	/* http://host:port, with a path prefix if any */
	const char *expr;	/* PromQL */
	const char *time;
	const char *start, *end, *step;
	long timeout_ms;	/* 0: 30 s */
} bi_promapi_req;

/* Records from a parsed answer of /api/v1/query or /api/v1/query_range
 * (answer consumed): a `metric` record per sample, {ts, name, labels,
 * value, type "untyped", source "prometheus"}; name is the series'
 * __name__ (not among labels), or expr when the series has none (the
 * result of an expression); value a number, or "NaN", "+Inf", "-Inf".
 * Native histogram samples have no one value and are skipped.
 * BI_PROMAPI_OK with *out an array of records (the caller frees it) and
 * *warnings an array of Prometheus's warnings (strings; the caller frees
 * it); BI_PROMAPI_BAD_QUERY or BI_PROMAPI_UNREACHABLE with one line in
 * err: "ERRORTYPE: ERROR" as Prometheus said it, control characters made
 * spaces, or what about the answer is not the API's. */
int bi_promapi_parse(jv answer, const char *expr, jv *out, jv *warnings, char *err, size_t n);

/* Ask Prometheus (POST, form-encoded) and read its answer as
 * bi_promapi_parse does; a transport error or an answer that is not JSON
 * is BI_PROMAPI_UNREACHABLE, with the address and the HTTP status or
 * transport error in err. */
int bi_promapi_query(const bi_promapi_req *q, jv *out, jv *warnings, char *err, size_t n);

/* A time as Prometheus takes it, for a user who writes "now" or "-DUR"
 * (ago: bi_dur_parse's durations): those made Unix seconds with
 * milliseconds, into buf (n bytes); anything else (RFC 3339, Unix seconds,
 * NULL) is returned as given, for Prometheus to judge. */
const char *bi_promapi_time(const char *arg, char *buf, size_t n);

/* A record of bi_promapi_query's (borrowed), the answer to the PromQL of a
 * derived figure (name, unit: bi_metrics_promql's), as the `metric` record
 * bi-metrics query writes for it: ts, service (its job label, "" without
 * one), name, labels {window}, value rounded to 1e-6 (0 when it is not a
 * finite number), unit, type gauge, source prometheus. */
jv bi_promapi_figure_record(jv rec, const char *name, const char *unit, const char *window);

#endif
