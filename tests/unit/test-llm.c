/* test-llm: the stream parsers (NDJSON and SSE; whole, split at every byte,
 * a byte at a time; malformed chunks, error lines, [DONE]), the choice of a
 * model, base URLs (and the addresses refused) and the loopback check, and
 * the conversation's trimming. No server: everything here is pure. (The
 * context is test-context's.) */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/llm.h"
#include "tap.h"

/* ---- one line ---- */

static int
parse(int api, const char *line, bi_llm_chunk *c)
{
	return bi_llm_chunk_parse(api, line, strlen(line), c);
}

static void
lines(void)
{
	bi_llm_chunk c;
	int k;

	k = parse(BI_LLM_OLLAMA, "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}", &c);
	ok(k == BI_LLM_DATA && c.text && !strcmp(c.text, "Hel") && !c.done && !c.counted,
	   "ollama: a chunk of text");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"message\":{\"content\":\"\"},\"done\":true,\"eval_count\":42}\r", &c);
	ok(k == BI_LLM_DATA && !c.text && c.done && c.counted && c.tokens == 42,
	   "ollama: the final chunk, with its eval_count (and a '\\r')");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"message\":{\"content\":\"end\"},\"done\":true}", &c);
	ok(k == BI_LLM_DATA && !strcmp(c.text, "end") && c.done && !c.counted,
	   "ollama: a final chunk with text and no count");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"done\":true,\"eval_count\":1e300}", &c);
	ok(k == BI_LLM_DATA && c.tokens == LONG_MAX, "ollama: a count out of range is clamped");
	k = parse(BI_LLM_OLLAMA, "{\"message\":{\"content\":\"\\u0000x\"}}", &c);
	ok(k == BI_LLM_DATA && c.text && !*c.text, "ollama: text from a NUL on is dropped, the chunk kept");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"error\":\"an error was encountered: unexpected EOF\"}", &c);
	is_str(k == BI_LLM_ERROR ? c.text : "(not an error)", "an error was encountered: unexpected EOF",
	       "ollama: the error line in mid-stream");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"error\":{\"message\":\"boom\",\"type\":\"x\"}}", &c);
	is_str(k == BI_LLM_ERROR ? c.text : "(not an error)", "boom", "an error object: its message");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"error\":42}", &c);
	is_str(k == BI_LLM_ERROR ? c.text : "(not an error)", "42", "an error of another kind: as JSON");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OLLAMA, "{\"error\":null,\"message\":{\"content\":\"ok\"}}", &c);
	ok(k == BI_LLM_DATA && !strcmp(c.text, "ok"), "\"error\": null is no error");
	bi_llm_chunk_free(&c);
	const char *cut = "{\"model\":\"m\",\"message\":{\"content\":\"x\"";
	k = parse(BI_LLM_OLLAMA, cut, &c);
	ok(k == BI_LLM_MALFORMED && c.data == cut && c.len == strlen(cut) && !c.text,
	   "ollama: a cut chunk is malformed, its bytes given");
	ok(parse(BI_LLM_OLLAMA, "[1,2]", &c) == BI_LLM_MALFORMED, "a chunk that is not an object is malformed");
	ok(parse(BI_LLM_OLLAMA, "\r", &c) == BI_LLM_NONE, "a blank line says nothing");
	ok(parse(BI_LLM_OLLAMA, "data: {\"x\":1}", &c) == BI_LLM_MALFORMED, "ollama does not speak SSE");

	k = parse(BI_LLM_OPENAI, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Po\"}}]}", &c);
	ok(k == BI_LLM_DATA && !strcmp(c.text, "Po") && !c.done, "openai: a data: event with a delta");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OPENAI, "data:{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}", &c);
	ok(k == BI_LLM_DATA && !strcmp(c.text, "x"), "openai: data: without a space");
	bi_llm_chunk_free(&c);
	k = parse(BI_LLM_OPENAI, "data: {\"choices\":[],\"usage\":{\"completion_tokens\":7}}", &c);
	ok(k == BI_LLM_DATA && !c.text && c.counted && c.tokens == 7, "openai: usage counts the tokens");
	k = parse(BI_LLM_OPENAI, "data: [DONE]\r", &c);
	ok(k == BI_LLM_DATA && c.done && !c.text, "openai: data: [DONE] ends the answer");
	ok(parse(BI_LLM_OPENAI, "data: [DONE] ", &c) == BI_LLM_MALFORMED, "... exactly [DONE]");
	ok(parse(BI_LLM_OPENAI, ": keep-alive", &c) == BI_LLM_NONE, "openai: a comment says nothing");
	k = parse(BI_LLM_OPENAI, "event: message", &c);
	ok(k == BI_LLM_OTHER && c.len == 14, "openai: a line that is no data: is other");
	k = parse(BI_LLM_OPENAI, "data: {not json", &c);
	ok(k == BI_LLM_MALFORMED && c.len == 9 && !memcmp(c.data, "{not json", 9),
	   "openai: a malformed event, its payload given");
	k = parse(BI_LLM_OPENAI, "data: {\"error\":{\"message\":\"unexpected EOF\",\"type\":\"api_error\"}}", &c);
	is_str(k == BI_LLM_ERROR ? c.text : "(not an error)", "unexpected EOF", "openai: an error event");
	bi_llm_chunk_free(&c);
	ok(parse(BI_LLM_OPENAI, "data: {\"choices\":\"x\"}", &c) == BI_LLM_DATA && !c.text,
	   "openai: choices of the wrong kind carry no text");
}

