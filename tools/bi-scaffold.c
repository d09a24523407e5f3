/*
 * bi-scaffold: render a template into a new project.
 *
 * Reads templates/NAME (and templates/_shared) from the installed template
 * directory, renders every file with the project's variables (lib/base/tmpl.c),
 * and writes the project. Everything is rendered in memory first, so a broken
 * template writes nothing; then each file is written under the target
 * without following links (with --force an existing file is replaced, never
 * written into, so a hard link to a file outside is harmless), and a
 * failure midway removes what was written.
 * Writes one `file` record per file; with --dry-run, the records only.
 * On a terminal, asks for what the options do not say.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/tmpl.h"
static const char usage[] =
	"usage: bi-scaffold [options] [NAME]\n"
	"       bi-scaffold --list\n"
	"Render a project template into a new directory; one `file` record per file.\n"
	"\n"
	"  -t, --template T     template (default c-service; --list shows them)\n"
	"  -d, --database D     none, postgres, redis or both (default none)\n"
	"  -k, --kafka          add Kafka (KRaft); --no-kafka leaves it out (default)\n"
	"      --deploy TARGET  compose or kubernetes (default compose)\n"
	"  -p, --port N         the port the service listens on (default: the template's)\n"
	"  -C, --dir DIR        where to create the project (default ./NAME)\n"
	"  -w, --with A,B       add components (templates/addons/: prometheus, tracing...),\n"
	"                       as blissful-infra add does\n"
	"  -f, --force          write into an existing non-empty directory, overwriting\n"
	"  -n, --dry-run        print the records, write nothing\n"
	"  -l, --list           list the templates\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"On a terminal, missing choices are asked for; otherwise they take the defaults.\n"
	"Exit: 0, 2 usage, a template missing or broken, or a target in the way (a link,\n"
	"or a file where a directory goes), 4 the target cannot be created or written.\n";

struct out {
	char *path;		/* relative to the target */
	char *data;
	size_t len;
	int mode;
};

static struct out *outs;
static size_t nouts;
static char *tdir;		/* the templates directory */

/* ---- finding templates ---- */

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static char *
templates_dir(void)
{
	const char *env = getenv("BI_TEMPLATES");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return bi_strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			const char *tries[] = {"%s/../templates", "%s/../share/blissful-infra/templates"};
			for (size_t i = 0; i < 2; i++) {
				char *d = bi_asprintf(tries[i], exe);
				struct stat st;
				if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
					return d;
				free(d);
			}
		}
	}
	return bi_strdup("/usr/local/share/blissful-infra/templates");
}

