/*
 * store.c: the project's sqlite database. WAL mode so that a reader (the
 * dashboard) never blocks a writer (a scrape loop); writers that take the
 * write lock up front (BEGIN IMMEDIATE) and wait for each other; a schema
 * brought up to date by PRAGMA user_version: migration i runs once, when
 * user_version <= i. Migrations are only ever appended. Below them, the
 * thin layer (prepare, step, bind, column) that every reader and writer of
 * the database uses, so that errors are handled one way: returned.
 *
 * Layer: sources.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/store.h"

#include "base/util.h"
#include "base/time.h"
#include "base/config.h"

static const char *const schema[] = {
	/* 1: what wrote this database */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta VALUES ('created_by', 'blissful-infra');",

	/* 2: bi-store's records; log text searchable by keyword. hash makes a
	 * record stored twice (logs collected again) count once. */
	"CREATE TABLE records ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"		/* ns since the epoch */
	"  service TEXT,"
	"  level INTEGER,"			/* logs: 0 trace .. 5 fatal */
	"  hash INTEGER NOT NULL UNIQUE,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX records_kind_ts ON records (kind, ts);"
	"CREATE INDEX records_ts ON records (ts);"
	"CREATE VIRTUAL TABLE logs_fts USING fts5 (msg, stack);",

	/* 3: the knowledge base (bi-kb, bi-rca): incidents recorded from
	 * findings, and each outcome of a fix tried on one. Times in ns. */
	"CREATE TABLE kb_incidents ("
	"  id TEXT PRIMARY KEY,"
	"  signature TEXT NOT NULL,"		/* pattern, service, template */
	"  pattern TEXT,"
	"  title TEXT NOT NULL,"
	"  service TEXT,"
	"  severity TEXT,"
	"  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),"
	"  fix TEXT,"				/* the last fix tried */
	"  outcome TEXT,"			/* and how it went */
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  recorded INTEGER NOT NULL,"
	"  resolved_at INTEGER,"
	"  occurrences INTEGER NOT NULL DEFAULT 1,"
	"  count INTEGER NOT NULL DEFAULT 0,"	/* records that showed it */
	"  confidence REAL,"
	"  finding TEXT);"			/* the finding, as recorded */
	"CREATE INDEX kb_incidents_signature ON kb_incidents (signature, last_seen);"
	"CREATE INDEX kb_incidents_pattern ON kb_incidents (pattern);"
	"CREATE TABLE kb_outcomes ("
	"  id INTEGER PRIMARY KEY,"
	"  incident TEXT NOT NULL REFERENCES kb_incidents (id) ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL,"
	"  fix TEXT NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('resolved', 'partial', 'failed')));"
	"CREATE INDEX kb_outcomes_incident ON kb_outcomes (incident);",

	/* 4: bi-metrics' history: series (a name and labels, per service),
	 * their samples (times in ms), and alerts with their acknowledgement. */
	"CREATE TABLE metric_series ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"		/* JSON, keys sorted */
	"  type TEXT,"
	"  UNIQUE (service, name, labels));"
	"CREATE TABLE metric_samples ("
	"  series INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  value REAL,"			/* NULL for NaN */
	"  PRIMARY KEY (series, ts)) WITHOUT ROWID;"
	"CREATE INDEX metric_samples_ts ON metric_samples (ts);"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  service TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),"
	"  value REAL,"
	"  threshold REAL,"
	"  fired_at INTEGER NOT NULL,"		/* ms */
	"  resolved_at INTEGER,"
	"  acked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX alerts_state ON alerts (state, name, service);",

	/* 5: bi-score's history: every resilience score, with its record. */
	"CREATE TABLE scores ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"		/* ns */
	"  project TEXT,"
	"  score REAL NOT NULL,"
	"  record TEXT NOT NULL);"
	"CREATE INDEX scores_ts ON scores (project, ts);",

	/* 6: when an alert was last told (ms), for its reminders while it
	 * fires unacknowledged. */
	"ALTER TABLE alerts ADD COLUMN notified_at INTEGER;"
	"UPDATE alerts SET notified_at = fired_at;",
};

int
bi_store_version(void)
{
	return (int)(sizeof schema / sizeof schema[0]);
}

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

