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
	plan(21);

	is_str(str(jv_string("api")), "api", "strings as they are");
	is_str(str(jv_number(3)), "3", "whole numbers without a point");
	is_str(str(jv_number(0.125)), "0.125", "fractions without trailing zeros");
	is_str(str(jv_null()), "-", "null is a dash");
	is_str(str(jv_invalid()), "-", "absent is a dash");
	is_str(str(jv_parse("[\"a\",1]")), "a,1", "arrays joined by commas");
	is_str(str(jv_parse("{\"a\":1,\"b\":\"x\"}")), "a=1,b=x", "objects as k=v");
	is_str(str(jv_true()), "yes", "true is yes");

	is_str(ms(0.95), "950us", "under a millisecond in microseconds");
	is_str(ms(12.5), "12.5ms", "milliseconds");
	is_str(ms(1200), "1.2s", "seconds");
	is_str(bytes(30 * 1048576.0), "30.0MiB", "binary units");

	bi_col alt = {"X", "a|b", BI_F_STR, 0};
	is_str(value("{\"b\":\"second\"}", &alt), "second", "a|b falls back to b");
	is_str(value("{\"a\":\"first\",\"b\":\"second\"}", &alt), "first", "a|b prefers a");
	bi_col dotted = {"X", "x.y", BI_F_STR, 0};
	is_str(value("{\"x\":{\"y\":7}}", &dotted), "7", "dotted paths reach inside");

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

	return done();
}
