/*
 * util.c: messages, exit, allocation that cannot fail, buffers, and the
 * shared --help/--version handling.
 *
 * Layer: base.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/util.h"
extern char **environ;

#ifndef BI_VERSION
#define BI_VERSION "0.0.0"
#endif

const char *bi_progname = "bi";

void
bi_init(const char *argv0)
{
	const char *slash;

	if (argv0 && *argv0) {
		slash = strrchr(argv0, '/');
		bi_progname = slash ? slash + 1 : argv0;
	}
	/* The parent may have ignored SIGPIPE; a closed reader must end us
	 * quietly, as it ends cat. Sockets use MSG_NOSIGNAL instead. */
	signal(SIGPIPE, SIG_DFL);
}

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fprintf(stderr, "%s: ", bi_progname);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void
bi_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
bi_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

int
bi_errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

static void *
nomem(void *p)
{
	if (!p)
		bi_die(BI_EXIT_LOCAL, "out of memory");
	return p;
}

void *bi_malloc(size_t n) { return nomem(malloc(n ? n : 1)); }
void *bi_calloc(size_t n, size_t size) { return nomem(calloc(n ? n : 1, size ? size : 1)); }
void *bi_realloc(void *p, size_t n) { return nomem(realloc(p, n ? n : 1)); }
char *bi_strdup(const char *s) { return nomem(strdup(s)); }
char *bi_strndup(const char *s, size_t n) { return nomem(strndup(s, n)); }

char *
bi_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		bi_die(BI_EXIT_LOCAL, "out of memory");
	return s;
}

void
bi_help(const char *usage)
{
	fputs(usage, stdout);
	bi_fshut(stdout, "stdout");
	exit(BI_EXIT_OK);
}

void
bi_version(void)
{
	printf("%s %s\n", bi_progname, BI_VERSION);
	bi_fshut(stdout, "stdout");
	exit(BI_EXIT_OK);
}

void
bi_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarn(fmt, ap);
		va_end(ap);
	}
	fputs(usage, stderr);
	exit(BI_EXIT_USAGE);
}

void
bi_fshut(FILE *f, const char *name)
{
	int bad = fflush(f) != 0 || ferror(f);

	if (!bad)
		return;
	if (errno == EPIPE)
		exit(BI_EXIT_OK);
	bi_die(BI_EXIT_LOCAL, "write error on %s:", name);
}

int
bi_color_ok(int fd)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fd);
}

void
bi_buf_add(bi_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = bi_realloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
bi_buf_adds(bi_buf *b, const char *s)
{
	bi_buf_add(b, s, strlen(s));
}

void
bi_buf_printf(bi_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		bi_buf_add(b, small, n);
		return;
	}
	bi_buf_add(b, NULL, 0);
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1;
		b->p = bi_realloc(b->p, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void
bi_buf_free(bi_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
bi_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	bi_buf b = {0};
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		bi_buf_add(&b, chunk, n);
	bi_buf_add(&b, NULL, 0);
	if (ferror(f)) {
		int e = errno;
		if (f != stdin)
			fclose(f);
		free(b.p);
		errno = e;
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	if (len)
		*len = b.len;
	return b.p;
}

int
bi_mkdirs(const char *path)
{
	char *p = bi_strdup(path), *s;
	int r = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			r = -1;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (r == 0) {
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			r = -1;
		}
	}
	int e = errno;
	free(p);
	errno = e;
	return r;
}

int
bi_size_parse(const char *s, int64_t *bytes)
{
	static const struct { const char *unit; double mult; } units[] = {
		{"", 1}, {"B", 1}, {"K", 1e3}, {"KB", 1e3}, {"KiB", 1024}, {"M", 1e6},
		{"MB", 1e6}, {"MiB", 1048576.0}, {"G", 1e9}, {"GB", 1e9},
		{"GiB", 1073741824.0}, {"T", 1e12}, {"TB", 1e12}, {"TiB", 1099511627776.0},
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0 || v != v)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double b = v * units[i].mult;
			if (b > 9e18)
				return -1;
			*bytes = (int64_t)b;
			return 0;
		}
	}
	return -1;
}

uint64_t
bi_hash64(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

int
bi_line_span(const char *s, size_t n, int max)
{
	size_t k = 0;

	while (k < n && s[k] && s[k] != '\r' && s[k] != '\n')
		k++;
	if (max >= 0 && k > (size_t)max) {
		k = (size_t)max;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;	/* not inside a UTF-8 sequence */
	}
	return (int)k;
}

char *
bi_strclip(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n <= max)
		return bi_strdup(s ? s : "");
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;		/* not inside a UTF-8 sequence */
	return bi_asprintf("%.*s...", (int)max, s);
}

/* $TMPDIR/PREFIX.XXXXXX, a new file or directory; NULL with errno. */
static char *
temp_path(const char *prefix, int dir)
{
	const char *tmp = getenv("TMPDIR");
	char *path = bi_asprintf("%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	int fd = -1;

	if (dir ? mkdtemp(path) == NULL : (fd = mkstemp(path)) < 0) {
		int e = errno;
		free(path);
		errno = e;
		return NULL;
	}
	if (fd >= 0)
		close(fd);
	return path;
}

char *
bi_temp_file(const char *prefix)
{
	return temp_path(prefix, 0);
}

char *
bi_temp_dir(const char *prefix)
{
	return temp_path(prefix, 1);
}

pid_t
bi_spawn(const char *const *argv, const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (out)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (err)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return r == 0 ? pid : -1;
}
