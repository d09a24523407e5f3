/*
 * kb.c: the knowledge base's incident store. Incidents are findings kept in
 * the project database with how each fix went, and from those outcomes
 * come the success rates shown next time: a fix's rate starts at its
 * pattern's rate (counted as two outcomes) and moves with every outcome
 * recorded (resolved 1, partial 0.5, failed 0). A finding is advised with
 * the past incidents like it (Jaccard similarity of their signatures'
 * words, pattern.c's) and the fixes that worked for them.
 *
 * The incidents are kept in the project's SQLite database or, for a team
 * that learns from one history, on a PostgreSQL server (a postgres:// URL
 * where a path would be), in the same tables. Every query goes through
 * db.h's one interface over both, written once in SQL both accept, and
 * returns its errors: nothing here exits. A write takes the lock up front (bi_db_begin) and
 * rolls back on an error; no statement is left stepped on a row while
 * another runs, so that a read never holds a snapshot a writer would have
 * to wait out.
 *
 * Layer: analysis.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analysis/kb.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/db.h"
#include "sources/store.h"

#define PRIOR_WEIGHT 2.0	/* outcomes a pattern's initial rate counts for */
#define NEW_FIX_RATE 0.5	/* the prior of a fix for no known pattern */
#define SIMILAR_MIN 0.1		/* Jaccard above which incidents are similar */
#define SIMILAR_TOP 5

/* The knowledge base's tables on a PostgreSQL server: those of store.c's
 * migration 3, in PostgreSQL's types (times in ns need 64 bits). */
static const char *const pg_schema[] = {
	"CREATE TABLE kb_incidents ("
	"  id TEXT PRIMARY KEY,"
	"  signature TEXT NOT NULL,"
	"  pattern TEXT,"
	"  title TEXT NOT NULL,"
	"  service TEXT,"
	"  severity TEXT,"
	"  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),"
	"  fix TEXT,"
	"  outcome TEXT,"
	"  first_seen BIGINT NOT NULL,"
	"  last_seen BIGINT NOT NULL,"
	"  recorded BIGINT NOT NULL,"
	"  resolved_at BIGINT,"
	"  occurrences BIGINT NOT NULL DEFAULT 1,"
	"  count BIGINT NOT NULL DEFAULT 0,"
	"  confidence DOUBLE PRECISION,"
	"  finding TEXT);"
	"CREATE INDEX kb_incidents_signature ON kb_incidents (signature, last_seen);"
	"CREATE INDEX kb_incidents_pattern ON kb_incidents (pattern);"
	"CREATE TABLE kb_outcomes ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  incident TEXT NOT NULL REFERENCES kb_incidents (id) ON DELETE CASCADE,"
	"  ts BIGINT NOT NULL,"
	"  fix TEXT NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('resolved', 'partial', 'failed')));"
	"CREATE INDEX kb_outcomes_incident ON kb_outcomes (incident);",
};

bi_db *
bi_kb_connect(const char *where, int create, char *err, size_t errlen)
{
	if (bi_db_is_url(where)) {
		bi_db *db = bi_db_pg(where, err, errlen);
		if (!db)
			return NULL;	/* errno: EINVAL a bad URL, ECONNREFUSED */
		/* Reading finds nothing where nothing was recorded; only a
		 * writer makes the tables. */
		int has = bi_db_has_table(db, "bi_schema");
		if (has < 0 || (create && bi_db_migrate(db, "kb", pg_schema,
				sizeof pg_schema / sizeof *pg_schema, err, errlen))) {
			if (has < 0)
				snprintf(err, errlen, "%s", bi_db_error(db));
			bi_db_close(db);
			errno = EIO;
			return NULL;
		}
		if (!has && !create) {
			snprintf(err, errlen, "%s: no knowledge base recorded", where);
			bi_db_close(db);
			errno = ENOENT;
			return NULL;
		}
		return db;
	}
	if (!create && access(where, F_OK) != 0) {
		snprintf(err, errlen, "%s: no such file", where);
		errno = ENOENT;
		return NULL;
	}
	sqlite3 *s = bi_store_open(where, err, errlen);
	if (!s) {
		errno = EIO;
		return NULL;
	}
	return bi_db_sqlite(s);
}

bi_db *
bi_kb_open(const char *where, int create)
{
	char err[512];

	return bi_kb_connect(where, create, err, sizeof err);
}

