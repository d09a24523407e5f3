/*
 * llm.c: a client of a local LLM.
 *
 * Ollama's API (/api/tags, /api/chat streaming NDJSON chunks, the last with
 * "done") or an OpenAI-compatible one (/v1/models, /v1/chat/completions
 * streaming SSE "data:" lines up to "data: [DONE]"), the choice of a model,
 * and the check that a server is on this machine (its address taken apart
 * by base/addr, as every address is). A stream is taken apart by pure
 * functions (bytes to lines, a line to what it says), so that it can be
 * tested and fuzzed without a server. What the model is told about the
 * records is context.c's.
 *
 * Layer: analysis.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/llm.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "base/addr.h"

/* A count a server sent, as a long: NaN and numbers out of range (which
 * cannot be converted) are clamped. */
static long
to_long(double d)
{
	if (isnan(d))
		return 0;
	if (d >= (double)LONG_MAX)
		return LONG_MAX;
	if (d <= (double)LONG_MIN)
		return LONG_MIN;
	return (long)d;
}

/* ---- the server ---- */

/* text (a URL, or a bare host[:port][/path] taken as http://) taken apart
 * into u; 0, or -1 with bi_url_parse's reason, which quotes text, in err.
 * *s gets the URL, scheme included (the caller frees it). */
static int
parse_url(const char *text, bi_url *u, char **s, char *err, size_t n)
{
	int bare = !strstr(text, "://");

	*s = bare ? bi_asprintf("http://%s", text) : bi_strdup(text);
	if (!*text) {
		snprintf(err, n, "an empty address");
		return -1;
	}
	/* Without a path, a bare host[:port] is parsed as given, so that a
	 * refusal quotes it as it was written. */
	if (!bare || strchr(text, '/'))
		return bi_url_parse(*s, u, err, n);
	if (bi_url_parse(text, u, err, n) != 0)
		return -1;
	snprintf(u->scheme, sizeof u->scheme, "http");
	return 0;
}

int
bi_llm_is_local(const char *url)
{
	bi_url u;
	char err[1], *s;
	int local = parse_url(url, &u, &s, err, sizeof err) == 0 && bi_host_is_loopback(u.host);

	free(s);
	return local;
}

char *
bi_llm_base_url(int api, const char *url, char *err, size_t n)
{
	const char *env = getenv("OLLAMA_HOST");
	int from_env = !url && api == BI_LLM_OLLAMA && env && *env;
	bi_url u;
	char *s;

	if (from_env)
		url = env;
	if (!url)
		url = api == BI_LLM_OLLAMA ? "http://127.0.0.1:11434" : "http://127.0.0.1:8080";
	if (parse_url(url, &u, &s, err, n) != 0) {
		free(s);
		return NULL;
	}
	if (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")) {
		snprintf(err, n, "%s: not an http:// or https:// address", url);
		free(s);
		return NULL;
	}
	/* The URL as written (a user:password@ kept), less its path, which
	 * loses its trailing '/' and "/v1"; OLLAMA_HOST may leave the port out,
	 * as Ollama's own client allows. */
	size_t p = strlen(u.path);
	s[strlen(s) - p] = '\0';
	while (p > 0 && u.path[p - 1] == '/')
		u.path[--p] = '\0';
	if (p >= 3 && !strcmp(u.path + p - 3, "/v1"))
		u.path[p -= 3] = '\0';
	char *base = bi_asprintf("%s%s%s", s, from_env && !u.port ? ":11434" : "", u.path);
	free(s);
	return base;
}

static char *
down_message(const bi_llm *c, const char *why)
{
	int ollama = c->api == BI_LLM_OLLAMA;

	return bi_asprintf("no %s answers at %s (%s); %s",
			   ollama ? "Ollama server" : "OpenAI-compatible server", c->base, why,
			   ollama ? "start one with: ollama serve" : "start one, or point --base-url at it");
}

