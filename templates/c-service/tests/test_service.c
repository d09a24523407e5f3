/* Unit tests of service.c: routing, JSON checks, metrics text, fault knobs. */
#include <stdio.h>
#include <string.h>

#include "service.h"

static int failed, n;

static void
check(int ok, const char *what)
{
	n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n, what);
	if (!ok)
		failed++;
}

static int
valid(const char *s)
{
	return json_valid(s, strlen(s));
}

int
main(void)
{
	const char *name = NULL;

	check(route_of("/health", &name) == R_HEALTH, "/health routes");
	check(route_of("/hello/world", &name) == R_HELLO_NAME && strcmp(name, "world") == 0,
	      "/hello/{name} routes with the name");
	check(route_of("/hello/a/b", &name) == R_NOT_FOUND, "/hello/a/b is not found");
	check(route_of("/nope", &name) == R_NOT_FOUND, "unknown paths are not found");

	check(valid("{\"a\":[1,2.5e3,true,null,\"x\\n\"]}"), "valid JSON");
	check(valid(" [] "), "an empty array with spaces");
	check(!valid("{\"a\":}"), "a missing value");
	check(!valid("{\"a\":1} x"), "trailing text");
	check(!valid("01"), "a leading zero");
	check(!valid("\"\x01\""), "a control character in a string");

	struct str s = {0};
	str_json(&s, "say \"hi\"\n");
	check(strcmp(s.p, "\"say \\\"hi\\\"\\u000a\"") == 0, "JSON string escaping");
	str_free(&s);

	metrics_observe("GET", R_HELLO_NAME, 200, 0.003);
	metrics_observe("GET", R_HELLO_NAME, 200, 0.2);
	metrics_observe("GET", R_HELLO_NAME, 500, 20);
	metrics_render(&s);
	check(strstr(s.p, "http_requests_total{method=\"GET\",path=\"/hello/{name}\",status=\"200\"} 2\n") != NULL,
	      "counter by route pattern and status");
	check(strstr(s.p, "status=\"500\"} 1\n") != NULL, "errors counted apart");
	check(strstr(s.p, "http_request_duration_seconds_bucket{method=\"GET\",path=\"/hello/{name}\",le=\"0.005\"} 1\n") != NULL,
	      "first bucket");
	check(strstr(s.p, "le=\"0.25\"} 2\n") != NULL, "buckets are cumulative");
	check(strstr(s.p, "le=\"+Inf\"} 3\n") != NULL, "+Inf holds everything");
	check(strstr(s.p, "http_request_duration_seconds_count{method=\"GET\",path=\"/hello/{name}\"} 3\n") != NULL,
	      "count");
	check(strstr(s.p, "# TYPE http_request_duration_seconds histogram\n") != NULL, "typed histogram");
	str_free(&s);

	check(faults_update("{\"error_rate\":0.1,\"latency_ms\":20}") == 0 &&
	      faults.error_rate == 0.1 && faults.latency_ms == 20, "knobs set at run time");
	check(faults_update("{\"error_rate\":7}") == 0 && faults.error_rate == 0.1,
	      "an error rate above 1 is ignored");
	check(faults_update("not json") == -1, "a body that is not an object is refused");

	char ts[32];
	check(strcmp(timestamp(ts, 1795481205758), "2026-11-24T00:46:45.758Z") == 0, "RFC 3339 timestamps");

	/* W3C trace context. */
	struct trace t;
	const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	check(trace_parse(tp, &t) == 0 && !strcmp(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") &&
	      !strcmp(t.parent_id, "00f067aa0ba902b7") && t.sampled, "a traceparent read");
	check(trace_parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01", &t) == -1,
	      "an all-zero trace id refused");
	check(trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", &t) == -1,
	      "an all-zero parent id refused");
	check(trace_parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", &t) == -1,
	      "upper-case hex refused");
	check(trace_parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &t) == -1,
	      "version ff refused");
	check(trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", &t) == -1,
	      "version 00 with more after the flags refused");
	check(trace_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later", &t) == 0 &&
	      !t.sampled, "a later version's extra fields allowed; flags 00: not sampled");
	trace_start(&t, tp);
	check(!strcmp(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") &&
	      !strcmp(t.parent_id, "00f067aa0ba902b7") && strlen(t.span_id) == 16 &&
	      strcmp(t.span_id, "00f067aa0ba902b7"), "a request continues the trace, as a child span");
	char hdr[56];
	trace_header(&t, hdr);
	struct trace back;
	check(trace_parse(hdr, &back) == 0 && !strcmp(back.parent_id, t.span_id),
	      "its own traceparent names its span");
	trace_start(&t, "garbage");
	check(strlen(t.trace_id) == 32 && t.parent_id[0] == '\0' && t.sampled,
	      "no valid traceparent: a new trace, a root span");
	struct str sp = {0}, rq = {0};
	trace_start(&t, tp);
	span_json(&sp, &t, "GET", "/hello", 503, 1764900000000000000LL, 1764900000002500000LL);
	otlp_request(&rq, "svc", sp.p, sp.len);
	check(json_valid(rq.p, rq.len) && strstr(rq.p, "\"parentSpanId\":\"00f067aa0ba902b7\"") &&
	      strstr(rq.p, "\"name\":\"GET /hello\"") && strstr(rq.p, "\"status\":{\"code\":2}") &&
	      strstr(rq.p, "\"startTimeUnixNano\":\"1764900000000000000\"") &&
	      strstr(rq.p, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}"),
	      "an OTLP/HTTP JSON export request: valid JSON, the span's parent, name, error, times");
	str_free(&sp);
	str_free(&rq);
	printf("1..%d\n", n);
	return failed != 0;
}
