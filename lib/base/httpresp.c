/*
 * httpresp.c: where an HTTP/1.x response ends, read from a byte stream in
 * whatever pieces it arrives. The status line and headers, then the body
 * the headers frame (RFC 9112 section 6.3): none for HEAD, 1xx, 204 and
 * 304; chunked when the last transfer coding is chunked; until the close
 * for any other transfer coding or without a length; else Content-Length.
 * Interim 1xx answers are skipped; 101 ends the response and the
 * connection's HTTP. The body is stepped over, never kept.
 *
 * It refuses rather than guesses: a head or trailers over BI_RESP_HEAD_MAX,
 * a header line with no name, lengths that disagree, a chunk size that is
 * not hex. Lines may end in CRLF or a bare LF. The result does not depend
 * on how the stream was cut into pieces. The caller holds one bi_resp per
 * connection; nothing is allocated.
 *
 * Layer: base.
 */
#include <string.h>
#include <strings.h>

#include "base/httpresp.h"

/* Where in a chunked body: the size line, its data, the CRLF after it,
 * the trailers after the last (zero-size) chunk. */
enum { C_SIZE, C_DATA, C_CR, C_LF, C_TRAILER };

/* A chunk-size line (with its extensions) longer than this is refused. */
#define SIZE_LINE_MAX 1024

void
bi_resp_init(bi_resp *r, int no_body)
{
	r->phase = BI_RESP_HEAD;
	r->status = 0;
	r->close = 0;
	r->no_body = no_body;
	r->chunk = C_SIZE;
	r->left = 0;
	r->hlen = 0;
}

static long
bad(bi_resp *r)
{
	r->phase = BI_RESP_BAD;
	return -1;
}

/* The offset just past the empty line that ends a head in b[0..n), or 0
 * when it has not come. start is where a line begins. */
static size_t
head_end(const char *b, size_t start, size_t n)
{
	const char *s = b + start, *e = b + n, *nl;

	while (s < e && (nl = memchr(s, '\n', (size_t)(e - s)))) {
		if (nl == s || (nl == s + 1 && *s == '\r'))
			return (size_t)(nl + 1 - b);
		s = nl + 1;
	}
	return 0;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* True when t[0..n) is want, case aside. */
static int
token_is(const char *t, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(t, want, n) == 0;
}

/* True when the list v[0..n) ("a, b ,c") holds the token want. */
static int
list_has(const char *v, size_t n, const char *want)
{
	const char *e = v + n;

	while (v < e) {
		const char *comma = memchr(v, ',', (size_t)(e - v)), *z = comma ? comma : e;
		while (v < z && is_ws(*v))
			v++;
		const char *t = v;
		while (z > t && is_ws(z[-1]))
			z--;
		if (token_is(t, (size_t)(z - t), want))
			return 1;
		v = comma ? comma + 1 : e;
	}
	return 0;
}

/* True when the last token of the list v[0..n) (trimmed at its end) is want. */
static int
list_ends_with(const char *v, size_t n, const char *want)
{
	const char *e = v + n, *s = e;

	while (s > v && s[-1] != ',')
		s--;
	while (s < e && is_ws(*s))
		s++;
	return token_is(s, (size_t)(e - s), want);
}

/* What the headers say of the body and of the connection. */
struct framing {
	int64_t length;		/* Content-Length; -1: none */
	int te, chunked;	/* a Transfer-Encoding; chunked its last coding */
	int close, keep;	/* Connection: close, keep-alive */
};

/* Read one header line[0..n) (without its line end). 0, or -1. */
static int
header(struct framing *f, const char *line, size_t n)
{
	if (is_ws(line[0]))
		return 0;	/* a folded continuation: nothing we read */
	const char *colon = memchr(line, ':', n);
	if (!colon || colon == line || is_ws(colon[-1]))
		return -1;
	size_t name = (size_t)(colon - line);
	/* Three names matter, told apart by their length first. */
	if (name != 14 && name != 17 && name != 10)
		return 0;
	const char *v = colon + 1, *ve = line + n;
	while (v < ve && is_ws(*v))
		v++;
	while (ve > v && is_ws(ve[-1]))
		ve--;
	size_t vl = (size_t)(ve - v);
	if (token_is(line, name, "content-length")) {
		int64_t x = 0;
		if (vl == 0 || vl > 18)
			return -1;
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			x = x * 10 + (v[i] - '0');
		}
		if (f->length >= 0 && x != f->length)
			return -1;	/* two lengths: which one frames it? */
		f->length = x;
	} else if (token_is(line, name, "transfer-encoding")) {
		/* Only the last coding says how the body ends. */
		f->te = 1;
		f->chunked = list_ends_with(v, vl, "chunked");
	} else if (token_is(line, name, "connection")) {
		f->close |= list_has(v, vl, "close");
		f->keep |= list_has(v, vl, "keep-alive");
	}
	return 0;
}

