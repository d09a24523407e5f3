/*
 * bi-score: a resilience scorecard from chaos results.
 *
 * Reads `chaos` records (stdin or files; the latest of each scenario counts)
 * and writes one `score` record: 15 points for each scenario that passed plus
 * a bonus for a fast recovery (under 5 s: 10, 15 s: 7, 30 s: 4, else 1), at
 * most 25, scaled so that every scenario passing fast makes 100. A skipped
 * scenario earns nothing: it could not show the service survives. Gaps and
 * recommendations come from what failed; strengths from fast recoveries. The
 * score joins the project's history (the last 50), and the trend compares the
 * first and last of the latest five: a change over 5 points is a trend.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"
static const char usage[] =
	"usage: bi-score [--no-save] [--db PATH] [FILE...]\n"
	"       bi-score --history\n"
	"Score chaos records for resilience; a score record with gaps, strengths,\n"
	"recommendations, history and trend.\n"
	"\n"
	"      --no-save   do not add this score to the history\n"
	"      --history   only the saved scores, oldest first\n"
	"      --db PATH   the database (default $BI_DB or .blissful-infra/bi.db)\n"
	"  -h, --help      show this help\n"
	"      --version   show the version\n"
	"Exit: 0, 1 no chaos record to score, 2 usage.\n";

/* What a failed scenario says is missing, and what to do about it. */
static const struct lesson {
	const char *scenario, *severity, *gap, *advice;
} lessons[] = {
	{"pod-kill", "critical", "self-healing",
	 "Give the app a restart policy (compose: restart: unless-stopped; Kubernetes: a Deployment "
	 "with liveness probes) and make it start fast."},
	{"dependency-down", "high", "dependency isolation",
	 "Keep serving what does not need the dependency: time out its calls, report it in /ready "
	 "(not /health), and do not exit when it is lost."},
	{"network-latency", "high", "timeouts / circuit breaker",
	 "Put timeouts on every network call and a circuit breaker in front of slow peers, so "
	 "latency does not turn into errors."},
	{"db-latency", "high", "timeouts / circuit breaker",
	 "Bound database calls with statement and connection timeouts, and size the pool for slow "
	 "queries."},
	{"memory-pressure", "medium", "resource limits",
	 "Set memory limits with headroom, and keep caches bounded, so pressure costs speed, not "
	 "the process."},
	{"cpu-pressure", "medium", "resource limits",
	 "Set CPU requests and limits, and keep request handling off busy loops."},
	{"pause", "medium", "self-healing",
	 "Let health checks notice a frozen process and replace it; keep clients' timeouts short."},
	{NULL, NULL, NULL, NULL}};

static const struct lesson *
lesson(const char *scenario)
{
	for (const struct lesson *l = lessons; l->scenario; l++)
		if (!strcmp(l->scenario, scenario))
			return l;
	return NULL;
}

static jv
gap(const char *severity, const char *title, const char *detail, const char *scenario)
{
	jv g = bi_set(jv_object(), "severity", jv_string(severity));
	g = bi_set(g, "title", jv_string(title));
	g = bi_set(g, "detail", jv_string(detail));
	if (scenario)
		g = bi_set(g, "scenario", jv_string(scenario));
	return g;
}

static double
bonus(double ms)
{
	if (isnan(ms))
		return 1;
	return ms < 5000 ? 10 : ms < 15000 ? 7 : ms < 30000 ? 4 : 1;
}

/* Read chaos records; the latest of each scenario stays. */
static void
read_chaos(int fd, const char *name, jv *latest)
{
	bi_reader *r = bi_reader_new(fd, name, 0);
	jv rec;

	while (bi_read(r, &rec)) {
		const char *kind = bi_get_str(rec, "kind"), *sc = bi_get_str(rec, "scenario");
		const char *st = bi_get_str(rec, "status");
		if (kind && !strcmp(kind, "chaos") && sc && st && strcmp(st, "planned") &&
		    strcmp(sc, "rollback")) {
			jv old = jv_object_get(jv_copy(*latest), jv_string(sc));
			if (!jv_is_valid(old) || bi_record_ts(old) <= bi_record_ts(rec))
				*latest = jv_object_set(*latest, jv_string(sc), jv_copy(rec));
			jv_free(old);
		}
		jv_free(rec);
	}
	bi_reader_free(r);
}

