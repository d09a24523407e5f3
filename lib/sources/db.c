/*
 * db.c: one query interface over SQLite and PostgreSQL, so that a part of
 * the schema kept on either (the knowledge base, shared by a team on a
 * PostgreSQL server) has one code path for its queries.
 *
 * SQL is written once, in what both dialects accept, with ? or ?N
 * parameters. On SQLite it goes to store.h's thin layer unchanged. On
 * PostgreSQL the parameters become $N (outside quoted strings and names),
 * each bound value is sent as text with its type (text, int8, float8) so
 * that the server never has to guess one (`$1 IS NULL` alone would not
 * tell it), and a statement runs with PQexecParams when first stepped: its
 * rows are then read from the result, one step at a time. Values are never
 * spliced into SQL. Writers serialize on one advisory lock per database,
 * held to the end of their transaction, as SQLite's BEGIN IMMEDIATE does:
 * a read-then-write (is this incident known?) never races another writer.
 *
 * Layer: sources.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/db.h"

#include "base/util.h"
#include "base/time.h"
#include "sources/store.h"

#define TEXTOID 25
#define INT8OID 20
#define FLOAT8OID 701
#define WRITER_LOCK 0x62692d6b62LL	/* "bi-kb": the advisory lock of writers */

struct bi_db {
	sqlite3 *lite;
	PGconn *pg;
	char err[512];
};

struct bi_dbq {
	bi_db *db;
	sqlite3_stmt *st;		/* SQLite */
	char *sql;			/* PostgreSQL: with $N parameters */
	int np;
	char **vals;
	Oid *types;
	PGresult *res;
	int row, nrows;
};

int
bi_db_is_url(const char *where)
{
	return where && (!strncmp(where, "postgres://", 11) || !strncmp(where, "postgresql://", 13));
}

bi_db *
bi_db_sqlite(sqlite3 *s)
{
	bi_db *db = bi_calloc(1, sizeof *db);

	db->lite = s;
	return db;
}

/* The server's notices (a table that already exists, skipped) are not
 * ours to print. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A message from libpq, its first line (the rest is hints), into db->err. */
static void
pg_error(bi_db *db, const char *msg)
{
	snprintf(db->err, sizeof db->err, "%s", msg && *msg ? msg : "unknown error");
	db->err[strcspn(db->err, "\n")] = '\0';
}

bi_db *
bi_db_pg(const char *url, char *err, size_t errlen)
{
	/* A URL libpq cannot read is the caller's mistake (EINVAL), not a
	 * server that does not answer (ECONNREFUSED). */
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &why);
	if (!opts) {
		bi_db tmp;
		pg_error(&tmp, why ? why : "cannot read the URL");
		snprintf(err, errlen, "%s", tmp.err);
		PQfreemem(why);
		errno = EINVAL;
		return NULL;
	}
	PQconninfoFree(opts);

	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK) {
		bi_db tmp;
		pg_error(&tmp, PQerrorMessage(c));
		snprintf(err, errlen, "%s", tmp.err);
		PQfinish(c);
		errno = ECONNREFUSED;
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	bi_db *db = bi_calloc(1, sizeof *db);
	db->pg = c;
	return db;
}

sqlite3 *
bi_db_sqlite_handle(bi_db *db)
{
	return db ? db->lite : NULL;
}

void
bi_db_close(bi_db *db)
{
	if (!db)
		return;
	if (db->lite)
		sqlite3_close(db->lite);
	if (db->pg)
		PQfinish(db->pg);
	free(db);
}

const char *
bi_db_error(bi_db *db)
{
	if (!db)
		return "no database";
	return db->lite ? bi_sql_error(db->lite) : db->err;
}

/* The error of result r into db->err: the server's primary message, as
 * SQLite's are one line; libpq's own when the server sent none. */
static void
pg_result_error(bi_db *db, PGresult *r)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	pg_error(db, m ? m : r ? PQresultErrorMessage(r) : PQerrorMessage(db->pg));
}

