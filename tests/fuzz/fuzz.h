/* fuzz.h: what the harnesses share, for the inputs that reach libjq.
 *
 * libjq 1.6 leaks a string on some malformed JSON (["a" "b"]: a value after
 * a value), which is libjq's to fuzz, not ours. A harness that hands libjq
 * text from its input hands it only what our own scanner (bi_json_scan)
 * vouches is JSON, so that no leak but ours is possible: LeakSanitizer then
 * needs no suppression of a libjq frame, and neither the slow unwinding on
 * every malloc that finding that frame takes (libjq has no frame pointers)
 * nor a leak check after every input that made libjq leak. To see a leak's
 * whole stack, run its input again with ASAN_OPTIONS=fast_unwind_on_malloc=0.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <jv.h>

#include "base/util.h"
#include "base/jsonl.h"

/* p[0..n) is one JSON value, any kind, by our scanner: it scans it as the
 * value of a one-key object, which is all the scanner reads. */
static inline int
fuzz_vouched(const char *p, size_t n)
{
	static const char *const none[] = {NULL};
	bi_json_span v;
	bi_buf b = {0};

	bi_buf_adds(&b, "{\"v\":");
	bi_buf_add(&b, p, n);
	bi_buf_adds(&b, "}");
	int json = bi_json_scan(b.p, b.len, none, &v);
	bi_buf_free(&b);
	return json;
}

/* p[0..n) parsed by libjq when fuzz_vouched vouches for it; else
 * jv_invalid(), as libjq would have said. */
static inline jv
fuzz_parse(const char *p, size_t n)
{
	return fuzz_vouched(p, n) ? jv_parse_sized(p, (int)n) : jv_invalid();
}

#endif
