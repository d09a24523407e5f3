/* fuzz-time: timestamps and durations from arbitrary text. */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *s = malloc(n + 1), buf[BI_TS_LEN], d[64];
	int64_t ns;

	memcpy(s, data, n);
	s[n] = '\0';
	if (bi_ts_parse(s, &ns) == 0)
		bi_ts_fmt(ns, buf);
	if (bi_dur_parse(s, &ns) == 0)
		bi_dur_fmt(ns, d, sizeof d);
	bi_when_parse(s, 0, &ns);
	free(s);
	return 0;
}
