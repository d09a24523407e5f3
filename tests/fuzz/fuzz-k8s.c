/* fuzz-k8s: kubectl's JSON, whatever shape it takes, read as events, as
 * pods and as an Argo Rollouts Rollout (and the promote patch made for it);
 * every record that comes out must print.
 *
 * The input is parsed once, and only when our own scanner vouches that it
 * is JSON (fuzz.h says why); anything else is read as the invalid value it
 * parses to. Without the leaks of libjq that guard keeps out, the checks
 * that LeakSanitizer made for them were nine tenths of the time. */
#include "sources/k8s.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n > (1 << 20))
		return 0;
	jv (*read[])(jv) = {bi_k8s_events, bi_k8s_pods};
	jv list = fuzz_parse((const char *)data, n);
	for (int i = 0; i < 2; i++) {
		jv recs = read[i](jv_copy(list));
		if (jv_is_valid(recs))
			jv_free(jv_dump_string(recs, 0));
		else
			jv_free(recs);
	}
	jv st = bi_k8s_rollout(list);
	if (jv_is_valid(st))
		jv_free(jv_dump_string(st, 0));
	else
		jv_free(st);
	char buf[160];
	(void)bi_k8s_promote_patch(list, 0, buf, sizeof buf);
	(void)bi_k8s_promote_patch(list, 1, buf, sizeof buf);
	jv_free(list);
	return 0;
}
