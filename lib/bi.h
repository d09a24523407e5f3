/*
 * bi.h: the shared library of blissful-infra.
 *
 * One header, one section per module (lib/MODULE.c). Public names start with
 * bi_. Unless a comment says otherwise, functions that take a jv consume it
 * (as libjq's own do) and functions returning char * return memory the caller
 * frees.
 */
#ifndef BI_H
#define BI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <jv.h>

/* ---------------------------------------------------------------- util.c */

/* Exit codes, as DESIGN.md: every tool uses these and only these. */
enum {
	BI_EXIT_OK = 0,		/* success */
	BI_EXIT_FAIL = 1,	/* the job ran and found failure */
	BI_EXIT_USAGE = 2,	/* usage or input error */
	BI_EXIT_UNREACHABLE = 3	/* Docker, Ollama, Prometheus ... unreachable */
};

extern const char *bi_progname;

/* Name the tool (for message prefixes) and make SIGPIPE end it quietly. */
void bi_init(const char *argv0);

/* Print "prog: msg" to stderr; when fmt ends in ':' append ": strerror(errno)".
 * bi_die then exits with code. */
void bi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bi_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail: on exhaustion the tool dies (exit 1). */
void *bi_malloc(size_t n);
void *bi_calloc(size_t n, size_t size);
void *bi_realloc(void *p, size_t n);
char *bi_strdup(const char *s);
char *bi_strndup(const char *s, size_t n);
char *bi_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Shared --help/--version: print usage (to stdout, exit 0) or the version.
 * bi_usage_error prints usage to stderr and exits 2. */
_Noreturn void bi_help(const char *usage);
_Noreturn void bi_version(void);
_Noreturn void bi_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Flush f and check that every write to it succeeded; die (exit 1) if not.
 * A closed pipe (EPIPE) ends the tool quietly with status 0 instead. */
void bi_fshut(FILE *f, const char *name);

/* True when the environment asks for no colour or fd is not a terminal. */
int bi_color_ok(int fd);