/* The database's error, as an invalid jv with its message. */
static jv
db_error(bi_db *db)
{
	return jv_invalid_with_msg(jv_string(bi_db_error(db)));
}

/* The same, for a write that failed: its transaction rolled back. */
static jv
db_abort(bi_db *db)
{
	jv e = db_error(db);

	bi_db_rollback(db);
	return e;
}

/* Step st (bound, with no rows) to its end and finalize it: 0, or -1. */
static int
run(bi_dbq *st)
{
	int rc = st ? bi_db_run(st) : -1;

	bi_db_finalize(st);
	return rc;
}

#define INCIDENT_COLS "id, signature, pattern, title, service, severity, status, fix, " \
	"outcome, first_seen, last_seen, resolved_at, occurrences, count, confidence"

static jv
incident_row(bi_dbq *st)
{
	char ts[BI_TS_LEN];
	static const char *const names[] = {"id", "signature", "pattern", "title", "service",
					    "severity", "status", "fix", "outcome"};
	jv r = bi_set(jv_object(), "kind", jv_string("incident"));

	r = bi_set(r, "ts", jv_string(bi_ts_fmt(bi_db_col_int(st, 9), ts)));
	for (int i = 0; i < 9; i++)
		r = bi_set(r, names[i], bi_db_col_str(st, i));
	r = bi_set(r, "first_seen", bi_db_col_ts(st, 9));
	r = bi_set(r, "last_seen", bi_db_col_ts(st, 10));
	r = bi_set(r, "resolved_at", bi_db_col_ts(st, 11));
	r = bi_set(r, "occurrences", jv_number(bi_db_col_int(st, 12)));
	r = bi_set(r, "count", jv_number(bi_db_col_int(st, 13)));
	return bi_set(r, "confidence", bi_db_col_null(st, 14) ?
		      jv_null() : jv_number(bi_db_col_num(st, 14)));
}

static jv
outcomes(bi_db *db, const char *id)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT ts, fix, outcome FROM kb_outcomes "
					  "WHERE incident = ? ORDER BY ts, id");
	jv a = jv_array();
	int rc;

	if (!st)
		return jv_free(a), db_error(db);
	bi_db_bind_str(st, 1, id);
	while ((rc = bi_db_step(st)) == 1) {
		jv o = bi_set(jv_object(), "ts", bi_db_col_ts(st, 0));
		o = bi_set(o, "fix", bi_db_col_str(st, 1));
		a = jv_array_append(a, bi_set(o, "outcome", bi_db_col_str(st, 2)));
	}
	if (rc < 0) {
		jv_free(a);
		a = db_error(db);
	}
	bi_db_finalize(st);
	return a;
}

jv
bi_kb_get(bi_db *db, const char *id)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT " INCIDENT_COLS ", finding FROM kb_incidents "
					  "WHERE id = ?");
	jv r = jv_invalid(), finding = jv_null();

	if (!st)
		return db_error(db);
	bi_db_bind_str(st, 1, id);
	int rc = bi_db_step(st);
	if (rc == 1) {
		r = incident_row(st);
		const char *f = bi_db_col_text(st, 15);
		finding = f ? jv_parse(f) : jv_null();
	} else if (rc < 0) {
		r = db_error(db);
	}
	bi_db_finalize(st);
	if (!jv_is_valid(r)) {
		jv_free(finding);
		return r;
	}
	jv outs = outcomes(db, id);
	if (!jv_is_valid(outs)) {
		jv_free(r);
		jv_free(finding);
		return outs;
	}
	r = bi_set(r, "outcomes", outs);
	return bi_set(r, "finding", jv_is_valid(finding) ? finding : (jv_free(finding), jv_null()));
}

jv
bi_kb_list(bi_db *db, const char *status, const char *pattern, long limit)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT * FROM (SELECT " INCIDENT_COLS " FROM kb_incidents "
		"WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR pattern = ?2) "
		"ORDER BY first_seen DESC, id LIMIT ?3) AS newest ORDER BY first_seen, id");
	jv a = jv_array();
	int rc = -1;

	if (st) {
		bi_db_bind_str(st, 1, status);
		bi_db_bind_str(st, 2, pattern);
		bi_db_bind_int(st, 3, limit > 0 ? limit : INT64_MAX);
		while ((rc = bi_db_step(st)) == 1)
			a = jv_array_append(a, incident_row(st));
	}
	if (rc < 0) {
		jv_free(a);
		a = db_error(db);
	}
	bi_db_finalize(st);
	return a;
}

