/* test-prom: the exposition parser, rate() and histogram_quantile(). */
#include <math.h>
#include <stdlib.h>

#include "base/util.h"
#include "engines/prom.h"
#include "tap.h"

static bi_buf got, errs;

static int
keep(void *ctx, const bi_prom_sample *s)
{
	(void)ctx;
	jv l = jv_dump_string(jv_copy(s->labels), JV_PRINT_SORTED);
	bi_buf_printf(&got, "%s%s=%g@%lld:%s\n", s->name, jv_string_value(l), s->value,
		      (long long)s->ts_ms, s->type);
	jv_free(l);
	return 0;
}

static void
bad(void *ctx, size_t line, const char *why)
{
	(void)ctx;
	bi_buf_printf(&errs, "%zu: %s\n", line, why);
}

static const char *
P(const char *text, int om)
{
	got.len = errs.len = 0;
	bi_buf_add(&got, NULL, 0);
	bi_buf_add(&errs, NULL, 0);
	bi_prom_parse(text, strlen(text), om ? BI_PROM_OM : 0, keep, bad, NULL);
	return got.p;
}

int
main(void)
{
	plan(24);
	bi_init("test-prom");

	is_str(P("# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
		 "http_requests_total{method=\"GET\",path=\"/a\"} 3\n"
		 "http_requests_total{method=\"POST\",path=\"/b\",} 4 1795481205000\n", 0),
	       "http_requests_total{\"method\":\"GET\",\"path\":\"/a\"}=3@-1:counter\n"
	       "http_requests_total{\"method\":\"POST\",\"path\":\"/b\"}=4@1795481205000:counter\n",
	       "counter with labels, trailing comma, timestamp");
	is_str(P("# TYPE d histogram\nd_bucket{le=\"0.1\"} 1\nd_bucket{le=\"+Inf\"} 2\nd_sum 0.3\nd_count 2\n", 0),
	       "d_bucket{\"le\":\"0.1\"}=1@-1:histogram\nd_bucket{\"le\":\"+Inf\"}=2@-1:histogram\n"
	       "d_sum{}=0.3@-1:histogram\nd_count{}=2@-1:histogram\n", "histogram suffixes take the family's type");
	is_str(P("# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum +Inf\ns_count -Inf\nup 1\n", 0),
	       "s{\"quantile\":\"0.5\"}=nan@-1:summary\ns_sum{}=inf@-1:summary\ns_count{}=-inf@-1:summary\n"
	       "up{}=1@-1:untyped\n", "summary, NaN and infinities, untyped");
	is_str(P("x{a=\"q\\\"uo\\\\te\\nnl\"} 1\n", 0), "x{\"a\":\"q\\\"uo\\\\te\\nnl\"}=1@-1:untyped\n",
	       "label escapes");
	is_str(P("  x { a = \"1\" , b=\"2\" }  5 \r\n", 0), "x{\"a\":\"1\",\"b\":\"2\"}=5@-1:untyped\n",
	       "spaces between tokens, CRLF");
	is_str(P("# TYPE c counter\nc_total 5 # {trace_id=\"abc\"} 1.0 1795481205.1\nc_created 1795481000\n"
		 "# EOF\nafter 1\n", 1),
	       "c_total{}=5@-1:counter\n", "OpenMetrics: exemplar and _created skipped, # EOF ends");
	is_str(P("m 1 1795481205.5\n", 1), "m{}=1@1795481205500:untyped\n", "OpenMetrics timestamps are seconds");
	P("ok 1\nbad{a=\"1\" 2\nalso ok 3\n9bad 1\nx{a=\"1\",a=\"2\"} 1\nv notanumber\nw 1 2 3\nlast 4", 0);
	is_str(got.p, "ok{}=1@-1:untyped\nlast{}=4@-1:untyped\n", "good lines around bad ones kept");
	is_str(errs.p, "2: expected ',' or '}' in the labels\n3: not a value: 'ok'\n"
	       "4: a metric name must start with a letter, '_' or ':'\n5: label a given twice\n"
	       "6: not a value: 'notanumber'\n7: unexpected text after the value\n", "errors name their lines");
	P("x 1 1.5\n", 0);
	is_str(errs.p, "1: a timestamp is whole milliseconds\n", "fractional ms timestamps refused");
	P("", 0);
	is_str(got.p, "", "empty input");

	/* rate() */
	int64_t t1[] = {0, 15000, 30000, 45000, 60000};
	double v1[] = {0, 15, 30, 45, 60};
	near(bi_prom_rate(t1, v1, 5, 0, 60000, 1), 1.0, 1e-12, "a steady counter: 1/s");
	double v2[] = {0, 15, 30, 0, 15};
	near(bi_prom_rate(t1, v2, 5, 0, 60000, 1), 0.75, 1e-12, "a reset is added back");
	int64_t t3[] = {5000, 20000, 35000, 50000};
	double v3[] = {10, 25, 40, 55};
	near(bi_prom_rate(t3, v3, 4, 0, 60000, 1), 1.0, 1e-12, "extrapolated to both edges");
	near(bi_prom_rate(t3, v3, 4, 0, 60000, 0), 60, 1e-12, "increase()");
	int64_t t4[] = {30000, 45000, 60000};
	double v4[] = {1000, 1015, 1030};
	/* Far from the start: extrapolate only half an interval. */
	near(bi_prom_rate(t4, v4, 3, 0, 60000, 1), 30 * (30 + 7.5) / 30 / 60, 1e-12, "half an interval past the first sample");
	double v5[] = {2, 17, 32, 47};
	/* The counter would reach zero 2 s before its first sample, 3 s after
	 * the range starts: extrapolate 2 s back, not 5. */
	near(bi_prom_rate(t3, v5, 4, 0, 60000, 0), 57, 1e-9, "not extrapolated below zero");
	ok(isnan(bi_prom_rate(t1, v1, 1, 0, 60000, 1)), "one sample: NaN");

	/* histogram_quantile() */
	double le[] = {0.5, 0.1, INFINITY, 1};
	double cnt[] = {60, 10, 100, 90};
	near(bi_prom_quantile(0.5, le, cnt, 4), 0.42, 1e-12, "p50 interpolated inside its bucket (any order)");
	near(bi_prom_quantile(0.05, le, cnt, 4), 0.05, 1e-12, "the lowest bucket interpolates from 0");
	is_num(bi_prom_quantile(0.95, le, cnt, 4), 1, "in the +Inf bucket: the highest finite bound");
	double le2[] = {0.1, INFINITY}, zero[] = {0, 0};
	ok(isnan(bi_prom_quantile(0.5, le2, zero, 2)), "no observations: NaN");
	double le3[] = {0.1, 0.2}, c3[] = {1, 2};
	ok(isnan(bi_prom_quantile(0.5, le3, c3, 2)), "no +Inf bucket: NaN");
	ok(isnan(bi_prom_quantile(0.5, le2, c3, 1)), "one bucket: NaN");
	bi_buf_free(&got);
	bi_buf_free(&errs);
	return done();
}