/* ---- a whole stream ---- */

struct got {
	bi_buf pieces;
};

static void
on_text(void *ctx, const char *text, size_t n)
{
	struct got *g = ctx;
	bi_buf_add(&g->pieces, text, n);
	bi_buf_add(&g->pieces, "|", 1);
}

/* Feed body in pieces: cut at `at` (0: whole), or a byte at a time (at < 0);
 * the outcome in one line. */
static char *
run(int api, const char *body, long at)
{
	struct got g = {{0}};
	bi_llm_stream s = {.api = api, .on_text = on_text, .ctx = &g};
	size_t n = strlen(body);

	if (at < 0)
		for (size_t i = 0; i < n; i++)
			bi_llm_stream_feed(&s, body + i, 1);
	else {
		bi_llm_stream_feed(&s, body, (size_t)at);
		bi_llm_stream_feed(&s, body + at, n - (size_t)at);
	}
	bi_llm_stream_end(&s);
	char *out = bi_asprintf("text=%s pieces=%s done=%d tokens=%ld chunks=%ld error=%s other=%s",
				s.text.p ? s.text.p : "", g.pieces.p ? g.pieces.p : "", s.done, s.tokens,
				s.chunks, s.error ? s.error : "-", s.other.p ? s.other.p : "");
	bi_llm_stream_free(&s);
	bi_buf_free(&g.pieces);
	return out;
}

/* The outcome of body, whole; and whether every way of cutting it agrees. */
static void
stream(int api, const char *body, const char *want, const char *name)
{
	char *whole = run(api, body, 0);
	long n = (long)strlen(body), bad = -2;

	is_str(whole, want, "%s", name);
	for (long at = -1; at <= n && bad == -2; at++) {
		char *cut = run(api, body, at);
		if (strcmp(cut, whole))
			bad = at;
		free(cut);
	}
	ok(bad == -2, "... the same split at every byte, and a byte at a time (differs at %ld)", bad);
	free(whole);
}

