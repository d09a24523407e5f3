/* fuzz-k8s: kubectl's JSON, whatever shape it takes, read as events and as
 * pods; every record that comes out must print.
 *
 * The input is parsed once, and only when our own scanner (bi_json_scan,
 * on the input as the value of a one-key object, so that any JSON value
 * passes) vouches that it is JSON: libjq 1.6 leaks a string on some
 * malformed input (["a" "b"]: a value after a value), which is libjq's to
 * fuzz, not ours; anything else is read as the invalid value it parses to.
 * With no leak but ours possible, LeakSanitizer needs no suppression of a
 * libjq frame, and so neither the slow unwinding on every malloc that
 * finding that frame takes (libjq has no frame pointers) nor a leak check
 * after every input that made libjq leak: together they were nine tenths
 * of the time. To see a leak's whole stack, run its input again with
 * ASAN_OPTIONS=fast_unwind_on_malloc=0. */
#include "base/util.h"
#include "base/jsonl.h"
#include "sources/k8s.h"

static jv
parse_vouched(const char *p, size_t n)
{
	static const char *const none[] = {NULL};
	bi_json_span v;
	bi_buf b = {0};

	bi_buf_adds(&b, "{\"v\":");
	bi_buf_add(&b, p, n);
	bi_buf_adds(&b, "}");
	int json = bi_json_scan(b.p, b.len, none, &v);
	bi_buf_free(&b);
	return json ? jv_parse_sized(p, (int)n) : jv_invalid();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n > (1 << 20))
		return 0;
	jv (*read[])(jv) = {bi_k8s_events, bi_k8s_pods};
	jv list = parse_vouched((const char *)data, n);
	for (int i = 0; i < 2; i++) {
		jv recs = read[i](jv_copy(list));
		if (jv_is_valid(recs))
			jv_free(jv_dump_string(recs, 0));
		else
			jv_free(recs);
	}
	jv_free(list);
	return 0;
}
