/*
 * test-promapi: Prometheus's HTTP API answers as records: a vector and a
 * matrix (names from __name__, labels without it, NaN and Inf as strings,
 * times to the millisecond), a scalar named by its expression, a native
 * histogram skipped, warnings passed on; Prometheus's errors by errorType
 * (bad_data and execution the query's fault, timeout the server's) on one
 * line; answers that are not the API's. And bi_promapi_query against a
 * stand-in server: the form it posts, the path for instant and range
 * queries, a 400 with Prometheus's error, a 404 page, a closed port.
 */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/jsonl.h"
#include "sources/promapi.h"
#include "tap.h"
#include "httpd.h"

static char err[1024];
static jv recs, warns;

static int
parse(const char *text, const char *expr)
{
	return bi_promapi_parse(jv_parse(text), expr, &recs, &warns, err, sizeof err);
}

static const char *
rec(int i)
{
	static char buf[1024];
	jv r = jv_array_get(jv_copy(recs), i);

	if (!jv_is_valid(r)) {
		jv_free(r);
		return "(none)";
	}
	jv s = jv_dump_string(jv_copy(r), JV_PRINT_SORTED);
	snprintf(buf, sizeof buf, "%s", jv_string_value(s));
	jv_free(s);
	jv_free(r);
	return buf;
}

static void
clear(void)
{
	jv_free(recs);
	jv_free(warns);
}

static char last_head[2048], last_body[2048];

static int
handler(const char *head, const char *body, char *out, size_t n)
{
	snprintf(last_head, sizeof last_head, "%s", head);
	snprintf(last_body, sizeof last_body, "%s", body);
	if (strstr(head, "POST /prom/api/v1/query ") && strstr(body, "query=sum%28")) {
		snprintf(out, n, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": 1:5: parse error: unclosed left parenthesis\"}");
		return 400;
	}
	if (strstr(head, "POST /prom/api/v1/query_range "))
		snprintf(out, n, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"__name__\":\"up\"},\"values\":[[10,\"1\"],[20,\"0\"]]}]}}");
	else if (strstr(head, "POST /prom/api/v1/query "))
		snprintf(out, n, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"value\":[10,\"1\"]}]}}");
	else {
		snprintf(out, n, "<html>404 page not found</html>");
		return 404;
	}
	return 200;
}

