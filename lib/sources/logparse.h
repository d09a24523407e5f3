/* sources/logparse.h: the interface of logparse.c (layer: sources). */
#ifndef BI_SOURCES_LOGPARSE_H
#define BI_SOURCES_LOGPARSE_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* Levels, lowest first: trace debug info warn error fatal. */
int bi_level_rank(const char *level);		/* 0..5, or -1 if unknown */
const char *bi_level_norm(const char *s);	/* "WARNING" -> "warn"; NULL if none */

/* The level a plain line states, or NULL when it states none. Looks at the
 * first 256 bytes for: a level word in capitals ("ERROR", "WARNING:",
 * Python's "ERROR:root:", logback's "... ERROR [main] ...", PostgreSQL's
 * "ERROR:"/"FATAL:"/"PANIC:", where "LOG:" and "STATEMENT:" end the search),
 * bracketed or after level= ("[error]" of nginx's error log, Apache's
 * "[proxy:error]", "<warn>",
 * slog's "level=ERROR", "level":"warn"), any case as the line's first word
 * before a colon ("error: x", "fatal: y"), an uncaught exception's line
 * ("ValueError: x", "Error: boom"), "panic:", "Traceback", and by position
 * in glog's "E1205 ...", Redis's "1:M 05 Dec 2026 ... # " (# warning,
 * * notice) and a syslog priority ("<3>..." is an error). ANSI colours around the word are skipped. */
const char *bi_level_detect(const char *text, size_t n);

/* The HTTP status a plain line reports, or 0: the number after the request
 * of a common/combined access log ("GET / HTTP/1.1" 502), after a method
 * and a path as morgan writes them ("GET /x 500 3.2 ms"), or a status=,
 * status_code= key. Looks at the first 4096 bytes. */
int bi_log_status(const char *text, size_t n);

/* One line of a program's output as a `log` record. A JSON object line is
 * read for its time, level, message, logger and stack trace under their usual
 * names (@timestamp/time/ts, level/lvl/severity, message/msg, logger_name/
 * logger, stack_trace/stack, pino's numeric levels, ECS's log.level,
 * log.logger and error.stack_trace, dotted or nested); its other fields go
 * under "attrs" (a nested ECS field stays there too). A plain line gets a detected
 * level, "info" by default. An HTTP status found (bi_log_status, or a JSON
 * line's status/statusCode/http.response.status_code...) is set as "status";
 * 5xx makes the level at least error, 4xx a warning when none is stated. ts
 * (ns, 0: now) is used when the line carries no time of its own; stream is 1
 * for stdout, 2 for stderr, 0 for neither. */
jv bi_log_parse(const char *line, size_t n, int64_t ts, int stream);

/* Joins the lines of a stack trace (Java "at ..." and "Caused by:", Python
 * tracebacks, Go panics) into the record they belong to, whose "stack" holds
 * them. A Python traceback joins a warning or worse before it (a logged
 * exception); after an info line, or alone, it is a record of its own, named
 * by its last exception, chained tracebacks ("The above exception was the
 * direct cause ...") and the blank lines between them included. Node.js's
 * report of an uncaught exception (FILE:LINE, the source line, a caret,
 * the exception, its frames, "Node.js vN") is one error record named by the
 * exception. V8's native frames join its FATAL ERROR. The indented lines of
 * a statement PostgreSQL logs (STATEMENT:, statement:) join its message.
 * Feed one
 * source's records in order; complete records go to emit. */
typedef struct bi_logjoin bi_logjoin;
bi_logjoin *bi_logjoin_new(void (*emit)(void *ctx, jv rec), void *ctx);
void bi_logjoin_feed(bi_logjoin *j, jv rec);	/* consumes rec */
void bi_logjoin_flush(bi_logjoin *j);		/* emit the record held back */
int64_t bi_logjoin_held_since(const bi_logjoin *j);	/* mono ns, 0 if none */
void bi_logjoin_free(bi_logjoin *j);		/* flushes first */

#endif
