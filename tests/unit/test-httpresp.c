/* test-httpresp: where an HTTP/1.x response ends, whatever pieces it comes
 * in: statuses, the three ways a body is framed, no body (HEAD, 1xx, 204,
 * 304), who closes, bytes of the next response left alone, and malformed or
 * oversized responses refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/httpresp.h"
#include "tap.h"

/* What feeding a stream came to. used: bytes taken, -1 refused, -2 more
 * taken than given, -3 bytes left over before the response was whole. */
struct outcome {
	long used;
	int phase, status, close;
};

/* Feed s[0..n) to a fresh parser in the pieces that cuts[] (ascending
 * offsets) make, stopping once the response is whole. */
static struct outcome
feed_cuts(bi_resp *r, const char *s, size_t n, int no_body, const size_t *cuts, int ncuts)
{
	struct outcome o = {0, 0, 0, 0};
	size_t at = 0;

	bi_resp_init(r, no_body);
	for (int c = 0; c <= ncuts && at < n; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		if (end <= at)
			continue;
		size_t k = end - at;
		long u = bi_resp_feed(r, s + at, k);
		if (u < 0) {
			o.used = -1;
			break;
		}
		if ((size_t)u > k) {
			o.used = -2;
			break;
		}
		at += (size_t)u;
		o.used = (long)at;
		if (bi_resp_done(r))
			break;
		if ((size_t)u < k) {
			o.used = -3;
			break;
		}
	}
	o.phase = r->phase;
	o.status = r->status;
	o.close = r->close;
	return o;
}

static struct outcome
feed(bi_resp *r, const char *s, size_t n, int no_body)
{
	return feed_cuts(r, s, n, no_body, NULL, 0);
}

/* In pieces of step bytes. */
static struct outcome
feed_step(bi_resp *r, const char *s, size_t n, int no_body, size_t step)
{
	size_t *cuts = malloc((n / step + 1) * sizeof *cuts);
	int nc = 0;

	for (size_t at = step; at < n; at += step)
		cuts[nc++] = at;
	struct outcome o = feed_cuts(r, s, n, no_body, cuts, nc);
	free(cuts);
	return o;
}

static int
same(struct outcome a, struct outcome b)
{
	return a.used == b.used && a.phase == b.phase && a.status == b.status && a.close == b.close;
}

static bi_resp R;	/* 8 KiB: not on the stack of every helper */

/* The whole s, then s cut at every byte boundary, at every pair of
 * boundaries, and byte by byte: always the same outcome. */
static void
any_cuts(const char *name, const char *s, int no_body, struct outcome want)
{
	size_t n = strlen(s);
	struct outcome whole = feed(&R, s, n, no_body);

	if (want.used == 0)
		want.used = (long)n;	/* all of it */
	int bad = !same(whole, want);
	size_t bi = 0, bj = 0;

	for (size_t i = 1; i < n && !bad; i++) {
		for (size_t j = i; j < n && !bad; j++) {
			size_t cuts[2] = {i, j};
			if (!same(feed_cuts(&R, s, n, no_body, cuts, 2), whole))
				bad = 1, bi = i, bj = j;
		}
	}
	if (!bad && !same(feed_step(&R, s, n, no_body, 1), whole))
		bad = 1, bi = bj = 1;
	ok(!bad, "%s: used %ld, status %d, close %d, at any cuts", name, want.used, want.status,
	   want.close);
	if (bad)
		printf("#   whole: used %ld phase %d status %d close %d; differs cut at %zu, %zu\n",
		       whole.used, whole.phase, whole.status, whole.close, bi, bj);
}

static void
refused(const char *s, const char *why)
{
	size_t n = strlen(s);
	struct outcome whole = feed(&R, s, n, 0), bytes = feed_step(&R, s, n, 0, 1);

	ok(whole.used == -1 && bytes.used == -1 && R.phase == BI_RESP_BAD &&
	   bi_resp_feed(&R, "x", 1) == -1, "refused: %s", why);
	if (whole.used != -1 || bytes.used != -1)
		printf("#   whole: used %ld phase %d; byte by byte: used %ld phase %d\n", whole.used,
		       whole.phase, bytes.used, bytes.phase);
}

