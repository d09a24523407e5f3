/* test-otlp: spans of an OTLP/HTTP JSON export request as `span` records:
 * ids, times, kinds and statuses in both of the JSON mapping's spellings,
 * attributes flattened, bad spans left out, a request that is none refused. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/otlp.h"
#include "tap.h"

static const char req[] =
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
	"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}}]},"
	"\"scopeSpans\":[{\"scope\":{\"name\":\"x\"},\"spans\":["
	"{\"traceId\":\"4BF92F3577B34DA6A3CE929D0E0E4736\",\"spanId\":\"00f067aa0ba902b7\","
	"\"name\":\"GET /pay\",\"kind\":2,\"startTimeUnixNano\":\"1764900000000000000\","
	"\"endTimeUnixNano\":\"1764900000012500000\",\"status\":{\"code\":2,\"message\":\"boom\"},"
	"\"attributes\":[{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
	"{\"key\":\"retry\",\"value\":{\"boolValue\":true}},"
	"{\"key\":\"tags\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"a\"}]}}}]},"
	"{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"b7ad6b7169203331\","
	"\"parentSpanId\":\"00f067aa0ba902b7\",\"name\":\"SELECT\",\"kind\":\"SPAN_KIND_CLIENT\","
	"\"startTimeUnixNano\":1764900000001000000,\"endTimeUnixNano\":1764900000002000000,"
	"\"status\":{\"code\":\"STATUS_CODE_OK\"}},"
	"{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"b7ad6b7169203331\","
	"\"startTimeUnixNano\":\"1\"},"
	"{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"c7ad6b7169203331\","
	"\"startTimeUnixNano\":\"soon\"}"
	"]}]}]}";

int
main(void)
{
	plan(9);
	bi_init("test-otlp");
	jv in = jv_parse(req);
	jv a = bi_otlp_spans(in);
	ok(jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) == 2,
	   "two spans; an all-zero trace id and a start that is no time left out");
	jv s = jv_array_get(jv_copy(a), 0);
	is_str(bi_get_str(s, "trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736", "ids lowered");
	is_str(bi_get_str(s, "ts"), "2025-12-05T02:00:00.000Z", "ts: the start");
	ok(bi_get_num(s, "duration_ms", -1) == 12.5 && !strcmp(bi_get_str(s, "span_kind"), "server") &&
	   !strcmp(bi_get_str(s, "status"), "error") && !strcmp(bi_get_str(s, "status_message"), "boom"),
	   "duration, kind 2 a server span, status 2 an error with its message");
	jv attrs = jv_object_get(jv_copy(s), jv_string("attributes"));
	ok(bi_get_num(attrs, "http.response.status_code", -1) == 503, "an intValue attribute as a number");
	jv tags = jv_object_get(jv_copy(attrs), jv_string("tags"));
	ok(jv_get_kind(jv_object_get(jv_copy(attrs), jv_string("retry"))) == JV_KIND_TRUE &&
	   jv_get_kind(tags) == JV_KIND_OBJECT, "a boolean as a boolean, an array value kept as JSON");
	jv_free(tags);
	jv_free(attrs);
	ok(!strcmp(bi_get_str(s, "service"), "checkout") &&
	   jv_get_kind(jv_object_get(jv_copy(s), jv_string("parent_id"))) == JV_KIND_NULL,
	   "the resource's service.name; a root span's parent_id null");
	jv_free(s);
	s = jv_array_get(jv_copy(a), 1);
	ok(!strcmp(bi_get_str(s, "parent_id"), "00f067aa0ba902b7") &&
	   !strcmp(bi_get_str(s, "span_kind"), "client") && !strcmp(bi_get_str(s, "status"), "ok") &&
	   fabs(bi_get_num(s, "duration_ms", -1) - 1) < 0.001,
	   "names of enums, numbers as times (a double's precision), its parent");
	jv_free(s);
	jv_free(a);
	jv_free(in);
	jv none = jv_parse("{\"resourceLogs\":[]}");
	a = bi_otlp_spans(none);
	ok(!jv_is_valid(a) && jv_invalid_has_msg(jv_copy(a)), "logs, not spans: refused with a reason");
	jv_free(a);
	jv_free(none);
	return done();
}