/* A growable byte buffer; always NUL-terminated after the data. */
typedef struct {
	char *p;
	size_t len, cap;
} bi_buf;
void bi_buf_add(bi_buf *b, const void *data, size_t n);
void bi_buf_adds(bi_buf *b, const char *s);
void bi_buf_printf(bi_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bi_buf_free(bi_buf *b);

/* Read a whole file (or "-" for stdin) into memory. NULL with errno on failure. */
char *bi_read_file(const char *path, size_t *len);

/* A size: "512", "64KB", "10MB", "1.5GiB" (KB = 1000, KiB = 1024). 0 or -1. */
int bi_size_parse(const char *s, int64_t *bytes);

/* 64-bit FNV-1a of n bytes. */
uint64_t bi_hash64(const void *data, size_t n);

/* Make a directory and its parents (mode 0755). 0 on success, -1 with errno. */
int bi_mkdirs(const char *path);

/* A new empty file of ours in $TMPDIR (else /tmp), named PREFIX.XXXXXX and
 * made with mkstemp (so no link planted there is followed): its path, or
 * NULL with errno. */
char *bi_temp_file(const char *prefix);
char *bi_temp_dir(const char *prefix);	/* the same, a directory (mode 0700) */

/* The length of s's first line (within n bytes, SIZE_MAX: all of it; ended
 * by '\r', '\n' or NUL), at most max bytes, not cutting a UTF-8 character:
 * what a one-line description shows of a message. */
int bi_line_span(const char *s, size_t n, int max);

/* ---------------------------------------------------------------- jsonl.c */

/* Reader of a record stream: one JSON object per line. A malformed line (bad
 * JSON, not an object, invalid UTF-8) is reported on stderr with its line
 * number and skipped; with BI_STRICT it is fatal (exit 2). Lines may be of
 * any length; '\r\n' endings and blank lines are accepted. */
enum { BI_STRICT = 1 };
typedef struct bi_reader bi_reader;

/* Read from fd with read(2), so that a live stream is never held back in a
 * stdio buffer; name appears in messages ("-" or NULL reads as "stdin"). */
bi_reader *bi_reader_new(int fd, const char *name, int flags);
void bi_reader_free(bi_reader *r);	/* does not close fd */

/* Next record into *rec (owned by the caller). 1 on a record, 0 at the end. */
int bi_read(bi_reader *r, jv *rec);

/* Next raw line, unparsed and without its line ending (NUL-terminated);
 * valid until the next read. 1 on a line, 0 at the end. For fast paths that
 * test the bytes first; bi_reader_parse then parses the current line
 * (reporting it if malformed: returns 0 and leaves *rec untouched). */
int bi_read_line(bi_reader *r, const char **line, size_t *len);
int bi_reader_parse(bi_reader *r, jv *rec);

/* True when the next bi_read_line would not block: a whole line is buffered,
 * or the descriptor has data or end-of-file waiting. */
int bi_reader_ready(bi_reader *r);

size_t bi_reader_lineno(const bi_reader *r);	/* lines read so far */
size_t bi_reader_errors(const bi_reader *r);	/* malformed lines skipped */

/* Check that s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int bi_utf8_valid(const char *s, size_t n);

/* Writer: one compact line per record on stdout. Records are flushed one by
 * one when stdout is a pipe or terminal, and buffered when it is a file. */
void bi_write(jv rec);				/* consumes rec */
void bi_write_raw(const char *line, size_t n);	/* a line without '\n' */
void bi_write_flush(void);

/* The usual start of a new record: {"kind":kind,"ts":now}. */
jv bi_record(const char *kind);
/* obj[key] = v, consuming both; an invalid v (an absent value, as
 * jv_object_get returns) is stored as null: a record must always print. */
jv bi_set(jv obj, const char *key, jv v);

/* Borrowed views of a record's fields; NULL or def when absent or of another kind. */
const char *bi_get_str(jv rec, const char *key);
double bi_get_num(jv rec, const char *key, double def);
const char *bi_get_text(jv rec, const char *key, const char *def);	/* non-empty, else def */

/* The last n items of an array, and an object's values in the order of its
 * keys; both consume their argument. */
jv bi_jv_last(jv arr, int n);
jv bi_jv_values(jv obj);

/* The scanner, for hot loops that test a few fields of a line before (or
 * instead of) parsing it: jv_parse_sized costs ~1.8 us a log line, the scan
 * a fraction of that. A value it finds, borrowed from the line: a string's
 * bytes between its quotes (str 1; esc 1 when they hold a backslash escape,
 * for bi_json_unescape), or another value's whole text (str 0: a number,
 * true, false, null, an object or an array). p is NULL when the key is not
 * there. */
typedef struct bi_json_span {
	const char *p;
	size_t n;
	int str, esc;
} bi_json_span;

/* Scan line (len bytes, any content; no NUL needed) as one JSON object and
 * set vals[i] to the value of keys[i] (a NULL-terminated list) at its top
 * level, the last of a repeated key winning, as in libjq. Returns 1 when the
 * line is one valid object (bar its UTF-8: bi_utf8_valid checks that) and
 * none of its top-level keys holds an escape, so that none can hide as
 * another; else 0, and vals mean nothing: parse the line (bi_reader_parse).
 * Values nested more than 33 deep inside the object are refused. */
int bi_json_scan(const char *line, size_t len, const char *const *keys, bi_json_span *vals);

/* s is a string without escapes whose bytes are word's. */
int bi_json_is(bi_json_span s, const char *word);

/* The number after the first "KEY": in line, spaces allowed before it, at
 * any depth (a nested key of that name counts as well: a quick guess, for
 * lines bi_json_scan took); -1 when there is none, or the value is negative
 * or not a number. */
double bi_json_raw_num(const char *line, size_t len, const char *key);

/* Set b to a string span's bytes decoded (NUL-terminated; b->len without
 * the NUL): escapes as JSON means them, a \uD8xx\uDCxx pair as one
 * character, half a pair as U+FFFD (libjq 1.6 refuses a lone high one: a
 * caller that must agree with it parses such lines), other bytes as they
 * are. */
void bi_json_unescape(bi_json_span s, bi_buf *b);

/* Append s as a JSON string, quotes included: '"' and '\' escaped, control
 * characters as \u00XX, every other byte as it is. */
void bi_json_quote(bi_buf *b, const char *s);

/* ----------------------------------------------------------------- time.c */

/* Time is carried as int64 nanoseconds since the Unix epoch (UTC). */
#define BI_NS_PER_MS INT64_C(1000000)
#define BI_NS_PER_S INT64_C(1000000000)

int64_t bi_now_ns(void);			/* wall clock */
int64_t bi_mono_ns(void);			/* monotonic clock, for intervals */

/* Format as RFC 3339 UTC with milliseconds: 2026-11-24T01:46:45.758Z.
 * buf must hold BI_TS_LEN bytes. Returns buf. */
#define BI_TS_LEN 48
char *bi_ts_fmt(int64_t ns, char *buf);
char *bi_ts_now(char *buf);

/* Parse a point in time: RFC 3339 with 'T' or ' ', fractions up to 9 digits,
 * 'Z' or an offset (+01:00, +0100); Docker's nanosecond stamps; epoch seconds
 * (up to 10 digits, optional fraction) or milliseconds (13 digits).
 * 0 on success, -1 if s is not a time. */
int bi_ts_parse(const char *s, int64_t *ns);

/* Parse a duration: a sequence of NUMBER UNIT with units ns us ms s m h d
 * ("250ms", "90s", "1h30m", "1.5s"); a bare number is seconds.
 * 0 on success, -1 on error (also on overflow or a negative duration). */
int bi_dur_parse(const char *s, int64_t *ns);

/* Format a duration for people: "250ms", "1.5s", "2m30s", "1h30m". */
char *bi_dur_fmt(int64_t ns, char *buf, size_t n);

/* A --since/--until argument: a time (as bi_ts_parse) or a duration before now
 * ("15m" = now - 15 min). 0 on success, -1 on error. */
int bi_when_parse(const char *s, int64_t now, int64_t *ns);

/* --------------------------------------------------------------- config.c */

/* Load YAML into jv. Plain scalars follow the YAML 1.2 core schema (null,
 * true/false, integers, floats, else strings); quoted ones are strings.
 * Anchors and aliases work, but a document whose aliases would expand to more
 * than BI_YAML_MAX_NODES nodes is rejected (a "billion laughs" bomb).
 * On error returns jv_invalid_with_msg("FILE:LINE:COLUMN: what"). */
#define BI_YAML_MAX_NODES 1000000
jv bi_yaml_parse(const char *text, size_t len, const char *name);
jv bi_yaml_load(const char *path);

/* The project: the nearest directory at or above the working directory that
 * holds blissful-infra.yaml (or $BI_PROJECT_DIR when set). NULL when none. */
char *bi_project_dir(void);

/* The project's configuration: blissful-infra.yaml of bi_project_dir(), or
 * an empty object when there is no project. A malformed file is fatal (2). */
jv bi_config(void);

/* Look up a dotted path ("perf.thresholds.p95") in cfg (borrowed); returns a
 * new reference or jv_invalid() when absent. */
jv bi_cfg_get(jv cfg, const char *path);
const char *bi_cfg_str(jv cfg, const char *path, const char *def); /* borrowed */
double bi_cfg_num(jv cfg, const char *path, double def);
int64_t bi_cfg_dur(jv cfg, const char *path, int64_t def);	/* "30s" or seconds */

/* ---------------------------------------------------------------- store.c */

#include <sqlite3.h>

/* Open (creating) a sqlite database in WAL mode with a busy timeout and bring
 * its schema up to date: migration i (0-based) runs when PRAGMA user_version
 * is <= i, each in its own transaction. NULL with a message in err on failure. */
sqlite3 *bi_store_open_with(const char *path, const char *const *migrations,
			    int n, char *err, size_t errlen);

/* The project database ($BI_DB, else PROJECT/.blissful-infra/bi.db, else
 * ./.blissful-infra/bi.db) with blissful-infra's own schema. Dies (exit 1)
 * when it cannot be opened. */
char *bi_store_path(void);
sqlite3 *bi_store_open(const char *path);
int bi_store_version(void);	/* the latest schema version */

/* Run SQL with no result; die with the statement's error on failure. */
void bi_store_exec(sqlite3 *db, const char *sql);

/* ----------------------------------------------------------------- http.c */

/* An HTTP request through libcurl. url may be "unix:///path/to.sock" plus a
 * path after the socket ("unix:///var/run/docker.sock/v1.41/info" is not
 * used: give the socket in unix_socket and an http://localhost/... url). */
typedef struct bi_http_req {
	const char *method;		/* NULL: GET, or POST when body is set */
	const char *url;
	const char *unix_socket;	/* connect here instead of the url's host */
	const char *body;
	size_t body_len;		/* 0: strlen(body) */
	const char *content_type;	/* default application/json with a body */
	const char *const *headers;	/* NULL-terminated "Name: value" lines */
	long timeout_ms;		/* whole request; 0: none (streaming) */
	long connect_timeout_ms;	/* 0: 5 s */
	/* Streaming: called with each complete line (without '\n', '\r' kept)
	 * as it arrives, and with a last unterminated one at the end. Return
	 * nonzero to stop the transfer. The body is not kept when set. */
	int (*on_line)(void *ctx, const char *line, size_t len);
	/* Raw streaming: called with every chunk of the body. */
	int (*on_data)(void *ctx, const char *buf, size_t len);
	void *ctx;
} bi_http_req;

typedef struct bi_http_resp {
	long status;		/* 0 when no response came */
	bi_buf body;		/* empty when streamed */
	char error[256];	/* transport error, when bi_http returns -1 */
	int stopped;		/* a callback stopped the transfer */
} bi_http_resp;

/* Perform req on this thread's connection cache. 0 when a response came
 * (whatever its status) or a callback stopped it; -1 on a transport error
 * (refused, timeout, DNS), described in resp->error. resp is reset first;
 * free it with bi_http_resp_free. */
int bi_http(const bi_http_req *req, bi_http_resp *resp);
void bi_http_resp_free(bi_http_resp *resp);

/* GET url (or POST body when given) and parse a JSON reply. Returns the
 * parsed value for 2xx, else jv_invalid_with_msg naming the address and the
 * status or transport error. *status gets the HTTP status when not NULL. */
jv bi_http_json(const char *method, const char *url, const char *unix_socket,
		const char *body, long timeout_ms, long *status);

/* A TCP port on 127.0.0.1 that was free when asked (another process may take
 * it before it is bound: use it at once); 0 when none could be had. */
int bi_free_port(void);

/* --------------------------------------------------------------- docker.c */

/* A client of the Docker Engine API at DOCKER_HOST (unix:///var/run/docker.sock
 * by default; tcp://HOST:PORT also works). */
typedef struct bi_docker bi_docker;

/* Connect: ping the daemon and agree on an API version (the server's, capped
 * at 1.41). NULL when the daemon does not answer, with the reason in err. */
bi_docker *bi_docker_open(char *err, size_t errlen);
void bi_docker_close(bi_docker *d);
const char *bi_docker_host(const bi_docker *d);
const char *bi_docker_api(const bi_docker *d);	/* "1.41" */

/* Call the API: path is relative to the version ("/containers/json").
 * Returns the status; *out (when not NULL) gets the parsed JSON body, or null
 * for an empty one. -1 on a transport error (message in d's last error). */
long bi_docker_call(bi_docker *d, const char *method, const char *path,
		    const char *body, jv *out);
const char *bi_docker_error(const bi_docker *d);

/* Containers of a compose project (and service, when not NULL), found by the
 * labels com.docker.compose.project/.service; all = include stopped ones.
 * Returns an array of the API's container summaries, or jv_invalid on error. */
jv bi_docker_containers(bi_docker *d, const char *project, const char *service,
			int all);
/* Containers by one label filter ("key=value"), or by any filters object
 * (consumed) as the API takes it; same result. */
jv bi_docker_containers_label(bi_docker *d, const char *label, int all);
jv bi_docker_containers_filter(bi_docker *d, jv filters, int all);
jv bi_docker_inspect(bi_docker *d, const char *id);

/* Container actions: "start", "stop", "restart", "kill", "pause", "unpause".
 * query is appended as is ("t=5", "signal=KILL") or NULL. Already in the asked
 * state (304; 409 for kill of a stopped container) counts as success.
 * 0 on success, -1 with the error in bi_docker_error. */
int bi_docker_action(bi_docker *d, const char *id, const char *action,
		     const char *query);

/* Run argv in the container; *code gets its exit code; output (stdout and
 * stderr, demultiplexed) goes to on_line when not NULL. 0 on success. */
int bi_docker_exec(bi_docker *d, const char *id, const char *const *argv,
		   int *code, void (*on_line)(void *ctx, int stream,
					      const char *line, size_t len),
		   void *ctx);

/* Put one file (data, n bytes, mode) into the container's directory dir. */
int bi_docker_put_file(bi_docker *d, const char *id, const char *dir, const char *name,
		       const void *data, size_t n, int mode);

/* Logs. since/until in ns (0: unbounded), tail < 0: all. Each line is passed
 * once, with its stream (1 stdout, 2 stderr) and Docker's timestamp, without
 * its '\n'. The callback returns nonzero to stop. Returns 0, or -1 on error. */
typedef struct bi_docker_logs_opts {
	int64_t since, until;
	long tail;
	int follow;
	int tty;	/* 1: the container has a TTY (the body is not framed);
			   0: framed; -1: tell from the first bytes */
} bi_docker_logs_opts;
typedef int (*bi_log_fn)(void *ctx, int stream, int64_t ts, const char *line,
			 size_t len);
int bi_docker_logs(bi_docker *d, const char *id, const bi_docker_logs_opts *o,
		   bi_log_fn fn, void *ctx);

/* The demultiplexer behind bi_docker_logs, fed with the body in chunks of any
 * size: it reassembles frames (8-byte header: stream, 3 zero bytes, big-endian
 * length) and lines split across frames (Docker splits lines over 16 KiB),
 * and parses the timestamp at the start of each line. */
typedef struct bi_demux {
	int tty;		/* -1: find out from the first bytes */
	int ts;			/* entries begin with a timestamp (default 1) */
	bi_buf frame;		/* the current frame's payload */
	unsigned char hdr[8];
	size_t hdrlen;
	size_t left;		/* payload bytes left in the current frame */
	int stream;
	bi_buf line[3];		/* partial line per stream (1, 2) */
	int64_t line_ts[3];
	bi_log_fn fn;
	void *ctx;
	int stopped;
} bi_demux;
void bi_demux_init(bi_demux *m, int tty, bi_log_fn fn, void *ctx);
int bi_demux_feed(bi_demux *m, const char *buf, size_t n);  /* nonzero: stop */
void bi_demux_end(bi_demux *m);		/* pass any unterminated lines */
void bi_demux_free(bi_demux *m);

/* Stats of one container. With one_shot the daemon answers at once and
 * precpu is empty (cpu_pct is then null); otherwise it waits ~1 s to measure.
 * Returns the derived figures as bi_docker_stats_compute does, or jv_invalid. */
jv bi_docker_stats(bi_docker *d, const char *id, int one_shot);

/* Derive the docker CLI's figures from one raw stats object (consumed):
 * {cpu_pct, mem_used, mem_limit, mem_pct, net_rx, net_tx, blk_read,
 *  blk_write, pids}. CPU % = delta container usage / delta system usage
 * x online cpus x 100; memory used = usage - inactive file cache. */
jv bi_docker_stats_compute(jv raw);

/* The `container` record of a Docker event (borrowed) in a container's
 * lifecycle (create start restart stop kill die oom pause unpause destroy)
 * or health (action health_status, with health): ts, project, service,
 * container, action, and exit_code, signal, image, name when known;
 * jv_invalid for other events (exec_*, attach: health checks' noise). */
jv bi_docker_event_record(jv ev, const char *project);

/* The `container` record with action status of a container, from its
 * inspect document (jv_invalid: state gone) and its summary in a container
 * list (both borrowed): state, health, restarts, image, uptime when running,
 * exit_code when not, and ports as "127.0.0.1:8080->8080/tcp,...". */
jv bi_docker_status_record(jv inspect, jv summary, const char *project);

/* Stream events matching filters (a JSON object as the API takes, or NULL)
 * between since and until (ns, 0: now / forever). fn gets each event (owned
 * by fn) and returns nonzero to stop. 0 at the end, -1 on error. */
int bi_docker_events(bi_docker *d, const char *filters, int64_t since,
		     int64_t until, int (*fn)(void *ctx, jv event), void *ctx);

/* ----------------------------------------------------------------- tmpl.c */

/* The template language of bi-scaffold, rendered with vars (a jv object of
 * strings, numbers and booleans, borrowed):
 *   {{NAME}}                    the value, escaped as the file's type needs
 *   {{NAME|raw}}, {{NAME|str}}, {{NAME|sh}}, {{NAME|html}}   explicit escaping
 *   {{#if COND}} ... {{else}} ... {{/if}}   blocks, nested; COND is NAME,
 *                               !NAME, or NAME,NAME,... (any of them)
 *   \{{                         a literal "{{"
 * A line holding nothing but a block tag disappears whole. An unknown name,
 * an unclosed block or a stray tag is an error. */
enum { BI_ESC_NONE, BI_ESC_STR, BI_ESC_SH, BI_ESC_HTML };

/* The escaping a file's name calls for: STR inside the double-quoted strings
 * of JSON, YAML, C, Go, Kotlin, TypeScript, Python; SH for shell, Dockerfile,
 * Makefile, Jenkinsfile; HTML for .html; NONE otherwise. */
int bi_tmpl_esc_for(const char *path);

/* Render text. Returns the output (*outlen bytes, NUL-terminated), or NULL
 * with "LINE: what" in err. */
char *bi_tmpl_render(const char *text, size_t len, jv vars, int esc,
		     size_t *outlen, char *err, size_t errlen);

/* Evaluate a condition (as in {{#if}}): 1 true, 0 false, -1 unknown name. */
int bi_tmpl_cond(const char *expr, jv vars);

/* Render the {{NAME}}s of a relative path and check that it stays inside the
 * target: not absolute, no "." or ".." or empty part, no backslash or
 * control character. NULL with the reason in err otherwise. */
char *bi_tmpl_path(const char *path, jv vars, char *err, size_t errlen);

/* Write data to rel under the directory dirfd, making parents as needed and
 * following no symbolic link on the way (a link planted in the target cannot
 * lead the write outside). Without BI_TMPL_OVERWRITE an existing file is an
 * error. 0 on success, -1 with the reason in err. */
enum { BI_TMPL_OVERWRITE = 1 };
int bi_tmpl_write(int dirfd, const char *rel, const char *data, size_t n,
		  int mode, int flags, char *err, size_t errlen);

/* ------------------------------------------------------------- logparse.c */

/* Levels, lowest first: trace debug info warn error fatal. */
int bi_level_rank(const char *level);		/* 0..5, or -1 if unknown */
const char *bi_level_norm(const char *s);	/* "WARNING" -> "warn"; NULL if none */

/* The level a plain line states ("ERROR", "[warn]", "level=info", "panic:"),
 * or NULL when it states none. Looks at the first 256 bytes. */
const char *bi_level_detect(const char *text, size_t n);

/* One line of a program's output as a `log` record. A JSON object line is
 * read for its time, level, message, logger and stack trace under their usual
 * names (@timestamp/time/ts, level/lvl/severity, message/msg, logger_name/
 * logger, stack_trace/stack, and pino's numeric levels); its other fields go
 * under "attrs". A plain line gets a detected level, "info" by default. ts
 * (ns, 0: now) is used when the line carries no time of its own; stream is 1
 * for stdout, 2 for stderr, 0 for neither. */
jv bi_log_parse(const char *line, size_t n, int64_t ts, int stream);

/* Joins the lines of a stack trace (Java "at ..." and "Caused by:", Python
 * tracebacks, Go panics) into the record they belong to, whose "stack" holds
 * them. Feed one source's records in order; complete records go to emit. */
typedef struct bi_logjoin bi_logjoin;
bi_logjoin *bi_logjoin_new(void (*emit)(void *ctx, jv rec), void *ctx);
void bi_logjoin_feed(bi_logjoin *j, jv rec);	/* consumes rec */
void bi_logjoin_flush(bi_logjoin *j);		/* emit the record held back */
int64_t bi_logjoin_held_since(const bi_logjoin *j);	/* mono ns, 0 if none */
void bi_logjoin_free(bi_logjoin *j);		/* flushes first */

/* ---------------------------------------------------------------- merge.c */

/* Merges records from many threads into time order: producers put records
 * with their time; the consumer takes them out oldest first, once they are
 * older than the window (live streams) or once every producer is done. At
 * most cap records wait; past that the oldest leaves at once, so memory stays
 * bounded and order holds within the window. */
typedef struct bi_merge bi_merge;
bi_merge *bi_merge_new(size_t cap, int64_t window_ns);
void bi_merge_free(bi_merge *m);
void bi_merge_put(bi_merge *m, int64_t ts, jv rec);	/* consumes rec; any thread */
void bi_merge_producer(bi_merge *m, int delta);		/* +1 starting, -1 done */
/* The next record, blocking up to wait_ns for one to be due. 1: *rec set;
 * 0: nothing due yet; -1: every producer is done and nothing is left. */
int bi_merge_take(bi_merge *m, jv *rec, int64_t wait_ns);

/* The time of a record's "ts", in ns; 0 when it has none. */
int64_t bi_record_ts(jv rec);

/* ----------------------------------------------------------------- hist.c */

/* A log-linear histogram of non-negative values (nanoseconds, say): exact
 * below 256, then 128 buckets per power of two, so any value read back is
 * within 0.4% of one recorded (bucket midpoints). Fixed size, no allocation
 * while recording; merge adds counts. */
#define BI_HIST_BUCKETS (256 + 56 * 128)
typedef struct bi_hist {
	uint64_t count[BI_HIST_BUCKETS];
	uint64_t n;
	uint64_t min, max;
	double sum;
} bi_hist;

void bi_hist_reset(bi_hist *h);
void bi_hist_add(bi_hist *h, uint64_t v);
void bi_hist_merge(bi_hist *dst, const bi_hist *src);
/* The value at quantile q (0..1), as PromQL-free nearest rank: the smallest
 * recorded bucket whose cumulative count reaches ceil(q * n). 0 if empty. */
double bi_hist_quantile(const bi_hist *h, double q);
double bi_hist_mean(const bi_hist *h);

/* ----------------------------------------------------------------- load.c */

#include <sys/socket.h>

/* An HTTP/1.1 response read incrementally: status line and headers, then a
 * body by Content-Length, chunked, or until the connection closes. */
typedef struct bi_resp {
	int phase;		/* 0 head, 1 body by length, 2 chunked, 3 to close, 4 done */
	int status;
	int close;		/* "Connection: close", or HTTP/1.0 */
	int no_body;		/* a reply to HEAD */
	uint64_t left;		/* body bytes left (by length, or of this chunk) */
	int chunk;		/* chunked: 0 size line, 1 data, 2 CRLF after data, 3 trailers */
	char head[8192];	/* header bytes not yet complete */
	size_t hlen;
} bi_resp;

void bi_resp_init(bi_resp *r, int no_body);
/* Feed bytes; returns how many were used, or -1 on a malformed response.
 * r->phase is 4 once the response is whole; bytes after it are not used. */
long bi_resp_feed(bi_resp *r, const char *p, size_t n);
/* At end of stream: 1 if that completes the response (a body to close). */
int bi_resp_eof(bi_resp *r);

/* The engine of bi-perf. Requests are prepared bytes, one per endpoint,
 * chosen by weight. Closed model: VUs connections, each sending as soon as
 * its last answer came (after think); stages ramp the VUs linearly. Open
 * model (rate > 0): requests scheduled at a constant rate over connections,
 * latency timed from the scheduled moment, so a stall is seen as it was
 * (coordinated omission corrected, as wrk2 does). */
#define BI_LOAD_MAX_ENDPOINTS 64
typedef struct bi_load_endpoint {
	const char *name;
	const char *request;	/* the whole request, bytes */
	size_t len;
	double weight;
	int head;		/* HEAD: the reply has no body */
} bi_load_endpoint;

typedef struct bi_load_stage {
	int64_t duration;
	int target;		/* VUs at the end of the stage */
} bi_load_stage;

typedef struct bi_load_conf {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const bi_load_endpoint *endpoints;
	int nendpoints;
	int threads;
	int connections;	/* open model: connections; closed: VUs when no stages */
	double rate;		/* requests per second; 0: closed model */
	const bi_load_stage *stages;
	int nstages;
	int64_t duration;	/* ignored with stages */
	int64_t timeout;	/* per request */
	int64_t think;		/* closed model: pause between a VU's requests */
	volatile int *stop;	/* set to end early (a signal) */
} bi_load_conf;

typedef struct bi_load_stats {
	bi_hist latency;	/* ns, of answered requests */
	uint64_t requests;	/* answered or failed */
	uint64_t failed;	/* transport errors and statuses >= 400 */
	uint64_t status[6];	/* by class: [1] 1xx .. [5] 5xx, [0] other */
	uint64_t err_connect, err_read, err_write, err_timeout;
	uint64_t bytes_in, bytes_out;
	uint64_t by_endpoint[BI_LOAD_MAX_ENDPOINTS];
} bi_load_stats;

void bi_load_stats_merge(bi_load_stats *dst, const bi_load_stats *src);

/* Run the load; every second, tick gets the second's numbers (and the VUs
 * running). total gets everything. 0, or -1 with err (threads, sockets). */
typedef void (*bi_load_tick)(void *ctx, int second, int vus, const bi_load_stats *sec);
int bi_load_run(const bi_load_conf *c, bi_load_tick tick, void *ctx,
		bi_load_stats *total, char *err, size_t errlen);

/* ------------------------------------------------------------ threshold.c */

/* A k6 threshold: METRIC: AGGREGATE OP NUMBER, about http_req_duration (avg,
 * min, max, med, p(N): ms), http_req_failed (rate) or http_reqs (rate per
 * second, count). */
typedef struct bi_threshold {
	char metric[64], expr[128];	/* as written, for reports */
	char agg[16];			/* avg min max med p rate count */
	double p;			/* N of p(N) */
	char op[3];
	double limit;
	double value;			/* measured by bi_threshold_judge; NaN: none */
	int ok;
} bi_threshold;

/* Parse expr about metric ("p(95)<500"), or with metric NULL a whole
 * "http_req_failed: rate<0.01" (a bare expression is about durations, or
 * failures when it starts with rate). 0, or -1 with the reason in err. */
int bi_threshold_parse(bi_threshold *t, const char *metric, const char *expr, char *err, size_t n);

/* Measure t on the stats of a run of secs seconds; t->ok, also returned.
 * A duration threshold with no answered request does not hold. */
int bi_threshold_judge(bi_threshold *t, const bi_load_stats *s, double secs);

/* ---------------------------------------------------------------- drain.c */

/* Log templates by the Drain method: a message is masked (words holding a
 * digit, and file paths, become <*>) and joins the most similar cluster of
 * messages with as many tokens and the same first tokens, or starts one.
 * Settings are fixed: the same for every input. Memory grows with the number
 * of clusters, not of messages. */
typedef struct bi_drain bi_drain;

/* A cluster, owned by its bi_drain and valid until bi_drain_free; read only. */
typedef struct bi_drain_cluster {
	size_t index;		/* 0, 1, 2 ... in order of creation */
	size_t count;		/* messages it holds */
	char id[12];		/* "t" and 8 hex digits, from its first message:
				   the same message gets the same id in any run */
	size_t ntok;		/* its template, as tokens; "<*>" where variable */
	char **tok;
} bi_drain_cluster;

bi_drain *bi_drain_new(void);
void bi_drain_free(bi_drain *d);

/* Add a message (n bytes, any content): returns its cluster, which may have
 * just been made or had its template widened. Cannot fail. */
const bi_drain_cluster *bi_drain_add(bi_drain *d, const char *msg, size_t n);

/* The cluster a message would join, without changing anything; NULL if none. */
const bi_drain_cluster *bi_drain_match(bi_drain *d, const char *msg, size_t n);

/* A cluster's template as one string, tokens joined by a space; borrowed,
 * valid until the next call on d. */
const char *bi_drain_text(bi_drain *d, const bi_drain_cluster *c);

/* The clusters: how many, and each by its index (NULL past the end). */
size_t bi_drain_count(const bi_drain *d);
const bi_drain_cluster *bi_drain_get(const bi_drain *d, size_t index);

/* Append msg masked, its tokens joined by single spaces, to out. */
void bi_drain_mask(const char *msg, size_t n, bi_buf *out);

/* ------------------------------------------------------------------- kb.c */

/* The knowledge base: patterns of known problems (eight built in, more from
 * YAML), and incidents with the outcomes of their fixes, in the project
 * database. */

/* A metric condition, "FIELD OP NUMBER" (op one of >= <= == != > <). */
typedef struct bi_kb_cond {
	char *field;
	int op;
	double value;
} bi_kb_cond;

/* A pattern. Lists are NULL-terminated; logs and chaos are lower case and
 * match as substrings, case-insensitively; containers and k8s are whole
 * words (a container signal: "oom", "crash", "dependency-stopped"; a
 * Kubernetes reason: "OOMKilled"). */
typedef struct bi_kb_pattern {
	char *id, *name, *severity, *root_cause;
	char **logs, **containers, **k8s, **chaos, **fixes;
	bi_kb_cond *conds;
	size_t nconds;
	double success_rate;	/* the initial success rate of its fixes */
	int builtin;
} bi_kb_pattern;

/* The built-in patterns, then the user's: cfg's kb.patterns (a list, or a
 * YAML file's path relative to the project) and each of files (a YAML list,
 * or an object with a patterns list). A user pattern with a built-in's id
 * replaces it. NULL with the reason in err when one is malformed. */
bi_kb_pattern *bi_kb_patterns(jv cfg, char *const *files, size_t nfiles, size_t *n,
			      char *err, size_t errlen);
void bi_kb_patterns_free(bi_kb_pattern *p, size_t n);
const bi_kb_pattern *bi_kb_pattern_find(const bi_kb_pattern *p, size_t n, const char *id);

/* The pattern whose log terms text holds, the longest term winning: its
 * index, or -1; *termlen (when not NULL) gets the term's length. Only the
 * first 4 KiB of text are read. */
int bi_kb_match_text(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		     size_t *termlen);
int bi_kb_in(char *const *list, const char *word);	/* case-insensitive */
int bi_kb_cond_holds(const bi_kb_cond *c, double value);

/* Jaccard similarity of the sets of words (lower case, longer than 3
 * characters) of a and b, from 0 to 1. */
double bi_kb_jaccard(const char *a, const char *b);

/* What a finding is matched by: its "signature", else "PATTERN SERVICE
 * TEMPLATE-or-TITLE". */
char *bi_kb_signature(jv finding);		/* finding borrowed */

/* The database at path (bi_store_open's schema); with create 0, NULL when
 * the file does not exist. Dies (exit 1) when it cannot be opened. */
sqlite3 *bi_kb_open(const char *path, int create);

/* Record a finding (borrowed): the same occurrence recorded again updates
 * its incident, a new occurrence of an open incident counts one more, and
 * anything else (or a recurrence after resolution) is a new open incident.
 * Returns the `incident` record. */
jv bi_kb_record(sqlite3 *db, jv finding);

/* Record how a fix went ("resolved" closes the incident; "partial" and
 * "failed" leave it open). Returns the incident, or jv_invalid() when there
 * is no incident id. */
int bi_kb_outcome_ok(const char *outcome);
jv bi_kb_resolve(sqlite3 *db, const char *id, const char *outcome, const char *fix,
		 int64_t when);

/* An incident with its outcomes and the finding it was recorded from, or
 * jv_invalid(); incidents by status and pattern (NULL: any), oldest first,
 * the newest limit of them (limit <= 0: all). */
jv bi_kb_get(sqlite3 *db, const char *id);
jv bi_kb_list(sqlite3 *db, const char *status, const char *pattern, long limit);

/* Store an incident record (consumed) as exported, replacing one with its
 * id. 0, or -1 with the reason in err. */
int bi_kb_import(sqlite3 *db, jv incident, char *err, size_t errlen);

/* The success rate of a fix (NULL: of every fix) for a pattern (NULL: any
 * pattern): prior counts for two outcomes, then resolved 1, partial 0.5,
 * failed 0. *n (when not NULL) gets the outcomes counted. db may be NULL. */
double bi_kb_rate(sqlite3 *db, const char *pattern, double prior, const char *fix, int *n);

/* Add to a finding (consumed, returned) the past incidents like it
 * ("similar", the top 5 above 0.1, the most similar first) and the fixes to
 * try ("fixes": those that worked for them and its pattern's, each with its
 * success rate, the best first), and its pattern's "success_rate". *best
 * gets the highest similarity, 0 when none. db may be NULL. */
jv bi_kb_advise(sqlite3 *db, const bi_kb_pattern *pats, size_t npats, jv finding,
		double *best);

/* ----------------------------------------------------------------- prom.c */

/* One sample of the Prometheus text exposition format (0.0.4; OpenMetrics
 * tolerated: "# EOF", exemplars and the _created samples of typed families
 * are skipped). Borrowed for the duration of the callback. */
typedef struct bi_prom_sample {
	const char *name;
	jv labels;		/* object: label name -> value */
	double value;		/* NaN and +-Inf as given */
	int64_t ts_ms;		/* -1 when the line has none */
	const char *type;	/* its family's TYPE: counter, gauge, histogram,
				   summary, or untyped */
} bi_prom_sample;

/* Parse text; fn gets each sample (return nonzero to stop). A malformed line
 * goes to bad (when not NULL) with its number and reason, and is skipped.
 * Flags: BI_PROM_OM, the text is OpenMetrics (timestamps in seconds);
 * BI_PROM_NO_LABELS, labels are checked but not built (labels is null), for
 * a caller that only counts or checks. Returns the samples given to fn. */
enum { BI_PROM_OM = 1, BI_PROM_NO_LABELS = 2 };
long bi_prom_parse(const char *text, size_t len, int flags,
		   int (*fn)(void *ctx, const bi_prom_sample *s),
		   void (*bad)(void *ctx, size_t line, const char *why), void *ctx);

/* PromQL's rate() (is_rate) or increase() of one series' samples (times in
 * ms, ascending) in the range [start, end] ms: counter resets added back,
 * extrapolated to the range's edges as Prometheus does. NaN with fewer than
 * two samples. */
double bi_prom_rate(const int64_t *t, const double *v, int n, int64_t start, int64_t end,
		    int is_rate);

/* PromQL's histogram_quantile over buckets (upper bounds le, cumulative
 * counts, any order; le may be +Inf): linear inside the bucket where the rank
 * falls, from 0 in the lowest, the highest finite bound when it falls in the
 * +Inf one; NaN with fewer than two buckets, no +Inf bucket, or no counts. */
double bi_prom_quantile(double q, const double *le, const double *count, int n);

/* ------------------------------------------------------------------ llm.c */

/* Talking to a local LLM about the project's records: the context it is
 * given (the records digested, then condensed to a budget), and a client of
 * Ollama's API or an OpenAI-compatible one. */
#include <signal.h>

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

/* -------------------------------------------------------------- offline.c */

/* 1 when q is a question the records alone answer: recent logs, errors,
 * status or health, commits or changes, "why did X fail". */
int bi_offline_answerable(const char *q);

/* The answer to q from the records read into in (its error groups get
 * sorted), as text saying that no model was used; *evidence gets an array
 * of the records it shows. NULL when q is not answerable so. */
char *bi_offline_answer(bi_llm_records *in, const char *q, jv *evidence);

/* ---------------------------------------------------------------- proxy.c */

/* bi-proxy's engine: TCP proxies with toxics, as toxiproxy's API describes
 * them. The functions below are the API's verbs; each is safe to call from
 * another thread than the loop's. Bodies are consumed; results are the
 * API's JSON, or jv_invalid_with_msg with *status set (400, 404, 409). One
 * engine per process. */
typedef struct bi_proxy_engine bi_proxy_engine;

/* on_event gets a `proxy` record for each connection, toxic and proxy change
 * (called under the engine's lock). */
bi_proxy_engine *bi_proxy_new(void (*on_event)(void *ctx, jv rec), void *ctx);
void bi_proxy_free(bi_proxy_engine *e);
/* Run the loop until *stop, then drain: stop accepting, let open connections
 * finish for up to drain ns, then close them. */
int bi_proxy_run(bi_proxy_engine *e, volatile int *stop, int64_t drain);

jv bi_proxy_list(bi_proxy_engine *e);			/* {name: proxy} */
jv bi_proxy_create(bi_proxy_engine *e, jv body, int *status);	/* 201 */
jv bi_proxy_get(bi_proxy_engine *e, const char *name, int *status);
jv bi_proxy_update(bi_proxy_engine *e, const char *name, jv body, int *status);
int bi_proxy_delete(bi_proxy_engine *e, const char *name);	/* 204 or 404 */
jv bi_proxy_toxics(bi_proxy_engine *e, const char *proxy, const char *toxic, int *status);
jv bi_proxy_add_toxic(bi_proxy_engine *e, const char *proxy, jv body, int *status);
jv bi_proxy_update_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic, jv body,
			 int *status);
