/* test-pattern: the patterns, their YAML and the user's, matching of text,
 * conditions and chaos scenarios, similarity and signatures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "analysis/pattern.h"
#include "tap.h"

static const char *
pattern_of(const bi_kb_pattern *p, size_t n, const char *text)
{
	int i = bi_kb_match_text(p, n, text, strlen(text), NULL);
	return i < 0 ? "none" : p[i].id;
}

static const char *
scenario_of(const bi_kb_pattern *p, size_t n, const char *scenario)
{
	int i = bi_kb_match_scenario(p, n, scenario);
	return i < 0 ? "none" : p[i].id;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	char err[512], dir[] = "/tmp/bi-test-pattern-XXXXXX";
	size_t n;

	plan(51);
	bi_init("test-pattern");
	mkdtemp(dir);

	/* The built-ins, as REFERENCE.md lists them. */
	jv cfg = jv_object();
	bi_kb_pattern *p = bi_kb_patterns(cfg, NULL, 0, &n, err, sizeof err);
	ok(p && n == 9, "nine built-in patterns");
	static const struct { const char *id; double rate; } want[] = {
		{"out-of-memory", 0.85}, {"connection-refused", 0.90}, {"slow-queries", 0.80},
		{"deployment-failure", 0.85}, {"high-error-rate", 0.75},
		{"kafka-consumer-lag", 0.80}, {"certificate-expiry", 0.95}, {"disk-pressure", 0.90}};
	int rates = 1;
	for (int i = 0; i < 8; i++) {
		const bi_kb_pattern *q = bi_kb_pattern_find(p, n, want[i].id);
		rates &= q && q->success_rate == want[i].rate && q->builtin && q->fixes[0] &&
			 *q->root_cause;
	}
	ok(rates, "each with its initial success rate, a root cause and fixes");

	/* Text matching: case-insensitive, the longest term winning. */
	is_str(pattern_of(p, n, "java.lang.OutOfMemoryError: Java heap space"), "out-of-memory", "a Java OOM");
	is_str(pattern_of(p, n, "ConnectionRefusedError: [Errno 111] Connection refused"),
	       "connection-refused", "Python's ConnectionRefusedError");
	is_str(pattern_of(p, n, "Traceback (most recent call last):\n  File \"w.py\", line 28\n"
			  "ConnectionResetError: Redis closed the connection"),
	       "connection-refused", "... its ConnectionResetError, over the trace it ends");
	is_str(pattern_of(p, n, "redis.exceptions.ResponseError: OOM command not allowed when used memory > 'maxmemory'."),
	       "out-of-memory", "Redis's reply when full (maxmemory, noeviction)");
	is_str(pattern_of(p, n, "connect ECONNREFUSED 10.0.0.5:5432"), "connection-refused", "Node's ECONNREFUSED");
	is_str(pattern_of(p, n, "redis is down: redis: Name or service not known"), "connection-refused",
	       "a dependency's name not resolving");
	is_str(pattern_of(p, n, "ERROR: canceling statement due to statement timeout"), "slow-queries",
	       "a Postgres statement timeout");
	is_str(pattern_of(p, n, "x509: certificate has expired or is not yet valid"), "certificate-expiry",
	       "Go's x509 error");
	is_str(pattern_of(p, n, "write /var/log/app.log: no space left on device"), "disk-pressure", "ENOSPC");
	is_str(pattern_of(p, n, "Offset commit failed on partition orders-3 at offset 42"),
	       "kafka-consumer-lag", "a Kafka commit failure");
	is_str(pattern_of(p, n, "Back-off restarting failed container"), "deployment-failure", "a crash loop");
	is_str(pattern_of(p, n, "all is well"), "none", "nothing known: -1");
	/* A crash at run time is no failed deployment; a start-up failure is. */
	is_str(pattern_of(p, n, "panic: runtime error: invalid memory address or nil pointer dereference"),
	       "crash", "a Go panic: crash");
	is_str(pattern_of(p, n, "Exception in thread \"main\" java.lang.IllegalStateException: closed"),
	       "crash", "an uncaught Java exception: crash");
	is_str(pattern_of(p, n, "Traceback (most recent call last):\nKeyError: 'id'"), "crash",
	       "a Python traceback: crash");
	is_str(pattern_of(p, n, "Traceback (most recent call last):\nModuleNotFoundError: No module named 'x'"),
	       "deployment-failure", "... unless its exception is one of a start that cannot happen");
	is_str(pattern_of(p, n, "Error: Cannot find module 'express'"), "deployment-failure",
	       "Node's missing module: deployment failure");
	is_str(pattern_of(p, n, "Segmentation fault (core dumped)"), "crash", "a segfault: crash");
	/* Servers' own words, not ours. */
	is_str(pattern_of(p, n, "upstream timed out (110: Connection timed out) while reading response header"),
	       "slow-queries", "nginx's upstream timeout");
	is_str(pattern_of(p, n, "no live upstreams while connecting to upstream"), "connection-refused",
	       "nginx's no live upstreams");
	is_str(pattern_of(p, n, "fault injected: error rate 0.3"), "none", "no term of our own fixtures");
	const char *own = NULL;
	for (size_t i = 0; i < n; i++)
		for (char **t = p[i].logs; *t; t++)
			if (strstr(*t, "injected") || strstr(*t, "missing required"))
				own = *t;
	ok(own == NULL, "no pattern holds a fixture's words (%s)", own ? own : "none");

	/* Metric conditions. */
	const bi_kb_pattern *err_rate = bi_kb_pattern_find(p, n, "high-error-rate");
	int cond500 = 0;
	for (size_t i = 0; i < err_rate->nconds; i++)
		if (!strcmp(err_rate->conds[i].field, "status"))
			cond500 = bi_kb_cond_holds(&err_rate->conds[i], 503) &&
				  !bi_kb_cond_holds(&err_rate->conds[i], 404);
	ok(cond500, "status >= 500 holds for 503, not for 404");
	ok(bi_kb_in(bi_kb_pattern_find(p, n, "out-of-memory")->k8s, "oomkilled"),
	   "Kubernetes reasons match whole, case-insensitively");
	bi_kb_patterns_free(p, n);

	/* The user's patterns: a new one, and one that replaces a built-in. */
	char *file = bi_asprintf("%s/patterns.yaml", dir);
	FILE *f = fopen(file, "w");
	fputs("patterns:\n"
	      "  - id: redis-maxmemory\n"
	      "    name: Redis out of memory\n"
	      "    logs: [OOM command not allowed]\n"
	      "    metrics: [\"redis_memory_pct > 90\"]\n"
	      "    fixes: [Set a maxmemory policy]\n"
	      "    success_rate: 0.7\n"
	      "  - id: disk-pressure\n"
	      "    name: Disk full\n"
	      "    logs: [disk is full]\n", f);
	fclose(f);
	char *files[] = {file};
	p = bi_kb_patterns(cfg, files, 1, &n, err, sizeof err);
	ok(p && n == 10, "a file adds its patterns: %s", p ? "10" : err);
	is_str(pattern_of(p, n, "OOM command not allowed when used memory > 'maxmemory'"),
	       "redis-maxmemory", "a user pattern matches");
	is_str(bi_kb_pattern_find(p, n, "disk-pressure")->name, "Disk full", "a user pattern replaces a built-in");
	ok(!bi_kb_pattern_find(p, n, "redis-maxmemory")->builtin, "... and is not built in");
	bi_kb_patterns_free(p, n);
	f = fopen(file, "w");
	fputs("- id: broken\n  metrics: [\"latency is high\"]\n", f);
	fclose(f);
	ok(bi_kb_patterns(cfg, files, 1, &n, err, sizeof err) == NULL && strstr(err, "latency is high"),
	   "a malformed condition is refused, named: %s", err);
	f = fopen(file, "w");
	fputs("- name: no id\n", f);
	fclose(f);
	ok(bi_kb_patterns(cfg, files, 1, &n, err, sizeof err) == NULL && strstr(err, "needs an id"),
	   "a pattern without an id is refused");
	p = bi_kb_patterns(cfg, NULL, 0, &n, err, sizeof err);

	/* Jaccard over words longer than three characters, lower case. */
	near(bi_kb_jaccard("Connection REFUSED by redis", "connection refused by postgres"), 0.5, 1e-9,
	     "two words of four in common: 0.5 (short words ignored)");
	is_num(bi_kb_jaccard("", "anything"), 0, "nothing in common with nothing");
	is_num(bi_kb_jaccard("same words here", "here same words"), 1, "order does not matter");

	/* Chaos scenarios: the advice table's terms, the longest winning. */
	is_str(scenario_of(p, n, "memory-hog"), "out-of-memory", "memory-hog: out of memory");
	is_str(scenario_of(p, n, "dependency-down"), "connection-refused", "dependency-down: connection refused");
	is_str(scenario_of(p, n, "Redis-Down"), "connection-refused", "a dependency's name, whatever its case");
	is_str(scenario_of(p, n, "db-latency"), "slow-queries", "db-latency: slow queries");
	is_str(scenario_of(p, n, "kafka-lag"), "kafka-consumer-lag",
	       "kafka-lag: consumer lag, its longer term beating kafka's");
	is_str(scenario_of(p, n, "pod-kill"), "none", "pod-kill shows no pattern");
	is_str(scenario_of(p, n, "worker-crash"), "crash", "a crash scenario: crash, no deployment");
	is_str(scenario_of(p, n, NULL), "none", "no scenario: none");
	const bi_kb_pattern *oom = bi_kb_pattern_find(p, n, "out-of-memory");
	ok(bi_kb_in(oom->chaos, "memory-pressure") && bi_kb_in(oom->chaos, "memory"),
	   "a pattern's chaos terms come from the advice entries that name it");
	ok(!bi_kb_pattern_find(p, n, "certificate-expiry")->chaos[0],
	   "... and a pattern no entry names has none");

	/* Signatures: as given, else pattern, service and template or title. */
	jv fnd = jv_parse("{\"pattern\":\"out-of-memory\",\"service\":\"app\",\"template\":\"heap <*>\","
			"\"title\":\"t\"}");
	char *sig = bi_kb_signature(fnd);
	is_str(sig, "out-of-memory app heap <*>", "a signature from pattern, service and template");
	free(sig);
	jv_free(fnd);
	fnd = jv_parse("{\"signature\":\"given\",\"title\":\"t\"}");
	sig = bi_kb_signature(fnd);
	is_str(sig, "given", "a signature given is kept");
	free(sig);
	jv_free(fnd);
	fnd = jv_parse("{\"title\":\"Something broke\"}");
	sig = bi_kb_signature(fnd);
	is_str(sig, "unknown - Something broke", "no pattern, no service: the title");
	free(sig);
	jv_free(fnd);
	bi_kb_patterns_free(p, n);

	/* Advice in a patterns file: a user's entry gives a pattern its
	 * scenarios; one naming no pattern is refused. */
	char *both = bi_asprintf("%s/both.yaml", dir);
	put(both, "patterns:\n"
		  "  - id: redis-maxmemory\n"
		  "    logs: [OOM command not allowed]\n"
		  "advice:\n"
		  "  - id: redis-fill\n"
		  "    on: failed\n"
		  "    scenarios: [redis-fill]\n"
		  "    pattern: redis-maxmemory\n"
		  "    title: Give redis a maxmemory policy\n");
	char *bothv[] = {both};
	p = bi_kb_patterns(cfg, bothv, 1, &n, err, sizeof err);
	ok(p != NULL, "patterns and advice in one file: %s", p ? "loaded" : err);
	is_str(p ? scenario_of(p, n, "redis-fill") : "", "redis-maxmemory",
	       "its scenario shows its pattern, beating redis's shorter term");
	bi_kb_patterns_free(p, n);
	put(both, "advice:\n"
		  "  - id: x\n"
		  "    on: failed\n"
		  "    scenarios: [x]\n"
		  "    pattern: no-such-pattern\n"
		  "    title: t\n");
	ok(bi_kb_patterns(cfg, bothv, 1, &n, err, sizeof err) == NULL &&
	   strstr(err, "no pattern no-such-pattern"), "advice naming no pattern is refused: %s", err);
	jv_free(cfg);

	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(both);
	free(file);
	return done();
}
