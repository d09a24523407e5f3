/*
 * service.c: routing, metrics, JSON checks and fault knobs for
 * {{PROJECT_NAME}}; no I/O here, so tests/test_service.c can cover it all.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "service.h"

const char *const route_pattern[R_COUNT] = {
	"/health", "/hello", "/hello/{name}", "/echo", "/ready", "/live", "/startup",
	"/metrics", "/visits", "/admin/faults", "other"
};

enum route
route_of(const char *path, const char **name)
{
	static const struct { const char *path; enum route r; } exact[] = {
		{"/health", R_HEALTH}, {"/hello", R_HELLO}, {"/echo", R_ECHO},
		{"/ready", R_READY}, {"/live", R_LIVE}, {"/startup", R_STARTUP},
		{"/metrics", R_METRICS}, {"/visits", R_VISITS}, {"/admin/faults", R_FAULTS},
	};

	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcmp(path, exact[i].path) == 0)
			return exact[i].r;
	if (strncmp(path, "/hello/", 7) == 0 && path[7] && !strchr(path + 7, '/')) {
		*name = path + 7;
		return R_HELLO_NAME;
	}
	return R_NOT_FOUND;
}

/* ---- strings ---- */

void
str_add(struct str *s, const char *data, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *p = realloc(s->p, cap);
		if (!p)
			abort();
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void
str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof buf) {
		str_add(s, buf, n);
		return;
	}
	char *big = malloc(n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	str_add(s, big, n);
	free(big);
}

void
str_json(struct str *s, const char *text)
{
	str_add(s, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			str_printf(s, "\\%c", *p);
		else if (*p < 0x20)
			str_printf(s, "\\u%04x", *p);
		else
			str_add(s, (const char *)p, 1);
	}
	str_add(s, "\"", 1);
}

void
str_free(struct str *s)
{
	free(s->p);
	s->p = NULL;
	s->len = s->cap = 0;
}

/* ---- JSON checking: a recursive-descent validator, nothing kept ---- */

struct js {
	const char *p, *end;
	int depth;
};

static void
ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int value(struct js *j);

static int
string(struct js *j)
{
	if (j->p >= j->end || *j->p != '"')
		return 0;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++j->p >= j->end)
				return 0;
			if (*j->p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++j->p >= j->end || !isxdigit((unsigned char)*j->p))
						return 0;
			} else if (!strchr("\"\\/bfnrt", *j->p)) {
				return 0;
			}
		}
	}
	return 0;
}

static int
number(struct js *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || !isdigit((unsigned char)*j->p))
		return 0;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || !isdigit((unsigned char)*j->p))
			return 0;
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !isdigit((unsigned char)*j->p))
			return 0;
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	}
	return j->p > s;
}

static int
word(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || strncmp(j->p, w, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int
container(struct js *j, char close)
{
	if (++j->depth > 256)
		return 0;
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 1;
	}
	for (;;) {
		ws(j);
		if (close == '}') {
			if (!string(j))
				return 0;
			ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return 0;
			ws(j);
		}
		if (!value(j))
			return 0;
		ws(j);
		if (j->p >= j->end)
			return 0;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return 0;
		j->depth--;
		return 1;
	}
}

static int
value(struct js *j)
{
	if (j->p >= j->end)
		return 0;
	switch (*j->p) {
	case '{': return container(j, '}');
	case '[': return container(j, ']');
	case '"': return string(j);
	case 't': return word(j, "true");
	case 'f': return word(j, "false");
	case 'n': return word(j, "null");
	default: return number(j);
	}
}

int
json_valid(const char *text, size_t n)
{
	struct js j = {text, text + n, 0};

	ws(&j);
	if (!value(&j))
		return 0;
	ws(&j);
	return j.p == j.end;
}

int
json_number(const char *text, const char *key, double *out)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\"", key);
	if (!(p = strstr(text, pat)))
		return 0;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return 0;
	char *end;
	double d = strtod(p, &end);
	if (end == p)
		return 0;
	*out = d;
	return 1;
}

