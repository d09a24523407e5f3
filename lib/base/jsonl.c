/*
 * jsonl.c: the record stream. A reader that takes one JSON object per line and
 * skips (or, strict, dies on) a malformed line without losing its neighbours,
 * and a writer of compact lines.
 *
 * Lines are cut by the reader itself and parsed one at a time, not fed in bulk
 * to one jv_parser: after an error that parser drops the rest of its buffer.
 * The reader uses read(2), so a live stream is never held in a stdio buffer,
 * and it can tell whether more input is ready (bi-fmt flushes tables then).
 *
 * For hot loops, a scanner reads a few top-level fields of a line from its
 * bytes without building the record: it checks the whole line as JSON as it
 * goes, so that a line it takes is one libjq takes too (but for half a
 * surrogate pair, \uD83D alone, which libjq 1.6 refuses), and leaves any
 * line it cannot vouch for to the full parse.
 *
 * Layer: base.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/jsonl.h"

#include "base/util.h"
#include "base/time.h"

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
	int fatal;		/* a read error, or a malformed line with BI_STRICT */
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
const char *bi_reader_name(const bi_reader *r) { return r->name; }
int bi_reader_fatal(const bi_reader *r) { return r->fatal; }

const char *
bi_reader_text(const bi_reader *r, size_t *len)
{
	*len = r->len;
	return r->line;
}
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
	if (r->fatal)
		return 0;
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
			bi_warn("fatal: %s: read error:", r->name);
			r->fatal = 1;
			return 0;
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
bi_reader_ready(bi_reader *r, int wait_ms)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};

	if (r->eof || memchr(r->buf + r->start + r->scan, '\n',
			     r->end - r->start - r->scan))
		return 1;
	return poll(&p, 1, wait_ms) > 0;
}