/* The text of an error the server sent: a string, or an object's message. */
static char *
error_text(jv e)
{
	char *s;

	if (jv_get_kind(e) == JV_KIND_OBJECT && bi_get_str(e, "message"))
		s = bi_strdup(bi_get_str(e, "message"));
	else if (jv_get_kind(e) == JV_KIND_STRING)
		s = bi_strdup(jv_string_value(e));
	else {
		jv d = jv_dump_string(jv_copy(e), 0);
		s = bi_strdup(jv_string_value(d));
		jv_free(d);
	}
	jv_free(e);
	return s;
}

jv
bi_llm_models(const bi_llm *c, int *down)
{
	const char *hdrs[] = {c->auth, NULL};
	int ollama = c->api == BI_LLM_OLLAMA;
	char *url = bi_asprintf("%s%s", c->base, ollama ? "/api/tags" : "/v1/models");
	bi_http_req req = {.url = url, .headers = hdrs, .timeout_ms = 15000,
			   .connect_timeout_ms = 3000};
	bi_http_resp resp;
	jv names = jv_array();

	*down = 0;
	if (bi_http(&req, &resp) != 0) {
		*down = 1;
		jv_free(names);
		char *msg = down_message(c, resp.error);
		names = jv_invalid_with_msg(jv_string(msg));
		free(msg);
	} else {
		jv body = jv_parse_sized(resp.body.p, (int)resp.body.len);
		jv list = jv_get_kind(body) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(body), jv_string(ollama ? "models" : "data")) :
			jv_invalid();
		if (resp.status < 200 || resp.status > 299 || jv_get_kind(list) != JV_KIND_ARRAY) {
			jv_free(names);
			names = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld: %.200s", url,
								  resp.status, resp.body.p));
		} else {
			jv_array_foreach(list, i, m) {
				const char *name = bi_get_str(m, ollama ? "name" : "id");
				if (name)
					names = jv_array_append(names, jv_string(name));
				jv_free(m);
			}
		}
		jv_free(list);
		jv_free(body);
	}
	bi_http_resp_free(&resp);
	free(url);
	return names;
}

char *
bi_llm_find_model(jv have, const char *want)
{
	char *found = NULL;

	jv_array_foreach(have, i, m) {
		const char *s = jv_string_value(m);
		size_t n = strlen(want);
		if (!found && (!strcmp(s, want) || (!strchr(want, ':') && !strncmp(s, want, n) &&
						    !strcmp(s + n, ":latest"))))
			found = bi_strdup(s);
		jv_free(m);
	}
	return found;
}

char *
bi_llm_choose(jv have, jv prefs, char **absent)
{
	char *m = NULL;
	bi_buf skipped = {0};

	jv_array_foreach(prefs, i, p) {
		if (!m && !(m = bi_llm_find_model(have, jv_string_value(p))))
			bi_buf_printf(&skipped, "%s%s", skipped.len ? ", " : "", jv_string_value(p));
		jv_free(p);
	}
	if (!m && jv_array_length(jv_copy(have)) > 0) {
		jv first = jv_array_get(jv_copy(have), 0);
		m = bi_strdup(jv_string_value(first));
		jv_free(first);
	}
	*absent = skipped.p;
	return m;
}

/* ---- one answer, streamed ---- */

