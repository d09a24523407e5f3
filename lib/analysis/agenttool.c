/*
 * agenttool.c: the tools an agent's model may call, and the fence around
 * them.
 *
 * Every path the model names goes through bi_agent_confine: relative, no
 * "..", nothing in .git, and after realpath(3) still under the project's
 * real path (a symlink that points out is refused, not followed). Files
 * are then opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from
 * the project's directory, so a link swapped in between the check and the
 * open is refused by the kernel. A refusal goes back to the model as a
 * tool error; nothing here exits. Every result is bounded
 * (BI_AGENT_RESULT_MAX bytes, a timeout for commands). Nothing the model
 * proposes is written: propose_change keeps the new text in env->changes,
 * which only an accept (agentgit.c) writes, in another worktree.
 *
 * Layer: analysis.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "analysis/agenttool.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agentgit.h"

#define READ_MAX (256 * 1024)	/* a file read whole to be searched or changed */

int
bi_agent_env_open(bi_agent_env *e, const char *root, char *err, size_t n)
{
	char *real = realpath(root, NULL);

	if (!real)
		return bi_errf(err, n, "%s: %s", root, strerror(errno));
	e->root = real;
	e->changes = jv_object();
	e->summary = NULL;
	e->finished = 0;
	e->stop = NULL;
	return 0;
}

void
bi_agent_env_free(bi_agent_env *e)
{
	free(e->root);
	free(e->test_cmd);
	e->test_cmd = NULL;
	jv_free(e->changes);
	free(e->summary);
	e->root = e->summary = NULL;
	e->changes = jv_null();
}

/* ---- the fence ---- */

/* Is the component [s, s+len) of a path c? */
static int
comp_is(const char *s, size_t len, const char *c)
{
	return len == strlen(c) && !memcmp(s, c, len);
}

/* The first component of path that is closed to agents: .git (hooks
 * there would run, a config holds credentials) or .blissful-infra (the
 * database, the server's token), or NULL. */
static const char *
closed_part(const char *path)
{
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (comp_is(p, len, ".git"))
			return ".git";
		if (comp_is(p, len, ".blissful-infra"))
			return ".blissful-infra";
		p += len + (p[len] == '/');
	}
	return NULL;
}

int
bi_agent_confine(const char *root, const char *rel, int must_exist, char **out,
		 char *err, size_t n)
{
	size_t rl = strlen(root);

	*out = NULL;
	if (!*rel)
		rel = ".";
	if (rel[0] == '/')
		return bi_errf(err, n, "%s: an absolute path is refused; give a path relative to the "
			       "project", rel);
	for (const char *p = rel; *p;) {
		size_t len = strcspn(p, "/");
		if (comp_is(p, len, ".."))
			return bi_errf(err, n, "%s: '..' is refused; paths stay inside the project", rel);
		p += len + (p[len] == '/');
	}
	const char *closed = closed_part(rel);
	if (closed)
		return bi_errf(err, n, "%s: %s is not open to agents%s", rel, closed, !strcmp(closed, ".git") ?
			       " (use git_log, git_status, git_diff)" : "");
	char *full = bi_asprintf("%s/%s", root, rel), *real = realpath(full, NULL);
	char *rest = NULL;
	struct stat lst;
	if (!real && errno == ENOENT && lstat(full, &lst) == 0) {
		bi_errf(err, n, "%s: a symlink to nothing; refused", rel);
		free(full);
		return -1;
	}
	if (!real && errno == ENOENT && !must_exist) {
		/* A file to be: its nearest existing folder must be inside, and
		 * what follows it is taken as written (no ".." can be in it). */
		char *cut = strrchr(full, '/');
		while (!real && cut && cut >= full + rl) {
			*cut = '\0';
			real = realpath(full, NULL);
			if (!real && errno != ENOENT && errno != ENOTDIR)
				break;
			if (real) {
				struct stat st;
				if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
					free(real);
					free(full);
					return bi_errf(err, n, "%s: a part of it is a file, not a folder", rel);
				}
				rest = bi_strdup(rel + (cut - full) - rl);
			} else {
				cut = strrchr(full, '/');
			}
		}
	}
	free(full);
	if (!real)
		return bi_errf(err, n, "%s: %s", rel, strerror(errno ? errno : ENOENT));
	size_t ll = strlen(real);
	if (ll < rl || memcmp(real, root, rl) || (real[rl] != '/' && real[rl] != '\0')) {
		bi_errf(err, n, "%s leads out of the project (a symlink to %s); refused", rel, real);
		free(real);
		free(rest);
		return -1;
	}
	/* A symlink inside that leads into .git (a nested repository's too)
	 * or .blissful-infra is refused as they are. */
	const char *in = real[rl] ? real + rl + 1 : "";
	if ((closed = closed_part(in)) || (rest && (closed = closed_part(rest)))) {
		bi_errf(err, n, "%s leads into %s; refused", rel, closed);
		free(real);
		free(rest);
		return -1;
	}
	*out = bi_asprintf("%s%s%s", *in ? in : (rest ? "" : "."), *in && rest ? "/" : "",
			   rest ? rest : "");
	free(real);
	free(rest);
	return 0;
}

