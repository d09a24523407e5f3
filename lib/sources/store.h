/* sources/store.h: the interface of store.c (layer: sources). */
#ifndef BI_SOURCES_STORE_H
#define BI_SOURCES_STORE_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Open (creating) a sqlite database in WAL mode with a busy timeout and bring
 * its schema up to date: migration i (0-based) runs when PRAGMA user_version
 * is <= i, each in its own transaction. NULL with a message in err on failure. */
sqlite3 *bi_store_open_with(const char *path, const char *const *migrations,
			    int n, char *err, size_t errlen);

/* The project database: $BI_DB, else PROJECT/.blissful-infra/bi.db, else
 * ./.blissful-infra/bi.db. */
char *bi_store_path(void);

/* Open the database at path with blissful-infra's own schema, making its
 * folder when needed: NULL with the reason in err when it cannot be. */
sqlite3 *bi_store_open(const char *path, char *err, size_t errlen);
int bi_store_version(void);	/* the latest schema version */

/* A record's identity: a 64-bit hash of its fields, whatever their order
 * (a record collected twice, its keys in another order, is the same
 * record). Strings, numbers and literals are hashed as they are; nested
 * objects and arrays by their dump with sorted keys. rec is borrowed. */
uint64_t bi_store_record_hash(jv rec);

/* Bytes in the pages of tables (a NULL-terminated list) and their indexes:
 * what one part of the database holds, for a retention by size that must
 * not count the other parts. Without SQLite's dbstat table, the whole
 * database's bytes in use. -1 on a database error. */
int64_t bi_store_bytes(sqlite3 *db, const char *const *tables);

/* The whole database's bytes in use: its pages less the free ones
 * (pages still in the WAL count); -1 on a database error. */
int64_t bi_store_in_use(sqlite3 *db);

/* The same, for a retention that only asks whether tables hold more than
 * cap: when the whole database holds no more, its bytes in use (a bound
 * from above, read in three pragmas), else bi_store_bytes, which reads
 * every page of the tables (0.3 s for a million records). */
int64_t bi_store_bytes_upto(sqlite3 *db, const char *const *tables, int64_t cap);

/* The thin layer every reader and writer of the database goes through.
 * Nothing here exits: a function that fails returns -1 (or NULL) and the
 * database's own message is then bi_sql_error(db)'s. */
const char *bi_sql_error(sqlite3 *db);

/* A statement for sql: NULL on error. */
sqlite3_stmt *bi_sql_prepare(sqlite3 *db, const char *sql);

/* Step st: 1 when a row is ready, 0 when it is done, -1 on an error (st is
 * then reset). bi_sql_run steps a statement with no rows to the end and
 * resets it for its next use: 0, or -1. */
int bi_sql_step(sqlite3_stmt *st);
int bi_sql_run(sqlite3_stmt *st);

/* Run SQL with no result (several statements allowed): 0, or -1. */
int bi_sql_exec(sqlite3 *db, const char *sql);

/* The first column of sql's first row as an integer; def when there is no
 * row or the statement fails. */
int64_t bi_sql_int(sqlite3 *db, const char *sql, int64_t def);

/* Bind a string, or NULL as SQL NULL; columns as jv: a string (or null),
 * and a time kept as ns since the epoch as RFC 3339 (or null). */
void bi_sql_bind_str(sqlite3_stmt *st, int i, const char *s);
jv bi_sql_col_str(sqlite3_stmt *st, int i);
jv bi_sql_col_ts(sqlite3_stmt *st, int i);

/* A write transaction. BEGIN IMMEDIATE takes the write lock at once,
 * waiting (the busy timeout, BI_SQL_WAIT_MS) while another writer holds
 * it. A transaction begun as deferred and upgraded by its first write
 * would instead fail at once when another writer holds the lock: SQLite
 * refuses the upgrade without waiting, to avoid a deadlock. So every
 * writer begins with bi_sql_begin. 0, or -1 (the lock not had in time). */
#define BI_SQL_WAIT_MS 10000
int bi_sql_begin(sqlite3 *db);
int bi_sql_commit(sqlite3 *db);
void bi_sql_rollback(sqlite3 *db);	/* cannot fail in a way one can act on */

#endif
