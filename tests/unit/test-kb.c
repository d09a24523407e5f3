/* test-kb: patterns, matching, similarity, incidents and the learning loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "analysis/kb.h"
#include "tap.h"

static const char *
pattern_of(const bi_kb_pattern *p, size_t n, const char *text)
{
	int i = bi_kb_match_text(p, n, text, strlen(text), NULL);
	return i < 0 ? "none" : p[i].id;
}

static jv
finding(const char *pattern, const char *service, const char *tmpl, const char *first,
	const char *last)
{
	jv f = bi_record("finding");
	f = jv_object_set(f, jv_string("title"), jv_string_fmt("Trouble in %s", service));
	f = jv_object_set(f, jv_string("pattern"), pattern ? jv_string(pattern) : jv_null());
	f = jv_object_set(f, jv_string("service"), jv_string(service));
	f = jv_object_set(f, jv_string("template"), jv_string(tmpl));
	f = jv_object_set(f, jv_string("first_seen"), jv_string(first));
	f = jv_object_set(f, jv_string("last_seen"), jv_string(last));
	f = jv_object_set(f, jv_string("count"), jv_number(3));
	return jv_object_set(f, jv_string("confidence"), jv_number(70));
}

static double
num(jv v, const char *key)
{
	double d = bi_get_num(v, key, -1);
	jv_free(v);
	return d;
}

int
main(void)
{
	char err[512], dir[] = "/tmp/bi-test-kb-XXXXXX";
	size_t n;

	plan(45);
	bi_init("test-kb");
	mkdtemp(dir);

	/* The built-ins, as REFERENCE.md lists them. */
	jv cfg = jv_object();
	bi_kb_pattern *p = bi_kb_patterns(cfg, NULL, 0, &n, err, sizeof err);
	ok(p && n == 8, "eight built-in patterns");
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
	ok(p && n == 9, "a file adds its patterns: %s", p ? "9" : err);
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

	/* Incidents: recorded, seen again, resolved, and learned from. */
	char *path = bi_asprintf("%s/kb.db", dir);
	ok(bi_kb_open(path, 0) == NULL, "no database, not created when only reading");
	sqlite3 *db = bi_kb_open(path, 1);
	ok(db != NULL, "created for writing");
	jv f1 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-24T01:00:00.000Z", "2026-11-24T01:05:00.000Z");
	jv inc = bi_kb_record(db, f1);
	char *id = bi_strdup(bi_get_str(inc, "id"));
	ok(!strncmp(id, "inc-", 4) && strlen(id) == 12, "an incident id: %s", id);
	is_str(bi_get_str(inc, "status"), "open", "open");
	jv_free(inc);
	inc = bi_kb_record(db, f1);
	is_str(bi_get_str(inc, "id"), id, "the same occurrence recorded again: the same incident");
	is_num(bi_get_num(inc, "occurrences", 0), 1, "... counted once");
	jv_free(inc);
	jv f2 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-24T02:00:00.000Z", "2026-11-24T02:01:00.000Z");
	inc = bi_kb_record(db, f2);
	is_num(bi_get_num(inc, "occurrences", 0), 2, "a later occurrence of an open incident: 2");
	jv_free(inc);
	jv_free(f1);
	jv_free(f2);

	double before = bi_kb_rate(db, "out-of-memory", 0.85, NULL, NULL);
	near(before, 0.85, 1e-9, "no outcome yet: the pattern's initial rate");
	ok(!jv_is_valid(bi_kb_resolve(db, "inc-nothere", "resolved", "x", 1)), "resolve of no incident: invalid");
	inc = bi_kb_resolve(db, id, "resolved", "Bound the cache to 10 000 entries", bi_now_ns());
	is_str(bi_get_str(inc, "status"), "resolved", "resolved");
	jv_free(inc);
	int k;
	near(bi_kb_rate(db, "out-of-memory", 0.85, NULL, &k), (0.85 * 2 + 1) / 3, 1e-9,
	     "the pattern's rate moves with the outcome");
	is_num(k, 1, "... one outcome counted");
	near(bi_kb_rate(db, "out-of-memory", 0.85, "bound the cache to 10 000 entries ", NULL),
	     (0.85 * 2 + 1) / 3, 1e-9, "a fix is known by its text, whatever its case and spaces");

	/* Seen again after it was resolved: a new incident, and the old one
	 * as the similar incident whose fix worked. */
	jv f3 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-25T09:00:00.000Z", "2026-11-25T09:02:00.000Z");
	inc = bi_kb_record(db, f3);
	ok(strcmp(bi_get_str(inc, "id"), id) != 0, "a recurrence after resolution is a new incident");
	jv_free(inc);
	double best;
	jv adv = bi_kb_advise(db, p, n, f3, &best);
	jv sim = jv_object_get(jv_copy(adv), jv_string("similar"));
	jv first = jv_array_get(jv_copy(sim), 0);
	is_str(bi_get_str(first, "id"), id, "the resolved incident is the most similar");
	is_num(best, 1, "... at similarity 1");
	jv fixes = jv_object_get(jv_copy(adv), jv_string("fixes"));
	jv top = jv_array_get(jv_copy(fixes), 0);
	is_str(bi_get_str(top, "title"), "Bound the cache to 10 000 entries", "its fix comes first");
	near(bi_get_num(top, "success_rate", 0), 0.9, 1e-9, "... with its success rate, rounded");
	jv_free(top);
	jv_free(fixes);
	jv_free(first);
	jv_free(sim);
	jv_free(adv);

	/* Export and import: the same incidents in another database. */
	char *path2 = bi_asprintf("%s/kb2.db", dir);
	sqlite3 *db2 = bi_kb_open(path2, 1);
	jv all = bi_kb_list(db, NULL, NULL, 0);
	int good = 1;
	jv_array_foreach(all, i, one) {
		good &= bi_kb_import(db2, bi_kb_get(db, bi_get_str(one, "id")), err, sizeof err) == 0;
		jv_free(one);
	}
	jv_free(all);
	ok(good, "every incident imports");
	jv a = bi_kb_get(db, id), b = bi_kb_get(db2, id);
	ok(jv_equal(jv_copy(a), jv_copy(b)), "... exactly as it was, outcomes and finding included");
	jv_free(a);
	jv_free(b);
	near(bi_kb_rate(db2, "out-of-memory", 0.85, NULL, NULL), (0.85 * 2 + 1) / 3, 1e-9,
	     "... and so are the success rates");
	ok(bi_kb_import(db2, jv_parse("{\"kind\":\"incident\",\"id\":\"x\"}"), err, sizeof err) != 0,
	   "an incident without its fields is refused: %s", err);
	is_num(num(jv_array_get(bi_kb_list(db2, "open", NULL, 1), 0), "occurrences"), 1,
	       "list: the newest open one, by status and limit");

	sqlite3_close(db);
	sqlite3_close(db2);
	bi_kb_patterns_free(p, n);
	jv_free(cfg);
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(id);
	free(file);
	free(path);
	free(path2);
	return done();
}
