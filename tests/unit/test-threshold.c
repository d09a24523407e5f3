/*
 * test-threshold: k6 threshold expressions parsed as k6 writes them, the
 * typos refused with a reason, and each aggregate judged on known figures.
 */
#include <math.h>
#include <stdlib.h>

#include "base/util.h"
#include "engines/hist.h"
#include "engines/load.h"
#include "engines/threshold.h"
#include "tap.h"

static const char *
parsed(const char *metric, const char *expr)
{
	static char out[400];
	char err[300];
	bi_threshold t;

	if (bi_threshold_parse(&t, metric, expr, err, sizeof err) != 0)
		snprintf(out, sizeof out, "error: %s", err);
	else
		snprintf(out, sizeof out, "%s|%s|%s|%g|%s|%g", t.metric, t.expr, t.agg, t.p, t.op, t.limit);
	return out;
}

static int
holds(const char *arg, const bi_load_stats *s, double secs, double *value)
{
	bi_threshold t;
	char err[300];

	if (bi_threshold_parse(&t, NULL, arg, err, sizeof err) != 0) {
		printf("# %s\n", err);
		return -1;
	}
	int ok_ = bi_threshold_judge(&t, s, secs);
	*value = t.value;
	return ok_;
}

int
main(void)
{
	plan(24);
	bi_init("test-threshold");

	is_str(parsed(NULL, "http_req_duration: p(95)<500"), "http_req_duration|p(95)<500|p|95|<|500",
	       "metric: p(N) < limit");
	is_str(parsed(NULL, "p(99.9) <= 1000"), "http_req_duration|p(99.9) <= 1000|p|99.9|<=|1000",
	       "bare: about durations, spaces allowed");
	is_str(parsed(NULL, "rate<0.01"), "http_req_failed|rate<0.01|rate|0|<|0.01", "bare rate: about failures");
	is_str(parsed(NULL, "http_reqs : count>=100"), "http_reqs|count>=100|count|0|>=|100",
	       "space before the colon");
	is_str(parsed("http_req_duration", "  avg<200"), "http_req_duration|avg<200|avg|0|<|200",
	       "metric given apart (a scenario file's form)");
	is_str(parsed(NULL, "med!=3"), "http_req_duration|med!=3|med|0|!=|3", "!=");

	ok(!strncmp(parsed(NULL, "p(0)<5"), "error: threshold p(0)<5: bad percentile", 38), "p(0) refused");
	ok(!strncmp(parsed(NULL, "p(101)<5"), "error: threshold p(101)<5: bad percentile", 40), "p(101) refused");
	ok(strstr(parsed(NULL, "p95<5"), "expected <") != NULL, "p95 (not k6's p(95)) refused: %s",
	   parsed(NULL, "p95<5"));
	ok(strstr(parsed(NULL, "avg=<5"), "expected <") != NULL, "=< is not an operator: %s", parsed(NULL, "avg=<5"));
	ok(strstr(parsed(NULL, "avg<fast"), "expected a number") != NULL, "a limit must be a number");
	ok(strstr(parsed(NULL, "avg<5 ms"), "expected a number") != NULL, "and nothing after it");
	ok(strstr(parsed(NULL, "http_req_failed: avg<5"), "has no such aggregate") != NULL,
	   "failures have a rate, not an avg: %s", parsed(NULL, "http_req_failed: avg<5"));
	ok(strstr(parsed(NULL, "iterations: count>1"), "known are") != NULL, "an unknown metric: %s",
	   parsed(NULL, "iterations: count>1"));
	ok(!strncmp(parsed(NULL, ""), "error:", 6), "empty refused");

	/* 100 requests, 1..100 ms, 5 failed, over 10 s. */
	bi_load_stats s = {0};
	for (int i = 1; i <= 100; i++)
		bi_hist_add(&s.latency, (uint64_t)i * 1000000);
	s.requests = 100;
	s.failed = 5;
	double v;
	ok(holds("avg<51", &s, 10, &v) == 1 && fabs(v - 50.5) < 0.5, "avg: %g ms", v);
	ok(holds("p(95)<90", &s, 10, &v) == 0 && fabs(v - 95) < 2, "p(95) fails at %g ms", v);
	ok(holds("max<=100", &s, 10, &v) == 1 && fabs(v - 100) < 1, "max: %g", v);
	ok(holds("min>0.5", &s, 10, &v) == 1 && fabs(v - 1) < 0.05, "min: %g", v);
	ok(holds("rate<0.01", &s, 10, &v) == 0 && v == 0.05, "failure rate %g fails < 0.01", v);
	ok(holds("http_reqs: rate>=10", &s, 10, &v) == 1 && v == 10, "10 requests a second");
	ok(holds("http_reqs: count==100", &s, 10, &v) == 1 && v == 100, "count == 100");

	bi_load_stats none = {0};
	ok(holds("avg<1000", &none, 10, &v) == 0 && isnan(v), "no answered request: a duration threshold fails");
	ok(holds("rate<0.01", &none, 10, &v) == 1 && v == 0, "and no failure either: the rate holds");
	return done();
}