/* ---- metrics ---- */

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OTHER"};
#define NMETHODS 6
static const double bounds[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
#define NBOUNDS 11
/* Statuses are counted by their exact code, in a small open table. */
#define NSTATUS 16

struct series {
	uint64_t count[NSTATUS];
	int status[NSTATUS];
	uint64_t buckets[NBOUNDS];	/* cumulative counts are made on output */
	uint64_t observations;
	double sum;
};
static struct series table[NMETHODS][R_COUNT];
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;

static int
method_index(const char *m)
{
	for (int i = 0; i < NMETHODS - 1; i++)
		if (strcmp(m, methods[i]) == 0)
			return i;
	return NMETHODS - 1;
}

void
metrics_observe(const char *method, enum route r, int status, double seconds)
{
	struct series *s = &table[method_index(method)][r];

	pthread_mutex_lock(&metrics_lock);
	for (int i = 0; i < NSTATUS; i++) {
		if (s->status[i] == status || s->status[i] == 0) {
			s->status[i] = status;
			s->count[i]++;
			break;
		}
	}
	for (int i = 0; i < NBOUNDS; i++) {
		if (seconds <= bounds[i]) {
			s->buckets[i]++;
			break;
		}
	}
	s->observations++;
	s->sum += seconds;
	pthread_mutex_unlock(&metrics_lock);
}

void
metrics_render(struct str *out)
{
	pthread_mutex_lock(&metrics_lock);
	str_printf(out, "# HELP http_requests_total Requests served, by method, route and status.\n"
			"# TYPE http_requests_total counter\n");
	for (int m = 0; m < NMETHODS; m++)
		for (int r = 0; r < R_COUNT; r++)
			for (int i = 0; i < NSTATUS && table[m][r].status[i]; i++)
				str_printf(out, "http_requests_total{method=\"%s\",path=\"%s\",status=\"%d\"} %llu\n",
					   methods[m], route_pattern[r], table[m][r].status[i],
					   (unsigned long long)table[m][r].count[i]);
	str_printf(out, "# HELP http_request_duration_seconds Time to answer a request.\n"
			"# TYPE http_request_duration_seconds histogram\n");
	for (int m = 0; m < NMETHODS; m++) {
		for (int r = 0; r < R_COUNT; r++) {
			struct series *s = &table[m][r];
			if (!s->observations)
				continue;
			uint64_t cum = 0;
			for (int i = 0; i < NBOUNDS; i++) {
				cum += s->buckets[i];
				str_printf(out, "http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"%g\"} %llu\n",
					   methods[m], route_pattern[r], bounds[i], (unsigned long long)cum);
			}
			str_printf(out, "http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"+Inf\"} %llu\n",
				   methods[m], route_pattern[r], (unsigned long long)s->observations);
			str_printf(out, "http_request_duration_seconds_sum{method=\"%s\",path=\"%s\"} %.9g\n",
				   methods[m], route_pattern[r], s->sum);
			str_printf(out, "http_request_duration_seconds_count{method=\"%s\",path=\"%s\"} %llu\n",
				   methods[m], route_pattern[r], (unsigned long long)s->observations);
		}
	}
	pthread_mutex_unlock(&metrics_lock);
}

/* ---- fault knobs ---- */

struct faults faults;

static double
env_num(const char *name, double def)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return def;
	double d = strtod(v, &end);
	return *end ? def : d;
}

void
faults_from_env(void)
{
	faults.latency_ms = env_num("FAULT_LATENCY_MS", 0);
	faults.error_rate = env_num("FAULT_ERROR_RATE", 0);
	faults.leak_kb = env_num("FAULT_LEAK_KB", 0);
	faults.crash_after = (long)env_num("FAULT_CRASH_AFTER", 0);
	faults.dep_fatal = env_num("FAULT_DEP_FATAL", 0) != 0;
}

void
faults_json(struct str *out)
{
	str_printf(out, "{\"latency_ms\":%g,\"error_rate\":%g,\"leak_kb\":%g,"
		   "\"crash_after\":%ld,\"dep_fatal\":%s}", faults.latency_ms,
		   faults.error_rate, faults.leak_kb, faults.crash_after,
		   faults.dep_fatal ? "true" : "false");
}

int
faults_update(const char *json)
{
	double d;

	if (!json_valid(json, strlen(json)) || *json != '{')
		return -1;
	if (json_number(json, "latency_ms", &d) && d >= 0)
		faults.latency_ms = d;
	if (json_number(json, "error_rate", &d) && d >= 0 && d <= 1)
		faults.error_rate = d;
	if (json_number(json, "leak_kb", &d) && d >= 0)
		faults.leak_kb = d;
	if (json_number(json, "crash_after", &d) && d >= 0)
		faults.crash_after = (long)d;
	if (strstr(json, "\"dep_fatal\":true") || strstr(json, "\"dep_fatal\": true"))
		faults.dep_fatal = 1;
	else if (strstr(json, "\"dep_fatal\":false") || strstr(json, "\"dep_fatal\": false"))
		faults.dep_fatal = 0;
	return 0;
}

