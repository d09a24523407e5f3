/* test-logparse: JSON and plain log lines, levels, stack traces joined. */
#include <stdlib.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/logparse.h"
#include "tap.h"

#define NTESTS 104
#define ST(s) bi_log_status(s, strlen(s))

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
	plan(NTESTS);
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


	/* Levels people write without a level field, in the shapes their
	 * programs print (from those programs' documentation and output). */
	static const struct { const char *line, *level; } shapes[] = {
		/* nginx's error log: [level] */
		{"2026/12/05 07:20:01 [error] 29#29: *5 connect() failed (111: Connection refused) while "
		 "connecting to upstream, client: 172.18.0.1, server: , request: \"GET / HTTP/1.1\", "
		 "upstream: \"http://172.18.0.3:8000/\", host: \"127.0.0.1:8080\"", "error"},
		{"2026/12/05 07:20:01 [crit] 7#7: *1 open() \"/x\" failed (13: Permission denied)", "fatal"},
		{"2026/12/05 07:20:01 [alert] 7#7: worker process 9 exited on signal 11", "fatal"},
		{"2026/12/05 07:20:01 [notice] 1#1: start worker processes", "info"},
		/* Python's logging: basicConfig's default, and the usual format */
		{"ERROR:root:handler failed", "error"},
		{"WARNING:urllib3.connectionpool:Retrying", "warn"},
		{"CRITICAL:app:disk gone", "fatal"},
		{"2026-12-05 07:18:16,161 - worker - ERROR - INCR events failed", "error"},
		{"2026-12-05 07:18:16,161 - worker - INFO - processed 20 events", "info"},
		/* logback / log4j */
		{"2026-12-05 07:18:16.161 ERROR [http-nio-8080-exec-1] c.e.OrderService - charge failed", "error"},
		{"07:18:16.161 [main] WARN  o.h.engine.jdbc.spi.SqlExceptionHelper - SQL Error: 0", "warn"},
		/* Go: slog's text handler, zerolog's console */
		{"time=2026-12-05T07:18:16.161Z level=ERROR msg=\"query failed\" err=timeout", "error"},
		{"7:18AM ERR query failed error=timeout", "error"},
		{"7:18AM WRN slow", "warn"},
		/* JSON after a prefix (a CRI log line) */
		{"2026-12-05T07:18:16Z stderr F {\"level\":\"error\",\"msg\":\"x\"}", "error"},
		/* winston's simple and cli formats, coloured or not; npm, git */
		{"error: payment failed", "error"},
		{"\x1b[31merror\x1b[39m: payment failed", "error"},
		{"warn:    cache miss storm", "warn"},
		{"fatal: not a git repository", "fatal"},
		{"npm ERR! code ELIFECYCLE", "error"},
		/* an uncaught exception's line */
		{"ValueError: cannot price order 18", "error"},
		{"Error: connect ECONNREFUSED 127.0.0.1:5432", "error"},
		{"java.lang.OutOfMemoryError: Java heap space", "error"},
		{"FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "fatal"},
		/* PostgreSQL; LOG: and STATEMENT: end the search */
		{"2026-12-05 07:20:00.123 UTC [35] ERROR:  canceling statement due to statement timeout", "error"},
		{"2026-12-05 07:20:00.123 UTC [35] FATAL:  terminating connection due to administrator command", "fatal"},
		{"2026-12-05 07:20:00.123 UTC [35] PANIC:  could not write to file \"pg_wal/xlogtemp.35\"", "fatal"},
		{"2026-12-05 07:20:00.123 UTC [35] LOG:  duration: 2501.1 ms  statement: SELECT 'ERROR'", NULL},
		{"2026-12-05 07:20:00.123 UTC [35] STATEMENT:  UPDATE jobs SET state = 'FAILED'", NULL},
		/* Redis: # warning, * notice, - verbose */
		{"1:M 05 Dec 2026 07:20:00.123 # User requested shutdown...", "warn"},
		{"1:M 05 Dec 2026 07:20:00.123 * Ready to accept connections tcp", "info"},
		{"1:C 05 Dec 2026 07:20:00.123 - Accepted 172.18.0.3:40000", "debug"},
		/* glog / klog */
		{"E1205 07:20:00.123456       1 reflector.go:138] failed to list", "error"},
		{"W1205 07:20:00.123456       1 warnings.go:70] deprecated", "warn"},
		/* Apache's error log (its documentation's example), syslog priorities */
		{"[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] "
		 "File does not exist: /usr/local/apache2/htdocs/favicon.ico", "error"},
		{"[Fri Dec 05 07:20:01.000000 2026] [proxy:error] [pid 9] (111)Connection refused: AH00957: "
		 "http: attempt to connect to 127.0.0.1:8000 (app) failed", "error"},
		{"[Fri Dec 05 07:20:01.000000 2026] [mpm_event:notice] [pid 1:tid 1] AH00489: resuming normal operations",
		 "info"},
		{"<3>disk /dev/sda1 failed", "error"},
		{"<4>low memory", "warn"},
		/* not levels */
		{"see docs:error] for more", NULL},
		{"2026/12/05 07:20:00 an error: the word, not the level", NULL},
		{"retrying after error: timeout", NULL},
		{"[ALERT] is a plain word in capitals", NULL},
		{"ErrorBoundary rendered", NULL},
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		is_str(bi_level_detect(shapes[i].line, strlen(shapes[i].line)), shapes[i].level,
		       "level of \"%.50s\"", shapes[i].line);

	/* HTTP statuses in text access logs */
	is_num(ST("172.18.0.1 - - [05/Dec/2026:07:20:01 +0000] \"GET /orders?id=1 HTTP/1.1\" 502 157 "
			     "\"-\" \"curl/7.88.1\""), 502, "combined access log: status after the request");
	is_num(ST("127.0.0.1 - - [05/Dec/2026 07:20:01] \"GET / HTTP/1.0\" 404 -"), 404,
	       "Python's http.server");
	is_num(ST("request: \"GET / HTTP/1.1\", upstream: \"http://a:8000/\""), 0,
	       "a request quoted in an error line is no status");
	is_num(ST("time=x level=INFO msg=done status=503 dur=3ms"), 503, "logfmt status=");
	is_num(ST("took 200 ms, 5000 rows"), 0, "numbers are not statuses");
	is_num(ST("GET /reports/top 500 1002.311 ms - 21"), 500, "morgan's dev format");
	is_num(ST("::1 POST /login 401 - - 2.1 ms"), 401, "morgan's short format");
	is_num(ST("we GET /x 2000 times"), 0, "a method and a path, no status");
	is_str(P("172.18.0.1 - - [05/Dec/2026:07:20:01 +0000] \"GET /x HTTP/1.1\" 503 0 \"-\" \"curl\""),
	       "{\"kind\":\"log\",\"level\":\"error\",\"msg\":\"172.18.0.1 - - [05/Dec/2026:07:20:01 +0000] "
	       "\\\"GET /x HTTP/1.1\\\" 503 0 \\\"-\\\" \\\"curl\\\"\",\"status\":503,\"stream\":\"stdout\","
	       "\"ts\":\"2026-11-24T00:46:45.000Z\"}", "a 5xx access line is an error with its status");
	ok(strstr(P("1.2.3.4 - - [05/Dec/2026:07:20:01 +0000] \"POST /login HTTP/2.0\" 401 0 \"-\" \"x\""),
		  "\"level\":\"warn\",") != NULL, "4xx: a warning");
	ok(strstr(P("INFO:     172.18.0.1:5000 - \"GET /pay HTTP/1.1\" 500 Internal Server Error"),
		  "\"level\":\"error\",") != NULL, "a 5xx logged at INFO (uvicorn) is an error");

	/* ECS and other JSON shapes */
	ok(strstr(P("{\"@timestamp\":\"2026-12-05T07:20:01.000Z\",\"log.level\":\"error\",\"message\":\"x\"}"),
		  "\"level\":\"error\"") != NULL, "ECS: log.level dotted");
	const char *ecs = P("{\"@timestamp\":\"2026-12-05T07:20:01.000Z\",\"log\":{\"level\":\"warn\",\"logger\":\"a\"},"
			    "\"message\":\"x\"}");
	ok(strstr(ecs, "\"kind\":\"log\",\"level\":\"warn\"") && strstr(ecs, "\"msg\":\"x\"") &&
	   strstr(ecs, "\"attrs\":{\"log\":{"), "ECS: log.level nested; the log object stays in attrs: %s", ecs);
	const char *ecsx = P("{\"@timestamp\":\"2026-12-05T07:20:01.000Z\",\"log.level\":\"error\",\"log.logger\":\"pay\","
			     "\"message\":\"x\",\"error.stack_trace\":\"java.lang.X: y\\n\\tat a.b(C.java:1)\"}");
	ok(strstr(ecsx, "\"logger\":\"pay\"") && strstr(ecsx, "\"stack\":\"java.lang.X: y\\n") && !strstr(ecsx, "attrs"),
	   "ECS: log.logger and error.stack_trace dotted: %s", ecsx);
	const char *ecsn = P("{\"log\":{\"level\":\"error\",\"logger\":\"pay\"},\"error\":{\"stack_trace\":\"E: y\"},"
			     "\"message\":\"x\"}");
	ok(strstr(ecsn, "\"logger\":\"pay\"") && strstr(ecsn, "\"stack\":\"E: y\"") &&
	   strstr(ecsn, "\"kind\":\"log\",\"level\":\"error\""), "ECS: nested: %s", ecsn);
	const char *ecs5 = P("{\"message\":\"GET /pay\",\"http\":{\"response\":{\"status_code\":502}}}");
	ok(strstr(ecs5, "\"level\":\"error\"") && strstr(ecs5, "\"status\":502"),
	   "ECS: http.response.status_code nested: %s", ecs5);
	ok(strstr(P("{\"message\":\"GET /pay\",\"http.response.status_code\":504}"), "\"status\":504") != NULL,
	   "ECS: http.response.status_code dotted");
	const char *pinohttp = P("{\"level\":30,\"msg\":\"request completed\",\"res\":{\"statusCode\":500}}");
	ok(strstr(pinohttp, "\"level\":\"error\"") && strstr(pinohttp, "\"status\":500"),
	   "pino-http: res.statusCode 500 logged at 30 is an error: %s", pinohttp);
	ok(strstr(P("{\"level\":60,\"msg\":\"x\"}"), "\"level\":\"fatal\"") != NULL, "pino 60 is fatal");
	ok(strstr(P("{\"level\":\"error\",\"message\":\"charge failed\",\"timestamp\":\"2026-12-05T07:20:01.000Z\"}"),
		  "\"level\":\"error\"") != NULL, "winston JSON");
	ok(strstr(P("{\"msg\":\"x\",\"status\":\"ok\"}"), "\"status\":\"ok\"") != NULL &&
	   !strstr(P("{\"msg\":\"x\",\"status\":\"ok\"}"), "\"level\":\"warn\""), "a status that is not HTTP stays in attrs");
	ok(strstr(P("{\"log\":\"plain docker line\\n\",\"stream\":\"stdout\"}"), "\"msg\":\"plain docker line\\n\"") != NULL,
	   "Docker's json-file: log is the message");

	/* Chained Python tracebacks (an uncaught exception raised while
	 * handling another): one record, named by the last exception. */
	const char *chained[] = {"INFO:root:imported order 17", "Traceback (most recent call last):",
		"  File \"c.py\", line 18, in price", "    return PRICES[order[\"item\"]]",
		"KeyError: 'quince'", "", "The above exception was the direct cause of the following exception:",
		"", "Traceback (most recent call last):", "  File \"c.py\", line 25, in <module>",
		"    total += price(o)", "ValueError: cannot price order 18", NULL};
	is_str(J(chained), "[info|INFO:root:imported order 17|-][error|ValueError: cannot price order 18|"
	       "Traceback (most recent call last):\n  File \"c.py\", line 18, in price\n"
	       "    return PRICES[order[\"item\"]]\nKeyError: 'quince'\n\n"
	       "The above exception was the direct cause of the following exception:\n\n"
	       "Traceback (most recent call last):\n  File \"c.py\", line 25, in <module>\n"
	       "    total += price(o)\nValueError: cannot price order 18]",
	       "a chained traceback is one error record, after the info line, not joined to it");
	is_num(njoined, 2, "no empty record between the traces");

	const char *during[] = {"ERROR:root:failed", "Traceback (most recent call last):", "  File \"a\", line 1",
		"OSError: [Errno 111] Connection refused", "",
		"During handling of the above exception, another exception occurred:", "",
		"Traceback (most recent call last):", "  File \"a\", line 2", "RuntimeError: gave up",
		"INFO:root:next", NULL};
	J(during);
	is_num(njoined, 2, "'During handling': one record, then the next line");
	ok(strstr(joined.p, "[error|ERROR:root:failed|") && strstr(joined.p, "RuntimeError: gave up]") &&
	   strstr(joined.p, "[info|INFO:root:next|-]"), "a logged chain keeps its log message");

	const char *blank_after[] = {"Traceback (most recent call last):", "  File \"a\", line 1",
		"KeyError: 'x'", "", "INFO:root:next", NULL};
	J(blank_after);
	is_num(njoined, 3, "a blank line after a traceback that does not chain stays its own record");
	ok(strstr(joined.p, "[info||-]") != NULL, "and it is not an error");

	const char *uncaught[] = {"2026-12-05 07:18:16,161 - worker - INFO - processed 20 events",
		"Traceback (most recent call last):", "  File \"w.py\", line 9, in <module>",
		"ZeroDivisionError: division by zero", NULL};
	is_str(J(uncaught), "[info|2026-12-05 07:18:16,161 - worker - INFO - processed 20 events|-]"
	       "[error|ZeroDivisionError: division by zero|Traceback (most recent call last):\n"
	       "  File \"w.py\", line 9, in <module>\nZeroDivisionError: division by zero]",
	       "an uncaught traceback after an info line is its own error record");

	const char *pg[] = {"2026-12-05 07:23:46.284 UTC [113] ERROR:  canceling statement due to statement timeout",
		"2026-12-05 07:23:46.284 UTC [113] STATEMENT:  SELECT o1.customer, count(*)",
		"\t\tFROM orders o1 JOIN orders o2 ON o1.customer = o2.customer",
		"\t\tGROUP BY o1.customer", "2026-12-05 07:23:47.000 UTC [1] LOG:  checkpoint starting: time", NULL};
	is_str(J(pg), "[error|2026-12-05 07:23:46.284 UTC [113] ERROR:  canceling statement due to statement timeout|-]"
	       "[info|2026-12-05 07:23:46.284 UTC [113] STATEMENT:  SELECT o1.customer, count(*)\n"
	       "\t\tFROM orders o1 JOIN orders o2 ON o1.customer = o2.customer\n\t\tGROUP BY o1.customer|-]"
	       "[info|2026-12-05 07:23:47.000 UTC [1] LOG:  checkpoint starting: time|-]",
	       "a statement PostgreSQL logs over several lines is one record");

	const char *node[] = {"{\"level\":\"info\",\"message\":\"payout queued\"}", "/opt/real/crash.js:9",
		"  return { to: order.customer.iban };", "                              ^", "",
		"TypeError: Cannot read properties of undefined (reading 'iban')",
		"    at payout (/opt/real/crash.js:9:31)", "    at Timeout._onTimeout (/opt/real/crash.js:14:13)", "",
		"Node.js v18.20.4", "next", NULL};
	is_str(J(node), "[info|payout queued|-][error|TypeError: Cannot read properties of undefined (reading 'iban')|"
	       "/opt/real/crash.js:9\n  return { to: order.customer.iban };\n                              ^\n\n"
	       "TypeError: Cannot read properties of undefined (reading 'iban')\n"
	       "    at payout (/opt/real/crash.js:9:31)\n    at Timeout._onTimeout (/opt/real/crash.js:14:13)\n\n"
	       "Node.js v18.20.4][info|next|-]", "Node's report of an uncaught exception is one error record");
	const char *notnode[] = {"/var/data:12", "one", "two", "three", "four", NULL};
	J(notnode);
	is_num(njoined, 5, "a path with a line number and no exception after it: each line its own record");
	const char *nodeerr[] = {"node:internal/process/promises:288", "            triggerUncaughtException(err, true);",
		"            ^", "", "Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent", NULL};
	J(nodeerr);
	is_num(njoined, 1, "an error with a code, from Node's internals");

	const char *v8[] = {"FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
		" 1: 0xb09c10 node::Abort() [node]", " 9: 0xa1c193 node::FatalError(char const*) [node]",
		"10: 0x7fbcc22580aa v8::internal::Runtime_MapGrow(int, unsigned long*, v8::internal::Isolate*) [node]",
		"{\"level\":\"info\",\"message\":\"x\"}", NULL};
	J(v8);
	is_num(njoined, 2, "V8's native frames join its fatal error");

	jv r = bi_log_parse("bad \xff\xfe utf8", 12, 1, 2);
	const char *m = bi_get_str(r, "msg");
	ok(m && bi_utf8_valid(m, strlen(m)) && !strcmp(bi_get_str(r, "stream"), "stderr"),
	   "invalid UTF-8 is replaced, stderr named");
	jv_free(r);
	bi_buf_free(&joined);
	return done();
}
