/*
 * metrics.c: metric history in the project database (lib/sources/store.c, migration
 * 4). Samples are kept by series (a service, a name and its labels); figures
 * are derived from a window of them as PromQL would (lib/engines/prom.c): request
 * rate, error rate (the 5xx share) and latency p50, p95 and p99 from
 * histogram buckets, under Micrometer's names or the common ones, and the
 * latest container stats. Alerts fire on those figures, change severity,
 * resolve, and hold back for a cooldown after resolving, so that a figure
 * hovering at its threshold does not flap.
 *
 * A series' id is looked up once and then cached by the hash of its key:
 * a scrape keeps thousands of samples, and the lookups would be most of it.
 *
 * Layer: engines.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engines/metrics.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"
#include "engines/prom.h"

#define CACHE 4096

struct bi_metrics {
	sqlite3 *db;
	char err[512];		/* the first database error; "" while none */
	sqlite3_stmt *series_ins, *series_get, *sample;
	struct {
		uint64_t hash;
		int64_t id;
	} cache[CACHE];
};

/* Keep the first error. A statement that failed to prepare is NULL, and
 * SQLite takes a NULL statement everywhere as a misuse that changes
 * nothing, so the code after a failure runs harmlessly to its end. */
static int
check(bi_metrics *m, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (!m->err[0])
		snprintf(m->err, sizeof m->err, "%s: %s", what, sqlite3_errmsg(m->db));
	return -1;
}

static sqlite3_stmt *
prepare(bi_metrics *m, const char *sql)
{
	if (m->err[0])
		return NULL;
	sqlite3_stmt *st = bi_sql_prepare(m->db, sql);
	if (!st)
		check(m, SQLITE_ERROR, sql);
	return st;
}

