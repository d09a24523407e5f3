/* sources/store.h: the interface of store.c (layer: sources). */
#ifndef BI_SOURCES_STORE_H
#define BI_SOURCES_STORE_H

#include <sqlite3.h>
#include <stddef.h>

/* Open (creating) a sqlite database in WAL mode with a busy timeout and bring
 * its schema up to date: migration i (0-based) runs when PRAGMA user_version
 * is <= i, each in its own transaction. NULL with a message in err on failure. */
sqlite3 *bi_store_open_with(const char *path, const char *const *migrations,
			    int n, char *err, size_t errlen);

/* The project database ($BI_DB, else PROJECT/.blissful-infra/bi.db, else
 * ./.blissful-infra/bi.db) with blissful-infra's own schema. Dies (exit 1)
 * when it cannot be opened. */
char *bi_store_path(void);
sqlite3 *bi_store_open(const char *path);
int bi_store_version(void);	/* the latest schema version */

/* Run SQL with no result; die with the statement's error on failure. */
void bi_store_exec(sqlite3 *db, const char *sql);

#endif
