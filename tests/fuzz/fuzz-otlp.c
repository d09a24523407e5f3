/* fuzz-otlp: any JSON as an OTLP export request; every span record made
 * has its ids and a time, whatever the input. */
#include <stdlib.h>
#include <string.h>

#include "base/jsonl.h"
#include "sources/otlp.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	jv in = jv_parse_sized((const char *)data, (int)n);

	if (jv_is_valid(in)) {
		jv a = bi_otlp_spans(in);
		if (jv_is_valid(a)) {
			jv_array_foreach(a, i, s) {
				const char *t = bi_get_str(s, "trace_id"), *id = bi_get_str(s, "span_id");
				if (!t || strlen(t) != 32 || !id || strlen(id) != 16 || !bi_get_str(s, "ts"))
					abort();
				jv_free(s);
			}
		}
		jv_free(a);
	}
	jv_free(in);
	return 0;
}
