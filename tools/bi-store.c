/*
 * bi-store: the project's record store.
 *
 *   bi-store put [--tee]     keep the records read on stdin
 *   bi-store get [filters]   write them back, oldest first
 *   bi-store stats           what is kept, by kind
 *   bi-store prune           apply the retention now
 *
 * Records live in the project's sqlite database (.blissful-infra/bi.db, or
 * $BI_DB): any kind, with logs' text also in an FTS5 index for keyword search.
 * A record stored twice is kept once, so collecting the same logs again adds
 * nothing. Retention by age, rows and size comes from blissful-infra.yaml's
 * logs.retention (defaults 7d, 1 000 000 rows, 50MB).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/logparse.h"
#include "sources/store.h"
static const char usage[] =
	"usage: bi-store put [--tee] [--strict] [FILE...]\n"
	"       bi-store get [--kind K] [--service S] [--level L] [--grep WORDS]\n"
	"                    [--since WHEN] [--until WHEN] [--limit N]\n"
	"       bi-store stats | prune\n"
	"Keep records in the project's database, and read them back.\n"
	"\n"
	"  --tee           put: also write each record to stdout\n"
	"  --strict        put: a malformed line is fatal (exit 2)\n"
	"  -k, --kind K    get: only this kind (repeatable)\n"
	"  -s, --service S get: only this service (repeatable)\n"
	"  -l, --level L   get: only logs at L or above, and no other kinds\n"
	"  -g, --grep W    get: only logs holding these words (FTS5: whole words)\n"
	"  --since WHEN    get: from a time or a duration ago\n"
	"  --until WHEN    get: up to a time or a duration ago\n"
	"  -n, --limit N   get: the newest N only (still written oldest first)\n"
	"  --db PATH       the database (default $BI_DB, or .blissful-infra/bi.db)\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"Exit: 0, 2 usage or (strict) bad input, 4 database or output failure.\n";

static sqlite3 *db;

/* A database error ends the tool with exit 4; the records committed so far
 * stay committed. */
static _Noreturn void
db_fail(const char *what)
{
	bi_die(BI_EXIT_LOCAL, "database: %s: %s", what, bi_sql_error(db));
}

static sqlite3_stmt *
prepare(const char *sql)
{
	sqlite3_stmt *st = bi_sql_prepare(db, sql);

	if (!st)
		db_fail(sql);
	return st;
}

static void
exec(const char *sql)
{
	if (bi_sql_exec(db, sql))
		db_fail(sql);
}

static void
begin(void)
{
	if (bi_sql_begin(db))
		db_fail("begin");
}

static void
commit(void)
{
	if (bi_sql_commit(db))
		db_fail("commit");
}

/* ---- retention ---- */

/* What logs.retention.max_size counts: the records and their index, not
 * the metrics or the knowledge base, which have limits of their own. */
static const char *const records_tables[] = {"records", "logs_fts_data", "logs_fts_idx",
	"logs_fts_content", "logs_fts_docsize", "logs_fts_config", NULL};

struct retention {
	int64_t max_age, max_rows, max_bytes;
};

static struct retention
retention(void)
{
	jv cfg = bi_config();
	struct retention r = {
		bi_cfg_dur(cfg, "logs.retention.max_age", 7 * 86400 * BI_NS_PER_S),
		(int64_t)bi_jv_path_num(cfg, "logs.retention.max_rows", 1000000),
		50 * 1000 * 1000,
	};
	const char *size = bi_jv_path_str(cfg, "logs.retention.max_size", NULL);
	if (size && bi_size_parse(size, &r.max_bytes) != 0)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: logs.retention.max_size: not a size: %s", size);
	jv_free(cfg);
	return r;
}

static int64_t
one(const char *sql)
{
	int64_t v = bi_sql_int(db, sql, -1);

	if (v < 0)
		db_fail(sql);
	return v;
}

/* Delete the records (and their index entries) older than ts, or the n
 * oldest when n > 0. */
static void
drop(int64_t before, int64_t n)
{
	sqlite3_stmt *st;

	exec("CREATE TEMP TABLE IF NOT EXISTS gone (id INTEGER PRIMARY KEY); DELETE FROM gone");
	if (n > 0) {
		st = prepare("INSERT INTO gone SELECT id FROM records ORDER BY ts LIMIT ?");
		sqlite3_bind_int64(st, 1, n);
	} else {
		st = prepare("INSERT INTO gone SELECT id FROM records WHERE ts < ?");
		sqlite3_bind_int64(st, 1, before);
	}
	if (bi_sql_run(st))
		db_fail("retention");
	sqlite3_finalize(st);
	exec("DELETE FROM logs_fts WHERE rowid IN (SELECT id FROM gone);"
	     "DELETE FROM records WHERE id IN (SELECT id FROM gone);");
}

