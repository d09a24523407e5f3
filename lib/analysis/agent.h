/* analysis/agent.h: the interface of agent.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENT_H
#define BI_ANALYSIS_AGENT_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>

#include "analysis/llm.h"
#include "analysis/agenttool.h"

/* An agent at work: a model that calls tools (Ollama's or an OpenAI-
 * compatible server's tool calling) until it finishes, within a step
 * limit and a token budget. */

/* The tools offered to the model, as both APIs take them:
 * [{"type":"function","function":{"name","description","parameters"}}]. */
jv bi_agent_tool_specs(void);

/* A reply of the model, taken apart. */
typedef struct bi_agent_reply {
	jv message;	/* the assistant's message, to go back in the conversation */
	char *content;	/* its text, or NULL */
	jv calls;	/* [{"id","name","args"}]: args an object, or a string
			   (what came, when it was not a JSON object) */
	long tokens;	/* prompt + answer, as the server counts them; -1: not counted */
} bi_agent_reply;

/* Parse a whole (not streamed) reply body of api's /api/chat or
 * /v1/chat/completions (any bytes). Pure. 0, or -1 with the reason (an
 * error the server sent, or no message in it); free r either way with
 * bi_agent_reply_free. At most BI_AGENT_CALLS_MAX calls are kept. */
#define BI_AGENT_CALLS_MAX 8
int bi_agent_parse_reply(int api, const char *body, size_t len, bi_agent_reply *r,
			 char *err, size_t n);
void bi_agent_reply_free(bi_agent_reply *r);

/* The message that answers call (borrowed) with content, in api's form. */
jv bi_agent_tool_msg(int api, jv call, const char *content);

/* Send messages (borrowed) with the tools to model; r gets the reply.
 * NULL, or what went wrong (the caller frees it); *down set when no
 * server answered. stop (NULL: none), once set, ends the request. */
char *bi_agent_ask(const bi_llm *c, const char *model, jv messages, volatile sig_atomic_t *stop,
		   bi_agent_reply *r, int *down);

/* A task's run: set the fields above the line, zero the rest. */
typedef struct bi_agent_run {
	const bi_llm *llm;
	const char *model;
	bi_agent_env *env;
	jv messages;		/* the conversation so far (owned; grows) */
	int max_steps;		/* model requests */
	long max_tokens;
	volatile sig_atomic_t *stop;
	/* each tool call, as it is done: the step, the call, its result */
	void (*on_step)(void *ctx, int step, jv call, const char *result, int is_error);
	void *ctx;
	/* ---- */
	int steps;
	long tokens;
	int down;		/* the server did not answer */
} bi_agent_run;

enum { BI_AGENT_FINISHED, BI_AGENT_STEP_LIMIT, BI_AGENT_TOKEN_LIMIT, BI_AGENT_STOPPED,
       BI_AGENT_FAILED };

/* Run until the model calls finish, the step limit or the token budget is
 * reached, stop is set, or the server fails (*err then says how; the
 * caller frees it). Returns one of the above. */
int bi_agent_loop(bi_agent_run *t, char **err);

/* A file of the agents' (a role's NAME.md, runbooks.yaml): the project's
 * own in ROOT/.blissful-infra/agents/ first, then the installed one in
 * templates/agents/ ($BI_TEMPLATES, else beside the executable). Its path
 * (the caller frees it), or NULL; *looked (when not NULL) gets where it was
 * looked for, for a message (the caller frees it). */
char *bi_agent_file(const char *root, const char *name, char **looked);

#endif
