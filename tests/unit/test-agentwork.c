/* test-agentwork: the settings of the agents, their first messages and a
 * revision's feedback, a finding handed on, the watchdog's records kept
 * and silenced. (A run and an acceptance are tests/cli/0150-bi-agent.t's,
 * against a stand-in model.) */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/llm.h"
#include "analysis/agenttool.h"
#include "analysis/agentdb.h"
#include "analysis/agentwork.h"
#include "tap.h"

int
main(void)
{
	char err[512], *dir = bi_temp_dir("bi-test-agentwork");
	bi_llm llm;

	plan(15);
	bi_init("test-agentwork");
	unsetenv("OLLAMA_HOST");
	setenv("MY_KEY", "k1", 1);
	jv cfg = jv_parse("{\"agent\":{\"api\":\"openai\",\"base_url\":\"http://127.0.0.1:9/v1/\","
			  "\"api_key_env\":\"MY_KEY\",\"test_command\":\"make check\",\"test_timeout\":\"5m\"}}");
	ok(bi_agent_llm(cfg, NULL, NULL, &llm, err, sizeof err) == 0, "the server from the configuration");
	is_str(llm.base, "http://127.0.0.1:9", "its address, without /v1");
	is_str(llm.auth, "Authorization: Bearer k1", "the key from the variable named");
	is_num(llm.budget, 8192, "Ollama's context window by default");
	free((char *)llm.base);
	free((char *)llm.auth);
	ok(bi_agent_llm(cfg, "ollama", "127.0.0.1:7", &llm, err, sizeof err) == 0 && llm.api == BI_LLM_OLLAMA &&
	   !strcmp(llm.base, "http://127.0.0.1:7") && !llm.auth, "flags over the configuration; no key for Ollama");
	free((char *)llm.base);
	ok(bi_agent_llm(cfg, "claude", NULL, &llm, err, sizeof err) != 0 && strstr(err, "ollama or openai"),
	   "an unknown API");

	bi_agent_env e;
	ok(bi_agent_env_setup(&e, dir, cfg, NULL, err, sizeof err) == 0 && !strcmp(e.test_cmd, "make check") &&
	   e.test_timeout == 300, "the environment: the test command and its timeout");
	bi_agent_env_free(&e);
	jv_free(cfg);

	jv m = bi_agent_messages("You fix bugs.", "fix /hello");
	ok(jv_array_length(jv_copy(m)) == 2, "two first messages");
	jv s0 = jv_array_get(jv_copy(m), 0);
	ok(!strncmp(bi_get_text(s0, "content", ""), "You fix bugs.\n\nYou work on the project through the tools", 53),
	   "the role, then the rules");
	jv_free(s0);
	m = bi_agent_feedback(m, 1, "add a test");
	jv last = jv_array_get(jv_copy(m), 2);
	ok(!strcmp(bi_get_text(last, "role", ""), "user") &&
	   !strncmp(bi_get_text(last, "content", ""), "Feedback from the reviewer on revision 1: add a test\n", 53),
	   "the feedback, as the reviewer's");
	jv_free(last);
	jv_free(m);

	jv f = jv_parse("{\"title\":\"api OOM\",\"service\":\"api\",\"runbook\":\"oom\",\"evidence\":{\"action\":\"oom\"}}");
	char *task = bi_agent_investigation(f);
	ok(strstr(task, "api OOM (service api, runbook oom). The record: {\"action\":\"oom\"}") != NULL,
	   "a finding handed on, with its record");
	free(task);
	jv_free(f);

	char *path = bi_asprintf("%s/bi.db", dir);
	sqlite3 *db = bi_agentdb_open(path, err, sizeof err);
	jv rb = jv_parse("[{\"name\":\"oom\",\"when\":{\"action\":\"oom\"},\"title\":\"{service} OOM\"}]"), got;
	char *by;
	int64_t id = bi_agent_watch_record(db, rb, jv_parse("{\"action\":\"start\",\"service\":\"api\"}"), &got, &by);
	ok(id == 0 && !jv_is_valid(got) && !by, "a record no runbook meets: nothing");
	jv_free(got);
	id = bi_agent_watch_record(db, rb, jv_parse("{\"action\":\"oom\",\"service\":\"api\"}"), &got, &by);
	ok(id == 1 && !by && !strcmp(bi_get_text(got, "title", ""), "api OOM") && !strcmp(bi_get_text(got, "id", ""), "1"),
	   "a finding raised, kept, with its id");
	jv_free(got);
	bi_agentdb_silence(db, "api*", INT64_MAX);
	id = bi_agent_watch_record(db, rb, jv_parse("{\"action\":\"oom\",\"service\":\"api\"}"), &got, &by);
	ok(id == 2 && by && !strcmp(by, "api*"), "the next, silenced (and kept)");
	free(by);
	jv_free(got);
	jv kept = bi_agentdb_finding(db, 2);
	ok(!strcmp(bi_get_text(kept, "runbook", ""), "oom"), "the silenced one can still be investigated");
	jv_free(kept);
	jv_free(rb);
	sqlite3_close(db);
	free(path);
	char *cmd = bi_asprintf("rm -rf %s", dir);
	system(cmd);
	free(cmd);
	free(dir);
	return done();
}