int bi_proxy_delete_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic);
void bi_proxy_reset(bi_proxy_engine *e);	/* all enabled, no toxics */
void bi_proxy_lock(bi_proxy_engine *e);
void bi_proxy_unlock(bi_proxy_engine *e);

/* ---------------------------------------------------------------- chaos.c */

#include <sys/types.h>

/* The chaos journal: one JSON line per change, flushed to disk before the
 * change is made, saying how to undo it; {"undone": ID} once undone. Entries:
 *   {"action":"docker", "container":ID, "undo":"start"|"unpause"}
 *   {"action":"toxic", "api":URL, "proxy":NAME, "toxic":NAME}
 *   {"action":"proxy", "api":URL, "proxy":NAME}      (re-enable it)
 *   {"action":"process", "pid":N, "command":TEXT}     (a helper we started)
 * bi_journal_add returns the entry's id (-1 when it cannot be written). */
int bi_journal_add(const char *path, jv entry);	/* consumes entry */
int bi_journal_done(const char *path, int id);
jv bi_journal_pending(const char *path);	/* entries not undone, newest first */
/* Undo one entry (borrowed); 0, or -1 with the reason. What is already gone
 * counts as undone. d may be NULL when no Docker entry is pending. */
int bi_journal_undo(jv entry, bi_docker *d, char *err, size_t n);