int
bi_agent_open(const char *root, const char *rel)
{
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)	/* an old kernel: the last part at least */
		fd = openat(dir, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int saved = errno;
	close(dir);
	errno = saved;
	return fd;
}

char *
bi_agent_read(const char *root, const char *rel, size_t *len, char *err, size_t n)
{
	int fd = bi_agent_open(root, rel);
	struct stat st;
	bi_buf b = {0};

	if (fd < 0) {
		int saved = errno;
		bi_errf(err, n, "%s: %s", rel, errno == ELOOP || errno == EXDEV ?
			"a symlink on the way; refused" : strerror(errno));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		bi_errf(err, n, "%s: not a regular file", rel);
		close(fd);
		return NULL;
	}
	if (st.st_size > READ_MAX) {
		bi_errf(err, n, "%s: %lld bytes, more than %d can be read", rel,
			(long long)st.st_size, READ_MAX);
		close(fd);
		return NULL;
	}
	char buf[8192];
	ssize_t k;
	bi_buf_add(&b, "", 0);
	while ((k = read(fd, buf, sizeof buf)) > 0 && b.len < READ_MAX)
		bi_buf_add(&b, buf, (size_t)k);
	close(fd);
	if (memchr(b.p, '\0', b.len)) {
		bi_errf(err, n, "%s: a binary file", rel);
		bi_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- a unified diff, applied ---- */

typedef struct {
	char **v;
	size_t n, cap;
} lines;

static void
lines_add(lines *l, const char *s, size_t len)
{
	if (l->n == l->cap)
		l->v = bi_realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 64) * sizeof *l->v);
	l->v[l->n++] = bi_strndup(s, len);
}

