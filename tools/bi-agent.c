/*
 * bi-agent: virtual employees. An agent has a role (a prompt file under
 * templates/agents/, or the project's .blissful-infra/agents/) and works
 * on a task by calling tools through a local LLM's tool-calling API
 * (Ollama, or an OpenAI-compatible server): it reads the project, asks git
 * and the stored records, runs the tests, and proposes changes. Nothing is
 * written until a person accepts: review shows the plan and a diff per
 * file, revise sends feedback and yields the next revision, accept applies
 * the changes on a new branch in a new git worktree, runs the project's
 * tests there and commits when they pass (a project without tests only
 * with --no-tests); reject records the outcome and removes what failed
 * accepts left, never touching the project's files.
 *
 * State (agents, tasks, steps, suggestions and revisions, outcomes) is in
 * the project database (lib/analysis/agentdb.c, agentwork.c). The tools and
 * their fence are agenttool.c's, the conversation agent.c's, git
 * agentgit.c's, the watchdog's runbooks agentwatch.c's, the text agentfmt.c's. Human
 * text on stdout; --json writes records instead (agent, agent_role,
 * agent_task, agent_suggestion, agent_outcome); watch writes findings.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/time.h"
#include "sources/store.h"
#include "analysis/llm.h"
#include "analysis/agent.h"
#include "analysis/agenttool.h"
#include "analysis/agentdb.h"
#include "analysis/agentwatch.h"
#include "analysis/agentwork.h"
#include "analysis/agentfmt.h"

static const char usage[] =
	"usage: bi-agent hire ROLE --name N | fire N | list | roles\n"
	"       bi-agent assign N \"TASK\" | revise N \"FEEDBACK\"\n"
	"       bi-agent status N | review N [--revision R] | accept N [--no-tests] | reject N\n"
	"       bi-agent watch [--runbooks FILE] | silence PATTERN [--for DUR] |\n"
	"       bi-agent investigate FINDING [--name N]\n"
	"Agents with roles propose changes to the project; nothing is written\n"
	"until a person accepts (on a new branch, in a git worktree).\n"
	"\n"
	"  -n, --name N         hire: the agent's name; investigate: the agent\n"
	"                       (default: the first bug-fixer)\n"
	"      --runbooks FILE  watch: these runbooks (default: agents/runbooks.yaml)\n"
	"      --for DUR        silence: for this long (default 1h)\n"
	"  -m, --model M        this model (default: agent.models, then any installed)\n"
	"      --api A          ollama (default) or openai\n"
	"      --base-url URL   the server (default: agent.base_url, $OLLAMA_HOST,\n"
	"                       http://127.0.0.1:11434; openai: http://127.0.0.1:8080)\n"
	"      --allow-remote   allow a server that is not on this machine\n"
	"      --max-steps N    requests to the model per task (default agent.max_steps, 20)\n"
	"      --max-tokens N   tokens per task (default agent.max_tokens, 60000)\n"
	"  -r, --revision R     review: this revision (default the latest)\n"
	"      --no-tests       accept: commit without running tests (else refused\n"
	"                       when the project has no test command)\n"
	"      --json           records instead of text\n"
	"      --db PATH        the database (default $BI_DB, .blissful-infra/bi.db)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0; 1 the agent stopped at a limit without a suggestion, or accept\n"
	"      failed (the tests, a conflict, no tests); 2 usage (an unknown agent\n"
	"      or role, no suggestion); 3 the model's server unreachable; 4 the\n"
	"      database or the output failed.\n";

static struct {
	bi_llm llm;
	const char *model, *db_path, *runbooks, *name;
	int64_t silence;	/* ns */
	int allow_remote, json, max_steps, revision, no_tests;
	long max_tokens;
	jv cfg;
} opt = {.revision = -1};

static sqlite3 *db;
static char *root;		/* the project */
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Ctrl-C and TERM end a model's request and a command's process group,
 * and the command stops, recording where it got to. */
