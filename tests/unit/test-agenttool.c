/* test-agenttool: the fence (.., absolute paths, symlinks out, .git, a link
 * swapped in after the check), unified diffs applied, commands bounded, and
 * the tools as the model calls them. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agenttool.h"
#include "tap.h"

static char *root;

/* bi_agent_confine's answer: the path, or "!" and the reason. */
static char *
confine(const char *rel, int must_exist)
{
	char err[512], *out;
	if (bi_agent_confine(root, rel, must_exist, &out, err, sizeof err) != 0)
		return bi_asprintf("!%s", err);
	return out;
}

#define CONFINED(rel, must, want, name) do { \
	char *c_ = confine(rel, must); \
	is_str(c_, want, name); \
	free(c_); \
} while (0)

#define REFUSED(rel, must, why, name) do { \
	char *g_ = confine(rel, must); \
	ok(g_[0] == '!' && strstr(g_, why), name); \
	if (g_[0] != '!' || !strstr(g_, why)) \
		printf("#   got: %s\n", g_); \
	free(g_); \
} while (0)

static char *
patch(const char *text, const char *diff)
{
	char err[256];
	char *r = bi_agent_patch(text, diff, err, sizeof err);
	return r ? r : bi_asprintf("!%s", err);
}

#define PATCHED(text, diff, want, name) do { \
	char *c_ = patch(text, diff); \
	is_str(c_, want, name); \
	free(c_); \
} while (0)

static char *
tool(bi_agent_env *e, const char *name, const char *args, int *bad)
{
	jv a = jv_parse(args);
	char *r = bi_agent_tool(e, name, a, bad);
	jv_free(a);
	return r;
}

