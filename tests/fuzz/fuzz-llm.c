/* fuzz-llm: an LLM's answer streams (NDJSON or SSE), fed whole and in pieces
 * whose size the input sets, which must come to the same answer; and records
 * digested and condensed into a model's context. The first byte picks the
 * API (bit 0) and streams or records (bit 1), the second the piece size or
 * the context's budget. The rest, as a string, also goes through the URL
 * checks and the log-template mask. Runs with ASAN_OPTIONS=detect_leaks=0
 * (fuzz-llm.env): libjq 1.6 leaks in jv_parse_sized on some malformed
 * objects ({"a":"b""c"}); test-llm keeps leak checking for our own code. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/llm.h"
static void
feed(bi_llm_stream *s, const char *p, size_t n, size_t step)
{
	for (size_t i = 0; i < n; i += step)
		if (bi_llm_stream_feed(s, p + i, n - i < step ? n - i : step))
			break;
	bi_llm_stream_end(s);
}

static int
same(const bi_buf *a, const bi_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

static void
streams(int api, const char *p, size_t n, size_t step)
{
	bi_llm_stream whole = {.api = api}, cut = {.api = api};

	feed(&whole, p, n, n ? n : 1);
	feed(&cut, p, n, step);
	/* How the bytes arrive must not change the answer. */
	if (!same(&whole.text, &cut.text) || !same(&whole.other, &cut.other) ||
	    whole.done != cut.done || whole.tokens != cut.tokens || whole.chunks != cut.chunks ||
	    !whole.error != !cut.error || (whole.error && strcmp(whole.error, cut.error)))
		abort();
	bi_llm_stream_free(&whole);
	bi_llm_stream_free(&cut);
}

static void
records(const char *p, size_t n, size_t limit)
{
	bi_llm_records r;
	const char *end = p + n;

	bi_llm_records_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		jv rec = jv_parse_sized(p, (int)len);
		if (jv_get_kind(rec) == JV_KIND_OBJECT)
			bi_llm_records_add(&r, rec);
		else
			jv_free(rec);
		p += len + 1;
	}
	char *ctx = bi_llm_context(&r, limit);
	if (strlen(ctx) > limit + 128)	/* room for the note of what was left out */
		abort();
	free(ctx);
	jv fs = bi_llm_findings(&r);
	jv_array_foreach(fs, i, f) {
		free(bi_llm_describe_finding(f, 1));
		jv_free(f);
	}
	jv_free(fs);
	bi_llm_records_free(&r);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n < 2)
		return 0;
	int api = data[0] & 1 ? BI_LLM_OPENAI : BI_LLM_OLLAMA;
	const char *p = (const char *)data + 2;
	n -= 2;
	if (data[0] & 2)
		records(p, n, (size_t)data[1] * 64);
	else
		streams(api, p, n, data[1] % 64 + 1);

	char *s = malloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	bi_llm_is_local(s);
	free(bi_llm_base_url(api, s));
	bi_buf b = {0};
	bi_llm_mask(&b, s);
	bi_buf_free(&b);
	free(s);
	return 0;
}