/* ---- time ---- */

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
timestamp(char *buf, int64_t ms)
{
	time_t s = ms / 1000;
	struct tm tm;

	gmtime_r(&s, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
	return buf;
}

/* ---- trace context ---- */

/* p[0..n) is lower-case hex; with nonzero, not all zeros (no id is). */
static int
hex_ok(const char *p, size_t n, int nonzero)
{
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
		any |= p[i] != '0';
	}
	return any || !nonzero;
}

int
trace_parse(const char *h, struct trace *t)
{
	/* Version 00 has nothing after the flags; a later one may have more
	 * fields, after a '-'. Version ff is invalid. */
	if (!h || strlen(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' ||
	    !hex_ok(h, 2, 0) || !strncmp(h, "ff", 2) || !hex_ok(h + 3, 32, 1) ||
	    !hex_ok(h + 36, 16, 1) || !hex_ok(h + 53, 2, 0))
		return -1;
	if (!strncmp(h, "00", 2) ? h[55] != '\0' : h[55] != '\0' && h[55] != '-')
		return -1;
	memcpy(t->trace_id, h + 3, 32);
	t->trace_id[32] = '\0';
	memcpy(t->parent_id, h + 36, 16);
	t->parent_id[16] = '\0';
	t->sampled = (int)strtol((char[]){h[53], h[54], 0}, NULL, 16) & 1;
	return 0;
}

static void
random_hex(char *out, size_t bytes)
{
	unsigned char b[16];

	do {
		if (getrandom(b, bytes, 0) != (ssize_t)bytes)
			for (size_t i = 0; i < bytes; i++)
				b[i] = (unsigned char)random();
		for (size_t i = 0; i < bytes; i++)
			sprintf(out + 2 * i, "%02x", b[i]);
	} while (!hex_ok(out, 2 * bytes, 1));	/* all zeros is no id */
}

void
trace_start(struct trace *t, const char *header)
{
	if (trace_parse(header, t) != 0) {
		random_hex(t->trace_id, 16);
		t->parent_id[0] = '\0';
		t->sampled = 1;
	}
	random_hex(t->span_id, 8);
}

void
trace_header(const struct trace *t, char out[56])
{
	snprintf(out, 56, "00-%s-%s-%02x", t->trace_id, t->span_id, t->sampled ? 1 : 0);
}

static void
attr_str(struct str *out, const char *key, const char *value)
{
	str_printf(out, "{\"key\":\"%s\",\"value\":{\"stringValue\":", key);
	str_json(out, value);
	str_add(out, "}}", 2);
}

void
span_json(struct str *out, const struct trace *t, const char *method, const char *route,
	  int status, int64_t start_ns, int64_t end_ns)
{
	struct str name = {0};

	str_printf(&name, "%s %s", method, route);
	/* OTLP's JSON: ids in hex, 64-bit integers as strings, kind 2 a
	 * server span, status code 2 an error. */
	str_printf(out, "{\"traceId\":\"%s\",\"spanId\":\"%s\",", t->trace_id, t->span_id);
	if (t->parent_id[0])
		str_printf(out, "\"parentSpanId\":\"%s\",", t->parent_id);
	str_printf(out, "\"name\":");
	str_json(out, name.p);
	str_printf(out, ",\"kind\":2,\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\","
		   "\"attributes\":[", (long long)start_ns, (long long)end_ns);
	attr_str(out, "http.request.method", method);
	str_add(out, ",", 1);
	attr_str(out, "http.route", route);
	str_printf(out, ",{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%d\"}}],"
		   "\"status\":{\"code\":%d}}", status, status >= 500 ? 2 : 0);
	str_free(&name);
}

void
otlp_request(struct str *out, const char *service, const char *spans, size_t len)
{
	str_printf(out, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
	attr_str(out, "service.name", service);
	str_printf(out, "]},\"scopeSpans\":[{\"scope\":{\"name\":");
	str_json(out, service);
	str_printf(out, "},\"spans\":[");
	str_add(out, spans, len);
	str_add(out, "]}]}]}", 6);
}