/* The HTTP status of GET url, or 0 when nothing answered in time. */
int bi_http_status(const char *url, long timeout_ms);

/* Start argv (found in PATH) with stdout to the file out and stderr to err
 * (NULL: ours) and stdin from /dev/null; its pid, or -1. */
pid_t bi_spawn(const char *const *argv, const char *out, const char *err);

/* The last record of a kind in a file, or jv_invalid. */
jv bi_last_record(const char *path, const char *kind);

/* ----------------------------------------------------------- experiment.c */

#include <signal.h>

/* One run of chaos experiments on a compose project. The caller fills in the
 * options; the rest is the run's own state, zero to begin with. */
typedef struct bi_chaos {
	const char *project;	/* compose project: its containers only are touched */
	const char *service;	/* the app's compose service */
	const char *base;	/* the app's URL, "http://127.0.0.1:PORT" */
	const char *intensity;	/* low, medium or high */
	const char *target;	/* the dependency to break; NULL: the first found */
	const char *journal;	/* the journal's path (bi_journal_add) */
	const char *bindir;	/* where bi-perf, bi-proxy and bi-hog are */
	int64_t duration;	/* how long each fault lasts, ns */
	int64_t recovery;	/* how long recovery may take, ns */
	double max_errors;	/* error rate above which a probe fails */
	int dry_run;		/* plan only: touch nothing, Docker may be NULL */
	bi_docker *d;
	jv cfg;			/* borrowed: the project's configuration */
	volatile sig_atomic_t *stop;	/* set (by a signal): wind down, put back */
	pid_t load_pid;
	char load_out[256];
} bi_chaos;

