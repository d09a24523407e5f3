/*
 * tmpl.c: the template language of bi-scaffold ({{VAR}}, {{#if}} blocks) and
 * the safe writing of what it renders. A template is data from a directory a
 * user may have edited: nothing in it may put a file outside the target.
 *
 * Layer: base.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/tmpl.h"

#include "base/util.h"

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

int
bi_tmpl_esc_for(const char *path)
{
	static const char *const str[] = {".json", ".yaml", ".yml", ".c", ".h", ".go",
		".kt", ".kts", ".java", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".py",
		".toml", ".properties", ".xml", NULL};
	static const char *const sh[] = {".sh", "Dockerfile", "Makefile", "Jenkinsfile",
		".groovy", ".env", ".gradle", NULL};
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (ends_with(base, ".html") || ends_with(base, ".htm"))
		return BI_ESC_HTML;
	for (const char *const *e = sh; *e; e++)
		if (ends_with(base, *e))
			return BI_ESC_SH;
	for (const char *const *e = str; *e; e++)
		if (ends_with(base, *e))
			return BI_ESC_STR;
	return BI_ESC_NONE;
}

static void
escape(bi_buf *out, const char *s, size_t n, int esc)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		switch (esc) {
		case BI_ESC_STR:
			if (c == '"' || c == '\\')
				bi_buf_printf(out, "\\%c", c);
			else if (c == '\n')
				bi_buf_adds(out, "\\n");
			else if (c < 0x20)
				bi_buf_printf(out, "\\u%04x", c);
			else
				bi_buf_add(out, &s[i], 1);
			break;
		case BI_ESC_SH:
			if (c == '"' || c == '\\' || c == '$' || c == '`')
				bi_buf_printf(out, "\\%c", c);
			else
				bi_buf_add(out, &s[i], 1);
			break;
		case BI_ESC_HTML:
			if (c == '<')
				bi_buf_adds(out, "&lt;");
			else if (c == '>')
				bi_buf_adds(out, "&gt;");
			else if (c == '&')
				bi_buf_adds(out, "&amp;");
			else if (c == '"')
				bi_buf_adds(out, "&quot;");
			else
				bi_buf_add(out, &s[i], 1);
			break;
		default:
			bi_buf_add(out, &s[i], 1);
		}
	}
}

/* A string value holding a NUL is refused where it is used, not cut short
 * there: what follows the NUL would be lost without a word. */
static int
has_nul(jv s)
{
	return memchr(jv_string_value(s), '\0', jv_string_length_bytes(jv_copy(s))) != NULL;
}

/* The value of a variable as text; 0 if there is none, -1 if it holds a NUL. */
static int
value(jv vars, const char *name, size_t n, bi_buf *out)
{
	jv v = jv_object_get(jv_copy(vars), jv_string_sized(name, (int)n));
	int found = 1;

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (has_nul(v))
			found = -1;
		else
			bi_buf_adds(out, jv_string_value(v));
		break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		bi_buf_printf(out, d == (long long)d ? "%.0f" : "%g", d);
		break;
	}
	case JV_KIND_TRUE:
		bi_buf_adds(out, "true");
		break;
	case JV_KIND_FALSE:
		bi_buf_adds(out, "false");
		break;
	default:
		found = 0;
	}
	jv_free(v);
	return found;
}

/* 1 true, 0 false, -1 no such variable, -2 a string holding a NUL. */
static int
truthy(jv vars, const char *name, size_t n)
{
	jv v = jv_object_get(jv_copy(vars), jv_string_sized(name, (int)n));
	int r;

	switch (jv_get_kind(v)) {
	case JV_KIND_TRUE: r = 1; break;
	case JV_KIND_FALSE: case JV_KIND_NULL: r = 0; break;
	case JV_KIND_NUMBER: r = jv_number_value(v) != 0; break;
	case JV_KIND_STRING: {
		const char *s = jv_string_value(v);
		if (has_nul(v)) {
			r = -2;
			break;
		}
		r = *s && strcmp(s, "false") && strcmp(s, "no") && strcmp(s, "none") && strcmp(s, "0");
		break;
	}
	case JV_KIND_INVALID: r = -1; break;
	default: r = 1;
	}
	jv_free(v);
	return r;
}

/* As truthy, for a condition; *bad, *badn: the name that made it fail. */
static int
cond_n(const char *e, size_t n, jv vars, const char **bad, size_t *badn)
{
	int any = 0;

	while (n > 0) {
		size_t k = 0;
		while (k < n && e[k] != ',')
			k++;
		const char *p = e;
		size_t m = k;
		while (m > 0 && (*p == ' ' || *p == '\t'))
			p++, m--;
		while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		int neg = m > 0 && *p == '!';
		if (neg)
			p++, m--;
		if (m == 0) {
			*bad = p;
			*badn = 0;
			return -1;
		}
		int t = truthy(vars, p, m);
		if (t < 0) {
			*bad = p;
			*badn = m;
			return t;
		}
		if (neg ? !t : t)
			any = 1;
		e += k;
		n -= k;
		if (n > 0)
			e++, n--;
	}
	return any;
}