static jv
history(sqlite3 *db, const char *project, jv current, double score)
{
	sqlite3_stmt *st;

	if (jv_is_valid(current)) {
		jv text = jv_dump_string(jv_copy(current), 0);
		if (bi_sql_begin(db))
			bi_die(BI_EXIT_LOCAL, "database: %s", bi_sql_error(db));
		st = bi_sql_prepare(db, "INSERT INTO scores (ts, project, score, record) VALUES (?, ?, ?, ?)");
		sqlite3_bind_int64(st, 1, bi_now_ns());
		bi_sql_bind_str(st, 2, project);
		sqlite3_bind_double(st, 3, score);
		bi_sql_bind_str(st, 4, jv_string_value(text));
		/* Keep the last 50. */
		if (!st || bi_sql_run(st) ||
		    bi_sql_exec(db, "DELETE FROM scores WHERE id NOT IN "
				"(SELECT id FROM scores ORDER BY ts DESC LIMIT 50)") ||
		    bi_sql_commit(db))
			bi_die(BI_EXIT_LOCAL, "database: %s", bi_sql_error(db));
		sqlite3_finalize(st);
		jv_free(text);
	}
	st = bi_sql_prepare(db, "SELECT ts, score FROM (SELECT ts, score FROM scores "
			    "WHERE ?1 IS NULL OR project = ?1 ORDER BY ts DESC LIMIT 50) ORDER BY ts");
	if (!st)
		bi_die(BI_EXIT_LOCAL, "database: %s", bi_sql_error(db));
	if (project)
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	jv h = jv_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		char ts[BI_TS_LEN];
		jv e = bi_set(jv_object(), "ts", jv_string(bi_ts_fmt(sqlite3_column_int64(st, 0), ts)));
		e = bi_set(e, "score", jv_number(sqlite3_column_double(st, 1)));
		e = bi_set(e, "summary", jv_string_fmt("%s  %.0f", ts, sqlite3_column_double(st, 1)));
		h = jv_array_append(h, e);
	}
	sqlite3_finalize(st);
	return h;
}