static int64_t
one(bi_metrics *m, const char *sql)
{
	sqlite3_stmt *st = prepare(m, sql);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

const char *
bi_metrics_error(const bi_metrics *m)
{
	return m->err[0] ? m->err : NULL;
}

bi_metrics *
bi_metrics_open(sqlite3 *db)
{
	bi_metrics *m = bi_calloc(1, sizeof *m);

	m->db = db;
	m->series_ins = prepare(m, "INSERT OR IGNORE INTO metric_series (service, name, labels, type) "
				"VALUES (?, ?, ?, ?)");
	m->series_get = prepare(m, "SELECT id FROM metric_series WHERE service = ? AND name = ? AND labels = ?");
	m->sample = prepare(m, "INSERT OR REPLACE INTO metric_samples (series, ts, value) VALUES (?, ?, ?)");
	return m;
}

void
bi_metrics_close(bi_metrics *m)
{
	if (!m)
		return;
	sqlite3_finalize(m->series_ins);
	sqlite3_finalize(m->series_get);
	sqlite3_finalize(m->sample);
	free(m);
}

/* ---- keeping samples ---- */

/* The id of a series, made when new. */
static int64_t
series_id(bi_metrics *m, const char *service, const char *name, const char *labels, const char *type)
{
	bi_buf k = {0};
	bi_buf_printf(&k, "%s%c%s%c%s", service, 0, name, 0, labels);
	uint64_t h = bi_hash64(k.p, k.len);
	bi_buf_free(&k);
	size_t slot = h % CACHE;
	if (m->cache[slot].hash == h && m->cache[slot].id)
		return m->cache[slot].id;
	sqlite3_reset(m->series_ins);
	sqlite3_bind_text(m->series_ins, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->series_ins, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->series_ins, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->series_ins, 4, type, -1, SQLITE_STATIC);
	check(m, sqlite3_step(m->series_ins), "series");
	sqlite3_reset(m->series_ins);
	sqlite3_reset(m->series_get);
	sqlite3_bind_text(m->series_get, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->series_get, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->series_get, 3, labels, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(m->series_get) == SQLITE_ROW ?
		sqlite3_column_int64(m->series_get, 0) : 0;
	/* A statement left on a row holds a read transaction open, and a
	 * connection reading cannot then wait for the write lock. */
	sqlite3_reset(m->series_get);
	if (!id)
		return 0;
	m->cache[slot].hash = h;
	m->cache[slot].id = id;
	return id;
}

int
bi_metrics_keep(bi_metrics *m, const char *service, const char *name, jv labels, const char *type,
		int64_t ts, double value)
{
	if (m->err[0])
		return -1;	/* after the first error, nothing more is written */
	jv l = jv_dump_string(jv_copy(labels), JV_PRINT_SORTED);
	int64_t id = series_id(m, service, name, jv_string_value(l), type);
	jv_free(l);
	if (!id) {
		if (!m->err[0])
			snprintf(m->err, sizeof m->err, "series %s %s: no id to keep it under", service, name);
		return -1;
	}
	sqlite3_reset(m->sample);
	sqlite3_bind_int64(m->sample, 1, id);
	sqlite3_bind_int64(m->sample, 2, ts);
	if (isnan(value))
		sqlite3_bind_null(m->sample, 3);
	else
		sqlite3_bind_double(m->sample, 3, value);
	int r = check(m, sqlite3_step(m->sample), "sample");
	sqlite3_reset(m->sample);
	return r;
}

int
bi_metrics_retain(bi_metrics *m, jv cfg, int64_t now, char *err, size_t errlen)
{
	int64_t age = bi_cfg_dur(cfg, "metrics.retention.max_age", 7 * 86400 * BI_NS_PER_S) / BI_NS_PER_MS;
	int64_t cap = 10 * 1000 * 1000;
	const char *size = bi_jv_path_str(cfg, "metrics.retention.max_size", NULL);
	if (size && bi_size_parse(size, &cap)) {
		snprintf(err, errlen, "blissful-infra.yaml: metrics.retention.max_size: not a size: %s", size);
		return -1;
	}
	sqlite3_stmt *st = prepare(m, "DELETE FROM metric_samples WHERE ts < ?");
	sqlite3_bind_int64(st, 1, now - age);
	check(m, sqlite3_step(st), "retention");
	sqlite3_finalize(st);
	for (int i = 0; i < 50; i++) {
		/* The metrics' own pages: logs and incidents have limits of their own. */
		static const char *const mine[] = {"metric_samples", "metric_series", NULL};
		int64_t used = bi_store_bytes_upto(m->db, mine, cap);
		if (used < 0)
			check(m, SQLITE_ERROR, "retention");
		if (used <= cap)
			break;
		int64_t oldest = one(m, "SELECT min(ts) FROM metric_samples");
		int64_t newest = one(m, "SELECT max(ts) FROM metric_samples");
		if (oldest >= newest)
			break;
		/* Drop the oldest tenth of the time kept. */
		st = prepare(m, "DELETE FROM metric_samples WHERE ts < ?");
		sqlite3_bind_int64(st, 1, oldest + (newest - oldest) / 10 + 1);
		check(m, sqlite3_step(st), "retention");
		sqlite3_finalize(st);
	}
	st = prepare(m, "DELETE FROM metric_series WHERE id NOT IN (SELECT DISTINCT series FROM metric_samples)"
			" AND name NOT LIKE 'derived:%'");
	check(m, sqlite3_step(st), "retention");
	sqlite3_finalize(st);
	memset(m->cache, 0, sizeof m->cache);	/* ids of series gone may come back */
	if (m->err[0]) {
		snprintf(err, errlen, "database: %s", m->err);
		return -1;
	}
	return 0;
}

/* ---- reading history ---- */

void
bi_metrics_each_series(bi_metrics *m, const char *service, const char *const *names, int64_t start,
		       int64_t end, bi_metrics_series_fn *fn, void *ctx)
{
	/* The series first, then each one's samples by its primary key, in
	 * order: one join sorted by series and time made SQLite sort every
	 * sample of the window in a temporary tree (10 times the read). */
	sqlite3_stmt *ids = prepare(m, "SELECT id, labels FROM metric_series "
				       "WHERE service = ? AND name = ? ORDER BY id");
	sqlite3_stmt *st = prepare(m, "SELECT ts, value FROM metric_samples "
				      "WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts");
	int64_t *t = NULL;
	double *v = NULL;
	int cap = 0;

	for (const char *const *n = names; ids && st && *n; n++) {
		sqlite3_reset(ids);
		sqlite3_bind_text(ids, 1, service, -1, SQLITE_STATIC);
		sqlite3_bind_text(ids, 2, *n, -1, SQLITE_STATIC);
		while (sqlite3_step(ids) == SQLITE_ROW) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, sqlite3_column_int64(ids, 0));
			sqlite3_bind_int64(st, 2, start);
			sqlite3_bind_int64(st, 3, end);
			int k = 0;
			while (sqlite3_step(st) == SQLITE_ROW) {
				if (k == cap) {
					cap = cap ? cap * 2 : 64;
					t = bi_realloc(t, cap * sizeof *t);
					v = bi_realloc(v, cap * sizeof *v);
				}
				t[k] = sqlite3_column_int64(st, 0);
				v[k++] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN :
					 sqlite3_column_double(st, 1);
			}
			if (k) {
				jv labels = jv_parse((const char *)sqlite3_column_text(ids, 1));
				fn(ctx, labels, t, v, k);
				jv_free(labels);
			}
		}
	}
	free(t);
	free(v);
	sqlite3_finalize(ids);
	sqlite3_finalize(st);
}

