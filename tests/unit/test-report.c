/* test-report: the records shown as reports, as their lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/report.h"
#include "tap.h"

static char *text;

/* What bi_report wrote of the record json, into text; its return. */
static int
report(const char *json, int color)
{
	size_t n;
	FILE *f = open_memstream(&text, &n);
	jv rec = jv_parse(json);
	int r = bi_report(f, rec, color);

	jv_free(rec);
	fclose(f);
	return r;
}

int
main(void)
{
	plan(11);

	ok(report("{\"kind\":\"log\",\"msg\":\"hi\"}", 0) == 0 && !*text, "a log is no report: nothing written");
	free(text);
	ok(report("{\"msg\":\"no kind\"}", 0) == 0 && !*text, "nor a record without a kind");
	free(text);

	ok(report("{\"kind\":\"finding\",\"title\":\"Error in payments\",\"severity\":\"high\",\"confidence\":62,"
		  "\"service\":\"payments\",\"affected\":[\"gateway\",\"web\"],"
		  "\"chain\":[{\"ts\":\"2026-11-24T09:00:01.250Z\",\"service\":\"gateway\",\"what\":\"500\"}],"
		  "\"timeline\":[{\"text\":\"first\"}]}", 0) == 1, "a finding is");
	is_str(text, "Finding: Error in payments (confidence 62%)\n"
		     "  service     payments\n"
		     "  affected    gateway, web\n"
		     "  chain:\n"
		     "    - 09:00:01.250 gateway: 500\n"
		     "  timeline:\n"
		     "    - first\n", "... its lines, the affected joined, the chain's times of day");
	free(text);

	report("{\"kind\":\"finding\",\"title\":\"t\",\"severity\":\"high\"}", 1);
	is_str(text, "Finding: \033[31mt\033[0m\n", "in colour, a high finding's title red");
	free(text);

	ok(report("{\"kind\":\"health\",\"ok\":true,\"service\":\"api\",\"target\":\"http://127.0.0.1:8080/health\","
		  "\"status\":200,\"latency_ms\":3.5}", 0) == 1, "a health check is a report");
	is_str(text, "\u2713 api ready (http://127.0.0.1:8080/health 200, 3.5ms)\n", "... one line");
	free(text);

	report("{\"kind\":\"answer\",\"model\":\"m\",\"answer\":\"a\\nb\"}", 0);
	is_str(text, "[m]\na\nb\n", "an answer: its model, then its lines");
	free(text);

	report("{\"kind\":\"finding\",\"title\":\"x\",\"components\":{},\"chain\":[{}]}", 0);
	is_str(text, "Finding: x\n  chain:\n    - \n", "empty parts print no line of another's text");
	free(text);

	report("{\"kind\":\"watcher\",\"running\":true,\"pid\":7,\"last_log\":\"2026-12-04T17:03:51.444Z\","
	       "\"lag_s\":1,\"parts\":{}}", 0);
	ok(strstr(text, "Watcher: running (pid 7)\n  last log ") && strstr(text, " (lag 1.0s)\n") &&
	   !strstr(text, "parts") && !strstr(strstr(text, "(lag") + 1, "(lag"),
	   "a watcher's lag, once, after its last log, and no empty parts line");
	free(text);

	report("{\"kind\":\"watcher\",\"running\":false}", 0);
	is_str(text, "Watcher: not running\n", "a watcher that is not running");
	free(text);
	return done();
}