/* Run SQL without parameters or rows on PostgreSQL: 0, or -1. */
static int
pg_exec(bi_db *db, const char *sql)
{
	PGresult *r = PQexec(db->pg, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		pg_result_error(db, r);
	PQclear(r);
	return ok ? 0 : -1;
}

/* sql with PostgreSQL's $N for ? and ?N, outside quotes; *np gets the
 * highest parameter number. */
static char *
pg_sql(const char *sql, int *np)
{
	bi_buf b = {0};
	char quote = 0;
	int seq = 0;

	*np = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			bi_buf_add(&b, p, 1);
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			bi_buf_add(&b, p, 1);
		} else if (*p == '?') {
			int k;
			if (p[1] >= '0' && p[1] <= '9') {
				k = (int)strtol(p + 1, (char **)&p, 10);
				p--;
			} else {
				k = ++seq;
			}
			bi_buf_printf(&b, "$%d", k);
			if (k > *np)
				*np = k;
		} else {
			bi_buf_add(&b, p, 1);
		}
	}
	return b.p ? b.p : bi_strdup("");
}

bi_dbq *
bi_db_prepare(bi_db *db, const char *sql)
{
	bi_dbq *q;

	if (db->lite) {
		sqlite3_stmt *st = bi_sql_prepare(db->lite, sql);
		if (!st)
			return NULL;
		q = bi_calloc(1, sizeof *q);
		q->st = st;
	} else {
		q = bi_calloc(1, sizeof *q);
		q->sql = pg_sql(sql, &q->np);
		q->vals = bi_calloc(q->np ? q->np : 1, sizeof *q->vals);
		q->types = bi_calloc(q->np ? q->np : 1, sizeof *q->types);
		q->row = -1;
	}
	q->db = db;
	return q;
}

/* Keep a PostgreSQL parameter: i from 1, v owned (NULL: SQL NULL). */
static void
pg_bind(bi_dbq *q, int i, Oid type, char *v)
{
	if (i < 1 || i > q->np) {
		free(v);
		return;
	}
	free(q->vals[i - 1]);
	q->vals[i - 1] = v;
	q->types[i - 1] = type;
}

void
bi_db_bind_str(bi_dbq *q, int i, const char *s)
{
	if (q->st)
		bi_sql_bind_str(q->st, i, s);
	else
		pg_bind(q, i, TEXTOID, s ? bi_strdup(s) : NULL);
}

void
bi_db_bind_int(bi_dbq *q, int i, int64_t v)
{
	if (q->st)
		sqlite3_bind_int64(q->st, i, v);
	else
		pg_bind(q, i, INT8OID, bi_asprintf("%lld", (long long)v));
}

void
bi_db_bind_num(bi_dbq *q, int i, double v)
{
	if (q->st)
		sqlite3_bind_double(q->st, i, v);
	else
		pg_bind(q, i, FLOAT8OID, bi_asprintf("%.17g", v));
}

void
bi_db_bind_null(bi_dbq *q, int i)
{
	if (q->st)
		sqlite3_bind_null(q->st, i);
	else
		pg_bind(q, i, 0, NULL);
}

void
bi_db_reset(bi_dbq *q)
{
	if (q->st) {
		sqlite3_reset(q->st);
		return;
	}
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	q->nrows = 0;
}

int
bi_db_step(bi_dbq *q)
{
	if (q->st)
		return bi_sql_step(q->st);
	if (!q->res) {
		q->res = PQexecParams(q->db->pg, q->sql, q->np, q->types,
				      (const char *const *)q->vals, NULL, NULL, 0);
		ExecStatusType s = PQresultStatus(q->res);
		if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
			pg_result_error(q->db, q->res);
			bi_db_reset(q);
			return -1;
		}
		q->nrows = s == PGRES_TUPLES_OK ? PQntuples(q->res) : 0;
		q->row = -1;
	}
	return ++q->row < q->nrows ? 1 : 0;
}

int
bi_db_run(bi_dbq *q)
{
	if (q->st)
		return bi_sql_run(q->st);
	int rc;
	while ((rc = bi_db_step(q)) == 1)
		;
	if (rc == 0)
		bi_db_reset(q);
	return rc;
}

void
bi_db_finalize(bi_dbq *q)
{
	if (!q)
		return;
	if (q->st) {
		sqlite3_finalize(q->st);
	} else {
		PQclear(q->res);
		for (int i = 0; i < q->np; i++)
			free(q->vals[i]);
		free(q->vals);
		free(q->types);
		free(q->sql);
	}
	free(q);
}

int
bi_db_col_null(bi_dbq *q, int i)
{
	if (q->st)
		return sqlite3_column_type(q->st, i) == SQLITE_NULL;
	return q->res && q->row >= 0 && q->row < q->nrows && i < PQnfields(q->res) ?
		PQgetisnull(q->res, q->row, i) : 1;
}

const char *
bi_db_col_text(bi_dbq *q, int i)
{
	if (q->st)
		return (const char *)sqlite3_column_text(q->st, i);
	return bi_db_col_null(q, i) ? NULL : PQgetvalue(q->res, q->row, i);
}

