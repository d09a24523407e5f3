/* analysis/advice.h: the interface of advice.c (layer: analysis). */
#ifndef BI_ANALYSIS_ADVICE_H
#define BI_ANALYSIS_ADVICE_H

#include <jv.h>
#include <stddef.h>

/* The advice table: what a result says is missing and what to do about it,
 * for a chaos scenario that failed, recovered slowly or never ran, and for a
 * project's files that go against good practice. Built in as YAML; the
 * user's entries (blissful-infra.yaml's kb.advice, or the advice list of a
 * --patterns file) add to it, or replace a built-in entry of their id. */
typedef struct bi_advice {
	char *id;
	char *on;		/* "failed", "slow", "not-run", or a check: "compose.healthcheck" ... */
	char **scenarios;	/* lower-case terms, NULL-terminated; none: any scenario */
	char *severity;		/* critical, high, medium or low */
	char *gap;		/* what is missing, in a few words */
	char *title;		/* what to do, in a line */
	char *advice;		/* what to do, in a sentence or two; "" when none */
	char *pattern;		/* the knowledge base's pattern a failure shows, or NULL */
	int builtin;
} bi_advice;

/* The built-in entries, then cfg's kb.advice (a list, or a YAML file's path
 * relative to the project) and the advice list of each of files (YAML
 * objects; a file that is a list holds patterns only). NULL with the reason
 * in err when an entry is malformed: no id or title, an `on` or severity
 * not known. */
bi_advice *bi_advice_load(jv cfg, char *const *files, size_t nfiles, size_t *n,
			  char *err, size_t errlen);
void bi_advice_free(bi_advice *a, size_t n);

/* What the knowledge's YAML is read with, patterns' and advice's alike. A
 * list of text (or one text; none is an empty list) as a NULL-terminated
 * array of copies, lower-cased when lower: NULL with err (naming where)
 * when it is something else. list is consumed. */
char **bi_advice_list(jv list, int lower, const char *where, char *err, size_t errlen);
void bi_advice_list_free(char **v);
/* The user's list at path of cfg (borrowed): the value there, or, when it
 * is text, the YAML file it names (relative to the project) as
 * bi_yaml_load gives it; jv_invalid() when absent. */
jv bi_advice_cfg(jv cfg, const char *path);

/* How well name matches a list of terms (NULL-terminated): the length of
 * the longest term that name holds, case-insensitively; 0 when the list is
 * empty (it holds anything), -1 when no term is in name. The one way a
 * scenario is matched, to advice and to patterns alike. */
int bi_advice_match(char *const *terms, const char *name);

/* The entry for what happened (on) to scenario (NULL for a check): among
 * the entries of that `on`, the best match of scenario (bi_advice_match),
 * the first among equals; NULL when none matches. */
const bi_advice *bi_advice_find(const bi_advice *a, size_t n, const char *on,
				const char *scenario);

/* The entry of an id, or NULL. */
const bi_advice *bi_advice_get(const bi_advice *a, size_t n, const char *id);

/* text with each {NAME} of vars (NAME, VALUE pairs, NULL-terminated) put
 * in; other braces stay as they are. The caller frees the result. */
char *bi_advice_fill(const char *text, const char *const *vars);

/* The priority of a suggestion from an entry's severity: "high" for
 * critical and high, else the severity. */
const char *bi_advice_priority(const char *severity);

/* A `suggestion` record for an entry: its priority, its title and (when
 * detail is not NULL) "DETAIL: ADVICE" as the detail, both filled from
 * vars; source names where it comes from. */
jv bi_advice_suggestion(const bi_advice *e, const char *const *vars, const char *detail,
			const char *source);

/* The checks of a project against good practice: each service of
 * dir/docker-compose.yaml (a health check, a memory limit, a restart
 * policy), cfg (a readiness check, alert thresholds) and each container of
 * dir/k8s/base/deployment.yaml (probes, resource limits). Suggestion
 * records (an array) for what is missing; a file that is not there is not
 * checked, and without a project (dir NULL) nothing is.
 * jv_invalid_with_msg("FILE:LINE:COLUMN: what") when a file is not YAML. */
jv bi_advice_practice(const bi_advice *a, size_t n, const char *dir, jv cfg);

#endif
