/* test-prom: the exposition parser, rate() and histogram_quantile(). */
#include <math.h>
#include <stdlib.h>

#include "base/util.h"
#include "engines/prom.h"
#include "tap.h"

static bi_buf got, errs;

static int
keep(void *ctx, const bi_prom_sample *s)
{
	(void)ctx;
	jv l = jv_dump_string(jv_copy(s->labels), JV_PRINT_SORTED);
	bi_buf_printf(&got, "%s%s=%g@%lld:%s\n", s->name, jv_string_value(l), s->value,
		      (long long)s->ts_ms, s->type);
	jv_free(l);
	return 0;
}

static void
bad(void *ctx, size_t line, const char *why)
{
	(void)ctx;
	bi_buf_printf(&errs, "%zu: %s\n", line, why);
}

static const char *
P(const char *text, int om)
{
	got.len = errs.len = 0;
	bi_buf_add(&got, NULL, 0);
	bi_buf_add(&errs, NULL, 0);
	bi_prom_parse(text, strlen(text), om ? BI_PROM_OM : 0, keep, bad, NULL);
	return got.p;
}

/* The strict reading of text: "ok N" with the samples given, or the one
 * error reported ("LINE: why"); anything else shows. */
static const char *
S(const char *text, int flags)
{
	static char out[512];

	got.len = errs.len = 0;
	bi_buf_add(&got, NULL, 0);
	bi_buf_add(&errs, NULL, 0);
	long n = bi_prom_parse(text, strlen(text), flags | BI_PROM_STRICT, keep, bad, NULL);
	if (n >= 0)
		snprintf(out, sizeof out, "ok %ld%s%s", n, errs.len ? ", and told: " : "", errs.p);
	else if (errs.len && !strchr(errs.p, '\n')[1])
		snprintf(out, sizeof out, "%.*s", (int)errs.len - 1, errs.p);
	else
		snprintf(out, sizeof out, "stopped (%ld), told: %s", n, errs.p);
	return out;
}