void
bi_metrics_each_sample(bi_metrics *m, const char *service, int64_t since, bi_metrics_sample_fn *fn,
		       void *ctx)
{
	sqlite3_stmt *st = prepare(m, "SELECT s.service, s.name, s.labels, m.ts, m.value FROM metric_samples m "
				      "JOIN metric_series s ON s.id = m.series WHERE m.ts >= ? "
				      "AND (?2 IS NULL OR s.service = ?2) ORDER BY m.ts, s.id");

	sqlite3_bind_int64(st, 1, since);
	if (service)
		sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
		   sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4));
	sqlite3_finalize(st);
}

jv
bi_metrics_services(bi_metrics *m, const char *only)
{
	jv out = jv_array();
	sqlite3_stmt *st = prepare(m, "SELECT DISTINCT service FROM metric_series ORDER BY service");

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (!only || !strcmp(s, only))
			out = jv_array_append(out, jv_string(s));
	}
	sqlite3_finalize(st);
	return out;
}

/* ---- deriving figures ---- */

struct rates {
	int64_t start, end;
	double all, errors;
	int seen;
	/* histogram buckets: rate by le */
	double le[64], count[64];
	int nle;
};

static const char *const request_counters[] = {"http_requests_total",
	"http_server_requests_seconds_count", NULL};
static const char *const duration_buckets[] = {"http_request_duration_seconds_bucket",
	"http_server_requests_seconds_bucket", NULL};

static void
add_requests(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct rates *r = ctx;
	double rate = bi_prom_rate(t, v, n, r->start, r->end, 1);

	if (isnan(rate))
		return;
	r->seen = 1;
	r->all += rate;
	const char *status = bi_get_str(labels, "status");
	if (!status)
		status = bi_get_str(labels, "code");
	if (status && status[0] == '5')
		r->errors += rate;
}

static void
add_bucket(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct rates *r = ctx;
	const char *le = bi_get_str(labels, "le");
	double rate = bi_prom_rate(t, v, n, r->start, r->end, 1);

	if (!le || isnan(rate))
		return;
	double b = !strcmp(le, "+Inf") ? INFINITY : atof(le);
	for (int i = 0; i < r->nle; i++) {
		if (r->le[i] == b) {
			r->count[i] += rate;	/* sum by (le) */
			return;
		}
	}
	if (r->nle < 64) {
		r->le[r->nle] = b;
		r->count[r->nle++] = rate;
	}
}

