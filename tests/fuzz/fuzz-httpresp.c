/* fuzz-httpresp: a stream of HTTP responses, as a keep-alive connection
 * would carry them, fed whole and again in random-sized pieces. Each feed
 * uses no more than it was given, leaves bytes over only once a response is
 * whole, stays refused once refused; and the pieces change nothing: the
 * same responses, the same lengths, statuses and closes.
 * Input: a flags byte (bit 0: the requests were HEAD), two bytes seeding
 * the cuts, then the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/httpresp.h"

#define MAX_RESP 64

struct outcome {
	size_t used;
	int phase, status, close;
};

struct run {
	struct outcome o[MAX_RESP + 1];
	int n;
	int eof;
};

static size_t
piece(uint64_t *s, size_t left)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	size_t k;
	switch (x & 3) {
	case 0: k = 1; break;
	case 1: k = 1 + (x >> 8) % 16; break;
	case 2: k = 1 + (x >> 8) % 300; break;
	default: k = 1 + (x >> 8) % 9000; break;
	}
	return k < left ? k : left;
}

static void
record(struct run *out, const bi_resp *r, size_t used)
{
	out->o[out->n++] = (struct outcome){used, r->phase, r->status, r->close};
}

/* Feed d[0..n) in pieces (seed 0: in one), a new parser after each whole
 * response until one closes the connection or is refused. */
static void
run(const uint8_t *d, size_t n, int no_body, uint64_t seed, struct run *out)
{
	static bi_resp r;
	size_t at = 0, mine = 0;	/* mine: bytes the current response used */

	memset(out, 0, sizeof *out);
	bi_resp_init(&r, no_body);
	while (at < n) {
		size_t k = seed ? piece(&seed, n - at) : n - at, off = 0;
		while (off < k) {
			long u = bi_resp_feed(&r, (const char *)d + at + off, k - off);
			if (u < 0) {
				if (r.phase != BI_RESP_BAD || bi_resp_feed(&r, "x", 1) != -1 || bi_resp_eof(&r))
					abort();	/* refused must stay refused */
				record(out, &r, 0);	/* what it took before is no matter */
				return;
			}
			if ((size_t)u > k - off || r.hlen > BI_RESP_HEAD_MAX)
				abort();	/* used more than given */
			off += (size_t)u;
			mine += (size_t)u;
			if (bi_resp_done(&r)) {
				if (r.status < 100 || r.status > 599 || (r.status < 200 && r.status != 101))
					abort();	/* whole, with a final status */
				if (bi_resp_feed(&r, "HTTP/1.1 200 OK\r\n\r\n", 19) != 0 || !bi_resp_eof(&r))
					abort();	/* a whole response takes no more */
				record(out, &r, mine);
				if (r.close || out->n == MAX_RESP)
					return;
				bi_resp_init(&r, no_body);
				mine = 0;
			} else if (off < k) {
				abort();	/* bytes left over before the end */
			}
		}
		at += k;
	}
	out->eof = bi_resp_eof(&r);
	record(out, &r, mine);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct run whole, cut;

	if (n < 3)
		return 0;
	int no_body = data[0] & 1;
	uint64_t seed = (uint64_t)data[1] << 8 | data[2] | UINT64_C(1) << 32;
	run(data + 3, n - 3, no_body, 0, &whole);
	run(data + 3, n - 3, no_body, seed, &cut);
	if (whole.n != cut.n || whole.eof != cut.eof)
		abort();
	for (int i = 0; i < whole.n; i++) {
		const struct outcome *a = &whole.o[i], *b = &cut.o[i];
		if (a->used != b->used || a->phase != b->phase || a->status != b->status ||
		    a->close != b->close)
			abort();	/* the pieces changed the outcome */
	}
	return 0;
}
