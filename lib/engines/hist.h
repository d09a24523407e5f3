/* engines/hist.h: the interface of hist.c (layer: engines). */
#ifndef BI_ENGINES_HIST_H
#define BI_ENGINES_HIST_H

#include <stdint.h>

/* A log-linear histogram of non-negative values (nanoseconds, say): exact
 * below 256, then 128 buckets per power of two, so any value read back is
 * within 0.4% of one recorded (bucket midpoints). Fixed size, no allocation
 * while recording; merge adds counts. */
#define BI_HIST_BUCKETS (256 + 56 * 128)
typedef struct bi_hist {
	uint64_t count[BI_HIST_BUCKETS];
	uint64_t n;
	uint64_t min, max;
	double sum;
} bi_hist;

void bi_hist_reset(bi_hist *h);
void bi_hist_add(bi_hist *h, uint64_t v);
void bi_hist_merge(bi_hist *dst, const bi_hist *src);
/* The value at quantile q (0..1), as PromQL-free nearest rank: the smallest
 * recorded bucket whose cumulative count reaches ceil(q * n). 0 if empty. */
double bi_hist_quantile(const bi_hist *h, double q);
double bi_hist_mean(const bi_hist *h);

#endif
