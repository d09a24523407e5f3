/* base/stats.h: the interface of stats.c (layer: base). */
#ifndef BI_BASE_STATS_H
#define BI_BASE_STATS_H

#include <stddef.h>

/* A sample summed up: its size, mean and sample variance (divided by n - 1;
 * 0 when n < 2). */
typedef struct bi_summary {
	size_t n;
	double mean, var;
} bi_summary;

/* The summary of n values (Welford's updates, so that a large mean does not
 * swallow a small spread). Cannot fail; n 0 gives all zeros. */
bi_summary bi_summarize(const double *x, size_t n);

/* Two-sided p-value of Student's t with df degrees of freedom (df > 0, not
 * necessarily whole): the chance of a |T| at least |t|. NaN when df <= 0 or
 * t is NaN. */
double bi_student_p(double t, double df);

/* Welch's t-test of two samples whose variances need not be equal: t (a's
 * mean less b's over the standard error), Welch-Satterthwaite's degrees of
 * freedom, and the two-sided p-value. Both samples need n >= 2: -1 when
 * one is smaller (nothing set). When both variances are 0 there is no
 * spread to weigh the difference against: p is 0 if the means differ and 1
 * if not, t is +-infinity or 0, and df NaN. 0 otherwise. */
typedef struct bi_welch {
	double t, df, p;
} bi_welch;
int bi_welch_test(bi_summary a, bi_summary b, bi_welch *w);

#endif
