/* sources/db.h: the interface of db.c (layer: sources). */
#ifndef BI_SOURCES_DB_H
#define BI_SOURCES_DB_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* One way to query a database that is either SQLite (a file) or
 * PostgreSQL (a postgres:// URL), for the parts of the schema both keep
 * alike (the knowledge base). SQL is written once in the dialect both
 * understand, with ? or ?N parameters, bound by index from 1. Nothing here
 * exits: a function that fails returns -1 (or NULL), and the database's
 * own message is then bi_db_error's. */
typedef struct bi_db bi_db;
typedef struct bi_dbq bi_dbq;

/* Whether where names a PostgreSQL server (postgres:// or postgresql://). */
int bi_db_is_url(const char *where);

/* A handle over an open SQLite database (adopted: closed by bi_db_close). */
bi_db *bi_db_sqlite(sqlite3 *s);

/* Connect to the PostgreSQL server of url: NULL with the reason in err
 * (the server unreachable, or refusing us). */
bi_db *bi_db_pg(const char *url, char *err, size_t errlen);

/* The SQLite handle under db, NULL when db is PostgreSQL. */
sqlite3 *bi_db_sqlite_handle(bi_db *db);

void bi_db_close(bi_db *db);	/* NULL is fine */
const char *bi_db_error(bi_db *db);

/* Whether table exists: 1, 0, or -1 on an error. */
int bi_db_has_table(bi_db *db, const char *table);

/* Bring the schema named name up to date: migration i runs once, when the
 * version kept for name in table bi_schema is <= i, all in one write
 * transaction. 0, or -1 with the reason in err. */
int bi_db_migrate(bi_db *db, const char *name, const char *const *migrations, int n,
		  char *err, size_t errlen);

/* A statement for sql: NULL on an error. Bindings stay across a reset. */
bi_dbq *bi_db_prepare(bi_db *db, const char *sql);
void bi_db_bind_str(bi_dbq *q, int i, const char *s);	/* NULL: SQL NULL */
void bi_db_bind_int(bi_dbq *q, int i, int64_t v);
void bi_db_bind_num(bi_dbq *q, int i, double v);
void bi_db_bind_null(bi_dbq *q, int i);

/* Step q: 1 when a row is ready, 0 when done, -1 on an error (q is then
 * reset). bi_db_run steps a statement with no rows to its end and resets
 * it: 0, or -1. bi_db_reset readies q to run again. */
int bi_db_step(bi_dbq *q);
int bi_db_run(bi_dbq *q);
void bi_db_reset(bi_dbq *q);
void bi_db_finalize(bi_dbq *q);	/* NULL is fine */

/* The current row's columns, from 0. A text is borrowed until the next
 * step; jv columns: a string (or null), and a time kept as ns since the
 * epoch as RFC 3339 (or null). */
int bi_db_col_null(bi_dbq *q, int i);
const char *bi_db_col_text(bi_dbq *q, int i);
int64_t bi_db_col_int(bi_dbq *q, int i);
double bi_db_col_num(bi_dbq *q, int i);
jv bi_db_col_str(bi_dbq *q, int i);
jv bi_db_col_ts(bi_dbq *q, int i);

/* A write transaction: one writer at a time, waiting for the other
 * (BI_SQL_WAIT_MS) as SQLite's BEGIN IMMEDIATE does; on PostgreSQL an
 * advisory lock held to the end of the transaction. 0, or -1. */
int bi_db_begin(bi_db *db);
int bi_db_commit(bi_db *db);
void bi_db_rollback(bi_db *db);

#endif
