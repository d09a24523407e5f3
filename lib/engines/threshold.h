/* engines/threshold.h: the interface of threshold.c (layer: engines). */
#ifndef BI_ENGINES_THRESHOLD_H
#define BI_ENGINES_THRESHOLD_H

#include <stddef.h>

#include "engines/load.h"
/* A k6 threshold: METRIC: AGGREGATE OP NUMBER, about http_req_duration (avg,
 * min, max, med, p(N): ms), http_req_failed (rate) or http_reqs (rate per
 * second, count). */
typedef struct bi_threshold {
	char metric[64], expr[128];	/* as written, for reports */
	char agg[16];			/* avg min max med p rate count */
	double p;			/* N of p(N) */
	char op[3];
	double limit;
	double value;			/* measured by bi_threshold_judge; NaN: none */
	int ok;
} bi_threshold;

/* Parse expr about metric ("p(95)<500"), or with metric NULL a whole
 * "http_req_failed: rate<0.01" (a bare expression is about durations, or
 * failures when it starts with rate). 0, or -1 with the reason in err. */
int bi_threshold_parse(bi_threshold *t, const char *metric, const char *expr, char *err, size_t n);

/* Measure t on the stats of a run of secs seconds; t->ok, also returned.
 * A duration threshold with no answered request does not hold. */
int bi_threshold_judge(bi_threshold *t, const bi_load_stats *s, double secs);

#endif