sqlite3 *
bi_store_open_with(const char *path, const char *const *migrations, int n,
		   char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BI_SQL_WAIT_MS);
	/* Turning a new database to WAL takes an exclusive lock, and sqlite
	 * answers "locked" at once, without its busy handler, while another
	 * process opening it at the same moment holds one: try again for as
	 * long as a writer would wait. */
	for (int waited = 0;; waited += 10) {
		if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			  "PRAGMA foreign_keys=ON;", err, errlen))
			break;
		if ((sqlite3_errcode(db) & 0xff) != SQLITE_BUSY || waited >= BI_SQL_WAIT_MS)
			goto fail;
		sqlite3_sleep(10);
	}
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > n) {
		snprintf(err, errlen, "%s: schema version %d is newer than this "
			 "program knows (%d); upgrade blissful-infra", path, version, n);
		goto fail;
	}
	for (int i = version; i < n; i++) {
		char pragma[64];
		/* IMMEDIATE: two processes opening a new database at once must
		 * not both run the same migration. */
		if (exec(db, "BEGIN IMMEDIATE", err, errlen))
			goto fail;
		sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
		int now = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_finalize(st);
		if (now > i) {	/* someone else migrated meanwhile */
			exec(db, "COMMIT", err, errlen);
			i = now - 1;
			continue;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", i + 1);
		if (exec(db, migrations[i], err, errlen) || exec(db, pragma, err, errlen)) {
			char keep[256];
			snprintf(keep, sizeof keep, "%s", err);
			exec(db, "ROLLBACK", err, errlen);
			snprintf(err, errlen, "%s: migration %d: %s", path, i + 1, keep);
			goto fail;
		}
		if (exec(db, "COMMIT", err, errlen))
			goto fail;
	}
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

char *
bi_store_path(void)
{
	const char *env = getenv("BI_DB");
	char *dir;

	if (env && *env)
		return bi_strdup(env);
	dir = bi_project_dir();
	char *path = bi_asprintf("%s/.blissful-infra/bi.db", dir ? dir : ".");
	free(dir);
	return path;
}

sqlite3 *
bi_store_open(const char *path, char *err, size_t errlen)
{
	char *dir = bi_strdup(path), *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		if (bi_mkdirs(dir) != 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return NULL;
		}
	}
	free(dir);
	return bi_store_open_with(path, schema, bi_store_version(), err, errlen);
}

/* splitmix64's finalizer: FNV-1a's bits spread, so that summing the hashes
 * of the fields does not let two fields cancel out. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

uint64_t
bi_store_record_hash(jv rec)
{
	uint64_t sum = 0;
	int n = 0;

	jv_object_foreach(rec, k, v) {	/* borrows rec */
		bi_buf b = {0};
		bi_buf_adds(&b, jv_string_value(k));
		switch (jv_get_kind(v)) {
		case JV_KIND_STRING:
			bi_buf_add(&b, "\0s", 2);
			bi_buf_add(&b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
			break;
		case JV_KIND_NUMBER: {
			double d = jv_number_value(v);
			bi_buf_add(&b, "\0n", 2);
			bi_buf_add(&b, &d, sizeof d);
			break;
		}
		default: {
			jv t = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
			bi_buf_add(&b, "\0j", 2);
			bi_buf_adds(&b, jv_string_value(t));
			jv_free(t);
		}
		}
		sum += mix(bi_hash64(b.p, b.len));
		n++;
		bi_buf_free(&b);
		jv_free(k);
		jv_free(v);
	}
	return mix(sum + (uint64_t)n);
}

int64_t
bi_store_in_use(sqlite3 *db)
{
	int64_t pages = bi_sql_int(db, "PRAGMA page_count", -1);
	int64_t free = bi_sql_int(db, "PRAGMA freelist_count", -1);
	int64_t size = bi_sql_int(db, "PRAGMA page_size", -1);

	return pages < 0 || free < 0 || size < 0 ? -1 : (pages - free) * size;
}

int64_t
bi_store_bytes_upto(sqlite3 *db, const char *const *tables, int64_t cap)
{
	int64_t all = bi_store_in_use(db);

	return all < 0 || all > cap ? bi_store_bytes(db, tables) : all;
}

int64_t
bi_store_bytes(sqlite3 *db, const char *const *tables)
{
	sqlite3_stmt *st = bi_sql_prepare(db,
		"SELECT coalesce(sum((SELECT pgsize FROM dbstat WHERE name = s.name "
		"AND aggregate = 1)), 0) FROM sqlite_schema s WHERE s.tbl_name = ?1");
	int64_t total = 0;

	if (!st)	/* no dbstat in this SQLite */
		return bi_store_in_use(db);
	for (; *tables && total >= 0; tables++) {
		sqlite3_bind_text(st, 1, *tables, -1, SQLITE_STATIC);
		if (bi_sql_step(st) == 1)
			total += sqlite3_column_int64(st, 0);
		else
			total = -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return total;
}

/* ---- the thin layer ---- */

const char *
bi_sql_error(sqlite3 *db)
{
	return sqlite3_errmsg(db);
}

sqlite3_stmt *
bi_sql_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
bi_sql_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	sqlite3_reset(st);
	return -1;
}

int
bi_sql_run(sqlite3_stmt *st)
{
	int rc;

	while ((rc = bi_sql_step(st)) == 1)
		;
	sqlite3_reset(st);
	return rc;
}

int
bi_sql_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int64_t
bi_sql_int(sqlite3 *db, const char *sql, int64_t def)
{
	sqlite3_stmt *st = bi_sql_prepare(db, sql);
	int64_t v = def;

	if (st && bi_sql_step(st) == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void
bi_sql_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

jv
bi_sql_col_str(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? jv_string(s) : jv_null();
}

jv
bi_sql_col_ts(sqlite3_stmt *st, int i)
{
	char ts[BI_TS_LEN];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return jv_null();
	return jv_string(bi_ts_fmt(sqlite3_column_int64(st, i), ts));
}

int
bi_sql_begin(sqlite3 *db)
{
	return bi_sql_exec(db, "BEGIN IMMEDIATE");
}

int
bi_sql_commit(sqlite3 *db)
{
	return bi_sql_exec(db, "COMMIT");
}

void
bi_sql_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
