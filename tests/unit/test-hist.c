/* test-hist: the log-linear histogram's error bound, quantiles and merge. */
#include <stdlib.h>

#include "engines/hist.h"
#include "tap.h"

int
main(void)
{
	static bi_hist h, a, b;
	plan(12);

	/* Every single value comes back within 0.4%. */
	double worst = 0;
	uint64_t v = 1;
	for (int i = 0; i < 200000; i++) {
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t x = (v >> 20) % 100000000000ULL + 1;
		bi_hist_reset(&h);
		bi_hist_add(&h, x);
		bi_hist_add(&h, x);	/* min/max clamping would hide the error with one */
		h.min = 0;
		h.max = UINT64_MAX;
		double err = fabs(bi_hist_quantile(&h, 0.5) - (double)x) / (double)x;
		if (err > worst)
			worst = err;
	}
	ok(worst <= 0.004, "worst relative error %.4f%% over 200000 values up to 100 s", worst * 100);

	bi_hist_reset(&h);
	for (uint64_t i = 1; i <= 100000; i++)
		bi_hist_add(&h, i * 1000);	/* 1 us .. 100 ms, uniform */
	near(bi_hist_quantile(&h, 0.5), 50e6, 50e6 * 0.01, "p50 of a uniform spread");
	near(bi_hist_quantile(&h, 0.99), 99e6, 99e6 * 0.01, "p99");
	near(bi_hist_quantile(&h, 0.999), 99.9e6, 99.9e6 * 0.01, "p99.9");
	is_num(bi_hist_quantile(&h, 0), 1000, "p0 is the minimum");
	is_num(bi_hist_quantile(&h, 1), 100e6, "p100 is the maximum");
	near(bi_hist_mean(&h), 50.0005e6, 1, "mean is exact");

	bi_hist_reset(&a);
	bi_hist_reset(&b);
	for (int i = 0; i < 1000; i++)
		bi_hist_add(&a, 20000000);	/* 20 ms */
	for (int i = 0; i < 10; i++)
		bi_hist_add(&b, 1000000000);	/* 1 s */
	bi_hist_merge(&a, &b);
	is_num(a.n, 1010, "merged count");
	near(bi_hist_quantile(&a, 0.5), 20e6, 20e6 * 0.004, "merged p50 stays 20 ms");
	near(bi_hist_quantile(&a, 0.999), 1e9, 1e9 * 0.004, "merged p99.9 shows the stall");
	is_num(a.max, 1000000000, "merged max");

	bi_hist_reset(&h);
	is_num(bi_hist_quantile(&h, 0.5), 0, "empty: 0");
	return done();
}
