/*
 * service.h: the parts of {{PROJECT_NAME}} that do not touch the network:
 * routing, request metrics, JSON checks, the fault knobs. main.c wires them
 * to libmicrohttpd.
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <stddef.h>
#include <stdint.h>

/* Routes, as they appear in the metrics' path label. */
enum route {
	R_HEALTH, R_HELLO, R_HELLO_NAME, R_ECHO, R_READY, R_LIVE, R_STARTUP,
	R_METRICS, R_VISITS, R_FAULTS, R_NOT_FOUND, R_COUNT
};
extern const char *const route_pattern[R_COUNT];

/* The route for a path; for /hello/{name}, *name points at the name. */
enum route route_of(const char *path, const char **name);

/* A growable string. */
struct str {
	char *p;
	size_t len, cap;
};
void str_add(struct str *s, const char *data, size_t n);
void str_printf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void str_json(struct str *s, const char *text);	/* a quoted, escaped JSON string */
void str_free(struct str *s);

/* Is text[0..n) one JSON value (RFC 8259), nothing after it but spaces? */
int json_valid(const char *text, size_t n);

/* A number field of a flat JSON object: 1 and *out set when found. */
int json_number(const char *text, const char *key, double *out);

/* Request metrics: a counter by method, route and status; a latency
 * histogram by method and route. Safe to call from many threads. */
void metrics_observe(const char *method, enum route r, int status, double seconds);
void metrics_render(struct str *out);

/* Fault knobs: set from the environment at start (FAULT_LATENCY_MS,
 * FAULT_ERROR_RATE, FAULT_LEAK_KB, FAULT_CRASH_AFTER, FAULT_DEP_FATAL) and
 * changed at run time through POST /admin/faults. */
struct faults {
	double latency_ms;	/* added to every request */
	double error_rate;	/* share of requests answered 500 */
	double leak_kb;		/* memory leaked per request */
	long crash_after;	/* abort after this many requests (0: never) */
	int dep_fatal;		/* exit when a dependency is lost */
};
extern struct faults faults;
void faults_from_env(void);
void faults_json(struct str *out);
int faults_update(const char *json);	/* 0, or -1 if not a JSON object */

/* W3C trace context: the traceparent header, version 00
 * ("00-" 32 hex trace id "-" 16 hex parent id "-" 2 hex flags, lower case),
 * and the span of a request. A request that comes with a valid traceparent
 * continues its trace as a child of its span; any other starts a trace. */
struct trace {
	char trace_id[33], span_id[17], parent_id[17];	/* parent_id "" for a root */
	int sampled;
};
int trace_parse(const char *header, struct trace *t);	/* 0, or -1 if not valid */
void trace_start(struct trace *t, const char *header);	/* header may be NULL */
void trace_header(const struct trace *t, char out[56]);

/* One span as OTLP/HTTP JSON (an element of scopeSpans[].spans): a server
 * span named "METHOD ROUTE", with its HTTP attributes, an error status from
 * 500 up; times in ns since the epoch. otlp_request wraps spans (a comma-
 * separated list of them) in an export request for service. */
void span_json(struct str *out, const struct trace *t, const char *method, const char *route,
	       int status, int64_t start_ns, int64_t end_ns);
void otlp_request(struct str *out, const char *service, const char *spans, size_t len);

/* RFC 3339 UTC with milliseconds. buf holds 32 bytes. */
char *timestamp(char *buf, int64_t ms);
int64_t now_ms(void);

#endif
