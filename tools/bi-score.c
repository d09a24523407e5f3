/*
 * bi-score: a resilience scorecard from chaos results.
 *
 * Reads `chaos` records (files, or stdin; the latest of each scenario
 * counts) and writes one `score` record, scored as lib/analysis/score.c
 * says: 15 points a scenario that passed plus a bonus for a fast recovery,
 * at most 25, so that every scenario passing fast makes 100; the gaps and
 * recommendations from the advice table (lib/analysis/advice.c, which the
 * user overrides in blissful-infra.yaml's kb.advice). The score joins the
 * project's history (the last 50), and the trend compares the first and
 * last of the latest five.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"
#include "analysis/advice.h"
#include "analysis/score.h"
static const char usage[] =
	"usage: bi-score [--no-save] [--strict] [--db PATH] [FILE...]\n"
	"       bi-score --history\n"
	"Score chaos records for resilience; a score record with gaps, strengths,\n"
	"recommendations, history and trend.\n"
	"\n"
	"      --no-save   do not add this score to the history\n"
	"      --history   only the saved scores, oldest first\n"
	"      --db PATH   the database (default $BI_DB or .blissful-infra/bi.db)\n"
	"      --strict    a malformed line is fatal (exit 2)\n"
	"  -h, --help      show this help\n"
	"      --version   show the version\n"
	"Exit: 0, 2 usage, bad input or no chaos record to score, 4 database or\n"
	"output failure.\n";

static _Noreturn void
db_die(sqlite3 *db)
{
	bi_die(BI_EXIT_LOCAL, "database: %s", bi_sql_error(db));
}

/* Keep current (unless invalid) in the history, then read the project's
 * last 50 scores, oldest first. */
static jv
history(sqlite3 *db, const char *project, jv current)
{
	sqlite3_stmt *st;

	if (jv_is_valid(current)) {
		jv text = jv_dump_string(jv_copy(current), 0);
		if (bi_sql_begin(db))
			db_die(db);
		st = bi_sql_prepare(db, "INSERT INTO scores (ts, project, score, record) VALUES (?, ?, ?, ?)");
		if (!st)
			db_die(db);
		sqlite3_bind_int64(st, 1, bi_now_ns());
		bi_sql_bind_str(st, 2, project);
		sqlite3_bind_double(st, 3, bi_get_num(current, "score", 0));
		bi_sql_bind_str(st, 4, jv_string_value(text));
		/* Keep the last 50. */
		if (bi_sql_run(st) ||
		    bi_sql_exec(db, "DELETE FROM scores WHERE id NOT IN "
				"(SELECT id FROM scores ORDER BY ts DESC LIMIT 50)") ||
		    bi_sql_commit(db))
			db_die(db);
		sqlite3_finalize(st);
		jv_free(text);
	}
	st = bi_sql_prepare(db, "SELECT ts, score FROM (SELECT ts, score FROM scores "
			    "WHERE ?1 IS NULL OR project = ?1 ORDER BY ts DESC LIMIT 50) ORDER BY ts");
	if (!st)
		db_die(db);
	bi_sql_bind_str(st, 1, project);
	jv h = jv_array();
	int rc;
	while ((rc = bi_sql_step(st)) == 1) {
		char ts[BI_TS_LEN];
		jv e = bi_set(jv_object(), "ts", jv_string(bi_ts_fmt(sqlite3_column_int64(st, 0), ts)));
		e = bi_set(e, "score", jv_number(sqlite3_column_double(st, 1)));
		e = bi_set(e, "summary", jv_string_fmt("%s  %.0f", ts, sqlite3_column_double(st, 1)));
		h = jv_array_append(h, e);
	}
	if (rc < 0)
		db_die(db);
	sqlite3_finalize(st);
	return h;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-save", no_argument, NULL, 'n'},
		{"history", no_argument, NULL, 'H'},
		{"db", required_argument, NULL, 'd'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int save = 1, only_history = 0, flags = 0, c;
	char *dbpath = NULL, err[512];

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': save = 0; break;
		case 'H': only_history = 1; break;
		case 'd': dbpath = bi_strdup(optarg); break;
		case 'S': flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (only_history && optind < argc)
		bi_usage_error(usage, "--history reads no records");
	jv cfg = bi_config();
	const char *project = bi_jv_path_str(cfg, "name", NULL);
	size_t nadv;
	bi_advice *adv = bi_advice_load(cfg, NULL, 0, &nadv, err, sizeof err);
	if (!adv)
		bi_die(BI_EXIT_USAGE, "%s", err);
	if (!dbpath)
		dbpath = bi_store_path();

	bi_score *s = bi_score_new();
	if (!only_history) {
		if (bi_score_read(s, argc - optind, argv + optind, flags))
			bi_die(BI_EXIT_USAGE, "not every file could be read: no score");
		/* Scenarios configured but absent count too: untested is not safe. */
		bi_score_expect_config(s, cfg);
		if (bi_score_count(s) == 0)
			bi_die(BI_EXIT_USAGE, "no chaos records to score (bi-chaos writes them)");
	}

	sqlite3 *db = bi_store_open(dbpath, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	if (only_history) {
		jv h = history(db, project, jv_invalid());
		jv_array_foreach(h, i, e) {
			jv r = bi_record("score");
			r = bi_set(r, "ts", jv_object_get(jv_copy(e), jv_string("ts")));
			r = bi_set(r, "score", jv_object_get(jv_copy(e), jv_string("score")));
			bi_write(bi_set(r, "max", jv_number(100)));
			jv_free(e);
		}
		jv_free(h);
	} else {
		jv out = bi_score_record(s, adv, nadv, project);
		jv h = history(db, project, save ? out : jv_invalid());
		out = bi_set(out, "trend", jv_string(bi_score_trend(h)));
		bi_write(bi_set(out, "history", h));
	}
	bi_write_flush();
	sqlite3_close(db);
	bi_score_free(s);
	bi_advice_free(adv, nadv);
	jv_free(cfg);
	free(dbpath);
	return BI_EXIT_OK;
}
