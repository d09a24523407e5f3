/*
 * agent.c: an agent's conversation with its model, through tool calls.
 *
 * Both APIs are asked the same way, without streaming: the messages and
 * the tools in OpenAI's function form (which Ollama takes too). The reply
 * differs: Ollama's message carries tool_calls whose arguments are an
 * object and which have no id; OpenAI's sits in choices[0].message, its
 * arguments a JSON string, each call with an id that the tool's answer
 * must name. bi_agent_parse_reply makes one list of calls of both (pure,
 * so it is fuzzed); bi_agent_tool_msg answers in each API's form.
 *
 * The loop: ask, do each call (agenttool.c), answer it, ask again, until
 * the model calls finish or a bound is reached. A step is one request to
 * the model; a reply without a tool call is a step too (the model is
 * reminded that only tools act), so a model that never finishes stops at
 * the step limit, and one that talks at length at the token budget.
 *
 * Layer: analysis.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/agent.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "analysis/llm.h"
#include "analysis/agenttool.h"

static const char specs[] =
"[{\"name\":\"list_files\",\"description\":\"List a folder of the project (one level; folders end in /).\","
"\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"description\":\"relative to the project; default .\"}}}},"
"{\"name\":\"read_file\",\"description\":\"Read a text file of the project, with line numbers from start_line.\","
"\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"start_line\":{\"type\":\"integer\"},"
"\"max_lines\":{\"type\":\"integer\"}},\"required\":[\"path\"]}},"
"{\"name\":\"search_files\",\"description\":\"Find a text in the project's files: path:line: text, at most 100.\","
"\"parameters\":{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"},\"path\":{\"type\":\"string\"}},"
"\"required\":[\"pattern\"]}},"
"{\"name\":\"git_log\",\"description\":\"The latest commits.\",\"parameters\":{\"type\":\"object\","
"\"properties\":{\"count\":{\"type\":\"integer\"}}}},"
"{\"name\":\"git_status\",\"description\":\"Files changed, staged or untracked.\",\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
"{\"name\":\"git_diff\",\"description\":\"The working tree's diff against HEAD.\",\"parameters\":{\"type\":\"object\","
"\"properties\":{\"path\":{\"type\":\"string\"}}}},"
"{\"name\":\"run_tests\",\"description\":\"Run the project's tests on the current tree: output and exit status.\","
"\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
"{\"name\":\"query\",\"description\":\"The project's stored records: logs, metrics, findings, incidents, chaos and perf results.\","
"\"parameters\":{\"type\":\"object\",\"properties\":{\"kind\":{\"type\":\"string\",\"enum\":[\"log\",\"metric\",\"stats\","
"\"container\",\"health\",\"alert\",\"finding\",\"incident\",\"chaos\",\"score\",\"perf_summary\",\"comparison\"]},"
"\"service\":{\"type\":\"string\"},\"grep\":{\"type\":\"string\",\"description\":\"logs: whole words\"},"
"\"since\":{\"type\":\"string\",\"description\":\"a duration ago, e.g. 1h\"},\"limit\":{\"type\":\"integer\"}},\"required\":[\"kind\"]}},"
"{\"name\":\"propose_change\",\"description\":\"Propose a new text for a file: the whole file as content, or a unified "
"diff. Nothing is written until a person accepts.\",\"parameters\":{\"type\":\"object\",\"properties\":{"
"\"path\":{\"type\":\"string\"},\"content\":{\"type\":\"string\"},\"diff\":{\"type\":\"string\"},"
"\"reason\":{\"type\":\"string\"}},\"required\":[\"path\"]}},"
"{\"name\":\"finish\",\"description\":\"End the task: a summary of the plan and the changes proposed, for the person who reviews them.\","
"\"parameters\":{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}},\"required\":[\"summary\"]}}]";

jv
bi_agent_tool_specs(void)
{
	jv fns = jv_parse(specs), out = jv_array();

	jv_array_foreach(fns, i, f)
		out = jv_array_append(out, bi_set(bi_set(jv_object(), "type", jv_string("function")),
						  "function", f));
	jv_free(fns);
	return out;
}

/* ---- a reply ---- */

