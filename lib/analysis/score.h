/* analysis/score.h: the interface of score.c (layer: analysis). */
#ifndef BI_ANALYSIS_SCORE_H
#define BI_ANALYSIS_SCORE_H

#include <jv.h>
#include <stddef.h>

#include "analysis/advice.h"

/* The resilience score of chaos results. */
typedef struct bi_score bi_score;
bi_score *bi_score_new(void);
void bi_score_free(bi_score *s);

/* Take a record (borrowed). A `chaos` record with a scenario and a status,
 * not "planned" (a dry run) and not of the rollback, is kept when it is the
 * latest of its scenario by ts (at equal times, the one taken last): 1;
 * anything else is ignored: 0. */
int bi_score_add(bi_score *s, jv rec);

/* Take the records of the n files of paths ("-" or none: stdin), as
 * bi_each reads them with flags (BI_STRICT), each as bi_score_add does:
 * what bi_each returns, nonzero when a file could not be opened or reading
 * ended on a fatal error (for a tool, exit 2). */
int bi_score_read(bi_score *s, int n, char *const *paths, int flags);

/* A scenario that should have run (blissful-infra.yaml's chaos.scenarios):
 * one without a result counts as not run, and scores nothing.
 * bi_score_expect_config expects each of cfg's (borrowed) chaos.scenarios;
 * what is not text in that list, or a list that is not there, adds none. */
void bi_score_expect(bi_score *s, const char *scenario);
void bi_score_expect_config(bi_score *s, jv cfg);

/* The scenarios counted: those with a result and those expected without
 * one. 0: nothing to score. */
size_t bi_score_count(const bi_score *s);

/* The bonus for a recovery of ms (NaN: none measured): under 5 s 10, under
 * 15 s 7, under 30 s 4, else 1. The points of a scenario: 15 plus the bonus
 * when it passed, else nothing (a skipped one could not show the service
 * survives). */
double bi_score_bonus(double recovery_ms);
double bi_score_points(const char *status, double recovery_ms);

/* The `score` record, without history and trend: score (0 to 100, the
 * points in percent of 25 a scenario, rounded), max, points, possible,
 * scenarios, strengths (a recovery under 5 s), gaps and recommendations
 * from the advice table a (what a scenario that failed, recovered in more
 * than 30 s, or did not run says is missing; each gap names its entry as
 * "advice"), and project when not NULL. */
jv bi_score_record(const bi_score *s, const bi_advice *a, size_t n, const char *project);

/* What to do about a score's gaps (score borrowed, as bi_score_record
 * makes it): a `suggestion` record for each gap with an entry in a, its
 * priority from the entry's severity, source "chaos". An array. */
jv bi_score_suggestions(jv score, const bi_advice *a, size_t n);

/* The trend of scores (an array of objects with a "score", oldest first;
 * borrowed): the last against the first of the last five, "improving" or
 * "declining" past 5 points, else "steady"; "new" with fewer than two. */
const char *bi_score_trend(jv history);

#endif