static jv
template_meta(const char *name)
{
	if (!valid_name(name))
		return jv_invalid_with_msg(jv_string_fmt("no template named '%s'", name));
	char *path = bi_asprintf("%s/%s/template.yaml", tdir, name);
	if (access(path, R_OK) != 0) {
		free(path);
		return jv_invalid_with_msg(jv_string_fmt(
			"no template named '%s' (bi-scaffold --list shows them)", name));
	}
	jv meta = bi_yaml_load(path);
	free(path);
	if (jv_is_valid(meta) && jv_get_kind(meta) != JV_KIND_OBJECT) {
		jv_free(meta);
		return jv_invalid_with_msg(jv_string_fmt("%s/template.yaml is not a mapping", name));
	}
	return meta;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a directory, without . and .. */
static char **
list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names;

	*n = 0;
	if (!d)
		return NULL;
	names = bi_malloc(sizeof *names);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = bi_realloc(names, (*n + 1) * sizeof *names);
		names[(*n)++] = bi_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

static void
list_templates(void)
{
	size_t n;
	char **names = list_dir(tdir, &n);

	if (!names)
		bi_die(BI_EXIT_USAGE, "cannot read templates in %s:", tdir);
	for (size_t i = 0; i < n; i++) {
		if (names[i][0] != '_' && valid_name(names[i])) {
			jv meta = template_meta(names[i]);
			if (jv_is_valid(meta))
				printf("%-12s %s\n", names[i], bi_jv_path_str(meta, "description", ""));
			jv_free(meta);
		}
		free(names[i]);
	}
	free(names);
	bi_fshut(stdout, "stdout");
}

/* ---- rendering ---- */

static int
included(jv meta, const char *rel, jv vars, const char *where)
{
	jv when = bi_jv_path(meta, "include_when");
	int keep = 1;

	if (jv_get_kind(when) == JV_KIND_OBJECT) {
		jv_object_foreach(when, k, c) {
			const char *key = jv_string_value(k);
			size_t kn = strlen(key);
			int match = kn > 0 && key[kn - 1] == '/' ? strncmp(rel, key, kn) == 0
							       : strcmp(rel, key) == 0;
			if (match && keep) {
				const char *cond = jv_get_kind(c) == JV_KIND_STRING ? jv_string_value(c) : "";
				int r = bi_tmpl_cond(cond, vars);
				if (r < 0)
					bi_die(BI_EXIT_USAGE, "%s/template.yaml: include_when %s: "
					       "unknown condition '%s'", where, key, cond);
				keep = r;
			}
			jv_free(k);
			jv_free(c);
		}
	}
	jv_free(when);
	return keep;
}

static int
have_out(const char *path)
{
	for (size_t i = 0; i < nouts; i++)
		if (strcmp(outs[i].path, path) == 0)
			return 1;
	return 0;
}

/* Render every file under src/rel into dst/...; templates listed first win. */
static void
render_tree(const char *name, jv meta, const char *rel, const char *dst, jv vars)
{
	char *dir = bi_asprintf("%s/%s%s%s", tdir, name, *rel ? "/" : "", rel);
	size_t n;
	char **names = list_dir(dir, &n);

	if (!names)
		bi_die(BI_EXIT_USAGE, "cannot read template %s:", dir);
	for (size_t i = 0; i < n; i++) {
		char *sub = bi_asprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
		char *full = bi_asprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (lstat(full, &st) != 0)
			bi_die(BI_EXIT_USAGE, "%s:", full);
		if (S_ISLNK(st.st_mode))
			bi_die(BI_EXIT_USAGE, "template %s holds a symbolic link, refused: %s", name, sub);
		if (!*rel && !strcmp(names[i], "template.yaml"))
			goto next;
		char *probe = bi_asprintf("%s%s", sub, S_ISDIR(st.st_mode) ? "/" : "");
		int keep = included(meta, probe, vars, name);
		free(probe);
		if (!keep)
			goto next;
		if (S_ISDIR(st.st_mode)) {
			render_tree(name, meta, sub, dst, vars);
			goto next;
		}
		if (!S_ISREG(st.st_mode))
			bi_die(BI_EXIT_USAGE, "template %s holds a special file, refused: %s", name, sub);

		char err[512];
		char *target = bi_asprintf("%s%s%s", dst, *dst ? "/" : "", sub);
		char *path = bi_tmpl_path(target, vars, err, sizeof err);
		free(target);
		if (!path)
			bi_die(BI_EXIT_USAGE, "template %s: %s: refused: %s", name, sub, err);
		if (have_out(path)) {
			free(path);
			goto next;
		}
		size_t len;
		char *text = bi_read_file(full, &len);
		if (!text)
			bi_die(BI_EXIT_USAGE, "cannot read %s:", full);
		char *data;
		size_t dlen;
		if (memchr(text, '\0', len)) {	/* binary: copied as is */
			data = text;
			dlen = len;
		} else {
			data = bi_tmpl_render(text, len, vars, bi_tmpl_esc_for(path), &dlen,
					      err, sizeof err);
			free(text);
			if (!data)
				bi_die(BI_EXIT_USAGE, "template %s/%s:%s", name, sub, err);
		}
		outs = bi_realloc(outs, (nouts + 1) * sizeof *outs);
		outs[nouts++] = (struct out){path, data, dlen, st.st_mode & 0111 ? 0755 : 0644};
next:
		free(sub);
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void
render_template(const char *name, const char *dst, jv vars, int depth)
{
	jv meta = template_meta(name);

	if (!jv_is_valid(meta)) {
		jv m = jv_invalid_get_msg(meta);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(m));
	}
	render_tree(name, meta, "", dst, vars);
	jv inc = bi_jv_path(meta, "include");
	if (jv_get_kind(inc) == JV_KIND_ARRAY) {
		if (depth > 2)
			bi_die(BI_EXIT_USAGE, "template %s: includes nested too deeply", name);
		jv_array_foreach(inc, i, item) {
			const char *t = bi_get_str(item, "template");
			const char *d = bi_get_str(item, "dir");
			if (!t || !d || !valid_name(d))
				bi_die(BI_EXIT_USAGE, "template %s: include needs a template and a "
				       "plain dir name", name);
			char *sub = bi_asprintf("%s%s%s", dst, *dst ? "/" : "", d);
			/* An included template may leave out what only a project of
			 * its own needs ({{#if !included}}). */
			jv inner = jv_object_set(jv_copy(vars), jv_string("included"), jv_true());
			render_template(t, sub, inner, depth + 1);
			jv_free(inner);
			free(sub);
			jv_free(item);
		}
	}
	jv_free(inc);
	jv shared = bi_jv_path(meta, "shared");
	int want_shared = jv_get_kind(shared) != JV_KIND_FALSE;
	jv_free(shared);
	if (depth == 0 && want_shared) {
		jv empty = jv_object();
		render_tree("_shared", empty, "", dst, vars);
		jv_free(empty);
	}
	jv_free(meta);
}

/* ---- add-ons (--with) ---- */

/* The out at path, or NULL. */
static struct out *
out_at(const char *path)
{
	for (size_t i = 0; i < nouts; i++)
		if (!strcmp(outs[i].path, path))
			return &outs[i];
	return NULL;
}

static void
out_append(struct out *o, const char *text)
{
	size_t n = strlen(text);

	o->data = bi_realloc(o->data, o->len + n + 1);
	memcpy(o->data + o->len, text, n + 1);
	o->len += n;
}

/* src rendered with the project's variables, as path. */
static void
out_copy(const char *src, char *path, jv vars)
{
	char err[512];
	size_t len, dlen;
	char *text = bi_read_file(src, &len);

	if (!text)
		bi_die(BI_EXIT_USAGE, "cannot read %s:", src);
	char *data = bi_tmpl_render(text, len, vars, bi_tmpl_esc_for(path), &dlen, err, sizeof err);
	if (!data)
		bi_die(BI_EXIT_USAGE, "%s:%s", src, err);
	free(text);
	outs = bi_realloc(outs, (nouts + 1) * sizeof *outs);
	outs[nouts++] = (struct out){path, data, dlen, 0644};
}

/* The components of with (comma-separated) as `blissful-infra add` leaves
 * them (scripts/cmd/_addons.sh): each fragment as docker-compose.NAME.yaml,
 * its kustomize component under k8s/components/NAME/ listed by each overlay,
 * and their names on the addons: line of blissful-infra.yaml. Their
 * configuration is generated from blissful-infra.yaml by create and up. */
static void
add_components(const char *with, jv vars)
{
	static const char mark[] = "  # blissful-infra add/remove";
	char *list = bi_strdup(with), *save = NULL;
	bi_buf line = {0}, comps = {0};

	for (char *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		char *frag = bi_asprintf("%s/addons/%s/docker-compose.yaml", tdir, a);
		char *path = bi_asprintf("docker-compose.%s.yaml", a);
		char *kdir = bi_asprintf("%s/addons/%s/k8s", tdir, a);
		size_t n;
		char **names = list_dir(kdir, &n);
		int overlays = 0, compose = access(frag, R_OK) == 0;
		for (size_t i = 0; i < nouts; i++)
			overlays |= !strncmp(outs[i].path, "k8s/overlays/", 13);
		if (!valid_name(a) || (!compose && !names))
			bi_die(BI_EXIT_USAGE, "--with: no component named '%s' in %s/addons", a, tdir);
		if (!compose && !overlays)
			bi_die(BI_EXIT_USAGE, "--with: %s is a Kubernetes component, and the project "
			       "has no k8s/overlays", a);
		char *seen = bi_asprintf(", %s, ", line.p ? line.p : ""), *me = bi_asprintf(", %s, ", a);
		if (strstr(seen, me))
			bi_die(BI_EXIT_USAGE, "--with: %s named twice", a);
		free(seen);
		free(me);
		if (compose)
			out_copy(frag, path, vars);
		else
			free(path);
		bi_buf_printf(&line, "%s%s", line.len ? ", " : "", a);
		for (size_t i = 0; names && i < n; i++) {
			char *src = bi_asprintf("%s/%s", kdir, names[i]);
			struct stat st;
			if (overlays && lstat(src, &st) == 0 && S_ISREG(st.st_mode))
				out_copy(src, bi_asprintf("k8s/components/%s/%s", a, names[i]), vars);
			free(src);
			free(names[i]);
		}
		if (names && overlays)
			bi_buf_printf(&comps, "  - ../../components/%s\n", a);
		free(names);
		free(kdir);
		free(frag);
	}
	struct out *cfg = out_at("blissful-infra.yaml");
	if (cfg && line.len) {
		if (cfg->len && cfg->data[cfg->len - 1] != '\n')
			out_append(cfg, "\n");
		char *l = bi_asprintf("addons: [%s]%s\n", line.p, mark);
		out_append(cfg, l);
		free(l);
	}
	for (size_t i = 0; comps.len && i < nouts; i++) {
		const char *p = outs[i].path, *end = p + strlen(p);
		if (strncmp(p, "k8s/overlays/", 13) || end - p < 18 || strcmp(end - 18, "kustomization.yaml") ||
		    strchr(p + 13, '/') != end - 19)
			continue;
		char *l = bi_asprintf("components:%s\n%s", mark, comps.p);
		out_append(&outs[i], l);
		free(l);
	}
	bi_buf_free(&line);
	bi_buf_free(&comps);
	free(list);
}

/* ---- variables ---- */

/* template.yaml's string at key, whole (a NUL in it stays, for the template
 * engine to refuse by name rather than cut), or def. */
static jv
meta_str(jv meta, const char *key, const char *def)
{
	jv v = bi_jv_path(meta, key);

	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	jv_free(v);
	return jv_string(def);
}

static jv
make_vars(const char *name, const char *tmpl, jv meta, const char *db, int kafka,
	  const char *deploy, long port)
{
	char ident[64], klass[128], pkg[96], ppath[96];
	size_t i, k = 0;
	int up = 1;

	for (i = 0; name[i]; i++)
		ident[i] = name[i] == '-' ? '_' : name[i];
	ident[i] = '\0';
	for (i = 0; name[i]; i++) {
		if (name[i] == '-') {
			up = 1;
			continue;
		}
		klass[k++] = up && name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i];
		up = 0;
	}
	klass[k] = '\0';
	char flat[64];
	for (i = k = 0; name[i]; i++)
		if (name[i] != '-')
			flat[k++] = name[i];
	flat[k] = '\0';
	snprintf(pkg, sizeof pkg, "com.blissful.%s", flat);
	snprintf(ppath, sizeof ppath, "com/blissful/%s", flat);

	int pg = !strcmp(db, "postgres") || !strcmp(db, "both");
	int rd = !strcmp(db, "redis") || !strcmp(db, "both");
	jv v = jv_object();
	v = bi_set(v, "PROJECT_NAME", jv_string(name));
	v = bi_set(v, "PROJECT_IDENT", jv_string(ident));
	v = bi_set(v, "PROJECT_CLASS", jv_string(klass));
	v = bi_set(v, "PACKAGE", jv_string(pkg));
	v = bi_set(v, "PACKAGE_PATH", jv_string(ppath));
	v = bi_set(v, "PORT", jv_number(port));
	v = bi_set(v, "TEMPLATE", jv_string(tmpl));
	v = bi_set(v, "TEMPLATE_VERSION", jv_number(bi_jv_path_num(meta, "version", 1)));
	v = bi_set(v, "DATABASE", jv_string(db));
	v = bi_set(v, "DEPLOY", jv_string(deploy));
	v = bi_set(v, "METRICS_PATH", meta_str(meta, "metrics_path", "/metrics"));
	v = bi_set(v, "HEALTHCHECK", meta_str(meta, "healthcheck",
		"[\"CMD-SHELL\", \"exit 0\"]"));
	v = bi_set(v, "BUILD_CMD", meta_str(meta, "build_cmd", "make"));
	v = bi_set(v, "TEST_CMD", meta_str(meta, "test_cmd", "make test"));
	v = bi_set(v, "INTEGRATION_CMD", meta_str(meta, "integration_cmd", "true"));
	v = bi_set(v, "LANGUAGE", meta_str(meta, "language", ""));
	v = bi_set(v, "MEMORY", meta_str(meta, "memory", "256m"));
	v = bi_set(v, "BUILD_DIR", meta_str(meta, "build_dir", "."));
	v = bi_set(v, "included", jv_false());
	v = bi_set(v, "START_PERIOD", meta_str(meta, "start_period", "10s"));
	v = bi_set(v, "REQUESTS_METRIC", meta_str(meta, "requests_metric",
		"http_requests_total"));
	v = bi_set(v, "DURATION_METRIC", meta_str(meta, "duration_metric",
		"http_request_duration_seconds"));
	v = bi_set(v, "postgres", jv_bool(pg));
	v = bi_set(v, "redis", jv_bool(rd));
	v = bi_set(v, "database", jv_bool(pg || rd));
	v = bi_set(v, "kafka", jv_bool(kafka));
	v = bi_set(v, "kubernetes", jv_bool(!strcmp(deploy, "kubernetes")));
	v = bi_set(v, "compose", jv_bool(!strcmp(deploy, "compose")));

	/* template.yaml's values may use the variables too ({{PORT}}). */
	static const char *const derived[] = {"HEALTHCHECK", "BUILD_CMD", "TEST_CMD",
					       "INTEGRATION_CMD", "METRICS_PATH", NULL};
	for (const char *const *k = derived; *k; k++) {
		char err[256];
		jv raw = jv_object_get(jv_copy(v), jv_string(*k));
		size_t rn;
		char *r = bi_tmpl_render(jv_string_value(raw), jv_string_length_bytes(jv_copy(raw)),
					 v, BI_ESC_NONE, &rn, err, sizeof err);
		if (!r)
			bi_die(BI_EXIT_USAGE, "template %s: template.yaml %s: %s", tmpl, *k, err);
		v = bi_set(v, *k, jv_string_sized(r, (int)rn));
		free(r);
		jv_free(raw);
	}
	return v;
}

/* ---- asking on a terminal ---- */

static char *
ask(const char *question, const char *def, const char *const *choices)
{
	char *line = NULL;
	size_t cap = 0;

	for (;;) {
		fprintf(stderr, "? %s", question);
		if (choices) {
			fputs(" (", stderr);
			for (const char *const *c = choices; *c; c++)
				fprintf(stderr, "%s%s", c == choices ? "" : ", ", *c);
			fputs(")", stderr);
		}
		if (def)
			fprintf(stderr, " [%s]", def);
		fputs(": ", stderr);
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0)
			bi_die(BI_EXIT_USAGE, "no answer");
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0 && def) {
			free(line);
			return bi_strdup(def);
		}
		if (!choices && n > 0)
			return line;
		for (const char *const *c = choices; c && *c; c++)
			if (!strcmp(line, *c))
				return line;
		fprintf(stderr, "  please answer one of the choices\n");
	}
}