static int64_t
ts_of(jv rec, const char *key, int64_t def)
{
	const char *s = bi_get_str(rec, key);
	int64_t ns;

	return s && bi_ts_parse(s, &ns) == 0 ? ns : def;
}

/* A new incident id: "inc-" and 8 hex digits from the signature and time;
 * NULL on a database error. */
static char *
new_id(bi_db *db, const char *sig, int64_t first)
{
	char *key = bi_asprintf("%s|%lld", sig, (long long)first);
	uint64_t h = bi_hash64(key, strlen(key));
	bi_dbq *st = bi_db_prepare(db, "SELECT 1 FROM kb_incidents WHERE id = ?");

	free(key);
	for (; st; h = h * 6364136223846793005u + 1442695040888963407u) {
		char *id = bi_asprintf("inc-%08x", (unsigned)(h >> 32));
		bi_db_bind_str(st, 1, id);
		int taken = bi_db_step(st);
		bi_db_reset(st);
		if (taken == 0) {
			bi_db_finalize(st);
			return id;
		}
		free(id);
		if (taken < 0)
			break;
	}
	bi_db_finalize(st);
	return NULL;
}

/* The latest incident of a signature, read into *id (NULL: none), its
 * status open or not, its last_seen and resolved_at: 0, or -1. */
static int
latest(bi_db *db, const char *sig, char **id, int *open, int64_t *last, int64_t *resolved)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT id, status, last_seen, resolved_at "
		"FROM kb_incidents WHERE signature = ? ORDER BY last_seen DESC LIMIT 1");

	*id = NULL;
	if (!st)
		return -1;
	bi_db_bind_str(st, 1, sig);
	int rc = bi_db_step(st);
	if (rc == 1) {
		const char *status = bi_db_col_text(st, 1);
		*id = bi_strdup(bi_db_col_text(st, 0));
		*open = status && !strcmp(status, "open");
		*last = bi_db_col_int(st, 2);
		*resolved = bi_db_col_int(st, 3);
	}
	bi_db_finalize(st);
	return rc < 0 ? -1 : 0;
}

static int
insert(bi_db *db, const char *id, const char *sig, jv finding, int64_t first, int64_t last,
       int64_t now, double count)
{
	jv keep = jv_object_delete(jv_object_delete(jv_copy(finding), jv_string("similar")),
				   jv_string("fixes"));
	jv text = jv_dump_string(keep, 0);
	bi_dbq *in = bi_db_prepare(db, "INSERT INTO kb_incidents (id, signature, pattern, "
		"title, service, severity, status, first_seen, last_seen, recorded, occurrences, "
		"count, confidence, finding) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, 1, ?, ?, ?)");
	const char *title = bi_get_str(finding, "title");
	double conf = bi_get_num(finding, "confidence", -1);

	if (in) {
		bi_db_bind_str(in, 1, id);
		bi_db_bind_str(in, 2, sig);
		bi_db_bind_str(in, 3, bi_get_str(finding, "pattern"));
		bi_db_bind_str(in, 4, title ? title : sig);
		bi_db_bind_str(in, 5, bi_get_str(finding, "service"));
		bi_db_bind_str(in, 6, bi_get_str(finding, "severity"));
		bi_db_bind_int(in, 7, first);
		bi_db_bind_int(in, 8, last);
		bi_db_bind_int(in, 9, now);
		bi_db_bind_int(in, 10, (int64_t)count);
		if (conf >= 0)
			bi_db_bind_num(in, 11, conf);
		else
			bi_db_bind_null(in, 11);
		bi_db_bind_str(in, 12, jv_string_value(text));
	}
	int rc = run(in);
	jv_free(text);
	return rc;
}

