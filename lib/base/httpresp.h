/* base/httpresp.h: the interface of httpresp.c (layer: base). */
#ifndef BI_BASE_HTTPRESP_H
#define BI_BASE_HTTPRESP_H

#include <stddef.h>
#include <stdint.h>

/* Where a response is: its head, a body by Content-Length, a chunked body,
 * a body that ends when the server closes, whole, or refused. */
enum bi_resp_phase {
	BI_RESP_HEAD, BI_RESP_LENGTH, BI_RESP_CHUNKED, BI_RESP_TO_CLOSE, BI_RESP_DONE, BI_RESP_BAD
};

/* The most bytes a head (status line, headers, empty line) may take, and
 * the trailers of a chunked body together: more is refused. */
#define BI_RESP_HEAD_MAX 8192

/* An HTTP/1.x response read incrementally, in whatever pieces it arrives.
 * The caller owns it (no allocation); status and close are the answers,
 * the rest is the parser's. */
typedef struct bi_resp {
	int phase;		/* enum bi_resp_phase */
	int status;		/* the final status (interim 1xx skipped), once the head is read */
	int close;		/* the connection cannot carry another request after this one */
	int no_body;		/* a reply to HEAD: no body whatever the headers say */
	int chunk;		/* chunked: where in a chunk */
	uint64_t left;		/* body bytes left (by length, or of this chunk); trailers' bytes */
	size_t hlen;		/* bytes in head[]: a head, a chunk-size or trailer line, not yet whole */
	char head[BI_RESP_HEAD_MAX];
} bi_resp;

/* Start a response; no_body for the reply to a HEAD request. Cannot fail. */
void bi_resp_init(bi_resp *r, int no_body);

/* Feed the next n bytes of the stream. Returns how many were used (0 to n),
 * or -1 when the response is malformed (the phase is BI_RESP_BAD then, and
 * stays so). Fewer than n are used only once the response is whole
 * (BI_RESP_DONE): the rest belongs to the next response on the connection. */
long bi_resp_feed(bi_resp *r, const char *p, size_t n);

/* The server closed the stream: 1 if the response is whole (a body that
 * ends at the close becomes whole here), 0 if it was cut short. */
int bi_resp_eof(bi_resp *r);

/* 1 once the response is whole. */
static inline int
bi_resp_done(const bi_resp *r)
{
	return r->phase == BI_RESP_DONE;
}

#endif