static void
streams(void)
{
	stream(BI_LLM_OLLAMA,
	       "{\"message\":{\"content\":\"one \"},\"done\":false}\n"
	       "{\"message\":{\"content\":\"two\"},\"done\":false}\n"
	       "{\"message\":{\"content\":\"\"},\"done\":true,\"eval_count\":6}\n",
	       "text=one two pieces=one |two| done=1 tokens=6 chunks=2 error=- other=",
	       "ollama: NDJSON chunks, then done with eval_count");
	stream(BI_LLM_OLLAMA,
	       "{\"message\":{\"content\":\"a\"}}\r\n\r\n{\"message\":{\"content\":\"b\"},\"done\":true}",
	       "text=ab pieces=a|b| done=1 tokens=2 chunks=2 error=- other=",
	       "ollama: CRLF, a blank line, a last line without '\\n', no count: chunks");
	stream(BI_LLM_OLLAMA,
	       "{\"message\":{\"content\":\"one \"}}\n{\"model\":\"m\",\"message\":{\"content\":\"x\"\n"
	       "{\"message\":{\"content\":\"two\"}}\n{\"done\":true}\n",
	       "text=one two pieces=one |two| done=1 tokens=2 chunks=2 error=- other=",
	       "ollama: a malformed chunk is skipped, the rest kept");
	stream(BI_LLM_OLLAMA,
	       "{\"message\":{\"content\":\"one \"}}\n{\"error\":\"unexpected EOF\"}\n"
	       "{\"message\":{\"content\":\"never\"}}\n",
	       "text=one  pieces=one | done=0 tokens=0 chunks=1 error=unexpected EOF other=",
	       "ollama: the error line stops the stream");
	stream(BI_LLM_OLLAMA, "{\"message\":{\"content\":\"a\"}}\n",
	       "text=a pieces=a| done=0 tokens=0 chunks=1 error=- other=",
	       "ollama: no final chunk: not done");
	stream(BI_LLM_OPENAI,
	       "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Postgres \"}}]}\n\n"
	       ": ping\n\n"
	       "data: {\"choices\":[{\"delta\":{\"content\":\"is down.\"}}]}\n\n"
	       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"completion_tokens\":3}}\n\n"
	       "data: [DONE]\n\n",
	       "text=Postgres is down. pieces=Postgres |is down.| done=1 tokens=3 chunks=2 error=- other=",
	       "openai: SSE events up to data: [DONE]");
	stream(BI_LLM_OPENAI,
	       "data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\r\n\r\n"
	       "data: {not json\r\n\r\n"
	       "data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\r\n\r\ndata: [DONE]",
	       "text=one two pieces=one |two| done=1 tokens=0 chunks=2 error=- other=",
	       "openai: CRLF, a malformed event skipped, [DONE] without '\\n'");
	stream(BI_LLM_OPENAI,
	       "data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\n\n"
	       "data: {\"error\":{\"message\":\"unexpected EOF\"}}\n\n"
	       "data: [DONE]\n\n",
	       "text=one  pieces=one | done=0 tokens=0 chunks=1 error=unexpected EOF other=",
	       "openai: an error event stops the stream");
	stream(BI_LLM_OPENAI,
	       "{\n  \"error\": {\"message\": \"invalid api key\"}\n}\n",
	       "text= pieces= done=0 tokens=0 chunks=0 error=- other={  \"error\": {\"message\": \"invalid api key\"}}",
	       "openai: a reply that is no stream is kept as other");
}

static void
stopping(void)
{
	volatile sig_atomic_t stop = 0;
	bi_llm_stream s = {.api = BI_LLM_OLLAMA, .stop = &stop};
	const char *a = "{\"message\":{\"content\":\"a\"}}\n", *b = "{\"message\":{\"content\":\"b\"}}\n";

	ok(bi_llm_stream_feed(&s, a, strlen(a)) == 0, "stop: a chunk is read");
	stop = 1;
	ok(bi_llm_stream_feed(&s, b, strlen(b)) != 0 && s.chunks == 1, "... and once stop is set, no more");
	stop = 0;
	ok(bi_llm_stream_feed(&s, b, strlen(b)) != 0 && s.chunks == 1, "... ever: the stream has stopped");
	bi_llm_stream_free(&s);
}

/* ---- models ---- */

static jv
names(const char *list)
{
	jv a = jv_array();
	char *s = bi_strdup(list), *save = NULL;

	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
		a = jv_array_append(a, jv_string(t));
	free(s);
	return a;
}

static const char *
choose(const char *have, const char *prefs)
{
	static char out[256];
	jv h = names(have), p = names(prefs);
	char *absent, *m = bi_llm_choose(h, p, &absent);

	snprintf(out, sizeof out, "%s (absent: %s)", m ? m : "none", absent ? absent : "none");
	free(m);
	free(absent);
	jv_free(h);
	jv_free(p);
	return out;
}

static const char *
find(const char *have, const char *want)
{
	static char out[256];
	jv h = names(have);
	char *m = bi_llm_find_model(h, want);

	snprintf(out, sizeof out, "%s", m ? m : "none");
	free(m);
	jv_free(h);
	return out;
}

