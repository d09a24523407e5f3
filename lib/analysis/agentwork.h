/* analysis/agentwork.h: the interface of agentwork.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTWORK_H
#define BI_ANALYSIS_AGENTWORK_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/agent.h"

/* An agent's work, recorded in the project database (agentdb.c): a task's
 * run, an acceptance, a watchdog's record. Database errors come back as -1
 * (bi_sql_error says which); nothing exits. */

/* The server of the agents: flags api ("ollama", "openai") and base
 * (NULL: not given) over cfg's agent.api, agent.base_url, agent.api_key_env
 * (the variable holding an OpenAI key) and agent.context (Ollama's context
 * window, 8192). 0, or -1 with the reason (llm's base and auth are the
 * caller's to free). */
int bi_agent_llm(jv cfg, const char *api, const char *base, bi_llm *llm, char *err, size_t n);

/* The model to use: want when the server has it; else the first of
 * cfg's agent.models (default llama3.1:70b, llama3.1:8b, llama3:70b,
 * llama3:8b) that it has, else any. NULL with the reason, *down set when
 * no server answered. The caller frees it. */
char *bi_agent_model(const bi_llm *llm, const char *want, jv cfg, int *down, char *err, size_t n);

/* An environment for root (bi_agent_env_open) with cfg's agent.test_command
 * (else bi_agent_test_command's guess) and agent.test_timeout (600 s); the
 * records of query from db. 0, or -1 with the reason. */
int bi_agent_env_setup(bi_agent_env *e, const char *root, jv cfg, const char *db, char *err, size_t n);

/* The first messages of a task: the role's prompt with the rules every
 * agent follows, then the task. And the feedback of a revision, appended
 * to messages (consumed and returned). */
jv bi_agent_messages(const char *prompt, const char *task);
jv bi_agent_feedback(jv messages, int revision, const char *feedback);
/* The task that hands a watchdog's finding (borrowed) to an agent; the
 * caller frees it. */
char *bi_agent_investigation(jv finding);

/* What a run came to. */
typedef struct bi_agent_result {
	int end;		/* BI_AGENT_FINISHED ... */
	const char *status;	/* the task's: suggested, done, stopped, failed */
	char *reason;		/* the summary, or why it stopped (the caller frees it) */
	int changes;		/* files proposed */
} bi_agent_result;

/* Run t (its on_step, when set, is called after each step is recorded) as
 * revision of task (borrowed: id, steps, tokens), with feedback (NULL for
 * the first); record the steps, the task's state and, when it finished
 * with changes, the suggestion. 0, or -1 on a database error. */
int bi_agent_work(sqlite3 *db, bi_agent_run *t, jv task, int revision, const char *feedback,
		  bi_agent_result *res);

/* Accept the latest revision of task (borrowed), its suggestion s
 * (borrowed): the branch agent/AGENT/task-ID-rREV in a worktree under
 * root's .blissful-infra/worktrees/, the tests (ended when stop is set),
 * the commit (bi_agent_accept), and the outcome recorded. *report as
 * bi_agent_accept's. 0 accepted, 1 the tests failed, -1 with err (git, a
 * conflict, interrupted), -2 on a database error. */
int bi_agent_accept_task(sqlite3 *db, const char *root, jv task, jv s, const char *test_cmd,
			 int timeout, volatile sig_atomic_t *stop, jv *report, char *err, size_t n);

/* Remove the branches and worktrees accepts of task's revisions left
 * (bi_agent_discard). 0, or -1 with the reason. */
int bi_agent_discard_task(const char *root, jv task, char *err, size_t n);

/* A record for the watchdog: the finding the first runbook it meets
 * raises (*finding, with its id; else jv_invalid), kept in the database,
 * silenced when a silence in force matches it (*by gets the pattern, the
 * caller frees it). The finding's id, 0 when there is none, -1 on a
 * database error. rec is consumed. */
int64_t bi_agent_watch_record(sqlite3 *db, jv runbooks, jv rec, jv *finding, char **by);

#endif
