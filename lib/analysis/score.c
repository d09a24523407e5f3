/*
 * score.c: how well a service survives its chaos experiments, as a number
 * and as what to do about it. The latest result of each scenario counts: 15
 * points for one that passed, plus a bonus for a fast recovery (under 5 s:
 * 10, 15 s: 7, 30 s: 4, else 1), so at most 25; the score is the points in
 * percent of 25 a scenario, and every scenario passing fast makes 100. A
 * skipped scenario earns nothing, and so does one configured and never run:
 * untested is not safe. What a failure, a slow recovery or a scenario not
 * run says is missing, and what to do about it, is the advice table's
 * (advice.c), so that the scorecard and `suggest` say the same. The trend
 * compares the first and last of the latest five scores: a change over 5
 * points is one.
 *
 * Layer: analysis.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/score.h"

#include "base/util.h"
#include "base/jsonl.h"

#define SLOW_MS 30000	/* a recovery slower than this is a gap */
#define FAST_MS 5000	/* and one faster a strength */

struct bi_score {
	jv latest;	/* scenario -> its latest chaos record */
	jv expected;	/* scenarios configured */
};

bi_score *
bi_score_new(void)
{
	bi_score *s = bi_calloc(1, sizeof *s);

	s->latest = jv_object();
	s->expected = jv_array();
	return s;
}

void
bi_score_free(bi_score *s)
{
	if (!s)
		return;
	jv_free(s->latest);
	jv_free(s->expected);
	free(s);
}

int
bi_score_add(bi_score *s, jv rec)
{
	const char *kind = bi_get_str(rec, "kind"), *sc = bi_get_str(rec, "scenario");
	const char *st = bi_get_str(rec, "status");

	if (!kind || strcmp(kind, "chaos") || !sc || !st || !strcmp(st, "planned") ||
	    !strcmp(sc, "rollback"))
		return 0;
	jv old = jv_object_get(jv_copy(s->latest), jv_string(sc));
	int newer = !jv_is_valid(old) || bi_record_ts(old) <= bi_record_ts(rec);
	jv_free(old);
	if (newer)
		s->latest = jv_object_set(s->latest, jv_string(sc), jv_copy(rec));
	return newer;
}

static int
take(void *s, jv rec, bi_reader *r)
{
	(void)r;
	bi_score_add(s, rec);
	jv_free(rec);
	return 0;
}

int
bi_score_read(bi_score *s, int n, char *const *paths, int flags)
{
	return bi_each(n, paths, flags, take, s);
}

void
bi_score_expect(bi_score *s, const char *scenario)
{
	s->expected = jv_array_append(s->expected, jv_string(scenario));
}

void
bi_score_expect_config(bi_score *s, jv cfg)
{
	jv want = bi_jv_path(cfg, "chaos.scenarios");

	if (jv_get_kind(want) == JV_KIND_ARRAY) {
		jv_array_foreach(want, i, sc) {
			if (jv_get_kind(sc) == JV_KIND_STRING)
				bi_score_expect(s, jv_string_value(sc));
			jv_free(sc);
		}
	}
	jv_free(want);
}

/* The scenarios expected without a result, each once. */
static jv
missing(const bi_score *s)
{
	jv m = jv_array();

	jv_array_foreach(s->expected, i, sc) {
		int dup = 0;
		jv_array_foreach(m, k, x) {
			dup |= jv_equal(jv_copy(x), jv_copy(sc));
			jv_free(x);
		}
		if (!dup && !jv_object_has(jv_copy(s->latest), jv_copy(sc)))
			m = jv_array_append(m, jv_copy(sc));
		jv_free(sc);
	}
	return m;
}

size_t
bi_score_count(const bi_score *s)
{
	return (size_t)jv_object_length(jv_copy(s->latest)) + (size_t)jv_array_length(missing(s));
}

double
bi_score_bonus(double ms)
{
	if (isnan(ms))
		return 1;
	return ms < 5000 ? 10 : ms < 15000 ? 7 : ms < 30000 ? 4 : 1;
}

double
bi_score_points(const char *status, double ms)
{
	return status && !strcmp(status, "passed") ? 15 + bi_score_bonus(ms) : 0;
}

/* A gap (and its recommendation, once) from the advice for what happened
 * (on) to a scenario; fallback names the gap when no entry is found. */
static void
gap(jv *gaps, jv *recs, const bi_advice *a, size_t n, const char *on, const char *scenario,
    const char *fallback, const char *severity, const char *detail)
{
	const bi_advice *e = bi_advice_find(a, n, on, scenario);
	const char *vars[] = {"scenario", scenario, NULL};
	char *title = bi_advice_fill(e ? e->gap : fallback, vars);
	jv g = bi_set(jv_object(), "severity", jv_string(e ? e->severity : severity));

	g = bi_set(g, "title", jv_string(title));
	g = bi_set(g, "detail", jv_string(detail));
	g = bi_set(g, "scenario", jv_string(scenario));
	g = bi_set(g, "advice", e ? jv_string(e->id) : jv_null());
	*gaps = jv_array_append(*gaps, g);
	free(title);
	if (!e || !*e->advice)
		return;
	char *text = bi_advice_fill(e->advice, vars);
	int dup = 0;
	jv_array_foreach(*recs, i, r) {
		const char *t = bi_get_str(r, "title");
		dup |= t && !strcmp(t, text);
		jv_free(r);
	}
	if (!dup)
		*recs = jv_array_append(*recs, bi_set(bi_set(jv_object(), "title", jv_string(text)),
						      "scenario", jv_string(scenario)));
	free(text);
}

