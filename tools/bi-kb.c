/*
 * bi-kb: the knowledge base of incidents, patterns and fixes.
 *
 *   bi-kb record [--tee]              findings on stdin become incidents
 *   bi-kb resolve ID --outcome O --fix TEXT
 *   bi-kb list | show ID | stats | patterns | suggest | export | import
 *
 * Incidents live in the project database (.blissful-infra/bi.db, $BI_DB or
 * --db): what was found, how often, which fixes were tried and how each went
 * (resolved, partial, failed). From those outcomes come the success rates
 * that bi-rca shows with its next findings, and the suggestions of what to
 * do about the problems that keep coming back. Patterns are the eight built in
 * (lib/analysis/kb.c) and the user's, from blissful-infra.yaml's kb.patterns or
 * --patterns files. Everything is written as records: `incident`,
 * `pattern`, `suggestion`, and `metric` for the statistics.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"
#include "analysis/kb.h"
static const char usage[] =
	"usage: bi-kb record [--tee] [FILE...]\n"
	"       bi-kb resolve ID --outcome resolved|partial|failed --fix TEXT\n"
	"       bi-kb list [--status open|resolved] [--pattern P] [--limit N]\n"
	"       bi-kb show ID | stats | patterns | suggest | export | import [FILE...]\n"
	"The knowledge base: incidents recorded from findings, the outcomes of their\n"
	"fixes, and the patterns of known problems.\n"
	"\n"
	"  --tee              record: also pass each finding through, with its incident\n"
	"  -o, --outcome O    resolve: how the fix went: resolved, partial or failed\n"
	"  -f, --fix TEXT     resolve: the fix applied\n"
	"  -s, --status S     list: only open or resolved incidents\n"
	"      --pattern P    list: only incidents of this pattern\n"
	"  -n, --limit N      list: the newest N only\n"
	"  -p, --patterns F   more patterns, in YAML (repeatable)\n"
	"      --db PATH      the database (default $BI_DB, or .blissful-infra/bi.db)\n"
	"      --strict       a malformed line is fatal (exit 2)\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"Exit: 0, 1 database error, 2 usage, bad input or no such incident.\n";

static struct {
	int tee, flags;
	long limit;
	const char *outcome, *fix, *status, *pattern;
	char **patfiles;
	size_t npatfiles;
} opt;

static sqlite3 *db;
static bi_kb_pattern *pats;
static size_t npats;

/* Each record of the files named (stdin without any) to fn. */
static void
each_record(int argc, char **argv, void (*fn)(jv rec, void *ctx), void *ctx)
{
	for (int i = 0; i < argc || (argc == 0 && i == 0); i++) {
		const char *name = argc ? argv[i] : "-";
		FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
		if (!f)
			bi_die(BI_EXIT_USAGE, "cannot open %s:", name);
		bi_reader *r = bi_reader_new(fileno(f), name, opt.flags);
		jv rec;
		while (bi_read(r, &rec))
			fn(rec, ctx);
		bi_reader_free(r);
		if (f != stdin)
			fclose(f);
	}
}

static int
is_kind(jv rec, const char *kind)
{
	const char *k = bi_get_str(rec, "kind");
	return k && !strcmp(k, kind);
}

/* ---- record ---- */

static void
record_one(jv rec, void *ctx)
{
	jv *incidents = ctx;

	if (!is_kind(rec, "finding")) {
		if (opt.tee)
			bi_write(rec);
		else
			jv_free(rec);
		return;
	}
	jv inc = bi_kb_record(db, rec);
	if (opt.tee)
		bi_write(jv_object_set(rec, jv_string("incident"),
				       jv_string(bi_get_str(inc, "id"))));
	else
		jv_free(rec);
	*incidents = jv_array_append(*incidents, inc);
}

static int
record(int argc, char **argv)
{
	jv incidents = jv_array();

