/*
 * jsonl.c: the record stream. A reader that takes one JSON object per line and
 * skips (or, strict, dies on) a malformed line without losing its neighbours,
 * and a writer of compact lines.
 *
 * Lines are cut by the reader itself and parsed one at a time, not fed in bulk
 * to one jv_parser: after an error that parser drops the rest of its buffer.
 * The reader uses read(2), so a live stream is never held in a stdio buffer,
 * and it can tell whether more input is ready (bi-fmt flushes tables then).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "bi.h"

struct bi_reader {
	int fd;
	char *name;
	int flags;
	char *buf;		/* buf[start..end) holds unread bytes */
	size_t cap, start, end;
	size_t scan;		/* bytes from start known to hold no '\n' */
	int eof;
	char *line;		/* the current line, inside buf */
	size_t len;
	size_t lineno;
	size_t errors;
};

bi_reader *
bi_reader_new(int fd, const char *name, int flags)
{
	bi_reader *r = bi_calloc(1, sizeof *r);

	r->fd = fd;
	r->name = bi_strdup(!name || strcmp(name, "-") == 0 ? "stdin" : name);
	r->flags = flags;
	r->cap = 1 << 16;
	r->buf = bi_malloc(r->cap);
	return r;
}

void
bi_reader_free(bi_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

size_t bi_reader_lineno(const bi_reader *r) { return r->lineno; }
size_t bi_reader_errors(const bi_reader *r) { return r->errors; }

/* Make room after end: slide unread bytes to the front, or grow. */
static void
room(bi_reader *r)
{
	if (r->start > 0 && r->start >= r->cap / 2) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		r->cap *= 2;
		r->buf = bi_realloc(r->buf, r->cap);
	}
}

int
bi_read_line(bi_reader *r, const char **line, size_t *len)
{
	char *nl;

	for (;;) {
		size_t from = r->start + r->scan;
		nl = memchr(r->buf + from, '\n', r->end - from);
		if (nl)
			break;
		r->scan = r->end - r->start;
		if (r->eof) {
			if (r->end == r->start)
				return 0;
			/* A last line without '\n'. */
			room(r);
			if (r->end == r->cap)
				room(r);
			nl = r->buf + r->end;
			r->end++;
			break;
		}
		room(r);
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bi_die(BI_EXIT_USAGE, "%s: read error:", r->name);
		}
		if (n == 0)
			r->eof = 1;
		r->end += n;
	}
	char *s = r->buf + r->start;
	size_t n = nl - s;
	r->start += n + 1;
	r->scan = 0;
	r->lineno++;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	r->line = s;
	r->len = n;
	*line = s;
	*len = n;
	return 1;
}

int
bi_reader_ready(bi_reader *r)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};

	if (r->eof || memchr(r->buf + r->start + r->scan, '\n',
			     r->end - r->start - r->scan))
		return 1;
	return poll(&p, 1, 0) > 0;
}

static void
bad(bi_reader *r, const char *what)
{
	r->errors++;
	bi_warn("%s:%zu: %s", r->name, r->lineno, what);
	if (r->flags & BI_STRICT)
		bi_die(BI_EXIT_USAGE, "%s:%zu: malformed input is fatal with --strict",
		       r->name, r->lineno);
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int
bi_reader_parse(bi_reader *r, jv *rec)
{
	const char *s = r->line;
	size_t n = r->len;

	if (!s || blank(s, n))
		return 0;
	if (!bi_utf8_valid(s, n)) {
		bad(r, "invalid UTF-8, line skipped");
		return 0;
	}
	jv v = jv_parse_sized(s, (int)n);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		char what[160];
		const char *m = jv_get_kind(msg) == JV_KIND_STRING ?
			jv_string_value(msg) : "parse error";
		/* libjq quotes the whole line after the message: keep it short. */
		size_t mlen = strcspn(m, "(");
		while (mlen > 0 && m[mlen - 1] == ' ')
			mlen--;
		snprintf(what, sizeof what, "malformed record (%.*s), line skipped",
			 (int)(mlen > 100 ? 100 : mlen), m);
		jv_free(msg);
		bad(r, what);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		bad(r, "not a JSON object, line skipped");
		return 0;
	}
	*rec = v;
	return 1;
}

int
bi_read(bi_reader *r, jv *rec)
{
	const char *line;
	size_t len;

	while (bi_read_line(r, &line, &len))
		if (bi_reader_parse(r, rec))
			return 1;
	return 0;
}

int
bi_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + n;

	while (s < e) {
		/* ASCII runs are the common case: step over them 8 at a time. */
		while (e - s >= 8) {
			uint64_t w;
			memcpy(&w, s, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			s += 8;
		}
		if (s >= e)
			break;
		unsigned c = *s;
		if (c < 0x80) {
			s++;
			continue;
		}
		size_t need;
		unsigned min, cp;
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1; min = 0x80; cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2; min = 0x800; cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3; min = 0x10000; cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - s) < need + 1)
			return 0;
		for (size_t i = 1; i <= need; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += need + 1;
	}
	return 1;
}

/* The writer. */

static int out_mode = -1;	/* 1: flush per record, 0: let stdio buffer */

static void
out_init(void)
{
	struct stat st;

	if (out_mode >= 0)
		return;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		out_mode = 0;
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	} else {
		out_mode = 1;
	}
}

static void
out_end(void)
{
	if (out_mode == 1 || ferror(stdout))
		bi_fshut(stdout, "stdout");
}

void
bi_write(jv rec)
{
	out_init();
	jv s = jv_dump_string(rec, 0);
	const char *p = jv_string_value(s);
	fwrite(p, 1, jv_string_length_bytes(jv_copy(s)), stdout);
	putc('\n', stdout);
	jv_free(s);
	out_end();
}

void
bi_write_raw(const char *line, size_t n)
{
	out_init();
	fwrite(line, 1, n, stdout);
	putc('\n', stdout);
	out_end();
}

void
bi_write_flush(void)
{
	bi_fshut(stdout, "stdout");
}

jv
bi_record(const char *kind)
{
	char ts[BI_TS_LEN];

	jv r = jv_object_set(jv_object(), jv_string("kind"), jv_string(kind));
	return jv_object_set(r, jv_string("ts"), jv_string(bi_ts_now(ts)));
}

const char *
bi_get_str(jv rec, const char *key)
{
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return NULL;
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	const char *s = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);	/* rec keeps the string alive */
	jv_free(v);
	return s;
}

double
bi_get_num(jv rec, const char *key, double def)
{
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return def;
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	double d = def;
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = jv_number_value(v);
	jv_free(v);
	return d;
}
