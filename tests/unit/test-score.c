/* test-score: the resilience score's formula (REFERENCE.md's figures), the
 * latest result of each scenario, gaps and recommendations from the advice
 * table, suggestions, and the trend. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/advice.h"
#include "analysis/score.h"
#include "tap.h"

static jv
chaos(int minute, const char *scenario, const char *status, double ms)
{
	char ts[64];

	snprintf(ts, sizeof ts, "2026-11-24T01:%02d:00.000Z", minute);
	jv r = bi_set(bi_set(jv_object(), "kind", jv_string("chaos")), "ts", jv_string(ts));
	r = bi_set(bi_set(r, "scenario", jv_string(scenario)), "status", jv_string(status));
	return bi_set(r, "recovery_ms", isnan(ms) ? jv_null() : jv_number(ms));
}

/* Add a record, consuming it: what bi_score_add said. */
static int
add(bi_score *s, jv rec)
{
	int k = bi_score_add(s, rec);
	jv_free(rec);
	return k;
}

static jv
history(const double *scores, int n)
{
	jv h = jv_array();
	for (int i = 0; i < n; i++)
		h = jv_array_append(h, bi_set(jv_object(), "score", jv_number(scores[i])));
	return h;
}

static const char *
trend(const double *scores, int n)
{
	jv h = history(scores, n);
	const char *t = bi_score_trend(h);
	jv_free(h);
	return t;
}

