/* analysis/offline.h: the interface of offline.c (layer: analysis). */
#ifndef BI_ANALYSIS_OFFLINE_H
#define BI_ANALYSIS_OFFLINE_H

#include <jv.h>

#include "analysis/context.h"
/* 1 when q is a question the records alone answer: recent logs, errors,
 * status or health, commits or changes, "why did X fail". */
int bi_offline_answerable(const char *q);

/* The answer to q from the records read into in (its error groups get
 * sorted), as text saying that no model was used; *evidence gets an array
 * of the records it shows. NULL when q is not answerable so. */
char *bi_offline_answer(bi_llm_records *in, const char *q, jv *evidence);

#endif