static void
models(void)
{
	const char *prefs = "llama3.1:70b,llama3.1:8b,llama3:70b,llama3:8b";

	is_str(find("llama3.1:8b,llama3:8b", "llama3:8b"), "llama3:8b", "find: the same name");
	is_str(find("mistral:latest,phi3:mini", "mistral"), "mistral:latest", "find: NAME is NAME:latest");
	is_str(find("phi3:mini", "phi3"), "none", "... and no other tag");
	is_str(find("llama3.1:latest", "llama3"), "none", "find: a name is not a prefix");
	is_str(find("llama3:latest", "llama3:8b"), "none", "find: a tag given must match");
	is_str(choose("llama3.1:8b,llama3:8b", prefs), "llama3.1:8b (absent: llama3.1:70b)",
	       "choose: the first preference installed, and the ones passed over");
	is_str(choose("llama3:70b,llama3.1:70b", prefs), "llama3.1:70b (absent: none)",
	       "choose: preference order, not the server's");
	is_str(choose("mistral:latest,phi3:mini", prefs),
	       "mistral:latest (absent: llama3.1:70b, llama3.1:8b, llama3:70b, llama3:8b)",
	       "choose: none preferred: the first installed");
	is_str(choose("mistral:latest", "mistral"), "mistral:latest (absent: none)",
	       "choose: a preference without a tag");
	is_str(choose("", prefs), "none (absent: llama3.1:70b, llama3.1:8b, llama3:70b, llama3:8b)",
	       "choose: nothing installed: none");
}

/* ---- where the server is ---- */