/* 1 when name is a scenario: pod-kill, network-latency, dependency-down,
 * db-latency, memory-pressure, cpu-pressure, pause. */
int bi_chaos_known(const char *name);

/* Run one scenario from its steady-state check to its recovery; its `chaos`
 * record (status passed, failed, skipped or planned, and why), or jv_invalid
 * for an unknown name. Whatever it changed is put back before it returns,
 * when it can be; what could not be stays in the journal. */
jv bi_chaos_run(bi_chaos *cx, const char *name);

/* Undo whatever the journal holds as pending, appending each entry undone to
 * *undone (NULL: not wanted); 0 when all of it could be. */
int bi_chaos_rollback(bi_chaos *cx, jv *undone);

/* ------------------------------------------------------------------ k8s.c */

/* Run `kubectl ARGS... --request-timeout=5s -o json` (args NULL-terminated,
 * at most 27) in kubectl's current context: its output, or NULL with one line
 * in err: "kubectl is not installed", or kubectl's own last line of error. */
char *bi_kubectl(const char *const *args, char *err, size_t n);

/* k8s_event records {ts, namespace, object, reason, type, msg, count} from
 * the parsed output of `kubectl get events -o json` (consumed): an array, or
 * jv_invalid_with_msg when it is not a Kubernetes list. */
