/*
 * stats.c: the statistics that decide whether a difference is more than
 * noise. A sample is summed up by its size, mean and variance; two samples
 * are compared by Welch's t-test, which does not assume that their
 * variances are equal (two load-test runs seldom spread alike). The p-value
 * comes from Student's t distribution through the regularized incomplete
 * beta function, P(|T| >= t) = I(df / (df + t^2); df / 2, 1 / 2), evaluated
 * by its continued fraction (modified Lentz), so that any degrees of
 * freedom, whole or not, get their exact value instead of the nearest row of
 * a table.
 *
 * Layer: base.
 */
#include <float.h>
#include <math.h>

#include "base/stats.h"

bi_summary
bi_summarize(const double *x, size_t n)
{
	bi_summary s = {0, 0, 0};
	double m2 = 0;

	for (size_t i = 0; i < n; i++) {
		double d = x[i] - s.mean;
		s.n++;
		s.mean += d / (double)s.n;
		m2 += d * (x[i] - s.mean);
	}
	if (n > 1)
		s.var = m2 / (double)(n - 1);
	if (s.var < 0)
		s.var = 0;
	return s;
}

/* The continued fraction of I_x(a, b), good where x < (a + 1) / (a + b + 2):
 * 1 / (1 + d1 / (1 + d2 / (1 + ...))) with d(2m+1) = -(a+m)(a+b+m)x /
 * ((a+2m)(a+2m+1)) and d(2m) = m(b-m)x / ((a+2m-1)(a+2m)). */
static double
beta_fraction(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1, d = 1 - (a + b) * x / (a + 1);

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	double f = d;
	for (int m = 1; m <= 1000; m++) {
		double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		for (int odd = 0; odd < 2; odd++) {
			d = 1 + num * d;
			if (fabs(d) < tiny)
				d = tiny;
			c = 1 + num / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1 / d;
			double delta = c * d;
			f *= delta;
			if (odd && fabs(delta - 1) < eps)
				return f;
			num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		}
	}
	return f;	/* converges long before, for the a and b used here */
}

/* The regularized incomplete beta function I_x(a, b). */
static double
inc_beta(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double front = exp(a * log(x) + b * log1p(-x) -
			   (lgamma(a) + lgamma(b) - lgamma(a + b)));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_fraction(a, b, x) / a;
	return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double
bi_student_p(double t, double df)
{
	if (isnan(t) || isnan(df) || df <= 0)
		return NAN;
	if (isinf(t))
		return 0;
	if (t == 0)
		return 1;
	return inc_beta(df / 2, 0.5, df / (df + t * t));
}

int
bi_welch_test(bi_summary a, bi_summary b, bi_welch *w)
{
	if (a.n < 2 || b.n < 2)
		return -1;
	double va = a.var / (double)a.n, vb = b.var / (double)b.n, se2 = va + vb;
	double diff = a.mean - b.mean;

	if (se2 <= 0) {
		w->t = diff > 0 ? INFINITY : diff < 0 ? -INFINITY : 0;
		w->df = NAN;
		w->p = diff != 0 ? 0 : 1;
		return 0;
	}
	w->t = diff / sqrt(se2);
	w->df = se2 * se2 / (va * va / (double)(a.n - 1) + vb * vb / (double)(b.n - 1));
	w->p = bi_student_p(w->t, w->df);
	return 0;
}
