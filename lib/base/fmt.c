/*
 * fmt.c: records made readable. Field values formatted for people (times,
 * bytes, latencies, percentages) and aligned tables of records, with colour
 * when asked. bi-fmt says which kinds become which tables; any tool that
 * shows records to people can use the same.
 *
 * A record is untrusted input bound for a terminal: its text is shown
 * whole (a NUL does not end it) and inert (a control character is written
 * out as an escape, never sent), so colour and cursor moves come only from
 * bi_fmt_paint.
 *
 * Layer: base.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

/* The length of the UTF-8 character at s (n bytes left), or 0 if none
 * starts there: a stray continuation byte, a bad lead, a short or overlong
 * sequence (an overlong ESC is still an ESC to a lax decoder), a surrogate,
 * past U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	unsigned lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		k = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		k = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		k = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return k;
}

/* Bytes of s that bi_fmt_text copies as they are, from the start. */
static size_t
plain_span(const char *s, size_t n, int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x7F) {
			i++;
			continue;
		}
		if ((c == '\n' || c == '\t') && (flags & BI_FMT_LINES)) {
			i++;
			continue;
		}
		if (c < 0x80)
			break;
		size_t k = utf8_len(u + i, n - i);
		if (k == 0 || (c == 0xC2 && u[i + 1] < 0xA0))	/* C1: U+0080..U+009F */
			break;
		i += k;
	}
	return i;
}

void
bi_fmt_text(bi_buf *b, const char *s, size_t n, int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = plain_span(s + i, n - i, flags);
		bi_buf_add(b, s + i, k);
		i += k;
		if (i == n)
			break;
		unsigned char c = u[i];
		switch (c) {
		case '\0': bi_buf_adds(b, "\\0"); break;
		case '\t': bi_buf_adds(b, "\\t"); break;
		case '\n': bi_buf_adds(b, "\\n"); break;
		case '\r': bi_buf_adds(b, "\\r"); break;
		case 0x1B: bi_buf_adds(b, "\\e"); break;
		default:
			if (c == 0xC2 && utf8_len(u + i, n - i) == 2) {
				bi_buf_printf(b, "\\u%04x", u[i + 1]);
				i++;
			} else {
				bi_buf_printf(b, "\\x%02x", c);
			}
		}
		i++;
	}
	bi_buf_add(b, NULL, 0);
}

static void
add_jstr(bi_buf *b, jv s, int flags)
{
	bi_fmt_text(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)), flags);
}

/* Is the key k one of lines (a NULL-ended list, or NULL)? */
static int
listed(jv k, const char *const *lines)
{
	for (const char *const *l = lines; l && *l; l++)
		if (!strcmp(jv_string_value(k), *l))
			return 1;
	return 0;
}

static int
plain(jv s, int flags)
{
	size_t n = (size_t)jv_string_length_bytes(jv_copy(s));

	return plain_span(jv_string_value(s), n, flags) == n;
}

/* Would bi_fmt_clean change v? (v borrowed) */
static int
dirty(jv v, const char *const *lines)
{
	int r = 0;

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return !plain(v, 0);
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, e) {
			r = r || dirty(e, NULL);
			jv_free(e);
		}
		return r;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, e) {
			if (!r && dirty(e, NULL))	/* a stack's lines may be all it has */
				r = !(jv_get_kind(e) == JV_KIND_STRING && listed(k, lines) &&
				      plain(e, BI_FMT_LINES));
			r = r || !plain(k, 0);
			jv_free(k);
			jv_free(e);
		}
		return r;
	default:
		return 0;
	}
}

static jv
clean_str(jv s, int flags)
{
	bi_buf b = {0};

	add_jstr(&b, s, flags);
	jv_free(s);
	jv r = jv_string_sized(b.p, (int)b.len);
	bi_buf_free(&b);
	return r;
}

static jv
clean(jv v, const char *const *lines)
{
	jv out;

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return clean_str(v, 0);
	case JV_KIND_ARRAY:
		out = jv_array();
		jv_array_foreach(v, i, e)
			out = jv_array_append(out, clean(e, NULL));
		break;
	case JV_KIND_OBJECT:
		out = jv_object();
		jv_object_foreach(v, k, e) {
			if (listed(k, lines) && jv_get_kind(e) == JV_KIND_STRING)
				e = clean_str(e, BI_FMT_LINES);
			else
				e = clean(e, NULL);
			out = jv_object_set(out, clean_str(k, 0), e);
		}
		break;
	default:
		return v;
	}
	jv_free(v);
	return out;
}