/* Text, flags, and what S gives. */
static const struct strict_case {
	const char *text;
	int flags;
	const char *want, *what;
} strict[] = {
	/* The families. */
	{"# HELP a x\n# HELP a y\n", 0, "2: a second HELP line for a", "a second HELP"},
	{"# TYPE a gauge\n# TYPE a gauge\n", 0, "2: a second TYPE line for a", "a second TYPE"},
	{"a 1\n# TYPE a gauge\n", 0, "2: the TYPE line of a comes after its samples", "TYPE after the samples"},
	{"# HELP a x\na 1\n# HELP b y\nb 2\na 3\n", 0, "ok 3", "HELP first, and a family's samples split by another's"},
	{"# TYPE a gauge\na 1\n# HELP a late\n", 0, "ok 1", "HELP after the samples"},
	{"# TYPE h histogram\nh_count 1\n# TYPE h_count gauge\n", 0,
	 "3: h_count is a series of the histogram h, which has its type already", "a histogram owns _count"},
	{"# TYPE s summary\n# HELP s_sum x\n# HELP s y\n", 0, "3: a second HELP line for s", "a summary owns _sum"},
	{"# TYPE g gauge\ng_count 1\n# TYPE g_count counter\n", 0,
	 "3: the TYPE line of g_count comes after its samples", "a gauge owns no _count"},
	{"# TYPE c counter\nc_total 1\n# TYPE c_total gauge\n", 0,
	 "3: the TYPE line of c_total comes after its samples", "nor does a counter own _total, in 0.0.4"},
	{"# HELP a\n# HELP a \t\n# TYPE a\n# HELP a text\n# TYPE a  gauge\n# HELP\n", 0, "ok 0",
	 "HELP and TYPE lines with no text say nothing"},
	/* TYPE lines. */
	{"# TYPE a meter\n", 0, "1: not a type: 'meter' (counter, gauge, histogram, summary or untyped)", "an unknown type"},
	{"# TYPE a gauge integer\n", 0, "1: a TYPE line holds a name and a type, no more: 'gauge integer'", "two words"},
	{"# TYPE a gauge \n", 0, "1: a blank after the type in the TYPE line of a", "a blank after the type"},
	{"# TYPE a unknown\n", 0, "1: not a type: 'unknown' (counter, gauge, histogram, summary or untyped)",
	 "unknown is OpenMetrics'"},
	{"#TYPE a GAUGE\n# TYPE b Un\\typed\n# TYPE c gauge_histogram\nc{le=\"x\"} 1\n", 0, "ok 1",
	 "the type in any case, backslashes dropped, gauge_histogram (whose le is any label)"},
	{"# TYPE a-b gauge\n", 0, "1: not a metric name in a TYPE line: 'a-b'", "a bad name in TYPE"},
	{"# HELP 9a text\n", 0, "1: not a metric name in a HELP line: '9a'", "a bad name in HELP"},
	{"# TYPEX a b\n# Other words\n#\n", 0, "ok 0", "other comments"},
	/* HELP text. */
	{"# HELP a back\\\\slash, line\\nfeed, \"quotes\"\n", 0, "ok 0", "HELP escapes"},
	{"# HELP a C:\\temp\n", 0, "1: bad escape \\t in the HELP text of a: \\\\ or \\n only", "a bad HELP escape"},
	{"# HELP a ends\\\n", 0, "1: a backslash ends the HELP text of a", "a backslash at the end"},
	/* Labels. */
	{"a{__name__=\"a\"} 1\n", 0, "1: the label name __name__ is reserved", "__name__"},
	{"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"big\"} 1\n", 0,
	 "3: the le label of a histogram's samples is a number, not 'big'", "le not a number"},
	{"# TYPE h histogram\nh_sum{le=\"0x1p1\"} 1\n", 0,
	 "2: the le label of a histogram's samples is a number, not '0x1p1'", "le in hex, on _sum too"},
	{"# TYPE s summary\ns{quantile=\"1_0\"} 1\n", 0,
	 "2: the quantile label of a summary's samples is a number, not '1_0'", "quantile with '_'"},
	{"# TYPE s summary\ns{quantile=\"-Inf\"} 1\ns{quantile=\".5e0\",le=\"x\"} 1\nh{le=\"x\",quantile=\"y\"} 1\n",
	 0, "ok 3", "le and quantile are numbers only in their families"},
	{"# TYPE h histogram\nh_bucket{le=\"1\",le=\"2\"} 1\nh{a=\"1\",a=\"2\"} 1\n", 0, "3: label a given twice",
	 "le twice is prometheus/common's le, any other label twice an error"},
	{"a{v=\"caf\xc3\xa9 \xf0\x9f\x90\x98 \xf4\x8f\xbf\xbf\"} 1\n", 0, "ok 1", "UTF-8 label values"},
	{"a{v=\"\xc3\"} 1\n", 0, "1: the value of label v is not UTF-8", "a cut sequence"},
	{"a{v=\"\xc0\xaf\"} 1\n", 0, "1: the value of label v is not UTF-8", "an overlong form"},
	{"a{v=\"\xed\xa0\x80\"} 1\n", 0, "1: the value of label v is not UTF-8", "a surrogate"},
	{"a{v=\"\xf4\x90\x80\x80\"} 1\n", 0, "1: the value of label v is not UTF-8", "past U+10FFFF"},
	/* Values. */
	{"a 0x1F\n", 0, "1: not a value: '0x1F'", "a hex integer"},
	{"a 0x1p-3\n", 0, "1: not a value: '0x1p-3'", "a hex float"},
	{"a 1_000\n", 0, "1: not a value: '1_000'", "'_' in a value"},
	{"a +NaN\n", 0, "1: not a value: '+NaN'", "no sign before NaN"},
	{"a nan(1)\n", 0, "1: not a value: 'nan(1)'", "no NaN payload"},
	{"a infin\n", 0, "1: not a value: 'infin'", "half an Infinity"},
	{"a 1e400\n", 0, "1: not a value: '1e400'", "past a double's range"},
	{"a .\n", 0, "1: not a value: '.'", "a point alone"},
	{"a\n", 0, "1: a sample with no value", "no value"},
	{"a nan\nb -INFINITY\nc +inf\nd 1e-400\ne 7.\nf .5E+3\ng -0\n"
	 "h 0.0000000000000000000000000000000000000000000000000000000000000000000000001\n", 0, "ok 8",
	 "what ParseFloat takes, long ones included"},
	/* Timestamps. */
	{"a 1 +5\nb 1 -9223372036854775808\nc 1 9223372036854775807\n", 0, "ok 3", "timestamps, to int64's ends"},
	{"a 1 9223372036854775808\n", 0, "1: not a timestamp in whole milliseconds: '9223372036854775808'", "past int64"},
	{"a 1 1e3\n", 0, "1: not a timestamp in whole milliseconds: '1e3'", "a timestamp is an integer"},
	{"a 1 \n", 0, "1: a blank after the value, and no timestamp", "a blank after the value"},
	{"a 1 5 \n", 0, "1: unexpected text after the timestamp", "a blank after the timestamp"},
	{"a 1 # {t=\"x\"} 1\n", 0, "1: not a timestamp in whole milliseconds: '#'", "no exemplar in 0.0.4"},
	/* Lines. */
	{"a 1\nb 2", 0, "2: the text ends without a line feed after its last line", "no final line feed"},
	{"a 1\n# c", 0, "2: the text ends without a line feed after its last line", "a comment with no line feed"},
	{"a 1\n \t", 0, "ok 1", "blanks after the last line feed"},
	{"a 1\r\n", 0, "1: not a value: '1\\r'", "CRLF, the carriage return shown"},
	{"a 1\n# EOF\nb x\n", 0, "3: not a value: 'x'", "# EOF is a comment in 0.0.4"},
	{"a 1\nb{ 2\nc 3\nd x\n", 0, "2: expected a label name or '}'", "the first error stops it"},
	{"", 0, "ok 0", "no text"},
	/* OpenMetrics. */
	{"# TYPE c counter\n# HELP c_total x\nc_total 1 # {t=\"a\"} 1\nc_created 5\n# EOF\n", BI_PROM_OM, "ok 1",
	 "OpenMetrics: a counter owns _total and _created; exemplars"},
	{"# TYPE c counter\nc_total 1\n# TYPE c_total gauge\n# EOF\n", BI_PROM_OM,
	 "3: c_total is a series of the counter c, which has its type already", "OpenMetrics: _total is the counter's"},
	{"# TYPE i info\n# TYPE u unknown\n# HELP u say \\\"hi\\\"\nu 1 1795481205.25\n# EOF", BI_PROM_OM, "ok 1",
	 "OpenMetrics' types, escapes and timestamps"},
	{"# TYPE u untyped\n# EOF\n", BI_PROM_OM, "1: not a type: 'untyped' (counter, gauge, histogram, "
	 "gaugehistogram, summary, info, stateset or unknown)", "OpenMetrics has no untyped"},
	{"a 1\n", BI_PROM_OM, "2: the text does not end with # EOF", "OpenMetrics ends with # EOF"},
	{"a 1\n# EOF\nb 2\n", BI_PROM_OM, "3: text after # EOF", "and nothing after it"},
};