/* Parse the head at the start of h[0..n). Returns its length once its
 * empty line is there, 0 before, -1 when it is malformed. Malformed is said
 * only of a whole head, so that the answer does not depend on how the
 * stream was cut. An interim (1xx) head leaves the phase at BI_RESP_HEAD. */
static long
parse_head(bi_resp *r, const char *h, size_t n)
{
	const char *end = h + n, *nl = memchr(h, '\n', n);

	if (!nl)
		return 0;
	size_t fl = (size_t)(nl - h);
	if (fl == 0 || (fl == 1 && h[0] == '\r'))
		return -1;	/* an empty line first: a head of nothing */
	/* "HTTP/1.x SSS" then a space or the end of the line. */
	int bad = fl < 12 || memcmp(h, "HTTP/1.", 7) != 0 || h[7] < '0' || h[7] > '9' ||
		  h[8] != ' ' || h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' ||
		  h[11] < '0' || h[11] > '9' || (h[12] != ' ' && h[12] != '\r' && h[12] != '\n');
	struct framing f = {.length = -1};
	const char *line = nl + 1;
	for (;;) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			return 0;
		size_t ln = (size_t)(nl - line);
		if (ln > 0 && line[ln - 1] == '\r')
			ln--;
		if (ln == 0)
			break;		/* the empty line: the end */
		if (!bad && header(&f, line, ln) != 0)
			bad = 1;
		line = nl + 1;
	}
	if (bad)
		return -1;
	long len = (long)(nl + 1 - h);
	int status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	if (status / 100 == 1 && status != 101)
		return len;	/* interim: the real answer follows */
	r->status = status;
	r->close = f.close || (h[7] == '0' && !f.keep);
	if (status == 101) {
		r->phase = BI_RESP_DONE;	/* what follows is not HTTP */
		r->close = 1;
	} else if (r->no_body || status == 204 || status == 304) {
		r->phase = BI_RESP_DONE;
	} else if (f.te && f.chunked) {
		r->phase = BI_RESP_CHUNKED;
		r->chunk = C_SIZE;
		r->left = 0;
	} else if (!f.te && f.length >= 0) {
		r->left = (uint64_t)f.length;
		r->phase = f.length ? BI_RESP_LENGTH : BI_RESP_DONE;
	} else {
		r->phase = BI_RESP_TO_CLOSE;
		r->close = 1;
	}
	return len;
}

/* Take bytes of a head from p[0..n); returns how many were used, or -1. */
static long
feed_head(bi_resp *r, const char *p, size_t n)
{
	size_t max = BI_RESP_HEAD_MAX;

	if (r->hlen == 0) {
		/* The usual case: a whole head in one piece, read in place. */
		long e = parse_head(r, p, n < max ? n : max);
		if (e != 0)
			return e;
		if (n >= max)
			return -1;
		memcpy(r->head, p, n);
		r->hlen = n;
		return (long)n;
	}
	size_t old = r->hlen, k = n < max - old ? n : max - old;
	memcpy(r->head + old, p, k);
	r->hlen += k;
	/* Look for the end again from the start of the line that was not
	 * whole: the head is parsed once, when it is all there. */
	const char *ls = memrchr(r->head, '\n', old);
	size_t e = head_end(r->head, ls ? (size_t)(ls + 1 - r->head) : 0, r->hlen);
	if (!e) {
		if (r->hlen == max)
			return -1;
		return (long)n;
	}
	if (parse_head(r, r->head, e) < 0)
		return -1;
	r->hlen = 0;
	return (long)(e - old);
}

/* Gather a line into head[] up to its '\n', at most max bytes in all.
 * Returns 1 when it is whole, 0 when more is needed, -1 when too long. */