int
main(void)
{
	char err[256];
	size_t n;

	plan(34);
	bi_init("test-score");
	jv cfg = jv_object();
	bi_advice *a = bi_advice_load(cfg, NULL, 0, &n, err, sizeof err);

	/* The bonus and the points, at their edges. */
	ok(bi_score_bonus(4999) == 10 && bi_score_bonus(5000) == 7, "under 5 s: 10; at 5 s: 7");
	ok(bi_score_bonus(14999) == 7 && bi_score_bonus(15000) == 4, "under 15 s: 7; at 15 s: 4");
	ok(bi_score_bonus(29999) == 4 && bi_score_bonus(30000) == 1, "under 30 s: 4; at 30 s: 1");
	is_num(bi_score_bonus(NAN), 1, "no recovery measured: 1");
	is_num(bi_score_points("passed", 1900), 25, "passed fast: 15 + 10, the most a scenario earns");
	ok(bi_score_points("failed", 100) == 0 && bi_score_points("skipped", NAN) == 0 &&
	   bi_score_points(NULL, 100) == 0, "failed, skipped or no status: nothing");

	/* What counts: the latest chaos result of each scenario. */
	bi_score *s = bi_score_new();
	ok(!add(s, jv_parse("{\"kind\":\"log\",\"scenario\":\"pod-kill\",\"status\":\"failed\"}")) &&
	   !add(s, chaos(1, "pod-kill", "planned", NAN)) && !add(s, chaos(1, "rollback", "passed", 1)) &&
	   !add(s, jv_parse("{\"kind\":\"chaos\",\"scenario\":\"pod-kill\"}")),
	   "other kinds, dry runs, rollbacks and results without a status: ignored");
	is_num(bi_score_count(s), 0, "... nothing to score");
	ok(add(s, chaos(5, "pod-kill", "failed", 100)) && !add(s, chaos(4, "pod-kill", "passed", 100)) &&
	   add(s, chaos(5, "pod-kill", "passed", 1900)), "an older result is ignored; at equal times the last wins");
	add(s, chaos(2, "network-latency", "passed", 150));
	add(s, chaos(3, "dependency-down", "failed", 1200));
	add(s, chaos(4, "memory-pressure", "passed", 30));
	bi_score_expect(s, "pod-kill");
	is_num(bi_score_count(s), 4, "a scenario expected and run counts once");

	/* The seed: three of four passing fast make 75. */
	jv r = bi_score_record(s, a, n, "shop");
	is_num(bi_get_num(r, "score", -1), 75, "three of four passing fast: 75");
	ok(bi_get_num(r, "points", 0) == 75 && bi_get_num(r, "possible", 0) == 100,
	   "75 points of a possible 100");
	is_str(bi_get_str(r, "project"), "shop", "the project named");
	is_str(bi_jv_path_str(r, "gaps.0.title", "-"), "dependency isolation",
	       "the failed scenario's gap, from the advice table");
	ok(!strcmp(bi_jv_path_str(r, "gaps.0.severity", "-"), "high") &&
	   !strcmp(bi_jv_path_str(r, "gaps.0.advice", "-"), "dependency-down") &&
	   !strcmp(bi_jv_path_str(r, "gaps.0.detail", "-"), "dependency-down: failed"),
	   "... its severity, entry and detail");
	ok(jv_array_length(jv_object_get(jv_copy(r), jv_string("recommendations"))) == 1 &&
	   strstr(bi_jv_path_str(r, "recommendations.0.title", ""), "/ready (not /health)"),
	   "its advice, the one recommendation");
	is_num(jv_array_length(jv_object_get(jv_copy(r), jv_string("strengths"))), 3,
	       "three recoveries under 5 s: three strengths");
	is_str(bi_jv_path_str(r, "scenarios.0.summary", "-"), "pod-kill         passed  25 points",
	       "a line per scenario");
	jv sug = bi_score_suggestions(r, a, n);
	ok(jv_array_length(jv_copy(sug)) == 1 &&
	   !strcmp(bi_jv_path_str(sug, "0.title", "-"), "Isolate the service from its dependencies") &&
	   !strcmp(bi_jv_path_str(sug, "0.priority", "-"), "high") &&
	   !strcmp(bi_jv_path_str(sug, "0.scenario", "-"), "dependency-down") &&
	   !strncmp(bi_jv_path_str(sug, "0.detail", "-"), "chaos (dependency-down: failed): Keep serving", 44),
	   "the gap as a suggestion: the entry's title, priority from severity, what was seen");
	jv_free(sug);
	jv_free(r);
	bi_score_free(s);

	/* Weak scores: slow recoveries, scenarios skipped or never run. */
	s = bi_score_new();
	add(s, chaos(1, "pod-kill", "passed", 20000));
	add(s, chaos(2, "pause", "passed", 40000));
	add(s, chaos(3, "db-latency", "skipped", NAN));
	bi_score_expect(s, "cpu-pressure");
	bi_score_expect(s, "cpu-pressure");
	r = bi_score_record(s, a, n, NULL);
	is_num(bi_get_num(r, "score", -1), round((15 + 4 + 15 + 1) / 100.0 * 100),
	       "15 s or more earns 4, 30 s or more 1; skipped and never run nothing");
	jv titles = jv_array();
	jv gaps = jv_object_get(jv_copy(r), jv_string("gaps"));
	jv_array_foreach(gaps, i, g) {
		titles = jv_array_append(titles, jv_string_fmt("%s %s", bi_get_str(g, "severity"),
							    bi_get_str(g, "title")));
		jv_free(g);
	}
	jv_free(gaps);
	jv want = jv_parse("[\"medium slow recovery\",\"low coverage gap\",\"low coverage gap\"]");
	ok(jv_equal(jv_copy(titles), want), "a slow recovery, a skip, one never run: their gaps");
	jv_free(titles);
	ok(!bi_get_str(r, "project"), "no project: none named");
	is_str(bi_jv_path_str(r, "scenarios.3.status", "-"), "not run", "the one never run, once");
	sug = bi_score_suggestions(r, a, n);
	ok(jv_array_length(jv_copy(sug)) == 3 &&
	   !strcmp(bi_jv_path_str(sug, "2.title", "-"), "Run the chaos scenario cpu-pressure"),
	   "a suggestion for each");
	jv_free(sug);
	jv_free(r);
	bi_score_free(s);

	/* Nothing to score: a record all the same, of 0. */
	s = bi_score_new();
	r = bi_score_record(s, a, n, NULL);
	ok(bi_get_num(r, "score", -1) == 0 && bi_get_num(r, "possible", -1) == 0, "no scenario: 0 of 0");
	jv_free(r);
	bi_score_free(s);

	/* Chaos records read from a file, and the scenarios a configuration
	 * expects: what bi-score and bi-kb suggest score. */
	char *f = bi_temp_file("test-score");
	FILE *fp = f ? fopen(f, "w") : NULL;
	if (!fp)
		return 1;
	fputs("{\"kind\":\"chaos\",\"ts\":\"2026-11-24T01:01:00.000Z\",\"scenario\":\"pause\","
	      "\"status\":\"passed\",\"recovery_ms\":100}\n"
	      "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:02:00.000Z\"}\n"
	      "{\"kind\":\"chaos\",\"ts\":\"2026-11-24T01:03:00.000Z\",\"scenario\":\"crash\","
	      "\"status\":\"failed\"}\n", fp);
	fclose(fp);
	s = bi_score_new();
	char *paths[] = {f, "/nonexistent/chaos.jsonl"};
	ok(bi_score_read(s, 1, paths, 0) == 0 && bi_score_count(s) == 2,
	   "bi_score_read: the chaos records of a file, the others passed over");
	ok(bi_score_read(s, 1, paths + 1, 0) != 0, "bi_score_read: a file not there is said");
	jv c = jv_parse("{\"chaos\":{\"scenarios\":[\"crash\",\"disk\",7]}}");
	bi_score_expect_config(s, c);
	bi_score_expect_config(s, cfg);
	is_num(bi_score_count(s), 3, "bi_score_expect_config: its text scenarios, one already run");
	r = bi_score_record(s, a, n, NULL);
	is_str(bi_jv_path_str(r, "scenarios.2.status", "-"), "not run", "... the other not run");
	jv_free(r);
	jv_free(c);
	bi_score_free(s);
	unlink(f);
	free(f);

	/* The trend: the last against the first of the last five. */
	static const double one[] = {75}, same[] = {75, 100, 75}, up[] = {100, 60, 60, 60, 60, 66};
	static const double down[] = {75, 69}, edge[] = {70, 75};
	is_str(trend(one, 1), "new", "one score: new");
	is_str(trend(same, 3), "steady", "back where it was: steady");
	is_str(trend(up, 6), "improving", "the first of the last five, not the first: improving by 6");
	is_str(trend(down, 2), "declining", "down 6: declining");
	is_str(trend(edge, 2), "steady", "up exactly 5: steady");

	bi_advice_free(a, n);
	jv_free(cfg);
	return done();
}
