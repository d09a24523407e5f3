/* analysis/canary.h: the interface of canary.c (layer: analysis). */
#ifndef BI_ANALYSIS_CANARY_H
#define BI_ANALYSIS_CANARY_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* What one version answered, summed over its series: requests, those that
 * failed (status 5xx), and its duration histogram (bucket bounds in seconds,
 * ascending, +Inf last; cumulative counts). Either the totals of a scrape or
 * the difference of two (a window). */
#define BI_CANARY_BUCKETS 64
typedef struct bi_canary_counts {
	double requests, errors;
	int nb;
	double le[BI_CANARY_BUCKETS];
	double count[BI_CANARY_BUCKETS];
} bi_canary_counts;

/* The metric names to read (the template's REQUESTS_METRIC and
 * DURATION_METRIC), and a path label whose series are left out (the scrapes
 * themselves: "/metrics"); NULL fields take the defaults
 * http_requests_total, http_request_duration_seconds, none. */
typedef struct bi_canary_names {
	const char *requests, *duration, *skip_path;
} bi_canary_names;

/* Sum a scrape (Prometheus text) into *out: the requests counter by its
 * status label (5xx are errors), the duration histogram's buckets merged by
 * bound. Returns the samples used; -1 when the text held neither metric
 * (then *out is zeroed), which for a version that answers means the names
 * are wrong. */
int bi_canary_scrape(const char *text, size_t len, const bi_canary_names *names,
		     bi_canary_counts *out);

/* The window between two scrapes, now minus before, into *out. A version
 * whose counters went back (it restarted) counts from zero: its window is
 * now's totals. */
void bi_canary_window(const bi_canary_counts *now, const bi_canary_counts *before,
		      bi_canary_counts *out);

/* The checks an analysis makes. A check with a limit <= 0 is not made. */
typedef struct bi_canary_limits {
	double error_rate;	/* the canary's error rate must stay under this (0.01) */
	double p95_ms, p99_ms;	/* and its latencies (200, 500) */
	double min_requests;	/* fewer canary requests in a window: wait (20) */
	double error_margin;	/* canary's error rate - stable's at most this (0.01) */
	double latency_ratio;	/* canary's p95/p99 at most this times stable's (2) */
	double latency_floor_ms; /* ... unless it is under this (50) */
} bi_canary_limits;

/* The defaults, then what cfg (borrowed: blissful-infra.yaml) says under
 * canary.analysis (error_rate, p95_ms, p99_ms, min_requests, error_margin,
 * latency_ratio, latency_floor_ms). A value that is not a number >= 0 is an
 * error: -1 with the reason in err. */
int bi_canary_limits_config(jv cfg, bi_canary_limits *l, char *err, size_t n);

/* One analysis of a window of each version: an object
 *   {decision: "pass"|"fail"|"wait", reason,
 *    canary: {requests, errors, error_rate, p95_ms, p99_ms},
 *    stable: {... the same},
 *    checks: [{check, value, limit, ok}]}
 * "wait" when the canary answered fewer than min_requests (nothing can be
 * said yet); "fail" when any check failed, the reason naming the first;
 * else "pass". The comparisons with stable are made only when stable
 * answered min_requests itself. Latencies are null without a histogram. */
jv bi_canary_analyze(const bi_canary_counts *stable, const bi_canary_counts *canary,
		     const bi_canary_limits *l);

/* The steps: cfg's canary.steps, each a weight (percent to the canary, 1 to
 * 100) or {weight, pause}; a step without a pause takes canary.pause (1m).
 * Without canary.steps: 10, 25, 50, 100. Weights must rise. Returns an array
 * of {weight, pause_ms}, or jv_invalid with the reason in err. */
jv bi_canary_steps(jv cfg, char *err, size_t n);

/* What a run does next, from its last analysis. */
enum bi_canary_next {
	BI_CANARY_STAY,		/* keep the step, analyse again */
	BI_CANARY_NEXT,		/* on to the next step */
	BI_CANARY_PROMOTE,	/* the last step passed */
	BI_CANARY_ABORT,	/* too many failed analyses */
	BI_CANARY_HOLD		/* too many analyses in a row could say nothing
				   (too little traffic): wait for a person */
};
typedef struct bi_canary_run {
	int step, nsteps;	/* the current step, from 0 */
	int failures;		/* failed analyses so far, the whole run */
	int failure_limit;	/* more than this aborts (Argo Rollouts' failureLimit) */
	int inconclusive;	/* "wait" analyses in a row */
	int inconclusive_limit;	/* more than this holds (inconclusiveLimit) */
} bi_canary_run;

/* Count decision ("pass", "fail" or "wait") into r and say what comes next;
 * pause_over says the step's pause has run out. A failure beyond the limit
 * aborts at once; more waits in a row than their limit hold; a step moves on
 * only when its pause is over and its last analysis passed. Does not move
 * r->step: the caller does, on NEXT. */
enum bi_canary_next bi_canary_after(bi_canary_run *r, const char *decision, int pause_over);
const char *bi_canary_next_name(enum bi_canary_next x);

#endif
