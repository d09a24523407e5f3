/* test-serve: the dashboard API's gate (Host, Origin, token, body size),
 * its parameter checks, the SQL it builds (placeholders only), and its
 * answers and stream over a small store opened read-only. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "sources/store.h"
#include "sources/logparse.h"
#include "engines/metrics.h"
#include "engines/serve.h"
#include "tap.h"

#include <jv.h>

#define TOKEN "0123456789abcdef0123456789abcdef"

static bi_serve srv = {.token = TOKEN, .port = 8470};

static int
gate(const char *host, const char *origin, const char *auth, int64_t len)
{
	const char *why;
	int st = bi_serve_gate(&srv, host, origin, auth, len, &why);
	return st && !why ? -1 : st;	/* a refusal always says why */
}

#define P(k, v) {(k), (v), strlen(k), strlen(v)}

static void
test_values(void)
{
	ok(bi_serve_value_ok("api", 3), "a plain value passes");
	ok(bi_serve_value_ok("", 0), "an empty value passes");
	ok(bi_serve_value_ok("v1..2", 5), "\"..\" inside a word passes");
	ok(bi_serve_value_ok("2026-12-05T08:00:00.000Z", 24), "a time passes");
	ok(!bi_serve_value_ok("../etc", 6), "../ is refused");
	ok(!bi_serve_value_ok("a/../b", 6), "/../ inside is refused");
	ok(!bi_serve_value_ok("a/..", 4), "a trailing .. is refused");
	ok(!bi_serve_value_ok("..\\x", 4), "..\\ is refused");
	ok(!bi_serve_value_ok("a\0b", 3), "a NUL is refused");
	ok(!bi_serve_value_ok("a\nb", 3), "a newline is refused");
	ok(!bi_serve_value_ok("a\x7f", 2), "DEL is refused");

	char err[200];
	bi_serve_param good[] = {P("service", "api"), P("q", "connection refused")};
	is_num(bi_serve_params_ok("/api/logs", good, 2, err, sizeof err), 0, "good parameters pass");
	is_num(bi_serve_params_ok("/api/../etc/passwd", good, 2, err, sizeof err), 400,
	       "a path with .. is 400");
	bi_serve_param nul[] = {{"service", "a\0b", 7, 3}};
	is_num(bi_serve_params_ok("/api/logs", nul, 1, err, sizeof err), 400,
	       "a NUL within a value's length is 400");
	ok(strstr(err, "service") != NULL, "the reason names the parameter: %s", err);
	bi_serve_param key[] = {P("../x", "1")};
	is_num(bi_serve_params_ok("/api/logs", key, 1, err, sizeof err), 400, "a key with ../ is 400");
	bi_serve_param many[BI_SERVE_PARAMS_MAX + 1];
	for (int i = 0; i <= BI_SERVE_PARAMS_MAX; i++)
		many[i] = (bi_serve_param)P("a", "b");
	is_num(bi_serve_params_ok("/api/logs", many, BI_SERVE_PARAMS_MAX + 1, err, sizeof err), 400,
	       "more than %d parameters is 400", BI_SERVE_PARAMS_MAX);
}