static void
catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static _Noreturn void
db_die(void)
{
	bi_die(BI_EXIT_LOCAL, "%s: %s", opt.db_path, bi_sql_error(db));
}

/* ---- roles ---- */

/* The prompt of role: the project's own first, then the installed ones. */
static char *
role_prompt(const char *role)
{
	char *name = bi_asprintf("%s.md", role), *looked, *path, *text;

	if (strchr(role, '/') || role[0] == '.' || !*role)
		bi_die(BI_EXIT_USAGE, "%s: not a role name", role);
	if (!(path = bi_agent_file(root, name, &looked)) || !(text = bi_read_file(path, NULL)))
		bi_die(BI_EXIT_USAGE, "no role %s (in %s)", role, looked);
	free(looked);
	free(path);
	free(name);
	return text;
}

/* ---- the model ---- */

static char *
choose_model(void)
{
	char err[1024], *m;
	int down;

	if (!bi_llm_is_local(opt.llm.base) && !opt.allow_remote)
		bi_die(BI_EXIT_USAGE, "%s is not on this machine, and the project's files would go "
		       "there; --allow-remote or agent.allow_remote: true permits it", opt.llm.base);
	if (!(m = bi_agent_model(&opt.llm, opt.model, opt.cfg, &down, err, sizeof err)))
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	bi_warn("using model %s", m);
	return m;
}

static void
on_step(void *ctx, int step, jv call, const char *result, int is_error)
{
	jv d = jv_dump_string(jv_object_get(jv_copy(call), jv_string("args")), 0);
	const char *name = bi_get_text(call, "name", "?");
	/* The model's words, shown and not obeyed by the terminal. */
	char *vn = bi_agent_visible(name, strlen(name), 0);
	char *va = bi_agent_visible(jv_string_value(d), (size_t)bi_line_span(jv_string_value(d), SIZE_MAX, 100), 0);
	char *vr = bi_agent_visible(result, is_error ? (size_t)bi_line_span(result, SIZE_MAX, 160) : 0, 0);

	(void)ctx;
	fprintf(stderr, "%s: step %d: %s %s%s%s\n", bi_progname, step, vn, va, is_error ? " -> refused: " : " -> ok", vr);
	free(vn);
	free(va);
	free(vr);
	jv_free(d);
}

/* Run task's revision with messages (consumed) and env's changes so far,
 * recorded (agentwork.c). The exit status. */
static int
work(jv task, int revision, jv messages, bi_agent_env *env, const char *feedback)
{
	char *model = choose_model();
	bi_agent_run run = {.llm = &opt.llm, .model = model, .env = env, .messages = messages,
			    .max_steps = opt.max_steps, .max_tokens = opt.max_tokens, .stop = &stop,
			    .on_step = on_step};
	bi_agent_result res;

	catch_signals();
	if (bi_agent_work(db, &run, task, revision, feedback, &res) != 0)
		db_die();
	const char *name = bi_get_str(task, "agent");
	char *why = bi_agent_visible(res.reason, strlen(res.reason), 1);	/* the model's summary */
	if (!strcmp(res.status, "suggested"))
		printf("%s: revision %d suggested: %d file%s, %d steps, %ld tokens\n%s\nreview: bi-agent review %s\n",
		       name, revision, res.changes, res.changes == 1 ? "" : "s", run.steps, run.tokens, why, name);
	else
		printf("%s: %s (%d steps, %ld tokens): %s\n", name, res.status, run.steps, run.tokens, why);
	free(why);
	jv_free(run.messages);
	free(res.reason);
	free(model);
	return res.end == BI_AGENT_FINISHED ? BI_EXIT_OK : res.end == BI_AGENT_FAILED && run.down ?
		BI_EXIT_UNREACHABLE : BI_EXIT_FAIL;
}

/* ---- the commands ---- */

