/* test-db: the one query interface, on SQLite: parameters by index and
 * by number, typed columns, NULLs, times, a schema migrated once, a table
 * looked for, transactions rolled back, and errors returned, never exits.
 * A PostgreSQL server that cannot be reached: NULL with its reason (the
 * same interface on a real server is tests/cli/0303-bi-kb-postgres.t's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "sources/db.h"
#include "tap.h"

int
main(void)
{
	char err[512], dir[] = "/tmp/bi-test-db-XXXXXX";
	static const char *const schema[] = {
		"CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, x REAL, at INTEGER);",
		"CREATE INDEX t_n ON t (n);",
	};

	plan(16);
	bi_init("test-db");
	mkdtemp(dir);
	ok(bi_db_is_url("postgres://u@h/db") && bi_db_is_url("postgresql://h/db") &&
	   !bi_db_is_url("/tmp/x.db") && !bi_db_is_url(NULL), "URLs told from paths");
	char *path = bi_asprintf("%s/t.db", dir);
	sqlite3 *s;
	sqlite3_open(path, &s);
	bi_db *db = bi_db_sqlite(s);
	ok(bi_db_sqlite_handle(db) == s, "the SQLite handle under it");
	ok(bi_db_has_table(db, "t") == 0, "no table t yet");
	ok(bi_db_migrate(db, "test", schema, 2, err, sizeof err) == 0, "migrated: %s", err);
	ok(bi_db_migrate(db, "test", schema, 2, err, sizeof err) == 0 && bi_db_has_table(db, "t") == 1,
	   "again: nothing to do, and t is there");
	ok(bi_db_migrate(db, "test", schema, 1, err, sizeof err) != 0 && strstr(err, "newer"),
	   "a schema newer than known: refused (%s)", err);

	bi_dbq *in = bi_db_prepare(db, "INSERT INTO t (id, n, x, at) VALUES (?, ?, ?, ?)");
	ok(bi_db_begin(db) == 0, "a write transaction");
	bi_db_bind_str(in, 1, "a");
	bi_db_bind_int(in, 2, 7);
	bi_db_bind_num(in, 3, 0.25);
	bi_db_bind_int(in, 4, 1764000000000000000LL);
	ok(bi_db_run(in) == 0, "a row inserted");
	bi_db_bind_str(in, 1, "b");
	bi_db_bind_null(in, 2);
	bi_db_bind_null(in, 3);
	bi_db_bind_null(in, 4);
	ok(bi_db_run(in) == 0 && bi_db_commit(db) == 0, "bindings replaced, another row, committed");
	ok(bi_db_run(in) == -1 && strstr(bi_db_error(db), "UNIQUE"), "a duplicate: -1 (%s)",
	   bi_db_error(db));
	bi_db_finalize(in);

	bi_dbq *q = bi_db_prepare(db, "SELECT id, n, x, at FROM t WHERE ?1 IS NULL OR id = ?1 "
				  "ORDER BY id");
	bi_db_bind_str(q, 1, "a");
	ok(bi_db_step(q) == 1 && !strcmp(bi_db_col_text(q, 0), "a") && bi_db_col_int(q, 1) == 7 &&
	   bi_db_col_num(q, 2) == 0.25, "a row by a numbered parameter, its columns typed");
	jv ts = bi_db_col_ts(q, 3);
	is_str(jv_string_value(ts), "2025-11-24T16:00:00.000Z", "a time in ns as RFC 3339");
	jv_free(ts);
	ok(bi_db_step(q) == 0, "then done");
	bi_db_reset(q);
	bi_db_bind_str(q, 1, NULL);
	int rows = 0, nulls = 0;
	while (bi_db_step(q) == 1) {
		rows++;
		jv t = bi_db_col_ts(q, 3), n = bi_db_col_str(q, 1);
		nulls += bi_db_col_null(q, 1) && jv_get_kind(t) == JV_KIND_NULL &&
			 jv_get_kind(n) == JV_KIND_NULL;
		jv_free(t);
		jv_free(n);
	}
	ok(rows == 2 && nulls == 1, "reset and bound again: every row, NULLs as null");
	bi_db_finalize(q);
	ok(bi_db_prepare(db, "SELECT nope FROM t") == NULL && *bi_db_error(db), "a bad statement: NULL");

	/* No server listens on port 1 of loopback. */
	ok(bi_db_pg("postgresql://bi@127.0.0.1:1/kb?connect_timeout=2", err, sizeof err) == NULL && *err,
	   "an unreachable server: NULL (%s)", err);
	bi_db_close(db);
	unlink(path);
	rmdir(dir);
	free(path);
	return done();
}