/* ---- writing ---- */

static int
dir_empty(const char *dir)
{
	size_t n;
	char **names = list_dir(dir, &n);

	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return n == 0;
}

/* The exit status for a target that cannot be written, by errno: something
 * in the way (a link, a file where a directory goes) is the user's to
 * remove; anything else (permissions, a full disk) is this machine's. */
static int
write_status(int e)
{
	return e == ELOOP || e == ENOTDIR || e == EISDIR || e == EEXIST ? BI_EXIT_USAGE
									 : BI_EXIT_LOCAL;
}

/* Undo a write that failed midway in a directory we created: remove the
 * files written, then the directories they needed, deepest first. */
static void
remove_written(int dfd, size_t upto)
{
	for (size_t i = upto; i-- > 0;) {
		char *p = bi_strdup(outs[i].path), *slash;
		unlinkat(dfd, p, 0);
		while ((slash = strrchr(p, '/'))) {
			*slash = '\0';
			unlinkat(dfd, p, AT_REMOVEDIR);	/* fails while not empty */
		}
		free(p);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"template", required_argument, NULL, 't'},
		{"database", required_argument, NULL, 'd'},
		{"kafka", no_argument, NULL, 'k'},
		{"no-kafka", no_argument, NULL, 'K'},
		{"deploy", required_argument, NULL, 'D'},
		{"port", required_argument, NULL, 'p'},
		{"dir", required_argument, NULL, 'C'},
		{"force", no_argument, NULL, 'f'},
		{"with", required_argument, NULL, 'w'},
		{"dry-run", no_argument, NULL, 'n'},
		{"list", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const dbs[] = {"none", "postgres", "redis", "both", NULL};
	static const char *const deploys[] = {"compose", "kubernetes", NULL};
	static const char *const yesno[] = {"yes", "no", NULL};
	char *tmpl = NULL, *db = NULL, *deploy = NULL, *dir = NULL, *name = NULL, *with = NULL;
	int kafka = -1, force = 0, dry = 0, list = 0, c;
	long port = 0;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "t:d:kp:C:w:fnlh", opts, NULL)) != -1) {
		switch (c) {
		case 't': tmpl = optarg; break;
		case 'd': db = optarg; break;
		case 'k': kafka = 1; break;
		case 'K': kafka = 0; break;
		case 'D': deploy = optarg; break;
		case 'p': {
			char *end;
			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535)
				bi_usage_error(usage, "--port: not a port number: %s", optarg);
			break;
		}
		case 'C': dir = optarg; break;
		case 'f': force = 1; break;
		case 'w': with = optarg; break;
		case 'n': dry = 1; break;
		case 'l': list = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (argc - optind > 1)
		bi_usage_error(usage, "one project name, please");
	name = optind < argc ? argv[optind] : NULL;
	tdir = templates_dir();
	if (list) {
		list_templates();
		return BI_EXIT_OK;
	}

	/* On a terminal, ask for what is missing. */
	int tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	if (!name && tty)
		name = ask("Project name", NULL, NULL);
	if (!name)
		bi_usage_error(usage, "a project name is needed");
	if (!valid_name(name))
		bi_die(BI_EXIT_USAGE, "invalid project name '%s': a lower-case letter, then "
		       "lower-case letters, digits or '-', 63 at most", name);
	if (!tmpl && tty)
		tmpl = ask("Template", "c-service", NULL);
	if (!tmpl)
		tmpl = "c-service";
	if (!db && tty)
		db = ask("Database", "none", dbs);
	if (!db)
		db = "none";
	if (kafka < 0 && tty) {
		char *a = ask("Kafka", "no", yesno);
		kafka = !strcmp(a, "yes");
		free(a);
	}
	if (kafka < 0)
		kafka = 0;
	if (!deploy && tty)
		deploy = ask("Deploy target", "compose", deploys);
	if (!deploy)
		deploy = "compose";

	int okdb = 0;
	for (const char *const *d = dbs; *d; d++)
		okdb |= !strcmp(db, *d);
	if (!okdb)
		bi_usage_error(usage, "--database: none, postgres, redis or both, not '%s'", db);
	if (strcmp(deploy, "compose") && strcmp(deploy, "kubernetes"))
		bi_usage_error(usage, "--deploy: compose or kubernetes, not '%s'", deploy);

	jv meta = template_meta(tmpl);
	if (!jv_is_valid(meta)) {
		jv m = jv_invalid_get_msg(meta);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(m));
	}
	if (!port)
		port = (long)bi_jv_path_num(meta, "port", 8080);
	jv vars = make_vars(name, tmpl, meta, db, kafka, deploy, port);
	jv_free(meta);

	render_template(tmpl, "", vars, 0);
	if (with)
		add_components(with, vars);

	char *target = dir ? bi_strdup(dir) : bi_strdup(name);
	struct stat st;
	int exists = stat(target, &st) == 0;
	if (exists && !S_ISDIR(st.st_mode))
		bi_die(BI_EXIT_USAGE, "%s exists and is not a directory", target);
	if (exists && !force && !dir_empty(target))
		bi_die(BI_EXIT_USAGE, "%s exists and is not empty (--force writes into it)", target);

	int dfd = -1;
	if (!dry) {
		if (bi_mkdirs(target) != 0)
			bi_die(write_status(errno), "cannot create %s:", target);
		dfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			bi_die(write_status(errno), "cannot open %s:", target);
	}
	/* Write everything, then tell: a reader that goes away (| head) must
	 * not leave half a project behind. */
	int *had = bi_calloc(nouts, sizeof *had);
	for (size_t i = 0; i < nouts; i++) {
		char *full = bi_asprintf("%s/%s", target, outs[i].path);
		had[i] = lstat(full, &st) == 0;
		free(full);
		if (dry)
			continue;
		char err[512];
		if (bi_tmpl_write(dfd, outs[i].path, outs[i].data, outs[i].len, outs[i].mode,
				  force ? BI_TMPL_OVERWRITE : 0, err, sizeof err) != 0) {
			int code = write_status(errno);
			if (!exists) {
				remove_written(dfd, i + 1);
				rmdir(target);
			}
			bi_die(code, "%s: %s%s", target, err,
			       exists ? "" : " (nothing left behind)");
		}
	}
	for (size_t i = 0; i < nouts; i++) {
		char mode[8];
		snprintf(mode, sizeof mode, "%04o", outs[i].mode);
		jv rec = bi_record("file");
		rec = bi_set(rec, "project", jv_string(name));
		rec = bi_set(rec, "template", jv_string(tmpl));
		rec = bi_set(rec, "dir", jv_string(target));
		rec = bi_set(rec, "path", jv_string_fmt("%s/%s", target, outs[i].path));
		rec = bi_set(rec, "bytes", jv_number(outs[i].len));
		rec = bi_set(rec, "mode", jv_string(mode));
		rec = bi_set(rec, "action", jv_string(had[i] ? "overwrite" : "create"));
		rec = bi_set(rec, "dry_run", jv_bool(dry));
		bi_write(rec);
	}
	free(had);
	if (dfd >= 0)
		close(dfd);
	bi_write_flush();
	for (size_t i = 0; i < nouts; i++) {
		free(outs[i].path);
		free(outs[i].data);
	}
	free(outs);
	free(target);
	free(tdir);
	jv_free(vars);
	return BI_EXIT_OK;
}