int
main(void)
{
	plan(41);

	/* A vector: two series, a value that is not a number. */
	int r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		      "{\"metric\":{\"__name__\":\"http_requests_total\",\"job\":\"svc\",\"status\":\"500\"},\"value\":[1796456706.596,\"12.5\"]},"
		      "{\"metric\":{\"__name__\":\"http_requests_total\",\"job\":\"svc\",\"status\":\"200\"},\"value\":[1796456706.596,\"NaN\"]},"
		      "{\"metric\":{\"job\":\"svc\"},\"value\":[1796456706,\"+Inf\"]}]}}", "x");
	is_num(r, BI_PROMAPI_OK, "a vector: ok");
	is_num(jv_array_length(jv_copy(recs)), 3, "one record per series");
	is_str(rec(0), "{\"kind\":\"metric\",\"labels\":{\"job\":\"svc\",\"status\":\"500\"},\"name\":\"http_requests_total\","
	       "\"source\":\"prometheus\",\"ts\":\"2026-12-05T07:45:06.596Z\",\"type\":\"untyped\",\"value\":12.5}",
	       "the name from __name__, the labels without it, the time to the millisecond");
	ok(strstr(rec(1), "\"value\":\"NaN\"") != NULL, "NaN as a string");
	ok(strstr(rec(2), "\"name\":\"x\"") && strstr(rec(2), "\"value\":\"+Inf\""),
	   "a series without a name takes the expression's; +Inf as a string");
	is_num(jv_array_length(jv_copy(warns)), 0, "no warnings");
	clear();

	/* A matrix, with a warning and a native histogram. */
	r = parse("{\"status\":\"success\",\"warnings\":[\"PromQL info:\\nsomething\"],\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{\"__name__\":\"up\",\"instance\":\"a\"},\"values\":[[100,\"1\"],[115,\"0\"],[130,\"1\"]]},"
		  "{\"metric\":{\"__name__\":\"h\"},\"histograms\":[[100,{\"count\":\"3\",\"sum\":\"1\"}]]},"
		  "{\"metric\":{\"__name__\":\"up\",\"instance\":\"b\"},\"values\":[[100,\"-Inf\"]]}]}}", "up");
	is_num(r, BI_PROMAPI_OK, "a matrix: ok %s", r ? err : "");
	is_num(jv_array_length(jv_copy(recs)), 4, "a record per sample, the native histogram skipped");
	ok(strstr(rec(1), "\"ts\":\"1970-01-01T00:01:55.000Z\"") && strstr(rec(1), "\"value\":0"),
	   "the second sample of the first series: %s", rec(1));
	ok(strstr(rec(3), "\"instance\":\"b\"") && strstr(rec(3), "\"value\":\"-Inf\""), "the other series: %s", rec(3));
	jv w = jv_array_get(jv_copy(warns), 0);
	is_str(jv_is_valid(w) ? jv_string_value(w) : "(none)", "PromQL info: something", "a warning, on one line");
	jv_free(w);
	clear();

	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1796456706.5,\"0.25\"]}}", "1/4");
	is_num(r, BI_PROMAPI_OK, "a scalar: ok");
	ok(strstr(rec(0), "\"name\":\"1/4\"") && strstr(rec(0), "\"value\":0.25") && strstr(rec(0), "\"labels\":{}"),
	   "named by its expression: %s", rec(0));
	clear();

	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", "nothing");
	is_num(r * 10 + jv_array_length(jv_copy(recs)), 0, "an empty vector: ok, no record");
	clear();

	/* Prometheus's errors. */
	r = parse("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error:\\nunclosed left parenthesis\"}", "sum(");
	is_num(r, BI_PROMAPI_BAD_QUERY, "bad_data: the query's fault");
	is_str(err, "bad_data: 1:5: parse error: unclosed left parenthesis", "errorType and error, on one line");
	is_num(jv_array_length(jv_copy(recs)), 0, "and no record");
	clear();
	r = parse("{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"found duplicate series\"}", "x");
	is_num(r, BI_PROMAPI_BAD_QUERY, "execution: the query's fault");
	clear();
	r = parse("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression evaluation\"}", "x");
	is_num(r, BI_PROMAPI_UNREACHABLE, "timeout: the server's");
	is_str(err, "timeout: query timed out in expression evaluation", "said as Prometheus said it");
	clear();

	/* Not the API's answers. */
	r = parse("[1,2]", "x");
	is_num(r, BI_PROMAPI_UNREACHABLE, "a list is not an answer");
	clear();
	r = parse("{\"data\":{}}", "x");
	ok(r == BI_PROMAPI_UNREACHABLE && strstr(err, "status"), "no status: %s", err);
	clear();
	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"tensor\",\"result\":[]}}", "x");
	ok(r == BI_PROMAPI_UNREACHABLE && strstr(err, "resultType"), "an unknown result type: %s", err);
	clear();
	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"a\"},\"value\":[\"10\",\"1\"]}]}}", "x");
	ok(r == BI_PROMAPI_UNREACHABLE && strstr(err, "[time, \"value\"]"), "a time that is not a number: %s", err);
	is_num(jv_array_length(jv_copy(recs)), 0, "and nothing half-read");
	clear();
	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"a\"},\"value\":[10,\"1x\"]}]}}", "x");
	is_num(r, BI_PROMAPI_UNREACHABLE, "a value that is not a number");
	clear();
	r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[10,\"s\"]}}", "\"s\"");
	is_num(r, BI_PROMAPI_BAD_QUERY, "a string result: nothing to measure, the query's fault");
	clear();

	/* Over HTTP. */
	int port = httpd_start(handler);
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d/prom/", port);
	bi_promapi_req q = {.base = base, .expr = "up{job=\"a b\"}", .time = "1796456706"};
	r = bi_promapi_query(&q, &recs, &warns, err, sizeof err);
	ok(r == BI_PROMAPI_OK && strstr(rec(0), "\"job\":\"a\""), "an instant query: %s", rec(0));
	is_str(last_body, "query=up%7Bjob%3D%22a%20b%22%7D&time=1796456706", "the form: the expression encoded, the time");
	clear();
	q = (bi_promapi_req){.base = base, .expr = "up", .start = "10", .end = "20", .step = "10s"};
	r = bi_promapi_query(&q, &recs, &warns, err, sizeof err);
	ok(r == BI_PROMAPI_OK && jv_array_length(jv_copy(recs)) == 2, "a range query: query_range, two samples");
	is_str(last_body, "query=up&start=10&end=20&step=10s", "its form");
	clear();
	q = (bi_promapi_req){.base = base, .expr = "sum("};
	r = bi_promapi_query(&q, &recs, &warns, err, sizeof err);
	ok(r == BI_PROMAPI_BAD_QUERY && strstr(err, "HTTP 400: bad_data: invalid parameter \"query\""),
	   "a 400 with Prometheus's error: %s", err);
	clear();
	snprintf(base, sizeof base, "http://127.0.0.1:%d/elsewhere", port);
	q = (bi_promapi_req){.base = base, .expr = "up"};
	r = bi_promapi_query(&q, &recs, &warns, err, sizeof err);
	ok(r == BI_PROMAPI_UNREACHABLE && strstr(err, "HTTP 404") && strstr(err, "not JSON"), "a 404 page: %s", err);
	clear();
	q = (bi_promapi_req){.base = "http://127.0.0.1:1", .expr = "up", .timeout_ms = 2000};
	r = bi_promapi_query(&q, &recs, &warns, err, sizeof err);
	ok(r == BI_PROMAPI_UNREACHABLE && strstr(err, "127.0.0.1:1"), "a closed port: %s", err);
	clear();
	/* The user's times, as Prometheus takes them. */
	char tb[32];
	const char *rfc = "2026-01-01T00:00:00Z";
	ok(bi_promapi_time(NULL, tb, sizeof tb) == NULL, "no time: none");
	ok(bi_promapi_time(rfc, tb, sizeof tb) == rfc, "RFC 3339: as given");
	const char *soon = "-soon";
	ok(bi_promapi_time(soon, tb, sizeof tb) == soon, "-WORD that is no duration: as given");
	long long secs, ms;
	int64_t before = bi_now_ns() / BI_NS_PER_MS;
	const char *t = bi_promapi_time("now", tb, sizeof tb);
	int64_t after = bi_now_ns() / BI_NS_PER_MS;
	ok(t == tb && sscanf(t, "%lld.%3lld", &secs, &ms) == 2 && strlen(strchr(t, '.')) == 4 &&
	   secs * 1000 + ms >= before && secs * 1000 + ms <= after, "now: Unix seconds with ms: %s", t);
	before = bi_now_ns() / BI_NS_PER_MS;
	t = bi_promapi_time("-1h", tb, sizeof tb);
	after = bi_now_ns() / BI_NS_PER_MS;
	ok(sscanf(t, "%lld.%3lld", &secs, &ms) == 2 && secs * 1000 + ms >= before - 3600000 &&
	   secs * 1000 + ms <= after - 3600000, "-1h: an hour ago: %s", t);

	/* A figure's answer as the figure's record. */
	jv in = jv_parse("{\"kind\":\"metric\",\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"x\","
			 "\"labels\":{\"job\":\"api\",\"instance\":\"h:1\"},\"value\":0.12345678,"
			 "\"type\":\"untyped\",\"source\":\"prometheus\"}");
	jv fr = bi_promapi_figure_record(in, "error_rate", "ratio", "5m");
	jv d = jv_dump_string(fr, JV_PRINT_SORTED);
	is_str(jv_string_value(d), "{\"kind\":\"metric\",\"labels\":{\"window\":\"5m\"},\"name\":\"error_rate\","
	       "\"service\":\"api\",\"source\":\"prometheus\",\"ts\":\"2026-12-01T10:00:00.000Z\",\"type\":\"gauge\","
	       "\"unit\":\"ratio\",\"value\":0.123457}", "a figure's record: its job, window, rounded value");
	jv_free(d);
	jv_free(in);
	in = jv_parse("{\"ts\":\"2026-12-01T10:00:00.000Z\",\"labels\":{},\"value\":\"NaN\"}");
	fr = bi_promapi_figure_record(in, "latency_p95_ms", "ms", "1m");
	ok(!strcmp(bi_get_str(fr, "service"), "") && bi_get_num(fr, "value", -1) == 0,
	   "no job, NaN: service \"\", value 0");
	jv_free(fr);
	jv_free(in);
	return done();
}