jv
bi_fmt_clean(jv v, const char *const *lines)
{
	return dirty(v, lines) ? clean(v, lines) : v;
}

void
bi_fmt_paint(bi_buf *b, int color, const char *sgr, const char *text)
{
	if (color && sgr && *sgr)
		bi_buf_printf(b, "\033[%sm%s\033[0m", sgr, text);
	else
		bi_buf_adds(b, text);
}

/* ---- field formatting ---- */

static jv
field(jv rec, const char *path)
{
	return bi_jv_path(rec, path);
}

void
bi_fmt_str(bi_buf *b, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		add_jstr(b, v, 0);
		break;
	case JV_KIND_INVALID:
	case JV_KIND_NULL:
		bi_buf_adds(b, "-");
		break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == floor(d) && fabs(d) < 1e15)
			bi_buf_printf(b, "%.0f", d);
		else
			bi_buf_printf(b, "%.4g", d);
		break;
	}
	case JV_KIND_TRUE:
		bi_buf_adds(b, "yes");
		break;
	case JV_KIND_FALSE:
		bi_buf_adds(b, "no");
		break;
	case JV_KIND_ARRAY: {
		int first = 1;
		jv_array_foreach(v, i, e) {
			if (!first)
				bi_buf_adds(b, ",");
			first = 0;
			bi_fmt_str(b, e);
			jv_free(e);
		}
		if (first)
			bi_buf_adds(b, "-");
		break;
	}
	case JV_KIND_OBJECT: {
		int first = 1;
		jv_object_foreach(v, k, e) {
			bi_buf_adds(b, first ? "" : ",");
			add_jstr(b, k, 0);
			bi_buf_adds(b, "=");
			bi_fmt_str(b, e);
			first = 0;
			jv_free(k);
			jv_free(e);
		}
		if (first)
			bi_buf_adds(b, "-");
		break;
	}
	default:
		break;
	}
}

/* "2026-11-24T01:02:03.000Z" -> "2026-11-24 01:02:03.000" */
void
bi_fmt_time(bi_buf *b, jv v)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		bi_buf_adds(b, "-");
		return;
	}
	bi_buf c = {0};
	add_jstr(&c, v, 0);
	const char *s = c.p;
	int64_t ns;
	char t[BI_TS_LEN];
	if (bi_ts_parse(s, &ns) == 0)
		s = bi_ts_fmt(ns, t);
	bi_buf_printf(b, "%.10s %.12s", s, strlen(s) > 11 ? s + 11 : "");
	bi_buf_free(&c);
}

void
bi_fmt_bytes(bi_buf *b, double d)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (fabs(d) >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		bi_buf_printf(b, "%.0f%s", d, unit[u]);
	else
		bi_buf_printf(b, "%.1f%s", d, unit[u]);
}

void
bi_fmt_ms(bi_buf *b, double ms)
{
	if (ms >= 1000)
		bi_buf_printf(b, "%.1fs", ms / 1000);
	else if (ms >= 100)
		bi_buf_printf(b, "%.0fms", ms);
	else if (ms >= 1)
		bi_buf_printf(b, "%.1fms", ms);
	else
		bi_buf_printf(b, "%.0fus", ms * 1000);
}

