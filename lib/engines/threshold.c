/*
 * threshold.c: k6's thresholds on a load test's figures. An expression is
 * AGGREGATE OP NUMBER about a metric: http_req_duration (avg, min, max, med,
 * p(N), in ms), http_req_failed (rate) or http_reqs (rate per second, count).
 * Parsing checks that the aggregate fits the metric, so a typo is a usage
 * error before the run, not a threshold that silently never fails.
 *
 * Layer: engines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/threshold.h"

#include "base/util.h"
#include "engines/hist.h"
#include "engines/load.h"

static int
parse_expr(bi_threshold *t, const char *metric, const char *expr, char *err, size_t n)
{
	expr += strspn(expr, " ");	/* reported without them */
	const char *e = expr;

	if (strlen(e) >= sizeof t->expr)
		return bi_errf(err, n, "threshold %s: too long", expr);
	snprintf(t->metric, sizeof t->metric, "%s", metric);
	snprintf(t->expr, sizeof t->expr, "%s", e);
	if (!strncmp(e, "p(", 2)) {
		char *end;
		t->p = strtod(e + 2, &end);
		if (*end != ')' || !(t->p > 0 && t->p <= 100))
			return bi_errf(err, n, "threshold %s: bad percentile", expr);
		strcpy(t->agg, "p");
		e = end + 1;
	} else {
		size_t k = strspn(e, "abcdefghijklmnopqrstuvwxyz");
		if (k == 0 || k >= sizeof t->agg)
			return bi_errf(err, n, "threshold %s: expected avg, min, max, med, p(N), rate or count", expr);
		memcpy(t->agg, e, k);
		t->agg[k] = '\0';
		e += k;
	}
	e += strspn(e, " ");
	size_t ol = strspn(e, "<>=!");
	if (ol < 1 || ol > 2)
		return bi_errf(err, n, "threshold %s: expected <, <=, >, >=, == or !=", expr);
	memcpy(t->op, e, ol);
	t->op[ol] = '\0';
	static const char *const ops[] = {"<", "<=", ">", ">=", "==", "=", "!=", NULL};
	const char *const *o = ops;
	while (*o && strcmp(*o, t->op))
		o++;
	if (!*o)
		return bi_errf(err, n, "threshold %s: expected <, <=, >, >=, == or !=", expr);
	char *end;
	t->limit = strtod(e + ol, &end);
	end += strspn(end, " ");
	if (end == e + ol || *end || !isfinite(t->limit))
		return bi_errf(err, n, "threshold %s: expected a number", expr);

	static const char *const dur[] = {"avg", "min", "max", "med", "p", NULL};
	int fits = 0;
	if (!strcmp(metric, "http_req_duration"))
		for (const char *const *d = dur; *d; d++)
			fits |= !strcmp(t->agg, *d);
	else if (!strcmp(metric, "http_req_failed"))
		fits = !strcmp(t->agg, "rate");
	else if (!strcmp(metric, "http_reqs"))
		fits = !strcmp(t->agg, "rate") || !strcmp(t->agg, "count");
	else
		return bi_errf(err, n, "threshold on %s: known are http_req_duration, http_req_failed "
			       "and http_reqs", metric);
	if (!fits)
		return bi_errf(err, n, "threshold %s: %s has no such aggregate", expr, metric);
	return 0;
}

int
bi_threshold_parse(bi_threshold *t, const char *metric, const char *expr, char *err, size_t n)
{
	memset(t, 0, sizeof *t);
	t->value = NAN;
	if (metric)
		return parse_expr(t, metric, expr, err, n);
	/* "METRIC: EXPR"; a colon right after an operator is not a metric's. */
	const char *colon = strchr(expr, ':');
	if (colon && colon > expr && !strchr("<>=!", colon[-1])) {
		char m[64];
		size_t len = (size_t)(colon - expr);
		while (len > 0 && expr[len - 1] == ' ')
			len--;
		if (len >= sizeof m)
			return bi_errf(err, n, "threshold %s: no such metric", expr);
		snprintf(m, sizeof m, "%.*s", (int)len, expr);
		return parse_expr(t, m, colon + 1, err, n);
	}
	return parse_expr(t, !strncmp(expr + strspn(expr, " "), "rate", 4) ? "http_req_failed" :
			  "http_req_duration", expr, err, n);
}

int
bi_threshold_judge(bi_threshold *t, const bi_load_stats *s, double secs)
{
	const bi_hist *h = &s->latency;
	double v;

	if (!strcmp(t->metric, "http_req_failed"))
		v = s->requests ? (double)s->failed / (double)s->requests : 0;
	else if (!strcmp(t->metric, "http_reqs"))
		v = !strcmp(t->agg, "count") ? (double)s->requests : secs > 0 ? s->requests / secs : 0;
	else if (h->n == 0)
		v = NAN;	/* no answered request: a duration threshold cannot hold */
	else if (!strcmp(t->agg, "avg"))
		v = bi_hist_mean(h) / 1e6;
	else if (!strcmp(t->agg, "min"))
		v = (double)h->min / 1e6;
	else if (!strcmp(t->agg, "max"))
		v = (double)h->max / 1e6;
	else if (!strcmp(t->agg, "med"))
		v = bi_hist_quantile(h, 0.5) / 1e6;
	else
		v = bi_hist_quantile(h, t->p / 100) / 1e6;
	t->value = v;
	const char *o = t->op;
	double l = t->limit;
	t->ok = !isnan(v) && ((!strcmp(o, "<") && v < l) || (!strcmp(o, "<=") && v <= l) ||
			      (!strcmp(o, ">") && v > l) || (!strcmp(o, ">=") && v >= l) ||
			      ((!strcmp(o, "==") || !strcmp(o, "=")) && v == l) ||
			      (!strcmp(o, "!=") && v != l));
	return t->ok;
}
