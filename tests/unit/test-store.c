/* test-store: WAL, busy timeout, migrations by user_version. */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "sources/store.h"
#include "tap.h"

static int
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *
one_text(sqlite3 *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *st;
	snprintf(buf, sizeof buf, "(none)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

int
main(void)
{
	char err[512];
	char tmpl[] = "/tmp/bi-test-store-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *path = bi_asprintf("%s/sub/dir/t.db", dir);

	plan(20);
	bi_init("test-store");

	const char *v1[] = {"CREATE TABLE a (x INTEGER);", "INSERT INTO a VALUES (1);"};
	const char *v2[] = {"CREATE TABLE a (x INTEGER);", "INSERT INTO a VALUES (1);",
			    "ALTER TABLE a ADD COLUMN y TEXT; UPDATE a SET y = 'two';"};
	const char *bad[] = {"CREATE TABLE a (x INTEGER);", "INSERT INTO a VALUES (1);",
			     "ALTER TABLE a ADD COLUMN y TEXT; UPDATE a SET y = 'two';",
			     "CREATE TABLE b (z); THIS IS NOT SQL;"};

	sqlite3 *db = bi_store_open_with(path, v1, 2, err, sizeof err);
	ok(db == NULL, "a missing directory is an error for open_with");
	char *sub = bi_asprintf("%s/sub/dir", dir);
	bi_mkdirs(sub);
	db = bi_store_open_with(path, v1, 2, err, sizeof err);
	ok(db != NULL, "opened: %s", db ? "" : err);
	is_str(one_text(db, "PRAGMA journal_mode"), "wal", "WAL mode");
	is_num(one_int(db, "PRAGMA user_version"), 2, "two migrations applied");
	is_num(one_int(db, "SELECT count(*) FROM a"), 1, "each ran once");
	sqlite3_close(db);

	db = bi_store_open_with(path, v1, 2, err, sizeof err);
	is_num(one_int(db, "SELECT count(*) FROM a"), 1, "reopening runs nothing again");
	sqlite3_close(db);

	db = bi_store_open_with(path, v2, 3, err, sizeof err);
	is_str(one_text(db, "SELECT y FROM a"), "two", "a new migration runs on an old database");
	sqlite3_close(db);

	db = bi_store_open_with(path, bad, 4, err, sizeof err);
	ok(db == NULL && strstr(err, "migration 4") != NULL, "a failing migration names itself: %s", err);
	db = bi_store_open_with(path, v2, 3, err, sizeof err);
	ok(one_int(db, "SELECT count(*) FROM sqlite_master WHERE name='b'") == 0,
	   "and is rolled back whole");
	is_num(one_int(db, "PRAGMA user_version"), 3, "version unchanged after the failure");
	sqlite3_close(db);

	db = bi_store_open_with(path, v1, 2, err, sizeof err);
	ok(db == NULL && strstr(err, "newer") != NULL, "a newer schema is refused: %s", err);

	/* Bytes: one table's, and the bound that spares reading its pages. */
	db = bi_store_open_with(path, v2, 3, err, sizeof err);
	bi_sql_exec(db, "CREATE TABLE big (t TEXT); CREATE TABLE other (t TEXT);"
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
		    " INSERT INTO big SELECT printf('%0200d', i) FROM n;"
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
		    " INSERT INTO other SELECT printf('%0200d', i) FROM n;");
	static const char *const big[] = {"big", NULL};
	int64_t exact = bi_store_bytes(db, big);
	int64_t all = (int64_t)one_int(db, "PRAGMA page_count") * one_int(db, "PRAGMA page_size");
	ok(exact > 400000 && exact < all - 400000, "a table's bytes, not the other's: %lld of %lld",
	   (long long)exact, (long long)all);
	int64_t used = bi_store_in_use(db);
	ok(used > exact + 400000 && used <= all, "the whole database's bytes in use: %lld",
	   (long long)used);
	is_num(bi_store_bytes_upto(db, big, all), used,
	       "under a cap the whole database meets, that bound, not the table's pages");
	is_num(bi_store_bytes_upto(db, big, exact + 1), exact, "over it, the table's own bytes");
	sqlite3_close(db);

	setenv("BI_DB", path, 1);
	char *p = bi_store_path();
	is_str(p, path, "BI_DB names the database");
	free(p);

	/* A record's identity: its fields, not their order. */
	jv a = jv_parse("{\"kind\":\"log\",\"ts\":\"2026-12-04T00:00:00.000Z\",\"n\":1,\"x\":{\"b\":1,\"a\":[1,2]},\"ok\":true}");
	jv b = jv_parse("{\"ok\":true,\"x\":{\"a\":[1,2],\"b\":1},\"n\":1,\"ts\":\"2026-12-04T00:00:00.000Z\",\"kind\":\"log\"}");
	jv c = jv_parse("{\"kind\":\"log\",\"ts\":\"2026-12-04T00:00:00.000Z\",\"n\":2,\"x\":{\"b\":1,\"a\":[1,2]},\"ok\":true}");
	jv d = jv_parse("{\"kind\":\"log\",\"ts\":\"2026-12-04T00:00:00.000Z\",\"n\":\"1\",\"x\":{\"b\":1,\"a\":[1,2]},\"ok\":true}");
	jv e = jv_parse("{\"a\":\"x\",\"b\":\"y\"}"), f = jv_parse("{\"a\":\"y\",\"b\":\"x\"}");
	ok(bi_store_record_hash(a) == bi_store_record_hash(b), "the same record, keys in another order: one hash");
	ok(bi_store_record_hash(a) != bi_store_record_hash(c), "another value: another hash");
	ok(bi_store_record_hash(a) != bi_store_record_hash(d), "a number and the same digits as a string differ");
	ok(bi_store_record_hash(e) != bi_store_record_hash(f), "values swapped between keys differ");
	jv_free(a); jv_free(b); jv_free(c); jv_free(d); jv_free(e); jv_free(f);

	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		return 1;
	free(rm); free(sub); free(path);
	return done();
}