void
bi_fmt_value(bi_buf *b, jv rec, const bi_col *c)
{
	char key[64];
	const char *alt = strchr(c->key, '|');
	jv v;

	if (alt) {
		snprintf(key, sizeof key, "%.*s", (int)(alt - c->key), c->key);
		v = field(rec, key);
		if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			v = field(rec, alt + 1);
		}
	} else {
		v = field(rec, c->key);
	}
	int num = jv_get_kind(v) == JV_KIND_NUMBER;
	double d = num ? jv_number_value(v) : 0;
	int str = jv_get_kind(v) == JV_KIND_STRING;
	const char *s = str ? jv_string_value(v) : NULL;
	size_t n = str ? (size_t)jv_string_length_bytes(jv_copy(v)) : 0;
	switch (c->fmt) {
	case BI_F_TIME:
		bi_fmt_time(b, v);
		break;
	case BI_F_NUM:
		if (num)
			bi_buf_printf(b, fabs(d) >= 100 || d == floor(d) ? "%.0f" : "%.2f", d);
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_RATE:
		if (num)
			bi_buf_printf(b, "%.1f", d);
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_PCT:
		if (num)
			bi_buf_printf(b, "%.1f%%", d);
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_BYTES:
		if (num)
			bi_fmt_bytes(b, d);
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_MS:
		if (num)
			bi_fmt_ms(b, d);
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_UPPER:
		if (str) {
			char *up = bi_malloc(n + 1);
			memcpy(up, s, n);
			for (size_t i = 0; i < n; i++)
				if (up[i] >= 'a' && up[i] <= 'z')
					up[i] -= 32;
			bi_fmt_text(b, up, n, 0);
			free(up);
		} else {
			bi_fmt_str(b, v);
		}
		break;
	case BI_F_SHORT:
		if (str) {
			size_t k = n < 12 ? n : 12;
			while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
				k--;	/* not half a character */
			bi_fmt_text(b, s, k, 0);
		} else {
			bi_fmt_str(b, v);
		}
		break;
	case BI_F_FIRSTLINE:
		if (str) {
			const char *nl = memchr(s, '\n', n);
			bi_fmt_text(b, s, nl ? (size_t)(nl - s) : n, 0);
		} else {
			bi_fmt_str(b, v);
		}
		break;
	default:
		bi_fmt_str(b, v);
	}
	jv_free(v);
}

/* ---- tables ---- */

struct bi_table {
	const bi_col *cols;
	int ncols, header, color;
	char **cells;		/* nrows x ncols */
	const char **tints;
	int nrows;
	int used[32];		/* columns with anything but "-" */
};

static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

bi_table *
bi_table_new(const bi_col *cols, int header, int color)
{
	bi_table *t = bi_calloc(1, sizeof *t);

	t->cols = cols;
	t->header = header;
	t->color = color;
	while (cols[t->ncols].head && t->ncols < 32)
		t->ncols++;
	return t;
}

int
bi_table_rows(const bi_table *t)
{
	return t->nrows;
}

void
bi_table_add(bi_table *t, jv rec, const char *(*tint)(jv rec, int col))
{
	int n = t->ncols;

	t->cells = bi_realloc(t->cells, (size_t)(t->nrows + 1) * n * sizeof *t->cells);
	t->tints = bi_realloc(t->tints, (size_t)(t->nrows + 1) * n * sizeof *t->tints);
	for (int c = 0; c < n; c++) {
		bi_buf b = {0};
		bi_fmt_value(&b, rec, &t->cols[c]);
		bi_buf_add(&b, NULL, 0);
		/* Without a header, every column but the last keeps its place. */
		if (strcmp(b.p, "-") != 0 || (!t->header && c < n - 1))
			t->used[c] = 1;
		t->cells[t->nrows * n + c] = b.p;
		t->tints[t->nrows * n + c] = tint ? tint(rec, c) : NULL;
	}
	t->nrows++;
}

void
bi_table_print(bi_table *t, FILE *out, int with_header)
{
	size_t w[32] = {0};
	bi_buf line = {0};
	int n = t->ncols, last = -1;

	for (int c = 0; c < n; c++) {
		if (!t->used[c])
			continue;
		last = c;
		w[c] = t->header ? width(t->cols[c].head) : 0;
		for (int r = 0; r < t->nrows; r++) {
			size_t k = width(t->cells[r * n + c]);
			if (k > w[c])
				w[c] = k;
		}
	}
	for (int r = t->header && with_header ? -1 : 0; r < t->nrows; r++) {
		line.len = 0;
		for (int c = 0; c < n; c++) {
			if (!t->used[c])
				continue;
			const char *text = r < 0 ? t->cols[c].head : t->cells[r * n + c];
			size_t pad = w[c] - width(text);
			if (t->cols[c].right)
				bi_buf_printf(&line, "%*s", (int)pad, "");
			bi_fmt_paint(&line, t->color, r < 0 ? "1" : t->tints[r * n + c], text);
			if (c != last) {
				if (!t->cols[c].right)
					bi_buf_printf(&line, "%*s", (int)pad, "");
				bi_buf_adds(&line, "  ");
			}
		}
		bi_buf_add(&line, "\n", 1);
		fputs(line.p, out);
	}
	for (int i = 0; i < t->nrows * n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->tints);
	t->cells = NULL;
	t->tints = NULL;
	t->nrows = 0;
	memset(t->used, 0, sizeof t->used);
	bi_buf_free(&line);
}

void
bi_table_free(bi_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->tints);
	free(t);
}
