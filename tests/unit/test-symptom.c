/* test-symptom: records in, symptoms (their kinds, services, subjects,
 * patterns and counts) out. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "analysis/pattern.h"
#include "analysis/symptom.h"
#include "tap.h"

static bi_kb_pattern *pats;
static size_t npats;

/* Records, one a line, into set: the fast path first, as bi-rca does. */
static void
feed(bi_symptoms *set, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (!bi_symptoms_skip(set, p, n)) {
			jv rec = jv_parse_sized(p, (int)n);
			if (jv_get_kind(rec) == JV_KIND_OBJECT)
				bi_symptoms_add(set, rec);
			jv_free(rec);
		}
		p += n + (p[n] == '\n');
	}
}

static size_t
count(const bi_symptoms *set)
{
	size_t n = 0;
	for (const bi_symptom *s = bi_symptoms_list(set); s; s = s->next)
		n++;
	return n;
}

/* The symptom of kind of service, or NULL. */
static const bi_symptom *
find(const bi_symptoms *set, bi_symptom_kind kind, const char *service)
{
	for (const bi_symptom *s = bi_symptoms_list(set); s; s = s->next)
		if (s->kind == kind && !strcmp(s->service, service))
			return s;
	return NULL;
}

/* A symptom's pattern by its id; "-" for none. */
static const char *
pattern(const bi_symptom *s)
{
	return !s ? "(no symptom)" : s->pattern < 0 ? "-" : pats[s->pattern].id;
}

/* One record alone: its symptom, as "kind service subject pattern problem"
 * ("none" when it makes none), in buf. */
static const char *
alone(const char *line, char *buf, size_t n)
{
	bi_symptoms *set = bi_symptoms_new(pats, npats);
	feed(set, line);
	const bi_symptom *s = bi_symptoms_list(set);
	if (!s)
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "%s %s %s %s %d%s", bi_symptom_kind_name(s->kind), s->service,
			 s->subject, pattern(s), s->problem, s->next ? " and more" : "");
	bi_symptoms_free(set);
	return buf;
}

