/* engines/prom.h: the interface of prom.c (layer: engines). */
#ifndef BI_ENGINES_PROM_H
#define BI_ENGINES_PROM_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* One sample of the Prometheus text exposition format (0.0.4; OpenMetrics
 * with BI_PROM_OM: "# EOF" ends the text, exemplars and the _created samples
 * of typed families are skipped). Borrowed for the duration of the callback. */
typedef struct bi_prom_sample {
	const char *name;
	jv labels;		/* object: label name -> value */
	double value;		/* NaN and +-Inf as given */
	int64_t ts_ms;		/* -1 when the line has none */
	const char *type;	/* its family's TYPE: counter, gauge, histogram,
				   summary, or untyped (OpenMetrics may give its
				   own, as gaugehistogram or info; so may a 0.0.4
				   text read tolerantly) */
} bi_prom_sample;

/* Parse text; fn gets each sample (return nonzero to stop). A malformed line
 * goes to bad (when not NULL) with its number and reason, and is skipped.
 * The tolerant reading (no BI_PROM_STRICT) also gives bad two lines it does
 * not skip: a TYPE line of a type it does not know (the family is then
 * untyped), and a sample with a label value that is not UTF-8 (then given to
 * fn, the value with U+FFFD for each bad sequence, as libjq makes it).
 * Flags: BI_PROM_OM, the text is OpenMetrics (timestamps in seconds);
 * BI_PROM_NO_LABELS, labels are checked but not built (labels is null), for
 * a caller that only counts or checks; BI_PROM_STRICT, refuse what
 * prometheus/common's text parser (promtool's) refuses, and stop at the
 * first malformed line: bad gets that one only (prom.c lists the rules).
 * Returns the samples given to fn, or -1 when the strict reading stopped. */
enum { BI_PROM_OM = 1, BI_PROM_NO_LABELS = 2, BI_PROM_STRICT = 4 };
long bi_prom_parse(const char *text, size_t len, int flags,
		   int (*fn)(void *ctx, const bi_prom_sample *s),
		   void (*bad)(void *ctx, size_t line, const char *why), void *ctx);

/* PromQL's rate() (is_rate) or increase() of one series' samples (times in
 * ms, ascending) in the range [start, end] ms: counter resets added back,
 * extrapolated to the range's edges as Prometheus does. NaN with fewer than
 * two samples. */
double bi_prom_rate(const int64_t *t, const double *v, int n, int64_t start, int64_t end,
		    int is_rate);

/* PromQL's histogram_quantile over buckets (upper bounds le, cumulative
 * counts, any order; le may be +Inf): linear inside the bucket where the rank
 * falls, from 0 in the lowest, the highest finite bound when it falls in the
 * +Inf one; NaN with fewer than two buckets, no +Inf bucket, or no counts. */
double bi_prom_quantile(double q, const double *le, const double *count, int n);

#endif
