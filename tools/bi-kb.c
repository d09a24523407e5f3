/*
 * bi-kb: the knowledge base of incidents, patterns and fixes.
 *
 *   bi-kb record [--tee]              findings on stdin become incidents
 *   bi-kb resolve ID --outcome O --fix TEXT
 *   bi-kb list | show ID | stats | patterns | advice | export | import
 *   bi-kb suggest [FILE...]           what to do, the most pressing first
 *
 * Incidents live in the project database (.blissful-infra/bi.db, $BI_DB or
 * --db), or for a team in one PostgreSQL database (--db postgres://...): what was found, how often, which fixes were tried and how each went
 * (resolved, partial, failed). From those outcomes come the success rates
 * that bi-rca shows with its next findings, and the suggestions of what to
 * do about the problems that keep coming back. Patterns are the nine built in
 * (lib/analysis/pattern.c) and the user's, from blissful-infra.yaml's
 * kb.patterns or --patterns files; the advice table (lib/analysis/advice.c)
 * says what a chaos result or a project's files call for, and suggest puts
 * it all together: the project's files against good practice, the gaps of
 * the chaos results read (as bi-score sees them), and the best fix of each
 * pattern seen. Everything is written as records: `incident`, `pattern`,
 * `advice`, `suggestion`, and `metric` for the statistics. A database that
 * fails is exit 4, never 1: 1 is for findings; a server that cannot be
 * reached is exit 3.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/db.h"
#include "sources/store.h"
#include "analysis/advice.h"
#include "analysis/pattern.h"
#include "analysis/kb.h"
#include "analysis/score.h"
static const char usage[] =
	"usage: bi-kb record [--tee] [FILE...]\n"
	"       bi-kb resolve ID --outcome resolved|partial|failed --fix TEXT\n"
	"       bi-kb list [--status open|resolved] [--pattern P] [--limit N]\n"
	"       bi-kb show ID | stats [--seen] | patterns | advice | export\n"
	"       bi-kb import [FILE...] | suggest [FILE...]\n"
	"The knowledge base: incidents recorded from findings, the outcomes of their\n"
	"fixes, and the patterns of known problems.\n"
	"\n"
	"  --tee              record: also pass each finding through, with its incident\n"
	"  -o, --outcome O    resolve: how the fix went: resolved, partial or failed\n"
	"  -f, --fix TEXT     resolve: the fix applied\n"
	"  -s, --status S     list: only open or resolved incidents\n"
	"      --pattern P    list: only incidents of this pattern\n"
	"  -n, --limit N      list: the newest N only\n"
	"      --seen         stats: only the patterns seen at least once\n"
	"  -p, --patterns F   more patterns and advice, in YAML (repeatable)\n"
	"      --db PATH|URL  the database (default $BI_DB, or .blissful-infra/bi.db);\n"
	"                     postgres://USER@HOST:PORT/DB: a team's, on PostgreSQL\n"
	"      --strict       a malformed line is fatal (exit 2)\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"Exit: 0, 2 usage, bad input or no such incident, 3 the PostgreSQL server\n"
	"unreachable, 4 database or output failure.\n";

static struct {
	int tee, flags, seen;
	long limit;
	const char *outcome, *fix, *status, *pattern;
	char **patfiles;
	size_t npatfiles;
} opt;

static bi_db *db;
static bi_kb_pattern *pats;
static size_t npats;

/* A database error from the library: the tool's end (exit 4). */
static _Noreturn void
db_fail(jv err)
{
	jv msg = jv_invalid_get_msg(err);
	bi_die(BI_EXIT_LOCAL, "database: %s", jv_get_kind(msg) == JV_KIND_STRING ?
	       jv_string_value(msg) : bi_db_error(db));
}

/* v, unless it is a database error. */
static jv
checked(jv v)
{
	if (!jv_is_valid(v) && jv_invalid_has_msg(jv_copy(v)))
		db_fail(v);
	return v;
}

static double
rate_of(const char *pattern, double prior, const char *fix, int *n)
{
	double r = bi_kb_rate(db, pattern, prior, fix, n);

	if (r < 0)
		bi_die(BI_EXIT_LOCAL, "database: %s", bi_db_error(db));
	return r;
}