jv bi_k8s_events(jv list);

/* The same records for what `kubectl get pods -o json` (consumed) shows that
 * events may have aged out of: a container waiting, with the reason
 * (CrashLoopBackOff...; ts is now), and the reason its last run ended
 * (OOMKilled, Error; ts when it ended), with the restart count. */
jv bi_k8s_pods(jv list);

/* ------------------------------------------------------------------ rca.c */

/* Root-cause analysis: records in; out, one `finding` per distinct problem,
 * the most likely first (blissful-infra(7) lists its fields). Memory grows
 * with the problems and log templates seen, not with the records. */
typedef struct bi_rca bi_rca;

/* A new analysis by the patterns pats (borrowed: they must outlive it). */
bi_rca *bi_rca_new(const bi_kb_pattern *pats, size_t npats);
void bi_rca_free(bi_rca *a);

/* Take a record (consumed): logs, container events and stats, commits,
 * health checks, alerts, Kubernetes events, metrics, load-test and chaos
 * results; a record of another kind is only counted. A record given after
 * bi_rca_rank is dropped. */
void bi_rca_add(bi_rca *a, jv rec);

/* The fast path, for a line as bi_read_line gives it: 1 when it is a log
 * record of no interest (info and below, not slow), taken as bi_rca_add
 * would take it (a request of its service counted) without being parsed;
 * 0 when it is anything else: parse it and give it to bi_rca_add. */
