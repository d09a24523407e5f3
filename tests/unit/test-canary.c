/* test-canary: the canary analysis: scrapes summed into counts, windows
 * (with a restart), each check and its limit, waiting for traffic, the
 * comparisons with stable, the steps of the configuration, and what a run
 * does after each analysis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonl.h"
#include "base/config.h"
#include "analysis/canary.h"
#include "tap.h"

/* A scrape as the c-service template writes one: two routes, statuses by
 * code, a histogram per route, and the scrapes themselves. */
static const char scrape1[] =
	"# TYPE http_requests_total counter\n"
	"http_requests_total{method=\"GET\",path=\"/hello\",status=\"200\"} 90\n"
	"http_requests_total{method=\"GET\",path=\"/hello\",status=\"503\"} 6\n"
	"http_requests_total{method=\"GET\",path=\"/hello\",status=\"404\"} 4\n"
	"http_requests_total{method=\"GET\",path=\"/metrics\",status=\"200\"} 1000\n"
	"# TYPE http_request_duration_seconds histogram\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/hello\",le=\"0.01\"} 50\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/hello\",le=\"0.1\"} 90\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/hello\",le=\"1\"} 100\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/hello\",le=\"+Inf\"} 100\n"
	"http_request_duration_seconds_sum{method=\"GET\",path=\"/hello\"} 3\n"
	"http_request_duration_seconds_count{method=\"GET\",path=\"/hello\"} 100\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/metrics\",le=\"0.01\"} 1000\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/metrics\",le=\"0.1\"} 1000\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/metrics\",le=\"1\"} 1000\n"
	"http_request_duration_seconds_bucket{method=\"GET\",path=\"/metrics\",le=\"+Inf\"} 1000\n";

/* Counts made by hand: n requests, e errors, all answered under le1 s
 * except slow ones between le1 and 1 s. */
static bi_canary_counts
counts(double n, double e, double le1, double slow)
{
	bi_canary_counts c = {.requests = n, .errors = e, .nb = 3};
	c.le[0] = le1; c.le[1] = 1; c.le[2] = INFINITY;
	c.count[0] = n - slow; c.count[1] = n; c.count[2] = n;
	return c;
}

static const char *
decision(jv a)
{
	static char buf[32];
	snprintf(buf, sizeof buf, "%s", bi_get_text(a, "decision", "?"));
	return buf;
}

static jv
yaml(const char *text)
{
	return bi_yaml_parse(text, strlen(text), "test.yaml");
}