jv
bi_kb_record(bi_db *db, jv finding)
{
	char *sig = bi_kb_signature(finding), *id = NULL;
	int64_t now = bi_now_ns();
	int64_t first = ts_of(finding, "first_seen", ts_of(finding, "ts", now));
	int64_t last = ts_of(finding, "last_seen", first);
	double count = bi_get_num(finding, "count", 1);
	int open = 0;
	int64_t ilast = 0, resolved = 0;
	jv r;

	if (bi_db_begin(db) || latest(db, sig, &id, &open, &ilast, &resolved))
		goto fail;
	/* The latest incident of this signature: the same occurrence seen
	 * again (times overlap), one more occurrence of an open incident, or
	 * a recurrence after it was resolved (a new incident). */
	int overlap = id && first <= ilast;
	if (id && (open || (overlap && last <= resolved))) {
		bi_dbq *up = bi_db_prepare(db, "UPDATE kb_incidents SET "
			"occurrences = occurrences + ?2, "
			"last_seen = CASE WHEN last_seen > ?3 THEN last_seen ELSE ?3 END, "
			"count = CASE WHEN ?2 <> 0 THEN count + ?4 WHEN count > ?4 THEN count ELSE ?4 END "
			"WHERE id = ?1");
		if (up) {
			bi_db_bind_str(up, 1, id);
			bi_db_bind_int(up, 2, !overlap && open);
			bi_db_bind_int(up, 3, last);
			bi_db_bind_int(up, 4, (int64_t)count);
		}
		if (run(up))
			goto fail;
	} else {
		free(id);
		if (!(id = new_id(db, sig, first)) || insert(db, id, sig, finding, first, last, now, count))
			goto fail;
	}
	if (bi_db_commit(db))
		goto fail;
	r = bi_kb_get(db, id);
	free(id);
	free(sig);
	return jv_is_valid(r) ? jv_object_delete(r, jv_string("finding")) : r;
fail:
	r = db_abort(db);
	free(id);
	free(sig);
	return r;
}

static double
score_of(const char *outcome)
{
	return !strcmp(outcome, "resolved") ? 1 : !strcmp(outcome, "partial") ? 0.5 : 0;
}

int
bi_kb_outcome_ok(const char *outcome)
{
	return outcome && (!strcmp(outcome, "resolved") || !strcmp(outcome, "partial") ||
			   !strcmp(outcome, "failed"));
}

jv
bi_kb_resolve(bi_db *db, const char *id, const char *outcome, const char *fix, int64_t when)
{
	jv inc = bi_kb_get(db, id);

	if (!jv_is_valid(inc))
		return inc;
	jv_free(inc);
	if (bi_db_begin(db))
		return db_abort(db);
	bi_dbq *st = bi_db_prepare(db, "INSERT INTO kb_outcomes (incident, ts, fix, outcome) "
					  "VALUES (?, ?, ?, ?)");
	if (st) {
		bi_db_bind_str(st, 1, id);
		bi_db_bind_int(st, 2, when);
		bi_db_bind_str(st, 3, fix);
		bi_db_bind_str(st, 4, outcome);
	}
	if (run(st))
		return db_abort(db);
	/* Resolved closes the incident; partial and failed leave it open. */
	st = bi_db_prepare(db, "UPDATE kb_incidents SET fix = ?2, outcome = ?3, "
			    "status = CASE WHEN ?3 = 'resolved' THEN 'resolved' ELSE 'open' END, "
			    "resolved_at = CASE WHEN ?3 = 'resolved' THEN ?4 ELSE resolved_at END "
			    "WHERE id = ?1");
	if (st) {
		bi_db_bind_str(st, 1, id);
		bi_db_bind_str(st, 2, fix);
		bi_db_bind_str(st, 3, outcome);
		bi_db_bind_int(st, 4, when);
	}
	if (run(st) || bi_db_commit(db))
		return db_abort(db);
	inc = bi_kb_get(db, id);
	return jv_is_valid(inc) ? jv_object_delete(inc, jv_string("finding")) : inc;
}

/* An incident as export writes it, checked: 0, or -1 with err. */
static int
import_check(jv inc, char *err, size_t errlen)
{
	const char *id = bi_get_str(inc, "id"), *status = bi_get_str(inc, "status");

	if (!id || !bi_get_str(inc, "signature") || !bi_get_str(inc, "title") ||
	    !ts_of(inc, "first_seen", ts_of(inc, "ts", 0))) {
		snprintf(err, errlen, "an incident needs id, signature, title and first_seen");
		return -1;
	}
	if (status && strcmp(status, "open") && strcmp(status, "resolved")) {
		snprintf(err, errlen, "incident %s: status must be open or resolved", id);
		return -1;
	}
	jv outs = jv_object_get(jv_copy(inc), jv_string("outcomes"));
	int bad = 0;
	if (jv_get_kind(outs) == JV_KIND_ARRAY) {
		jv_array_foreach(outs, i, o) {
			if (!bad && !(bi_kb_outcome_ok(bi_get_str(o, "outcome")) && bi_get_str(o, "fix"))) {
				snprintf(err, errlen, "incident %s: outcome %d needs a fix and an outcome "
					 "(resolved, partial or failed)", id, i + 1);
				bad = 1;
			}
			jv_free(o);
		}
	}
	jv_free(outs);
	return bad ? -1 : 0;
}

