/* test-agent: replies of both APIs' tool calling taken apart, the answers
 * to calls in each API's form, the tools offered. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/llm.h"
#include "analysis/agent.h"
#include "tap.h"

static char *
calls(jv c)
{
	jv d = jv_dump_string(jv_copy(c), JV_PRINT_SORTED);
	char *s = bi_strdup(jv_string_value(d));
	jv_free(d);
	return s;
}

static int
parse(int api, const char *body, bi_agent_reply *r, char *err, size_t n)
{
	return bi_agent_parse_reply(api, body, strlen(body), r, err, n);
}

int
main(void)
{
	bi_agent_reply r;
	char err[512], *s;

	plan(21);
	bi_init("test-agent");

	/* Ollama: arguments an object, no id, counts of both sides. */
	ok(parse(BI_LLM_OLLAMA, "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
		 "\"tool_calls\":[{\"function\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}}]},"
		 "\"done\":true,\"prompt_eval_count\":30,\"eval_count\":12}", &r, err, sizeof err) == 0,
	   "Ollama: a reply with a call");
	is_str(s = calls(r.calls), "[{\"args\":{\"path\":\"a\"},\"id\":\"call_0\",\"name\":\"read_file\"}]",
	       "the call, an id made for it");
	free(s);
	is_num(r.tokens, 42, "tokens: the prompt's and the answer's");
	ok(r.content == NULL, "no text");
	is_str(s = calls(r.message), "{\"content\":\"\",\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
	       "{\"arguments\":{\"path\":\"a\"},\"name\":\"read_file\"}}]}", "the message to send back");
	free(s);
	bi_agent_reply_free(&r);

	/* OpenAI: arguments a JSON text, ids, usage. */
	ok(parse(BI_LLM_OPENAI, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
		 "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"git_log\","
		 "\"arguments\":\"{\\\"count\\\":3}\"}},{\"id\":\"c2\",\"type\":\"function\",\"function\":"
		 "{\"name\":\"finish\",\"arguments\":\"not json\"}}]},\"finish_reason\":\"tool_calls\"}],"
		 "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}", &r, err,
		 sizeof err) == 0, "OpenAI: a reply with two calls");
	is_str(s = calls(r.calls), "[{\"args\":{\"count\":3},\"id\":\"c1\",\"name\":\"git_log\"},"
	       "{\"args\":\"not json\",\"id\":\"c2\",\"name\":\"finish\"}]",
	       "arguments parsed; those that are no object kept as they came");
	free(s);
	is_num(r.tokens, 12, "tokens: usage.total_tokens");
	bi_agent_reply_free(&r);

	ok(parse(BI_LLM_OPENAI, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"thinking\"}}],"
		 "\"usage\":{\"prompt_tokens\":5}}", &r, err, sizeof err) == 0 &&
	   jv_array_length(jv_copy(r.calls)) == 0 && !strcmp(r.content, "thinking") && r.tokens == 5,
	   "text and no call; the tokens counted as they can be");
	bi_agent_reply_free(&r);

	bi_buf many = {0};
	bi_buf_adds(&many, "{\"message\":{\"tool_calls\":[");
	for (int i = 0; i < 20; i++)
		bi_buf_printf(&many, "%s{\"function\":{\"name\":\"list_files\"}}", i ? "," : "");
	bi_buf_adds(&many, "]}}");
	ok(parse(BI_LLM_OLLAMA, many.p, &r, err, sizeof err) == 0 &&
	   jv_array_length(jv_copy(r.calls)) == BI_AGENT_CALLS_MAX, "at most %d calls a reply", BI_AGENT_CALLS_MAX);
	bi_agent_reply_free(&r);
	bi_buf_free(&many);
	ok(parse(BI_LLM_OLLAMA, "{\"message\":{\"tool_calls\":[1,{\"function\":{}},{\"function\":{\"name\":7}},"
		 "{\"function\":{\"name\":\"finish\",\"arguments\":null}}]}}", &r, err, sizeof err) == 0 &&
	   !strcmp((s = calls(r.calls)), "[{\"args\":{},\"id\":\"call_3\",\"name\":\"finish\"}]"),
	   "calls without a name are dropped; null arguments are none");
	free(s);
	bi_agent_reply_free(&r);

	/* Errors. */
	ok(parse(BI_LLM_OLLAMA, "{\"error\":\"model is loading\"}", &r, err, sizeof err) != 0 &&
	   !strcmp(err, "the server reports: model is loading"), "Ollama's error");
	bi_agent_reply_free(&r);
	ok(parse(BI_LLM_OPENAI, "{\"error\":{\"message\":\"bad key\",\"type\":\"x\"}}", &r, err, sizeof err) != 0 &&
	   !strcmp(err, "the server reports: bad key"), "OpenAI's error");
	bi_agent_reply_free(&r);
	ok(parse(BI_LLM_OPENAI, "{\"choices\":[]}", &r, err, sizeof err) != 0 && strstr(err, "without a message"),
	   "no message");
	bi_agent_reply_free(&r);
	ok(parse(BI_LLM_OLLAMA, "[1,2]", &r, err, sizeof err) != 0 && strstr(err, "not a JSON object"),
	   "not an object");
	bi_agent_reply_free(&r);
	ok(bi_agent_parse_reply(BI_LLM_OLLAMA, "{\"message\":{}}\0junk", 19, &r, err, sizeof err) != 0,
	   "bytes after the object");
	bi_agent_reply_free(&r);

	/* Answers to calls. */
	jv call = jv_parse("{\"id\":\"c9\",\"name\":\"read_file\",\"args\":{}}");
	jv m = bi_agent_tool_msg(BI_LLM_OPENAI, call, "text");
	is_str(s = calls(m), "{\"content\":\"text\",\"role\":\"tool\",\"tool_call_id\":\"c9\"}", "OpenAI: by the call's id");
	free(s);
	jv_free(m);
	m = bi_agent_tool_msg(BI_LLM_OLLAMA, call, "text");
	is_str(s = calls(m), "{\"content\":\"text\",\"role\":\"tool\",\"tool_name\":\"read_file\"}", "Ollama: by the tool's name");
	free(s);
	jv_free(m);
	jv_free(call);

	/* The tools offered. */
	jv t = bi_agent_tool_specs();
	is_num(jv_array_length(jv_copy(t)), 10, "ten tools");
	jv names = jv_array();
	int typed = 1;
	jv_array_foreach(t, i, f) {
		jv n = bi_jv_path(f, "function.name");
		names = jv_array_append(names, n);
		typed &= !strcmp(bi_get_text(f, "type", ""), "function");
		jv p = bi_jv_path(f, "function.parameters.type");
		typed &= jv_get_kind(p) == JV_KIND_STRING && !strcmp(jv_string_value(p), "object");
		jv_free(p);
		jv_free(f);
	}
	ok(typed, "each a function with an object's parameters");
	is_str(s = calls(names), "[\"list_files\",\"read_file\",\"search_files\",\"git_log\",\"git_status\","
	       "\"git_diff\",\"run_tests\",\"query\",\"propose_change\",\"finish\"]", "their names");
	free(s);
	jv_free(names);
	jv_free(t);
	return done();
}
