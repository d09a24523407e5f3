/* base/util.h: the interface of util.c (layer: base). */
#ifndef BI_BASE_UTIL_H
#define BI_BASE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes: every tool uses these and only these (blissful-infra(7)).
 * 1 means the job ran and found a failure, and nothing else: a caller such
 * as `analyze` tells a finding from a broken database by the code. */
enum {
	BI_EXIT_OK = 0,		/* success */
	BI_EXIT_FAIL = 1,	/* the job ran and found failure */
	BI_EXIT_USAGE = 2,	/* usage or input error */
	BI_EXIT_UNREACHABLE = 3,	/* Docker, Ollama, Prometheus ... unreachable */
	BI_EXIT_LOCAL = 4	/* this machine failed the tool: the database,
				   memory, a thread, writing the output */
};

extern const char *bi_progname;

/* Name the tool (for message prefixes) and make SIGPIPE end it quietly. */
void bi_init(const char *argv0);

/* Print "prog: msg" to stderr; when fmt ends in ':' append ": strerror(errno)".
 * bi_die then exits with code. */
void bi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bi_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write why something failed into err (n bytes), as snprintf does, and
 * return -1: `return bi_errf(err, n, ...)` in a function that returns 0,
 * or -1 with the reason in err. */
int bi_errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Allocation that cannot fail: on exhaustion the tool dies (exit 4), the
 * one place the library ends the process. */
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

/* Flush f and check that every write to it succeeded; die (exit 4) if not.
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

/* A copy of s (NULL: "") that the caller frees: all of it when it has at
 * most max bytes, else its first max bytes, fewer so as not to cut a UTF-8
 * character, and "...". What a record shows of a long text. */
char *bi_strclip(const char *s, size_t max);

/* Start argv (found in PATH) with stdout to the file out and stderr to err
 * (NULL: ours) and stdin from /dev/null; its pid, or -1. */
pid_t bi_spawn(const char *const *argv, const char *out, const char *err);

#endif