jv
bi_score_record(const bi_score *s, const bi_advice *a, size_t n, const char *project)
{
	jv scen = jv_array(), gaps = jv_array(), strengths = jv_array(), recs = jv_array();
	jv miss = missing(s);
	double points = 0;
	size_t count = (size_t)jv_object_length(jv_copy(s->latest)) + (size_t)jv_array_length(jv_copy(miss));

	jv_object_foreach(s->latest, k, rec) {
		const char *name = jv_string_value(k), *st = bi_get_str(rec, "status");
		const char *reason = bi_get_str(rec, "reason");
		jv rv = jv_object_get(jv_copy(rec), jv_string("recovery_ms"));
		double ms = jv_get_kind(rv) == JV_KIND_NUMBER ? jv_number_value(rv) : NAN;
		jv_free(rv);
		double p = bi_score_points(st, ms);
		char *d = NULL;
		if (!strcmp(st, "passed")) {
			if (!isnan(ms) && ms < FAST_MS)
				strengths = jv_array_append(strengths, jv_string_fmt(
					"recovers from %s in %.1f s", name, ms / 1000));
		} else if (!strcmp(st, "failed")) {
			d = bi_asprintf("%s: %s", name, reason ? reason : "failed");
			gap(&gaps, &recs, a, n, "failed", name, name, "high", d);
		} else {
			d = bi_asprintf("%s: %s", name, reason ? reason : "could not run");
			gap(&gaps, &recs, a, n, "not-run", name, "coverage gap", "low", d);
		}
		free(d);
		if (!isnan(ms) && ms > SLOW_MS) {
			d = bi_asprintf("%s took %.0f s to be healthy again", name, ms / 1000);
			gap(&gaps, &recs, a, n, "slow", name, "slow recovery", "medium", d);
			free(d);
		}
		points += p;
		jv e = bi_set(bi_set(jv_object(), "scenario", jv_string(name)), "status", jv_string(st));
		e = bi_set(e, "points", jv_number(p));
		e = bi_set(e, "recovery_ms", isnan(ms) ? jv_null() : jv_number(ms));
		e = bi_set(e, "summary", jv_string_fmt("%-16s %-7s %2.0f points", name, st, p));
		scen = jv_array_append(scen, e);
		jv_free(k);
		jv_free(rec);
	}
	jv_array_foreach(miss, i, sc) {
		const char *name = jv_string_value(sc);
		char *d = bi_asprintf("%s: configured but never run", name);
		gap(&gaps, &recs, a, n, "not-run", name, "coverage gap", "low", d);
		free(d);
		jv e = bi_set(jv_object(), "summary", jv_string_fmt("%-16s %-7s %2d points", name,
								  "not run", 0));
		e = bi_set(bi_set(e, "scenario", sc), "status", jv_string("not run"));
		scen = jv_array_append(scen, bi_set(e, "points", jv_number(0)));
	}
	jv_free(miss);

	jv out = bi_record("score");
	if (project)
		out = bi_set(out, "project", jv_string(project));
	out = bi_set(out, "score", jv_number(count ? round(points / (25.0 * count) * 100) : 0));
	out = bi_set(out, "max", jv_number(100));
	out = bi_set(out, "points", jv_number(points));
	out = bi_set(out, "possible", jv_number(25.0 * count));
	out = bi_set(out, "scenarios", scen);
	out = bi_set(out, "strengths", strengths);
	out = bi_set(out, "gaps", gaps);
	return bi_set(out, "recommendations", recs);
}

jv
bi_score_suggestions(jv score, const bi_advice *a, size_t n)
{
	jv out = jv_array(), gaps = jv_object_get(jv_copy(score), jv_string("gaps"));

	if (jv_get_kind(gaps) != JV_KIND_ARRAY) {
		jv_free(gaps);
		return out;
	}
	jv_array_foreach(gaps, i, g) {
		const bi_advice *e = bi_advice_get(a, n, bi_get_str(g, "advice"));
		const char *sc = bi_get_str(g, "scenario");
		if (e) {
			const char *vars[] = {"scenario", sc, NULL};
			char *d = bi_asprintf("chaos (%s)", bi_get_text(g, "detail", "?"));
			jv r = bi_advice_suggestion(e, vars, d, "chaos");
			out = jv_array_append(out, bi_set(r, "scenario", sc ? jv_string(sc) : jv_null()));
			free(d);
		}
		jv_free(g);
	}
	jv_free(gaps);
	return out;
}

const char *
bi_score_trend(jv h)
{
	int n = jv_array_length(jv_copy(h));

	if (n < 2)
		return "new";
	jv a = jv_array_get(jv_copy(h), n > 5 ? n - 5 : 0), b = jv_array_get(jv_copy(h), n - 1);
	double d = bi_get_num(b, "score", 0) - bi_get_num(a, "score", 0);
	jv_free(a);
	jv_free(b);
	return d > 5 ? "improving" : d < -5 ? "declining" : "steady";
}
