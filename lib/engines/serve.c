/*
 * serve.c: the dashboard's JSON API over a project's store, safe by
 * default. The original's dashboard listened on every interface with no
 * authentication and had a route that deleted directories; this one reads
 * only. Every request passes a gate first: Host must name loopback (or the
 * address the user asked to listen on) with our port, so a DNS name rebound
 * to 127.0.0.1 is refused; an Origin, when a browser sends one, the same,
 * so no other site's page can call us; a bearer token; a bounded body.
 * Then its parameters: no NUL, no control bytes, no "../" anywhere, though
 * no route takes a path today, so that none can grow one unchecked.
 *
 * Every value reaches SQLite as a bound parameter: the SQL text is built
 * from constants and placeholders only. The database is opened read-only
 * and query_only, per request (SQLite connections are cheap to open, and a
 * connection per request needs no lock between the server's threads).
 *
 * The agent's chat runs a program (bi-ask) on a pseudo-terminal: bi-ask
 * streams its answer as it comes only to a terminal, and one in raw mode
 * translates no byte. Its output becomes Server-Sent Events, a UTF-8
 * character cut between two reads kept for the next.
 * Record bodies are stored as the JSON lines bi-store kept, so answers are
 * assembled from their text without parsing each one again.
 *
 * Layer: engines.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "engines/serve.h"

#include "base/time.h"
#include "engines/metrics.h"
#include "sources/logparse.h"
#include "sources/store.h"

#include <jv.h>

/* ---- checks ---- */

int
bi_serve_value_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		/* ".." as a path component: at the end, or before / or \ */
		if (c == '.' && i + 1 < n && s[i + 1] == '.' &&
		    (i + 2 == n || s[i + 2] == '/' || s[i + 2] == '\\'))
			return 0;
	}
	return 1;
}

int
bi_serve_params_ok(const char *path, const bi_serve_param *p, int n, char *err, size_t errlen)
{
	if (!path || !bi_serve_value_ok(path, strlen(path)))
		return bi_errf(err, errlen, "the path holds \"..\" or a control character"), 400;
	if (n > BI_SERVE_PARAMS_MAX)
		return bi_errf(err, errlen, "more than %d parameters", BI_SERVE_PARAMS_MAX), 400;
	for (int i = 0; i < n; i++) {
		if (!bi_serve_value_ok(p[i].key, p[i].klen))
			return bi_errf(err, errlen, "a parameter's name holds \"..\" or a control "
				       "character"), 400;
		if (!bi_serve_value_ok(p[i].value, p[i].vlen))
			return bi_errf(err, errlen, "parameter %.*s holds \"..\", a NUL or a control "
				       "character", (int)(p[i].klen > 40 ? 40 : p[i].klen), p[i].key), 400;
	}
	return 0;
}

/* host is NAME:PORT with NAME one of ours and PORT s's. */
static int
host_ok(const bi_serve *s, const char *host, size_t n)
{
	static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
	char want[300];

	for (size_t i = 0; i < sizeof names / sizeof names[0] + 1; i++) {
		const char *name = i < sizeof names / sizeof names[0] ? names[i] : s->listen;
		if (!name)
			continue;
		int k = strchr(name, ':') && name[0] != '[' ?
			snprintf(want, sizeof want, "[%s]:%d", name, s->port) :
			snprintf(want, sizeof want, "%s:%d", name, s->port);
		if (k > 0 && (size_t)k == n && !strncasecmp(host, want, n))
			return 1;
	}
	return 0;
}

int
bi_serve_gate(const bi_serve *s, const char *host, const char *origin, const char *auth,
	      int64_t content_length, const char **why)
{
	if (!host || !host_ok(s, host, strlen(host))) {
		*why = "Host must be 127.0.0.1, localhost or [::1] with this server's port";
		return 403;
	}
	if (origin) {
		if (strncmp(origin, "http://", 7) || !host_ok(s, origin + 7, strlen(origin + 7))) {
			*why = "requests from another origin are refused";
			return 403;
		}
	}
	const char *tok = s->token ? s->token : "";
	size_t tn = strlen(tok);
	if (!auth || strncmp(auth, "Bearer ", 7) || !tn) {
		*why = "an Authorization: Bearer token is required";
		return 401;
	}
	auth += 7;
	size_t an = strlen(auth);
	unsigned diff = an != tn;
	/* The time taken does not depend on where a wrong token differs. */
	for (size_t i = 0; i < tn; i++)
		diff |= (unsigned char)tok[i] ^ (unsigned char)(i < an ? auth[i] : 0);
	if (diff) {
		*why = "the token is not this server's";
		return 401;
	}
	if (content_length > BI_SERVE_BODY_MAX) {
		*why = "the request body is over 1 MiB";
		return 413;
	}
	*why = NULL;
	return 0;
}

/* ---- queries ---- */