int
bi_tmpl_cond(const char *expr, jv vars)
{
	const char *bad;
	size_t badn;
	int c = cond_n(expr, strlen(expr), vars, &bad, &badn);

	return c < 0 ? -1 : c;
}

enum { T_VAR, T_IF, T_ELSE, T_END };

#define MAX_NEST 64

char *
bi_tmpl_render(const char *text, size_t len, jv vars, int esc, size_t *outlen,
	       char *err, size_t errlen)
{
	bi_buf out = {0};
	struct { int parent, cond, in_else, line; } st[MAX_NEST];
	int depth = 0, active = 1;
	size_t i = 0, line = 1;

	while (i < len) {
		const char *open = NULL;
		for (size_t j = i; j + 1 < len; j++) {
			if (text[j] == '{' && text[j + 1] == '{') {
				open = text + j;
				break;
			}
		}
		if (!open) {
			if (active)
				bi_buf_add(&out, text + i, len - i);
			break;
		}
		size_t o = open - text;
		/* \{{ is a literal {{. */
		if (o > i && text[o - 1] == '\\') {
			if (active) {
				bi_buf_add(&out, text + i, o - 1 - i);
				bi_buf_adds(&out, "{{");
			}
			for (size_t j = i; j < o + 2; j++)
				line += text[j] == '\n';
			i = o + 2;
			continue;
		}
		const char *close = NULL;
		for (size_t j = o + 2; j + 1 < len; j++) {
			if (text[j] == '}' && text[j + 1] == '}') {
				close = text + j;
				break;
			}
			if (text[j] == '\n')
				break;
		}
		for (size_t j = i; j < o; j++)
			line += text[j] == '\n';
		if (!close) {
			snprintf(err, errlen, "%zu: unclosed {{", line);
			goto fail;
		}
		const char *tag = open + 2;
		size_t tn = close - tag;
		while (tn > 0 && *tag == ' ')
			tag++, tn--;
		while (tn > 0 && tag[tn - 1] == ' ')
			tn--;
		int type;
		if (tn >= 4 && strncmp(tag, "#if ", 4) == 0)
			type = T_IF;
		else if (tn == 4 && strncmp(tag, "else", 4) == 0)
			type = T_ELSE;
		else if (tn == 3 && strncmp(tag, "/if", 3) == 0)
			type = T_END;
		else
			type = T_VAR;

		/* A block tag alone on its line takes the line with it. */
		size_t text_end = o, next = close + 2 - text;
		if (type != T_VAR) {
			size_t b = o;
			while (b > i && (text[b - 1] == ' ' || text[b - 1] == '\t'))
				b--;
			size_t a = next;
			while (a < len && (text[a] == ' ' || text[a] == '\t'))
				a++;
			int at_start = b == 0 || text[b - 1] == '\n';
			int at_end = a == len || text[a] == '\n' ||
				     (text[a] == '\r' && a + 1 < len && text[a + 1] == '\n');
			if (at_start && at_end) {
				text_end = b;
				next = a == len ? a : text[a] == '\r' ? a + 2 : a + 1;
				line += next > a;
			}
		}
		if (active)
			bi_buf_add(&out, text + i, text_end - i);

		switch (type) {
		case T_VAR: {
			const char *bar = memchr(tag, '|', tn);
			size_t nn = bar ? (size_t)(bar - tag) : tn;
			int e = esc;
			if (bar) {
				const char *f = bar + 1;
				size_t fn = tn - nn - 1;
				if (fn == 3 && !strncmp(f, "raw", 3)) e = BI_ESC_NONE;
				else if (fn == 3 && !strncmp(f, "str", 3)) e = BI_ESC_STR;
				else if (fn == 2 && !strncmp(f, "sh", 2)) e = BI_ESC_SH;
				else if (fn == 4 && !strncmp(f, "html", 4)) e = BI_ESC_HTML;
				else {
					snprintf(err, errlen, "%zu: unknown filter |%.*s", line, (int)fn, f);
					goto fail;
				}
			}
			bi_buf v = {0};
			int found = nn == 0 ? 0 : value(vars, tag, nn, &v);
			if (found <= 0) {
				bi_buf_free(&v);
				snprintf(err, errlen, found < 0 ? "%zu: variable %.*s holds a NUL character" :
					 "%zu: unknown variable {{%.*s}}", line,
					 (int)(nn > 60 ? 60 : nn), tag);
				goto fail;
			}
			if (active)
				escape(&out, v.p, v.len, e);
			bi_buf_free(&v);
			break;
		}
		case T_IF: {
			if (depth == MAX_NEST) {
				snprintf(err, errlen, "%zu: blocks nested too deeply", line);
				goto fail;
			}
			const char *bad;
			size_t badn;
			int c = cond_n(tag + 4, tn - 4, vars, &bad, &badn);
			if (c == -2) {
				snprintf(err, errlen, "%zu: variable %.*s holds a NUL character", line,
					 (int)(badn > 60 ? 60 : badn), bad);
				goto fail;
			}
			if (c < 0) {
				snprintf(err, errlen, "%zu: unknown condition {{%.*s}}", line,
					 (int)(tn > 60 ? 60 : tn), tag);
				goto fail;
			}
			st[depth].parent = active;
			st[depth].cond = c;
			st[depth].in_else = 0;
			st[depth].line = (int)line;
			depth++;
			active = active && c;
			break;
		}
		case T_ELSE:
			if (depth == 0 || st[depth - 1].in_else) {
				snprintf(err, errlen, "%zu: {{else}} without {{#if}}", line);
				goto fail;
			}
			st[depth - 1].in_else = 1;
			active = st[depth - 1].parent && !st[depth - 1].cond;
			break;
		case T_END:
			if (depth == 0) {
				snprintf(err, errlen, "%zu: {{/if}} without {{#if}}", line);
				goto fail;
			}
			depth--;
			active = st[depth].parent;
			break;
		}
		i = next;
	}
	if (depth > 0) {
		snprintf(err, errlen, "%d: {{#if}} is never closed", st[depth - 1].line);
		goto fail;
	}
	bi_buf_add(&out, NULL, 0);
	if (outlen)
		*outlen = out.len;
	return out.p;
fail:
	bi_buf_free(&out);
	return NULL;
}