/* The newest value of a series of the service, at any time; NaN if none. */
static double
latest(bi_metrics *m, const char *service, const char *name)
{
	sqlite3_stmt *st = prepare(m, "SELECT m.value FROM metric_series s JOIN metric_samples m ON m.series = s.id "
				      "WHERE s.service = ? AND s.name = ? ORDER BY m.ts DESC LIMIT 1");
	sqlite3_bind_text(st, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	double v = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
		sqlite3_column_double(st, 0) : NAN;
	sqlite3_finalize(st);
	return v;
}

int
bi_metrics_derive(bi_metrics *m, const char *service, int64_t end, int64_t window,
		  bi_metrics_figure *f)
{
	struct rates r = {.start = end - window, .end = end};
	int n = 0;

	bi_metrics_each_series(m, service, request_counters, r.start, end, add_requests, &r);
	bi_metrics_each_series(m, service, duration_buckets, r.start, end, add_bucket, &r);
	if (r.seen) {
		f[n++] = (bi_metrics_figure){"request_rate", "req/s", r.all};
		f[n++] = (bi_metrics_figure){"error_rate", "ratio", r.all > 0 ? r.errors / r.all : 0};
	}
	if (r.nle >= 2) {
		static const struct { const char *name; double q; } qs[] = {
			{"latency_p50_ms", 0.50}, {"latency_p95_ms", 0.95}, {"latency_p99_ms", 0.99}};
		for (int i = 0; i < 3; i++) {
			double q = bi_prom_quantile(qs[i].q, r.le, r.count, r.nle);
			if (!isnan(q))
				f[n++] = (bi_metrics_figure){qs[i].name, "ms", q * 1000};
		}
	}
	static const struct { const char *series, *name, *unit; } stats[] = {
		{"container_cpu_pct", "cpu_pct", "%"}, {"container_mem_bytes", "mem_bytes", "bytes"},
		{"container_mem_pct", "mem_pct", "%"}};
	for (int i = 0; i < 3; i++) {
		double v = latest(m, service, stats[i].series);
		if (!isnan(v))
			f[n++] = (bi_metrics_figure){stats[i].name, stats[i].unit, v};
	}
	return n;
}

/* "name1|name2": a list of series names as a PromQL regex (they hold no
 * regex characters but '_'). */
static void
name_regex(char *buf, size_t n, const char *const *names)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; names[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "|" : "", names[i]);
}

const char *
bi_metrics_promql(int i, const char *window, char *buf, size_t n, const char **name, const char **unit)
{
	static const struct { const char *name; double q; } qs[] = {
		{"latency_p50_ms", 0.50}, {"latency_p95_ms", 0.95}, {"latency_p99_ms", 0.99}};
	char reqs[200], buckets[200], all[400];

	name_regex(reqs, sizeof reqs, request_counters);
	name_regex(buckets, sizeof buckets, duration_buckets);
	snprintf(all, sizeof all, "sum by (job) (rate({__name__=~\"%s\"}[%s]))", reqs, window);
	if (i == 0) {
		*name = "request_rate", *unit = "req/s";
		snprintf(buf, n, "%s", all);
	} else if (i == 1) {
		/* the 5xx share, by status or code as add_requests reads them; a
		 * job without errors has none, not no figure */
		*name = "error_rate", *unit = "ratio";
		snprintf(buf, n, "(sum by (job) (rate({__name__=~\"%s\",status=~\"5..\"}[%s]))"
			 " or sum by (job) (rate({__name__=~\"%s\",code=~\"5..\"}[%s])) or %s * 0) / %s",
			 reqs, window, reqs, window, all, all);
	} else if (i >= 2 && i < 5) {
		*name = qs[i - 2].name, *unit = "ms";
		snprintf(buf, n, "histogram_quantile(%.2f, sum by (job, le) (rate({__name__=~\"%s\"}[%s]))) * 1000",
			 qs[i - 2].q, buckets, window);
	} else {
		return NULL;
	}
	return buf;
}

