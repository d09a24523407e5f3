/* analysis/rca.h: the interface of rca.c (layer: analysis). */
#ifndef BI_ANALYSIS_RCA_H
#define BI_ANALYSIS_RCA_H

#include <jv.h>
#include <stddef.h>

#include "analysis/pattern.h"
#include "sources/db.h"
/* Root-cause analysis: records in; out, one `finding` per distinct problem,
 * the most likely first (blissful-infra(7) lists its fields). Memory grows
 * with the problems and log templates seen, not with the records. */
typedef struct bi_rca bi_rca;

/* A new analysis by the patterns pats (borrowed: they must outlive it). */
bi_rca *bi_rca_new(const bi_kb_pattern *pats, size_t npats);
void bi_rca_free(bi_rca *a);

/* Take a record (consumed): logs, container events and stats, commits,
 * health checks, alerts, Kubernetes events, metrics, load-test and chaos
 * results; a record of another kind is only counted. A record given after
 * bi_rca_rank is dropped. */
void bi_rca_add(bi_rca *a, jv rec);

/* The fast path, for a line as bi_read_line gives it: 1 when it is a log
 * record of no interest (info and below, not slow), taken as bi_rca_add
 * would take it (a request of its service counted) without being parsed;
 * 0 when it is anything else: parse it and give it to bi_rca_add. */
int bi_rca_skip(bi_rca *a, const char *line, size_t len);

/* Say that service depends on dep (docker compose's depends_on), as a
 * `dependency` record would. */
void bi_rca_depend(bi_rca *a, const char *service, const char *dep);

/* The records taken so far, and how many of them were logs. */
void bi_rca_counts(const bi_rca *a, size_t *records, size_t *logs);

/* Group what was taken into findings, score and rank them; returns how
 * many. db is the knowledge base (bi_kb_open) whose past incidents raise
 * a finding's confidence, or NULL. Once: a second call returns the same. */
size_t bi_rca_rank(bi_rca *a, bi_db *db);

/* The i-th most likely finding (0 the first) as a record, with the past
 * incidents like it and the fixes to try from db (as given to bi_rca_rank,
 * or NULL); jv_invalid() past the last. */
jv bi_rca_finding(bi_rca *a, size_t i, bi_db *db);

#endif