static void
lines_free(lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* text split at '\n'; *nl: it ends with one (or is empty). */
static void
split(const char *text, lines *l, int *nl)
{
	const char *p = text;

	*nl = 1;
	while (*p) {
		const char *e = strchr(p, '\n');
		if (!e) {
			lines_add(l, p, strlen(p));
			*nl = 0;
			break;
		}
		lines_add(l, p, (size_t)(e - p));
		p = e + 1;
	}
}

static int
match_at(const lines *t, size_t at, const lines *old)
{
	if (at + old->n > t->n)
		return 0;
	for (size_t i = 0; i < old->n; i++)
		if (strcmp(t->v[at + i], old->v[i]))
			return 0;
	return 1;
}

char *
bi_agent_patch(const char *text, const char *diff, char *err, size_t n)
{
	lines t = {0}, d = {0}, out = {0};
	int nl, dnl, out_nl, hunks = 0, bad = 0;
	size_t cur = 0;

	split(text, &t, &nl);
	split(diff, &d, &dnl);
	out_nl = nl;
	for (size_t i = 0; i < d.n && !bad;) {
		const char *s = d.v[i];
		long a, b = 1, c, dd = 1;
		int k = 0;
		if (strncmp(s, "@@ -", 4) || (sscanf(s, "@@ -%ld,%ld +%ld,%ld @@%n", &a, &b, &c, &dd, &k) != 4 &&
					      sscanf(s, "@@ -%ld +%ld,%ld @@%n", &a, &c, &dd, &k) != 3 &&
					      sscanf(s, "@@ -%ld,%ld +%ld @@%n", &a, &b, &c, &k) != 3 &&
					      sscanf(s, "@@ -%ld +%ld @@%n", &a, &c, &k) != 2)) {
			i++;	/* headers, and what a model writes around its diff */
			continue;
		}
		if (a < 0 || b < 0 || c < 0 || dd < 0) {
			bad = bi_errf(err, n, "hunk %d: negative line numbers", hunks + 1);
			break;
		}
		lines old = {0}, neu = {0};
		int no_nl_old = 0, no_nl_new = 0;
		char last = 0;
		for (i++; i < d.n && strncmp(d.v[i], "@@ ", 3); i++) {
			const char *l = d.v[i];
			char op = *l ? *l : ' ';	/* an empty context line, its space lost */
			const char *body = *l ? l + 1 : l;
			if (op == '\\') {
				if (last == '-' || last == ' ')
					no_nl_old = 1;
				if (last == '+' || last == ' ')
					no_nl_new = 1;
				continue;
			}
			if (op == '-' && !strncmp(l, "--- ", 4) && i + 1 < d.n && !strncmp(d.v[i + 1], "+++ ", 4))
				break;	/* the next file's header */
			if (op != ' ' && op != '-' && op != '+')
				break;	/* the end of the diff */
			if (op != '+')
				lines_add(&old, body, strlen(body));
			if (op != '-')
				lines_add(&neu, body, strlen(body));
			last = op;
		}
		hunks++;
		/* Where it says (the line after A for an insertion), else the
		 * nearest place after the previous hunk where its old lines are. */
		size_t want = old.n ? (a > 0 ? (size_t)a - 1 : 0) : (size_t)a;
		size_t at = SIZE_MAX;
		if (want > t.n)	/* a line past the end: looked for from the end */
			want = t.n;
		if (want >= cur && want <= t.n && match_at(&t, want, &old))
			at = want;
		for (size_t dist = 1; at == SIZE_MAX && old.n && dist <= t.n; dist++) {
			if (want + dist <= t.n && want + dist >= cur && match_at(&t, want + dist, &old))
				at = want + dist;
			else if (dist <= want && want - dist >= cur && match_at(&t, want - dist, &old))
				at = want - dist;
		}
		if (at == SIZE_MAX) {
			bad = bi_errf(err, n, "hunk %d (@@ -%ld,%ld): its lines are not in the file%s",
				      hunks, a, b, old.n ? "" : " (an insertion past its end)");
		} else {
			for (; cur < at; cur++)
				lines_add(&out, t.v[cur], strlen(t.v[cur]));
			for (size_t j = 0; j < neu.n; j++)
				lines_add(&out, neu.v[j], strlen(neu.v[j]));
			cur = at + old.n;
			if (cur == t.n)
				out_nl = !no_nl_new && (neu.n || !no_nl_old ? 1 : nl);
		}
		lines_free(&old);
		lines_free(&neu);
	}
	if (!bad && !hunks)
		bad = bi_errf(err, n, "no hunk (\"@@ -A,B +C,D @@\") in the diff");
	bi_buf b = {0};
	if (!bad) {
		for (; cur < t.n; cur++)
			lines_add(&out, t.v[cur], strlen(t.v[cur]));
		bi_buf_add(&b, "", 0);
		for (size_t j = 0; j < out.n; j++)
			bi_buf_printf(&b, "%s%s", out.v[j], j + 1 < out.n || out_nl ? "\n" : "");
	}
	lines_free(&t);
	lines_free(&d);
	lines_free(&out);
	return b.p;
}

/* ---- commands ---- */

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

#define DRAIN_MS 300	/* output read after the command exited, while a child of it holds the pipe */

int
bi_agent_exec(const char *const *argv, const char *dir, int timeout, size_t cap,
	      volatile sig_atomic_t *stop, char **out)
{
	int p[2];
	bi_buf b = {0};

	*out = NULL;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0 ||
		    (dir && chdir(dir) != 0))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p[1]);
	/* The command is watched, not only its output: it may have closed
	 * the pipe and run on (the deadline holds), or exited leaving a child
	 * that holds the pipe (its status counts; the rest of its group is
	 * killed after a short drain). */
	struct timespec t0, t_exit;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int timed_out = 0, stopped = 0, exited = 0, eof = 0, st = 0;
	char buf[8192];
	for (;;) {
		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = 1;
			clock_gettime(CLOCK_MONOTONIC, &t_exit);
		}
		if (stop && *stop) {
			stopped = 1;
			break;
		}
		long left;
		if (exited) {
			if (eof || (left = DRAIN_MS - ms_since(&t_exit)) <= 0)
				break;
		} else if ((left = (long)timeout * 1000 - ms_since(&t0)) <= 0) {
			timed_out = 1;
			break;
		}
		if (!exited && left > 50)	/* looked at again soon: waitpid cannot be polled */
			left = 50;
		struct pollfd pf = {.fd = eof ? -1 : p[0], .events = POLLIN};
		int r = poll(&pf, 1, (int)left);
		if (r <= 0 || eof)
			continue;
		ssize_t k = read(p[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			eof = 1;
			continue;
		}
		bi_buf_add(&b, buf, (size_t)k);
		if (b.len > 2 * cap) {	/* keep the tail */
			memmove(b.p, b.p + b.len - cap, cap);
			b.len = cap;
			b.p[b.len] = '\0';
		}
	}
	close(p[0]);
	kill(-pid, SIGKILL);	/* the command at a limit, or what it left running in its group */
	while (!exited && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	bi_buf_add(&b, "", 0);
	if (b.len > cap) {
		memmove(b.p, b.p + b.len - cap, cap);
		b.len = cap;
		b.p[b.len] = '\0';
	}
	*out = b.p;
	if (stopped)
		return 128 + SIGINT;
	if (timed_out)
		return 124;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *
bi_agent_test_command(const char *root, const char *cfg_cmd)
{
	static const char *const known[][2] = {
		{"Makefile", "make test"}, {"package.json", "npm test"}, {"pom.xml", "mvn -q test"},
		{"go.mod", "go test ./..."}, {"pyproject.toml", "python3 -m pytest -q"},
		{"requirements.txt", "python3 -m pytest -q"}};

	if (cfg_cmd && *cfg_cmd)
		return bi_strdup(cfg_cmd);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char *p = bi_asprintf("%s/%s", root, known[i][0]);
		int there = access(p, F_OK) == 0;
		free(p);
		if (there)
			return bi_strdup(known[i][1]);
	}
	return NULL;
}

