/* analysis/context.h: the interface of context.c (layer: analysis). */
#ifndef BI_ANALYSIS_CONTEXT_H
#define BI_ANALYSIS_CONTEXT_H

#include <jv.h>
#include <stddef.h>

#include "base/util.h"
#include "base/time.h"
/* What a model is told about a project's records: the records digested into
 * the few forms a model needs, then condensed into text that fits a byte
 * budget. Its names keep the bi_llm_ prefix of the model they are for; the
 * client that sends the text is analysis/llm.h's. */

/* Append the template of a log message to out: its first line (400 bytes at
 * most), words separated by single spaces, with a uuid, IP address, URL,
 * path or hex number as <uuid> <ip> <url> <path> <hex>, and the digits of
 * any other number as <num>; in key=value only the value is masked. Unlike
 * bi_drain_mask it names what it masked, which a model can use. */
void bi_llm_mask(bi_buf *out, const char *msg);

/* Log lines of one service and template: how many, the first one's ts and
 * the latest record. */
typedef struct bi_llm_group {
	char *key;		/* service, '\x1f', template */
	const char *tmpl;	/* the template: points into key */
	long n;			/* lines */
	size_t order;		/* first seen: a tie-breaker */
	char first[BI_TS_LEN];	/* the first line's ts */
	jv last;		/* the latest line's record */
} bi_llm_group;

typedef struct bi_llm_groups {
	bi_llm_group *g;
	size_t n, cap;		/* groups in g, and room for */
	jv index;		/* key -> position in g */
	long lines;		/* lines in all the groups */
} bi_llm_groups;

/* Most lines first, then the first seen; in place. */
void bi_llm_groups_sort(bi_llm_groups *gs);

/* The records read, kept in the few forms a model's context needs. Memory
 * is bounded by the number of distinct templates, containers, checks and
 * metrics, not by the number of records. Read only, but for sorting groups. */
enum { BI_LLM_KEEP_LOGS = 50, BI_LLM_KEEP_EVENTS = 30, BI_LLM_KEEP_COMMITS = 20 };
typedef struct bi_llm_records {
	jv findings;		/* every finding */
	jv events;		/* container (but status), k8s_event, alert: at least the last KEEP_EVENTS */
	jv logs, commits;	/* at least the last KEEP_LOGS, KEEP_COMMITS */
	jv containers, stats;	/* the latest per container (or service) */
	jv health;		/* the latest per service (or target) */
	jv metrics;		/* the latest per service, name and labels */
	jv others;		/* kind -> how many, of the kinds not used */
	bi_llm_groups errors;	/* logs of level error and fatal, by template */
	bi_llm_groups warns;	/* logs of level warn, by template */
	long nlogs, ncommits;	/* read in all */
} bi_llm_records;
void bi_llm_records_init(bi_llm_records *r);
void bi_llm_records_add(bi_llm_records *r, jv rec);	/* consumes rec */
void bi_llm_records_free(bi_llm_records *r);

/* Add the records of the n files named in paths ("-": stdin; n == 0 reads
 * stdin), by bi_each with flags (BI_STRICT): a malformed line is reported
 * and skipped (with BI_STRICT, reading ends there), a file that cannot be
 * opened reported and skipped. Returns what bi_each does: the number of
 * files that could not be opened, or -1 on a fatal error. */
int bi_llm_records_read(bi_llm_records *r, int n, char *const *paths, int flags);

/* The findings, most confident first (a new array). */
jv bi_llm_findings(const bi_llm_records *r);

/* One line about a record of the kinds kept (rec borrowed), and a finding
 * (borrowed) in a few lines: with full, its confidence components and
 * timeline too. Both return text the caller frees; neither fails. */
char *bi_llm_describe(jv rec);
char *bi_llm_describe_finding(jv finding, int full);

/* The records as text for a model, in at most limit bytes: findings, error
 * templates, events, health, containers, stats, metrics, commits, warnings,
 * the last log lines, other kinds; what does not fit is counted at the end.
 * Sorts r's groups. The caller frees the text. */
char *bi_llm_context(bi_llm_records *r, size_t limit);

#endif