static int
import_row(bi_db *db, jv inc)
{
	const char *status = bi_get_str(inc, "status");
	int64_t first = ts_of(inc, "first_seen", ts_of(inc, "ts", 0));
	int64_t res = ts_of(inc, "resolved_at", 0);
	double conf = bi_get_num(inc, "confidence", -1);
	jv finding = jv_object_get(jv_copy(inc), jv_string("finding"));
	jv text = jv_get_kind(finding) == JV_KIND_OBJECT ? jv_dump_string(finding, 0) :
		(jv_free(finding), jv_null());
	/* Replaced as a delete and an insert: the one way both dialects
	 * have (its outcomes go with it, and come back below). */
	bi_dbq *st = bi_db_prepare(db, "DELETE FROM kb_incidents WHERE id = ?");

	if (st)
		bi_db_bind_str(st, 1, bi_get_str(inc, "id"));
	if (run(st)) {
		jv_free(text);
		return -1;
	}
	st = bi_db_prepare(db, "INSERT INTO kb_incidents (id, signature, "
		"pattern, title, service, severity, status, fix, outcome, first_seen, last_seen, "
		"recorded, resolved_at, occurrences, count, confidence, finding) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (st) {
		static const char *const keys[] = {"id", "signature", "pattern", "title", "service",
						   "severity"};
		for (int i = 0; i < 6; i++)
			bi_db_bind_str(st, i + 1, bi_get_str(inc, keys[i]));
		bi_db_bind_str(st, 7, status ? status : "open");
		bi_db_bind_str(st, 8, bi_get_str(inc, "fix"));
		bi_db_bind_str(st, 9, bi_get_str(inc, "outcome"));
		bi_db_bind_int(st, 10, first);
		bi_db_bind_int(st, 11, ts_of(inc, "last_seen", first));
		bi_db_bind_int(st, 12, bi_now_ns());
		if (res)
			bi_db_bind_int(st, 13, res);
		else
			bi_db_bind_null(st, 13);
		bi_db_bind_int(st, 14, (int64_t)bi_get_num(inc, "occurrences", 1));
		bi_db_bind_int(st, 15, (int64_t)bi_get_num(inc, "count", 1));
		if (conf >= 0)
			bi_db_bind_num(st, 16, conf);
		else
			bi_db_bind_null(st, 16);
		bi_db_bind_str(st, 17, jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : NULL);
	}
	int rc = run(st);
	jv_free(text);
	if (rc)
		return -1;
	st = bi_db_prepare(db, "DELETE FROM kb_outcomes WHERE incident = ?");
	if (st)
		bi_db_bind_str(st, 1, bi_get_str(inc, "id"));
	if (run(st))
		return -1;
	jv outs = jv_object_get(jv_copy(inc), jv_string("outcomes"));
	if (jv_get_kind(outs) == JV_KIND_ARRAY && jv_array_length(jv_copy(outs)) > 0) {
		st = bi_db_prepare(db, "INSERT INTO kb_outcomes (incident, ts, fix, outcome) "
				    "VALUES (?, ?, ?, ?)");
		jv_array_foreach(outs, i, o) {
			if (st) {
				bi_db_bind_str(st, 1, bi_get_str(inc, "id"));
				bi_db_bind_int(st, 2, ts_of(o, "ts", first));
				bi_db_bind_str(st, 3, bi_get_str(o, "fix"));
				bi_db_bind_str(st, 4, bi_get_str(o, "outcome"));
			}
			if (!st || bi_db_run(st))
				rc = -1;
			jv_free(o);
		}
		bi_db_finalize(st);
	}
	jv_free(outs);
	return rc;
}

int
bi_kb_import(bi_db *db, jv inc, char *err, size_t errlen)
{
	int rc = import_check(inc, err, errlen);

	if (rc == 0 && (bi_db_begin(db) || import_row(db, inc) || bi_db_commit(db))) {
		snprintf(err, errlen, "%s", bi_db_error(db));
		bi_db_rollback(db);
		rc = -2;
	}
	jv_free(inc);
	return rc;
}