static int
is_kind(jv rec, const char *kind)
{
	const char *k = bi_get_str(rec, "kind");
	return k && !strcmp(k, kind);
}

/* ---- record ---- */

static int
record_one(void *ctx, jv rec, bi_reader *r)
{
	jv *incidents = ctx;

	(void)r;
	if (!is_kind(rec, "finding")) {
		if (opt.tee)
			bi_write(rec);
		else
			jv_free(rec);
		return 0;
	}
	jv inc = checked(bi_kb_record(db, rec));
	if (opt.tee)
		bi_write(bi_set(rec, "incident", jv_string(bi_get_str(inc, "id"))));
	else
		jv_free(rec);
	*incidents = jv_array_append(*incidents, inc);
	return 0;
}

static int
record(int argc, char **argv)
{
	jv incidents = jv_array();
	int unread = bi_each(argc, argv, opt.flags, record_one, &incidents);

	jv_array_foreach(incidents, i, inc)
		bi_write(jv_object_delete(inc, jv_string("outcomes")));
	jv_free(incidents);
	return unread ? BI_EXIT_USAGE : BI_EXIT_OK;
}

/* ---- resolve, list, show ---- */

static int
resolve(const char *id)
{
	if (!bi_kb_outcome_ok(opt.outcome))
		bi_die(BI_EXIT_USAGE, "--outcome: resolved, partial or failed, not %s",
		       opt.outcome ? opt.outcome : "nothing");
	if (!opt.fix || !*opt.fix)
		bi_die(BI_EXIT_USAGE, "--fix: say what was done");
	jv inc = checked(bi_kb_resolve(db, id, opt.outcome, opt.fix, bi_now_ns()));
	if (!jv_is_valid(inc))
		bi_die(BI_EXIT_USAGE, "no such incident: %s", id);
	bi_write(inc);
	return BI_EXIT_OK;
}

static int
list(void)
{
	jv a = checked(bi_kb_list(db, opt.status, opt.pattern, opt.limit));

	jv_array_foreach(a, i, inc)
		bi_write(inc);
	jv_free(a);
	return BI_EXIT_OK;
}

/* The incident, then its finding with the similar incidents and fixes as
 * the knowledge base knows them now. */
static int
show(const char *id)
{
	jv inc = checked(bi_kb_get(db, id));
	double sim;

	if (!jv_is_valid(inc))
		bi_die(BI_EXIT_USAGE, "no such incident: %s", id);
	jv finding = jv_object_get(jv_copy(inc), jv_string("finding"));
	bi_write(jv_object_delete(inc, jv_string("finding")));
	if (jv_get_kind(finding) != JV_KIND_OBJECT) {
		jv_free(finding);
		return BI_EXIT_OK;
	}
	finding = bi_kb_advise(db, pats, npats, finding, &sim);
	const char *e = bi_get_str(finding, "kb_error");
	if (e)
		bi_die(BI_EXIT_LOCAL, "database: %s", e);
	jv similar = jv_object_get(jv_copy(finding), jv_string("similar")), others = jv_array();
	jv_array_foreach(similar, i, s) {
		const char *sid = bi_get_str(s, "id");
		if (sid && !strcmp(sid, id))
			jv_free(s);
		else
			others = jv_array_append(others, s);
	}
	jv_free(similar);
	finding = bi_set(finding, "similar", others);
	bi_write(bi_set(finding, "incident", jv_string(id)));
	return BI_EXIT_OK;
}

/* ---- stats, patterns and advice ---- */

static jv
metric(const char *name, jv labels, double value)
{
	jv m = bi_record("metric");
	m = bi_set(m, "name", jv_string(name));
	m = bi_set(m, "labels", labels);
	return bi_set(m, "value", jv_number(round(value * 1000) / 1000));
}

/* How often a pattern's (NULL: no pattern's) incidents happened, and when
 * last (null: never). */
