/* fuzz-k8s: kubectl's JSON, whatever shape it takes, read as events and as
 * pods; every record that comes out must print. */
#include "sources/k8s.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n > (1 << 20))
		return 0;
	jv (*read[])(jv) = {bi_k8s_events, bi_k8s_pods};
	for (int i = 0; i < 2; i++) {
		jv recs = read[i](jv_parse_sized((const char *)data, (int)n));
		if (jv_is_valid(recs))
			jv_free(jv_dump_string(recs, 0));
		else
			jv_free(recs);
	}
	return 0;
}
