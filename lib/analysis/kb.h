/* analysis/kb.h: the interface of kb.c (layer: analysis). */
#ifndef BI_ANALYSIS_KB_H
#define BI_ANALYSIS_KB_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/pattern.h"
#include "sources/db.h"

/* The knowledge base's incidents, with the outcomes of their fixes, in the
 * project database (bi_store_open's schema). Nothing here exits: a database
 * error comes back as jv_invalid_with_msg(the database's message), or as
 * the return value each function names. */

/* The knowledge base at where: a SQLite file, or a PostgreSQL server's
 * database (postgres://USER@HOST:PORT/DB), whose tables a writer makes
 * when missing. With create 0, NULL with errno ENOENT when nothing was
 * recorded there yet (no file, no tables). NULL with errno ECONNREFUSED
 * when the server cannot be reached (or refuses us), EIO when the database
 * cannot be opened; bi_kb_connect puts the reason in err. */
bi_db *bi_kb_connect(const char *where, int create, char *err, size_t errlen);
bi_db *bi_kb_open(const char *where, int create);

/* Record a finding (borrowed): the same occurrence recorded again updates
 * its incident, a new occurrence of an open incident counts one more, and
 * anything else (or a recurrence after resolution) is a new open incident.
 * Returns the `incident` record; on a database error nothing is kept. */
jv bi_kb_record(bi_db *db, jv finding);

/* Record how a fix went ("resolved" closes the incident; "partial" and
 * "failed" leave it open). Returns the incident; jv_invalid() without a
 * message when there is no incident id. */
int bi_kb_outcome_ok(const char *outcome);
jv bi_kb_resolve(bi_db *db, const char *id, const char *outcome, const char *fix,
		 int64_t when);

/* An incident with its outcomes and the finding it was recorded from, or
 * jv_invalid() without a message when there is none; incidents by status
 * and pattern (NULL: any), oldest first, the newest limit of them (limit
 * <= 0: all), as an array. */
jv bi_kb_get(bi_db *db, const char *id);
jv bi_kb_list(bi_db *db, const char *status, const char *pattern, long limit);

/* Store an incident record (consumed) as exported, replacing one with its
 * id. 0; -1 when it is malformed, -2 on a database error (nothing kept),
 * with the reason in err. */
int bi_kb_import(bi_db *db, jv incident, char *err, size_t errlen);

/* The success rate of a fix (NULL: of every fix) for a pattern (NULL: any
 * pattern): prior counts for two outcomes, then resolved 1, partial 0.5,
 * failed 0. *n (when not NULL) gets the outcomes counted. db may be NULL.
 * -1 on a database error. */
double bi_kb_rate(bi_db *db, const char *pattern, double prior, const char *fix, int *n);

/* A pattern's (NULL: no pattern's) incidents: {"occurrences": N,
 * "last_seen": TS or null}. */
jv bi_kb_occurrences(bi_db *db, const char *pattern);

/* The fixes with an outcome, one per text (whatever its case and spaces),
 * of a pattern (NULL: every pattern), only those that did not fail when
 * worked is set: an array of {"pattern", "fix"}, by pattern and fix. */
jv bi_kb_fixes(bi_db *db, const char *pattern, int worked);

/* What to do about each pattern (of pats) seen: a `suggestion` record
 * with its best fix (its own, or one of the user's that worked better) and
 * how well it works; priority high while one of its incidents is open,
 * medium when it came back, low when it was seen once; source "knowledge
 * base". An array, in the patterns' order. */
jv bi_kb_suggest(bi_db *db, const bi_kb_pattern *pats, size_t npats);

/* Add to a finding (consumed, returned) the past incidents like it
 * ("similar", the top 5 above 0.1, the most similar first) and the fixes to
 * try ("fixes": those that worked for them and its pattern's, each with its
 * success rate, the best first), and its pattern's "success_rate". *best
 * gets the highest similarity, 0 when none. db may be NULL. On a database
 * error, what the pattern alone says (its fixes at their initial rates, no
 * similar incident) and "kb_error", the database's message. */
jv bi_kb_advise(bi_db *db, const bi_kb_pattern *pats, size_t npats, jv finding,
		double *best);

#endif