/* ---- the tools ---- */

static char *
fail(int *is_error, const char *fmt, const char *a)
{
	*is_error = 1;
	return bi_asprintf(fmt, a);
}

/* args' string at key, or NULL; one with a NUL in it counts as none. */
static const char *
arg_str(jv args, const char *key)
{
	const char *s = bi_get_str(args, key);
	if (s) {
		jv v = jv_object_get(jv_copy(args), jv_string(key));
		if ((size_t)jv_string_length_bytes(v) != strlen(s))
			s = NULL;
	}
	return s;
}

static long
arg_num(jv args, const char *key, long def, long lo, long hi)
{
	double d = bi_get_num(args, key, (double)def);
	if (!(d >= (double)lo))
		return lo;
	return d > (double)hi ? hi : (long)d;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
tool_list(bi_agent_env *e, jv args, int *is_error)
{
	char err[PATH_MAX + 128], *rel;

	if (bi_agent_confine(e->root, bi_get_text(args, "path", "."), 1, &rel, err, sizeof err))
		return fail(is_error, "%s", err);
	int fd = bi_agent_open(e->root, rel);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		snprintf(err, sizeof err, "%s: %s", rel, strerror(errno));
		free(rel);
		return fail(is_error, "%s", err);
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 1000) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || closed_part(de->d_name))
			continue;
		names = bi_realloc(names, (n + 1) * sizeof *names);
		names[n++] = bi_asprintf("%s%s", de->d_name, de->d_type == DT_DIR ? "/" : "");
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	bi_buf b = {0};
	bi_buf_printf(&b, "%s: %zu entries\n", rel, n);
	for (size_t i = 0; i < n; i++) {
		if (b.len < BI_AGENT_RESULT_MAX - 256)
			bi_buf_printf(&b, "%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	free(rel);
	return b.p;
}

static char *
tool_read(bi_agent_env *e, jv args, int *is_error)
{
	char err[PATH_MAX + 128], *rel, *text;
	size_t len;
	const char *path = arg_str(args, "path");

	if (!path)
		return fail(is_error, "%s", "read_file: \"path\" is required");
	if (bi_agent_confine(e->root, path, 1, &rel, err, sizeof err))
		return fail(is_error, "%s", err);
	text = bi_agent_read(e->root, rel, &len, err, sizeof err);
	free(rel);
	if (!text)
		return fail(is_error, "%s", err);
	long from = arg_num(args, "start_line", 1, 1, LONG_MAX), max = arg_num(args, "max_lines", 400, 1, 4000);
	bi_buf b = {0};
	long ln = 1, total = 0;
	const char *p = text;
	bi_buf_add(&b, "", 0);
	for (; *p; ln++) {
		size_t k = strcspn(p, "\n");
		if (ln >= from && ln < from + max && b.len + k < BI_AGENT_RESULT_MAX - 128) {
			bi_buf_add(&b, p, k);
			bi_buf_add(&b, "\n", 1);
			total++;
		}
		p += k + (p[k] == '\n');
	}
	if (total < ln - 1)
		bi_buf_printf(&b, "[lines %ld-%ld of %ld shown; ask with start_line for more]\n", from,
			      from + total - 1, ln - 1);
	free(text);
	return b.p;
}

/* search: fixed text, line by line, through the project's files. */
#define SEARCH_FILES 5000	/* files read by one search, at most */

static void
search_dir(bi_agent_env *e, const char *rel, const char *pat, bi_buf *b, int *hits, int *files, int depth)
{
	int fd = bi_agent_open(e->root, rel);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && *hits < 100 && *files < SEARCH_FILES && b->len < BI_AGENT_RESULT_MAX - 512) {
		const char *nm = de->d_name;
		if (nm[0] == '.' && (!nm[1] || !strcmp(nm, "..") || !strcmp(nm, ".git") ||
				     !strcmp(nm, ".blissful-infra")))
			continue;
		if (!strcmp(nm, "node_modules") || de->d_type == DT_LNK)
			continue;
		char *child = strcmp(rel, ".") ? bi_asprintf("%s/%s", rel, nm) : bi_strdup(nm);
		if (de->d_type == DT_DIR && depth < 12) {
			search_dir(e, child, pat, b, hits, files, depth + 1);
		} else if (de->d_type == DT_REG) {
			(*files)++;
			char err[64];
			size_t len;
			char *text = bi_agent_read(e->root, child, &len, err, sizeof err);
			long ln = 1;
			for (const char *p = text; p && *p && *hits < 100; ln++) {
				size_t k = strcspn(p, "\n");
				char *hit = memmem(p, k, pat, strlen(pat));
				if (hit) {
					bi_buf_printf(b, "%s:%ld: %.*s\n", child, ln, bi_line_span(p, k, 200), p);
					(*hits)++;
				}
				p += k + (p[k] == '\n');
			}
			free(text);
		}
		free(child);
	}
	closedir(d);
}

