/* test-advice: the advice table, the user's entries, how a scenario is
 * matched, the texts filled in, and the checks of a project's files. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/advice.h"
#include "tap.h"

static bi_advice *a;
static size_t n;

static const char *
find(const char *on, const char *scenario)
{
	const bi_advice *e = bi_advice_find(a, n, on, scenario);
	return e ? e->id : "none";
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* The titles of suggestions (an array, consumed), joined by " | ". */
static char *
titles(jv s)
{
	bi_buf b = {0};

	bi_buf_adds(&b, "");
	jv_array_foreach(s, i, r) {
		bi_buf_printf(&b, "%s%s", i ? " | " : "", bi_get_str(r, "title"));
		jv_free(r);
	}
	jv_free(s);
	return b.p;
}

/* A table of the test's own, read as advice and patterns are: an id and
 * a number. */
typedef struct item {
	int n;
	char *id;		/* not first: the schema says where */
	int builtin;
} item;

static int
item_load(jv y, const char *id, const char *where, int builtin, void *e, char *err, size_t errlen)
{
	item *it = e;
	double n = bi_get_num(y, "n", -1);

	if (n < 0) {
		snprintf(err, errlen, "%s: n must be 0 or more", where);
		return -1;
	}
	*it = (item){(int)n, bi_strdup(id), builtin};
	return 0;
}

static void
item_free(void *e)
{
	free(((item *)e)->id);
}

static jv
items_in(jv doc, int file)
{
	(void)file;
	return jv_get_kind(doc) == JV_KIND_OBJECT ? jv_object_get(doc, jv_string("items")) : doc;
}

static const bi_advice_schema items = {
	.name = "items", .entry = "item", .an = "an item", .size = sizeof(item),
	.id = offsetof(item, id), .list = items_in, .load = item_load, .free = item_free,
};

/* The ids and numbers of a table of items, "a=1 b=2*" (* built in). */
static char *
item_list(const item *v, size_t n)
{
	bi_buf b = {0};

	bi_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		bi_buf_printf(&b, "%s%s=%d%s", i ? " " : "", v[i].id, v[i].n, v[i].builtin ? "*" : "");
	return b.p;
}

/* The error of loading items from cfg (JSON) and file (YAML text, or
 * NULL): "" when they load. */
static const char *
item_error(const char *cfg, const char *path, const char *file, char *err, size_t errlen)
{
	size_t n;
	jv c = jv_parse(cfg);
	char *files[] = {(char *)path};

	if (file)
		put(path, file);
	item *v = bi_advice_table_load(&items, "- {id: a, n: 1}\n", c, "kb.items", files,
				       file ? 1 : 0, &n, err, errlen);
	jv_free(c);
	if (v) {
		bi_advice_table_free(&items, v, n);
		return "";
	}
	return n == 0 ? err : "failed, yet entries";
}

