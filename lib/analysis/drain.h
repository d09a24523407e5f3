/* analysis/drain.h: the interface of drain.c (layer: analysis). */
#ifndef BI_ANALYSIS_DRAIN_H
#define BI_ANALYSIS_DRAIN_H

#include <stddef.h>

#include "base/util.h"
/* Log templates by the Drain method: a message is masked (words holding a
 * digit, file paths, and values of parts joined by separators from their
 * first variable part on, become <*>) and joins the most similar cluster of
 * messages with as many tokens and the same first constant tokens, or starts
 * one. Settings are the same for every input. Memory grows with the number
 * of clusters, not of messages. */
typedef struct bi_drain bi_drain;

/* A cluster, owned by its bi_drain and valid until bi_drain_free; read only. */
typedef struct bi_drain_cluster {
	size_t index;		/* 0, 1, 2 ... in order of creation */
	size_t count;		/* messages it holds */
	char id[12];		/* "t" and 8 hex digits, from its first message:
				   the same message gets the same id in any run */
	size_t ntok;		/* its template, as tokens; "<*>" where variable */
	char **tok;
} bi_drain_cluster;

/* A miner with the settings of BI_TEMPLATE_SETTINGS, or the defaults (with
 * a warning when it is set but wrong). Cannot fail. */
bi_drain *bi_drain_new(void);

/* Read spec, "sim=S,depth=D" (either or both, or NULL: the defaults), into
 * *sim and *depth; 0 (and both untouched) when it is malformed. */
int bi_drain_settings(const char *spec, double *sim, size_t *depth);
void bi_drain_free(bi_drain *d);

/* Add a message (n bytes, any content): returns its cluster, which may have
 * just been made or had its template widened. Cannot fail. */
const bi_drain_cluster *bi_drain_add(bi_drain *d, const char *msg, size_t n);

/* The cluster a message would join, without changing anything; NULL if none. */
const bi_drain_cluster *bi_drain_match(bi_drain *d, const char *msg, size_t n);

/* A cluster's template as one string, tokens joined by a space; borrowed,
 * valid until the next call on d. */
const char *bi_drain_text(bi_drain *d, const bi_drain_cluster *c);

/* The clusters: how many, and each by its index (NULL past the end). */
size_t bi_drain_count(const bi_drain *d);
const bi_drain_cluster *bi_drain_get(const bi_drain *d, size_t index);

/* Append msg masked, its tokens joined by single spaces, to out. */
void bi_drain_mask(const char *msg, size_t n, bi_buf *out);

#endif
