/* test-agentgit: log, status and diff for the model; a diff of two texts;
 * an accept: a branch, a worktree, the tests run there, a commit only when
 * they pass, the person's tree untouched, a symlink in the checkout not
 * followed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agentgit.h"
#include "tap.h"

static char *
sh(const char *fmt, const char *dir)
{
	char *cmd = bi_asprintf(fmt, dir, dir, dir);
	FILE *p = popen(cmd, "r");
	bi_buf b = {0};
	char buf[512];
	size_t k;

	bi_buf_add(&b, "", 0);
	while (p && (k = fread(buf, 1, sizeof buf, p)) > 0)
		bi_buf_add(&b, buf, k);
	if (p)
		pclose(p);
	free(cmd);
	while (b.len && b.p[b.len - 1] == '\n')
		b.p[--b.len] = '\0';
	return b.p;
}

int
main(void)
{
	char *dir = bi_temp_dir("bi-test-agentgit"), err[512], *s;

	plan(26);
	bi_init("test-agentgit");
	free(sh("cd %s && git init -q -b main && git config user.name Person && git config user.email p@x && "
		"printf 'a\\nb\\n' >f.txt && mkdir d && ln -s /tmp d/link && git add -A && git commit -qm 'first one' && "
		"printf 'a\\nB\\n' >f.txt && echo n >new.txt", dir));

	s = bi_agent_git_log(dir, 5, err, sizeof err);
	ok(s && strstr(s, " Person: first one\n"), "log");
	free(s);
	s = bi_agent_git_status(dir, err, sizeof err);
	is_str(s, "2 changed\n M f.txt\n?? new.txt\n", "status");
	free(s);
	s = bi_agent_git_diff(dir, NULL, 4096, err, sizeof err);
	ok(s && strstr(s, "-b\n+B\n"), "diff against HEAD");
	free(s);
	s = bi_agent_git_diff(dir, "new.txt", 4096, err, sizeof err);
	is_str(s, "no changes against HEAD\n", "diff of one path");
	free(s);
	s = bi_agent_git_diff(dir, NULL, 10, err, sizeof err);
	ok(s && strstr(s, "[the diff is cut here]"), "a diff cut at its bound");
	free(s);
	ok(bi_agent_git_log("/", 1, err, sizeof err) == NULL, "no repository: an error");

	s = bi_agent_diff("x.c", "1\n2\n3\n", "1\ntwo\n3\n");
	ok(strstr(s, "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n") != NULL, "a diff of two texts");
	free(s);
	s = bi_agent_diff("y.c", NULL, "new\n");
	ok(strstr(s, "--- /dev/null\n+++ b/y.c\n") != NULL, "a new file");
	free(s);
	s = bi_agent_diff("z.c", "same\n", "same\n");
	is_str(s, "", "no change: empty");
	free(s);

	/* Accept, tests passing. */
	char *wt = bi_asprintf("%s/.wt/one", dir), *mark = bi_asprintf("%s/mark", dir);
	char *test = bi_asprintf("grep -q good f.txt && pwd > %s", mark);
	jv changes = jv_parse("{\"f.txt\":{\"old\":\"a\\nb\\n\",\"new\":\"good\\n\"},"
			      "\"sub/n.txt\":{\"old\":null,\"new\":\"n\\n\"}}"), rep;
	bi_agent_accept_req a = {.root = dir, .branch = "agent/ada/t1", .wt = wt, .wtname = "one", .changes = changes,
				 .test_cmd = test, .timeout = 30, .msg = "do it\n", .author = "ada", .email = "ada@x"};
	int r0 = bi_agent_accept(&a, &rep, err, sizeof err);
	is_num(r0, 0, "accept: committed");
	if (r0)
		printf("# %s\n", err);
	s = sh("cat %s/mark", dir);
	is_str(s, wt, "the tests ran in the worktree");
	free(s);
	s = sh("cd %s && git show agent/ada/t1:f.txt && git log -1 --format='%%an %%cn %%s' agent/ada/t1 && "
	       "git show --stat --format= agent/ada/t1 | wc -l", dir);
	is_str(s, "good\nada Person do it\n3", "the commit: the change, by the agent, committed by the person");
	free(s);
	s = sh("cd %s && cat f.txt && git status --porcelain --untracked-files=no", dir);
	is_str(s, "a\nB\n M f.txt", "the person's tree untouched");
	free(s);
	ok(strlen(bi_get_text(rep, "commit", "")) == 40, "the report names the commit");
	jv_free(rep);

	/* Accept, tests failing: nothing committed. */
	free(wt);
	wt = bi_asprintf("%s/.wt/two", dir);
	a.wt = wt, a.wtname = "two", a.branch = "agent/ada/t2", a.test_cmd = "exit 1";
	is_num(bi_agent_accept(&a, &rep, err, sizeof err), 1, "tests failing: 1");
	s = sh("cd %s && git rev-list --count main..agent/ada/t2", dir);
	is_str(s, "0", "nothing committed");
	free(s);
	jv_free(rep);

	/* A retry of the same revision: the earlier worktree and branch give way. */
	a.test_cmd = "true";
	is_num(bi_agent_accept(&a, &rep, err, sizeof err), 0, "a retry after failed tests: committed");
	s = sh("cd %s && git show agent/ada/t2:f.txt", dir);
	is_str(s, "good", "the retry's commit");
	free(s);
	jv_free(rep);
	ok(bi_agent_discard(dir, "agent/ada/t2", "two", err, sizeof err) < 0 && strstr(err, "commits of its own"),
	   "discard keeps a branch with commits of its own");
	free(sh("cd %s && git worktree remove --force .wt/two && git branch -q -D agent/ada/t2", dir));

	/* Proposed against uncommitted edits (B): refused, nothing left. */
	jv_free(changes);
	changes = jv_parse("{\"f.txt\":{\"old\":\"a\\nB\\n\",\"new\":\"a\\nB\\nc\\n\"}}");
	a.changes = changes, a.branch = "agent/ada/t4", a.wtname = "four";
	free(wt);
	wt = bi_asprintf("%s/.wt/four", dir);
	a.wt = wt;
	ok(bi_agent_accept(&a, &rep, err, sizeof err) < 0 && strstr(err, "f.txt: changed since it was proposed"),
	   "a file that differs from the proposal's: refused");
	jv_free(rep);
	s = sh("cd %s && git branch --list agent/ada/t4; test -e .wt/four && echo left", dir);
	is_str(s, "", "a refused accept leaves no branch, no worktree");
	free(s);

	/* A commit since the proposal: the change is patched in, the commit kept. */
	free(sh("cd %s && printf '0\\n1\\n2\\n3\\n4\\n5\\n6\\n' >g.txt && git add g.txt && git commit -qm g", dir));
	jv_free(changes);
	changes = jv_parse("{\"g.txt\":{\"old\":\"1\\n2\\n3\\n4\\n5\\n6\\n\",\"new\":\"1\\n2\\n3\\n4\\n5\\nsix\\n\"}}");
	a.changes = changes, a.branch = "agent/ada/t5", a.wtname = "five";
	free(wt);
	wt = bi_asprintf("%s/.wt/five", dir);
	a.wt = wt;
	is_num(bi_agent_accept(&a, &rep, err, sizeof err), 0, "a file changed on HEAD since: the change applies");
	jv_free(rep);
	s = sh("cd %s && git show agent/ada/t5:g.txt | tr '\\n' ' '", dir);
	is_str(s, "0 1 2 3 4 5 six ", "HEAD's commit kept, the change made");
	free(s);

	/* A project in a folder of its repository. */
	char *sub = bi_asprintf("%s/in/proj", dir);
	free(sh("mkdir -p %s/in/proj && cd %s/in/proj && echo x >x.txt && git add x.txt && git commit -qm x", dir));
	jv_free(changes);
	changes = jv_parse("{\"x.txt\":{\"old\":\"x\\n\",\"new\":\"y\\n\"}}");
	free(wt);
	wt = bi_asprintf("%s/.wt/six", dir);
	a.root = sub, a.wt = wt, a.changes = changes, a.branch = "agent/ada/t6", a.wtname = "six";
	a.test_cmd = test;
	free(test);
	test = bi_asprintf("grep -q y x.txt && pwd > %s", mark);
	a.test_cmd = test;
	is_num(bi_agent_accept(&a, &rep, err, sizeof err), 0, "a project in a folder: accepted");
	jv_free(rep);
	s = sh("cd %s && git show agent/ada/t6:in/proj/x.txt && git show --stat --format= agent/ada/t6 | head -1 | "
	       "cut -d' ' -f2 && cat mark", dir);
	char *want = bi_asprintf("y\nin/proj/x.txt\n%s/in/proj", wt);
	is_str(s, want, "the change at the project's path, the tests run in its folder");
	free(want);
	free(s);
	a.root = dir;
	free(sub);

	/* A change through a symlink of the checkout is refused. */
	jv_free(changes);
	changes = jv_parse("{\"d/link/planted\":{\"new\":\"x\"}}");
	free(wt);
	wt = bi_asprintf("%s/.wt/three", dir);
	a.wt = wt, a.wtname = "three", a.branch = "agent/ada/t3", a.changes = changes, a.test_cmd = NULL;
	ok(bi_agent_accept(&a, &rep, err, sizeof err) < 0 && strstr(err, "leads out of the project"),
	   "a symlink in the checkout: refused");
	jv_free(rep);

	jv_free(changes);
	free(test);
	free(mark);
	free(wt);
	free(sh("rm -rf %s", dir));
	free(dir);
	return done();
}