static jv
agent_or_die(const char *name)
{
	jv a = bi_agentdb_agent(db, name);
	if (!jv_is_valid(a))
		db_die();
	if (jv_get_kind(a) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "no agent %s (bi-agent list shows them)", name);
	return a;
}

static jv
task_or_die(const char *name)
{
	jv_free(agent_or_die(name));
	jv t = bi_agentdb_task_latest(db, name);
	if (!jv_is_valid(t))
		db_die();
	if (jv_get_kind(t) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "%s has no task (bi-agent assign %s \"TASK\")", name, name);
	return t;
}

static void
env_open(bi_agent_env *env)
{
	char err[4096];

	if (bi_agent_env_setup(env, root, opt.cfg, opt.db_path, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
}

static int
assign(char **w)
{
	const char *name = w[0], *text = w[1];
	jv a = agent_or_die(name);
	const char *role = bi_get_str(a, "role");
	char *prompt = role_prompt(role);
	int64_t id = bi_agentdb_task_new(db, name, role, text);
	if (id < 0)
		db_die();
	jv task = task_or_die(name);
	bi_agent_env env;
	env_open(&env);
	int code = work(task, 1, bi_agent_messages(prompt, text), &env, NULL);
	bi_agent_env_free(&env);
	jv_free(task);
	jv_free(a);
	free(prompt);
	return code;
}

/* The latest suggestion of task t at or before revision rev (a revision
 * that stopped at a limit has none of its own), or null. */
static jv
suggestion_upto(jv t, int rev)
{
	jv s = jv_null();
	for (int r = rev; r >= 1 && jv_get_kind(s) == JV_KIND_NULL; r--) {
		jv_free(s);
		s = bi_agentdb_suggestion(db, (int64_t)bi_get_num(t, "id", 0), r);
		if (!jv_is_valid(s))
			db_die();
	}
	return s;
}

static int
revise(char **w)
{
	const char *name = w[0], *feedback = w[1];
	jv t = task_or_die(name);
	const char *st = bi_get_text(t, "status", "");
	int rev = (int)bi_get_num(t, "revision", 1);
	if (strcmp(st, "suggested") && strcmp(st, "stopped") && strcmp(st, "done"))
		bi_die(BI_EXIT_USAGE, "%s's task is %s: only a suggestion (or a stopped task) can be revised",
		       name, st);
	bi_agent_env env;
	env_open(&env);
	/* The next revision builds on the latest suggestion: this revision's,
	 * or, when it stopped at a limit, the one before it. */
	jv s = suggestion_upto(t, rev);
	if (jv_get_kind(s) == JV_KIND_OBJECT) {
		jv_free(env.changes);
		env.changes = jv_object_get(jv_copy(s), jv_string("changes"));
	}
	jv_free(s);
	jv msgs = jv_object_get(jv_copy(t), jv_string("messages"));
	if (jv_get_kind(msgs) != JV_KIND_ARRAY)
		bi_die(BI_EXIT_USAGE, "%s's task has no conversation to go on with", name);
	int code = work(t, rev + 1, bi_agent_feedback(msgs, rev, feedback), &env, feedback);
	bi_agent_env_free(&env);
	jv_free(t);
	return code;
}

/* A suggestion to act on: revision's, else the latest task's latest. */
static jv
suggestion_or_die(jv t, const char *name, int revision)
{
	jv s = revision > 0 ? bi_agentdb_suggestion(db, (int64_t)bi_get_num(t, "id", 0), revision) :
		suggestion_upto(t, (int)bi_get_num(t, "revision", 0));
	if (!jv_is_valid(s))
		db_die();
	if (jv_get_kind(s) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "%s has no suggestion%s (its task is %s)", name, revision > 0 ?
		       " of that revision" : "", bi_get_text(t, "status", "?"));
	return s;
}

static int
review(char **w)
{
	jv t = task_or_die(w[0]), s = suggestion_or_die(t, w[0], opt.revision);

	if (opt.json) {
		jv r = bi_set(bi_set(bi_record("agent_suggestion"), "agent", jv_string(w[0])), "task",
			      jv_object_delete(jv_copy(t), jv_string("messages")));
		bi_write(bi_set(r, "suggestion", jv_copy(s)));
	} else {
		char *text = bi_agent_fmt_review(t, s, bi_color_ok(1));
		fputs(text, stdout);
		free(text);
	}
	jv_free(s);
	jv_free(t);
	return BI_EXIT_OK;
}

static int
accept(char **w)
{
	const char *name = w[0];
	jv t = task_or_die(name), report;
	if (strcmp(bi_get_text(t, "status", ""), "suggested"))
		bi_die(BI_EXIT_USAGE, "%s's task is %s, not a suggestion to accept", name, bi_get_text(t, "status", "?"));
	jv s = suggestion_or_die(t, name, -1);
	bi_agent_env env;
	char err[1024];

	env_open(&env);
	if (!env.test_cmd && !opt.no_tests)
		bi_die(BI_EXIT_FAIL, "accept: no tests to run (agent.test_command, or a Makefile, package.json, "
		       "pom.xml, go.mod or Python project); --no-tests to accept anyway");
	catch_signals();
	int r = bi_agent_accept_task(db, root, t, s, opt.no_tests ? NULL : env.test_cmd, env.test_timeout,
				     &stop, &report, err, sizeof err);
	if (r == -2)
		db_die();
	if (r < 0)
		bi_die(BI_EXIT_FAIL, "accept: %s", err);
	const char *wt = bi_get_text(report, "worktree", "?"), *branch = bi_get_text(report, "branch", "?");
	if (opt.json) {
		bi_write(bi_set(bi_set(bi_record("agent_outcome"), "agent", jv_string(name)), "outcome",
				bi_set(jv_copy(report), "outcome", jv_string(r == 0 ? "accepted" : "tests-failed"))));
	} else {
		jv tests = jv_object_get(jv_copy(report), jv_string("tests"));
		if (jv_get_kind(tests) == JV_KIND_OBJECT)
			printf("tests: %s in %s: exit %d\n%s", bi_get_text(tests, "command", "?"), wt,
			       (int)bi_get_num(tests, "status", -1), r ? bi_get_text(tests, "output", "") : "");
		else
			printf("tests: none (--no-tests)\n");
		jv_free(tests);
		if (r == 0)
			printf("accepted: commit %.12s on branch %s (worktree %s)\nmerge it with: git merge %s\n",
			       bi_get_text(report, "commit", "?"), branch, wt, branch);
		else
			printf("not committed: the tests failed; the changes are in %s. "
			       "bi-agent revise %s \"...\" or reject %s\n", wt, name, name);
	}
	jv_free(report);
	bi_agent_env_free(&env);
	jv_free(s);
	jv_free(t);
	return r == 0 ? BI_EXIT_OK : BI_EXIT_FAIL;
}

static int
reject(char **w)
{
	const char *name = w[0], *why = w[1];
	jv t = task_or_die(name);
	if (strcmp(bi_get_text(t, "status", ""), "suggested"))
		bi_die(BI_EXIT_USAGE, "%s's task is %s, not a suggestion to reject", name, bi_get_text(t, "status", "?"));
	int64_t id = (int64_t)bi_get_num(t, "id", 0);
	char err[1024];
	if (bi_agent_discard_task(root, t, err, sizeof err) != 0)	/* what a failed accept left */
		bi_warn("reject: %s", err);
	if (bi_agentdb_outcome(db, id, (int)bi_get_num(t, "revision", 1), "rejected", why) != 0 ||
	    bi_agentdb_task_set(db, id, bi_set(jv_object(), "status", jv_string("rejected"))) != 0)
		db_die();
	printf("%s: revision %d rejected; nothing was written\n", name, (int)bi_get_num(t, "revision", 1));
	jv_free(t);
	return BI_EXIT_OK;
}

static int
status(char **w)
{
	jv t = task_or_die(w[0]);
	jv steps = bi_agentdb_steps(db, (int64_t)bi_get_num(t, "id", 0), (int)bi_get_num(t, "revision", 1));

	if (!jv_is_valid(steps))
		db_die();
	if (opt.json) {
		jv r = bi_set(bi_set(bi_record("agent_task"), "agent", jv_string(w[0])), "task",
			      jv_object_delete(jv_copy(t), jv_string("messages")));
		bi_write(bi_set(r, "steps", steps));
	} else {
		char *text = bi_agent_fmt_status(t, steps);
		fputs(text, stdout);
		free(text);
		jv_free(steps);
	}
	jv_free(t);
	return BI_EXIT_OK;
}

static int
listing(int roles_only)
{
	jv all = roles_only ? jv_array() : bi_agentdb_agents(db), roles = bi_agentdb_roles(db);

	if (!jv_is_valid(all) || !jv_is_valid(roles))
		db_die();
	if (opt.json) {
		jv_array_foreach(all, i, a)
			bi_write(jv_object_merge(bi_record("agent"), a));
		jv_array_foreach(roles, i, r)
			bi_write(jv_object_merge(bi_record("agent_role"), r));
	} else {
		char *text = bi_agent_fmt_list(roles_only ? jv_invalid() : all, roles);
		fputs(text, stdout);
		free(text);
	}
	jv_free(all);
	jv_free(roles);
	return BI_EXIT_OK;
}

static long
number(const char *s, const char *what, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 1 || v > max)
		bi_usage_error(usage, "%s: a number from 1 to %ld, not %s", what, max, s);
	return v;
}

static int
list(char **w)
{
	(void)w;
	return listing(0);
}

static int
roles(char **w)
{
	(void)w;
	return listing(1);
}

/* ---- the watchdog ---- */

static jv runbooks;

/* A record from the pipe: a finding when a runbook says so, unless a
 * silence keeps it quiet; told at once on standard error (with a bell on a
 * terminal), and written as a record. */
static int
on_record(void *ctx, jv rec, bi_reader *r)
{
	jv f;
	char *by;
	int64_t id = bi_agent_watch_record(db, runbooks, rec, &f, &by);

	(void)ctx, (void)r;
	if (id < 0)
		db_die();
	if (id > 0 && by) {
		bi_warn("finding %lld silenced by %s: %s", (long long)id, by, bi_get_text(f, "title", ""));
	} else if (id > 0) {
		jv acts = jv_object_get(jv_copy(f), jv_string("actions")), all = jv_string("");
		jv_array_foreach(acts, i, a)
			all = jv_string_concat(jv_string_concat(all, jv_string(i ? "; " : "")), a);
		jv_free(acts);
		fprintf(stderr, "%s%s: FINDING %lld [%s] %s\n  suggested: %s\n  bi-agent investigate %lld"
			"  |  bi-agent silence '%s' --for 1h\n", isatty(2) ? "\a" : "", bi_progname,
			(long long)id, bi_get_text(f, "severity", "?"), bi_get_text(f, "title", ""),
			jv_string_value(all), (long long)id, bi_get_text(f, "runbook", "?"));
		jv_free(all);
		bi_write(jv_copy(f));
		bi_write_flush();
	}
	free(by);
	jv_free(f);
	return 0;
}

static int
watch(char **w)
{
	(void)w;
	char *path = opt.runbooks ? bi_strdup(opt.runbooks) : bi_agent_file(root, "runbooks.yaml", NULL);

	if (!path)
		bi_die(BI_EXIT_USAGE, "no runbooks.yaml (in .blissful-infra/agents or the templates)");
	runbooks = bi_watch_runbooks(path);
	if (!jv_is_valid(runbooks)) {
		jv why = jv_invalid_get_msg(runbooks);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(why));
	}
	bi_warn("watching with %d runbooks of %s", jv_array_length(jv_copy(runbooks)), path);
	free(path);
	int bad = bi_each(0, NULL, 0, on_record, NULL);
	jv_free(runbooks);
	return bad ? BI_EXIT_USAGE : BI_EXIT_OK;
}

