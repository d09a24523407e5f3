/* test-stats: summaries, Student's t p-values and Welch's test, against
 * values computed independently: the summaries with python3's statistics
 * module, the p-values by Simpson's rule over Student's density (200 000
 * steps) and the textbook's two-sided 5% critical values. */
#include <math.h>

#include "base/stats.h"
#include "tap.h"

int
main(void)
{
	plan(19);

	/* statistics.mean and statistics.variance of the same values. */
	static const double a[] = {101.0, 99.5, 100.2, 98.7, 102.3, 100.9, 99.1};
	static const double b[] = {103.2, 104.1, 102.8, 105.0, 103.7};
	bi_summary sa = bi_summarize(a, 7), sb = bi_summarize(b, 5);
	ok(sa.n == 7 && sb.n == 5, "sizes");
	near(sa.mean, 100.24285714285715, 1e-12, "mean, as statistics.mean");
	near(sa.var, 1.5795238095238096, 1e-12, "sample variance (n - 1), as statistics.variance");
	near(sb.var, 0.7229999999999995, 1e-12, "... of the other");
	static const double big[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
	bi_summary sbig = bi_summarize(big, 4);
	near(sbig.var, 30, 1e-6, "a small spread around a large mean is kept (30)");
	bi_summary one = bi_summarize(a, 1), none = bi_summarize(NULL, 0);
	ok(one.var == 0 && one.mean == 101.0 && none.n == 0 && none.mean == 0,
	   "one value: no variance; none: zeros");

	/* Textbook two-sided 5% critical values give p = 0.05. */
	near(bi_student_p(12.706, 1), 0.05, 1e-4, "t 12.706 with 1 df: p 0.05");
	near(bi_student_p(2.228, 10), 0.05, 1e-4, "t 2.228 with 10 df: p 0.05");
	near(bi_student_p(2.228, 10), 0.050011771817099704, 1e-9, "... 0.0500118 exactly, as integrated");
	near(bi_student_p(-1.0, 3), 0.39100221895577125, 1e-9, "t -1 with 3 df: 0.391, the sign ignored");
	near(bi_student_p(2.5, 7.5), 0.03882025827363389, 1e-9, "fractional df (7.5)");
	near(bi_student_p(4.0, 2.2), 0.04873062672776529, 1e-9, "few fractional df (2.2)");
	near(bi_student_p(0.3, 40), 0.7657307167710182, 1e-9, "a small t: a large p");
	near(bi_student_p(1.96, 1000), 0.05027318495566535, 1e-9, "many df: near the normal's 0.05");
	ok(bi_student_p(0, 5) == 1 && bi_student_p(INFINITY, 5) == 0 && isnan(bi_student_p(1, 0)),
	   "t 0: p 1; infinite t: p 0; no df: NaN");

	/* Welch's test of the two samples. */
	bi_welch w;
	ok(bi_welch_test(sa, sb, &w) == 0, "Welch's test of two samples");
	ok(fabs(w.t - -5.780224006055049) < 1e-9 && fabs(w.df - 9.99628113456477) < 1e-9,
	   "t %.6f and df %.6f as computed from statistics' mean and variance", w.t, w.df);
	near(w.p, 0.00017793563015622293, 1e-9, "p, as integrated");
	bi_summary flat1 = {3, 10, 0}, flat2 = {3, 12, 0};
	ok(bi_welch_test(flat1, flat2, &w) == 0 && w.p == 0 && isinf(w.t) &&
	   bi_welch_test(flat1, flat1, &w) == 0 && w.p == 1 && w.t == 0 &&
	   bi_welch_test(one, sb, &w) == -1,
	   "no spread: a difference is certain, none is none; one value: no test");
	return done();
}
