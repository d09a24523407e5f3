/* test-config: YAML to jv, errors with positions, alias bombs, lookups. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "tap.h"

static const char *
yaml_json(const char *text)
{
	static char out[4096];
	jv v = bi_yaml_parse(text, strlen(text), "t.yaml");
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		snprintf(out, sizeof out, "ERROR %s",
			 jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?");
		jv_free(m);
		return out;
	}
	jv s = jv_dump_string(v, JV_PRINT_SORTED);
	snprintf(out, sizeof out, "%s", jv_string_value(s));
	jv_free(s);
	return out;
}

int
main(void)
{
	plan(27);
	bi_init("test-config");

	is_str(yaml_json("a: 1\nb: 2.5\nc: true\nd: ~\ne: hello\nf: '1'\ng: \"true\"\n"),
	       "{\"a\":1,\"b\":2.5,\"c\":true,\"d\":null,\"e\":\"hello\",\"f\":\"1\",\"g\":\"true\"}",
	       "core schema scalars; quoted stay strings");
	is_str(yaml_json("x: [0x1F, 0o17, -3, +4, .5, 1e3, .inf, yes, 1.2.3, 08:00]\n"),
	       "{\"x\":[31,15,-3,4,0.5,1000,1.7976931348623157e+308,\"yes\",\"1.2.3\",\"08:00\"]}",
	       "numbers, infinity, and strings that look almost like numbers");
	is_str(yaml_json("- a\n- b: [1, {c: d}]\n"), "[\"a\",{\"b\":[1,{\"c\":\"d\"}]}]", "nesting");
	is_str(yaml_json(""), "null", "empty document");
	is_str(yaml_json("8080: web\ntrue: x\n"), "{\"8080\":\"web\",\"true\":\"x\"}", "non-string keys become strings");
	is_str(yaml_json("base: &b {x: 1, y: 2}\nuse: *b\n"),
	       "{\"base\":{\"x\":1,\"y\":2},\"use\":{\"x\":1,\"y\":2}}", "anchor and alias");
	is_str(yaml_json("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n"),
	       "{\"base\":{\"x\":1,\"y\":2},\"mine\":{\"x\":1,\"y\":3}}", "merge key keeps local values");
	is_str(yaml_json("s: !!str 123\n"), "{\"s\":\"123\"}", "!!str tag");
	is_str(yaml_json("text: |\n  line one\n  line two\n"),
	       "{\"text\":\"line one\\nline two\\n\"}", "literal block");
	is_str(yaml_json("a: 1\n---\nb: 2\n"), "{\"a\":1}", "first document only");

	const char *e = yaml_json("a: [1, 2\nb: 3\n");
	ok(strncmp(e, "ERROR t.yaml:", 13) == 0, "syntax error names the file: %s", e);
	e = yaml_json("a: 1\n  b: 2\n");
	ok(strncmp(e, "ERROR t.yaml:2:", 15) == 0, "and the line: %s", e);
	e = yaml_json("a: *nope\n");
	is_str(e, "ERROR t.yaml:1:4: unknown alias *nope", "unknown alias");
	e = yaml_json("? [a, b]\n: c\n");
	ok(strstr(e, "mapping key must be a scalar") != NULL, "complex key refused");

	/* Billion laughs: nine levels of ten aliases. */
	bi_buf bomb = {0};
	bi_buf_adds(&bomb, "l0: &l0 [lol]\n");
	for (int i = 1; i <= 9; i++) {
		bi_buf_printf(&bomb, "l%d: &l%d [", i, i);
		for (int j = 0; j < 10; j++)
			bi_buf_printf(&bomb, "%s*l%d", j ? ", " : "", i - 1);
		bi_buf_adds(&bomb, "]\n");
	}
	int64_t t0 = bi_mono_ns();
	e = yaml_json(bomb.p);
	int64_t el = bi_mono_ns() - t0;
	ok(strstr(e, "billion laughs") != NULL, "billion laughs rejected: %s", e);
	printf("# rejected in %.3f ms\n", el / 1e6);
	bi_buf_free(&bomb);

	/* Deep nesting is refused, not a stack overflow. */
	bi_buf deep = {0};
	for (int i = 0; i < 5000; i++)
		bi_buf_adds(&deep, "[");
	e = yaml_json(deep.p);
	ok(strncmp(e, "ERROR", 5) == 0, "5000 nested sequences refused");
	bi_buf_free(&deep);

	const char *ctext = "perf:\n  duration: 90s\n  vus: 50\n  thresholds: {p95: 500}\n"
			    "list: [a, b]\nraw: 2\n";
	jv cfg = bi_yaml_parse(ctext, strlen(ctext), "c.yaml");
	is_num(bi_jv_path_num(cfg, "perf.vus", 0), 50, "cfg num");
	is_num(bi_jv_path_num(cfg, "perf.thresholds.p95", 0), 500, "cfg nested num");
	is_num(bi_jv_path_num(cfg, "perf.missing", -1), -1, "cfg default");
	is_str(bi_jv_path_str(cfg, "list.1", NULL), "b", "cfg array index");
	is_num(bi_cfg_dur(cfg, "perf.duration", 0), 90 * BI_NS_PER_S, "cfg duration string");
	is_num(bi_cfg_dur(cfg, "raw", 0), 2 * BI_NS_PER_S, "cfg duration number = seconds");
	jv_free(cfg);

	/* The project directory: found upwards from the working directory. */
	char *dir = bi_temp_dir("bi-test-config");
	char *sub = bi_asprintf("%s/a/b", dir);
	bi_mkdirs(sub);
	char *yml = bi_asprintf("%s/blissful-infra.yaml", dir);
	FILE *f = fopen(yml, "w");
	fputs("name: demo\nbad: [\n", f);
	fclose(f);
	char *cwd = getcwd(NULL, 0);
	if (chdir(sub) != 0)
		return 1;
	unsetenv("BI_PROJECT_DIR");
	char *pd = bi_project_dir();
	is_str(pd, dir, "project found two levels up");
	free(pd);
	setenv("BI_PROJECT_DIR", "/elsewhere", 1);
	pd = bi_project_dir();
	is_str(pd, "/elsewhere", "BI_PROJECT_DIR wins");
	free(pd);
	unsetenv("BI_PROJECT_DIR");
	jv bad = bi_yaml_load(yml);
	ok(!jv_is_valid(bad), "malformed project file refused");
	jv_free(bad);
	f = fopen(yml, "w");
	fputs("name: demo\n", f);
	fclose(f);
	cfg = bi_config();
	is_str(bi_jv_path_str(cfg, "name", NULL), "demo", "bi_config reads it");
	jv_free(cfg);
	if (chdir(cwd) != 0)
		return 1;
	char *rm = bi_asprintf("rm -rf %s", dir);
	ok(system(rm) == 0 && access(dir, F_OK) != 0, "the project directory made for the test is gone");
	free(rm); free(cwd); free(yml); free(sub); free(dir);
	return done();
}
