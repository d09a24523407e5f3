/* test-tmpl: the template language and safe writes. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "base/tmpl.h"
#include "tap.h"

static jv vars;

static const char *
R(const char *t, int esc)
{
	static char out[4096];
	char err[256];
	char *s = bi_tmpl_render(t, strlen(t), vars, esc, NULL, err, sizeof err);
	snprintf(out, sizeof out, "%s%s", s ? "" : "ERROR ", s ? s : err);
	free(s);
	return out;
}

static const char *
P(const char *t)
{
	static char out[512];
	char err[256];
	char *s = bi_tmpl_path(t, vars, err, sizeof err);
	snprintf(out, sizeof out, "%s%s", s ? "" : "ERROR ", s ? s : err);
	free(s);
	return out;
}

int
main(void)
{
	plan(36);
	bi_init("test-tmpl");
	vars = jv_parse("{\"PROJECT_NAME\":\"shop\",\"PORT\":8080,\"postgres\":true,"
			"\"redis\":false,\"kafka\":\"no\",\"DATABASE\":\"postgres\","
			"\"Q\":\"a\\\"b\\\\c$d\\n<e>\",\"PACKAGE_PATH\":\"com/blissful/shop\"}");

	is_str(R("name: {{PROJECT_NAME}} port {{ PORT }}", 0), "name: shop port 8080", "variables");
	is_str(R("{{#if postgres}}pg{{/if}}{{#if redis}}rd{{/if}}", 0), "pg", "inline blocks");
	is_str(R("{{#if redis}}a{{else}}b{{/if}}", 0), "b", "else");
	is_str(R("{{#if !redis}}no redis{{/if}}", 0), "no redis", "negation");
	is_str(R("{{#if redis,postgres}}db{{/if}}", 0), "db", "any of");
	is_str(R("{{#if kafka}}k{{else}}no k{{/if}}", 0), "no k", "\"no\" is false");
	is_str(R("{{#if postgres}}{{#if redis}}both{{else}}pg only{{/if}}{{/if}}", 0), "pg only", "nesting");
	is_str(R("{{#if redis}}{{#if postgres}}x{{else}}y{{/if}}{{/if}}", 0), "", "inner else under a false block");
	is_str(R("services:\n  app: {}\n  {{#if postgres}}\n  db: {}\n  {{/if}}\n  {{#if redis}}\n  cache: {}\n  {{/if}}\nend\n", 0),
	       "services:\n  app: {}\n  db: {}\nend\n", "standalone tags take their lines");
	is_str(R("a\r\n{{#if postgres}}\r\nb\r\n{{/if}}\r\nc", 0), "a\r\nb\r\nc", "CRLF lines");
	is_str(R("x {{#if postgres}}\ny{{/if}}", 0), "x \ny", "a tag after text is not standalone");
	is_str(R("literal \\{{NOT}} here", 0), "literal {{NOT}} here", "\\{{ is a literal");
	is_str(R("{{Q}}", BI_ESC_STR), "a\\\"b\\\\c$d\\n<e>", "string escaping");
	is_str(R("{{Q}}", BI_ESC_SH), "a\\\"b\\\\c\\$d\n<e>", "shell escaping");
	is_str(R("{{Q}}", BI_ESC_HTML), "a&quot;b\\c$d\n&lt;e&gt;", "HTML escaping");
	is_str(R("{{Q|raw}}", BI_ESC_STR), "a\"b\\c$d\n<e>", "|raw");
	is_str(R("{{NOPE}}", 0), "ERROR 1: unknown variable {{NOPE}}", "unknown variable");
	is_str(R("a\nb {{#if nope}}x{{/if}}", 0), "ERROR 2: unknown condition {{#if nope}}", "unknown condition, with its line");
	is_str(R("{{#if postgres}}open", 0), "ERROR 1: {{#if}} is never closed", "unclosed block");
	is_str(R("{{/if}}", 0), "ERROR 1: {{/if}} without {{#if}}", "stray end");
	is_str(R("{{else}}", 0), "ERROR 1: {{else}} without {{#if}}", "stray else");
	is_str(R("{{#if postgres}}a{{else}}b{{else}}c{{/if}}", 0), "ERROR 1: {{else}} without {{#if}}", "two elses");
	is_str(R("{{PORT", 0), "ERROR 1: unclosed {{", "unclosed tag");
	is_str(R("{{PORT|weird}}", 0), "ERROR 1: unknown filter |weird", "unknown filter");

	is_num(bi_tmpl_esc_for("a/b/config.yaml"), BI_ESC_STR, "yaml escapes strings");
	is_num(bi_tmpl_esc_for("Dockerfile"), BI_ESC_SH, "Dockerfile escapes for the shell");
	is_num(bi_tmpl_esc_for("README.md"), BI_ESC_NONE, "markdown does not");

	is_str(P("src/main/kotlin/{{PACKAGE_PATH}}/App.kt"), "src/main/kotlin/com/blissful/shop/App.kt", "path variables");
	is_str(P("../evil"), "ERROR '.', '..' or an empty part in path: ../evil", "'..' refused");
	is_str(P("/etc/passwd"), "ERROR absolute path: /etc/passwd", "absolute refused");
	is_str(P("a//b"), "ERROR '.', '..' or an empty part in path: a//b", "empty part refused");
	jv_free(vars);
	vars = jv_parse("{\"X\":\"../../x\"}");
	is_str(P("a/{{X}}"), "ERROR '.', '..' or an empty part in path: a/../../x", "a value cannot climb out either");

	/* Writes under a directory: parents made, links never followed. */
	char tmpl[] = "/tmp/bi-test-tmpl-XXXXXX";
	char *dir = mkdtemp(tmpl);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char err[256];
	ok(bi_tmpl_write(dfd, "a/b/c.txt", "hi\n", 3, 0644, 0, err, sizeof err) == 0, "write with parents");
	ok(bi_tmpl_write(dfd, "a/b/c.txt", "hi\n", 3, 0644, 0, err, sizeof err) != 0 &&
	   strstr(err, "already exists"), "no overwrite without the flag: %s", err);
	char *outside = bi_asprintf("%s-outside", dir);
	mkdir(outside, 0755);
	char *link = bi_asprintf("%s/evil", dir);
	symlink(outside, link);
	ok(bi_tmpl_write(dfd, "evil/x.txt", "x", 1, 0644, 0, err, sizeof err) != 0,
	   "a planted directory link is not followed: %s", err);
	char *flink = bi_asprintf("%s/f", dir);
	char *target = bi_asprintf("%s/target", outside);
	symlink(target, flink);
	ok(bi_tmpl_write(dfd, "f", "x", 1, 0644, BI_TMPL_OVERWRITE, err, sizeof err) != 0 &&
	   access(target, F_OK) != 0, "nor a planted file link: %s", err);
	close(dfd);
	char *rm = bi_asprintf("rm -rf %s %s", dir, outside);
	if (system(rm) != 0)
		return 1;
	free(rm); free(outside); free(link); free(flink); free(target);
	jv_free(vars);
	return done();
}
