/*
 * bi-rca: root-cause analysis over any record stream.
 *
 * Reads records (logs, container events, commits, Kubernetes events, health
 * checks, alerts, metrics, load-test and chaos results) and writes one
 * `finding` per distinct problem, the most likely first: what went wrong,
 * since when, the pattern it matches, a timeline across the sources, the
 * commit it followed, past incidents like it and the fixes that worked for
 * them, and a confidence made of those parts (lib/analysis/rca.c does the analysis).
 *
 * Error and warning lines are clustered into templates (lib/analysis/drain.c), so a
 * message never seen before is one finding with a count, and memory grows
 * with the number of templates, not of lines. Lines of no interest (info
 * and below, not slow) are told apart on their raw bytes and never parsed.
 * With --compose it reads a docker-compose file's depends_on, as
 * `dependency` records would say them, to tell the service at fault from
 * those that depend on it.
 * With --templates it is a filter instead: every record passes through, log
 * records with their template added.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/db.h"
#include "sources/store.h"
#include "analysis/drain.h"
#include "analysis/kb.h"
#include "analysis/rca.h"
static const char usage[] =
	"usage: bi-rca [options] [FILE...]\n"
	"       bi-rca --templates [--strict] [FILE...]\n"
	"Find what went wrong in a record stream: one `finding` per problem,\n"
	"the most likely first. Exit 1 when there is one.\n"
	"\n"
	"  -t, --templates      only mine log templates: pass every record through,\n"
	"                       logs with `template` and `template_id` added\n"
	"  -p, --patterns FILE  more patterns, in YAML (repeatable)\n"
	"  -n, --top N          at most N findings\n"
	"  -c, --compose FILE   the services' depends_on, from a docker-compose file\n"
	"      --db PATH|URL    the knowledge base (default $BI_DB, or the project's);\n"
	"                       postgres://USER@HOST:PORT/DB: a team's, on PostgreSQL\n"
	"      --no-kb          no past incidents: patterns only\n"
	"      --strict         a malformed line is fatal (exit 2)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0 no problem found, 1 findings written, 2 usage or bad input, 3 the\n"
	"knowledge base's server unreachable.\n";

static struct {
	int templates, top, no_kb, flags;
	char *db, *compose;
	char **patfiles;
	size_t npatfiles;
} opt;

static int fatal;	/* reading ended on a fatal error (--strict) */

static void
analyze(bi_rca *a, int fd, const char *name)
{
	bi_reader *r = bi_reader_new(fd, name, opt.flags);
	const char *line;
	size_t len;
	jv rec;

	while (bi_read_line(r, &line, &len))
		if (!bi_rca_skip(a, line, len) && bi_reader_parse(r, &rec))
			bi_rca_add(a, rec);
	fatal |= bi_reader_fatal(r);
	bi_reader_free(r);
}

/* --compose: each service's depends_on, a list or a map of names. */
static void
compose(bi_rca *a, const char *path)
{
	jv doc = bi_yaml_load(path);

	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		bi_die(BI_EXIT_USAGE, "--compose: %s", jv_get_kind(msg) == JV_KIND_STRING ?
		       jv_string_value(msg) : path);
	}
	jv svcs = jv_object_get(doc, jv_string("services"));
	if (jv_get_kind(svcs) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "--compose: %s has no services", path);
	jv_object_foreach(svcs, name, def) {
		jv deps = jv_get_kind(def) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(def), jv_string("depends_on")) : jv_null();
		if (jv_get_kind(deps) == JV_KIND_ARRAY) {
			jv_array_foreach(deps, i, d) {
				if (jv_get_kind(d) == JV_KIND_STRING)
					bi_rca_depend(a, jv_string_value(name), jv_string_value(d));
				jv_free(d);
			}
		} else if (jv_get_kind(deps) == JV_KIND_OBJECT) {
			jv_object_foreach(deps, d, how) {
				bi_rca_depend(a, jv_string_value(name), jv_string_value(d));
				jv_free(d);
				jv_free(how);
			}
		}
		jv_free(deps);
		jv_free(name);
		jv_free(def);
	}
	jv_free(svcs);
}

/* ---- --templates ---- */

static bi_drain *drain;

static bi_buf out;	/* lines waiting to be written together */

static void
out_line(const char *s, size_t n)
{
	bi_buf_add(&out, s, n);
	bi_buf_add(&out, "\n", 1);
}

static void
out_flush(void)
{
	if (out.len)
		bi_write_raw(out.p, out.len - 1);	/* it adds the last '\n' */
	out.len = 0;
}

/* A record the fast path could not take, by libjq: the same result. */
static void
filter_slow(bi_reader *r)
{
	jv rec;

	if (!bi_reader_parse(r, &rec))
		return;
	const char *kind = bi_get_str(rec, "kind"), *msg = bi_get_str(rec, "msg");
	if (kind && !strcmp(kind, "log") && msg) {
		const bi_drain_cluster *c = bi_drain_add(drain, msg, strlen(msg));
		rec = jv_object_set(rec, jv_string("template"), jv_string(bi_drain_text(drain, c)));
		rec = jv_object_set(rec, jv_string("template_id"), jv_string(c->id));
	}
	jv text = jv_dump_string(rec, 0);
	out_line(jv_string_value(text), strlen(jv_string_value(text)));
	jv_free(text);
}