int
bi_llm_chunk_parse(int api, const char *line, size_t len, bi_llm_chunk *c)
{
	*c = (bi_llm_chunk){0};
	if (len && line[len - 1] == '\r')
		len--;
	c->data = line, c->len = len;
	if (len == 0 || (api == BI_LLM_OPENAI && line[0] == ':'))
		return BI_LLM_NONE;
	if (api == BI_LLM_OPENAI) {
		if (len < 5 || memcmp(line, "data:", 5))
			return BI_LLM_OTHER;	/* an error reply, or a field we do not use */
		line += 5, len -= 5;
		if (len && *line == ' ')
			line++, len--;
		c->data = line, c->len = len;
		if (len == 6 && !memcmp(line, "[DONE]", 6)) {
			c->done = 1;
			return BI_LLM_DATA;
		}
	}
	jv v = jv_parse_sized(line, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return BI_LLM_MALFORMED;
	}
	jv err = jv_object_get(jv_copy(v), jv_string("error"));
	if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL) {
		c->text = error_text(err);
		jv_free(v);
		return BI_LLM_ERROR;
	}
	jv_free(err);
	jv content;
	if (api == BI_LLM_OLLAMA) {
		content = bi_jv_path(v, "message.content");
	} else {
		jv choices = jv_object_get(jv_copy(v), jv_string("choices"));
		jv first = jv_get_kind(choices) == JV_KIND_ARRAY ? jv_array_get(choices, 0) :
			(jv_free(choices), jv_invalid());
		content = jv_get_kind(first) == JV_KIND_OBJECT ? bi_jv_path(first, "delta.content") :
			jv_invalid();
		jv_free(first);
		jv usage = bi_jv_path(v, "usage.completion_tokens");
		if (jv_get_kind(usage) == JV_KIND_NUMBER) {
			c->counted = 1;
			c->tokens = to_long(jv_number_value(usage));
		}
		jv_free(usage);
	}
	/* The text up to a NUL it may hold, as C strings take it. */
	if (jv_get_kind(content) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(content)))
		c->text = bi_strdup(jv_string_value(content));
	jv_free(content);
	if (api == BI_LLM_OLLAMA) {
		jv done = jv_object_get(jv_copy(v), jv_string("done"));
		if (jv_get_kind(done) == JV_KIND_TRUE) {
			jv n = jv_object_get(jv_copy(v), jv_string("eval_count"));
			c->done = 1;
			if (jv_get_kind(n) == JV_KIND_NUMBER) {
				c->counted = 1;
				c->tokens = to_long(jv_number_value(n));
			}
			jv_free(n);
		}
		jv_free(done);
	}
	jv_free(v);
	return BI_LLM_DATA;
}

void
bi_llm_chunk_free(bi_llm_chunk *c)
{
	free(c->text);
	c->text = NULL;
}

/* One whole line of the stream into s; nonzero to stop reading. */
static int
stream_line(bi_llm_stream *s, const char *line, size_t len)
{
	bi_llm_chunk c;

	if (s->stop && *s->stop)
		return 1;
	switch (bi_llm_chunk_parse(s->api, line, len, &c)) {
	case BI_LLM_NONE:
		return 0;
	case BI_LLM_OTHER:
		if (s->other.len < 2048)
			bi_buf_add(&s->other, c.data, c.len);
		return 0;
	case BI_LLM_MALFORMED:
		if (s->from)
			bi_warn("skipped a malformed chunk from %s: %.*s", s->from,
				bi_line_span(c.data, c.len, 120), c.data);
		return 0;
	case BI_LLM_ERROR:
		free(s->error);
		s->error = c.text;
		return 1;
	}
	if (c.counted)
		s->tokens = c.tokens;
	if (c.text) {
		size_t n = strlen(c.text);
		bi_buf_add(&s->text, c.text, n);
		s->chunks++;
		if (s->on_text)
			s->on_text(s->ctx, c.text, n);
	}
	if (c.done) {
		s->done = 1;
		if (s->api == BI_LLM_OLLAMA && !c.counted)
			s->tokens = s->chunks;
	}
	bi_llm_chunk_free(&c);
	return 0;
}

int
bi_llm_stream_feed(bi_llm_stream *s, const char *p, size_t n)
{
	if (s->stopped)
		return 1;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			bi_buf_add(&s->line, p, n);
			return 0;
		}
		size_t k = nl - p;
		if (s->line.len) {
			bi_buf_add(&s->line, p, k);
			s->stopped = stream_line(s, s->line.p, s->line.len);
			s->line.len = 0;
		} else {
			s->stopped = stream_line(s, p, k);
		}
		if (s->stopped)
			return 1;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

void
bi_llm_stream_end(bi_llm_stream *s)
{
	if (s->line.len && !s->stopped)
		s->stopped = stream_line(s, s->line.p, s->line.len);
	s->line.len = 0;
}

void
bi_llm_stream_free(bi_llm_stream *s)
{
	bi_buf_free(&s->text);
	bi_buf_free(&s->other);
	bi_buf_free(&s->line);
	free(s->error);
	s->error = NULL;
}

static int
on_data(void *ctx, const char *buf, size_t len)
{
	return bi_llm_stream_feed(ctx, buf, len);
}