static long
count(jv v, const char *path)
{
	jv n = bi_jv_path(v, path);
	double d = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : -1;
	jv_free(n);
	return d >= 0 && d < 1e15 ? (long)d : -1;
}

int
bi_agent_parse_reply(int api, const char *body, size_t len, bi_agent_reply *r, char *err, size_t n)
{
	*r = (bi_agent_reply){.message = jv_null(), .calls = jv_array(), .tokens = -1};
	if (len > (size_t)INT32_MAX)
		return bi_errf(err, n, "a reply too large");
	jv v = jv_parse_sized(body, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return bi_errf(err, n, "a reply that is not a JSON object: %.*s", bi_line_span(body, len, 160), body);
	}
	jv e = jv_object_get(jv_copy(v), jv_string("error"));
	if (jv_is_valid(e) && jv_get_kind(e) != JV_KIND_NULL) {
		jv m = jv_get_kind(e) == JV_KIND_OBJECT ? jv_object_get(jv_copy(e), jv_string("message")) : jv_copy(e);
		jv d = jv_get_kind(m) == JV_KIND_STRING ? jv_copy(m) : jv_dump_string(jv_copy(e), 0);
		bi_errf(err, n, "the server reports: %s", jv_string_value(d));
		jv_free(d);
		jv_free(m);
		jv_free(e);
		jv_free(v);
		return -1;
	}
	jv_free(e);
	jv msg;
	if (api == BI_LLM_OLLAMA) {
		msg = jv_object_get(jv_copy(v), jv_string("message"));
		long p = count(v, "prompt_eval_count"), a = count(v, "eval_count");
		if (p >= 0 || a >= 0)
			r->tokens = (p > 0 ? p : 0) + (a > 0 ? a : 0);
	} else {
		jv ch = jv_object_get(jv_copy(v), jv_string("choices"));
		jv first = jv_get_kind(ch) == JV_KIND_ARRAY ? jv_array_get(jv_copy(ch), 0) : jv_invalid();
		msg = jv_get_kind(first) == JV_KIND_OBJECT ? jv_object_get(first, jv_string("message")) :
			(jv_free(first), jv_invalid());
		jv_free(ch);
		r->tokens = count(v, "usage.total_tokens");
		if (r->tokens < 0 && (count(v, "usage.prompt_tokens") >= 0 || count(v, "usage.completion_tokens") >= 0))
			r->tokens = (count(v, "usage.prompt_tokens") > 0 ? count(v, "usage.prompt_tokens") : 0) +
				(count(v, "usage.completion_tokens") > 0 ? count(v, "usage.completion_tokens") : 0);
	}
	jv_free(v);
	if (jv_get_kind(msg) != JV_KIND_OBJECT) {
		jv_free(msg);
		return bi_errf(err, n, "a reply without a message: %.*s", bi_line_span(body, len, 160), body);
	}
	const char *text = bi_get_str(msg, "content");
	if (text && *text)
		r->content = bi_strdup(text);
	jv calls = jv_object_get(jv_copy(msg), jv_string("tool_calls"));
	if (jv_get_kind(calls) == JV_KIND_ARRAY) {
		jv_array_foreach(calls, i, c) {
			jv fn = jv_get_kind(c) == JV_KIND_OBJECT ? jv_object_get(jv_copy(c), jv_string("function")) :
				jv_invalid();
			const char *name = jv_get_kind(fn) == JV_KIND_OBJECT ? bi_get_str(fn, "name") : NULL;
			if (name && i < BI_AGENT_CALLS_MAX) {
				jv args = jv_object_get(jv_copy(fn), jv_string("arguments"));
				if (jv_get_kind(args) == JV_KIND_STRING) {
					/* OpenAI's: a JSON text; kept as it came when it is no object */
					jv p = jv_parse(jv_string_value(args));
					if (jv_get_kind(p) == JV_KIND_OBJECT) {
						jv_free(args);
						args = p;
					} else {
						jv_free(p);
					}
				} else if (jv_get_kind(args) == JV_KIND_NULL || !jv_is_valid(args)) {
					jv_free(args);
					args = jv_object();
				}
				const char *id = bi_get_str(c, "id");
				jv call = bi_set(bi_set(jv_object(), "name", jv_string(name)), "args", args);
				call = bi_set(call, "id", id ? jv_string(id) : jv_string_fmt("call_%d", i));
				r->calls = jv_array_append(r->calls, call);
			}
			jv_free(fn);
			jv_free(c);
		}
	}
	jv_free(calls);
	/* What goes back: the role, the text and the calls, as came. */
	jv back = bi_set(jv_object(), "role", jv_string("assistant"));
	back = bi_set(back, "content", jv_string(r->content ? r->content : ""));
	jv tc = jv_object_get(jv_copy(msg), jv_string("tool_calls"));
	if (jv_get_kind(tc) == JV_KIND_ARRAY && jv_array_length(jv_copy(tc)) > 0)
		back = bi_set(back, "tool_calls", tc);
	else
		jv_free(tc);
	jv_free(msg);
	r->message = back;
	return 0;
}

