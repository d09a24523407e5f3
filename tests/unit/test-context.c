/* test-context: what a model is told about the records: log templates,
 * the records digested (errors grouped by template, the latest state per
 * container), read from files and stdin by bi_each, and condensed into text
 * within a byte budget, with what was left out counted. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/context.h"
#include "tap.h"

static const char *
mask(const char *msg)
{
	static bi_buf b;

	b.len = 0;
	bi_llm_mask(&b, msg);
	return b.p ? b.p : "";
}

static void
masks(void)
{
	is_str(mask("connection to 10.0.0.10:5432 refused"), "connection to <ip> refused", "mask: an address");
	is_str(mask("request 550e8400-e29b-41d4-a716-446655440000 timed out after 1.5s"),
	       "request <uuid> timed out after <num>s", "mask: a uuid, a decimal");
	is_str(mask("cannot open /srv/data/users.db: denied"), "cannot open <path>: denied", "mask: a path");
	is_str(mask("bad pointer 0x7f00 session deadbeef01"), "bad pointer <hex> session <hex>", "mask: hex");
	is_str(mask("upstream http://10.1.2.3:8080/api returned 502"), "upstream <url> returned <num>",
	       "mask: a URL");
	is_str(mask("user_id=42 job build-7, 1,000 rows"), "user_id=<num> job build-<num>, <num> rows",
	       "mask: key=value, digits inside a word, a thousands separator");
	is_str(mask("  spaced\tout  \nsecond line 1"), "spaced out", "mask: the first line, spaces normalised");
	is_str(mask("fe80::1 and ::1"), "<ip> and <ip>", "mask: IPv6");
}

static void
context(void)
{
	bi_llm_records r;
	bi_llm_records_init(&r);
	for (int i = 0; i < 3; i++)
		bi_llm_records_add(&r, jv_parse("{\"kind\":\"log\",\"ts\":\"t\",\"service\":\"api\","
						"\"level\":\"error\",\"msg\":\"order 17 failed\"}"));
	bi_llm_records_add(&r, jv_parse("{\"kind\":\"log\",\"ts\":\"u\",\"service\":\"api\",\"level\":\"error\","
					"\"msg\":\"connection to 10.0.0.1:5432 refused\"}"));
	bi_llm_records_add(&r, jv_parse("{\"kind\":\"metric\",\"ts\":\"t\",\"service\":\"api\",\"name\":\"up\",\"value\":1}"));
	bi_llm_records_add(&r, jv_parse("{\"kind\":\"chaos\",\"ts\":\"t\"}"));
	ok(r.nlogs == 4 && r.errors.n == 2 && r.errors.lines == 4, "records: 4 error logs in 2 groups");
	char *ctx = bi_llm_context(&r, 10000);
	ok(strstr(ctx, "\n- 3 times [api] order <num> failed (first t, last t); latest: order 17 failed\n") != NULL,
	   "context: errors grouped with their counts, most frequent first");
	ok(strstr(ctx, "\n- api up = 1\n") != NULL, "context: a metric without labels");
	ok(strstr(ctx, "- chaos: 1\n") != NULL, "context: other kinds counted");
	free(ctx);
	ctx = bi_llm_context(&r, 200);
	ok(strlen(ctx) <= 200 && strstr(ctx, "more items left out to fit the budget"),
	   "context: within its limit, and what was left out counted");
	free(ctx);
	bi_llm_records_free(&r);

	bi_llm_records_init(&r);
	ctx = bi_llm_context(&r, 10000);
	is_str(ctx, "(no records were given)\n", "context: no records, said so");
	free(ctx);
	bi_llm_records_free(&r);
}

/* Many templates: each its own group, in the order of their counts. */
static void
groups(void)
{
	bi_llm_records r;
	char msg[160];

	bi_llm_records_init(&r);
	for (int g = 0; g < 100; g++)
		for (int k = 0; k <= g % 7; k++) {
			snprintf(msg, sizeof msg, "{\"kind\":\"log\",\"ts\":\"t%d\",\"service\":\"s%d\","
				 "\"level\":\"%s\",\"msg\":\"failure %d\"}", k, g, g % 2 ? "fatal" : "warn", k);
			bi_llm_records_add(&r, jv_parse(msg));
		}
	ok(r.errors.n == 50 && r.warns.n == 50, "groups: one per service and template (%zu, %zu)",
	   r.errors.n, r.warns.n);
	bi_llm_groups_sort(&r.errors);
	int sorted = 1;
	for (size_t i = 1; i < r.errors.n; i++)
		sorted &= r.errors.g[i - 1].n > r.errors.g[i].n ||
			  (r.errors.g[i - 1].n == r.errors.g[i].n && r.errors.g[i - 1].order < r.errors.g[i].order);
	ok(sorted && r.errors.g[0].n == 7 && !strcmp(r.errors.g[0].first, "t0") &&
	   !strcmp(bi_get_text(r.errors.g[0].last, "ts", ""), "t6"),
	   "groups: most lines first, then the first seen; first and last kept");
	bi_llm_records_free(&r);
}

static char *
write_file(const char *text)
{
	char *path = bi_temp_file("test-context");
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

/* Files read by bi_each: every file, a bad line skipped, a missing file
 * counted and skipped. */
static void
reading(void)
{
	char *a = write_file("{\"kind\":\"commit\",\"ts\":\"t\",\"sha\":\"c1\"}\nnot json\n"
			     "{\"kind\":\"log\",\"ts\":\"t\",\"level\":\"error\",\"msg\":\"x\"}\n");
	char *b = write_file("{\"kind\":\"commit\",\"ts\":\"t\",\"sha\":\"c2\"}");
	char *missing = bi_asprintf("%s.gone", b);
	char *paths[] = {a, missing, b};
	bi_llm_records r;

	bi_llm_records_init(&r);
	int bad = bi_llm_records_read(&r, 3, paths, 0);
	ok(bad == 1 && r.ncommits == 2 && r.nlogs == 1 && r.errors.n == 1,
	   "read: two files' records, a bad line and a missing file skipped (%d missing)", bad);
	bi_llm_records_free(&r);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
	free(missing);
}

/* A finding told to a model: the service at fault and the affected, a
 * crash's signature, and the chain when told in full. */
static void
finding(void)
{
	jv f = jv_parse("{\"kind\":\"finding\",\"title\":\"Connection refused in redis, affecting app\","
			"\"confidence\":75,\"service\":\"redis\",\"pattern\":\"connection-refused\","
			"\"affected\":[\"app\",\"worker\"],\"chain\":[{\"ts\":\"2026-11-26T02:01:56.187Z\","
			"\"service\":\"redis\",\"what\":\"container exited with code 0\"}],"
			"\"crash\":{\"signal\":\"SIGSEGV\",\"exception\":null,\"frame\":null,\"count\":3}}");
	char *s = bi_llm_describe_finding(f, 0);
	ok(strstr(s, "\n  at fault: redis; affected: app, worker") != NULL, "the service at fault and the affected");
	ok(strstr(s, "\n  crash: SIGSEGV - at ?, 3 times") != NULL, "... a crash's signature");
	ok(strstr(s, "chain:") == NULL, "... the chain only in full");
	free(s);
	s = bi_llm_describe_finding(f, 1);
	ok(strstr(s, "\n  chain:\n    - 2026-11-26T02:01:56.187Z redis: container exited with code 0") != NULL,
	   "in full, the chain");
	free(s);
	jv_free(f);
}

int
main(void)
{
	plan(21);
	bi_init("test-context");
	masks();
	context();
	groups();
	reading();
	finding();
	return done();
}
