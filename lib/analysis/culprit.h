/* analysis/culprit.h: the interface of culprit.c (layer: analysis). */
#ifndef BI_ANALYSIS_CULPRIT_H
#define BI_ANALYSIS_CULPRIT_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/symptom.h"
/* The service at fault for a problem: how the records tell it from the
 * services that only show its symptoms. */

/* How long before a problem its culprit's trouble may have begun (ns). */
#define BI_CULPRIT_WINDOW (600 * 1000000000LL)

/* A problem as its complainer shows it. */
typedef struct bi_problem {
	const char *service;		/* the complainer */
	int pattern;			/* an index into the patterns; -1: none */
	int64_t first, last;		/* when it showed (ns) */
	const bi_symptom *const *syms;	/* its symptoms (borrowed) */
	size_t nsyms;
} bi_problem;

/* What the culprits of a set's problems are read from, indexed once: the
 * services and symptoms of set (borrowed: it must outlive this) as they
 * are now, of npats patterns, and the commits (read now, in any order). */
typedef struct bi_culprits bi_culprits;
bi_culprits *bi_culprits_new(bi_symptoms *set, size_t npats, const jv *commits, size_t ncommits);
void bi_culprits_free(bi_culprits *c);

/* A span as the culprits read it: its trace, its id and its parent's (0
 * for a root), its service, when it started, and whether it ended in
 * error. */
typedef struct bi_culprit_span {
	char trace[33];
	uint64_t id, parent;
	const char *service;		/* borrowed */
	int64_t ts;
	int error;
} bi_culprit_span;

/* The spans of the records' traces (borrowed until bi_culprits_free; any
 * order): a service whose own spans failed under the complainer's failed
 * calls while its trouble lasted is seen at fault, and under that service's
 * failed calls in the same traces the next, to the deepest. */
void bi_culprits_spans(bi_culprits *c, const bi_culprit_span *spans, size_t n);

/* A span id as OTLP writes it (16 hex digits, "00f067aa0ba902b7") as a
 * number; 0 (no span) when it is anything else. */
uint64_t bi_culprit_span_id(const char *hex);

/* The service at fault for p: the complainer itself when nothing weighs
 * enough. Its name is the set's (valid until bi_symptoms_free); a host
 * named only in errors becomes a service of the set. *why gets how it was
 * told (to free), or NULL for the complainer. */
const char *bi_culprit(bi_culprits *c, const bi_problem *p, char **why);

/* The host a connection error in text names, as clients print it (culprit.c
 * lists the forms), into out (cap bytes): 1, or 0 (out "") when it names none. An
 * address is no name; a bare NAME:PORT counts only for a service set knows. */
int bi_culprit_host(bi_symptoms *set, const char *text, char *out, size_t cap);

/* When service's own state changed from..to (ns): its container started
 * again after it had stopped or died, or a commit changed files under a
 * directory or with a stem of its name; 0 when it did not. */
int64_t bi_culprit_changed(const bi_culprits *c, const char *service, int64_t from, int64_t to);

#endif