double
bi_kb_rate(bi_db *db, const char *pattern, double prior, const char *fix, int *n)
{
	double sum = prior * PRIOR_WEIGHT;
	int k = 0, rc = 0;

	if (db) {
		bi_dbq *st = bi_db_prepare(db, "SELECT o.outcome FROM kb_outcomes o "
			"JOIN kb_incidents i ON i.id = o.incident "
			"WHERE (?1 IS NULL OR i.pattern = ?1) "
			"AND (?2 IS NULL OR lower(trim(o.fix)) = lower(trim(?2)))");
		if (!st)
			return -1;
		bi_db_bind_str(st, 1, pattern);
		bi_db_bind_str(st, 2, fix);
		while ((rc = bi_db_step(st)) == 1) {
			sum += score_of(bi_db_col_text(st, 0));
			k++;
		}
		bi_db_finalize(st);
	}
	if (n)
		*n = k;
	return rc < 0 ? -1 : sum / (PRIOR_WEIGHT + k);
}

jv
bi_kb_occurrences(bi_db *db, const char *pattern)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT coalesce(sum(occurrences), 0), "
		"max(last_seen) FROM kb_incidents WHERE pattern = ?1 OR (?1 IS NULL AND pattern IS NULL)");
	jv r = jv_invalid();

	if (!st)
		return db_error(db);
	bi_db_bind_str(st, 1, pattern);
	int rc = bi_db_step(st);
	if (rc == 1) {
		r = bi_set(jv_object(), "occurrences", jv_number(bi_db_col_num(st, 0)));
		r = bi_set(r, "last_seen", bi_db_col_ts(st, 1));
	} else {
		r = db_error(db);
	}
	bi_db_finalize(st);
	return r;
}

jv
bi_kb_fixes(bi_db *db, const char *pattern, int worked)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT i.pattern, min(o.fix) FROM kb_outcomes o "
		"JOIN kb_incidents i ON i.id = o.incident WHERE (?1 IS NULL OR i.pattern = ?1) "
		"AND (?2 = 0 OR o.outcome <> 'failed') "
		"GROUP BY i.pattern, lower(trim(o.fix)) ORDER BY i.pattern NULLS FIRST, min(o.fix)");
	jv a = jv_array();
	int rc = -1;

	if (st) {
		bi_db_bind_str(st, 1, pattern);
		bi_db_bind_int(st, 2, worked);
		while ((rc = bi_db_step(st)) == 1) {
			jv f = bi_set(jv_object(), "pattern", bi_db_col_str(st, 0));
			a = jv_array_append(a, bi_set(f, "fix", bi_db_col_str(st, 1)));
		}
	}
	if (rc < 0) {
		jv_free(a);
		a = db_error(db);
	}
	bi_db_finalize(st);
	return a;
}

/* The best fix of p and how well it works: the pattern's own, or one of
 * the user's that worked better. 0, or -1. */
static int
best_fix(bi_db *db, const bi_kb_pattern *p, char **best, double *rate, int *outcomes)
{
	*best = NULL;
	*rate = -1;
	*outcomes = 0;
	for (char **f = p->fixes; *f; f++) {
		int k;
		double r = bi_kb_rate(db, p->id, p->success_rate, *f, &k);
		if (r < 0)
			return -1;
		if (r > *rate) {
			free(*best);
			*best = bi_strdup(*f);
			*rate = r;
			*outcomes = k;
		}
	}
	jv mine = bi_kb_fixes(db, p->id, 1);
	if (!jv_is_valid(mine))
		return jv_free(mine), -1;
	int bad = 0;
	jv_array_foreach(mine, i, f) {
		int k;
		double r = bad ? -1 : bi_kb_rate(db, p->id, p->success_rate, bi_get_str(f, "fix"), &k);
		bad |= r < 0;
		if (r > *rate) {
			free(*best);
			*best = bi_strdup(bi_get_str(f, "fix"));
			*rate = r;
			*outcomes = k;
		}
		jv_free(f);
	}
	jv_free(mine);
	return bad ? -1 : 0;
}