void
bi_agent_reply_free(bi_agent_reply *r)
{
	jv_free(r->message);
	jv_free(r->calls);
	free(r->content);
	*r = (bi_agent_reply){.message = jv_null(), .calls = jv_null(), .tokens = -1};
}

jv
bi_agent_tool_msg(int api, jv call, const char *content)
{
	jv m = bi_set(bi_set(jv_object(), "role", jv_string("tool")), "content", jv_string(content));
	const char *v = bi_get_str(call, api == BI_LLM_OLLAMA ? "name" : "id");

	return bi_set(m, api == BI_LLM_OLLAMA ? "tool_name" : "tool_call_id", jv_string(v ? v : ""));
}

char *
bi_agent_ask(const bi_llm *c, const char *model, jv messages, volatile sig_atomic_t *stop,
	     bi_agent_reply *r, int *down)
{
	const char *hdrs[] = {c->auth, NULL};
	int ollama = c->api == BI_LLM_OLLAMA;
	char *url = bi_asprintf("%s%s", c->base, ollama ? "/api/chat" : "/v1/chat/completions");
	jv body = bi_set(bi_set(jv_object(), "model", jv_string(model)), "messages", jv_copy(messages));
	body = bi_set(bi_set(body, "tools", bi_agent_tool_specs()), "stream", jv_false());
	if (ollama && c->budget > 0)
		body = bi_set(body, "options", bi_set(jv_object(), "num_ctx", jv_number((double)c->budget)));
	jv text = jv_dump_string(body, 0);
	bi_http_req req = {.url = url, .body = jv_string_value(text), .headers = hdrs,
			   .timeout_ms = 600000, .connect_timeout_ms = 3000, .stop = (const volatile int *)stop};
	bi_http_resp resp;
	char *err = NULL, why[512];

	*down = 0;
	*r = (bi_agent_reply){.message = jv_null(), .calls = jv_null(), .tokens = -1};
	if (bi_http(&req, &resp) != 0) {
		*down = resp.status == 0;
		err = bi_asprintf("no answer from %s: %s", url, resp.error);
	} else if (resp.stopped) {
		err = bi_strdup("interrupted");
	} else if (resp.status == 404 && ollama) {
		err = bi_asprintf("model %s is not installed at %s; run: ollama pull %s", model, c->base, model);
	} else if (bi_agent_parse_reply(c->api, resp.body.p ? resp.body.p : "", resp.body.len, r, why,
					sizeof why) != 0) {
		err = bi_asprintf("%s: HTTP %ld: %s", url, resp.status, why);
	} else if (resp.status < 200 || resp.status > 299) {
		err = bi_asprintf("%s: HTTP %ld", url, resp.status);
	} else if (r->tokens < 0) {
		r->tokens = (long)((jv_string_length_bytes(jv_copy(text)) + resp.body.len) / 4);
	}
	bi_http_resp_free(&resp);
	jv_free(text);
	free(url);
	return err;
}

