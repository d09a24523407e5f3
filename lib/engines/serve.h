/* engines/serve.h: the interface of serve.c (layer: engines). */
#ifndef BI_ENGINES_SERVE_H
#define BI_ENGINES_SERVE_H

#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* bi-serve's engine: the dashboard's JSON API over a project's store, read
 * only, without the HTTP transport (the tool's, with libmicrohttpd). A
 * request is checked by bi_serve_gate (Host, Origin, token, body size),
 * its parameters by bi_serve_params_ok, and answered by bi_serve_handle;
 * the live log stream is polled with bi_serve_stream_poll. The one write
 * is an alert's acknowledgement (POST /api/alerts/ack); nothing here
 * writes a file or deletes anything. */

#define BI_SERVE_BODY_MAX (1 << 20)	/* bytes of a request body, at most */
#define BI_SERVE_LIMIT_MAX 10000	/* records in one answer, at most */
#define BI_SERVE_LIMIT_DEF 100
#define BI_SERVE_PARAMS_MAX 32

/* The server's state; the caller owns it and what it points to. */
typedef struct bi_serve {
	const char *db_path;	/* the store, opened read-only per request */
	const char *token;	/* the bearer token every request must carry */
	const char *listen;	/* the --listen host beside loopback, or NULL */
	const char *project;	/* a name for status, or NULL */
	int port;		/* the port Host and Origin must name */
	volatile sig_atomic_t *stop;	/* set: streams end at their next poll */
} bi_serve;

/* A query parameter as received: key and value with their lengths (a
 * value may hold a NUL, which the check refuses). */
typedef struct bi_serve_param {
	const char *key, *value;
	size_t klen, vlen;
} bi_serve_param;

/* Whether a parameter's bytes are acceptable: no NUL, no control
 * character, no "../" or "..\" nor a trailing "..". 1 or 0. */
int bi_serve_value_ok(const char *s, size_t n);

/* Every parameter (keys and values) and the path: 0, or 400 with the
 * reason in err. */
int bi_serve_params_ok(const char *path, const bi_serve_param *p, int n, char *err,
		       size_t errlen);

/* The checks before anything is read: Host must be localhost, 127.0.0.1
 * or [::1] (or the --listen host) with s's port; Origin, when sent, the
 * same after "http://"; Authorization "Bearer TOKEN" (compared in constant
 * time); a Content-Length (-1: none) at most BI_SERVE_BODY_MAX. 0, or the
 * status to answer (403, 401, 413) with the reason in *why (static). */
int bi_serve_gate(const bi_serve *s, const char *host, const char *origin, const char *auth,
		  int64_t content_length, const char **why);

/* A search of stored records: kinds (NULL-terminated, static), service,
 * minimum level (-1: any), words to find in log text, ns bounds (0: none),
 * how many (newest first are kept, answered oldest first), and for a
 * stream the last record id already sent. */
typedef struct bi_serve_query {
	const char *const *kinds;
	const char *service;
	int level;
	const char *text;
	int64_t since, until;
	long limit;
	int64_t after;
} bi_serve_query;

/* Fill q from parameters (service, level, q or text, since, until, limit;
 * others ignored) with times relative to now (ns): 0, or -1 with the
 * reason in err (a level, time or limit that is not one). The strings stay
 * p's. */
int bi_serve_query_parse(const bi_serve_param *p, int n, int64_t now, bi_serve_query *q,
			 char *err, size_t errlen);

/* The SQL of q into sql (every value a ? placeholder, bound by
 * bi_serve_query_bind in order), and the FTS5 match string of its text
 * words, each quoted (NULL without text; the caller frees it). */
void bi_serve_query_sql(const bi_serve_query *q, bi_buf *sql, char **match);
int bi_serve_query_bind(sqlite3_stmt *st, const bi_serve_query *q, const char *match);

/* The store at path, read-only (query_only too): NULL with the reason in
 * err when it cannot be opened or holds no records table. */
sqlite3 *bi_serve_open_db(const char *path, char *err, size_t errlen);

/* Answer one request: method, path (decoded), parameters; the JSON body
 * into out. Routes: GET status, logs, records (kind=...), findings,
 * events, alerts, metrics, metrics/series, metrics/history, scores, kb;
 * POST alerts/ack (id=N; db may then be NULL: it opens the store
 * read-write for that statement). Returns the status (200, 400, 404, 405,
 * 500); an error's body is {"error": "..."}. */
int bi_serve_handle(const bi_serve *s, sqlite3 *db, const char *method, const char *path,
		    const bi_serve_param *p, int n, bi_buf *out);

/* The live metrics as one Server-Sent Event ("event: metrics", data:
 * /api/metrics's answer over window) appended to out: 0, or -1 on a
 * database error. */
int bi_serve_metrics_event(sqlite3 *db, const char *window, bi_buf *out);

/* The value of the cookie bi_token_PORT (cookies do not tell ports apart:
 * two dashboards keep a cookie each) in a Cookie header into tok (n bytes
 * with its NUL): 0, or -1 when there is none or it does not fit. */
int bi_serve_cookie_token(const char *cookie, int port, char *tok, size_t n);

/* Whether path is a live stream, of logs or of metrics (text/event-stream). */
int bi_serve_is_stream(const char *path);

/* The log records of q stored after *last, as Server-Sent Events (id:
 * their id, data: the record) appended to out, at most 500; *last moves
 * to the last one sent. How many, or -1 on a database error. With *last
 * < 0, no event: *last becomes the newest id stored. */
int bi_serve_stream_poll(sqlite3 *db, const bi_serve_query *q, int64_t *last, bi_buf *out);

/* The agent's chat: argv (argv[0] found in PATH when it has no slash) run
 * with input as its stdin (dup'd: the caller keeps input), its stdout a
 * pseudo-terminal in raw mode, so that bi-ask streams; NULL with the
 * reason in err when it cannot be run. */
typedef struct bi_serve_chat bi_serve_chat;
bi_serve_chat *bi_serve_chat_start(const char *const *argv, int input, char *err, size_t errlen);

/* Wait up to timeout_ms for the program's output and append it to out as
 * Server-Sent Events: "text" ({"text"}: what it wrote, whole UTF-8
 * characters), and at its end "error" ({"error": its stderr, "status"})
 * when it failed, then "done" ({"status"}). 1 while it runs (out may have
 * nothing), 0 once done. */
int bi_serve_chat_poll(bi_serve_chat *c, int timeout_ms, bi_buf *out);

/* Free c, ending the program (SIGTERM) if it still runs. NULL is fine. */
void bi_serve_chat_free(bi_serve_chat *c);

/* The newest limit records of db, oldest first, one JSON line each, in a
 * memory file at offset 0 (close-on-exec): the chat's input. -1 on an
 * error. */
int bi_serve_chat_context(sqlite3 *db, int limit);

/* How much of p[0..n) ends on a whole UTF-8 character: n, or less when the
 * last one is cut (its bytes wait for the next read). */
size_t bi_serve_utf8_whole(const char *p, size_t n);

#endif
