/* fuzz-llm: an LLM's answer streams (NDJSON or SSE), fed whole and in pieces
 * whose size the input sets, which must come to the same answer; and records
 * digested and condensed into a model's context. The first byte picks the
 * API (bit 0) and streams or records (bit 1), the second the piece size or
 * the context's budget. The rest, as a string, also goes through the
 * address checks (bi_llm_is_local, bi_llm_base_url) and the log-template
 * mask.
 *
 * Only text our own scanner vouches for reaches libjq (fuzz.h says why): a
 * record line it does not vouch for is skipped, and in a stream line the
 * JSON it does not vouch for is replaced by "}", which libjq refuses
 * without leaking (the chunk is malformed all the same). Without the leaks
 * of libjq that guard keeps out, the checks that LeakSanitizer made for
 * them were most of the time. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/context.h"
#include "analysis/llm.h"

#include "fuzz.h"

/* The stream p[0..n) with the JSON of each line that bi_llm_chunk_parse
 * would parse, and our scanner does not vouch for, replaced by "}". */
static void
clean(int api, const char *p, size_t n, bi_buf *out)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), cr = len && p[len - 1] == '\r';
		size_t at = 0;	/* where the JSON starts, as bi_llm_chunk_parse finds it */
		int json = len - cr > 0;
		if (json && api == BI_LLM_OPENAI) {
			json = p[0] != ':' && len - cr >= 5 && !memcmp(p, "data:", 5);
			at = 5 + (len - cr > 5 && p[5] == ' ');
			json = json && !(len - cr - at == 6 && !memcmp(p + at, "[DONE]", 6));
		}
		if (json && !fuzz_vouched(p + at, len - cr - at)) {
			bi_buf_add(out, p, at);
			bi_buf_adds(out, "}");
			bi_buf_add(out, p + len - cr, cr);
		} else {
			bi_buf_add(out, p, len);
		}
		if (nl)
			bi_buf_adds(out, "\n");
		p += len + (nl != NULL);
	}
}

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
streams(int api, const char *raw, size_t rawn, size_t step)
{
	bi_llm_stream whole = {.api = api}, cut = {.api = api};
	bi_buf b = {0};

	clean(api, raw, rawn, &b);
	const char *p = b.p ? b.p : "";
	size_t n = b.len;
	feed(&whole, p, n, n ? n : 1);
	feed(&cut, p, n, step);
	/* How the bytes arrive must not change the answer. */
	if (!same(&whole.text, &cut.text) || !same(&whole.other, &cut.other) ||
	    whole.done != cut.done || whole.tokens != cut.tokens || whole.chunks != cut.chunks ||
	    !whole.error != !cut.error || (whole.error && strcmp(whole.error, cut.error)))
		abort();
	bi_llm_stream_free(&whole);
	bi_llm_stream_free(&cut);
	bi_buf_free(&b);
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
		jv rec = fuzz_parse(p, len);
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

	char *s = malloc(n + 1), err[256];
	memcpy(s, p, n);
	s[n] = '\0';
	bi_llm_is_local(s);
	free(bi_llm_base_url(api, s, err, sizeof err));
	bi_buf b = {0};
	bi_llm_mask(&b, s);
	bi_buf_free(&b);
	free(s);
	return 0;
}