static void
bad(bi_reader *r, const char *what)
{
	r->errors++;
	if (r->flags & BI_STRICT) {
		bi_warn("fatal: %s:%zu: %s", r->name, r->lineno, what);
		r->fatal = 1;
		return;
	}
	bi_warn("%s:%zu: %s, line skipped", r->name, r->lineno, what);
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
		bad(r, "invalid UTF-8");
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
		snprintf(what, sizeof what, "malformed record (%.*s)",
			 (int)(mlen > 100 ? 100 : mlen), m);
		jv_free(msg);
		bad(r, what);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		bad(r, "not a JSON object");
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

jv
bi_set(jv obj, const char *key, jv v)
{
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	return jv_object_set(obj, jv_string(key), v);
}

const char *
bi_get_text(jv rec, const char *key, const char *def)
{
	const char *s = bi_get_str(rec, key);

	return s && *s ? s : def;
}

jv
bi_jv_last(jv arr, int n)
{
	int len = jv_array_length(jv_copy(arr));

	return jv_array_slice(arr, len > n ? len - n : 0, len);
}

jv
bi_jv_values(jv obj)
{
	jv keys = jv_keys(jv_copy(obj)), out = jv_array();

	jv_array_foreach(keys, i, k)
		out = jv_array_append(out, jv_object_get(jv_copy(obj), k));
	jv_free(keys);
	jv_free(obj);
	return out;
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

/* The scanner. */

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p just after an opening quote: the closing one, or NULL when the string
 * is not valid JSON; *esc is set when it holds an escape. */
static const char *
str_end(const char *p, const char *e, int *esc)
{
	while (p < e) {
		if (*p == '\\') {
			*esc = 1;
			if (p + 1 >= e || !p[1] || !strchr("\"\\/bfnrtu", p[1]))
				return NULL;
			if (p[1] == 'u') {
				for (int i = 2; i < 6; i++)
					if (p + i >= e || !isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			}
			p += 2;
		} else if (*p == '"') {
			return p;
		} else if ((unsigned char)*p < 0x20) {
			return NULL;
		} else {
			p++;
		}
	}
	return NULL;
}

/* p at a number: its end, or NULL when it is not one by JSON's grammar,
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static inline __attribute__((always_inline)) const char *
num_end(const char *p, const char *e)
{
	const char *q = p + (p < e && *p == '-');

	if (q >= e || !isdigit((unsigned char)*q))
		return NULL;
	if (*q == '0')
		q++;
	else
		while (q < e && isdigit((unsigned char)*q))
			q++;
	if (q < e && *q == '.') {
		if (++q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q += q + 1 < e && (q[1] == '+' || q[1] == '-');
		if (++q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	return q;
}

/* The value of the number p..q (num_end's). Most are a few digits with a
 * few decimals, m / 10^f with m and 10^f exact doubles: their quotient is
 * then rounded once, to the double nearest the number, as strtod rounds
 * it, at a tenth of strtod's cost. The rest go to strtod, on a copy that
 * ends in a NUL. */
static double
num_value(const char *p, const char *q)
{
	static const double tens[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
				       1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	const char *d = p + (*p == '-');
	uint64_t m = 0;
	int digits = 0, f = -1;

	for (; d < q && digits <= 15; d++) {
		if (*d == '.') {
			f = 0;
			continue;
		}
		if (!isdigit((unsigned char)*d))
			break;		/* an exponent */
		m = m * 10 + (uint64_t)(*d - '0');
		digits++;
		f += f >= 0;
	}
	if (d == q && digits <= 15) {
		double v = (double)m / tens[f > 0 ? f : 0];
		return *p == '-' ? -v : v;
	}
	char num[64], *copy = (size_t)(q - p) < sizeof num ? num : bi_malloc((size_t)(q - p) + 1);
	memcpy(copy, p, (size_t)(q - p));
	copy[q - p] = '\0';
	double v = strtod(copy, NULL);
	if (copy != num)
		free(copy);
	return v;
}

/* p at a value: just past its end, or NULL when it is not valid JSON. */
static const char *
value_end(const char *p, const char *e, int depth)
{
	int esc = 0;

	if (p >= e)
		return NULL;
	if (*p == '"') {
		p = str_end(p + 1, e, &esc);
		return p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		if (depth > 32)
			return NULL;
		p = skip_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= e || *p != '"' || !(p = str_end(p + 1, e, &esc)))
					return NULL;
				p = skip_ws(p + 1, e);
				if (p >= e || *p != ':')
					return NULL;
				p = skip_ws(p + 1, e);
			}
			if (!(p = value_end(p, e, depth + 1)))
				return NULL;
			p = skip_ws(p, e);
			if (p < e && *p == ',')
				p = skip_ws(p + 1, e);
			else if (p < e && *p == close)
				return p + 1;
			else
				return NULL;
		}
	}
	static const char *const lit[] = {"true", "false", "null"};
	for (int i = 0; i < 3; i++) {
		size_t k = strlen(lit[i]);
		if ((size_t)(e - p) >= k && !memcmp(p, lit[i], k))
			return p + k;
	}
	return num_end(p, e);
}

int
bi_json_scan(const char *line, size_t len, const char *const *keys, bi_json_span *vals)
{
	const char *p = skip_ws(line, line + len), *e = line + len;
	size_t nkeys, lens[16];	/* the first keys' lengths, to tell most apart */
	uint64_t sizes = 0;	/* bit n % 64: a key n bytes long is wanted */

	for (nkeys = 0; keys[nkeys]; nkeys++) {
		size_t n = strlen(keys[nkeys]);
		if (nkeys < 16)
			lens[nkeys] = n;
		sizes |= UINT64_C(1) << (n % 64);
	}
	memset(vals, 0, nkeys * sizeof *vals);
	if (p >= e || *p != '{')
		return 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == '}')
		return skip_ws(p + 1, e) == e;
	for (;;) {
		int esc = 0;
		if (p >= e || *p != '"')
			return 0;
		const char *k = p + 1, *ke = str_end(k, e, &esc);
		if (!ke || esc)
			return 0;
		p = skip_ws(ke + 1, e);
		if (p >= e || *p != ':')
			return 0;
		p = skip_ws(p + 1, e);
		const char *v = p;
		if (!(p = value_end(p, e, 0)))
			return 0;
		size_t kn = (size_t)(ke - k);
		for (size_t i = 0; sizes >> (kn % 64) & 1 && i < nkeys; i++) {
			if ((i < 16 ? lens[i] : strlen(keys[i])) != kn || memcmp(keys[i], k, kn))
				continue;
			if (*v == '"')
				vals[i] = (bi_json_span){v + 1, (size_t)(p - v - 2), 1, 0};
			else
				vals[i] = (bi_json_span){v, (size_t)(p - v), 0, 0};
			vals[i].esc = vals[i].str && memchr(vals[i].p, '\\', vals[i].n) != NULL;
		}
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p = skip_ws(p + 1, e);
		else if (p < e && *p == '}')
			return skip_ws(p + 1, e) == e;
		else
			return 0;
	}
}

int
bi_json_is(bi_json_span s, const char *word)
{
	return s.p && s.str && !s.esc && s.n == strlen(word) && !memcmp(s.p, word, s.n);
}

double
bi_json_raw_num(const char *line, size_t len, const char *key)
{
	size_t kn = strlen(key);
	const char *e = line + len;
	char small[64], *needle = kn + 3 <= sizeof small ? small : bi_malloc(kn + 3);

	needle[0] = '"';	/* "key": whole, for memmem: longer is faster */
	memcpy(needle + 1, key, kn);
	needle[kn + 1] = '"';
	needle[kn + 2] = ':';
	const char *k = memmem(line, len, needle, kn + 3);
	if (needle != small)
		free(needle);
	if (!k)
		return -1;
	k += kn + 3;
	while (k < e && *k == ' ')
		k++;
	const char *q = k < e && isdigit((unsigned char)*k) ? num_end(k, e) : NULL;
	return q ? num_value(k, q) : -1;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0' :
					 (tolower((unsigned char)p[i]) - 'a' + 10));
	return v;
}