static const char *
param(const bi_serve_param *p, int n, const char *key)
{
	size_t k = strlen(key);
	for (int i = 0; i < n; i++)
		if (p[i].klen == k && !memcmp(p[i].key, key, k))
			return p[i].value;
	return NULL;
}

int
bi_serve_query_parse(const bi_serve_param *p, int n, int64_t now, bi_serve_query *q,
		     char *err, size_t errlen)
{
	const char *v;

	q->service = param(p, n, "service");
	if (q->service && !*q->service)
		q->service = NULL;
	q->level = -1;
	if ((v = param(p, n, "level")) && *v) {
		q->level = bi_level_rank(bi_level_norm(v));
		if (q->level < 0)
			return bi_errf(err, errlen, "level: not a level: %.40s", v);
	}
	q->text = param(p, n, "q");
	if (!q->text)
		q->text = param(p, n, "text");
	if (q->text && !*q->text)
		q->text = NULL;
	q->since = q->until = 0;
	if ((v = param(p, n, "since")) && *v && bi_when_parse(v, now, &q->since))
		return bi_errf(err, errlen, "since: not a time or duration: %.40s", v);
	if ((v = param(p, n, "until")) && *v && bi_when_parse(v, now, &q->until))
		return bi_errf(err, errlen, "until: not a time or duration: %.40s", v);
	q->limit = BI_SERVE_LIMIT_DEF;
	if ((v = param(p, n, "limit")) && *v) {
		char *end;
		long l = strtol(v, &end, 10);
		if (*end || l <= 0 || l > BI_SERVE_LIMIT_MAX)
			return bi_errf(err, errlen, "limit: not a count from 1 to %d: %.40s",
				       BI_SERVE_LIMIT_MAX, v);
		q->limit = l;
	}
	return 0;
}

void
bi_serve_query_sql(const bi_serve_query *q, bi_buf *sql, char **match)
{
	*match = NULL;
	bi_buf_adds(sql, "SELECT id, body FROM records WHERE 1");
	if (q->kinds && q->kinds[0]) {
		bi_buf_adds(sql, " AND kind IN (");
		for (int i = 0; q->kinds[i]; i++)
			bi_buf_adds(sql, i ? ",?" : "?");
		bi_buf_adds(sql, ")");
	}
	if (q->service)
		bi_buf_adds(sql, " AND service = ?");
	if (q->level >= 0)
		bi_buf_adds(sql, " AND level >= ?");
	if (q->since)
		bi_buf_adds(sql, " AND ts >= ?");
	if (q->until)
		bi_buf_adds(sql, " AND ts <= ?");
	if (q->after)
		bi_buf_adds(sql, " AND id > ?");
	if (q->text) {
		/* Each word a quoted FTS5 string, so punctuation is no syntax. */
		bi_buf m = {0};
		for (const char *p = q->text; *p;) {
			while (*p == ' ')
				p++;
			size_t k = strcspn(p, " ");
			if (!k)
				break;
			bi_buf_adds(&m, m.len ? " \"" : "\"");
			for (size_t j = 0; j < k; j++)
				bi_buf_add(&m, p[j] == '"' ? "\"\"" : p + j, p[j] == '"' ? 2 : 1);
			bi_buf_adds(&m, "\"");
			p += k;
		}
		*match = m.p ? m.p : bi_strdup("\"\"");
		bi_buf_adds(sql, " AND id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)");
	}
	/* A stream goes forward from after; a search keeps the newest. */
	if (q->after || q->limit <= 0)
		bi_buf_adds(sql, " ORDER BY id LIMIT ?");
	else
		bi_buf_adds(sql, " ORDER BY ts DESC, id DESC LIMIT ?");
}

int
bi_serve_query_bind(sqlite3_stmt *st, const bi_serve_query *q, const char *match)
{
	int i = 0, rc = SQLITE_OK;

	for (int k = 0; q->kinds && q->kinds[k]; k++)
		rc |= sqlite3_bind_text(st, ++i, q->kinds[k], -1, SQLITE_STATIC);
	if (q->service)
		rc |= sqlite3_bind_text(st, ++i, q->service, -1, SQLITE_STATIC);
	if (q->level >= 0)
		rc |= sqlite3_bind_int(st, ++i, q->level);
	if (q->since)
		rc |= sqlite3_bind_int64(st, ++i, q->since);
	if (q->until)
		rc |= sqlite3_bind_int64(st, ++i, q->until);
	if (q->after)
		rc |= sqlite3_bind_int64(st, ++i, q->after);
	if (q->text)
		rc |= sqlite3_bind_text(st, ++i, match, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, ++i, q->limit > 0 ? q->limit : BI_SERVE_LIMIT_MAX);
	return rc == SQLITE_OK && i == sqlite3_bind_parameter_count(st) ? 0 : -1;
}

