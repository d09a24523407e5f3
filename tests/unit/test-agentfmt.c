/* test-agentfmt: a review (its diff coloured only when asked), a task's
 * status with its steps, the list with the rates per role. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/agentfmt.h"
#include "tap.h"

int
main(void)
{
	char *s;

	plan(9);
	bi_init("test-agentfmt");
	jv t = jv_parse("{\"id\":3,\"agent\":\"ada\",\"role\":\"bug-fixer\",\"task\":\"fix it\",\"status\":\"suggested\","
			"\"revision\":2,\"steps\":4,\"tokens\":900,\"reason\":\"the plan\",\"branch\":null}");
	jv sug = jv_parse("{\"revision\":2,\"plan\":\"the plan\",\"feedback\":\"more\",\"changes\":"
			  "{\"a.txt\":{\"old\":\"x\\n\",\"new\":\"y\\n\"},\"b.txt\":{\"old\":null,\"new\":\"new\\n\"}}}");
	s = bi_agent_fmt_review(t, sug, 0);
	ok(!strncmp(s, "ada (bug-fixer), task 3: fix it\nrevision 2, after: more\nplan: the plan\n\n", 69),
	   "review: who, what, which revision after what feedback, the plan");
	ok(strstr(s, "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n") && strstr(s, "--- /dev/null\n+++ b/b.txt\n"),
	   "a diff per file, a new one from /dev/null");
	ok(!strchr(s, '\033'), "no colour unless asked");
	free(s);
	s = bi_agent_fmt_review(t, sug, 1);
	ok(strstr(s, "\033[31m-x\033[0m\n\033[32m+y\033[0m\n") != NULL, "coloured when asked");
	free(s);

	jv steps = jv_parse("[{\"step\":1,\"tool\":\"read_file\",\"args\":{\"path\":\"../x\"},\"error\":true},"
			    "{\"step\":2,\"tool\":\"finish\",\"args\":{},\"error\":false}]");
	s = bi_agent_fmt_status(t, steps);
	is_str(s, "ada (bug-fixer), task 3: fix it\nstatus: suggested, revision 2, 4 steps, 900 tokens\n"
	       "note: the plan\n  1 read_file {\"path\":\"../x\"} (refused)\n  2 finish {}\n", "status, its steps");
	free(s);

	/* What a model wrote cannot drive the terminal. */
	jv evil = jv_parse("{\"revision\":1,\"plan\":\"ok\\u001b]0;owned\\u0007\\rdone\",\"changes\":"
			   "{\"e.txt\":{\"old\":null,\"new\":\"a\\u001b[2Jb\\rc\\u009bd\\n\"}}}");
	s = bi_agent_fmt_review(t, evil, 1);
	ok(strstr(s, "plan: ok^[]0;owned^G\\rdone\n") && strstr(s, "+a^[[2Jb\\rc\\u009bd\033[0m\n") &&
	   !strstr(s, "\033]") && !strstr(s, "\033[2J") && !strchr(s, '\r') && !strstr(s, "\xc2\x9b"),
	   "review: control characters in the plan and the diff made visible");
	free(s);
	jv_free(evil);
	jv te = jv_parse("{\"id\":1,\"agent\":\"ada\",\"role\":\"r\",\"task\":\"t\\u001b[1A\",\"status\":\"done\","
			 "\"reason\":\"x\\r\\u001b[Ky\"}");
	jv se = jv_parse("[{\"step\":1,\"tool\":\"re\\u001b[Kad\",\"args\":{\"p\":\"\\u007f\"},\"error\":true}]");
	s = bi_agent_fmt_status(te, se);
	is_str(s, "ada (r), task 1: t^[[1A\nstatus: done, revision 0, 0 steps, 0 tokens\nnote: x\\r^[[Ky\n"
	       "  1 re^[[Kad {\"p\":\"\\u007f\"} (refused)\n", "status: control characters made visible");
	free(s);
	jv_free(te);
	jv_free(se);

	jv agents = jv_parse("[{\"name\":\"ada\",\"role\":\"bug-fixer\",\"tasks\":3,\"accepted\":2,\"rejected\":1,"
			     "\"last_status\":null}]");
	jv roles = jv_parse("[{\"role\":\"bug-fixer\",\"accepted\":2,\"rejected\":1,\"rate\":0.6667}]");
	s = bi_agent_fmt_list(agents, roles);
	is_str(s, "NAME             ROLE               TASKS ACCEPTED REJECTED  LAST\n"
	       "ada              bug-fixer              3        2        1  -\n"
	       "role bug-fixer: 2 accepted, 1 rejected (acceptance 67%)\n", "the list, and the rate per role");
	free(s);
	s = bi_agent_fmt_list(jv_invalid(), roles);
	is_str(s, "role bug-fixer: 2 accepted, 1 rejected (acceptance 67%)\n", "the rates alone");
	free(s);
	jv_free(agents);
	jv_free(roles);
	jv_free(steps);
	jv_free(sug);
	jv_free(t);
	return done();
}
