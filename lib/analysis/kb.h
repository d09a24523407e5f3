/* analysis/kb.h: the interface of kb.c (layer: analysis). */
#ifndef BI_ANALYSIS_KB_H
#define BI_ANALYSIS_KB_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The knowledge base: patterns of known problems (eight built in, more from
 * YAML), and incidents with the outcomes of their fixes, in the project
 * database. */

/* A metric condition, "FIELD OP NUMBER" (op one of >= <= == != > <). */
typedef struct bi_kb_cond {
	char *field;
	int op;
	double value;
} bi_kb_cond;

/* A pattern. Lists are NULL-terminated; logs and chaos are lower case and
 * match as substrings, case-insensitively; containers and k8s are whole
 * words (a container signal: "oom", "crash", "dependency-stopped"; a
 * Kubernetes reason: "OOMKilled"). */
typedef struct bi_kb_pattern {
	char *id, *name, *severity, *root_cause;
	char **logs, **containers, **k8s, **chaos, **fixes;
	bi_kb_cond *conds;
	size_t nconds;
	double success_rate;	/* the initial success rate of its fixes */
	int builtin;
} bi_kb_pattern;

/* The built-in patterns, then the user's: cfg's kb.patterns (a list, or a
 * YAML file's path relative to the project) and each of files (a YAML list,
 * or an object with a patterns list). A user pattern with a built-in's id
 * replaces it. NULL with the reason in err when one is malformed. */
bi_kb_pattern *bi_kb_patterns(jv cfg, char *const *files, size_t nfiles, size_t *n,
			      char *err, size_t errlen);
void bi_kb_patterns_free(bi_kb_pattern *p, size_t n);
const bi_kb_pattern *bi_kb_pattern_find(const bi_kb_pattern *p, size_t n, const char *id);

/* The pattern whose log terms text holds, the longest term winning: its
 * index, or -1; *termlen (when not NULL) gets the term's length. Only the
 * first 4 KiB of text are read. */
int bi_kb_match_text(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		     size_t *termlen);
int bi_kb_in(char *const *list, const char *word);	/* case-insensitive */
int bi_kb_cond_holds(const bi_kb_cond *c, double value);

/* Jaccard similarity of the sets of words (lower case, longer than 3
 * characters) of a and b, from 0 to 1. */
double bi_kb_jaccard(const char *a, const char *b);

/* What a finding is matched by: its "signature", else "PATTERN SERVICE
 * TEMPLATE-or-TITLE". */
char *bi_kb_signature(jv finding);		/* finding borrowed */

/* The database at path (bi_store_open's schema); with create 0, NULL when
 * the file does not exist. Dies (exit 1) when it cannot be opened. */
sqlite3 *bi_kb_open(const char *path, int create);

/* Record a finding (borrowed): the same occurrence recorded again updates
 * its incident, a new occurrence of an open incident counts one more, and
 * anything else (or a recurrence after resolution) is a new open incident.
 * Returns the `incident` record. */
jv bi_kb_record(sqlite3 *db, jv finding);

/* Record how a fix went ("resolved" closes the incident; "partial" and
 * "failed" leave it open). Returns the incident, or jv_invalid() when there
 * is no incident id. */
int bi_kb_outcome_ok(const char *outcome);
jv bi_kb_resolve(sqlite3 *db, const char *id, const char *outcome, const char *fix,
		 int64_t when);

/* An incident with its outcomes and the finding it was recorded from, or
 * jv_invalid(); incidents by status and pattern (NULL: any), oldest first,
 * the newest limit of them (limit <= 0: all). */
jv bi_kb_get(sqlite3 *db, const char *id);
jv bi_kb_list(sqlite3 *db, const char *status, const char *pattern, long limit);

/* Store an incident record (consumed) as exported, replacing one with its
 * id. 0, or -1 with the reason in err. */
int bi_kb_import(sqlite3 *db, jv incident, char *err, size_t errlen);

/* The success rate of a fix (NULL: of every fix) for a pattern (NULL: any
 * pattern): prior counts for two outcomes, then resolved 1, partial 0.5,
 * failed 0. *n (when not NULL) gets the outcomes counted. db may be NULL. */
double bi_kb_rate(sqlite3 *db, const char *pattern, double prior, const char *fix, int *n);

/* Add to a finding (consumed, returned) the past incidents like it
 * ("similar", the top 5 above 0.1, the most similar first) and the fixes to
 * try ("fixes": those that worked for them and its pattern's, each with its
 * success rate, the best first), and its pattern's "success_rate". *best
 * gets the highest similarity, 0 when none. db may be NULL. */
jv bi_kb_advise(sqlite3 *db, const bi_kb_pattern *pats, size_t npats, jv finding,
		double *best);

#endif