int64_t
bi_db_col_int(bi_dbq *q, int i)
{
	if (q->st)
		return sqlite3_column_int64(q->st, i);
	const char *s = bi_db_col_text(q, i);
	return s ? strtoll(s, NULL, 10) : 0;
}

double
bi_db_col_num(bi_dbq *q, int i)
{
	if (q->st)
		return sqlite3_column_double(q->st, i);
	const char *s = bi_db_col_text(q, i);
	return s ? strtod(s, NULL) : 0;
}

jv
bi_db_col_str(bi_dbq *q, int i)
{
	const char *s = bi_db_col_text(q, i);
	return s ? jv_string(s) : jv_null();
}

jv
bi_db_col_ts(bi_dbq *q, int i)
{
	char ts[BI_TS_LEN];

	if (bi_db_col_null(q, i))
		return jv_null();
	return jv_string(bi_ts_fmt(bi_db_col_int(q, i), ts));
}

int
bi_db_begin(bi_db *db)
{
	char sql[160];

	if (db->lite)
		return bi_sql_begin(db->lite);
	snprintf(sql, sizeof sql, "BEGIN; SET LOCAL lock_timeout = %d; "
		 "SELECT pg_advisory_xact_lock(%lld)", BI_SQL_WAIT_MS, WRITER_LOCK);
	if (pg_exec(db, sql) == 0)
		return 0;
	char keep[sizeof db->err];
	memcpy(keep, db->err, sizeof keep);
	pg_exec(db, "ROLLBACK");
	memcpy(db->err, keep, sizeof keep);
	return -1;
}

int
bi_db_commit(bi_db *db)
{
	return db->lite ? bi_sql_commit(db->lite) : pg_exec(db, "COMMIT");
}

void
bi_db_rollback(bi_db *db)
{
	if (db->lite) {
		bi_sql_rollback(db->lite);
		return;
	}
	/* Keep the message of what failed, not of the rollback. */
	char keep[sizeof db->err];
	memcpy(keep, db->err, sizeof keep);
	pg_exec(db, "ROLLBACK");
	memcpy(db->err, keep, sizeof keep);
}

int
bi_db_has_table(bi_db *db, const char *table)
{
	bi_dbq *q = bi_db_prepare(db, db->lite ?
		"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?" :
		"SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
		"AND tablename = ?");
	if (!q)
		return -1;
	bi_db_bind_str(q, 1, table);
	int rc = bi_db_step(q);
	bi_db_finalize(q);
	return rc;
}

int
bi_db_migrate(bi_db *db, const char *name, const char *const *migrations, int n,
	      char *err, size_t errlen)
{
	bi_dbq *q = NULL;
	int version = 0;

	if (bi_db_begin(db))
		goto fail;
	q = bi_db_prepare(db, "CREATE TABLE IF NOT EXISTS bi_schema "
			  "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)");
	if (!q || bi_db_run(q))
		goto fail;
	bi_db_finalize(q);
	q = bi_db_prepare(db, "SELECT version FROM bi_schema WHERE name = ?");
	if (!q)
		goto fail;
	bi_db_bind_str(q, 1, name);
	int rc = bi_db_step(q);
	if (rc < 0)
		goto fail;
	if (rc == 1)
		version = (int)bi_db_col_int(q, 0);
	bi_db_finalize(q);
	q = NULL;
	if (version > n) {
		bi_db_rollback(db);
		snprintf(err, errlen, "schema %s version %d is newer than this program knows (%d); "
			 "upgrade blissful-infra", name, version, n);
		return -1;
	}
	for (int i = version; i < n; i++) {
		int bad = db->lite ? bi_sql_exec(db->lite, migrations[i]) : pg_exec(db, migrations[i]);
		if (bad)
			goto fail;
	}
	if (version < n) {
		q = bi_db_prepare(db, version ? "UPDATE bi_schema SET version = ?2 WHERE name = ?1" :
				  "INSERT INTO bi_schema (name, version) VALUES (?1, ?2)");
		if (!q)
			goto fail;
		bi_db_bind_str(q, 1, name);
		bi_db_bind_int(q, 2, n);
		if (bi_db_run(q))
			goto fail;
		bi_db_finalize(q);
		q = NULL;
	}
	if (bi_db_commit(db))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", bi_db_error(db));
	bi_db_finalize(q);
	bi_db_rollback(db);
	return -1;
}
