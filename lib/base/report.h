/* base/report.h: the interface of report.c (layer: base). */
#ifndef BI_BASE_REPORT_H
#define BI_BASE_REPORT_H

#include <jv.h>
#include <stdio.h>

/* A record of a kind shown as a report (health, perf_summary, score,
 * finding, answer, watcher) as lines of text onto f, in colour when color
 * is set: 1, or 0 when its kind has no report. rec is borrowed, and clean
 * (bi_fmt_clean). */
int bi_report(FILE *f, jv rec, int color);

#endif