static void
prune(void)
{
	struct retention r = retention();

	begin();
	drop(bi_now_ns() - r.max_age, 0);
	int64_t rows = one("SELECT count(*) FROM records");
	if (r.max_rows > 0 && rows > r.max_rows)
		drop(0, rows - r.max_rows);
	/* Bytes in use (free pages are reused, so the file stops growing). */
	for (int i = 0; i < 20; i++) {
		int64_t used = bi_store_bytes_upto(db, records_tables, r.max_bytes);
		if (used < 0)
			db_fail("retention");
		rows = one("SELECT count(*) FROM records");
		if (used <= r.max_bytes || rows == 0)
			break;
		drop(0, rows / 10 + 1);
	}
	commit();
}

/* ---- put ---- */

struct put {
	sqlite3_stmt *ins, *fts;
	int tee;
	int64_t max_bytes;
	size_t in_tx, since_prune;
	int open;			/* a transaction is open */
	int64_t pruned_at;		/* mono ns */
	long no_ts, too_big;		/* told once, at the end, with a count */
	char first_too_big[160];
};

static int
put_one(void *ctx, jv rec, bi_reader *r)
{
	struct put *p = ctx;
	const char *kind = bi_get_str(rec, "kind");
	/* Kept as it came (a valid object: the reader checked), and known by
	 * the hash of its fields, so that the same record, its keys in any
	 * order, is one. */
	size_t blen;
	const char *body = bi_reader_text(r, &blen);
	int64_t ts = bi_record_ts(rec);

	/* The write lock is taken with the first record of a batch, not
	 * while waiting for one: an idle put must not keep others waiting. */
	if (!p->open) {
		begin();
		p->open = 1;
	}
	/* A record the retention would drop at once (bigger than the store
	 * may be) is not kept, and would have evicted its neighbours. */
	if ((int64_t)blen > p->max_bytes / 2) {
		if (!p->too_big++)
			snprintf(p->first_too_big, sizeof p->first_too_big, "%s:%zu (%zu bytes)",
				 bi_reader_name(r), bi_reader_lineno(r), blen);
		goto next;
	}
	/* Without a time of its own a record is filed under its arrival, not
	 * under the epoch, where the retention would take it at once. */
	if (ts <= 0) {
		p->no_ts++;
		ts = bi_now_ns();
	}
	sqlite3_bind_text(p->ins, 1, kind ? kind : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p->ins, 2, ts);
	bi_sql_bind_str(p->ins, 3, bi_get_str(rec, "service"));
	int lv = bi_level_rank(bi_get_str(rec, "level"));
	if (kind && !strcmp(kind, "log") && lv >= 0)
		sqlite3_bind_int(p->ins, 4, lv);
	else
		sqlite3_bind_null(p->ins, 4);
	sqlite3_bind_int64(p->ins, 5, (int64_t)bi_store_record_hash(rec));
	sqlite3_bind_text(p->ins, 6, body, (int)blen, SQLITE_TRANSIENT);
	if (bi_sql_run(p->ins))
		db_fail("insert");
	if (sqlite3_changes(db) > 0 && kind && !strcmp(kind, "log")) {
		const char *m = bi_get_str(rec, "msg"), *st = bi_get_str(rec, "stack");
		sqlite3_bind_int64(p->fts, 1, sqlite3_last_insert_rowid(db));
		sqlite3_bind_text(p->fts, 2, m ? m : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(p->fts, 3, st ? st : "", -1, SQLITE_TRANSIENT);
		if (bi_sql_run(p->fts))
			db_fail("index");
	}
next:
	if (p->tee)
		bi_write(rec);
	else
		jv_free(rec);
	p->in_tx++;
	p->since_prune++;
	/* Commit when the input pauses, so a live stream is kept as it comes;
	 * in batches while it pours, so that other writers get their turn.
	 * The retention runs every 10,000 records, and every ten minutes for
	 * a stream that trickles. */
	if (p->in_tx >= 5000 || !bi_reader_ready(r, 0)) {
		commit();
		p->open = 0;
		p->in_tx = 0;
		if (p->since_prune >= 10000 || bi_mono_ns() - p->pruned_at > 600 * BI_NS_PER_S) {
			prune();
			p->since_prune = 0;
			p->pruned_at = bi_mono_ns();
		}
	}
	return 0;
}

static int
put(int argc, char **argv, int tee, int flags)
{
	struct put p = {.tee = tee, .max_bytes = retention().max_bytes};

	p.ins = prepare("INSERT OR IGNORE INTO records (kind, ts, service, level, hash, body) "
			"VALUES (?, ?, ?, ?, ?, ?)");
	p.fts = prepare("INSERT INTO logs_fts (rowid, msg, stack) VALUES (?, ?, ?)");
	p.pruned_at = bi_mono_ns();
	int unread = bi_each(argc, argv, flags, put_one, &p);
	if (p.open)
		commit();
	sqlite3_finalize(p.ins);
	sqlite3_finalize(p.fts);
	prune();
	if (tee)
		bi_write_flush();
	if (p.no_ts)
		bi_warn("%ld record%s without a valid ts: kept under the time %s arrived",
			p.no_ts, p.no_ts == 1 ? "" : "s", p.no_ts == 1 ? "it" : "they");
	if (p.too_big)
		bi_warn("%ld record%s larger than half of logs.retention.max_size not stored "
			"(the first: %s)", p.too_big, p.too_big == 1 ? "" : "s", p.first_too_big);
	return unread ? BI_EXIT_USAGE : BI_EXIT_OK;
}

/* ---- get ---- */

struct filter {
	char **kinds, **services;
	int nkinds, nservices;
	int level;
	const char *grep;
	int64_t since, until;
	long limit;
};

static int
get(const struct filter *f)
{
	bi_buf sql = {0};
	int n = 0;

	bi_buf_adds(&sql, "SELECT body FROM records WHERE 1");
	if (f->nkinds) {
		bi_buf_adds(&sql, " AND kind IN (");
		for (int i = 0; i < f->nkinds; i++)
			bi_buf_printf(&sql, "%s?%d", i ? "," : "", ++n);
		bi_buf_adds(&sql, ")");
	}
	if (f->nservices) {
		bi_buf_adds(&sql, " AND service IN (");
		for (int i = 0; i < f->nservices; i++)
			bi_buf_printf(&sql, "%s?%d", i ? "," : "", ++n);
		bi_buf_adds(&sql, ")");
	}
	if (f->level >= 0)
		bi_buf_printf(&sql, " AND kind = 'log' AND level >= %d", f->level);
	if (f->since)
		bi_buf_printf(&sql, " AND ts >= %lld", (long long)f->since);
	if (f->until)
		bi_buf_printf(&sql, " AND ts <= %lld", (long long)f->until);
	if (f->grep)
		bi_buf_printf(&sql, " AND kind = 'log' AND id IN (SELECT rowid FROM logs_fts "
			      "WHERE logs_fts MATCH ?%d)", ++n);
	if (f->limit > 0)
		bi_buf_printf(&sql, " ORDER BY ts DESC, id DESC LIMIT %ld", f->limit);
	else
		bi_buf_adds(&sql, " ORDER BY ts, id");

	sqlite3_stmt *st = prepare(sql.p);
	n = 0;
	for (int i = 0; i < f->nkinds; i++)
		sqlite3_bind_text(st, ++n, f->kinds[i], -1, SQLITE_STATIC);
	for (int i = 0; i < f->nservices; i++)
		sqlite3_bind_text(st, ++n, f->services[i], -1, SQLITE_STATIC);
	char *match = NULL;
	if (f->grep) {
		/* Each word a quoted FTS5 string, so punctuation is no syntax. */
		bi_buf q = {0};
		for (const char *p = f->grep; *p;) {
			while (*p == ' ')
				p++;
			size_t k = strcspn(p, " ");
			if (!k)
				break;
			bi_buf_adds(&q, q.len ? " \"" : "\"");
			for (size_t j = 0; j < k; j++)
				bi_buf_adds(&q, p[j] == '"' ? "\"\"" : (char[]){p[j], 0});
			bi_buf_adds(&q, "\"");
			p += k;
		}
		match = q.p ? q.p : bi_strdup("\"\"");
		sqlite3_bind_text(st, ++n, match, -1, SQLITE_STATIC);
	}
	char **rows = NULL;
	size_t nrows = 0;
	int rc;
	while ((rc = bi_sql_step(st)) == 1) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		if (f->limit > 0) {	/* the newest N, to be written oldest first */
			rows = bi_realloc(rows, (nrows + 1) * sizeof *rows);
			rows[nrows++] = bi_strdup(body);
		} else {
			bi_write_raw(body, strlen(body));
		}
	}
	if (rc < 0)
		db_fail("query");
	for (size_t i = nrows; i-- > 0;) {
		bi_write_raw(rows[i], strlen(rows[i]));
		free(rows[i]);
	}
	free(rows);
	free(match);
	sqlite3_finalize(st);
	bi_buf_free(&sql);
	bi_write_flush();
	return BI_EXIT_OK;
}