int
main(void)
{
	int nstrict = (int)(sizeof strict / sizeof strict[0]);
	plan(31 + nstrict + 9);
	bi_init("test-prom");

	is_str(P("# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
		 "http_requests_total{method=\"GET\",path=\"/a\"} 3\n"
		 "http_requests_total{method=\"POST\",path=\"/b\",} 4 1795481205000\n", 0),
	       "http_requests_total{\"method\":\"GET\",\"path\":\"/a\"}=3@-1:counter\n"
	       "http_requests_total{\"method\":\"POST\",\"path\":\"/b\"}=4@1795481205000:counter\n",
	       "counter with labels, trailing comma, timestamp");
	is_str(P("# TYPE d histogram\nd_bucket{le=\"0.1\"} 1\nd_bucket{le=\"+Inf\"} 2\nd_sum 0.3\nd_count 2\n", 0),
	       "d_bucket{\"le\":\"0.1\"}=1@-1:histogram\nd_bucket{\"le\":\"+Inf\"}=2@-1:histogram\n"
	       "d_sum{}=0.3@-1:histogram\nd_count{}=2@-1:histogram\n", "histogram suffixes take the family's type");
	is_str(P("# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum +Inf\ns_count -Inf\nup 1\n", 0),
	       "s{\"quantile\":\"0.5\"}=nan@-1:summary\ns_sum{}=inf@-1:summary\ns_count{}=-inf@-1:summary\n"
	       "up{}=1@-1:untyped\n", "summary, NaN and infinities, untyped");
	is_str(P("x{a=\"q\\\"uo\\\\te\\nnl\"} 1\n", 0), "x{\"a\":\"q\\\"uo\\\\te\\nnl\"}=1@-1:untyped\n",
	       "label escapes");
	is_str(P("  x { a = \"1\" , b=\"2\" }  5 \r\n", 0), "x{\"a\":\"1\",\"b\":\"2\"}=5@-1:untyped\n",
	       "spaces between tokens, CRLF");
	is_str(P("# TYPE c counter\nc_total 5 # {trace_id=\"abc\"} 1.0 1795481205.1\nc_created 1795481000\n"
		 "# EOF\nafter 1\n", 1),
	       "c_total{}=5@-1:counter\n", "OpenMetrics: exemplar and _created skipped, # EOF ends");
	is_str(P("m 1 1795481205.5\n", 1), "m{}=1@1795481205500:untyped\n", "OpenMetrics timestamps are seconds");
	P("ok 1\nbad{a=\"1\" 2\nalso ok 3\n9bad 1\nx{a=\"1\",a=\"2\"} 1\nv notanumber\nw 1 2 3\nlast 4", 0);
	is_str(got.p, "ok{}=1@-1:untyped\nlast{}=4@-1:untyped\n", "good lines around bad ones kept");
	is_str(errs.p, "2: expected ',' or '}' in the labels\n3: not a value: 'ok'\n"
	       "4: a metric name must start with a letter, '_' or ':'\n5: label a given twice\n"
	       "6: not a value: 'notanumber'\n7: unexpected text after the value\n", "errors name their lines");
	P("x 1 1.5\n", 0);
	is_str(errs.p, "1: a timestamp is whole milliseconds\n", "fractional ms timestamps refused");
	P("", 0);
	is_str(got.p, "", "empty input");

	/* The strict reading, rule by rule. */
	for (int i = 0; i < nstrict; i++)
		is_str(S(strict[i].text, strict[i].flags), strict[i].want, "strict: %s", strict[i].what);
	S("# TYPE h histogram\nh_bucket{le=\"1\",x=\"\"} 2\nh_sum 1 -5\nh_count 2\nh_created 9\n", 0);
	is_str(got.p, "h_bucket{\"le\":\"1\"}=2@-1:histogram\nh_sum{}=1@-5:histogram\nh_count{}=2@-1:histogram\n"
	       "h_created{}=9@-1:untyped\n", "strict: samples as the tolerant reading gives them; _created is "
	       "a family of its own in 0.0.4");
	S("a 1\nb 2\nc x\nd 4\n", 0);
	is_str(got.p, "a{}=1@-1:untyped\nb{}=2@-1:untyped\n", "strict: the samples before the error are given");
	long n = bi_prom_parse("a 1\nb{ 2\n", 9, BI_PROM_STRICT, keep, NULL, NULL);
	is_num(n, -1, "strict: -1 when it stops, with no bad callback as well");

	/* The tolerant reading keeps what the strict one refuses. */
	P("a 1 \r\nb 0x10\nc{__name__=\"z\"} 1\n# TYPE d gauge\nd 1\n# TYPE d counter\nd 2\n"
	  "# HELP e x\\y\n# HELP e z\n# TYPE e GAUGE\ne 1 5 \nf 1", 0);
	is_str(got.p, "a{}=1@-1:untyped\nb{}=16@-1:untyped\nc{\"__name__\":\"z\"}=1@-1:untyped\nd{}=1@-1:gauge\n"
	       "d{}=2@-1:counter\ne{}=1@5:gauge\nf{}=1@-1:untyped\n",
	       "tolerant: CRLF, blanks, hex, __name__, a second TYPE, bad HELP, a type in any case, no final line feed");
	is_str(errs.p, "", "tolerant: and no complaint");
	/* ... but a type it does not know is none, and said so. */
	P("# TYPE x counte\nx 1\n# TYPE y counter\ny_total 2\n# TYPE y gauge2\ny 3\n"
	  "# TYPE h histogrm\nh_bucket{le=\"1\"} 1\n# TYPE i info\ni 1\n# TYPE u unknown\nu 1\n", 0);
	is_str(got.p, "x{}=1@-1:untyped\ny_total{}=2@-1:counter\ny{}=3@-1:untyped\n"
	       "h_bucket{\"le\":\"1\"}=1@-1:untyped\ni{}=1@-1:info\nu{}=1@-1:untyped\n",
	       "tolerant: an unknown type (or a known one with more to it) makes its family untyped; "
	       "OpenMetrics' types are known");
	is_str(errs.p, "1: not a type: 'counte', so x is untyped\n5: not a type: 'gauge2', so y is untyped\n"
	       "7: not a type: 'histogrm', so h is untyped\n", "tolerant: ... and each such TYPE line is told");
	P("# TYPE c counte\nc_total 1\n# EOF\n", 1);
	is_str(errs.p, "1: not a type: 'counte', so c is untyped\n", "tolerant: in OpenMetrics too");
	P("# TYPE x{a} counter\nx 1\n# TYPE\n# TYPE y\n# TYPE \t\n", 0);
	is_str(got.p, "x{}=1@-1:untyped\n", "tolerant: a TYPE line of no metric name is ignored");
	is_str(errs.p, "1: not a metric name in a TYPE line: 'x{a}'\n",
	       "tolerant: ... and told; TYPE lines that say nothing are not");
	/* A label value that is not UTF-8: the sample kept, the fault told. */
	P("a{v=\"\xc3\",w=\"ok\",x=\"\xff\"} 1\nb{v=\"caf\xc3\xa9\"} 2\nc{v=\"\xc0\xaf\" 3\n", 0);
	is_str(got.p, "a{\"v\":\"\xef\xbf\xbd\",\"w\":\"ok\",\"x\":\"\xef\xbf\xbd\"}=1@-1:untyped\n"
	       "b{\"v\":\"caf\xc3\xa9\"}=2@-1:untyped\n", "tolerant: a label value not UTF-8 is kept, as U+FFFD");
	is_str(errs.p, "1: the value of label v is not UTF-8: kept, with U+FFFD for each bad sequence\n"
	       "3: expected ',' or '}' in the labels\n",
	       "tolerant: ... and told, once a line; a line malformed as well is told as such");
	P("# TYPE a counter\na 1\n# EOF\nb 2\n", 0);
	is_str(got.p, "a{}=1@-1:counter\nb{}=2@-1:untyped\n", "tolerant: # EOF is a comment in the text format");
	P("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1\",le=\"2\"} 1\nh_bucket{le=\"x\"} 2\n", 0);
	is_str(errs.p, "3: label le given twice\n", "tolerant: any label twice is an error, le too");
	is_str(got.p, "h_bucket{\"le\":\"1\"}=1@-1:histogram\nh_bucket{\"le\":\"x\"}=2@-1:histogram\n",
	       "tolerant: le is any label");
	/* Many families: the table grows and finds each one. */
	bi_buf many = {0};
	for (int i = 0; i < 300; i++)
		bi_buf_printf(&many, "# TYPE f%d counter\n", i);
	for (int i = 299; i >= 0; i--)
		bi_buf_printf(&many, "f%d 1\n", i);
	bi_buf_printf(&many, "# TYPE f7 gauge\n");
	got.len = errs.len = 0;
	bi_buf_add(&errs, NULL, 0);
	bi_prom_parse(many.p, many.len, BI_PROM_STRICT, keep, bad, NULL);
	is_str(errs.p, "601: a second TYPE line for f7\n", "strict: 300 families, each found again");
	bi_buf_free(&many);

	/* rate() */
	int64_t t1[] = {0, 15000, 30000, 45000, 60000};
	double v1[] = {0, 15, 30, 45, 60};
	near(bi_prom_rate(t1, v1, 5, 0, 60000, 1), 1.0, 1e-12, "a steady counter: 1/s");
	double v2[] = {0, 15, 30, 0, 15};
	near(bi_prom_rate(t1, v2, 5, 0, 60000, 1), 0.75, 1e-12, "a reset is added back");
	int64_t t3[] = {5000, 20000, 35000, 50000};
	double v3[] = {10, 25, 40, 55};
	near(bi_prom_rate(t3, v3, 4, 0, 60000, 1), 1.0, 1e-12, "extrapolated to both edges");
	near(bi_prom_rate(t3, v3, 4, 0, 60000, 0), 60, 1e-12, "increase()");
	int64_t t4[] = {30000, 45000, 60000};
	double v4[] = {1000, 1015, 1030};
	/* Far from the start: extrapolate only half an interval. */
	near(bi_prom_rate(t4, v4, 3, 0, 60000, 1), 30 * (30 + 7.5) / 30 / 60, 1e-12, "half an interval past the first sample");
	double v5[] = {2, 17, 32, 47};
	/* The counter would reach zero 2 s before its first sample, 3 s after
	 * the range starts: extrapolate 2 s back, not 5. */
	near(bi_prom_rate(t3, v5, 4, 0, 60000, 0), 57, 1e-9, "not extrapolated below zero");
	ok(isnan(bi_prom_rate(t1, v1, 1, 0, 60000, 1)), "one sample: NaN");

	/* histogram_quantile() */
	double le[] = {0.5, 0.1, INFINITY, 1};
	double cnt[] = {60, 10, 100, 90};
	near(bi_prom_quantile(0.5, le, cnt, 4), 0.42, 1e-12, "p50 interpolated inside its bucket (any order)");
	near(bi_prom_quantile(0.05, le, cnt, 4), 0.05, 1e-12, "the lowest bucket interpolates from 0");
	is_num(bi_prom_quantile(0.95, le, cnt, 4), 1, "in the +Inf bucket: the highest finite bound");
	double le2[] = {0.1, INFINITY}, zero[] = {0, 0};
	ok(isnan(bi_prom_quantile(0.5, le2, zero, 2)), "no observations: NaN");
	double le3[] = {0.1, 0.2}, c3[] = {1, 2};
	ok(isnan(bi_prom_quantile(0.5, le3, c3, 2)), "no +Inf bucket: NaN");
	ok(isnan(bi_prom_quantile(0.5, le2, c3, 1)), "one bucket: NaN");
	bi_buf_free(&got);
	bi_buf_free(&errs);
	return done();
}
