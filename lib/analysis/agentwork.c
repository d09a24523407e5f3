/*
 * agentwork.c: an agent's work as the project database keeps it. A run of
 * the loop (agent.c) becomes steps, a task's state and a suggestion's
 * revision; an acceptance (agentgit.c) a branch, a commit and an outcome;
 * a record the watchdog raises (agentwatch.c) a finding, silenced or not.
 * bi-agent is the command line over these.
 *
 * Layer: analysis.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/agentwork.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "analysis/llm.h"
#include "analysis/agenttool.h"
#include "analysis/agent.h"
#include "analysis/agentdb.h"
#include "analysis/agentgit.h"
#include "analysis/agentwatch.h"

/* ---- settings ---- */

int
bi_agent_llm(jv cfg, const char *api, const char *base, bi_llm *llm, char *err, size_t n)
{
	api = api ? api : bi_jv_path_str(cfg, "agent.api", "ollama");
	if (strcmp(api, "ollama") && strcmp(api, "openai"))
		return bi_errf(err, n, "--api: ollama or openai, not %s", api);
	*llm = (bi_llm){.api = !strcmp(api, "ollama") ? BI_LLM_OLLAMA : BI_LLM_OPENAI};
	const char *url = base ? base : bi_jv_path_str(cfg, "agent.base_url", NULL);
	if (!(llm->base = bi_llm_base_url(llm->api, url, err, n)))
		return -1;
	const char *key = getenv(bi_jv_path_str(cfg, "agent.api_key_env", "OPENAI_API_KEY"));
	if (llm->api == BI_LLM_OPENAI && key && *key)
		llm->auth = bi_asprintf("Authorization: Bearer %s", key);
	llm->budget = (long)bi_jv_path_num(cfg, "agent.context", 8192);
	return 0;
}

char *
bi_agent_model(const bi_llm *llm, const char *want, jv cfg, int *down, char *err, size_t n)
{
	static const char *const defaults[] = {"llama3.1:70b", "llama3.1:8b", "llama3:70b", "llama3:8b"};
	jv have = bi_llm_models(llm, down);
	char *m = NULL, *absent = NULL;

	if (!jv_is_valid(have)) {
		jv why = jv_invalid_get_msg(have);
		bi_errf(err, n, "%s", jv_get_kind(why) == JV_KIND_STRING ? jv_string_value(why) : "no models");
		jv_free(why);
		return NULL;
	}
	if (want) {
		if (!(m = bi_llm_find_model(have, want)))
			bi_errf(err, n, "model %s is not installed at %s", want, llm->base);
	} else {
		jv prefs = bi_jv_path(cfg, "agent.models");
		if (jv_get_kind(prefs) != JV_KIND_ARRAY) {
			jv_free(prefs);
			prefs = jv_array();
			for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
				prefs = jv_array_append(prefs, jv_string(defaults[i]));
		}
		if (!(m = bi_llm_choose(have, prefs, &absent)))
			bi_errf(err, n, "no model is installed at %s", llm->base);
		jv_free(prefs);
		free(absent);
	}
	jv_free(have);
	return m;
}

int
bi_agent_env_setup(bi_agent_env *e, const char *root, jv cfg, const char *db, char *err, size_t n)
{
	*e = (bi_agent_env){.store_db = db,
			    .test_timeout = (int)(bi_cfg_dur(cfg, "agent.test_timeout", 600 * BI_NS_PER_S) / BI_NS_PER_S)};
	if (bi_agent_env_open(e, root, err, n) != 0)
		return -1;
	e->test_cmd = bi_agent_test_command(root, bi_jv_path_str(cfg, "agent.test_command", NULL));
	return 0;
}

/* ---- conversations ---- */

static const char rules[] =
	"\n\nYou work on the project through the tools only; paths are relative to "
	"the project's root. Read before you change. propose_change keeps a change "
	"for a person to review: nothing is written until they accept it. When you "
	"are done, call finish with a summary: the plan, and what each change does.";

