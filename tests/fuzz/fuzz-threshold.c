/* fuzz-threshold: any text as a k6 threshold, alone and about each metric;
 * what parses is judged on empty and on some figures. */
#include <stdlib.h>
#include <string.h>

#include "engines/hist.h"
#include "engines/load.h"
#include "engines/threshold.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	static const char *const metrics[] = {NULL, "http_req_duration", "http_req_failed", "http_reqs"};
	char *expr = malloc(n + 1), err[300];
	bi_load_stats s = {0}, none = {0};
	bi_threshold t;

	memcpy(expr, data, n);
	expr[n] = '\0';
	bi_hist_add(&s.latency, 5000000);
	s.requests = 2;
	s.failed = 1;
	for (int i = 0; i < 4; i++)
		if (bi_threshold_parse(&t, metrics[i], expr, err, sizeof err) == 0) {
			bi_threshold_judge(&t, &s, 1);
			bi_threshold_judge(&t, &none, 0);
		}
	free(expr);
	return 0;
}