jv
bi_kb_suggest(bi_db *db, const bi_kb_pattern *pats, size_t npats)
{
	jv out = jv_array();

	for (size_t i = 0; i < npats; i++) {
		const bi_kb_pattern *p = &pats[i];
		jv occ = bi_kb_occurrences(db, p->id);
		double n = bi_get_num(occ, "occurrences", 0);
		if (!jv_is_valid(occ) || n <= 0) {
			if (!jv_is_valid(occ))
				return jv_free(out), occ;
			jv_free(occ);
			continue;
		}
		jv open = bi_kb_list(db, "open", p->id, 0);
		char *best;
		double rate;
		int outcomes;
		if (!jv_is_valid(open) || best_fix(db, p, &best, &rate, &outcomes)) {
			jv_free(open);
			jv_free(occ);
			jv_free(out);
			return db_error(db);
		}
		int nopen = jv_array_length(open);
		jv r = bi_record("suggestion");
		r = bi_set(r, "priority", jv_string(nopen ? "high" : n >= 2 ? "medium" : "low"));
		r = bi_set(r, "pattern", jv_string(p->id));
		r = bi_set(r, "title", jv_string_fmt("%s: %s", p->name, best ? best : "-"));
		r = bi_set(r, "detail", jv_string_fmt("seen %.0f time%s, last %s; %d open; "
			"this fix works %.0f%% of the time (%d outcome%s recorded)", n, n == 1 ? "" : "s",
			bi_get_text(occ, "last_seen", "?"), nopen, round(rate * 100), outcomes,
			outcomes == 1 ? "" : "s"));
		r = bi_set(r, "success_rate", jv_number(round(rate * 100) / 100));
		out = jv_array_append(out, bi_set(r, "source", jv_string("knowledge base")));
		free(best);
		jv_free(occ);
	}
	return out;
}

/* ---- advice: similar incidents and the fixes that worked ---- */

static jv
fix_entry(const char *title, double rate, int n, const char *source)
{
	jv f = bi_set(jv_object(), "title", jv_string(title));
	f = bi_set(f, "success_rate", jv_number(round(rate * 100) / 100));
	f = bi_set(f, "outcomes", jv_number(n));
	f = bi_set(f, "source", jv_string(source));
	if (n)
		return bi_set(f, "detail", jv_string_fmt("success rate %.0f%% (%d outcome%s recorded)",
			      round(rate * 100), n, n == 1 ? "" : "s"));
	return bi_set(f, "detail", jv_string_fmt("success rate %.0f%% (initial)", round(rate * 100)));
}

static int
has_fix(jv fixes, const char *title)
{
	int found = 0;

	jv_array_foreach(fixes, i, f) {
		const char *t = bi_get_str(f, "title");
		found |= t && !strcasecmp(t, title);
		jv_free(f);
	}
	return found;
}

static int
by_rate(const void *a, const void *b)
{
	double ra = bi_get_num(*(const jv *)a, "success_rate", 0);
	double rb = bi_get_num(*(const jv *)b, "success_rate", 0);
	return ra < rb ? 1 : ra > rb ? -1 : 0;
}

struct cand {
	double sim;
	jv row;
};

/* The past incidents like sig (not this very occurrence, first, recorded
 * by an earlier run), the most similar first: 0, or -1. */
static int
candidates(bi_db *db, const char *sig, int64_t first, struct cand **out, size_t *nout)
{
	bi_dbq *st = bi_db_prepare(db, "SELECT id, signature, title, status, fix, outcome, "
					  "last_seen, pattern FROM kb_incidents");
	struct cand *c = NULL;
	size_t nc = 0;
	int rc = -1;

	if (st) {
		while ((rc = bi_db_step(st)) == 1) {
			const char *isig = bi_db_col_text(st, 1);
			const char *status = bi_db_col_text(st, 3);
			if (!strcmp(isig, sig) && status && !strcmp(status, "open") &&
			    first && first <= bi_db_col_int(st, 6))
				continue;
			double j = bi_kb_jaccard(sig, isig);
			if (j <= SIMILAR_MIN)
				continue;
			jv r = bi_set(jv_object(), "id", bi_db_col_str(st, 0));
			r = bi_set(r, "title", bi_db_col_str(st, 2));
			r = bi_set(r, "similarity", jv_number(round(j * 100) / 100));
			r = bi_set(r, "status", bi_db_col_str(st, 3));
			r = bi_set(r, "fix", bi_db_col_str(st, 4));
			r = bi_set(r, "outcome", bi_db_col_str(st, 5));
			r = bi_set(r, "pattern", bi_db_col_str(st, 7));
			c = bi_realloc(c, (nc + 1) * sizeof *c);
			c[nc++] = (struct cand){j, r};
		}
	}
	bi_db_finalize(st);
	for (size_t i = 1; i < nc; i++)
		for (size_t k = i; k > 0 && c[k].sim > c[k - 1].sim; k--) {
			struct cand t = c[k];
			c[k] = c[k - 1];
			c[k - 1] = t;
		}
	*out = c;
	*nout = nc;
	return rc < 0 ? -1 : 0;
}