static const char *
trend(jv h)
{
	int n = jv_array_length(jv_copy(h));

	if (n < 2)
		return "new";
	int from = n > 5 ? n - 5 : 0;
	jv a = jv_array_get(jv_copy(h), from), b = jv_array_get(jv_copy(h), n - 1);
	double d = bi_get_num(b, "score", 0) - bi_get_num(a, "score", 0);
	jv_free(a);
	jv_free(b);
	return d > 5 ? "improving" : d < -5 ? "declining" : "steady";
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-save", no_argument, NULL, 'n'},
		{"history", no_argument, NULL, 'H'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int save = 1, only_history = 0, c;
	char *dbpath = NULL;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': save = 0; break;
		case 'H': only_history = 1; break;
		case 'd': dbpath = bi_strdup(optarg); break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	jv cfg = bi_config();
	const char *project = bi_jv_path_str(cfg, "name", NULL);
	if (!dbpath)
		dbpath = bi_store_path();
	char err[512];
	sqlite3 *db = bi_store_open(dbpath, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	if (only_history) {
		jv h = history(db, project, jv_invalid(), 0);
		jv_array_foreach(h, i, e) {
			jv r = bi_record("score");
			r = bi_set(r, "ts", jv_object_get(jv_copy(e), jv_string("ts")));
			r = bi_set(r, "score", jv_object_get(jv_copy(e), jv_string("score")));
			r = bi_set(r, "max", jv_number(100));
			bi_write(r);
			jv_free(e);
		}
		jv_free(h);
		bi_write_flush();
		return BI_EXIT_OK;
	}

	jv latest = jv_object();
	if (optind == argc)
		read_chaos(STDIN_FILENO, "stdin", &latest);
	for (int i = optind; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f)
			bi_die(BI_EXIT_USAGE, "cannot open %s:", argv[i]);
		read_chaos(fileno(f), argv[i], &latest);
		fclose(f);
	}
	/* Scenarios configured but absent count too: untested is not safe. */
	jv want = bi_jv_path(cfg, "chaos.scenarios");
	jv missing = jv_array();
	if (jv_get_kind(want) == JV_KIND_ARRAY) {
		jv_array_foreach(want, i, s) {
			if (jv_get_kind(s) == JV_KIND_STRING && !jv_object_has(jv_copy(latest), jv_copy(s)))
				missing = jv_array_append(missing, jv_copy(s));
			jv_free(s);
		}
	}
	jv_free(want);
	int n = jv_object_length(jv_copy(latest)) + jv_array_length(jv_copy(missing));
	if (n == 0)
		bi_die(BI_EXIT_FAIL, "no chaos records to score (bi-chaos writes them)");

	double points = 0;
	jv scen = jv_array(), gaps = jv_array(), strengths = jv_array(), recs = jv_array();
	jv_object_foreach(latest, k, rec) {
		const char *name = jv_string_value(k), *st = bi_get_str(rec, "status");
		const char *reason = bi_get_str(rec, "reason");
		jv rv = jv_object_get(jv_copy(rec), jv_string("recovery_ms"));
		double ms = jv_get_kind(rv) == JV_KIND_NUMBER ? jv_number_value(rv) : NAN;
		jv_free(rv);
		double p = 0;
		if (!strcmp(st, "passed")) {
			p = 15 + bonus(ms);
			if (!isnan(ms) && ms < 5000)
				strengths = jv_array_append(strengths, jv_string_fmt(
					"recovers from %s in %.1f s", name, ms / 1000));
		} else if (!strcmp(st, "failed")) {
			const struct lesson *l = lesson(name);
			char *d = bi_asprintf("%s: %s", name, reason ? reason : "failed");
			gaps = jv_array_append(gaps, gap(l ? l->severity : "high", l ? l->gap : name, d, name));
			free(d);
			if (l)
				recs = jv_array_append(recs, bi_set(bi_set(jv_object(), "title", jv_string(l->advice)),
								 "scenario", jv_string(name)));
		} else {
			char *d = bi_asprintf("%s: %s", name, reason ? reason : "could not run");
			gaps = jv_array_append(gaps, gap("low", "coverage gap", d, name));
			free(d);
		}
		if (!isnan(ms) && ms > 30000) {
			char *d = bi_asprintf("%s took %.0f s to be healthy again", name, ms / 1000);
			gaps = jv_array_append(gaps, gap("medium", "slow recovery", d, name));
			free(d);
		}
		points += p;
		jv e = bi_set(bi_set(jv_object(), "scenario", jv_string(name)), "status", jv_string(st));
		e = bi_set(e, "points", jv_number(p));
		e = bi_set(e, "recovery_ms", isnan(ms) ? jv_null() : jv_number(ms));
		e = bi_set(e, "summary", jv_string_fmt("%-16s %-7s %2.0f points", name, st, p));
		scen = jv_array_append(scen, e);
		jv_free(k);
		jv_free(rec);
	}
	jv_array_foreach(missing, i, s) {
		char *d = bi_asprintf("%s: configured but never run", jv_string_value(s));
		gaps = jv_array_append(gaps, gap("low", "coverage gap", d, jv_string_value(s)));
		free(d);
		jv e = bi_set(jv_object(), "summary", jv_string_fmt("%-16s %-7s %2d points", jv_string_value(s),
								  "not run", 0));
		e = bi_set(bi_set(e, "scenario", s), "status", jv_string("not run"));
		e = bi_set(e, "points", jv_number(0));
		scen = jv_array_append(scen, e);
	}
	jv_free(missing);
	double score = round(points / (25.0 * n) * 100);

	jv out = bi_record("score");
	if (project)
		out = bi_set(out, "project", jv_string(project));
	out = bi_set(out, "score", jv_number(score));
	out = bi_set(out, "max", jv_number(100));
	out = bi_set(out, "points", jv_number(points));
	out = bi_set(out, "possible", jv_number(25.0 * n));
	out = bi_set(out, "scenarios", scen);
	out = bi_set(out, "strengths", strengths);
	out = bi_set(out, "gaps", gaps);
	out = bi_set(out, "recommendations", recs);
	jv h = history(db, project, save ? out : jv_invalid(), score);
	out = bi_set(out, "trend", jv_string(trend(h)));
	out = bi_set(out, "history", h);
	bi_write(out);
	bi_write_flush();
	sqlite3_close(db);
	jv_free(cfg);
	free(dbpath);
	return BI_EXIT_OK;
}
