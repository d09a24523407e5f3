/* analysis/agentfmt.h: the interface of agentfmt.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTFMT_H
#define BI_ANALYSIS_AGENTFMT_H

#include <jv.h>
#include <stddef.h>

/* The agents' state as text for people (bi-agent's output without
 * --json). Each returns text the caller frees; arguments are borrowed, as
 * agentdb.c gives them. */

/* len bytes of s with their control characters made visible, so that
 * text from a model cannot drive the terminal: ESC as ^[, a carriage
 * return as \r, a newline as \n (kept as it is when keep_nl), another
 * C0 or DEL as ^X, a C1 control (U+0080..U+009F) as \u0080; tabs kept.
 * The caller frees it. */
char *bi_agent_visible(const char *s, size_t len, int keep_nl);

/* A suggestion's revision s of task: who, the task, the revision and the
 * feedback that asked for it, the plan, then a unified diff per file,
 * coloured (ANSI: headers bold, additions green, deletions red, hunks
 * cyan) when color is set. */
char *bi_agent_fmt_review(jv task, jv s, int color);

/* A task: its state, revision, steps and tokens, its summary or why it
 * stopped, its branch and commit, then each step, the refused marked. */
char *bi_agent_fmt_status(jv task, jv steps);

/* The agents in a table (none: the header alone; agents invalid: no
 * table), then the acceptance rate of each role. */
char *bi_agent_fmt_list(jv agents, jv roles);

#endif