	each_record(argc, argv, record_one, &incidents);
	jv_array_foreach(incidents, i, inc)
		bi_write(jv_object_delete(inc, jv_string("outcomes")));
	jv_free(incidents);
	return BI_EXIT_OK;
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
	jv inc = bi_kb_resolve(db, id, opt.outcome, opt.fix, bi_now_ns());
	if (!jv_is_valid(inc))
		bi_die(BI_EXIT_USAGE, "no such incident: %s", id);
	bi_write(inc);
	return BI_EXIT_OK;
}

static int
list(void)
{
	jv a = bi_kb_list(db, opt.status, opt.pattern, opt.limit);

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
	jv inc = bi_kb_get(db, id);
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
	jv similar = jv_object_get(jv_copy(finding), jv_string("similar")), others = jv_array();
	jv_array_foreach(similar, i, s) {
		const char *sid = bi_get_str(s, "id");
		if (sid && !strcmp(sid, id))
			jv_free(s);
		else
			others = jv_array_append(others, s);
	}
	jv_free(similar);
	finding = jv_object_set(finding, jv_string("similar"), others);
	bi_write(jv_object_set(finding, jv_string("incident"), jv_string(id)));
	return BI_EXIT_OK;
}

/* ---- stats and patterns ---- */

static jv
metric(const char *name, jv labels, double value)
{
	jv m = bi_record("metric");
	m = jv_object_set(m, jv_string("name"), jv_string(name));
	m = jv_object_set(m, jv_string("labels"), labels);
	return jv_object_set(m, jv_string("value"), jv_number(round(value * 1000) / 1000));
}

/* Occurrences and the last time seen of a pattern's incidents. */
static double
occurrences(const char *pattern, int64_t *last)
{
	sqlite3_stmt *st;
	double n = 0;

	*last = 0;
	if (!db)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT total(occurrences), max(last_seen) FROM kb_incidents "
			       "WHERE pattern IS ?", -1, &st, NULL) != SQLITE_OK)
		bi_die(BI_EXIT_FAIL, "database: %s", sqlite3_errmsg(db));
	if (pattern)
		sqlite3_bind_text(st, 1, pattern, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_double(st, 0);
		*last = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return n;
}