static double
occurrences(const char *pattern, jv *last)
{
	if (!db) {
		*last = jv_null();
		return 0;
	}
	jv o = checked(bi_kb_occurrences(db, pattern));
	double n = bi_get_num(o, "occurrences", 0);
	*last = jv_object_get(o, jv_string("last_seen"));
	return n;
}

static int
stats(void)
{
	static const char *const statuses[] = {"open", "resolved"};
	jv last;

	for (int i = 0; i < 2; i++) {
		jv a = db ? checked(bi_kb_list(db, statuses[i], NULL, 0)) : jv_array();
		bi_write(metric("kb_incidents", bi_set(jv_object(), "status", jv_string(statuses[i])),
				jv_array_length(a)));
	}
	for (size_t i = 0; i <= npats; i++) {
		const bi_kb_pattern *p = i < npats ? &pats[i] : NULL;
		double n = occurrences(p ? p->id : NULL, &last);
		if ((!p || opt.seen) && !n) {
			jv_free(last);
			continue;
		}
		jv lab = bi_set(jv_object(), "pattern", jv_string(p ? p->id : "unknown"));
		bi_write(bi_set(metric("kb_pattern_occurrences", jv_copy(lab), n), "last_seen", last));
		if (!p) {
			jv_free(lab);
			continue;
		}
		bi_write(metric("kb_pattern_success_rate", lab,
				rate_of(p->id, p->success_rate, NULL, NULL)));
	}
	/* Each fix with an outcome, by pattern. */
	jv fixes = db ? checked(bi_kb_fixes(db, NULL, 0)) : jv_array();
	jv_array_foreach(fixes, i, f) {
		const char *pid = bi_get_str(f, "pattern"), *fix = bi_get_str(f, "fix");
		const bi_kb_pattern *p = bi_kb_pattern_find(pats, npats, pid);
		int n;
		double rate = rate_of(pid, p ? p->success_rate : 0.5, fix, &n);
		jv lab = bi_set(jv_object(), "pattern", jv_string(pid ? pid : "unknown"));
		lab = bi_set(lab, "fix", jv_string(fix));
		bi_write(bi_set(metric("kb_fix_success_rate", lab, rate), "outcomes", jv_number(n)));
		jv_free(f);
	}
	jv_free(fixes);
	return BI_EXIT_OK;
}

static jv
list_of(char **v)
{
	jv a = jv_array();
	for (; v && *v; v++)
		a = jv_array_append(a, jv_string(*v));
	return a;
}

static int
patterns(void)
{
	static const char *const ops[] = {">=", "<=", "==", "!=", ">", "<"};
	jv last;

	for (size_t i = 0; i < npats; i++) {
		const bi_kb_pattern *p = &pats[i];
		jv r = bi_record("pattern");
		r = bi_set(r, "id", jv_string(p->id));
		r = bi_set(r, "name", jv_string(p->name));
		r = bi_set(r, "severity", jv_string(p->severity));
		r = bi_set(r, "builtin", jv_bool(p->builtin));
		r = bi_set(r, "logs", list_of(p->logs));
		r = bi_set(r, "containers", list_of(p->containers));
		r = bi_set(r, "k8s", list_of(p->k8s));
		jv conds = jv_array();
		for (size_t k = 0; k < p->nconds; k++)
			conds = jv_array_append(conds, jv_string_fmt("%s %s %g", p->conds[k].field,
						ops[p->conds[k].op], p->conds[k].value));
		r = bi_set(r, "metrics", conds);
		r = bi_set(r, "chaos", list_of(p->chaos));
		r = bi_set(r, "root_cause", jv_string(p->root_cause));
		jv fixes = jv_array();
		for (char **f = p->fixes; *f; f++) {
			int n;
			double rate = rate_of(p->id, p->success_rate, *f, &n);
			jv e = bi_set(jv_object(), "title", jv_string(*f));
			e = bi_set(e, "success_rate", jv_number(round(rate * 100) / 100));
			fixes = jv_array_append(fixes, bi_set(e, "outcomes", jv_number(n)));
		}
		r = bi_set(r, "fixes", fixes);
		r = bi_set(r, "success_rate", jv_number(round(100 *
			   rate_of(p->id, p->success_rate, NULL, NULL)) / 100));
		r = bi_set(r, "occurrences", jv_number(occurrences(p->id, &last)));
		bi_write(bi_set(r, "last_seen", last));
	}
	return BI_EXIT_OK;
}

