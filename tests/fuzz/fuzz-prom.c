/* fuzz-prom: the exposition parser, both dialects, and the quantile math on
 * whatever buckets it yields. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonl.h"
#include "engines/prom.h"
struct acc {
	double le[32], count[32];
	int n;
};

static int
take(void *ctx, const bi_prom_sample *s)
{
	struct acc *a = ctx;
	const char *le = bi_get_str(s->labels, "le");
	if (le && a->n < 32) {
		a->le[a->n] = !strcmp(le, "+Inf") ? INFINITY : atof(le);
		a->count[a->n++] = s->value;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	for (int flags = 0; flags <= 3; flags++) {
		struct acc a = {.n = 0};
		bi_prom_parse((const char *)data, n, flags, take, NULL, &a);
		bi_prom_quantile(0.95, a.le, a.count, a.n);
		int64_t t[32];
		for (int i = 0; i < a.n; i++)
			t[i] = i * 1000;
		bi_prom_rate(t, a.count, a.n, -5000, 40000, 1);
	}
	return 0;
}