static int
stats(void)
{
	static const char *const statuses[] = {"open", "resolved"};
	char ts[BI_TS_LEN];
	int64_t last;

	for (int i = 0; i < 2; i++) {
		jv a = db ? bi_kb_list(db, statuses[i], NULL, 0) : jv_array();
		bi_write(metric("kb_incidents", jv_object_set(jv_object(), jv_string("status"),
			 jv_string(statuses[i])), jv_array_length(a)));
	}
	for (size_t i = 0; i <= npats; i++) {
		const bi_kb_pattern *p = i < npats ? &pats[i] : NULL;
		double n = occurrences(p ? p->id : NULL, &last);
		if (!p && !n)
			continue;
		jv lab = jv_object_set(jv_object(), jv_string("pattern"),
				       jv_string(p ? p->id : "unknown"));
		jv m = metric("kb_pattern_occurrences", jv_copy(lab), n);
		bi_write(jv_object_set(m, jv_string("last_seen"),
				       last ? jv_string(bi_ts_fmt(last, ts)) : jv_null()));
		if (!p) {
			jv_free(lab);
			continue;
		}
		bi_write(metric("kb_pattern_success_rate", lab,
				bi_kb_rate(db, p->id, p->success_rate, NULL, NULL)));
	}
	/* Each fix with an outcome, by pattern. */
	sqlite3_stmt *st;
	if (!db)
		return BI_EXIT_OK;
	if (sqlite3_prepare_v2(db, "SELECT i.pattern, o.fix FROM kb_outcomes o JOIN kb_incidents i "
			       "ON i.id = o.incident GROUP BY i.pattern, lower(trim(o.fix)) "
			       "ORDER BY i.pattern, o.fix", -1, &st, NULL) != SQLITE_OK)
		bi_die(BI_EXIT_FAIL, "database: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *pid = (const char *)sqlite3_column_text(st, 0);
		const char *fix = (const char *)sqlite3_column_text(st, 1);
		const bi_kb_pattern *p = bi_kb_pattern_find(pats, npats, pid);
		int n;
		double rate = bi_kb_rate(db, pid, p ? p->success_rate : 0.5,
					 fix, &n);
		jv lab = jv_object_set(jv_object(), jv_string("pattern"), jv_string(pid ? pid : "unknown"));
		lab = jv_object_set(lab, jv_string("fix"), jv_string(fix));
		bi_write(jv_object_set(metric("kb_fix_success_rate", lab, rate),
				       jv_string("outcomes"), jv_number(n)));
	}
	sqlite3_finalize(st);
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
	char ts[BI_TS_LEN];
	int64_t last;

	for (size_t i = 0; i < npats; i++) {
		const bi_kb_pattern *p = &pats[i];
		jv r = bi_record("pattern");
		r = jv_object_set(r, jv_string("id"), jv_string(p->id));
		r = jv_object_set(r, jv_string("name"), jv_string(p->name));
		r = jv_object_set(r, jv_string("severity"), jv_string(p->severity));
		r = jv_object_set(r, jv_string("builtin"), jv_bool(p->builtin));
		r = jv_object_set(r, jv_string("logs"), list_of(p->logs));
		r = jv_object_set(r, jv_string("containers"), list_of(p->containers));
		r = jv_object_set(r, jv_string("k8s"), list_of(p->k8s));
		jv conds = jv_array();
		static const char *const ops[] = {">=", "<=", "==", "!=", ">", "<"};
		for (size_t k = 0; k < p->nconds; k++)
			conds = jv_array_append(conds, jv_string_fmt("%s %s %g", p->conds[k].field,
						ops[p->conds[k].op], p->conds[k].value));
		r = jv_object_set(r, jv_string("metrics"), conds);
		r = jv_object_set(r, jv_string("chaos"), list_of(p->chaos));
		r = jv_object_set(r, jv_string("root_cause"), jv_string(p->root_cause));
		jv fixes = jv_array();
		for (char **f = p->fixes; *f; f++) {
			int n;
			double rate = db ? bi_kb_rate(db, p->id, p->success_rate, *f, &n) :
				(n = 0, p->success_rate);
			jv e = jv_object_set(jv_object(), jv_string("title"), jv_string(*f));
			e = jv_object_set(e, jv_string("success_rate"), jv_number(round(rate * 100) / 100));
			fixes = jv_array_append(fixes, jv_object_set(e, jv_string("outcomes"), jv_number(n)));
		}
		r = jv_object_set(r, jv_string("fixes"), fixes);
		r = jv_object_set(r, jv_string("success_rate"), jv_number(round(100 *
				  bi_kb_rate(db, p->id, p->success_rate, NULL, NULL)) / 100));
		double n = occurrences(p->id, &last);
		r = jv_object_set(r, jv_string("occurrences"), jv_number(n));
		r = jv_object_set(r, jv_string("last_seen"), last ? jv_string(bi_ts_fmt(last, ts)) :
				  jv_null());
		bi_write(r);
	}
	return BI_EXIT_OK;
}

/* What to do about each pattern seen: its best fix, high while one of its
 * incidents is open, medium when it came back, low when it was seen once. */
