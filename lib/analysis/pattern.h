/* analysis/pattern.h: the interface of pattern.c (layer: analysis). */
#ifndef BI_ANALYSIS_PATTERN_H
#define BI_ANALYSIS_PATTERN_H

#include <jv.h>
#include <stddef.h>

/* The patterns of known problems (nine built in, more from YAML), how a
 * record is matched to one, and how findings are known and compared. No
 * database: the incidents are kb.h's. */

/* A metric condition, "FIELD OP NUMBER" (op one of >= <= == != > <). */
typedef struct bi_kb_cond {
	char *field;
	int op;
	double value;
} bi_kb_cond;

/* A pattern. Lists are NULL-terminated; logs and chaos are lower case and
 * match as substrings, case-insensitively; containers and k8s are whole
 * words (a container signal: "oom", "crash", "start-failure",
 * "dependency-stopped"; a Kubernetes reason: "OOMKilled"). chaos holds the
 * pattern's own terms and those of the advice entries (advice.h) that name
 * it. trends are lower-case parts of metric names whose growth or jump from
 * their baseline shows the pattern. */
typedef struct bi_kb_pattern {
	char *id, *name, *severity, *root_cause;
	char **logs, **containers, **k8s, **chaos, **fixes, **trends;
	char **replies;		/* log terms that are a server's error reply, which
				   its clients relay: the fault is the server's */
	bi_kb_cond *conds;
	size_t nconds;
	double success_rate;	/* the initial success rate of its fixes */
	int effect;		/* often another's effect: a service's failing or
				   slow requests while its dependency is at fault */
	int builtin;
} bi_kb_pattern;

/* The built-in patterns, then the user's: cfg's kb.patterns (a list, or a
 * YAML file's path relative to the project) and each of files (a YAML list,
 * or an object with a patterns list, and perhaps an advice list); then the
 * chaos terms of the advice table (bi_advice_load of the same cfg and
 * files). A user pattern with a built-in's id replaces it. NULL with the
 * reason in err when one is malformed, or an advice entry names a pattern
 * there is not. */
bi_kb_pattern *bi_kb_patterns(jv cfg, char *const *files, size_t nfiles, size_t *n,
			      char *err, size_t errlen);
void bi_kb_patterns_free(bi_kb_pattern *p, size_t n);
const bi_kb_pattern *bi_kb_pattern_find(const bi_kb_pattern *p, size_t n, const char *id);

/* The pattern whose log terms text holds, the longest term winning: its
 * index, or -1; *termlen (when not NULL) gets the term's length. Only the
 * first 4 KiB of text are read. */
int bi_kb_match_text(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		     size_t *termlen);
/* The same, leaving the pattern of index skip out (-1: none). */
int bi_kb_match_text_but(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
			 size_t *termlen, int skip);
/* Does text hold one of p's replies (a server's error reply a client
 * relays)? */
int bi_kb_reply(const bi_kb_pattern *p, const char *text);
/* The pattern a chaos scenario that failed shows: the one with the best
 * match of its chaos terms (bi_advice_match: the longest term the name
 * holds), the first among equals; its index, or -1. */
int bi_kb_match_scenario(const bi_kb_pattern *p, size_t n, const char *scenario);
int bi_kb_in(char *const *list, const char *word);	/* case-insensitive */
int bi_kb_cond_holds(const bi_kb_cond *c, double value);

/* Jaccard similarity of the sets of words (lower case, longer than 3
 * characters) of a and b, from 0 to 1. */
double bi_kb_jaccard(const char *a, const char *b);

/* What a finding is matched by: its "signature", else "PATTERN SERVICE
 * TEMPLATE-or-TITLE". */
char *bi_kb_signature(jv finding);		/* finding borrowed */

#endif