/* ---- the loop ---- */

int
bi_agent_loop(bi_agent_run *t, char **err)
{
	int api = t->llm->api;

	*err = NULL;
	if (!t->env->stop)	/* the tools' commands end on the same signal */
		t->env->stop = t->stop;
	while (!t->env->finished) {
		if (t->stop && *t->stop)
			return BI_AGENT_STOPPED;
		if (t->steps >= t->max_steps)
			return BI_AGENT_STEP_LIMIT;
		if (t->tokens >= t->max_tokens)
			return BI_AGENT_TOKEN_LIMIT;
		bi_agent_reply r;
		t->steps++;
		if ((*err = bi_agent_ask(t->llm, t->model, t->messages, t->stop, &r, &t->down))) {
			bi_agent_reply_free(&r);
			if (t->stop && *t->stop) {
				free(*err);
				*err = NULL;
				return BI_AGENT_STOPPED;
			}
			return BI_AGENT_FAILED;
		}
		t->tokens += r.tokens;
		t->messages = jv_array_append(t->messages, jv_copy(r.message));
		if (jv_array_length(jv_copy(r.calls)) == 0) {
			jv none = bi_set(bi_set(jv_object(), "name", jv_string("(none)")), "args", jv_object());
			const char *say = "Only tools act: call a tool, propose_change, or finish.";
			if (t->on_step)
				t->on_step(t->ctx, t->steps, none, r.content ? r.content : "", 1);
			jv_free(none);
			t->messages = jv_array_append(t->messages, bi_llm_msg("user", jv_string(say)));
		}
		jv_array_foreach(r.calls, i, call) {
			int bad;
			const char *name = bi_get_str(call, "name");
			jv args = jv_object_get(jv_copy(call), jv_string("args"));
			char *res = bi_agent_tool(t->env, name, args, &bad);
			jv_free(args);
			if (t->on_step)
				t->on_step(t->ctx, t->steps, call, res, bad);
			char *text = bad ? bi_asprintf("error: %s", res) : NULL;
			t->messages = jv_array_append(t->messages, bi_agent_tool_msg(api, call, text ? text : res));
			free(text);
			free(res);
			jv_free(call);
		}
		bi_agent_reply_free(&r);
	}
	return BI_AGENT_FINISHED;
}

/* ---- roles and runbooks ---- */

/* The installed templates: $BI_TEMPLATES, else beside the executable
 * (a source tree's templates/, an installed share/blissful-infra/templates). */
static char *
templates_dir(void)
{
	const char *env = getenv("BI_TEMPLATES");
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (env && *env)
		return bi_strdup(env);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		const char *tries[] = {"%s/../templates", "%s/../share/blissful-infra/templates"};
		for (int i = 0; i < 2; i++) {
			char *d = bi_asprintf(tries[i], exe), *a = bi_asprintf("%s/agents", d);
			int there = access(a, F_OK) == 0;
			free(a);
			if (there)
				return d;
			free(d);
		}
	}
	return bi_strdup("/usr/local/share/blissful-infra/templates");
}

char *
bi_agent_file(const char *root, const char *name, char **looked)
{
	char *t = templates_dir();
	char *tries[] = {bi_asprintf("%s/.blissful-infra/agents/%s", root, name),
			 bi_asprintf("%s/agents/%s", t, name)};
	char *found = NULL;

	for (int i = 0; i < 2; i++) {
		if (!found && access(tries[i], R_OK) == 0)
			found = tries[i];
		else
			free(tries[i]);
	}
	if (looked)
		*looked = bi_asprintf("%s/.blissful-infra/agents or %s/agents", root, t);
	free(t);
	return found;
}