/* A finding given to an agent: the one named, else the first bug-fixer. */
static int
investigate(char **w)
{
	const char *which = w[0], *name = opt.name;

	jv f = bi_agentdb_finding(db, number(which, "investigate", 1000000000L));
	if (!jv_is_valid(f))
		db_die();
	if (jv_get_kind(f) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "no finding %s", which);
	char *who = name ? bi_strdup(name) : NULL;
	jv all = bi_agentdb_agents(db);
	jv_array_foreach(all, i, a) {
		if (!who && !strcmp(bi_get_text(a, "role", ""), "bug-fixer"))
			who = bi_strdup(bi_get_str(a, "name"));
		jv_free(a);
	}
	jv_free(all);
	if (!who)
		bi_die(BI_EXIT_USAGE, "no bug-fixer to investigate (bi-agent hire bug-fixer --name N)");
	char *task = bi_agent_investigation(f);
	char *words[] = {who, task};
	int code = assign(words);
	free(task);
	free(who);
	jv_free(f);
	return code;
}

static int
hire(char **w)
{
	const char *name = opt.name;

	free(role_prompt(w[0]));
	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name))
		bi_die(BI_EXIT_USAGE, "%s: a name of letters, digits, '-' and '_'", name);
	int r = bi_agentdb_hire(db, name, w[0]);
	if (r < 0)
		db_die();
	if (r)
		bi_die(BI_EXIT_USAGE, "%s is already working here", name);
	printf("hired %s as %s\n", name, w[0]);
	return BI_EXIT_OK;
}

