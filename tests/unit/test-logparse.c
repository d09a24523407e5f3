/* test-logparse: JSON and plain log lines, levels, stack traces joined. */
#include <stdlib.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/logparse.h"
#include "tap.h"

static const char *
P(const char *line)
{
	static char out[2048];
	jv r = bi_log_parse(line, strlen(line), INT64_C(1795481205) * BI_NS_PER_S, 1);
	jv s = jv_dump_string(r, JV_PRINT_SORTED);
	snprintf(out, sizeof out, "%s", jv_string_value(s));
	jv_free(s);
	return out;
}

static bi_buf joined;
static int njoined;

static void
emit(void *ctx, jv rec)
{
	(void)ctx;
	const char *st = bi_get_str(rec, "stack");
	bi_buf_printf(&joined, "[%s|%s|%s]", bi_get_str(rec, "level"), bi_get_str(rec, "msg"),
		      st ? st : "-");
	njoined++;
	jv_free(rec);
}

static const char *
J(const char *const *lines)
{
	bi_logjoin *j = bi_logjoin_new(emit, NULL);
	joined.len = 0;
	njoined = 0;
	bi_buf_add(&joined, NULL, 0);
	for (; *lines; lines++)
		bi_logjoin_feed(j, bi_log_parse(*lines, strlen(*lines), 1, 0));
	bi_logjoin_free(j);
	return joined.p;
}

