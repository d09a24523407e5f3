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

/* What the knowledge's YAML is read with, patterns' and advice's alike.
 *
 * A table is a list of entries, each with an id: the built-in ones (YAML
 * text), then the user's, an entry replacing an earlier one of its id. The
 * user's come from the configuration (cfg's value at a path: a list, an
 * object holding one, or the path of a YAML file, relative to the project,
 * that holds either) and from --patterns files. A schema says what differs
 * from one table to another. */
typedef struct bi_advice_schema {
	const char *name;	/* of its list, "advice": "WHERE: advice must be a list" */
	const char *entry;	/* of an entry, "advice": "WHERE: advice ID: what is wrong" */
	const char *an;		/* "an advice entry": "WHERE: an advice entry needs an id" */
	size_t size;		/* of an entry */
	size_t id;		/* where in an entry its id (char *) is: offsetof */
	/* The table's list in a document (consumed): the configuration's value
	 * (file 0) or a --patterns file (file 1); jv_invalid() when it holds
	 * none, and anything but a list is refused. */
	jv (*list)(jv doc, int file);
	/* One entry into e from y (borrowed, an object whose id is id):
	 * 0, or -1 with err (starting with where) and nothing held in e. */
	int (*load)(jv y, const char *id, const char *where, int builtin, void *e,
		    char *err, size_t errlen);
	void (*free)(void *e);	/* what an entry holds, not the entry */
} bi_advice_schema;

/* The entries of the table of s: builtin's, then those of cfg's value at
 * path (borrowed), then those of each of files. An array of *n entries, or
 * NULL (*n 0) with the reason in err when a document is not YAML or an
 * entry is malformed. */
void *bi_advice_table_load(const bi_advice_schema *s, const char *builtin, jv cfg,
			   const char *path, char *const *files, size_t nfiles, size_t *n,
			   char *err, size_t errlen);
void bi_advice_table_free(const bi_advice_schema *s, void *v, size_t n);
/* The entry of an id among the n of v, or NULL. */
const void *bi_advice_table_get(const bi_advice_schema *s, const void *v, size_t n,
				const char *id);

/* The list of text at key of the entry y (borrowed; one text is a list of
 * one, none an empty list) as a NULL-terminated array of copies,
 * lower-cased when lower: NULL with err ("WHERE: KEY: why") when it is
 * something else. */
char **bi_advice_list(jv y, const char *key, int lower, const char *where, char *err,
		      size_t errlen);
void bi_advice_list_free(char **v);

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
