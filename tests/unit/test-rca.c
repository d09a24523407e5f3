/* test-rca: root-cause analysis, from records to ranked findings. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/db.h"
#include "analysis/kb.h"
#include "analysis/rca.h"
#include "tap.h"

static bi_kb_pattern *pats;
static size_t npats;

/* Lines of records into a, as bi-rca gives them: the fast path first. */
static void
feed(bi_rca *a, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (!bi_rca_skip(a, p, n)) {
			jv rec = jv_parse_sized(p, (int)n);
			if (jv_get_kind(rec) == JV_KIND_OBJECT)
				bi_rca_add(a, rec);
			else
				jv_free(rec);
		}
		p += n + (p[n] == '\n');
	}
}

/* The findings of text, as an array, the most likely first. */
static jv
analyze(const char *text, bi_db *db)
{
	bi_rca *a = bi_rca_new(pats, npats);
	feed(a, text);
	size_t n = bi_rca_rank(a, db);
	jv out = jv_array();
	for (size_t i = 0; i < n; i++)
		out = jv_array_append(out, bi_rca_finding(a, i, db));
	bi_rca_free(a);
	return out;
}

/* A field of the i-th finding as compact JSON, for comparing; "" if none. */
static char *
field(jv findings, int i, const char *path)
{
	static char buf[4096];
	jv f = jv_array_get(jv_copy(findings), i);
	jv v = jv_is_valid(f) ? bi_jv_path(f, path) : jv_invalid();
	buf[0] = '\0';
	if (jv_is_valid(v)) {
		jv s = jv_get_kind(v) == JV_KIND_STRING ? jv_copy(v) : jv_dump_string(jv_copy(v), 0);
		snprintf(buf, sizeof buf, "%s", jv_string_value(s));
		jv_free(s);
	}
	jv_free(v);
	jv_free(f);
	return buf;
}

/* The timeline of a finding, its texts one a line. */
static char *
timeline(jv findings, int i)
{
	static char buf[4096];
	jv f = jv_array_get(jv_copy(findings), i);
	jv t = bi_jv_path(f, "timeline");
	size_t n = 0;
	buf[0] = '\0';
	jv_array_foreach(t, k, e) {
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", k ? "\n" : "", bi_get_str(e, "text"));
		jv_free(e);
	}
	jv_free(t);
	jv_free(f);
	return buf;
}

static const char oom[] =
	"{\"kind\":\"commit\",\"ts\":\"2026-11-24T01:25:00.000Z\",\"sha\":\"abc1234def5678abc1234def5678abc1234def56\",\"author\":\"Ann\",\"msg\":\"Cache greetings\\nand more\",\"files\":[\"src/main/kotlin/com/example/GreetingService.kt\"]}\n"
	"{\"kind\":\"log\",\"ts\":\"2026-11-24T01:30:01.000Z\",\"service\":\"app\",\"level\":\"error\",\"msg\":\"java.lang.OutOfMemoryError: Java heap space\",\"logger\":\"com.example.GreetingService\",\"stack\":\"java.lang.OutOfMemoryError: Java heap space\\n\\tat com.example.GreetingService.greet(GreetingService.kt:47)\"}\n"
	"{\"kind\":\"container\",\"ts\":\"2026-11-24T01:30:02.000Z\",\"service\":\"app\",\"action\":\"oom\"}\n"
	"{\"kind\":\"container\",\"ts\":\"2026-11-24T01:30:02.100Z\",\"service\":\"app\",\"action\":\"die\",\"exit_code\":137}\n"
	"{\"kind\":\"log\",\"ts\":\"2026-11-24T01:40:00.000Z\",\"service\":\"app\",\"level\":\"error\",\"msg\":\"could not reach the audit log\",\"logger\":\"com.example.Audit\"}\n";