static int
advice(const bi_advice *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const bi_advice *e = &a[i];
		jv r = bi_record("advice");
		r = bi_set(r, "id", jv_string(e->id));
		r = bi_set(r, "on", jv_string(e->on));
		r = bi_set(r, "scenarios", list_of(e->scenarios));
		r = bi_set(r, "severity", jv_string(e->severity));
		r = bi_set(r, "gap", jv_string(e->gap));
		r = bi_set(r, "title", jv_string(e->title));
		r = bi_set(r, "advice", jv_string(e->advice));
		r = bi_set(r, "pattern", e->pattern ? jv_string(e->pattern) : jv_null());
		bi_write(bi_set(r, "builtin", jv_bool(e->builtin)));
	}
	return BI_EXIT_OK;
}

/* ---- suggest ---- */

static int
rank(jv s)
{
	const char *p = bi_get_str(s, "priority");
	return !p ? 3 : !strcmp(p, "high") ? 0 : !strcmp(p, "medium") ? 1 : 2;
}

/* Suggestions, the most pressing first; within a priority, as found: the
 * project's files, the chaos results read, the knowledge base. */
static int
suggest(jv cfg, const bi_advice *a, size_t n, int argc, char **argv)
{
	bi_score *s = bi_score_new();
	int unread = bi_score_read(s, argc, argv, opt.flags);
	char *dir = bi_project_dir();
	jv all = bi_advice_practice(a, n, dir, cfg);

	free(dir);
	if (!jv_is_valid(all)) {
		jv msg = jv_invalid_get_msg(all);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(msg));
	}
	bi_score_expect_config(s, cfg);
	if (bi_score_count(s)) {
		jv score = bi_score_record(s, a, n, NULL);
		all = jv_array_concat(all, bi_score_suggestions(score, a, n));
		jv_free(score);
	}
	bi_score_free(s);
	if (db)
		all = jv_array_concat(all, checked(bi_kb_suggest(db, pats, npats)));
	for (int p = 0; p < 4; p++) {
		jv_array_foreach(all, i, r) {
			if (rank(r) == p)
				bi_write(r);
			else
				jv_free(r);
		}
	}
	jv_free(all);
	return unread ? BI_EXIT_USAGE : BI_EXIT_OK;
}

/* ---- export, import ---- */

static int
export(void)
{
	jv a = checked(bi_kb_list(db, NULL, NULL, 0));

	jv_array_foreach(a, i, inc) {
		bi_write(checked(bi_kb_get(db, bi_get_str(inc, "id"))));
		jv_free(inc);
	}
	jv_free(a);
	return BI_EXIT_OK;
}

static int
import_one(void *ctx, jv rec, bi_reader *r)
{
	char err[256];

	(void)ctx;
	(void)r;
	if (!is_kind(rec, "incident")) {
		jv_free(rec);
		return 0;
	}
	int rc = bi_kb_import(db, rec, err, sizeof err);
	if (rc == -2)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	if (rc) {
		bi_warn("%s, skipped", err);
		if (opt.flags & BI_STRICT)
			bi_die(BI_EXIT_USAGE, "a bad incident is fatal with --strict");
	}
	return 0;
}