jv
bi_agent_messages(const char *prompt, const char *task)
{
	jv m = jv_array_append(jv_array(), bi_llm_msg("system", jv_string_fmt("%s%s", prompt, rules)));
	return jv_array_append(m, bi_llm_msg("user", jv_string(task)));
}

jv
bi_agent_feedback(jv messages, int revision, const char *feedback)
{
	return jv_array_append(messages, bi_llm_msg("user", jv_string_fmt(
		"Feedback from the reviewer on revision %d: %s\nRevise your changes (your proposals so far "
		"are kept; propose a file again to change it) and call finish.", revision, feedback)));
}

char *
bi_agent_investigation(jv finding)
{
	jv ev = jv_dump_string(jv_object_get(jv_copy(finding), jv_string("evidence")), 0);
	char *task = bi_asprintf("Investigate this finding of the watchdog: %s (service %s, runbook %s). "
				 "The record: %s. Find the cause in the code, the configuration and the "
				 "stored records, and propose a fix.", bi_get_text(finding, "title", "?"),
				 bi_get_text(finding, "service", "?"), bi_get_text(finding, "runbook", "?"),
				 jv_string_value(ev));
	jv_free(ev);
	return task;
}

/* ---- a run ---- */

typedef struct {
	sqlite3 *db;
	int64_t task;
	int revision, failed;
	void (*on_step)(void *ctx, int step, jv call, const char *result, int is_error);
	void *ctx;
} step_ctx;

static void
record_step(void *ctx, int step, jv call, const char *result, int is_error)
{
	step_ctx *s = ctx;
	jv args = jv_object_get(jv_copy(call), jv_string("args"));

	if (!s->failed && bi_agentdb_step(s->db, s->task, s->revision, step, bi_get_text(call, "name", "?"),
					  args, result, is_error) != 0)
		s->failed = 1;
	jv_free(args);
	if (s->on_step)
		s->on_step(s->ctx, step, call, result, is_error);
}

static const char *const end_names[] = {"finished", "the step limit", "the token budget",
					"interrupted", "failed"};

int
bi_agent_work(sqlite3 *db, bi_agent_run *t, jv task, int revision, const char *feedback,
	      bi_agent_result *res)
{
	int64_t id = (int64_t)bi_get_num(task, "id", 0);
	step_ctx sc = {db, id, revision, 0, t->on_step, t->ctx};
	char *err = NULL;

	t->on_step = record_step;
	t->ctx = &sc;
	res->end = bi_agent_loop(t, &err);
	t->on_step = sc.on_step;
	t->ctx = sc.ctx;
	res->changes = jv_object_length(jv_copy(t->env->changes));
	res->status = res->end == BI_AGENT_FINISHED ? (res->changes ? "suggested" : "done") :
		res->end == BI_AGENT_FAILED ? "failed" : "stopped";
	res->reason = res->end == BI_AGENT_FINISHED ? bi_strdup(t->env->summary ? t->env->summary : "") :
		err ? bi_strdup(err) : bi_asprintf("stopped at %s (%d steps, %ld tokens)", end_names[res->end],
						   t->steps, t->tokens);
	free(err);
	jv f = bi_set(bi_set(jv_object(), "status", jv_string(res->status)), "revision", jv_number(revision));
	f = bi_set(bi_set(f, "steps", jv_number(bi_get_num(task, "steps", 0) + t->steps)),
		   "tokens", jv_number(bi_get_num(task, "tokens", 0) + (double)t->tokens));
	f = bi_set(bi_set(f, "messages", jv_copy(t->messages)), "reason", jv_string(res->reason));
	if (sc.failed || bi_agentdb_task_set(db, id, f) != 0 ||
	    (res->end == BI_AGENT_FINISHED && res->changes &&
	     bi_agentdb_suggest(db, id, revision, t->env->summary, feedback, t->env->changes) != 0))
		return -1;
	return 0;
}

/* ---- an acceptance ---- */