char *
bi_llm_chat(const bi_llm *c, const char *model, jv messages, bi_llm_stream *s)
{
	const char *hdrs[] = {c->auth, NULL};
	int ollama = c->api == BI_LLM_OLLAMA;
	char *url = bi_asprintf("%s%s", c->base, ollama ? "/api/chat" : "/v1/chat/completions");
	jv body = bi_set(bi_set(bi_set(jv_object(), "model", jv_string(model)), "messages", messages),
		      "stream", jv_true());
	/* Ollama cuts a prompt to its context window, 2048 tokens by default. */
	if (ollama)
		body = bi_set(body, "options", bi_set(jv_object(), "num_ctx",
						jv_number((double)((c->budget * 2 + 2048 + 1023) / 1024 * 1024))));
	jv text = jv_dump_string(body, 0);
	bi_http_req req = {.url = url, .body = jv_string_value(text), .headers = hdrs,
			   .connect_timeout_ms = 3000, .on_data = on_data, .ctx = s};
	bi_http_resp resp;
	char *err = NULL;

	s->api = c->api;
	s->from = c->base;
	int r = bi_http(&req, &resp);
	if (r == 0 && !resp.stopped)
		bi_llm_stream_end(s);	/* a last line without its '\n' */
	if (r != 0 && resp.status == 0)
		err = down_message(c, resp.error);
	else if (r != 0)
		err = bi_asprintf("the answer from %s was cut off after %ld chunks: %s", url,
				  s->chunks, resp.error);
	else if (s->stop && *s->stop)
		err = bi_strdup("interrupted");
	else if (resp.status == 404 && ollama)
		err = bi_asprintf("model %s is not installed at %s; run: ollama pull %s", model,
				  c->base, model);
	else if (resp.status < 200 || resp.status > 299) {
		jv e = jv_parse_sized(s->other.p ? s->other.p : "", (int)s->other.len);
		char *why = s->error ? bi_strdup(s->error) : jv_get_kind(e) == JV_KIND_OBJECT ?
			error_text(jv_object_get(jv_copy(e), jv_string("error"))) :
			bi_asprintf("%.200s", s->other.p ? s->other.p : "");
		err = bi_asprintf("%s: HTTP %ld: %s", url, resp.status, why);
		free(why);
		jv_free(e);
	} else if (s->error)
		err = bi_asprintf("%s reported an error after %ld chunks: %s", url, s->chunks, s->error);
	else if (!s->done)
		err = bi_asprintf("the answer from %s ended before it was complete", url);
	if (s->tokens == 0)
		s->tokens = s->chunks;	/* a server that does not count them */
	bi_http_resp_free(&resp);
	jv_free(text);
	free(url);
	return err;
}

/* ---- the conversation ---- */

jv
bi_llm_msg(const char *role, jv content)
{
	return bi_set(bi_set(jv_object(), "role", jv_string(role)), "content", content);
}

char *
bi_llm_turn(const bi_llm *c, const char *model, jv *messages, const char *q,
	    bi_llm_stream *s)
{
	*messages = jv_array_append(*messages, bi_llm_msg("user", jv_string(q)));
	char *err = bi_llm_chat(c, model, jv_copy(*messages), s);
	if (err) {
		int n = jv_array_length(jv_copy(*messages));
		*messages = jv_array_slice(*messages, 0, n - 1);
	} else {
		*messages = jv_array_append(*messages, bi_llm_msg("assistant",
			jv_string(s->text.p ? s->text.p : "")));
	}
	return err;
}

jv
bi_llm_trim(jv messages, size_t max)
{
	for (;;) {
		int n = jv_array_length(jv_copy(messages));
		size_t bytes = 0;
		for (int i = 1; i < n; i++) {
			jv m = jv_array_get(jv_copy(messages), i);
			bytes += strlen(bi_get_text(m, "content", ""));
			jv_free(m);
		}
		if (n <= 3 || bytes <= max)
			return messages;
		messages = jv_array_concat(jv_array_slice(jv_copy(messages), 0, 1),
					   jv_array_slice(messages, 3, n));
	}
}
