/* fuzz-logparse: log lines, JSON or not, through the parser, the level and
 * status detectors and the joiner. */
#include <string.h>

#include "sources/logparse.h"
static void
sink(void *ctx, jv rec)
{
	(void)ctx;
	jv_free(rec);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	bi_logjoin *j = bi_logjoin_new(sink, NULL);
	const char *p = (const char *)data, *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bi_logjoin_feed(j, bi_log_parse(p, len, 1, 1));
		bi_level_detect(p, len);
		bi_log_status(p, len);
		p += len + 1;
	}
	bi_logjoin_free(j);
	return 0;
}
