/* sources/logparse.h: the interface of logparse.c (layer: sources). */
#ifndef BI_SOURCES_LOGPARSE_H
#define BI_SOURCES_LOGPARSE_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