int
main(void)
{
	char err[512], dir[] = "/tmp/bi-test-advice-XXXXXX";

	plan(48);
	bi_init("test-advice");
	mkdtemp(dir);

	/* The built-in table. */
	jv cfg = jv_object();
	a = bi_advice_load(cfg, NULL, 0, &n, err, sizeof err);
	ok(a && n >= 20, "the built-in table loads: %zu entries", n);
	int whole = 1;
	for (size_t i = 0; a && i < n; i++)
		whole &= a[i].builtin && *a[i].title && *a[i].severity && *a[i].gap;
	ok(whole, "each built in, with a title, a severity and a gap");

	/* Matching: the longest term the name holds, case-insensitively. */
	char *pk[] = {"pod-kill", "kill", NULL}, *none[] = {NULL};
	is_num(bi_advice_match(pk, "Pod-Kill"), 8, "the longest term held: its length");
	is_num(bi_advice_match(pk, "node-kill"), 4, "... a shorter one when only it is");
	is_num(bi_advice_match(pk, "pause"), -1, "no term: -1");
	is_num(bi_advice_match(none, "anything"), 0, "no terms: anything, as the shortest");
	is_str(find("failed", "pod-kill"), "pod-kill", "pod-kill's own entry");
	is_str(find("failed", "db-latency"), "db-latency", "db-latency: its own, not latency's");
	is_str(find("failed", "network-latency"), "network-latency", "network-latency");
	is_str(find("failed", "redis-latency"), "network-latency", "redis-latency: latency is longer than redis");
	is_str(find("failed", "Redis-Down"), "dependency-down", "a dependency by name, whatever the case");
	is_str(find("failed", "kafka-lag"), "kafka-lag", "kafka-lag: its own, not kafka's");
	is_str(find("failed", "something-new"), "failed", "a scenario of no entry: the catch-all");
	is_str(find("slow", "pod-kill"), "slow-recovery", "a slow recovery");
	is_str(find("not-run", "pod-kill"), "not-run", "a scenario not run");
	is_str(find("compose.healthcheck", NULL), "compose-healthcheck", "a check, by its name");
	is_str(find("no-such", "pod-kill"), "none", "nothing for an unknown event");

	/* Texts. */
	const char *vars[] = {"scenario", "pod-kill", "service", "redis", NULL};
	char *t = bi_advice_fill("{scenario} on {service}: {other} {", vars);
	is_str(t, "pod-kill on redis: {other} {", "placeholders filled, others left");
	free(t);
	is_str(bi_advice_priority("critical"), "high", "critical is high priority");
	is_str(bi_advice_priority("low"), "low", "... low stays low");
	jv s = bi_advice_suggestion(bi_advice_get(a, n, "not-run"), vars, "d", "chaos");
	is_str(bi_get_str(s, "title"), "Run the chaos scenario pod-kill", "a suggestion's title, filled");
	is_str(bi_get_str(s, "detail"), "d: untested is not safe: blissful-infra chaos --scenario pod-kill",
	       "its detail: what was seen, then the advice");
	ok(!strcmp(bi_get_str(s, "priority"), "low") && !strcmp(bi_get_str(s, "source"), "chaos") &&
	   !strcmp(bi_get_str(s, "advice"), "not-run"), "priority, source and the entry's id");
	jv_free(s);
	bi_advice_free(a, n);

	/* The user's: replacing by id, adding; in blissful-infra.yaml or a file. */
	jv user = jv_parse("{\"kb\":{\"advice\":[{\"id\":\"pod-kill\",\"on\":\"failed\","
			   "\"scenarios\":[\"pod-kill\"],\"severity\":\"low\",\"title\":\"Mine\"},"
			   "{\"id\":\"new\",\"on\":\"slow\",\"scenarios\":[\"pause\"],\"title\":\"T\"}]}}");
	a = bi_advice_load(user, NULL, 0, &n, err, sizeof err);
	const bi_advice *pk1 = bi_advice_get(a, n, "pod-kill");
	ok(pk1 && !strcmp(pk1->title, "Mine") && !pk1->builtin && !strcmp(pk1->gap, "Mine"),
	   "a user's entry replaces the built-in one of its id (its gap, untold, is its title)");
	is_str(find("slow", "pause"), "new", "... and one added takes its scenarios");
	is_str(find("slow", "pod-kill"), "slow-recovery", "... leaving the others");
	bi_advice_free(a, n);
	jv_free(user);
	char *file = bi_asprintf("%s/advice.yaml", dir);
	put(file, "advice:\n  - id: disk\n    on: failed\n    scenarios: [disk]\n    title: From a file\n");
	setenv("BI_PROJECT_DIR", dir, 1);
	user = jv_parse("{\"kb\":{\"advice\":\"advice.yaml\"}}");
	a = bi_advice_load(user, NULL, 0, &n, err, sizeof err);
	ok(a && !strcmp(bi_advice_get(a, n, "disk")->title, "From a file"),
	   "kb.advice naming a file of the project");
	bi_advice_free(a, n);
	jv_free(user);
	static const struct { const char *yaml, *why; } bad[] = {
		{"- {on: failed, title: t}", "needs an id"},
		{"- {id: x, on: crashed, title: t}", "on must be"},
		{"- {id: x, on: failed, severity: huge, title: t}", "severity must be"},
		{"- {id: x, on: failed}", "needs a title"},
		{"- {id: x, on: failed, title: t, scenarios: {a: 1}}", "not a list"},
	};
	int refused = 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put(file, bad[i].yaml);
		jv c = jv_parse("{\"kb\":{\"advice\":\"advice.yaml\"}}");
		bi_advice *x = bi_advice_load(c, NULL, 0, &n, err, sizeof err);
		jv_free(c);
		if (x || !strstr(err, bad[i].why)) {
			printf("# %s: %s\n", bad[i].yaml, x ? "taken" : err);
			refused = 0;
		}
		bi_advice_free(x, n);
	}
	ok(refused, "malformed entries refused, saying why");

	/* Any table of entries with ids, read as advice and patterns are. */
	char *ifile = bi_asprintf("%s/items.yaml", dir), *got_ids;
	put(ifile, "items: [{id: b, n: 20}, {id: d, n: 4}]\n");
	jv icfg = jv_parse("{\"kb\":{\"items\":[{\"id\":\"a\",\"n\":10},{\"id\":\"c\",\"n\":3}]}}");
	size_t ni;
	item *iv = bi_advice_table_load(&items, "- {id: a, n: 1}\n- {id: b, n: 2}\n", icfg, "kb.items",
					&ifile, 1, &ni, err, sizeof err);
	got_ids = iv ? item_list(iv, ni) : bi_strdup(err);
	is_str(got_ids, "a=10 b=20 c=3 d=4",
	       "bi_advice_table_load: built in, then the configuration's, then a file's; by id replaced in place");
	free(got_ids);
	const item *d = bi_advice_table_get(&items, iv, ni, "d");
	ok(d && d->n == 4 && !bi_advice_table_get(&items, iv, ni, "zz") &&
	   !bi_advice_table_get(&items, iv, ni, NULL), "bi_advice_table_get: by id; none, or no id: NULL");
	bi_advice_table_free(&items, iv, ni);
	jv_free(icfg);
	iv = bi_advice_table_load(&items, "- {id: a, n: 1}\n- {id: b, n: 2}\n- {id: a, n: 3}\n",
				  cfg, "kb.items", NULL, 0, &ni, err, sizeof err);
	got_ids = iv ? item_list(iv, ni) : bi_strdup(err);
	is_str(got_ids, "a=3* b=2*", "... the configuration without any: the built-in ones, the last of an id");
	free(got_ids);
	bi_advice_table_free(&items, iv, ni);
	is_str(item_error("{\"kb\":{\"items\":[{\"n\":1}]}}", ifile, NULL, err, sizeof err),
	       "blissful-infra.yaml: kb.items: an item needs an id", "an entry without an id: refused, saying where");
	is_str(item_error("{\"kb\":{\"items\":5}}", ifile, NULL, err, sizeof err),
	       "blissful-infra.yaml: kb.items: items must be a list", "a list that is not one: refused");
	is_str(item_error("{\"kb\":{\"items\":[{\"id\":\"x\",\"n\":-1}]}}", ifile, NULL, err, sizeof err),
	       "blissful-infra.yaml: kb.items: item x: n must be 0 or more", "the schema's own error, where and id first");
	char *want = bi_asprintf("%s: an item needs an id", ifile);
	is_str(item_error("{}", ifile, "items: [{id: e, n: 1}, {n: 2}]\n", err, sizeof err),
	       want, "... in a file, named by it");
	free(want);
	ok(strstr(item_error("{}", ifile, "items: [\n", err, sizeof err), ifile) != NULL,
	   "a file that is not YAML: refused, naming it");
	is_str(item_error("{}", ifile, "other: 1\n", err, sizeof err), "",
	       "a file without the table's list: nothing from it");
	free(ifile);

	/* Lists of text in an entry. */
	jv y = jv_parse("{\"t\":[\"Ab\",2],\"one\":\"One\",\"o\":{},\"deep\":[[1]]}");
	char **l = bi_advice_list(y, "t", 1, "W", err, sizeof err);
	ok(l && !strcmp(l[0], "ab") && !strcmp(l[1], "2") && !l[2], "bi_advice_list: text and numbers, lower-cased");
	bi_advice_list_free(l);
	l = bi_advice_list(y, "one", 0, "W", err, sizeof err);
	ok(l && !strcmp(l[0], "One") && !l[1], "... one text: a list of one, as it is");
	bi_advice_list_free(l);
	l = bi_advice_list(y, "none", 0, "W", err, sizeof err);
	ok(l && !l[0], "... none: an empty list");
	bi_advice_list_free(l);
	ok(!bi_advice_list(y, "o", 0, "W", err, sizeof err) && !strcmp(err, "W: o: not a list"),
	   "... an object: refused, saying where");
	ok(!bi_advice_list(y, "deep", 0, "W", err, sizeof err) && strstr(err, "W: deep: item 1 is not text"),
	   "... a list in it: refused, saying which item");
	jv_free(y);

	/* Good practice: compose services, the configuration, Kubernetes. */
	a = bi_advice_load(cfg, NULL, 0, &n, err, sizeof err);
	char *p = bi_asprintf("%s/docker-compose.yaml", dir);
	put(p, "services:\n"
	       "  app:\n    image: a\n    healthcheck: {test: [CMD, true]}\n    mem_limit: 1g\n"
	       "    restart: unless-stopped\n"
	       "  redis:\n    image: redis:7\n"
	       "  worker:\n    image: w\n    healthcheck: {test: [CMD, true]}\n"
	       "    deploy: {resources: {limits: {memory: 1g}}, restart_policy: {condition: any}}\n");
	free(p);
	p = bi_asprintf("%s/k8s/base", dir);
	bi_mkdirs(p);
	free(p);
	p = bi_asprintf("%s/k8s/base/deployment.yaml", dir);
	put(p, "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
	       "        - name: app\n          readinessProbe: {httpGet: {path: /ready}}\n"
	       "          resources: {limits: {memory: 1Gi}}\n");
	jv good = jv_parse("{\"services\":{\"app\":{\"ready\":\"/ready\"}},"
			   "\"alerts\":{\"error_rate\":{\"warning\":0.01},\"p95_ms\":{\"warning\":500}}}");
	t = titles(bi_advice_practice(a, n, dir, good));
	is_str(t, "Add a health check to redis | Set a memory limit on redis | Restart redis when it fails"
	       " | Alert on mem_pct | Add a liveness probe",
	       "what is missing, file by file; what is there is not suggested");
	free(t);
	jv_free(good);
	jv got = bi_advice_practice(a, n, dir, cfg);
	jv first = jv_array_get(jv_copy(got), 0);
	is_str(bi_get_str(first, "priority"), "high", "a missing health check: high");
	is_str(bi_get_str(first, "detail"), "docker-compose.yaml: without one Docker cannot tell that "
	       "redis hangs, and the services that need it cannot wait until it is ready",
	       "... the detail names the file");
	jv_free(first);
	t = titles(got);
	ok(strstr(t, "Give the service a readiness check") && strstr(t, "Set alert thresholds") &&
	   !strstr(t, "Alert on"), "no readiness check, no alerts: both suggested, once");
	free(t);
	put(p, "spec: [unclosed\n");
	got = bi_advice_practice(a, n, dir, cfg);
	jv msg = jv_invalid_get_msg(jv_copy(got));
	ok(!jv_is_valid(got) && jv_get_kind(msg) == JV_KIND_STRING &&
	   strstr(jv_string_value(msg), "deployment.yaml"), "a file that is not YAML: an error naming it");
	jv_free(msg);
	jv_free(got);
	free(p);
	got = bi_advice_practice(a, n, NULL, cfg);
	is_num(jv_array_length(got), 0, "no project: nothing checked");
	bi_advice_free(a, n);

	jv_free(cfg);
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(file);
	return done();
}
