/* analysis/agentdb.h: the interface of agentdb.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTDB_H
#define BI_ANALYSIS_AGENTDB_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The agents' state in the project database: agents (a name, a role),
 * their tasks (the conversation kept, to go on with a revision), each
 * step (a tool call and its result), each suggestion's revisions (the plan,
 * the feedback that asked for it, the changes), and outcomes. Every
 * function returns -1 (or an invalid jv) on a database error, whose text
 * is then bi_sql_error(db)'s; nothing exits. */

/* Open the database at path and make the agents' tables when missing.
 * NULL with the reason in err. */
sqlite3 *bi_agentdb_open(const char *path, char *err, size_t n);

/* Hire: 0, 1 when the name is taken by an agent not fired, or -1. */
int bi_agentdb_hire(sqlite3 *db, const char *name, const char *role);
/* Fire: 0, 1 when there is no such agent, or -1. */
int bi_agentdb_fire(sqlite3 *db, const char *name);
/* The agent working under name: {"name","role","hired"}; null when none. */
jv bi_agentdb_agent(sqlite3 *db, const char *name);
/* Every agent not fired, with its tasks and outcomes:
 * [{"name","role","hired","tasks","accepted","rejected","last_status"}]. */
jv bi_agentdb_agents(sqlite3 *db);
/* Per role (fired agents' work included): [{"role","accepted","rejected","rate"}],
 * rate null before any outcome. */
jv bi_agentdb_roles(sqlite3 *db);

/* A new task for agent: its id, or -1. */
int64_t bi_agentdb_task_new(sqlite3 *db, const char *agent, const char *role, const char *text);
/* The agent's latest task: {"id","agent","role","task","status","revision",
 * "steps","tokens","reason","messages","branch","commit","created","updated"};
 * null when it has none. */
jv bi_agentdb_task_latest(sqlite3 *db, const char *agent);
/* Set the task's fields named in f (an object, consumed): status, revision,
 * steps, tokens, reason, messages, branch, commit. 0, or -1. */
int bi_agentdb_task_set(sqlite3 *db, int64_t task, jv f);

/* A tool call of a task's revision: 0, or -1. */
int bi_agentdb_step(sqlite3 *db, int64_t task, int revision, int step, const char *tool,
		    jv args, const char *result, int is_error);
/* The steps of a task's revision: [{"step","tool","args","error","result"}]. */
jv bi_agentdb_steps(sqlite3 *db, int64_t task, int revision);

/* A suggestion's revision: the plan, the feedback that asked for it (NULL
 * for the first), the changes ({path: {"old","new"}}, borrowed). 0, or -1. */
int bi_agentdb_suggest(sqlite3 *db, int64_t task, int revision, const char *plan,
		       const char *feedback, jv changes);
/* {"revision","plan","feedback","changes"} of that revision; null when none. */
jv bi_agentdb_suggestion(sqlite3 *db, int64_t task, int revision);

/* An outcome: accepted, rejected, tests-failed; detail free text. 0, or -1. */
int bi_agentdb_outcome(sqlite3 *db, int64_t task, int revision, const char *outcome,
		       const char *detail);

/* The watchdog's findings: one kept (silenced_by: the silence that kept it
 * quiet, or NULL), its id or -1; one by its id, null when none. */
int64_t bi_agentdb_finding_add(sqlite3 *db, jv finding, const char *silenced_by);
jv bi_agentdb_finding(sqlite3 *db, int64_t id);
/* A silence of pattern until a time (ns): 0, or -1. The patterns in force
 * at now: an array of strings. */
int bi_agentdb_silence(sqlite3 *db, const char *pattern, int64_t until);
jv bi_agentdb_silences(sqlite3 *db, int64_t now);

#endif