int bi_rca_skip(bi_rca *a, const char *line, size_t len);

/* The records taken so far, and how many of them were logs. */
void bi_rca_counts(const bi_rca *a, size_t *records, size_t *logs);

/* Group what was taken into findings, score and rank them; returns how
 * many. db is the knowledge base (bi_kb_open) whose past incidents raise
 * a finding's confidence, or NULL. Once: a second call returns the same. */
size_t bi_rca_rank(bi_rca *a, sqlite3 *db);

/* The i-th most likely finding (0 the first) as a record, with the past
 * incidents like it and the fixes to try from db (as given to bi_rca_rank,
 * or NULL); jv_invalid() past the last. */
jv bi_rca_finding(bi_rca *a, size_t i, sqlite3 *db);

/* --------------------------------------------------------------- gitctx.c */

/* Is start (a path) inside a git repository? */
int bi_git_is_repo(const char *start);

/* The commits of the repository holding start, newest first: those in range
 * ("A..B"), or without one those made between since and until (ns; 0 leaves
 * that end open). fn gets each as a `commit` record (sha, author, email, msg,
 * body, files, files_changed, insertions, deletions, repo), owned by fn, and
 * returns nonzero to stop. 0; -1 when start is in no repository; -2 on
 * another error; err says which. */
int bi_git_commits(const char *start, const char *range, int64_t since, int64_t until,
		   int (*fn)(void *ctx, jv commit), void *ctx, char *err, size_t n);