/* ---- alerts ---- */

struct rule {
	const char *figure, *key;	/* derived figure; blissful-infra.yaml's alerts.KEY */
	double warning, critical;	/* defaults; NAN: none */
};

static const struct rule rules[] = {
	{"cpu_pct", "cpu_pct", 80, 95},
	{"mem_pct", "mem_pct", 80, 95},
	{"error_rate", "error_rate", 0.01, 0.05},
	{"latency_p95_ms", "p95_ms", 500, NAN},
	{"latency_p99_ms", "p99_ms", 1000, NAN},
};

static jv
alert_record(int64_t id, const char *name, const char *service, const char *severity,
	     const char *state, double value, double threshold, int acked, int64_t at)
{
	char ts[BI_TS_LEN];
	jv r = bi_record("alert");

	if (at)
		r = bi_set(r, "ts", jv_string(bi_ts_fmt(at * BI_NS_PER_MS, ts)));
	r = bi_set(r, "id", jv_number((double)id));
	r = bi_set(r, "name", jv_string(name));
	r = bi_set(r, "service", jv_string(service));
	r = bi_set(r, "severity", jv_string(severity));
	r = bi_set(r, "state", jv_string(state));
	r = bi_set(r, "value", jv_number(value));
	r = bi_set(r, "threshold", jv_number(threshold));
	r = bi_set(r, "acked", jv_bool(acked));
	r = bi_set(r, "msg", jv_string_fmt("%s of %s is %g (%s at %g)", name, service, value, severity, threshold));
	return r;
}

