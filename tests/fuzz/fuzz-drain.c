/* fuzz-drain: any bytes, cut into messages at newlines, through the masker
 * and the template tree; every template read back. The first byte picks the
 * settings (depth 2 to 9, similarity 0.1 to 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/drain.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char spec[40];
	if (n > 0) {
		snprintf(spec, sizeof spec, "sim=%g,depth=%d", (data[0] % 10 + 1) / 10.0, 2 + (data[0] >> 4) % 8);
		setenv("BI_TEMPLATE_SETTINGS", spec, 1);
		data++;
		n--;
	}
	bi_drain *d = bi_drain_new();
	const char *p = (const char *)data, *end = p + n;
	bi_buf b = {0};

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const bi_drain_cluster *c = bi_drain_add(d, p, len);
		if (!c || c->count == 0 || strlen(c->id) != 9)
			__builtin_trap();
		bi_drain_match(d, p, len);
		b.len = 0;
		bi_drain_mask(p, len, &b);
		p += len + 1;
	}
	for (size_t i = 0; i < bi_drain_count(d); i++) {
		const bi_drain_cluster *c = bi_drain_get(d, i);
		if (c->index != i || strlen(bi_drain_text(d, c)) > n * 3 + 16)
			__builtin_trap();
	}
	bi_buf_free(&b);
	bi_drain_free(d);
	return 0;
}