static int
import(int argc, char **argv)
{
	return bi_each(argc, argv, opt.flags, import_one, NULL) ? BI_EXIT_USAGE : BI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tee", no_argument, NULL, 't'},
		{"outcome", required_argument, NULL, 'o'},
		{"fix", required_argument, NULL, 'f'},
		{"status", required_argument, NULL, 's'},
		{"pattern", required_argument, NULL, 'P'},
		{"limit", required_argument, NULL, 'n'},
		{"seen", no_argument, NULL, 'e'},
		{"patterns", required_argument, NULL, 'p'},
		{"db", required_argument, NULL, 'D'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const cmds[] = {"record", "resolve", "list", "show", "stats",
					   "patterns", "advice", "suggest", "export", "import", NULL};
	char *path = NULL, *end, err[512];
	int c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "o:f:s:n:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': opt.tee = 1; break;
		case 'o': opt.outcome = optarg; break;
		case 'f': opt.fix = optarg; break;
		case 's':
			if (strcmp(optarg, "open") && strcmp(optarg, "resolved"))
				bi_usage_error(usage, "--status: open or resolved, not %s", optarg);
			opt.status = optarg;
			break;
		case 'P': opt.pattern = optarg; break;
		case 'n':
			opt.limit = strtol(optarg, &end, 10);
			if (*end || opt.limit <= 0)
				bi_usage_error(usage, "--limit: not a count: %s", optarg);
			break;
		case 'e': opt.seen = 1; break;
		case 'p':
			opt.patfiles = bi_realloc(opt.patfiles, (opt.npatfiles + 1) * sizeof *opt.patfiles);
			opt.patfiles[opt.npatfiles++] = optarg;
			break;
		case 'D': path = bi_strdup(optarg); break;
		case 'S': opt.flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind >= argc)
		bi_usage_error(usage, "which command?");
	const char *cmd = argv[optind++];
	const char *const *k;
	for (k = cmds; *k && strcmp(*k, cmd); k++)
		;
	if (!*k)
		bi_usage_error(usage, "unknown command: %s", cmd);
	int takes_id = !strcmp(cmd, "resolve") || !strcmp(cmd, "show");
	int takes_files = !strcmp(cmd, "record") || !strcmp(cmd, "import") || !strcmp(cmd, "suggest");
	if (takes_id && argc - optind != 1)
		bi_usage_error(usage, "%s: which incident?", cmd);
	if (!takes_id && !takes_files && optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	jv cfg = bi_config();
	size_t nadv;
	bi_advice *adv = bi_advice_load(cfg, opt.patfiles, opt.npatfiles, &nadv, err, sizeof err);
	if (!adv)
		bi_die(BI_EXIT_USAGE, "%s", err);
	pats = bi_kb_patterns(cfg, opt.patfiles, opt.npatfiles, &npats, err, sizeof err);
	if (!pats)
		bi_die(BI_EXIT_USAGE, "%s", err);
	if (!path)
		path = bi_store_path();
	/* Reading a database that is not there finds nothing; only writing
	 * makes one. */
	int writes = !strcmp(cmd, "record") || !strcmp(cmd, "resolve") || !strcmp(cmd, "import");
	db = bi_kb_connect(path, writes, err, sizeof err);
	if (!db && errno == ECONNREFUSED)
		bi_die(BI_EXIT_UNREACHABLE, "database: %s", err);
	if (!db && errno == EINVAL)
		bi_die(BI_EXIT_USAGE, "database: %s", err);
	if (!db && errno != ENOENT)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	if (!db && takes_id)
		bi_die(BI_EXIT_USAGE, "no such incident: %s (no knowledge base at %s)",
		       argv[optind], path);
	int r = BI_EXIT_OK;
	if (!strcmp(cmd, "record"))
		r = record(argc - optind, argv + optind);
	else if (!strcmp(cmd, "resolve"))
		r = resolve(argv[optind]);
	else if (!strcmp(cmd, "show"))
		r = show(argv[optind]);
	else if (!strcmp(cmd, "patterns"))
		r = patterns();
	else if (!strcmp(cmd, "advice"))
		r = advice(adv, nadv);
	else if (!strcmp(cmd, "import"))
		r = import(argc - optind, argv + optind);
	else if (!strcmp(cmd, "stats"))
		r = stats();
	else if (!strcmp(cmd, "suggest"))
		r = suggest(cfg, adv, nadv, argc - optind, argv + optind);
	else if (!db)
		r = BI_EXIT_OK;		/* nothing recorded yet */
	else if (!strcmp(cmd, "list"))
		r = list();
	else
		r = export();
	bi_write_flush();
	bi_db_close(db);
	bi_kb_patterns_free(pats, npats);
	bi_advice_free(adv, nadv);
	jv_free(cfg);
	free(path);
	return r;
}