/* fixes, the best first; a stable order among equals keeps tests steady. */
static jv
sorted(jv fixes)
{
	int nf = jv_array_length(jv_copy(fixes));
	jv *v = bi_calloc(nf ? nf : 1, sizeof *v);

	for (int i = 0; i < nf; i++)
		v[i] = jv_array_get(jv_copy(fixes), i);
	jv_free(fixes);
	for (int i = 1; i < nf; i++)
		for (int k = i; k > 0 && by_rate(&v[k - 1], &v[k]) > 0; k--) {
			jv t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	fixes = jv_array();
	for (int i = 0; i < nf; i++)
		fixes = jv_array_append(fixes, v[i]);
	free(v);
	return fixes;
}

jv
bi_kb_advise(bi_db *db, const bi_kb_pattern *pats, size_t npats, jv finding, double *best)
{
	const bi_kb_pattern *p = bi_kb_pattern_find(pats, npats, bi_get_str(finding, "pattern"));
	char *sig = bi_kb_signature(finding);
	jv similar = jv_array(), fixes = jv_array();
	struct cand *c = NULL;
	size_t nc = 0;
	int bad = 0;

	*best = 0;
	if (db && candidates(db, sig, ts_of(finding, "first_seen", 0), &c, &nc))
		bad = 1;
	for (size_t i = 0; i < nc; i++) {
		if (bad || i >= SIMILAR_TOP) {
			jv_free(c[i].row);
			continue;
		}
		if (c[i].sim > *best)
			*best = c[i].sim;
		jv r = c[i].row;
		const char *fix = bi_get_str(r, "fix"), *out = bi_get_str(r, "outcome");
		const char *ipat = bi_get_str(r, "pattern");
		bi_buf d = {0};
		bi_buf_printf(&d, "%.0f%% similar, %s", c[i].sim * 100, bi_get_str(r, "status"));
		if (fix && out) {
			const bi_kb_pattern *ip = bi_kb_pattern_find(pats, npats, ipat);
			int n;
			double rate = bi_kb_rate(db, ipat, ip ? ip->success_rate : NEW_FIX_RATE, fix, &n);
			bad |= rate < 0;
			bi_buf_printf(&d, "; fix \"%s\": %s (success rate %.0f%%)", fix, out,
				      round(rate * 100));
			if (strcmp(out, "failed") && !has_fix(fixes, fix)) {
				char *src = bi_asprintf("incident %s", bi_get_str(r, "id"));
				fixes = jv_array_append(fixes, fix_entry(fix, rate, n, src));
				free(src);
			}
		}
		similar = jv_array_append(similar, bi_set(r, "detail", jv_string(d.p)));
		bi_buf_free(&d);
	}
	free(c);
	for (char **f = p ? p->fixes : NULL; !bad && f && *f; f++) {
		if (has_fix(fixes, *f))
			continue;
		int n;
		double rate = bi_kb_rate(db, p->id, p->success_rate, *f, &n);
		bad |= rate < 0;
		fixes = jv_array_append(fixes, fix_entry(*f, rate, n, "pattern"));
	}
	double rate = p && !bad ? bi_kb_rate(db, p->id, p->success_rate, NULL, NULL) : 0;
	bad |= rate < 0;
	if (bad) {
		/* What the patterns alone know, and why not more. */
		jv msg = jv_string(bi_db_error(db));
		jv_free(similar);
		jv_free(fixes);
		similar = jv_array();
		fixes = jv_array();
		for (char **f = p ? p->fixes : NULL; f && *f; f++)
			fixes = jv_array_append(fixes, fix_entry(*f, p->success_rate, 0, "pattern"));
		rate = p ? p->success_rate : 0;
		*best = 0;
		finding = bi_set(finding, "kb_error", msg);
	}
	free(sig);
	finding = bi_set(finding, "similar", similar);
	finding = bi_set(finding, "fixes", sorted(fixes));
	if (p)
		finding = bi_set(finding, "success_rate", jv_number(round(rate * 100) / 100));
	return finding;
}