static void
test_gate(void)
{
	const char *a = "Bearer " TOKEN;
	is_num(gate("127.0.0.1:8470", NULL, a, -1), 0, "127.0.0.1 with our port and the token passes");
	is_num(gate("localhost:8470", NULL, a, -1), 0, "localhost passes");
	is_num(gate("LOCALHOST:8470", NULL, a, -1), 0, "a host name's case does not matter");
	is_num(gate("[::1]:8470", NULL, a, -1), 0, "[::1] passes");
	is_num(gate(NULL, NULL, a, -1), 403, "no Host is 403");
	is_num(gate("127.0.0.1", NULL, a, -1), 403, "a Host without the port is 403");
	is_num(gate("127.0.0.1:8471", NULL, a, -1), 403, "another port is 403");
	is_num(gate("127.0.0.1:84700", NULL, a, -1), 403, "a port that only begins with ours is 403");
	is_num(gate("evil.example:8470", NULL, a, -1), 403, "a rebound name is 403");
	is_num(gate("127.0.0.1.evil.example:8470", NULL, a, -1), 403, "a name that begins with ours is 403");
	is_num(gate("192.168.1.5:8470", NULL, a, -1), 403, "an address not asked for is 403");
	is_num(gate("127.0.0.1:8470", "http://127.0.0.1:8470", a, -1), 0, "our own origin passes");
	is_num(gate("127.0.0.1:8470", "http://localhost:8470", a, -1), 0, "localhost's origin passes");
	is_num(gate("127.0.0.1:8470", "http://evil.example", a, -1), 403, "another site is 403");
	is_num(gate("127.0.0.1:8470", "https://127.0.0.1:8470", a, -1), 403, "another scheme is 403");
	is_num(gate("127.0.0.1:8470", "null", a, -1), 403, "an opaque origin is 403");
	is_num(gate("127.0.0.1:8470", NULL, NULL, -1), 401, "no token is 401");
	is_num(gate("127.0.0.1:8470", NULL, "Bearer", -1), 401, "an empty Bearer is 401");
	is_num(gate("127.0.0.1:8470", NULL, "Bearer 0123456789abcdef", -1), 401, "a prefix of the token is 401");
	is_num(gate("127.0.0.1:8470", NULL, "Bearer " TOKEN "0", -1), 401, "the token and more is 401");
	is_num(gate("127.0.0.1:8470", NULL, "Basic " TOKEN, -1), 401, "another scheme is 401");
	is_num(gate("evil.example:8470", NULL, NULL, -1), 403, "a wrong Host is told before a missing token");
	is_num(gate("127.0.0.1:8470", NULL, a, BI_SERVE_BODY_MAX), 0, "a body of 1 MiB passes");
	is_num(gate("127.0.0.1:8470", NULL, a, 10 << 20), 413, "a body of 10 MiB is 413");
	is_num(gate("127.0.0.1:8470", NULL, NULL, 10 << 20), 401, "without the token, 401 before 413");

	bi_serve none = {.token = NULL, .port = 8470};
	const char *why;
	is_num(bi_serve_gate(&none, "127.0.0.1:8470", NULL, "Bearer ", -1, &why), 401,
	       "a server without a token lets nobody in");
	srv.listen = "192.168.1.5";
	is_num(gate("192.168.1.5:8470", NULL, a, -1), 0, "the --listen address passes when given");
	srv.listen = "fd00::5";
	is_num(gate("[fd00::5]:8470", "http://[fd00::5]:8470", a, -1), 0,
	       "an IPv6 --listen address passes in brackets");
	srv.listen = NULL;
}