static char *
tool_search(bi_agent_env *e, jv args, int *is_error)
{
	char err[PATH_MAX + 128], *rel;
	const char *pat = arg_str(args, "pattern");
	int hits = 0, files = 0;

	if (!pat || !*pat)
		return fail(is_error, "%s", "search_files: \"pattern\" (a text to find) is required");
	if (bi_agent_confine(e->root, bi_get_text(args, "path", "."), 1, &rel, err, sizeof err))
		return fail(is_error, "%s", err);
	bi_buf b = {0};
	bi_buf_add(&b, "", 0);
	search_dir(e, rel, pat, &b, &hits, &files, 0);
	bi_buf_printf(&b, "%d match%s%s\n", hits, hits == 1 ? "" : "es", hits >= 100 ? " (the first 100)" :
		      files >= SEARCH_FILES ? " (in the first 5000 files)" : "");
	free(rel);
	return b.p;
}

static char *
tool_run(bi_agent_env *e, const char *const *argv, const char *dir, int timeout)
{
	char *out;
	int st = bi_agent_exec(argv, dir, timeout, BI_AGENT_RESULT_MAX - 256, e->stop, &out);

	if (st < 0)
		return bi_asprintf("%s could not start: %s\n", argv[0], strerror(errno));
	char *r = bi_asprintf("%sexit status %d%s\n", out, st, st == 124 ? " (timed out)" :
			      e->stop && *e->stop ? " (interrupted)" : "");
	free(out);
	return r;
}