static void
servers(void)
{
	static const struct { const char *url; int local; } cases[] = {
		{"http://127.0.0.1:11434", 1}, {"http://localhost:11434/v1", 1},
		{"HTTP://LocalHost", 1}, {"http://127.9.8.7", 1}, {"http://[::1]:8080", 1},
		{"127.0.0.1:11434", 1}, {"http://user:pw@127.0.0.1/", 1},
		{"http://evil.example@127.0.0.1", 1}, {"http://127.0.0.1@evil.example", 0},
		{"http://192.0.2.1:11434", 0}, {"http://128.0.0.1", 0}, {"http://[::2]", 0},
		{"http://[::ffff:127.0.0.1]", 0}, {"http://localhost.evil.example", 0},
		{"http://127.0.0.1.evil.example", 0}, {"http://0.0.0.0", 0}, {"", 0},
		{"http://[::1", 0}, {"http://", 0}, {"127.0.0.1:11434/v1", 1}, {"[::1]:11434", 1},
		{"http://127.0.0.1:99999", 0}, {"http://local host", 0},
	};
	char big[600];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ok(bi_llm_is_local(cases[i].url) == cases[i].local, "%s is %son this machine",
		   cases[i].url, cases[i].local ? "" : "not ");
	memset(big, 'a', sizeof big - 1);
	memcpy(big, "http://", 7);
	big[sizeof big - 1] = '\0';
	ok(!bi_llm_is_local(big), "a host too long to be one is not local");
	big[7 + 260] = '\0';	/* past a host's 255 bytes, within a URL's room for one */
	ok(!bi_llm_is_local(big), "... nor one of 260 bytes");

	unsetenv("OLLAMA_HOST");
	char err[256] = "";
	char *u[11] = {
		bi_llm_base_url(BI_LLM_OLLAMA, NULL, err, sizeof err),
		bi_llm_base_url(BI_LLM_OPENAI, NULL, err, sizeof err),
		bi_llm_base_url(BI_LLM_OPENAI, "http://127.0.0.1:8080/v1/", err, sizeof err),
		bi_llm_base_url(BI_LLM_OLLAMA, "localhost:11434//", err, sizeof err),
	};
	setenv("OLLAMA_HOST", "10.0.0.5", 1);
	u[4] = bi_llm_base_url(BI_LLM_OLLAMA, NULL, err, sizeof err);
	u[5] = bi_llm_base_url(BI_LLM_OPENAI, NULL, err, sizeof err);
	setenv("OLLAMA_HOST", "[::1]", 1);
	u[6] = bi_llm_base_url(BI_LLM_OLLAMA, NULL, err, sizeof err);
	setenv("OLLAMA_HOST", "http://h:99/", 1);
	u[7] = bi_llm_base_url(BI_LLM_OLLAMA, NULL, err, sizeof err);
	u[8] = bi_llm_base_url(BI_LLM_OPENAI, "HTTPS://user:pw@LLM.example/v1", err, sizeof err);
	setenv("OLLAMA_HOST", "https://h", 1);
	u[9] = bi_llm_base_url(BI_LLM_OLLAMA, NULL, err, sizeof err);
	u[10] = bi_llm_base_url(BI_LLM_OLLAMA, "https://h", err, sizeof err);
	is_str(u[0], "http://127.0.0.1:11434", "base: Ollama's default");
	is_str(u[1], "http://127.0.0.1:8080", "base: an OpenAI-compatible server's default");
	is_str(u[2], "http://127.0.0.1:8080", "base: no trailing / or /v1");
	is_str(u[3], "http://localhost:11434", "base: a scheme added");
	is_str(u[4], "http://10.0.0.5:11434", "base: OLLAMA_HOST without a port gets 11434");
	is_str(u[5], "http://127.0.0.1:8080", "base: OLLAMA_HOST is not for the OpenAI API");
	is_str(u[6], "http://[::1]:11434", "base: an IPv6 OLLAMA_HOST");
	is_str(u[7], "http://h:99", "base: OLLAMA_HOST as a URL");
	is_str(u[8], "HTTPS://user:pw@LLM.example", "base: https, a user and password kept as written");
	is_str(u[9], "https://h:11434", "base: OLLAMA_HOST with a scheme and no port gets 11434 too");
	is_str(u[10], "https://h", "... a URL given does not");
	for (int i = 0; i < 11; i++)
		free(u[i]);

	/* Addresses that are none: refused here, not passed on to curl. */
	static const struct { const char *env, *url, *err; } bad[] = {
		{"http:///", NULL, "http:///: no host"},
		{NULL, "localhost:99999", "localhost:99999: a port is a number from 1 to 65535"},
		{NULL, "http://127.0.0.1:0/", "http://127.0.0.1:0/: a port is a number from 1 to 65535"},
		{NULL, "http://127.0.0.1:80x", "http://127.0.0.1:80x: a port is a number from 1 to 65535"},
		{"local host:11434", NULL, "local host:11434: not a host name"},
		{NULL, "http://[::1", "http://[::1: an IPv6 address without its ']'"},
		{NULL, "ftp://127.0.0.1", "ftp://127.0.0.1: not an http:// or https:// address"},
		{NULL, "", "an empty address"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (bad[i].env)
			setenv("OLLAMA_HOST", bad[i].env, 1);
		else
			unsetenv("OLLAMA_HOST");
		err[0] = '\0';
		char *b = bi_llm_base_url(BI_LLM_OLLAMA, bad[i].url, err, sizeof err);
		ok(!b && !strcmp(err, bad[i].err), "base: %s%s refused: %s", bad[i].env ? "OLLAMA_HOST=" : "",
		   bad[i].env ? bad[i].env : bad[i].url, err);
		free(b);
	}
	unsetenv("OLLAMA_HOST");
}

/* ---- the conversation ---- */

static void
conversation(void)
{
	jv m = jv_array_append(jv_array(), bi_llm_msg("system", jv_string("the context")));
	for (int i = 0; i < 4; i++) {
		m = jv_array_append(m, bi_llm_msg("user", jv_string("0123456789")));
		m = jv_array_append(m, bi_llm_msg("assistant", jv_string("0123456789")));
	}
	m = bi_llm_trim(m, 45);
	is_num(jv_array_length(jv_copy(m)), 5, "trim: the oldest exchanges go, the context stays");
	m = bi_llm_trim(m, 0);
	is_num(jv_array_length(jv_copy(m)), 3, "trim: the last exchange stays");
	jv first = jv_array_get(jv_copy(m), 0);
	is_str(bi_get_str(first, "content"), "the context", "... after the context");
	jv_free(first);
	jv_free(m);
}

int
main(void)
{
	plan(101);
	bi_init("test-llm");
	lines();
	streams();
	stopping();
	models();
	servers();
	conversation();
	return done();
}
