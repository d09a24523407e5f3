/* analysis/llm.h: the interface of llm.c (layer: analysis). */
#ifndef BI_ANALYSIS_LLM_H
#define BI_ANALYSIS_LLM_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>

#include "base/util.h"
#include "base/time.h"
/* Talking to a local LLM about the project's records: the context it is
 * given (the records digested, then condensed to a budget), and a client of
 * Ollama's API or an OpenAI-compatible one. */
enum { BI_LLM_OLLAMA, BI_LLM_OPENAI };	/* the APIs spoken */

/* Append the template of a log message to out: its first line (400 bytes at
 * most), words separated by single spaces, with a uuid, IP address, URL,
 * path or hex number as <uuid> <ip> <url> <path> <hex>, and the digits of
 * any other number as <num>; in key=value only the value is masked. Unlike
 * bi_drain_mask it names what it masked, which a model can use. */
void bi_llm_mask(bi_buf *out, const char *msg);

/* Log lines of one service and template: how many, the first one's ts and
 * the latest record. */
typedef struct bi_llm_group {
	char *key;		/* service, '\x1f', template */
	const char *tmpl;	/* the template: points into key */
	long n;			/* lines */
	size_t order;		/* first seen: a tie-breaker */
	char first[BI_TS_LEN];	/* the first line's ts */
	jv last;		/* the latest line's record */
} bi_llm_group;

typedef struct bi_llm_groups {
	bi_llm_group *g;
	size_t n;
	jv index;		/* key -> position in g */
	long lines;		/* lines in all the groups */
} bi_llm_groups;

/* Most lines first, then the first seen; in place. */
void bi_llm_groups_sort(bi_llm_groups *gs);

/* The records read, kept in the few forms a model's context needs. Memory
 * is bounded by the number of distinct templates, containers, checks and
 * metrics, not by the number of records. Read only, but for sorting groups. */
enum { BI_LLM_KEEP_LOGS = 50, BI_LLM_KEEP_EVENTS = 30, BI_LLM_KEEP_COMMITS = 20 };
typedef struct bi_llm_records {
	jv findings;		/* every finding */
	jv events;		/* container (but status), k8s_event, alert: at least the last KEEP_EVENTS */
	jv logs, commits;	/* at least the last KEEP_LOGS, KEEP_COMMITS */
	jv containers, stats;	/* the latest per container (or service) */
	jv health;		/* the latest per service (or target) */
	jv metrics;		/* the latest per service, name and labels */
	jv others;		/* kind -> how many, of the kinds not used */
	bi_llm_groups errors;	/* logs of level error and fatal, by template */
	bi_llm_groups warns;	/* logs of level warn, by template */
	long nlogs, ncommits;	/* read in all */
} bi_llm_records;
void bi_llm_records_init(bi_llm_records *r);
void bi_llm_records_add(bi_llm_records *r, jv rec);	/* consumes rec */
void bi_llm_records_read(bi_llm_records *r, int fd, const char *name);	/* as bi_read */
void bi_llm_records_free(bi_llm_records *r);

/* The findings, most confident first (a new array). */
jv bi_llm_findings(const bi_llm_records *r);

/* One line about a record of the kinds kept (rec borrowed), and a finding
 * (borrowed) in a few lines: with full, its confidence components and
 * timeline too. */
char *bi_llm_describe(jv rec);
char *bi_llm_describe_finding(jv finding, int full);

/* The records as text for a model, in at most limit bytes: findings, error
 * templates, events, health, containers, stats, metrics, commits, warnings,
 * the last log lines, other kinds; what does not fit is counted at the end.
 * Sorts r's groups. */
char *bi_llm_context(bi_llm_records *r, size_t limit);

/* A server: what the client needs to know of it. */
typedef struct bi_llm {
	int api;		/* BI_LLM_OLLAMA or BI_LLM_OPENAI */
	const char *base;	/* its root URL, as bi_llm_base_url gives it */
	const char *auth;	/* an "Authorization: Bearer KEY" header, or NULL */
	long budget;		/* Ollama: the prompt's tokens, for the context window */
} bi_llm;

/* The root URL of a server from url ("host", "host:port" or a URL; NULL:
 * $OLLAMA_HOST for Ollama, with port 11434 when it names none, else
 * http://127.0.0.1:11434, or http://127.0.0.1:8080 for OpenAI): with a
 * scheme, without a trailing '/' or "/v1". */
char *bi_llm_base_url(int api, const char *url);

/* True when url's host is this machine: localhost, 127.0.0.0/8 or ::1.
 * Cannot fail; anything unparsable is not local. */
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