jv
bi_metrics_evaluate(bi_metrics *m, jv cfg, const char *service, const bi_metrics_figure *f, int nf,
		    int64_t now, int *fired)
{
	int64_t cooldown = bi_cfg_dur(cfg, "alerts.cooldown", 60 * BI_NS_PER_S) / BI_NS_PER_MS;
	int64_t repeat = bi_cfg_dur(cfg, "alerts.repeat", 3600 * BI_NS_PER_S) / BI_NS_PER_MS;
	jv out = jv_array();

	*fired = 0;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *ru = &rules[i];
		double value = NAN;
		for (int k = 0; k < nf; k++)
			if (!strcmp(f[k].name, ru->figure))
				value = f[k].value;
		if (isnan(value))
			continue;	/* not measured this time: leave it as it is */
		char path[64];
		snprintf(path, sizeof path, "alerts.%s.warning", ru->key);
		double warn = bi_jv_path_num(cfg, path, ru->warning);
		snprintf(path, sizeof path, "alerts.%s.critical", ru->key);
		double crit = bi_jv_path_num(cfg, path, ru->critical);
		const char *level = NULL;
		double threshold = NAN;
		if (!isnan(crit) && value >= crit)
			level = "critical", threshold = crit;
		else if (!isnan(warn) && value >= warn)
			level = "warning", threshold = warn;

		sqlite3_stmt *st = prepare(m, "SELECT id, severity, acked, coalesce(notified_at, fired_at) "
					      "FROM alerts WHERE state = 'firing' AND name = ? AND service = ?");
		sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
		int64_t id = 0, told = 0;
		char severity[16] = "";
		int acked = 0, retold = 0;
		if (sqlite3_step(st) == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			snprintf(severity, sizeof severity, "%s", sqlite3_column_text(st, 1));
			acked = sqlite3_column_int(st, 2);
			told = sqlite3_column_int64(st, 3);
		}
		sqlite3_finalize(st);

		if (id && !level) {
			st = prepare(m, "UPDATE alerts SET state = 'resolved', resolved_at = ?, value = ? WHERE id = ?");
			sqlite3_bind_int64(st, 1, now);
			sqlite3_bind_double(st, 2, value);
			sqlite3_bind_int64(st, 3, id);
			check(m, sqlite3_step(st), "resolve");
			sqlite3_finalize(st);
			out = jv_array_append(out, alert_record(id, ru->figure, service, severity, "resolved",
					      value, !strcmp(severity, "critical") ? crit : warn, acked, now));
		} else if (id && strcmp(level, severity)) {
			st = prepare(m, "UPDATE alerts SET severity = ?, threshold = ?, value = ? WHERE id = ?");
			sqlite3_bind_text(st, 1, level, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 2, threshold);
			sqlite3_bind_double(st, 3, value);
			sqlite3_bind_int64(st, 4, id);
			check(m, sqlite3_step(st), "severity");
			sqlite3_finalize(st);
			out = jv_array_append(out, alert_record(id, ru->figure, service, level, "firing",
					      value, threshold, acked, now));
			retold = 1;
		} else if (id && !acked && repeat > 0 && now - told >= repeat) {
			/* Still firing, and nobody has said they saw it: remind. */
			jv r = alert_record(id, ru->figure, service, level, "firing", value, threshold, 0, now);
			out = jv_array_append(out, bi_set(r, "repeat", jv_true()));
			retold = 1;
		} else if (level && !id) {
			st = prepare(m, "SELECT count(*) FROM alerts WHERE name = ? AND service = ? "
					"AND state = 'resolved' AND resolved_at > ?");
			sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, now - cooldown);
			int recent = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
			sqlite3_finalize(st);
			if (recent)
				continue;	/* flapping: hold it back for the cooldown */
			st = prepare(m, "INSERT INTO alerts (name, service, severity, state, value, threshold, "
					"fired_at, notified_at) VALUES (?, ?, ?, 'firing', ?, ?, ?, ?6)");
			sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, level, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 4, value);
			sqlite3_bind_double(st, 5, threshold);
			sqlite3_bind_int64(st, 6, now);
			check(m, sqlite3_step(st), "fire");
			sqlite3_finalize(st);
			out = jv_array_append(out, alert_record(sqlite3_last_insert_rowid(m->db), ru->figure,
					      service, level, "firing", value, threshold, 0, now));
			(*fired)++;
		}
		if (retold) {
			st = prepare(m, "UPDATE alerts SET notified_at = ? WHERE id = ?");
			sqlite3_bind_int64(st, 1, now);
			sqlite3_bind_int64(st, 2, id);
			check(m, sqlite3_step(st), "notified");
			sqlite3_finalize(st);
		}
	}
	return out;
}

jv
bi_metrics_alerts(bi_metrics *m)
{
	jv out = jv_array();
	sqlite3_stmt *st = prepare(m, "SELECT id, name, service, severity, value, threshold, acked, fired_at "
				      "FROM alerts WHERE state = 'firing' ORDER BY fired_at");

	while (sqlite3_step(st) == SQLITE_ROW)
		out = jv_array_append(out, alert_record(sqlite3_column_int64(st, 0),
				      (const char *)sqlite3_column_text(st, 1),
				      (const char *)sqlite3_column_text(st, 2),
				      (const char *)sqlite3_column_text(st, 3), "firing",
				      sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
				      sqlite3_column_int(st, 6), sqlite3_column_int64(st, 7)));
	sqlite3_finalize(st);
	return out;
}

int
bi_metrics_ack(bi_metrics *m, int64_t id)
{
	sqlite3_stmt *st = prepare(m, "UPDATE alerts SET acked = 1 WHERE id = ?");

	sqlite3_bind_int64(st, 1, id);
	int bad = check(m, sqlite3_step(st), "ack");
	sqlite3_finalize(st);
	return !bad && sqlite3_changes(m->db) ? 0 : -1;
}
