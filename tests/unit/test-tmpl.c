/* test-tmpl: the template language and safe writes. */
#include <dirent.h>
#include <errno.h>
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

/* The content of a file, or "(none)". */
static const char *
slurp(const char *path)
{
	static char out[256];
	size_t n;
	char *s = bi_read_file(path, &n);
	snprintf(out, sizeof out, "%.*s", s ? (int)n : 6, s ? s : "(none)");
	free(s);
	return out;
}

/* How many names in dir start with ".bi-tmpl" (our temporary files). */
static int
temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, ".bi-tmpl", 8) == 0;
	if (d)
		closedir(d);
	return n;
}

int
main(void)
{
	plan(50);
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

	/* A NUL in a value is refused, never cut short. */
	jv_free(vars);
	vars = jv_parse("{\"Z\":\"keep\\u0000lost\",\"ok\":\"fine\"}");
	is_str(R("a {{Z}} b", 0), "ERROR 1: variable Z holds a NUL character", "a value with a NUL is refused");
	is_str(R("x\n{{Z|raw}}", BI_ESC_STR), "ERROR 2: variable Z holds a NUL character", "whatever the filter");
	is_str(R("{{#if ok,Z}}y{{/if}}", 0), "ERROR 1: variable Z holds a NUL character", "and in a condition");
	is_num(bi_tmpl_cond("Z", vars), -1, "bi_tmpl_cond: -1");
	is_str(P("d/{{Z}}"), "ERROR 1: variable Z holds a NUL character", "and in a path");

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
	char *dlink = bi_asprintf("%s/evil", dir);
	symlink(outside, dlink);
	ok(bi_tmpl_write(dfd, "evil/x.txt", "x", 1, 0644, 0, err, sizeof err) != 0,
	   "a planted directory link is not followed: %s", err);
	char *flink = bi_asprintf("%s/f", dir);
	char *target = bi_asprintf("%s/target", outside);
	symlink(target, flink);
	ok(bi_tmpl_write(dfd, "f", "x", 1, 0644, BI_TMPL_OVERWRITE, err, sizeof err) != 0 &&
	   errno == ELOOP && access(target, F_OK) != 0, "nor a planted file link: %s", err);

	/* A hard link to a file outside: overwriting replaces the link, the
	 * outside file keeps what it held. */
	char *victim = bi_asprintf("%s/victim", outside);
	char *hard = bi_asprintf("%s/a/hard.txt", dir);
	FILE *vf = fopen(victim, "w");
	fputs("secret\n", vf);
	fclose(vf);
	chmod(victim, 0600);
	ok(link(victim, hard) == 0, "a hard link to an outside file planted");
	err[0] = '\0';
	ok(bi_tmpl_write(dfd, "a/hard.txt", "new\n", 4, 0755, BI_TMPL_OVERWRITE, err, sizeof err) == 0,
	   "overwritten: %s", err);
	is_str(slurp(victim), "secret\n", "the outside file is unchanged");
	is_str(slurp(hard), "new\n", "the target has the new content");
	struct stat st, vst;
	ok(stat(hard, &st) == 0 && st.st_nlink == 1 && (st.st_mode & 07777) == 0755 &&
	   stat(victim, &vst) == 0 && vst.st_nlink == 1 && (vst.st_mode & 07777) == 0600,
	   "the target is a file of its own with the mode asked; the outside file's mode kept");
	ok(bi_tmpl_write(dfd, "a/b/c.txt", "again\n", 6, 0644, BI_TMPL_OVERWRITE, err, sizeof err) == 0,
	   "an existing file overwritten");
	char *c = bi_asprintf("%s/a/b/c.txt", dir);
	is_str(slurp(c), "again\n", "with the new content");
	ok(bi_tmpl_write(dfd, "a/b", "x", 1, 0644, BI_TMPL_OVERWRITE, err, sizeof err) != 0 &&
	   errno == EISDIR, "a directory in the way is not replaced: %s", err);
	char *ab = bi_asprintf("%s/a/b", dir);
	char *a = bi_asprintf("%s/a", dir);
	ok(temps(dir) == 0 && temps(a) == 0 && temps(ab) == 0, "no temporary file left behind");
	close(dfd);
	char *rm = bi_asprintf("rm -rf %s %s", dir, outside);
	if (system(rm) != 0)
		return 1;
	free(rm); free(outside); free(dlink); free(flink); free(target);
	free(victim); free(hard); free(c); free(ab); free(a);
	jv_free(vars);
	return done();
}