static int
suggest(void)
{
	char ts[BI_TS_LEN];
	int64_t last;

	for (size_t i = 0; db && i < npats; i++) {
		const bi_kb_pattern *p = &pats[i];
		double n = occurrences(p->id, &last);
		if (n <= 0)
			continue;
		jv open = bi_kb_list(db, "open", p->id, 0);
		int nopen = jv_array_length(open);
		const char *best = NULL;
		double rate = -1;
		int outcomes = 0;
		for (char **f = p->fixes; *f; f++) {
			int k;
			double r = bi_kb_rate(db, p->id, p->success_rate, *f, &k);
			if (r > rate)
				best = *f, rate = r, outcomes = k;
		}
		/* A fix of the user's that worked better than the pattern's own. */
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "SELECT DISTINCT o.fix FROM kb_outcomes o JOIN kb_incidents i "
				       "ON i.id = o.incident WHERE i.pattern = ? AND o.outcome != 'failed'",
				       -1, &st, NULL) != SQLITE_OK)
			bi_die(BI_EXIT_FAIL, "database: %s", sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_TRANSIENT);
		char *mine = NULL;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *f = (const char *)sqlite3_column_text(st, 0);
			int k;
			double r = bi_kb_rate(db, p->id, p->success_rate, f, &k);
			if (r > rate) {
				free(mine);
				best = mine = bi_strdup(f);
				rate = r;
				outcomes = k;
			}
		}
		sqlite3_finalize(st);
		jv r = bi_record("suggestion");
		r = jv_object_set(r, jv_string("priority"), jv_string(nopen ? "high" : n >= 2 ? "medium" : "low"));
		r = jv_object_set(r, jv_string("pattern"), jv_string(p->id));
		r = jv_object_set(r, jv_string("title"), jv_string_fmt("%s: %s", p->name, best ? best : "-"));
		r = jv_object_set(r, jv_string("detail"), jv_string_fmt("seen %.0f time%s, last %s; %d open; "
			"this fix works %.0f%% of the time (%d outcome%s recorded)", n, n == 1 ? "" : "s",
			bi_ts_fmt(last, ts), nopen, round(rate * 100), outcomes, outcomes == 1 ? "" : "s"));
		r = jv_object_set(r, jv_string("success_rate"), jv_number(round(rate * 100) / 100));
		r = jv_object_set(r, jv_string("source"), jv_string("knowledge base"));
		bi_write(r);
		jv_free(open);
		free(mine);
	}
	return BI_EXIT_OK;
}

/* ---- export, import ---- */

static int
export(void)
{
	jv a = bi_kb_list(db, NULL, NULL, 0);

	jv_array_foreach(a, i, inc) {
		jv full = bi_kb_get(db, bi_get_str(inc, "id"));
		jv_free(inc);
		bi_write(full);
	}
	jv_free(a);
	return BI_EXIT_OK;
}

static void
import_one(jv rec, void *ctx)
{
	char err[256];
	size_t *n = ctx;

	if (!is_kind(rec, "incident")) {
		jv_free(rec);
		return;
	}
	if (bi_kb_import(db, rec, err, sizeof err) != 0) {
		bi_warn("%s, skipped", err);
		if (opt.flags & BI_STRICT)
			bi_die(BI_EXIT_USAGE, "a bad incident is fatal with --strict");
		return;
	}
	++*n;
}

static int
import(int argc, char **argv)
{
	size_t n = 0;

	each_record(argc, argv, import_one, &n);
	return BI_EXIT_OK;
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
		{"patterns", required_argument, NULL, 'p'},
		{"db", required_argument, NULL, 'D'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const cmds[] = {"record", "resolve", "list", "show", "stats",
					   "patterns", "suggest", "export", "import", NULL};
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
	int takes_files = !strcmp(cmd, "record") || !strcmp(cmd, "import");
	if (takes_id && argc - optind != 1)
		bi_usage_error(usage, "%s: which incident?", cmd);
	if (!takes_id && !takes_files && optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	jv cfg = bi_config();
	pats = bi_kb_patterns(cfg, opt.patfiles, opt.npatfiles, &npats, err, sizeof err);
	jv_free(cfg);
	if (!pats)
		bi_die(BI_EXIT_USAGE, "%s", err);
	if (!path)
		path = bi_store_path();
	/* Reading a database that is not there finds nothing; only writing
	 * makes one. */
	int writes = !strcmp(cmd, "record") || !strcmp(cmd, "resolve") || !strcmp(cmd, "import");
	db = bi_kb_open(path, writes);
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
	else if (!strcmp(cmd, "import"))
		r = import(argc - optind, argv + optind);
	else if (!strcmp(cmd, "stats"))
		r = stats();
	else if (!db)
		r = BI_EXIT_OK;		/* nothing recorded yet */
	else if (!strcmp(cmd, "list"))
		r = list();
	else if (!strcmp(cmd, "suggest"))
		r = suggest();
	else
		r = export();
	bi_write_flush();
	sqlite3_close(db);
	bi_kb_patterns_free(pats, npats);
	free(path);
	return r;
}