static void
statuses(void)
{
	static const struct {
		const char *line;
		int status, close;
	} t[] = {
		{"HTTP/1.1 200 OK", 200, 0},
		{"HTTP/1.1 404 Not Found", 404, 0},
		{"HTTP/1.1 503 Service Unavailable", 503, 0},
		{"HTTP/1.1 200", 200, 0},
		{"HTTP/1.1 201 ", 201, 0},
		{"HTTP/1.0 302 Found", 302, 1},
		{"HTTP/1.1 599 odd but allowed", 599, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char s[256];
		int n = snprintf(s, sizeof s, "%s\r\nContent-Length: 0\r\n\r\n", t[i].line);
		struct outcome o = feed(&R, s, (size_t)n, 0);
		ok(o.used == n && o.phase == BI_RESP_DONE && o.status == t[i].status &&
		   o.close == t[i].close, "status line '%s': %d", t[i].line, t[i].status);
	}
}

static void
framing(void)
{
	any_cuts("Content-Length", "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 5\r\n"
		 "Content-Type: text/plain\r\n\r\nhello",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("chunked with extensions and trailers",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "5;name=value\r\nhello\r\n6 ; q=\"a;b\"\r\n world\r\nA\r\n0123456789\r\n"
		 "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("Content-Length: 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0,
		 (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("HEAD: a length but no body", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 1,
		 (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("204 without a body", "HTTP/1.1 204 No Content\r\n\r\n", 0,
		 (struct outcome){0, BI_RESP_DONE, 204, 0});
	any_cuts("304 with a length but no body",
		 "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nETag: \"x\"\r\n\r\n", 0,
		 (struct outcome){0, BI_RESP_DONE, 304, 0});
	any_cuts("Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 1});
	any_cuts("HTTP/1.0 with a length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0,
		 (struct outcome){0, BI_RESP_DONE, 200, 1});
	any_cuts("HTTP/1.0 kept alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
		 "Content-Length: 2\r\n\r\nok", 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("a close among other tokens", "HTTP/1.1 200 OK\r\nConnection: upgrade , Close\r\n"
		 "Content-Length: 0\r\n\r\n", 0, (struct outcome){0, BI_RESP_DONE, 200, 1});
	any_cuts("100 Continue skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		 "Content-Length: 2\r\n\r\nok", 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("103 Early Hints skipped, even for HEAD", "HTTP/1.1 103 Early Hints\r\n"
		 "Link: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 1,
		 (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("101: the end of HTTP on this connection", "HTTP/1.1 101 Switching Protocols\r\n"
		 "Upgrade: websocket\r\n\r\n\x81\x05hello", 0, (struct outcome){56, BI_RESP_DONE, 101, 1});
	any_cuts("bare LF line endings", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0,
		 (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("a folded header line", "HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 1\r\n\r\nx",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("the same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("chunked is the last coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
		 "Content-Length: 999\r\n\r\n1\r\nx\r\n0\r\n\r\n", 0,
		 (struct outcome){0, BI_RESP_DONE, 200, 0});
	any_cuts("chunked, bare LFs", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\n0\n\n",
		 0, (struct outcome){0, BI_RESP_DONE, 200, 0});
}

/* A body that ends when the server closes: everything is taken, and the
 * close makes it whole; a close anywhere else cuts a response short. */
static void
to_close(void)
{
	static const char *const heads[] = {
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		char s[512];
		int n = snprintf(s, sizeof s, "%sthe body, then HTTP/1.1 200 OK\r\n\r\n", heads[i]);
		struct outcome o = feed(&R, s, (size_t)n, 0);
		ok(o.used == n && o.phase == BI_RESP_TO_CLOSE && o.close == 1 && bi_resp_eof(&R) &&
		   bi_resp_done(&R), "to the close: everything taken, whole at the end (%zu)", i);
	}
	static const struct {
		const char *s;
		const char *what;
	} cut[] = {
		{"", "nothing"},
		{"HTTP/1.1 200 OK\r\nContent-Len", "a head"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "a body by length"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "a chunked body"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n", "its trailers"},
	};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		feed(&R, cut[i].s, strlen(cut[i].s), 0);
		ok(!bi_resp_eof(&R) && !bi_resp_done(&R), "a close in the middle of %s: cut short",
		   cut[i].what);
	}
}

/* Keep-alive: the next response's bytes are the next parser's. */
static void
leftovers(void)
{
	static const char *const first[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	};
	const char *next = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
	for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
		char s[512];
		size_t n1 = strlen(first[i]);
		int n = snprintf(s, sizeof s, "%s%s", first[i], next);
		long u1 = bi_resp_feed((bi_resp_init(&R, 0), &R), s, (size_t)n);
		int done1 = bi_resp_done(&R), st1 = R.status;
		long again = bi_resp_feed(&R, s + u1, (size_t)n - (size_t)u1);
		long u2 = bi_resp_feed((bi_resp_init(&R, 0), &R), s + u1, (size_t)n - (size_t)u1);
		ok(u1 == (long)n1 && done1 && st1 == (i == 2 ? 204 : 200) && again == 0 &&
		   u2 == (long)strlen(next) && R.status == 404 && bi_resp_done(&R),
		   "the next response left alone (%zu): used %ld of %d", i, u1, n);
	}
	char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
	bi_resp_init(&R, 1);
	long u = bi_resp_feed(&R, head, strlen(head));
	is_num(u, strlen(head) - 10, "HEAD: the body a server wrongly sends is not taken");
	bi_resp_init(&R, 0);
	ok(bi_resp_feed(&R, head, 0) == 0 && R.phase == BI_RESP_HEAD, "nothing fed, nothing used");
}

static void
malformed(void)
{
	refused("HTTP/2 200 OK\r\n\r\n", "not HTTP/1.x");
	refused("http/1.1 200 OK\r\n\r\n", "a lower-case protocol name");
	refused("HTTP/1.x 200 OK\r\n\r\n", "a version that is no digit");
	refused("HTTP/1.1 20 OK\r\n\r\n", "a two-digit status");
	refused("HTTP/1.1 2000 OK\r\n\r\n", "a four-digit status");
	refused("HTTP/1.1 099 Low\r\n\r\n", "a status below 100");
	refused("HTTP/1.1 600 High\r\n\r\n", "a status over 599");
	refused("HTTP/1.1  200 OK\r\n\r\n", "two spaces before the status");
	refused("\r\nHTTP/1.1 200 OK\r\n\r\n", "an empty line first");
	refused("SSH-2.0-OpenSSH_9.2\r\n\r\n", "not HTTP at all");
	refused("HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n", "a header line without a colon");
	refused("HTTP/1.1 200 OK\r\n: no name\r\n\r\n", "a header without a name");
	refused("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", "a space before the colon");
	refused("HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n", "a length in letters");
	refused("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "a negative length");
	refused("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "an empty length");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", "a length with a space in it");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 12345678901234567890\r\n\r\n", "a length of 20 digits");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
		"two lengths that disagree");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a chunk size not in hex");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\nx\r\n0\r\n\r\n",
		"a chunk size with junk after it");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "an empty chunk size");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
		"a space before a chunk size");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n",
		"a chunk longer than its size");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\r\n0\r\n\r\n",
		"a CR CR after a chunk");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000000\r\n",
		"a chunk size over 2^60");
}

static char *
repeat(const char *pre, char c, size_t n, const char *post)
{
	size_t a = strlen(pre), b = strlen(post);
	char *s = malloc(a + n + b + 1);

	memcpy(s, pre, a);
	memset(s + a, c, n);
	memcpy(s + a + n, post, b + 1);
	return s;
}

/* A head of exactly BI_RESP_HEAD_MAX bytes passes; one more is refused,
 * whether it comes whole, in big pieces or byte by byte. */
static void
huge(void)
{
	const char *pre = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: ", *post = "\r\n\r\n";
	size_t fill = BI_RESP_HEAD_MAX - strlen(pre) - strlen(post);
	char *fits = repeat(pre, 'a', fill, post), *over = repeat(pre, 'a', fill + 1, post);
	size_t nf = strlen(fits), no = strlen(over);
	int fine = 1, refusedall = 1;

	for (size_t step = 1; step <= 16384; step = step * 4 + 1) {
		struct outcome a = feed_step(&R, fits, nf, 0, step), b = feed_step(&R, over, no, 0, step);
		fine &= a.used == (long)nf && a.status == 200;
		refusedall &= b.used == -1;
	}
	ok(fine, "a head of %d bytes is read, in any pieces", BI_RESP_HEAD_MAX);
	ok(refusedall, "a head of %d bytes is refused, in any pieces", BI_RESP_HEAD_MAX + 1);
	free(fits);
	free(over);

	/* A head that never ends: refused once it is too long, not waited for. */
	char *endless = repeat("HTTP/1.1 200 OK\r\nX: ", 'b', 3 * BI_RESP_HEAD_MAX, "");
	ok(feed_step(&R, endless, strlen(endless), 0, 1000).used == -1, "an endless head is refused");
	free(endless);

	char *ext = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x=", 'e', 2000,
			   "\r\nx\r\n0\r\n\r\n");
	ok(feed(&R, ext, strlen(ext), 0).used == -1, "a chunk-size line of 2 KiB is refused");
	free(ext);

	/* Trailers: many short lines that together pass the limit. */
	size_t lines = BI_RESP_HEAD_MAX / 8 + 1;
	char *tr = repeat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", '-',
			  lines * 8, "\r\n\r\n");
	char *p = strstr(tr, "0\r\n") + 3;
	for (size_t i = 0; i < lines; i++)
		memcpy(p + i * 8, "X-T: 1\r\n", 8);
	ok(feed(&R, tr, strlen(tr), 0).used == -1 && feed_step(&R, tr, strlen(tr), 0, 7).used == -1,
	   "trailers over %d bytes in all are refused", BI_RESP_HEAD_MAX);
	free(tr);
}

/* A big body by length and a big chunk, fed as a socket would: counted,
 * not kept, and whole at the last byte. */
static void
big_bodies(void)
{
	size_t body = 3 * 1000 * 1000 + 7;
	char head[128];
	int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
	char *s = repeat(head, 'z', body, "");
	struct outcome o = feed_step(&R, s, (size_t)hl + body, 0, 65536);
	ok(o.used == (long)((size_t)hl + body) && o.phase == BI_RESP_DONE, "a 3 MB body by length");
	free(s);

	hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
		      body);
	s = repeat(head, 'z', body, "\r\n0\r\n\r\n");
	o = feed_step(&R, s, strlen(s), 0, 65536);
	ok(o.used == (long)strlen(s) && o.phase == BI_RESP_DONE, "a 3 MB chunk");
	free(s);
}

int
main(void)
{
	plan(7 + 18 + 9 + 6 + 26 + 5 + 2);
	statuses();
	framing();
	to_close();
	leftovers();
	malformed();
	huge();
	big_bodies();
	return done();
}
