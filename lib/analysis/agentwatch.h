/* analysis/agentwatch.h: the interface of agentwatch.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTWATCH_H
#define BI_ANALYSIS_AGENTWATCH_H

#include <jv.h>
#include <stddef.h>

/* The SRE watchdog's knowledge: runbooks (YAML), each a condition on a
 * record and what to do when it holds:
 *
 *   runbooks:
 *     - name: oom
 *       when: {kind: container, action: oom}    every key equal (a list: any of)
 *       unless: {service: batch}                 none of these equal
 *       title: "{service} was killed: out of memory"
 *       severity: critical
 *       actions: [raise the memory limit, restart, notify]
 */

/* The runbooks of the file at path: the array under "runbooks", each
 * checked (a name, an object "when"). jv_invalid with the reason. */
jv bi_watch_runbooks(const char *path);

/* The first runbook of runbooks (borrowed) whose condition rec (borrowed)
 * meets, as a `finding` record: source "watchdog", runbook, title (its
 * {field}s filled from rec), service, severity, actions, evidence (rec).
 * jv_invalid when none does. */
jv bi_watch_match(jv runbooks, jv rec);

/* The first of patterns (an array of strings, borrowed; fnmatch globs,
 * without case) that matches the finding's runbook, service or title, or
 * NULL: the finding is silenced by it. Borrowed from patterns. */
const char *bi_watch_silenced(jv patterns, jv finding);

#endif