static char *
tool_tests(bi_agent_env *e, int *is_error)
{
	if (!e->test_cmd)
		return fail(is_error, "%s", "no test command: set agent.test_command in blissful-infra.yaml");
	const char *argv[] = {"sh", "-c", e->test_cmd, NULL};
	char *r = tool_run(e, argv, e->root, e->test_timeout);
	char *full = bi_asprintf("$ %s\n%s", e->test_cmd, r);
	free(r);
	return full;
}

/* query: the project's stored records, through bi-store. */
static char *
tool_query(bi_agent_env *e, jv args, int *is_error)
{
	static const char *const kinds[] = {"log", "metric", "stats", "container", "health", "alert",
		"finding", "incident", "chaos", "score", "perf_summary", "comparison", NULL};
	const char *kind = arg_str(args, "kind"), *svc = arg_str(args, "service");
	const char *grep = arg_str(args, "grep"), *since = arg_str(args, "since");
	const char *argv[16];
	int i = 0, known = 0;

	for (const char *const *k = kinds; kind && *k; k++)
		known |= !strcmp(kind, *k);
	if (!known)
		return fail(is_error, "query: \"kind\" is one of log, metric, stats, container, health, "
			    "alert, finding, incident, chaos, score, perf_summary, comparison%s", "");
	char limit[16];
	snprintf(limit, sizeof limit, "%ld", arg_num(args, "limit", 50, 1, 200));
	argv[i++] = "bi-store", argv[i++] = "get", argv[i++] = "--kind", argv[i++] = kind;
	argv[i++] = "--limit", argv[i++] = limit, argv[i++] = "--since", argv[i++] = since ? since : "24h";
	if (svc)
		argv[i++] = "--service", argv[i++] = svc;
	if (grep)
		argv[i++] = "--grep", argv[i++] = grep;
	if (e->store_db)
		argv[i++] = "--db", argv[i++] = e->store_db;
	argv[i] = NULL;
	return tool_run(e, argv, e->root, 30);
}

