/* test-gitctx: commits of a repository made here with git itself. */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/gitctx.h"
#include "tap.h"

static jv got;

static int
keep(void *ctx, jv rec)
{
	(void)ctx;
	got = jv_array_append(got, rec);
	return 0;
}

static int
first(void *ctx, jv rec)
{
	++*(int *)ctx;
	jv_free(rec);
	return 1;
}

int
main(void)
{
	char err[512], *dir = bi_temp_dir("bi-test-gitctx");

	plan(13);
	bi_init("test-gitctx");
	char *cmd = bi_asprintf(
		"cd %s && git init -q && git config user.name Ada && git config user.email ada@x && "
		"printf 'a\\nb\\n' >one.txt && git add one.txt && "
		"GIT_AUTHOR_DATE='2026-11-20T10:00:00Z' GIT_COMMITTER_DATE='2026-11-20T10:00:00Z' "
		"git commit -qm 'First: add one' && "
		"printf 'a\\nc\\nd\\n' >one.txt && printf 'x\\n' >two.txt && git add . && "
		"GIT_AUTHOR_DATE='2026-11-24T10:00:00Z' GIT_COMMITTER_DATE='2026-11-24T10:00:00Z' "
		"git commit -qm 'Second: change one, add two' -m 'The body.' && "
		"git rm -q two.txt && "
		"GIT_AUTHOR_DATE='2026-11-25T10:00:00Z' GIT_COMMITTER_DATE='2026-11-25T10:00:00Z' "
		"git commit -qm 'Third: remove two'", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);

	ok(bi_git_is_repo(dir), "a repository is one");
	ok(!bi_git_is_repo("/"), "/ is not");
	got = jv_array();
	int r = bi_git_commits(dir, NULL, 0, 0, keep, NULL, err, sizeof err);
	ok(r == 0 && jv_array_length(jv_copy(got)) == 3, "three commits, newest first");
	jv c = jv_array_get(jv_copy(got), 1);
	is_str(bi_get_str(c, "msg"), "Second: change one, add two", "the summary");
	is_str(bi_get_str(c, "body"), "The body.", "and the body");
	is_str(bi_get_str(c, "author"), "Ada", "the author");
	is_str(bi_get_str(c, "ts"), "2026-11-24T10:00:00.000Z", "its time");
	jv files = jv_object_get(jv_copy(c), jv_string("files"));
	jv fs = jv_dump_string(files, 0);
	is_str(jv_string_value(fs), "[\"one.txt\",\"two.txt\"]", "its files");
	jv_free(fs);
	ok(bi_get_num(c, "insertions", -1) == 3 && bi_get_num(c, "deletions", -1) == 1,
	   "3 lines in, 1 out");
	jv_free(c);
	c = jv_array_get(jv_copy(got), 0);
	files = jv_object_get(jv_copy(c), jv_string("files"));
	fs = jv_dump_string(files, 0);
	is_str(jv_string_value(fs), "[\"two.txt\"]", "a deleted file is named too");
	jv_free(fs);
	jv_free(c);
	jv_free(got);

	int64_t since;
	bi_ts_parse("2026-11-23T00:00:00Z", &since);
	got = jv_array();
	bi_git_commits(dir, NULL, since, 0, keep, NULL, err, sizeof err);
	is_num(jv_array_length(jv_copy(got)), 2, "since a time: the two after it");
	jv_free(got);
	int n = 0;
	bi_git_commits(dir, NULL, 0, 0, first, &n, err, sizeof err);
	is_num(n, 1, "the callback can stop the walk");
	r = bi_git_commits("/", NULL, 0, 0, keep, NULL, err, sizeof err);
	ok(r == -1 && strstr(err, "not a git repository"), "outside a repository: -1, said: %s", err);
	cmd = bi_asprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	free(dir);
	return done();
}
