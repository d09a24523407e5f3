/* test-agentwatch: the installed runbooks, records held against them (when,
 * unless, lists, {field}s filled), silences by glob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agentwatch.h"
#include "tap.h"

static jv rb;

/* The runbook a record raises, with its title; "-" for none. */
static char *
raised(const char *rec)
{
	jv r = jv_parse(rec), f = bi_watch_match(rb, r);
	char *s = jv_is_valid(f) ? bi_asprintf("%s: %s", bi_get_str(f, "runbook"), bi_get_str(f, "title")) :
		bi_strdup("-");
	jv_free(r);
	jv_free(f);
	return s;
}

#define RAISES(rec, want, name) do { \
	char *r_ = raised(rec); \
	is_str(r_, want, name); \
	free(r_); \
} while (0)

int
main(void)
{
	plan(15);
	bi_init("test-agentwatch");
	rb = bi_watch_runbooks("templates/agents/runbooks.yaml");
	ok(jv_get_kind(rb) == JV_KIND_ARRAY && jv_array_length(jv_copy(rb)) >= 5, "the installed runbooks load");

	RAISES("{\"kind\":\"container\",\"action\":\"oom\",\"service\":\"api\",\"container\":\"abc\"}",
	       "oom: api was killed: out of memory (container abc)", "an OOM kill");
	RAISES("{\"kind\":\"container\",\"action\":\"die\",\"service\":\"api\",\"exit_code\":2}",
	       "crash: api exited with code 2", "a crash, its code filled in");
	RAISES("{\"kind\":\"container\",\"action\":\"die\",\"service\":\"api\",\"exit_code\":137}", "-",
	       "unless: a kill (137) is no crash");
	RAISES("{\"kind\":\"container\",\"action\":\"start\",\"service\":\"api\"}", "-", "a start is nothing");
	RAISES("{\"kind\":\"finding\",\"title\":\"api cannot reach db\"}", "root-cause: api cannot reach db",
	       "a finding of bi-rca");
	RAISES("{\"kind\":\"finding\",\"source\":\"watchdog\",\"title\":\"x\"}", "-", "not the watchdog's own");
	RAISES("{\"kind\":\"log\",\"msg\":\"oom\"}", "-", "a log line is not an event");

	jv r = jv_parse("{\"kind\":\"container\",\"action\":\"oom\",\"service\":\"api\"}");
	jv f = bi_watch_match(rb, r);
	jv a = jv_object_get(jv_copy(f), jv_string("actions"));
	jv a0 = jv_array_get(a, 0);
	is_str(jv_string_value(a0), "raise the memory limit of api", "the actions, filled in");
	jv_free(a0);
	is_str(bi_get_str(f, "title"), "api was killed: out of memory (container ?)", "a field missing: ?");
	jv sil = jv_parse("[\"crash\",\"API*memory*\"]");
	is_str(bi_watch_silenced(sil, f), "API*memory*", "silenced by a glob on the title, without case");
	jv_free(sil);
	sil = jv_parse("[\"crash\",\"worker\"]");
	ok(bi_watch_silenced(sil, f) == NULL, "not by others");
	jv_free(sil);
	sil = jv_parse("[\"api\"]");
	ok(bi_watch_silenced(sil, f) != NULL, "by the service");
	jv_free(sil);
	jv_free(f);
	jv_free(r);

	char *path = bi_temp_file("bi-test-agentwatch");
	FILE *fp = fopen(path, "w");
	fputs("runbooks:\n  - name: x\n    when: 3\n", fp);
	fclose(fp);
	jv bad = bi_watch_runbooks(path);
	jv why = jv_invalid_get_msg(bad);
	ok(jv_get_kind(why) == JV_KIND_STRING && strstr(jv_string_value(why), "runbook 1: a name and a \"when\""),
	   "a runbook without a condition is refused");
	jv_free(why);
	fp = fopen(path, "w");
	fputs("runbooks: [\n", fp);
	fclose(fp);
	bad = bi_watch_runbooks(path);
	ok(!jv_is_valid(bad), "malformed YAML is refused");
	jv_free(bad);
	remove(path);
	free(path);
	jv_free(rb);
	return done();
}