static int
fire(char **w)
{
	int r = bi_agentdb_fire(db, w[0]);

	if (r < 0)
		db_die();
	if (r)
		bi_die(BI_EXIT_USAGE, "no agent %s", w[0]);
	printf("fired %s\n", w[0]);
	return BI_EXIT_OK;
}

static int
silence(char **w)
{
	int64_t until = bi_now_ns() + (opt.silence ? opt.silence : 3600 * BI_NS_PER_S);
	char ts[BI_TS_LEN];

	if (bi_agentdb_silence(db, w[0], until) != 0)
		db_die();
	printf("silenced %s until %s\n", w[0], bi_ts_fmt(until, ts));
	return BI_EXIT_OK;
}

/* ---- the story ---- */

static void
configure(const char *api, const char *base)
{
	char err[512];

	opt.cfg = bi_config();
	if (bi_agent_llm(opt.cfg, api, base, &opt.llm, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
	jv remote = bi_jv_path(opt.cfg, "agent.allow_remote");
	opt.allow_remote |= jv_get_kind(remote) == JV_KIND_TRUE;
	jv_free(remote);
	if (!opt.max_steps)
		opt.max_steps = (int)bi_jv_path_num(opt.cfg, "agent.max_steps", 20);
	if (!opt.max_tokens)
		opt.max_tokens = (long)bi_jv_path_num(opt.cfg, "agent.max_tokens", 60000);
}


static void
option(int c, const char **api, const char **base)
{
	switch (c) {
	case 'n': opt.name = optarg; break;
	case 'm': opt.model = optarg; break;
	case 'A': *api = optarg; break;
	case 'U': *base = optarg; break;
	case 'R': opt.allow_remote = 1; break;
	case 'S': opt.max_steps = (int)number(optarg, "--max-steps", 1000); break;
	case 'T': opt.max_tokens = number(optarg, "--max-tokens", 100000000); break;
	case 'r': opt.revision = (int)number(optarg, "--revision", 100000); break;
	case 'J': opt.json = 1; break;
	case 'N': opt.no_tests = 1; break;
	case 'D': opt.db_path = optarg; break;
	case 'B': opt.runbooks = optarg; break;
	case 'F':
		if (bi_dur_parse(optarg, &opt.silence) != 0 || opt.silence <= 0)
			bi_usage_error(usage, "--for: a duration (90s, 1h), not %s", optarg);
		break;
	case 'h': bi_help(usage);
	case 'V': bi_version();
	default: bi_usage_error(usage, NULL);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'}, {"model", required_argument, NULL, 'm'},
		{"api", required_argument, NULL, 'A'}, {"base-url", required_argument, NULL, 'U'},
		{"allow-remote", no_argument, NULL, 'R'}, {"max-steps", required_argument, NULL, 'S'},
		{"max-tokens", required_argument, NULL, 'T'}, {"revision", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'J'}, {"no-tests", no_argument, NULL, 'N'}, {"db", required_argument, NULL, 'D'},
		{"runbooks", required_argument, NULL, 'B'}, {"for", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	const char *api = NULL, *base = NULL;
	int c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "+n:m:r:h", opts, NULL)) != -1) {
		option(c, &api, &base);
	}
	if (optind >= argc)
		bi_usage_error(usage, "no command");
	const char *cmd = argv[optind++];
	/* Options may follow the command and its words too. */
	char *words[3] = {0};
	int nw = 0;
	while (optind < argc) {
		if ((c = getopt_long(argc, argv, "+n:m:r:h", opts, NULL)) == -1) {
			if (nw == 3)
				bi_usage_error(usage, "%s: too many words", cmd);
			words[nw++] = argv[optind++];
			continue;
		}
		option(c, &api, &base);
	}
	static const struct {
		const char *cmd;
		int words, more;	/* the words it takes, and how many more it may */
		int (*run)(char **w);
	} cmds[] = {
		{"hire", 1, 0, hire}, {"fire", 1, 0, fire}, {"list", 0, 0, list}, {"roles", 0, 0, roles},
		{"assign", 2, 0, assign}, {"revise", 2, 0, revise}, {"status", 1, 0, status},
		{"review", 1, 0, review}, {"accept", 1, 0, accept}, {"reject", 1, 1, reject},
		{"watch", 0, 0, watch}, {"silence", 1, 0, silence}, {"investigate", 1, 0, investigate}};
	int k = -1;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(cmd, cmds[i].cmd))
			k = (int)i;
	if (k < 0)
		bi_usage_error(usage, "no command %s", cmd);
	if (nw < cmds[k].words || nw > cmds[k].words + cmds[k].more)
		bi_usage_error(usage, "%s takes %d argument%s", cmd, cmds[k].words, cmds[k].words == 1 ? "" : "s");
	if (!strcmp(cmd, "hire") && !opt.name)
		bi_usage_error(usage, "hire: --name N names the agent");
	if (opt.name && strcmp(cmd, "hire") && strcmp(cmd, "investigate"))
		bi_usage_error(usage, "--name is for hire and investigate");
	if (opt.no_tests && strcmp(cmd, "accept"))
		bi_usage_error(usage, "--no-tests is for accept");
	configure(api, base);
	if (!(root = bi_project_dir()) && !(root = getcwd(NULL, 0)))
		bi_die(BI_EXIT_LOCAL, "the working directory:");
	char *path = opt.db_path ? bi_strdup(opt.db_path) : bi_store_path(), err[1024];
	opt.db_path = path;
	if (!(db = bi_agentdb_open(path, err, sizeof err)))
		bi_die(BI_EXIT_LOCAL, "%s", err);

	int code = cmds[k].run(words);
	bi_write_flush();
	bi_fshut(stdout, "stdout");
	sqlite3_close(db);
	free(path);
	free(root);
	free((char *)opt.llm.base);
	free((char *)opt.llm.auth);
	jv_free(opt.cfg);
	return code;
}