/* --templates: every record through, logs with their template added before
 * their closing brace, the rest of the line as it came. */
static void
filter(int fd, const char *name)
{
	bi_reader *r = bi_reader_new(fd, name, opt.flags);
	bi_buf msg = {0}, add = {0};
	const char *line;
	size_t len;
	static const char *const keys[] = {"kind", "msg", "template", "template_id", NULL};
	bi_json_span v[4], *kind = &v[0], *m = &v[1];

	while (bi_read_line(r, &line, &len)) {
		if (!bi_json_scan(line, len, keys, v) || v[2].p || v[3].p || kind->esc ||
		    !bi_utf8_valid(line, len) ||
		    (m->esc && (memmem(m->p, m->n, "\\ud", 3) || memmem(m->p, m->n, "\\uD", 3)))) {
			/* Surrogates, and anything odd, as libjq reads them. */
			filter_slow(r);
		} else if (!bi_json_is(*kind, "log") || !m->str || !m->n) {
			if (m->str && !m->n)
				filter_slow(r);		/* "msg":"" */
			else
				out_line(line, len);
		} else {
			bi_json_unescape(*m, &msg);
			const bi_drain_cluster *c = bi_drain_add(drain, msg.p, msg.len);
			const char *close = line + len;
			while (close[-1] != '}')
				close--;
			add.len = 0;
			bi_buf_add(&add, line, close - 1 - line);
			bi_buf_adds(&add, ",\"template\":");
			bi_json_quote(&add, bi_drain_text(drain, c));
			bi_buf_printf(&add, ",\"template_id\":\"%s\"}", c->id);
			out_line(add.p, add.len);
		}
		if (out.len > (1 << 16) || !bi_reader_ready(r, 0))
			out_flush();
	}
	out_flush();
	fatal |= bi_reader_fatal(r);
	bi_buf_free(&msg);
	bi_buf_free(&add);
	bi_reader_free(r);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"templates", no_argument, NULL, 't'},
		{"patterns", required_argument, NULL, 'p'},
		{"top", required_argument, NULL, 'n'},
		{"compose", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'D'},
		{"no-kb", no_argument, NULL, 'K'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	char err[512], *end;
	int c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "tp:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': opt.templates = 1; break;
		case 'p':
			opt.patfiles = bi_realloc(opt.patfiles, (opt.npatfiles + 1) * sizeof *opt.patfiles);
			opt.patfiles[opt.npatfiles++] = optarg;
			break;
		case 'n':
			opt.top = (int)strtol(optarg, &end, 10);
			if (*end || opt.top <= 0)
				bi_usage_error(usage, "--top: not a count: %s", optarg);
			break;
		case 'c': opt.compose = optarg; break;
		case 'D': opt.db = optarg; break;
		case 'K': opt.no_kb = 1; break;
		case 'S': opt.flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	bi_kb_pattern *pats = NULL;
	size_t npats = 0;
	bi_rca *a = NULL;
	if (opt.templates) {
		drain = bi_drain_new();
	} else {
		jv cfg = bi_config();
		pats = bi_kb_patterns(cfg, opt.patfiles, opt.npatfiles, &npats, err, sizeof err);
		jv_free(cfg);
		if (!pats)
			bi_die(BI_EXIT_USAGE, "%s", err);
		a = bi_rca_new(pats, npats);
		if (opt.compose)
			compose(a, opt.compose);
	}
	for (int i = optind; i < argc || (i == optind && optind == argc); i++) {
		const char *name = i < argc ? argv[i] : "-";
		FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
		if (!f)
			bi_die(BI_EXIT_USAGE, "cannot open %s:", name);
		if (opt.templates)
			filter(fileno(f), name);
		else
			analyze(a, fileno(f), name);
		if (f != stdin)
			fclose(f);
		if (fatal)
			break;
	}
	if (opt.templates || fatal) {
		bi_write_flush();
		return fatal ? BI_EXIT_USAGE : BI_EXIT_OK;
	}
	char *path = opt.db ? bi_strdup(opt.db) : bi_store_path();
	bi_db *db = opt.no_kb ? NULL : bi_kb_open(path, 0);
	if (!db && !opt.no_kb && errno != ENOENT)
		bi_die(errno == ECONNREFUSED ? BI_EXIT_UNREACHABLE : errno == EINVAL ? BI_EXIT_USAGE :
		       BI_EXIT_LOCAL, "database: %s cannot be %s", path,
		       errno == ECONNREFUSED ? "reached" : errno == EINVAL ? "read as a URL" : "opened");
	size_t n = bi_rca_rank(a, db), nrecords, nlogs;
	if (opt.top > 0 && (size_t)opt.top < n)
		n = (size_t)opt.top;
	for (size_t i = 0; i < n; i++)
		bi_write(bi_rca_finding(a, i, db));
	bi_write_flush();
	bi_rca_counts(a, &nrecords, &nlogs);
	if (!n)
		bi_warn("no problem found in %zu record%s (%zu log line%s)", nrecords,
			nrecords == 1 ? "" : "s", nlogs, nlogs == 1 ? "" : "s");
	bi_rca_free(a);
	bi_kb_patterns_free(pats, npats);
	bi_db_close(db);
	free(path);
	return n ? BI_EXIT_FAIL : BI_EXIT_OK;
}