int
main(void)
{
	char err[512], path[] = "/tmp/bi-test-rca-XXXXXX";
	size_t records, logs;

	plan(92);
	bi_init("test-rca");
	jv cfg = jv_object();
	pats = bi_kb_patterns(cfg, NULL, 0, &npats, err, sizeof err);
	jv_free(cfg);
	ok(pats && npats == 9, "the built-in patterns");

	/* Nothing: no finding, nothing counted. */
	bi_rca *a = bi_rca_new(pats, npats);
	ok(bi_rca_rank(a, NULL) == 0 && !jv_is_valid(bi_rca_finding(a, 0, NULL)), "no records, no finding");
	bi_rca_counts(a, &records, &logs);
	ok(records == 0 && logs == 0, "... and nothing counted");
	bi_rca_free(a);

	/* The fast path: what it takes, and what it leaves to the parser. */
	a = bi_rca_new(pats, npats);
	static const struct { const char *line; int skip; } fast[] = {
		{"{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"GET / 200\",\"attrs\":{\"status\":200}}", 1},
		{"{\"kind\":\"log\",\"level\":\"debug\",\"msg\":\"x\"}", 1},
		{"{\"kind\":\"log\",\"level\":\"error\",\"msg\":\"x\"}", 0},
		{"{\"kind\":\"log\",\"msg\":\"no level\"}", 0},
		{"{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"slow\",\"duration_ms\":900}", 0},
		{"{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"fast\",\"duration_ms\":90}", 1},
		{"{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"cut\"", 0},
		{"{\"kind\":\"stats\",\"level\":\"info\"}", 0},
		{"{\"kind\":\"log\",\"level\":\"info\",\"msg\":\"\xff\"}", 0},
		{"{\"kind\":\"l\\u006fg\",\"level\":\"info\",\"msg\":\"escaped\"}", 0}};
	int right = 1;
	for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++)
		if (bi_rca_skip(a, fast[i].line, strlen(fast[i].line)) != fast[i].skip) {
			right = 0;
			printf("# wrong: %s\n", fast[i].line);
		}
	ok(right, "skips quiet logs only: not errors, slow requests, other kinds or odd lines");
	bi_rca_counts(a, &records, &logs);
	ok(records == 3 && logs == 3, "the lines skipped are counted as logs (%zu, %zu)", records, logs);
	bi_rca_add(a, jv_parse("{\"kind\":\"health\",\"ok\":true}"));
	bi_rca_add(a, jv_parse("{\"ts\":\"2026-11-24T01:00:00.000Z\"}"));
	bi_rca_counts(a, &records, &logs);
	ok(records == 5 && logs == 3, "records of any kind are counted");
	bi_rca_free(a);

	/* An OOM kill after a commit that changed the file in the stack trace,
	 * then a stray error: both found, the OOM first, with every part. */
	jv f = analyze(oom, NULL);
	is_num(jv_array_length(jv_copy(f)), 2, "two findings");
	is_str(field(f, 0, "pattern"), "out-of-memory", "the first: out of memory");
	is_str(field(f, 0, "title"), "Out of memory in app after commit abc1234", "... its title");
	is_str(field(f, 0, "confidence"), "80", "... its confidence");
	is_str(field(f, 0, "components"), "{\"pattern\":30,\"correlation\":25,\"similarity\":0,\"base\":25}",
	       "... made of its parts");
	is_str(field(f, 0, "severity"), "critical", "... the pattern's severity");
	is_str(field(f, 0, "count"), "2", "... the error and the OOM kill (the exit is part of it)");
	is_str(field(f, 0, "first_seen"), "2026-11-24T01:30:01.000Z", "... since the error");
	is_str(field(f, 0, "commit.named_file"), "GreetingService.kt", "... the commit named the file");
	is_str(field(f, 0, "commit.correlation"), "1", "... and correlates fully");
	ok(strstr(field(f, 0, "root_cause"), "It is thrown at com.example.GreetingService.greet(GreetingService.kt:47).") != NULL,
	   "the root cause names the frame");
	ok(strstr(field(f, 0, "root_cause"), "It began 5m1s after commit abc1234 (\"Cache greetings\")") != NULL,
	   "... and the commit, by its first line");
	is_str(timeline(f, 0), "01:25:00 commit abc1234 by Ann: Cache greetings\n"
	       "01:30:01 app error: java.lang.OutOfMemoryError: Java heap space\n"
	       "01:30:02 app ran out of memory (OOM kill)\n"
	       "01:30:02 app exited with code 137", "a timeline across commits, logs and containers");
	ok(!strncmp(field(f, 0, "id"), "f-", 2) && strlen(field(f, 0, "id")) == 10, "an id from the signature");
	is_str(field(f, 0, "fixes.0.detail"), "success rate 85% (initial)", "fixes, with the pattern's rate");
	is_str(field(f, 1, "pattern"), "null", "the second: no pattern");
	is_str(field(f, 1, "title"), "Error in app: could not reach the audit log", "... named by its template");
	jv_free(f);

	/* A new error, many times, with varying numbers: one finding. */
	bi_buf in = {0};
	for (int i = 0; i < 500; i++)
		bi_buf_printf(&in, "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:%02d:%02d.000Z\",\"service\":\"billing\","
			      "\"level\":\"error\",\"msg\":\"invoice %d for acct_%x rejected after %dms\"}\n"
			      "{\"kind\":\"log\",\"service\":\"billing\",\"level\":\"info\",\"msg\":\"GET / 200\"}\n",
			      i / 60, i % 60, i * 37, i * 7919, i % 900);
	f = analyze(in.p, NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "500 lines of a new error: one finding");
	is_str(field(f, 0, "count"), "500", "... counting them");
	is_str(field(f, 0, "template"), "invoice <*> for <*> rejected after <*>", "... with its template");
	is_str(timeline(f, 0), "01:00:00 billing error: invoice 0 for acct_0 rejected after 0ms (the first)\n"
	       "01:08:19 billing: the last of 500 such lines", "... the first and the last in its timeline");
	jv_free(f);

	/* Server errors counted on the fast path explain a high error rate. */
	in.len = 0;
	for (int i = 0; i < 40; i++)
		bi_buf_printf(&in, "{\"kind\":\"log\",\"service\":\"shop\",\"level\":\"info\",\"msg\":\"GET /\","
			      "\"attrs\":{\"status\":%d}}\n", i % 4 ? 200 : 503);
	bi_buf_adds(&in, "{\"kind\":\"log\",\"ts\":\"2026-11-24T02:00:00.000Z\",\"service\":\"shop\","
		    "\"level\":\"error\",\"msg\":\"Internal Server Error on /checkout\"}\n");
	f = analyze(in.p, NULL);
	is_str(field(f, 0, "pattern"), "high-error-rate", "a 5xx share: high error rate");
	ok(strstr(field(f, 0, "root_cause"), "It answered 10 of 40 requests (25.0%) with a server error.") != NULL,
	   "... with the share the fast path counted");
	jv_free(f);

	/* A dependency that stopped supports the connection errors of another;
	 * a Kubernetes Normal event is part of the story. */
	f = analyze("{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:00.000Z\",\"service\":\"db\",\"action\":\"die\",\"exit_code\":0}\n"
		    "{\"kind\":\"k8s_event\",\"ts\":\"2026-11-24T03:00:01.000Z\",\"type\":\"Normal\",\"reason\":\"Pulled\","
		    "\"object\":\"Pod/api-7d9c6b5f4-x2x9k\",\"msg\":\"image pulled\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T03:00:02.000Z\",\"service\":\"api\",\"level\":\"error\","
		    "\"msg\":\"dial tcp 10.0.0.7:5432: connect: connection refused\"}\n", NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "a stopped dependency is no finding of its own");
	is_str(field(f, 0, "pattern"), "connection-refused", "... but supports connection refused");
	ok(strstr(field(f, 0, "evidence"), "container db stopped, 1 time") != NULL, "... as evidence");
	is_str(timeline(f, 0), "03:00:00 db exited with code 0\n"
	       "03:00:01 Pulled Pod/api-7d9c6b5f4-x2x9k: image pulled\n"
	       "03:00:02 api error: dial tcp 10.0.0.7:5432: connect: connection refused",
	       "the dependency's exit, and a Kubernetes event of the service by its pod's name");
	jv_free(f);

	/* A new version (a commit before) exiting at start, with Kubernetes
	 * backing off: deployment failure. */
	f = analyze("{\"kind\":\"commit\",\"ts\":\"2026-11-24T03:58:00.000Z\",\"sha\":\"abc1234\",\"msg\":\"Read the port from config\",\"files\":[\"web/main.go\"]}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:59:59.500Z\",\"service\":\"web\",\"action\":\"start\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:00.000Z\",\"service\":\"web\",\"action\":\"die\",\"exit_code\":1}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:09.500Z\",\"service\":\"web\",\"action\":\"start\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:10.000Z\",\"service\":\"web\",\"action\":\"die\",\"exit_code\":1}\n"
		    "{\"kind\":\"k8s_event\",\"ts\":\"2026-11-24T04:00:11.000Z\",\"type\":\"Warning\",\"reason\":\"BackOff\","
		    "\"object\":\"Pod/web-5f4d8c7b9-abcde\",\"msg\":\"Back-off restarting failed container\"}\n", NULL);
	is_str(field(f, 0, "pattern"), "deployment-failure", "exits at start and back-off: deployment failure");
	is_str(field(f, 0, "count"), "3", "... two exits at start and a back-off");
	jv_free(f);

	/* The same crash loop around a problem a pattern knows, in the same
	 * service: restarts of that problem, not a finding of their own. */
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T04:00:00.000Z\",\"service\":\"web\",\"level\":\"error\","
		    "\"msg\":\"dial tcp 10.0.0.9:6379: connect: connection refused\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:01.000Z\",\"service\":\"web\",\"action\":\"die\",\"exit_code\":1}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:10.000Z\",\"service\":\"web\",\"action\":\"die\",\"exit_code\":1}\n"
		    "{\"kind\":\"k8s_event\",\"ts\":\"2026-11-24T04:00:11.000Z\",\"type\":\"Warning\",\"reason\":\"BackOff\","
		    "\"object\":\"Pod/web-5f4d8c7b9-abcde\",\"msg\":\"Back-off restarting failed container\"}\n", NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "a crash loop around a known problem: one finding");
	is_str(field(f, 0, "pattern"), "connection-refused", "... of the problem, not of the restarts");
	is_str(field(f, 0, "count"), "4", "... counting the error, the crashes and the back-off");
	jv_free(f);

	/* The culprit through the host a connection error names: the one
	 * that cannot connect is affected, the host at fault. */
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T05:00:00.000Z\",\"service\":\"cart\",\"level\":\"error\","
		    "\"msg\":\"Error 111 connecting to cache:6379. Connection refused.\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T05:00:05.000Z\",\"service\":\"cart\",\"level\":\"error\","
		    "\"msg\":\"Error 111 connecting to cache:6379. Connection refused.\"}\n", NULL);
	is_str(field(f, 0, "pattern"), "connection-refused", "a connection error naming a host");
	is_str(field(f, 0, "service"), "cache", "... blames the host it names");
	is_str(field(f, 0, "affected"), "[\"cart\"]", "... the service that logged it is affected");
	is_str(field(f, 0, "chain.0.service"), "cart", "... and the chain says where it was seen");
	jv_free(f);

	/* The host as clients print it. */
	static const struct { const char *msg, *host; } hosts[] = {
		{"dial tcp: lookup cache on 127.0.0.11:53: no such host", "cache"},
		{"HTTPConnectionPool(host='inventory', port=8000): Max retries exceeded with url: /items", "inventory"},
		{"org.postgresql.util.PSQLException: Connection to orders-db:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.", "orders-db"},
		{"Connection to node -1 (broker/172.18.0.4:9092) could not be established. Broker may not be available.", "broker"},
		{"connection to server at \\\"pg\\\" (172.18.0.2), port 5432 failed: Connection refused", "pg"},
		{"connect() failed (111: Connection refused) while connecting to upstream, upstream: \\\"http://10.0.0.3:8080/\\\"", "caller"},
	};
	for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
		char *rec = bi_asprintf("{\"kind\":\"log\",\"ts\":\"2026-11-24T05:30:00.000Z\",\"service\":\"caller\","
					"\"level\":\"error\",\"msg\":\"%s\"}\n", hosts[i].msg);
		f = analyze(rec, NULL);
		is_str(field(f, 0, "service"), hosts[i].host, "the host in: %.50s", hosts[i].msg);
		jv_free(f);
		free(rec);
	}

	/* The culprit through a dependency that stopped, its address no name
	 * (an IP): the chain in time order, the stop first. */
	f = analyze("{\"kind\":\"container\",\"ts\":\"2026-11-24T06:00:00.000Z\",\"service\":\"store\",\"action\":\"oom\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T06:00:00.100Z\",\"service\":\"store\",\"action\":\"die\",\"exit_code\":137}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:00:01.000Z\",\"service\":\"api\",\"level\":\"error\","
		    "\"msg\":\"connect ECONNREFUSED 172.19.0.4:5432\"}\n", NULL);
	is_str(field(f, 0, "service"), "store", "a dependency killed for memory is the culprit");
	is_str(field(f, 0, "pattern"), "out-of-memory", "... its own problem is the root cause");
	is_str(field(f, 0, "affected"), "[\"api\"]", "... the one that lost it is affected");
	is_num(jv_array_length(jv_copy(f)), 1, "... one finding, not two");
	is_str(field(f, 0, "chain.0.what"), "container ran out of memory (OOM kill)", "... the chain begins with the kill");
	is_str(field(f, 0, "chain.2.service"), "api", "... and ends with the effect");
	jv_free(f);

	/* Failing requests while the service's dependency is down: effects
	 * of that, not a problem of their own. */
	f = analyze("{\"kind\":\"container\",\"ts\":\"2026-11-24T06:30:00.000Z\",\"service\":\"cache\",\"action\":\"die\",\"exit_code\":0}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:30:00.100Z\",\"service\":\"shop\",\"level\":\"error\","
		    "\"msg\":\"GET /cart 503\",\"attrs\":{\"status\":503}}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:30:00.200Z\",\"service\":\"shop\",\"level\":\"warn\","
		    "\"msg\":\"cache is down: dial tcp cache:6379: connect: connection refused\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:30:01.100Z\",\"service\":\"shop\",\"level\":\"error\","
		    "\"msg\":\"GET /cart 503\",\"attrs\":{\"status\":503}}\n", NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "503s while the cache is down: one finding");
	is_str(field(f, 0, "pattern"), "connection-refused", "... the lost dependency, not the error rate");
	is_str(field(f, 0, "service"), "cache", "... blamed on the cache");
	jv_free(f);
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T06:40:00.100Z\",\"service\":\"shop\",\"level\":\"error\","
		    "\"msg\":\"GET /cart 503\",\"attrs\":{\"status\":503}}\n", NULL);
	is_str(field(f, 0, "pattern"), "high-error-rate", "503s alone: an error rate of its own");
	jv_free(f);
	/* A proxy's 502s while its upstream, at an address no record names,
	 * refuses its connections (nginx's error log and its access log): the
	 * refused connections, the 502s their effect. */
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:00.100Z\",\"service\":\"edge\",\"level\":\"error\","
		    "\"msg\":\"2026/11/24 06:50:00 [error] 7#7: *61 connect() failed (111: Connection refused) while connecting "
		    "to upstream, client: 10.1.0.1, server: , request: \\\"GET /orders HTTP/1.1\\\", upstream: "
		    "\\\"http://10.1.0.2:8000/orders\\\", host: \\\"127.0.0.1:8080\\\"\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:00.100Z\",\"service\":\"edge\",\"level\":\"error\","
		    "\"msg\":\"10.1.0.1 - - [24/Nov/2026:06:50:00 +0000] \\\"GET /orders HTTP/1.1\\\" 502 157 \\\"-\\\" \\\"curl/7.88.1\\\"\","
		    "\"status\":502}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:01.100Z\",\"service\":\"edge\",\"level\":\"error\","
		    "\"msg\":\"10.1.0.1 - - [24/Nov/2026:06:50:01 +0000] \\\"GET /orders HTTP/1.1\\\" 502 157 \\\"-\\\" \\\"curl/7.88.1\\\"\","
		    "\"status\":502}\n", NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "a proxy's 502s while its upstream refuses it: one finding");
	is_str(field(f, 0, "pattern"), "connection-refused", "... the refused connections, not the error rate");
	jv_free(f);
	/* The same with the upstream's process killed just before (its shell
	 * printed "Killed", as output): it is at fault, the proxy affected,
	 * and its line is the chain's first link, no finding of its own. */
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:00.050Z\",\"service\":\"orders\",\"level\":\"info\",\"msg\":\"Killed\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:00.100Z\",\"service\":\"edge\",\"level\":\"error\","
		    "\"msg\":\"2026/11/24 06:50:00 [error] 7#7: *61 connect() failed (111: Connection refused) while connecting "
		    "to upstream, client: 10.1.0.1, server: , upstream: \\\"http://10.1.0.2:8000/orders\\\"\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T06:50:00.100Z\",\"service\":\"edge\",\"level\":\"error\","
		    "\"msg\":\"10.1.0.1 - - [24/Nov/2026:06:50:00 +0000] \\\"GET /orders HTTP/1.1\\\" 502 157\",\"status\":502}\n", NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "an upstream killed, then refused: one finding");
	is_str(field(f, 0, "service"), "orders", "... the upstream at fault");
	is_str(field(f, 0, "chain.0.what"), "Killed", "... its last words first in the chain");
	jv_free(f);

	/* A proxy's 504s while it times out on its upstream (nginx's error
	 * log and access log): the server errors are the timeouts' answers,
	 * one finding. Then the upstream, alive, logging a broken pipe each
	 * time it answered a request the proxy had given up on: the slow
	 * upstream is at fault, no crash of its own. With a die after its
	 * traces, it would be one. */
	static const char gw_timeouts[] =
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T06:55:00.000Z\",\"service\":\"gw\",\"action\":\"start\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:55:10.000Z\",\"service\":\"gw\",\"level\":\"error\","
		"\"msg\":\"2026/11/24 06:55:10 [error] 7#7: *9 upstream timed out (110: Connection timed out) while reading "
		"response header from upstream, client: 10.1.0.1, server: , upstream: \\\"http://10.1.0.3:8000/a\\\"\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:55:10.000Z\",\"service\":\"gw\",\"level\":\"error\","
		"\"msg\":\"10.1.0.1 - - [24/Nov/2026:06:55:10 +0000] \\\"GET /a HTTP/1.1\\\" 504 167\",\"status\":504}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:55:11.000Z\",\"service\":\"gw\",\"level\":\"error\","
		"\"msg\":\"10.1.0.1 - - [24/Nov/2026:06:55:11 +0000] \\\"GET /a HTTP/1.1\\\" 504 167\",\"status\":504}\n";
	f = analyze(gw_timeouts, NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "a proxy's 504s while it times out on its upstream: one finding");
	is_str(field(f, 0, "pattern"), "slow-queries", "... the timeouts, not the error rate");
	jv_free(f);
	char *slow_up = bi_asprintf(
		"%s{\"kind\":\"container\",\"ts\":\"2026-11-24T06:55:00.000Z\",\"service\":\"up\",\"action\":\"start\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:55:12.000Z\",\"service\":\"up\",\"level\":\"error\","
		"\"msg\":\"BrokenPipeError: [Errno 32] Broken pipe\",\"stack\":\"Traceback (most recent call last):\\n"
		"  File \\\"socketserver.py\\\", line 834, in write\\nBrokenPipeError: [Errno 32] Broken pipe\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:55:13.000Z\",\"service\":\"up\",\"level\":\"info\","
		"\"msg\":\"10.1.0.2 - - \\\"GET /a HTTP/1.0\\\" 200 -\",\"status\":200}\n", gw_timeouts);
	f = analyze(slow_up, NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "... and its upstream's broken pipes as it answered late: one finding");
	is_str(field(f, 0, "pattern"), "slow-queries", "... slow requests");
	is_str(field(f, 0, "service"), "up", "... the upstream at fault");
	is_str(field(f, 0, "affected"), "[\"gw\"]", "... the proxy affected");
	is_str(field(f, 0, "crash"), "", "... no crash: the upstream lived on");
	jv_free(f);
	char *died = bi_asprintf("%s{\"kind\":\"container\",\"ts\":\"2026-11-24T06:55:12.500Z\",\"service\":\"up\","
				 "\"action\":\"die\",\"exit_code\":1}\n", slow_up);
	f = analyze(died, NULL);
	int crashed = 0;
	for (int i = 0; i < (int)jv_array_length(jv_copy(f)); i++)
		crashed |= !strcmp(field(f, i, "pattern"), "crash") && !strcmp(field(f, i, "service"), "up");
	ok(crashed, "... the same trace, then its container died: a crash");
	jv_free(f);
	free(died);
	free(slow_up);

	/* The culprit through depends_on: a dependency in trouble first. */
	static const char deps[] =
		"{\"kind\":\"dependency\",\"ts\":\"2026-11-24T07:00:00.000Z\",\"service\":\"web\",\"depends_on\":[\"queue\"]}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T07:00:01.000Z\",\"service\":\"queue\",\"level\":\"error\","
		"\"msg\":\"journal write stalled for 12 s\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T07:00:02.000Z\",\"service\":\"web\",\"level\":\"error\","
		"\"msg\":\"publish failed: broker did not answer\"}\n";
	f = analyze(deps, NULL);
	is_num(jv_array_length(jv_copy(f)), 1, "depends_on: the dependent's errors join the dependency's");
	is_str(field(f, 0, "service"), "queue", "... which is at fault");
	is_str(field(f, 0, "affected"), "[\"web\"]", "... and the dependent affected");
	jv_free(f);
	f = analyze(deps + strcspn(deps, "\n") + 1, NULL);
	is_num(jv_array_length(jv_copy(f)), 2, "without depends_on, two problems of their own");
	jv_free(f);

	/* Its own change: a service that changed just before its errors name
	 * a host no record knows is at fault itself (a wrong address). */
	static const char moved[] =
		"{\"kind\":\"commit\",\"ts\":\"2026-11-24T07:30:00.000Z\",\"sha\":\"89abcdef0123456789abcdef0123456789abcdef\","
		"\"msg\":\"Point at the new ledger\",\"files\":[\"services/billing/config.yaml\"]}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T07:31:00.000Z\",\"service\":\"billing\",\"level\":\"error\","
		"\"msg\":\"getaddrinfo ENOTFOUND ledgr-v2\"}\n";
	f = analyze(moved, NULL);
	is_str(field(f, 0, "service"), "billing", "a service that changed, naming an unknown host: its own fault");
	jv_free(f);
	f = analyze(moved + strcspn(moved, "\n") + 1, NULL);
	is_str(field(f, 0, "service"), "ledgr-v2", "... unchanged, the host it names is at fault");
	jv_free(f);

	/* A run-time crash, not a deployment failure: it had been healthy,
	 * died by SIGSEGV, twice; its signature. */
	f = analyze("{\"kind\":\"container\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"img\",\"action\":\"start\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T08:00:01.000Z\",\"service\":\"img\",\"action\":\"health_status\",\"health\":\"healthy\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:05:00.000Z\",\"service\":\"img\",\"level\":\"error\","
		    "\"msg\":\"Fatal Python error: Segmentation fault\",\"stack\":\"Current thread (most recent call first):\\n  File \\\"/app/resize.py\\\", line 41 in scale\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T08:05:00.100Z\",\"service\":\"img\",\"action\":\"die\",\"exit_code\":139}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T08:05:01.000Z\",\"service\":\"img\",\"action\":\"start\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T08:05:09.000Z\",\"service\":\"img\",\"action\":\"die\",\"exit_code\":139}\n", NULL);
	is_str(field(f, 0, "pattern"), "crash", "died by a signal after it had run: a crash");
	is_str(field(f, 0, "crash.signal"), "SIGSEGV", "... by SIGSEGV");
	is_str(field(f, 0, "crash.count"), "2", "... twice");
	is_str(field(f, 0, "crash.since"), "2026-11-24T08:05:00.100Z", "... since the first");
	jv_free(f);

	/* An uncaught exception at run time: its type and top frame. */
	f = analyze("{\"kind\":\"log\",\"ts\":\"2026-11-24T09:00:00.000Z\",\"service\":\"jobs\",\"level\":\"error\","
		    "\"msg\":\"Traceback (most recent call last):\",\"stack\":\"Traceback (most recent call last):\\n"
		    "  File \\\"/app/worker.py\\\", line 88, in run\\n    total / count\\nZeroDivisionError: division by zero\"}\n", NULL);
	is_str(field(f, 0, "pattern"), "crash", "an uncaught Python exception: a crash");
	is_str(field(f, 0, "crash.exception"), "ZeroDivisionError", "... its exception");
	ok(strstr(field(f, 0, "crash.frame"), "worker.py") != NULL, "... its top frame");
	jv_free(f);

	/* The same exit at start, never healthy, after a commit: a deployment
	 * failure, whatever the error says. */
	f = analyze("{\"kind\":\"commit\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"msg\":\"Read the signing key\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:01:00.000Z\",\"service\":\"api\",\"action\":\"start\"}\n"
		    "{\"kind\":\"log\",\"ts\":\"2026-11-24T10:01:00.200Z\",\"service\":\"api\",\"level\":\"error\",\"msg\":\"SIGNING_KEY is empty\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:01:00.300Z\",\"service\":\"api\",\"action\":\"die\",\"exit_code\":1}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:01:02.000Z\",\"service\":\"api\",\"action\":\"start\"}\n"
		    "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:01:02.300Z\",\"service\":\"api\",\"action\":\"die\",\"exit_code\":1}\n", NULL);
	is_str(field(f, 0, "pattern"), "deployment-failure", "exits at start after a commit: deployment failure");
	is_str(field(f, 0, "crash"), "", "... with no crash signature");
	jv_free(f);

	/* A metric trend is evidence: a lag gauge that only grows. */
	bi_buf lag = {0};
	for (int i = 0; i < 8; i++)
		bi_buf_printf(&lag, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T11:0%d:00.000Z\",\"service\":\"billing\","
			      "\"name\":\"kafka_consumergroup_lag\",\"type\":\"gauge\",\"value\":%d}\n", i, 40 + i * i * 20);
	f = analyze(lag.p, NULL);
	is_str(field(f, 0, "pattern"), "kafka-consumer-lag", "a lag gauge growing without bound: consumer lag");
	is_str(field(f, 0, "service"), "billing", "... of its service");
	jv_free(f);
	bi_buf_free(&lag);

	/* Once ranked, the analysis is fixed. */
	a = bi_rca_new(pats, npats);
	feed(a, oom);
	size_t n = bi_rca_rank(a, NULL);
	bi_rca_add(a, jv_parse("{\"kind\":\"log\",\"level\":\"fatal\",\"msg\":\"late\"}"));
	ok(n == 2 && bi_rca_rank(a, NULL) == 2, "records after ranking are dropped");
	bi_rca_free(a);

	/* A past incident like it, in the knowledge base: more confidence. */
	mkdtemp(path);
	char *db_path = bi_asprintf("%s/kb.db", path);
	bi_db *db = bi_kb_open(db_path, 1);
	f = analyze(oom, db);
	jv first = jv_array_get(jv_copy(f), 0);
	jv inc = bi_kb_record(db, first);
	jv_free(first);
	jv_free(bi_kb_resolve(db, bi_get_str(inc, "id"), "resolved", "Bounded the greeting cache",
			      bi_now_ns()));
	jv_free(inc);
	jv_free(f);
	f = analyze(oom, db);
	is_str(field(f, 0, "components.similarity"), "20", "a past incident alike: similarity counts");
	is_str(field(f, 0, "confidence"), "95", "... up to the cap");
	is_str(field(f, 0, "fixes.0.title"), "Bounded the greeting cache", "... and its fix comes first");
	jv_free(f);
	bi_db_close(db);
	unlink(db_path);
	char *wal = bi_asprintf("%s-wal", db_path), *shm = bi_asprintf("%s-shm", db_path);
	unlink(wal);
	unlink(shm);
	rmdir(path);
	free(wal);
	free(shm);
	free(db_path);
	bi_buf_free(&in);
	bi_kb_patterns_free(pats, npats);
	return done();
}
