/* test-util: messages, buffers, files, and the quiet end on a closed pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "tap.h"

/* Run fn in a child with stderr captured; return its status and stderr. */
static int
child(void (*fn)(void), char *err, size_t n)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	ssize_t k, got = 0;
	while ((k = read(p[0], err + got, n - 1 - got)) > 0)
		got += k;
	err[got] = '\0';
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static void die_plain(void) { bi_die(3, "cannot reach %s", "docker"); }
static void die_errno(void) { errno = ENOENT; bi_die(2, "cannot open %s:", "x.yaml"); }
static void warn_only(void) { bi_warn("careful"); }

static void
write_to_closed_pipe(void)
{
	int p[2];
	if (pipe(p) != 0)
		_exit(9);
	close(p[0]);
	dup2(p[1], 1);
	bi_init("writer");
	for (int i = 0; i < 100000; i++)
		bi_write(jv_parse("{\"kind\":\"log\"}"));
	_exit(0);
}

static void
write_ignoring_sigpipe(void)
{
	/* Even when started with SIGPIPE ignored, bi_init restores it. */
	signal(SIGPIPE, SIG_IGN);
	write_to_closed_pipe();
}

int
main(void)
{
	char err[1024];
	int st;

	plan(24);
	bi_init("/usr/bin/test-util");
	is_str(bi_progname, "test-util", "progname is the base name");

	st = child(die_plain, err, sizeof err);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "bi_die exits with its code");
	is_str(err, "test-util: cannot reach docker\n", "message prefixed with the tool");
	st = child(die_errno, err, sizeof err);
	is_str(err, "test-util: cannot open x.yaml: No such file or directory\n", "':' appends strerror");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 2, "exit 2");
	st = child(warn_only, err, sizeof err);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strcmp(err, "test-util: careful\n") == 0, "bi_warn goes on");

	st = child(write_to_closed_pipe, err, sizeof err);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "a closed pipe ends the writer by SIGPIPE");
	is_str(err, "", "with no message");
	st = child(write_ignoring_sigpipe, err, sizeof err);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE && err[0] == '\0', "even when SIGPIPE was ignored");

	bi_buf b = {0};
	for (int i = 0; i < 1000; i++)
		bi_buf_printf(&b, "%d,", i);
	ok(b.len == 3890 && strncmp(b.p, "0,1,2,", 6) == 0 && b.p[b.len] == '\0', "buffer grows");
	bi_buf_printf(&b, "%0300d", 7);
	ok(b.len == 4190 && b.p[b.len - 1] == '7', "long printf into a buffer");
	bi_buf_free(&b);

	char tmpl[] = "/tmp/bi-test-util-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *deep = bi_asprintf("%s/a/b/c", dir);
	ok(bi_mkdirs(deep) == 0 && bi_mkdirs(deep) == 0, "mkdirs, twice");
	char *f = bi_asprintf("%s/a/file", dir);
	FILE *fp = fopen(f, "w");
	fputs("hello\n", fp);
	fclose(fp);
	size_t n;
	char *text = bi_read_file(f, &n);
	ok(text && n == 6 && strcmp(text, "hello\n") == 0, "read a file");
	free(text);
	char *under = bi_asprintf("%s/x", f);
	ok(bi_mkdirs(under) != 0, "mkdirs under a file fails");
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		return 1;
	free(rm); free(under); free(f); free(deep);
	/* One line of a message, cut on a character boundary: "é" is 2 bytes. */
	is_num(bi_line_span("first\r\nsecond", SIZE_MAX, 100), 5, "bi_line_span: the first line");
	is_num(bi_line_span("caf\xc3\xa9 au lait", SIZE_MAX, 4), 3, "bi_line_span: not inside a UTF-8 character");
	is_num(bi_line_span("abcdef", 3, 100), 3, "bi_line_span: within n bytes");
	/* A reason for a failure, as snprintf writes it, and -1. */
	char why[8];
	is_num(bi_errf(why, sizeof why, "%s %d", "bad", 42), -1, "bi_errf: -1");
	is_str(why, "bad 42", "... and the reason in err");
	bi_errf(why, sizeof why, "%s", "far too long");
	is_str(why, "far too", "... cut to its size, NUL-terminated");
	/* A long text clipped, never inside a UTF-8 character. */
	char *c = bi_strclip("abcdef", 6);
	is_str(c, "abcdef", "bi_strclip: short enough, all of it");
	free(c);
	c = bi_strclip("abcdef", 4);
	is_str(c, "abcd...", "bi_strclip: cut, with ...");
	free(c);
	c = bi_strclip("caf\xc3\xa9 au lait", 4);
	is_str(c, "caf...", "bi_strclip: not inside a UTF-8 character");
	free(c);
	c = bi_strclip(NULL, 4);
	is_str(c, "", "bi_strclip: NULL is empty");
	free(c);
	return done();
}