/* The branch, the worktree's git name and its folder of task t's revision rev. */
static void
task_names(const char *root, jv t, int rev, char **branch, char **wtname, char **wt)
{
	const char *name = bi_get_text(t, "agent", "agent");
	long long id = (long long)bi_get_num(t, "id", 0);

	*branch = bi_asprintf("agent/%s/task-%lld-r%d", name, id, rev);
	*wtname = bi_asprintf("agent-%s-%lld-r%d", name, id, rev);
	if (wt)
		*wt = bi_asprintf("%s/.blissful-infra/worktrees/%s", root, *wtname);
}

int
bi_agent_accept_task(sqlite3 *db, const char *root, jv t, jv s, const char *test_cmd, int timeout,
		     volatile sig_atomic_t *stop, jv *report, char *err, size_t n)
{
	const char *name = bi_get_text(t, "agent", "agent");
	long long id = (long long)bi_get_num(t, "id", 0);
	int rev = (int)bi_get_num(t, "revision", 1);
	char *branch, *wtname, *wt;
	task_names(root, t, rev, &branch, &wtname, &wt);
	char *email = bi_asprintf("%s@agents.blissful-infra.invalid", name);
	char *msg = bi_asprintf("%s\n\n%s\n\nProposed by %s (%s), revision %d; accepted by a person.\n",
				bi_get_text(t, "task", "a change"), bi_get_text(s, "plan", ""), name,
				bi_get_text(t, "role", "?"), rev);
	jv ch = jv_object_get(jv_copy(s), jv_string("changes"));
	bi_agent_accept_req req = {.root = root, .branch = branch, .wt = wt, .wtname = wtname, .changes = ch,
				   .test_cmd = test_cmd, .timeout = timeout, .msg = msg, .author = name,
				   .email = email, .stop = stop};
	int r = bi_agent_accept(&req, report, err, n);

	if (r >= 0) {
		jv d = jv_dump_string(jv_copy(*report), 0);
		jv f = bi_set(bi_set(jv_object(), "status", jv_string(r == 0 ? "accepted" : "suggested")),
			      "branch", jv_string(branch));
		if (r == 0)
			f = bi_set(f, "commit", jv_string(bi_get_text(*report, "commit", "")));
		if (bi_agentdb_outcome(db, (int64_t)id, rev, r == 0 ? "accepted" : "tests-failed",
					 jv_string_value(d)) != 0 || bi_agentdb_task_set(db, (int64_t)id, f) != 0)
			r = -2;
		jv_free(d);
	}
	jv_free(ch);
	free(msg);
	free(email);
	free(branch);
	free(wtname);
	free(wt);
	return r;
}

int
bi_agent_discard_task(const char *root, jv t, char *err, size_t n)
{
	int rev = (int)bi_get_num(t, "revision", 1), r = 0;

	for (int i = 1; i <= rev && r == 0; i++) {
		char *branch, *wtname;
		task_names(root, t, i, &branch, &wtname, NULL);
		r = bi_agent_discard(root, branch, wtname, err, n);
		free(branch);
		free(wtname);
	}
	return r;
}

/* ---- the watchdog ---- */

int64_t
bi_agent_watch_record(sqlite3 *db, jv runbooks, jv rec, jv *finding, char **by)
{
	jv f = bi_watch_match(runbooks, rec);

	jv_free(rec);
	*finding = jv_invalid();
	*by = NULL;
	if (!jv_is_valid(f)) {
		jv_free(f);
		return 0;
	}
	jv quiet = bi_agentdb_silences(db, bi_now_ns());
	if (!jv_is_valid(quiet)) {
		jv_free(f);
		return -1;
	}
	const char *hit = bi_watch_silenced(quiet, f);
	*by = hit ? bi_strdup(hit) : NULL;
	jv_free(quiet);
	int64_t id = bi_agentdb_finding_add(db, f, *by);
	if (id < 0) {
		jv_free(f);
		free(*by);
		*by = NULL;
		return -1;
	}
	*finding = bi_set(f, "id", jv_string_fmt("%lld", (long long)id));	/* ids of findings are strings */
	return id;
}
