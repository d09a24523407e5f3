/*
 * fmt.c: records made readable. Field values formatted for people (times,
 * bytes, latencies, percentages) and aligned tables of records, with colour
 * when asked. bi-fmt says which kinds become which tables; any tool that
 * shows records to people can use the same.
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
		bi_buf_adds(b, jv_string_value(v));
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
			bi_buf_printf(b, "%s%s=", first ? "" : ",", jv_string_value(k));
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
	const char *s = jv_string_value(v);
	int64_t ns;
	char t[BI_TS_LEN];
	if (bi_ts_parse(s, &ns) == 0)
		s = bi_ts_fmt(ns, t);
	bi_buf_printf(b, "%.10s %.12s", s, strlen(s) > 11 ? s + 11 : "");
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
		if (jv_get_kind(v) == JV_KIND_STRING) {
			for (const char *p = jv_string_value(v); *p; p++)
				bi_buf_printf(b, "%c", *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		} else {
			bi_fmt_str(b, v);
		}
		break;
	case BI_F_SHORT:
		if (jv_get_kind(v) == JV_KIND_STRING)
			bi_buf_printf(b, "%.12s", jv_string_value(v));
		else
			bi_fmt_str(b, v);
		break;
	case BI_F_FIRSTLINE:
		if (jv_get_kind(v) == JV_KIND_STRING) {
			const char *s = jv_string_value(v);
			bi_buf_printf(b, "%.*s", (int)strcspn(s, "\n"), s);
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
