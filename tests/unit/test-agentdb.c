/* test-agentdb: agents hired and fired, tasks, steps, revisions and
 * outcomes kept, the acceptance rate per role. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agentdb.h"
#include "tap.h"

static char *
dump(jv v)
{
	jv d = jv_dump_string(v, JV_PRINT_SORTED);
	char *s = bi_strdup(jv_string_value(d));
	jv_free(d);
	return s;
}

int
main(void)
{
	char *dir = bi_temp_dir("bi-test-agentdb"), *path = bi_asprintf("%s/bi.db", dir), err[512], *s;

	plan(21);
	bi_init("test-agentdb");
	sqlite3 *db = bi_agentdb_open(path, err, sizeof err);
	ok(db != NULL, "open: %s", db ? "" : err);
	if (!db)
		return done();
	is_num(bi_agentdb_hire(db, "ada", "bug-fixer"), 0, "hire");
	is_num(bi_agentdb_hire(db, "ada", "docs-writer"), 1, "a name in use");
	is_num(bi_agentdb_hire(db, "bob", "docs-writer"), 0, "another");
	jv a = bi_agentdb_agent(db, "ada");
	is_str(bi_get_str(a, "role"), "bug-fixer", "the agent, with its role");
	jv_free(a);
	a = bi_agentdb_agent(db, "nobody");
	ok(jv_get_kind(a) == JV_KIND_NULL, "no such agent: null");
	jv_free(a);

	int64_t t = bi_agentdb_task_new(db, "ada", "bug-fixer", "fix it");
	ok(t > 0, "a task");
	jv msgs = jv_parse("[{\"role\":\"user\",\"content\":\"fix it\"}]");
	ok(bi_agentdb_task_set(db, t, bi_set(bi_set(bi_set(jv_object(), "status", jv_string("suggested")),
		"revision", jv_number(1)), "messages", msgs)) == 0, "its state set");
	jv task = bi_agentdb_task_latest(db, "ada");
	is_str(bi_get_str(task, "status"), "suggested", "the latest task: its status");
	is_str(s = dump(jv_object_get(jv_copy(task), jv_string("messages"))),
	       "[{\"content\":\"fix it\",\"role\":\"user\"}]", "its conversation, as JSON again");
	free(s);
	jv_free(task);

	jv args = jv_parse("{\"path\":\"a\"}");
	ok(bi_agentdb_step(db, t, 1, 1, "read_file", args, "text", 0) == 0 &&
	   bi_agentdb_step(db, t, 1, 2, "read_file", args, "error: ..", 1) == 0, "steps");
	jv_free(args);
	is_str(s = dump(bi_agentdb_steps(db, t, 1)), "[{\"args\":{\"path\":\"a\"},\"error\":false,\"result\":\"text\","
	       "\"step\":1,\"tool\":\"read_file\"},{\"args\":{\"path\":\"a\"},\"error\":true,\"result\":\"error: ..\","
	       "\"step\":2,\"tool\":\"read_file\"}]", "the steps, in order");
	free(s);

	jv ch = jv_parse("{\"a.txt\":{\"old\":null,\"new\":\"x\\n\"}}");
	ok(bi_agentdb_suggest(db, t, 1, "the plan", NULL, ch) == 0 &&
	   bi_agentdb_suggest(db, t, 2, "plan 2", "more", ch) == 0, "two revisions");
	jv_free(ch);
	is_str(s = dump(bi_agentdb_suggestion(db, t, 2)), "{\"changes\":{\"a.txt\":{\"new\":\"x\\n\",\"old\":null}},"
	       "\"feedback\":\"more\",\"plan\":\"plan 2\",\"revision\":2}", "revision 2, with its feedback");
	free(s);
	a = bi_agentdb_suggestion(db, t, 3);
	ok(jv_get_kind(a) == JV_KIND_NULL, "no revision 3");
	jv_free(a);

	int64_t t2 = bi_agentdb_task_new(db, "bob", "docs-writer", "write");
	ok(bi_agentdb_outcome(db, t, 2, "accepted", NULL) == 0 && bi_agentdb_outcome(db, t2, 1, "rejected", "no") == 0 &&
	   bi_agentdb_outcome(db, t2, 1, "tests-failed", NULL) == 0, "outcomes");
	is_num(bi_agentdb_fire(db, "ada"), 0, "fire");
	is_str(s = dump(bi_agentdb_roles(db)), "[{\"accepted\":1,\"rate\":1,\"rejected\":0,\"role\":\"bug-fixer\"},"
	       "{\"accepted\":0,\"rate\":0,\"rejected\":1,\"role\":\"docs-writer\"}]",
	       "rates per role, a fired agent's work counted, a failed test run not");
	free(s);

	jv f = jv_parse("{\"kind\":\"finding\",\"runbook\":\"oom\",\"title\":\"api OOM\"}");
	int64_t fid = bi_agentdb_finding_add(db, f, NULL);
	jv_free(f);
	f = bi_agentdb_finding(db, fid);
	ok(fid > 0 && !strcmp(bi_get_text(f, "title", ""), "api OOM"), "a finding kept, and found by its id");
	jv_free(f);
	ok(bi_agentdb_silence(db, "oom", 2000) == 0 && bi_agentdb_silence(db, "old", 500) == 0, "silences");
	is_str(s = dump(bi_agentdb_silences(db, 1000)), "[\"oom\"]", "those in force, not those ended");
	free(s);
	sqlite3_close(db);
	char *cmd = bi_asprintf("rm -rf %s", dir);
	system(cmd);
	free(cmd);
	free(path);
	free(dir);
	return done();
}
