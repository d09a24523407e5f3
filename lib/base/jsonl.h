/* base/jsonl.h: the interface of jsonl.c (layer: base). */
#ifndef BI_BASE_JSONL_H
#define BI_BASE_JSONL_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Reader of a record stream: one JSON object per line. A malformed line (bad
 * JSON, not an object, invalid UTF-8) is reported on stderr with its line
 * number and skipped. With BI_STRICT it is fatal: reported as such, reading
 * ends there and bi_reader_fatal says so; a read error is fatal too. The
 * reader never exits: the tool decides (exit 2, once it has dealt with what
 * came before). Lines may be of any length; '\r\n' endings and blank lines
 * are accepted. */
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

/* True when the next bi_read_line would not block, waiting up to wait_ms
 * for that: a whole line is buffered, or the descriptor has data or
 * end-of-file waiting. */
int bi_reader_ready(bi_reader *r, int wait_ms);

size_t bi_reader_lineno(const bi_reader *r);	/* lines read so far */
const char *bi_reader_name(const bi_reader *r);	/* as given to bi_reader_new */
int bi_reader_fatal(const bi_reader *r);	/* reading ended on a fatal error */

/* The text of the line read last (by bi_read or bi_read_line), without its
 * line ending: valid until the next read. A writer that keeps records as
 * they came uses it instead of dumping the parsed record again. */
const char *bi_reader_text(const bi_reader *r, size_t *len);
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

/* The value at a dotted path ("perf.thresholds.p95", "items.0.name": a
 * number indexes an array) in v (borrowed): a new reference, or jv_invalid()
 * when absent. The _str and _num forms give a string (borrowed from v) or a
 * number, or def when the value is absent or of another kind. */
jv bi_jv_path(jv v, const char *path);
const char *bi_jv_path_str(jv v, const char *path, const char *def);
double bi_jv_path_num(jv v, const char *path, double def);

/* The time of a record's "ts", in ns; 0 when it has none. */
int64_t bi_record_ts(jv rec);

/* The one way a tool reads its records, as mblaze's blaze822_loop is for
 * its tools: each of the n files named in paths ("-" is stdin; n == 0 reads
 * stdin) in turn, each record given to fn (which owns it) with its reader
 * (for bi_reader_ready, line numbers). fn returns nonzero to stop. A file
 * that cannot be opened is reported on stderr and skipped. Returns the
 * number of files that could not be opened, or -1 when reading ended on a
 * fatal error (BI_STRICT: a malformed line, a file that cannot be opened;
 * or a read error): either way, nonzero means exit 2 for a tool. */
typedef int (*bi_each_fn)(void *ctx, jv rec, bi_reader *r);
int bi_each(int n, char *const *paths, int flags, bi_each_fn fn, void *ctx);

/* The last record of a kind in a file of records ("-": stdin), or
 * jv_invalid() when it holds none (or cannot be read). */
jv bi_last_record(const char *path, const char *kind);

/* Append s as a JSON string, quotes included: '"' and '\' escaped, control
 * characters as \u00XX, every other byte as it is. */
void bi_json_quote(bi_buf *b, const char *s);

#endif