sqlite3 *
bi_serve_open_db(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		bi_errf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	if (bi_sql_exec(db, "PRAGMA query_only = ON") ||
	    bi_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'records'", 0) != 1) {
		bi_errf(err, errlen, "%s: holds no records table, so no store of ours (%s)", path, bi_sql_error(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* ---- answers ---- */

static int
error(bi_buf *out, int status, const char *msg)
{
	jv e = jv_object_set(jv_object(), jv_string("error"), jv_string(msg));
	jv d = jv_dump_string(e, 0);
	out->len = 0;
	bi_buf_adds(out, jv_string_value(d));
	jv_free(d);
	return status;
}

static int
db_error(sqlite3 *db, bi_buf *out)
{
	char msg[300];
	snprintf(msg, sizeof msg, "database: %s", bi_sql_error(db));
	return error(out, 500, msg);
}

static void
add_jv(bi_buf *out, jv v)
{
	jv d = jv_dump_string(v, 0);
	bi_buf_adds(out, jv_string_value(d));
	jv_free(d);
}

/* {"records": [...], "count": N}: the newest q->limit, oldest first. */
static int
records(sqlite3 *db, const bi_serve_query *q, bi_buf *out)
{
	bi_buf sql = {0};
	char *match;

	bi_serve_query_sql(q, &sql, &match);
	sqlite3_stmt *st = bi_sql_prepare(db, sql.p);
	bi_buf_free(&sql);
	if (!st || bi_serve_query_bind(st, q, match)) {
		sqlite3_finalize(st);
		free(match);
		return db_error(db, out);
	}
	char **rows = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = bi_sql_step(st)) == 1) {
		if (n == cap)
			rows = bi_realloc(rows, (cap = cap ? 2 * cap : 64) * sizeof *rows);
		rows[n++] = bi_strdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	free(match);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(rows[i]);
		free(rows);
		return db_error(db, out);
	}
	bi_buf_adds(out, "{\"records\":[");
	for (size_t i = n; i-- > 0;) {
		bi_buf_adds(out, rows[i]);
		if (i)
			bi_buf_adds(out, ",");
		free(rows[i]);
	}
	free(rows);
	bi_buf_printf(out, "],\"count\":%zu}", n);
	return 200;
}

static const char *const log_kinds[] = {"log", NULL};
static const char *const finding_kinds[] = {"finding", "incident", NULL};
static const char *const event_kinds[] = {"container", "k8s_event", "commit", "chaos", "score",
					  "comparison", "perf_summary", NULL};

static int
route_records(const bi_serve_param *p, int n, sqlite3 *db, const char *const *kinds, bi_buf *out)
{
	bi_serve_query q = {0};
	char err[200];

	if (bi_serve_query_parse(p, n, bi_now_ns(), &q, err, sizeof err))
		return error(out, 400, err);
	q.kinds = kinds;
	if (kinds != log_kinds && (q.level >= 0 || q.text))
		return error(out, 400, "level and q search logs only: use /api/logs");
	return records(db, &q, out);
}

/* The window parameter: 1m to 24h, default 5m; 0, or -1. */
static int
window_param(const bi_serve_param *p, int n, int64_t *win)
{
	const char *w = param(p, n, "window");
	*win = 5 * 60 * BI_NS_PER_S;
	return w && *w && (bi_dur_parse(w, win) || *win < 60 * BI_NS_PER_S ||
			   *win > 24 * 3600 * BI_NS_PER_S) ? -1 : 0;
}

/* Figures of each service over a window (1m to 24h, default 5m) ending now. */
static int
route_metrics(const bi_serve_param *p, int n, sqlite3 *db, bi_buf *out)
{
	int64_t win;
	char wbuf[32];

	if (window_param(p, n, &win))
		return error(out, 400, "window: not a duration from 1m to 24h");
	const char *svc = param(p, n, "service");
	bi_metrics *m = bi_metrics_open(db);
	jv services = bi_metrics_services(m, svc && *svc ? svc : NULL);
	int64_t end = bi_now_ns() / BI_NS_PER_MS;
	jv list = jv_array();
	jv_array_foreach(services, i, name) {
		bi_metrics_figure f[BI_METRICS_FIGURES];
		int nf = bi_metrics_derive(m, jv_string_value(name), end, win / BI_NS_PER_MS, f);
		jv figs = jv_object();
		for (int k = 0; k < nf; k++) {
			jv fig = jv_object_set(jv_object(), jv_string("value"),
					       isfinite(f[k].value) ? jv_number(f[k].value) : jv_null());
			fig = jv_object_set(fig, jv_string("unit"), jv_string(f[k].unit));
			figs = jv_object_set(figs, jv_string(f[k].name), fig);
		}
		jv one = jv_object_set(jv_object(), jv_string("service"), name);
		list = jv_array_append(list, jv_object_set(one, jv_string("figures"), figs));
		(void)i;
	}
	jv_free(services);
	if (bi_metrics_error(m)) {
		char msg[300];
		snprintf(msg, sizeof msg, "database: %s", bi_metrics_error(m));
		bi_metrics_close(m);
		jv_free(list);
		return error(out, 500, msg);
	}
	bi_metrics_close(m);
	char ts[BI_TS_LEN];
	jv r = jv_object_set(jv_object(), jv_string("window"),
			     jv_string(bi_dur_fmt(win, wbuf, sizeof wbuf)));
	r = jv_object_set(r, jv_string("end"), jv_string(bi_ts_fmt(end * BI_NS_PER_MS, ts)));
	r = jv_object_set(r, jv_string("services"), list);
	add_jv(out, r);
	return 200;
}

struct series_out {
	bi_buf *out;
	int n;
};

static void
on_series(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct series_out *so = ctx;
	bi_buf_adds(so->out, so->n++ ? ",{\"labels\":" : "{\"labels\":");
	add_jv(so->out, jv_copy(labels));
	bi_buf_adds(so->out, ",\"points\":[");
	for (int i = 0; i < n; i++) {
		if (isfinite(v[i]))
			bi_buf_printf(so->out, "%s[%lld,%.17g]", i ? "," : "", (long long)t[i], v[i]);
		else
			bi_buf_printf(so->out, "%s[%lld,null]", i ? "," : "", (long long)t[i]);
	}
	bi_buf_adds(so->out, "]}");
}

/* The samples of one metric of one service over a window, by series:
 * what a chart draws. Times in ms. */
static int
route_series(const bi_serve_param *p, int n, sqlite3 *db, bi_buf *out)
{
	const char *svc = param(p, n, "service"), *name = param(p, n, "name");
	int64_t win;
	char wbuf[32];

	if (!svc || !*svc || !name || !*name)
		return error(out, 400, "service and name are required");
	if (window_param(p, n, &win))
		return error(out, 400, "window: not a duration from 1m to 24h");
	int64_t end = bi_now_ns() / BI_NS_PER_MS;
	const char *names[] = {name, NULL};
	jv head = jv_object_set(jv_object(), jv_string("service"), jv_string(svc));
	head = jv_object_set(head, jv_string("name"), jv_string(name));
	head = jv_object_set(head, jv_string("window"), jv_string(bi_dur_fmt(win, wbuf, sizeof wbuf)));
	head = jv_object_set(head, jv_string("end_ms"), jv_number((double)end));
	add_jv(out, head);
	out->len--;	/* the object goes on: its closing brace off */
	bi_buf_adds(out, ",\"series\":[");
	struct series_out so = {out, 0};
	bi_metrics *m = bi_metrics_open(db);
	bi_metrics_each_series(m, svc, names, end - win / BI_NS_PER_MS, end, on_series, &so);
	int bad = bi_metrics_error(m) != NULL;
	bi_metrics_close(m);
	if (bad)
		return db_error(db, out);
	bi_buf_adds(out, "]}");
	return 200;
}

static int
route_alerts(sqlite3 *db, bi_buf *out)
{
	bi_metrics *m = bi_metrics_open(db);
	jv a = bi_metrics_alerts(m);
	int bad = bi_metrics_error(m) != NULL;
	bi_metrics_close(m);
	if (bad) {
		jv_free(a);
		return db_error(db, out);
	}
	jv r = jv_object_set(jv_object(), jv_string("count"), jv_number(jv_array_length(jv_copy(a))));
	add_jv(out, jv_object_set(r, jv_string("alerts"), a));
	return 200;
}

static int
route_status(const bi_serve *s, sqlite3 *db, bi_buf *out)
{
	char ts[BI_TS_LEN];
	jv kinds = jv_object();
	int64_t newest = 0;

	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT kind, count(*), max(ts) FROM records GROUP BY kind");
	int rc = -1;
	while (st && (rc = bi_sql_step(st)) == 1) {
		kinds = jv_object_set(kinds, jv_string((const char *)sqlite3_column_text(st, 0)),
				      jv_number((double)sqlite3_column_int64(st, 1)));
		if (sqlite3_column_int64(st, 2) > newest)
			newest = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	jv services = jv_array();
	/* The services of the newest records only: all of them would take a
	 * scan of every record (130 ms at a million), and one that has logged
	 * nothing lately has its metrics, which the watcher scrapes anyway. */
	st = bi_sql_prepare(db, "SELECT service FROM (SELECT service FROM records ORDER BY id DESC "
			    "LIMIT 50000) WHERE service IS NOT NULL "
			    "UNION SELECT service FROM metric_series ORDER BY 1");
	int rc2 = -1;
	while (st && (rc2 = bi_sql_step(st)) == 1)
		services = jv_array_append(services, jv_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	if (rc < 0 || rc2 < 0) {
		jv_free(kinds);
		jv_free(services);
		return db_error(db, out);
	}
	int64_t firing = bi_sql_int(db, "SELECT count(*) FROM alerts WHERE state = 'firing'", 0);
	jv r = jv_object_set(jv_object(), jv_string("project"),
			     s->project ? jv_string(s->project) : jv_null());
	r = jv_object_set(r, jv_string("version"), jv_string(BI_VERSION));
	r = jv_object_set(r, jv_string("schema"),
			  jv_number((double)bi_sql_int(db, "PRAGMA user_version", 0)));
	r = jv_object_set(r, jv_string("records"), kinds);
	r = jv_object_set(r, jv_string("newest"), newest ? jv_string(bi_ts_fmt(newest, ts)) : jv_null());
	r = jv_object_set(r, jv_string("services"), services);
	r = jv_object_set(r, jv_string("alerts_firing"), jv_number((double)firing));
	r = jv_object_set(r, jv_string("metric_series"),
			  jv_number((double)bi_sql_int(db, "SELECT count(*) FROM metric_series", 0)));
	add_jv(out, r);
	return 200;
}


/* kind=a,b (at most 8 kinds, each letters, digits and _): the records of
 * those kinds, with the search's other filters. */
static int
route_kinds(const bi_serve_param *p, int n, sqlite3 *db, bi_buf *out)
{
	const char *v = param(p, n, "kind");
	char buf[200];
	const char *kinds[9];
	int k = 0;

	if (!v || !*v || strlen(v) >= sizeof buf)
		return error(out, 400, "kind is required: one or more kinds, by commas");
	strcpy(buf, v);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (k == 8 || strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(t))
			return error(out, 400, "kind: at most 8 kinds of letters, digits and _");
		kinds[k++] = t;
	}
	if (!k)
		return error(out, 400, "kind is required: one or more kinds, by commas");
	kinds[k] = NULL;
	bi_serve_query q = {0};
	char err[200];
	if (bi_serve_query_parse(p, n, bi_now_ns(), &q, err, sizeof err))
		return error(out, 400, err);
	if (q.level >= 0 || q.text)
		return error(out, 400, "level and q search logs only: use /api/logs");
	q.kinds = kinds;
	return records(db, &q, out);
}

/* The score history bi-score keeps: {"scores": [{ts, score}], oldest
 * first, at most the last 100. */
static int
route_scores(sqlite3 *db, bi_buf *out)
{
	char ts[BI_TS_LEN];
	jv list = jv_array();
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT ts, score FROM (SELECT ts, score, id FROM scores "
					  "ORDER BY ts DESC, id DESC LIMIT 100) ORDER BY ts, id");
	int rc = -1;
	while (st && (rc = bi_sql_step(st)) == 1) {
		jv o = jv_object_set(jv_object(), jv_string("ts"),
				     jv_string(bi_ts_fmt(sqlite3_column_int64(st, 0), ts)));
		list = jv_array_append(list, jv_object_set(o, jv_string("score"),
							   jv_number(sqlite3_column_double(st, 1))));
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		jv_free(list);
		return db_error(db, out);
	}
	add_jv(out, jv_object_set(jv_object(), jv_string("scores"), list));
	return 200;
}

/* The knowledge base's incidents, the latest seen first (at most 100). */
static int
route_kb(sqlite3 *db, bi_buf *out)
{
	static const char *const cols[] = {"id", "title", "service", "severity", "status", "fix",
					   "outcome", "pattern", "first_seen", "last_seen",
					   "occurrences", "confidence"};
	char ts[BI_TS_LEN];
	jv list = jv_array();
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT id, title, service, severity, status, fix, "
		"outcome, pattern, first_seen, last_seen, occurrences, confidence FROM kb_incidents "
		"ORDER BY last_seen DESC LIMIT 100");
	int rc = -1;
	while (st && (rc = bi_sql_step(st)) == 1) {
		jv o = jv_object();
		for (int i = 0; i < 12; i++) {
			jv v;
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				v = jv_null();
			else if (i == 8 || i == 9)
				v = jv_string(bi_ts_fmt(sqlite3_column_int64(st, i), ts));
			else if (i >= 10)
				v = jv_number(sqlite3_column_double(st, i));
			else
				v = jv_string((const char *)sqlite3_column_text(st, i));
			o = jv_object_set(o, jv_string(cols[i]), v);
		}
		list = jv_array_append(list, o);
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		jv_free(list);
		return db_error(db, out);
	}
	add_jv(out, jv_object_set(jv_object(), jv_string("incidents"), list));
	return 200;
}

/* The figures of a service at points times across the window (default
 * 60, at most 500, a step of 15 s at least), each over the step before it
 * (30 s at least, as a rate needs two scrapes): what the metrics charts
 * draw. Columns: t (ms) and one array per figure, null where none. */
static int
route_history(const bi_serve_param *p, int n, sqlite3 *db, bi_buf *out)
{
	const char *svc = param(p, n, "service"), *v = param(p, n, "points");
	int64_t win;
	long points = 60;
	char wbuf[32];

	if (!svc || !*svc)
		return error(out, 400, "service is required");
	if (window_param(p, n, &win))
		return error(out, 400, "window: not a duration from 1m to 24h");
	if (v && *v) {
		char *end;
		points = strtol(v, &end, 10);
		if (*end || points < 2 || points > 500)
			return error(out, 400, "points: not a count from 2 to 500");
	}
	int64_t wms = win / BI_NS_PER_MS, step = wms / points;
	if (step < 15000)
		step = 15000;
	points = wms / step;
	int64_t span = step < 30000 ? 30000 : step, end = bi_now_ns() / BI_NS_PER_MS;
	bi_metrics *m = bi_metrics_open(db);
	const char *names[BI_METRICS_FIGURES], *units[BI_METRICS_FIGURES];
	int nn = 0;
	bi_buf cols[BI_METRICS_FIGURES] = {{0}};
	bi_buf t = {0};
	for (long i = 0; i < points; i++) {
		int64_t at = end - (points - 1 - i) * step;
		bi_metrics_figure f[BI_METRICS_FIGURES];
		int nf = bi_metrics_derive(m, svc, at, span, f);
		bi_buf_printf(&t, "%s%lld", i ? "," : "", (long long)at);
		for (int k = 0; k < nf; k++) {
			int c;
			for (c = 0; c < nn && strcmp(names[c], f[k].name); c++)
				;
			if (c == nn) {	/* a figure first seen here: nulls before */
				names[nn] = f[k].name;
				units[nn++] = f[k].unit;
				for (long j = 0; j < i; j++)
					bi_buf_adds(&cols[c], j ? ",null" : "null");
			}
		}
		for (int c = 0; c < nn; c++) {
			int k;
			for (k = 0; k < nf && strcmp(names[c], f[k].name); k++)
				;
			const char *sep = i && cols[c].len ? "," : "";
			if (k < nf && isfinite(f[k].value))
				bi_buf_printf(&cols[c], "%s%.6g", sep, f[k].value);
			else
				bi_buf_printf(&cols[c], "%snull", sep);
		}
	}
	int bad = bi_metrics_error(m) != NULL;
	bi_metrics_close(m);
	if (!bad) {
		jv head = jv_object_set(jv_object(), jv_string("service"), jv_string(svc));
		head = jv_object_set(head, jv_string("window"),
				     jv_string(bi_dur_fmt(win, wbuf, sizeof wbuf)));
		head = jv_object_set(head, jv_string("step_ms"), jv_number((double)step));
		jv u = jv_object();
		for (int c = 0; c < nn; c++)
			u = jv_object_set(u, jv_string(names[c]), jv_string(units[c]));
		head = jv_object_set(head, jv_string("units"), u);
		add_jv(out, head);
		out->len--;
		bi_buf_adds(out, ",\"t\":[");
		if (t.len)
			bi_buf_add(out, t.p, t.len);
		bi_buf_adds(out, "],\"figures\":{");
		for (int c = 0; c < nn; c++) {
			bi_buf_printf(out, "%s\"%s\":[", c ? "," : "", names[c]);
			if (cols[c].len)
				bi_buf_add(out, cols[c].p, cols[c].len);
			bi_buf_adds(out, "]");
		}
		bi_buf_adds(out, "}}");
	}
	for (int c = 0; c < BI_METRICS_FIGURES; c++)
		bi_buf_free(&cols[c]);
	bi_buf_free(&t);
	return bad ? db_error(db, out) : 200;
}

/* POST id=N: acknowledge alert N, the one write the API makes (a
 * connection of its own, read-write, for that statement only). */
static int
route_ack(const bi_serve *s, const bi_serve_param *p, int n, bi_buf *out)
{
	const char *v = param(p, n, "id");
	char *end;
	long long id = v && *v ? strtoll(v, &end, 10) : -1;

	if (!v || !*v || *end || id <= 0)
		return error(out, 400, "id: the alert's number is required");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(s->db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return error(out, 500, "the store cannot be opened for writing");
	}
	sqlite3_busy_timeout(db, 5000);
	bi_metrics *m = bi_metrics_open(db);
	int r = bi_metrics_ack(m, id);
	const char *e = bi_metrics_error(m);
	int status = e ? error(out, 500, "database: cannot acknowledge") :
		     r ? error(out, 404, "no such alert") : 200;
	bi_metrics_close(m);
	sqlite3_close(db);
	if (status == 200)
		bi_buf_printf(out, "{\"id\":%lld,\"acked\":true}", id);
	return status;
}

int
bi_serve_is_stream(const char *path)
{
	return path && (!strcmp(path, "/api/logs/stream") || !strcmp(path, "/api/metrics/stream"));
}

int
bi_serve_handle(const bi_serve *s, sqlite3 *db, const char *method, const char *path,
		const bi_serve_param *p, int n, bi_buf *out)
{
	char err[300];
	int st;

	out->len = 0;
	if ((st = bi_serve_params_ok(path, p, n, err, sizeof err)))
		return error(out, st, err);
	if (strncmp(path, "/api/", 5))
		return error(out, 404, "no such route (the API is under /api/)");
	if (!strcmp(method, "POST") && !strcmp(path, "/api/alerts/ack"))
		return route_ack(s, p, n, out);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return error(out, 405, "GET, or POST to /api/alerts/ack and /api/chat");
	if (bi_serve_is_stream(path))	/* a GET of it is the transport's */
		return error(out, 405, "the stream answers GET only");
	if (!strcmp(path, "/api/status"))
		return route_status(s, db, out);
	if (!strcmp(path, "/api/logs"))
		return route_records(p, n, db, log_kinds, out);
	if (!strcmp(path, "/api/findings"))
		return route_records(p, n, db, finding_kinds, out);
	if (!strcmp(path, "/api/events"))
		return route_records(p, n, db, event_kinds, out);
	if (!strcmp(path, "/api/alerts"))
		return route_alerts(db, out);
	if (!strcmp(path, "/api/metrics"))
		return route_metrics(p, n, db, out);
	if (!strcmp(path, "/api/metrics/series"))
		return route_series(p, n, db, out);
	if (!strcmp(path, "/api/metrics/history"))
		return route_history(p, n, db, out);
	if (!strcmp(path, "/api/records"))
		return route_kinds(p, n, db, out);
	if (!strcmp(path, "/api/scores"))
		return route_scores(db, out);
	if (!strcmp(path, "/api/kb"))
		return route_kb(db, out);
	return error(out, 404, "no such route");
}

int
bi_serve_stream_poll(sqlite3 *db, const bi_serve_query *q, int64_t *last, bi_buf *out)
{
	if (*last < 0) {
		*last = bi_sql_int(db, "SELECT coalesce(max(id), 0) FROM records", -1);
		return *last < 0 ? -1 : 0;
	}
	bi_serve_query k = *q;
	k.kinds = log_kinds;
	k.after = *last ? *last : -1;	/* id > -1: from the first */
	k.limit = 500;
	k.since = k.until = 0;
	bi_buf sql = {0};
	char *match;
	bi_serve_query_sql(&k, &sql, &match);
	sqlite3_stmt *st = bi_sql_prepare(db, sql.p);
	bi_buf_free(&sql);
	if (!st || bi_serve_query_bind(st, &k, match)) {
		sqlite3_finalize(st);
		free(match);
		return -1;
	}
	int rc, n = 0;
	while ((rc = bi_sql_step(st)) == 1) {
		*last = sqlite3_column_int64(st, 0);
		bi_buf_printf(out, "id: %lld\ndata: %s\n\n", (long long)*last,
			      (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	free(match);
	return rc < 0 ? -1 : n;
}

int
bi_serve_metrics_event(sqlite3 *db, const char *window, bi_buf *out)
{
	bi_serve_param w = {"window", window, 6, strlen(window)};
	bi_buf b = {0};
	int st = route_metrics(&w, 1, db, &b);
	if (st == 200)
		bi_buf_printf(out, "event: metrics\ndata: %s\n\n", b.p);
	bi_buf_free(&b);
	return st == 200 ? 0 : -1;
}

int
bi_serve_cookie_token(const char *cookie, int port, char *tok, size_t n)
{
	char name[32];
	size_t nl = (size_t)snprintf(name, sizeof name, "bi_token_%d=", port);

	for (const char *c = cookie; c && *c;) {
		c += strspn(c, " ;");
		size_t k = strcspn(c, ";");
		if (k > nl && !strncmp(c, name, nl) && k - nl < n) {
			memcpy(tok, c + nl, k - nl);
			tok[k - nl] = '\0';
			return 0;
		}
		c += k;
	}
	return -1;
}

/* ---- the agent's chat ---- */

struct bi_serve_chat {
	pid_t pid;
	int out, err;		/* the terminal's master side; stderr's pipe */
	bi_buf text;		/* read, not yet sent: a character may be cut */
	bi_buf errs;		/* stderr, its first 8 KiB */
	int done;
};

size_t
bi_serve_utf8_whole(const char *p, size_t n)
{
	size_t i = n, back = 0;
	while (i > 0 && back < 4 && ((unsigned char)p[i - 1] & 0xC0) == 0x80)
		i--, back++;
	if (i == 0)
		return n;	/* no lead byte: nothing to wait for */
	unsigned char c = (unsigned char)p[i - 1];
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return back + 1 >= need ? n : i - 1;
}

int
bi_serve_chat_context(sqlite3 *db, int limit)
{
	int fd = memfd_create("context", MFD_CLOEXEC);
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT body FROM (SELECT id, body FROM records "
					  "ORDER BY id DESC LIMIT ?) ORDER BY id");
	int rc = -1;
	if (st && fd >= 0) {
		sqlite3_bind_int(st, 1, limit);
		/* Other threads spawn other chats' bi-asks meanwhile: no moment
		 * without close-on-exec (a plain dup() has one). */
		int w = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		FILE *f = w < 0 ? NULL : fdopen(w, "w");
		if (!f && w >= 0)
			close(w);
		while (f && (rc = bi_sql_step(st)) == 1)
			fprintf(f, "%s\n", (const char *)sqlite3_column_text(st, 0));
		if (!f || fclose(f) != 0)
			rc = -1;
	}
	sqlite3_finalize(st);
	if (rc < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

bi_serve_chat *
bi_serve_chat_start(const char *const *argv, int input, char *err, size_t errlen)
{
	int master = -1, slave = -1, ep[2] = {-1, -1};
	struct termios raw;
	char name[64];

	/* Neither side of the terminal goes to another chat's bi-ask, spawned
	 * by another thread at any moment: both are opened close-on-exec
	 * (openpty() then fcntl() would leave a moment between). Another's
	 * slave side kept open would keep this chat from seeing its end. */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
	    ptsname_r(master, name, sizeof name) != 0 ||
	    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		bi_errf(err, errlen, "no pseudo-terminal: %s", strerror(errno));
		if (master >= 0)
			close(master);
		return NULL;
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		bi_errf(err, errlen, "no pipe: %s", strerror(errno));
		close(master);
		close(slave);
		return NULL;
	}
	if (tcgetattr(slave, &raw) == 0) {
		cfmakeraw(&raw);
		tcsetattr(slave, TCSANOW, &raw);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, input, 0);
	posix_spawn_file_actions_adddup2(&fa, slave, 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGPIPE);
	/* The caller's threads may block signals: the child starts clean, in a
	 * session of its own (the terminal its controlling one). */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					POSIX_SPAWN_SETSID);
	extern char **environ;
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(slave);
	close(ep[1]);
	if (e) {
		bi_errf(err, errlen, "cannot run %s: %s", argv[0], strerror(e));
		close(master);
		close(ep[0]);
		return NULL;
	}
	bi_serve_chat *c = bi_calloc(1, sizeof *c);
	c->pid = pid;
	c->out = master;
	c->err = ep[0];
	return c;
}

static void
chat_event(bi_buf *out, const char *event, jv data)
{
	jv d = jv_dump_string(data, 0);
	bi_buf_printf(out, "event: %s\ndata: %s\n\n", event, jv_string_value(d));
	jv_free(d);
}

static void
keep_errs(bi_serve_chat *c, const char *p, size_t n)
{
	if (c->errs.len < 8192)
		bi_buf_add(&c->errs, p, n);
}

int
bi_serve_chat_poll(bi_serve_chat *c, int timeout_ms, bi_buf *out)
{
	char tmp[4096];

	if (c->done)
		return 0;
	struct pollfd pf[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
	int np = c->err >= 0 ? 2 : 1;
	if (poll(pf, (nfds_t)np, timeout_ms) <= 0)
		return 1;
	if (np == 2 && pf[1].revents) {
		ssize_t k = read(c->err, tmp, sizeof tmp);
		if (k > 0) {
			keep_errs(c, tmp, (size_t)k);
		} else if (k == 0 || errno != EINTR) {
			close(c->err);
			c->err = -1;
		}
	}
	if (!pf[0].revents)
		return 1;
	ssize_t k = read(c->out, tmp, sizeof tmp);
	if (k > 0) {
		bi_buf_add(&c->text, tmp, (size_t)k);
		size_t w = bi_serve_utf8_whole(c->text.p, c->text.len);
		if (w) {
			chat_event(out, "text", jv_object_set(jv_object(), jv_string("text"),
							      jv_string_sized(c->text.p, (int)w)));
			memmove(c->text.p, c->text.p + w, c->text.len - w);
			c->text.len -= w;
		}
		return 1;
	}
	if (k < 0 && errno == EINTR)
		return 1;
	/* EIO (or an end): every holder of the terminal closed it, so the
	 * program is ending. Its last words on stderr, then its status. */
	while (c->err >= 0) {
		ssize_t e = read(c->err, tmp, sizeof tmp);
		if (e <= 0)
			break;
		keep_errs(c, tmp, (size_t)e);
	}
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (c->text.len)	/* a cut character at the very end: as it is */
		chat_event(out, "text", jv_object_set(jv_object(), jv_string("text"),
						      jv_string_sized(c->text.p, (int)c->text.len)));
	if (code) {
		size_t n = c->errs.len;
		while (n && (c->errs.p[n - 1] == '\n' || c->errs.p[n - 1] == '\r'))
			n--;
		jv o = jv_object_set(jv_object(), jv_string("error"),
				     jv_string_sized(n ? c->errs.p : "", (int)n));
		chat_event(out, "error", jv_object_set(o, jv_string("status"), jv_number(code)));
	}
	chat_event(out, "done", jv_object_set(jv_object(), jv_string("status"), jv_number(code)));
	c->done = 1;
	return 0;
}

void
bi_serve_chat_free(bi_serve_chat *c)
{
	if (!c)
		return;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(c->out);
	if (c->err >= 0)
		close(c->err);
	bi_buf_free(&c->text);
	bi_buf_free(&c->errs);
	free(c);
}