int
main(void)
{
	char err[512], buf[512];

	plan(85);
	bi_init("test-symptom");
	jv cfg = jv_object();
	pats = bi_kb_patterns(cfg, NULL, 0, &npats, err, sizeof err);
	jv_free(cfg);
	ok(pats && npats == 9, "the built-in patterns");

	/* The kinds and their names. */
	int named = 1;
	for (int k = 0; k < BI_SYMPTOM_NKINDS; k++)
		for (int j = 0; j < k; j++)
			named &= bi_symptom_kind_name(k) && *bi_symptom_kind_name(k) &&
				 strcmp(bi_symptom_kind_name(k), bi_symptom_kind_name(j)) != 0;
	ok(named, "every kind has a name of its own");
	is_str(bi_symptom_kind_name(BI_SYMPTOM_STOPPED), "dependency-stopped",
	       "a container's kinds are named as the patterns' containers: lists name them");
	ok(bi_symptom_kind_name(BI_SYMPTOM_NKINDS) == NULL &&
	   bi_symptom_kind_name((bi_symptom_kind)-1) == NULL, "a value that is no kind has no name");

	/* Nothing in, nothing out. */
	bi_symptoms *set = bi_symptoms_new(pats, npats);
	const bi_note *notes;
	ok(!bi_symptoms_list(set) && !bi_symptoms_services(set) && bi_symptoms_notes(set, &notes) == 0,
	   "a new set: no symptom, no service, no note");
	bi_symptoms_free(set);
	bi_symptoms_free(NULL);

	/* Error lines of one template: one symptom, counted, with its first
	 * sample, its template and the pattern its words name. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:02.000Z\",\"service\":\"api\",\"level\":\"error\","
		  "\"msg\":\"dial tcp 10.0.0.7:5432: connect: connection refused\",\"logger\":\"api.db\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:01.000Z\",\"service\":\"api\",\"level\":\"warn\","
		  "\"msg\":\"dial tcp 10.0.0.8:5432: connect: connection refused\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:09.000Z\",\"service\":\"api\",\"level\":\"info\","
		  "\"msg\":\"GET /\",\"attrs\":{\"status\":503}}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:10.000Z\",\"service\":\"api\",\"level\":\"info\","
		  "\"msg\":\"GET /\",\"attrs\":{\"status\":200}}\n");
	const bi_symptom *s = bi_symptoms_list(set);
	is_num(count(set), 1, "two error lines of one template, two info lines: one symptom");
	ok(s && s->kind == BI_SYMPTOM_LOG && !strcmp(s->service, "api") && !strcmp(s->subject, "0"),
	   "... a log template of api, its first (subject \"%s\")", s ? s->subject : "?");
	is_num(s->count, 2, "... seen twice");
	is_str(pattern(s), "connection-refused", "... matching connection refused");
	ok(s->problem && s->level == 4, "... a problem, at the level of the worse line");
	ok(s->strength[BI_SIGNAL_LOG] > 0 && s->strength[BI_SIGNAL_CONTAINER] == 0,
	   "... by the words of a log line only");
	is_str(s->sample, "dial tcp 10.0.0.7:5432: connect: connection refused", "... the first line its sample");
	is_str(s->logger, "api.db", "... and its logger");
	is_str(bi_symptoms_template(set, s), "dial tcp <*>: connect: connection refused", "... its template");
	ok(s->first == 1795482001000000000LL && s->last == 1795482002000000000LL,
	   "first and last by time, not by order");
	ok(s->what == NULL && s->cluster != NULL, "a log template has no 'what': it has its cluster");
	const bi_service *sv = bi_symptoms_service(set, "api");
	ok(sv && sv->requests == 2 && sv->errors5xx == 1,
	   "the service's requests and server errors, the fast path's among them");
	bi_symptoms_free(set);

	/* The fast path takes what bi_symptoms_add would, and nothing else. */
	set = bi_symptoms_new(pats, npats);
	static const char quiet[] = "{\"kind\":\"log\",\"service\":\"web\",\"level\":\"info\",\"msg\":\"GET /\",\"status\":502}";
	static const char loud[] = "{\"kind\":\"log\",\"service\":\"web\",\"level\":\"error\",\"msg\":\"boom\"}";
	static const char slow[] = "{\"kind\":\"log\",\"service\":\"web\",\"level\":\"info\",\"msg\":\"GET /\",\"duration_ms\":800}";
	ok(bi_symptoms_skip(set, quiet, strlen(quiet)) && !bi_symptoms_skip(set, loud, strlen(loud)) &&
	   !bi_symptoms_skip(set, slow, strlen(slow)), "skips a quiet line; not an error or a slow one");
	sv = bi_symptoms_service(set, "web");
	ok(sv && sv->requests == 1 && sv->errors5xx == 1 && !bi_symptoms_list(set),
	   "... counting its request, making no symptom");
	bi_symptoms_free(set);

	/* Each kind of record, alone. */
	is_str(alone("{\"kind\":\"log\",\"service\":\"web\",\"level\":\"info\",\"msg\":\"GET /\",\"duration_ms\":800}", buf, sizeof buf),
	       "log web 0 slow-queries 1", "a slow request: a log symptom, slow queries");
	is_str(alone("{\"kind\":\"log\",\"service\":\"web\",\"level\":\"warn\",\"msg\":\"cache is cold\"}", buf, sizeof buf),
	       "log web 0 - 0", "a warning no pattern knows: a symptom, but no problem");
	is_str(alone("{\"kind\":\"container\",\"service\":\"app\",\"action\":\"oom\"}", buf, sizeof buf),
	       "oom app  out-of-memory 1", "an OOM kill");
	is_str(alone("{\"kind\":\"container\",\"service\":\"app\",\"action\":\"die\",\"exit_code\":0}", buf, sizeof buf),
	       "dependency-stopped app  connection-refused 0", "a clean exit: a stopped dependency, no problem");
	is_str(alone("{\"kind\":\"health\",\"target\":\"http://127.0.0.1:8080/health\",\"ok\":false,\"msg\":\"HTTP 503\"}", buf, sizeof buf),
	       "health http://127.0.0.1:8080/health http://127.0.0.1:8080/health - 1",
	       "a failing health check, of its target when no service is named");
	is_str(alone("{\"kind\":\"health\",\"service\":\"app\",\"ok\":true}", buf, sizeof buf), "none", "a passing one: none");
	is_str(alone("{\"kind\":\"alert\",\"service\":\"api\",\"name\":\"error_rate\",\"value\":0.2}", buf, sizeof buf),
	       "alert api error_rate high-error-rate 1", "a firing alert, by its name and value");
	is_str(alone("{\"kind\":\"alert\",\"name\":\"error_rate\",\"value\":0.2,\"state\":\"resolved\"}", buf, sizeof buf),
	       "none", "a resolved one: none");
	is_str(alone("{\"kind\":\"k8s_event\",\"type\":\"Warning\",\"reason\":\"BackOff\",\"object\":\"Pod/web-5f4d8c7b9-abcde\"}", buf, sizeof buf),
	       "k8s web BackOff deployment-failure 1", "a Kubernetes warning: of the pod's service, by its reason");
	is_str(alone("{\"kind\":\"perf_summary\",\"target\":\"http://127.0.0.1:8080/\",\"passed\":false,\"latency\":{\"p95\":900}}", buf, sizeof buf),
	       "perf - http://127.0.0.1:8080/ slow-queries 1", "a failed load test, by its target");
	is_str(alone("{\"kind\":\"chaos\",\"scenario\":\"memory-hog\",\"status\":\"failed\",\"target\":\"worker\"}", buf, sizeof buf),
	       "chaos worker memory-hog out-of-memory 1", "a failed chaos scenario, matched by its name");
	is_str(alone("{\"kind\":\"metric\",\"name\":\"disk_pct\",\"value\":97,\"service\":\"db\"}", buf, sizeof buf),
	       "metric db disk_pct disk-pressure 1", "a metric past a pattern's condition");
	is_str(alone("{\"kind\":\"metric\",\"name\":\"disk_pct\",\"value\":40,\"service\":\"db\"}", buf, sizeof buf),
	       "none", "... and within it: none");
	is_str(alone("{\"kind\":\"stats\",\"service\":\"w\",\"mem_used\":990,\"mem_limit\":1000,\"mem_pct\":99}", buf, sizeof buf),
	       "stats w  out-of-memory 1", "container stats past a condition");

	/* A kind nothing knows, or no kind: nothing. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"weird\",\"ts\":\"2026-11-24T01:00:00.000Z\",\"service\":\"x\",\"level\":\"error\",\"msg\":\"out of memory\"}\n"
		  "{\"ts\":\"2026-11-24T01:00:00.000Z\",\"level\":\"error\",\"msg\":\"no kind\"}\n"
		  "{\"kind\":\"commit\",\"sha\":\"abc\",\"msg\":\"out of memory fix\"}\n{}\n");
	ok(!bi_symptoms_list(set) && !bi_symptoms_services(set), "records of an unknown kind, or none: no symptom, no service");
	bi_symptoms_free(set);

	/* Records with fields missing: read as absent. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"level\":\"error\"}\n"
		  "{\"kind\":\"container\",\"service\":\"c\"}\n"
		  "{\"kind\":\"container\",\"action\":\"die\"}\n"
		  "{\"kind\":\"k8s_event\",\"type\":\"Warning\"}\n"
		  "{\"kind\":\"alert\"}\n"
		  "{\"kind\":\"metric\",\"value\":99}\n"
		  "{\"kind\":\"chaos\",\"status\":\"failed\"}\n");
	s = find(set, BI_SYMPTOM_LOG, "-");
	ok(s && s->count == 1 && s->first == 0 && !strcmp(s->sample, "") && s->problem,
	   "an error with no message, service or time: a symptom of service \"-\", no time, an empty sample");
	ok(find(set, BI_SYMPTOM_STOPPED, "-") && !find(set, BI_SYMPTOM_CRASH, "-"),
	   "an exit with no code: stopped, no crash");
	s = find(set, BI_SYMPTOM_K8S, "-");
	ok(s && !strcmp(s->subject, "") && s->pattern < 0, "a warning of no object or reason: of \"-\", about nothing");
	s = find(set, BI_SYMPTOM_ALERT, "-");
	ok(s && !strcmp(s->subject, "") && !strcmp(s->what, "alert ? firing for -: "), "an alert with no name: \"?\"");
	ok(!find(set, BI_SYMPTOM_METRIC, "-"), "a metric with no name: none");
	ok(find(set, BI_SYMPTOM_CHAOS, "-") != NULL, "a failed scenario with no name: one of \"-\"");
	is_num(count(set), 5, "five symptoms in all");
	ok(bi_symptoms_service(set, "c") && bi_symptoms_service(set, "") == bi_symptoms_service(set, "-") &&
	   bi_symptoms_service(set, NULL) == bi_symptoms_service(set, "-") && !bi_symptoms_service(set, "nope"),
	   "services by name; none, or \"\", is \"-\"");
	bi_symptoms_free(set);

	/* A container's story: asked to stop, then killed for memory, then
	 * crashing twice. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:00:00.000Z\",\"service\":\"w\",\"action\":\"kill\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:00:01.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":137}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:01:00.000Z\",\"service\":\"w\",\"action\":\"oom\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:01:01.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":137}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:02:00.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":1}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:03:00.000Z\",\"service\":\"w\",\"action\":\"health_status\",\"health\":\"unhealthy\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:04:00.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":1}\n");
	s = find(set, BI_SYMPTOM_CRASH, "w");
	ok(s && s->count == 2 && s->strength[BI_SIGNAL_CONTAINER] == 0.9,
	   "exits after a kill or an OOM kill are no crash; two crashes weigh more than one");
	is_str(s->what, "container w exited with code 1, 2 times", "... said for people");
	s = find(set, BI_SYMPTOM_OOM, "w");
	ok(s && s->count == 1 && s->problem, "the OOM kill");
	s = find(set, BI_SYMPTOM_STOPPED, "w");
	ok(s && s->count == 4 && !s->problem && s->strength[BI_SIGNAL_SUPPORT] > 0,
	   "every exit supports others' connection problems");
	sv = bi_symptoms_service(set, "w");
	ok(sv && bi_service_nevents(sv) == 7 && !strcmp(bi_service_event(sv, 0)->action, "kill") &&
	   !strcmp(bi_service_event(sv, 5)->action, "unhealthy") && bi_service_event(sv, 6)->exit_code == 1,
	   "its container events, oldest first");
	bi_symptoms_free(set);

	/* An exit at start, never healthy, after a change (here a container
	 * of another image) is no crash: a start failure. A death by a signal
	 * is a crash even at start. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:00:00.000Z\",\"service\":\"n\",\"action\":\"create\",\"image\":\"n:1\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:59:59.000Z\",\"service\":\"n\",\"action\":\"create\",\"image\":\"n:2\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:00.000Z\",\"service\":\"n\",\"action\":\"start\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:00.500Z\",\"service\":\"n\",\"action\":\"die\",\"exit_code\":1}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:01.000Z\",\"service\":\"n\",\"action\":\"start\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:01.500Z\",\"service\":\"n\",\"action\":\"die\",\"exit_code\":139}\n");
	s = find(set, BI_SYMPTOM_START, "n");
	ok(s && s->count == 1 && !strcmp(pattern(s), "deployment-failure"), "an exit at start: start-failure");
	s = find(set, BI_SYMPTOM_CRASH, "n");
	ok(s && s->count == 1 && !strcmp(pattern(s), "crash"), "a SIGSEGV: a crash");
	is_str(bi_symptom_kind_name(BI_SYMPTOM_START), "start-failure", "... named as patterns name it");
	bi_symptoms_free(set);

	/* With no change before it (a first container, a restart by its
	 * policy), a process that exits soon after it started is a crash: an
	 * uncaught exception at run time, not a version that does not come up.
	 * A commit, or the container made anew, is a change. */
	static const char exits[] =
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:00.000Z\",\"service\":\"n\",\"action\":\"create\",\"image\":\"n:1\"}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:00.200Z\",\"service\":\"n\",\"action\":\"start\"}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:02.400Z\",\"service\":\"n\",\"action\":\"die\",\"exit_code\":1}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:02.700Z\",\"service\":\"n\",\"action\":\"start\"}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:05.100Z\",\"service\":\"n\",\"action\":\"die\",\"exit_code\":1}\n";
	set = bi_symptoms_new(pats, npats);
	feed(set, exits);
	s = find(set, BI_SYMPTOM_CRASH, "n");
	ok(s && s->count == 2 && !strcmp(pattern(s), "crash") && !find(set, BI_SYMPTOM_START, "n"),
	   "exits soon after a first start, no change before: a crash");
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	int64_t at;
	bi_ts_parse("2026-11-24T02:55:00.000Z", &at);
	bi_symptoms_commit(set, at);
	feed(set, exits);
	s = find(set, BI_SYMPTOM_START, "n");
	ok(s && s->count == 2 && !find(set, BI_SYMPTOM_CRASH, "n"), "... a commit 5 min before: a start failure");
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	bi_ts_parse("2026-11-24T02:40:00.000Z", &at);
	bi_symptoms_commit(set, at);
	feed(set, exits);
	ok(find(set, BI_SYMPTOM_CRASH, "n") && !find(set, BI_SYMPTOM_START, "n"),
	   "... a commit 20 min before is no change of this start");
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:59:00.000Z\",\"service\":\"n\",\"action\":\"kill\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:59:00.100Z\",\"service\":\"n\",\"action\":\"die\",\"exit_code\":0}\n");
	feed(set, exits);
	ok(find(set, BI_SYMPTOM_START, "n") && !find(set, BI_SYMPTOM_CRASH, "n"),
	   "... the container made anew (recreated): a start failure");
	bi_symptoms_free(set);

	/* One template, one pattern: a later message of the template carries
	 * the telling words the first lacks. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T04:00:00.000Z\",\"service\":\"q\",\"level\":\"error\",\"msg\":\"write of block 17 to the volume of the journal failed: EIO\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T04:00:01.000Z\",\"service\":\"q\",\"level\":\"error\",\"msg\":\"write of block 18 to the volume of the journal failed: ENOSPC\"}\n");
	s = find(set, BI_SYMPTOM_LOG, "q");
	ok(s && s->count == 2, "two messages, one template");
	is_str(s ? pattern(s) : "", "disk-pressure", "... matched by its later message");
	bi_symptoms_free(set);

	/* PostgreSQL's slow log: the duration in the text makes a slow line,
	 * info though it is. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T05:00:00.000Z\",\"service\":\"pg\",\"level\":\"info\","
		  "\"msg\":\"LOG:  duration: 2567.436 ms  statement: SELECT 1\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T05:00:01.000Z\",\"service\":\"pg\",\"level\":\"info\","
		  "\"msg\":\"LOG:  duration: 0.436 ms  statement: SELECT 1\"}\n");
	s = find(set, BI_SYMPTOM_LOG, "pg");
	ok(s && s->count == 1 && s->problem && !strcmp(pattern(s), "slow-queries"),
	   "a slow statement in PostgreSQL's log, the fast one not");
	bi_symptoms_free(set);

	/* Metric trends: a gauge that only grows, a ratio that jumps from its
	 * baseline; a counter's growth and a steady gauge are nothing. */
	set = bi_symptoms_new(pats, npats);
	bi_buf in = {0};
	for (int i = 0; i < 8; i++) {
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"consumer_group_lag\",\"value\":%d}\n", i, 100 + 300 * i);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"http_errors_total\",\"value\":%d}\n", i, 100 + 300 * i);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"request_p99_ms\",\"value\":%d}\n", i, 80 + i % 2);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"error_ratio\",\"value\":%g}\n", i, i < 6 ? 0.01 : 0.4);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"route_p95_ms\",\"value\":%d}\n", i, i == 6 ? 900 : 40);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"idle_p95_ms\",\"value\":%d}\n", i, i < 5 ? 1 : 9);
		bi_buf_printf(&in, "{\"kind\":\"metric\",\"ts\":\"2026-11-24T06:0%d:00.000Z\",\"service\":\"c\","
			      "\"name\":\"process_resident_memory_bytes\",\"value\":%d}\n", i, 1000000 * (i + 1));
	}
	feed(set, in.p);
	bi_buf_free(&in);
	int lag = 0, counter = 0, steady = 0, jump = 0, spike = 0, warm = 0, idle = 0;
	for (s = bi_symptoms_list(set); s; s = s->next) {
		lag |= s->kind == BI_SYMPTOM_METRIC && !strcmp(s->subject, "consumer_group_lag") &&
		       !strcmp(pattern(s), "kafka-consumer-lag");
		counter |= !strcmp(s->subject, "http_errors_total");
		spike |= !strcmp(s->subject, "route_p95_ms");
		idle |= !strcmp(s->subject, "idle_p95_ms");
		warm |= !strcmp(s->subject, "process_resident_memory_bytes");
		steady |= !strcmp(s->subject, "request_p99_ms");
		jump |= s->kind == BI_SYMPTOM_METRIC && !strcmp(s->subject, "error_ratio") &&
			!strcmp(pattern(s), "high-error-rate");
	}
	ok(lag, "a lag that grows without bound: consumer lag");
	ok(jump, "an error ratio that jumps from its baseline: error rate");
	ok(!counter && !steady, "a counter's growth and a steady p99: nothing");
	ok(!spike, "a p95 spike of one point: nothing");
	ok(!idle, "a p95 from 1 ms to 9 ms: nine times, but too little to matter");
	ok(!warm, "a process's memory growing as it warms up: nothing by itself");
	bi_symptoms_free(set);

	/* bi-metrics' own alerts show their patterns. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"alert\",\"ts\":\"2026-11-24T07:00:00.000Z\",\"name\":\"latency_p99_ms\",\"service\":\"w\","
		  "\"state\":\"firing\",\"value\":1840,\"threshold\":1000,\"msg\":\"p99 of w is 1840 ms\"}\n"
		  "{\"kind\":\"alert\",\"ts\":\"2026-11-24T07:00:00.000Z\",\"name\":\"orders_lag_high\",\"service\":\"o\","
		  "\"state\":\"firing\",\"value\":52000,\"msg\":\"orders behind\"}\n");
	s = find(set, BI_SYMPTOM_ALERT, "w");
	is_str(s ? pattern(s) : "", "slow-queries", "a p99 alert: slow queries");
	s = find(set, BI_SYMPTOM_ALERT, "o");
	is_str(s ? pattern(s) : "", "kafka-consumer-lag", "an alert on a lag: consumer lag");
	bi_symptoms_free(set);

	/* A trace a logger wrote under a message of its own (Python's
	 * logger.exception) was caught: its exception says what failed, and
	 * that it is a trace says no crash. The trace itself as the message
	 * (what Python prints for an uncaught one) is a crash. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"a\",\"level\":\"error\","
		  "\"msg\":\"2026-11-24 08:00:00,001 - worker - ERROR - INCR events failed\",\"stack\":\"Traceback "
		  "(most recent call last):\\n  File \\\"/app/w.py\\\", line 28, in incr\\n    raise ConnectionResetError("
		  "\\\"closed\\\")\\nConnectionResetError: Redis closed the connection\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"b\",\"level\":\"error\","
		  "\"msg\":\"2026-11-24 08:00:00,001 - worker - ERROR - SET session failed\",\"stack\":\"Traceback "
		  "(most recent call last):\\n  File \\\"/app/w.py\\\", line 41, in store\\nRuntimeError: OOM command not "
		  "allowed when used memory > 'maxmemory'.\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"c\",\"level\":\"error\","
		  "\"msg\":\"2026-11-24 08:00:00,001 - api - ERROR - pricing failed\",\"stack\":\"Traceback "
		  "(most recent call last):\\n  File \\\"/app/p.py\\\", line 18, in price\\nKeyError: 'quince'\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"d\",\"level\":\"error\","
		  "\"msg\":\"KeyError: 'quince'\",\"stack\":\"Traceback "
		  "(most recent call last):\\n  File \\\"/app/p.py\\\", line 18, in price\\nKeyError: 'quince'\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"e\",\"level\":\"error\","
		  "\"msg\":\"unhandled exception in request handler\",\"stack\":\"Traceback "
		  "(most recent call last):\\n  File \\\"/app/p.py\\\", line 18, in price\\nKeyError: 'quince'\"}\n");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "a")), "connection-refused",
	       "a logged ConnectionResetError: connection refused, no crash");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "b")), "out-of-memory",
	       "a logged Redis OOM reply: out of memory, no crash");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "c")), "-", "a logged KeyError: an error, no crash");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "d")), "crash", "the trace as the message (uncaught): a crash");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "e")), "crash", "... or a message that says so itself");
	bi_symptoms_free(set);

	/* What a shell prints of a child killed by a signal, as output (the
	 * collector's info): an error; its words give its pattern. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:10:00.000Z\",\"service\":\"k\",\"level\":\"info\",\"msg\":\"Killed\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:10:00.000Z\",\"service\":\"s\",\"level\":\"info\","
		  "\"msg\":\"Segmentation fault (core dumped)\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:10:00.000Z\",\"service\":\"n\",\"level\":\"info\","
		  "\"msg\":\"Killed 3 idle sessions\"}\n");
	s = find(set, BI_SYMPTOM_LOG, "k");
	ok(s && s->problem && s->level >= 4 && s->pattern < 0, "a shell's \"Killed\": an error, of no pattern");
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "s")), "crash", "... its \"Segmentation fault (core dumped)\": a crash");
	ok(!find(set, BI_SYMPTOM_LOG, "n"), "... but not a line that only begins so");
	bi_symptoms_free(set);

	/* A trace is a crash only if the process ends: one its service lives
	 * on (its container's life is in the records, no die follows) was
	 * caught by a server that went on; its words decide. */
	static const char *const trace_tail[] = {
		/* lives on */ "",
		/* dies */ "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:06.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":1}\n",
		/* taken down later */ "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:30.000Z\",\"service\":\"w\",\"action\":\"kill\"}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:31.000Z\",\"service\":\"w\",\"action\":\"die\",\"exit_code\":137}\n"};
	static const char *const trace_says[] = {"a trace its process lived on: an error, no crash",
						 "... settled, it stays one",
						 "... a stop asked for after it is no end of its making"};
	for (int i = 0; i < 3; i++) {
		char *recs = bi_asprintf(
			"{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"service\":\"w\",\"action\":\"start\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T10:00:05.000Z\",\"service\":\"w\",\"level\":\"error\","
			"\"msg\":\"ValueError: bad row\",\"stack\":\"Traceback (most recent call last):\\n  File \\\"w.py\\\", line 3, in run\\nValueError: bad row\"}\n"
			"%s", trace_tail[i]);
		set = bi_symptoms_new(pats, npats);
		feed(set, recs);
		is_str(pattern(find(set, BI_SYMPTOM_LOG, "w")), "crash", "%s",
		       i == 1 ? "a trace then a die: a crash" : "a trace, before settling: a crash by its words");
		bi_symptoms_settle(set);
		s = find(set, BI_SYMPTOM_LOG, "w");
		if (i == 1)
			is_str(pattern(s), "crash", "%s", trace_says[i]);
		else
			ok(s && s->pattern < 0 && s->problem && !s->gone, "%s", trace_says[i]);
		bi_symptoms_free(set);
		free(recs);
	}
	/* A server's write that found its client gone (Python's BrokenPipeError
	 * from socketserver): the client gave up waiting; the slow pattern. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"service\":\"api\",\"action\":\"start\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"service\":\"rs\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T10:00:05.000Z\",\"service\":\"api\",\"level\":\"error\","
		  "\"msg\":\"BrokenPipeError: [Errno 32] Broken pipe\",\"stack\":\"Traceback (most recent call last):\\n"
		  "  File \\\"/usr/lib/python3.11/socketserver.py\\\", line 834, in write\\nBrokenPipeError: [Errno 32] Broken pipe\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T10:00:05.000Z\",\"service\":\"rs\",\"level\":\"error\","
		  "\"msg\":\"ConnectionResetError: [Errno 104] Connection reset by peer\",\"stack\":\"Traceback (most recent call last):\\n"
		  "  File \\\"c.py\\\", line 9, in fetch\\n    data = sock.recv(4096)\\nConnectionResetError: [Errno 104] Connection reset by peer\"}\n");
	bi_symptoms_settle(set);
	s = find(set, BI_SYMPTOM_LOG, "api");
	is_str(pattern(s), "slow-queries", "a broken pipe on a server's write it lived on: its client gave up");
	ok(s && s->gone, "... the peer gone");
	s = find(set, BI_SYMPTOM_LOG, "rs");
	is_str(pattern(s), "connection-refused", "a reset on a read: its peer went away, by its words");
	ok(s && !s->gone, "... no client that gave up");
	bi_symptoms_free(set);
	/* A shell's report of a child killed by a signal is no trace: a process
	 * ended, though its container lives on. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"service\":\"w\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T10:00:05.000Z\",\"service\":\"w\",\"level\":\"info\","
		  "\"msg\":\"Segmentation fault (core dumped)\"}\n");
	bi_symptoms_settle(set);
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "w")), "crash", "a shell's \"Segmentation fault\", its container alive: a crash still");
	bi_symptoms_free(set);
	/* With no container record, whether it lived on is unknown: the words. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T10:00:05.000Z\",\"service\":\"w\",\"level\":\"error\","
		  "\"msg\":\"BrokenPipeError: [Errno 32] Broken pipe\",\"stack\":\"Traceback (most recent call last):\\n"
		  "  File \\\"w.py\\\", line 3, in write\\nBrokenPipeError: [Errno 32] Broken pipe\"}\n");
	bi_symptoms_settle(set);
	is_str(pattern(find(set, BI_SYMPTOM_LOG, "w")), "crash", "a trace whose process's life is unknown: a crash still");
	bi_symptoms_free(set);

	bi_kb_patterns_free(pats, npats);
	return done();
}