static int
gather_line(bi_resp *r, const char *p, size_t n, size_t *i, size_t max)
{
	const char *nl = memchr(p + *i, '\n', n - *i);
	size_t k = nl ? (size_t)(nl - (p + *i)) + 1 : n - *i;

	if (r->hlen + k > max)
		return -1;
	memcpy(r->head + r->hlen, p + *i, k);
	r->hlen += k;
	*i += k;
	return nl != NULL;
}

/* A chunk-size line in head[0..hlen) (with its '\n'): hex digits, then
 * spaces, then the end or ';' and extensions. The size, or -1. */
static int
chunk_size(const bi_resp *r, uint64_t *size)
{
	const char *s = r->head, *e = r->head + r->hlen - 1;
	uint64_t x = 0;
	size_t d = 0;

	if (e > s && e[-1] == '\r')
		e--;
	for (; s < e; s++, d++) {
		char c = *s;
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			break;
		if (x >> 56)
			return -1;
		x = x * 16 + (uint64_t)v;
	}
	if (d == 0)
		return -1;
	while (s < e && is_ws(*s))
		s++;
	if (s < e && *s != ';')
		return -1;
	*size = x;
	return 0;
}

/* A chunked body: sizes in hex, data, CRLF, ..., a zero size, trailers,
 * an empty line. */
static long
feed_chunked(bi_resp *r, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && r->phase == BI_RESP_CHUNKED) {
		switch (r->chunk) {
		case C_SIZE: {
			int g = gather_line(r, p, n, &i, SIZE_LINE_MAX);
			if (g <= 0)
				return g < 0 ? -1 : (long)i;
			uint64_t size;
			if (chunk_size(r, &size) != 0)
				return -1;
			r->hlen = 0;
			r->left = size;
			r->chunk = size ? C_DATA : C_TRAILER;
			break;
		}
		case C_DATA: {
			size_t k = n - i < r->left ? n - i : (size_t)r->left;
			r->left -= k;
			i += k;
			if (r->left == 0)
				r->chunk = C_CR;
			break;
		}
		case C_CR:	/* the CRLF (or a bare LF) after a chunk's data */
			if (p[i] == '\r')
				r->chunk = C_LF;
			else if (p[i] == '\n')
				r->chunk = C_SIZE;
			else
				return -1;
			i++;
			break;
		case C_LF:
			if (p[i] != '\n')
				return -1;
			r->chunk = C_SIZE;
			i++;
			break;
		case C_TRAILER: {	/* lines until an empty one; left counts them all */
			size_t before = i;
			int g = gather_line(r, p, n, &i, BI_RESP_HEAD_MAX);
			r->left += i - before;
			if (g < 0 || r->left > BI_RESP_HEAD_MAX)
				return -1;
			if (g == 0)
				return (long)i;
			if (r->hlen == 1 || (r->hlen == 2 && r->head[0] == '\r'))
				r->phase = BI_RESP_DONE;
			r->hlen = 0;
			break;
		}
		}
	}
	return (long)i;
}

long
bi_resp_feed(bi_resp *r, const char *p, size_t n)
{
	size_t used = 0;

	if (r->phase == BI_RESP_BAD)
		return -1;
	/* A loop: an interim 1xx head may be followed by the real one. */
	while (r->phase == BI_RESP_HEAD && used < n) {
		long k = feed_head(r, p + used, n - used);
		if (k < 0)
			return bad(r);
		used += (size_t)k;
	}
	switch (r->phase) {
	case BI_RESP_LENGTH: {
		size_t k = n - used < r->left ? n - used : (size_t)r->left;
		r->left -= k;
		used += k;
		if (r->left == 0)
			r->phase = BI_RESP_DONE;
		break;
	}
	case BI_RESP_CHUNKED: {
		long k = feed_chunked(r, p + used, n - used);
		if (k < 0)
			return bad(r);
		used += (size_t)k;
		break;
	}
	case BI_RESP_TO_CLOSE:
		used = n;
		break;
	}
	return (long)used;
}

int
bi_resp_eof(bi_resp *r)
{
	if (r->phase == BI_RESP_TO_CLOSE)
		r->phase = BI_RESP_DONE;
	return r->phase == BI_RESP_DONE;
}