int
main(void)
{
	char *tmp = bi_temp_dir("bi-test-agenttool"), err[512];

	plan(55);
	bi_init("test-agenttool");
	root = realpath(tmp, NULL);
	char *cmd = bi_asprintf("cd %s && mkdir -p sub .git outside && printf 'one\\ntwo\\n' >a.txt && "
				"printf 'b\\n' >sub/b.txt && echo secret >outside/s && ln -s /etc out && "
				"ln -s sub in && ln -s /nonexistent/x dangling && ln -s .git g && echo x >.git/config && "
				"mkdir -p nested/.git .blissful-infra && echo x >nested/.git/config && "
				"ln -s nested/.git/config ncfg && echo t >.blissful-infra/serve.token && "
				"ln -s .blissful-infra/serve.token tok", root);
	if (system(cmd) != 0)
		return 1;
	free(cmd);

	/* ---- the fence */
	CONFINED("a.txt", 1, "a.txt", "a file inside");
	CONFINED("", 1, ".", "empty: the project");
	CONFINED("./sub/./b.txt", 1, "sub/b.txt", "'.' parts are fine");
	CONFINED("in/b.txt", 1, "sub/b.txt", "a symlink inside resolves inside");
	CONFINED("new/dir/f.c", 0, "new/dir/f.c", "a file to be, in folders to be");
	CONFINED("sub/new.txt", 0, "sub/new.txt", "a file to be in a folder");
	CONFINED("in/new.txt", 0, "sub/new.txt", "a file to be through a symlink inside");
	REFUSED("new/f.c", 1, "No such file", "must exist: a missing file is an error");
	REFUSED("../x", 0, "'..' is refused", "..");
	REFUSED("sub/../a.txt", 1, "'..' is refused", ".. even when it would stay inside");
	REFUSED("/etc/passwd", 1, "absolute path", "an absolute path");
	REFUSED("out/passwd", 1, "leads out of the project", "a symlink to a folder outside");
	REFUSED("out", 1, "leads out of the project", "the symlink itself");
	REFUSED("out/new.txt", 0, "leads out of the project", "a file to be through a symlink out");
	REFUSED("dangling", 0, "a symlink to nothing", "a dangling symlink (which a write would follow)");
	REFUSED(".git/config", 1, ".git is not open", ".git");
	REFUSED("sub/.git", 0, ".git is not open", ".git anywhere");
	REFUSED("g/config", 1, "leads into .git", "a symlink into .git");
	REFUSED("ncfg", 1, "leads into .git", "a symlink into a nested repository's .git");
	REFUSED(".blissful-infra/serve.token", 1, ".blissful-infra is not open", ".blissful-infra, to read too");
	REFUSED("tok", 1, "leads into .blissful-infra", "a symlink into .blissful-infra");
	REFUSED("a.txt/x", 0, "Not a directory", "a file taken as a folder");

	/* A link swapped in after the check is not followed. */
	int fd = bi_agent_open(root, "a.txt");
	ok(fd >= 0, "bi_agent_open opens a file inside");
	if (fd >= 0)
		close(fd);
	char *swap = bi_asprintf("%s/swap", root);
	symlink("outside/s", swap);
	ok(bi_agent_open(root, "swap") < 0, "a symlink, even to inside, is not followed on open");
	free(swap);

	/* ---- diffs */
	PATCHED("one\ntwo\n", "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n", "ONE\ntwo\n", "a hunk");
	PATCHED("a\nb\nc\nd\n", "@@ -9,2 +9,2 @@\n c\n-d\n+D\n", "a\nb\nc\nD\n", "wrong line numbers: found elsewhere");
	PATCHED("a\nb\n", "@@ -1,2 +1,3 @@\n a\n b\n+c\n\\ No newline at end of file\n", "a\nb\nc",
		"no newline at the end");
	PATCHED("a\nb", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n", "a\nb\n",
		"a newline added at the end");
	PATCHED("", "@@ -0,0 +1,2 @@\n+x\n+y\n", "x\ny\n", "a new file");
	PATCHED("1\n2\n3\n4\n5\n6\n7\n8\n", "@@ -1,2 +1,2 @@\n-1\n+one\n 2\n@@ -7,2 +7,2 @@\n 7\n-8\n+eight\n",
		"one\n2\n3\n4\n5\n6\n7\neight\n", "two hunks");
	PATCHED("a\n\nb\n", "@@ -1,3 +1,3 @@\n a\n\n-b\n+B\n", "a\n\nB\n", "an empty context line, its space lost");
	PATCHED("a\nb\n", "@@ -1 +1 @@\n-z\n+y\n", "!hunk 1 (@@ -1,1): its lines are not in the file",
		"lines that are not there");
	PATCHED("a\n", "just text", "!no hunk (\"@@ -A,B +C,D @@\") in the diff", "no hunk");
	PATCHED("a\nb\na\nb\n", "@@ -3,2 +3,2 @@\n a\n-b\n+B\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n",
		"!hunk 2 (@@ -1,2): its lines are not in the file", "hunks out of order are not applied backwards");

	/* ---- commands */
	const char *echo[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char *out;
	int st = bi_agent_exec(echo, root, 10, 100, NULL, &out);
	ok(st == 3 && !strcmp(out, "out\nerr\n"), "exec: status and both streams");
	free(out);
	const char *lots[] = {"sh", "-c", "seq 1 10000", NULL};
	bi_agent_exec(lots, root, 10, 12, NULL, &out);
	is_str(out, "\n9999\n10000\n", "exec: the tail of a long output");
	free(out);
	const char *hang[] = {"sh", "-c", "sleep 30 & wait", NULL};
	is_num(bi_agent_exec(hang, root, 1, 100, NULL, &out), 124, "exec: killed at the timeout, its children too");
	free(out);
	const char *quiet[] = {"sh", "-c", "exec >/dev/null 2>&1; sleep 30", NULL};
	is_num(bi_agent_exec(quiet, root, 1, 100, NULL, &out), 124, "exec: the timeout holds after the output is closed");
	free(out);
	const char *bg[] = {"sh", "-c", "sleep 30 & echo started; exit 5", NULL};
	st = bi_agent_exec(bg, root, 5, 100, NULL, &out);
	ok(st == 5 && !strcmp(out, "started\n"), "exec: a command that exited, a child holding its output: its status");
	free(out);
	volatile sig_atomic_t halt = 1;
	is_num(bi_agent_exec(hang, root, 10, 100, &halt, &out), 130, "exec: stopped by the flag");
	free(out);
	char *tc = bi_agent_test_command(root, NULL);
	ok(tc == NULL, "no test command in a bare folder");
	free(tc);
	tc = bi_agent_test_command(root, "make check");
	is_str(tc, "make check", "the configured test command");
	free(tc);

	/* ---- the tools */
	bi_agent_env e = {.test_timeout = 10};
	ok(bi_agent_env_open(&e, tmp, err, sizeof err) == 0, "an environment");
	int bad;
	char *r = tool(&e, "read_file", "{\"path\":\"a.txt\"}", &bad);
	ok(!bad && !strcmp(r, "one\ntwo\n"), "read_file");
	free(r);
	r = tool(&e, "read_file", "{\"path\":\"a.txt\",\"start_line\":2}", &bad);
	ok(!bad && !strncmp(r, "two\n[lines 2-2 of 2", 19), "read_file from a line");
	free(r);
	r = tool(&e, "read_file", "{\"path\":\"out/passwd\"}", &bad);
	ok(bad && strstr(r, "leads out"), "read_file through a symlink out: an error for the model");
	free(r);
	r = tool(&e, "list_files", "{}", &bad);
	ok(!bad && strstr(r, "\nsub/\n") && !strstr(r, ".git\n"), "list_files: folders marked, no .git");
	ok(!strstr(r, ".blissful-infra"), "list_files: no .blissful-infra");
	free(r);
	r = tool(&e, "search_files", "{\"pattern\":\"secret\"}", &bad);
	is_str(r, "outside/s:1: secret\n1 match\n", "search_files, through no symlink");
	free(r);
	r = tool(&e, "propose_change", "{\"path\":\"a.txt\",\"content\":\"uno\\ntwo\\n\"}", &bad);
	free(r);
	r = tool(&e, "propose_change", "{\"path\":\"a.txt\",\"diff\":\"@@ -2 +2 @@\\n-two\\n+dos\\n\"}", &bad);
	jv c = jv_object_get(jv_copy(e.changes), jv_string("a.txt"));
	ok(!bad && !strcmp(bi_get_text(c, "new", ""), "uno\ndos\n") && !strcmp(bi_get_text(c, "old", ""), "one\ntwo\n"),
	   "a second proposal builds on the first; the old text is the file's");
	jv_free(c);
	free(r);
	r = tool(&e, "propose_change", "{\"path\":\"a.txt\"}", &bad);
	ok(bad, "propose_change needs content or a diff");
	free(r);
	r = tool(&e, "read_file", "{\"path\":\"a.txt\"}", &bad);
	is_str(r, "one\ntwo\n", "nothing proposed is written");
	free(r);
	r = tool(&e, "rm_rf", "{}", &bad);
	ok(bad && strstr(r, "no tool rm_rf"), "an unknown tool");
	free(r);
	r = tool(&e, "read_file", "[1]", &bad);
	ok(bad, "arguments that are no object");
	free(r);
	r = tool(&e, "finish", "{\"summary\":\"done\"}", &bad);
	ok(e.finished && !strcmp(e.summary, "done"), "finish");
	free(r);
	bi_agent_env_free(&e);

	cmd = bi_asprintf("rm -rf %s", root);
	system(cmd);
	free(cmd);
	free(root);
	free(tmp);
	return done();
}