static void
test_query(void)
{
	bi_serve_query q;
	char err[200];
	int64_t now = INT64_C(1795480000) * BI_NS_PER_S;

	bi_serve_param p[] = {P("service", "api"), P("level", "WARNING"), P("q", "refused"),
			      P("since", "15m"), P("until", "2026-11-24T01:46:45.758Z"),
			      P("limit", "20"), P("other", "x")};
	is_num(bi_serve_query_parse(p, 7, now, &q, err, sizeof err), 0, "a full query parses");
	is_str(q.service, "api", "service");
	is_num(q.level, bi_level_rank("warn"), "WARNING is warn's rank");
	is_str(q.text, "refused", "q is the text");
	is_num((double)q.since, (double)(now - 15 * 60 * BI_NS_PER_S), "since 15m is now - 15 min");
	int64_t until;
	bi_ts_parse("2026-11-24T01:46:45.758Z", &until);
	is_num((double)q.until, (double)until, "until is the time given");
	is_num(q.limit, 20, "limit");

	bi_serve_param none[] = {P("service", "")};
	is_num(bi_serve_query_parse(none, 1, now, &q, err, sizeof err), 0, "an empty service parses");
	ok(!q.service && q.level < 0 && !q.text && !q.since && !q.until, "and means no filter");
	is_num(q.limit, BI_SERVE_LIMIT_DEF, "the default limit");

	const char *bad[][2] = {{"level", "loud"}, {"limit", "0"}, {"limit", "-1"}, {"limit", "12x"},
				{"limit", "10001"}, {"since", "yesterday"}, {"until", "5 parsecs"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bi_serve_param b[] = {P(bad[i][0], bad[i][1])};
		is_num(bi_serve_query_parse(b, 1, now, &q, err, sizeof err), -1, "%s=%s is refused",
		       bad[i][0], bad[i][1]);
	}

	/* The SQL: constants and placeholders only, whatever the values. */
	static const char *const kinds[] = {"log", NULL};
	bi_serve_query full = {.kinds = kinds, .service = "x' OR 1=1 --", .level = 3,
			       .text = "say \"hi\" now", .since = 1, .until = 2, .limit = 5};
	bi_buf sql = {0};
	char *match;
	bi_serve_query_sql(&full, &sql, &match);
	is_str(sql.p, "SELECT id, body FROM records WHERE 1 AND kind IN (?) AND service = ? AND "
	       "level >= ? AND ts >= ? AND ts <= ? AND id IN (SELECT rowid FROM logs_fts WHERE "
	       "logs_fts MATCH ?) ORDER BY ts DESC, id DESC LIMIT ?", "the full query's SQL");
	is_str(match, "\"say\" \"\"\"hi\"\"\" \"now\"", "each word quoted for FTS5, quotes doubled");
	ok(!strchr(sql.p, '\''), "no value is in the SQL text");
	free(match);
	sql.len = 0;
	bi_serve_query plain = {.level = -1, .limit = 10};
	bi_serve_query_sql(&plain, &sql, &match);
	is_str(sql.p, "SELECT id, body FROM records WHERE 1 ORDER BY ts DESC, id DESC LIMIT ?",
	       "no filter: the newest");
	ok(match == NULL, "no text, no match string");
	sql.len = 0;
	bi_serve_query stream = {.kinds = kinds, .level = -1, .after = 7, .limit = 10};
	bi_serve_query_sql(&stream, &sql, &match);
	is_str(sql.p, "SELECT id, body FROM records WHERE 1 AND kind IN (?) AND id > ? ORDER BY id LIMIT ?",
	       "a stream goes forward by id");
	sql.len = 0;
	bi_serve_query blank = {.level = -1, .text = "   ", .limit = 1};
	bi_serve_query_sql(&blank, &sql, &match);
	is_str(match, "\"\"", "text of spaces only matches an empty phrase");
	free(match);
	bi_buf_free(&sql);
}

static sqlite3 *wdb;

static void
put(const char *kind, int64_t ts_s, const char *service, const char *level, const char *msg)
{
	char ts[BI_TS_LEN];
	bi_ts_fmt(ts_s * BI_NS_PER_S, ts);
	jv rec = jv_object_set(jv_object(), jv_string("kind"), jv_string(kind));
	rec = jv_object_set(rec, jv_string("ts"), jv_string(ts));
	rec = jv_object_set(rec, jv_string("service"), jv_string(service));
	if (level)
		rec = jv_object_set(rec, jv_string("level"), jv_string(level));
	rec = jv_object_set(rec, jv_string("msg"), jv_string(msg));
	uint64_t h = bi_store_record_hash(rec);
	jv d = jv_dump_string(rec, 0);
	sqlite3_stmt *st = bi_sql_prepare(wdb, "INSERT INTO records (kind, ts, service, level, hash, body) "
					  "VALUES (?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts_s * BI_NS_PER_S);
	sqlite3_bind_text(st, 3, service, -1, SQLITE_STATIC);
	if (level)
		sqlite3_bind_int(st, 4, bi_level_rank(level));
	sqlite3_bind_int64(st, 5, (int64_t)h);
	sqlite3_bind_text(st, 6, jv_string_value(d), -1, SQLITE_TRANSIENT);
	bi_sql_run(st);
	sqlite3_finalize(st);
	jv_free(d);
	if (!strcmp(kind, "log")) {
		st = bi_sql_prepare(wdb, "INSERT INTO logs_fts (rowid, msg, stack) VALUES (?, ?, '')");
		sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(wdb));
		sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
		bi_sql_run(st);
		sqlite3_finalize(st);
	}
}

/* The answer's JSON, or null when it is not JSON. */
static jv
answer(sqlite3 *db, const char *method, const char *path, const bi_serve_param *p, int n, int *status)
{
	bi_buf out = {0};
	*status = bi_serve_handle(&srv, db, method, path, p, n, &out);
	jv v = jv_parse(out.p ? out.p : "");
	bi_buf_free(&out);
	return jv_is_valid(v) ? v : (jv_free(v), jv_null());
}

static int
count(jv v)
{
	jv c = jv_object_get(jv_copy(v), jv_string("count"));
	int n = jv_get_kind(c) == JV_KIND_NUMBER ? (int)jv_number_value(c) : -1;
	jv_free(c);
	return n;
}

static void
test_store(void)
{
	char *dir = bi_temp_dir("test-serve");
	char *path = bi_asprintf("%s/bi.db", dir);
	char err[300];
	int st;
	int64_t now = bi_now_ns() / BI_NS_PER_S;

	wdb = bi_store_open(path, err, sizeof err);
	ok(wdb != NULL, "a store: %s", wdb ? "" : err);
	put("log", now - 600, "api", "info", "started on port 8080");
	put("log", now - 500, "api", "error", "connection refused to db");
	put("log", now - 400, "worker", "warn", "slow query took 900ms");
	put("log", now - 300, "api", "error", "connection refused again");
	put("finding", now - 200, "api", NULL, "connection refused");
	put("container", now - 100, "api", NULL, "restart");

	char *missing = bi_asprintf("%s/none.db", dir);
	ok(bi_serve_open_db(missing, err, sizeof err) == NULL, "no store: not opened (%s)", err);
	ok(access(missing, F_OK) != 0, "and not made either");
	sqlite3 *db = bi_serve_open_db(path, err, sizeof err);
	ok(db != NULL, "the store opens read-only");
	ok(bi_sql_exec(db, "DELETE FROM records") != 0, "and refuses to write");

	jv v = answer(db, "GET", "/api/logs", NULL, 0, &st);
	is_num(st, 200, "/api/logs");
	is_num(count(v), 4, "every log, and nothing else");
	jv first = jv_object_get(jv_array_get(jv_object_get(jv_copy(v), jv_string("records")), 0),
				 jv_string("msg"));
	is_str(jv_string_value(first), "started on port 8080", "the oldest first");
	jv_free(first);
	jv_free(v);

	bi_serve_param f1[] = {P("service", "api"), P("level", "error")};
	v = answer(db, "GET", "/api/logs", f1, 2, &st);
	is_num(count(v), 2, "service and level filter");
	jv_free(v);
	bi_serve_param f2[] = {P("q", "refused"), P("limit", "1")};
	v = answer(db, "GET", "/api/logs", f2, 2, &st);
	first = jv_object_get(jv_array_get(jv_object_get(jv_copy(v), jv_string("records")), 0),
			      jv_string("msg"));
	is_num(count(v), 1, "text and limit");
	is_str(jv_string_value(first), "connection refused again", "the limit keeps the newest");
	jv_free(first);
	jv_free(v);
	bi_serve_param f3[] = {P("since", "450s")};
	v = answer(db, "GET", "/api/logs", f3, 1, &st);
	is_num(count(v), 2, "since a duration ago");
	jv_free(v);
	bi_serve_param f4[] = {P("service", "x' OR '1'='1")};
	v = answer(db, "GET", "/api/logs", f4, 1, &st);
	is_num(count(v), 0, "a quote in a value is a value, not SQL");
	jv_free(v);
	bi_serve_param f5[] = {P("q", "refused OR \"x")};
	v = answer(db, "GET", "/api/logs", f5, 1, &st);
	is_num(st, 200, "FTS5 syntax in q is text: %d", st);
	jv_free(v);

	v = answer(db, "GET", "/api/findings", NULL, 0, &st);
	is_num(count(v), 1, "/api/findings");
	jv_free(v);
	v = answer(db, "GET", "/api/events", NULL, 0, &st);
	is_num(count(v), 1, "/api/events");
	jv_free(v);
	v = answer(db, "GET", "/api/events", f1, 2, &st);
	is_num(st, 400, "level on events is 400");
	jv_free(v);
	v = answer(db, "GET", "/api/alerts", NULL, 0, &st);
	is_num(st * 10 + count(v), 2000, "/api/alerts: none firing");
	jv_free(v);

	v = answer(db, "GET", "/api/status", NULL, 0, &st);
	is_num(st, 200, "/api/status");
	jv r = jv_object_get(jv_object_get(jv_copy(v), jv_string("records")), jv_string("log"));
	is_num(jv_number_value(r), 4, "status counts the logs");
	jv_free(r);
	jv s = jv_dump_string(jv_object_get(v, jv_string("services")), 0);
	is_str(jv_string_value(s), "[\"api\",\"worker\"]", "status lists the services");
	jv_free(s);

	/* Metrics: one service's counter over two scrapes, seen through a window. */
	bi_metrics *m = bi_metrics_open(wdb);
	jv l = jv_parse("{\"code\":\"200\"}");
	int64_t ms = bi_now_ns() / BI_NS_PER_MS;
	for (int k = 70; k >= 1; k--)	/* 10 a second, a sample every second */
		bi_metrics_keep(m, "api", "http_requests_total", l, "counter", ms - 1000 * k,
				10.0 * (70 - k));
	jv_free(l);
	bi_metrics_close(m);
	bi_serve_param w[] = {P("window", "1m")};
	v = answer(db, "GET", "/api/metrics", w, 1, &st);
	is_num(st, 200, "/api/metrics");
	jv rate = jv_object_get(jv_object_get(jv_object_get(jv_array_get(
		jv_object_get(v, jv_string("services")), 0), jv_string("figures")),
		jv_string("request_rate")), jv_string("value"));
	near(jv_number_value(rate), 10, 0.01, "request_rate over the window: 10 a second");
	jv_free(rate);
	bi_serve_param sp[] = {P("service", "api"), P("name", "http_requests_total"), P("window", "5m")};
	v = answer(db, "GET", "/api/metrics/series", sp, 3, &st);
	is_num(st, 200, "/api/metrics/series");
	jv pts = jv_object_get(jv_array_get(jv_object_get(jv_copy(v), jv_string("series")), 0),
			       jv_string("points"));
	is_num(jv_array_length(jv_copy(pts)), 70, "every sample of the window, as a point");
	jv pt = jv_array_get(pts, 69);
	jv lastv = jv_array_get(pt, 1);
	is_num(jv_number_value(lastv), 690, "[time in ms, value], oldest first");
	jv_free(lastv);
	jv_free(v);
	v = answer(db, "GET", "/api/metrics/series", sp, 1, &st);
	is_num(st, 400, "series without a name: 400");
	jv_free(v);
	bi_serve_param w2[] = {P("window", "30s")};
	v = answer(db, "GET", "/api/metrics", w2, 1, &st);
	is_num(st, 400, "a window under 1m is 400");
	jv_free(v);
	bi_serve_param w3[] = {P("window", "25h")};
	v = answer(db, "GET", "/api/metrics", w3, 1, &st);
	is_num(st, 400, "a window over 24h is 400");
	jv_free(v);

	v = answer(db, "GET", "/api/nope", NULL, 0, &st);
	is_num(st, 404, "an unknown route is 404");
	jv e = jv_object_get(v, jv_string("error"));
	ok(jv_get_kind(e) == JV_KIND_STRING, "with an error in JSON");
	jv_free(e);
	v = answer(db, "POST", "/api/logs", NULL, 0, &st);
	is_num(st, 405, "POST is 405");
	jv_free(v);
	v = answer(db, "GET", "/etc/passwd", NULL, 0, &st);
	is_num(st, 404, "outside /api/ is 404");
	jv_free(v);
	v = answer(db, "GET", "/api/../etc/passwd", NULL, 0, &st);
	is_num(st, 400, "a path with .. is 400 before any route");
	jv_free(v);
	ok(bi_serve_is_stream("/api/logs/stream") && !bi_serve_is_stream("/api/logs"), "the stream's path");

	/* The stream: from the newest, then what comes after, filtered. */
	bi_serve_query q = {.level = -1, .service = "api"};
	int64_t last = -1;
	bi_buf out = {0};
	is_num(bi_serve_stream_poll(db, &q, &last, &out), 0, "a stream begins with no event");
	is_num((double)last, 6, "at the newest record");
	is_num(bi_serve_stream_poll(db, &q, &last, &out), 0, "nothing new, nothing sent");
	put("log", now, "worker", "info", "not this service");
	put("log", now, "api", "info", "a new line");
	is_num(bi_serve_stream_poll(db, &q, &last, &out), 1, "one new record of the service");
	ok(out.p && !strncmp(out.p, "id: 8\ndata: {", 13) && strstr(out.p, "a new line\"}\n\n"),
	   "as an event with its id");
	is_num((double)last, 8, "the stream moved on");
	bi_buf_free(&out);

	/* The routes the page's views read. */
	bi_serve_param k1[] = {P("kind", "finding,container")};
	v = answer(db, "GET", "/api/records", k1, 1, &st);
	is_num(st * 10 + count(v), 2002, "/api/records?kind=finding,container: both, nothing else");
	jv_free(v);
	bi_serve_param k2[] = {P("kind", "log;DROP")};
	v = answer(db, "GET", "/api/records", k2, 1, &st);
	is_num(st, 400, "a kind of other characters is 400");
	jv_free(v);
	v = answer(db, "GET", "/api/records", NULL, 0, &st);
	is_num(st, 400, "no kind is 400");
	jv_free(v);
	v = answer(db, "GET", "/api/scores", NULL, 0, &st);
	s = jv_dump_string(v, 0);
	is_str(jv_string_value(s), "{\"scores\":[]}", "/api/scores with none kept");
	jv_free(s);
	v = answer(db, "GET", "/api/kb", NULL, 0, &st);
	is_num(st, 200, "/api/kb");
	jv_free(v);
	bi_serve_param h1[] = {P("service", "api"), P("window", "1m"), P("points", "4")};
	v = answer(db, "GET", "/api/metrics/history", h1, 3, &st);
	is_num(st, 200, "/api/metrics/history");
	jv rr = jv_object_get(jv_object_get(jv_copy(v), jv_string("figures")), jv_string("request_rate"));
	jv tt = jv_object_get(jv_copy(v), jv_string("t"));
	is_num(jv_array_length(jv_copy(tt)) * 10 + jv_array_length(jv_copy(rr)), 44,
	       "4 times of 15 s and a request rate at each");
	jv lastr = jv_array_get(jv_copy(rr), 3);
	near(jv_get_kind(lastr) == JV_KIND_NUMBER ? jv_number_value(lastr) : -1, 10, 0.01,
	     "the last: 10 a second");
	jv_free(lastr);
	jv_free(rr);
	jv_free(tt);
	jv_free(v);
	bi_serve_param h2[] = {P("service", "api"), P("points", "1")};
	v = answer(db, "GET", "/api/metrics/history", h2, 2, &st);
	is_num(st, 400, "one point is 400");
	jv_free(v);

	/* An alert acknowledged: the one write, and a POST only. */
	bi_sql_exec(wdb, "INSERT INTO alerts (id, name, service, severity, state, fired_at) "
		    "VALUES (5, 'error_rate', 'api', 'critical', 'firing', 1)");
	srv.db_path = path;
	bi_serve_param a1[] = {P("id", "5")};
	v = answer(NULL, "POST", "/api/alerts/ack", a1, 1, &st);
	is_num(st * 10 + bi_sql_int(db, "SELECT acked FROM alerts WHERE id = 5", -1), 2001,
	       "POST /api/alerts/ack?id=5: 200, acknowledged");
	jv_free(v);
	bi_serve_param a2[] = {P("id", "99")};
	v = answer(NULL, "POST", "/api/alerts/ack", a2, 1, &st);
	is_num(st, 404, "an alert that is not: 404");
	jv_free(v);
	v = answer(db, "GET", "/api/alerts/ack", a1, 1, &st);
	is_num(st, 404, "a GET acknowledges nothing");
	jv_free(v);
	srv.db_path = NULL;

	char tok[100];
	is_num(bi_serve_cookie_token("a=1; bi_token_8470=abc; b=2", 8470, tok, sizeof tok), 0,
	       "the cookie of our port is found");
	is_str(tok, "abc", "and its value");
	is_num(bi_serve_cookie_token("bi_token_8471=abc", 8470, tok, sizeof tok), -1,
	       "another port's cookie is not ours");
	is_num(bi_serve_cookie_token("xbi_token_8470=abc", 8470, tok, sizeof tok), -1,
	       "nor a cookie whose name ends with ours");
	is_num(bi_serve_cookie_token(NULL, 8470, tok, sizeof tok), -1, "no Cookie header: none");
	is_num(bi_serve_cookie_token("bi_token_8470=0123456789", 8470, tok, 4), -1,
	       "a value too long for the buffer: none");

	/* The chat's input: the newest records, oldest first. */
	int cfd = bi_serve_chat_context(db, 2);
	char cbuf[4096] = "";
	ssize_t cn = cfd >= 0 ? read(cfd, cbuf, sizeof cbuf - 1) : -1;
	cbuf[cn > 0 ? cn : 0] = '\0';
	ok(cfd >= 0 && cn > 0, "the chat's context: a memory file");
	ok(strstr(cbuf, "not this service") && strstr(cbuf, "a new line") &&
	   strstr(cbuf, "not this service") < strstr(cbuf, "a new line") &&
	   !strstr(cbuf, "restart"), "the 2 newest records, oldest first");
	if (cfd >= 0)
		close(cfd);

	sqlite3_close(db);
	sqlite3_close(wdb);
	unlink(path);
	char *aux = bi_asprintf("%s-wal", path);
	unlink(aux);
	free(aux);
	aux = bi_asprintf("%s-shm", path);
	unlink(aux);
	free(aux);
	rmdir(dir);
	free(missing);
	free(path);
	free(dir);
}

/* Run argv as a chat to its end; the events in out. Its return: how many
 * polls it took, or -1 when it did not start. */
static int
chat(const char *const *argv, bi_buf *out)
{
	char err[200];
	int in = open("/dev/null", O_RDONLY);
	bi_serve_chat *c = bi_serve_chat_start(argv, in, err, sizeof err);
	close(in);
	if (!c)
		return -1;
	int n = 1;
	while (bi_serve_chat_poll(c, 2000, out) && n < 200)
		n++;
	bi_serve_chat_free(c);
	return n;
}

static void
test_chat(void)
{
	is_num(bi_serve_utf8_whole("abc", 3), 3, "ASCII is whole");
	is_num(bi_serve_utf8_whole("a\xc3", 2), 1, "a lead byte alone waits");
	is_num(bi_serve_utf8_whole("a\xc3\xa9", 3), 3, "a two-byte character is whole");
	is_num(bi_serve_utf8_whole("a\xe2\x82", 3), 1, "two bytes of three wait");
	is_num(bi_serve_utf8_whole("\xf0\x9f\x98\x80", 4), 4, "four of four are whole");

	/* A program that writes é in two reads, says something on stderr and fails. */
	const char *const fails[] = {"sh", "-c", "[ -t 1 ] && printf 'tty '; printf 'caf\\303'; sleep 0.2; "
				     "printf '\\251 ok'; echo oops >&2; exit 3", NULL};
	bi_buf out = {0};
	ok(chat(fails, &out) > 1, "a chat runs to its end");
	bi_buf text = {0};
	int texts = 0;
	for (const char *p = out.p; p && (p = strstr(p, "event: text\ndata: ")); p++, texts++) {
		jv e = jv_parse_sized(p + 18, (int)strcspn(p + 18, "\n"));
		jv t = jv_object_get(e, jv_string("text"));
		bi_buf_adds(&text, jv_string_value(t));
		jv_free(t);
	}
	ok(texts >= 2, "its output in pieces as it came (%d)", texts);
	is_str(text.p, "tty caf\xc3\xa9 ok", "on a terminal, without a cut character");
	ok(out.p && strstr(out.p, "event: error\ndata: {\"error\":\"oops\",\"status\":3}\n\n"),
	   "its failure: stderr and status");
	ok(out.p && strstr(out.p, "event: done\ndata: {\"status\":3}\n\n") &&
	   out.len == (size_t)(strstr(out.p, "event: done") - out.p) + 32, "then done, last");
	bi_buf_free(&text);
	out.len = 0;
	const char *const fine[] = {"sh", "-c", "printf 'fine'", NULL};
	chat(fine, &out);
	ok(out.p && !strstr(out.p, "event: error") && strstr(out.p, "event: done\ndata: {\"status\":0}"),
	   "a program that succeeds: no error event");
	bi_buf_free(&out);
	const char *const none[] = {"bi-no-such-program-here", NULL};
	is_num(chat(none, &out), -1, "a program that is not there does not start");

	char err[200];
	int in = open("/dev/null", O_RDONLY);
	const char *const slow[] = {"sleep", "30", NULL};
	bi_serve_chat *c = bi_serve_chat_start(slow, in, err, sizeof err);
	close(in);
	int64_t t0 = bi_mono_ns();
	bi_serve_chat_free(c);
	ok(c && bi_mono_ns() - t0 < 10 * BI_NS_PER_S, "freed while it runs, the program is ended");
}

/* Chats started by several threads at once, as bi-serve's connections do:
 * each program lists its descriptors; none may hold another chat's
 * terminal (a master side, or a second slave side beside its own). */
enum { RACERS = 4, RACES = 100 };

static void *
race(void *arg)
{
	int *counts = arg;	/* leaks, listings seen */
	const char *const list[] = {"sh", "-c", "ls -l /proc/$$/fd", NULL};
	for (int i = 0; i < RACES; i++) {
		bi_buf out = {0};
		chat(list, &out);
		int pts = 0, ptmx = 0;
		for (const char *p = out.p; p && (p = strstr(p, "/dev/pt")); p++)
			p[7] == 'm' ? ptmx++ : pts++;
		if (ptmx || pts > 1)
			counts[0]++;
		if (pts)
			counts[1]++;
		bi_buf_free(&out);
	}
	return NULL;
}

static void
test_chat_race(void)
{
	pthread_t t[RACERS];
	int counts[RACERS][2] = {{0}}, leaks = 0, seen = 0;
	for (int i = 0; i < RACERS; i++)
		pthread_create(&t[i], NULL, race, counts[i]);
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		leaks += counts[i][0];
		seen += counts[i][1];
	}
	is_num(seen, RACERS * RACES, "each listed its descriptors, its own terminal on 1");
	is_num(leaks, 0, "%d chats, %d at once: none given another's terminal", RACERS * RACES, RACERS);
}

int
main(void)
{
	plan(145);
	test_values();
	test_gate();
	test_chat();
	test_chat_race();
	test_query();
	test_store();
	return done();
}