static int
stats(const char *path)
{
	sqlite3_stmt *st = prepare("SELECT kind, count(*), min(ts), max(ts) FROM records GROUP BY kind");
	char a[BI_TS_LEN], b[BI_TS_LEN];
	int64_t used = bi_store_in_use(db);

	if (used < 0)
		db_fail("stats");

	while (sqlite3_step(st) == SQLITE_ROW) {
		jv rec = bi_record("metric");
		rec = jv_object_set(rec, jv_string("name"), jv_string("stored_records"));
		rec = jv_object_set(rec, jv_string("labels"), jv_object_set(jv_object(),
			jv_string("kind"), jv_string((const char *)sqlite3_column_text(st, 0))));
		rec = jv_object_set(rec, jv_string("value"), jv_number(sqlite3_column_int64(st, 1)));
		rec = jv_object_set(rec, jv_string("oldest"), jv_string(bi_ts_fmt(sqlite3_column_int64(st, 2), a)));
		rec = jv_object_set(rec, jv_string("newest"), jv_string(bi_ts_fmt(sqlite3_column_int64(st, 3), b)));
		bi_write(rec);
	}
	sqlite3_finalize(st);
	jv rec = bi_record("metric");
	rec = jv_object_set(rec, jv_string("name"), jv_string("store_bytes"));
	rec = jv_object_set(rec, jv_string("labels"), jv_object_set(jv_object(), jv_string("db"),
							      jv_string(path)));
	rec = jv_object_set(rec, jv_string("value"), jv_number(used));
	rec = jv_object_set(rec, jv_string("unit"), jv_string("bytes"));
	bi_write(rec);
	bi_write_flush();
	return BI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tee", no_argument, NULL, 't'},
		{"strict", no_argument, NULL, 'S'},
		{"kind", required_argument, NULL, 'k'},
		{"service", required_argument, NULL, 's'},
		{"level", required_argument, NULL, 'l'},
		{"grep", required_argument, NULL, 'g'},
		{"since", required_argument, NULL, 'a'},
		{"until", required_argument, NULL, 'b'},
		{"limit", required_argument, NULL, 'n'},
		{"db", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	struct filter f = {.level = -1};
	int tee = 0, flags = 0, c;
	char *path = NULL;
	int64_t now = bi_now_ns();

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "k:s:l:g:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tee = 1; break;
		case 'S': flags |= BI_STRICT; break;
		case 'k':
			f.kinds = bi_realloc(f.kinds, (f.nkinds + 1) * sizeof *f.kinds);
			f.kinds[f.nkinds++] = optarg;
			break;
		case 's':
			f.services = bi_realloc(f.services, (f.nservices + 1) * sizeof *f.services);
			f.services[f.nservices++] = optarg;
			break;
		case 'l':
			f.level = bi_level_rank(bi_level_norm(optarg));
			if (f.level < 0)
				bi_usage_error(usage, "--level: not a level: %s", optarg);
			break;
		case 'g': f.grep = optarg; break;
		case 'a':
			if (bi_when_parse(optarg, now, &f.since))
				bi_usage_error(usage, "--since: not a time or duration: %s", optarg);
			break;
		case 'b':
			if (bi_when_parse(optarg, now, &f.until))
				bi_usage_error(usage, "--until: not a time or duration: %s", optarg);
			break;
		case 'n': {
			char *end;
			f.limit = strtol(optarg, &end, 10);
			if (*end || f.limit <= 0)
				bi_usage_error(usage, "--limit: not a count: %s", optarg);
			break;
		}
		case 'D': path = bi_strdup(optarg); break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind >= argc)
		bi_usage_error(usage, "put, get, stats or prune?");
	const char *cmd = argv[optind++];
	if (!path)
		path = bi_store_path();
	if (strcmp(cmd, "put") && strcmp(cmd, "get") && strcmp(cmd, "stats") && strcmp(cmd, "prune"))
		bi_usage_error(usage, "unknown command: %s", cmd);
	if (strcmp(cmd, "put") && optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	char err[512];
	db = bi_store_open(path, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	int r;
	if (!strcmp(cmd, "put"))
		r = put(argc - optind, argv + optind, tee, flags);
	else if (!strcmp(cmd, "get"))
		r = get(&f);
	else if (!strcmp(cmd, "stats"))
		r = stats(path);
	else {
		prune();
		r = BI_EXIT_OK;
	}
	sqlite3_close(db);
	free(path);
	return r;
}
