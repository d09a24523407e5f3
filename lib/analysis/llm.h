/* analysis/llm.h: the interface of llm.c (layer: analysis). */
#ifndef BI_ANALYSIS_LLM_H
#define BI_ANALYSIS_LLM_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>

#include "base/util.h"
/* A client of a local LLM: Ollama's API or an OpenAI-compatible one, the
 * choice of a model, an answer streamed and taken apart, a conversation.
 * What the model is told about the records is analysis/context.h's. */
enum { BI_LLM_OLLAMA, BI_LLM_OPENAI };	/* the APIs spoken */

/* A server: what the client needs to know of it. */
typedef struct bi_llm {
	int api;		/* BI_LLM_OLLAMA or BI_LLM_OPENAI */
	const char *base;	/* its root URL, as bi_llm_base_url gives it */
	const char *auth;	/* an "Authorization: Bearer KEY" header, or NULL */
	long budget;		/* Ollama: the prompt's tokens, for the context window */
} bi_llm;

/* The root URL of a server from url ("host", "host:port" or a URL, as
 * bi_url_parse takes it; NULL: $OLLAMA_HOST for Ollama, with port 11434
 * when it names none, else http://127.0.0.1:11434, or http://127.0.0.1:8080
 * for OpenAI): http:// or https://, without a trailing '/' or "/v1"; the
 * caller frees it. NULL when the address is not one (a bad port or host,
 * another scheme), with the reason, quoting it, in err. */
char *bi_llm_base_url(int api, const char *url, char *err, size_t n);

/* True when url's host (a URL, or "host[:port]" as above) is this machine:
 * localhost, 127.0.0.0/8 or ::1 (bi_host_is_loopback). Cannot fail;
 * anything unparsable is not local. */
int bi_llm_is_local(const char *url);

/* The models the server has, as an array of names; else jv_invalid with the
 * reason, and *down set when nothing answered (the reason then says how to
 * start a server). */
jv bi_llm_models(const bi_llm *c, int *down);

/* want as have (an array of names, borrowed) names it: the same name, or
 * NAME:latest for a NAME without a tag. NULL when have lacks it. */
char *bi_llm_find_model(jv have, const char *want);

/* The first of prefs (names, borrowed) that have holds, else have's first;
 * NULL when have is empty. *absent gets the preferences passed over, joined
 * by ", ", or NULL when none was (the caller frees both). */
char *bi_llm_choose(jv have, jv prefs, char **absent);

/* What one line of a stream says (bi_llm_chunk_parse): */
enum {
	BI_LLM_NONE,		/* nothing: a blank line, an SSE comment */
	BI_LLM_DATA,		/* a chunk: text, done and tokens as found */
	BI_LLM_OTHER,		/* SSE: a line that is no event (a reply that is no stream) */
	BI_LLM_MALFORMED,	/* a chunk that is not a JSON object */
	BI_LLM_ERROR		/* the server reports an error, in text */
};
typedef struct bi_llm_chunk {
	const char *data;	/* the payload: the line without '\r' or "data: " (borrowed) */
	size_t len;
	char *text;		/* DATA: the next piece of the answer, NULL if none;
				   ERROR: the message */
	int done;		/* DATA: the answer is complete */
	int counted;		/* DATA: the server counted the answer's tokens: */
	long tokens;
} bi_llm_chunk;

/* Parse one line of an answer streamed in api's way (without its '\n'; any
 * bytes). Pure: no I/O, no state. Returns the kind; free c with
 * bi_llm_chunk_free. */
int bi_llm_chunk_parse(int api, const char *line, size_t len, bi_llm_chunk *c);
void bi_llm_chunk_free(bi_llm_chunk *c);

/* An answer as it streams in. Set api and what the caller wants (on_text,
 * ctx, stop, from), zero the rest; free with bi_llm_stream_free. */
typedef struct bi_llm_stream {
	int api;
	void (*on_text)(void *ctx, const char *text, size_t n);	/* each piece, as it comes */
	void *ctx;
	volatile sig_atomic_t *stop;	/* when set (a signal), stop reading */
	const char *from;	/* the server, named in warnings; NULL: no warnings */
	bi_buf text;		/* the answer so far */
	char *error;		/* an error the server sent */
	int done;		/* the final chunk came */
	long tokens, chunks;	/* tokens as the server counts them; pieces of text */
	bi_buf other;		/* the start of a body that is no stream (an error reply) */
	bi_buf line;		/* a line not yet whole */
	int stopped;		/* an error or stop ended it */
} bi_llm_stream;

/* Feed the body in pieces of any size, then end it (a last line without its
 * '\n'). A malformed chunk is skipped (with a warning when from is set); an
 * error stops the stream. feed returns nonzero once the stream has stopped. */
int bi_llm_stream_feed(bi_llm_stream *s, const char *buf, size_t n);
void bi_llm_stream_end(bi_llm_stream *s);
void bi_llm_stream_free(bi_llm_stream *s);

/* Send messages (consumed) to model and stream the answer into s (its api
 * and from are set from c). NULL on success, else what went wrong, in words
 * (the server down, the answer cut off, an HTTP error, an error sent in
 * mid-stream, an end before the final chunk, "interrupted"); s keeps what
 * arrived. s->tokens is the number of chunks when the server counted none. */
char *bi_llm_chat(const bi_llm *c, const char *model, jv messages, bi_llm_stream *s);

/* A message of a conversation: {"role":role,"content":content}. */
jv bi_llm_msg(const char *role, jv content);

/* One turn of a conversation: append the question q to *messages, chat,
 * and append the answer; on failure take q out again and return the error,
 * as bi_llm_chat does. */
char *bi_llm_turn(const bi_llm *c, const char *model, jv *messages, const char *q,
		  bi_llm_stream *s);

/* Drop the oldest exchange (messages 1 and 2, after the context) while the
 * messages after the first hold more than max bytes of content, keeping the
 * last exchange at least. messages consumed and returned. */
jv bi_llm_trim(jv messages, size_t max);

#endif
