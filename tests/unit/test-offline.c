/*
 * test-offline: the questions answered without a model, each from the
 * records that answer it; what the records lack said, not guessed; other
 * questions left to a model.
 */
#include <stdlib.h>

#include "base/util.h"
#include "analysis/context.h"
#include "analysis/offline.h"
#include "tap.h"

static char *
answer(bi_llm_records *in, const char *q, int *nevidence)
{
	jv ev = jv_invalid();
	char *text = bi_offline_answer(in, q, &ev);

	*nevidence = jv_get_kind(ev) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ev)) : -1;
	jv_free(ev);
	return text;
}

static void
add(bi_llm_records *in, const char *json)
{
	bi_llm_records_add(in, jv_parse(json));
}

int
main(void)
{
	bi_llm_records in;
	char *a;
	int n;

	plan(15);
	bi_init("test-offline");

	static const char *const yes[] = {"show me recent logs", "What errors are there?",
					  "status of the services", "recent commits", "what changed",
					  "why did checkout fail", NULL};
	int all = 1;
	for (const char *const *q = yes; *q; q++)
		all &= bi_offline_answerable(*q);
	ok(all, "logs, errors, status, commits, changes and why: answerable");
	ok(!bi_offline_answerable("write me a poem") && !bi_offline_answerable(""),
	   "anything else is left to a model");

	bi_llm_records_init(&in);
	a = answer(&in, "show me recent logs", &n);
	ok(a && strstr(a, "no log records were given") && strstr(a, "| bi-ask"), "no logs: said, and how to give them");
	free(a);
	a = answer(&in, "why did checkout fail", &n);
	ok(a && strstr(a, "No bi-rca finding") && strstr(a, "no errors among the 0 log records"),
	   "no finding: said, and the errors (none) instead");
	free(a);
	ok(answer(&in, "write me a poem", &n) == NULL, "a question for a model: NULL");

	for (int i = 0; i < 30; i++) {
		char rec[200];
		snprintf(rec, sizeof rec, "{\"kind\":\"log\",\"ts\":\"2026-11-26T00:00:%02dZ\",\"service\":\"api\","
			 "\"level\":\"%s\",\"msg\":\"order %d %s\"}", i, i % 3 ? "info" : "error", i,
			 i % 3 ? "placed" : "failed");
		add(&in, rec);
	}
	add(&in, "{\"kind\":\"log\",\"ts\":\"2026-11-26T00:01:00Z\",\"service\":\"db\",\"level\":\"fatal\","
		 "\"msg\":\"could not open file base/16384\"}");
	add(&in, "{\"kind\":\"container\",\"ts\":\"t\",\"service\":\"api\",\"container\":\"abc\","
		 "\"action\":\"status\",\"state\":\"running\",\"health\":\"healthy\"}");
	add(&in, "{\"kind\":\"commit\",\"ts\":\"2026-11-25T10:00:00Z\",\"sha\":\"1111111\",\"msg\":\"older\"}");
	add(&in, "{\"kind\":\"commit\",\"ts\":\"2026-11-25T11:00:00Z\",\"sha\":\"2222222\",\"msg\":\"newer\"}");
	add(&in, "{\"kind\":\"finding\",\"ts\":\"t\",\"service\":\"api\",\"title\":\"Orders failing in api\","
		 "\"confidence\":60}");
	add(&in, "{\"kind\":\"finding\",\"ts\":\"t\",\"service\":\"checkout\",\"title\":\"Out of memory in checkout\","
		 "\"confidence\":40}");

	a = answer(&in, "show me recent logs", &n);
	ok(a && strstr(a, "No model was used: the last") && strstr(a, "of the 31 log records given"),
	   "logs: how many of how many");
	ok(n > 0 && n <= BI_LLM_KEEP_LOGS, "logs: the lines shown are the evidence (%d)", n);
	free(a);
	a = answer(&in, "what errors are there?", &n);
	ok(a && strstr(a, "the 11 error lines given, in 2 groups"), "errors: 11 lines in 2 templates");
	ok(a && strstr(a, "order <num> failed") && strstr(a, "could not open file") &&
	   strstr(a, "order <num> failed") < strstr(a, "could not open file"), "most frequent first");
	is_num(n, 2, "errors: one record of evidence per group");
	free(a);
	a = answer(&in, "what is the status?", &n);
	ok(a && strstr(a, "latest state of each container") && n == 1, "status: the container's latest state");
	free(a);
	a = answer(&in, "recent commits", &n);
	ok(a && strstr(a, "2222222") && strstr(a, "1111111") && strstr(a, "2222222") < strstr(a, "1111111"),
	   "commits: newest first");
	free(a);
	a = answer(&in, "why did the checkout fail?", &n);
	ok(a && strstr(a, "top finding for checkout") && strstr(a, "Out of memory in checkout") && n == 1,
	   "why did the checkout fail: the finding that names it, not the more confident one");
	free(a);
	a = answer(&in, "why did it fail", &n);
	ok(a && strstr(a, "bi-rca's top finding.") && strstr(a, "Orders failing in api"),
	   "why did it fail: the most confident finding");
	free(a);
	a = answer(&in, "why did billing fail", &n);
	ok(a && strstr(a, "no bi-rca finding names billing") && strstr(a, "Orders failing in api"),
	   "a subject no finding names: said, and the most confident one shown");
	free(a);
	bi_llm_records_free(&in);
	return done();
}
