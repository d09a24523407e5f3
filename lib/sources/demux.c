/*
 * demux.c: Docker's log stream taken apart into lines.
 *
 * A container without a TTY has its output sent as frames (an 8-byte
 * header: the stream, three zero bytes, the payload's length, big-endian);
 * with a TTY, as raw bytes. libcurl hands the body over in pieces cut
 * anywhere, and Docker itself cuts a line longer than 16 KiB into several
 * entries, each with its own timestamp: the demultiplexer reassembles
 * headers, frames and lines, keeps a partial line per stream, and gives
 * each line once, with the timestamp of its first entry. It does no I/O,
 * so that it can be tested and fuzzed on bytes alone.
 *
 * Layer: sources.
 */
#include <string.h>

#include "sources/demux.h"

#include "base/util.h"
#include "base/time.h"

void
bi_demux_init(bi_demux *m, int tty, bi_log_fn fn, void *ctx)
{
	memset(m, 0, sizeof *m);
	m->tty = tty;
	m->ts = 1;
	m->fn = fn;
	m->ctx = ctx;
}

void
bi_demux_free(bi_demux *m)
{
	for (int i = 0; i < 3; i++)
		bi_buf_free(&m->line[i]);
	bi_buf_free(&m->frame);
}

/* Split "TIMESTAMP rest" when the head parses as a time. */
static const char *
take_ts(const char *p, size_t n, int64_t *ts, size_t *rest)
{
	const char *sp = memchr(p, ' ', n < 40 ? n : 40);
	char tmp[48];

	if (sp && (size_t)(sp - p) < sizeof tmp) {
		memcpy(tmp, p, sp - p);
		tmp[sp - p] = '\0';
		if (bi_ts_parse(tmp, ts) == 0) {
			*rest = n - (sp - p) - 1;
			return sp + 1;
		}
	}
	*ts = 0;
	*rest = n;
	return p;
}

static int
emit(bi_demux *m, int s, const char *p, size_t n, int64_t ts)
{
	if (m->stopped)
		return 1;
	if (m->fn(m->ctx, s, ts, p, n))
		m->stopped = 1;
	return m->stopped;
}

/* One log entry's text: it begins with Docker's timestamp; a line Docker split
 * goes on in the next entry, whose own timestamp is dropped. */
static int
entry(bi_demux *m, int s, const char *p, size_t n)
{
	int64_t ts = 0;
	size_t k;

	if (m->ts)
		p = take_ts(p, n, &ts, &n);
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;
		bi_buf *line = &m->line[s];
		if (line->len == 0)
			m->line_ts[s] = ts;
		if (!nl) {
			bi_buf_add(line, p, len);
			return 0;
		}
		if (line->len) {
			bi_buf_add(line, p, len);
			k = line->len;
			line->len = 0;
			if (emit(m, s, line->p, k, m->line_ts[s]))
				return 1;
		} else if (emit(m, s, p, len, ts)) {
			return 1;
		}
		p += len + 1;
		n -= len + 1;
	}
	return 0;
}

int
bi_demux_feed(bi_demux *m, const char *buf, size_t n)
{
	if (m->stopped)
		return 1;
	if (m->tty < 0 && n > 0) {
		/* Frames start with a stream byte 0-2 and three zeros; a TTY
		 * stream with timestamps starts with a digit. */
		unsigned char c = buf[0];
		m->tty = c > 2;
	}
	if (m->tty == 1) {
		/* Raw: lines, each led by its timestamp, gathered whole. */
		while (n > 0) {
			const char *nl = memchr(buf, '\n', n);
			size_t len = nl ? (size_t)(nl - buf) + 1 : n;
			bi_buf_add(&m->frame, buf, len);
			buf += len;
			n -= len;
			if (nl) {
				int stop = entry(m, 1, m->frame.p, m->frame.len);
				m->frame.len = 0;
				if (stop)
					return 1;
			}
		}
		return 0;
	}
	while (n > 0) {
		if (m->hdrlen < 8) {
			size_t k = 8 - m->hdrlen < n ? 8 - m->hdrlen : n;
			memcpy(m->hdr + m->hdrlen, buf, k);
			m->hdrlen += k;
			buf += k;
			n -= k;
			if (m->hdrlen < 8)
				return 0;
			m->stream = m->hdr[0] == 2 ? 2 : 1;
			m->left = (size_t)m->hdr[4] << 24 | (size_t)m->hdr[5] << 16 |
				  (size_t)m->hdr[6] << 8 | m->hdr[7];
			m->frame.len = 0;
			if (m->left == 0) {
				m->hdrlen = 0;
				continue;
			}
		}
		size_t k = m->left < n ? m->left : n;
		bi_buf_add(&m->frame, buf, k);
		m->left -= k;
		buf += k;
		n -= k;
		if (m->left == 0) {
			m->hdrlen = 0;
			if (entry(m, m->stream, m->frame.p, m->frame.len))
				return 1;
		}
	}
	return 0;
}

void
bi_demux_end(bi_demux *m)
{
	if (m->tty == 1 && m->frame.len && !m->stopped)
		entry(m, 1, m->frame.p, m->frame.len);
	for (int s = 1; s <= 2; s++) {
		if (m->line[s].len && !m->stopped) {
			size_t k = m->line[s].len;
			m->line[s].len = 0;
			emit(m, s, m->line[s].p, k, m->line_ts[s]);
		}
	}
	bi_buf_free(&m->frame);
}
