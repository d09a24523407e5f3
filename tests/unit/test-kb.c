/* test-kb: the incident store: incidents recorded, seen again, resolved,
 * learned from, exported and imported; suggestions; and database errors
 * returned to the caller, never exiting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/db.h"
#include "analysis/pattern.h"
#include "analysis/kb.h"
#include "tap.h"

static jv
finding(const char *pattern, const char *service, const char *tmpl, const char *first,
	const char *last)
{
	jv f = bi_record("finding");
	f = jv_object_set(f, jv_string("title"), jv_string_fmt("Trouble in %s", service));
	f = jv_object_set(f, jv_string("pattern"), pattern ? jv_string(pattern) : jv_null());
	f = jv_object_set(f, jv_string("service"), jv_string(service));
	f = jv_object_set(f, jv_string("template"), jv_string(tmpl));
	f = jv_object_set(f, jv_string("first_seen"), jv_string(first));
	f = jv_object_set(f, jv_string("last_seen"), jv_string(last));
	f = jv_object_set(f, jv_string("count"), jv_number(3));
	return jv_object_set(f, jv_string("confidence"), jv_number(70));
}

static double
num(jv v, const char *key)
{
	double d = bi_get_num(v, key, -1);
	jv_free(v);
	return d;
}

/* The message of a database error, or "" when v is none (v consumed). */
static const char *
failure(jv v)
{
	static char msg[256];

	msg[0] = '\0';
	if (!jv_is_valid(v) && jv_invalid_has_msg(jv_copy(v))) {
		jv m = jv_invalid_get_msg(v);
		snprintf(msg, sizeof msg, "%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?");
		jv_free(m);
	} else {
		jv_free(v);
	}
	return msg;
}