int
main(void)
{
	bi_canary_limits l;
	bi_canary_counts a, b, w;
	char err[256];
	jv cfg, r;

	plan(42);

	/* Scrapes. */
	bi_canary_names skip = {.skip_path = "/metrics"};
	ok(bi_canary_scrape(scrape1, sizeof scrape1 - 1, &skip, &a) > 0, "a scrape is read");
	is_num(a.requests, 100, "requests summed over statuses, the scrapes left out");
	is_num(a.errors, 6, "5xx are errors, a 404 is not");
	is_num(a.nb, 4, "the four bounds of /hello's histogram");
	is_num(a.count[2], 100, "the +Inf bucket of /hello only");
	ok(bi_canary_scrape(scrape1, sizeof scrape1 - 1, NULL, &b) > 0 && b.requests == 1100,
	   "without skip_path every series counts (%g)", b.requests);
	bi_canary_names other = {.requests = "app_requests", .duration = "app_seconds"};
	is_num(bi_canary_scrape(scrape1, sizeof scrape1 - 1, &other, &b), -1,
	       "names that are not in the scrape: -1");
	is_num(b.requests, 0, "and nothing counted");

	/* Windows. */
	bi_canary_counts before = counts(40, 2, 0.01, 4), now = counts(140, 12, 0.01, 14);
	bi_canary_window(&now, &before, &w);
	ok(w.requests == 100 && w.errors == 10 && w.count[0] == 90 && w.count[2] == 100,
	   "a window is the difference of two scrapes");
	bi_canary_window(&before, &now, &w);
	ok(w.requests == 40 && w.errors == 2, "counters that went back: the later totals");

	/* Limits. */
	cfg = yaml("canary:\n  analysis:\n    error_rate: 0.05\n    p95_ms: 300\n");
	ok(bi_canary_limits_config(cfg, &l, err, sizeof err) == 0 && l.error_rate == 0.05 &&
	   l.p95_ms == 300 && l.p99_ms == 500 && l.min_requests == 20,
	   "limits from the configuration, defaults for the rest");
	jv_free(cfg);
	cfg = yaml("canary:\n  analysis:\n    p99_ms: fast\n");
	ok(bi_canary_limits_config(cfg, &l, err, sizeof err) == -1 && strstr(err, "canary.analysis.p99_ms"),
	   "a limit that is no number is refused: %s", err);
	jv_free(cfg);
	cfg = jv_object();
	bi_canary_limits_config(cfg, &l, err, sizeof err);
	jv_free(cfg);
	ok(l.error_rate == 0.01 && l.p95_ms == 200 && l.p99_ms == 500,
	   "defaults: error rate 1%%, p95 200 ms, p99 500 ms");

	/* Analyses. */
	bi_canary_counts stable = counts(500, 1, 0.01, 0);
	bi_canary_counts good = counts(100, 0, 0.01, 0);
	r = bi_canary_analyze(&stable, &good, &l);
	is_str(decision(r), "pass", "a canary like stable passes");
	ok(jv_array_length(bi_jv_path(r, "checks")) == 4, "four checks made (latencies under the floor are not compared)");
	is_num(bi_jv_path_num(r, "canary.error_rate", -1), 0, "its error rate in the record");
	ok(bi_jv_path_num(r, "canary.p95_ms", -1) > 0 && bi_jv_path_num(r, "canary.p95_ms", -1) <= 10,
	   "its p95 in ms, inside the first bucket");
	jv_free(r);

	bi_canary_counts bad = counts(100, 20, 0.01, 0);
	r = bi_canary_analyze(&stable, &bad, &l);
	is_str(decision(r), "fail", "20%% errors fail");
	is_str(bi_get_text(r, "reason", ""), "error_rate 0.2 over its limit 0.01", "naming the check");
	ok(jv_equal(bi_jv_path(r, "checks.0.ok"), jv_false()), "the failed check is in the list, not ok");
	jv_free(r);

	bad = counts(100, 1, 0.01, 0);	/* 1 %: at the limit, not over it */
	r = bi_canary_analyze(&stable, &bad, &l);
	is_str(decision(r), "pass", "an error rate at the limit passes");
	jv_free(r);

	bad = counts(100, 0, 0.01, 10);	/* 10 % of requests up to 1 s: p95 ~550 ms */
	r = bi_canary_analyze(&stable, &bad, &l);
	is_str(decision(r), "fail", "a slow tail fails");
	ok(strncmp(bi_get_text(r, "reason", ""), "p95_ms", 6) == 0, "on p95: %s", bi_get_text(r, "reason", ""));
	jv_free(r);

	/* Under the absolute limits, but far worse than stable. */
	l.error_rate = 0.5;
	l.p95_ms = l.p99_ms = 0;
	bad = counts(100, 5, 0.01, 0);
	r = bi_canary_analyze(&stable, &bad, &l);
	is_str(decision(r), "fail", "5%% errors against stable's 0.2%% fail with a margin of 1%%");
	ok(strstr(bi_get_text(r, "reason", ""), "error_rate_vs_stable") != NULL, "on the comparison");
	jv_free(r);
	bi_canary_counts quick = counts(500, 0, 0.001, 0);	/* p95 about 1 ms */
	bi_canary_counts slower = counts(100, 0, 0.2, 0);	/* p95 about 190 ms */
	r = bi_canary_analyze(&quick, &slower, &l);
	is_str(decision(r), "fail", "a p95 many times stable's fails");
	ok(strstr(bi_get_text(r, "reason", ""), "p95_vs_stable") != NULL, "on p95_vs_stable");
	jv_free(r);
	slower = counts(100, 0, 0.02, 0);	/* 19 ms: above 2x stable, under the 50 ms floor */
	r = bi_canary_analyze(&quick, &slower, &l);
	is_str(decision(r), "pass", "under the latency floor the ratio is not held against it");
	jv_free(r);
	bi_canary_counts idle = counts(5, 0, 0.001, 0);
	r = bi_canary_analyze(&idle, &bad, &l);
	ok(!strcmp(decision(r), "pass") && jv_array_length(bi_jv_path(r, "checks")) == 1,
	   "stable without traffic: no comparison with it");
	jv_free(r);

	bi_canary_counts few = counts(19, 10, 0.01, 0);
	r = bi_canary_analyze(&stable, &few, &l);
	is_str(decision(r), "wait", "19 requests (of 20 needed): wait, whatever they say");
	jv_free(r);

	/* Steps. */
	cfg = jv_object();
	r = bi_canary_steps(cfg, err, sizeof err);
	jv_free(cfg);
	ok(jv_array_length(jv_copy(r)) == 4 && bi_jv_path_num(r, "0.weight", 0) == 10 &&
	   bi_jv_path_num(r, "3.weight", 0) == 100 && bi_jv_path_num(r, "1.pause_ms", 0) == 60000,
	   "default steps 10/25/50/100, a minute each");
	jv_free(r);
	cfg = yaml("canary:\n  pause: 3s\n  steps: [20, {weight: 50, pause: 500ms}, 100]\n");
	r = bi_canary_steps(cfg, err, sizeof err);
	jv_free(cfg);
	ok(jv_array_length(jv_copy(r)) == 3 && bi_jv_path_num(r, "0.pause_ms", 0) == 3000 &&
	   bi_jv_path_num(r, "1.pause_ms", 0) == 500 && bi_jv_path_num(r, "2.weight", 0) == 100,
	   "steps and pauses from the configuration");
	jv_free(r);
	cfg = yaml("canary:\n  steps: [50, 20]\n");
	r = bi_canary_steps(cfg, err, sizeof err);
	jv_free(cfg);
	ok(!jv_is_valid(r) && strstr(err, "canary.steps.1"), "falling weights are refused: %s", err);
	jv_free(r);
	cfg = yaml("canary:\n  steps: [0, 100]\n");
	r = bi_canary_steps(cfg, err, sizeof err);
	jv_free(cfg);
	ok(!jv_is_valid(r), "a weight of 0 is refused");
	jv_free(r);

	/* What comes next. */
	bi_canary_run run = {.step = 0, .nsteps = 2, .failure_limit = 1, .inconclusive_limit = 1};
	is_str(bi_canary_next_name(bi_canary_after(&run, "pass", 0)), "stay", "a pass before the pause ends: stay");
	is_str(bi_canary_next_name(bi_canary_after(&run, "pass", 1)), "next", "after it: next");
	run.step = 1;
	is_str(bi_canary_next_name(bi_canary_after(&run, "pass", 1)), "promote", "the last step passed: promote");
	is_str(bi_canary_next_name(bi_canary_after(&run, "fail", 1)), "stay",
	       "a failure within the limit: stay, even when the pause is over");
	is_str(bi_canary_next_name(bi_canary_after(&run, "wait", 1)), "stay", "nothing to say: analyse again");
	is_str(bi_canary_next_name(bi_canary_after(&run, "wait", 0)), "hold", "twice in a row, over a limit of 1: hold");
	bi_canary_after(&run, "pass", 0);
	is_str(bi_canary_next_name(bi_canary_after(&run, "wait", 0)), "stay", "a pass in between starts the count again");
	is_str(bi_canary_next_name(bi_canary_after(&run, "fail", 0)), "abort", "the second failure, over a limit of 1: abort");
	return done();
}
