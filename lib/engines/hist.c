/*
 * hist.c: a log-linear histogram. Values below 256 have a bucket each; above,
 * every power of two is cut into 128 equal buckets, so a bucket is at most
 * 1/128 of its value wide and its midpoint within 0.4% of anything in it.
 * 7,424 counters cover 0 to 2^64; recording is a few instructions.
 *
 * Layer: engines.
 */
#include <math.h>
#include <string.h>

#include "engines/hist.h"
static size_t
index_of(uint64_t v)
{
	if (v < 256)
		return (size_t)v;
	int e = 63 - __builtin_clzll(v);		/* 8 .. 63 */
	uint64_t sub = (v >> (e - 7)) & 127;		/* the 7 bits after the top one */
	return 256 + (size_t)(e - 8) * 128 + sub;
}

/* The lowest value of bucket i and its width. */
static void
bounds(size_t i, double *lo, double *width)
{
	if (i < 256) {
		*lo = (double)i;
		*width = 1;
		return;
	}
	int e = (int)((i - 256) / 128) + 8;
	uint64_t sub = (i - 256) % 128;
	*width = ldexp(1.0, e - 7);
	*lo = ldexp(1.0, e) + (double)sub * *width;
}

void
bi_hist_reset(bi_hist *h)
{
	memset(h, 0, sizeof *h);
}

void
bi_hist_add(bi_hist *h, uint64_t v)
{
	h->count[index_of(v)]++;
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += (double)v;
}

void
bi_hist_merge(bi_hist *dst, const bi_hist *src)
{
	if (src->n == 0)
		return;
	for (size_t i = 0; i < BI_HIST_BUCKETS; i++)
		dst->count[i] += src->count[i];
	if (dst->n == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
}

double
bi_hist_quantile(const bi_hist *h, double q)
{
	if (h->n == 0)
		return 0;
	if (q <= 0)
		return (double)h->min;
	if (q >= 1)
		return (double)h->max;
	uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < BI_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank) {
			double lo, w;
			bounds(i, &lo, &w);
			double mid = i < 256 ? lo : lo + w / 2;
			/* Never outside what was seen. */
			if (mid < (double)h->min)
				mid = (double)h->min;
			if (mid > (double)h->max)
				mid = (double)h->max;
			return mid;
		}
	}
	return (double)h->max;
}

double
bi_hist_mean(const bi_hist *h)
{
	return h->n ? h->sum / (double)h->n : 0;
}