int
main(void)
{
	char err[512], dir[] = "/tmp/bi-test-kb-XXXXXX";
	size_t n;

	plan(44);
	bi_init("test-kb");
	mkdtemp(dir);
	jv cfg = jv_object();
	bi_kb_pattern *p = bi_kb_patterns(cfg, NULL, 0, &n, err, sizeof err);

	/* Incidents: recorded, seen again, resolved, and learned from. */
	char *path = bi_asprintf("%s/kb.db", dir);
	errno = 0;
	ok(bi_kb_open(path, 0) == NULL && errno == ENOENT && access(path, F_OK) != 0,
	   "no database, not created when only reading (ENOENT)");
	bi_db *db = bi_kb_open(path, 1);
	ok(db != NULL, "created for writing");
	jv f1 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-24T01:00:00.000Z", "2026-11-24T01:05:00.000Z");
	jv inc = bi_kb_record(db, f1);
	char *id = bi_strdup(bi_get_str(inc, "id"));
	ok(!strncmp(id, "inc-", 4) && strlen(id) == 12, "an incident id: %s", id);
	is_str(bi_get_str(inc, "status"), "open", "open");
	jv_free(inc);
	inc = bi_kb_record(db, f1);
	is_str(bi_get_str(inc, "id"), id, "the same occurrence recorded again: the same incident");
	is_num(bi_get_num(inc, "occurrences", 0), 1, "... counted once");
	jv_free(inc);
	jv f2 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-24T02:00:00.000Z", "2026-11-24T02:01:00.000Z");
	inc = bi_kb_record(db, f2);
	is_num(bi_get_num(inc, "occurrences", 0), 2, "a later occurrence of an open incident: 2");
	jv_free(inc);
	jv_free(f1);
	jv_free(f2);

	double before = bi_kb_rate(db, "out-of-memory", 0.85, NULL, NULL);
	near(before, 0.85, 1e-9, "no outcome yet: the pattern's initial rate");
	ok(!jv_is_valid(bi_kb_resolve(db, "inc-nothere", "resolved", "x", 1)), "resolve of no incident: invalid");
	inc = bi_kb_resolve(db, id, "resolved", "Bound the cache to 10 000 entries", bi_now_ns());
	is_str(bi_get_str(inc, "status"), "resolved", "resolved");
	jv_free(inc);
	int k;
	near(bi_kb_rate(db, "out-of-memory", 0.85, NULL, &k), (0.85 * 2 + 1) / 3, 1e-9,
	     "the pattern's rate moves with the outcome");
	is_num(k, 1, "... one outcome counted");
	near(bi_kb_rate(db, "out-of-memory", 0.85, "bound the cache to 10 000 entries ", NULL),
	     (0.85 * 2 + 1) / 3, 1e-9, "a fix is known by its text, whatever its case and spaces");

	/* Seen again after it was resolved: a new incident, and the old one
	 * as the similar incident whose fix worked. */
	jv f3 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-25T09:00:00.000Z", "2026-11-25T09:02:00.000Z");
	inc = bi_kb_record(db, f3);
	ok(strcmp(bi_get_str(inc, "id"), id) != 0, "a recurrence after resolution is a new incident");
	jv_free(inc);
	double best;
	jv adv = bi_kb_advise(db, p, n, f3, &best);
	jv sim = jv_object_get(jv_copy(adv), jv_string("similar"));
	jv first = jv_array_get(jv_copy(sim), 0);
	is_str(bi_get_str(first, "id"), id, "the resolved incident is the most similar");
	is_num(best, 1, "... at similarity 1");
	jv fixes = jv_object_get(jv_copy(adv), jv_string("fixes"));
	jv top = jv_array_get(jv_copy(fixes), 0);
	is_str(bi_get_str(top, "title"), "Bound the cache to 10 000 entries", "its fix comes first");
	near(bi_get_num(top, "success_rate", 0), 0.9, 1e-9, "... with its success rate, rounded");
	jv_free(top);
	jv_free(fixes);
	jv_free(first);
	jv_free(sim);
	jv_free(adv);

	/* Export and import: the same incidents in another database. */
	char *path2 = bi_asprintf("%s/kb2.db", dir);
	bi_db *db2 = bi_kb_open(path2, 1);
	jv all = bi_kb_list(db, NULL, NULL, 0);
	int good = 1;
	jv_array_foreach(all, i, one) {
		good &= bi_kb_import(db2, bi_kb_get(db, bi_get_str(one, "id")), err, sizeof err) == 0;
		jv_free(one);
	}
	jv_free(all);
	ok(good, "every incident imports");
	jv a = bi_kb_get(db, id), b = bi_kb_get(db2, id);
	ok(jv_equal(jv_copy(a), jv_copy(b)), "... exactly as it was, outcomes and finding included");
	jv_free(a);
	jv_free(b);
	near(bi_kb_rate(db2, "out-of-memory", 0.85, NULL, NULL), (0.85 * 2 + 1) / 3, 1e-9,
	     "... and so are the success rates");
	ok(bi_kb_import(db2, jv_parse("{\"kind\":\"incident\",\"id\":\"x\"}"), err, sizeof err) != 0,
	   "an incident without its fields is refused: %s", err);
	is_num(num(jv_array_get(bi_kb_list(db2, "open", NULL, 1), 0), "occurrences"), 1,
	       "list: the newest open one, by status and limit");

	/* Occurrences, fixes tried and suggestions. */
	jv occ = bi_kb_occurrences(db, "out-of-memory");
	is_num(bi_get_num(occ, "occurrences", 0), 3, "occurrences of a pattern: 2 + 1");
	is_str(bi_get_str(occ, "last_seen"), "2026-11-25T09:02:00.000Z", "... and when last");
	jv_free(occ);
	occ = bi_kb_occurrences(db, "disk-pressure");
	ok(bi_get_num(occ, "occurrences", -1) == 0 && !bi_get_str(occ, "last_seen"), "none of another");
	jv_free(occ);
	jv fx = bi_kb_fixes(db, NULL, 0);
	is_str(bi_jv_path_str(fx, "0.fix", "-"), "Bound the cache to 10 000 entries", "the fixes tried");
	jv_free(fx);
	jv sug = bi_kb_suggest(db, p, n);
	ok(jv_get_kind(sug) == JV_KIND_ARRAY && jv_array_length(jv_copy(sug)) == 1,
	   "a suggestion for the one pattern seen");
	is_str(bi_jv_path_str(sug, "0.priority", "-"), "high", "... high while an incident of it is open");
	is_str(bi_jv_path_str(sug, "0.title", "-"), "Out of memory: Bound the cache to 10 000 entries",
	       "... with the fix that worked better than the pattern's own");
	jv_free(sug);

	/* A writer that waits too long gets an error back, and nothing is
	 * kept: another connection holds the write lock. */
	sqlite3 *other;
	sqlite3_open(path, &other);
	sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(bi_db_sqlite_handle(db), 50);
	jv f4 = finding("disk-pressure", "db", "disk full", "2026-11-26T00:00:00.000Z",
			"2026-11-26T00:01:00.000Z");
	ok(strstr(failure(bi_kb_record(db, f4)), "locked") != NULL, "record, locked out: the error returned");
	ok(strstr(failure(bi_kb_resolve(db, id, "partial", "x", 1)), "locked") != NULL,
	   "resolve, locked out: the error returned");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	is_num(num(bi_kb_occurrences(db, "disk-pressure"), "occurrences"), 0, "... nothing kept");
	jv inc4 = bi_kb_record(db, f4);
	ok(jv_is_valid(inc4), "once the lock is free, the same connection writes again");
	jv_free(inc4);
	jv_free(f4);

	/* A broken database: errors returned from every reader and writer. */
	sqlite3_exec(bi_db_sqlite_handle(db2), "DROP TABLE kb_outcomes", NULL, NULL, NULL);
	ok(*failure(bi_kb_get(db2, id)), "get: %s", "an error, not an exit");
	ok(*failure(bi_kb_resolve(db2, id, "resolved", "x", 1)), "resolve: an error");
	ok(bi_kb_rate(db2, "out-of-memory", 0.85, NULL, NULL) < 0, "rate: -1");
	ok(*failure(bi_kb_fixes(db2, NULL, 0)), "fixes: an error");
	ok(*failure(bi_kb_suggest(db2, p, n)), "suggest: an error");
	ok(bi_kb_import(db2, bi_kb_get(db, id), err, sizeof err) == -2 && *err,
	   "import: -2, a database error: %s", err);
	jv f5 = finding("out-of-memory", "app", "cache grew to <*> entries",
			"2026-11-27T09:00:00.000Z", "2026-11-27T09:02:00.000Z");
	jv adv2 = bi_kb_advise(db2, p, n, f5, &best);
	ok(bi_get_str(adv2, "kb_error") && best == 0 &&
	   bi_jv_path_num(adv2, "fixes.0.success_rate", 0) == 0.85,
	   "advise: the pattern's own fixes at their initial rates, and kb_error");
	jv_free(adv2);
	sqlite3_exec(bi_db_sqlite_handle(db2), "DROP TABLE kb_incidents", NULL, NULL, NULL);
	ok(*failure(bi_kb_list(db2, NULL, NULL, 0)), "list: an error");
	jv f6 = finding("x", "y", "z", "2026-11-27T09:00:00.000Z", "2026-11-27T09:00:00.000Z");
	ok(*failure(bi_kb_record(db2, f6)), "record: an error");
	jv_free(f6);
	ok(bi_kb_open("/proc/no/such/kb.db", 1) == NULL && errno == EIO,
	   "a database that cannot be made: NULL, EIO");

	bi_db_close(db);
	bi_db_close(db2);
	bi_kb_patterns_free(p, n);
	jv_free(cfg);
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(id);
	free(path);
	free(path2);
	return done();
}
