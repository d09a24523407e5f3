/* base/time.h: the interface of time.c (layer: base). */
#ifndef BI_BASE_TIME_H
#define BI_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>

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
 * 0 on success, -1 if s is not a time, or is one outside the years 1678 to
 * 2262, which int64 nanoseconds cannot hold. */
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

#endif
