/* fuzz-yaml: blissful-infra.yaml parsing, aliases and all. */
#include "base/jsonl.h"
#include "base/config.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	jv v = bi_yaml_parse((const char *)data, n, "fuzz.yaml");
	if (jv_is_valid(v)) {
		jv s = jv_dump_string(jv_copy(v), 0);
		jv_free(s);
		jv_free(bi_jv_path(v, "a.b.0"));
	}
	jv_free(v);
	return 0;
}