static int
is_hex4(const char *p, const char *e)
{
	if (e - p < 4)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

void
bi_json_unescape(bi_json_span s, bi_buf *b)
{
	const char *p = s.p, *e = s.p + s.n;

	b->len = 0;
	while (p < e) {
		const char *bs = memchr(p, '\\', (size_t)(e - p));
		if (!bs)
			bs = e;
		bi_buf_add(b, p, (size_t)(bs - p));
		if (bs + 1 >= e) {	/* the end, or a backslash ending it */
			bi_buf_add(b, bs, (size_t)(e - bs));
			break;
		}
		p = bs + 2;
		if (bs[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *c = bs[1] ? strchr(from, bs[1]) : NULL;
			if (c)
				bi_buf_add(b, &to[c - from], 1);
			else
				bi_buf_add(b, bs, 2);
			continue;
		}
		if (!is_hex4(p, e)) {
			bi_buf_add(b, bs, 2);
			continue;
		}
		unsigned u = hex4(p);
		p += 4;
		if (u >= 0xD800 && u <= 0xDBFF && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
		    is_hex4(p + 2, e) && hex4(p + 2) >= 0xDC00 && hex4(p + 2) <= 0xDFFF) {
			u = 0x10000 + ((u - 0xD800) << 10 | (hex4(p + 2) - 0xDC00));
			p += 6;
		} else if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;	/* half a pair */
		}
		char enc[4];
		size_t k = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
		if (k == 1) {
			enc[0] = (char)u;
		} else {
			for (size_t j = k - 1; j > 0; j--, u >>= 6)
				enc[j] = (char)(0x80 | (u & 0x3F));
			enc[0] = (char)((0xF00 >> k) | u);
		}
		bi_buf_add(b, enc, k);
	}
	bi_buf_add(b, "", 0);
}

void
bi_json_quote(bi_buf *b, const char *s)
{
	bi_buf_add(b, "\"", 1);
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
				   "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
		bi_buf_add(b, p, n);
		p += n;
		if (!*p)
			break;
		unsigned char c = (unsigned char)*p++;
		if (c == '"' || c == '\\')
			bi_buf_printf(b, "\\%c", c);
		else
			bi_buf_printf(b, "\\u%04x", c);
	}
	bi_buf_add(b, "\"", 1);
}

int
bi_each(int n, char *const *paths, int flags, bi_each_fn fn, void *ctx)
{
	int bad = 0, stop = 0;

	for (int i = 0; !stop && (i < n || (n == 0 && i == 0)); i++) {
		const char *name = n ? paths[i] : "-";
		int fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		if (fd < 0) {
			if (flags & BI_STRICT) {
				bi_warn("fatal: cannot open %s:", name);
				return -1;
			}
			bi_warn("cannot open %s:", name);
			bad++;
			continue;
		}
		bi_reader *r = bi_reader_new(fd, name, flags);
		jv rec;
		while (!stop && bi_read(r, &rec))
			stop = fn(ctx, rec, r);
		if (bi_reader_fatal(r))
			bad = -1, stop = 1;
		bi_reader_free(r);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	return bad;
}

struct last {
	const char *kind;
	jv found;
};

static int
keep_last(void *ctx, jv rec, bi_reader *r)
{
	struct last *l = ctx;
	const char *k = bi_get_str(rec, "kind");

	(void)r;
	if (k && !strcmp(k, l->kind)) {
		jv_free(l->found);
		l->found = rec;
	} else {
		jv_free(rec);
	}
	return 0;
}

jv
bi_last_record(const char *path, const char *kind)
{
	struct last l = {kind, jv_invalid()};
	char *const paths[] = {(char *)path};

	if (strcmp(path, "-") && access(path, R_OK) != 0)
		return l.found;
	bi_each(1, paths, 0, keep_last, &l);
	return l.found;
}

int64_t
bi_record_ts(jv rec)
{
	const char *s = bi_get_str(rec, "ts");
	int64_t ns;

	return s && bi_ts_parse(s, &ns) == 0 ? ns : 0;
}

jv
bi_jv_path(jv v, const char *path)
{
	jv cur = jv_copy(v);
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");
		if (jv_get_kind(cur) == JV_KIND_OBJECT) {
			cur = jv_object_get(cur, jv_string_sized(p, (int)n));
		} else if (jv_get_kind(cur) == JV_KIND_ARRAY && n > 0 &&
			   strspn(p, "0123456789") == n) {
			cur = jv_array_get(cur, atoi(p));
		} else {
			jv_free(cur);
			return jv_invalid();
		}
		if (!jv_is_valid(cur))
			return jv_invalid();
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *
bi_jv_path_str(jv v, const char *path, const char *def)
{
	jv x = bi_jv_path(v, path);
	const char *s = def;

	if (jv_get_kind(x) == JV_KIND_STRING)
		s = jv_string_value(x);	/* v keeps it alive */
	jv_free(x);
	return s;
}

double
bi_jv_path_num(jv v, const char *path, double def)
{
	jv x = bi_jv_path(v, path);
	double d = def;

	if (jv_get_kind(x) == JV_KIND_NUMBER)
		d = jv_number_value(x);
	jv_free(x);
	return d;
}