int
main(void)
{
	plan(26);
	bi_init("test-logparse");

	is_str(P("{\"@timestamp\":\"2026-11-24T01:02:03.456Z\",\"level\":\"ERROR\",\"message\":\"boom\","
		 "\"logger_name\":\"c.e.Svc\",\"stack_trace\":\"java.lang.X\\n\\tat a\",\"thread_name\":\"main\"}"),
	       "{\"attrs\":{\"thread_name\":\"main\"},\"kind\":\"log\",\"level\":\"error\",\"logger\":\"c.e.Svc\","
	       "\"msg\":\"boom\",\"stack\":\"java.lang.X\\n\\tat a\",\"stream\":\"stdout\",\"ts\":\"2026-11-24T01:02:03.456Z\"}",
	       "logstash JSON");
	is_str(P("{\"time\":1795481205123,\"level\":50,\"msg\":\"pino\",\"pid\":7}"),
	       "{\"attrs\":{\"pid\":7},\"kind\":\"log\",\"level\":\"error\",\"msg\":\"pino\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.123Z\"}", "pino: epoch ms and numeric level");
	is_str(P("{\"ts\":1795481205.5,\"lvl\":\"warning\",\"msg\":\"zap-ish\"}"),
	       "{\"kind\":\"log\",\"level\":\"warn\",\"msg\":\"zap-ish\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.500Z\"}", "epoch seconds, lvl, warning");
	is_str(P("{\"severity\":\"CRITICAL\",\"text\":\"down\"}"),
	       "{\"kind\":\"log\",\"level\":\"fatal\",\"msg\":\"down\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.000Z\"}", "severity CRITICAL is fatal; no time: the given one");
	is_str(P("{\"a\":1}"),
	       "{\"attrs\":{\"a\":1},\"kind\":\"log\",\"level\":\"info\",\"msg\":\"a=1\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.000Z\"}", "JSON without a message: its fields, as key=value");
	is_str(P("{\"kind\":\"proxy\",\"ts\":\"2026-11-24T00:46:45.000Z\",\"event\":\"close\",\"proxy\":\"redis\",\"up\":{\"b\":1}}"),
	       "{\"attrs\":{\"event\":\"close\",\"kind\":\"proxy\",\"proxy\":\"redis\",\"up\":{\"b\":1}},\"kind\":\"log\",\"level\":\"info\","
	       "\"msg\":\"proxy event=close proxy=redis\",\"stream\":\"stdout\",\"ts\":\"2026-11-24T00:46:45.000Z\"}",
	       "a record of another stream: its kind, then its scalar fields");
	is_str(P("{\"x\":[1]}"),
	       "{\"attrs\":{\"x\":[1]},\"kind\":\"log\",\"level\":\"info\",\"msg\":\"{\\\"x\\\":[1]}\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.000Z\"}", "no scalar field: the line as it is");
	is_str(P("{not json"),
	       "{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"{not json\",\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.000Z\"}", "broken JSON is a plain line");

	is_str(bi_level_detect("2026-11-24 ERROR [main] x", 25), "error", "ERROR word");
	is_str(bi_level_detect("[warn] disk 91%", 15), "warn", "[warn]");
	is_str(bi_level_detect("ts=1 level=debug msg=x", 22), "debug", "logfmt level=");
	is_str(bi_level_detect("an error occurred", 17), NULL, "a lower-case word is not a level");
	is_str(bi_level_detect("panic: runtime error", 20), "fatal", "Go panic");
	is_str(bi_level_detect("W1126 12:00:00 WARNING: x", 25), "warn", "WARNING");
	is_num(bi_level_rank("error"), 4, "rank of error");
	is_num(bi_level_rank("nope"), -1, "unknown rank");

	const char *java[] = {"2026-11-24 01:02:03 ERROR Svc - request failed",
		"java.lang.IllegalStateException: boom", "\tat com.x.Y.z(Y.java:10)",
		"\tat com.x.Y.main(Y.java:3)", "Caused by: java.io.IOException: closed",
		"\t... 2 more", "2026-11-24 01:02:04 INFO Svc - next", NULL};
	is_str(J(java), "[error|2026-11-24 01:02:03 ERROR Svc - request failed|java.lang.IllegalStateException: boom\n"
	       "\tat com.x.Y.z(Y.java:10)\n\tat com.x.Y.main(Y.java:3)\nCaused by: java.io.IOException: closed\n"
	       "\t... 2 more][info|2026-11-24 01:02:04 INFO Svc - next|-]", "a Java stack trace joins its log line");
	is_num(njoined, 2, "two records");

	const char *py[] = {"Traceback (most recent call last):", "  File \"app.py\", line 3, in <module>",
		"    1/0", "ZeroDivisionError: division by zero", "next line", NULL};
	is_str(J(py), "[error|ZeroDivisionError: division by zero|Traceback (most recent call last):\n"
	       "  File \"app.py\", line 3, in <module>\n    1/0\nZeroDivisionError: division by zero]"
	       "[info|next line|-]", "a bare Python traceback is named by its last line");

	const char *pylog[] = {"ERROR:root:handler failed", "Traceback (most recent call last):",
		"  File \"h.py\", line 9, in h", "KeyError: 'x'", NULL};
	is_str(J(pylog), "[error|ERROR:root:handler failed|Traceback (most recent call last):\n"
	       "  File \"h.py\", line 9, in h\nKeyError: 'x']", "a logged traceback keeps the log message");

	const char *gop[] = {"panic: runtime error: index out of range", "", "goroutine 1 [running]:",
		"main.main()", "\t/src/main.go:12 +0x1d", NULL};
	J(gop);
	ok(njoined >= 2, "a Go panic with a blank line: not swallowed whole (%d records)", njoined);

	const char *plain[] = {"INFO started", "  indented but not a trace", "INFO done", NULL};
	J(plain);
	is_num(njoined, 3, "indented lines after an info line stay their own records");

	const char *nojava[] = {"INFO loading com.example.SomethingException handler", NULL};
	J(nojava);
	is_num(njoined, 1, "one line, one record");

	const char *json_then_trace[] = {"{\"level\":\"error\",\"msg\":\"x\"}", "\tat a.b(C.java:1)", NULL};
	J(json_then_trace);
	is_num(njoined, 1, "trace lines after a JSON error line join it");

	const char *java_only[] = {"INFO ok", "java.lang.RuntimeException: not after an error", NULL};
	J(java_only);
	is_num(njoined, 2, "an exception line after an info line is its own record");

	jv r = bi_log_parse("bad \xff\xfe utf8", 12, 1, 2);
	const char *m = bi_get_str(r, "msg");
	ok(m && bi_utf8_valid(m, strlen(m)) && !strcmp(bi_get_str(r, "stream"), "stderr"),
	   "invalid UTF-8 is replaced, stderr named");
	jv_free(r);
	bi_buf_free(&joined);
	return done();
}