/* -------------------------------------------------------------- metrics.c */

/* Metric history in a database with bi_store_open's schema: samples kept by
 * series (a service, a name and its labels), figures derived from a window
 * of them as PromQL would, and alerts on those figures. Times are in ms
 * since the epoch. A database error is fatal (exit 1), as in bi_store_exec. */
typedef struct bi_metrics bi_metrics;

/* The history in db (borrowed: it must outlive it; closing it is the
 * caller's). bi_metrics_close does not close db. */
bi_metrics *bi_metrics_open(sqlite3 *db);
void bi_metrics_close(bi_metrics *m);

/* Keep a sample of the series (service, name, labels): labels (borrowed)
 * an object, told apart by its dump with sorted keys; type (counter, gauge
 * ...) recorded when the series is new. NaN is kept as no value; a second
 * sample of a series at the same time replaces the first. */
void bi_metrics_keep(bi_metrics *m, const char *service, const char *name, jv labels,
		     const char *type, int64_t ts, double value);

/* Retention by cfg's metrics.retention (borrowed): samples older than
 * max_age (default 7d) before now go; then, while the database holds more
 * than max_size (default 10MB), the oldest tenth of the time kept goes;
 * then the series left without samples, bar derived ones. 0, or -1 with
 * the reason in err when max_size is not a size (nothing is deleted). */
int bi_metrics_retain(bi_metrics *m, jv cfg, int64_t now, char *err, size_t errlen);

/* Every series of service named one of names (NULL-terminated), in the
 * order of names, that has samples in [start, end]: fn gets its labels
 * (borrowed) and those samples, oldest first (NaN where none was kept). */
typedef void bi_metrics_series_fn(void *ctx, jv labels, const int64_t *t, const double *v, int n);
void bi_metrics_each_series(bi_metrics *m, const char *service, const char *const *names,
			    int64_t start, int64_t end, bi_metrics_series_fn *fn, void *ctx);

/* Every sample at or after since, of service (NULL: of any), oldest first:
 * fn gets its series (labels as their JSON text), time and value (NaN
 * where none was kept); the strings are valid during the call only. */
typedef void bi_metrics_sample_fn(void *ctx, const char *service, const char *name,
				  const char *labels, int64_t ts, double value);
void bi_metrics_each_sample(bi_metrics *m, const char *service, int64_t since,
			    bi_metrics_sample_fn *fn, void *ctx);

/* The services with a series, sorted; only the one named only, when not NULL. */
jv bi_metrics_services(bi_metrics *m, const char *only);

/* A derived figure: name (request_rate, error_rate, latency_p50_ms,
 * latency_p95_ms, latency_p99_ms, cpu_pct, mem_bytes, mem_pct) and unit are
 * static strings. */
typedef struct bi_metrics_figure {
	const char *name, *unit;
	double value;
} bi_metrics_figure;
#define BI_METRICS_FIGURES 8	/* the most bi_metrics_derive gives */

/* The figures of service over the window of that many ms ending at end,
 * into f: request rate (the rate() of its request counters, summed) and
 * error rate (the share of 5xx) when it counts requests, latency quantiles
 * from its duration histogram (histogram_quantile of the bucket rates, in
 * ms) when it has one, and the latest container stats kept at any time.
 * Request and duration series go by the common names
 * (http_requests_total, http_request_duration_seconds_bucket) or
 * Micrometer's (http_server_requests_seconds_count, _bucket). Returns how
 * many. */
int bi_metrics_derive(bi_metrics *m, const char *service, int64_t end, int64_t window,
		      bi_metrics_figure *f);

/* Compare the figures of service at now with their thresholds: cfg's
 * (borrowed) alerts.KEY.warning and .critical, KEY one of cpu_pct, mem_pct
 * (defaults 80 and 95), error_rate (0.01, 0.05), p95_ms (500) and p99_ms
 * (1000). An alert fires when a figure reaches a threshold, changes
 * severity in place while it stays above, and resolves when the figure is
 * back under the warning; a figure not given leaves its alert as it is. One
 * that resolved does not fire again within alerts.cooldown (default 60s).
 * Returns the `alert` records of what changed, in that order; *fired gets
 * how many fired anew. */
jv bi_metrics_evaluate(bi_metrics *m, jv cfg, const char *service, const bi_metrics_figure *f,
		       int nf, int64_t now, int *fired);

/* The alerts firing, as `alert` records, the oldest first. */
jv bi_metrics_alerts(bi_metrics *m);

/* Acknowledge an alert: 0, or -1 when there is no alert id. */
int bi_metrics_ack(bi_metrics *m, int64_t id);

/* ------------------------------------------------------------------ fmt.c */

/* Values for people. bi_fmt_str: strings as they are, numbers without
 * trailing zeros, arrays joined by ",", objects as k=v,k=v, absent as "-". */
void bi_fmt_str(bi_buf *b, jv v);			/* v borrowed */
void bi_fmt_time(bi_buf *b, jv v);			/* "2026-11-24 01:02:03.000" */
void bi_fmt_bytes(bi_buf *b, double n);			/* "30.0MiB" */
void bi_fmt_ms(bi_buf *b, double ms);			/* "950us", "12.5ms", "1.2s" */
/* text in the colour sgr ("31": red) when color is set. */
void bi_fmt_paint(bi_buf *b, int color, const char *sgr, const char *text);

/* A column of a table: its header, the record's field (a dotted path; "a|b"
 * is a, or b when a is absent), how to show it, and right-aligned or not. */
enum bi_fmt_kind { BI_F_STR, BI_F_UPPER, BI_F_TIME, BI_F_NUM, BI_F_PCT, BI_F_BYTES, BI_F_MS,
		   BI_F_SHORT, BI_F_FIRSTLINE, BI_F_RATE };
typedef struct bi_col {
	const char *head, *key;
	enum bi_fmt_kind fmt;
	int right;
} bi_col;
void bi_fmt_value(bi_buf *b, jv rec, const bi_col *c);	/* rec borrowed */

/* Rows gathered, then printed aligned (display width, not bytes); columns
 * that are "-" in every row are left out when the table has a header. cols
 * ends with an entry whose head is NULL (at most 32). */
typedef struct bi_table bi_table;
bi_table *bi_table_new(const bi_col *cols, int header, int color);
void bi_table_add(bi_table *t, jv rec, const char *(*tint)(jv rec, int col));
/* Print the rows gathered (with the header line when asked) and forget them. */
void bi_table_print(bi_table *t, FILE *out, int with_header);
int bi_table_rows(const bi_table *t);
void bi_table_free(bi_table *t);

#endif
