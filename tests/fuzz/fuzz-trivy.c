/* fuzz-trivy: any JSON read as a Trivy report; the record that comes out
 * must print, and a value that is no report must be refused, not crash.
 * The input reaches libjq only when our scanner vouches for it (fuzz.h). */
#include "sources/trivy.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	int critical;

	if (n > (1 << 20))
		return 0;
	jv rec = bi_trivy_scan(fuzz_parse((const char *)data, n), &critical);
	if (jv_is_valid(rec))
		jv_free(jv_dump_string(rec, 0));
	else
		jv_free(jv_invalid_get_msg(rec));
	return 0;
}
