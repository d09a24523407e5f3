/* base/fmt.h: the interface of fmt.c (layer: base). */
#ifndef BI_BASE_FMT_H
#define BI_BASE_FMT_H

#include <jv.h>
#include <stdio.h>

#include "base/util.h"

/* Text from a record, made safe to show on a terminal: n bytes of s (a NUL
 * among them shown, not an end) with every control character written out as
 * an escape, never sent: \0, \t, \n, \r, \e (ESC), \x7f for the other C0
 * controls and DEL, \u009b for the C1 controls, \xff for a byte that is
 * not part of a valid UTF-8 character. Nothing in a record can then move the
 * cursor or change the colours; colour comes from bi_fmt_paint alone. With
 * BI_FMT_LINES, newlines and tabs are kept (text meant to span lines). */
enum { BI_FMT_LINES = 1 };
void bi_fmt_text(bi_buf *b, const char *s, size_t n, int flags);

/* v (consumed) with every string in it, keys included, made safe as by
 * bi_fmt_text, so that C strings taken from it are whole and inert; the
 * string values of the top-level keys named in lines (a NULL-ended list, or
 * NULL) keep their newlines and tabs. v itself when nothing needed it. */
jv bi_fmt_clean(jv v, const char *const *lines);

/* Values for people. bi_fmt_str: strings whole, made safe as by bi_fmt_text,
 * numbers without trailing zeros, arrays joined by ",", objects as
 * k=v,k=v, absent as "-". */
void bi_fmt_str(bi_buf *b, jv v);			/* v borrowed */
void bi_fmt_time(bi_buf *b, jv v);			/* "2026-11-24 01:02:03.000" */
void bi_fmt_bytes(bi_buf *b, double n);			/* "30.0MiB" */
void bi_fmt_ms(bi_buf *b, double ms);			/* "950us", "12.5ms", "1.2s" */
/* text in the colour sgr ("31": red) when color is set. */
void bi_fmt_paint(bi_buf *b, int color, const char *sgr, const char *text);

/* A column of a table: its header, the record's field (a dotted path; "a|b"
 * is a, or b when a is absent), how to show it, and right-aligned or not. */
enum bi_fmt_kind { BI_F_STR, BI_F_UPPER, BI_F_TIME, BI_F_NUM, BI_F_PCT, BI_F_BYTES, BI_F_MS,
		   BI_F_SHORT, BI_F_FIRSTLINE, BI_F_RATE };
typedef struct bi_col {
	const char *head, *key;
	enum bi_fmt_kind fmt;
	int right;
} bi_col;
void bi_fmt_value(bi_buf *b, jv rec, const bi_col *c);	/* rec borrowed */

/* Rows gathered, then printed aligned (display width, not bytes); columns
 * that are "-" in every row are left out when the table has a header. cols
 * ends with an entry whose head is NULL (at most 32). */
typedef struct bi_table bi_table;
bi_table *bi_table_new(const bi_col *cols, int header, int color);
void bi_table_add(bi_table *t, jv rec, const char *(*tint)(jv rec, int col));
/* Print the rows gathered (with the header line when asked) and forget them. */
void bi_table_print(bi_table *t, FILE *out, int with_header);
int bi_table_rows(const bi_table *t);
void bi_table_free(bi_table *t);

#endif
