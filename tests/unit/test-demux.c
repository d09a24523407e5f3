/* test-demux: Docker's log stream taken apart: frames of both streams, a
 * line Docker split over two entries, an empty frame, a last line without
 * its '\n', every way of cutting the body into pieces, framing and a TTY's
 * raw stream detected, a stop asked for by the callback, and exec's output
 * (no timestamps). */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "sources/demux.h"
#include "tap.h"

struct got {
	bi_buf text;	/* "S|TS|line\n" per line */
	int n, stop_at;	/* stop_at: ask to stop at that line (0: never) */
};

static int
collect(void *ctx, int stream, int64_t ts, const char *line, size_t n)
{
	struct got *g = ctx;
	char t[BI_TS_LEN];

	bi_buf_printf(&g->text, "%d|%s|%.*s\n", stream, ts ? bi_ts_fmt(ts, t) : "-", (int)n, line);
	return ++g->n == g->stop_at;
}

static void
frame(bi_buf *b, int stream, const char *payload)
{
	size_t n = strlen(payload);
	unsigned char h[8] = {stream, 0, 0, 0, n >> 24, n >> 16, n >> 8, n};

	bi_buf_add(b, h, 8);
	bi_buf_add(b, payload, n);
}

/* Feed data to a fresh demuxer in pieces of at most step bytes. */
static char *
demux(const char *data, size_t n, size_t step, int tty, int ts, int stop_at)
{
	struct got g = {{0}, 0, stop_at};
	bi_demux m;

	bi_demux_init(&m, tty, collect, &g);
	m.ts = ts;
	for (size_t i = 0; i < n; i += step)
		bi_demux_feed(&m, data + i, n - i < step ? n - i : step);
	bi_demux_end(&m);
	bi_demux_free(&m);
	bi_buf_add(&g.text, NULL, 0);
	return g.text.p;
}

int
main(void)
{
	plan(8);
	bi_init("test-demux");

	bi_buf in = {0};
	frame(&in, 1, "2026-11-24T01:02:03.000000001Z hello\n");
	frame(&in, 2, "2026-11-24T01:02:03.500000000Z oops\n");
	frame(&in, 1, "2026-11-24T01:02:04.000000000Z first half ");
	frame(&in, 2, "2026-11-24T01:02:04.100000000Z between\n");
	frame(&in, 1, "2026-11-24T01:02:04.200000000Z second half\n");
	frame(&in, 1, "");
	frame(&in, 1, "2026-11-24T01:02:05.000000000Z tail");
	const char *want =
		"1|2026-11-24T01:02:03.000Z|hello\n"
		"2|2026-11-24T01:02:03.500Z|oops\n"
		"2|2026-11-24T01:02:04.100Z|between\n"
		"1|2026-11-24T01:02:04.000Z|first half second half\n"
		"1|2026-11-24T01:02:05.000Z|tail\n";
	char *whole = demux(in.p, in.len, in.len, 0, 1, 0);
	is_str(whole, want, "frames demultiplexed, split line joined with its first timestamp");
	free(whole);
	int same = 1;
	for (size_t cut = 1; cut < in.len && same; cut++) {
		char *parts = demux(in.p, in.len, cut, 0, 1, 0);
		same = strcmp(parts, want) == 0;
		if (!same)
			printf("# differs with pieces of %zu bytes:\n%s", cut, parts);
		free(parts);
	}
	ok(same, "the same whatever the chunk sizes");
	char *auto_ = demux(in.p, in.len, 5, -1, 1, 0);
	is_str(auto_, want, "framing detected");
	free(auto_);
	char *two = demux(in.p, in.len, 3, 0, 1, 2);
	is_str(two, "1|2026-11-24T01:02:03.000Z|hello\n2|2026-11-24T01:02:03.500Z|oops\n",
	       "the callback stops it: no line after, not even at the end");
	free(two);
	bi_buf_free(&in);

	const char *tty = "2026-11-24T01:02:03.000000000Z one\r\n2026-11-24T01:02:04.000000000Z two\n"
			  "2026-11-24T01:02:05.000000000Z three";
	char *raw = demux(tty, strlen(tty), 7, -1, 1, 0);
	is_str(raw, "1|2026-11-24T01:02:03.000Z|one\r\n1|2026-11-24T01:02:04.000Z|two\n"
		    "1|2026-11-24T01:02:05.000Z|three\n", "a TTY stream detected and split by line");
	free(raw);
	const char *plain = "no time here\n2026-13-99T00:00:00Z odd\n";
	raw = demux(plain, strlen(plain), 4, 1, 1, 0);
	is_str(raw, "1|-|no time here\n1|-|2026-13-99T00:00:00Z odd\n",
	       "a line without a timestamp (or a bad one) is kept whole, with none");
	free(raw);

	/* exec's output: frames without timestamps. */
	frame(&in, 1, "in-exec\n");
	frame(&in, 2, "2026-11-24T01:02:03Z to-err\n");
	char *ex = demux(in.p, in.len, 1, 0, 0, 0);
	is_str(ex, "1|-|in-exec\n2|-|2026-11-24T01:02:03Z to-err\n", "no timestamps: lines as they are");
	free(ex);
	bi_buf_free(&in);

	/* A frame whose header says more than arrived: an entry never finished,
	 * so nothing of it is passed. */
	unsigned char cut[] = {1, 0, 0, 0, 0, 0, 1, 0, 'a', 'b', '\n', 'c'};
	char *part = demux((const char *)cut, sizeof cut, 5, 0, 0, 0);
	is_str(part, "", "a frame cut short passes nothing it has not finished");
	free(part);
	return done();
}
