/* test-fmt: values for people, and tables that line up. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/fmt.h"
#include "tap.h"

static char out[4096];

static const char *
str(jv v)
{
	bi_buf b = {0};
	bi_fmt_str(&b, v);
	jv_free(v);
	snprintf(out, sizeof out, "%s", b.p ? b.p : "");
	bi_buf_free(&b);
	return out;
}

static const char *
text(const char *s, size_t n, int flags)
{
	bi_buf b = {0};
	bi_fmt_text(&b, s, n, flags);
	snprintf(out, sizeof out, "%s", b.p ? b.p : "");
	bi_buf_free(&b);
	return out;
}

static const char *
cleaned(const char *json)
{
	static const char *const lines[] = {"stack", NULL};
	jv v = bi_fmt_clean(jv_parse(json), lines);
	jv d = jv_dump_string(v, 0);
	snprintf(out, sizeof out, "%s", jv_string_value(d));
	jv_free(d);
	return out;
}

static const char *
ms(double v)
{
	bi_buf b = {0};
	bi_fmt_ms(&b, v);
	snprintf(out, sizeof out, "%s", b.p);
	bi_buf_free(&b);
	return out;
}

static const char *
bytes(double v)
{
	bi_buf b = {0};
	bi_fmt_bytes(&b, v);
	snprintf(out, sizeof out, "%s", b.p);
	bi_buf_free(&b);
	return out;
}

static const char *
value(const char *json, const bi_col *c)
{
	bi_buf b = {0};
	jv rec = jv_parse(json);
	bi_fmt_value(&b, rec, c);
	jv_free(rec);
	snprintf(out, sizeof out, "%s", b.p ? b.p : "");
	bi_buf_free(&b);
	return out;
}

static const bi_col cols[] = {
	{"SERVICE", "service", BI_F_STR, 0},
	{"P95", "p95_ms", BI_F_MS, 1},
	{"NOTE", "note", BI_F_STR, 0},
	{NULL, NULL, 0, 0}};

static const char *
table(const char **recs, int n, int header)
{
	char *p = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&p, &len);
	bi_table *t = bi_table_new(cols, header, 0);
	for (int i = 0; i < n; i++) {
		jv rec = jv_parse(recs[i]);
		bi_table_add(t, rec, NULL);
		jv_free(rec);
	}
	ok(bi_table_rows(t) == n, "table holds %d rows", n);
	bi_table_print(t, f, header);
	ok(bi_table_rows(t) == 0, "printing forgets the rows");
	bi_table_free(t);
	fclose(f);
	snprintf(out, sizeof out, "%s", p);
	free(p);
	return out;
}

int
main(void)
{
	plan(40);

	is_str(str(jv_string("api")), "api", "strings as they are");
	is_str(str(jv_number(3)), "3", "whole numbers without a point");
	is_str(str(jv_number(0.125)), "0.125", "fractions without trailing zeros");
	is_str(str(jv_null()), "-", "null is a dash");
	is_str(str(jv_invalid()), "-", "absent is a dash");
	is_str(str(jv_parse("[\"a\",1]")), "a,1", "arrays joined by commas");
	is_str(str(jv_parse("{\"a\":1,\"b\":\"x\"}")), "a=1,b=x", "objects as k=v");
	is_str(str(jv_true()), "yes", "true is yes");

	/* A record's text shown whole and inert. */
	is_str(str(jv_string_sized("a\0b", 3)), "a\\0b", "a NUL is shown, not the end");
	is_str(str(jv_parse("\"\\u001b[31mred\\u001b[0m\"")), "\\e[31mred\\e[0m", "ESC written out, no colour");
	is_str(str(jv_string("a\tb\nc\rd\x7f\x01")), "a\\tb\\nc\\rd\\x7f\\x01", "tab, newline, CR, DEL, C0");
	is_str(str(jv_string("\xc2\x9b" "2J \xc2\x85|\xc2\xa0|\xc3\xa9|\xe2\x9c\x93")),
	       "\\u009b2J \\u0085|\xc2\xa0|\xc3\xa9|\xe2\x9c\x93", "C1 controls written out, other characters kept");
	is_str(str(jv_parse("{\"k\\u001b\":\"v\\u0000\"}")), "k\\e=v\\0", "keys too");
	is_str(str(jv_parse("[\"\\u0000\"]")), "\\0", "and array items");
	is_str(text("\xff|\xe0\x80\x9b|\xc0\x9b|\xed\xa0\x80|\xe2\x9c", 15, 0),
	       "\\xff|\\xe0\\x80\\x9b|\\xc0\\x9b|\\xed\\xa0\\x80|\\xe2\\x9c",
	       "bytes that are not UTF-8 (overlong, surrogate, cut short) written out");
	is_str(text("a\nb\tc\rd\0", 8, BI_FMT_LINES), "a\nb\tc\\rd\\0", "BI_FMT_LINES keeps lines and tabs, no more");
	is_str(text("", 0, 0), "", "empty text");

	is_str(cleaned("{\"kind\":\"log\",\"msg\":\"plain\",\"n\":1}"),
	       "{\"kind\":\"log\",\"msg\":\"plain\",\"n\":1}", "a clean record as it was");
	is_str(cleaned("{\"msg\":\"a\\u0000\\u001b[2J\\n\",\"stack\":\"x\\n\\ty\\r\",\"o\":{\"stack\":\"\\n\"},"
		       "\"l\":[\"\\u0085\"],\"k\\u0007\":true}"),
	       "{\"msg\":\"a\\\\0\\\\e[2J\\\\n\",\"stack\":\"x\\n\\ty\\\\r\",\"o\":{\"stack\":\"\\\\n\"},"
	       "\"l\":[\"\\\\u0085\"],\"k\\\\x07\":true}",
	       "bi_fmt_clean: every string made safe, keys too; a top-level stack keeps its lines");

	is_str(ms(0.95), "950us", "under a millisecond in microseconds");
	is_str(ms(12.5), "12.5ms", "milliseconds");
	is_str(ms(1200), "1.2s", "seconds");
	is_str(bytes(30 * 1048576.0), "30.0MiB", "binary units");

	bi_col alt = {"X", "a|b", BI_F_STR, 0};
	is_str(value("{\"b\":\"second\"}", &alt), "second", "a|b falls back to b");
	is_str(value("{\"a\":\"first\",\"b\":\"second\"}", &alt), "first", "a|b prefers a");
	bi_col dotted = {"X", "x.y", BI_F_STR, 0};
	is_str(value("{\"x\":{\"y\":7}}", &dotted), "7", "dotted paths reach inside");
	bi_col upper = {"X", "l", BI_F_UPPER, 0}, shrt = {"X", "l", BI_F_SHORT, 0},
	       first = {"X", "l", BI_F_FIRSTLINE, 0}, when = {"X", "l", BI_F_TIME, 0};
	is_str(value("{\"l\":\"er\\u0000ror\\u001b\"}", &upper), "ER\\0ROR\\e", "upper case, whole and inert");
	is_str(value("{\"l\":\"\\u001b[2J0123456789abcdef\"}", &shrt), "\\e[2J01234567", "short: 12 bytes, inert");
	is_str(value("{\"l\":\"0123456789\\u00e9\\u00e9\"}", &shrt), "0123456789\xc3\xa9", "short: not half a character");
	is_str(value("{\"l\":\"a\\u0000b\\u001b\\nsecond\"}", &first), "a\\0b\\e", "first line, whole and inert");
	is_str(value("{\"l\":\"bad\\u001b[2Jtime\"}", &when), "bad\\e[2Jti e", "a time that is not one, inert");

	const char *recs[] = {
		"{\"service\":\"api\",\"p95_ms\":12.5}",
		"{\"service\":\"worker-long\",\"p95_ms\":0.5}",
	};
	is_str(table(recs, 2, 1),
	       "SERVICE         P95\n"
	       "api          12.5ms\n"
	       "worker-long   500us\n",
	       "aligned; right columns right; all-dash columns left out");
	const char *one[] = {"{\"service\":\"é\",\"p95_ms\":1,\"note\":\"n\"}"};
	is_str(table(one, 1, 0), "é  1.0ms  n\n", "no header; width counts characters, not bytes");
	const char *esc[] = {
		"{\"service\":\"a\\u001b[1m\",\"p95_ms\":1}",
		"{\"service\":\"bbbbbbb\",\"p95_ms\":2}",
	};
	is_str(table(esc, 2, 1),
	       "SERVICE    P95\n"
	       "a\\e[1m   1.0ms\n"
	       "bbbbbbb  2.0ms\n",
	       "an escape is as wide as it shows");

	return done();
}
