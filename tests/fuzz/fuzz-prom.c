/* fuzz-prom: the exposition parser, both dialects, tolerant and strict, and
 * the quantile math on whatever buckets it yields. The strict reading must
 * tell of one bad line at most, and return -1 exactly when it does. No
 * sample may be of a type the parser does not know, and no label value may
 * hold a U+FFFD the text did not (a replaced bad byte) unless its line was
 * told of first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonl.h"
#include "engines/prom.h"
struct acc {
	double le[32], count[32];
	int n;
	int bad;
	int told;		/* bad was called since the last sample */
	int had_fffd;		/* the text holds U+FFFD itself */
};

static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped",
				    "gaugehistogram", "info", "stateset", NULL};

static int
take(void *ctx, const bi_prom_sample *s)
{
	struct acc *a = ctx;
	const char *le = bi_get_str(s->labels, "le");
	if (le && a->n < 32) {
		a->le[a->n] = !strcmp(le, "+Inf") ? INFINITY : atof(le);
		a->count[a->n++] = s->value;
	}
	if (!s->name || !s->type)
		abort();
	const char *const *t = types;
	while (*t && strcmp(*t, s->type))
		t++;
	if (!*t)
		abort();
	if (!a->had_fffd && !a->told && jv_get_kind(s->labels) == JV_KIND_OBJECT) {
		jv_object_foreach(s->labels, k, v) {
			const char *p = jv_string_value(v);
			int n = jv_string_length_bytes(jv_copy(v));
			if (memmem(p, (size_t)n, "\xef\xbf\xbd", 3))
				abort();
			jv_free(k);
			jv_free(v);
		}
	}
	a->told = 0;
	return 0;
}

static void
bad(void *ctx, size_t line, const char *why)
{
	struct acc *a = ctx;
	if (line == 0 || !why || !*why)
		abort();
	a->bad++;
	a->told = 1;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	int had_fffd = memmem(data, n, "\xef\xbf\xbd", 3) != NULL;

	for (int flags = 0; flags <= (BI_PROM_OM | BI_PROM_NO_LABELS | BI_PROM_STRICT); flags++) {
		struct acc a = {.n = 0, .had_fffd = had_fffd};
		long r = bi_prom_parse((const char *)data, n, flags, take, bad, &a);
		if ((flags & BI_PROM_STRICT) && (a.bad > 1 || (r < 0) != (a.bad == 1)))
			abort();
		if (!(flags & BI_PROM_STRICT) && r < 0)
			abort();
		bi_prom_quantile(0.95, a.le, a.count, a.n);
		int64_t t[32];
		for (int i = 0; i < a.n; i++)
			t[i] = i * 1000;
		bi_prom_rate(t, a.count, a.n, -5000, 40000, 1);
	}
	return 0;
}