char *
bi_tmpl_path(const char *path, jv vars, char *err, size_t errlen)
{
	char *p = bi_tmpl_render(path, strlen(path), vars, BI_ESC_NONE, NULL, err, errlen);

	if (!p)
		return NULL;
	const char *why = NULL;
	if (*p == '\0')
		why = "empty path";
	else if (*p == '/')
		why = "absolute path";
	for (const char *s = p; !why && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '\\')
			why = "control character or backslash in path";
	for (const char *s = p; !why && *s;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			why = "'.', '..' or an empty part in path";
		s += n;
		if (*s == '/')
			s++;
	}
	if (why) {
		snprintf(err, errlen, "%s: %s", why, p);
		free(p);
		return NULL;
	}
	return p;
}

static int
write_all(int f, const char *data, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = write(f, data + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0) {
			errno = EIO;
			return -1;
		}
		done += k;
	}
	return 0;
}

/* Fill the open file f and close it; -1 with errno (f closed all the same). */
static int
fill(int f, const char *data, size_t n, int mode)
{
	int e = 0;

	if (write_all(f, data, n) != 0 || fchmod(f, mode) != 0)
		e = errno;
	if (close(f) != 0 && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

/* Replace name in the directory fd with a new file holding data. The new
 * file is made beside it under a fresh name (O_EXCL: never one that is
 * there) and renamed over it: the old file is not written, so another link
 * to it (a hard link from outside the target) keeps what it held. A
 * symbolic link is refused, as it is on the way. */
static int
replace(int fd, const char *name, const char *data, size_t n, int mode)
{
	static _Atomic unsigned seq;	/* O_EXCL is the guard; this spares retries */
	struct stat st;
	char tmp[64];
	int f = -1;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	for (int tries = 0; f < 0 && tries < 100; tries++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(tmp, sizeof tmp, ".bi-tmpl.%ld.%u.%lx", (long)getpid(), seq++,
			 (unsigned long)ts.tv_nsec);
		f = openat(fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0 && errno != EEXIST)
			return -1;
	}
	if (f < 0)
		return -1;
	if (fill(f, data, n, mode) != 0 || renameat(fd, tmp, fd, name) != 0) {
		int e = errno;
		unlinkat(fd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int
bi_tmpl_write(int dirfd, const char *rel, const char *data, size_t n, int mode,
	      int flags, char *err, size_t errlen)
{
	char *path = bi_strdup(rel);
	int fd = dup(dirfd), r = -1, e = 0;
	char *part = path, *slash;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", rel, strerror(e));
		free(path);
		errno = e;
		return -1;
	}
	while ((slash = strchr(part, '/'))) {
		*slash = '\0';
		if (mkdirat(fd, part, 0755) != 0 && errno != EEXIST) {
			e = errno;
			snprintf(err, errlen, "%s: cannot create directory %s: %s", rel, part,
				 strerror(e));
			goto out;
		}
		int sub = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s is not a plain directory (%s)", rel, part,
				 e == ELOOP || e == ENOTDIR ? "a link or a file" : strerror(e));
			goto out;
		}
		close(fd);
		fd = sub;
		part = slash + 1;
	}
	if (flags & BI_TMPL_OVERWRITE) {
		if (replace(fd, part, data, n, mode) != 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s", rel, e == ELOOP ? "is a symbolic link" :
				 strerror(e));
			goto out;
		}
	} else {
		int f = openat(fd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f >= 0 && fill(f, data, n, mode) != 0) {
			e = errno;
			unlinkat(fd, part, 0);	/* ours: O_EXCL made it */
			errno = e;
			f = -1;
		}
		if (f < 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s", rel, e == ELOOP ? "is a symbolic link" :
				 e == EEXIST ? "already exists" : strerror(e));
			goto out;
		}
	}
	r = 0;
out:
	close(fd);
	free(path);
	errno = e;
	return r;
}