static char *
tool_propose(bi_agent_env *e, jv args, int *is_error)
{
	char err[PATH_MAX + 128], *rel, *old = NULL, *neu;
	const char *path = arg_str(args, "path"), *content = arg_str(args, "content");
	const char *diff = arg_str(args, "diff");
	size_t len;

	if (!path || (!content == !diff))
		return fail(is_error, "%s", "propose_change: \"path\" and one of \"content\" (the whole "
			    "new file) or \"diff\" (a unified diff of it)");
	if (bi_agent_confine(e->root, path, 0, &rel, err, sizeof err))
		return fail(is_error, "%s", err);
	if (!strcmp(rel, ".") || !strncmp(rel, ".blissful-infra", 15)) {
		free(rel);
		return fail(is_error, "%s: not a file an agent may change", path);
	}
	/* A second proposal for a file builds on the first. */
	jv prev = jv_object_get(jv_copy(e->changes), jv_string(rel));
	jv before = jv_invalid();
	if (jv_get_kind(prev) == JV_KIND_OBJECT) {
		before = jv_object_get(jv_copy(prev), jv_string("old"));
		jv n = jv_object_get(jv_copy(prev), jv_string("new"));
		old = bi_strdup(jv_string_value(n));
		jv_free(n);
	} else {
		char rerr[PATH_MAX + 128];
		int fd = bi_agent_open(e->root, rel);
		if (fd >= 0) {
			close(fd);
			if (!(old = bi_agent_read(e->root, rel, &len, rerr, sizeof rerr))) {
				free(rel);
				jv_free(prev);
				return fail(is_error, "%s", rerr);
			}
		} else if (errno != ENOENT) {
			snprintf(rerr, sizeof rerr, "%s: %s", rel, strerror(errno));
			free(rel);
			jv_free(prev);
			return fail(is_error, "%s", rerr);
		}
		before = old ? jv_string(old) : jv_null();
	}
	jv_free(prev);
	if (content)
		neu = bi_strdup(content);
	else if (!(neu = bi_agent_patch(old ? old : "", diff, err, sizeof err))) {
		free(old);
		free(rel);
		jv_free(before);
		return fail(is_error, "the diff does not apply: %s", err);
	}
	jv ch = bi_set(bi_set(jv_object(), "old", before), "new", jv_string(neu));
	e->changes = jv_object_set(e->changes, jv_string(rel), ch);
	jv bv = jv_object_get(jv_copy(e->changes), jv_string(rel));
	jv ov = jv_object_get(bv, jv_string("old"));
	char *d = bi_agent_diff(rel, jv_get_kind(ov) == JV_KIND_STRING ? jv_string_value(ov) : NULL, neu);
	jv_free(ov);
	char *r = bi_asprintf("proposed %s (%zu bytes); nothing is written until a person accepts.\n%s",
			      rel, strlen(neu), *d ? "" : "(it is the same as the file)\n");
	free(d);
	free(old);
	free(neu);
	free(rel);
	return r;
}

char *
bi_agent_tool(bi_agent_env *e, const char *name, jv args, int *is_error)
{
	char err[512], *r = NULL;

	*is_error = 0;
	if (jv_get_kind(args) != JV_KIND_OBJECT)
		return fail(is_error, "%s: the arguments are not a JSON object", name);
	if (!strcmp(name, "list_files"))
		return tool_list(e, args, is_error);
	if (!strcmp(name, "read_file"))
		return tool_read(e, args, is_error);
	if (!strcmp(name, "search_files"))
		return tool_search(e, args, is_error);
	if (!strcmp(name, "run_tests"))
		return tool_tests(e, is_error);
	if (!strcmp(name, "query"))
		return tool_query(e, args, is_error);
	if (!strcmp(name, "propose_change"))
		return tool_propose(e, args, is_error);
	if (!strcmp(name, "finish")) {
		free(e->summary);
		e->summary = bi_strdup(bi_get_text(args, "summary", ""));
		e->finished = 1;
		return bi_strdup("finished");
	}
	if (!strcmp(name, "git_log"))
		r = bi_agent_git_log(e->root, (int)arg_num(args, "count", 10, 1, 100), err, sizeof err);
	else if (!strcmp(name, "git_status"))
		r = bi_agent_git_status(e->root, err, sizeof err);
	else if (!strcmp(name, "git_diff")) {
		const char *path = arg_str(args, "path");
		char *rel = NULL;
		if (path && bi_agent_confine(e->root, path, 0, &rel, err, sizeof err))
			return fail(is_error, "%s", err);
		r = bi_agent_git_diff(e->root, rel, BI_AGENT_RESULT_MAX - 128, err, sizeof err);
		free(rel);
	} else {
		return fail(is_error, "no tool %s; the tools are list_files, read_file, search_files, "
			    "git_log, git_status, git_diff, run_tests, query, propose_change, finish", name);
	}
	return r ? r : fail(is_error, "%s", err);
}
